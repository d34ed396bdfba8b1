"""Estimators on the size-stratified coalition stream: regression (KernelSHAP, FSII, FBII,
FWBII/WBV), SHAP-IQ, SVARM-IQ and MSR.

Every coalition T of size t carries the stratum weight C(n, t) / k_t (k_t distinct coalitions of
size t were drawn, without replacement within the size), so a sum over all 2^n coalitions is
estimated without bias by the weighted sum over the sample, and sizes drawn completely are
exact. All accumulations are subset moments streamed from the bitmasks (see _kernels).
"""

from __future__ import annotations

import functools
from math import comb

import numpy as np
import scipy.linalg

from .. import sets as bits
from .._threads import blas_limit
from ._base import N_GROUPS, Estimator
from ._identify import satterthwaite_factor, t_inflation
from ._kernels import (stratified_stream, subset_gather, subset_moments, union_ranks,
                       union_table_bytes)


# ------------------------------------------------------------------------------- helpers
def cho_solver(c: np.ndarray, low: bool):
    """``solve(B)`` from a Cholesky factor (scipy's cho_factor), BLAS threads by its size.
    ``solve.quad(B)`` gives the quadratic forms b_j^T G^{-1} b_j of B's columns as
    ||L^{-1} b_j||^2 (G = L L^T): one triangular solve where ``b^T solve(b)`` takes two."""
    def solve(B):
        with blas_limit():
            return scipy.linalg.cho_solve((c, low), B, check_finite=False)

    def quad(B):
        with blas_limit():
            Z = scipy.linalg.solve_triangular(c, B, lower=low, trans=0 if low else 1,
                                              check_finite=False)
        Z *= Z
        return Z.sum(axis=0)

    solve.quad = quad
    return solve


def spd_solver(G: np.ndarray, rcond: float = 1e-12, *, overwrite: bool = False):
    """Factorise symmetric positive semi-definite G once; return ``(solve, name)``.

    ``solve(B)`` gives X with G X = B for any right-hand side, reusing the factorisation:
    1. Cholesky (LAPACK potrf) when G is numerically positive definite (smallest pivot^2 above
       ``rcond`` times the largest);
    2. otherwise (G is singular when fewer distinct coalitions than basis terms were drawn):
       the minimum-norm solution from a symmetric eigendecomposition (eigenvalues below
       ``rcond`` * max dropped).
    Systems larger than 600 terms are factorised once, as G + 1e-10 * mean(diag G) * I (a
    relative perturbation of 1e-10 when G is well conditioned; tends to the minimum-norm
    solution when it is singular), falling back to the eigendecomposition.
    ``overwrite=True`` lets the large-system path factorise a float64 contiguous G in place (no
    K x K copy); G is restored from its untouched triangle if the factorisation fails.
    """
    def pinv(B):
        return _pinv_solve(G, B, rcond)

    if G.shape[0] > EXACT_PINV_MAX and rcond >= 1e-12:
        # large systems: one factorisation of the (negligibly) ridged matrix instead of a plain
        # attempt that may fail the pivot test and a second, ridged one
        ridge = 1e-10 * max(float(np.mean(np.diag(G))), 1e-300)
        diag = None
        if overwrite and G.dtype == np.float64 and (G.flags.c_contiguous or G.flags.f_contiguous):
            diag = np.diag(G).copy()
            Gr = G.T if G.flags.c_contiguous else G  # G is symmetric: its transpose is G, F-ordered
        else:
            Gr = np.array(G, dtype=np.float64, order="F")  # one copy, factorised in place
        Gr.flat[:: G.shape[0] + 1] += ridge  # = G + ridge * I without a K x K identity
        try:
            with blas_limit():
                c, low = scipy.linalg.cho_factor(Gr, lower=True, overwrite_a=True,
                                                 check_finite=False)
            return cho_solver(c, low), "cholesky+ridge"
        except np.linalg.LinAlgError:
            if diag is not None:  # potrf wrote the lower triangle only: rebuild G from the upper
                up = np.triu(Gr, 1)
                Gr[...] = up + up.T
                Gr.flat[:: G.shape[0] + 1] = diag
            return pinv, "eigh-pinv"
    try:
        c, low = scipy.linalg.cho_factor(G, lower=True, check_finite=False)
        piv = np.abs(np.diag(c))
        if piv.min() ** 2 > rcond * piv.max() ** 2:
            return cho_solver(c, low), "cholesky"
    except np.linalg.LinAlgError:
        pass
    if G.shape[0] <= EXACT_PINV_MAX:
        return pinv, "eigh-pinv"
    ridge = 1e-10 * max(float(np.mean(np.diag(G))), 1e-300)
    try:
        c, low = scipy.linalg.cho_factor(G + ridge * np.eye(G.shape[0]), lower=True,
                                         check_finite=False)
        return cho_solver(c, low), "cholesky+ridge"
    except np.linalg.LinAlgError:
        pass
    return pinv, "eigh-pinv"


def solve_spd(G: np.ndarray, B: np.ndarray, rcond: float = 1e-12) -> tuple[np.ndarray, str]:
    """Solve G X = B for symmetric positive semi-definite G (see :func:`spd_solver`)."""
    solve, name = spd_solver(G, rcond)
    return solve(B), name


#: the leverages are computed from the dense design rows in chunks of at most this many entries
#: (memory; before, designs above 4e6 entries fell back to HC1: regression FSII at n = 60 with 5
#: draws per term then covered 0.86, with HC2 0.93)
LEVERAGE_CHUNK_ENTRIES = 4_000_000
#: HC2 leverages only below this many independent draws per fitted term: beyond, the leverages
#: average p / u <= 0.1 and HC2 agrees with HC1's u / (u - p) to O((p / u)^2), while their dense
#: design rows cost 6-10x the whole estimate (KernelSHAP-IQ / FSII at n = 20, budget 1e4)
LEVERAGE_MAX_DRAWS_PER_TERM = 10


def wants_leverage(terms: int, units: int) -> bool:
    """Whether HC2 leverages are computed for a fit of ``terms`` terms from ``units``
    independent draws (see LEVERAGE_MAX_DRAWS_PER_TERM; none while the fit is not determined)."""
    return terms < units < LEVERAGE_MAX_DRAWS_PER_TERM * terms

#: singular systems up to this size get the exact minimum-norm solution (eigendecomposition);
#: larger ones the ridge-regularised Cholesky (an eigendecomposition of K = 1831 costs seconds)
EXACT_PINV_MAX = 600


def _pinv_solve(G, B, rcond):
    lam, vec = np.linalg.eigh(G)
    keep = lam > rcond * max(lam.max(), 1e-300)
    inv = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    return vec @ (inv[:, None] * (vec.T @ B)) if B.ndim == 2 else vec @ (inv * (vec.T @ B))


def pattern_sums(mom: np.ndarray, n: int, s: int, contiguous: bool = False) -> np.ndarray:
    """From subset moments mom[..., rank(U), c] (sum of a column over T with U subset T) to
    out[..., L, S, c] = sum over T with T n S = L (L a bitmask over the positions of S's
    members), for every s-set S (colex), by Moebius inversion on the lattice of S."""
    R = bits.subset_ranks_by_mask(n, s)  # (K_s, 2^s)
    if contiguous:  # one gather, C order
        X = np.take(mom, R.T, axis=-2)
    else:  # the layout of a stack: MSR's reductions over it keep their summation order
        X = np.stack([mom[..., R[:, L], :] for L in range(1 << s)], axis=-3)
    for i in range(s):
        bit = 1 << i
        for L in range(1 << s):
            if not L & bit:
                X[..., L, :, :] -= X[..., L | bit, :, :]
    return X


def _as_float(x: int) -> float:
    try:
        return float(x)
    except OverflowError:  # C(n, t) beyond double range (n > 1020): only counts use it
        return float("inf")


def _popcounts(s: int) -> np.ndarray:
    return np.array([bin(L).count("1") for L in range(1 << s)])


class StratifiedEstimator(Estimator):
    """Base for estimators on the stratified stream."""

    pairing_default = False

    def __init__(self, n_players, spec, budget, max_order, seed, config, *, size_weights,
                 pairing, backend="auto"):
        super().__init__(n_players, spec, budget, max_order, seed, config)
        self.backend = backend
        self.pairing = pairing
        self.size_weights = np.asarray(size_weights, dtype=np.float64)
        n = n_players
        from .._validation import format_bytes, require_memory

        rows = min(budget, 1 << n) if n < 63 else budget
        nbytes = rows * (8 * bits.n_words(n) + 16 + 8 + n)  # plan, sizes/draws, values, bools
        require_memory(nbytes, f"a plan of {rows} coalitions ({format_bytes(nbytes)})",
                       argument="budget")
        if n <= 30 and budget >= (1 << n):
            masks = np.arange(1 << n, dtype=np.uint64)
            self._sizes = bits.sizes(masks)
            self._draw = np.arange(1 << n, dtype=np.int64)
            self._set_plan(masks[:, None])
            self.full_enumeration = True
        else:
            sets, sizes, draw = stratified_stream(n, self.size_weights, pairing, seed, budget,
                                                  backend=backend)
            self._sizes, self._draw = sizes, draw
            self._set_plan(sets)
            self.full_enumeration = False
        self._cap = np.array([_as_float(comb(n, t)) for t in range(n + 1)])
        self._cap_int = [comb(n, t) for t in range(n + 1)]

    def round_boundary(self, upto: int) -> int:
        # the full enumeration (budget >= 2^n) is in mask order, not a random stream
        return self.n_planned if self.full_enumeration else min(int(upto), self.n_planned)

    def _sample(self, upto: int):
        """The first ``upto`` planned coalitions, their values (upto, d) and strata
        (sizes, count per size, whether each size is complete)."""
        return (self._plan[:upto], self._value_rows(upto)) + self._strata(upto)

    def _strata(self, upto: int):
        sizes = self._sizes[:upto]
        k = np.bincount(sizes, minlength=self.n_players + 1)
        complete = np.array([int(k[t]) == self._cap_int[t] for t in range(self.n_players + 1)])
        return sizes, k, complete

    def _fpc_root(self, sizes: np.ndarray) -> np.ndarray:
        """(m,) sqrt(1 - k_t / C(n, t)) of each coalition's size t (k_t drawn): the finite
        population factor of a size sampled without replacement, applied to each coalition's
        linearised contribution before the random groups are formed, so that their variance
        carries sum_t (1 - k_t / C(n, t)) (...) as a stratified variance does (complete sizes:
        0). Without it, FSII with half of the 2^10 coalitions covered 0.991."""
        k = np.bincount(sizes, minlength=self.n_players + 1)
        return np.sqrt(np.clip(1.0 - k / self._cap, 0.0, 1.0))[sizes]

    def _groups(self, upto: int, complete: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        g = self._draw[:upto] % N_GROUPS
        return np.where(complete[sizes], N_GROUPS, g).astype(np.int64, copy=False)


def sampling_units(draw: np.ndarray, random_rows: np.ndarray) -> int:
    """Independent draws among the rows that carry sampling error (a coalition and its
    paired complement share a draw id)."""
    d = draw[random_rows]
    if d.size > 1 and not (d[1:] < d[:-1]).any():
        # the stream's ids never decrease along the plan: count the changes (no sort)
        return int(np.count_nonzero(d[1:] != d[:-1])) + 1
    return int(np.unique(d).size)


def dof_factor(units: int, terms: int, leverage: bool = False,
               groups_df: np.ndarray | None = None) -> float | np.ndarray:
    """Small-sample factor of a linearised (sandwich) variance from u independent units (draws
    outside complete sizes; a coalition and its paired complement are one) with p fitted
    terms: (t_{0.975, df} / 1.96)^2, the Student quantile of the u - p residual degrees of
    freedom (or ``groups_df`` where fewer, :func:`groups_dof`), times u / (u - p) (HC1) unless
    the residuals were scaled by their units' leverages (HC2, :func:`unit_leverage`); inf
    when u <= p; 1 with no random rows. The residuals of a fit with few units per term are
    shrunk towards 0: without any factor the stderr of FSII at n = 10 with 2 coalitions per
    term covered 0.63."""
    if units == 0:
        return 1.0
    if units <= terms:
        return float("inf")
    df = np.array(units - terms, dtype=np.float64)
    if groups_df is not None:
        df = np.minimum(df, groups_df)
    t2 = t_inflation(df) ** 2
    t2 = float(t2) if t2.ndim == 0 else t2
    return t2 if leverage else units / (units - terms) * t2


def groups_dof(delta: np.ndarray) -> np.ndarray:
    """Welch-Satterthwaite degrees of freedom of the random-groups variance
    sum_g (delta_g - mean)^2 of (R, ...) group contributions: (sum_g c_g^2)^2 / sum_g c_g^4,
    c_g = delta_g - mean (each group's square read as a variance estimate of one degree of
    freedom; Satterthwaite 1946). R - 1 when the groups contribute alike, near 1 when one group
    dominates: a few heavy draws (a size of large weight drawn once or twice, FWBII's at
    p = 0.3) make the variance estimate itself uncertain, and its t quantile must say so
    (regression FWBII at n = 10, 2 coalitions per term, covered 0.894 with u - p)."""
    c = delta - delta.mean(axis=0)
    c *= c  # squares in place: c ** 4 would call pow() per entry (4.5 ms of a 34 ms fit)
    s2 = c.sum(axis=0)
    c *= c
    s4 = c.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s4 > 0, s2 ** 2 / np.where(s4 > 0, s4, 1.0), np.inf)


def row_leverage(rows, m: int, terms: int, w: np.ndarray, solve,
                 constraint: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """(m,) h_T = w_T x_T^T G^{-1} x_T of each row, ``solve`` = G^{-1}; ``rows(lo, hi)`` gives the
    dense design rows lo..hi-1, taken in chunks of at most LEVERAGE_CHUNK_ENTRIES entries (no
    m x K array). ``constraint = (g1, denom)`` subtracts the projection w_T (x_T^T g1)^2 / denom
    of an exact constraint (the efficiency row of SV / FSII, g1 = G^{-1} 1)."""
    h = np.empty(m)
    step = max(1, LEVERAGE_CHUNK_ENTRIES // max(terms, 1))
    for lo in range(0, m, step):
        hi = min(m, lo + step)
        X = rows(lo, hi)
        quad = getattr(solve, "quad", None)  # a Cholesky solver: one triangular solve
        h[lo:hi] = w[lo:hi] * (quad(X.T) if quad is not None
                               else np.einsum("ij,ji->i", X, solve(X.T)))
        if constraint is not None:
            h[lo:hi] -= w[lo:hi] * (X @ constraint[0]) ** 2 / constraint[1]
    return h


def intersection_counts(C: np.ndarray, n: int, s: int) -> np.ndarray:
    """(m, C(n, s)) int8 |T n S| for each row T of the boolean coalitions C (m, n) and each
    s-set S (colex order): the design rows of the sampled regressions are functions of it
    (the monomial U subset T is [|T n U| = |U|]; KernelSHAP-IQ's order-s row is
    lambda_s(|T n S|)), built in m C(n, s) s byte additions where a gather of the basis
    matrix costs m C(n, s) times the subsets of T."""
    mem = bits.members(n, s)
    out = np.zeros((C.shape[0], mem.shape[0]), dtype=np.int8)
    Ci = np.ascontiguousarray(C, dtype=bool).view(np.int8)
    for i in range(s):
        out += Ci[:, mem[:, i]]
    return out


def monomial_rows(sets: np.ndarray, n: int, lo_order: int, hi_order: int) -> np.ndarray:
    """(m, sum_s C(n, s)) float 0/1 design rows [U subset T] over the sets U of sizes
    lo_order..hi_order (size, then colex), for the words ``sets`` of the coalitions T: the
    rows a subset gather of the identity gives, exactly (0/1 entries)."""
    C = bits.to_coalitions(sets, n)
    return np.hstack([(intersection_counts(C, n, s) == s) for s in
                      range(lo_order, hi_order + 1)]).astype(np.float64)


def per_unit(h: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """(m,) the sum of ``h`` over the rows of each row's draw id (a coalition and its paired
    complement are one sampling unit)."""
    _, unit = np.unique(draw, return_inverse=True)
    return np.bincount(unit, weights=h)[unit]


def unit_leverage(X: np.ndarray, w: np.ndarray, solve, draw: np.ndarray,
                  extra: np.ndarray | None = None) -> np.ndarray:
    """(m,) leverage of each row's sampling unit: the sum over the rows T of one draw id (a
    coalition and its paired complement) of h_T = w_T x_T^T G^{-1} x_T (minus ``extra``, a
    constraint's projection), G = X^T W X, ``solve`` = G^{-1} (:func:`row_leverage` on the
    rows of X). The linearised variance divides each residual by sqrt(1 - h_unit) (HC2,
    MacKinnon and White 1985; Bell and McCaffrey 2002): a few draws of high leverage (the
    big-weight sizes 1 and n - 1 of the Shapley kernel) are fitted closely, and their raw
    residuals understate the noise: the SV stderr of KernelSHAP at 5 coalitions per term
    covered 0.87-0.89 with u / (u - p) alone."""
    h = row_leverage(lambda lo, hi: X[lo:hi], X.shape[0], X.shape[1], w, solve)
    if extra is not None:
        h = h - extra
    return per_unit(h, draw)


def hc2_scale(lev: np.ndarray | None) -> np.ndarray | float:
    """1 / sqrt(1 - h) per row (1 without leverages; large where a unit is interpolated)."""
    return 1.0 if lev is None else 1.0 / np.sqrt(np.maximum(1.0 - lev, 1e-12))[:, None]


def _random_groups_var(delta: np.ndarray) -> np.ndarray:
    """delta: (R, ...) per-group linearised contributions -> variance of their sum."""
    R = delta.shape[0]
    return R / (R - 1) * ((delta - delta.mean(axis=0)) ** 2).sum(axis=0)


# ------------------------------------------------------------------------------- regression
def regression_plan_bytes(n: int, k: int, d: int = 1, rows: int | None = None,
                          min_order: int = 0) -> int:
    """Memory of a regression solve.

    Primal (``rows`` is None or >= the K basis terms): the Gram matrix (factorised in place)
    beside the scaled copy of the identification's rank check, its union-rank table
    (:func:`union_table_bytes`), the subset moments of order 2k, the per-group scores and,
    below LEVERAGE_MAX_DRAWS_PER_TERM rows per term, the HC2 leverages' design rows (one chunk
    of at most LEVERAGE_CHUNK_ENTRIES).
    Dual (fewer than K coalitions, see :func:`dual_ridge_factor`): the (rows+1)^2 kernel
    matrix factorised in place, right-hand sides and refinement residuals (2 (R + 2) d per
    row) and the subset moments of the dual coefficients ((R + 2) d per basis term).
    """
    K = bits.n_sets_upto(n, k)
    if rows is not None and uses_dual(rows, K - bits.offset(n, min_order)):
        r = rows + 1
        return 8 * (r * r + 2 * r * (N_GROUPS + 2) * max(d, 1) + (N_GROUPS + 2) * K * max(d, 1))
    lev = 0
    if rows is not None and rows < LEVERAGE_MAX_DRAWS_PER_TERM * K:  # HC2 leverages may be
        lev = 2 * min(rows * K, LEVERAGE_CHUNK_ENTRIES)  # computed: a chunk of rows, its solve
    return (8 * (2 * K * K + bits.n_sets_upto(n, 2 * k) + (N_GROUPS + 2) * K * max(d, 1) + lev)
            + union_table_bytes(n, k, min_order))


def uses_dual(rows: int, n_basis: int) -> bool:
    """The kernel (dual) form is used when fewer coalitions than basis terms are fitted."""
    return rows < n_basis


def monomial_kernel_table(n: int, lo: int, k: int) -> np.ndarray:
    """table[i] = sum_{j=lo}^{k} C(i, j): (Phi Phi^T)[T, T'] = table[|T n T'|] for the 0/1
    monomial features phi_T[S] = [S subset T], lo <= |S| <= k."""
    return np.array([float(sum(comb(i, j) for j in range(lo, k + 1))) for i in range(n + 1)])


def dual_ridge_factor(Kmat: np.ndarray, w: np.ndarray, n_basis: int, n_exact: int = 0):
    """Factorise the dual (kernel) form of the ridge-regularised weighted least squares once;
    return ``(solve, name, noise)``.

    With Phi (m x K) the features of the m fitted rows, W = diag(w) (w > 0) and the ridge
    eps = 1e-10 * mean(diag Phi^T W Phi) of :func:`spd_solver`, the push-through identity

        (Phi^T W Phi + eps I)^{-1} Phi^T W x = Phi^T (Phi Phi^T + eps W^{-1})^{-1} x

    turns the K x K normal equations into an m x m system: beta = Phi^T alpha with
    alpha = ``solve(x)`` = (Phi Phi^T + eps W^{-1})^{-1} x; ``noise`` is the diagonal
    eps / w added (0 on exact rows), for iterative refinement. ``Kmat`` = Phi Phi^T
    (overwritten) may end with ``n_exact`` rows a_c of exact constraints a_c^T beta = c (no
    noise term; their entries of x are the c): the KKT system of the constrained ridge problem, whose solution
    lies in the span of the rows of Phi and the a_c. Cost O(m^3 / 3) and m^2 doubles instead of
    O(K^3 / 3) and 3 K^2 (Schoelkopf and Smola 2002, representer theorem).
    """
    m = Kmat.shape[0] - n_exact
    w = np.asarray(w, dtype=np.float64)
    diag = np.diag(Kmat)[:m]
    eps = 1e-10 * max(float(np.dot(w, diag)) / n_basis, 1e-300)
    step = Kmat.shape[0] + 1
    noise = np.zeros(Kmat.shape[0])
    noise[:m] = eps / w
    Kmat.flat[: m * step: step] += noise[:m]
    try:
        # Kmat is symmetric: its transpose is the same matrix in Fortran order, factorised in
        # place (potrf writes the F-lower = C-upper triangle; the C-lower one stays intact)
        with blas_limit():
            c, low = scipy.linalg.cho_factor(Kmat.T, lower=True, overwrite_a=True,
                                             check_finite=False)
        return cho_solver(c, low), "dual-cholesky", noise
    except np.linalg.LinAlgError:  # pragma: no cover - the ridge makes it positive definite
        lo_t = np.tril(Kmat)
        full = lo_t + np.tril(lo_t, -1).T
        return (lambda B: scipy.linalg.lstsq(full, B, check_finite=False)[0]), "dual-lstsq", noise


#: iterative refinement steps of the dual solve (see RegressionEstimator._compute_dual)
DUAL_REFINEMENT_STEPS = 2


def _group_columns(e: np.ndarray, g: np.ndarray, R: int, extra_rows: int = 0) -> np.ndarray:
    """(m, d) residuals and group ids -> (m + extra_rows, R * d): column r * d + j holds
    e[:, j] on the rows of group r (zero elsewhere and on the extra rows)."""
    m, d = e.shape
    E = np.zeros((m + extra_rows, R, d))
    sel = np.flatnonzero(g < R)
    E[sel, g[sel], :] = e[sel]
    return E.reshape(m + extra_rows, R * d)


class RegressionEstimator(StratifiedEstimator):
    """Weighted least squares over the sampled coalitions (KernelSHAP, FSII, FBII, FWBII).

    min_beta sum_T mu(T) (v(T) - sum_{S subset T, |S| <= k} beta_S)^2, the objective estimated
    by the stratum weights; Shapley kernel with the constraints v_hat(empty) = v(empty) and
    v_hat(N) = v(N) for FSII/SV (Lundberg and Lee 2017; Tsai, Yeh and Ravikumar 2023), product
    measure mu_p without constraints for FBII/FWBII/WBV (Tsai et al. 2023; Baniecki et al. 2025).
    Normal equations from subset moments: G[S, S'] = sum_T w_T [S u S' subset T]; with fewer
    fitted coalitions than basis terms the same ridge solution in the dual (kernel) form, an
    m x m system (see :func:`dual_ridge_factor`, docs/sampled.md "Solver").
    """

    method = "regression"

    def __init__(self, n_players, spec, budget, max_order, seed, config, **kw):
        from .._validation import format_bytes, require_memory

        rows = min(budget, 1 << n_players) if n_players < 63 else budget
        min_order = 0 if "product_measure" in spec.capabilities else 1
        nbytes = regression_plan_bytes(n_players, max_order, rows=rows, min_order=min_order)
        K = bits.n_sets_upto(n_players, max_order)
        dual = uses_dual(rows, K - bits.offset(n_players, min_order))
        system = (f"kernel matrix {rows + 1} x {rows + 1}" if dual else f"Gram matrix {K} x {K}")
        require_memory(nbytes, f"regression with {K} basis terms (n = {n_players}, order "
                       f"{max_order}, budget {budget}; {system}, {format_bytes(nbytes)})",
                       argument="max_order")
        #: "auto" (dual form when fewer coalitions than basis terms), "primal" or "dual"
        self._solver = "auto"
        self.plan_bytes = nbytes
        super().__init__(n_players, spec, budget, max_order, seed, config, **kw)

    @property
    def shapley(self) -> bool:
        """Shapley kernel with v(empty), v(N) exact (SV, FSII), else the product measure."""
        return "product_measure" not in self.spec.capabilities

    def _design_terms(self):
        return bits.n_sets_upto(self.n_players, self.max_order) - bits.offset(
            self.n_players, 1 if self.shapley else 0)

    def _identify(self, upto):
        """Rank of the fitted design (rows of positive weight, plus the efficiency row of
        SV / FSII) from the unit-weight Gram matrix G[S, S'] = #{fitted T : S u S' subset T}:
        the basis terms are determined iff it has full rank (docs/sampled.md)."""
        from ._identify import Identification, gram_rank

        n, k = self.n_players, self.max_order
        min_order = 1 if self.shapley else 0
        terms = bits.n_sets_upto(n, k) - bits.offset(n, min_order)
        if self.full_enumeration:
            return Identification(True, ranks={"regression": (terms, terms)})
        sizes = self._sizes[:upto]
        fitted = (sizes > 0) & (sizes < n) if self.shapley else np.ones(upto, dtype=bool)
        fit = np.flatnonzero(fitted)
        m = fit.size + (1 if self.shapley else 0)
        if m < terms:
            rank = m  # at most
        else:
            # unit weights: integer counts, exact on either path ("auto": the complement trick
            # only where it pays, not for a short prefix)
            mom = subset_moments(self._plan[fit], n, 2 * k, np.ones((fit.size, 1)),
                                 backend=self.backend, complement="auto")[0, :, 0]
            G = mom[union_ranks(n, k, min_order)]
            if self.shapley:
                G = G + 1.0  # the efficiency row: all ones on the terms of order >= 1
            rank = gram_rank(G)
        ok = rank >= terms
        detail = (f"the {m} fitted coalitions give a design of rank "
                  f"{'at most ' if m < terms else ''}{rank} for {terms} basis terms")
        return Identification(ok, detail, {"regression": (rank, terms)}, bad_from=min_order)

    def _identify_by_sizes(self, upto):
        if not self._complete_triangle(upto):
            return None
        from ._identify import Identification

        terms = self._design_terms()
        return Identification(True, ranks={"regression": (terms, terms)})

    def _complete_triangle(self, upto: int) -> bool:
        """A proof of full rank from the drawn sizes alone: every coalition of the sizes
        lo..k (lo = 1 for SV / FSII, else 0) is among the first ``upto``, or every one of the
        sizes n - k..n - lo. The first rows, ordered as the columns, are the unitriangular
        matrix [S subset T]; the second, through T = N minus A, are [S n A empty] =
        sum_B [B subset A] (-1)^|B| [B subset S], a product of two triangular matrices with
        unit (+-1) diagonals, invertible over |S| <= k (for SV / FSII the efficiency row is the
        A = empty row, and dropping the empty column keeps the others independent)."""
        n, k = self.n_players, self.max_order
        lo = 1 if self.shapley else 0
        if self.shapley and k >= n:  # the fitted sizes 1..n-1 must hold 1..k
            return False
        _, _, complete = self._strata(upto)
        return bool(complete[lo:k + 1].all() or complete[n - k:n - lo + 1].all())

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        sets, V, sizes, kcount, complete = self._sample(upto)
        with np.errstate(divide="ignore", invalid="ignore"):
            mass = self.spec.size_mass(n)
            if self.shapley:
                mass[0] = mass[n] = 0.0  # constraints, not regression rows
            w_size = np.where(kcount > 0, mass / np.maximum(kcount, 1), 0.0)
        w = w_size[sizes]
        min_order = 1 if self.shapley else 0
        info = {"pairing": self.pairing, "plan_bytes": self.plan_bytes}
        self._units = sampling_units(self._draw[:upto], (w > 0) & ~complete[sizes])
        self._leverage = False
        if self.shapley:
            i0 = np.flatnonzero(sizes == 0)
            iN = np.flatnonzero(sizes == n)
            if i0.size == 0 or iN.size == 0:
                raise ValueError("budget must be >= 2: the empty and grand coalitions are needed")
            v0, vN = V[i0[0]], V[iN[0]]
            Y = V - v0
        else:
            v0 = None
            Y = V
        off = bits.offset(n, min_order)
        Kall = bits.n_sets_upto(n, k)
        fit = np.flatnonzero(w > 0)
        n_exact = 1 if self.shapley else 0
        if self._solver == "auto":
            dual = uses_dual(fit.size + n_exact, Kall - off)
        else:
            dual = self._solver == "dual"
        if dual:
            return self._compute_dual(upto, sets, V, Y, w, fit, sizes, complete, min_order,
                                      v0, vN if self.shapley else None, info)
        mom = subset_moments(sets, n, 2 * k, w, backend=self.backend, sizes=sizes)[0, :, 0]
        Rk = union_ranks(n, k, min_order)
        G = mom[Rk]
        h = subset_moments(sets, n, k, w[:, None] * Y, backend=self.backend,
                           sizes=sizes)[0, off:Kall]
        solve, solver = spd_solver(G, overwrite=True)  # G is this fit's own: no K x K copy
        g1 = denom = None
        if self.shapley:
            ones = np.ones((G.shape[0], 1))
            sol = solve(np.concatenate([h, ones], axis=1))
            gh, g1 = sol[:, :-1], sol[:, -1]
            denom = g1.sum()
            lam = (vN - v0 - gh.sum(axis=0)) / denom
            beta = gh + np.outer(g1, lam)
        else:
            beta = solve(h)
        info["solver"] = solver
        coef = self._coef(beta, off, Kall, v0, V.shape[1])
        resid, groups = self._residuals(upto, sets, Y, coef, complete, sizes)
        lev = self._unit_leverage(upto, sets, sizes, w, solve, g1, denom, off, Kall)
        scores = subset_moments(sets, n, k, w[:, None] * resid * hc2_scale(lev), groups, N_GROUPS + 1,
                                backend=self.backend, sizes=sizes)[:N_GROUPS, off:Kall]
        R, K, d = scores.shape
        flat = scores.transpose(1, 0, 2).reshape(K, R * d)
        delta = solve(flat)
        if self.shapley:
            delta = delta - np.outer(g1, delta.sum(axis=0) / denom)
        delta = delta.reshape(K, R, d).transpose(1, 0, 2)
        self._leverage = lev is not None
        return self._finish(coef, delta, off, Kall, info)

    def _unit_leverage(self, upto, sets, sizes, w, solve, g1, denom, off, Kall):
        """:func:`unit_leverage` of the fitted basis (orders off..k), with the projection of the
        efficiency constraint for SV / FSII; None where :func:`wants_leverage` declines."""
        n, k = self.n_players, self.max_order
        K = Kall - off
        if not wants_leverage(K, self._units):
            return None  # many draws per term (HC1), or not determined (inf stderr)
        first = next(s for s in range(k + 1) if bits.offset(n, s) == off)

        def rows(lo, hi):  # the gather of the identity's columns off.., built directly
            return monomial_rows(sets[lo:hi], n, first, k)

        h = row_leverage(rows, sets.shape[0], K, w, solve,
                         None if g1 is None else (g1, denom))
        return per_unit(h, self._draw[:upto])

    def _coef(self, beta, off, Kall, v0, d):
        coef = np.zeros((Kall, d))
        coef[off:] = beta
        if self.shapley:
            coef[0] = v0
        return coef

    def _residuals(self, upto, sets, Y, coef, complete, sizes):
        """Residuals of the fit (the intercept v(empty) excluded for the Shapley family) times
        the finite-population factor (:meth:`_fpc_root`), and the random groups (complete
        sizes excluded: no sampling error)."""
        n, k = self.n_players, self.max_order
        if self.shapley:
            coef = np.vstack([np.zeros((1, coef.shape[1])), coef[1:]])
        resid = Y - subset_gather(sets, n, k, coef, backend=self.backend, sizes=sizes)
        return resid * self._fpc_root(sizes)[:, None], self._groups(upto, complete, sizes)

    def _compute_dual(self, upto, sets, V, Y, w, fit, sizes, complete, min_order, v0, vN, info):
        """The same ridge solution in the dual (kernel) form (see :func:`dual_ridge_factor`):
        an m x m system on the fitted coalitions (weight > 0), plus the grand coalition as an
        exact row for the efficiency constraint of SV / FSII; beta_S = sum_T alpha_T
        [S subset T] is a subset-moment pass with weights alpha."""
        from ._kernels import intersection_kernel

        n, k = self.n_players, self.max_order
        off = bits.offset(n, min_order)
        Kall = bits.n_sets_upto(n, k)
        rows = sets[fit]
        rhs = Y[fit]
        n_exact = 0
        if self.shapley:  # a_N = phi_N = all ones: sum_S beta_S = v(N) - v(empty)
            grand = bits.complement(np.zeros((1, rows.shape[1]), dtype=np.uint64), n)
            rows = np.vstack([rows, grand])
            rhs = np.vstack([rhs, (vN - v0)[None]])
            n_exact = 1
        Kmat = intersection_kernel(rows, n, monomial_kernel_table(n, min_order, k),
                                   backend=self.backend)
        solve, solver, noise = dual_ridge_factor(Kmat, w[fit], Kall - off, n_exact)
        del Kmat
        info["solver"] = solver

        def fit_dual(x):
            """beta = Phi^T alpha, alpha = M^{-1} x, refined twice with the residual
            x - Phi beta - eps W^{-1} alpha computed through Phi (subset gather), not
            through the kernel matrix: with pairing, Phi's rows are far from independent
            (rank ~ m/2 + n), M has eigenvalues ~ eps / w and one solve loses ~6 digits."""
            alpha = solve(x)
            for step in range(DUAL_REFINEMENT_STEPS + 1):
                coef = subset_moments(rows, n, k, alpha, backend=self.backend)[0]
                coef[:off] = 0.0
                if step == DUAL_REFINEMENT_STEPS:
                    return coef[off:Kall]
                rho = (x - subset_gather(rows, n, k, coef, backend=self.backend)
                       - noise[:, None] * alpha)
                alpha = alpha + solve(rho)

        beta = fit_dual(rhs)
        d = V.shape[1]
        coef = self._coef(beta, off, Kall, v0, d)
        resid, groups = self._residuals(upto, sets, Y, coef, complete, sizes)
        # delta_r = (G + eps I)^{-1} Phi^T W e_r = Phi^T solve(e_r), e_r the residuals of group r
        E = _group_columns(resid[fit], groups[fit], N_GROUPS, n_exact)
        delta = fit_dual(E)
        delta = delta.reshape(Kall - off, N_GROUPS, d).transpose(1, 0, 2)
        return self._finish(coef, delta, off, Kall, info)

    def _finish(self, coef, delta, off, Kall, info):
        d = coef.shape[1]
        if self.spec.baseline == "empty" and not self.spec.empty_is_value:
            # a Banzhaf value's empty-set entry is the mean E_p[v] = beta_0 + p sum_i beta_i
            # (its Moebius row 0 is p^t), not the fitted intercept (FBII/FWBII) nor v(empty)
            # the empty-set entry of a value index is the mean E_p[v] = beta_0 + p sum_i beta_i
            pw = self.spec.p
            coef[0] = coef[0] + pw * coef[1:].sum(axis=0)
            delta[:, 0] = delta[:, 0] + pw * delta[:, 1:].sum(axis=1)
        var = np.zeros((Kall, d))
        var[off:] = _random_groups_var(delta) * self._dof_factor(Kall - off, delta)
        return coef, np.sqrt(var), info

    def _dof_factor(self, terms: int, delta: np.ndarray) -> float | np.ndarray:
        """:func:`dof_factor` of this fit's independent draws (HC1 unless the primal path
        scaled the residuals by their leverages), each term's t quantile read at the fewer of
        u - p and its random groups' Satterthwaite degrees of freedom (:func:`groups_dof`)."""
        return dof_factor(self._units, terms, self._leverage, groups_dof(delta))



# ------------------------------------------------------------------------------- Monte Carlo
def pair_products(draw: np.ndarray, sizes: np.ndarray, V: np.ndarray, out: np.ndarray) -> None:
    """out (m, d) = v(T) v(N minus T) on the lead row of each complement pair of the stream
    (the member of size <= n/2, the first one at n/2; a pair is two consecutive rows of one
    draw id), 0 elsewhere."""
    out[...] = 0.0
    i = np.flatnonzero(draw[1:] == draw[:-1])
    if i.size == 0:
        return
    j = i + 1
    lead = np.where(sizes[i] <= sizes[j], i, j)
    other = np.where(sizes[i] <= sizes[j], j, i)
    out[lead] = V[lead] * V[other]


def paired_size_variance(g, Sz, Sz2, X, kcount, complete, cap, n, var_t):
    """SHAP-IQ's variance with complement pairing: a draw is the pair (T, N minus T), so the
    sizes t and n - t form one stratum of k_t pairs (k_{n/2} / 2 at t = n/2) whose terms
    y = z(T) + z(N minus T) are summed before the variance is taken (treated as independent,
    the two sizes' errors were 0.86-0.89 coverage for SII and 1.00 for SV on random tables).
    Sz, Sz2: per size the sums of z and z^2 (:meth:`ShapIQ._combine_per_size`); sum y^2 needs
    the cross moments X[t, l] = sum over lead T (|T| = t, |T n S| = l) of v(T) v(N minus T),
    weighted g(t, l) g(n - t, s - l). Returns the per-size variances (the pair's in t, 0 in
    n - t) and the draws per size for the degrees of freedom."""
    cross = np.einsum("tl,tlkd->tkd", g * g[::-1, ::-1], X)
    out = var_t.copy()
    counts = kcount.copy()
    t = np.arange(n // 2 + 1)
    u = n - t
    mid = t == u  # the size n/2 pairs with itself: k_t / 2 pairs of C(n, t) / 2
    kt = kcount[t]
    ok = ~complete[t] & ~complete[u] & np.where(mid, (kt % 2 == 0) & (kt >= 4),
                                                (kt == kcount[u]) & (kt >= 2))
    t, u, mid = t[ok], u[ok], mid[ok]
    k = np.where(mid, kcount[t] // 2, kcount[t])
    C = np.where(mid, cap[t] / 2, cap[t])
    m3 = mid[:, None, None]
    Sy = np.where(m3, Sz[t], Sz[t] + Sz[u])
    Sy2 = np.where(m3, Sz2[t], Sz2[t] + Sz2[u]) + 2 * cross[t]
    k3 = k[:, None, None]
    s2 = np.maximum((Sy2 - Sy * Sy / k3) / (k3 - 1), 0.0)
    out[u[~mid]] = 0.0
    out[t] = (C * C * (1.0 - k / C))[:, None, None] * s2 / k3
    counts[t[mid]] = k[mid]
    return out, counts


class _MonteCarlo(StratifiedEstimator):
    """Shared machinery of SHAP-IQ and SVARM-IQ: per-size subset moments of 1, v and v^2,
    weighted by the derivative weights of the index's base (aggregated, e.g. k-SII from SII).

    Each size t with k_t >= 2 draws (and not complete) is centred by its own sample mean
    vbar_t, and its size-level (Horvitz-Thompson) estimate of sum_{|T| = t} g(T) v(T) is

        G_t vbar_t + (C_t - 1) s_gv,   s_gv = sum_i g_i (v_i - vbar_t) / (k_t - 1),

    G_t = sum_{|T| = t} g(T) (known): exactly unbiased under sampling without replacement
    within the size (vbar_t and the sample covariance s_gv are unbiased for the size's mean and
    covariance of g and v), and exact when the size is complete. With complement pairing the
    middle size n/2 draws pairs (T, N minus T): the same with pairs as units (u = the pair's
    mean value, x = its summed weight). Only the level of v within the size is removed, not
    its dependence on T: a constant, or a level that changes with the size, no longer costs
    sampling noise (v(empty)-centring alone left E[v | t] - v(empty); on shapiq's
    RandomTableGame, v(empty) = 0.64, that was 1.2x shapiq's error on SII pairs).
    """

    #: SVARM-IQ's strata within a size: "mask" (the intersection T n S itself, 2^s strata, as
    #: shapiq's SVARM-IQ) or "count" (its size |T n S|, s + 1 strata)
    strata = "mask"
    #: the plan's doubles per (size, top-order set) cell (see __init__)
    PEAK_PER_CELL = 75

    def __init__(self, n_players, spec, budget, max_order, seed, config, **kw):
        super().__init__(n_players, spec, budget, max_order, seed, config, **kw)
        from .._validation import format_bytes, require_memory

        # before any game call: the per-size subset moments of 1, v, v^2 (, pair products) of a
        # scalar game, (n + 1) x sum_{s<=k} C(n, s) x c, and the pattern sums and per-stratum
        # arrays made from them for the top order: measured (tracemalloc, SII, 40-273 players,
        # orders 2-3, paired) at 56-74 x (n + 1) C(n, k) doubles for SVARM-IQ's 2^s strata
        # (order 2: 56-71, order 3: 74), 29-37 for SHAP-IQ's s + 1; the plan takes 75 and 38
        # (273 players, order 2: 6.4 GB planned, 4.9 GB traced). The coalition plan alone was
        # counted before: at 132 players and order 3 numpy failed allocating 8.9 GB of 31.
        n, k = n_players, max_order
        c = 4 if self.pairing else 3
        cells = (n + 1) * max(comb(n, t) for t in range(k + 1))
        nbytes = 8 * ((n + 1) * c * bits.n_sets_upto(n, k) + self.PEAK_PER_CELL * cells)
        require_memory(nbytes, f"{self.method} of order {k} for n = {n}: per-size moments and "
                       f"pattern sums of {format_bytes(nbytes)}", argument="max_order")
        self.plan_bytes = nbytes

    def _centres(self, V0, sizes, kcount, complete, v0):
        """(n+1, d) the centre of each size (its sample mean where it has >= 2 sampling units
        and is not complete, else v(empty)) and (n+1,) whether it is centred by its mean."""
        n = self.n_players
        units = self._size_units(kcount)
        mean_ok = (units >= 2) & ~complete
        sums = np.zeros((n + 1, V0.shape[1]))
        np.add.at(sums, sizes, V0)
        with np.errstate(divide="ignore", invalid="ignore"):
            means = sums / np.maximum(kcount, 1)[:, None]
        c = np.where(mean_ok[:, None], means, v0[None, :])
        return c, mean_ok

    def _size_units(self, kcount):
        """(n+1,) independent sampling units per size: draws, and with complement pairing
        k_{n/2} / 2 pairs in the middle size."""
        n = self.n_players
        units = kcount.astype(np.float64).copy()
        if self.pairing and n % 2 == 0:
            units[n // 2] = kcount[n // 2] // 2
        return units

    def _unbiased_correction(self, gm, A, kcount, complete, cap, centred):
        """(n+1, K, d) the term that makes a centred size's HT estimate unbiased, kappa_t
        sum_i h_i (v_i - vbar_t) with kappa_t = (C_t - k_t) / (k_t (k_t - 1)) (units: pairs in
        the paired middle size, h the pair-symmetrised weight there), and (n+1,) the ratio
        phi_t of the corrected to the plain scale (its square scales the variance)."""
        n = self.n_players
        units = self._size_units(kcount)
        C = cap.copy()
        mid = np.zeros(n + 1, dtype=bool)
        if self.pairing and n % 2 == 0:
            mid[n // 2] = True
            C[n // 2] = cap[n // 2] / 2
        ok = centred & ~complete & (units >= 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            kappa = np.where(ok, (C - units) / np.maximum(units * (units - 1), 1), 0.0)
            phi = np.where(ok, 1.0 + kappa * units / np.maximum(C, 1), 1.0)
        h = np.where(mid[:, None], (gm + gm[:, ::-1]) / 2, gm)
        corr = kappa[:, None, None] * np.einsum("tm,tmkd->tkd", h, A)
        return corr, phi

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        sets, V0, sizes, kcount, complete = self._sample(upto)
        d = V0.shape[1]
        # Centred per size (see the class docstring); sizes without two draws by v(empty)
        # (always drawn: size 0 is enumerated), as shapiq's Monte Carlo is: a constant offset
        # contributes c sum_T gamma_S(T) exactly (added back below), but its sampling noise in
        # sum_{sampled T} gamma_S(T) c gave 4-5x shapiq's error on SII pairs of a game with
        # v(empty) = 0.64 (issue 13)
        i0 = np.flatnonzero(sizes == 0)
        v0 = V0[i0[0]] if i0.size else np.zeros(d)
        centre, centred = self._centres(V0, sizes, kcount, complete, v0)
        V = V0 - centre[sizes]
        paired = self.pairing
        cols = np.empty((upto, 1 + (3 if paired else 2) * d))  # 1, v, v^2 (, pair products)
        cols[:, 0] = 1.0
        cols[:, 1:1 + d] = V
        np.multiply(V, V, out=cols[:, 1 + d:1 + 2 * d])
        if paired:
            pair_products(self._draw[:upto], sizes, V, cols[:, 1 + 2 * d:])
        mom = subset_moments(sets, n, k, cols, sizes, n + 1, backend=self.backend, sizes=sizes)
        del cols  # (freed before the pattern sums: less fresh memory to fault in per call)
        out, var = [], []
        cap = self._cap
        thin = self._thin_sizes(upto, complete)
        weights = self.spec.base.derivative_weights(n)
        bern = self.spec.base_coefficients(k)
        for s in range(k + 1):
            P = pattern_sums(mom, n, s, contiguous=True)  # (n+1, 2^s, K_s, columns)
            pc = _popcounts(s)
            if bern is not None and s >= 1:
                g = aggregated_coalition_weights(weights, bern, n, s, k)
            else:
                wdd = weights[s, : n - s + 1]
                g = np.zeros((n + 1, s + 1))
                for t in range(n + 1):
                    for l in range(s + 1):
                        if 0 <= t - l <= n - s:
                            g[t, l] = (-1) ** (s - l) * wdd[t - l]
            if self.strata == "count":  # strata (t, |T n S|): the masks summed by popcount
                L = np.empty((n + 1, s + 1) + P.shape[2:])
                for l in range(s + 1):
                    masks = np.flatnonzero(pc == l)
                    L[:, l] = P[:, masks[0]]
                    for m in masks[1:]:
                        L[:, l] += P[:, m]
                P, gm, Pm = L, g, _strata_sizes(n, s)
            else:  # strata (t, T n S): 2^s per size, C(n - s, t - |L|) coalitions each
                gm, Pm = g[:, pc], _mask_strata_sizes(n, s)
            N = P[..., 0]
            A = P[..., 1:1 + d]
            B = P[..., 1 + d:1 + 2 * d]
            X = P[..., 1 + 2 * d:] if paired else None
            per_t, var_t, counts, ht = self._combine(gm, Pm, A, B, N, kcount, complete, cap,
                                                     n, X)
            del P
            corr, phi = self._unbiased_correction(gm, A, kcount, complete, cap, centred)
            per_t = per_t + np.where(ht, corr, 0.0)
            var_t = np.where(ht, var_t * (phi ** 2)[:, None, None], var_t)
            # the centres' exact share: sum_t c_t G_t, G_t = sum over the size of g
            est = per_t.sum(axis=0) + ((gm * Pm).sum(axis=1) @ centre)[None, :]
            # few draws per size: Student-t quantile of the Satterthwaite degrees of freedom;
            # inf where a weighted size has fewer than two draws (docs/sampled.md)
            open_ = ~complete & (np.abs(g) > 0).any(axis=1)
            v = var_t.sum(axis=0) * satterthwaite_factor(var_t, counts, open_, thin)
            out.append(est)
            var.append(v)
        values = np.concatenate(out, axis=0)
        variance = np.concatenate(var, axis=0)
        values, variance = self._post(values, variance, V0, sizes)
        return values, np.sqrt(np.maximum(variance, 0.0)), {"pairing": self.pairing}

    def _thin_sizes(self, upto: int, complete: np.ndarray) -> np.ndarray:
        """(n+1,) sizes (strata: with complement pairing, a size and its complement) expected
        to get fewer than one draw among the draws made outside the enumerated sizes: their
        variance is not estimated (inf, see satterthwaite_factor) even when two happened to be
        drawn. Deciding by the realised counts alone selected the runs in which a thin size was
        over-drawn: SHAP-IQ and SVARM-IQ SV at n = 10, 22 coalitions (the middle size expects
        0.7 pairs) reported finite standard errors in 5 of 200 runs, covering 1.000 there (the
        rule of SVARM-IQ's strata and of the permutations' hits: expected, not realised)."""
        n = self.n_players
        q = np.where(np.isfinite(self.size_weights) & ~complete, self.size_weights, 0.0)
        total = q.sum()  # a draw picks an open size t with probability q_t / total
        if self.pairing:  # ... and is a pair of sizes t and n - t (n / 2: one pair)
            q = np.where(np.arange(n + 1) * 2 == n, q, q + q[::-1])
        sizes = self._sizes[:upto]
        random = ~complete[sizes] & np.isfinite(self.size_weights[sizes])
        units = sampling_units(self._draw[:upto], random) if random.any() else 0
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.where(total > 0, units * q / total, 0.0)
        return expected < 1

    def _post(self, values, variance, V, sizes):
        i0 = np.flatnonzero(sizes == 0)
        if self.spec.empty_is_value and i0.size:
            values[0] = V[i0[0]]
            variance[0] = 0.0
        return values, variance


class ShapIQ(_MonteCarlo):
    """SHAP-IQ (Fumagalli et al. 2023): unbiased Monte-Carlo estimate of any cardinal
    interaction index, phi(S) = sum_T gamma_S(T) v(T), gamma_S(T) = (-1)^{s-|T n S|}
    w(|T \\ S|, s), estimated size by size, each size centred by its own mean (see
    _MonteCarlo): G_t vbar_t + (C_t - 1) s_gv. Unbiased given the counts per size; variance
    sum_t phi_t^2 C_t^2 (1 - k_t/C_t) s_t^2 / k_t of the centred terms."""

    method = "shapiq"
    strata = "count"  # sums over a size only: the counts' arrays are smaller
    PEAK_PER_CELL = 38

    def _combine(self, g, P, A, B, N, kcount, complete, cap, n, X=None):
        """Per size: the estimate, the variance, draws for the degrees of freedom (pairs with
        ``X``) and where the size-level estimate was used (all sizes)."""
        per_t, var_t, Sz, Sz2 = self._combine_per_size(g, A, B, kcount, complete, cap)
        if X is not None:
            var_t, kcount = paired_size_variance(g, Sz, Sz2, X, kcount, complete, cap, n, var_t)
        return per_t, var_t, kcount, np.ones((n + 1, 1, 1), dtype=bool)

    @staticmethod
    def _combine_per_size(g, A, B, kcount, complete, cap):
        """Per size t: the Horvitz-Thompson estimate C_t/k_t sum z_T, its variance, and the
        sums of z and z^2."""
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(kcount > 0, cap / np.maximum(kcount, 1), 0.0)
        Sz = np.einsum("tm,tmkd->tkd", g, A)
        Sz2 = np.einsum("tm,tmkd->tkd", g * g, B)
        est = scale[:, None, None] * Sz
        kk = kcount[:, None, None].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = np.where(kk > 1, (Sz2 - Sz * Sz / np.maximum(kk, 1)) / np.maximum(kk - 1, 1), 0.0)
            fpc = np.where(complete, 0.0, 1.0 - kcount / cap)
            w = np.where(kcount > 0, cap**2 * fpc / np.maximum(kcount, 1), 0.0)
            v = w[:, None, None] * np.maximum(s2, 0.0)
        return est, v, Sz, Sz2


@functools.lru_cache(maxsize=64)
def _strata_sizes(n: int, s: int) -> np.ndarray:
    """P[t, l] = C(s, l) C(n - s, t - l): coalitions T of size t with |T n S| = l (read-only)."""
    P = np.zeros((n + 1, s + 1))
    for tt in range(n + 1):
        for ll in range(s + 1):
            if 0 <= tt - ll <= n - s:
                P[tt, ll] = comb(s, ll) * float(comb(n - s, tt - ll))
    P.setflags(write=False)
    return P


@functools.lru_cache(maxsize=64)
def _mask_strata_sizes(n: int, s: int) -> np.ndarray:
    """P[t, L] = C(n - s, t - |L|): coalitions T of size t with T n S = L, for each mask L of
    the s members of S (read-only)."""
    pc = _popcounts(s)
    P = np.zeros((n + 1, 1 << s))
    for tt in range(n + 1):
        for L in range(1 << s):
            if 0 <= tt - pc[L] <= n - s:
                P[tt, L] = float(comb(n - s, tt - int(pc[L])))
    P.setflags(write=False)
    return P


#: SVARM-IQ post-stratifies a size only when each of its strata expects this many draws (0:
#: every size whose draws leave a within-stratum degree of freedom)
MIN_STRATUM_DRAWS = 0


class SvarmIQ(_MonteCarlo):
    """SVARM-IQ (Kolpaczki et al. 2024): stratified by coalition size t and intersection
    L = T n S (2^s strata per size, as shapiq's SVARM-IQ; ``strata = "count"`` stratifies by
    |L| instead); phi(S) = sum_{t,L} gamma(t,|L|) P(t,L) mean_{(t,L)} v with
    P(t, L) = C(n-s, t-|L|) coalitions per stratum. The values are centred by each size's mean
    (_MonteCarlo), so an empty stratum is imputed by its size's mean. Variance: the
    post-stratified residual form (:meth:`_combine`), which needs no stratum with two draws.

    A size t is post-stratified when every stratum it needs expects at least
    MIN_STRATUM_DRAWS draws (k_t P(t, L) / C(n, t)), a choice from the counts per size, not from
    which coalitions were drawn; otherwise, and where its draws leave no within-stratum degree
    of freedom, it uses the size-level estimate (SHAP-IQ's, centred). With 10 expected draws
    per stratum (by |L|) required before, every sampled size of n = 10 at 300 coalitions was
    SHAP-IQ's estimate, 1.7x shapiq's SVARM-IQ error on RandomTableGame."""

    method = "svarmiq"
    #: a size is stratified only if each needed stratum expects this many draws
    min_stratum_draws = MIN_STRATUM_DRAWS

    def _combine(self, g, P, A, B, N, kcount, complete, cap, n, X=None):
        """Per size t: the stratified estimate sum_L g(t, L) P(t, L) ybar_{(t, L)} over the
        strata L of the size (masks T n S, or their counts) of the centred values (an empty
        stratum is imputed by the size's mean, i.e. 0), its variance in residual form, the
        degrees of freedom + 1 (for satterthwaite_factor) and where the size-level estimate
        was used instead (thin sizes; no within-stratum degrees of freedom).

        Variance (post-stratification, Cochran 1977 5A.9; Saerndal et al. 1992 7.6): with
        e_i = g(t, L_i) (v_i - ybar_{L_i}) the residuals from the stratum means (a complement
        pair's two residuals summed), Var = (C_t / k_t)^2 (1 - k_t / C_t) k_t / (k_t - H) sum_i
        e_i^2, H the non-empty needed strata: it needs no stratum with two draws (a stratum
        with one has residual 0 and costs one degree of freedom, k_t - H in all), so every
        size expected to fill its strata is stratified. An empty needed stratum adds
        (g P)^2 s_t^2 (the size's variance: the imputed mean's error)."""
        Nd = N[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(Nd > 0, A / np.maximum(Nd, 1), 0.0)
            gp = g * P
            per_t = (gp[:, :, None, None] * mean).sum(axis=1)  # (n+1, K_s, d)
            needed = np.abs(gp) > 0  # (n+1, M)
            nd3 = needed[:, :, None]
            ss = np.where(Nd > 0, B - A * mean, 0.0)  # within-stratum sums of squares
            e2 = (np.where(nd3, g[:, :, None] ** 2, 0.0)[..., None] * ss)
            kk = kcount.astype(np.float64)
            # the size's variance of the centred values (for imputed strata)
            tot_a, tot_b = A.sum(axis=1), B.sum(axis=1)
            s2_tot = np.where(kk[:, None, None] > 1, (tot_b - tot_a ** 2 / np.maximum(
                kk, 1)[:, None, None]) / np.maximum(kk - 1, 1)[:, None, None], 0.0)
            s2_tot = np.maximum(s2_tot, 0.0)
            empty = nd3 & (N == 0)  # (n+1, M, K)
            H = (nd3 & (N > 0)).sum(axis=1)  # (n+1, K)
            units = kk[:, None] - H  # within-stratum degrees of freedom
            if X is not None:  # complement pairs: strata (t, L) and (n - t, S minus L) together
                e2, empty_var = self._paired_e2(g, gp, N, A, B, X, mean, e2, complete, n)
            else:
                empty_var = None
            sum_e2 = np.maximum(e2.sum(axis=1), 0.0)  # (n+1, K, d); >= 0 but for rounding
            fpc = np.where(complete, 0.0, 1.0 - kk / cap)
            scale = np.where(kk > 0, cap / np.maximum(kk, 1), 0.0) ** 2 * fpc * kk
            var_t = (scale[:, None, None] * sum_e2
                     / np.maximum(units, 1)[..., None])
            imp = np.where(empty[..., None], (gp ** 2)[:, :, None, None] * s2_tot[:, None],
                           0.0).sum(axis=1)
            var_t = var_t + (imp if empty_var is None else empty_var)
            # sizes too thin to stratify (decided from k_t, not from the draws) and those
            # without within-stratum degrees of freedom: the size-level estimate
            thin = (needed & (kk[:, None] * P < self.min_stratum_draws * cap[:, None])).any(1)
            missing = (thin[:, None] | (units < 1))[..., None] & ~complete[:, None, None]
            if not missing.any():  # every size stratified: the size-level path changes nothing
                return per_t, var_t, units + 1, missing
            ht, ht_var, Sz, Sz2 = ShapIQ._combine_per_size(g, A, B, kcount, complete, cap)
            counts = np.where(missing[..., 0], kk[:, None], units + 1)
            per_t = np.where(missing, ht, per_t)
            var_t = np.where(missing, ht_var, var_t)
            if X is not None:
                paired_var, pc_ = paired_size_variance(g, Sz, Sz2, X, kcount, complete, cap, n,
                                                       ht_var)
                var_t = np.where(missing | missing[::-1], np.where(missing, paired_var, 0.0),
                                 var_t)
                counts = np.where(missing[..., 0], pc_[:, None], counts)
        return per_t, var_t, counts, missing

    @staticmethod
    def _paired_e2(g, gp, N, A, B, X, mean, e2, complete, n):
        """With complement pairing the pairs of stratum (t, L) are exactly those of
        (n - t, S minus L) (the strata axis reversed: masks or counts): each pair's residual
        is g(t, L)(v(T) - ybar) + g(n - t, S minus L)(v(N minus T) - ybar'), its square summed
        per stratum (cross products from X) and put on size t < n/2 (0 on n - t); sizes whose
        strata are not paired one to one keep the independent form. Also the variance of
        imputed (empty) strata, on t."""
        out = e2.copy()
        t = np.arange(n // 2 + (n % 2))
        t = t[(t < n - t) & ~complete[t] & ~complete[n - t]]
        if t.size == 0:
            return out, None
        u = n - t
        Nt, Nu = N[t], N[u][:, ::-1]
        ok = (Nt == Nu).all(axis=1)  # (T, K)
        a, b = g[t][:, :, None, None], g[u][:, ::-1, None, None]
        At, Au = A[t], A[u][:, ::-1]
        # (called inside _combine's errstate: a numpy errstate block costs ~17 us)
        ss12 = np.where(Nt[..., None] > 0, X[t] - At * Au / np.maximum(Nt, 1)[..., None], 0.0)
        cross = np.where((np.abs(gp[t]) > 0)[:, :, None, None]
                         | (np.abs(gp[u][:, ::-1]) > 0)[:, :, None, None],
                         2 * a * b * ss12, 0.0)
        okd = ok[:, None, :, None]
        out[t] = np.where(okd, e2[t] + e2[u][:, ::-1] + cross, e2[t])
        out[u] = np.where(okd, 0.0, e2[u])
        return out, None


def aggregated_coalition_weights(w: np.ndarray, bern: np.ndarray, n: int, s: int,
                                 k: int) -> np.ndarray:
    """See :func:`_aggregated_coalition_weights` (cached by value: a read-only table)."""
    w = np.ascontiguousarray(w, dtype=np.float64)
    bern = np.ascontiguousarray(bern, dtype=np.float64)
    return _aggregated_cached(w.tobytes(), w.shape, bern.tobytes(), int(n), int(s), int(k))


@functools.lru_cache(maxsize=64)
def _aggregated_cached(w_bytes, w_shape, bern_bytes, n, s, k):
    g = _aggregated_coalition_weights(np.frombuffer(w_bytes).reshape(w_shape),
                                      np.frombuffer(bern_bytes), n, s, k)
    g.setflags(write=False)
    return g


def _aggregated_coalition_weights(w: np.ndarray, bern: np.ndarray, n: int, s: int,
                                  k: int) -> np.ndarray:
    """g[t, l]: the weight of v(T) in phi(S) = sum_{U superset S, |U| <= k} b_{|U|-|S|} base(U),
    |T| = t, |T n S| = l, |S| = s >= 1, with w the base's derivative weights (index.base,
    index.base_coefficients; k-SII: base SII, b = Bernoulli numbers).

    k-SII(S) = sum_{U superset S, |U| <= k} B_{|U|-|S|} SII(U) and SII(U) = sum_T
    (-1)^{|U| - |T n U|} w_{|U|}(|T minus U|) v(T), so the weight of v(T) sums over the
    U = S + a members of T minus S + (j - s - a) members outside T u S:

        g(t, l) = sum_{j=s}^{k} B_{j-s} sum_a C(t-l, a) C(n-s-t+l, j-s-a)
                  (-1)^{j-l-a} w_j(t-l-a).

    Estimating k-SII directly with these weights (SHAP-IQ, SVARM-IQ) gives it the stratified
    variance of its own per-coalition terms: the covariance of the SII estimates it combines
    is accounted for exactly (aggregating SII variances as if independent was 1.7-3.7x
    conservative)."""
    g = np.zeros((n + 1, s + 1))
    for t in range(n + 1):
        for l in range(s + 1):
            if not 0 <= t - l <= n - s:
                continue
            out = n - s - (t - l)  # players outside T u S
            acc = 0.0
            for j in range(s, k + 1):
                if bern[j - s] == 0:
                    continue
                for a in range(0, j - s + 1):
                    u = t - l - a
                    if a > t - l or j - s - a > out or not 0 <= u <= n - j:
                        continue
                    acc += (bern[j - s] * comb(t - l, a) * comb(out, j - s - a)
                            * (-1) ** (j - l - a) * w[j, u])
            g[t, l] = acc
    return g


def from_base(index, values, variance, n, k):
    """The index from estimates of its base (``index.base``): phi(S) = sum_{T superset S,
    |T| <= k} b[|T| - |S|] base(T) for |S| >= 1 (k-SII from SII: b = Bernoulli numbers, Bord et
    al. 2023); variances combined as if independent (``variance`` None: values only).
    Unchanged when the base is the index."""
    bern = index.base_coefficients(k)
    if bern is None:
        return values, variance
    bern = np.ascontiguousarray(bern, dtype=np.float64)
    out = np.empty_like(values)  # the layout of values (callers reduce over it)
    out[...] = (_base_map(bern.tobytes(), n, k) @ values.reshape(values.shape[0], -1)).reshape(
        values.shape)
    var = None
    if variance is not None:
        var = np.empty_like(variance)
        var[...] = (_base_map((bern * bern).tobytes(), n, k)
                    @ variance.reshape(variance.shape[0], -1)).reshape(variance.shape)
    return out, var


@functools.lru_cache(maxsize=32)
def _base_map(coef: bytes, n: int, k: int):
    """The map of :func:`from_base` as a sparse matrix (read-only, cached): row S holds b[j - s]
    at every T superset S, |T| = j <= k, in the order of the sum (j, then the position of S in
    T, then T), which the sparse product follows entry by entry."""
    import scipy.sparse as sp

    b = np.frombuffer(coef)
    offs = [bits.offset(n, s) for s in range(k + 2)]
    rows, cols, vals = [], [], []
    for s in range(1, k + 1):
        for j in range(s, k + 1):
            if b[j - s] == 0:
                continue
            T = np.arange(offs[j], offs[j + 1])
            subs = ((T - offs[j])[:, None] + offs[s] if j == s
                    else bits.subset_ranks(n, j)[s])  # (C(n,j), C(j,s)) ranks of the s-subsets
            for c in range(subs.shape[1]):
                rows.append(subs[:, c])
                cols.append(T)
                vals.append(np.full(T.size, b[j - s]))
    K = offs[k + 1]
    r = np.concatenate(rows)
    order = np.argsort(r, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=K))])
    M = sp.csr_matrix((np.concatenate(vals)[order], np.concatenate(cols)[order], indptr),
                      shape=(K, K))
    M.data.setflags(write=False)
    return M


# ------------------------------------------------------------------------------- MSR
class MSR(StratifiedEstimator):
    """Maximum sample reuse (Wang and Jia 2023) for (weighted) Banzhaf values and interactions:
    WBII_p(S) = sum_{L subset S} (-1)^{|S|-|L|} E_{mu_p}[v(T) | T n S = L], every conditional
    mean estimated from all sampled coalitions (stratum-weighted ratio estimates); standard
    errors by linearised random groups."""

    method = "msr"

    def _compute(self, upto):
        n, k = self.n_players, self.max_order
        sets, V, sizes, kcount, complete = self._sample(upto)
        mass = self.spec.size_mass(n)
        w = np.where(kcount > 0, mass / np.maximum(kcount, 1), 0.0)[sizes]
        groups = self._groups(upto, complete, sizes)
        cols = np.concatenate([w[:, None], w[:, None] * V], axis=1)
        mom = subset_moments(sets, n, k, cols, groups, N_GROUPS + 1, backend=self.backend,
                             sizes=sizes)
        tot = mom.sum(axis=0)
        out, var = [], []
        for s in range(k + 1):
            P = pattern_sums(tot[None], n, s)[0]  # (2^s, K_s, 1+d)
            Pg = pattern_sums(mom[:N_GROUPS], n, s)  # (R, 2^s, K_s, 1+d)
            den = P[..., :1]
            num = P[..., 1:]
            pc = _popcounts(s)
            sign = ((-1.0) ** (s - pc))[:, None, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
                est = (sign * ratio).sum(axis=0)
                contrib = np.where(den[None] > 0,
                                   (Pg[..., 1:] - ratio[None] * Pg[..., :1]) / np.where(
                                       den[None] > 0, den[None], 1), 0.0)
            contrib = (sign[None] * contrib).sum(axis=1)  # (R, K_s, d)
            out.append(est)
            var.append(_random_groups_var(contrib))
        return np.concatenate(out), np.sqrt(np.concatenate(var)), {}
