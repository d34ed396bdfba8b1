"""``interplay.show_config()``: what is available here and why not."""

from __future__ import annotations

import importlib
import platform
import sys

from . import __version__
from .backends import BACKENDS, KERNELS, backend_status

# modules that define kernels; imported (if present) so that show_config can list them all
_KERNEL_MODULES = (
    "interplay.transforms",
    "interplay.engine",
    "interplay.estimators",
    "interplay.information",
    "interplay.metrics",
)


def config() -> dict:
    """Backends and kernels as a dict: ``{"backends": {name: (ok, why)}, "kernels": {...}}``."""
    for mod in _KERNEL_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:
            continue
    info: dict = {
        "interplay": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "backends": {b: backend_status(b) for b in BACKENDS},
        "kernels": {},
    }
    ok, _ = backend_status("cpp")
    if ok:
        from .backends import core

        build = core().build
        info["cpp_build"] = {
            "version": build.version,
            "compiler": build.compiler,
            "openmp": build.openmp,
            "threads": build.max_threads(),
            "debug": build.debug,
            "cuda": build.cuda,
        }
    for name, kernel in sorted(KERNELS.items()):
        info["kernels"][name] = {b: kernel.status(b) for b in kernel.backends}
    return info


def show_config(file=None) -> None:
    """Print each backend, whether it is available and why not, and each kernel's backends."""
    info = config()
    out = file or sys.stdout
    print(f"interplay {info['interplay']} on Python {info['python']} ({info['platform']})", file=out)
    print("backends:", file=out)
    for name, (ok, why) in info["backends"].items():
        print(f"  {name:<10} {'yes' if ok else 'no':<4} {why}", file=out)
    if "cpp_build" in info:
        b = info["cpp_build"]
        print(
            f"cpp build: {b['compiler']}, OpenMP {'on' if b['openmp'] else 'off'} "
            f"({b['threads']} threads), {'debug' if b['debug'] else 'release'}, "
            f"CUDA {'on' if b['cuda'] else 'off'}",
            file=out,
        )
    if info["kernels"]:
        print("kernels:", file=out)
        for name, status in info["kernels"].items():
            parts = [f"{b}={'yes' if ok else 'no'}" for b, (ok, _) in status.items()]
            print(f"  {name:<32} {' '.join(parts)}", file=out)
