"""Sets of players as bitmasks: the one layout, tables and check every module uses.

A set is a row of ``n_words(n)`` uint64 words, bit ``i % 64`` of word ``i // 64`` set <=> player
``i`` in the set (least significant word first). Inside the package, collections of sets are
always C-contiguous ``(m, n_words(n))`` uint64 arrays ("words"), for every n. Two edges use
other forms:

- dense tables of 2^n values (the exact engine, n <= 40) index their rows by one-word masks,
  :func:`masks` (m,);
- :class:`interplay.InteractionResult.sets` is public and keeps shape (m,) for n <= 64 (a view
  of the same words, ``result.words`` is (m, W)).

Collections of sets are ordered by size, then by value (which within a size is colexicographic
order): the row of S = {c_1 < ... < c_s} among all sets of sizes min_order..k is
``offset(n, s) - offset(n, min_order) + sum_i C(c_i, i)``, as in the C++ header
``interplay/common/colex.hpp``. Sizes travel with the sets that have them (the coalition stream
returns them) instead of being recounted.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from math import comb
from typing import Any

import numpy as np


@functools.lru_cache(maxsize=256)
def n_words(n: int) -> int:
    """Words per set of n players (at least one)."""
    return max(1, (n + 63) // 64)


@functools.lru_cache(maxsize=256)
def offset(n: int, u: int) -> int:
    """Number of sets of n players of sizes < u: sum_{s < u} C(n, s)."""
    return sum(comb(n, s) for s in range(u))


def n_sets(n: int, min_order: int, max_order: int) -> int:
    """Number of sets of sizes min_order..max_order: sum_s C(n, s)."""
    return offset(n, max_order + 1) - offset(n, min_order)


def n_sets_upto(n: int, k: int) -> int:
    """Number of sets of sizes 0..k (the rows ranked by :func:`rank_members`)."""
    return offset(n, k + 1)


# ------------------------------------------------------------------------ layout conversions
def words(sets: Any, n: int) -> np.ndarray:
    """Sets as a C-contiguous (m, n_words(n)) uint64 array; accepts (m,) one-word sets (public
    layout) or (m, W) words. The kernels' entry points call it on what they are handed."""
    s = np.ascontiguousarray(sets, dtype=np.uint64)
    return s.reshape(s.shape[0], n_words(n))


def public(words_: np.ndarray) -> np.ndarray:
    """The public layout of (m, W) words: a (m,) view for one word, else the words."""
    return words_[:, 0] if words_.shape[1] == 1 else words_


def from_coalitions(coalitions: np.ndarray) -> np.ndarray:
    """Boolean coalition matrix (m, n) -> words (m, W)."""
    c = np.asarray(coalitions, dtype=bool)
    m, n = c.shape
    w = n_words(n)
    padded = np.zeros((m, w * 64), dtype=bool)
    padded[:, :n] = c
    # byte b holds players 8b..8b+7 with player 8b+j at bit j; eight bytes make a little-endian word
    return np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64)


def to_coalitions(sets: np.ndarray, n: int) -> np.ndarray:
    """Words (m, W) -> boolean coalition matrix (m, n) (unpacks only n bits per row)."""
    s = np.ascontiguousarray(sets, dtype="<u8")
    m, w = s.shape
    # little-endian bytes of the words: byte 8w + b holds players 64w + 8b .. 64w + 8b + 7
    bytes_ = s.view(np.uint8).reshape(m, w * 8)
    # the unpacked 0/1 bytes are valid booleans: view, no copy
    return np.unpackbits(bytes_, axis=1, count=n, bitorder="little").view(bool)


def sizes(sets: np.ndarray) -> np.ndarray:
    """|S| of each set: words (m, W) -> (m,) int64; one-word masks (m,) -> (m,)."""
    s = np.asarray(sets, dtype=np.uint64)
    if hasattr(np, "bitwise_count"):
        counts = np.bitwise_count(s).astype(np.int64)
    else:  # NumPy < 2.0
        counts = np.zeros(s.shape, dtype=np.int64)
        for b in range(64):
            counts += ((s >> np.uint64(b)) & np.uint64(1)).astype(np.int64)
    return counts if s.ndim == 1 else counts.sum(axis=1)


def complement(sets: np.ndarray, n: int) -> np.ndarray:
    """N minus S for each row of words (m, W)."""
    full = np.full(sets.shape[1], np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    if n % 64:
        full[-1] = np.uint64((1 << (n % 64)) - 1)
    return np.ascontiguousarray(~sets & full)


# ------------------------------------------------------------------------ single sets
def players_to_set(players: Iterable[int], n: int) -> np.ndarray:
    """Players (duplicates ignored) -> one set, a (W,) row of words."""
    row = [0] * n_words(n)
    for p in players:
        p = int(p)
        if not 0 <= p < n:
            raise ValueError(f"player {p} out of range for n_players = {n}")
        row[p // 64] |= 1 << (p % 64)
    return np.array(row, dtype=np.uint64)


def set_to_players(row: Any) -> tuple[int, ...]:
    """Sorted players of one set (a row of words, or a one-word integer)."""
    v = set_key(row)
    return tuple(i for i in range(v.bit_length()) if v >> i & 1)


def set_key(row: Any) -> int:
    """The set's value as a Python integer (hashable; a one-word integer is its own key)."""
    return sum(int(word) << (64 * w) for w, word in enumerate(np.atleast_1d(np.asarray(row)).tolist()))


# ------------------------------------------------------------------------ enumeration, ranks
@functools.lru_cache(maxsize=64)
def members(n: int, s: int) -> np.ndarray:
    """(C(n, s), s) sorted members of all s-sets, in value (= colex) order; cached, read-only."""
    if s == 0:
        out = np.zeros((1, 0), dtype=np.int64)
    elif s == 1:
        out = np.arange(n, dtype=np.int64)[:, None]
    elif s == 2:
        j, i = np.triu_indices(n, k=1)  # j < i
        out = np.stack([j, i], axis=1)
        out = out[np.lexsort((out[:, 0], out[:, 1]))]
    else:
        combos = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), s)),
                             dtype=np.int64, count=comb(n, s) * s).reshape(-1, s)
        out = combos[np.lexsort(tuple(combos[:, i] for i in range(s)))]
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=32)
def enumerate_sets(n: int, min_order: int, max_order: int) -> np.ndarray:
    """All sets with min_order <= |S| <= max_order as words (m, W), by size then value; cached,
    read-only."""
    w = n_words(n)
    parts = []
    for s in range(min_order, max_order + 1):
        mem = members(n, s)
        out = np.zeros((mem.shape[0], w), dtype=np.uint64)
        if s:
            rows = np.repeat(np.arange(mem.shape[0]), s)
            flat = mem.reshape(-1)
            np.bitwise_or.at(out, (rows, flat // 64), np.uint64(1) << (flat % 64).astype(np.uint64))
        parts.append(out)
    out = np.ascontiguousarray(np.concatenate(parts, axis=0)) if parts else np.zeros((0, w), np.uint64)
    out.setflags(write=False)
    return out


def masks(n: int, min_order: int, max_order: int) -> np.ndarray:
    """:func:`enumerate_sets` as one-word masks (m,) uint64, the row indices of a dense table
    of 2^n values (n <= 64)."""
    if n > 64:
        raise ValueError(f"masks: one-word sets need n <= 64, got n = {n}")
    return enumerate_sets(n, min_order, max_order)[:, 0]


@functools.lru_cache(maxsize=64)
def binom_table(n: int, k: int) -> np.ndarray:
    """(n + 1, k + 1) int64 table of C(a, i)."""
    out = np.array([[comb(a, i) for i in range(k + 1)] for a in range(n + 1)], dtype=np.int64)
    out.setflags(write=False)
    return out


def rank_members(mem: np.ndarray, n: int) -> np.ndarray:
    """Row, among all sets of sizes 0..K (any K >= u), of the sets with sorted members mem
    (m, u): offset(n, u) + sum_i C(mem[:, i], i + 1)."""
    u = mem.shape[1]
    b = binom_table(n, max(u, 1))
    r = np.full(mem.shape[0], offset(n, u), dtype=np.int64)
    for i in range(u):
        r += b[mem[:, i], i + 1]
    return r


@functools.lru_cache(maxsize=32)
def subset_ranks(n: int, s: int) -> tuple[np.ndarray, ...]:
    """For each s-set S (colex), the ranks of its j-subsets, j = 0..s: (C(n, s), C(s, j)) each."""
    by_mask = subset_ranks_by_mask(n, s)
    return tuple(by_mask[:, [sum(1 << i for i in c) for c in itertools.combinations(range(s), j)]]
                 for j in range(s + 1))


@functools.lru_cache(maxsize=32)
def subset_ranks_by_mask(n: int, s: int) -> np.ndarray:
    """(C(n, s), 2^s): rank of the subset of each s-set S selected by a bitmask over the
    positions of S's (sorted) members."""
    mem = members(n, s)
    out = np.zeros((mem.shape[0], 1 << s), dtype=np.int64)
    for L in range(1, 1 << s):
        out[:, L] = rank_members(mem[:, [i for i in range(s) if L >> i & 1]], n)
    out.setflags(write=False)
    return out


# ------------------------------------------------------------------------ the API edge
def check_coalitions(coalitions: Any, n_players: int | None, name: str = "coalitions") -> np.ndarray:
    """The one coalition check at the API edge: a boolean matrix (m, n_players) (any number of
    columns if ``n_players`` is None).

    A single row is promoted; 0/1 integer or float matrices are converted. A wrong
    shape or entries other than 0/1 raise ValueError, a non-numeric dtype TypeError; one line
    naming ``name``, before anything is allocated or evaluated. Arrays the package builds itself
    (estimator batches) are boolean of the right shape and pass in O(1); internal paths after
    this check trust the array.
    """
    arr = np.asarray(coalitions)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or (n_players is not None and arr.shape[1] != n_players):
        n = "n" if n_players is None else n_players
        raise ValueError(f"{name} must have shape (m, {n}), got {np.shape(coalitions)}")
    if arr.dtype != np.bool_:
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be boolean (or 0/1 numbers), got dtype {arr.dtype}")
        if not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be boolean: only 0/1 (or True/False) entries")
        arr = arr.astype(bool)
    return arr


def contained_sum(sets: np.ndarray, values: np.ndarray, coalitions: np.ndarray) -> np.ndarray:
    """out[b] = sum of values[r] over the sets r contained in coalition b.

    sets (k, W) and coalitions (m, W) are words; values (k, d). Plain NumPy, in chunks of
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
