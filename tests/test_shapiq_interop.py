"""Conversion to and from shapiq.InteractionValues, checked with the real shapiq 1.8.0.

shapiq 1.8.0 needs Python >= 3.12 and cannot be imported by the 3.11 test environment, so this
test runs a script in the Python 3.12 oracle venv (INTERPLAY_SHAPIQ_PYTHON, default
/work/.venvs/shapiq312/bin/python) with interplay's pure-Python layer on its path (NumPy
reference backend): to_shapiq() of our result equals ExactComputer's InteractionValues,
from_shapiq() of theirs equals ours, and shapiq loads the JSON file we write. Without that venv
the test is skipped (the JSON format itself is covered by tests/test_exact_golden.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "/work/.venvs/shapiq312/bin/python")

SCRIPT = r"""
import json, sys, tempfile
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
import interplay
from interplay.results import InteractionResult
import shapiq
from shapiq import ExactComputer

n = 6
rng = np.random.default_rng(3)
table = rng.normal(size=2 ** n)
table[0] = 0.5
powers = 1 << np.arange(n)
game = lambda c: table[np.asarray(c, dtype=np.int64) @ powers]
ec = ExactComputer(game, n_players=n, evaluate_game=True)
report = []
for index, order in [("SII", 2), ("k-SII", 2), ("STII", 3), ("FBII", 2), ("BV", 1), ("Moebius", None)]:
    ours = interplay.exact(table, index, order, backend="reference")
    ref = ec(index, order)
    iv = ours.to_shapiq()
    to_err = max(abs(iv[k] - v) for k, v in ref.dict_values.items())
    back = InteractionResult.from_shapiq(ref)
    from_err = max(abs(back[k] - ours[k]) for k in ours.to_dict())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "iv.json"
        ours.save_shapiq_json(path)
        loaded = shapiq.InteractionValues.load(path)
    json_err = max(abs(loaded[k] - v) for k, v in ref.dict_values.items())
    report.append({
        "index": index, "to_index": iv.index, "ref_index": ref.index,
        "baseline": [iv.baseline_value, ref.baseline_value, loaded.baseline_value, back.baseline_value],
        "to_err": to_err, "from_err": from_err, "json_err": json_err,
        "orders": [iv.min_order, iv.max_order, ref.min_order, ref.max_order],
        "n": [iv.n_players, loaded.n_players],
    })
print(json.dumps(report))
"""


@pytest.mark.golden
def test_round_trip_with_real_shapiq():
    if not Path(PY).exists():
        pytest.skip(f"no Python with shapiq 1.8.0 at {PY} (set INTERPLAY_SHAPIQ_PYTHON)")
    env = dict(os.environ, INTERPLAY_DISABLE_CPP="1", INTERPLAY_DISABLE_NUMBA="1",
               OPENBLAS_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([PY, "-c", SCRIPT, str(ROOT / "python")], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report) == 6
    for r in report:
        tol = 1e-12
        assert r["to_index"] == r["ref_index"], r
        assert r["to_err"] < tol and r["from_err"] < tol and r["json_err"] < tol, r
        assert max(r["baseline"]) - min(r["baseline"]) < tol, r
        assert r["orders"][:2] == r["orders"][2:], r
        assert r["n"] == [6, 6]
