"""CPU time of the exact, sampled and PID workloads of bench/RESULTS.md in two source trees, one
after the other on the same machine: a regression check that holds up on a loaded machine,
where wall times of separate runs are not comparable.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/compare_trees.py TREE_A TREE_B [--rounds=2]

Each tree (a checkout with its compiled core built into python/interplay) runs in its own
process with PYTHONPATH=TREE/python:TREE/bench and its own bench/bench_sampled.py; rounds
alternate A, B, A, B and every figure is the minimum over rounds and repeats of
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


def worker() -> dict:
    # import the tree's own bench modules (PYTHONPATH), not the ones beside this script
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != here]
    import numpy as np

    import interplay
    import bench_pid
    import bench_sampled as bs

    out = {}
    rng = np.random.default_rng(0)
    for n, reps in ((10, 200), (14, 50), (20, 3)):
        v = rng.normal(size=1 << n)
        for idx, k in EXACT:
            interplay.exact(v, idx, k)  # warm
            out[f"exact {idx} n={n}"] = min(
                _cpu(lambda: interplay.exact(v, idx, k), reps) for _ in range(3))
    for n, budget, names in ((20, 10_000, SAMPLED_N20), (60, 1000, SAMPLED_N60)):
        for kind in ("table", "soum"):
            spec = bs.game_spec(kind, n)
            for name in names:
                idx, meth, _, _, k = bs.ESTIMATORS[name]
                best = None
                for _ in range(3):
                    r = bs.run_ours(spec, n, idx, meth, budget, 0, k)
                    cpu = r["cpu_total"] - r["cpu_in_game"]
                    best = cpu if best is None else min(best, cpu)
                out[f"sampled {name} n={n} {kind} budget={budget}"] = best
    for k, reps in ((8, 5), (16, 3), (32, 2)):
        p = bench_pid.joint(k)
        interplay.pid(p)
        out[f"pid k={k}"] = min(_cpu(lambda: interplay.pid(p), 1) for _ in range(reps))
    batch = np.random.default_rng(0).random((1000, 10, 10, 10))  # as bench_pid.test_broja_batch
    batch /= batch.sum((1, 2, 3), keepdims=True)
    out["pid 1000 x (10,10,10)"] = min(_cpu(lambda: interplay.pid(batch), 1) for _ in range(2))
    return out


def run_tree(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'python'}:{tree / 'bench'}",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    res = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker"], cwd=tree,
                         env=env, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"{tree}: {res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    trees = [Path(a).resolve() for a in argv if not a.startswith("--")]
    rounds = int(next((a.split("=")[1] for a in argv if a.startswith("--rounds=")), 2))
    if len(trees) != 2:
        raise SystemExit(__doc__)
    best: list[dict] = [{}, {}]
    for r in range(rounds):
        for i, tree in enumerate(trees):
            got = run_tree(tree)
            print(f"# round {r + 1} {tree}: {json.dumps(got)}", flush=True)
            for key, val in got.items():
                best[i][key] = min(val, best[i].get(key, val))
    print(f"| workload | A ms (CPU) | B ms (CPU) | B / A |\n|---|---|---|---|")
    for key in best[0]:
        a, b = best[0][key], best[1].get(key)
        if b is None:
            print(f"| {key} | {a * 1e3:.3g} | - | - |")
        else:
            print(f"| {key} | {a * 1e3:.3g} | {b * 1e3:.3g} | {b / a:.2f} |")


if __name__ == "__main__":
    if "--worker" in sys.argv:
        print(json.dumps(worker()))
    else:
        main(sys.argv[1:])
