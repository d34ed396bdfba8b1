"""Many targets at once with the sampled estimators (issue 6, item 2, sampled half).

n = 14, order 2, d = 256 outputs (a vector-valued lookup table), budget 4096 < 2^14: one pass
over the d-output game vs d separate single-output calls; CPU time outside the game per target (process_time: the machine is shared).
    OMP_NUM_THREADS=1 PYTHONPATH=python python bench/bench_sampled_doutput.py
    PYTHONPATH=python python -m pytest bench/bench_sampled_doutput.py
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import interplay
from interplay.games import TableGame

N, D, BUDGET = 14, 256, 4096
CASES = [("FSII", "regression"), ("k-SII", "kernelshapiq"), ("SII", "svarmiq"),
         ("BII", "msr"), ("SII", "permutation")]


class Timed:
    def __init__(self, fn, n):
        self.fn, self.n_players, self.seconds = fn, n, 0.0

    def __call__(self, C):
        t = time.process_time()
        v = self.fn(C)
        self.seconds += time.process_time() - t
        return v


def one_pass(game, index, method):
    g = Timed(game, N)
    t = time.process_time()
    res = interplay.approximate(g, N, index, BUDGET, method=method, seed=0)
    return time.process_time() - t - g.seconds, res


def separate(game, index, method, d):
    total, vals = 0.0, []
    for j in range(d):
        g = Timed(lambda C, j=j: game(C)[:, j], N)
        t = time.process_time()
        res = interplay.approximate(g, N, index, BUDGET, method=method, seed=0)
        total += time.process_time() - t - g.seconds
        vals.append(res.values)
    return total, np.stack(vals, axis=1)


def measure(index, method, d_separate=32):
    game = TableGame.random(N, d=D, seed=1)
    one_pass(game, index, method)  # warm caches
    t1, res = one_pass(game, index, method)
    ts, vals = separate(game, index, method, d_separate)
    np.testing.assert_allclose(res.values[:, :d_separate], vals, rtol=1e-8, atol=1e-10)
    return {"index": index, "method": method, "one_pass_ms_per_target": 1e3 * t1 / D,
            "separate_ms_per_target": 1e3 * ts / d_separate}


@pytest.mark.parametrize("index,method", CASES)
def test_doutput(benchmark, index, method):
    benchmark.group = f"sampled d-output n=14 d=256 {index} {method}"
    r = benchmark.pedantic(lambda: measure(index, method, d_separate=8), rounds=1, iterations=1)
    benchmark.extra_info.update(r)
    assert r["one_pass_ms_per_target"] < r["separate_ms_per_target"]


if __name__ == "__main__":
    print("| index | method | one pass, ms per target | separate calls, ms per target | ratio |")
    print("|---|---|---|---|---|")
    for index, method in CASES:
        r = measure(index, method)
        print(f"| {index} | {method} | {r['one_pass_ms_per_target']:.3f} | "
              f"{r['separate_ms_per_target']:.3f} | "
              f"{r['separate_ms_per_target'] / r['one_pass_ms_per_target']:.0f}x |", flush=True)
