"""Numba backend of the BROJA solver: the same algorithm as the C++ kernel
(csrc/include/interplay/pid/broja.hpp) — infeasible primal-dual interior point on the dual,
Mehrotra predictor-corrector, block-Cholesky Schur complement in mu, refinement against the
unreduced KKT system, certificate by rounding + shifted dual — compiled with Numba.
Support reduction and the closed-form cases are shared with the NumPy reference driver; the
IPFP method is compiled too.

Ctrl-C: the solvers run in a worker thread (compiled without the GIL) while the calling thread
waits; a KeyboardInterrupt there sets ``stop[0]``, which the solvers check between iterations,
fibres and Cholesky columns (a fraction of a second apart at 64^3, the longest step being one
BLAS product), and is raised again once the worker has returned. The checks do not change the
arithmetic: results are the same bits as without them.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

from ..reference import pid as _reference

_INF = np.inf


@njit(cache=True)
def _cells(lam, mu, la, lb, fib, e, sig):
    n1, ny = lam.shape
    n2 = mu.shape[0]
    for x1 in range(n1):
        for x2 in range(n2):
            t = 0.0
            for y in range(ny):
                if fib[x1, x2] and la[x1, y] and lb[x2, y]:
                    v = np.exp(lam[x1, y] + mu[x2, y])
                else:
                    v = 0.0
                e[x1, x2, y] = v
                t += v
            sig[x1, x2] = t


@njit(cache=True)
def _xlogx(x):
    return x * np.log(x) if x > 0 else 0.0


@njit(cache=True)
def _certify(a, b, la, lb, q, lam, mu):
    """Round q onto Delta_P (in place); return (f(q), dual bound, shifted lam)."""
    n1, n2, ny = q.shape
    for y in range(ny):
        for x1 in range(n1):
            r = 0.0
            for x2 in range(n2):
                r += q[x1, x2, y]
            if r > a[x1, y]:
                sc = a[x1, y] / r
                for x2 in range(n2):
                    q[x1, x2, y] *= sc
        for x2 in range(n2):
            c = 0.0
            for x1 in range(n1):
                c += q[x1, x2, y]
            if c > b[x2, y]:
                sc = b[x2, y] / c
                for x1 in range(n1):
                    q[x1, x2, y] *= sc
        er = np.zeros(n1)
        ec = np.zeros(n2)
        tot = 0.0
        for x1 in range(n1):
            r = 0.0
            for x2 in range(n2):
                r += q[x1, x2, y]
            er[x1] = max(a[x1, y] - r, 0.0)
            tot += er[x1]
        for x2 in range(n2):
            c = 0.0
            for x1 in range(n1):
                c += q[x1, x2, y]
            ec[x2] = max(b[x2, y] - c, 0.0)
        if tot > 0:
            for x1 in range(n1):
                if er[x1] > 0:
                    f = er[x1] / tot
                    for x2 in range(n2):
                        q[x1, x2, y] += f * ec[x2]
    up = 0.0
    for x1 in range(n1):
        for x2 in range(n2):
            tot = 0.0
            acc = 0.0
            for y in range(ny):
                tot += q[x1, x2, y]
                acc += _xlogx(q[x1, x2, y])
            up += acc - _xlogx(tot)
    lam_s = lam.copy()
    g = 0.0
    for x1 in range(n1):
        shift = 0.0
        for x2 in range(n2):
            m = -_INF
            for y in range(ny):
                if la[x1, y] and lb[x2, y]:
                    m = max(m, lam[x1, y] + mu[x2, y])
            if m == -_INF:
                continue
            s = 0.0
            for y in range(ny):
                if la[x1, y] and lb[x2, y]:
                    s += np.exp(lam[x1, y] + mu[x2, y] - m)
            shift = max(shift, m + np.log(s))
        for y in range(ny):
            if la[x1, y]:
                g += a[x1, y] * (lam[x1, y] - shift)
                lam_s[x1, y] = lam[x1, y] - shift
    for x2 in range(n2):
        for y in range(ny):
            if lb[x2, y]:
                g += b[x2, y] * mu[x2, y]
    return up, g, lam_s


@njit(cache=True)
def _fwd(L, z):
    n = z.shape[0]
    for i in range(n):
        v = z[i]
        for k in range(i):
            v -= L[i, k] * z[k]
        z[i] = v / L[i, i]


@njit(cache=True)
def _solve(L, z):
    """z <- (L L^T)^-1 z."""
    _fwd(L, z)
    n = z.shape[0]
    for i in range(n - 1, -1, -1):
        z[i] /= L[i, i]
        v = z[i]
        for k in range(i):
            z[k] -= L[i, k] * v


@njit(cache=True)
def _chol(A, floor, stop):
    n = A.shape[0]
    L = np.zeros_like(A)
    for j in range(n):
        if stop[0]:
            break
        d = A[j, j]
        for k in range(j):
            d -= L[j, k] * L[j, k]
        if not d > floor:
            d = floor
        ljj = np.sqrt(d)
        L[j, j] = ljj
        for i in range(j + 1, n):
            v = A[i, j]
            for k in range(j):
                v -= L[i, k] * L[j, k]
            L[i, j] = v / ljj
    return L


@njit(cache=True)
def _schur_solve(rl, rm, Lll, SL, e, w, s, fib, la, lbv):
    n1, ny = rl.shape
    n2 = rm.shape[0]
    z = rl.copy()
    dm = rm.copy()
    for x1 in range(n1):
        _solve(Lll[x1], z[x1])
        z[x1] = np.where(la[x1], z[x1], 0.0)
        for x2 in range(n2):
            if not fib[x1, x2]:
                continue
            dot = 0.0
            for y in range(ny):
                dot += e[x1, x2, y] * z[x1, y]
            d = w[x1, x2] / s[x1, x2]
            for y in range(ny):
                dm[x2, y] -= e[x1, x2, y] * (w[x1, x2] * z[x1, y] + d * dot)
    v = np.where(lbv, dm, 0.0).reshape(-1)
    _solve(SL, v)
    dm = np.where(lbv, v.reshape(n2, ny), 0.0)
    dl = np.zeros((n1, ny))
    for x1 in range(n1):
        t = rl[x1].copy()
        for x2 in range(n2):
            if not fib[x1, x2]:
                continue
            dot = 0.0
            for y in range(ny):
                dot += e[x1, x2, y] * dm[x2, y]
            d = w[x1, x2] / s[x1, x2]
            for y in range(ny):
                t[y] -= e[x1, x2, y] * (w[x1, x2] * dm[x2, y] + d * dot)
        _solve(Lll[x1], t)
        dl[x1] = np.where(la[x1], t, 0.0)
    return dl, dm


@njit(cache=True)
def _direction_core(rdl, rdm, rc, rp, Lll, SL, e, w, s, fib, la, lbv):
    n1, n2, ny = e.shape
    rl = rdl.copy()
    rm = rdm.copy()
    for x1 in range(n1):
        for x2 in range(n2):
            if not fib[x1, x2]:
                continue
            c = (rc[x1, x2] - w[x1, x2] * rp[x1, x2]) / s[x1, x2]
            for y in range(ny):
                rl[x1, y] -= e[x1, x2, y] * c
                rm[x2, y] -= e[x1, x2, y] * c
    rl = np.where(la, rl, 0.0)
    rm = np.where(lbv, rm, 0.0)
    dl, dm = _schur_solve(rl, rm, Lll, SL, e, w, s, fib, la, lbv)
    dw = np.zeros((n1, n2))
    ds = np.zeros((n1, n2))
    for x1 in range(n1):
        for x2 in range(n2):
            if not fib[x1, x2]:
                continue
            g = 0.0
            for y in range(ny):
                g += e[x1, x2, y] * (dl[x1, y] + dm[x2, y])
            dw[x1, x2] = (rc[x1, x2] - w[x1, x2] * rp[x1, x2] + w[x1, x2] * g) / s[x1, x2]
            ds[x1, x2] = rp[x1, x2] - g
    return dl, dm, dw, ds


@njit(cache=True)
def _direction(rdl, rdm, rc, rp, Lll, SL, e, w, s, fib, la, lbv, a, b, max_rounds):
    n1, n2, ny = e.shape
    dl, dm, dw, ds = _direction_core(rdl, rdm, rc, rp, Lll, SL, e, w, s, fib, la, lbv)
    prev = _INF
    for _ in range(max_rounds):
        R1l = rdl.copy()
        R1m = rdm.copy()
        R2 = np.zeros((n1, n2))
        R3 = np.zeros((n1, n2))
        for x1 in range(n1):
            for x2 in range(n2):
                if not fib[x1, x2]:
                    continue
                g = 0.0
                for y in range(ny):
                    dlt = dl[x1, y] + dm[x2, y]
                    g += e[x1, x2, y] * dlt
                    v = e[x1, x2, y] * (w[x1, x2] * dlt + dw[x1, x2])
                    R1l[x1, y] -= v
                    R1m[x2, y] -= v
                R2[x1, x2] = rp[x1, x2] - g - ds[x1, x2]
                R3[x1, x2] = rc[x1, x2] - s[x1, x2] * dw[x1, x2] - w[x1, x2] * ds[x1, x2]
        nr = 0.0  # entries outside la / lbv are masked by _direction_core
        for x1 in range(n1):
            for y in range(ny):
                if la[x1, y]:
                    nr = max(nr, abs(R1l[x1, y]) / a[x1, y])
        for x2 in range(n2):
            for y in range(ny):
                if lbv[x2, y]:
                    nr = max(nr, abs(R1m[x2, y]) / b[x2, y])
        for x1 in range(n1):
            for x2 in range(n2):
                if fib[x1, x2]:
                    nr = max(nr, abs(R2[x1, x2]),
                             abs(R3[x1, x2]) / max(w[x1, x2] * s[x1, x2], 1e-300))
        if not nr > 1e-14 or nr > 0.5 * prev:
            break
        prev = nr
        cl, cm, cw, cs = _direction_core(R1l, R1m, R3, R2, Lll, SL, e, w, s, fib, la, lbv)
        dl += cl
        dm += cm
        dw += cw
        ds += cs
    return dl, dm, dw, ds


@njit(cache=True)
def _factor(e, w, s, fib, la, lbv, stop):
    n1, n2, ny = e.shape
    N = n2 * ny
    dmax = 0.0
    diagm = np.zeros((n2, ny))
    for x1 in range(n1):
        for y in range(ny):
            dl = 0.0
            for x2 in range(n2):
                if not fib[x1, x2]:
                    continue
                ev = e[x1, x2, y]
                v = w[x1, x2] * ev + (w[x1, x2] / s[x1, x2]) * ev * ev
                dl += v
                diagm[x2, y] += v
            dmax = max(dmax, dl)
    dmax = max(dmax, diagm.max())
    delta = 1e-14 * dmax + 1e-300
    S = np.zeros((N, N))
    Lll = np.zeros((n1, ny, ny))
    Z = np.zeros((n1 * ny, N))
    for x1 in range(n1):
        if stop[0]:
            return Lll, S
        # the fibre (x1, x2) adds w diag(e) + (w / s) e e^T to the x1 block H and the x2 block of S
        H = np.zeros((ny, ny))
        for x2 in range(n2):
            if not fib[x1, x2]:
                continue
            d = w[x1, x2] / s[x1, x2]
            Sb = S[x2 * ny:(x2 + 1) * ny, x2 * ny:(x2 + 1) * ny]
            for y in range(ny):
                v = w[x1, x2] * e[x1, x2, y]
                H[y, y] += v
                Sb[y, y] += v
                for y2 in range(ny):
                    v = d * e[x1, x2, y] * e[x1, x2, y2]
                    H[y, y2] += v
                    Sb[y, y2] += v
        for y in range(ny):
            H[y, y] = H[y, y] + delta if la[x1, y] else 1.0
        L = _chol(H, delta, stop)
        Lll[x1] = L
        for x2 in range(n2):
            if not fib[x1, x2]:
                continue
            d = w[x1, x2] / s[x1, x2]
            for yc in range(ny):
                col = np.zeros(ny)
                for y in range(ny):
                    if la[x1, y]:
                        col[y] = d * e[x1, x2, y] * e[x1, x2, yc]
                if la[x1, yc]:
                    col[yc] += w[x1, x2] * e[x1, x2, yc]
                _fwd(L, col)
                for y in range(ny):
                    Z[x1 * ny + y, x2 * ny + yc] = col[y] if la[x1, y] else 0.0
    # S -= Z^T Z by row panels of 64 (~0.25 s of BLAS each at 64^3; 256 took ~1 s) with a
    # Ctrl-C check between them. Each entry is one dot product over Z's rows whatever the
    # panel: the same bits
    for j0 in range(0, N, 64):
        if stop[0]:
            return Lll, S
        Zc = np.ascontiguousarray(Z[:, j0:j0 + 64])
        S[j0:j0 + 64, :] -= Zc.T @ Z
    mask = lbv.reshape(-1)
    for i in range(N):
        if not mask[i]:
            S[i, :] = 0.0
            S[:, i] = 0.0
            S[i, i] = 1.0
        else:
            S[i, i] += delta
    SL = _chol(S, delta, stop)
    return Lll, SL


@njit(cache=True, nogil=True)
def _ipm(a, b, px1, px2, tol, max_iter, stop):
    n1, ny = a.shape
    n2 = b.shape[0]
    la = a > 0
    lb = b > 0
    lbv = lb.copy()
    for y in range(ny):
        for x2 in range(n2):
            if lb[x2, y]:
                lbv[x2, y] = False
                break
    fib = np.zeros((n1, n2), dtype=np.bool_)
    nfib = 0
    for x1 in range(n1):
        for x2 in range(n2):
            for y in range(ny):
                if la[x1, y] and lb[x2, y]:
                    fib[x1, x2] = True
            nfib += fib[x1, x2]
    lam = np.where(la, 0.5 * np.log(a / px1.reshape(-1, 1)) - 0.05, 0.0)
    mu = np.where(lb, 0.5 * np.log(b / px2.reshape(-1, 1)) - 0.05, 0.0)
    e = np.zeros((n1, n2, ny))
    sig = np.zeros((n1, n2))
    _cells(lam, mu, la, lb, fib, e, sig)
    w = np.where(fib, np.outer(px1, px2), 0.0)
    s = np.where(fib, 1.0 - sig, 1.0)
    best = (_INF, -_INF, np.zeros((n1, n2, ny)), lam.copy(), mu.copy())
    last_gap = _INF
    stalls = 0
    it = 0
    rp = np.zeros((n1, n2))
    e_n = np.zeros_like(e)
    sig_n = np.zeros_like(sig)
    converged = False
    while it < max_iter and not stop[0]:
        it += 1
        rdl = np.where(la, a, 0.0)
        rdm = np.where(lbv, b, 0.0)
        ws = 0.0
        for x1 in range(n1):
            for x2 in range(n2):
                if not fib[x1, x2]:
                    continue
                ws += w[x1, x2] * s[x1, x2]
                rp[x1, x2] = 1.0 - sig[x1, x2] - s[x1, x2]
                for y in range(ny):
                    qv = w[x1, x2] * e[x1, x2, y]
                    rdl[x1, y] -= qv
                    rdm[x2, y] -= qv
        rdm = np.where(lbv, rdm, 0.0)
        muc = ws / nfib
        Lll, SL = _factor(e, w, s, fib, la, lbv, stop)
        if stop[0]:
            break
        rc = np.where(fib, -w * s, 0.0)
        dl, dm, dw, ds = _direction(rdl, rdm, rc, rp, Lll, SL, e, w, s, fib, la, lbv, a, b, 1)
        aa = _max_step(w, dw, s, ds, fib)
        muaff = 0.0
        for x1 in range(n1):
            for x2 in range(n2):
                if fib[x1, x2]:
                    muaff += (w[x1, x2] + aa * dw[x1, x2]) * (s[x1, x2] + aa * ds[x1, x2])
        muaff /= nfib
        sc = (muaff / muc) ** 3 if muc > 0 else 0.0
        rc = np.where(fib, sc * muc - w * s - dw * ds, 0.0)
        dl, dm, dw, ds = _direction(rdl, rdm, rc, rp, Lll, SL, e, w, s, fib, la, lbv, a, b, 6)
        alpha = min(1.0, 0.99 * _max_step(w, dw, s, ds, fib))
        while True:
            lam_n = lam + alpha * dl
            mu_n = mu + alpha * dm
            _cells(lam_n, mu_n, la, lb, fib, e_n, sig_n)
            smax = 0.0
            for x1 in range(n1):
                for x2 in range(n2):
                    if fib[x1, x2]:
                        smax = max(smax, sig_n[x1, x2])
            if (smax <= 2.0 and np.isfinite(smax)) or alpha < 1e-12:
                break
            alpha *= 0.5
        lam = lam_n
        mu = mu_n
        e, e_n = e_n, e
        sig, sig_n = sig_n, sig
        wsn = 0.0
        for x1 in range(n1):
            for x2 in range(n2):
                if fib[x1, x2]:
                    s[x1, x2] = max(s[x1, x2] + alpha * ds[x1, x2], 1e-300)
                    w[x1, x2] = max(w[x1, x2] + alpha * dw[x1, x2], 1e-300)
                    wsn += w[x1, x2] * s[x1, x2]
        if wsn < tol or it % 5 == 0 or it == max_iter:
            q = w.reshape(n1, n2, 1) * e  # e = 0 off the fibres' cells
            lam_m = np.where(la, lam, -_INF)
            mu_m = np.where(lb, mu, -_INF)
            up, lo, lam_s = _certify(a, b, la, lb, q, lam_m, mu_m)
            best = _keep(best, up, lo, q, lam_s, mu_m)
            gap = best[0] - best[1]
            if gap <= tol:
                converged = True
                break
            if wsn < tol:
                if gap < 0.9 * last_gap:
                    last_gap = gap
                    stalls = 0
                else:
                    stalls += 1
                    if stalls >= 4:
                        break
    return best[0], best[1], best[2], best[3], best[4], it, converged


@njit(cache=True)
def _keep(best, up, lo, q, lam, mu):
    """best = (upper, lower, its Q, its lam, its mu): the smallest upper bound with its Q and the
    largest lower bound with its dual."""
    if up < best[0]:
        best = (up, best[1], q, best[3], best[4])
    if lo > best[1]:
        best = (best[0], lo, best[2], lam, mu)
    return best


@njit(cache=True)
def _max_step(w, dw, s, ds, fib):
    a = 1.0
    n1, n2 = w.shape
    for x1 in range(n1):
        for x2 in range(n2):
            if not fib[x1, x2]:
                continue
            if dw[x1, x2] < 0:
                a = min(a, -w[x1, x2] / dw[x1, x2])
            if ds[x1, x2] < 0:
                a = min(a, -s[x1, x2] / ds[x1, x2])
    return a



@njit(cache=True)
def _half_step(y, tgt, marg, own, other_mask, other, logr, tmp):
    """tgt[t, y] = log marg[t, y] - LSE_o (logr[t, o] + other[o, y]) over o with
    other_mask[o, y] (the Sinkhorn scaling of one side; logr oriented (t, o))."""
    for t in range(tgt.shape[0]):
        if not own[t, y]:
            continue
        m = 0
        for o in range(other.shape[0]):
            if other_mask[o, y]:
                tmp[m] = logr[t, o] + other[o, y]
                m += 1
        mx = tmp[:m].max()
        tgt[t, y] = np.log(marg[t, y]) - (mx + np.log(np.exp(tmp[:m] - mx).sum()))

@njit(cache=True, nogil=True)
def _ipfp(a, b, tol, max_iter, check_every, stop):
    """Alternating I-projections, one warm-started log-domain Sinkhorn sweep per R-update;
    certificate every ``check_every`` sweeps (same as the C++ kernel)."""
    n1, ny = a.shape
    n2 = b.shape[0]
    la = a > 0
    lb = b > 0
    fib = np.zeros((n1, n2), dtype=np.bool_)
    for x1 in range(n1):
        for x2 in range(n2):
            for y in range(ny):
                if la[x1, y] and lb[x2, y]:
                    fib[x1, x2] = True
    px1 = a.sum(1)
    px2 = b.sum(1)
    logr = np.where(fib, np.log(np.outer(px1, px2)), -_INF)
    lam = np.full((n1, ny), -_INF)
    mu = np.where(lb, 0.0, -_INF)
    tmp = np.empty(max(n1, n2))
    best = (_INF, -_INF, np.zeros((n1, n2, ny)), lam.copy(), mu.copy())
    it = 0
    converged = False
    while it < max_iter and not stop[0]:
        it += 1
        for y in range(ny):
            _half_step(y, lam, a, la, lb, mu, logr, tmp)
            _half_step(y, mu, b, lb, la, lam, logr.T, tmp)
        check = it % check_every == 0 or it == max_iter
        q = np.zeros((n1, n2, ny))
        for x1 in range(n1):
            for x2 in range(n2):
                if not fib[x1, x2]:
                    continue
                mx = -_INF
                for y in range(ny):
                    if la[x1, y] and lb[x2, y]:
                        mx = max(mx, lam[x1, y] + mu[x2, y])
                sm = 0.0
                for y in range(ny):
                    if la[x1, y] and lb[x2, y]:
                        sm += np.exp(lam[x1, y] + mu[x2, y] - mx)
                        if check:
                            q[x1, x2, y] = np.exp(logr[x1, x2] + lam[x1, y] + mu[x2, y])
                logr[x1, x2] += mx + np.log(sm)
        if check:
            up, lo, lam_s = _certify(a, b, la, lb, q, lam, mu)
            best = _keep(best, up, lo, q, lam_s, mu.copy())
            if best[0] - best[1] <= tol:
                converged = True
                break
    return best[0], best[1], best[2], best[3], best[4], it, converged


#: joints with fewer cells are solved in the calling thread (a few ms at most, no worker)
_THREAD_MIN_CELLS = 1 << 12


def _interruptible(fn, *args):
    """fn(*args, stop) in a worker thread; Ctrl-C (any exception) in the waiting thread sets
    stop[0], joins the worker (it returns at its next check) and is raised again. Small
    joints (a = args[0] and b = args[1] with fewer than _THREAD_MIN_CELLS cells) run inline."""
    stop = np.zeros(1, dtype=np.int64)
    if args[0].shape[0] * args[1].shape[0] * args[0].shape[1] < _THREAD_MIN_CELLS:
        return fn(*args, stop)
    box = []
    done = threading.Event()

    def work():
        try:
            box.append((True, fn(*args, stop)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            box.append((False, exc))
        finally:
            done.set()

    # waits on an Event, not Thread.join: a KeyboardInterrupt inside join() can leave CPython
    # (<= 3.12) believing the thread has ended, so a second join() returned while it still ran
    threading.Thread(target=work, name="interplay-numba-pid", daemon=True).start()
    try:
        while not done.wait(0.05):
            pass
    except BaseException:
        stop[0] = 1
        while not done.wait(0.05):
            pass
        raise
    ok, value = box[0]
    if not ok:
        raise value
    return value


def _ipfp_driver(a, b, allowed, tol, max_iter):
    upper, lower, q, lam, mu, it, conv = _interruptible(
        _ipfp, np.ascontiguousarray(a), np.ascontiguousarray(b), float(tol), int(max_iter), 10)
    return float(upper), float(lower), q, lam, mu, int(it), bool(conv)


def _ipm_driver(a, b, allowed, tol, max_iter):
    swap = b.shape[0] > a.shape[0]
    if swap:
        a, b = b, a
    upper, lower, q, lam, mu, it, conv = _interruptible(
        _ipm, np.ascontiguousarray(a), np.ascontiguousarray(b), a.sum(1), b.sum(1), float(tol),
        int(max_iter))
    if swap:
        q = q.transpose(1, 0, 2)
        lam, mu = mu, lam
    return float(upper), float(lower), np.ascontiguousarray(q), lam, mu, int(it), bool(conv)


def broja(p, tol, max_iter, method, want_q):
    """Same contract as :func:`interplay.backends.reference.pid.broja`."""
    return _reference.broja(p, tol, max_iter, method, want_q, ipm=_ipm_driver,
                            ipfp=_ipfp_driver)
