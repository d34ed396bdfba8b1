"""The egalitarian least core of a game table (Yan and Procaccia 2021): a linear program for the
least core, then its point of least Euclidean norm (a least-distance problem, Lawson and Hanson's
LDP through NNLS), both polished on their active constraints to machine precision."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog, nnls


def _min_norm(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The least-norm solution of A x = b (consistent)."""
    return np.linalg.lstsq(A, b, rcond=None)[0]


def egalitarian_least_core(v: np.ndarray) -> np.ndarray:
    r"""The egalitarian least core of a normalised game (v[0] = v(empty) = 0), float64 (n,).

    The least core's deficit is e* = min e subject to x(S) + e >= v(S) for every proper
    non-empty S, x(N) = v(N) and e >= 0 (e* = 0 when the core is non-empty); the egalitarian
    least core is the x of least norm ||x||_2 in that set (Yan and Procaccia 2021, AAAI).

    Cost: one HiGHS linear program (2^n - 2 rows, n + 1 columns) and one NNLS problem on an
    n x (2^n - 2) matrix, O(n^2 2^n) per simplex / active-set iteration, O(n) iterations in
    practice; 2^n n bytes for the constraint matrix.
    """
    size = v.shape[0]
    n = size.bit_length() - 1
    c = float(v[-1])
    if n == 1:
        return np.array([c])
    A = ((np.arange(1, size - 1)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    b = np.asarray(v[1:-1], dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(v))))
    tol = 1e-9 * scale
    # 1. the least core's deficit e*: min e s.t. A x + e >= b, sum x = c, e >= 0
    lp = linprog(np.r_[np.zeros(n), 1.0], A_ub=-np.c_[A, np.ones(len(b))], b_ub=-b,
                 A_eq=np.r_[np.ones(n), 0.0][None], b_eq=[c],
                 bounds=[(None, None)] * n + [(0, None)], method="highs")
    if lp.status != 0:
        raise RuntimeError(f"egalitarian least core: the linear program failed ({lp.message})")
    e = float(lp.x[-1])
    if e > tol:  # e is basic: pinned by the active rows (with the efficiency row); re-solve them
        act = A @ lp.x[:n] + e - b <= tol
        e = float(_min_norm(np.r_[np.c_[A[act], np.ones(act.sum())], np.r_[np.ones(n), 0.0][None]],
                            np.r_[b[act], c])[-1])
    else:
        e = 0.0
    # 2. least norm over {A x >= b - e, sum x = c}: x = c/n + Z y with Z an orthonormal basis of
    # the sum-zero plane (||x||^2 = c^2/n + ||y||^2), then min ||y|| s.t. G y >= h by NNLS on
    # [G^T; h^T] u ~ e_last (Lawson and Hanson 1974, ch. 23); a slack of 1e-12 keeps the
    # least core's thin slab non-empty in floating point, the active rows are then re-solved
    Z = np.linalg.qr(np.ones((n, 1)), mode="complete")[0][:, 1:]
    G = A @ Z
    h = b - e - A.sum(axis=1) * (c / n) - 1e-12 * scale
    u, _ = nnls(np.r_[G.T, h[None]], np.r_[np.zeros(n - 1), 1.0], maxiter=50 * len(h))
    r = np.r_[G.T, h[None]] @ u - np.r_[np.zeros(n - 1), 1.0]
    x = c / n + Z @ (-r[:-1] / r[-1])
    act = u > 0
    if act.any():
        polished = _min_norm(np.r_[A[act], np.ones((1, n))], np.r_[b[act] - e, c])
        if np.all(A @ polished >= b - e - tol) and abs(polished.sum() - c) <= tol:
            x = polished
    return x
