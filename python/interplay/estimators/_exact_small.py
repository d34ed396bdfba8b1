"""Exact cardinal interaction indices from a full table of 2^n values (used when budget >= 2^n
for estimators whose own formula does not become exact, e.g. permutation sampling).

phi(S) = sum_{U superset S} psi(|U|, |S|) m(U) with the Moebius transform m (fast, O(n 2^n)).
"""

from __future__ import annotations

import numpy as np

from .. import _sets


def moebius(table: np.ndarray, n: int) -> np.ndarray:
    m = np.array(table, dtype=np.float64, copy=True)
    d = m.shape[1:]
    for i in range(n):
        v = m.reshape((1 << (n - i - 1), 2, 1 << i) + d)
        v[:, 1] -= v[:, 0]
    return m


def superset_sum(x: np.ndarray, n: int) -> np.ndarray:
    y = np.array(x, dtype=np.float64, copy=True)
    d = y.shape[1:]
    for i in range(n):
        v = y.reshape((1 << (n - i - 1), 2, 1 << i) + d)
        v[:, 0] += v[:, 1]
    return y


def cii_from_table(table: np.ndarray, n: int, spec, k: int) -> np.ndarray:
    """Values for all sets of size 0..k (enumerate_sets order), shape (K, d)."""
    m = moebius(table, n)
    sizes = _sets.popcount(np.arange(1 << n, dtype=np.uint64))
    out = []
    for s in range(k + 1):
        psi = np.zeros(n + 1)
        psi[s:] = spec.moebius_weights(n, s, k)
        acc = superset_sum(m * psi[sizes][:, None], n)
        sets = _sets.enumerate_sets(n, s, s)
        out.append(acc[sets.astype(np.int64)])
    return np.concatenate(out, axis=0)
