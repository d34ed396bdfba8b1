"""exact()'s kept work table (issue 12): repeated calls of one size reuse it instead of faulting
a fresh table in; a dirty, reused, replaced, released or concurrently wanted table never changes
a result."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import interplay
from interplay import engine

from .reference import naive_indices as R

TOL = {"rtol": 1e-10, "atol": 1e-12}


@pytest.fixture(autouse=True)
def _empty_scratch():
    engine.release_scratch()
    yield
    engine.release_scratch()


def test_a_second_call_of_one_size_reuses_the_table_and_a_dirty_table_is_harmless(backend):
    n, k = 8, 2
    v = np.random.default_rng(8).normal(size=1 << n)
    ref = R.as_array(R.oracle("SII", v, n, k), n, k)
    first = interplay.exact(v, "SII", k, backend=backend).values
    assert len(engine._scratch) == 1
    kept = engine._scratch[0]
    assert kept.size == 1 << n and kept.dtype == np.float64
    kept[:] = np.nan  # whatever a previous call left there
    second = interplay.exact(v, "SII", k, backend=backend).values
    assert engine._scratch[0] is kept  # taken and given back, not a new table
    np.testing.assert_allclose(first, ref, **TOL)
    np.testing.assert_array_equal(second, first)


@pytest.mark.parametrize("name", ["FSII", "SGV", "Co-Moebius"])
def test_other_sizes_and_indices_replace_the_kept_table(name):
    rng = np.random.default_rng(3)
    for n, d in ((6, None), (7, None), (6, 2), (7, None)):
        v = rng.normal(size=(1 << n,) if d is None else (1 << n, d))
        engine._scratch[:] = [np.full(v.size, np.inf)] if engine._scratch else []
        res = interplay.exact(v, name, 2)
        cols = [v] if d is None else [v[:, j] for j in range(d)]
        ref = np.stack([R.as_array(R.oracle(name, c, n, 2), n, 2) for c in cols], axis=-1)
        np.testing.assert_allclose(res.values.reshape(ref.shape), ref, **TOL)
        assert engine._scratch[0].size == v.size


def test_in_place_calls_and_tables_above_the_limit_are_not_kept(monkeypatch):
    v = np.random.default_rng(1).normal(size=1 << 9)
    expected = interplay.exact(v, "SII", 2).values
    engine.release_scratch()
    w = v.copy()
    np.testing.assert_array_equal(interplay.exact(w, "SII", 2, overwrite_values=True).values,
                                  expected)
    assert engine._scratch == []  # the caller's array was the work table
    monkeypatch.setattr(engine, "SCRATCH_MAX_BYTES", 8 * (1 << 9) - 8)
    np.testing.assert_array_equal(interplay.exact(v, "SII", 2).values, expected)
    assert engine._scratch == []
    monkeypatch.setattr(engine, "SCRATCH_MAX_BYTES", 8 * (1 << 9))
    interplay.exact(v, "SII", 2)
    assert engine.release_scratch() == 8 * (1 << 9)
    assert engine._scratch == [] and engine.release_scratch() == 0


def test_a_failed_call_gives_the_table_back_and_the_next_call_is_right(monkeypatch):
    v = np.random.default_rng(2).normal(size=1 << 8)
    expected = interplay.exact(v, "FBII", 2).values
    kept = engine._scratch[0]

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    real = engine._transform
    monkeypatch.setattr(engine, "_transform", boom)
    with pytest.raises(KeyboardInterrupt):
        interplay.exact(v, "FBII", 2)
    assert engine._scratch == [kept]
    monkeypatch.setattr(engine, "_transform", real)
    np.testing.assert_array_equal(interplay.exact(v, "FBII", 2).values, expected)


def test_concurrent_calls_in_threads_each_get_their_own_table():
    """Eight threads, one size (n = 16): a table is taken out of the store while in use, so no two calls
    transform into the same memory (results equal to sequential calls, bit for bit)."""
    n = 16
    rng = np.random.default_rng(12)
    games = [rng.normal(size=1 << n) for _ in range(16)]
    expected = [interplay.exact(g, "SII", 2).values for g in games]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(4):
            got = list(pool.map(lambda g: interplay.exact(g, "SII", 2).values, games))
            for a, b in zip(got, expected):
                np.testing.assert_array_equal(a, b)
    assert len(engine._scratch) == 1
