"""Numba fallback of the permutation kernels (n <= 64: a coalition in one word)."""

from __future__ import annotations

import numpy as np
from numba import njit

from .sampling import _GOLDEN, _mix, _perms, _tables


@njit(cache=True)
def _perm_plan(seed, n, k, stii, budget, max_perms):
    """Streaming permutation plan (twin of plan_permutations in sampling/permutation.hpp):
    stii = True: STII order 2 rows; else SII order k rows."""
    one = np.uint64(1)
    full = ~np.uint64(0) if n == 64 else (one << np.uint64(n)) - one
    if stii:
        per = n + 1 + n * (n - 1)
        forced = np.empty(n + 2, dtype=np.uint64)
        forced[0] = 0
        for i in range(n):
            forced[i + 1] = one << np.uint64(i)
        forced[n + 1] = full
    else:
        per = n + 1 if k == 1 else (n + 1) << k
        forced = np.empty(2, dtype=np.uint64)
        forced[0] = 0
        forced[1] = full
    max_keys = budget + per
    if n < 62 and max_keys > (1 << n):
        max_keys = 1 << n
    cap = 64
    while cap < 2 * max_keys:
        cap <<= 1
    mask = np.uint64(cap - 1)
    keys = np.zeros(cap, dtype=np.uint64)
    ids = np.full(cap, -1, dtype=np.int64)
    plan = np.empty(max_keys + 1, dtype=np.uint64)
    cells = np.empty(forced.shape[0] + 64 * per, dtype=np.int64)
    perms = np.empty((64, n), dtype=np.int64)
    cum = np.empty(65, dtype=np.int64)
    n_plan = 0
    n_cells = 0
    prefix = np.zeros(n + 1, dtype=np.uint64)
    pos = np.empty(n, dtype=np.int64)
    rows = np.empty(max(per, forced.shape[0]), dtype=np.uint64)
    p = np.empty(n, dtype=np.int64)
    M = 0
    for j in range(-1, max_perms):
        if j < 0:
            m_rows = forced.shape[0]
            rows[:m_rows] = forced
        else:
            p[:] = _perms(seed, j, 1, n)[0]
            for i in range(n):
                prefix[i + 1] = prefix[i] | (one << np.uint64(p[i]))
                pos[p[i]] = i
            r = 0
            if stii:
                for i in range(n + 1):
                    rows[r] = prefix[i]
                    r += 1
                for ps in range(2):
                    for b in range(1, n):
                        for a in range(b):
                            if pos[a] < pos[b]:
                                f, later = pos[a], b
                            else:
                                f, later = pos[b], a
                            rows[r] = prefix[f + ps] | (one << np.uint64(later))
                            r += 1
            elif k == 1:
                for i in range(n + 1):
                    rows[r] = prefix[i]
                    r += 1
            else:
                for q in range(n + 1):
                    for L in range(1 << k):
                        row = prefix[q]
                        for i in range(k):
                            if (L >> i) & 1 and q + i < n:
                                row |= one << np.uint64(p[q + i])
                        rows[r] = row
                        r += 1
            m_rows = per
        if n_cells + m_rows > cells.shape[0]:
            grown = np.empty(2 * cells.shape[0] + m_rows, dtype=np.int64)
            grown[:n_cells] = cells[:n_cells]
            cells = grown
        plan_before = n_plan
        for i in range(m_rows):
            x = rows[i]
            h = _mix(x + _GOLDEN) & mask
            while ids[h] >= 0 and keys[h] != x:
                h = (h + one) & mask
            if ids[h] < 0:
                keys[h] = x
                ids[h] = n_plan
                plan[n_plan] = x
                n_plan += 1
            cells[n_cells + i] = ids[h]
        if j < 0:
            n_cells += m_rows
            cum[0] = n_plan
            continue
        if n_plan > budget:
            n_plan = plan_before
            break
        n_cells += m_rows
        if M == perms.shape[0]:
            g = np.empty((2 * M, n), dtype=np.int64)
            g[:M] = perms[:M]
            perms = g
            gc = np.empty(2 * M + 1, dtype=np.int64)
            gc[:M + 1] = cum[:M + 1]
            cum = gc
        perms[M] = p
        M += 1
        cum[M] = n_plan
    return plan[:n_plan], perms[:M], cells[:n_cells], cum[:M + 1]


def _plan_out(res):
    plan, perms, cells, cum = res
    return plan.reshape(-1, 1).copy(), perms.copy(), cells.copy(), cum.copy()


def stii2_plan(seed, n, budget, max_perms):
    return _plan_out(_perm_plan(np.uint64(int(seed) & ((1 << 64) - 1)), int(n), 2, True,
                                int(budget), int(max_perms)))


def sii_plan(seed, n, k, budget, max_perms):
    return _plan_out(_perm_plan(np.uint64(int(seed) & ((1 << 64) - 1)), int(n), int(k), False,
                                int(budget), int(max_perms)))


def sii_accumulate(perms, cells, k, V, S1, S2, group=None, SG=None, hits=None):
    if (group is None) != (SG is None):
        raise ValueError("group and SG must be given together")
    if group is None:  # one scratch group: the kernel is compiled once, with the group sums
        group = np.zeros(perms.shape[0], dtype=np.int64)
        SG = np.zeros((1,) + S1.shape)
    _sii_accumulate(perms, cells, k, V, S1, S2, np.ascontiguousarray(group, dtype=np.int64), SG,
                    np.zeros(S1.shape[0], np.int64) if hits is None else hits,
                    *_tables(perms.shape[1], k))


@njit(cache=True)
def _sii_accumulate(perms, cells, k, V, S1, S2, group, SG, hits, binom, offset):
    M, n = perms.shape
    d = V.shape[1]
    per = n + 1 if k == 1 else (n + 1) << k
    tot = np.zeros(d)
    acc = np.zeros(d)
    mem = np.empty(k, dtype=np.int64)
    for m in range(M):
        c0 = m * per
        for s in range(min(k, n) + 1):
            csz = binom[n, s] / (n - s + 1)
            tot[:] = 0.0
            for q in range(n - s + 1):
                acc[:] = 0.0
                for L in range(1 << s):
                    pc = 0
                    for i in range(s):
                        pc += (L >> i) & 1
                    sign = -1.0 if (s - pc) & 1 else 1.0
                    cid = cells[c0 + q + L] if k == 1 else cells[c0 + (q << k) + L]
                    for t in range(d):
                        acc[t] += sign * V[cid, t]
                if s == 0:
                    for t in range(d):
                        tot[t] += csz * acc[t]
                    continue
                for i in range(s):
                    mem[i] = perms[m, q + i]
                mem[:s] = np.sort(mem[:s])
                r = offset[s]
                for i in range(s):
                    r += binom[mem[i], i + 1]
                hits[r] += 1
                for t in range(d):
                    x = csz * acc[t]
                    S1[r, t] += x
                    S2[r, t] += x * x
                    SG[group[m], r, t] += x
            if s == 0:
                hits[0] += 1
                for t in range(d):
                    S1[0, t] += tot[t]
                    S2[0, t] += tot[t] * tot[t]
                    SG[group[m], 0, t] += tot[t]


def stii2_accumulate(perms, cells, V, S1, S2, lo=None, hi=None):
    if (lo is None) != (hi is None):
        raise ValueError("lo and hi must be given together")
    if lo is None:  # scratch extremes: the kernel is compiled once, with them
        lo, hi = np.empty_like(S1), np.empty_like(S1)
    _stii2_accumulate(perms, cells, V, S1, S2, lo, hi)


@njit(cache=True)
def _stii2_accumulate(perms, cells, V, S1, S2, lo, hi):
    M, n = perms.shape
    d = V.shape[1]
    per = n + 1 + n * (n - 1)
    K2 = n * (n - 1) // 2
    pos = np.empty(n, dtype=np.int64)
    for m in range(M):
        for i in range(n):
            pos[perms[m, i]] = i
        c0 = m * per
        q = 0
        for b in range(1, n):
            for a in range(b):
                f = pos[a] if pos[a] < pos[b] else pos[b]
                i0, i1 = cells[c0 + f], cells[c0 + f + 1]
                ij, iij = cells[c0 + n + 1 + q], cells[c0 + n + 1 + K2 + q]
                for t in range(d):
                    delta = V[iij, t] - V[i1, t] - V[ij, t] + V[i0, t]
                    S1[q, t] += delta
                    S2[q, t] += delta * delta
                    if delta < lo[q, t]:
                        lo[q, t] = delta
                    if delta > hi[q, t]:
                        hi[q, t] = delta
                q += 1
