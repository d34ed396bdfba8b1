"""The two n = 28 targets of issue 2, timed in wall and CPU time.

- SII order 2 from a 2^28 table (2 GiB): `interplay.exact(values, "SII", 2)`, the Moebius table
  allocated inside (as a user would call it), and with overwrite_values=True.
- In-place `interplay.transforms.moebius` of the table, as a multiple of one numpy copy of it
  (np.copyto into an already touched buffer: the memory-bandwidth floor).

Run: PYTHONPATH=python python bench/exact_n28.py   (about 1 minute, 6 GiB of memory)
"""

import time

import numpy as np

import interplay
from interplay import transforms


def timed(fn, reps=3):
    walls, cpus = [], []
    for _ in range(reps):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), float(np.median(walls))


def main():
    n = 28
    v = np.random.default_rng(0).random(1 << n)
    buf = np.empty_like(v)
    buf[:] = 1.0  # touch it
    copy_wall, copy_cpu, _ = timed(lambda: np.copyto(buf, v))
    print(f"numpy copy of 2^{n}: {copy_wall * 1e3:.0f} ms wall, {copy_cpu * 1e3:.0f} ms CPU")

    def transform_in_place():
        np.copyto(buf, v)
        transforms.moebius(buf, out=buf)

    w, c, med = timed(transform_in_place)
    w -= copy_wall  # the refill is a copy: take it out
    c -= copy_cpu
    print(f"moebius in place: {w * 1e3:.0f} ms wall (= {w / copy_wall:.1f} copies), "
          f"{c * 1e3:.0f} ms CPU")
    res = None

    def sii():
        nonlocal res
        res = interplay.exact(v, "SII", 2)

    w, c, med = timed(sii)
    print(f"SII order 2, n = {n}: {w:.2f} s wall min, {med:.2f} s median, {c:.2f} s CPU")
    sv_sum = res.values[1 : n + 1].sum()
    assert abs(sv_sum - (v[-1] - v[0])) < 1e-6  # efficiency of the order-1 SII (Shapley values)

    def sii_in_place():
        np.copyto(buf, v)
        interplay.exact(buf, "SII", 2, overwrite_values=True)

    w, c, med = timed(sii_in_place)
    print(f"SII order 2, n = {n}, overwrite_values: {w - copy_wall:.2f} s wall min (refill "
          f"excluded), {c - copy_cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
