"""KernelSHAP-IQ (Fumagalli, Muschalik, Kolpaczki, Huellermeier and Hammer 2024, "KernelSHAP-IQ:
Weighted least square optimization for Shapley interactions"), orders 1..k fitted in turn on
the residual of the lower orders:

    phi_s = argmin sum_T mu_s(T) (r_s(T) - sum_{|S| = s} lambda_s(|T n S|) phi_S)^2,
    r_1 = v - v(empty),  r_{s+1} = r_s - sum_{|S| = s} lambda_s(|T n S|) phi_S,

with kernel mu_s(t) = 1 / ((n - 2s + 1) C(n - 2s, t - s)) for s <= t <= n - s (a big weight
1e8 outside, as in shapiq) and the Bernoulli design lambda_s(l) = sum_{j=1}^{l} C(l, j) B_{s-j}.
The design is a fixed linear map of 0/1 monomials (lambda_s(|T n S|) = sum_{U subset S}
a_s(|U|) [U subset T]), so every normal equation comes from subset moments. Exact for order <= 2
at budget >= 2^n up to the big-weight approximation (as shapiq).
"""

from __future__ import annotations

import functools
from math import comb

import numpy as np
import scipy.sparse as sp
from scipy.special import bernoulli

from . import _sets_util as su
from ._base import N_GROUPS
from ._kernels import n_sets_upto, subset_gather, subset_moments
from ._stratified import StratifiedEstimator, _random_groups_var, aggregate_ksii, solve_spd

BIG_M = 1e8


def _lambda(s: int, l: int, bern) -> float:
    return sum(comb(l, j) * bern[s - j] for j in range(1, l + 1))


@functools.lru_cache(maxsize=16)
def _design_map(n: int, s: int) -> sp.csr_matrix:
    """A (K_{<=s} x C(n,s)): column S holds a_s(|U|) at every monomial U subset S."""
    bern = bernoulli(max(s, 1))
    lam = [_lambda(s, l, bern) for l in range(s + 1)]
    a = [sum((-1) ** (u - j) * comb(u, j) * lam[j] for j in range(u + 1)) for u in range(s + 1)]
    R = su.subset_ranks_by_mask(n, s)  # (K_s, 2^s)
    rows, cols, vals = [], [], []
    for L in range(1 << s):
        u = bin(L).count("1")
        if a[u] == 0:
            continue
        rows.append(R[:, L])
        cols.append(np.arange(R.shape[0]))
        vals.append(np.full(R.shape[0], a[u]))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n_sets_upto(n, s), R.shape[0]))


class KernelShapIQ(StratifiedEstimator):
    method = "kernelshapiq"
    serves = ("SII", "k-SII", "SV")

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        sets = self._plan[:upto]
        V = self._value_rows(upto)
        d = V.shape[1]
        sizes, kcount, complete = self._strata(upto)
        with np.errstate(divide="ignore", invalid="ignore"):
            adjust = np.where(kcount > 0, self._cap / np.maximum(kcount, 1), 0.0)
        groups = self._groups(upto, complete, sizes)
        v0 = V[0]
        r = V - v0
        K = n_sets_upto(n, k)
        out = np.zeros((K, d))
        var = np.zeros((K, d))
        W = np.zeros((upto, k))
        for s in range(1, k + 1):
            mu = np.full(n + 1, BIG_M)
            for t in range(s, n - s + 1):
                mu[t] = 1.0 / ((n - 2 * s + 1) * comb(n - 2 * s, t - s))
            W[:, s - 1] = (mu * adjust)[sizes]
        moms = subset_moments(sets, n, 2 * k, W, backend=self.backend)[0]
        for s in range(1, k + 1):
            w = W[:, s - 1]
            A = _design_map(n, s)
            mom = moms[:, s - 1]
            Gm = mom[su.union_ranks(n, s, 0)]
            G = (A.T @ (A.T @ Gm).T).T if sp.issparse(A) else A.T @ Gm @ A
            G = np.asarray(G)
            hm = subset_moments(sets, n, s, w[:, None] * r, backend=self.backend)[0]
            h = np.asarray(A.T @ hm)
            phi, _ = solve_spd(G, h, rcond=1e-30)
            lo, hi = su.offset(n, s), su.offset(n, s + 1)
            out[lo:hi] = phi
            coef = np.asarray(A @ phi)  # monomial coefficients of this order's fit
            r = r - subset_gather(sets, n, s, coef, backend=self.backend)
            scores = subset_moments(sets, n, s, w[:, None] * r, groups, N_GROUPS + 1,
                                    backend=self.backend)[:N_GROUPS]  # (R, K_<=s, d)
            Rg = scores.shape[0]
            flat = scores.transpose(1, 0, 2).reshape(scores.shape[1], Rg * d)
            proj = np.asarray(A.T @ flat)  # (K_s, R*d)
            delta, _ = solve_spd(G, proj, rcond=1e-30)
            var[lo:hi] = _random_groups_var(delta.reshape(hi - lo, Rg, d).transpose(1, 0, 2))
        # empty-set entry: SII(empty) = sum_T t!(n-t)!/(n+1)! v(T), stratified estimate
        w0 = self.spec.dd_weights(n, 0, k)
        out[0] = (adjust[sizes] * w0[sizes])[:, None].T @ V
        z = w0[sizes][:, None] * V  # stratified variance of the Horvitz-Thompson sum
        for j in range(d):
            s1 = np.bincount(sizes, weights=z[:, j], minlength=n + 1)
            s2 = np.bincount(sizes, weights=z[:, j] ** 2, minlength=n + 1)
            kk = kcount.astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                s2v = np.where(kk > 1, (s2 - s1**2 / np.maximum(kk, 1)) / np.maximum(kk - 1, 1), 0)
                fpc = np.where(complete, 0.0, 1.0 - kk / self._cap)
                var[0, j] = np.sum(np.where(kk > 0, self._cap**2 * fpc * np.maximum(s2v, 0)
                                            / np.maximum(kk, 1), 0.0))
        if self.spec.name == "k-SII":
            out, var = aggregate_ksii(out, var, n, k)
        if self.spec.name in ("k-SII", "SV"):
            out[0] = v0
            var[0] = 0.0
        return out, np.sqrt(np.maximum(var, 0.0)), {"pairing": self.pairing}
