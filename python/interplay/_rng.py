"""SplitMix64, reproduced bit for bit from csrc/include/interplay/sampling/rng.hpp.

Every sampled estimator draws from this generator (in C++, Numba or here: the reference tier
uses it), so a seed gives the same coalitions on every backend.
"""

from __future__ import annotations

import secrets

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix64(z: int) -> int:
    z &= MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class SplitMix64:
    """Sequential SplitMix64 (reference; slow, exact)."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = int(seed) & MASK

    def next(self) -> int:
        self.state = (self.state + GOLDEN) & MASK
        return mix64(self.state)

    def uniform(self) -> float:
        return float(self.next() >> 11) * 2.0**-53

    def below(self, k: int) -> int:
        j = int(self.uniform() * float(k))
        return j if j < k else k - 1


def resolve_seed(seed: int | None) -> int:
    """A 64-bit seed: the given integer (mod 2^64), or fresh entropy for None."""
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
    return int(seed) & MASK


def substream(seed: int, tag: int) -> int:
    """An independent seed derived from ``seed`` for a named part of an estimator."""
    return mix64((seed ^ mix64(tag * GOLDEN)) & MASK)

