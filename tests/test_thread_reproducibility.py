"""Results are bitwise identical at 1, 2 and 16 threads (issue 12): every reduction whose order
could follow the thread count is cut into chunks fixed by the problem and combined in chunk
order, and BLAS is held to one thread where its result would depend on its thread count.

Each thread count runs in its own process (OMP_NUM_THREADS and OPENBLAS_NUM_THREADS are read at
start-up); the workloads are sized so that the kernels' parallel paths are taken."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import interplay

# the interplay this test process imported (the installed package in CI, python/ in a dev
# build): a child given the source tree of a clean clone would run without the compiled core
PKG = Path(interplay.__file__).resolve().parents[1]

CHILD = r"""
import sys
import numpy as np
import interplay
from interplay.estimators._api import NEEDS
from interplay.games import SumOfUnanimityGames, TableGame, evaluate_all
from interplay.indices import INDEX_NAMES

out = {}
n = 20  # 2^20 values: the fused and per-order exact paths run on several threads
table = evaluate_all(SumOfUnanimityGames.random(n, 40, max_size=4, seed=0), n)
for d, t in ((1, table), (2, np.stack([table, np.sin(table)], axis=1))):
    for name in INDEX_NAMES:
        for k in (1, 2, 3):
            try:
                r = interplay.exact(t, name, max_order=k)
            except ValueError:  # an order the index does not have
                continue
            out[f"exact/{name}/{k}/{d}"] = np.asarray(r.values)
game = SumOfUnanimityGames.random(14, 30, max_size=3, seed=1)
for method in NEEDS:
    for name in INDEX_NAMES:
        try:
            r = interplay.approximate(game, 14, name, 6000, max_order=2, method=method, seed=3)
        except ValueError:  # the method does not serve the index
            continue
        out[f"approximate/{method}/{name}"] = np.asarray(r.values)
        out[f"approximate/{method}/{name}/stderr"] = np.asarray(r.stderr, dtype=float)
# issue 12's cases (n = 20, budget 1e4: KernelSHAP-IQ differed by 3.3e-6 through BLAS threads)
big = SumOfUnanimityGames.random(20, 60, max_size=4, seed=0)
for name, method in (("SII", "kernelshapiq"), ("FSII", "regression"), ("FBII", "regression")):
    r = interplay.approximate(big, 20, name, 10000, max_order=2, method=method, seed=1)
    out[f"approximate/n20/{method}/{name}"] = np.asarray(r.values)
tg = TableGame.random(12, d=2, seed=4)
for name in ("FWBII", "FBII", "BV", "WBV"):
    r = interplay.approximate(tg, 12, name, 4000, max_order=2, method="regression", seed=5,
                              player_groups=(5, 7))
    out[f"grid/{name}"] = np.asarray(r.values)
rng = np.random.default_rng(0)
for shape in ((2, 2, 2), (4, 3, 5), (24, 20, 16)):
    p = rng.random(shape) ** 3
    r = interplay.pid(p / p.sum())
    out[f"pid/{shape}"] = np.array([r.redundancy, r.unique_1, r.unique_2, r.synergy, r.gap])
np.savez(sys.argv[1], **out)
"""


def _run(threads: int, path: Path) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               PYTHONPATH=str(PKG))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.skipif(sys.platform == "win32", reason="subprocess environment")
def test_results_bitwise_identical_at_1_2_and_16_threads(tmp_path):
    ref = _run(1, tmp_path / "t1.npz")
    assert any(k.startswith("exact/FSII") for k in ref)
    assert any(k.startswith("approximate/kernelshapiq") for k in ref)
    assert any(k.startswith("grid/") for k in ref)
    for threads in (2, 16):
        got = _run(threads, tmp_path / f"t{threads}.npz")
        assert sorted(got) == sorted(ref)
        for key, value in ref.items():
            np.testing.assert_array_equal(got[key], value, err_msg=f"{key} at {threads} threads")
