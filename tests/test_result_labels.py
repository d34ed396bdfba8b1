"""A sampled result carries the index name the caller asked for (as before the index model of
issue 10): "FWBII" at p = 1/2 is computed as FBII and "SII" at order 1 as SV, but labelled as
asked, with the same values as the shared computation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import interplay
from interplay.games import SumOfUnanimityGames

N = 8


@pytest.fixture(scope="module")
def game():
    return SumOfUnanimityGames(N, [(0, 1), (2, 3, 4), (5,)], [1.0, -2.0, 0.5])


def _run(game, index, k, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", interplay.UnderdeterminedWarning)
        return interplay.approximate(game, N, index, 120, max_order=k, seed=3, **kw)


@pytest.mark.parametrize("asked,shared,k", [("WBII", "BII", 2), ("WBV", "BV", 1),
                                            ("FWBII", "FBII", 2), ("FWBII", "FBII", 1),
                                            ("SII", "SV", 1), ("k-SII", "SV", 1),
                                            ("STII", "SV", 1)])
def test_label_is_the_name_asked_values_the_shared_computation(game, asked, shared, k):
    res = _run(game, asked, k, p=0.5)
    ref = _run(game, shared, k, p=0.5)
    assert res.index == asked and ref.index == shared
    assert res.info["method"] == ref.info["method"]
    np.testing.assert_array_equal(res.values, ref.values)
    np.testing.assert_array_equal(res.stderr, ref.stderr)
    # refine continues the same run under the same label
    more = interplay.refine(res, game, 40)
    assert more.index == asked


def test_index_objects_keep_their_own_name(game):
    from interplay.indices import FWBII

    assert _run(game, FWBII(p=0.5, order=2), 2).index == "FBII"
    assert _run(game, FWBII(p=0.3, order=2), 2).index == "FWBII"


def test_grid_mode_label(game):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = interplay.approximate(game, N, "FWBII", 4096, max_order=1, p=0.5, seed=0,
                                    player_groups=(3, 5))
    assert res.index == "FWBII"
