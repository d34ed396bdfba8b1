"""Numba implementations of the exact engine's size-weighted superset sums (per order: weighted
copy, superset zeta, gather), compiled; ``method`` is ignored. No fastmath: results must match
the other backends to rounding."""

from __future__ import annotations

import numba as nb
import numpy as np

from ... import sets as bits
from .sampling import _popcount64
from .transforms import CHUNK_ROWS, _transform


@nb.njit(cache=True)
def _weighted_rows(m: np.ndarray, w: np.ndarray, work: np.ndarray, r0: int, r1: int) -> None:
    d = m.shape[1]
    for r in range(r0, r1):
        c = w[_popcount64(np.uint64(r))]
        for j in range(d):
            work[r, j] = c * m[r, j]


def _weighted_copy(m: np.ndarray, w: np.ndarray, work: np.ndarray) -> None:
    """work[r] = w[|r|] m[r], by chunks of rows (Ctrl-C between them)."""
    for r0 in range(0, m.shape[0], CHUNK_ROWS):
        _weighted_rows(m, w, work, r0, min(m.shape[0], r0 + CHUNK_ROWS))


def weighted_superset(
    moebius_table: np.ndarray, weights: np.ndarray, min_order: int, method: str, out: np.ndarray
) -> None:
    """Per-order path (weighted copy, superset zeta, gather); ``method`` is ignored."""
    rows = moebius_table.shape[0]
    n = rows.bit_length() - 1
    k = weights.shape[0] - 1
    m2 = moebius_table.reshape(rows, -1)
    o2 = out.reshape(out.shape[0], -1)
    work = None
    start = 0
    for s in range(min_order, k + 1):
        sets = bits.masks(n, s, s).astype(np.int64)
        if np.all(weights[s] == (np.arange(n + 1) == s)):
            o2[start : start + len(sets)] = m2[sets]
        else:
            if work is None:
                work = np.empty_like(m2)
            _weighted_copy(m2, np.ascontiguousarray(weights[s]), work)
            _transform(2, work)
            o2[start : start + len(sets)] = work[sets]
        start += len(sets)
