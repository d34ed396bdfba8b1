"""NumPy reference of the exact engine's size-weighted superset sums (weighted copy, superset
zeta, gather per order): the numbers the other backends are tested against (together with the
brute-force oracles in tests/reference/)."""

from __future__ import annotations

import numpy as np

from ... import sets as bits
from .transforms import transform


def weighted_superset(
    moebius_table: np.ndarray, weights: np.ndarray, min_order: int, method: str, out: np.ndarray
) -> None:
    """out[row(S)] = sum_{T superset S} weights[|S|, |T|] m(T), min_order <= |S| <= k.

    ``method`` is accepted for signature parity with the compiled kernel and ignored: this
    reference always takes the per-order path (weighted copy, superset zeta, gather).
    """
    rows = moebius_table.shape[0]
    n = rows.bit_length() - 1
    k = weights.shape[0] - 1
    m2 = moebius_table.reshape(rows, -1)
    o2 = out.reshape(out.shape[0], -1)
    pc = bits.sizes(np.arange(1 << n, dtype=np.uint64))
    start = 0
    for s in range(min_order, k + 1):
        sets = bits.masks(n, s, s).astype(np.int64)
        if np.all(weights[s] == (np.arange(n + 1) == s)):
            o2[start : start + len(sets)] = m2[sets]
        else:
            work = m2 * weights[s][pc][:, None]
            transform("superset_zeta", work, work)
            o2[start : start + len(sets)] = work[sets]
        start += len(sets)
