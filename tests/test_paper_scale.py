"""Paper-scale systems at a size CI affords (issue 12): the paths FIxLIP's ViT-B/16 setting takes
(196 + 4 players, FWBII order 2) with their large-system switches forced on small inputs.

* union-rank tables above UNION_CACHE_BYTES are built by blocks of rows and not kept;
* grid-mode group Grams are factorised in their own memory (no copy), one replicate at a time;
* joint regression systems above EXACT_PINV_MAX terms are factorised in place;

each must give the same bits as the default path, and the memory plan must bound what the
estimate allocates (numpy's allocations, traced by tracemalloc) within 20%.
"""

import tracemalloc

import numpy as np
import pytest

import interplay
from interplay.estimators import _kernels
from interplay.estimators._grid import clear_design_cache, grid_min_budget
from interplay.games import SumOfUnanimityGames


def _game(n, seed):
    return SumOfUnanimityGames.random(n, 40, max_size=3, seed=seed)


def _fit(case):
    if case == "grid":  # 40 + 4 players: group A's Gram has 821 terms
        na, nb = 40, 4
        budget = grid_min_budget(na, nb, 2)
        return interplay.approximate(_game(na + nb, 1), na + nb, "FWBII", budget, max_order=2,
                                     seed=3, player_groups=(na, nb))
    # joint: n = 50, 1276 terms > EXACT_PINV_MAX (the in-place large-system factorisation)
    return interplay.approximate(_game(50, 2), 50, "FWBII", 2600, max_order=2, seed=4,
                                 method="regression")


@pytest.mark.parametrize("case", ["grid", "joint"])
def test_large_system_path_gives_the_same_bits(case, monkeypatch):
    clear_design_cache()
    _kernels._UNION_CACHE.clear()
    base = _fit(case)
    assert base.info["solver"] in ("cholesky per group", "cholesky+ridge")
    # every union table "large": built by blocks of ~1000 pairs, never cached
    monkeypatch.setattr(_kernels, "UNION_CACHE_BYTES", 0)
    monkeypatch.setattr(_kernels, "UNION_BLOCK_PAIRS", 1000)
    _kernels._UNION_CACHE.clear()
    clear_design_cache()
    big = _fit(case)
    assert not _kernels._UNION_CACHE
    np.testing.assert_array_equal(big.values, base.values)
    np.testing.assert_array_equal(big.stderr, base.stderr)


def test_union_ranks_by_blocks_equal_the_pairwise_table(monkeypatch):
    from interplay import sets as bits

    for n, k, lo in [(9, 2, 0), (12, 3, 1), (40, 1, 0)]:
        b = bits.enumerate_sets(n, lo, k)
        want = _kernels.set_ranks((b[:, None, :] | b[None, :, :]).reshape(-1, b.shape[1]), n,
                                  2 * k).reshape(b.shape[0], b.shape[0])
        monkeypatch.setattr(_kernels, "UNION_BLOCK_PAIRS", 7)  # blocks of one row, ragged
        _kernels._UNION_CACHE.clear()
        got = _kernels.union_ranks(n, k, lo)
        assert got.dtype == np.int32 and not got.flags.writeable
        np.testing.assert_array_equal(got, want)
        assert _kernels.union_table_bytes(n, k, lo) == got.nbytes


@pytest.mark.parametrize("case", ["grid", "joint"])
def test_memory_plan_bounds_what_the_estimate_allocates(case, monkeypatch):
    """Peak of numpy's allocations during the fit (tracemalloc) against result.info's
    plan_bytes: the plan within 20% above or below (the per-term and per-cell parts are
    large against the fixed ones at these sizes, as at paper scale)."""
    monkeypatch.setattr(_kernels, "UNION_CACHE_BYTES", 0)  # tables are the caller's
    _kernels._UNION_CACHE.clear()
    clear_design_cache()
    tracemalloc.start()
    try:
        res = _fit(case)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    plan = res.info["plan_bytes"]
    assert res.info["identifiable"]
    assert 0.8 * peak <= plan <= 1.2 * peak, (plan, peak)
