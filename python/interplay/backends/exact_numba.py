"""Numba implementations of the exact engine's kernels: the same blocked-free Yates butterflies
and per-order weighted superset sums as the NumPy reference, compiled (used when the C++ core is
not built, or on request). No fastmath: results must match the other backends to rounding."""

from __future__ import annotations

import numba as nb
import numpy as np

from .. import _sets


@nb.njit(cache=True)
def _transform(kind: int, a: np.ndarray) -> None:  # a: (2^n, d) C-contiguous, in place
    rows, d = a.shape
    half = 1
    while half < rows:
        for base in range(0, rows, 2 * half):
            for r in range(base, base + half):
                for j in range(d):
                    if kind == 0:
                        a[r + half, j] += a[r, j]
                    elif kind == 1:
                        a[r + half, j] -= a[r, j]
                    elif kind == 2:
                        a[r, j] += a[r + half, j]
                    else:
                        a[r, j] -= a[r + half, j]
        half *= 2


def _make(kind: int, name: str):
    def fn(values: np.ndarray, out: np.ndarray) -> None:
        if out is not values:
            np.copyto(out, values)
        _transform(kind, out.reshape(out.shape[0], -1))

    fn.__name__ = name
    return fn


zeta = _make(0, "zeta")
moebius = _make(1, "moebius")
superset_zeta = _make(2, "superset_zeta")
superset_moebius = _make(3, "superset_moebius")


@nb.njit(cache=True)
def _popcount(x: np.uint64) -> int:
    c = 0
    while x:
        x &= x - np.uint64(1)
        c += 1
    return c


@nb.njit(cache=True)
def _weighted_copy(m: np.ndarray, w: np.ndarray, work: np.ndarray) -> None:
    rows, d = m.shape
    for r in range(rows):
        c = w[_popcount(np.uint64(r))]
        for j in range(d):
            work[r, j] = c * m[r, j]


@nb.njit(cache=True)
def _gather(src: np.ndarray, sets: np.ndarray, dst: np.ndarray, start: int) -> None:
    for i in range(sets.shape[0]):
        dst[start + i, :] = src[sets[i], :]


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
        sets = _sets.enumerate_sets(n, s, s).astype(np.int64)
        if np.all(weights[s] == (np.arange(n + 1) == s)):
            _gather(m2, sets, o2, start)
        else:
            if work is None:
                work = np.empty_like(m2)
            _weighted_copy(m2, np.ascontiguousarray(weights[s]), work)
            _transform(2, work)
            _gather(work, sets, o2, start)
        start += len(sets)


def enumerate_sets(n: int, min_order: int, max_order: int) -> np.ndarray:
    return _sets.enumerate_sets(n, min_order, max_order)
