from math import comb

import numpy as np
import pytest

from interplay import _sets
from interplay.results import InteractionResult


@pytest.mark.parametrize("n", [1, 5, 13, 64, 65, 130])
def test_enumerate_sets_order_and_count(n):
    k = min(n, 2)
    sets = _sets.enumerate_sets(n, 0, k)
    assert len(sets) == sum(comb(n, s) for s in range(k + 1))
    sizes = _sets.popcount(sets)
    assert np.all(np.diff(sizes) >= 0)
    keys = [_sets.set_key(s) for s in sets]
    for s in range(k + 1):
        ks = [key for key, size in zip(keys, sizes) if size == s]
        assert ks == sorted(ks) and len(set(ks)) == len(ks)
    coal = _sets.sets_to_coalitions(sets, n)
    assert coal.shape == (len(sets), n)
    np.testing.assert_array_equal(coal.sum(axis=1), sizes)
    np.testing.assert_array_equal(_sets.coalitions_to_sets(coal), sets)


def test_players_roundtrip():
    for n in (10, 100):
        s = _sets.players_to_set([0, 3, 9], n)
        assert _sets.set_to_players(s) == (0, 3, 9)
    with pytest.raises(ValueError, match="out of range"):
        _sets.players_to_set([10], 10)


def _toy():
    sets = _sets.enumerate_sets(3, 0, 2)
    vals = np.arange(len(sets), dtype=float)
    return InteractionResult(vals, sets, n_players=3, index="SII", max_order=2, min_order=0,
                             baseline_value=0.0, player_names=["a", "b", "c"])


def test_result_lookup_and_views():
    res = _toy()
    assert res[()] == 0.0
    assert res[(0,)] == 1.0 and res[("b",)] == 2.0
    assert res[(1, 0)] == res[(0, 1)] == 4.0  # sets ordered (0,1)=3, (0,2)=5, (1,2)=6
    with pytest.raises(KeyError):
        res[(0, 1, 2)]
    with pytest.raises(KeyError):
        res[(5,)]
    with pytest.raises(TypeError):
        res[1]
    d = res.to_dict()
    assert d[(1, 2)] == 6.0 and len(d) == 7
    assert res.top_k(2) == [((1, 2), 6.0), ((0, 2), 5.0)]
    dense = res.to_dense(2)
    assert dense[0, 1] == dense[1, 0] == 4.0
    sub = res.get_order(1)
    assert len(sub) == 3 and sub.min_order == sub.max_order == 1
    assert res == _toy()


def test_result_validates_shapes():
    sets = _sets.enumerate_sets(3, 0, 1)
    with pytest.raises(ValueError, match="values must have shape"):
        InteractionResult(np.zeros(3), sets, n_players=3, index="SV", max_order=1)
    with pytest.raises(ValueError, match="stderr shape"):
        InteractionResult(np.zeros(4), sets, n_players=3, index="SV", max_order=1,
                          stderr=np.zeros(3))
    with pytest.raises(ValueError, match="player_names"):
        InteractionResult(np.zeros(4), sets, n_players=3, index="SV", max_order=1,
                          player_names=["a"])
