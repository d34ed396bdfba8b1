"""Dense references for the regression estimators when fewer coalitions than basis terms are
drawn: the design matrix Phi[T, S] = [S subset T] built explicitly from Python sets, the ridge
solution of the weighted least squares from an SVD, and the
intersection kernel by set intersections. No code shared with interplay.estimators."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np


def members(row_words) -> set[int]:
    out = set()
    for w, x in enumerate(np.asarray(row_words, dtype=np.uint64).ravel()):
        x = int(x)
        for b in range(64):
            if x >> b & 1:
                out.add(64 * w + b)
    return out


def naive_intersection_kernel(sets_words, table) -> np.ndarray:
    S = [members(r) for r in sets_words]
    return np.array([[table[len(a & b)] for b in S] for a in S], dtype=np.float64)


def basis(n: int, lo: int, k: int) -> list[frozenset]:
    """Sets of sizes lo..k, by size then colex value (interplay's order)."""
    out = []
    for s in range(lo, k + 1):
        combos = [frozenset(c) for c in itertools.combinations(range(n), s)]
        out.extend(sorted(combos, key=lambda c: sum(1 << i for i in c)))
    return out


def design(coalitions: list[set[int]], n: int, lo: int, k: int) -> np.ndarray:
    B = basis(n, lo, k)
    return np.array([[1.0 if S <= T else 0.0 for S in B] for T in coalitions])


_MEMO: dict = {}


def _memo(tag: str, x: np.ndarray, compute):
    """compute() kept per (tag, x): the standard errors refit the same design and constraint
    against 32 residual vectors, and recomputing the SVDs dominated the run time (n = 40, K = 820:
    33 SVDs of the K x K projector and 33 of the 300 x 820 design took 14 minutes on 2 loaded
    cores). The same inputs give the same factors, so the results are unchanged."""
    key = (tag, x.shape, np.ascontiguousarray(x).tobytes())
    if key not in _MEMO:
        if len(_MEMO) >= 8:
            _MEMO.clear()
        _MEMO[key] = compute()
    return _MEMO[key]


def _svd_ridge(A, y, eps):
    """argmin |A b - y|^2 + eps |b|^2 from the SVD of A: b = sum_i s_i / (s_i^2 + eps)
    (u_i^T y) v_i over the numerically nonzero singular values (s_i > 1e-9 s_max; the
    others belong to A's null space, where the ridge solution has no component)."""
    U, s, Vt = _memo("svd", A, lambda: np.linalg.svd(A, full_matrices=False))
    keep = s > 1e-9 * s[0]
    f = s[keep] / (s[keep] ** 2 + eps)
    return Vt[keep].T @ (f[:, None] * (U[:, keep].T @ y))


def ridge(Phi, w, Y, eps, constraint=None):
    """argmin_b sum_T w_T (Y_T - Phi_T b)^2 + eps |b|^2 [s.t. a^T b = c], Y of shape (m, d);
    ``constraint`` = (a, c) with c of shape (d,). By the SVD of sqrt(W) Phi (see
    :func:`_svd_ridge`); the constraint by b = c a / |a|^2 + Q z, Q an orthonormal basis of
    a's orthogonal complement (|b|^2 = |b0|^2 + |z|^2)."""
    m, K = Phi.shape
    sw = np.sqrt(w)[:, None]
    if constraint is None:
        return _svd_ridge(sw * Phi, sw * Y, eps)
    a, c = constraint
    b0 = np.outer(a, c) / (a @ a)
    Q = _memo("complement", a, lambda: np.linalg.svd(np.eye(K) - np.outer(a, a) / (a @ a))[0][
        :, : K - 1])
    z = _svd_ridge(sw * (Phi @ Q), sw * (Y - Phi @ b0), eps)
    return b0 + Q @ z


def shapley_size_mass(n: int) -> np.ndarray:
    out = np.zeros(n + 1)
    for t in range(1, n):
        out[t] = n / (t * (n - t))
    return out


def binomial_size_mass(n: int, p: float) -> np.ndarray:
    return np.array([comb(n, t) * p**t * (1 - p) ** (n - t) for t in range(n + 1)])
