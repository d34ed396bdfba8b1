"""Which STII estimator is most accurate at which (n, budget): the measurements behind
method="auto" for STII (bench/RESULTS.md, "auto for STII").

Sums of unanimity games (bench_sampled.game_spec("soum", n)) at n = 20, 24, 30, 40, 60 and the
unstructured lookup table at n = 24; budgets 1e3, 1e4, 1e5; MSE over 3 seeds against the exact
values of all sets of size 1 and 2.
    OMP_NUM_THREADS=1 PYTHONPATH=python python bench/stii_auto.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sampled as B  # noqa: E402

CASES = [(20, "soum"), (24, "soum"), (24, "table"), (30, "soum"), (40, "soum"), (60, "soum")]


def main() -> None:
    print("| n | game | budget | MSE, best first |")
    for n, kind in CASES:
        spec = B.game_spec(kind, n)
        exact = B.truth(spec, n, "STII", 2)
        for budget in (1000, 10_000, 100_000):
            row = []
            for m in ("permutation", "svarmiq", "shapiq"):
                errs = [np.mean((B.run_ours(spec, n, "STII", m, budget, s, 2)["values"] - exact)
                                ** 2) for s in range(3)]
                row.append((float(np.mean(errs)), m))
            row.sort()
            print(f"| {n} | {kind} | {budget} | " + ", ".join(f"{m} {e:.3g}" for e, m in row)
                  + " |", flush=True)


if __name__ == "__main__":
    main()
