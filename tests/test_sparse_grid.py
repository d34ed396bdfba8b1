"""method="sparse" in grid mode (issue 17): player_groups=(n_a, n_b), the uniform coalitions as
products of the two groups' coalitions (game.grid_values), the search's batches as joint rows;
the same sparse Moebius result (every index follows), refine, d outputs, interplay.explain on
dual encoders and bad input."""

import numpy as np
import pytest

import interplay
from interplay import sets as bits
from interplay.games import SumOfUnanimityGames, evaluate_all


def two_group_game(na, nb, terms, seed, max_size=4, d=None, cross=0.5):
    """A sum of ``terms`` distinct unanimity games of orders 1..max_size over na + nb players,
    about ``cross`` of them across the two groups; coefficients +-U(0.5, 2) (no two of them
    cancel: the noise-free search drops a node whose terms sum to 0)."""
    rng = np.random.default_rng(seed)
    n = na + nb
    inter, seen = [], set()
    while len(inter) < terms:
        t = int(rng.integers(1, max_size + 1))
        if t >= 2 and rng.random() < cross:
            k = int(rng.integers(1, t))
            s = rng.choice(na, size=min(k, na), replace=False).tolist() + (
                na + rng.choice(nb, size=min(t - k, nb), replace=False)).tolist()
        else:
            s = rng.choice(n, size=t, replace=False).tolist()
        s = tuple(sorted(int(p) for p in s))
        if s not in seen:
            seen.add(s)
            inter.append(s)
    shape = (terms,) if d is None else (terms, d)
    coef = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)
    base = rng.normal() if d is None else rng.normal(size=d)
    return SumOfUnanimityGames(n, inter, coef, base)


class GridGame:
    """A game with grid_values (each cell the game's value of the joint coalition), counting
    the joint rows and the grid calls it served."""

    def __init__(self, g, na):
        self.g, self.na, self.n_players = g, na, g.n_players
        self.rows = self.cells = self.grid_calls = 0
        self.rows_a, self.rows_b = set(), set()

    def _note(self, C):
        for c in np.asarray(C, dtype=bool):
            self.rows_a.add(c[: self.na].tobytes())
            self.rows_b.add(c[self.na:].tobytes())

    def __call__(self, C):
        self.rows += len(C)
        self._note(C)
        return self.g(C)

    def grid_values(self, A, B):
        self.grid_calls += 1
        self.cells += len(A) * len(B)
        C = np.concatenate([np.repeat(A, len(B), axis=0), np.tile(B, (len(A), 1))], axis=1)
        self._note(C)
        v = np.asarray(self.g(C))
        return v.reshape(len(A), len(B), *v.shape[1:])


def truth(g):
    return {tuple(int(p) for p in s): v for s, v in g.moebius().items() if s}


def moebius_dict(res):
    return {s: v for s, v in res.info["moebius"].to_dict().items() if s}


@pytest.mark.parametrize("index", ["k-SII", "FBII", "SII", "Moebius"])
def test_every_index_matches_exact_at_16_players(index):
    """8 + 8 players, budget 3,000 of the 65,536 coalitions: the grid estimate equals
    interplay.exact on the full table, set by set (1e-9)."""
    na = nb = 8
    g = two_group_game(na, nb, 9, seed=1)
    gg = GridGame(g, na)
    res = interplay.approximate(gg, na + nb, index, 3000, method="sparse", max_order=4, seed=2,
                                player_groups=(na, nb))
    assert gg.grid_calls >= 1 and res.budget_used <= 3000
    ex = interplay.exact(evaluate_all(g, na + nb), index, 4)
    got, want = res.to_dict(), ex.to_dict()
    for s, v in want.items():
        np.testing.assert_allclose(got.get(s, 0.0), v, rtol=0, atol=1e-9, err_msg=str(s))
    np.testing.assert_allclose(res.baseline_value, ex.baseline_value, atol=1e-9)


def test_recovers_the_terms_at_300_players_from_products():
    """200 + 100 players, 25 terms (half of them across the groups), budget 5,000: every term
    and its coefficient (closed form, 1e-9); the uniform coalitions came as one growing
    product (grid_values), so the encoder rows (distinct coalitions of each group) are far
    fewer than twice the joint coalitions; the same estimate from joint rows alone."""
    na, nb = 200, 100
    g = two_group_game(na, nb, 25, seed=3)
    gg = GridGame(g, na)
    res = interplay.approximate(gg, na + nb, "k-SII", 5000, method="sparse", seed=1,
                                player_groups=(na, nb))
    want, got = truth(g), moebius_dict(res)
    assert set(got) == set(want)
    np.testing.assert_allclose([got[s] for s in want], [want[s] for s in want], atol=1e-9)
    assert res.budget_used <= 5000 and res.info["search_complete"]
    ma, mb = res.info["grid"]
    assert ma * mb >= 1000 and 1.2 <= ma / mb <= 1.7  # sqrt of the groups' ratio, 1.41
    rows = res.info["encoder_rows"]
    assert rows["group A"] == len(gg.rows_a) and rows["group B"] == len(gg.rows_b)
    assert rows["group A"] + rows["group B"] < 0.6 * 2 * res.budget_used
    # joint rows only (a game without grid_values): the same plan, values and result
    plain = interplay.approximate(g, na + nb, "k-SII", 5000, method="sparse", seed=1,
                                  player_groups=(na, nb))
    # (the game's batch products round differently with the batch's shape: 1 ulp)
    np.testing.assert_allclose(plain.values, res.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(plain.stderr, res.stderr, rtol=0, atol=1e-12)


def test_refine_equals_one_run_and_reuses_the_evaluations():
    """interplay.refine(res, game, extra) equals a single run with the total budget (the
    promise of docs/sampled.md: bit for bit when each coalition has one value) and evaluates
    at most ``extra`` new joint coalitions."""
    na, nb = 60, 40
    g = two_group_game(na, nb, 15, seed=5)
    a = interplay.approximate(g, na + nb, "FBII", 1500, method="sparse", seed=4,
                              player_groups=(na, nb))
    one = interplay.approximate(g, na + nb, "FBII", 4000, method="sparse", seed=4,
                                player_groups=(na, nb))
    gg = GridGame(g, na)
    more = interplay.refine(a, gg, 2500)
    assert gg.rows + gg.cells <= 2500 + 4000 and len(gg.rows_a) + len(gg.rows_b) > 0
    new = more.budget_used - len({r.tobytes() for r in a.info["sampling_state"].sets})
    assert new <= 2500
    assert more.info["reused_evaluations"] == a.budget_used
    np.testing.assert_array_equal(more.words, one.words)
    np.testing.assert_allclose(more.values, one.values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(more.stderr, one.stderr, rtol=0, atol=1e-10)


def test_d_output_game():
    na, nb = 50, 30
    g = two_group_game(na, nb, 12, seed=7, d=3)
    res = interplay.approximate(GridGame(g, na), na + nb, "Moebius", 3000, method="sparse",
                                seed=1, player_groups=(na, nb))
    mo = res.info["moebius"]
    assert mo.values.shape[1] == 3 and res.values.shape == (len(res), 3)
    C = np.random.default_rng(2).random((300, na + nb)) < 0.5
    np.testing.assert_allclose(mo.as_game()(C), g(C), atol=1e-9)


def test_the_product_screen_finds_no_false_sets_on_a_low_rank_residual():
    """An unfound cross term leaves a rank-one residual on the product, m (I_a - p)(I_b - p):
    the cells' z-scores of null sets are products of two normal variables (heavy tails; the
    cell-level screen found hundreds of false sets here); the two one-way z-scores find the
    term and nothing else."""
    from interplay.estimators._sparse_grid import cross_screen

    rng = np.random.default_rng(0)
    ma, mb, na, nb = 60, 40, 80, 40
    XA, XB = rng.random((ma, na)) < 0.5, rng.random((mb, nb)) < 0.5
    ia = XA[:, [3, 7]].all(axis=1).astype(float)
    ib = XB[:, 5].astype(float)
    G = 1.5 * np.outer(ia - ia.mean(), ib - ib.mean())[:, :, None]
    assert cross_screen(XA, XB, G, cap=4) == [(3, 7, na + 5)]
    # cell-level noise: the term is still found
    G2 = G + 0.3 * rng.normal(size=G.shape)
    assert cross_screen(XA, XB, G2, cap=4) == [(3, 7, na + 5)]


def test_bad_input_one_line_errors():
    g = two_group_game(10, 10, 3, seed=0)
    cases = [
        ({"player_groups": (10, 9)}, "add up to n_players"),
        ({"player_groups": (10, 10), "basis": "crossmodal"}, "own support"),
        ({"player_groups": (10, 10), "tol": 0.1}, "tol"),
        ({"player_groups": (20,)}, "pair"),
        ({"player_groups": (0, 20)}, "player_groups"),
    ]
    for kw, match in cases:
        with pytest.raises(ValueError, match=match) as err:
            interplay.approximate(g, 20, "FBII", 500, method="sparse", **kw)
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="Moebius weights"):
        interplay.approximate(g, 20, "SGV", 500, method="sparse", player_groups=(10, 10))
    est = interplay.estimators.make_estimator(20, "FBII", 500, method="sparse",
                                              player_groups=(10, 10), seed=0)
    with pytest.raises(RuntimeError, match="tell_grid"):
        est.tell_grid(np.zeros((2, 2)))
    while not est.wants_grid():
        est.tell(g(est.next_coalitions()))
    A, B = est.next_grid()
    with pytest.raises(ValueError, match="shape"):
        est.tell_grid(np.zeros((A.shape[0] + 1, B.shape[0])))


def _sparse_dual(na, nb, seed=0):
    """A dual encoder whose embeddings are linear in the players present with few non-zero
    rows: v(S) = <W_A' x_A|S, W_B' x_B|S> (combine="dot"), a sum of the cross pairs
    m({i, n_a + j}) = <W_A[i], W_B[j]> over the players with non-zero rows."""
    from interplay.models import DualEncoderGame, MaskedModel, TabularMasker

    rng = np.random.default_rng(seed)
    WA, WB = np.zeros((na, 8)), np.zeros((nb, 8))
    WA[rng.choice(na, 3, replace=False)] = rng.normal(size=(3, 8))
    WB[rng.choice(nb, 2, replace=False)] = rng.normal(size=(2, 8))

    def enc(W):
        return MaskedModel(lambda x: np.asarray(x, dtype=np.float64) @ W,
                           TabularMasker(np.zeros(W.shape[0])), numpy=True)

    game = DualEncoderGame(enc(WA), np.ones(na), enc(WB), np.ones(nb), combine="dot",
                           names=["image", "text"])
    want = {(i, na + j): float(WA[i] @ WB[j]) for i in np.flatnonzero(WA.any(axis=1))
            for j in np.flatnonzero(WB.any(axis=1))}
    return game, want


def test_explain_on_a_dual_encoder_uses_the_grid_and_recovers_the_pairs():
    """interplay.explain(None, [dual encoder], method="sparse"): the scheduler evaluates the
    products with grid_values (encoder rows far below twice the joint coalitions) and the
    result is the closed form (six cross pairs) and the direct approximate's, bit for bit."""
    na, nb = 64, 32
    game, want = _sparse_dual(na, nb)
    res = interplay.explain(None, [game], index="Moebius", max_order=3, budget=2500,
                            method="sparse", seed=1)[0]
    got = moebius_dict(res)
    assert set(got) == set(want)
    np.testing.assert_allclose([got[s] for s in want], [want[s] for s in want], atol=1e-9)
    stats = interplay.models.api.scheduler_stats([game])
    assert stats["rows_evaluated"] < 0.6 * 2 * res.budget_used
    game2, _ = _sparse_dual(na, nb)
    direct = interplay.approximate(game2, na + nb, "Moebius", 2500, max_order=3,
                                   method="sparse", seed=1, player_groups=(na, nb))
    np.testing.assert_array_equal(direct.values, res.values)
    # grid=False: joint rows, the same plan and result
    game3, _ = _sparse_dual(na, nb)
    rows = interplay.explain(None, [game3], index="Moebius", max_order=3, budget=2500,
                             method="sparse", seed=1, grid=False)[0]
    assert set(moebius_dict(rows)) == set(want)


def test_words_of_a_product_cover_every_coalition_when_the_budget_does():
    """n <= 20 and budget >= 2^n: every coalition, as the product of every coalition of each
    group (one grid call), and interplay.exact's result."""
    na, nb = 5, 4
    g = two_group_game(na, nb, 5, seed=2)
    gg = GridGame(g, na)
    res = interplay.approximate(gg, 9, "SII", 512, method="sparse", max_order=3, seed=0,
                                player_groups=(na, nb))
    assert gg.grid_calls == 1 and gg.cells == 512 and gg.rows == 0
    ex = interplay.exact(evaluate_all(g, 9), "SII", 3)
    np.testing.assert_allclose(res.values, ex.values, atol=1e-12)
    assert not res.estimated and bits.n_words(9) == 1


def _hash_normal(W):
    """A fixed N(0, 1) value per row of words (the same coalition, the same value)."""
    key = np.zeros(W.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for w in range(W.shape[1]):
            key = (key ^ W[:, w]) * np.uint64(0x9E3779B97F4A7C15)
            key ^= key >> np.uint64(29)
    return np.array([np.random.default_rng(int(k)).normal() for k in key])


def test_standard_errors_cover_with_noise_shared_by_a_group_coalition():
    """Dense noise whose variance is 80% a value of the A coalition alone (shared by every cell
    of a row of the product) and 20% per joint coalition: the 95% intervals of the recovered
    true coefficients cover about 95% over 8 seeds (the refit's s^2 (X'X)^-1 alone covered 0.71,
    rms z 3.7; with the two-way cluster-robust widening 0.96, rms z 0.86, at 12 seeds)."""
    na, nb = 60, 40
    g = two_group_game(na, nb, 12, seed=8, max_size=3)

    def game(C):
        C = np.asarray(C, dtype=bool)
        row = _hash_normal(bits.from_coalitions(C[:, :na]) + np.uint64(7))
        cell = _hash_normal(bits.from_coalitions(C))
        return g(C) + 0.3 * (np.sqrt(0.8) * row + np.sqrt(0.2) * cell)

    want = truth(g)
    z = []
    for seed in range(8):
        res = interplay.approximate(game, na + nb, "Moebius", 4000, method="sparse", max_order=3,
                                    seed=seed, player_groups=(na, nb))
        mo = res.info["moebius"]
        got = mo.to_dict()
        z += [abs(got[s] - v) / mo.stderr[mo.row_of(s)] for s, v in want.items() if s in got]
    assert len(z) >= 60
    assert 0.88 <= np.mean(np.array(z) <= 1.96) <= 1.0, np.mean(np.array(z) <= 1.96)
    assert np.sqrt(np.mean(np.square(z))) < 1.4
    assert "cluster" in res.info["stderr_method"]


def test_a_thin_product_is_flagged_whatever_its_residual():
    """Sums of unanimity games of 5 + 5 players at budget 112: seed 119 laid out a 2 x 22
    product whose residual was at rounding level while k-SII / FWBII were 2.1 off (coverage of
    its entries 0.24): a product with fewer than 16 coalitions of a group (or all of them) is
    flagged, whatever the residual."""
    import warnings

    from interplay import indices as ix
    from interplay.games import SumOfUnanimityGames

    g = SumOfUnanimityGames.random(10, 20, max_size=4, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = interplay.approximate(g, 10, ix.FWBII(0.5, 2), 112, seed=119, method="sparse",
                                    player_groups=(5, 5))
    assert min(res.info["grid"]) < 16
    assert res.info["identifiable"] is False
    assert res.info["model_check"]["kind"] == "thin product"
    assert any(issubclass(w.category, interplay.UnderdeterminedWarning) for w in caught)
    assert np.isinf(res.stderr[1:]).all()
