"""Regression estimators with fewer sampled coalitions than basis terms (m < K): the dual
(kernel) form of the ridge solution against a dense design matrix, the primal path, the
intersection-kernel backends against a naive reference, and the memory plan."""

from __future__ import annotations

import warnings
from math import comb

import numpy as np
import pytest

import interplay
from interplay.estimators import make_estimator
from interplay.games import SumOfUnanimityGames
from tests.reference import dense_regression as dr

N_GROUPS = 32


def _run(n, index, budget, k, *, p=0.5, d=1, solver="auto", backend="auto", seed=3):
    games = [SumOfUnanimityGames.random(n, 25, max_size=3, seed=10 + j) for j in range(d)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = make_estimator(n, index, budget, max_order=k, p=p, seed=seed, backend=backend,
                             method="regression")
    est._solver = solver
    # fewer coalitions than terms: not determined, warned before any game call (issue 11)
    assert any(w.category is interplay.UnderdeterminedWarning for w in caught)
    rows, vals = [], []
    while (C := est.next_coalitions()) is not None:
        V = np.stack([g(C) for g in games], axis=1)
        rows.append(C)
        vals.append(V)
        est.tell(V if d > 1 else V[:, 0])
    res = est.result()
    assert res.info["identifiable"] is False and np.isinf(res.stderr[1:]).all()
    return res, np.concatenate(rows), np.concatenate(vals), est


def _fit_stderr(est, squeeze=True):
    """The linearised random-group standard errors the fit computes internally (the result
    reports inf instead: the fit is under-determined); compared here as a check of the dual
    machinery against the dense reference."""
    est._dof_factor = lambda terms, delta=None: 1.0  # the raw linearised variance (no u / (u - p))
    se = est._compute(est.n_planned)[1]
    del est._dof_factor
    return se[:, 0] if squeeze else se


def _dense(C, V, draw, n, k, index, p):
    """Values and standard errors of the ridge fit from the dense design matrix."""
    shapley = index in ("SV", "FSII")
    sizes = C.sum(axis=1)
    kcount = np.bincount(sizes, minlength=n + 1)
    mass = dr.shapley_size_mass(n) if shapley else dr.binomial_size_mass(n, p)
    w = mass[sizes] / kcount[sizes]
    lo = 1 if shapley else 0
    fit = np.flatnonzero(w > 0)
    coal = [set(np.flatnonzero(r)) for r in C]
    Phi = dr.design([coal[i] for i in fit], n, lo, k)
    K = Phi.shape[1]
    eps = 1e-10 * np.mean(np.einsum("t,ts->s", w[fit], Phi**2))
    if shapley:
        v0 = V[sizes == 0][0]
        vN = V[sizes == n][0]
        Y = V - v0
        beta = dr.ridge(Phi, w[fit], Y[fit], eps, (np.ones(K), vN - v0))
    else:
        Y = V
        beta = dr.ridge(Phi, w[fit], Y[fit], eps)
    # finite-population factor of each size sampled without replacement (issue 11)
    fpc = np.sqrt(1.0 - kcount / np.array([comb(n, t) for t in range(n + 1)]))[sizes]
    resid = (Y[fit] - Phi @ beta) * fpc[fit, None]
    complete = np.array([kcount[t] == comb(n, t) for t in range(n + 1)])
    g = np.where(complete[sizes], N_GROUPS, draw % N_GROUPS)[fit]
    d = V.shape[1]
    deltas = []
    for r in range(N_GROUPS):
        e = np.where((g == r)[:, None], resid, 0.0)
        cons = (np.ones(K), np.zeros(d)) if shapley else None
        deltas.append(dr.ridge(Phi, w[fit], e, eps, cons))
    delta = np.stack(deltas)
    if shapley:
        values = np.vstack([v0[None], beta])
        delta = np.concatenate([np.zeros((N_GROUPS, 1, d)), delta], axis=1)
    else:
        values = beta.copy()
        if index in ("BV", "WBV"):
            values[0] += p * beta[1:].sum(axis=0)
            delta[:, 0] += p * delta[:, 1:].sum(axis=1)
    var = N_GROUPS / (N_GROUPS - 1) * ((delta - delta.mean(axis=0)) ** 2).sum(axis=0)
    return values, np.sqrt(var)


# (n, k, budget, index, p), all with budget < K basis terms. With pairing (p = 0.5) the rows
# of Phi are dependent (phi of N minus T is an affine map of phi_T: rank ~ m/2 + n), the dual
# coefficients then carry components ~ 1/eps that cancel in beta = Phi^T alpha, and the ridge
# solution (eps = 1e-10 mean diag G) is reproduced to ~1e-6 only (the primal Cholesky of
# G + eps I used for K > 600 so far: ~1e-5); with independent rows to ~1e-12.
INDEPENDENT = [
    (11, 2, 50, "FWBII", 0.3),
    (9, 3, 70, "FSII", 0.5),
    (24, 1, 20, "WBV", 0.3),
    (14, 2, 90, "FWBII", 0.35),
]
DEPENDENT = [
    (10, 2, 40, "FSII", 0.5),
    (10, 2, 40, "FBII", 0.5),
    (24, 1, 16, "SV", 0.5),
    (24, 1, 16, "BV", 0.5),
]


def _rank(C, n, k, lo):
    sizes = C.sum(axis=1)
    fit = (sizes > 0) & (sizes < n) if lo else np.ones(len(C), bool)
    return np.linalg.matrix_rank(dr.design([set(np.flatnonzero(r)) for r in C[fit]], n, lo, k)), \
        int(fit.sum())


@pytest.mark.parametrize("case", INDEPENDENT + DEPENDENT)
def test_dual_equals_dense_ridge(case, backend):
    n, k, budget, index, p = case
    res, C, V, est = _run(n, index, budget, k, p=p, backend=backend)
    assert res.info["solver"] == "dual-cholesky"
    values, stderr = _dense(C, V, est._draw[: C.shape[0]], n, k, index, p)
    rank, m = _rank(C, n, k, 1 if index in ("SV", "FSII") else 0)
    tol = 1e-8 if case in INDEPENDENT else 1e-5
    assert (rank == m) == (case in INDEPENDENT)  # the cases cover what they claim
    scale = np.abs(values).max()
    np.testing.assert_allclose(res.values, values[:, 0], rtol=0, atol=tol * scale)
    # stderr: sqrt of a sum over 32 groups, an error ~1e-6 in each delta_r shows ~5x larger
    np.testing.assert_allclose(_fit_stderr(est), stderr[:, 0], rtol=0, atol=5 * tol * scale)


@pytest.mark.parametrize("n,k,budget,index,p", [
    # K = 820 > 600: the primal path used the ridge Cholesky too (FSII: 48 s on 2 loaded cores)
    pytest.param(40, 2, 300, "FSII", 0.5, marks=pytest.mark.slow),
    (40, 2, 300, "FBII", 0.5),
    (40, 2, 300, "FWBII", 0.3),
    (9, 3, 70, "FSII", 0.5),
    (14, 2, 90, "FWBII", 0.35),
])
def test_dual_equals_primal_path(n, k, budget, index, p):
    """The previous (primal) path on the same plan: equal up to the primal's own error. With
    K > 600 it factorised G + eps I (condition ~ 1e10) and is ~1e-4 off the dense ridge
    solution (measured 1.2e-4 FSII, 2.5e-4 FBII at n = 40), the dual ~1e-6."""
    dual, C, V, est = _run(n, index, budget, k, p=p)
    primal, _, _, est_primal = _run(n, index, budget, k, p=p, solver="primal")
    assert dual.info["solver"] == "dual-cholesky" and primal.info["solver"] != "dual-cholesky"
    values, _ = _dense(C, V, est._draw[: C.shape[0]], n, k, index, p)
    scale = np.abs(values).max()
    err_dual = np.abs(dual.values - values[:, 0]).max() / scale
    err_primal = np.abs(primal.values - values[:, 0]).max() / scale
    assert err_dual <= 1e-5 and err_dual <= err_primal + 1e-7
    np.testing.assert_allclose(dual.values, primal.values, rtol=0, atol=1e-3 * scale)
    np.testing.assert_allclose(_fit_stderr(est), _fit_stderr(est_primal), rtol=0,
                               atol=1e-3 * scale)


@pytest.mark.parametrize("index,p", [("FSII", 0.5), ("FWBII", 0.3)])
def test_dual_multi_output_equals_single_runs(index, p):
    n, k, budget = 16, 2, 80
    res, C, V, est = _run(n, index, budget, k, p=p, d=3)
    assert res.values.shape == (137, 3)  # 1 + 16 + 120 sets
    values, stderr = _dense(C, V, est._draw[: C.shape[0]], n, k, index, p)
    tol = 1e-5 * np.abs(values).max()
    np.testing.assert_allclose(res.values, values, rtol=0, atol=tol)
    np.testing.assert_allclose(_fit_stderr(est, squeeze=False), stderr, rtol=0, atol=tol)


def test_kernel_backends_equal_naive(backend, rng):
    from interplay.estimators._kernels import intersection_kernel

    for n, m in ((5, 7), (64, 30), (70, 25), (130, 20)):
        W = (n + 63) // 64
        S = rng.integers(0, 2**63, size=(m, W), dtype=np.uint64)
        S |= rng.integers(0, 2, size=(m, W), dtype=np.uint64) << np.uint64(63)  # top bits too
        if n % 64:
            S[:, -1] &= np.uint64((1 << (n % 64)) - 1)
        table = rng.normal(size=n + 1)
        want = dr.naive_intersection_kernel(S, table)
        got = intersection_kernel(S, n, table, backend=backend)
        np.testing.assert_array_equal(got, want)
    assert intersection_kernel(np.zeros((0, 1), np.uint64), 5, np.ones(6)).shape == (0, 0)


def test_kernel_bad_input():
    from interplay.estimators._kernels import intersection_kernel

    S = np.zeros((3, 1), dtype=np.uint64)
    with pytest.raises(ValueError, match="table must"):
        intersection_kernel(S, 10, np.ones(5))
    with pytest.raises(ValueError, match="table must"):
        intersection_kernel(S, 10, np.ones((11, 2)))
    from interplay import _core

    with pytest.raises(ValueError, match="words"):
        _core.sampling.intersection_kernel(np.zeros((3, 2), np.uint64), 10, np.ones(11),
                                           np.zeros((3, 3)))
    with pytest.raises(ValueError, match="shape"):
        _core.sampling.intersection_kernel(S, 10, np.ones(11), np.zeros((3, 2)))


def test_memory_plan_counts_the_dual():
    from interplay.estimators._stratified import regression_plan_bytes

    # n = 196, order 2: K = 19,307 terms, the primal plan 2 K^2 doubles and an int32 table: 5 GB
    assert regression_plan_bytes(196, 2) > 4.5e9
    assert regression_plan_bytes(196, 2, rows=5000, min_order=0) < 0.25e9  # 5000^2 doubles
    est = make_estimator(196, "FBII", 5000, max_order=2, seed=0, method="regression")
    assert est.plan_bytes < 0.25e9


def test_n150_order2_budget3000_runs_with_modest_memory():
    n = 150
    game = SumOfUnanimityGames.random(n, 40, max_size=2, seed=1)
    with pytest.warns(interplay.UnderdeterminedWarning, match="11325 basis terms"):
        res = interplay.approximate(game, n, "FSII", 3000, max_order=2, seed=0,
                                    method="regression")
    assert res.info["solver"] == "dual-cholesky"
    assert res.info["plan_bytes"] < 0.2e9  # the primal plan: 3 x 11,326^2 doubles = 3 GB
    # 3000 coalitions for 11,325 terms: values returned, not determined (inf stderr)
    assert np.isfinite(res.values).all() and np.isinf(res.stderr[1:]).all()
    # efficiency holds exactly (the constraint row of the dual system)
    np.testing.assert_allclose(res.values[1:].sum(), game(np.ones((1, n), bool))[0]
                               - game(np.zeros((1, n), bool))[0], rtol=1e-9)


# ------------------------------------------------------------------- KernelSHAP-IQ per order
def _lam(s, l):
    from scipy.special import bernoulli

    b = bernoulli(max(s, 1))
    return sum(comb(l, j) * b[s - j] for j in range(1, l + 1))


def _kernelshapiq_dense(C, V, n, k):
    """Orders 1..k fitted in turn on the residual (Fumagalli et al. 2024) with the dense
    Bernoulli design Phi_s[T, S] = lambda_s(|T n S|); an order with fewer coalitions than
    terms gets the ridge eps = 1e-10 mean diag G (the others are full rank: plain LS)."""
    sizes = C.sum(axis=1)
    kcount = np.bincount(sizes, minlength=n + 1)
    adjust = np.array([comb(n, t) / kcount[t] if kcount[t] else 0.0 for t in range(n + 1)])
    coal = [set(np.flatnonzero(r)) for r in C]
    r = V - V[sizes == 0][0]
    out = []
    for s in range(1, k + 1):
        mu = np.full(n + 1, 1e8)
        for t in range(s, n - s + 1):
            mu[t] = 1.0 / ((n - 2 * s + 1) * comb(n - 2 * s, t - s))
        w = (mu * adjust)[sizes]
        B = dr.basis(n, s, s)
        Phi = np.array([[_lam(s, len(S & T)) for S in B] for T in coal])
        G = (Phi.T * w) @ Phi
        if len(coal) < len(B):
            beta = dr.ridge(Phi, w, r, 1e-10 * np.mean(np.diag(G)))
        else:
            beta = np.linalg.solve(G, (Phi.T * w) @ r)
        out.append(beta)
        r = r - Phi @ beta
    return np.concatenate(out)


@pytest.mark.parametrize("n,budget", [(12, 60), (16, 100)])
def test_kernelshapiq_dual_order_equals_dense_ridge(n, budget, backend):
    game = SumOfUnanimityGames.random(n, 25, max_size=3, seed=4)
    est = make_estimator(n, "SII", budget, max_order=2, seed=2, method="kernelshapiq",
                         backend=backend)
    rows = []
    while (C := est.next_coalitions()) is not None:
        rows.append(C)
        est.tell(game(C))
    res = est.result()
    C = np.concatenate(rows)
    assert C.shape[0] < comb(n, 2)  # order 2 in the dual form
    want = _kernelshapiq_dense(C, game(C)[:, None], n, 2)[:, 0]
    np.testing.assert_allclose(res.values[1:], want, rtol=0, atol=1e-5 * np.abs(want).max())


def test_kernelshapiq_dual_equals_primal_ridge_path():
    """n = 40: C(40, 2) = 780 > 600 order-2 terms, where the primal path factorised G + eps I
    too (smaller singular systems got a Cholesky without ridge: 1-3x off the ridge solution)."""
    n, budget = 40, 400
    game = SumOfUnanimityGames.random(n, 30, max_size=3, seed=5)
    out = {}
    for solver in ("auto", "primal"):
        est = make_estimator(n, "SII", budget, max_order=2, seed=1, method="kernelshapiq")
        est._solver = solver
        while (C := est.next_coalitions()) is not None:
            est.tell(game(C))
        out[solver] = est.result()
    scale = np.abs(out["primal"].values).max()
    np.testing.assert_allclose(out["auto"].values, out["primal"].values, rtol=0,
                               atol=1e-3 * scale)
    np.testing.assert_allclose(out["auto"].stderr, out["primal"].stderr, rtol=0,
                               atol=1e-3 * scale)
