"""Numba twin of the sparse Moebius recovery's kernels (fallback when the C++ core is absent)."""

from __future__ import annotations

import numba


@numba.njit(parallel=True, cache=False)
def containment(sets, coalitions, out):  # pragma: no cover - compiled
    m, words = sets.shape
    for b in numba.prange(coalitions.shape[0]):
        for r in range(m):
            subset = 1.0
            for w in range(words):
                if sets[r, w] & ~coalitions[b, w]:
                    subset = 0.0
                    break
            out[b, r] = subset
