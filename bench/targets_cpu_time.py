"""CPU time of the many-targets benchmark (n = 14, order 2, d = 256), load-independent.

Run: OMP_NUM_THREADS=1 PYTHONPATH=python python bench/targets_cpu_time.py
Prints a markdown table: one (2^n, d) call against d scalar calls, total and per target.
"""

import time

import numpy as np

import interplay

N, D = 14, 256


def cpu_ms(fn, reps):
    best = float("inf")
    for _ in range(reps):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best * 1e3


def main():
    table = np.random.default_rng(0).normal(size=(1 << N, D))
    columns = [np.ascontiguousarray(table[:, j]) for j in range(D)]
    print("| index | one call | per target | d scalar calls | per target |")
    print("|---|---|---|---|---|")
    for index in ["SII", "k-SII", "STII", "FSII", "FBII", "BII"]:
        one = interplay.exact(table, index, 2).values
        sep = np.stack([interplay.exact(c, index, 2).values for c in columns], axis=1)
        np.testing.assert_allclose(one, sep, rtol=1e-10, atol=1e-10)
        a = cpu_ms(lambda: interplay.exact(table, index, 2), 5)
        b = cpu_ms(lambda: [interplay.exact(c, index, 2) for c in columns], 3)
        print(f"| {index} | {a:.1f} ms | {a / D:.3f} ms | {b:.1f} ms | {b / D:.3f} ms |")


if __name__ == "__main__":
    main()
