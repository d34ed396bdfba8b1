"""Plain Python/NumPy reference implementations of the sampling kernels (the C++ kernels in
csrc/include/interplay/{sampling,regression} and the Numba fallback must agree with these)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...estimators._rng import SplitMix64
from ...sets import n_words


def _pack(members, n: int) -> tuple[int, ...]:
    words = [0] * n_words(n)
    for p in members:
        words[p // 64] |= 1 << (p % 64)
    return tuple(words)


def _colex_subsets(n: int, t: int) -> list[tuple[int, ...]]:
    combos = list(itertools.combinations(range(n), t))
    combos.sort(key=lambda c: tuple(reversed(c)))
    return combos


def stratified_stream(n: int, q: np.ndarray, pairing: bool, seed: int, budget: int):
    """Reference for ``_core.sampling.stratified_stream`` (same algorithm, same draws)."""
    q = np.asarray(q, dtype=np.float64)
    w = n_words(n)
    full = (1 << n) - 1
    rng = SplitMix64(seed)
    seen: set[tuple[int, ...]] = set()
    sets: list[tuple[int, ...]] = []
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

    def as_int(c):
        return sum(x << (64 * k) for k, x in enumerate(c))

    def from_int(v):
        return tuple((v >> (64 * k)) & ((1 << 64) - 1) for k in range(w))

    order = []
    a, b = 0, n
    while a <= b:
        order.append(a)
        if b != a:
            order.append(b)
        a += 1
        b -= 1
    for t in order:
        if not (np.isinf(q[t]) and q[t] > 0):
            continue
        if len(sets) >= budget:
            break
        allc = [_pack(c, n) for c in _colex_subsets(n, t)]
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
            chosen = perm[:draws]
            members = chosen if take_in else sorted(set(range(n)) - set(chosen))
            c = _pack(members, n)
            if c not in seen:
                seen.add(c)
                break
        ident = draw_id
        draw_id += 1
        emit(c, t, ident)
        if pairing and len(sets) < budget:
            comp = from_int(full & ~as_int(c))
            if comp not in seen:
                seen.add(comp)
                emit(comp, n - t, ident)
        opens = open_sizes()
    arr = np.array(sets, dtype=np.uint64).reshape(len(sets), w)
    return arr, np.array(sizes, dtype=np.int64), np.array(draw, dtype=np.int64)


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
    from ...estimators._rng import GOLDEN, MASK, mix64

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
