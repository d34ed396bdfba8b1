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


def generalized(v, n, k, w, empty=True):
    """Generalized value phi(S) = sum_{T subset N minus S} w(n, s, t) (v(T u S) - v(T)),
    1 <= |S| <= k (Marichal 2000); the empty entry v(empty) (``empty``) or 0."""
    full = (1 << n) - 1
    out = {0: v[0] if empty else np.zeros_like(v[0], dtype=np.float64)}
    for S in sets_upto(n, k)[1:]:
        s = popcount(S)
        acc = np.zeros_like(v[0], dtype=np.float64)
        for T in subsets(full & ~S):
            acc = acc + w(n, s, popcount(T)) * (v[T | S] - v[T])
        out[S] = acc
    return out


def joint_sv_weights(n: int, k: int) -> list[Fraction]:
    """Harris, Pymar and Rowat (2022), the recursion of their Theorem: q(0) = 1 / sum_{s=1}^k
    C(n, s), q(r) = sum_{s=max(r-k,0)}^{r-1} C(r, s) q(s) / sum_{s=1}^{min(k,n-r)} C(n-r, s)."""
    q = [Fraction(1, sum(comb(n, s) for s in range(1, k + 1)))]
    for r in range(1, n):
        num = sum((comb(r, s) * q[s] for s in range(max(r - k, 0), r)), Fraction(0))
        q.append(num / sum(comb(n - r, s) for s in range(1, min(k, n - r) + 1)))
    return q


def fourier(v, n, k):
    """F(S) = 2^-n sum_T (-1)^{|S n T|} v(T)."""
    return {S: sum((-1.0) ** popcount(S & T) * v[T] for T in range(1 << n)) / 2**n
            for S in sets_upto(n, k)}


def kadd_shap(v, n, k):
    """k-additive SHAP (Pelegrina et al. 2023): min sum_{T != empty, N} mu(|T|) (v(T) - v(empty) -
    sum_{1 <= |S| <= k} gamma(|S|, |T n S|) phi(S))^2 subject to the grand coalition's row
    reproduced exactly, gamma(s, r) = sum_{j=1}^r C(r, j) B_{s-j}, mu the Shapley kernel; KKT
    system (exact constraint, no big-M); phi(empty) = v(empty)."""
    cols = sets_upto(n, k)[1:]
    full = (1 << n) - 1
    gamma = lambda s, r: float(sum((comb(r, j) * bernoulli(s - j) for j in range(1, r + 1)), Fraction(0)))
    X = np.array([[gamma(popcount(S), popcount(S & T)) for S in cols] for T in range(1 << n)])
    mu = np.array([(n - 1) / (comb(n, popcount(T)) * popcount(T) * (n - popcount(T)))
                   if 0 < T < full else 0.0 for T in range(1 << n)])
    V = v.reshape(1 << n, -1) - v.reshape(1 << n, -1)[0]
    p = len(cols)
    K = np.zeros((p + 1, p + 1))
    K[:p, :p] = 2 * X.T @ (mu[:, None] * X)
    K[:p, p] = K[p, :p] = X[full]
    phi = np.stack([np.linalg.solve(K, np.r_[2 * X.T @ (mu * V[:, j]), V[full, j]])[:p]
                    for j in range(V.shape[1])], axis=1)
    out = {0: v[0]}
    out.update({S: (phi[i] if v.ndim == 2 else phi[i, 0]) for i, S in enumerate(cols)})
    return out


def egalitarian_least_core(v, n):
    """Brute force over active sets (n <= 4): the least core's deficit e* is the smallest e >= 0
    over the feasible vertices of {x(S) + e >= v(S) - v(empty), x(N) = v(N) - v(empty)}; the
    egalitarian least core is the least-norm feasible point among the least-norm solutions of
    every system of at most n - 1 of its rows at e* (the optimum is one of them). Returns
    {mask of {i}: x_i}."""
    from itertools import combinations as comb_of

    v = np.asarray(v, dtype=np.float64) - v[0]
    full, c = (1 << n) - 1, v[-1]
    A = np.array([[T >> i & 1 for i in range(n)] for T in range(1, full)], dtype=np.float64)
    b = v[1:full]
    ok = lambda x, e: e >= -1e-11 and np.all(A @ x + e >= b - 1e-11) and abs(x.sum() - c) < 1e-11
    best = np.inf
    for J in comb_of(range(len(b)), n):  # vertices with e basic
        M = np.zeros((n + 1, n + 1))
        M[:n, :n], M[:n, n], M[n, :n] = A[list(J)], 1.0, 1.0
        if abs(np.linalg.det(M)) > 1e-9:
            z = np.linalg.solve(M, np.r_[b[list(J)], c])
            if ok(z[:n], z[n]):
                best = min(best, z[n])
    for J in comb_of(range(len(b)), n - 1):  # vertices with e = 0
        M = np.r_[A[list(J)], np.ones((1, n))]
        if abs(np.linalg.det(M)) > 1e-9:
            x = np.linalg.solve(M, np.r_[b[list(J)], c])
            if ok(x, 0.0):
                best = min(best, 0.0)
    e = best
    x_best, norm = None, np.inf
    for size in range(n):
        for J in comb_of(range(len(b)), size):
            M = np.r_[A[list(J)], np.ones((1, n))]
            rhs = np.r_[b[list(J)] - e, c]
            x = np.linalg.lstsq(M, rhs, rcond=None)[0]
            if np.allclose(M @ x, rhs, atol=1e-11) and ok(x, e) and x @ x < norm:
                x_best, norm = x, x @ x
    return {1 << i: x_best[i] for i in range(n)}


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
    if name == "Fourier":
        return fourier(v, n, k)
    if name == "kADD-SHAP":
        return kadd_shap(v, n, k)
    if name == "JointSV":
        q = joint_sv_weights(n, k)
        return generalized(v, n, k, lambda n, s, t: float(q[t]))
    if name in GENERALIZED:
        return generalized(v, n, k, GENERALIZED[name], empty=(name, k) != ("BGV", 1))
    raise KeyError(name)


#: the generalized values' marginal weights w(n, s, t) (Marichal 2000; Marichal et al. 2007)
GENERALIZED = {"SGV": sii_w, "BGV": lambda n, s, t: 0.5 ** (n - s), "CHGV": chii_w,
               "IGV": lambda n, s, t: float(t == 0), "EGV": lambda n, s, t: float(t == n - s)}


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
