import numpy as np
import pytest

from interplay import _sets
from interplay.games import (
    AdditiveGame,
    SumOfUnanimityGames,
    SymmetricGame,
    TableGame,
    UnanimityGame,
    check_coalitions,
    check_game_output,
    evaluate_all,
)

from .reference.naive_games import moebius_naive, subsets


def test_evaluate_all_orders_by_mask():
    calls = []

    def game(c):
        calls.append(len(c))
        return c @ (2.0 ** np.arange(c.shape[1]))  # value = the mask itself

    table = evaluate_all(game, 5, batch_size=7)
    np.testing.assert_array_equal(table, np.arange(32.0))
    assert sum(calls) == 32 and max(calls) == 7


def test_table_game_lookup(rng):
    g = TableGame.random(6, seed=3)
    c = rng.random((50, 6)) < 0.5
    masks = c @ (1 << np.arange(6))
    np.testing.assert_array_equal(g(c), g.values[masks])
    assert g.n_calls == 1 and g.n_rows == 50
    vec = TableGame.random(4, d=3, seed=0)
    assert vec(np.ones((2, 4), bool)).shape == (2, 3)


@pytest.mark.parametrize("n", [3, 70])
def test_soum_values_match_explicit_sum(rng, n):
    g = SumOfUnanimityGames.random(n, 12, max_size=4, seed=5)
    c = rng.random((40, n)) < 0.6
    expected = np.full(40, float(g.baseline))
    for s, coef in zip(g.interactions, g.coefficients):
        expected += coef * c[:, list(s)].all(axis=1)
    np.testing.assert_allclose(g(c), expected, rtol=0, atol=1e-12)


def test_soum_moebius_is_the_moebius_transform():
    n = 7
    g = SumOfUnanimityGames.random(n, 9, seed=11)
    m = moebius_naive(evaluate_all(g, n))
    expected = np.zeros(1 << n)
    for s, c in g.moebius().items():
        expected[sum(1 << p for p in s)] += c
    np.testing.assert_allclose(m, expected, rtol=0, atol=1e-10)


def test_soum_superset_sum_matches_brute_force():
    n = 6
    g = SumOfUnanimityGames.random(n, 8, d=2, seed=2)
    m = moebius_naive(evaluate_all(g, n))

    def w(s, t):  # SII's Moebius weights
        return 1.0 / (t - s + 1)

    sets, values = g.superset_sum(w, 0, 3)
    for row, sset in enumerate(sets):
        s = int(sset)
        total = np.zeros(2)
        for t in range(1 << n):
            if t & s == s:
                total += w(bin(s).count("1"), bin(t).count("1")) * m[t]
        np.testing.assert_allclose(values[row], total, rtol=0, atol=1e-10)
    assert len(sets) == len(_sets.enumerate_sets(n, 0, 3))


def test_unanimity_additive_symmetric():
    u = UnanimityGame(4, [1, 3])
    c = np.array([[0, 1, 0, 1], [1, 1, 1, 0]], bool)
    np.testing.assert_array_equal(u(c), [1.0, 0.0])
    a = AdditiveGame([1.0, 2.0, 3.0], baseline=0.5)
    np.testing.assert_allclose(a(np.array([[1, 0, 1]], bool)), [4.5])
    f = np.array([0.0, 1.0, 3.0, 7.0])
    sym = SymmetricGame(3, f)
    m = moebius_naive(evaluate_all(sym, 3))
    by_size = sym.moebius_by_size()
    for mask in range(8):
        assert m[mask] == pytest.approx(by_size[bin(mask).count("1")], abs=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="coalitions must have shape"):
        check_coalitions(np.zeros((2, 3)), 4)
    with pytest.raises(ValueError, match="only 0/1"):
        check_coalitions(np.full((1, 2), 2), 2)
    with pytest.raises(TypeError, match="boolean"):
        check_coalitions(np.array([["a", "b"]]), 2)
    with pytest.raises(ValueError, match=r"shape \(3,\) or \(3, d\)"):
        check_game_output(np.zeros(2), 3)
    with pytest.raises(ValueError, match="NaN or inf"):
        check_game_output(np.array([0.0, np.nan]), 2)
    with pytest.raises(ValueError, match="power-of-two"):
        TableGame(np.zeros(6))
    with pytest.raises(ValueError, match="coefficients must have shape"):
        SumOfUnanimityGames(3, [(0,), (1,)], np.zeros(3))
    with pytest.raises(ValueError, match="values_by_size"):
        SymmetricGame(3, np.zeros(3))
    with pytest.raises(ValueError, match="player 5 out of range"):
        SumOfUnanimityGames(3, [(5,)], np.ones(1))


def test_subsets_helper():
    assert sorted(subsets(0b101)) == [0, 1, 4, 5]
