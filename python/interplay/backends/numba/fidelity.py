"""Numba twin of the explanation-implied game (fallback when the C++ core is absent)."""

from __future__ import annotations

import numba


@numba.njit(parallel=True, cache=False)
def explanation_game(sets, values, coalitions, out):  # pragma: no cover - compiled
    m, words = sets.shape
    d = values.shape[1]
    for b in numba.prange(coalitions.shape[0]):
        for k in range(d):
            out[b, k] = 0.0
        for r in range(m):
            subset = True
            for w in range(words):
                if sets[r, w] & ~coalitions[b, w]:
                    subset = False
                    break
            if subset:
                for k in range(d):
                    out[b, k] += values[r, k]
