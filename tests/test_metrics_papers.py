"""interplay.metrics for the multimodal papers: each metric against a case worked by hand and a
brute-force reference written from the papers' definitions (loops over subsets and players)."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pytest

import interplay
from interplay.games import SumOfUnanimityGames, evaluate_all
from interplay.metrics import (
    cross_matrix,
    greedy_cliques,
    insertion_deletion,
    intershap,
    intershap_matrix,
    multishap_aggregates,
    pointing_game,
    quadrants,
    shape_scores,
)
from interplay.results import InteractionResult


def result_from(n, values, *, index="FWBII", max_order=2, min_order=0, names=None):
    """An InteractionResult from {players tuple: value}."""
    res = InteractionResult._from_items(
        list(values.items()), {"n_players": n, "index": index, "max_order": max_order,
                               "min_order": min_order, "baseline_value": 0.0})
    res.player_names = names
    return res


# ------------------------------------------------------------------------------ InterSHAP
def brute_phi(table):
    """InterSHAP's matrix from eqs. 1-4 by sums over subsets (M modalities, table by bitmask)."""
    m = int(np.log2(len(table)))
    f = lambda s: table[sum(1 << i for i in s)]  # noqa: E731
    phi = np.zeros((m, m))
    sv = np.zeros(m)
    for i in range(m):
        rest = [j for j in range(m) if j != i]
        for k in range(m):
            for s in itertools.combinations(rest, k):
                w = factorial(k) * factorial(m - k - 1) / factorial(m)
                sv[i] += w * (f(s + (i,)) - f(s))
    for i, j in itertools.permutations(range(m), 2):
        rest = [q for q in range(m) if q not in (i, j)]
        for k in range(m - 1):
            for s in itertools.combinations(rest, k):
                w = factorial(k) * factorial(m - k - 2) / (2 * factorial(m - 1))
                phi[i, j] += w * (f(s + (i, j)) - f(s + (i,)) - f(s + (j,)) + f(s))
    for i in range(m):
        phi[i, i] = sv[i] - sum(phi[i, j] for j in range(m) if j != i)
    return phi


def brute_intershap(phis, ordered=True):
    n, m = len(phis), phis[0].shape[0]
    pairs = [(i, j) for i in range(m) for j in range(m) if i != j and (ordered or i < j)]
    big = np.abs(np.mean(phis, axis=0))
    inter = sum(big[i, j] for i, j in pairs)
    glob = inter / (inter + sum(big[i, i] for i in range(m)))
    loc = []
    for p in phis:
        a = sum(abs(p[i, j]) for i, j in pairs)
        loc.append(a / (a + sum(abs(p[i, i]) for i in range(m))))
    return glob, float(np.mean(loc)), [big[i, i] / (inter + np.trace(big)) for i in range(m)]


def test_intershap_two_modalities_by_hand():
    # v(0) = 0, v({1}) = 1, v({2}) = 2, v({1,2}) = 5: SV = (2, 3), SII_12 = 2
    # phi_12 = phi_21 = 1, phi_11 = v(1) - v(0) = 1, phi_22 = 2
    table = np.array([0.0, 1.0, 2.0, 5.0])
    phi, names = intershap_matrix(interplay.exact(table, "SII", 2))
    np.testing.assert_allclose(phi, [[1.0, 1.0], [1.0, 2.0]], atol=1e-12)
    assert names == ["0", "1"]
    out = intershap(interplay.exact(table, "SII", 2))
    assert out["intershap"] == pytest.approx(2 / 5) and out["local"] == pytest.approx(2 / 5)
    np.testing.assert_allclose(out["modality_share"], [1 / 5, 2 / 5])
    # the pip package's convention counts the pair once: 1 / (1 + 3)
    assert intershap(phi, pairs="unordered")["intershap"] == pytest.approx(1 / 4)
    # a second instance, v({1,2}) = -1: SII = -4, SV = (-1, 0), phi = [[1, -2], [-2, 2]]
    table_b = np.array([0.0, 1.0, 2.0, -1.0])
    out = intershap([interplay.exact(t, "SII", 2) for t in (table, table_b)])
    # mean phi = [[1, -0.5], [-0.5, 2]]: global 1 / (1 + 3); local (2/5 + 4/7) / 2
    assert out["intershap"] == pytest.approx(1 / 4)
    assert out["local"] == pytest.approx((2 / 5 + 4 / 7) / 2)
    np.testing.assert_allclose(out["per_instance"], [2 / 5, 4 / 7])
    same = intershap(tables=np.stack([table, table_b]))
    assert same["intershap"] == pytest.approx(1 / 4) and same["local"] == pytest.approx(out["local"])


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("index", ["SII", "k-SII"])
def test_intershap_matches_the_papers_formulas(m, index, rng):
    tables = rng.normal(size=(5, 2**m))
    phis = [brute_phi(t) for t in tables]
    for t, p in zip(tables, phis):
        np.testing.assert_allclose(intershap_matrix(interplay.exact(t, index, 2))[0], p,
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(p.sum(), t[-1] - t[0], rtol=1e-10, atol=1e-12)  # efficiency
    for ordered in (True, False):
        out = intershap([interplay.exact(t, index, 2) for t in tables],
                        pairs="ordered" if ordered else "unordered")
        glob, loc, share = brute_intershap(phis, ordered)
        assert out["intershap"] == pytest.approx(glob, rel=1e-10)
        assert out["local"] == pytest.approx(loc, rel=1e-10)
        np.testing.assert_allclose(out["modality_share"], share, rtol=1e-10)
        assert intershap(tables=tables, pairs=out["pairs"])["intershap"] == pytest.approx(glob)


def test_intershap_groups_of_players_equal_the_modality_game_when_2_additive(rng):
    """Patches and tokens grouped into modalities: for a 2-additive game the block sums of the
    player-level matrix are the modality game's InterSHAP matrix."""
    n, groups = 6, [[0, 1, 2], [3, 4], [5]]
    game = SumOfUnanimityGames.random(n, 12, max_size=2, seed=4)
    table = evaluate_all(game, n)
    mod = np.array([table[sum(sum(1 << p for p in groups[g]) for g in range(3) if mask >> g & 1)]
                    for mask in range(8)])
    want = brute_phi(mod)
    for index in ("SII", "FSII", "k-SII"):
        got, names = intershap_matrix(interplay.exact(table, index, 2), groups=groups)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    named = interplay.exact(table, "SII", 2)
    named.player_names = ["img:a", "img:b", "img:c", "txt:x", "txt:y", "aud:z"]
    got, names = intershap_matrix(named, groups="names")
    assert names == ["img", "txt", "aud"]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    got, names = intershap_matrix(named, groups={"image": ["img:a", 1, 2], "text": [3, 4, 5]})
    assert names == ["image", "text"]


def test_intershap_bad_input():
    res = interplay.exact(np.arange(8.0), "SII", 2)
    with pytest.raises(ValueError, match="pairs"):
        intershap(res, pairs="both")
    with pytest.raises(ValueError, match="explanations"):
        intershap()
    with pytest.raises(ValueError, match="result: InterSHAP"):
        intershap(interplay.exact(np.arange(8.0), "BII", 2))
    # explain's default index: the message says what to pass instead
    with pytest.raises(ValueError, match="index='FSII'.*tables="):
        intershap(interplay.exact(np.arange(8.0), "FWBII", 2, p=0.3))
    with pytest.raises(ValueError, match="tables"):
        intershap(tables=np.zeros((2, 6)))
    with pytest.raises(ValueError, match="explanations"):
        intershap(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="groups"):
        intershap(res, groups=[[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="groups"):
        intershap(res, groups="names")
    with pytest.raises(ValueError, match="output"):
        intershap(interplay.exact(np.ones((8, 2)), "SII", 2))


# ------------------------------------------------------------------------------ SHAPE
def test_shape_scores_by_hand():
    # V = (0.5, 0.6, 0.7, 0.9): phi_1 = (0.1 + 0.2) / 2, phi_2 = (0.2 + 0.3) / 2, C = 0.1
    out = shape_scores([0.5, 0.6, 0.7, 0.9], names=["image", "text"])
    np.testing.assert_allclose(out["contributions"], [0.15, 0.25], atol=1e-12)
    assert out["cooperation"] == pytest.approx(0.1) and out["cooperation_rel"] == pytest.approx(0.25)
    assert out["modalities"] == ["image", "text"]


def test_shape_scores_brute_force(rng):
    m = 4
    v = rng.uniform(size=2**m)
    out = shape_scores(v)
    perms = list(itertools.permutations(range(m)))
    want = np.zeros(m)
    for perm in perms:  # Shapley value as the mean marginal contribution over orderings
        mask = 0
        for i in perm:
            want[i] += v[mask | 1 << i] - v[mask]
            mask |= 1 << i
    np.testing.assert_allclose(out["contributions"], want / len(perms), rtol=1e-10)
    coop = v[-1] - v[0] - sum(v[1 << i] - v[0] for i in range(m))
    assert out["cooperation"] == pytest.approx(coop)


def test_shape_scores_from_a_model_by_hand():
    """XOR of the signs of two modalities; an absent modality is zeros (sign False)."""
    x1 = np.array([[1.0], [1.0], [-1.0], [-1.0]])
    x2 = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([0, 1, 1, 0])

    def model(batch):
        a, b = batch
        return ((a[:, 0] > 0) ^ (b[:, 0] > 0)).astype(np.int64)

    # full: 1.0; x1 only: preds (1,1,0,0) -> 0.5; x2 only: (1,0,1,0) -> 0.5; majority: 0.5
    out = shape_scores(model=model, data=[x1, x2], labels=y, batch_size=3)
    np.testing.assert_allclose(out["values"], [0.5, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(out["contributions"], [0.25, 0.25])
    assert out["cooperation"] == pytest.approx(0.5) and out["cooperation_rel"] == pytest.approx(1.0)
    assert out["metric"] == "accuracy"
    f1 = shape_scores(model=model, data=[x1, x2], labels=y, metric="macro_f1")
    assert f1["values"][3] == pytest.approx(1.0)


def test_shape_scores_bad_input():
    with pytest.raises(ValueError, match="performance"):
        shape_scores()
    with pytest.raises(ValueError, match="performance"):
        shape_scores([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="data"):
        shape_scores(model=lambda b: b[0], labels=[0])
    with pytest.raises(ValueError, match="labels"):
        shape_scores(model=lambda b: b[0], data=[np.zeros((2, 1))], labels=[0, 1, 1])
    with pytest.raises(ValueError, match="metric"):
        shape_scores(model=lambda b: b[0], data=[np.zeros((2, 1))], labels=[0, 1], metric="auc")
    with pytest.raises(ValueError, match="names"):
        shape_scores([0.0, 1.0], names=["a", "b"])


# ------------------------------------------------------------------------------ pointing game
def test_quadrants_are_fixlips_grids():
    # analysis/table1_pointing_game.ipynb: grid_players[7] and [8]
    g7 = {0: np.tile(range(0, 3), 3) + np.repeat(np.arange(0, 3) * 7, 3),
          1: np.tile(range(4, 7), 3) + np.repeat(np.arange(0, 3) * 7, 3),
          2: np.tile(range(0, 3), 3) + np.repeat(np.arange(0, 3) * 7, 3) + 7 * 4,
          3: np.tile(range(4, 7), 3) + np.repeat(np.arange(0, 3) * 7, 3) + 7 * 4}
    q = quadrants(7)
    for r, players in g7.items():
        assert sorted(np.flatnonzero(q == r)) == sorted(players)
    assert (q == -1).sum() == 49 - 36
    q8 = quadrants(8)
    assert sorted(np.flatnonzero(q8 == 1)) == sorted(np.tile(range(4, 8), 4) + np.repeat(np.arange(4) * 8, 4))


def test_pointing_game_by_hand():
    # 4 patches (regions 0..3), tokens 4 (names region 0) and 5 (region 3)
    vals = {(0, 4): 2.0, (1, 4): -1.0, (2, 4): 0.5, (3, 4): -0.5,
            (0, 5): 1.0, (1, 5): 0.0, (2, 5): 0.0, (3, 5): 3.0, (0,): 9.0, (4,): 9.0}
    names = ["image:patch(0,0)", "image:patch(0,1)", "image:patch(1,0)", "image:patch(1,1)",
             "text:dog", "text:cat"]
    res = result_from(6, vals, names=names)
    regions = np.append(quadrants(2), [-1, -1])
    out = pointing_game(res, regions, {4: 0, "text:cat": 3})
    # token 4: correct 2 + (1 + 0.5), wrong 0.5; token 5: correct 3, wrong 1
    assert out["mass_correct"] == pytest.approx(6.5) and out["mass_wrong"] == pytest.approx(1.5)
    assert out["mass_ratio"] == pytest.approx(6.5 / 8)
    assert out["sign_ratio"] == pytest.approx((3 / 4 + 1 / 4) / 2)
    assert out["hit_rate"] == 1.0
    assert [t["target"] for t in out["per_target"]] == ["text:dog", "text:cat"]
    mat = np.array([[2.0, 1.0], [-1.0, 0.0], [0.5, 0.0], [-0.5, 3.0]])
    same = pointing_game(mat, quadrants(2), [0, 3])
    assert same["mass_ratio"] == pytest.approx(out["mass_ratio"])
    # order 1: patch attributions (9, 0, 0, 0) for both tokens: token 4 correct 9, token 5 wrong 9
    first = pointing_game(res, regions, {4: 0, 5: 3}, order=1)
    assert first["mass_ratio"] == pytest.approx(0.5) and first["hit_rate"] == 0.5


def test_pointing_game_brute_force(rng):
    n_img, n_tok = 49, 4
    names = [f"image:patch({r},{c})" for r in range(7) for c in range(7)] + \
        [f"text:w{t}" for t in range(n_tok)]
    vals = {(i, n_img + t): float(rng.normal()) for i in range(n_img) for t in range(n_tok)}
    res = result_from(n_img + n_tok, vals, names=names)
    regions = np.append(quadrants(7), [-1] * n_tok)
    targets = {n_img + t: t for t in range(n_tok)}
    out = pointing_game(res, regions, targets)
    correct = wrong = 0.0
    for t in range(n_tok):  # FIxLIP's notebook loop
        vin = np.array([vals[(i, n_img + t)] for i in range(n_img) if regions[i] == t])
        vout = np.array([vals[(i, n_img + t)] for i in range(n_img) if regions[i] not in (t, -1)])
        correct += vin[vin > 0].sum() + np.abs(vout[vout < 0]).sum()
        wrong += vout[vout > 0].sum() + np.abs(vin[vin < 0]).sum()
    assert out["mass_ratio"] == pytest.approx(correct / (correct + wrong), rel=1e-12)


def test_pointing_game_bad_input():
    res = result_from(3, {(0, 2): 1.0, (1, 2): -1.0})
    with pytest.raises(ValueError, match="regions"):
        pointing_game(res, [0, 1], {2: 0})
    with pytest.raises(ValueError, match="regions"):
        pointing_game(res, [0.5, 1, -1], {2: 0})
    with pytest.raises(ValueError, match="targets"):
        pointing_game(res, [0, 1, -1], {2: 5})
    with pytest.raises(ValueError, match="targets"):
        pointing_game(res, [0, 1, -1], {0: 0})
    with pytest.raises(ValueError, match="order"):
        pointing_game(res, [0, 1, -1], {2: 0}, order=3)
    with pytest.raises(ValueError, match="explanation"):
        pointing_game(np.zeros((3, 1)), [0, 1], [0])


# ------------------------------------------------------------------------------ deletion curves
def test_insertion_deletion_order_1_by_hand():
    w = np.array([3.0, 1.0, 2.0])
    game = lambda c: c.astype(float) @ w  # noqa: E731
    out = insertion_deletion(w, game)
    # MIF removes 0, 2, 1: 6, 3, 1, 0; LIF removes 1, 2, 0: 6, 5, 3, 0
    np.testing.assert_allclose(out["mif"], [6, 3, 1, 0])
    np.testing.assert_allclose(out["lif"], [6, 5, 3, 0])
    np.testing.assert_allclose(out["fraction_removed"], [0, 1 / 3, 2 / 3, 1])
    assert out["aid"] == pytest.approx((0 + 2 / 6 + 2 / 6 + 0) / 4)
    res = result_from(3, {(0,): 3.0, (1,): 1.0, (2,): 2.0}, index="SV", max_order=1)
    assert insertion_deletion(res, game)["aid"] == pytest.approx(out["aid"])


def test_insertion_deletion_order_2_by_hand():
    # e_0 = 1, e_12 = 5, e_02 = -1: largest cliques {0}, {1,2}, N; smallest {1}, {0,2}, N
    res = result_from(3, {(0,): 1.0, (1,): 0.0, (2,): 0.0, (0, 1): 0.0, (0, 2): -1.0,
                          (1, 2): 5.0})
    cl = greedy_cliques(res)
    np.testing.assert_array_equal(cl["largest"], [[1, 0, 0], [0, 1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(cl["smallest"], [[0, 1, 0], [1, 0, 1], [1, 1, 1]])
    np.testing.assert_allclose(cl["largest_value"], [1, 5, 5])
    np.testing.assert_allclose(cl["smallest_value"], [0, 0, 5])
    out = insertion_deletion(res, res.as_game(), order=2)
    # MIF keeps N, {0,2}, {1}, {}: 5, 0, 0, 0; LIF keeps N, {1,2}, {0}, {}: 5, 5, 1, 0
    np.testing.assert_allclose(out["mif"], [5, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(out["lif"], [5, 5, 1, 0], atol=1e-12)
    assert out["aid"] == pytest.approx((0 + 1 + 0.2 + 0) / 4)


def fixlip_greedy(e1, e2, starts):
    """FIxLIP's get_cliques_greedy_mif_lif with dicts and Python loops (src/clique.py)."""
    n = len(e1)
    gain = lambda v, s: e1[v] + sum(e2[u, v] for u in s)  # noqa: E731
    cliques = {}
    for player in starts:
        mif, lif = [player], [player]
        vm = vl = e1[player]
        cliques.setdefault(tuple(sorted(mif)), vm)
        for _ in range(n - 1):
            rm = [q for q in range(n) if q not in mif]
            rl = [q for q in range(n) if q not in lif]
            nm = max(rm, key=lambda q: gain(q, mif))
            nl = min(rl, key=lambda q: gain(q, lif))
            vm += gain(nm, mif)
            vl += gain(nl, lif)
            mif.append(nm)
            lif.append(nl)
            cliques.setdefault(tuple(sorted(mif)), vm)
            cliques.setdefault(tuple(sorted(lif)), vl)
    big, small = np.zeros((n, n), bool), np.zeros((n, n), bool)
    for size in range(1, n + 1):
        these = {k: v for k, v in cliques.items() if len(k) == size}
        big[size - 1, list(max(these, key=these.get))] = True
        small[size - 1, list(min(these, key=these.get))] = True
    return big, small


def clique_value(e1, e2, members):
    m = list(members)
    return e1[m].sum() + sum(e2[a, b] for a, b in itertools.combinations(m, 2))


@pytest.mark.parametrize("seed", range(4))
def test_greedy_cliques_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 7
    vals = {(i,): float(rng.normal()) for i in range(n)}
    vals.update({p: float(rng.normal()) for p in itertools.combinations(range(n), 2)})
    res = result_from(n, vals)
    e1 = np.array([vals[(i,)] for i in range(n)])
    e2 = np.zeros((n, n))
    for (a, b) in itertools.combinations(range(n), 2):
        e2[a, b] = e2[b, a] = vals[(a, b)]
    cl = greedy_cliques(res)
    big, small = fixlip_greedy(e1, e2, range(n))
    np.testing.assert_array_equal(cl["largest"], big)
    np.testing.assert_array_equal(cl["smallest"], small)
    for s in range(n):
        assert cl["largest_value"][s] == pytest.approx(clique_value(e1, e2, np.flatnonzero(big[s])))
    # exhaustive search: greedy is exact for sizes 1, 2 and n, and never beyond the optimum
    for size in range(1, n + 1):
        every = [clique_value(e1, e2, c) for c in itertools.combinations(range(n), size)]
        assert cl["largest_value"][size - 1] <= max(every) + 1e-12
        assert cl["smallest_value"][size - 1] >= min(every) - 1e-12
        if size in (1, 2, n):
            assert cl["largest_value"][size - 1] == pytest.approx(max(every))
            assert cl["smallest_value"][size - 1] == pytest.approx(min(every))
    starts = [1, 4]
    cl = greedy_cliques(res, start_players=starts)
    big, small = fixlip_greedy(e1, e2, starts)
    np.testing.assert_array_equal(cl["largest"], big)


def test_insertion_deletion_order_1_brute_force(rng):
    n = 9
    w = rng.normal(size=n)
    game = SumOfUnanimityGames.random(n, 15, max_size=3, seed=2)
    out = insertion_deletion(w, game)
    # FIxLIP: rows `attributions <= v` for v in decreasing order, then the empty coalition
    srt = np.sort(w)
    mif = np.stack([w <= v for v in srt[::-1]] + [np.zeros(n, bool)])
    lif = np.stack([w >= v for v in srt] + [np.zeros(n, bool)])
    np.testing.assert_array_equal(out["coalitions_mif"], mif)
    np.testing.assert_array_equal(out["coalitions_lif"], lif)
    y_m, y_l = game(mif), game(lif)
    lo, hi = y_m[-1], y_m[0]
    aid = np.mean((y_l - lo) / (hi - lo) - (y_m - lo) / (hi - lo))
    assert out["aid"] == pytest.approx(aid, rel=1e-12)


def test_insertion_deletion_bad_input():
    res = result_from(3, {(0, 1): 1.0}, min_order=2)
    game = lambda c: c.sum(axis=1).astype(float)  # noqa: E731
    with pytest.raises(ValueError, match="order"):
        insertion_deletion(res, game, order=3)
    with pytest.raises(ValueError, match="explanation"):
        insertion_deletion(res, game)
    with pytest.raises(ValueError, match="result"):
        insertion_deletion(res, game, order=2)
    with pytest.raises(ValueError, match="explanation"):
        insertion_deletion(np.ones(3), game, order=2)
    with pytest.raises(TypeError, match="game"):
        insertion_deletion(np.ones(3), None)
    with pytest.raises(ValueError, match="start_players"):
        greedy_cliques(result_from(3, {(0,): 1.0, (0, 1): 1.0}), start_players=[7])


# ------------------------------------------------------------------------------ MultiSHAP
def test_multishap_aggregates_by_hand():
    a = np.array([[1.0, -2.0], [3.0, 0.0]])
    out = multishap_aggregates([a, np.array([[-1.0]])])
    i0 = out["instances"][0]
    assert (i0["pos_sum"], i0["neg_sum"]) == (4.0, -2.0)
    assert i0["pos_ratio"] == pytest.approx(4 / 6) and i0["synergistic"]
    assert (i0["max"], i0["min"], i0["mean_abs"]) == (3.0, -2.0, 1.5)
    np.testing.assert_allclose(i0["column_importance"], [4.0, 2.0])
    assert list(i0["top_columns"]) == [0, 1]
    np.testing.assert_allclose(i0["row_map"], [-0.5, 1.5])
    d = out["dataset"]
    assert d["pos_ratio"] == pytest.approx((4 / 6 + 0) / 2)
    assert d["synergistic_share"] == 0.5 and d["n_instances"] == 2
    assert d["pos_sum"] == pytest.approx(2.0) and d["neg_sum"] == pytest.approx(-1.5)


def test_multishap_from_a_result_brute_force(rng):
    names = ["image:patch(0,0)", "image:patch(0,1)", "image:patch(1,0)", "text:what", "text:color"]
    vals = {p: float(rng.normal()) for p in itertools.combinations(range(5), 2)}
    vals.update({(i,): 1.0 for i in range(5)})
    res = result_from(5, vals, index="SII", names=names)
    mat, rows, cols = cross_matrix(res)
    assert rows == names[:3] and cols == names[3:]
    for i, j in itertools.product(range(3), range(2)):
        assert mat[i, j] == vals[(i, 3 + j)]
    got = multishap_aggregates(res)["instances"][0]
    cross = [vals[(i, j)] for i in range(3) for j in (3, 4)]
    assert got["pos_sum"] == pytest.approx(sum(v for v in cross if v > 0))
    assert got["neg_sum"] == pytest.approx(sum(v for v in cross if v < 0))
    assert got["mean_abs"] == pytest.approx(np.mean(np.abs(cross)))
    with pytest.raises(ValueError, match="groups"):
        multishap_aggregates(res, groups=[[0], [1], [2]])
    with pytest.raises(ValueError, match="explanations"):
        multishap_aggregates([])
    with pytest.raises(ValueError, match="top_k"):
        multishap_aggregates(res, top_k=0)
