"""KernelSHAP-IQ (Fumagalli, Muschalik, Kolpaczki, Huellermeier and Hammer 2024, "KernelSHAP-IQ:
Weighted least square optimization for Shapley interactions"), orders 1..k fitted in turn on
the residual of the lower orders:

    phi_s = argmin sum_T mu_s(T) (r_s(T) - sum_{|S| = s} lambda_s(|T n S|) phi_S)^2,
    r_1 = v - v(empty),  r_{s+1} = r_s - sum_{|S| = s} lambda_s(|T n S|) phi_S,

with kernel mu_s(t) = 1 / ((n - 2s + 1) C(n - 2s, t - s)) for s <= t <= n - s (a big weight
1e8 outside, as in shapiq) and the Bernoulli design lambda_s(l) = sum_{j=1}^{l} C(l, j) B_{s-j}.
The design is a fixed linear map of 0/1 monomials (lambda_s(|T n S|) = sum_{U subset S}
a_s(|U|) [U subset T]), so every normal equation comes from subset moments. At budget >= 2^n
the base class answers from the exact engine instead (the fit is exact only up to the big-weight
approximation, and not at all for orders > 2).
"""

from __future__ import annotations

import functools
from math import comb

import numpy as np
import scipy.sparse as sp

from .. import sets as bits
from ._base import N_GROUPS
from ._kernels import subset_gather, subset_moments, union_ranks
from ._stratified import (DUAL_REFINEMENT_STEPS, StratifiedEstimator,
                          _group_columns, _random_groups_var, dof_factor, dual_ridge_factor,
                          from_base, hc2_scale, intersection_counts, per_unit, row_leverage,
                          sampling_units,
                          spd_solver, uses_dual, wants_leverage)

BIG_M = 1e8


def bernoulli(s: int):
    """B_0..B_s (B_1 = -1/2). Up to B_3 exact, the same bits as scipy.special.bernoulli's, so
    that orders <= 3 need no scipy.special import (~30 ms idle, 0.3 s on a busy machine); from
    B_4 scipy's values (its B_4 is 1.7e-12 off -1/30; kept: they are what shapiq uses)."""
    if s <= 3:
        return [1.0, -0.5, 1.0 / 6.0, 0.0][: s + 1]
    from scipy.special import bernoulli as scipy_bernoulli

    return scipy_bernoulli(s)


def _lambda(s: int, l: int, bern) -> float:
    return sum(comb(l, j) * bern[s - j] for j in range(1, l + 1))


def _lambdas(s: int) -> list[float]:
    """lambda_s(l), l = 0..s: the order-s design entry of a coalition T at a set S with
    |T n S| = l (the subset sum over U subset T n S of A's a_s(|U|), :func:`_design_map`)."""
    bern = bernoulli(max(s, 1))
    return [_lambda(s, l, bern) for l in range(s + 1)]


@functools.lru_cache(maxsize=16)
def _design_map(n: int, s: int) -> sp.csr_matrix:
    """A (K_{<=s} x C(n,s)): column S holds a_s(|U|) at every monomial U subset S."""
    lam = _lambdas(s)
    a = [sum((-1) ** (u - j) * comb(u, j) * lam[j] for j in range(u + 1)) for u in range(s + 1)]
    R = bits.subset_ranks_by_mask(n, s)  # (K_s, 2^s)
    rows, cols, vals = [], [], []
    for L in range(1 << s):
        u = bin(L).count("1")
        if a[u] == 0:
            continue
        rows.append(R[:, L])
        cols.append(np.arange(R.shape[0]))
        vals.append(np.full(R.shape[0], a[u]))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(bits.n_sets_upto(n, s), R.shape[0]))


def design_kernel_table(n: int, s: int, sizes: np.ndarray) -> np.ndarray:
    """F[a, b, i] = sum_{|S| = s} lambda_s(|T n S|) lambda_s(|T' n S|) for |T| = sizes[a],
    |T'| = sizes[b], |T n T'| = i: the kernel (Phi_s Phi_s^T)[T, T'] of the order-s design.
    Counts S by x = |S n T n T'|, y = |S n T minus T'|, z = |S n T' minus T|, u outside both:
    sum C(i, x) C(t - i, y) C(t' - i, z) C(n - t - t' + i, u) lambda(x + y) lambda(x + z)."""
    from scipy.special import comb as ncomb

    bern = bernoulli(max(s, 1))
    lam = [_lambda(s, l, bern) for l in range(s + 1)]
    t = np.asarray(sizes, dtype=np.float64)[:, None, None]
    tp = np.asarray(sizes, dtype=np.float64)[None, :, None]
    i = np.arange(n + 1, dtype=np.float64)[None, None, :]
    out = np.zeros((t.shape[0], tp.shape[1], n + 1))
    for x in range(s + 1):
        for y in range(s + 1 - x):
            for z in range(s + 1 - x - y):
                c = lam[x + y] * lam[x + z]
                if c == 0:
                    continue
                u = s - x - y - z
                rest = n - t - tp + i
                with np.errstate(invalid="ignore"):
                    term = (ncomb(i, x) * ncomb(t - i, y) * ncomb(tp - i, z) * ncomb(rest, u))
                ok = (t - i >= 0) & (tp - i >= 0) & (rest >= 0)
                out += c * np.where(ok, term, 0.0)
    return out


@functools.lru_cache(maxsize=64)
def _nonzero_rows(n: int, s: int) -> np.ndarray:
    """Per size t, whether a coalition of size t has a non-zero order-s design row."""
    return design_kernel_table(n, s, np.arange(n + 1))[np.arange(n + 1), np.arange(n + 1),
                                                        np.arange(n + 1)] > 0


def _complete_rows_determine(n: int, s: int, complete: np.ndarray) -> bool:
    """A proof of full rank of the order-s design from the drawn sizes alone. Order 1:
    lambda_1(l) = l, so the rows of all singletons are the identity and those of all
    (n-1)-sets J - I (invertible for n >= 2). Order 2: lambda_2(l) = l (l - 2) / 2 is -1/2
    at l = 1 and 0 at l = 0, 2, so the rows of all pairs (or all (n-2)-sets, |T n S| =
    2 - |S n (N minus T)|) are -1/2 times the adjacency matrix of the line graph of K_n,
    with eigenvalues 2n - 4, n - 4 and -2: invertible for n >= 3, n != 4."""
    if s == 1:
        return n >= 2 and bool(complete[1] or complete[n - 1])
    if s == 2:
        return n >= 3 and n != 4 and bool(complete[2] or complete[n - 2])
    return False


def kernelshapiq_plan_bytes(n: int, k: int, rows: int, d: int = 1) -> int:
    """Peak memory of KernelSHAP-IQ's fits: per order s either the primal system (the union-rank
    table and moment matrix over the K_{<=s} monomials, 2 K_{<=s}^2, plus the C(n, s)^2 Gram
    matrix) or the dual kernel (2 (m + 1)^2), the largest of them, plus the moments of order 2s
    of the primal orders and the random-group scores."""
    peak, kp = 0, 0
    for s in range(1, k + 1):
        if uses_dual(rows, comb(n, s)):
            peak = max(peak, 2 * (rows + 1) ** 2)
        else:
            ks = bits.n_sets_upto(n, s)
            peak = max(peak, 2 * ks * ks + comb(n, s) ** 2)
            kp = s
    moments = bits.n_sets_upto(n, 2 * kp) * kp if kp else 0
    return 8 * (peak + moments + (N_GROUPS + 1) * bits.n_sets_upto(n, k) * max(d, 1))


class KernelShapIQ(StratifiedEstimator):
    method = "kernelshapiq"
    #: "auto" (dual form for an order with fewer fitted coalitions than terms), "primal", "dual"
    _solver = "auto"

    @property
    def _aggregated(self) -> bool:
        """The index is aggregated from SII fits (k-SII): every term mixes all orders."""
        return self.spec.base_coefficients(self.max_order) is not None

    def __init__(self, n_players, spec, budget, max_order, seed, config, **kw):
        from .._validation import format_bytes, require_memory

        rows = min(budget, 1 << n_players) if n_players < 63 else budget
        nbytes = kernelshapiq_plan_bytes(n_players, max_order, rows)
        require_memory(nbytes, f"KernelSHAP-IQ of order {max_order} for n = {n_players} at "
                       f"budget {budget} ({format_bytes(nbytes)})", argument="max_order")
        self.plan_bytes = nbytes
        super().__init__(n_players, spec, budget, max_order, seed, config, **kw)

    def _design_terms(self):
        return bits.n_sets_upto(self.n_players, self.max_order) - 1

    def _identify_by_sizes(self, upto):
        from ._identify import Identification

        n, complete = self.n_players, self._strata(upto)[2]
        if not all(_complete_rows_determine(n, s, complete) for s in range(1, self.max_order + 1)):
            return None
        return Identification(True, ranks={f"order {s}": (comb(n, s), comb(n, s))
                                           for s in range(1, self.max_order + 1)})

    def _identify(self, upto):
        """Rank of each order's design D_s = Phi_{<=s} A_s (rows of the sampled coalitions) from
        its unit-weight Gram matrix A_s^T G_{<=s} A_s, G_{<=s}[U, U'] = #{T : U u U' subset T};
        order s is determined iff the rank is C(n, s). Orders above an under-determined one
        fit its residual, and every k-SII term mixes all orders: they are not determined
        either."""
        from ._identify import Identification, gram_rank

        n, k = self.n_players, self.max_order
        ranks, bad = {}, None
        sets = self._plan[:upto]
        sizes = self._sizes[:upto]
        _, _, complete = self._strata(upto)
        for s in range(1, k + 1):
            terms = comb(n, s)
            if self.full_enumeration or _complete_rows_determine(n, s, complete):
                ranks[f"order {s}"] = (terms, terms)
                continue
            # a coalition's design row is zero when no s-set has lambda_s(|T n S|) != 0
            nonzero = _nonzero_rows(n, s)[sizes]
            m = int(nonzero.sum())
            if m < terms:
                rank = m  # at most
            else:
                rows = sets[nonzero]
                # unit weights: integer counts, exact on either path ("auto": the complement
                # trick only where it pays, not for a short prefix)
                mom = subset_moments(rows, n, 2 * s, np.ones((rows.shape[0], 1)),
                                     backend=self.backend, complement="auto")[0, :, 0]
                Gm = mom[union_ranks(n, s, 0)]
                A = _design_map(n, s)
                G = np.asarray((A.T @ (A.T @ Gm).T).T)
                rank = gram_rank(G)
            ranks[f"order {s}"] = (rank, terms)
            if rank < terms and bad is None:
                bad = s
        if bad is None:
            return Identification(True, ranks=ranks)
        rank, terms = ranks[f"order {bad}"]
        detail = (f"the order-{bad} design of the sampled coalitions has rank {rank} for "
                  f"{terms} terms")
        return Identification(False, detail, ranks,
                              bad_from=1 if self._aggregated else bad)

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        sets, V, sizes, kcount, complete = self._sample(upto)
        d = V.shape[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            adjust = np.where(kcount > 0, self._cap / np.maximum(kcount, 1), 0.0)
        groups = self._groups(upto, complete, sizes)
        fpc = self._fpc_root(sizes)
        v0 = V[0]
        r = V - v0
        K = bits.n_sets_upto(n, k)
        out = np.zeros((K, d))
        var = np.zeros((K, d))
        W = np.zeros((upto, k))
        for s in range(1, k + 1):
            mu = np.full(n + 1, BIG_M)
            for t in range(s, n - s + 1):
                mu[t] = 1.0 / ((n - 2 * s + 1) * comb(n - 2 * s, t - s))
            W[:, s - 1] = (mu * adjust)[sizes]
        dual = [self._solver == "dual" or (self._solver == "auto" and uses_dual(
            upto, comb(n, s))) for s in range(1, k + 1)]
        # moments of order 2s for the orders solved in the primal form only
        kp = max([s for s in range(1, k + 1) if not dual[s - 1]], default=0)
        moms = (subset_moments(sets, n, 2 * kp, W[:, :kp], backend=self.backend, sizes=sizes)[0]
                if kp else None)
        deltas = {}  # order -> per-group linearised contributions (R, C(n, s), d)
        # small-sample factor of each order's linearised variance (regression's,
        # _stratified.dof_factor) with u the independent draws (a coalition and its paired
        # complement are one: their design rows are affine maps of each other) and p the terms
        # fitted up to that order; inf while u <= p. With the finite-population factor of the
        # group scores (_fpc_root) this covers 0.94-0.97 at n = 10 (the rows-based factor
        # without it covered 0.99 at 512 of 1024 coalitions, and 0.87-0.89 for SV at 5 K)
        draws = sampling_units(self._draw[:upto], ~complete[sizes])
        dof = {s: dof_factor(draws, bits.n_sets_upto(n, s) - 1) for s in range(1, k + 1)}
        draw = self._draw[:upto]
        for s in range(1, k + 1):
            w = W[:, s - 1]
            A = _design_map(n, s)
            lo, hi = bits.offset(n, s), bits.offset(n, s + 1)
            if dual[s - 1]:
                r, deltas[s] = self._order_dual(s, sets, sizes, w, r, groups, A, out, var, fpc)
                var[lo:hi] *= dof[s]
                continue
            mom = moms[:, s - 1]
            Gm = mom[union_ranks(n, s, 0)]
            G = (A.T @ (A.T @ Gm).T).T if sp.issparse(A) else A.T @ Gm @ A
            G = np.asarray(G)
            hm = subset_moments(sets, n, s, w[:, None] * r, backend=self.backend, sizes=sizes)[0]
            h = np.asarray(A.T @ hm)
            solve, _ = spd_solver(G, rcond=1e-30)
            phi = solve(h)
            out[lo:hi] = phi
            coef = np.asarray(A @ phi)  # monomial coefficients of this order's fit
            r = r - subset_gather(sets, n, s, coef, backend=self.backend, sizes=sizes)
            lev = None
            if wants_leverage(hi - lo, draws) and np.isfinite(dof[s]):  # HC2
                lam = np.array(_lambdas(s))  # the order-s row: lambda_s(|T n S|)
                lev = per_unit(row_leverage(
                    lambda a, b, lam=lam, s=s: lam[intersection_counts(
                        bits.to_coalitions(sets[a:b], n), n, s)],
                    upto, hi - lo, w, solve), draw)
                dof[s] = dof_factor(draws, bits.n_sets_upto(n, s) - 1, leverage=True)
            scores = subset_moments(sets, n, s, (w * fpc)[:, None] * r * hc2_scale(lev), groups,
                                    N_GROUPS + 1, backend=self.backend,
                                    sizes=sizes)[:N_GROUPS]  # (R, K_<=s, d)
            Rg = scores.shape[0]
            flat = scores.transpose(1, 0, 2).reshape(scores.shape[1], Rg * d)
            proj = np.asarray(A.T @ flat)  # (K_s, R*d)
            delta = solve(proj)
            deltas[s] = delta.reshape(hi - lo, Rg, d).transpose(1, 0, 2)
            var[lo:hi] = _random_groups_var(deltas[s]) * dof[s]
        # empty-set entry: SII(empty) = sum_T t!(n-t)!/(n+1)! v(T), stratified estimate
        w0 = self.spec.base.derivative_weights(n)[0]
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
        if self._aggregated:
            out, _ = from_base(self.spec, out, None, n, k)
            # k-SII is a linear map of the SII estimates: map each group's contributions
            # through it, so the covariance between orders is carried (not summed as if
            # independent)
            D = np.zeros((K, N_GROUPS * d))
            for s, dl in deltas.items():
                D[bits.offset(n, s):bits.offset(n, s + 1)] = dl.transpose(1, 0, 2).reshape(
                    -1, N_GROUPS * d)
            D, _ = from_base(self.spec, D, None, n, k)
            var = _random_groups_var(D.reshape(K, N_GROUPS, d).transpose(1, 0, 2)) * dof[k]
        if self.spec.empty_is_value:
            out[0] = v0
            var[0] = 0.0
        return out, np.sqrt(np.maximum(var, 0.0)), {"pairing": self.pairing}

    def _order_dual(self, s, sets, sizes, w, r, groups, A, out, var, fpc):
        """Order s in the dual (kernel) form (see _stratified.dual_ridge_factor): the m x m
        kernel F(|T|, |T'|, |T n T'|) of the Bernoulli design, the ridge of the primal path's
        large systems (1e-10 mean diag G), rows whose design row is zero (they do not enter
        the fit) left out; phi_s = A^T (subset moments of alpha); returns the new residual."""
        from ._kernels import intersection_kernel

        n = self.n_players
        lo, hi = bits.offset(n, s), bits.offset(n, s + 1)
        sizes_u, inv = np.unique(sizes, return_inverse=True)
        F = design_kernel_table(n, s, sizes_u)
        self_k = F[inv, inv, sizes]
        fit = np.flatnonzero(self_k > 0)
        rows = sets[fit]
        # |T n T'| as doubles, turned into F(|T|, |T'|, |T n T'|) in place, by row blocks
        Kmat = intersection_kernel(rows, n, np.arange(n + 1, dtype=np.float64),
                                   backend=self.backend)
        ia = inv[fit]
        step = max(1, (1 << 20) // max(Kmat.shape[0], 1))
        for a in range(0, Kmat.shape[0], step):
            blk = Kmat[a:a + step]
            blk[...] = F[ia[a:a + step, None], ia[None, :], blk.astype(np.int64)]
        solve, _, noise = dual_ridge_factor(Kmat, w[fit], hi - lo)
        del Kmat

        def fit_dual(x):
            alpha = solve(x)
            for step in range(DUAL_REFINEMENT_STEPS + 1):
                phi = np.asarray(A.T @ subset_moments(rows, n, s, alpha, backend=self.backend)[0])
                if step == DUAL_REFINEMENT_STEPS:
                    return phi
                fitted = subset_gather(rows, n, s, np.asarray(A @ phi), backend=self.backend)
                alpha = alpha + solve(x - fitted - noise[:, None] * alpha)

        phi = fit_dual(r[fit])
        out[lo:hi] = phi
        r = r - subset_gather(sets, n, s, np.asarray(A @ phi), backend=self.backend)
        d = r.shape[1]
        E = _group_columns(r[fit] * fpc[fit, None], groups[fit], N_GROUPS)
        delta = fit_dual(E).reshape(hi - lo, N_GROUPS, d).transpose(1, 0, 2)
        var[lo:hi] = _random_groups_var(delta)
        return r, delta
