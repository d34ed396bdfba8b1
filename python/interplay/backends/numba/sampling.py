"""Numba fallback of the sampling kernels (used when the compiled core is unavailable)."""

from __future__ import annotations

from math import comb

import numpy as np
from numba import njit

from ... import sets as bits
from ..reference import sampling as reference


@njit(cache=True)
def _members(row, mem):
    t = 0
    for w in range(row.shape[0]):
        x = row[w]
        for bit in range(64):
            if (x >> np.uint64(bit)) & np.uint64(1):
                mem[t] = 64 * w + bit
                t += 1
    return t


def _tables(n, k):
    """C(a, i) for a <= n, i <= k, and the row offset of each size 0..k+1 (sets module)."""
    return bits.binom_table(n, k), np.array([bits.offset(n, u) for u in range(k + 2)])


@njit(cache=True)
def _subsets(sets, k, binom, offset, src, bucket, out, gather):
    """Every subset U (|U| <= k) of every row T_r, depth first in colex order; at its rank:
    gather: out[0, r] += src[rank(U)] (from out[0, r] = src[0]); else out[bucket[r], rank(U)]
    += src[r]."""
    mem = np.empty(64 * sets.shape[1], dtype=np.int64)
    pos = np.empty(k + 1, dtype=np.int64)
    part = np.empty(k + 1, dtype=np.int64)
    c = src.shape[1]
    for r in range(sets.shape[0]):
        b = bucket[r]
        for j in range(c):
            if gather:
                out[0, r, j] = src[0, j]
            else:
                out[b, 0, j] += src[r, j]
        t = _members(sets[r], mem)
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
                if gather:
                    out[0, r, j] += src[idx, j]
                else:
                    out[b, idx, j] += src[r, j]
            if depth + 1 < k and jj + 1 < t:
                part[depth + 1] = rnk
                pos[depth + 1] = jj + 1
                depth += 1
            else:
                pos[depth] += 1


def _chunks(m, n, k, columns):
    """Row ranges of about 2^24 subset updates each (rows of ~n/2 members): the compiled loop
    returns to Python between them, where Ctrl-C is raised. Rows are visited in the same
    order as in one call, so the sums are the same bits."""
    per_row = sum(comb(max(n // 2, 1), s) for s in range(k + 1)) * max(columns, 1)
    step = max(1, (1 << 24) // per_row)
    return [(r0, min(m, r0 + step)) for r0 in range(0, m, step)]


def subset_moments(sets, n, max_order, weights, bucket, out):
    if bucket is None:
        bucket = np.zeros(sets.shape[0], dtype=np.int64)
    tables = _tables(n, max_order)
    for r0, r1 in _chunks(sets.shape[0], n, max_order, weights.shape[1]):
        _subsets(sets[r0:r1], max_order, *tables, weights[r0:r1], bucket[r0:r1], out, False)


def subset_gather(sets, n, max_order, coef, out):
    tables = _tables(n, max_order)
    zeros = np.zeros(sets.shape[0], np.int64)
    for r0, r1 in _chunks(sets.shape[0], n, max_order, coef.shape[1]):
        _subsets(sets[r0:r1], max_order, *tables, coef, zeros[r0:r1], out[None, r0:r1], True)


@njit(cache=True)
def _ranks(sets, k, binom, offset):
    out = np.empty(sets.shape[0], dtype=np.int64)
    mem = np.empty(64 * sets.shape[1], dtype=np.int64)
    for r in range(sets.shape[0]):
        t = _members(sets[r], mem)
        if t > k:
            out[r] = -1
            continue
        rank = offset[t]
        for i in range(t):
            rank += binom[mem[i], i + 1]
        out[r] = rank
    return out


def set_ranks(sets, n, max_order):
    return _ranks(sets, max_order, *_tables(n, max_order))


@njit(cache=True)
def _fold(src, n, k, binom, offset, out):
    nbk, _, c = src.shape
    mem = np.empty(max(k, 1), dtype=np.int64)
    for s in range(min(k, n) + 1):
        lo = offset[s]
        for q in range(offset[s + 1] - lo):
            rest = q
            a = n - 1
            for i in range(s, 0, -1):
                while binom[a, i] > rest:
                    a -= 1
                mem[i - 1] = a
                rest -= binom[a, i]
                a -= 1
            for b in range(nbk):
                for L in range(1 << s):
                    u = 0
                    rank = 0
                    for i in range(s):
                        if (L >> i) & 1:
                            u += 1
                            rank += binom[mem[i], u]
                    rank += offset[u]
                    sign = -1.0 if u % 2 else 1.0
                    for j in range(c):
                        out[b, lo + q, j] += sign * src[b, rank, j]


def complement_fold(src, n, max_order, out):
    _fold(src, n, max_order, *_tables(n, max_order), out)


# ------------------------------------------------------------------ coalition stream (n <= 64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _next(state):
    state[0] += _GOLDEN
    return _mix(state[0])


@njit(cache=True)
def _uniform(state):
    return float(_next(state) >> np.uint64(11)) * 2.0**-53


@njit(cache=True)
def _below(state, k):
    j = np.int64(_uniform(state) * float(k))
    return j if j < k else k - 1


@njit(cache=True)
def _stream64(n, q, pairing, seed, budget, forced, cap):
    state = np.empty(1, dtype=np.uint64)
    state[0] = np.uint64(seed)
    seen = {np.uint64(0): np.int64(0)}
    seen.pop(np.uint64(0))
    out_sets = np.empty(max(budget, 0), dtype=np.uint64)
    out_size = np.empty(max(budget, 0), dtype=np.int64)
    out_draw = np.empty(max(budget, 0), dtype=np.int64)
    cnt = np.zeros(n + 1)
    full = np.uint64(0xFFFFFFFFFFFFFFFF) if n == 64 else (np.uint64(1) << np.uint64(n)) - np.uint64(1)
    emitted = 0
    draw_id = 0
    for t in forced:
        if emitted >= budget:
            break
        # all t-subsets in colex order
        c = int(cap[t])
        allc = np.empty(c, dtype=np.uint64)
        comb = np.arange(t)
        for idx in range(c):
            m = np.uint64(0)
            for i in range(t):
                m |= np.uint64(1) << np.uint64(comb[i])
            allc[idx] = m
            i = 0
            while i < t and ((comb[i] + 1 == comb[i + 1]) if i + 1 < t else (comb[i] + 1 == n)):
                i += 1
            if i == t:
                break
            comb[i] += 1
            for j in range(i):
                comb[j] = j
        for i in range(c - 1, 0, -1):
            j = _below(state, i + 1)
            tmp = allc[i]
            allc[i] = allc[j]
            allc[j] = tmp
        for i in range(c):
            if emitted >= budget:
                break
            s = allc[i]
            if s not in seen:
                seen[s] = 1
                out_sets[emitted] = s
                out_size[emitted] = t
                out_draw[emitted] = draw_id
                cnt[t] += 1.0
                emitted += 1
                draw_id += 1
    perm = np.empty(n, dtype=np.int64)
    while emitted < budget:
        total = 0.0
        nopen = 0
        for t in range(n + 1):
            if q[t] > 0 and not np.isinf(q[t]) and cnt[t] < cap[t]:
                total += q[t]
                nopen += 1
        if nopen == 0:
            break
        u = _uniform(state) * total
        acc = 0.0
        pick = -1
        last = -1
        for t in range(n + 1):
            if q[t] > 0 and not np.isinf(q[t]) and cnt[t] < cap[t]:
                last = t
                acc += q[t]
                if u < acc and pick < 0:
                    pick = t
        t = pick if pick >= 0 else last
        take_in = t <= n - t
        draws = t if take_in else n - t
        while True:
            for i in range(n):
                perm[i] = i
            for i in range(draws):
                j = i + _below(state, n - i)
                tmp = perm[i]
                perm[i] = perm[j]
                perm[j] = tmp
            m = np.uint64(0) if take_in else full
            for i in range(draws):
                bit = np.uint64(1) << np.uint64(perm[i])
                if take_in:
                    m |= bit
                else:
                    m &= ~bit
            if m not in seen:
                seen[m] = 1
                break
        ident = draw_id
        draw_id += 1
        out_sets[emitted] = m
        out_size[emitted] = t
        out_draw[emitted] = ident
        cnt[t] += 1.0
        emitted += 1
        if pairing and emitted < budget:
            comp = full & ~m
            if comp not in seen:
                seen[comp] = 1
                out_sets[emitted] = comp
                out_size[emitted] = n - t
                out_draw[emitted] = ident
                cnt[n - t] += 1.0
                emitted += 1
    return out_sets[:emitted], out_size[:emitted], out_draw[:emitted]


def stratified_stream(n, q, pairing, seed, budget):
    """Numba stream for n <= 64 (one word); larger n use the reference implementation."""
    if n > 64:
        return reference.stratified_stream(n, q, pairing, seed, budget)
    cap = np.array([float(comb(n, t)) for t in range(n + 1)])
    s, t, d = _stream64(n, q, pairing, np.uint64(seed & ((1 << 64) - 1)), budget,
                        np.array(reference.forced_sizes(n, q), dtype=np.int64), cap)
    return s.reshape(-1, 1).copy(), t.copy(), d.copy()


@njit(cache=True)
def _perms(seed, start, count, n):
    out = np.empty((count, n), dtype=np.int64)
    state = np.empty(1, dtype=np.uint64)
    for r in range(count):
        j = np.uint64(start + r)
        state[0] = _mix(seed ^ _mix(j + _GOLDEN))
        for i in range(n):
            out[r, i] = i
        for i in range(n - 1, 0, -1):
            k = _below(state, i + 1)
            tmp = out[r, i]
            out[r, i] = out[r, k]
            out[r, k] = tmp
    return out


def permutations(seed, start, count, n):
    return _perms(np.uint64(int(seed) & ((1 << 64) - 1)), int(start), int(count), int(n))


@njit(cache=True)
def first_occurrence(rows):
    """Dedup rows (m, W): (first row of each distinct row in order of first occurrence, ids)."""
    m, W = rows.shape
    cap = 64
    while cap < 2 * m:
        cap <<= 1
    mask = np.uint64(cap - 1)
    slot_row = np.full(cap, -1, dtype=np.int64)  # row of the first occurrence held by a slot
    slot_id = np.empty(cap, dtype=np.int64)
    ids = np.empty(m, dtype=np.int64)
    first = np.empty(m, dtype=np.int64)
    U = 0
    for r in range(m):
        h = np.uint64(0)
        for w in range(W):
            h = _mix(h ^ (rows[r, w] + _GOLDEN))
        h &= mask
        while True:
            s = slot_row[h]
            if s < 0:
                slot_row[h] = r
                slot_id[h] = U
                first[U] = r
                ids[r] = U
                U += 1
                break
            same = True
            for w in range(W):
                if rows[s, w] != rows[r, w]:
                    same = False
                    break
            if same:
                ids[r] = slot_id[h]
                break
            h = (h + np.uint64(1)) & mask
    return first[:U].copy(), ids


@njit(cache=True)
def _popcount64(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True)
def intersection_kernel(sets, n, table, out):
    m, words = sets.shape
    for a in range(m):
        for b in range(a, m):
            c = 0
            for w in range(words):
                c += _popcount64(sets[a, w] & sets[b, w])
            out[a, b] = table[c]
            out[b, a] = table[c]
