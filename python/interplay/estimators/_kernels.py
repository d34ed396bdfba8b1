"""Kernel registry entries of the sampled estimators and thin, validated wrappers.

- ``sampling.stratified_stream``: the size-stratified coalition stream (C++, NumPy reference).
- ``sampling.subset_moments``: moments[b, rank(U), j] = sum of weights[r, j] over rows r in
  bucket b with U subset of T_r, |U| <= K (C++, Numba, NumPy reference).
- ``sampling.subset_gather``: out[r] = sum over U subset of T_r, |U| <= K of coef[rank(U)].
- ``sampling.set_ranks``: rank of a set among all sets of size <= K (size, then value).
"""

from __future__ import annotations

from math import comb

import numpy as np

from .._sets import n_words
from .._validation import format_bytes, require_memory
from ..backends import Kernel, core_attr, module_attr
from . import _reference

STREAM = Kernel(
    "sampling.stratified_stream",
    cpp=core_attr("sampling.stratified_stream"),
    reference=lambda: _reference.stratified_stream,
)
MOMENTS = Kernel(
    "sampling.subset_moments",
    cpp=core_attr("sampling.subset_moments"),
    numba=module_attr("interplay.estimators._numba", "subset_moments"),
    reference=lambda: _reference.subset_moments,
)
GATHER = Kernel(
    "sampling.subset_gather",
    cpp=core_attr("sampling.subset_gather"),
    numba=module_attr("interplay.estimators._numba", "subset_gather"),
    reference=lambda: _reference.subset_gather,
)
RANKS = Kernel(
    "sampling.set_ranks",
    cpp=core_attr("sampling.set_ranks"),
    numba=module_attr("interplay.estimators._numba", "set_ranks"),
    reference=lambda: _reference.set_ranks,
)


def n_sets_upto(n: int, k: int) -> int:
    return sum(comb(n, u) for u in range(k + 1))


def as_words(sets: np.ndarray, n: int) -> np.ndarray:
    """Packed sets as a C-contiguous (m, W) uint64 array."""
    s = np.ascontiguousarray(sets, dtype=np.uint64)
    return s.reshape(s.shape[0], n_words(n))


def stratified_stream(n, size_weights, pairing, seed, budget, *, backend="auto"):
    _, fn = STREAM.select(backend)
    return fn(int(n), np.ascontiguousarray(size_weights, dtype=np.float64), bool(pairing),
              int(seed), int(budget))


def subset_moments(sets, n, max_order, weights, bucket=None, n_buckets=1, *, backend="auto"):
    """Returns moments of shape (n_buckets, n_sets(<= max_order), c)."""
    sets = as_words(sets, n)
    w = np.ascontiguousarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[:, None]
    ns = n_sets_upto(n, max_order)
    nbytes = 8 * n_buckets * ns * w.shape[1]
    require_memory(nbytes, f"subset moments ({n_buckets} x {ns} x {w.shape[1]}, "
                   f"{format_bytes(nbytes)})", argument="budget")
    out = np.zeros((n_buckets, ns, w.shape[1]), dtype=np.float64)
    if sets.shape[0] == 0:
        return out
    b = None if bucket is None else np.ascontiguousarray(bucket, dtype=np.int64)
    _, fn = MOMENTS.select(backend)
    fn(sets, int(n), int(max_order), w, b, out)
    return out


def subset_gather(sets, n, max_order, coef, *, backend="auto"):
    sets = as_words(sets, n)
    c = np.ascontiguousarray(coef, dtype=np.float64)
    if c.ndim == 1:
        c = c[:, None]
    out = np.zeros((sets.shape[0], c.shape[1]), dtype=np.float64)
    if sets.shape[0] == 0:
        return out
    _, fn = GATHER.select(backend)
    fn(sets, int(n), int(max_order), c, out)
    return out


def set_ranks(sets, n, max_order, *, backend="auto"):
    sets = as_words(sets, n)
    if sets.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, fn = RANKS.select(backend)
    return np.asarray(fn(sets, int(n), int(max_order)), dtype=np.int64)
