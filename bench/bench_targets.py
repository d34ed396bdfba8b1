"""Many targets at once (issue 6, item 2): a game with d outputs explained in one pass.

n = 14, order 2, d = 256: one vector-valued call of interplay.exact against d scalar calls on
the same table, results asserted equal. shapiq's unreleased JAX branch cannot be installed here;
its figure (0.12 ms per target at n = 14, T = 256, SII order 2, float32) comes from
../shared/reference/shapiq_next.md section 3.1 and is quoted beside ours in bench/RESULTS.md.

Run: python -m pytest bench/bench_targets.py --benchmark-group-by=param:index
"""

import numpy as np
import pytest

import interplay

N, D, ORDER = 14, 256, 2
INDICES = ["SII", "k-SII", "STII", "FSII", "FBII", "BII"]


@pytest.fixture(scope="module")
def table():
    return np.random.default_rng(0).normal(size=(1 << N, D))


@pytest.fixture(scope="module")
def columns(table):
    return [np.ascontiguousarray(table[:, j]) for j in range(D)]


@pytest.mark.parametrize("index", INDICES)
def test_vector_valued_one_pass(benchmark, table, columns, index):
    benchmark.extra_info.update(n=N, d=D, order=ORDER, mode="one vector-valued call")
    res = benchmark(interplay.exact, table, index, ORDER)
    assert res.values.shape[1] == D
    for j in (0, D // 2, D - 1):
        single = interplay.exact(columns[j], index, ORDER)
        np.testing.assert_allclose(res.values[:, j], single.values, rtol=1e-10, atol=1e-10)
    _record_per_target(benchmark)


@pytest.mark.parametrize("index", INDICES)
def test_d_separate_calls(benchmark, table, columns, index):
    benchmark.extra_info.update(n=N, d=D, order=ORDER, mode="d scalar calls")

    def run():
        return [interplay.exact(c, index, ORDER).values for c in columns]

    out = benchmark.pedantic(run, rounds=3, iterations=1)
    vector = interplay.exact(table, index, ORDER).values
    np.testing.assert_allclose(np.stack(out, axis=1), vector, rtol=1e-10, atol=1e-10)
    _record_per_target(benchmark)


def _record_per_target(benchmark):
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None under --benchmark-disable (smoke runs)
        benchmark.extra_info["ms_per_target"] = stats.stats.min / D * 1e3
