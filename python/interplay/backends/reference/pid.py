"""NumPy reference backend of the BROJA solver (dense linear algebra, one problem at a time).

Same contract as the compiled kernel ``interplay._core.pid.broja`` and the Numba fallback: it
takes normalised joints ``p`` of shape (B, n1, n2, ny) and returns, per joint, the certified
bracket ``lower <= v* <= upper`` (nats) of

    v* = min_{Q in Delta_P} I_Q(X1, X2; Y),

together with I(X1;Y), I(X2;Y), I(X1,X2;Y), the iteration count, a convergence flag and,
on request, the optimal Q and the dual variables. The interior-point method here builds the
full Newton matrix densely (no Schur complement), which makes it an independent check of the
structured C++/Numba implementations. Mathematics: docs/pid.md and Bertschinger et al. (2014).
"""

from __future__ import annotations

import numpy as np

#: method name -> the code of the ``method`` argument (the C++, Numba and NumPy backends and
#: ``interplay.pid``'s ``method=`` share this table)
METHODS = {"auto": 0, "ipm": 1, "ipfp": 2}


def _xlogx(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    pos = x > 0
    out[pos] = x[pos] * np.log(x[pos])
    return out


def informations(p: np.ndarray) -> tuple[float, float, float, float]:
    """H(Y), I(X1;Y), I(X2;Y), I(X1,X2;Y) in nats for a joint p(x1, x2, y), or arrays of them
    for a batch (leading axes)."""

    def H(x, k):  # entropy over the last k axes
        return -_xlogx(x).sum(axis=tuple(range(-k, 0)))

    hy = H(p.sum((-3, -2)), 1)
    i1 = H(p.sum((-2, -1)), 1) + hy - H(p.sum(-2), 2)
    i2 = H(p.sum((-3, -1)), 1) + hy - H(p.sum(-3), 2)
    i12 = H(p.sum(-1), 2) + hy - H(p, 3)
    return hy, np.maximum(i1, 0.0), np.maximum(i2, 0.0), np.maximum(i12, 0.0)


def objective(q: np.ndarray) -> float:
    """f(Q) = sum Q log Q(y | x1, x2) = I_Q(X1,X2;Y) - H_Q(Y) (nats)."""
    return float(_xlogx(q).sum() - _xlogx(q.sum(2)).sum())


# --------------------------------------------------------------------------------------------
# certificate (reference/pid.md 1.3)


def round_to_polytope(q: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Altschuler-Weed-Rigollet rounding of each y-slice of q onto {row sums a, column sums b}.

    The result is exactly feasible up to rounding and differs from q by at most the marginal
    residual (in l1); mass is only added on cells with a > 0 and b > 0.
    """
    q = q.copy()
    for y in range(q.shape[2]):
        x = q[:, :, y]
        r = x.sum(1)
        scale = np.where(r > a[:, y], a[:, y] / np.where(r > 0, r, 1.0), 1.0)
        x *= scale[:, None]
        c = x.sum(0)
        scale = np.where(c > b[:, y], b[:, y] / np.where(c > 0, c, 1.0), 1.0)
        x *= scale[None, :]
        er = np.maximum(a[:, y] - x.sum(1), 0.0)
        ec = np.maximum(b[:, y] - x.sum(0), 0.0)
        tot = er.sum()
        if tot > 0:
            x += np.outer(er, ec) / tot
    return q


def feasibility_shift(lam, mu, allowed) -> np.ndarray:
    """max(0, max_x2 log sigma(x1, x2)) per x1, sigma(x1, x2) = sum_y exp(lam + mu) over the
    allowed cells of every fibre (empty ones included): lam(x1, .) minus it is dual feasible."""
    z = np.where(allowed, lam[:, None, :] + mu[None, :, :], -np.inf)
    with np.errstate(under="ignore", invalid="ignore"):
        m = z.max(2, initial=-np.inf)
        fin = np.isfinite(m)
        logsig = np.full(m.shape, -np.inf)
        logsig[fin] = m[fin] + np.log(np.exp(z[fin] - m[fin][:, None]).sum(1))
    return np.maximum(logsig.max(1, initial=-np.inf), 0.0)


def dual_bound(a, b, lam, mu, allowed) -> float:
    """g = sum a lam + sum b mu after shifting (lam, mu) to dual feasibility
    (:func:`feasibility_shift`)."""
    shift = feasibility_shift(lam, mu, allowed)
    la = a > 0
    lb = b > 0
    g = float((a[la] * lam[la]).sum() + (b[lb] * mu[lb]).sum() - (a.sum(1) * shift).sum())
    return g if g == g else -np.inf  # diverged iterates (NaN) certify nothing


# --------------------------------------------------------------------------------------------
# primal-dual interior point on the dual (reference/pid.md 1.5), dense Newton matrix


def _ipm(a, b, allowed, tol, max_iter):
    n1, ny = a.shape
    n2 = b.shape[0]
    la = a > 0
    lb = b > 0
    px1 = a.sum(1)
    px2 = b.sum(1)
    # variables: lam(x1,y) for a > 0, mu(x2,y) for b > 0 except one pinned mu per y (gauge)
    lidx = -np.ones((n1, ny), dtype=np.int64)
    lidx[la] = np.arange(la.sum())
    nl = int(la.sum())
    pin = lb.argmax(0)
    lbv = lb.copy()
    lbv[pin, np.arange(ny)] = False
    midx = -np.ones((n2, ny), dtype=np.int64)
    midx[lbv] = nl + np.arange(lbv.sum())
    nv = nl + int(lbv.sum())
    fib = allowed.any(2)
    fi, fj = np.nonzero(fib)
    nf = fi.size
    ci, cj, cy = np.nonzero(allowed)
    cf = -np.ones((n1, n2), dtype=np.int64)
    cf[fi, fj] = np.arange(nf)
    cfib = cf[ci, cj]
    ncell = ci.size
    C = np.zeros((ncell, nv))
    C[np.arange(ncell), lidx[ci, cy]] = 1.0
    mcol = midx[cj, cy]
    has = mcol >= 0
    C[np.nonzero(has)[0], mcol[has]] = 1.0
    target = np.zeros(nv)
    target[lidx[la]] = a[la]
    target[midx[lbv]] = b[lbv]

    lam = np.zeros((n1, ny))
    mu = np.zeros((n2, ny))
    lam[la] = 0.5 * np.log((a / px1[:, None])[la]) - 0.05
    mu[lb] = 0.5 * np.log((b / px2[:, None])[lb]) - 0.05

    def cells(lam, mu):
        e = np.exp(lam[ci, cy] + mu[cj, cy])
        sig = np.bincount(cfib, weights=e, minlength=nf)
        return e, sig

    def certificate():  # (upper, lower, rounded Q, lam, mu) at the current iterate
        q = np.zeros(allowed.shape)
        q[ci, cj, cy] = w[cfib] * e
        qt = round_to_polytope(q, a, b)
        lower = dual_bound(a, b, np.where(la, lam, -np.inf), np.where(lb, mu, -np.inf), allowed)
        return objective(qt), lower, qt, lam.copy(), mu.copy()

    e, sig = cells(lam, mu)
    s = 1.0 - sig
    w = px1[fi] * px2[fj]
    best = None
    it = 0
    converged = False
    for it in range(1, max_iter + 1):
        q = w[cfib] * e
        rd = target - C.T @ q
        mu_c = float(w @ s) / nf
        # Newton matrix H = C^T diag(q) C + G^T diag(w/s) G with G = F C, F[f, c] = e_c
        G = np.zeros((nf, nv))
        np.add.at(G, cfib, e[:, None] * C)
        d = w / s
        H0 = C.T @ (q[:, None] * C) + G.T @ (d[:, None] * G)
        H = H0.copy()
        # the dual optimum need not be unique (directions seen only by empty fibres lose their
        # curvature as mu -> 0): a tiny relative regularisation keeps the solve well posed
        H[np.diag_indices_from(H)] += 1e-14 * H.diagonal().max() + 1e-300

        rp = 1.0 - sig - s

        def direction(rc):
            rhs = rd - G.T @ ((rc - w * rp) / s)
            du = np.linalg.solve(H, rhs)
            for _ in range(2):  # refine against the unregularised matrix
                du = du + np.linalg.solve(H, rhs - H0 @ du)
            gdu = G @ du
            dw = (rc - w * rp + w * gdu) / s
            return du, dw, rp - gdu

        du, dw, ds = direction(-w * s)
        amax = _max_step(w, dw, s, ds)
        mu_aff = float((w + amax * dw) @ (s + amax * ds)) / nf
        sigma_c = (mu_aff / mu_c) ** 3 if mu_c > 0 else 0.0
        du, dw, ds = direction(sigma_c * mu_c - w * s - dw * ds)
        alpha = min(1.0, 0.99 * _max_step(w, dw, s, ds))
        dl, dm = _split(du, lidx, midx, n1, n2, ny)
        # infeasible step: s is its own variable, the nonlinearity of sigma goes into the
        # residual 1 - sigma - s; only guard against exp overflow
        while True:
            lam_n = lam + alpha * dl
            mu_n = mu + alpha * dm
            e_n, sig_n = cells(lam_n, mu_n)
            if (np.isfinite(sig_n).all() and sig_n.max() <= 2.0) or alpha < 1e-12:
                break
            alpha *= 0.5
        lam, mu, e, sig = lam_n, mu_n, e_n, sig_n
        s = np.maximum(s + alpha * ds, 1e-300)
        w = np.maximum(w + alpha * dw, 1e-300)
        if float(w @ s) < 0.1 * tol or it % 5 == 0:
            best = certificate()
            if best[0] - best[1] <= tol:
                converged = True
                break
    if best is None or not converged:
        last = certificate()
        # keep the tighter certificate (the last iterate may have diverged)
        if best is None or last[0] - last[1] < best[0] - best[1]:
            best = last
    upper, lower, qt, lam, mu = best
    return upper, lower, qt, np.where(la, lam, -np.inf), np.where(lb, mu, -np.inf), it, converged


def _split(du, lidx, midx, n1, n2, ny):
    dl = np.zeros((n1, ny))
    dm = np.zeros((n2, ny))
    ok = lidx >= 0
    dl[ok] = du[lidx[ok]]
    ok = midx >= 0
    dm[ok] = du[midx[ok]]
    return dl, dm


def _max_step(w, dw, s, ds):
    alpha = 1.0
    neg = dw < 0
    if neg.any():
        alpha = min(alpha, float((-w[neg] / dw[neg]).min()))
    neg = ds < 0
    if neg.any():
        alpha = min(alpha, float((-s[neg] / ds[neg]).min()))
    return alpha


# --------------------------------------------------------------------------------------------
# IPFP: alternating I-projections with warm-started log-domain Sinkhorn (reference/pid.md 1.4)


def logsumexp(z, axis):
    """log sum exp(z) over ``axis`` (-inf where every entry is -inf)."""
    m = z.max(axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(z - m).sum(axis)) + np.squeeze(m, axis)


def _ipfp(a, b, allowed, tol, max_iter, check_every=10):
    n1, ny = a.shape
    la = a > 0
    lb = b > 0
    with np.errstate(divide="ignore"):
        loga = np.where(la, np.log(np.where(la, a, 1.0)), -np.inf)
        logb = np.where(lb, np.log(np.where(lb, b, 1.0)), -np.inf)
    fib = allowed.any(2)
    # start at R = P(x1) P(x2) (on fibres that can carry mass)
    logr = np.where(fib, np.log(np.outer(a.sum(1), b.sum(1))), -np.inf)
    lam = np.zeros_like(a)
    mu = np.zeros_like(b)
    mask = np.where(allowed, 0.0, -np.inf)
    upper, lower, qt = np.inf, -np.inf, None
    it = 0
    converged = False
    for it in range(1, max_iter + 1):
        # one Sinkhorn sweep per y (rows then columns), warm-started from the previous sweep
        k = logr[:, :, None] + mask
        lam = np.where(la, loga - logsumexp(k + mu[None, :, :], 1), -np.inf)
        mu = np.where(lb, logb - logsumexp(k + lam[:, None, :], 0), -np.inf)
        z = lam[:, None, :] + mu[None, :, :] + mask
        logsig = logsumexp(z, 2)
        logr = logr + np.where(fib, logsig, 0.0)
        if it % check_every == 0 or it == max_iter:
            q = np.exp((logr - np.where(fib, logsig, 0.0))[:, :, None] + z)
            # Q = R_old exp(lam + mu): (lam, mu) is the dual candidate, sigma = R_new / R_old
            qt = round_to_polytope(q, a, b)
            upper = objective(qt)
            lower = dual_bound(a, b, lam, mu, allowed)
            if upper - lower <= tol:
                converged = True
                break
    return upper, lower, qt, lam, mu, it, converged


# --------------------------------------------------------------------------------------------
# driver: support reduction, closed-form cases, then a solver


def solve_one(p, tol, max_iter, method, ipm=None, ipfp=None):
    """Solve one normalised joint; returns a dict of nats values (see module docstring)."""
    n1, n2, ny = p.shape
    hy, i1, i2, i12 = informations(p)
    k1 = p.sum((1, 2)) > 0
    k2 = p.sum((0, 2)) > 0
    ky = p.sum((0, 1)) > 0
    r = p[k1][:, k2][:, :, ky]
    lo = max(i1, i2)
    out = {"hy": hy, "i1": i1, "i2": i2, "i12": i12}
    if i12 - lo <= tol or min(r.shape) == 1:
        # closed form: Q = P is feasible (upper = I12) and v* >= max(I(X1;Y), I(X2;Y))
        out.update(upper=i12, lower=min(lo, i12), iterations=0, converged=True, q=p.copy(),
                   lam=np.full((n1, ny), np.nan), mu=np.full((n2, ny), np.nan))
        return out
    a = r.sum(1)
    b = r.sum(0)
    allowed = (a[:, None, :] > 0) & (b[None, :, :] > 0)
    if max_iter <= 0:
        max_iter = 100000 if method == METHODS["ipfp"] else 200
    if method == METHODS["ipfp"]:
        upper, lower, qr, lam, mu, it, conv = (ipfp or _ipfp)(a, b, allowed, tol, max_iter)
    else:
        upper, lower, qr, lam, mu, it, conv = (ipm or _ipm)(a, b, allowed, tol, max_iter)
    q = np.zeros_like(p)
    q[np.ix_(k1, k2, ky)] = qr
    # the returned dual as the bound used it: shifted to feasibility (sum_y exp <= 1)
    lam = lam - feasibility_shift(lam, mu, allowed)[:, None]
    lam_full = np.full((n1, ny), -np.inf)
    lam_full[np.ix_(k1, ky)] = lam
    mu_full = np.full((n2, ny), -np.inf)
    mu_full[np.ix_(k2, ky)] = mu
    out.update(upper=upper + hy, lower=max(lower + hy, lo), iterations=it, converged=conv, q=q,
               lam=lam_full, mu=mu_full)
    return out


def broja(p, tol, max_iter, method, want_q, ipm=None, ipfp=None):
    """Batch driver: p of shape (B, n1, n2, ny), each normalised. Same contract as the kernel."""
    p = np.ascontiguousarray(p, dtype=np.float64)
    outs = [solve_one(x, tol, max_iter, method, ipm=ipm, ipfp=ipfp) for x in p]
    dtypes = dict.fromkeys(("hy", "i1", "i2", "i12", "upper", "lower"), np.float64)
    dtypes.update(iterations=np.int64, converged=bool)
    if want_q:
        dtypes.update(q=np.float64, lam=np.float64, mu=np.float64)
    return {k: np.array([o[k] for o in outs], dtype=t) for k, t in dtypes.items()}


__all__ = ["METHODS", "broja", "dual_bound", "feasibility_shift", "informations", "logsumexp",
           "objective", "round_to_polytope", "solve_one"]
