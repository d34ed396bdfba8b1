"""Permutation sampling for SV, SII (k-SII) and STII.

SII (Castro, Gomez and Tejada 2009 for SV; Tsai, Yeh and Ravikumar 2023 / shapiq's
PermutationSamplingSII for interactions): for a uniformly random permutation pi and s-set S
occupying consecutive positions p..p+s-1 after the prefix T = {pi_0..pi_{p-1}},
P(T, S) = t! s! (n-t-s)! / n!, so with the SII weight w(t, s) = t!(n-t-s)!/(n-s+1)!

    SII(S) = C(n, s) / (n - s + 1) * E_pi[ sum_windows [window = S] Delta_S v(T) ]     (unbiased)

STII (Sundararajan, Dhamdhere and Agarwal 2020; shapiq's PermutationSamplingSTII): for a top
order set S, the players before the first member of S form T with probability k / (n C(n-1, t)),
exactly the STII weight, so STII(S) = E_pi[Delta_S v(T)]; lower orders are Moebius
coefficients computed exactly from all coalitions of size < k.

Budget counts distinct coalitions; a run uses whole permutations only (budget_used <= budget).
Standard errors: the sample standard deviation over permutations / sqrt(#permutations).
"""

from __future__ import annotations

from math import comb

import numpy as np

from .. import _sets
from . import _sets_util as su
from ._base import Estimator
from ._exact_small import cii_from_table
from ._kernels import (SII_ACC, SII_PLAN, STII2_ACC, STII2_PLAN, first_occurrence,
                       permutations)
from ._stratified import aggregate_ksii


def _onehot_words(players: np.ndarray, n: int) -> np.ndarray:
    W = _sets.n_words(n)
    if W == 1:
        return (np.uint64(1) << players.astype(np.uint64))[..., None]
    out = np.zeros(players.shape + (W,), dtype=np.uint64)
    w = players // 64
    b = (players % 64).astype(np.uint64)
    for k in range(W):
        out[..., k] = np.where(w == k, np.uint64(1) << b, np.uint64(0))
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


class _PermutationBase(Estimator):
    method = "permutation"
    max_perms_factor = 64

    def __init__(self, n_players, spec, budget, max_order, seed, config, *, backend="auto"):
        super().__init__(n_players, spec, budget, max_order, seed, config)
        self.backend = backend
        forced = self._forced()
        nf = forced.shape[0]
        if budget < nf:
            raise ValueError(f"budget = {budget} is below the {nf} coalitions this estimator "
                             "evaluates before its first permutation")
        max_perms = max(16, self.max_perms_factor * budget)
        # subclasses plan: (distinct rows, permutations, id of every generated row, cumulative
        # distinct counts after the forced rows and each permutation)
        plan, self.perms, self._cell_row, self._cum = self._make_plan(max_perms)
        self.n_perms = self.perms.shape[0]
        self._nf = nf
        self._per = self._rows_per_perm()
        self._set_plan(plan)

    def _compiled_plan(self, kernel, *args):
        plan, perms, cells, cum = kernel.select(self.backend)[1](*args)
        return (np.asarray(plan, np.uint64), np.asarray(perms, np.int64),
                np.asarray(cells, np.int64), np.asarray(cum, np.int64))

    def round_boundary(self, upto):
        j = int(np.searchsorted(self._cum, upto, side="left"))
        return int(self._cum[min(j, len(self._cum) - 1)])

    def _forced(self) -> np.ndarray:
        return _sii_forced(self.n_players)

    def _perms_upto(self, upto: int) -> int:
        return int(np.searchsorted(self._cum[1:], upto, side="right"))

    def _mean_se(self, S1, S2, M):
        """Mean over M permutations and its standard error (inf with fewer than two)."""
        mean = S1 / max(M, 1)
        if M < 2:
            return mean, np.full_like(mean, np.inf)
        var = (S2 - M * mean**2) / (M - 1) / M
        return mean, np.sqrt(np.maximum(var, 0.0))


def sii_coalitions(P, n, k):
    """Rows of the permutations P (M, n) for SII of order k: the prefixes (k = 1), else for
    each prefix position and mask L over the next k positions (members beyond n dropped)."""
    M = P.shape[0]
    oh = _onehot_words(P, n)  # (M, n, W)
    W = oh.shape[-1]
    prefix = np.zeros((M, n + 1, W), dtype=np.uint64)
    prefix[:, 1:] = np.bitwise_or.accumulate(oh, axis=1)
    if k == 1:
        return prefix
    ohp = np.concatenate([oh, np.zeros((M, k, W), dtype=np.uint64)], axis=1)
    out = np.empty((M, n + 1, 1 << k, W), dtype=np.uint64)
    for L in range(1 << k):
        c = prefix.copy()
        for i in range(k):
            if L >> i & 1:
                c |= ohp[:, i : i + n + 1]
        out[:, :, L] = c
    return out


def _sii_rows_per_perm(n, k):
    # windows of size <= k after each prefix; for k = 1 the prefixes alone
    return n + 1 if k == 1 else (n + 1) << k


def _sii_forced(n):
    W = _sets.n_words(n)
    full = np.asarray(_sets.players_to_set(range(n), n), dtype=np.uint64).reshape(1, W)
    return np.vstack([np.zeros((1, W), dtype=np.uint64), full])


def sii_plan_reference(seed, n, k, budget, max_perms, *, backend="reference"):
    """Reference of ``_core.permutation.sii_plan`` (vectorised chunks; with another backend
    for the dedup, the plan of n > 64 players)."""
    return plan_chunked(_sii_forced(n), _sii_rows_per_perm(n, k),
                        lambda P: sii_coalitions(P, n, k), max(1, (n - 5) * k), seed, n, budget,
                        max_perms, backend=backend)


def sii_accumulate_reference(perms, cells, k, V, S1, S2):
    """Reference of ``_core.permutation.sii_accumulate``: for each permutation, window size
    s = 0..k and start q, contrib = C(n, s)/(n - s + 1) sum_{L subset [s]} (-1)^{s-|L|}
    v(cell(q, L)) goes to the window's set; the empty windows of a permutation are summed
    before squaring."""
    M, n = perms.shape
    d = V.shape[1]
    K = S1.shape[0]
    per = _sii_rows_per_perm(n, k)
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
            continue
        win = np.stack([perms[:, i : i + n - s + 1] for i in range(s)], axis=-1)
        win = np.sort(win, axis=-1).reshape(-1, s)
        r = su.rank_members(win, n)
        flat = contrib.reshape(-1, d)
        for j in range(d):
            S1[:, j] += np.bincount(r, weights=flat[:, j], minlength=K)
            S2[:, j] += np.bincount(r, weights=flat[:, j] ** 2, minlength=K)


#: the compiled planners and accumulators hold a coalition in one word, and window orders <= 8
_COMPILED_MAX_N = 64


class PermutationSII(_PermutationBase):
    """Permutation sampling for SII (orders 0..k; k-SII by aggregation; SV for k = 1)."""

    def _compiled(self):
        return self.n_players <= _COMPILED_MAX_N and self.max_order <= 8

    def _make_plan(self, max_perms):
        args = (self.seed, self.n_players, self.max_order, self.budget, max_perms)
        if self._compiled():
            return self._compiled_plan(SII_PLAN, *args)
        return sii_plan_reference(*args, backend=self.backend)

    def _rows_per_perm(self):
        return _sii_rows_per_perm(self.n_players, self.max_order)

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        M = self._perms_upto(upto)
        V = np.ascontiguousarray(self._values[:upto])
        d = V.shape[1]
        K = su.offset(n, k + 1)
        S1 = np.zeros((K, d))
        S2 = np.zeros((K, d))
        nf, per = self._nf, self._per
        acc = (SII_ACC.select(self.backend)[1] if self._compiled()
               else sii_accumulate_reference)
        acc(self.perms[:M], np.ascontiguousarray(self._cell_row[nf : nf + M * per]), k, V,
            S1, S2)
        mean, se = self._mean_se(S1, S2, M)
        v0 = V[0]
        if self.spec.name == "k-SII":
            mean, var = aggregate_ksii(mean, se**2, n, k)
            se = np.sqrt(var)
        if self.spec.name in ("k-SII", "SV"):
            mean[0] = v0
            se[0] = 0.0
        return mean, se, {"n_permutations": M, "n_evaluations": int(self._cum[M])}


class PermutationSTII(_PermutationBase):
    """Permutation sampling for STII (top order by permutations, lower orders exact)."""

    def _forced(self):
        return _stii_forced(self.n_players, self.max_order)

    def _make_plan(self, max_perms):
        n, k = self.n_players, self.max_order
        if k == 2 and n <= _COMPILED_MAX_N:
            return self._compiled_plan(STII2_PLAN, self.seed, n, self.budget, max_perms)
        return stii_plan_chunked(self.seed, n, k, self.budget, max_perms, backend=self.backend)

    def _rows_per_perm(self):
        # order 2: prefixes, then T u {later} and T u {a, b} per pair {a, b}
        return _stii_rows_per_perm(self.n_players, self.max_order)

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        M = self._perms_upto(upto)
        V = self._values[:upto]
        d = V.shape[1]
        K = su.offset(n, k + 1)
        nf, per = self._nf, self._per
        out = np.zeros((K, d))
        se = np.zeros((K, d))
        # lower orders: Moebius coefficients from the forced rows (all sets of size < k)
        low = self._cell_row[: su.offset(n, k)]
        vlow = V[low]
        for s in range(k):
            R = su.subset_ranks_by_mask(n, s)
            pc = np.array([bin(L).count("1") for L in range(1 << s)])
            acc = np.zeros((R.shape[0], d))
            for L in range(1 << s):
                acc += (-1) ** (s - pc[L]) * vlow[R[:, L]]
            out[su.offset(n, s) : su.offset(n, s + 1)] = acc
        out[0] = V[0]
        if k == 2:
            K2 = comb(n, 2)
            S1, S2 = np.zeros((K2, d)), np.zeros((K2, d))
            _, acc = STII2_ACC.select(self.backend)
            acc(self.perms[:M], np.ascontiguousarray(self._cell_row[nf : nf + M * per]),
                np.ascontiguousarray(V), S1, S2)
        else:
            cells = self._cell_row[nf : nf + M * per].reshape(M, per >> k, 1 << k)
            vals = V[cells]
            delta = np.zeros(vals.shape[:2] + (d,))
            for L in range(1 << k):
                delta += (-1) ** (k - bin(L).count("1")) * vals[:, :, L]
            S1, S2 = delta.sum(axis=0), (delta**2).sum(axis=0)
        mean, s_e = self._mean_se(S1, S2, M)
        out[su.offset(n, k):] = mean
        se[su.offset(n, k):] = s_e
        return out, se, {"n_permutations": M, "n_evaluations": int(self._cum[M])}


def stii_coalitions(P, n, k):
    """Rows of the permutations P (M, n) for STII of order k, (M, rows_per_perm, W)."""
    M = P.shape[0]
    oh = _onehot_words(P, n)
    W = oh.shape[-1]
    prefix = np.zeros((M, n + 1, W), dtype=np.uint64)
    prefix[:, 1:] = np.bitwise_or.accumulate(oh, axis=1)
    pos = np.argsort(P, axis=1)  # position of each player
    mem = su.members(n, k)  # (K_k, k)
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
    out = np.empty((M, mem.shape[0], 1 << k, W), dtype=np.uint64)
    for L in range(1 << k):
        c = T.copy()
        for i in range(k):
            if L >> i & 1:
                c |= ohm[None, :, i]
        out[:, :, L] = c
    return out


def _stii_rows_per_perm(n, k):
    return n + 1 + 2 * comb(n, 2) if k == 2 else comb(n, k) << k


def _stii_forced(n, k):
    return np.vstack([su.basis_sets(n, k - 1, 0), _sii_forced(n)[1:]])


def stii_plan_chunked(seed, n, k, budget, max_perms, *, backend="auto"):
    """The STII plan of order k by vectorised chunks (any n; the dedup on ``backend``)."""
    return plan_chunked(_stii_forced(n, k), _stii_rows_per_perm(n, k),
                        lambda P: stii_coalitions(P, n, k), max(1, (comb(n, k) << k) // 5), seed,
                        n, budget, max_perms, backend=backend)


def stii2_plan_reference(seed, n, budget, max_perms):
    """Reference of ``_core.permutation.stii2_plan`` (vectorised chunks, NumPy dedup)."""
    return stii_plan_chunked(seed, n, 2, budget, max_perms, backend="reference")


def stii2_accumulate_reference(perms, cells, V, S1, S2):
    """Reference of ``_core.permutation.stii2_accumulate``: for each permutation and pair
    {a < b} with T the prefix before its first member, delta = v(T+ab) - v(T+first)
    - v(T+later) + v(T); S1 += delta, S2 += delta^2."""
    M, n = perms.shape
    if M == 0:
        return
    K2 = comb(n, 2)
    raw = cells[: M * _stii_rows_per_perm(n, 2)].reshape(M, -1)
    pos = np.argsort(perms, axis=1)
    mem = su.members(n, 2)
    first = np.minimum(pos[:, mem[:, 0]], pos[:, mem[:, 1]])
    pre = raw[:, : n + 1]
    t0 = np.take_along_axis(pre, first, axis=1)
    t1 = np.take_along_axis(pre, first + 1, axis=1)
    xj, xij = raw[:, n + 1 : n + 1 + K2], raw[:, n + 1 + K2 :]
    delta = V[xij] - V[t1] - V[xj] + V[t0]  # (M, K2, d)
    S1 += delta.sum(axis=0)
    S2 += (delta**2).sum(axis=0)


class FullTable(Estimator):
    """budget >= 2^n: evaluate every coalition and compute the index exactly."""

    method = "permutation"

    def __init__(self, n_players, spec, budget, max_order, seed, config, *, backend="auto"):
        super().__init__(n_players, spec, budget, max_order, seed, config)
        self._set_plan(np.arange(1 << n_players, dtype=np.uint64)[:, None])

    def round_boundary(self, upto):
        return self.n_planned  # an enumeration has no meaningful prefix

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        V = self._values
        base = "SII" if self.spec.name in ("SV", "k-SII") else self.spec.name
        from ._index import IndexSpec

        vals = cii_from_table(V, n, IndexSpec(base), k)
        if self.spec.name == "k-SII":
            vals, _ = aggregate_ksii(vals, np.zeros_like(vals), n, k)
        if self.spec.name in ("SV", "k-SII", "STII"):
            vals[0] = V[0]
        return vals, np.zeros_like(vals), {"exact": True}


def make_permutation(n, spec, budget, k, seed, config, *, backend="auto"):
    if n <= 30 and budget >= (1 << n):
        return FullTable(n, spec, budget, k, seed, config, backend=backend)
    if spec.name == "STII":
        return PermutationSTII(n, spec, budget, k, seed, config, backend=backend)
    return PermutationSII(n, spec, budget, k, seed, config, backend=backend)
