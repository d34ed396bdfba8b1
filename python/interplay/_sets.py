"""The public layout of :mod:`interplay.sets` for code outside the package (tests, benchmarks).

Collections of sets come back as (m,) uint64 for n <= 64 and (m, n_words(n)) words beyond, the
layout of ``InteractionResult.sets``. Package code imports :mod:`interplay.sets`, whose arrays are
always (m, W) words.
"""

from __future__ import annotations

import numpy as np

from .sets import (contained_sum, n_words, players_to_set, public, set_key, set_to_players,
                   sizes as popcount, to_coalitions, words)
from .sets import enumerate_sets as _enumerate
from .sets import from_coalitions as _from_coalitions

__all__ = ["contained_sum", "coalitions_to_sets", "enumerate_sets", "n_words", "players_to_set",
           "popcount", "set_key", "set_to_players", "sets_to_coalitions"]


def enumerate_sets(n: int, min_order: int, max_order: int) -> np.ndarray:
    """All sets with min_order <= |S| <= max_order, by size then value (a fresh array)."""
    return public(_enumerate(n, min_order, max_order)).copy()


def coalitions_to_sets(coalitions: np.ndarray) -> np.ndarray:
    return public(_from_coalitions(coalitions))


def sets_to_coalitions(sets: np.ndarray, n: int) -> np.ndarray:
    return to_coalitions(words(sets, n), n)
