"""Time outside the game of the order-2 regression estimators (KernelSHAP-IQ, FSII, FBII)
with fewer coalitions than basis terms (n = 60: K = 1,831 terms, budget 1000): the dual (kernel)
form against the primal K x K path of the same code (``_solver = "primal"``), and their largest
difference.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=python python bench/time_regression_dual.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from interplay.estimators import make_estimator
from interplay.games import SumOfUnanimityGames


def run(n, index, budget, method, solver, seed, game):
    t0 = time.process_time()
    est = make_estimator(n, index, budget, max_order=2, seed=seed, method=method)
    if solver is not None:
        est._solver = solver
    in_game = 0.0
    while (C := est.next_coalitions()) is not None:
        g0 = time.process_time()
        V = game(C)
        in_game += time.process_time() - g0
        est.tell(V)
    res = est.result()
    return res, (time.process_time() - t0 - in_game) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    game = SumOfUnanimityGames.random(a.n, 50, max_size=3, seed=0)
    rows = [("KernelSHAPIQ", "SII", "kernelshapiq"), ("RegressionFSII", "FSII", "regression"),
            ("RegressionFBII", "FBII", "regression")]
    print("| estimator | primal ms (CPU, median) | dual ms (CPU, median) | max rel diff | solver |")
    print("|---|---|---|---|---|")
    for name, index, method in rows:
        t = {"primal": [], None: []}
        for rep in range(a.repeats):
            for solver in ("primal", None):
                res, ms = run(a.n, index, a.budget, method, solver, rep, game)
                t[solver].append(ms)
                if solver == "primal":
                    ref = res
                else:
                    diff = np.abs(res.values - ref.values).max() / np.abs(ref.values).max()
                    assert diff < 1e-3, diff
                    used = res.info.get("solver", "dual-cholesky (order 2)")
        print(f"| {name} | {np.median(t['primal']):.1f} | {np.median(t[None]):.1f} | "
              f"{diff:.1e} | {used} |", flush=True)


if __name__ == "__main__":
    main()
