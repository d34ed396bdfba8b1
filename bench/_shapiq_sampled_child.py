"""Runs inside the Python 3.12 venv holding shapiq 1.8.0 (bench/bench_sampled.py starts it).

Reads one JSON line: {"game": {...}, "n_players": n, "runs": [{"cls", "kwargs", "budget",
"seed", "sets"}, ...]} and writes one JSON line per run: seconds_total, seconds_in_game and the
estimated values for the requested sets. The games are rebuilt here exactly as in the parent:
  table: values = numpy.random.default_rng(seed).normal(size=2**n), v(T) = values[mask(T)]
  hash : v(T) = SplitMix64(mask(T)) / 2^64 (a lookup table too large to store, n = 60)
  soum : v(T) = baseline + sum_k c_k [S_k subset T]
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def make_game(spec, n):
    kind = spec["kind"]
    pw = (np.uint64(1) << np.arange(n, dtype=np.uint64))
    if kind == "table":
        values = np.random.default_rng(spec["seed"]).normal(size=1 << n)
        return lambda C: values[(C.astype(np.uint64) * pw).sum(axis=1).astype(np.int64)]
    if kind == "hash":
        def h(C):
            z = (C.astype(np.uint64) * pw).sum(axis=1)
            with np.errstate(over="ignore"):
                z = z + np.uint64(0x9E3779B97F4A7C15)
                z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
                z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
                z = z ^ (z >> np.uint64(31))
            return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53
        return h
    if kind == "soum":
        basis = np.zeros((len(spec["sets"]), n), dtype=bool)
        for i, s in enumerate(spec["sets"]):
            basis[i, s] = True
        coef = np.asarray(spec["coef"], dtype=np.float64)
        base = float(spec["baseline"])

        def soum(C):
            C = np.asarray(C, dtype=bool)
            hit = (~(basis[None, :, :] & ~C[:, None, :])).all(axis=2)
            return hit.astype(np.float64) @ coef + base
        return soum
    raise ValueError(kind)


def main() -> None:
    cfg = json.loads(sys.stdin.readline())
    import shapiq  # noqa: PLC0415
    from shapiq import approximator as A  # noqa: PLC0415

    n = cfg["n_players"]
    inner = make_game(cfg["game"], n)
    for run in cfg["runs"]:
        spent = [0.0, 0.0]

        def game(C):
            t, c = time.perf_counter(), time.process_time()
            v = inner(np.atleast_2d(np.asarray(C, dtype=bool)))
            spent[0] += time.perf_counter() - t
            spent[1] += time.process_time() - c
            return v

        cls = getattr(A, run["cls"])
        best, outside = None, []
        for _ in range(int(run.get("repeat", 1))):  # the fastest of `repeat` runs (warm)
            spent[0] = spent[1] = 0.0
            approx = cls(n, random_state=run["seed"], **run["kwargs"])
            t0, c0 = time.perf_counter(), time.process_time()
            iv = approx.approximate(run["budget"], game)
            total, cpu = time.perf_counter() - t0, time.process_time() - c0
            rec = {"seconds_total": total, "seconds_in_game": spent[0], "cpu_total": cpu,
                   "cpu_in_game": spent[1]}
            outside.append([total - spent[0], cpu - spent[1]])  # every run: medians, spread
            if best is None or cpu - spent[1] < best["cpu_total"] - best["cpu_in_game"]:
                best = rec
            if best is rec:
                vals = [float(iv[tuple(s)]) for s in run["sets"]]
        best.update(values=vals, shapiq=shapiq.__version__, outside=outside)
        print(json.dumps(best), flush=True)


if __name__ == "__main__":
    main()
