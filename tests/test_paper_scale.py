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
    if case == "enumerated":  # 100 + 4: B enumerated, A's 16 replicate factors kept (5 MB)
        na, nb = 100, 4
        budget = grid_min_budget(na, nb, 2, basis="crossmodal")
        return interplay.approximate(_game(na + nb, 6), na + nb, "FWBII", budget, max_order=2,
                                     seed=3, player_groups=(na, nb), basis="crossmodal")
    if case == "crossmodal":  # 120 + 30 players, FIxLIP's cross-group basis: 121 x 31 terms
        na, nb = 120, 30
        budget = grid_min_budget(na, nb, 2, basis="crossmodal")
        return interplay.approximate(_game(na + nb, 5), na + nb, "FWBII", budget, max_order=2,
                                     seed=3, player_groups=(na, nb), basis="crossmodal")
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


@pytest.mark.parametrize("case", ["grid", "joint", "crossmodal", "enumerated"])
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


def test_sampling_state_packed_by_chunks(monkeypatch):
    """The grid's sampling state packs its joint coalitions by chunks (STATE_CHUNK_BYTES): the
    same words as packing the whole joint matrix at once, whatever the chunk."""
    from interplay import sets as bits
    from interplay.estimators import _grid

    game = _game(70, 7)
    res = interplay.approximate(game, 70, "FWBII", 3000, max_order=2, seed=2,
                                player_groups=(66, 4), basis="crossmodal")
    state = res.info["sampling_state"]
    monkeypatch.setattr(_grid, "STATE_CHUNK_BYTES", 64 * 2 * 7)  # 7 rows of two words
    clear_design_cache()
    small = interplay.approximate(game, 70, "FWBII", 3000, max_order=2, seed=2,
                                  player_groups=(66, 4), basis="crossmodal")
    np.testing.assert_array_equal(small.info["sampling_state"].sets, state.sets)
    np.testing.assert_array_equal(small.info["sampling_state"].values, state.values)
    C = bits.to_coalitions(state.sets, 70)
    np.testing.assert_array_equal(game(C), state.values.reshape(-1))
    assert state.sets.shape == (res.n_evaluations, 2) and len({r.tobytes() for r in state.sets}) \
        == res.n_evaluations


def _dual_game(na, nb, seed=0):
    """A dual encoder of two fixed random maps (tanh of a linear map, then linear) over
    tabular masks: a CLIP-shaped game at negligible model cost; counts its encoder rows."""
    from interplay.models import DualEncoderGame, MaskedModel, TabularMasker

    rng = np.random.default_rng(seed)
    rows = []

    def encoder(n):
        w1, w2 = rng.standard_normal((n, 16)) / np.sqrt(n), rng.standard_normal((16, 8))

        def f(x):
            rows.append(len(x))
            return np.tanh(np.asarray(x, dtype=np.float64) @ w1) @ w2
        return MaskedModel(f, TabularMasker(np.zeros(n, np.float32)), numpy=True)

    game = DualEncoderGame(encoder(na), np.ones(na, np.float32), encoder(nb),
                           np.ones(nb, np.float32), names=["image", "text"])
    return game, rows


def test_crossmodal_basis_through_explain_equals_approximate():
    """explain(..., basis="crossmodal") fits FIxLIP's restricted basis in grid mode: the empty
    set, every player and the (image, text) pairs, (1 + n_a)(1 + n_b) terms; the same numbers
    as approximate(..., player_groups, basis="crossmodal") with the same seed."""
    na, nb = 12, 5
    budget = 2 * grid_min_budget(na, nb, 2, basis="crossmodal")
    game, _ = _dual_game(na, nb)
    res = interplay.explain(None, [game], index="FWBII", budget=budget, basis="crossmodal")[0]
    ref = interplay.approximate(game, na + nb, "FWBII", budget, seed=0, player_groups=(na, nb),
                                basis="crossmodal")
    np.testing.assert_array_equal(res.values, ref.values)
    np.testing.assert_array_equal(res.stderr, ref.stderr)
    assert len(res.values) == (1 + na) * (1 + nb) and res.info["basis"] == "crossmodal"
    pairs = [s for s, _ in res.items() if len(s) == 2]
    assert len(pairs) == na * nb and all(a < na <= b for a, b in pairs)
    assert np.isfinite(res.stderr).all()


def test_max_terms_and_basis_refused_before_any_model_call():
    game, rows = _dual_game(196, 4)
    with pytest.raises(ValueError, match=r"max_terms = 5000: .* 20101 terms.*basis='crossmodal' "
                                         r"\(985 terms\)"):
        interplay.explain(None, [game], index="FWBII", max_terms=5000,
                          budget=grid_min_budget(196, 4, 2))
    with pytest.raises(ValueError, match=r"max_terms = 150: .* give max_terms >= 202"):
        interplay.approximate(game, 200, "FWBII", 4096, player_groups=(196, 4), max_terms=150,
                              basis="crossmodal")
    with pytest.raises(ValueError, match="basis must be"):
        interplay.explain(None, [game], basis="cross")
    with pytest.raises(ValueError, match="basis='crossmodal' needs player_groups"):
        interplay.approximate(game, 200, "FWBII", 4096, basis="crossmodal")
    with pytest.raises(ValueError, match="max_terms = 100: order 2 for 200 players"):
        interplay.approximate(game, 200, "FWBII", 4096, max_terms=100)
    assert rows == []


def _fill(est, game):
    while (C := est.next_coalitions()) is not None:
        est.tell(game(C))


def _screened_case():
    from interplay.estimators._grid import grid_min_budget as gmb

    na, nb = 12, 5
    game = SumOfUnanimityGames.random(na + nb, 30, max_size=3, seed=1)
    budget = 3 * gmb(na, nb, 2, basis="crossmodal")
    kw = dict(seed=3, player_groups=(na, nb), basis="crossmodal")
    return game, na, nb, budget, kw


def test_screened_crossmodal_basis_is_the_weighted_least_squares_of_its_terms():
    """max_terms below the cross-modal basis's (1 + n_a)(1 + n_b) terms: the empty set, every
    player and the pairs of the c_a x c_b players of largest |main effect| (a main-effects fit
    on the same cells first, FIxLIP's interactive approach); the values are the p-weighted
    least squares of those terms on the grid, checked against a dense solve (1e-9), and the
    chosen players are the main-effects fit's largest."""
    from interplay import sets as bits
    from interplay.estimators import make_estimator
    from interplay.estimators._grid import _weights, screen_sizes

    game, na, nb, budget, kw = _screened_case()
    M = 1 + na + nb + 8
    assert screen_sizes(na, nb, M) == (4, 2)
    res = interplay.approximate(game, na + nb, "FWBII", budget, max_terms=M, **kw)
    assert len(res.values) == M and np.isfinite(res.stderr).all()
    scr = res.info["screen"]
    main = interplay.approximate(game, na + nb, "FWBII", budget, **kw)  # main effects of ...
    est = make_estimator(na + nb, "FWBII", budget, max_order=2, **kw)
    _fill(est, game)
    me = est._on_these_values(((), ())).result()  # ... the main-effects-only fit, same cells
    assert len(me.values) == 1 + na + nb and main.info["grid"] == res.info["grid"]
    np.testing.assert_allclose(scr["main_effects"], me.values[1:], rtol=1e-12)
    order = np.argsort(-np.abs(me.values[1:]))
    assert set(scr["players_a"]) == set(order[order < na][:4].tolist())
    assert set(scr["players_b"]) == set(order[order >= na][:2].tolist())
    pairs = [s for s, _ in res.items() if len(s) == 2]
    assert sorted(pairs) == sorted((a, b) for a in scr["players_a"] for b in scr["players_b"])
    # dense weighted least squares over the grid's cells, the same terms
    CA, CB = est.coalitions_a(), est.coalitions_b()
    wa = _weights(CA.sum(axis=1), na, 0.5)[0]
    ub = _weights(CB.sum(axis=1), nb, 0.5)[0]
    X = np.concatenate([np.repeat(CA, len(CB), 0), np.tile(CB, (len(CA), 1))], axis=1)
    sets = bits.to_coalitions(res.sets.reshape(len(res.values), -1), na + nb)
    F = np.stack([X[:, s].all(axis=1) for s in sets], axis=1).astype(float)
    w = np.outer(wa, ub).ravel()
    y = game(X)
    beta = np.linalg.solve(F.T @ (w[:, None] * F), F.T @ (w * y))
    np.testing.assert_allclose(res.values, beta, rtol=1e-9, atol=1e-10)


def test_screened_path_with_every_pair_equals_the_crossmodal_fit():
    """The screened path's joint solver with every player's pairs is the Kronecker-separable
    cross-modal fit: values and jackknife standard errors equal to 1e-9."""
    from interplay.estimators import make_estimator

    game, na, nb, budget, kw = _screened_case()
    ref = interplay.approximate(game, na + nb, "FWBII", budget, **kw)
    est = make_estimator(na + nb, "FWBII", budget, max_order=2, **kw)
    _fill(est, game)
    every = est._on_these_values((np.arange(na), np.arange(nb))).result()
    assert every.info["solver"] != ref.info["solver"] == "cholesky per group"
    np.testing.assert_array_equal(every.sets, ref.sets)
    np.testing.assert_allclose(every.values, ref.values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(every.stderr, ref.stderr, rtol=1e-9, atol=1e-12)


def test_screened_basis_through_explain():
    """explain(..., basis="crossmodal", max_terms=M) screens as approximate does."""
    na, nb = 12, 5
    game, rows = _dual_game(na, nb)
    budget = 2 * grid_min_budget(na, nb, 2, basis="crossmodal")
    M = 1 + na + nb + 6
    res = interplay.explain(None, [game], index="FWBII", budget=budget, basis="crossmodal",
                            max_terms=M)[0]
    ref = interplay.approximate(game, na + nb, "FWBII", budget, seed=0, player_groups=(na, nb),
                                basis="crossmodal", max_terms=M)
    assert len(res.values) == M and res.info["screen"]["players_a"] == \
        ref.info["screen"]["players_a"]
    np.testing.assert_allclose(res.values, ref.values, rtol=1e-12)
