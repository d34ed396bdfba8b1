"""exact()'s kept work table (issue 12): CPU, kernel time and minor page faults per call of
``interplay.exact(v, "SII", 2)`` at n = 20, 22, 24 on one thread, with the kept table (repeated
calls of one size) and without it (``engine.release_scratch()`` before every call: a fresh
table each time, as before session 10), interleaved, medians and maxima over ``--calls``.

    PYTHONPATH=python python bench/exact_scratch.py --calls 15
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import interplay
from interplay import engine


def one(v: np.ndarray, fresh: bool) -> tuple[float, float, float, int]:
    if fresh:
        engine.release_scratch()
    r0, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    interplay.exact(v, "SII", 2)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    sys_ = r1.ru_stime - r0.ru_stime
    return wall, r1.ru_utime - r0.ru_utime + sys_, sys_, r1.ru_minflt - r0.ru_minflt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--n", type=int, nargs="+", default=[20, 22, 24])
    args = ap.parse_args()
    interplay.set_num_threads(1)
    print("| n | table | CPU ms, median (max) | kernel ms, median (max) | minor faults, median | wall ms, median |")
    print("|---|---|---|---|---|---|")
    for n in args.n:
        v = np.random.default_rng(n).normal(size=1 << n)
        interplay.exact(v, "SII", 2)
        rec = {False: [], True: []}
        for _ in range(args.calls):
            for fresh in (True, False):
                rec[fresh].append(one(v, fresh))
        for fresh in (True, False):
            w, c, s, f = (np.array(x) for x in zip(*rec[fresh]))
            print(f"| {n} | {'fresh each call' if fresh else 'kept'} | {1e3 * np.median(c):.1f} "
                  f"({1e3 * c.max():.0f}) | {1e3 * np.median(s):.1f} ({1e3 * s.max():.0f}) | "
                  f"{int(np.median(f))} | {1e3 * np.median(w):.1f} |")


if __name__ == "__main__":
    main()
