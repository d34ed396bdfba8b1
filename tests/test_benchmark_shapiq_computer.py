"""interplay.benchmark.shapiq_computer.InterplayComputer inside shapiq 1.8.0's shapiq_benchmark.

shapiq needs Python >= 3.12, so the checks run as a script in INTERPLAY_SHAPIQ_PYTHON (as
tests/test_shapiq_interop.py does) with interplay's Python layer on its path (NumPy reference
backend there unless interplay is installed in that environment): the exact values equal
shapiq's BruteForceComputer (n = 10, two games, nine indices) and shapiq_benchmark.run gives the
same errors with either ground truth (n = 10; n = 14 under --runslow); at n = 24 (slow) the
values equal the closed form of shapiq's MoebiusComputer on a sum of unanimity games.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "")

SCRIPT = r"""
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
import shapiq
from shapiq import Game
from shapiq_games import SOUM
from shapiq_benchmark import Benchmark, BruteForceComputer, MoebiusComputer, run
from interplay.benchmark.shapiq_computer import InterplayComputer

n, mode = int(sys.argv[2]), sys.argv[3]
warnings.simplefilter("ignore")


class TableGame(Game):
    def __init__(self, n):
        self.table = np.random.default_rng(3).normal(size=2 ** n)
        self.powers = 1 << np.arange(n)
        super().__init__(n_players=n, normalize=True, normalization_value=float(self.table[0]))

    def value_function(self, coalitions):
        return self.table[coalitions.astype(np.int64) @ self.powers]


def diff(a, b):
    keys = set(a.dict_values) | set(b.dict_values)
    return max(abs(a[s] - b[s]) for s in keys) if keys else 0.0


report = {}
soum = SOUM(n=n, n_basis_games=3 * n, max_interaction_size=4, random_state=0)
if mode == "values":
    for name, game in (("soum", soum), ("table", TableGame(n))):
        ours, theirs = InterplayComputer(game), BruteForceComputer(game)
        for index, k in (("SV", 1), ("BV", 1), ("SII", 2), ("k-SII", 2), ("STII", 2),
                         ("FSII", 2), ("FBII", 2), ("BII", 2), ("CHII", 2)):
            a, b = ours.exact_values(index, k), theirs.exact_values(index, k)
            report[f"{name} {index}"] = [diff(a, b), a.baseline_value - b.baseline_value,
                                         a.min_order, a.max_order, b.min_order, b.max_order]
if mode in ("values", "run"):
    mse = {}
    for cls in (BruteForceComputer, InterplayComputer):
        res = run(Benchmark(soum, cls(soum)), [shapiq.KernelSHAPIQ, shapiq.PermutationSamplingSII],
                  [60, 200], index="k-SII", order=2, seeds=[0, 1], with_faithfulness=True)
        mse[cls.name] = [res["mse"].tolist(), res["faithfulness"].tolist(),
                         res["status"].tolist(), res["computer"].tolist()]
    report["run"] = mse
if mode == "large":
    t = time.perf_counter()
    ours = InterplayComputer(soum)
    a = ours.exact_values("k-SII", 2)
    report["seconds"] = time.perf_counter() - t
    report["diff"] = diff(a, MoebiusComputer(soum).exact_values("k-SII", 2))
print(json.dumps(report))
"""


def _run(n, mode, timeout):
    if not PY or not Path(PY).exists():
        pytest.skip(f"no Python with shapiq 1.8.0 at {PY!r} (set INTERPLAY_SHAPIQ_PYTHON)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([PY, "-c", SCRIPT, str(ROOT / "python"), str(n), mode],
                          capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_run(run):
    bf, ours = run["brute_force"], run["interplay"]
    assert bf[2] == ours[2] == ["ok"] * 8
    assert set(ours[3]) == {"interplay"} and set(bf[3]) == {"brute_force"}
    for a, b in zip(bf[0] + bf[1], ours[0] + ours[1]):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-14)


@pytest.mark.golden
def test_interplay_computer_equals_brute_force():
    report = _run(10, "values", 600)
    for key, (err, base, *orders) in ((k, v) for k, v in report.items() if k != "run"):
        # shapiq's exact FSII solves its least squares with big-M weights on the empty and
        # grand coalitions (as for kADD-SHAP in tests/test_shapiq_interop.py): 1e-8
        assert err < (1e-8 if "FSII" in key else 1e-10) and abs(base) < 1e-12, (key, err)
        assert orders[:2] == orders[2:], key
    assert len(report) == 19
    _check_run(report["run"])


@pytest.mark.slow
@pytest.mark.golden
def test_interplay_computer_run_n14():
    _check_run(_run(14, "run", 1200)["run"])


@pytest.mark.slow
@pytest.mark.golden
def test_interplay_computer_n24_equals_closed_form():
    report = _run(24, "large", 1200)
    assert report["diff"] < 1e-9
