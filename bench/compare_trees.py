"""CPU time of the exact, sampled and PID workloads of bench/RESULTS.md in two source trees, one
after the other on the same machine: a regression check that holds up on a loaded machine,
where wall times of separate runs are not comparable.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/compare_trees.py TREE_A TREE_B [--rounds=2]
        [--only=exact,sampled,pid,grid]

grid: grid mode (FWBII order 2, two player groups, the groups' minimum budget) on a bilinear
game of the two sides (as a dual encoder's cosine), whose grid costs one small GEMM: nearly all
CPU is the estimator's (moments, solves, the jackknife).

Each tree (a checkout with its compiled core built into python/interplay) runs in its own
process with PYTHONPATH=TREE/python:TREE/bench and its own bench/bench_sampled.py; rounds
alternate A, B, A, B and every figure is the minimum over rounds (of the median over
repeats for the sampled estimators, of the mean of a timed loop otherwise) of
``time.process_time`` (single-threaded: the environment above), outside the game for the
sampled estimators as bench_sampled.py measures it. Prints a markdown table with B / A.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

EXACT = [("SV", 1), ("SII", 2), ("k-SII", 2), ("STII", 2), ("FSII", 2), ("FBII", 2)]
SAMPLED_N20 = ["PermutationSV", "PermutationSII", "PermutationSTII", "KernelSHAP",
               "KernelSHAPIQ", "RegressionFSII", "RegressionFBII", "SHAPIQ", "SVARMIQ"]
SAMPLED_N60 = ["KernelSHAPIQ", "RegressionFSII", "RegressionFBII"]  # the dual path, budget 1e3


def _cpu(fn, reps: int) -> float:
    c = time.process_time()
    for _ in range(reps):
        fn()
    return (time.process_time() - c) / reps


def grid_game(na: int, nb: int):
    import numpy as np

    rng = np.random.default_rng(1)
    Ea, Eb = rng.normal(size=(na, 8)), rng.normal(size=(nb, 8))

    class Bilinear:
        n_players = na + nb

        def grid_values(self, A, B):
            return (A @ Ea) @ (B @ Eb).T / (na * nb) ** 0.5

        def __call__(self, C):
            return np.einsum("ij,ij->i", C[:, :na] @ Ea, C[:, na:] @ Eb) / (na * nb) ** 0.5

    return Bilinear()


def worker(only: set) -> dict:
    # import the tree's own bench modules (PYTHONPATH), not the ones beside this script
    here = Path(__file__).resolve().parent
    own = Path(os.environ["PYTHONPATH"].split(":")[-1]).resolve()
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() not in {here} - {own}]
    import numpy as np

    import interplay
    import bench_pid
    import bench_sampled as bs

    out = {}
    rng = np.random.default_rng(0)
    for na, nb in ((8, 24), (16, 48)) if "grid" in only else ():
        from interplay.estimators._grid import clear_design_cache, grid_min_budget

        game, budget = grid_game(na, nb), grid_min_budget(na, nb, 2)

        def run(game=game, na=na, nb=nb, budget=budget):
            clear_design_cache()  # the design (factorisations) is part of the cost
            interplay.approximate(game, na + nb, "FWBII", budget, max_order=2, seed=0,
                                  player_groups=(na, nb))
        out[f"grid FWBII order 2, {na} + {nb}, budget {budget}"] = _cpu(run, 1)
        res = interplay.approximate(game, na + nb, "FWBII", budget, max_order=2, seed=0,
                                    player_groups=(na, nb))  # verify: a bilinear game is
        top = np.abs(res.values).max()  # pair interactions only, fitted without residuals
        assert np.abs(res.values[1:1 + na + nb]).max() < 1e-6 * top
        assert np.isfinite(res.stderr).all() and res.stderr.max() < 1e-6 * top
    for n, reps in ((10, 200), (14, 50), (20, 3)) if "exact" in only else ():
        v = rng.normal(size=1 << n)
        for idx, k in EXACT:
            interplay.exact(v, idx, k)  # warm
            out[f"exact {idx} n={n}"] = min(
                _cpu(lambda: interplay.exact(v, idx, k), reps) for _ in range(3))
    for n, budget, names in ((20, 10_000, SAMPLED_N20), (60, 1000, SAMPLED_N60)) if (
            "sampled" in only) else ():
        for kind in ("table", "soum"):
            spec = bs.game_spec(kind, n)
            for name in names:
                idx, meth, _, _, k = bs.ESTIMATORS[name]
                cpus, spent = [], 0.0
                # the median of at least 5 repeats and 0.25 s of CPU: the minimum of a few
                # sub-ms calls is an extreme of their lower tail (permutation SV on the table
                # game: the minima of two trees differed by 23% where their means, 200 calls
                # each, differed by 3%)
                while len(cpus) < 5 or spent < 0.25:
                    r = bs.run_ours(spec, n, idx, meth, budget, 0, k)
                    cpus.append(r["cpu_total"] - r["cpu_in_game"])
                    spent += r["cpu_total"]
                out[f"sampled {name} n={n} {kind} budget={budget}"] = float(np.median(cpus))
    if "pid" not in only:
        return out
    for k, reps in ((8, 5), (16, 3), (32, 2)):
        p = bench_pid.joint(k)
        interplay.pid(p)
        out[f"pid k={k}"] = min(_cpu(lambda: interplay.pid(p), 1) for _ in range(reps))
    batch = np.random.default_rng(0).random((1000, 10, 10, 10))  # as bench_pid.test_broja_batch
    batch /= batch.sum((1, 2, 3), keepdims=True)
    out["pid 1000 x (10,10,10)"] = min(_cpu(lambda: interplay.pid(batch), 1) for _ in range(2))
    return out


def run_tree(tree: Path, only: str) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'python'}:{tree / 'bench'}",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    res = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", only],
                         cwd=tree, env=env, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"{tree}: {res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    trees = [Path(a).resolve() for a in argv if not a.startswith("--")]
    rounds = int(next((a.split("=")[1] for a in argv if a.startswith("--rounds=")), 2))
    only = next((a.split("=")[1] for a in argv if a.startswith("--only=")), "exact,sampled,pid")
    if len(trees) != 2:
        raise SystemExit(__doc__)
    best: list[dict] = [{}, {}]
    for r in range(rounds):
        for i, tree in enumerate(trees):
            got = run_tree(tree, only)
            print(f"# round {r + 1} {tree}: {json.dumps(got)}", flush=True)
            for key, val in got.items():
                best[i][key] = min(val, best[i].get(key, val))
    print("| workload | A ms (CPU) | B ms (CPU) | B / A |\n|---|---|---|---|")
    for key in best[0]:
        a, b = best[0][key], best[1].get(key)
        if b is None:
            print(f"| {key} | {a * 1e3:.3g} | - | - |")
        else:
            print(f"| {key} | {a * 1e3:.3g} | {b * 1e3:.3g} | {b / a:.2f} |")


if __name__ == "__main__":
    if "--worker" in sys.argv:
        print(json.dumps(worker(set(sys.argv[-1].split(",")))))
    else:
        main(sys.argv[1:])
