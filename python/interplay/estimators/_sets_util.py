"""Colex set tables shared by the estimators (all sets of size s over n players, in the order of
:func:`interplay._sets.enumerate_sets`: by size, then value), and the ranks of packed sets in
that order (the ``sampling.set_ranks`` kernel)."""

from __future__ import annotations

import functools
import itertools
from math import comb

import numpy as np

from .. import _sets
from ..backends import KERNELS


def as_words(sets: np.ndarray, n: int) -> np.ndarray:
    """Packed sets as a C-contiguous (m, W) uint64 array."""
    s = np.ascontiguousarray(sets, dtype=np.uint64)
    return s.reshape(s.shape[0], _sets.n_words(n))


def set_ranks(sets, n, max_order, *, backend="auto"):
    """Rank of each packed set among all sets of size <= max_order (by size, then value)."""
    sets = as_words(sets, n)
    if sets.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, fn = KERNELS["sampling.set_ranks"].select(backend)
    return np.asarray(fn(sets, int(n), int(max_order)), dtype=np.int64)


@functools.lru_cache(maxsize=64)
def members(n: int, s: int) -> np.ndarray:
    """(C(n, s), s) member table of all s-sets in colex (= value) order."""
    if s == 0:
        return np.zeros((1, 0), dtype=np.int64)
    if s == 1:
        return np.arange(n, dtype=np.int64)[:, None]
    if s == 2:
        j, i = np.triu_indices(n, k=1)
        out = np.stack([j, i], axis=1)
        order = np.lexsort((out[:, 0], out[:, 1]))
        return out[order]
    combos = np.array(list(itertools.combinations(range(n), s)), dtype=np.int64)
    order = np.lexsort(tuple(combos[:, i] for i in range(s)))
    return combos[order]


@functools.lru_cache(maxsize=64)
def binom_table(n: int, k: int) -> np.ndarray:
    out = np.zeros((n + 1, k + 1), dtype=np.int64)
    for a in range(n + 1):
        for i in range(min(a, k) + 1):
            out[a, i] = comb(a, i)
    return out


def offset(n: int, u: int) -> int:
    return sum(comb(n, j) for j in range(u))


def rank_members(mem: np.ndarray, n: int) -> np.ndarray:
    """Colex rank (among sets of size <= any order >= u) of sorted member rows (m, u)."""
    u = mem.shape[1]
    b = binom_table(n, max(u, 1))
    r = np.full(mem.shape[0], offset(n, u), dtype=np.int64)
    for i in range(u):
        r += b[mem[:, i], i + 1]
    return r


@functools.lru_cache(maxsize=32)
def subset_ranks(n: int, s: int) -> tuple[np.ndarray, ...]:
    """For each s-set S (colex), the ranks of its j-subsets, j = 0..s: tuple of (C(n,s), C(s,j))."""
    mem = members(n, s)
    out = []
    for j in range(s + 1):
        cols = list(itertools.combinations(range(s), j))
        if j == 0:
            out.append(np.zeros((mem.shape[0], 1), dtype=np.int64))
            continue
        out.append(np.stack([rank_members(mem[:, list(c)], n) for c in cols], axis=1))
    return tuple(out)


@functools.lru_cache(maxsize=16)
def basis_sets(n: int, k: int, min_order: int = 0) -> np.ndarray:
    """All sets of size min_order..k as packed words (m, W)."""
    s = _sets.enumerate_sets(n, min_order, k)
    return s.reshape(s.shape[0], _sets.n_words(n))


@functools.lru_cache(maxsize=8)
def union_ranks(n: int, k: int, min_order: int = 0) -> np.ndarray:
    """R[a, b] = rank of S_a u S_b among sets of size <= 2k, for basis sets of size min_order..k."""
    b = basis_sets(n, k, min_order)
    m, w = b.shape
    iu, ju = np.triu_indices(m)
    ors = b[iu] | b[ju]
    r = set_ranks(ors, n, 2 * k)
    out = np.empty((m, m), dtype=np.int64)
    out[iu, ju] = r
    out[ju, iu] = r
    return out


@functools.lru_cache(maxsize=32)
def subset_ranks_by_mask(n: int, s: int) -> np.ndarray:
    """(C(n, s), 2^s): rank of the subset of each s-set S selected by a bitmask over the
    positions of S's (sorted) members."""
    mem = members(n, s)
    out = np.zeros((mem.shape[0], 1 << s), dtype=np.int64)
    for L in range(1 << s):
        pos = [i for i in range(s) if L >> i & 1]
        out[:, L] = rank_members(mem[:, pos], n) if pos else 0
    return out


@functools.lru_cache(maxsize=16)
def result_sets(n: int, k: int) -> np.ndarray:
    """enumerate_sets(n, 0, k), cached and read-only (shared by results)."""
    out = _sets.enumerate_sets(n, 0, k)
    out.setflags(write=False)
    return out
