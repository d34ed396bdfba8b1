"""Brute-force oracles for games: plain loops over subsets, no cleverness (n <= 10)."""

from __future__ import annotations

import numpy as np


def subsets(mask: int):
    """All submasks of mask (including 0 and mask)."""
    sub = mask
    while True:
        yield sub
        if sub == 0:
            return
        sub = (sub - 1) & mask


def moebius_naive(table: np.ndarray) -> np.ndarray:
    """m(S) = sum_{T subset of S} (-1)^{|S|-|T|} v(T), by direct O(3^n) summation."""
    out = np.zeros_like(table, dtype=np.float64)
    for s in range(len(table)):
        for t in subsets(s):
            sign = -1.0 if (bin(s).count("1") - bin(t).count("1")) % 2 else 1.0
            out[s] = out[s] + sign * table[t]
    return out
