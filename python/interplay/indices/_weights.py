"""Size weights of the built-in indices, computed in exact rational arithmetic.

Every index here is, for |S| = s <= k,

    phi(S) = sum_{T superset of S} c(s, |T|) m(T)                      (Moebius form)
           = sum_{T subset of N minus S} w_s(|T|) Delta_S v(T)        (derivative form)

with m the Moebius transform of v and Delta_S v(T) = sum_{L subset S} (-1)^{|S|-|L|} v(T u L).
The two forms are linked by c(s, t) = sum_{j=0}^{n-t} C(n-t, j) w_s(t-s+j) (insert
Delta_S v(T) = sum_{U subset T} m(S u U) and count the T between U and N minus S), a triangular
system that :func:`derivative_to_moebius` / :func:`moebius_to_derivative` solve.

Matrices are (k+1, n+1) float64 with entry [s, t]; entries with t < s are zero (Moebius form),
entries with t > n - s are zero (derivative form). Row 0 defines the empty-set entry.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import comb, lgamma, log

import numpy as np


@lru_cache(maxsize=None)
def bernoulli(j: int) -> Fraction:
    """Bernoulli numbers with B_1 = -1/2 (sum_{i<=j} C(j+1, i) B_i = 0 for j >= 1)."""
    if j == 0:
        return Fraction(1)
    return -sum((comb(j + 1, i) * bernoulli(i) for i in range(j)), Fraction(0)) / (j + 1)


def _frac_p(p: float) -> Fraction:
    return Fraction(p).limit_denominator(1 << 52) if p != 0.5 else Fraction(1, 2)


def _matrix(k: int, n: int, fn) -> np.ndarray:
    out = np.zeros((k + 1, n + 1))
    for s in range(k + 1):
        for t in range(s, n + 1):
            out[s, t] = float(fn(s, t))
    return out


def empty_is_value(c: np.ndarray) -> np.ndarray:
    """Set row 0 to [t == 0]: the empty-set entry is v(empty) = m(empty)."""
    c[0] = 0.0
    c[0, 0] = 1.0
    return c


def identity(k: int, n: int) -> np.ndarray:
    return _matrix(k, n, lambda s, t: 1 if s == t else 0)


@lru_cache(maxsize=256)
def sii(k: int, n: int) -> np.ndarray:
    """Shapley interaction index: c(s, t) = 1 / (t - s + 1) (Grabisch 1997)."""
    return _matrix(k, n, lambda s, t: Fraction(1, t - s + 1))


@lru_cache(maxsize=256)
def weighted_bii(k: int, n: int, p: float) -> np.ndarray:
    """p-weighted Banzhaf interaction: c(s, t) = p^(t - s) (p = 1/2: Banzhaf, Roubens 1996)."""
    fp = _frac_p(p)
    return _matrix(k, n, lambda s, t: fp ** (t - s))


@lru_cache(maxsize=256)
def chii(k: int, n: int) -> np.ndarray:
    """Chaining interaction index: c(s, t) = s / t (Marichal and Roubens 1999); row 0 = v(empty)."""
    return empty_is_value(_matrix(k, n, lambda s, t: Fraction(s, t) if t else 0))


@lru_cache(maxsize=256)
def co_moebius(k: int, n: int) -> np.ndarray:
    """Co-Moebius: c(s, t) = 1 (sum_{T superset S} m(T) = Delta_S v(N minus S))."""
    return empty_is_value(_matrix(k, n, lambda s, t: 1))


@lru_cache(maxsize=256)
def ksii(k: int, n: int) -> np.ndarray:
    """k-SII (Bord et al. 2023): sum_{U superset S, |U| <= k} B_{|U|-s} SII(U), in Moebius form
    c(s, t) = sum_{j=0}^{min(k,t)-s} C(t-s, j) B_j / (t-s-j+1); equals [t == s] for t <= k."""

    def c(s: int, t: int) -> Fraction:
        r = t - s
        return sum(
            (comb(r, j) * bernoulli(j) / (r - j + 1) for j in range(min(k, t) - s + 1)), Fraction(0)
        )

    return empty_is_value(_matrix(k, n, c))


@lru_cache(maxsize=256)
def stii(k: int, n: int) -> np.ndarray:
    """Shapley-Taylor (Sundararajan et al. 2020): m(S) for s < k, sum m(T) / C(t, k) for s = k."""
    return _matrix(k, n, lambda s, t: (1 if s == t else 0) if s < k else Fraction(1, comb(t, k)))


def _fsii(k: int, s: int, t: int) -> Fraction:
    if t <= k:
        return Fraction(1 if s == t else 0)
    if s == 0:
        return Fraction(0)
    return (-1) ** (k - s) * Fraction(s, k + s) * Fraction(comb(k, s) * comb(t - 1, k),
                                                            comb(t + k - 1, k + s))


@lru_cache(maxsize=256)
def fsii(k: int, n: int) -> np.ndarray:
    """Faith-Shap (Tsai, Yeh and Ravikumar 2023, Thm. 19): [t == s] for t <= k, else
    (-1)^(k-s) s/(k+s) C(k, s) C(t-1, k) / C(t+k-1, k+s); row 0 = v(empty)."""
    return _matrix(k, n, lambda s, t: _fsii(k, s, t))


@lru_cache(maxsize=256)
def kadd_shap(k: int, n: int) -> np.ndarray:
    """kADD-SHAP (Pelegrina et al. 2023): the SII of the Shapley-kernel least-squares k-additive
    game, whose Moebius coefficients are FSII's; so c(s, t) = sum_{j=s}^{min(k,t)} C(t-s, j-s)
    c_FSII(j, t) / (j-s+1) (SII's weights 1 / (j-s+1) on FSII(J), J superset S, |J| <= k);
    SII's 1 / (t-s+1) for t <= k; row 0 = v(empty)."""

    def c(s: int, t: int) -> Fraction:
        return sum((comb(t - s, j - s) * _fsii(k, j, t) / (j - s + 1)
                    for j in range(s, min(k, t) + 1)), Fraction(0))

    return empty_is_value(_matrix(k, n, c))


@lru_cache(maxsize=256)
def fourier(k: int, n: int) -> np.ndarray:
    """Fourier (Walsh-Hadamard) coefficients F(S) = 2^-n sum_T (-1)^|S n T| v(T): c(s, t) =
    (-1)^s 2^-t (insert v = sum_U m(U) and sum over T superset U: zero unless U superset S),
    i.e. (-1/2)^s BII; row 0 = mean(v)."""
    return _matrix(k, n, lambda s, t: Fraction((-1) ** s, 2**t))


@lru_cache(maxsize=256)
def joint_sv(k: int, n: int) -> np.ndarray:
    """Joint Shapley value (Harris, Pymar and Rowat 2022): marginal weights q(t), the same for
    every 1 <= s <= k: q(0) = 1 / sum_{j=1}^k C(n, j), q(t) = sum_{j=max(t-k,0)}^{t-1} C(t, j)
    q(j) / sum_{j=1}^{min(k,n-t)} C(n-t, j); exact rationals (the recursion loses digits in
    floating point)."""
    q = [Fraction(1, sum(comb(n, j) for j in range(1, k + 1)))]
    for t in range(1, n):
        q.append(sum((comb(t, j) * q[j] for j in range(max(t - k, 0), t)), Fraction(0))
                 / sum(comb(n - t, j) for j in range(1, min(k, n - t) + 1)))
    return _rows(k, n, lambda s, u: [float(q[int(t)]) if s else 0.0 for t in u])


def external(k: int, n: int) -> np.ndarray:
    """Co-Moebius in derivative form: w_s(u) = [u = n - s] (Delta_S v(N minus S))."""
    return _rows(k, n, lambda s, u: u == n - s)


def internal(k: int, n: int) -> np.ndarray:
    """Moebius in derivative form: w_s(u) = [u = 0] (Delta_S v(empty) = m(S))."""
    return _rows(k, n, lambda s, u: u == 0)


@lru_cache(maxsize=256)
def fwbii(k: int, n: int, p: float) -> np.ndarray:
    """Faithful p-weighted Banzhaf interactions (Faith-Banzhaf for p = 1/2, Tsai et al. 2023):
    [t == s] for t <= k, else (-1)^(k-s) p^(t-s) C(t-s-1, k-s), the empty set included (the
    intercept). Derivation: under the product measure x_i ~ Bernoulli(p) the products of
    (x_i - p) are orthogonal; projecting u_T = prod (p + (x_i - p)) on orders <= k and expanding
    back gives sum_{j<=k-s} (-1)^j C(t-s, j) = (-1)^(k-s) C(t-s-1, k-s)."""
    fp = _frac_p(p)

    def c(s: int, t: int) -> Fraction:
        if t <= k:
            return Fraction(1 if s == t else 0)
        return (-1) ** (k - s) * fp ** (t - s) * comb(t - s - 1, k - s)

    return _matrix(k, n, c)


# ------------------------------------------------------------------------------ derivative form
# Closed forms of w_s(u) in floating point (u = 0..n-s; same arguments as the Moebius forms).
# They are what the sampled estimators weigh discrete derivatives with; unlike the back
# substitution of :func:`moebius_to_derivative` they do not cancel at large n (w_s(u) ~
# 1 / C(n, u) for SII).
def _lfact(x: np.ndarray) -> np.ndarray:
    return np.array([lgamma(int(v) + 1) for v in np.ravel(x)]).reshape(np.shape(x))


def _rows(k: int, n: int, row) -> np.ndarray:
    """(k+1, n+1) with row s = ``row(s, u)`` on u = 0..n-s and zeros beyond."""
    out = np.zeros((k + 1, n + 1))
    for s in range(k + 1):
        out[s, : n - s + 1] = row(s, np.arange(n - s + 1))
    return out


@lru_cache(maxsize=256)
def sii_derivative(k: int, n: int) -> np.ndarray:
    """SII: w_s(u) = u! (n-u-s)! / (n-s+1)! (Grabisch and Roubens 1999), via lgamma."""
    return _rows(k, n, lambda s, u: np.exp(_lfact(u) + _lfact(n - u - s)
                                           - _lfact(np.full_like(u, n - s + 1))))


def sv(k: int, n: int) -> np.ndarray:
    """Shapley value (k = 1): SII's weights with the empty-set entry v(empty)."""
    return empty_is_value(sii(k, n).copy())


def sv_derivative(k: int, n: int) -> np.ndarray:
    return empty_is_value(sii_derivative(k, n).copy())


@lru_cache(maxsize=256)
def weighted_bii_derivative(k: int, n: int, p: float) -> np.ndarray:
    """p-weighted Banzhaf: w_s(u) = p^u (1-p)^(n-s-u) (Marichal and Mathonet 2011)."""
    return _rows(k, n, lambda s, u: np.exp(u * log(p) + (n - s - u) * log(1 - p)))


@lru_cache(maxsize=256)
def chii_derivative(k: int, n: int) -> np.ndarray:
    """Chaining: w_s(u) = s / ((s+u) C(n, s+u)) (Marichal and Roubens 1999); row 0 = v(empty).
    Python ints: the product overflows int64 beyond n ~ 60."""
    return _rows(k, n, lambda s, u: u == 0 if s == 0 else
                 [s / ((s + int(t)) * comb(n, s + int(t))) for t in u])


@lru_cache(maxsize=256)
def stii_derivative(k: int, n: int) -> np.ndarray:
    """Shapley-Taylor: [u == 0] below the top order (Moebius), k / (n C(n-1, u)) at s = k."""
    return _rows(k, n, lambda s, u: u == 0 if s < k else [k / (n * comb(n - 1, int(t))) for t in u])


# ------------------------------------------------------------------------------ size masses
def shapley_mass(n: int) -> np.ndarray:
    """Total Shapley-kernel mass of each size: C(n,t) mu(t) = n / (t (n - t)); +inf at 0 and n."""
    out = np.full(n + 1, np.inf)
    t = np.arange(1, n)
    out[1:n] = n / (t * (n - t))
    return out


def log_binomials(n: int) -> np.ndarray:
    """log C(n, t), t = 0..n, via lgamma."""
    return np.array([lgamma(n + 1) - lgamma(i + 1) - lgamma(n - i + 1) for i in range(n + 1)])


def binomial_mass(n: int, p: float) -> np.ndarray:
    """Mass of each size under the product measure: C(n, t) p^t (1-p)^(n-t), via lgamma."""
    t = np.arange(n + 1)
    return np.exp(log_binomials(n) + t * log(p) + (n - t) * log(1 - p))


# ------------------------------------------------------------------------------ conversions
def derivative_to_moebius(w: np.ndarray, n: int) -> np.ndarray:
    """c(s, t) = sum_{j=0}^{n-t} C(n-t, j) w_s(t-s+j); w[s, u] for u = |T|, T outside S."""
    k = w.shape[0] - 1
    c = np.zeros((k + 1, n + 1))
    for s in range(k + 1):
        for t in range(s, n + 1):
            js = np.arange(n - t + 1)
            binoms = np.array([comb(n - t, int(j)) for j in js], dtype=np.float64)
            c[s, t] = float(np.dot(binoms, w[s, t - s + js]))
    return c


def moebius_to_derivative(c: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`derivative_to_moebius` (back substitution from t = n down)."""
    k = c.shape[0] - 1
    w = np.zeros((k + 1, n + 1))
    for s in range(k + 1):
        for t in range(n, s - 1, -1):
            # c(s,t) = w_s(t-s) + sum_{j>=1} C(n-t, j) w_s(t-s+j)
            rest = sum(comb(n - t, j) * w[s, t - s + j] for j in range(1, n - t + 1))
            w[s, t - s] = c[s, t] - rest
    return w


def marginal_to_superset(w: np.ndarray, n: int, empty_is_value: bool) -> tuple[np.ndarray, np.ndarray]:
    """Superset weights (a, b) of a generalized value phi(S) = sum_{T subset N minus S} w[|S|, |T|]
    (v(T u S) - v(T)): phi(S) = sum_{R superset S} a[s, |R|] v(R) - sum_{R superset S} b[s, |R|]
    v(N minus R) (R = T u S in the first sum, R = N minus T in the second), so a[s, r] =
    w[s, r - s] and b[s, r] = w[s, n - r]. Row 0: phi(empty) = v(empty) if ``empty_is_value``,
    else 0 (the sum's own value)."""
    k = w.shape[0] - 1
    a, b = np.zeros((k + 1, n + 1)), np.zeros((k + 1, n + 1))
    for s in range(1, k + 1):
        a[s, s:] = w[s, : n - s + 1]
        b[s, s:] = w[s, n - s :: -1]
    a[0, 0] = float(empty_is_value)
    return a, b
