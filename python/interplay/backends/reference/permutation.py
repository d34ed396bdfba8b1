"""NumPy reference of the permutation kernels: the plans by vectorised chunks (any n; also the
estimators' fallback beyond the compiled kernels' one word, n > 64, or order > 8) and the
accumulators of the permutation contributions."""

from __future__ import annotations

from math import comb

import numpy as np

from ... import sets as bits
from ...estimators._kernels import first_occurrence, permutations


def _onehot_words(players: np.ndarray, n: int) -> np.ndarray:
    W = bits.n_words(n)
    if W == 1:
        return (np.uint64(1) << players.astype(np.uint64))[..., None]
    out = np.zeros(players.shape + (W,), dtype=np.uint64)
    w = players // 64
    b = (players % 64).astype(np.uint64)
    for k in range(W):
        out[..., k] = np.where(w == k, np.uint64(1) << b, np.uint64(0))
    return out


def _prefixes(P: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """One-hot words (M, n, W) of the permutations P (M, n) and their prefixes (M, n + 1, W)."""
    oh = _onehot_words(P, n)
    prefix = np.zeros((P.shape[0], n + 1, oh.shape[-1]), dtype=np.uint64)
    prefix[:, 1:] = np.bitwise_or.accumulate(oh, axis=1)
    return oh, prefix


def _windows(base: np.ndarray, add: list, k: int) -> np.ndarray:
    """base | add[i] for the bits i of every mask L < 2^k, stacked before the word axis."""
    out = np.empty(base.shape[:-1] + (1 << k, base.shape[-1]), dtype=np.uint64)
    for L in range(1 << k):
        out[..., L, :] = base
        for i in range(k):
            if L >> i & 1:
                out[..., L, :] |= add[i]
    return out


def plan_chunked(forced, per, coalitions, distinct_guess, seed, n, budget, max_perms, *,
                 backend="auto"):
    """The permutation plan by vectorised chunks (the reference of every compiled planner).

    Rows: ``forced``, then ``per`` rows per permutation of the seeded stream (``coalitions(P)``
    gives them for a chunk P of permutations); distinct rows numbered in order of first
    occurrence; the plan stops before the first permutation that would take the number of
    distinct rows past ``budget``. Returns (distinct rows, permutations (M, n), id of every
    generated row, distinct rows after the forced rows and after each permutation (M + 1,)).
    """
    nf = forced.shape[0]
    count = 0
    all_rows = [forced]
    perm_chunks = []
    while True:
        if count == 0:
            chunk = max(4, int(1.3 * (budget - nf) / max(1, distinct_guess)) + 4)
        else:  # extrapolate from the distinct coalitions per permutation seen so far
            rate = max(1.0, (cum[-1] - n_forced) / count)
            chunk = max(4, int(1.1 * (budget - cum[-1]) / rate) + 2)
        chunk = min(chunk, max_perms - count)
        if chunk <= 0:
            break
        P = permutations(seed, count, chunk, n, backend=backend)
        perm_chunks.append(P)
        all_rows.append(coalitions(P).reshape(-1, forced.shape[1]))
        count += chunk
        rows = np.concatenate(all_rows)
        first, ids = first_occurrence(rows, backend=backend)
        owner = np.where(first < nf, -1, (first - nf) // per)
        n_forced = int((owner < 0).sum())
        new = np.bincount(owner[owner >= 0], minlength=count)
        cum = np.cumsum(new) + n_forced
        fit = int(np.searchsorted(cum, budget, side="right"))
        if fit < count or count >= max_perms:
            break
    # distinct rows are numbered in order of first occurrence: the plan is a prefix
    n_plan = int(np.searchsorted(owner, fit, side="left")) if fit < count else first.size
    perms = np.concatenate(perm_chunks)[:fit] if perm_chunks else np.zeros((0, n), np.int64)
    return (rows[first[:n_plan]], perms, ids[: nf + fit * per],
            np.concatenate([[n_forced], cum[:fit]]).astype(np.int64))


def sii_coalitions(P, n, k):
    """Rows of the permutations P (M, n) for SII of order k: the prefixes (k = 1), else for
    each prefix position and mask L over the next k positions (members beyond n dropped)."""
    oh, prefix = _prefixes(P, n)
    if k == 1:
        return prefix
    ohp = np.concatenate([oh, np.zeros((P.shape[0], k, oh.shape[-1]), dtype=np.uint64)], axis=1)
    return _windows(prefix, [ohp[:, i : i + n + 1] for i in range(k)], k)


def sii_rows_per_perm(n, k):
    # windows of size <= k after each prefix; for k = 1 the prefixes alone
    return n + 1 if k == 1 else (n + 1) << k


def sii_forced(n):
    full = bits.players_to_set(range(n), n)
    return np.stack([np.zeros_like(full), full])


def sii_plan(seed, n, k, budget, max_perms, *, backend="reference"):
    """Reference of ``_core.permutation.sii_plan`` (vectorised chunks; with another backend
    for the dedup, the plan of n > 64 players)."""
    return plan_chunked(sii_forced(n), sii_rows_per_perm(n, k),
                        lambda P: sii_coalitions(P, n, k), max(1, (n - 5) * k), seed, n, budget,
                        max_perms, backend=backend)


def sii_accumulate(perms, cells, k, V, S1, S2, group=None, SG=None, hits=None):
    """Reference of ``_core.permutation.sii_accumulate``: for each permutation, window size
    s = 0..k and start q, contrib = C(n, s)/(n - s + 1) sum_{L subset [s]} (-1)^{s-|L|}
    v(cell(q, L)) goes to the window's set; the empty windows of a permutation are summed
    before squaring. With ``group`` (M,) and ``SG`` (n_groups, n_sets, d) each contribution
    is also added to SG[group[m], set]; with ``hits`` (n_sets,) int64, hits[set] counts the
    permutations in which the set is a window."""
    M, n = perms.shape
    d = V.shape[1]
    K = S1.shape[0]
    per = sii_rows_per_perm(n, k)
    if (group is None) != (SG is None):
        raise ValueError("group and SG must be given together")
    if M == 0:
        return
    if k == 1:  # prefixes only: cell (q, L) is prefix q + popcount(L)
        pre = cells[: M * per].reshape(M, n + 1)
        cl = np.stack([pre, np.concatenate([pre[:, 1:], pre[:, -1:]], axis=1)], axis=2)
    else:
        cl = cells[: M * per].reshape(M, n + 1, 1 << k)
    vals = V[cl]  # (M, n+1, 2^k, d)
    for s in range(k + 1):
        csz = comb(n, s) / (n - s + 1)
        delta = np.zeros((M, n - s + 1, d))
        for L in range(1 << s):
            sign = (-1) ** (s - bin(L).count("1"))
            delta += sign * vals[:, : n - s + 1, L]
        contrib = csz * delta
        if s == 0:
            tot = contrib.sum(axis=1)  # (M, d): all windows map to the empty set
            S1[0] += tot.sum(axis=0)
            S2[0] += (tot**2).sum(axis=0)
            if hits is not None:
                hits[0] += M
            if SG is not None:
                np.add.at(SG[:, 0], np.asarray(group), tot)
            continue
        win = np.stack([perms[:, i : i + n - s + 1] for i in range(s)], axis=-1)
        win = np.sort(win, axis=-1).reshape(-1, s)
        r = bits.rank_members(win, n)
        if hits is not None:
            hits += np.bincount(r, minlength=K)
        flat = contrib.reshape(-1, d)
        for j in range(d):
            S1[:, j] += np.bincount(r, weights=flat[:, j], minlength=K)
            S2[:, j] += np.bincount(r, weights=flat[:, j] ** 2, minlength=K)
        if SG is not None:
            g = np.repeat(np.asarray(group, dtype=np.int64), n - s + 1)
            np.add.at(SG, (g, r), flat)


def stii_coalitions(P, n, k):
    """Rows of the permutations P (M, n) for STII of order k, (M, rows_per_perm, W)."""
    oh, prefix = _prefixes(P, n)
    W = oh.shape[-1]
    pos = np.argsort(P, axis=1)  # position of each player
    mem = bits.members(n, k)  # (K_k, k)
    first = pos[:, mem].min(axis=2)  # (M, K_k)
    if k == 2:
        # T = prefix before the pair's first member; T u {first} is the next prefix, so only
        # T u {later} and T u {a, b} are new cells
        a_first = pos[:, mem[:, 0]] < pos[:, mem[:, 1]]
        later = np.where(a_first, mem[:, 1][None, :], mem[:, 0][None, :])  # (M, K_2)
        jb = _onehot_words(later, n)  # (M, K_2, W)
        T0 = np.take_along_axis(prefix, first[:, :, None].repeat(W, axis=2), axis=1)
        T1 = np.take_along_axis(prefix, (first + 1)[:, :, None].repeat(W, axis=2), axis=1)
        return np.concatenate([prefix, T0 | jb, T1 | jb], axis=1)
    T = np.take_along_axis(prefix, first[:, :, None].repeat(W, axis=2), axis=1)
    ohm = _onehot_words(mem, n)  # (K_k, k, W)
    return _windows(T, [ohm[None, :, i] for i in range(k)], k)


def stii_rows_per_perm(n, k):
    return n + 1 + 2 * comb(n, 2) if k == 2 else comb(n, k) << k


def stii_forced(n, k):
    return np.vstack([bits.enumerate_sets(n, 0, k - 1), sii_forced(n)[1:]])


def stii_plan_chunked(seed, n, k, budget, max_perms, *, backend="auto"):
    """The STII plan of order k by vectorised chunks (any n; the dedup on ``backend``)."""
    return plan_chunked(stii_forced(n, k), stii_rows_per_perm(n, k),
                        lambda P: stii_coalitions(P, n, k), max(1, (comb(n, k) << k) // 5), seed,
                        n, budget, max_perms, backend=backend)


def stii2_plan(seed, n, budget, max_perms):
    """Reference of ``_core.permutation.stii2_plan`` (vectorised chunks, NumPy dedup)."""
    return stii_plan_chunked(seed, n, 2, budget, max_perms, backend="reference")


def stii2_deltas(perms, cells, V):
    """(M, C(n, 2), d) delta = v(T+ab) - v(T+first) - v(T+later) + v(T) of each permutation
    and pair {a < b} (colex), T the prefix before its first member."""
    M, n = perms.shape
    K2 = comb(n, 2)
    raw = cells[: M * stii_rows_per_perm(n, 2)].reshape(M, -1)
    pos = np.argsort(perms, axis=1)
    mem = bits.members(n, 2)
    first = np.minimum(pos[:, mem[:, 0]], pos[:, mem[:, 1]])
    pre = raw[:, : n + 1]
    t0 = np.take_along_axis(pre, first, axis=1)
    t1 = np.take_along_axis(pre, first + 1, axis=1)
    xj, xij = raw[:, n + 1 : n + 1 + K2], raw[:, n + 1 + K2 :]
    return V[xij] - V[t1] - V[xj] + V[t0]


def stii2_accumulate(perms, cells, V, S1, S2, lo=None, hi=None):
    """Reference of ``_core.permutation.stii2_accumulate``: S1 += delta, S2 += delta^2 summed
    over the permutations (:func:`stii2_deltas`); with ``lo`` and ``hi`` (both or neither),
    their running minimum and maximum of delta."""
    if (lo is None) != (hi is None):
        raise ValueError("lo and hi must be given together")
    if perms.shape[0] == 0:
        return
    delta = stii2_deltas(perms, cells, V)  # (M, K2, d)
    S1 += delta.sum(axis=0)
    S2 += (delta**2).sum(axis=0)
    if lo is not None:
        np.minimum(lo, delta.min(axis=0), out=lo)
        np.maximum(hi, delta.max(axis=0), out=hi)
