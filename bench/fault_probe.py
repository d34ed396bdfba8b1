"""Per-call CPU outside the game and minor page faults (outside / inside the game) of the sampled
cells of bench_sampled (n = 20, budget 1e4, table and soum games), in one process.

    OMP_NUM_THREADS=1 PYTHONPATH=TREE/python:TREE/bench python bench/fault_probe.py [calls] [names...]

MALLOPT=trim,mmap (bytes) sets glibc's thresholds first (as ``import interplay`` does since
0c19953; to compare a tree without that policy). Prints the minimum and median CPU ms outside the
game over the calls after the first, and the median faults per call.
"""

import ctypes
import os
import resource
import sys
import time

import numpy as np

if os.environ.get("MALLOPT"):
    trim, mm = (int(x) for x in os.environ["MALLOPT"].split(","))
    libc = ctypes.CDLL(None)
    if mm:
        libc.mallopt(-3, mm)  # M_MMAP_THRESHOLD
    if trim:
        libc.mallopt(-1, trim)  # M_TRIM_THRESHOLD

import bench_sampled as bs
import interplay


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


class Timed:
    def __init__(self, inner, n):
        self.inner, self.n_players, self.cpu, self.flt = inner, n, 0.0, 0

    def __call__(self, C):
        c, f = time.process_time(), faults()
        v = self.inner(C)
        self.cpu += time.process_time() - c
        self.flt += faults() - f
        return v


def main(argv):
    calls = int(argv[0]) if argv else 10
    names = argv[1:] or list(bs.ESTIMATORS)
    for kind in ("table", "soum"):
        inner = bs.build_game(bs.game_spec(kind, 20), 20)
        for name in names:
            idx, meth, _, _, k = bs.ESTIMATORS[name]
            cpu, out, inside = [], [], []
            for _ in range(calls):
                g = Timed(inner, 20)
                c0, f0 = time.process_time(), faults()
                interplay.approximate(g, 20, idx, 10000, max_order=k, method=meth, seed=0)
                cpu.append(time.process_time() - c0 - g.cpu)
                out.append(faults() - f0 - g.flt)
                inside.append(g.flt)
            print(f"{kind:5} {name:16} cpu outside min {min(cpu[1:]) * 1e3:6.3f} median "
                  f"{np.median(cpu[1:]) * 1e3:6.3f} ms  faults outside {int(np.median(out[1:])):5d} "
                  f"inside {int(np.median(inside[1:])):5d}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
