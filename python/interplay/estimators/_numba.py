"""Numba fallback of the sampling kernels (used when the compiled core is unavailable)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _members(row, n, mem):
    t = 0
    for w in range(row.shape[0]):
        x = row[w]
        for bit in range(64):
            if (x >> np.uint64(bit)) & np.uint64(1):
                mem[t] = 64 * w + bit
                t += 1
    return t


@njit(cache=True)
def _tables(n, k):
    binom = np.zeros((n + 1, k + 1), dtype=np.int64)
    for a in range(n + 1):
        binom[a, 0] = 1
        for i in range(1, min(a, k) + 1):
            binom[a, i] = binom[a - 1, i - 1] + (binom[a - 1, i] if i <= a - 1 else 0)
    offset = np.zeros(k + 2, dtype=np.int64)
    for u in range(k + 1):
        offset[u + 1] = offset[u] + binom[n, u]
    return binom, offset


@njit(cache=True)
def _moments(sets, n, k, weights, bucket, out):
    binom, offset = _tables(n, k)
    m = sets.shape[0]
    c = weights.shape[1]
    mem = np.empty(n, dtype=np.int64)
    pos = np.empty(k + 1, dtype=np.int64)
    part = np.empty(k + 1, dtype=np.int64)
    for r in range(m):
        b = bucket[r]
        for j in range(c):
            out[b, 0, j] += weights[r, j]
        t = _members(sets[r], n, mem)
        if k == 0 or t == 0:
            continue
        depth = 0
        pos[0] = 0
        part[0] = 0
        while depth >= 0:
            jj = pos[depth]
            if jj >= t:
                depth -= 1
                if depth >= 0:
                    pos[depth] += 1
                continue
            rnk = part[depth] + binom[mem[jj], depth + 1]
            idx = offset[depth + 1] + rnk
            for j in range(c):
                out[b, idx, j] += weights[r, j]
            if depth + 1 < k and jj + 1 < t:
                part[depth + 1] = rnk
                pos[depth + 1] = jj + 1
                depth += 1
            else:
                pos[depth] += 1


@njit(cache=True)
def _gather(sets, n, k, coef, out):
    binom, offset = _tables(n, k)
    m = sets.shape[0]
    c = coef.shape[1]
    mem = np.empty(n, dtype=np.int64)
    pos = np.empty(k + 1, dtype=np.int64)
    part = np.empty(k + 1, dtype=np.int64)
    for r in range(m):
        for j in range(c):
            out[r, j] = coef[0, j]
        t = _members(sets[r], n, mem)
        if k == 0 or t == 0:
            continue
        depth = 0
        pos[0] = 0
        part[0] = 0
        while depth >= 0:
            jj = pos[depth]
            if jj >= t:
                depth -= 1
                if depth >= 0:
                    pos[depth] += 1
                continue
            rnk = part[depth] + binom[mem[jj], depth + 1]
            idx = offset[depth + 1] + rnk
            for j in range(c):
                out[r, j] += coef[idx, j]
            if depth + 1 < k and jj + 1 < t:
                part[depth + 1] = rnk
                pos[depth + 1] = jj + 1
                depth += 1
            else:
                pos[depth] += 1


@njit(cache=True)
def _ranks(sets, n, k):
    binom, offset = _tables(n, k)
    m = sets.shape[0]
    out = np.empty(m, dtype=np.int64)
    mem = np.empty(n, dtype=np.int64)
    for r in range(m):
        t = _members(sets[r], n, mem)
        if t > k:
            out[r] = -1
            continue
        rank = offset[t]
        for i in range(t):
            rank += binom[mem[i], i + 1]
        out[r] = rank
    return out


def subset_moments(sets, n, max_order, weights, bucket, out):
    if bucket is None:
        bucket = np.zeros(sets.shape[0], dtype=np.int64)
    _moments(sets, int(n), int(max_order), weights, np.ascontiguousarray(bucket, np.int64), out)


def subset_gather(sets, n, max_order, coef, out):
    _gather(sets, int(n), int(max_order), coef, out)


def set_ranks(sets, n, max_order):
    return _ranks(sets, int(n), int(max_order))
