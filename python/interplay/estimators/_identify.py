"""Identifiability of a sampled design, decided from the bitmasks before any game call.

A least-squares estimator (regression: KernelSHAP, FSII, FBII, FWBII; KernelSHAP-IQ per order)
determines its coefficients only when the design of the coalitions it fits has full column
rank. The design depends on the coalitions alone (their weights are positive functions of the
sizes), so its rank is known as soon as the coalitions are planned: the unweighted Gram
matrix Phi^T Phi comes from subset moments of the bitmasks (docs/sampled.md, "Identifiability").

With fewer fitted coalitions than basis terms the rank is short by counting; with pairing
(each coalition followed by its complement) even twice as many may not suffice: the design
row of N minus T is an affine map of the row of T (for KernelSHAP-IQ's order-2 design the
same row), so a pair adds about one dimension to the even-order terms.
"""

from __future__ import annotations


import numpy as np

#: pivots of the unit-diagonal Gram matrix below this count as zero
RANK_RTOL = 1e-9


class UnderdeterminedWarning(UserWarning):
    """The budget does not determine the requested index: the design of the sampled coalitions
    is rank deficient. The result is flagged (``result.info["identifiable"] is False``) and its
    standard errors are infinite for every fitted term."""


def gram_rank(G: np.ndarray, rtol: float = RANK_RTOL) -> int:
    """Numerical rank of a symmetric positive semi-definite matrix (eigenvalues above
    ``rtol`` times the largest)."""
    if G.shape[0] == 0:
        return 0
    # a diagonal scaling keeps the rank and makes the test independent of the column scales
    d = np.sqrt(np.maximum(np.diag(G), 0.0))
    if (d == 0).any():
        keep = d > 0
        return gram_rank(G[np.ix_(keep, keep)], rtol)
    from scipy.linalg import lapack

    # pivoted Cholesky (LAPACK pstrf, O(K^3 / 3)) of the unit-diagonal matrix: the number of
    # pivots above rtol (the eigenvalue threshold of the same scaled matrix, up to the
    # ordering of a greedy factorisation)
    # scaled into one Fortran-ordered copy that LAPACK factorises in place (the Gram and this
    # copy are the only K x K arrays alive: 2 K^2 doubles of the regression plan)
    S = np.empty(G.shape, order="F")
    np.divide(G, d[:, None], out=S)
    S /= d[None, :]
    _, _, rank, info = lapack.dpstrf(S, tol=rtol, lower=1, overwrite_a=1)
    if info < 0:  # pragma: no cover - argument error
        raise RuntimeError(f"dpstrf failed: info = {info}")
    return int(rank)


class Identification:
    """Whether a design determines its coefficients: ``rank`` of ``terms`` per fit."""

    def __init__(self, ok: bool, detail: str = "", ranks: dict | None = None,
                 bad_from: int = 0) -> None:
        self.ok = bool(ok)
        self.detail = detail
        #: fit name -> (rank, number of terms)
        self.ranks = dict(ranks or {})
        #: estimates of sets of this size and larger are not determined when not ok
        self.bad_from = int(bad_from)

    def info(self) -> dict:
        out = {"identifiable": self.ok}
        if self.ranks:
            out["design_rank"] = {k: tuple(v) for k, v in self.ranks.items()}
        return out


def min_budget(identify, lo: int, hi_cap: int) -> int | None:
    """The smallest budget B in [lo, hi_cap] whose design ``identify(B)`` is full rank (the plan
    is a budget-independent stream, so the design of B is the prefix of any longer plan);
    None when even ``hi_cap`` is not. ``identify(B) -> bool`` must be monotone in practice."""
    hi = max(lo, 2)
    while not identify(hi):
        if hi >= hi_cap:
            return None
        hi = min(hi_cap, 2 * hi)
    while lo < hi:
        mid = (lo + hi) // 2
        if identify(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


_MIN_BUDGET_CACHE: dict = {}


def reference_min_budget(key: tuple, factory) -> int | None:
    """:func:`min_budget` of a reference stream (seed 0), cached per design ``key``: the
    budget a warning or refusal names (a property of n, order, index and method, up to a few
    coalitions between seeds)."""
    if key not in _MIN_BUDGET_CACHE:
        if len(_MIN_BUDGET_CACHE) > 256:
            _MIN_BUDGET_CACHE.clear()
        _MIN_BUDGET_CACHE[key] = factory()
    return _MIN_BUDGET_CACHE[key]


_T_INT = np.zeros(0)  # t_inflation at the integer degrees of freedom 0, 1, 2, ... (grown)
_Z975 = 1.959963984540054  # the standard normal 0.975 quantile


def _t975(df: np.ndarray) -> np.ndarray:
    """t_{0.975, df} of each (flattened): the compiled core's own quantile (within a few 1e-16 of
    scipy's stdtrit: no scipy.special import, ~30 ms on an idle machine and 0.3 s on a busy
    one, on the first call), scipy's without it."""
    from ..backends import KERNELS

    return KERNELS["sampling.t975"].select("auto")[1](np.ascontiguousarray(df, dtype=np.float64))


def t_inflation(df: np.ndarray) -> np.ndarray:
    """t_{0.975, df} / 1.96 (>= 1): a standard error estimated from df + 1 draws, read as
    +-1.96 stderr, covers as the normal interval only for large df."""
    global _T_INT
    if isinstance(df, (int, np.integer)) and 1 <= df <= 1 << 16:  # one count (a group number)
        if _T_INT.size <= df:
            _T_INT = _t975(np.arange(max(2.0 * df, 256.0) + 1)) / _Z975
        return _T_INT[int(df)]
    if isinstance(df, np.ndarray) and df.dtype.kind in "iu" and df.size:  # counts (hits)
        top = int(df.max())
        if top <= 1 << 16:
            if _T_INT.size <= top:
                _T_INT = _t975(np.arange(max(2.0 * top, 256.0) + 1)) / _Z975
            return np.where(df >= 1, _T_INT[np.maximum(df, 1)], np.inf)
    df = np.asarray(df, dtype=np.float64)
    flat = np.maximum(df, 1).reshape(-1)
    top = flat.max(initial=1.0)
    if top <= 1 << 16 and (flat == np.floor(flat)).all():  # counts: from a table (~0.7 us each)
        if _T_INT.size <= top:
            _T_INT = _t975(np.arange(max(2 * top, 256.0) + 1)) / _Z975
        q = _T_INT[flat.astype(np.int64)].reshape(df.shape)
    elif flat.size > 1 and (flat == flat[0]).all():  # e.g. every set drawn as often: one quantile
        q = np.full(df.shape, _t975(flat[:1])[0] / _Z975)
    else:  # counts repeat: one quantile (~0.4 us each) per distinct value
        u, inv = np.unique(flat, return_inverse=True)
        q = (_t975(u) / _Z975)[inv].reshape(df.shape)
    return np.where(df >= 1, q, np.inf)


def satterthwaite_factor(var_t: np.ndarray, counts: np.ndarray, open_: np.ndarray,
                         thin: np.ndarray | None = None) -> np.ndarray:
    """Variance factor (t_{0.975, df} / 1.96)^2 of a stratified variance sum_t var_t with the
    Welch-Satterthwaite degrees of freedom df = (sum_t var_t)^2 / sum_t var_t^2 / (k_t - 1)
    (k_t draws in stratum t); inf where an open stratum (sampled without being complete, and
    carrying weight) has fewer than two draws: its variance is not estimated (none drawn: its
    term is missing from the estimate; one: its sample variance is 0).

    var_t: (T, ...) per-stratum variances; counts: (T,) draws (or (T, ...) degrees of freedom
    + 1 per entry, broadcast against var_t); open_: (T,) bool; thin: (T,)
    bool, open strata expected to get fewer than two draws: inf whatever their realised count
    (a choice by the expected counts, not the draws)."""
    k = counts.astype(np.float64)
    k = k.reshape(k.shape + (1,) * (var_t.ndim - k.ndim))
    lead = (-1,) + (1,) * (var_t.ndim - 1)
    op = open_.reshape(lead)
    few = k <= 1 if thin is None else (k <= 1) | thin.reshape(lead)
    unreliable = (op & few).any(axis=0)
    total = var_t.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(op & (k >= 2), var_t ** 2 / np.maximum(k - 1, 1), 0.0).sum(axis=0)
        df = np.where(den > 0, total ** 2 / np.where(den > 0, den, 1.0), np.inf)
    fac = np.where(np.isfinite(df), t_inflation(np.where(np.isfinite(df), df, 1.0)) ** 2, 1.0)
    return np.where(unreliable, np.inf, fac)

