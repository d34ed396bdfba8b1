"""Check `interplay benchmark --suite default` against bench/RESULTS.md's MSE tables.

The default suite's n = 20 table game is bench/bench_sampled.py's (2^20 N(0, 1) values, seed
20261124) and budget 1e4 is one of its budgets, so its cells at (table20, 10000) repeat
"Mean squared error over 10 seeds (budget 1e4), ours vs shapiq's same estimator" (commit ef2809a,
seeds 0-9 there too). Prints, per shared cell, the suite's MSE (mean +- s.e. over seeds) beside
the recorded one and how many standard errors apart they are; then the ground-truth cost per
index recorded in the cache and the status counts.

Usage: python bench/benchmark_suite_check.py results/default.parquet [cache_dir]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

# bench/RESULTS.md, n = 20 table, budget 1e4: (index, interplay method, shapiq class) ->
# (ours MSE, s.e., shapiq MSE, s.e.)
RECORDED = {
    ("SV", "permutation", "PermutationSamplingSV"): (0.00351, 0.00029, 0.00344, 0.00025),
    ("k-SII", "permutation", "PermutationSamplingSII"): (0.135, 0.0058, 0.639, 0.032),
    ("STII", "permutation", "PermutationSamplingSTII"): (0.0535, 0.0013, 0.256, 0.01),
    ("SV", "kernelshap", "KernelSHAP"): (0.000398, 3.3e-05, 0.000385, 3e-05),
    ("k-SII", "kernelshapiq", "KernelSHAPIQ"): (0.00314, 6.4e-05, 0.00334, 8.5e-05),
    ("FSII", "regression", "RegressionFSII"): (0.00214, 3.5e-05, 0.00246, 7.9e-05),
    ("FBII", "regression", "RegressionFBII"): (0.00226, 0.00013, 0.00224, 0.00013),
    ("k-SII", "shapiq", "SHAPIQ"): (0.00144, 2.3e-05, 0.00481, 0.0001),
    ("k-SII", "svarmiq", "SVARMIQ"): (0.00146, 2.2e-05, 0.00167, 5.1e-05),
    ("SII", "kernelshapiq", "KernelSHAPIQ"): (0.00314, 6.4e-05, 0.00334, 8.5e-05),
    ("STII", "svarmiq", "SVARMIQ"): (0.00171, 4e-05, 0.00221, 7.4e-05),
}


def main() -> None:
    path = Path(sys.argv[1])
    rows = pq.read_table(path).to_pylist()
    cell = [r for r in rows if r["game"] == "table20" and r["budget"] == 10000]

    def mse(estimator, index):
        v = np.array([r["mse"] for r in cell if r["estimator"] == estimator
                      and r["index"] == index and r["status"] == "ok"])
        return (float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)), v.size) if v.size \
            else None

    print("| index | estimator | suite MSE (+- s.e., seeds) | bench/RESULTS.md MSE (+- s.e.) "
          "| difference / s.e. |")
    print("|---|---|---|---|---|")
    for (index, method, cls), (o, ose, s, sse) in RECORDED.items():
        for est, (ref, rse) in ((f"interplay:{method}", (o, ose)), (f"shapiq:{cls}", (s, sse))):
            got = mse(est, index)
            if got is None:
                print(f"| {index} | {est} | not run (skipped or absent) | {ref:.3g} +- {rse:.2g} "
                      "| - |")
                continue
            z = (got[0] - ref) / np.hypot(got[1], rse)
            print(f"| {index} | {est} | {got[0]:.3g} +- {got[1]:.2g} ({got[2]}) | {ref:.3g} +- "
                  f"{rse:.2g} | {z:+.1f} |")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print("status:", counts, "rows:", len(rows))
    if len(sys.argv) > 2:
        for meta in sorted(Path(sys.argv[2]).glob("*/*.npz")):
            with np.load(meta) as z:
                m = json.loads(str(z["meta"]))
            print(f"ground truth {meta.parent.name} {m['index']} order {m['order']}: "
                  f"table {m['cost']['seconds_table']:.2f} s, exact {m['cost']['seconds_exact']:.2f} s")


if __name__ == "__main__":
    main()
