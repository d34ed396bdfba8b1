"""n = 30 (a 2^30 table, 8 GiB) through interplay.exact, in place (overwrite_values=True), and the
refusal of n = 31 before anything is allocated. Run: PYTHONPATH=python python bench/exact_n30.py"""

import time

import numpy as np

import interplay

t0 = time.perf_counter()
v = np.random.default_rng(0).random(1 << 30)
print("table", round(time.perf_counter() - t0, 1), "s", flush=True)
v0, vN = v[0], v[-1]
t0 = time.perf_counter()
res = interplay.exact(v, "SV", overwrite_values=True)
dt = time.perf_counter() - t0
err = abs(res.values[1:].sum() - (vN - v0))
print(f"SV n=30 overwrite_values: {dt:.1f} s; efficiency error {err:.2e}", flush=True)
assert err < 1e-5
try:
    interplay.exact(np.broadcast_to(np.zeros(1), (1 << 31,)), "SV")
except ValueError as exc:
    print("n=31 refused:", exc)
