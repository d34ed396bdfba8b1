"""interplay.exact: every index x order x backend against the brute-force textbook formulas,
known-answer games, vector-valued games, determinism and bad input."""

from math import comb

import numpy as np
import pytest

import interplay
from interplay import indices as ix
from interplay.backends import core
from interplay.backends.reference import exact as exact_reference
from interplay.games import AdditiveGame, SumOfUnanimityGames, SymmetricGame, evaluate_all

from .reference import naive_indices as R

TOL = dict(rtol=1e-10, atol=1e-10)
# FSII against the exact KKT solution: 1e-9 (the oracle's own linear solve is the looser side)
TOL_FOR = {"FSII": dict(rtol=1e-9, atol=1e-9), "FBII": dict(rtol=1e-9, atol=1e-9),
           "FWBII": dict(rtol=1e-9, atol=1e-9)}
VALUES = ["SV", "BV", "WBV"]
INTERACTIONS = ["SII", "BII", "WBII", "CHII", "k-SII", "STII", "FSII", "FBII", "FWBII",
                "Moebius", "Co-Moebius"]


def _cases():
    for name in VALUES:
        yield name, 1
    for name in INTERACTIONS:
        for k in (1, 2, 3, 5):
            yield name, k


@pytest.fixture(scope="module")
def game6():
    rng = np.random.default_rng(7)
    v = rng.normal(size=1 << 6)
    v[0] = 0.4
    return v


@pytest.fixture(scope="module")
def oracle_cache():
    return {}


@pytest.mark.parametrize("name,k", list(_cases()))
def test_every_index_order_backend_matches_brute_force(backend, name, k, game6, oracle_cache):
    n = 6
    key = (name, k)
    if key not in oracle_cache:
        oracle_cache[key] = R.as_array(R.oracle(name, game6, n, k, p=0.3), n, k)
    res = interplay.exact(game6, name, k, p=0.3, backend=backend)
    assert res.n_players == n and res.max_order == k and res.min_order == 0
    np.testing.assert_array_equal(res.sets, np.array(R.sets_upto(n, k), dtype=np.uint64))
    np.testing.assert_allclose(res.values, oracle_cache[key], **TOL_FOR.get(name, TOL))


@pytest.mark.parametrize("name", ["SII", "k-SII", "STII", "FSII", "FBII", "BII", "Co-Moebius"])
@pytest.mark.parametrize("backend", ["cpp", "numba"], indirect=True)
def test_n10_against_brute_force_cpp_and_numba(name, backend):
    n, k = 10, 2
    rng = np.random.default_rng(10)
    v = rng.normal(size=1 << n)
    ref = R.as_array(R.oracle(name, v, n, k), n, k)
    res = interplay.exact(v, name, k, backend=backend)
    np.testing.assert_allclose(res.values, ref, **TOL_FOR.get(name, TOL))


@pytest.mark.parametrize("method", ["fused", "per_order"])
@pytest.mark.parametrize("d", [None, 3])
@pytest.mark.parametrize("backend", ["cpp"], indirect=True)
def test_cpp_methods_agree_with_reference(method, d, backend, rng):
    n = 11
    v = rng.normal(size=(1 << n,) if d is None else (1 << n, d))
    m = interplay.transforms.moebius(v)
    for idx in [ix.SII(2), ix.FSII(3), ix.STII(4), ix.KSII(2), ix.CoMoebius(3), ix.SV(), ix.FWBII(0.2, 3)]:
        w = idx.moebius_weights(n)
        k = w.shape[0] - 1
        rows = sum(comb(n, s) for s in range(k + 1))
        for min_order in (0, 1):
            out_shape = (rows - (1 if min_order else 0),) + (() if d is None else (d,))
            ref = np.empty(out_shape)
            exact_reference.weighted_superset(m, w, min_order, method, ref)
            got = np.empty(out_shape)
            core().exact.weighted_superset(m, w, min_order, method, got)
            np.testing.assert_allclose(got, ref, **TOL)


# ------------------------------------------------------------------ known answers
def test_sum_of_unanimity_games_closed_form():
    n = 9
    game = SumOfUnanimityGames.random(n, 12, min_size=1, max_size=5, seed=3)
    v = evaluate_all(game, n)
    for idx in [ix.SII(2), ix.BII(3), ix.STII(2), ix.FSII(2), ix.FBII(2), ix.KSII(3), ix.CHII(2)]:
        res = interplay.exact(v, idx)
        w = idx.moebius_weights(n)
        sets, expect = game.superset_sum(lambda s, t: w[s, t], 0, idx.order)
        np.testing.assert_array_equal(res.sets, sets)
        np.testing.assert_allclose(res.values[1:], expect[1:], **TOL)  # empty entry: conventions
    res = interplay.exact(v, "Moebius")
    mob = game.moebius()
    for players, m in mob.items():
        assert res[players] == pytest.approx(m, abs=1e-10)
    assert np.count_nonzero(np.abs(res.values) > 1e-10) <= len(mob)


def test_unanimity_game_shapley_and_banzhaf():
    n = 7
    v = np.zeros(1 << n)
    S = 0b0010110  # players 1, 2, 4
    for T in range(1 << n):
        v[T] = 1.0 if T & S == S else 0.0
    sv = interplay.exact(v, "SV")
    bv = interplay.exact(v, "BV")
    for i in range(n):
        inside = bool(S >> i & 1)
        assert sv[(i,)] == pytest.approx(1 / 3 if inside else 0.0, abs=1e-12)
        assert bv[(i,)] == pytest.approx(0.25 if inside else 0.0, abs=1e-12)
    sii = interplay.exact(v, "SII", 3)
    assert sii[(1, 2, 4)] == pytest.approx(1.0)
    assert sii[(1, 2)] == pytest.approx(0.5)


def test_additive_game_has_no_interactions(rng):
    n = 8
    w = rng.normal(size=n)
    game = AdditiveGame(w, baseline=0.3)
    v = evaluate_all(game, n)
    for name in ["SII", "BII", "k-SII", "STII", "FSII", "FBII", "CHII"]:
        res = interplay.exact(v, name, 3)
        np.testing.assert_allclose(res.to_dense(1), w, atol=1e-12)
        assert np.abs(res.values[res.sizes >= 2]).max() < 1e-12


def test_symmetric_game_and_dummy_player():
    n = 6
    f = np.array([0.0, 1.0, 3.0, 2.0, 5.0, 4.0, 9.0])
    game = SymmetricGame(n, f)
    v = evaluate_all(game, n)
    sv = interplay.exact(v, "SV")
    np.testing.assert_allclose(sv.values[1:], (f[-1] - f[0]) / n, atol=1e-12)
    # dummy: a player that never changes the value gets 0 in every index
    rng = np.random.default_rng(0)
    base = rng.normal(size=1 << (n - 1))
    v2 = np.repeat(base, 2)  # player 0 is a dummy
    for name in ["SV", "BV", "SII", "STII", "k-SII", "FSII", "FBII"]:
        res = interplay.exact(v2, name)
        for row, players in enumerate(res):
            if 0 in players:
                assert abs(res.values[row]) < 1e-12, (name, players)


def test_efficiency_and_docstring_example():
    rng = np.random.default_rng(5)
    v = rng.normal(size=1 << 8)
    for name in ["k-SII", "STII", "FSII"]:
        res = interplay.exact(v, name, 3)
        assert res.values.sum() == pytest.approx(v[-1], abs=1e-10)  # empty entry = v(empty)
    sv = interplay.exact(v, "SV")
    assert sv.values[1:].sum() == pytest.approx(v[-1] - v[0], abs=1e-12)
    res = interplay.exact(np.array([0.0, 1.0, 1.0, 3.0]), "SII", 2)
    assert res[(0, 1)] == 1.0 and res[(0,)] == 1.5


# ------------------------------------------------------------------ vector-valued games
def test_vector_valued_equals_d_scalar_runs(backend, rng):
    n, d = 9, 4
    v = rng.normal(size=(1 << n, d))
    for idx in [ix.SV(), ix.SII(2), ix.FSII(3), ix.FBII(2), ix.Moebius(3), ix.CoMoebius(2)]:
        res = interplay.exact(v, idx, backend=backend)
        assert res.values.shape == (len(res), d)
        for j in range(d):
            one = interplay.exact(v[:, j], idx, backend=backend)
            np.testing.assert_allclose(res.values[:, j], one.values, **TOL)
            assert np.asarray(res.baseline_value)[j] == pytest.approx(one.baseline_value)


# ------------------------------------------------------------------ conventions
def test_orders_defaults_names_and_baselines(game6):
    v = game6
    assert interplay.exact(v, "Moebius").max_order == 6
    assert interplay.exact(v, "Co-Moebius").max_order == 6
    assert interplay.exact(v, "SV").max_order == 1
    assert interplay.exact(v, "SII").max_order == 2
    assert interplay.exact(v, "SII", 1).index == "SV"
    assert interplay.exact(v, "FBII", 1).index == "BV"
    assert interplay.exact(v, "WBII", 2, p=0.3).index == "WBII"
    fb = interplay.exact(v, "FBII", 2)
    assert fb.baseline_value == fb[()]
    assert interplay.exact(v, "SII", 2).baseline_value == v[0]
    assert interplay.exact(v, "BV")[()] == pytest.approx(v.mean())
    assert interplay.exact(v, ix.SII(order=3)).max_order == 3
    assert interplay.exact(v, ix.SII(order=3), 2).max_order == 2


def test_determinism(rng):
    v = rng.normal(size=1 << 15)
    for name in ["SII", "FSII", "Moebius"]:
        a = interplay.exact(v, name, 2)
        b = interplay.exact(v, name, 2)
        np.testing.assert_array_equal(a.values, b.values)


# ------------------------------------------------------------------ bad input
def test_bad_values():
    with pytest.raises(ValueError, match="values.*power-of-two"):
        interplay.exact(np.zeros(6), "SV")
    with pytest.raises(ValueError, match="values.*shape"):
        interplay.exact(np.zeros((4, 2, 2)), "SV")
    with pytest.raises(ValueError, match="values.*d must be"):
        interplay.exact(np.zeros((4, 0)), "SV")
    with pytest.raises(ValueError, match="values.*NaN"):
        interplay.exact(np.array([0.0, np.nan, 1.0, 2.0]), "SV")
    with pytest.raises(ValueError, match="values.*non-finite"):
        interplay.exact(np.array([0.0, np.inf, 1.0, 2.0]), "SV")
    with pytest.raises(TypeError, match="values"):
        interplay.exact(np.array(["a", "b"]), "SV")
    with pytest.raises(TypeError, match="values"):
        interplay.exact(np.zeros(4, dtype=complex), "SV")
    with pytest.raises(TypeError, match="values"):
        interplay.exact([object(), object()], "SV")


def test_bad_index_order_p_backend():
    v = np.zeros(16)
    with pytest.raises(ValueError, match="index must be one of"):
        interplay.exact(v, "Shapley")
    with pytest.raises(TypeError, match="index"):
        interplay.exact(v, 3)
    with pytest.raises(ValueError, match="max_order"):
        interplay.exact(v, "SII", 5)
    with pytest.raises(ValueError, match="max_order"):
        interplay.exact(v, "SII", 0)
    with pytest.raises(TypeError, match="max_order"):
        interplay.exact(v, "SII", 2.5)
    with pytest.raises(ValueError, match="max_order"):
        interplay.exact(v, "SV", 2)
    for bad in (0.0, 1.0, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p"):
            interplay.exact(v, "WBII", 2, p=bad)
    with pytest.raises(TypeError, match="p"):
        interplay.exact(v, "FWBII", 2, p="half")
    with pytest.raises(ValueError, match="backend"):
        interplay.exact(v, "SV", backend="tpu")
    with pytest.raises(ValueError, match="max_order"):
        interplay.exact(np.zeros(1), "SV")


def test_memory_refusal_states_bytes(monkeypatch):
    from interplay import _validation

    from interplay import engine

    monkeypatch.setattr(_validation, "available_memory", lambda: 1000)
    monkeypatch.setattr(engine, "_CHECK_MEMORY_FROM", 0)
    with pytest.raises(ValueError, match=r"values: exact SII of order 2 for n = 8 needs .*\(\d+ bytes\)"):
        interplay.exact(np.zeros(256), "SII", 2)


def test_too_many_players_refused_before_allocating():
    # a read-only view of 2^31 rows costs no memory: broadcast a scalar
    big = np.broadcast_to(np.zeros(1), (1 << 31,))
    with pytest.raises(ValueError, match="at most 30"):
        interplay.exact(big, "SV")


def test_overwrite_values_gives_the_same_result_and_leaves_moebius(rng):
    v = rng.normal(size=(1 << 9, 2))
    ref = interplay.exact(v, "SII", 2)
    w = v.copy()
    res = interplay.exact(w, "SII", 2, overwrite_values=True)
    np.testing.assert_array_equal(res.values, ref.values)
    np.testing.assert_array_equal(res.baseline_value, ref.baseline_value)
    np.testing.assert_allclose(w, interplay.transforms.moebius(v), **TOL)
    # a read-only or converted input is never overwritten
    ro = v.copy()
    ro.setflags(write=False)
    interplay.exact(ro, "SII", 2, overwrite_values=True)
    np.testing.assert_array_equal(ro, v)
    f32 = v.astype(np.float32)
    keep = f32.copy()
    interplay.exact(f32, "SV", overwrite_values=True)
    np.testing.assert_array_equal(f32, keep)
