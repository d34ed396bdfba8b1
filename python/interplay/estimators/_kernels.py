"""Thin, validated wrappers of the sampled estimators' kernels (declared, with what each backend
handles, in :mod:`interplay.backends._table`): stratified_stream, subset_moments (with the
complement trick), complement_fold, subset_gather, intersection_kernel, set_ranks (and the
union_ranks table built from it), first_occurrence, permutations; the permutation plans and
accumulators are called by the permutation estimators directly.
"""

from __future__ import annotations

import functools
from math import comb

import numpy as np

from .. import sets as bits
from .._validation import format_bytes, require_memory
from ..backends import KERNELS
from ..sets import n_sets_upto

STREAM = KERNELS["sampling.stratified_stream"]
MOMENTS = KERNELS["sampling.subset_moments"]
GATHER = KERNELS["sampling.subset_gather"]
FOLD = KERNELS["sampling.complement_fold"]
DEDUP = KERNELS["sampling.first_occurrence"]
PERMS = KERNELS["sampling.permutations"]
KERNEL = KERNELS["sampling.intersection_kernel"]
RANKS = KERNELS["sampling.set_ranks"]
STII2_PLAN = KERNELS["permutation.stii2_plan"]
STII2_ACC = KERNELS["permutation.stii2_accumulate"]
SII_PLAN = KERNELS["permutation.sii_plan"]
SII_ACC = KERNELS["permutation.sii_accumulate"]


def stratified_stream(n, size_weights, pairing, seed, budget, *, backend="auto"):
    _, fn = STREAM.select(backend)
    return fn(int(n), np.ascontiguousarray(size_weights, dtype=np.float64), bool(pairing),
              int(seed), int(budget))


#: largest table of subset ranks the complement trick may build (entries)
_COMPLEMENT_TABLE_LIMIT = 1 << 23


def _use_complement(n: int, max_order: int) -> bool:
    return n >= 8 and max_order >= 1 and comb(n, max_order) << max_order <= _COMPLEMENT_TABLE_LIMIT


def _complement_pays(sets: np.ndarray, n: int, max_order: int, n_buckets: int = 1,
                     sizes: np.ndarray | None = None) -> bool:
    """Cost model of ``complement="auto"``: visiting the subsets of the complements of the large
    rows plus one fold (sum_u C(n, u) 2^u terms per bucket) must at least halve the subsets
    visited directly (sum over rows of sum_{u <= K} C(|T|, u))."""
    t = bits.sizes(sets) if sizes is None else sizes
    upto = np.zeros(n + 1)
    for u in range(max_order + 1):
        upto += np.array([comb(a, u) for a in range(n + 1)], dtype=np.float64)
    direct = float(upto[t].sum())
    fold = n_buckets * sum(comb(n, u) << u for u in range(max_order + 1))
    via = float(upto[np.minimum(t, n - t)].sum()) + fold
    return 2.0 * via <= direct


def _big_rows(sets, n, max_order, complement, sizes, n_buckets) -> np.ndarray | None:
    """The rows (|T| > n/2) to visit through their complements, or None for none."""
    if not (complement and _use_complement(n, max_order) and sets.shape[0]):
        return None
    sizes = bits.sizes(sets) if sizes is None else sizes
    if complement == "auto" and not _complement_pays(sets, n, max_order, n_buckets, sizes):
        return None
    big = sizes > n // 2
    return big if big.any() else None


def subset_moments(sets, n, max_order, weights, bucket=None, n_buckets=1, *, backend="auto",
                   complement=True, sizes=None):
    """Returns moments of shape (n_buckets, n_sets(<= max_order), c).

    Coalitions larger than n/2 are accumulated through their complements (few subsets) and
    mapped back by [U subset T] = sum_{A subset U} (-1)^{|A|} [A subset N minus T].
    ``complement``: True (whenever the fold's rank tables are small), False, or "auto" (only
    when it at least halves the work, see :func:`_complement_pays`). ``sizes``: |T_r| if the
    caller has them (the coalition stream returns them), else counted here.
    """
    sets = bits.words(sets, n)
    big = _big_rows(sets, n, max_order, complement, sizes, n_buckets)
    if big is None:
        return _moments_direct(sets, n, max_order, weights, bucket, n_buckets, backend)
    w = np.asarray(weights, dtype=np.float64)
    w = w[:, None] if w.ndim == 1 else w
    b = None if bucket is None else np.asarray(bucket, dtype=np.int64)
    out = _moments_direct(sets[~big], n, max_order, w[~big],
                          None if b is None else b[~big], n_buckets, backend)
    comp = _moments_direct(bits.complement(sets[big], n), n, max_order, w[big],
                           None if b is None else b[big], n_buckets, backend)
    complement_fold(comp, n, max_order, out, backend=backend)
    return out


def _moments_direct(sets, n, max_order, weights, bucket, n_buckets, backend):
    w = np.ascontiguousarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[:, None]
    ns = n_sets_upto(n, max_order)
    nbytes = 8 * n_buckets * ns * w.shape[1]
    if nbytes > 1 << 26:  # reading /proc/meminfo costs more than a small allocation
        require_memory(nbytes, f"subset moments ({n_buckets} x {ns} x {w.shape[1]}, "
                       f"{format_bytes(nbytes)})", argument="budget")
    out = np.zeros((n_buckets, ns, w.shape[1]), dtype=np.float64)
    if sets.shape[0] == 0:
        return out
    b = None if bucket is None else np.ascontiguousarray(bucket, dtype=np.int64)
    _, fn = MOMENTS.select(backend)
    fn(sets, int(n), int(max_order), w, b, out)
    return out


def complement_fold(src, n, max_order, out, *, backend="auto"):
    """out[b, rank(U)] += sum over A subset of U of (-1)^|A| src[b, rank(A)] for |U| <= max_order
    (in place): subset moments accumulated over complements N minus T turned into subset
    moments over T, by [U subset T] = sum_{A subset U} (-1)^{|A|} [A subset N minus T]."""
    src = np.ascontiguousarray(src, dtype=np.float64)
    if src.shape != out.shape or src.shape[1] != n_sets_upto(n, max_order):
        raise ValueError(f"complement_fold: src {src.shape} and out {out.shape} must both have "
                         f"shape (n_buckets, {n_sets_upto(n, max_order)}, c)")
    _, fn = FOLD.select(backend)
    fn(src, int(n), int(max_order), out)


def subset_gather(sets, n, max_order, coef, *, backend="auto", complement=True, sizes=None):
    """out[r] = sum of coef[rank(U)] over U subset of T_r, |U| <= max_order (coalitions larger
    than n/2 through their complements: v_hat(T) = sum_{A subset N minus T} coef'[A] with
    coef'[A] = (-1)^{|A|} sum_{U superset A} coef[U]). ``sizes`` as in :func:`subset_moments`."""
    sets = bits.words(sets, n)
    c = np.ascontiguousarray(coef, dtype=np.float64)
    if c.ndim == 1:
        c = c[:, None]
    big = _big_rows(sets, n, max_order, complement, sizes, 1)
    if big is not None:
        cp = _superset_sums(n, max_order) @ c
        for s in range(1, max_order + 1, 2):
            cp[bits.offset(n, s):bits.offset(n, s + 1)] *= -1.0
        out = np.empty((sets.shape[0], c.shape[1]), dtype=np.float64)
        out[~big] = subset_gather(sets[~big], n, max_order, c, backend=backend,
                                  complement=False)
        out[big] = subset_gather(bits.complement(sets[big], n), n, max_order, cp,
                                 backend=backend, complement=False)
        return out
    out = np.zeros((sets.shape[0], c.shape[1]), dtype=np.float64)
    if sets.shape[0] == 0:
        return out
    _, fn = GATHER.select(backend)
    fn(sets, int(n), int(max_order), c, out)
    return out


@functools.lru_cache(maxsize=8)
def _superset_sums(n: int, max_order: int):
    """The sparse (K, K) 0/1 map c -> (sum over U superset of A, |U| <= max_order, of c[U])_A
    in CSR form. Each row's entries are stored in the order (|U|, position mask of A in U, U)
    in which ``np.add.at`` over :func:`interplay.sets.subset_ranks_by_mask` used to add them,
    and a CSR product adds a row's entries in stored order from 0: the sums are bit for bit
    those of the scatter loop, at a sparse product's cost (n = 60, order 2, 1,831 columns:
    the scatter took about 35 ms a call, 4.6 s of one KernelSHAP-IQ fit at 36,620 coalitions)."""
    import scipy.sparse as sp

    rows, cols = [], []
    for s in range(max_order + 1):
        R = bits.subset_ranks_by_mask(n, s)
        lo = bits.offset(n, s)
        src = np.arange(lo, lo + R.shape[0], dtype=np.int64)
        for L in range(1 << s):
            rows.append(R[:, L])
            cols.append(src)
    r, cl = np.concatenate(rows), np.concatenate(cols)
    order = np.argsort(r, kind="stable")  # keeps the scatter's order within each row
    K = n_sets_upto(n, max_order)
    indptr = np.zeros(K + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=K), out=indptr[1:])
    return sp.csr_matrix((np.ones(r.size), cl[order], indptr), shape=(K, K))


def intersection_kernel(sets, n, table, *, backend="auto"):
    """(m, m) matrix out[a, b] = table[|T_a n T_b|] (``table`` of length >= n + 1).

    With table[i] = sum_{j=lo}^{k} C(i, j) this is Phi Phi^T for the 0/1 monomial features
    phi_T[S] = [S subset T], lo <= |S| <= k: the Gram matrix of the dual (kernel) regression.
    """
    sets = bits.words(sets, n)
    t = np.ascontiguousarray(table, dtype=np.float64)
    m = sets.shape[0]
    out = np.empty((m, m), dtype=np.float64)
    if m:
        _, fn = KERNEL.select(backend)
        fn(sets, int(n), t, out)
    return out


def set_ranks(sets, n, max_order, *, backend="auto"):
    """Row of each set among all sets of sizes 0..max_order (size, then value); -1 if larger."""
    sets = bits.words(sets, n)
    if sets.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, fn = RANKS.select(backend)
    return np.asarray(fn(sets, int(n), int(max_order)), dtype=np.int64)


#: union-rank tables up to this size are kept for reuse (least recently used dropped first)
UNION_CACHE_BYTES = 1 << 26
#: pairs (entries of the table) ranked per block while a table is built
UNION_BLOCK_PAIRS = 1 << 20
_UNION_CACHE: dict = {}


def union_table_bytes(n: int, k: int, min_order: int = 0) -> int:
    """Bytes of the K x K :func:`union_ranks` table (int32 while the ranks fit, else int64)."""
    K = n_sets_upto(n, k) - bits.offset(n, min_order)
    return K * K * (4 if n_sets_upto(n, 2 * k) < 2**31 else 8)


def union_ranks(n: int, k: int, min_order: int = 0) -> np.ndarray:
    """R[a, b] = rank of S_a u S_b among sets of size <= 2k, for the sets S of sizes
    min_order..k (:func:`interplay.sets.enumerate_sets` order); read-only, int32 when every
    rank fits (else int64).

    Built by blocks of rows (about UNION_BLOCK_PAIRS pairs each, no K x K temporaries of
    pairs or words: at K = 19,307 those took 25 GB); tables of at most UNION_CACHE_BYTES are
    kept for reuse (8 at most), larger ones belong to the caller."""
    key = (int(n), int(k), int(min_order))
    hit = _UNION_CACHE.pop(key, None)
    if hit is not None:
        _UNION_CACHE[key] = hit  # most recently used last
        return hit
    b = bits.enumerate_sets(n, min_order, k)
    K = b.shape[0]
    out = np.empty((K, K), dtype=np.int32 if n_sets_upto(n, 2 * k) < 2**31 else np.int64)
    rows = max(1, UNION_BLOCK_PAIRS // max(K, 1))
    for r0 in range(0, K, rows):
        r1 = min(K, r0 + rows)
        u = (b[r0:r1, None, :] | b[None, :, :]).reshape((r1 - r0) * K, b.shape[1])
        out[r0:r1] = set_ranks(u, n, 2 * k).reshape(r1 - r0, K)
    out.setflags(write=False)
    if out.nbytes <= UNION_CACHE_BYTES:
        _UNION_CACHE[key] = out
        while len(_UNION_CACHE) > 8:
            _UNION_CACHE.pop(next(iter(_UNION_CACHE)))
    return out


def first_occurrence(rows, *, backend="auto"):
    """(first row of each distinct row, in order of first occurrence; id of every row)."""
    rows = np.ascontiguousarray(rows, dtype=np.uint64)
    if rows.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _, fn = DEDUP.select(backend)
    first, ids = fn(rows)
    return np.asarray(first, dtype=np.int64), np.asarray(ids, dtype=np.int64)


def permutations(seed, start, count, n, *, backend="auto"):
    """Permutations start..start+count-1 of the seeded permutation stream, (count, n) int64."""
    _, fn = PERMS.select(backend)
    return np.asarray(fn(int(seed), int(start), int(count), int(n)), dtype=np.int64)
