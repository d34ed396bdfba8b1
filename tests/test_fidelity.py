import numpy as np
import pytest

from interplay import _sets
from interplay.metrics import ExplanationGame, fidelity, sample_coalitions
from interplay.games import SumOfUnanimityGames, TableGame, evaluate_all
from interplay.results import InteractionResult

from .reference.naive_games import moebius_naive

def _random_result(n, max_order, d, seed):
    rng = np.random.default_rng(seed)
    sets = _sets.enumerate_sets(n, 0, max_order)
    shape = (len(sets),) if d is None else (len(sets), d)
    return InteractionResult(rng.normal(size=shape), sets, n_players=n, index="Moebius",
                             max_order=max_order, min_order=0)


def _naive_implied(result, coalitions):
    """sum of e_S over held S contained in each coalition, with Python sets."""
    out = []
    for row in coalitions:
        members = set(np.flatnonzero(row).tolist())
        total = 0.0
        for r in range(len(result)):
            if set(result.players(r)) <= members:
                total = total + result.values[r]
        out.append(total)
    return np.array(out, dtype=float)


@pytest.mark.parametrize("n,max_order,d", [(6, 3, None), (6, 2, 3), (70, 2, None), (130, 1, 2)])
def test_explanation_game_matches_naive(backend, n, max_order, d):
    res = _random_result(n, max_order, d, seed=n)
    coal = np.random.default_rng(1).random((25, n)) < 0.5
    coal[0] = False
    coal[1] = True
    got = res.as_game(backend=backend)(coal)
    np.testing.assert_allclose(got, _naive_implied(res, coal), rtol=1e-12, atol=1e-12)


def test_full_moebius_reproduces_game():
    n = 7
    table = TableGame.random(n, seed=4).values
    m = moebius_naive(table)
    masks = np.arange(1 << n, dtype=np.uint64)
    order = np.lexsort((masks, _sets.popcount(masks)))
    res = InteractionResult(m[order], masks[order], n_players=n, index="Moebius", max_order=n)
    game = TableGame(table)
    all_coal = _sets.sets_to_coalitions(masks, n)
    np.testing.assert_allclose(res.as_game()(all_coal), table, rtol=0, atol=1e-10)
    fid = fidelity(res, game, 2000, weighting="shapley", seed=0)
    assert fid["r2"] == pytest.approx(1.0, abs=1e-12)
    assert fid["mse"] == pytest.approx(0.0, abs=1e-20)
    assert fid["spearman"] == pytest.approx(1.0) and fid["kendall"] == pytest.approx(1.0)


def _moebius_result(game, n, max_order):
    """Exact Moebius coefficients of `game` truncated at max_order (naive transform)."""
    m = moebius_naive(evaluate_all(game, n))
    sets = _sets.enumerate_sets(n, 0, max_order)
    return InteractionResult(m[sets.astype(np.int64)], sets, n_players=n, index="Moebius",
                             max_order=max_order)


@pytest.mark.parametrize("weighting", ["shapley", "banzhaf"])
def test_fidelity_is_one_exactly_for_k_additive_and_below_otherwise(weighting):
    n = 8
    two_add = SumOfUnanimityGames.random(n, 10, max_size=2, seed=3)
    fid = fidelity(_moebius_result(two_add, n, 2), two_add, 3000, weighting=weighting, seed=1)
    assert fid["r2"] == pytest.approx(1.0, abs=1e-12)
    richer = SumOfUnanimityGames.random(n, 10, min_size=3, max_size=5, seed=3)
    fid = fidelity(_moebius_result(richer, n, 2), richer, 3000, weighting=weighting, seed=1)
    assert fid["r2"] < 0.999
    assert fid["mse"] > 1e-6


def test_fidelity_vector_valued():
    n = 6
    g = SumOfUnanimityGames.random(n, 6, max_size=3, d=3, seed=9)
    res = _moebius_result(g, n, 3)
    fid = fidelity(res, g, 500, seed=2)
    assert fid["r2"].shape == (3,)
    np.testing.assert_allclose(fid["r2"], 1.0, atol=1e-12)
    for k in range(3):
        single = SumOfUnanimityGames(n, g.interactions, g.coefficients[:, k], g.baseline[k])
        res_k = _moebius_result(single, n, 3)
        np.testing.assert_allclose(res.as_game()(np.ones((1, n), bool))[0, k],
                                   res_k.as_game()(np.ones((1, n), bool))[0], atol=1e-12)


def test_sampling_measures():
    n = 10
    c = sample_coalitions(n, 20000, weighting="shapley", seed=5)
    sizes = c.sum(axis=1)
    assert sizes.min() >= 1 and sizes.max() <= n - 1
    t = np.arange(1, n)
    expected = (1 / (t * (n - t))) / (1 / (t * (n - t))).sum()
    observed = np.bincount(sizes, minlength=n)[1:] / len(sizes)
    np.testing.assert_allclose(observed, expected, atol=0.01)  # ~4 standard errors at 20k draws
    b = sample_coalitions(n, 20000, weighting="banzhaf", p=0.3, seed=5)
    np.testing.assert_allclose(b.mean(), 0.3, atol=0.005)
    np.testing.assert_array_equal(c, sample_coalitions(n, 20000, weighting="shapley", seed=5))


def test_bad_input():
    res = _random_result(4, 2, None, 0)
    game = TableGame.random(4, seed=0)
    with pytest.raises(ValueError, match="weighting"):
        fidelity(res, game, 10, weighting="owen")
    with pytest.raises(ValueError, match="p must lie"):
        fidelity(res, game, 10, weighting="banzhaf", p=1.0)
    with pytest.raises(ValueError, match="n_coalitions"):
        fidelity(res, game, 0)
    with pytest.raises(ValueError, match="does not match"):
        fidelity(res, TableGame.random(4, d=2, seed=0), 10)
    with pytest.raises(ValueError, match="coalitions must have shape"):
        res.as_game()(np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="backend"):
        ExplanationGame(res, backend="gpu")


@pytest.mark.parametrize("index,weighting", [("FSII", "shapley"), ("FBII", "banzhaf")])
def test_faithful_fit_of_a_2_additive_game_has_fidelity_one(index, weighting):
    import interplay

    n = 9
    two_add = SumOfUnanimityGames.random(n, 12, max_size=2, seed=21)
    res = interplay.exact(evaluate_all(two_add, n), index, 2)
    fid = fidelity(res, two_add, 4000, weighting=weighting, seed=3)
    assert fid["r2"] == pytest.approx(1.0, abs=1e-10)
    assert fid["mse"] == pytest.approx(0.0, abs=1e-18)
    # a game with interactions of order 3-5 cannot be fit exactly by order 2
    richer = SumOfUnanimityGames.random(n, 12, min_size=3, max_size=5, seed=21)
    res = interplay.exact(evaluate_all(richer, n), index, 2)
    fid = fidelity(res, richer, 4000, weighting=weighting, seed=3)
    assert 0.0 < fid["r2"] < 0.999


def test_faithful_fit_beats_truncated_moebius_on_its_measure():
    """FBII is the least-squares order-2 fit under the uniform measure: on coalitions drawn from
    that measure its error is no larger than the truncated Moebius expansion's (up to sampling
    noise, which the shared sample removes: both are evaluated on the same coalitions)."""
    import interplay

    n = 8
    g = SumOfUnanimityGames.random(n, 15, min_size=1, max_size=4, seed=5)
    table = evaluate_all(g, n)
    fbii = interplay.exact(table, "FBII", 2)
    m = moebius_naive(table)
    sets = _sets.enumerate_sets(n, 0, 2)
    trunc = InteractionResult(m[sets.astype(np.int64)], sets, n_players=n, index="Moebius",
                              max_order=2)
    all_coal = _sets.sets_to_coalitions(np.arange(1 << n, dtype=np.uint64), n)
    err_fbii = np.mean((fbii.as_game()(all_coal) - table) ** 2)
    err_trunc = np.mean((trunc.as_game()(all_coal) - table) ** 2)
    assert err_fbii <= err_trunc + 1e-12
