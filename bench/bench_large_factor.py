#!/usr/bin/env python
# Run: PYTHONPATH=python /usr/bin/time -v python bench/bench_large_factor.py [K]  (default K = 20,101; ~6.5 GB)
"""A 20,101-term SPD system through the engine's large-system solve path (spd_solver), as in
FIxLIP's ViT-B/16 grid/joint fit (196 x 4 players, FWBII order 2). Checks it completes under the
engine's thread policy and solves correctly; prints time and peak RSS."""
import resource, sys, time
import numpy as np
import interplay
from interplay.estimators._stratified import spd_solver

K = int(sys.argv[1]) if len(sys.argv) > 1 else 20101
rng = np.random.default_rng(0)
G = rng.random((K, K))            # 3.2 GB at K = 20,101
G += G.T                          # symmetric, entries in [0, 2]
G.flat[:: K + 1] += 2.0 * K       # diagonally dominant: SPD
x = rng.standard_normal((K, 2))
b = G @ x
t0, c0 = time.perf_counter(), time.process_time()
solve, name = spd_solver(G, overwrite=True)
X = solve(b)
t1, c1 = time.perf_counter(), time.process_time()
err = float(np.max(np.abs(X - x)))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(f"K={K} method={name} wall={t1-t0:.1f}s cpu={c1-c0:.1f}s max|x-x*|={err:.2e} peak_rss={peak:.2f} GB threads={interplay.get_num_threads()}")
assert err < 1e-8, err
