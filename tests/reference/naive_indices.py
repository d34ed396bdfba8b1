"""Brute-force oracles for the exact engine: textbook formulas as plain sums over subsets.

Nothing here uses the Moebius-space weights of interplay.indices: each index is computed from
its original definition (discrete derivatives with the textbook weights, Bernoulli aggregation,
or the weighted least-squares problem solved by KKT / lstsq), so agreement is evidence.
Tables are indexed by bitmask; n <= 10. ``oracle`` returns a dict {mask: value}; ``cii`` and
``faithful`` return the same values as an array over the sets by size, then value (the order of
``InteractionResult.values``).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import comb, factorial

import numpy as np

from .naive_games import moebius_naive, subsets  # noqa: F401  (re-exported)


def popcount(x: int) -> int:
    return bin(x).count("1")


def sets_upto(n: int, k: int) -> list[int]:
    """Masks of all sets with |S| <= k, by size then value."""
    out = []
    for s in range(k + 1):
        out.extend(sorted(sum(1 << i for i in c) for c in combinations(range(n), s)))
    return out


def delta(v: np.ndarray, S: int, T: int) -> np.ndarray:
    """Delta_S v(T) = sum_{L subset S} (-1)^{|S|-|L|} v(T u L), T disjoint from S."""
    s = popcount(S)
    acc = np.zeros_like(v[0], dtype=np.float64)
    for L in subsets(S):
        acc = acc + (-1.0) ** (s - popcount(L)) * v[T | L]
    return acc


def cardinal(v: np.ndarray, n: int, k: int, w) -> dict[int, np.ndarray]:
    """phi(S) = sum_{T subset N minus S} w(n, s, t) Delta_S v(T) for |S| <= k."""
    full = (1 << n) - 1
    out = {}
    for S in sets_upto(n, k):
        s = popcount(S)
        acc = np.zeros_like(v[0], dtype=np.float64)
        for T in subsets(full & ~S):
            acc = acc + w(n, s, popcount(T)) * delta(v, S, T)
        out[S] = acc
    return out


def sii_w(n, s, t):
    return factorial(n - t - s) * factorial(t) / factorial(n - s + 1)


def wbii_w(p):
    return lambda n, s, t: p**t * (1 - p) ** (n - s - t)


def chii_w(n, s, t):
    return s * factorial(s + t - 1) * factorial(n - s - t) / factorial(n) if s else 0.0


def shapley_value(v, n):
    out = cardinal(v, n, 1, lambda n, s, t: factorial(t) * factorial(n - t - 1) / factorial(n) if s else 0.0)
    out[0] = v[0]
    return out


def banzhaf_value(v, n, p=0.5):
    return cardinal(v, n, 1, wbii_w(p))  # empty entry: E_p[v] (mean for p = 1/2)


def sii(v, n, k):
    if k == 1:
        return shapley_value(v, n)
    return cardinal(v, n, k, sii_w)


def bii(v, n, k, p=0.5):
    return cardinal(v, n, k, wbii_w(p))


def chii(v, n, k):
    out = cardinal(v, n, k, chii_w)
    out[0] = v[0]
    return out


def bernoulli(j: int) -> Fraction:
    b = [Fraction(1)]
    for m in range(1, j + 1):
        b.append(-sum(comb(m + 1, i) * b[i] for i in range(m)) / (m + 1))
    return b[j]


def ksii(v, n, k):
    """k-SII(S) = sum_{T superset S, |T| <= k} B_{|T|-|S|} SII(T), |S| >= 1; k-SII(empty) = v(empty)."""
    base = cardinal(v, n, k, sii_w)
    out = {}
    for S in sets_upto(n, k):
        if S == 0:
            out[S] = v[0]
            continue
        acc = np.zeros_like(v[0], dtype=np.float64)
        for T in sets_upto(n, k):
            if T & S == S:
                acc = acc + float(bernoulli(popcount(T) - popcount(S))) * base[T]
        out[S] = acc
    return out


def stii(v, n, k):
    """Sundararajan et al. (2020): Delta_S v(empty) below order k, at order k
    (k/n) sum_{T subset N minus S} Delta_S v(T) / C(n-1, |T|)."""
    full = (1 << n) - 1
    out = {}
    for S in sets_upto(n, k):
        s = popcount(S)
        if s < k:
            out[S] = delta(v, S, 0)
            continue
        acc = np.zeros_like(v[0], dtype=np.float64)
        for T in subsets(full & ~S):
            acc = acc + delta(v, S, T) / comb(n - 1, popcount(T))
        out[S] = k / n * acc
    return out


def co_moebius(v, n, k):
    full = (1 << n) - 1
    out = {S: delta(v, S, full & ~S) for S in sets_upto(n, k)}
    out[0] = v[0]
    return out


def moebius(v, n, k):
    m = moebius_naive(v)
    return {S: m[S] for S in sets_upto(n, k)}


def _design(n: int, k: int) -> tuple[np.ndarray, list[int]]:
    cols = sets_upto(n, k)
    X = np.array([[1.0 if (S & T) == S else 0.0 for S in cols] for T in range(1 << n)])
    return X, cols


def fsii(v, n, k):
    """Faith-Shap: min sum_{T != empty, N} mu(|T|) (v(T) - sum_{S subset T} phi(S))^2 subject to
    phi(empty) = v(empty) and sum_S phi(S) = v(N), mu = Shapley kernel; solved through its KKT
    system (exact constraints, no big-M)."""
    X, cols = _design(n, k)
    full = (1 << n) - 1
    mu = np.zeros(1 << n)
    for T in range(1, full):
        t = popcount(T)
        mu[T] = (n - 1) / (comb(n, t) * t * (n - t))
    A = np.vstack([X[0], X[full]])  # constraints: rows for empty and grand coalition
    V = v.reshape(1 << n, -1)
    p = len(cols)
    K = np.zeros((p + 2, p + 2))
    K[:p, :p] = 2 * X.T @ (mu[:, None] * X)
    K[:p, p:] = A.T
    K[p:, :p] = A
    out_cols = []
    for j in range(V.shape[1]):
        rhs = np.concatenate([2 * X.T @ (mu * V[:, j]), [V[0, j], V[full, j]]])
        sol = np.linalg.solve(K, rhs)
        out_cols.append(sol[:p])
    phi = np.stack(out_cols, axis=1)
    return {S: (phi[i] if v.ndim == 2 else phi[i, 0]) for i, S in enumerate(cols)}


def fwbii(v, n, k, p=0.5):
    """Faithful p-weighted Banzhaf: min sum_T p^|T| (1-p)^(n-|T|) (v(T) - sum_{S subset T} phi(S))^2
    over all T, phi(empty) free (the intercept). Weighted lstsq."""
    X, cols = _design(n, k)
    mu = np.array([p ** popcount(T) * (1 - p) ** (n - popcount(T)) for T in range(1 << n)])
    sw = np.sqrt(mu)
    V = v.reshape(1 << n, -1)
    phi, *_ = np.linalg.lstsq(sw[:, None] * X, sw[:, None] * V, rcond=None)
    return {S: (phi[i] if v.ndim == 2 else phi[i, 0]) for i, S in enumerate(cols)}


def oracle(name: str, v: np.ndarray, n: int, k: int, p: float = 0.5) -> dict[int, np.ndarray]:
    """The brute-force value of index ``name`` at order ``k`` (``p`` for the weighted family)."""
    if name == "SV":
        return shapley_value(v, n)
    if name == "BV":
        return banzhaf_value(v, n)
    if name == "WBV":
        return banzhaf_value(v, n, p)
    if name == "SII":
        return sii(v, n, k)
    if name == "BII":
        return bii(v, n, k)
    if name == "WBII":
        return bii(v, n, k, p)
    if name == "CHII":
        return chii(v, n, k)
    if name == "k-SII":
        return ksii(v, n, k)
    if name == "STII":
        return stii(v, n, k)
    if name == "FSII":
        return fsii(v, n, k)
    if name == "FBII":
        return fwbii(v, n, k)
    if name == "FWBII":
        return fwbii(v, n, k, p)
    if name == "Moebius":
        return moebius(v, n, k)
    if name == "Co-Moebius":
        return co_moebius(v, n, k)
    raise KeyError(name)


def as_array(phi: dict[int, np.ndarray], n: int, k: int) -> np.ndarray:
    return np.array([phi[S] for S in sets_upto(n, k)])


def cii(table, n: int, index: str, k: int, p: float = 0.5) -> np.ndarray:
    """The derivative-defined indices (SV, BV, WBV, SII, BII, WBII, CHII, k-SII, STII) as an array
    over the sets by size, then value. The empty set as in shapiq: v(empty) for SV, k-SII, STII
    and CHII, the weighted sum of the derivatives otherwise (also for SII at k = 1, where
    ``oracle`` gives the Shapley value's v(empty))."""
    v = np.asarray(table, dtype=float)
    if index == "SII":
        return as_array(cardinal(v, n, k, sii_w), n, k)
    return as_array(oracle(index, v, n, k, p), n, k)


def faithful(table, n: int, index: str, k: int, p: float = 0.5) -> np.ndarray:
    """FSII / FBII / FWBII (weighted least squares over all 2^n coalitions) as an array over the
    sets by size, then value."""
    if index not in ("FSII", "FBII", "FWBII"):
        raise ValueError(index)
    return as_array(oracle(index, np.asarray(table, dtype=float), n, k, p), n, k)
