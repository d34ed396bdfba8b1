"""Plain Python/NumPy reference implementations of the sampling kernels (the C++ kernels in
csrc/include/interplay/{sampling,regression} and the Numba fallback must agree with these)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..._rng import GOLDEN, MASK, SplitMix64, mix64
from ...sets import n_words


def forced_sizes(n: int, q: np.ndarray) -> list[int]:
    """The sizes the stream enumerates completely (weight inf), in its order 0, n, 1, n-1, ..."""
    order = (i // 2 if i % 2 == 0 else n - i // 2 for i in range(n + 1))
    return [t for t in order if np.isinf(q[t]) and q[t] > 0]


def stratified_stream(n: int, q: np.ndarray, pairing: bool, seed: int, budget: int):
    """Reference for ``_core.sampling.stratified_stream`` (same algorithm, same draws); sets
    are Python integers until the end."""
    q = np.asarray(q, dtype=np.float64)
    full = (1 << n) - 1
    rng = SplitMix64(seed)
    seen: set[int] = set()
    sets: list[int] = []
    sizes: list[int] = []
    draw: list[int] = []
    cap = [math.comb(n, t) for t in range(n + 1)]
    cnt = [0] * (n + 1)
    draw_id = 0

    def emit(c, t, i):
        sets.append(c)
        sizes.append(t)
        draw.append(i)
        cnt[t] += 1

    for t in forced_sizes(n, q):
        if len(sets) >= budget:
            break
        # colex order of t-sets is the order of their integer values
        allc = sorted(sum(1 << p for p in c) for c in itertools.combinations(range(n), t))
        for i in range(len(allc) - 1, 0, -1):
            j = rng.below(i + 1)
            allc[i], allc[j] = allc[j], allc[i]
        for c in allc:
            if len(sets) >= budget:
                break
            if c not in seen:
                seen.add(c)
                emit(c, t, draw_id)
                draw_id += 1

    def open_sizes():
        return [t for t in range(n + 1) if q[t] > 0 and not np.isinf(q[t]) and cnt[t] < cap[t]]

    opens = open_sizes()
    while len(sets) < budget and opens:
        total = 0.0
        for t in opens:
            total += q[t]
        u = rng.uniform() * total
        acc = 0.0
        t = opens[-1]
        for s in opens:
            acc += q[s]
            if u < acc:
                t = s
                break
        take_in = t <= n - t
        draws = t if take_in else n - t
        while True:
            perm = list(range(n))
            for i in range(draws):
                j = i + rng.below(n - i)
                perm[i], perm[j] = perm[j], perm[i]
            c = sum(1 << p for p in perm[:draws])
            if not take_in:
                c = full & ~c
            if c not in seen:
                seen.add(c)
                break
        ident = draw_id
        draw_id += 1
        emit(c, t, ident)
        if pairing and len(sets) < budget:
            comp = full & ~c
            if comp not in seen:
                seen.add(comp)
                emit(comp, n - t, ident)
        opens = open_sizes()
    w = n_words(n)
    arr = np.array([[c >> (64 * k) & MASK for k in range(w)] for c in sets], dtype=np.uint64)
    return arr.reshape(len(sets), w), np.array(sizes, dtype=np.int64), np.array(draw, dtype=np.int64)


def _members(row: np.ndarray) -> list[int]:
    out = []
    for k, word in enumerate(row.tolist()):
        v = int(word)
        out.extend(64 * k + i for i in range(v.bit_length()) if v >> i & 1)
    return out


def colex_rank(members, n: int, max_order: int) -> int:
    u = len(members)
    if u > max_order:
        return -1
    off = sum(math.comb(n, j) for j in range(u))
    return off + sum(math.comb(a, i + 1) for i, a in enumerate(sorted(members)))


def subset_moments(sets, n, max_order, weights, bucket, out) -> None:
    """Brute force: out[b, rank(U)] += weights[r] for every U subset of sets[r], |U| <= K."""
    for r in range(sets.shape[0]):
        mem = _members(sets[r])
        b = 0 if bucket is None else int(bucket[r])
        for u in range(0, min(max_order, len(mem)) + 1):
            for sub in itertools.combinations(mem, u):
                out[b, colex_rank(sub, n, max_order)] += weights[r]


def subset_gather(sets, n, max_order, coef, out) -> None:
    for r in range(sets.shape[0]):
        mem = _members(sets[r])
        acc = np.zeros(coef.shape[1])
        for u in range(0, min(max_order, len(mem)) + 1):
            for sub in itertools.combinations(mem, u):
                acc += coef[colex_rank(sub, n, max_order)]
        out[r] = acc


def complement_fold(src, n, max_order, out) -> None:
    """Brute force: out[b, rank(U)] += sum over A subset of U of (-1)^|A| src[b, rank(A)]."""
    for u in range(min(max_order, n) + 1):
        for U in itertools.combinations(range(n), u):
            ru = colex_rank(U, n, max_order)
            for a in range(u + 1):
                for A in itertools.combinations(U, a):
                    out[:, ru] += (-1) ** a * src[:, colex_rank(A, n, max_order)]


def set_ranks(sets, n, max_order) -> np.ndarray:
    return np.array([colex_rank(_members(row), n, max_order) for row in sets], dtype=np.int64)


def first_occurrence(rows: np.ndarray):
    """Reference dedup: distinct rows numbered in order of first occurrence."""
    rows = np.ascontiguousarray(rows)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1])))[:, 0]
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    renum = np.empty_like(order)
    renum[order] = np.arange(order.size)
    return first[order].astype(np.int64), renum[inv.reshape(-1)].astype(np.int64)


def permutations(seed: int, start: int, count: int, n: int) -> np.ndarray:
    """Reference for ``_core.sampling.permutations`` (Fisher-Yates, one generator each)."""
    out = np.empty((count, n), dtype=np.int64)
    for r in range(count):
        j = start + r
        rng = SplitMix64(mix64((seed ^ mix64((j + GOLDEN) & MASK)) & MASK))
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            k = rng.below(i + 1)
            p[i], p[k] = p[k], p[i]
        out[r] = p
    return out


def intersection_kernel(sets, n, table, out) -> None:
    """out[a, b] = table[|T_a n T_b|], by popcounts of the packed words (NumPy)."""
    table = np.asarray(table, dtype=np.float64)
    m = sets.shape[0]
    bytes_ = sets.view(np.uint8).reshape(m, -1)
    block = max(1, (1 << 22) // max(m * bytes_.shape[1], 1))
    for lo in range(0, m, block):
        inter = bytes_[lo:lo + block, None, :] & bytes_[None, :, :]
        out[lo:lo + block] = table[np.unpackbits(inter, axis=2).sum(axis=2, dtype=np.int64)]


def t975(df) -> np.ndarray:
    """The 0.975 quantile of Student's t at each of ``df`` (flattened; scipy's stdtrit)."""
    from scipy.special import stdtrit

    return stdtrit(np.asarray(df, dtype=np.float64).reshape(-1), 0.975)
