#!/usr/bin/env bash
# Incremental development build: compiles interplay._core into python/interplay/ so that
# `PYTHONPATH=python python -m pytest` runs against the working tree without reinstalling.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
pybind11_dir=$("$PY" -m pybind11 --cmakedir)
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} \
  -Dpybind11_DIR="$pybind11_dir" -DPython_EXECUTABLE="$(command -v "$PY")" "$@" >/dev/null
cmake --build build/dev -j 2
