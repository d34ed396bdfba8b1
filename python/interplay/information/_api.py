"""``interplay.pid``: validation, measures and unit handling around the BROJA kernel."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from .._threads import blas_limit
from .._validation import check_finite, check_int, check_numeric_array, check_real, require_memory
from ..backends import KERNELS
from ..backends.reference import pid as reference
from ..backends.reference.pid import METHODS  # method name -> code, shared by every backend
from ._result import PIDResult

#: ``broja(p, tol, max_iter, method, want_q) -> dict`` on a batch (B, n1, n2, ny) of normalised
#: joints (tol in nats); the contract is in :mod:`interplay.backends.reference.pid`
BROJA_KERNEL = KERNELS["pid.broja"]

MEASURES = ("BROJA", "MMI", "WB")
#: |sum(p) - 1| allowed without normalize=True
SUM_TOL = 1e-8


def solver_bytes(shape: tuple[int, ...], return_q: bool = False) -> int:
    """Memory the BROJA solver needs for joints of this shape (input copy, per-thread
    workspace: Schur matrix (min(n1,n2) ny)^2 and a few arrays per cell, outputs)."""
    n1, n2, ny = (int(n) for n in shape[-3:])
    batch = int(np.prod(shape[:-3], dtype=np.float64)) if len(shape) > 3 else 1
    cells = float(n1) * n2 * ny
    small = float(min(n1, n2)) * ny
    nbytes = 8 * (2 * batch * cells + 2 * (small * small + 10 * cells + n1 * ny * ny))
    if return_q:
        nbytes += 8 * batch * (cells + (n1 + n2) * ny)
    return int(nbytes)


def validate_joint(p: Any, *, normalize: bool, name: str = "p",
                   return_q: bool = False) -> np.ndarray:
    """Check a joint (..., |X1|, |X2|, |Y|) and return it as float64 (B, n1, n2, ny)-ready.

    Memory is checked before the array is copied or converted.
    """
    arr = check_numeric_array(p, name)
    if arr.ndim < 3:
        raise ValueError(f"{name} must have shape (..., |X1|, |X2|, |Y|) (at least 3 dimensions), "
                         f"got shape {arr.shape}")
    if any(n == 0 for n in arr.shape):
        raise ValueError(f"{name} has an empty axis: shape {arr.shape}")
    need = solver_bytes(arr.shape, return_q)
    if need > (64 << 20):  # reading /proc costs ~0.1 ms: only for requests that could matter
        require_memory(need, f"the PID solver for joints of shape {arr.shape}", argument=name)
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    check_finite(arr, name)
    if (arr < 0).any():
        bad = np.flatnonzero(arr.reshape(-1) < 0)
        raise ValueError(f"{name} has {bad.size} negative entries, first at flat index "
                         f"{int(bad[0])} ({arr.reshape(-1)[bad[0]]!r})")
    sums = arr.sum(axis=(-3, -2, -1))
    if normalize:
        if (sums <= 0).any():
            raise ValueError(f"{name}: a joint with total mass 0 cannot be normalised")
        arr = arr / sums[..., None, None, None]
    else:
        off = np.abs(sums - 1.0) > SUM_TOL
        if np.any(off):
            first = np.asarray(sums).reshape(-1)[np.flatnonzero(np.asarray(off).reshape(-1))[0]]
            raise ValueError(f"{name} must sum to 1 over (X1, X2, Y) (found a joint summing to "
                             f"{first!r}); pass normalize=True to rescale")
    return arr


def _log_base(base: Any) -> float:
    b = check_real(base, "base")
    if not b > 0 or b == 1.0:
        raise ValueError(f"base must be positive and different from 1, got {b}")
    return math.log(b)


def _specific_min(p: np.ndarray) -> np.ndarray:
    """Williams-Beer I_min = sum_y p(y) min_i I(Y=y; X_i) (nats), batch (B, n1, n2, ny)."""
    py = p.sum((1, 2))
    specs = []
    for axis in (2, 1):  # marginalise X2 -> p(x1, y); marginalise X1 -> p(x2, y)
        pxy = p.sum(axis)
        px = pxy.sum(2, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(pxy > 0, pxy / (px * py[:, None, :]), 1.0)
            # I(Y=y; X) = sum_x p(x|y) log(p(y|x)/p(y))
            spec = np.where(py > 0, (pxy * np.log(ratio)).sum(1) / np.where(py > 0, py, 1.0), 0.0)
        specs.append(spec)
    out = (py * np.minimum(specs[0], specs[1])).sum(1)
    return np.maximum(out, 0.0)


#: slices (one value of X1 or of X2) lighter than this fraction of ``tol`` are split off
#: before the BROJA solver runs (see :func:`_split_light_slices`)
LIGHT_SLICE = 1e-3


def _split_light_slices(flat: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray]:
    """Joints with an X1 or X2 slice of positive mass <= ``cut``: their
    indices and the batch with those slices zeroed and each such joint renormalised.

    The solvers' fibres through such a slice carry barrier weights p(x1) p(x2) ~ its mass, and
    the interior-point iterates diverge there (certified gaps of 0.01 bits, or NaN); the slice
    changes v* by O(mass log) only, which :func:`_certify_full` accounts for exactly."""
    m1 = flat.sum(axis=(2, 3))
    m2 = flat.sum(axis=(1, 3))
    light1 = (m1 > 0) & (m1 <= cut)
    light2 = (m2 > 0) & (m2 <= cut)
    idx = np.flatnonzero(light1.any(axis=1) | light2.any(axis=1))
    if idx.size == 0:
        return idx, flat
    heavy = flat.copy()
    for b in idx:
        heavy[b, light1[b]] = 0.0
        heavy[b][:, light2[b]] = 0.0
        heavy[b] /= heavy[b].sum()
    return idx, heavy


def _certify_full(p: np.ndarray, heavy: np.ndarray, q_h: np.ndarray, lam_h: np.ndarray,
                  mu_h: np.ndarray) -> dict[str, Any]:
    """Certificate of v* for the joint ``p`` from a solve of its heavy part (``heavy``, the
    light slices removed and renormalised; solution ``q_h``, dual ``lam_h``, ``mu_h``).

    Primal: Q = c q_h + (p - c heavy) with c = 1 - (light mass) is feasible for p (the light
    slices keep their own cells), so upper = I_Q(X1, X2; Y). Dual: (lam_h, mu_h) extended to the
    light slices and to cells the heavy part leaves empty by values low enough that no heavy
    fibre needs a shift (sum_y exp(lam + mu) <= 1 stays true there); the bound
    sum a lam + sum b mu (after the feasibility shift of
    :func:`~interplay.backends.reference.pid.dual_bound`) is valid for p, and the extension costs
    the light mass times the size of those values."""
    hy, i1, i2, i12 = reference.informations(p)
    kept = (heavy.sum(axis=(1, 2)) > 0)[:, None, None] & (heavy.sum(axis=(0, 2)) > 0)[None, :, None]
    p_heavy = np.where(kept, p, 0.0)
    scale = float(p_heavy.sum())
    q = scale * q_h + (p - p_heavy)
    upper = min(reference.objective(q) + hy, i12)
    lower = max(i1, i2)
    lam, mu = lam_h.copy(), mu_h.copy()
    if not (np.isnan(lam).any() or np.isnan(mu).any()):
        a, b = p.sum(axis=1), p.sum(axis=0)
        allowed = (a[:, None, :] > 0) & (b[None, :, :] > 0)
        light1 = ~kept[:, 0, 0]
        light2 = ~kept[0, :, 0]

        def log_cond(m):
            """log of each row's conditional distribution over y (-inf off its support)."""
            tot = m.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(m > 0, np.log(m / np.where(tot > 0, tot, 1.0)), -np.inf)

        def top(x, axis):
            """max over ``axis`` of the finite entries (0 where there are none)."""
            t = np.where(np.isfinite(x), x, -np.inf).max(axis=axis)
            return np.where(np.isfinite(t), t, 0.0)

        la, lb = log_cond(a), log_cond(b)
        # cells the heavy part leaves empty: log p(y | x) below the column's largest partner
        miss = (a > 0) & ~np.isfinite(lam) & ~light1[:, None]
        lam[miss] = (la - top(mu, 0)[None, :])[miss]
        miss = (b > 0) & ~np.isfinite(mu) & ~light2[:, None]
        mu[miss] = (lb - top(lam, 0)[None, :])[miss]
        # a light slice: lam(x1, y) = log p(y | x1) - max_x2 log sum_y p(y | x1) exp(mu(x2, y))
        # makes all its fibres exactly feasible (Q(y | x1, x2) ~ p(y | x1) exp(mu), as at an
        # optimum), and likewise for a light X2 slice against the rows
        lam_h = np.where(np.isfinite(lam) & ~light1[:, None], lam, -np.inf)
        mu[light2] = lb[light2] - reference.logsumexp(
            lb[light2][:, None, :] + lam_h[None, :, :], 2).max(axis=1, initial=-np.inf)[:, None]
        mu_all = np.where(np.isfinite(mu), mu, -np.inf)
        lam[light1] = la[light1] - reference.logsumexp(
            la[light1][:, None, :] + mu_all[None, :, :], 2).max(axis=1, initial=-np.inf)[:, None]
        lam = np.where(a > 0, lam, -np.inf)
        mu = np.where(b > 0, mu, -np.inf)
        # returned feasible as it stands: rows lowered by their (tiny) excess
        lam = lam - reference.feasibility_shift(lam, mu, allowed)[:, None]
        g = reference.dual_bound(a, b, lam, mu, allowed)
        if np.isfinite(g):
            lower = max(lower, g + hy)
    return {"hy": hy, "i1": i1, "i2": i2, "i12": i12, "upper": upper, "lower": min(lower, upper),
            "q": q, "lam": lam, "mu": mu}


#: slices up to this mass are split off in a second attempt at a joint the solver did not
#: certify to ``tol`` (the certificate then costs about their mass in nats)
RETRY_SLICE = 1e-6


def _broja_light(run, flat: np.ndarray, tol: float, cut: float,
                 return_q: bool) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``run(batch)`` (the BROJA kernel) on ``flat`` with its slices lighter than ``cut``
    split off and certified on the full joints (:func:`_certify_full`); returns the kernel's
    dict (arrays, light joints replaced) and the indices of the joints that were split."""
    light, solve = _split_light_slices(flat, cut)
    res = {k: np.array(v) for k, v in run(solve, return_q or light.size > 0).items()}
    for b in light:
        full = _certify_full(flat[b], solve[b], res["q"][b], res["lam"][b], res["mu"][b])
        for k, v in full.items():
            res[k][b] = v
        res["converged"][b] = full["upper"] - full["lower"] <= tol
    if not return_q:
        for k in ("q", "lam", "mu"):
            res.pop(k, None)
    return res, light


def pid(p: Any, *, measure: str = "BROJA", method: str = "auto", tol: float = 1e-10,
        max_iter: int | None = None, base: float = 2, normalize: bool = False,
        return_q: bool = False, backend: str = "auto") -> PIDResult:
    r"""Partial information decomposition of I(X1, X2; Y) for a discrete joint p(x1, x2, y).

    BROJA (Bertschinger, Rauh, Olbrich, Jost, Ay, *Quantifying unique information*,
    Entropy 16, 2014) defines, over Delta_P = {Q : Q(x1,y) = P(x1,y), Q(x2,y) = P(x2,y)},

    .. math::

        v^* = \min_{Q \in \Delta_P} I_Q(X_1, X_2; Y),\quad
        U_1 = v^* - I(X_2;Y),\ U_2 = v^* - I(X_1;Y),\
        R = I(X_1;Y) + I(X_2;Y) - v^*,\ S = I(X_1,X_2;Y) - v^*.

    The solver brackets v* between the value of an exactly feasible Q and a dual bound
    (max sum_{x1,y} lam P(x1,y) + sum_{x2,y} mu P(x2,y) s.t. sum_y exp(lam + mu) <= 1 for every
    fibre (x1, x2)); ``gap`` is that bracket, a certified bound on every atom's error.
    "MMI" takes R = min_i I(X_i;Y); "WB" is Williams and Beer's I_min (arXiv:1004.2515),
    R = sum_y p(y) min_i I(Y=y; X_i). Unique and synergistic atoms follow from R by the
    bivariate lattice (Moebius inversion), as in dit.

    Parameters
    ----------
    p : array_like, shape (..., |X1|, |X2|, |Y|)
        Joint probabilities; leading axes form a batch solved in one call.
    measure : {"BROJA", "MMI", "WB"}
    method : {"auto", "ipm", "ipfp"}
        BROJA solver: "ipm" (primal-dual interior point on the dual, Schur complement),
        "ipfp" (alternating I-projections with warm-started log-domain Sinkhorn, stopped on
        the certified gap only), "auto" (currently the interior-point method).
    tol : float
        Target certified gap, in units of ``base``.
    max_iter : int, optional
        Interior-point steps (default 200) or IPFP sweeps (default 100000).
    base : float
        Logarithm base of the result (2: bits, e: nats).
    normalize : bool
        Rescale each joint to sum 1 (otherwise a sum away from 1 by more than 1e-8 is an error).
    return_q : bool
        Also return the optimal Q and the dual certificate (BROJA only).
    backend : {"auto", "cpp", "numba", "reference"}

    Returns
    -------
    PIDResult
    """
    if not isinstance(measure, str) or measure.upper() not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    measure = measure.upper()
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"method must be one of {tuple(METHODS)}, got {method!r}")
    method = method.lower()
    tol = check_real(tol, "tol")
    if not 0 < tol < 1:
        raise ValueError(f"tol must lie in (0, 1), got {tol}")
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", low=1, high=2**31 - 1)
    lnb = _log_base(base)
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize must be a bool, got {type(normalize).__name__}")
    arr = validate_joint(p, normalize=bool(normalize), return_q=bool(return_q))
    batch_shape = arr.shape[:-3]
    n1, n2, ny = arr.shape[-3:]
    flat = arr.reshape((-1, n1, n2, ny))
    B = flat.shape[0]

    info: dict[str, Any] = {"measure": measure}
    if measure == "BROJA":
        name, fn = BROJA_KERNEL.select(backend)
        tol_n = tol * lnb

        def run(batch, want_q):
            # BLAS on one thread (interplay._threads): OpenBLAS's threads spin against the
            # kernel's own OpenMP; a single problem of Schur size < 64 skips the limit's cost
            small = batch.shape[0] == 1 and min(n1, n2) * ny < 64
            with blas_limit() if name == "cpp" and not small else contextlib.nullcontext():
                return fn(batch, tol_n, int(max_iter or 0), METHODS[method], want_q)

        res, split = _broja_light(run, flat, tol_n, LIGHT_SLICE * tol_n, bool(return_q))
        # a joint the solver could not certify, with slices up to RETRY_SLICE: split those too
        # and keep the smaller certified gap
        retry = np.flatnonzero(~np.asarray(res["converged"], dtype=bool))
        retry = retry[_split_light_slices(flat[retry], RETRY_SLICE)[0]]
        if retry.size:
            res2, _ = _broja_light(run, flat[retry], tol_n, RETRY_SLICE, bool(return_q))
            better = retry[(res2["upper"] - res2["lower"]) < (res["upper"] - res["lower"])[retry]]
            if better.size:
                src = np.searchsorted(retry, better)
                for k in res:
                    res[k][better] = res2[k][src]
                split = np.union1d(split, better)
        if split.size:
            info["light_slices_split"] = int(split.size)
        info.update(backend=name, method=method)
        i1, i2, i12, up, lo = (np.asarray(res[k], dtype=float)
                               for k in ("i1", "i2", "i12", "upper", "lower"))
        lo_b = np.maximum(i1, i2)
        hi_b = np.minimum(i12, i1 + i2)
        upper = np.minimum(up, hi_b)
        lower = np.maximum(lo, lo_b)
        v = np.where(lo_b <= hi_b, np.clip(up, lo_b, hi_b), up)
        gap = np.maximum(upper - lower, 0.0)
        gap = np.where(np.isnan(gap), np.inf, gap)  # no certificate: an infinite gap, never NaN
        red = i1 + i2 - v
        u1 = v - i2
        u2 = v - i1
        syn = i12 - v
        iters = np.asarray(res["iterations"], dtype=np.int64)
        conv = np.asarray(res["converged"], dtype=bool) | (gap <= tol * lnb)
        q = dual = None
        if return_q:
            q = np.asarray(res["q"]).reshape(arr.shape)
            dual = (np.asarray(res["lam"]).reshape(batch_shape + (n1, ny)),
                    np.asarray(res["mu"]).reshape(batch_shape + (n2, ny)))
    else:
        if return_q:
            raise ValueError("return_q=True is only available for measure='BROJA'")
        _, i1, i2, i12 = reference.informations(flat)
        red = np.minimum(i1, i2) if measure == "MMI" else np.clip(_specific_min(flat), 0.0, np.minimum(i1, i2))
        u1 = i1 - red
        u2 = i2 - red
        syn = i12 - red - u1 - u2
        gap = np.zeros(B)
        iters = np.zeros(B, dtype=np.int64)
        conv = np.ones(B, dtype=bool)
        q = dual = None
        info.update(backend="numpy", method="closed form")

    def shape(x, kind=float):
        x = np.asarray(x).reshape(batch_shape)
        return kind(x) if batch_shape == () else x

    return PIDResult(
        redundancy=shape(red / lnb), unique_1=shape(u1 / lnb), unique_2=shape(u2 / lnb),
        synergy=shape(syn / lnb), mutual_information=shape(i12 / lnb), mi_1=shape(i1 / lnb),
        mi_2=shape(i2 / lnb), gap=shape(gap / lnb), iterations=shape(iters, int),
        converged=shape(conv, bool), measure=measure, base=float(base), q=q, dual=dual,
        info=info)
