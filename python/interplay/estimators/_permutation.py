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

from .. import sets as bits
from ..backends.reference import permutation as ref
from ._base import N_GROUPS, Estimator
from ._identify import t_inflation
from ._kernels import SII_ACC, SII_PLAN, STII2_ACC, STII2_PLAN
from ._stratified import from_base


class _PermutationBase(Estimator):
    method = "permutation"
    dense_algebra = False
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

    @staticmethod
    def _compiled_plan(planner, *args):
        plan, perms, cells, cum = planner(*args)
        return (np.asarray(plan, np.uint64), np.asarray(perms, np.int64),
                np.asarray(cells, np.int64), np.asarray(cum, np.int64))

    def round_boundary(self, upto):
        j = int(np.searchsorted(self._cum, upto, side="left"))
        return int(self._cum[min(j, len(self._cum) - 1)])

    def _forced(self) -> np.ndarray:
        return ref.sii_forced(self.n_players)

    def _perms_upto(self, upto: int) -> int:
        return int(np.searchsorted(self._cum[1:], upto, side="right"))

    def _mean_se(self, S1, S2, M, extremes=None):
        """Mean over M permutations and its standard error (inf with fewer than two).

        ``extremes = (lo, hi)``, the smallest and largest draw of each set: the sample
        variance is taken over the draws and one pseudo-draw at each extreme,
        (sum_m (x_m - mean)^2 + (lo - mean)^2 + (hi - mean)^2) / (M + 1), as Agresti and Coull
        (1998) add pseudo-observations to a proportion. Draws that are mostly one value (an
        STII pair of a sum of unanimity games contributes only when the rest of its unanimity
        set precedes it: c with probability 1/3 or 1/6, else 0) make the plain sample variance
        small exactly when the mean is low (one hit in 20: the interval misses c / 6), and the
        Wald interval covered 0.89 for permutation STII at n = 60 with 20 permutations
        (0.97 with the pseudo-draws; spread draws: the variance grows by O(1 / M)). A set whose
        draws are all equal still gets 0 (nothing in the draws shows another value)."""
        mean = S1 / max(M, 1)
        if M < 2:
            return mean, np.full_like(mean, np.inf)
        ss = np.maximum(S2 - M * mean**2, 0.0)
        if extremes is None:
            return mean, np.sqrt(ss / (M - 1) / M)
        lo, hi = extremes
        ss = ss + (lo - mean) ** 2 + (hi - mean) ** 2
        return mean, np.sqrt(ss / (M + 1) / M)


#: a set's standard error needs this many permutations in which it received a contribution
#: (a window of its members for SII); fewer: inf. The sample variance of a few skewed,
#: mostly-zero draws is often far too small, even read with the t quantile: SII pairs at
#: n = 10 with 6 permutations covered 0.49; SV with 5 permutations covered 0.86-0.87 at
#: n = 25 and 60 on sums of unanimity games (5 hits were the threshold then)
MIN_HITS = 10


def expected_hits(M: int, n: int, k: int) -> np.ndarray:
    """E[hits[S]] over M uniform permutations: M for |S| <= 1, M (n - s + 1) / C(n, s) for
    |S| = s >= 2 (S is a window of a permutation with probability (n-s+1) s! (n-s)! / n!)."""
    out = np.full(bits.offset(n, k + 1), float(M))
    for s in range(2, k + 1):
        out[bits.offset(n, s):bits.offset(n, s + 1)] = M * (n - s + 1) / comb(n, s)
    return out


def few_draws_correction(se: np.ndarray, hits: np.ndarray,
                         expected: np.ndarray | None = None) -> np.ndarray:
    """Standard errors of means over permutations: inflated by the Student t quantile of
    their hits - 1 degrees of freedom; inf where the expected hits (the realised ones if not
    given) are below MIN_HITS, or fewer than 2 were realised. The threshold must not depend
    on the realised hits alone: a set with more windows than expected has an estimate biased
    away from 0, and keeping only those (k-SII pairs at n = 10, 280 coalitions) covered 0.83."""
    fac = t_inflation(np.maximum(hits - 1, 1))[:, None]
    few = (hits if expected is None else expected) < MIN_HITS
    return np.where((few | (hits < 2))[:, None], np.inf, se * fac)


class PermutationSII(_PermutationBase):
    """Permutation sampling for SII (orders 0..k; k-SII by aggregation; SV for k = 1)."""

    def _make_plan(self, max_perms):
        """The selected backend's planner and accumulator if its limits allow this n and order;
        else the chunked reference plans (deduplicating on the selected backend) and
        accumulates. Decided once: the accumulator must match the planner."""
        args = (self.seed, self.n_players, self.max_order, self.budget, max_perms)
        name, planner = SII_PLAN.select(self.backend)
        if SII_PLAN.handles(name, n=self.n_players, order=self.max_order):
            self._acc = SII_ACC.select(self.backend)[1]
            return self._compiled_plan(planner, *args)
        self._acc = ref.sii_accumulate
        return ref.sii_plan(*args, backend=self.backend)

    def _rows_per_perm(self):
        return ref.sii_rows_per_perm(self.n_players, self.max_order)

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        M = self._perms_upto(upto)
        V = np.ascontiguousarray(self._values[:upto])
        d = V.shape[1]
        K = bits.offset(n, k + 1)
        S1 = np.zeros((K, d))
        S2 = np.zeros((K, d))
        nf, per = self._nf, self._per
        acc = self._acc
        cells = np.ascontiguousarray(self._cell_row[nf : nf + M * per])
        aggregated = self.spec.base_coefficients(k) is not None  # k-SII from SII
        R = min(N_GROUPS, M)
        # hits[S]: permutations in which S is a window (its members on consecutive positions),
        # i.e. contributes a non-zero draw to SII(S); every permutation for |S| <= 1
        hits = np.zeros(K, dtype=np.int64)
        if aggregated and R >= 2:
            # sums over random groups of permutations (permutation m in group m % R), in the
            # same pass: k-SII's covariance below
            group = np.arange(M, dtype=np.int64) % R
            SG = np.zeros((R, K, d))
            acc(self.perms[:M], cells, k, V, S1, S2, group=group, SG=SG, hits=hits)
        else:
            acc(self.perms[:M], cells, k, V, S1, S2, hits=hits)
        mean, se = self._mean_se(S1, S2, M)
        expected = expected_hits(M, n, k)
        se = few_draws_correction(se, hits, expected)
        v0 = V[0]
        if aggregated:
            top = bits.offset(n, k)
            se_top = se[top:].copy()
            # k-SII is a linear map of the SII means: its variance is that of the mapped
            # per-permutation contributions, from random groups of permutations (the SII
            # errors of a set and its supersets are correlated); the means and the groups'
            # deviations are mapped in one product (column by column, as apart)
            if R >= 2:
                size = np.bincount(group, minlength=R).astype(np.float64)
                D = (SG - size[:, None, None] * (S1 / M)) / M
                both = np.concatenate([mean, D.transpose(1, 0, 2).reshape(K, R * d)], axis=1)
                both, _ = from_base(self.spec, both, None, n, k)
                mean = np.ascontiguousarray(both[:, :d])
                D = both[:, d:].reshape(K, R, d).transpose(1, 0, 2)
                se = np.sqrt(R / (R - 1) * (D ** 2).sum(axis=0))
                se = se * t_inflation(R - 1)
                if expected[top] < MIN_HITS:  # a lower order sums every top-order term
                    se[:top] = np.inf
            else:
                mean, _ = from_base(self.spec, mean, None, n, k)
                se = np.full_like(mean, np.inf)
            se[top:] = se_top  # k-SII = SII at the top order (B_0 = 1)
        if self.spec.empty_is_value:
            mean[0] = v0
            se[0] = 0.0
        return mean, se, {"n_permutations": M, "n_evaluations": int(self._cum[M])}


class PermutationSTII(_PermutationBase):
    """Permutation sampling for STII (top order by permutations, lower orders exact)."""

    def _forced(self):
        return ref.stii_forced(self.n_players, self.max_order)

    def _make_plan(self, max_perms):
        n, k = self.n_players, self.max_order
        name, planner = STII2_PLAN.select(self.backend) if k == 2 else ("", None)
        if k == 2 and STII2_PLAN.handles(name, n=n):
            return self._compiled_plan(planner, self.seed, n, self.budget, max_perms)
        return ref.stii_plan_chunked(self.seed, n, k, self.budget, max_perms, backend=self.backend)

    def _rows_per_perm(self):
        # order 2: prefixes, then T u {later} and T u {a, b} per pair {a, b}
        return ref.stii_rows_per_perm(self.n_players, self.max_order)

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        M = self._perms_upto(upto)
        V = self._values[:upto]
        d = V.shape[1]
        K = bits.offset(n, k + 1)
        nf, per = self._nf, self._per
        out = np.zeros((K, d))
        se = np.zeros((K, d))
        # lower orders: Moebius coefficients from the forced rows (all sets of size < k)
        low = self._cell_row[: bits.offset(n, k)]
        vlow = V[low]
        for s in range(k):
            R = bits.subset_ranks_by_mask(n, s)
            pc = np.array([bin(L).count("1") for L in range(1 << s)])
            acc = np.zeros((R.shape[0], d))
            for L in range(1 << s):
                acc += (-1) ** (s - pc[L]) * vlow[R[:, L]]
            out[bits.offset(n, s) : bits.offset(n, s + 1)] = acc
        out[0] = V[0]
        if k == 2:
            K2 = comb(n, 2)
            S1, S2 = np.zeros((K2, d)), np.zeros((K2, d))
            lo, hi = np.full((K2, d), np.inf), np.full((K2, d), -np.inf)  # extremes of the draws
            _, acc = STII2_ACC.select(self.backend)
            acc(self.perms[:M], np.ascontiguousarray(self._cell_row[nf : nf + M * per]),
                np.ascontiguousarray(V), S1, S2, lo=lo, hi=hi)
            lo_hi = (lo, hi) if M else None
        else:
            cells = self._cell_row[nf : nf + M * per].reshape(M, per >> k, 1 << k)
            vals = V[cells]
            delta = np.zeros(vals.shape[:2] + (d,))
            for L in range(1 << k):
                delta += (-1) ** (k - bin(L).count("1")) * vals[:, :, L]
            S1, S2 = delta.sum(axis=0), (delta**2).sum(axis=0)
            lo_hi = (delta.min(axis=0), delta.max(axis=0)) if M else None
        mean, s_e = self._mean_se(S1, S2, M, lo_hi)
        s_e = few_draws_correction(s_e, np.full(mean.shape[0], M))  # every pair, every draw
        out[bits.offset(n, k):] = mean
        se[bits.offset(n, k):] = s_e
        return out, se, {"n_permutations": M, "n_evaluations": int(self._cum[M])}


class FullTable(Estimator):
    """budget >= 2^n: evaluate every coalition; the base computes the index exactly from them
    (:meth:`Estimator._estimate`)."""

    method = "permutation"

    def __init__(self, n_players, spec, budget, max_order, seed, config, *, backend="auto"):
        super().__init__(n_players, spec, budget, max_order, seed, config)
        self._set_plan(np.arange(1 << n_players, dtype=np.uint64)[:, None])

    def round_boundary(self, upto):
        return self.n_planned  # an enumeration has no meaningful prefix


def make_permutation(n, spec, budget, k, seed, config, *, backend="auto"):
    if n <= 30 and budget >= (1 << n):
        return FullTable(n, spec, budget, k, seed, config, backend=backend)
    if "stii_permutation" in spec.capabilities:
        return PermutationSTII(n, spec, budget, k, seed, config, backend=backend)
    return PermutationSII(n, spec, budget, k, seed, config, backend=backend)
