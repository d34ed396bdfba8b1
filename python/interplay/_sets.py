"""Sets of players as bitmasks (bit i set <=> player i in the set).

For n <= 64 a set is one uint64; for larger n it is ``n_words(n)`` uint64 words, least
significant word first. Collections of sets are ordered by size, then by value (as integers).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from math import comb

import numpy as np


def n_words(n: int) -> int:
    return max(1, (n + 63) // 64)


def count_sets(n: int, min_order: int, max_order: int) -> int:
    return sum(comb(n, s) for s in range(min_order, max_order + 1))


def _sets_of_size(n: int, s: int) -> np.ndarray:
    """All s-subsets of n players as packed words (m, W), sorted by value."""
    w = n_words(n)
    if s == 0:
        return np.zeros((1, w), dtype=np.uint64)
    m = comb(n, s)
    out = np.zeros((m, w), dtype=np.uint64)
    if s == 1:
        players = np.arange(n)
        np.bitwise_or.at(out, (players, players // 64), np.uint64(1) << (players % 64).astype(np.uint64))
    else:
        if s == 2:
            j, i = np.triu_indices(n, k=1)  # i > j
            members = np.stack([j, i], axis=1)
        else:
            members = np.fromiter(
                itertools.chain.from_iterable(itertools.combinations(range(n), s)),
                dtype=np.int64,
                count=m * s,
            ).reshape(m, s)
        rows = np.repeat(np.arange(m), s)
        flat = members.reshape(-1)
        np.bitwise_or.at(out, (rows, flat // 64), np.uint64(1) << (flat % 64).astype(np.uint64))
    # value order: most significant word is the primary key
    order = np.lexsort(out.T) if w > 1 else np.argsort(out[:, 0], kind="stable")
    return out[order]


def enumerate_sets(n: int, min_order: int, max_order: int) -> np.ndarray:
    """All sets with min_order <= |S| <= max_order, by size then value.

    Returns shape (m,) uint64 for n <= 64, else (m, n_words(n)).
    """
    parts = [_sets_of_size(n, s) for s in range(min_order, max_order + 1)]
    out = np.concatenate(parts, axis=0) if parts else np.zeros((0, n_words(n)), np.uint64)
    return out[:, 0].copy() if n <= 64 else out


def popcount(sets: np.ndarray) -> np.ndarray:
    """Set sizes; ``sets`` shape (m,) or (m, W)."""
    counts = np.bitwise_count(sets) if hasattr(np, "bitwise_count") else _popcount_fallback(sets)
    counts = counts.astype(np.int64)
    return counts if sets.ndim == 1 else counts.sum(axis=1)


def _popcount_fallback(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64)
    c = np.zeros(x.shape, dtype=np.int64)
    for b in range(64):
        c += ((x >> np.uint64(b)) & np.uint64(1)).astype(np.int64)
    return c


def set_to_players(bits: np.ndarray | int) -> tuple[int, ...]:
    """Sorted tuple of players in one set (a uint64, or a row of words)."""
    if np.ndim(bits) == 0:
        v = int(bits)
        return tuple(i for i in range(v.bit_length()) if v >> i & 1)
    out = []
    for w, word in enumerate(np.asarray(bits).tolist()):
        v = int(word)
        out.extend(64 * w + i for i in range(v.bit_length()) if v >> i & 1)
    return tuple(out)


def players_to_set(players: Iterable[int], n: int) -> np.ndarray | np.uint64:
    """Pack a collection of player indices (duplicates ignored) into a set."""
    w = n_words(n)
    words = [0] * w
    for p in players:
        p = int(p)
        if not 0 <= p < n:
            raise ValueError(f"player {p} out of range for n_players = {n}")
        words[p // 64] |= 1 << (p % 64)
    if n <= 64:
        return np.uint64(words[0])
    return np.array(words, dtype=np.uint64)


def set_key(bits: np.ndarray | int) -> int:
    """A hashable integer for a set (its value)."""
    if np.ndim(bits) == 0:
        return int(bits)
    return sum(int(word) << (64 * w) for w, word in enumerate(np.asarray(bits).tolist()))


def coalitions_to_sets(coalitions: np.ndarray) -> np.ndarray:
    """Boolean coalition matrix (m, n) to packed sets: (m,) for n <= 64 else (m, W)."""
    c = np.asarray(coalitions, dtype=bool)
    m, n = c.shape
    w = n_words(n)
    padded = np.zeros((m, w * 64), dtype=bool)
    padded[:, :n] = c
    # byte b holds players 8b..8b+7 with player 8b+j at bit j; eight bytes make a little-endian word
    packed = np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64)
    return packed[:, 0].copy() if n <= 64 else packed


def sets_to_coalitions(sets: np.ndarray, n: int) -> np.ndarray:
    """Packed sets to a boolean coalition matrix (m, n)."""
    s = np.asarray(sets, dtype=np.uint64)
    if s.ndim == 1:
        s = s[:, None]
    m, w = s.shape
    # little-endian bytes of the words: byte 8w + b holds players 64w + 8b .. 64w + 8b + 7
    bytes_ = np.ascontiguousarray(s, dtype="<u8").view(np.uint8).reshape(m, w * 8)
    # the unpacked 0/1 bytes are valid booleans: view, no copy
    return np.unpackbits(bytes_, axis=1, count=n, bitorder="little").view(bool)


def contained_sum(sets: np.ndarray, values: np.ndarray, coalitions: np.ndarray) -> np.ndarray:
    """out[b] = sum of values[r] over the sets r contained in coalition b.

    sets (k, W) and coalitions (m, W) are packed words; values (k, d). Plain NumPy, in chunks of
    coalitions so that the (chunk, k) membership matrix stays near 4 M entries.
    """
    out = np.empty((coalitions.shape[0],) + values.shape[1:], dtype=np.float64)
    step = max(1, (1 << 22) // max(1, sets.shape[0]))
    for start in range(0, coalitions.shape[0], step):
        c = coalitions[start : start + step]
        inside = np.ones((c.shape[0], sets.shape[0]), dtype=bool)
        for w in range(sets.shape[1]):
            inside &= (sets[None, :, w] & ~c[:, None, w]) == 0
        out[start : start + step] = inside.astype(np.float64) @ values
    return out
