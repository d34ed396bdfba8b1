"""interplay.sets: one word layout (m, W) for every n, colex ranks, sizes, the one coalition check,
and the distinct-plan promise the scheduler relies on."""

import itertools
from math import comb

import numpy as np
import pytest

import interplay
from interplay import sets as bits
from interplay.estimators import make_estimator
from interplay.results import InteractionResult
from interplay.scheduler import Scheduler

BOUNDARY_N = [1, 63, 64, 65, 127, 128, 130]


def _naive_sets(n, lo, hi):
    """Sets of sizes lo..hi as Python ints, by size then value."""
    out = []
    for s in range(lo, hi + 1):
        out += sorted(sum(1 << p for p in c) for c in itertools.combinations(range(n), s))
    return out


def _as_int(row):
    return sum(int(w) << (64 * i) for i, w in enumerate(row.tolist()))


@pytest.mark.parametrize("n", BOUNDARY_N)
def test_enumerate_is_words_for_every_n(n):
    k = min(n, 2)
    s = bits.enumerate_sets(n, 0, k)
    assert s.dtype == np.uint64 and s.shape == (bits.n_sets(n, 0, k), bits.n_words(n))
    assert s.flags.c_contiguous and not s.flags.writeable  # cached and shared
    assert [_as_int(r) for r in s] == _naive_sets(n, 0, k)
    np.testing.assert_array_equal(bits.sizes(s), [bin(v).count("1") for v in _naive_sets(n, 0, k)])
    assert bits.enumerate_sets(n, 1, k).shape[0] == bits.n_sets(n, 1, k) == bits.n_sets_upto(n, k) - 1


@pytest.mark.parametrize("n", BOUNDARY_N)
def test_coalition_round_trip(n, rng):
    C = rng.random((40, n)) < 0.5
    C[0] = False
    C[1] = True
    w = bits.from_coalitions(C)
    assert w.shape == (40, bits.n_words(n)) and w.dtype == np.uint64
    np.testing.assert_array_equal(bits.to_coalitions(w, n), C)
    np.testing.assert_array_equal(bits.sizes(w), C.sum(axis=1))
    full = bits.complement(w, n)
    np.testing.assert_array_equal(bits.to_coalitions(full, n), ~C)
    for r in range(5):
        players = tuple(np.flatnonzero(C[r]).tolist())
        assert bits.set_to_players(w[r]) == players
        np.testing.assert_array_equal(bits.players_to_set(players, n), w[r])
        assert bits.set_key(w[r]) == sum(1 << p for p in players)


def test_player_bits_at_word_boundaries():
    for n in (64, 65, 130):
        for p in (0, 63, 64, 65, 127, 128, 129):
            if p >= n:
                with pytest.raises(ValueError, match="out of range"):
                    bits.players_to_set([p], n)
                continue
            row = bits.players_to_set([p], n)
            assert row.shape == (bits.n_words(n),)
            assert int(row[p // 64]) == 1 << (p % 64) and int(row.sum()) == 1 << (p % 64)


@pytest.mark.parametrize("n,s", [(5, 0), (5, 3), (9, 2), (9, 4), (70, 2), (130, 1)])
def test_members_ranks_and_offsets(n, s):
    mem = bits.members(n, s)
    assert mem.shape == (comb(n, s), s)
    words = bits.enumerate_sets(n, s, s)
    for r in range(0, mem.shape[0], max(1, mem.shape[0] // 50)):
        assert bits.set_to_players(words[r]) == tuple(mem[r].tolist())
    # rank = position among all sets of sizes 0..K, any K >= s
    np.testing.assert_array_equal(bits.rank_members(mem, n),
                                  bits.offset(n, s) + np.arange(comb(n, s)))
    assert bits.offset(n, s) == sum(comb(n, u) for u in range(s))
    if s and n <= 9:
        R = bits.subset_ranks_by_mask(n, s)
        everything = bits.enumerate_sets(n, 0, s)
        for r in range(mem.shape[0]):
            for L in range(1 << s):
                sub = [int(mem[r, i]) for i in range(s) if L >> i & 1]
                assert _as_int(everything[R[r, L]]) == sum(1 << p for p in sub)


def test_masks_are_the_one_word_view():
    m = bits.masks(10, 1, 3)
    assert m.shape == (bits.n_sets(10, 1, 3),)
    np.testing.assert_array_equal(m, bits.enumerate_sets(10, 1, 3)[:, 0])
    with pytest.raises(ValueError, match="n <= 64"):
        bits.masks(65, 0, 1)


@pytest.mark.parametrize("n", [10, 64, 65, 130])
def test_result_keeps_the_public_layout(n):
    s = bits.enumerate_sets(n, 0, 1)
    res = InteractionResult(np.arange(len(s), dtype=float), s, n_players=n, index="SV",
                            max_order=1)
    assert res.words.shape == (len(s), bits.n_words(n))
    assert res.sets.shape == ((len(s),) if n <= 64 else (len(s), bits.n_words(n)))
    assert np.shares_memory(res.sets, res.words)
    assert res[(n - 1,)] == float(n)  # the last singleton is row n
    np.testing.assert_array_equal(res.sizes, [0] + [1] * n)
    with pytest.raises(ValueError, match="sets must have shape"):
        InteractionResult(np.zeros(len(s)), np.zeros((len(s), bits.n_words(n) + 1), np.uint64),
                          n_players=n, index="SV", max_order=1)


# ----------------------------------------------------------------- the one coalition check
def test_check_coalitions_one_line_errors():
    ok = bits.check_coalitions(np.array([[0, 1, 1]]), 3)
    assert ok.dtype == bool and ok.shape == (1, 3)
    same = np.zeros((4, 3), bool)
    assert bits.check_coalitions(same, 3) is same  # trusted fast path: no copy
    cases = [
        (np.zeros((2, 4), bool), ValueError, r"coalitions must have shape \(m, 3\)"),
        (np.zeros((2, 3, 1), bool), ValueError, r"coalitions must have shape \(m, 3\)"),
        (np.full((2, 3), 2), ValueError, "coalitions must be boolean: only 0/1"),
        (np.array([["a", "b", "c"]]), TypeError, "coalitions must be boolean"),
    ]
    for bad, exc, msg in cases:
        with pytest.raises(exc, match=msg) as info:
            bits.check_coalitions(bad, 3)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="coalitions_a must have shape"):
        bits.check_coalitions(np.zeros((1, 2)), 3, "coalitions_a")


def test_games_and_scheduler_share_the_check():
    from interplay.games import base
    from interplay.models import games as model_games
    from interplay.scheduler import core

    assert base.check_coalitions is bits.check_coalitions
    assert model_games.check_coalitions is bits.check_coalitions
    assert core.check_coalitions is bits.check_coalitions


def test_game_edge_names_the_argument():
    game = interplay.games.SumOfUnanimityGames.random(5, 4, seed=0)
    with pytest.raises(ValueError, match=r"coalitions must have shape \(m, 5\)"):
        game(np.zeros((3, 4), bool))
    with pytest.raises(TypeError, match="coalitions must be boolean"):
        game(np.array([list("abcde")]))


# ----------------------------------------------------------------- distinct plans
@pytest.mark.parametrize("method,index,k", [
    ("regression", "FSII", 2), ("kernelshapiq", "SII", 2), ("shapiq", "SII", 2),
    ("svarmiq", "BII", 2), ("msr", "BII", 2), ("permutation", "SII", 2),
    ("permutation", "STII", 2), ("kernelshap", "SV", 1),
])
@pytest.mark.parametrize("n", [10, 70])
@pytest.mark.filterwarnings("ignore")  # under-determined designs at n = 70 warn; plans are what counts
def test_estimator_plans_never_repeat_a_coalition(method, index, k, n):
    """The scheduler is told distinct=True for estimator batches: every plan is duplicate-free
    (the stream and the permutation planner deduplicate once, when the plan is made)."""
    for budget in (150, 600):
        est = make_estimator(n, index, budget, max_order=k, method=method, seed=3)
        plan = est._plan
        assert plan.shape[1] == bits.n_words(n)
        keys = {r.tobytes() for r in plan}
        assert len(keys) == plan.shape[0] <= budget


def test_scheduler_distinct_path_equals_dedup_path(rng):
    n = 9
    game = interplay.games.SumOfUnanimityGames.random(n, 10, seed=1)
    C = np.unique(rng.random((60, n)) < 0.5, axis=0)
    a = Scheduler(game, cache=False)
    b = Scheduler(game, cache=False)
    va = a.evaluate([(0, C)])[0]
    vb = b.evaluate([(0, C)], checked=True, distinct=True)[0]
    np.testing.assert_array_equal(va, vb)
    assert a.stats.duplicate_rows == b.stats.duplicate_rows == 0
    # a repeated row under distinct=True is evaluated twice, never given a wrong value
    twice = np.vstack([C[:3], C[:3]])
    vt = Scheduler(game, cache=False).evaluate([(0, twice)], distinct=True)[0]
    np.testing.assert_array_equal(vt, np.concatenate([va[:3], va[:3]]))
