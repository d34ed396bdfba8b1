"""libgomp's wait before sleeping, measured on interplay.exact(SII, order 2) over 2^20 values at
2 threads: median and fastest wall and CPU ms of 9 calls (issue 12). Run with the setting in the
environment, e.g. ``GOMP_SPINCOUNT=1000 python bench/spin_exact20.py GOMP_SPINCOUNT=1000``.
"""
import sys, time, numpy as np, interplay
interplay.set_num_threads(2)
v = np.random.default_rng(20).normal(size=1 << 20)
interplay.exact(v, "SII", 2)
ws, cs = [], []
for _ in range(9):
    t, c = time.perf_counter(), time.process_time(); interplay.exact(v, "SII", 2)
    ws.append(time.perf_counter() - t); cs.append(time.process_time() - c)
ws.sort(); cs.sort()
print(sys.argv[1], "wall median %.1f min %.1f ms; CPU median %.1f min %.1f ms" % (ws[4]*1e3, ws[0]*1e3, cs[4]*1e3, cs[0]*1e3))
