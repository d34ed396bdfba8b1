"""The cheap identifiability decisions (full rank proven from the complete sizes, or from a
full-rank prefix of the plan) agree with the Gram-matrix rank of the whole design
(estimators/_identify.py, Estimator.identification)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from interplay.estimators import make_estimator
from interplay.estimators import _kernelshapiq as ksiq
from interplay.estimators._kernelshapiq import _lambda
from scipy.special import bernoulli

CONFIGS = [("SV", "kernelshap", 1), ("FSII", "regression", 2), ("FBII", "regression", 2),
           ("BV", "regression", 1), ("FSII", "regression", 3), ("k-SII", "kernelshapiq", 2),
           ("SII", "kernelshapiq", 1), ("SII", "kernelshapiq", 3)]


@pytest.mark.parametrize("index,method,k", CONFIGS)
@pytest.mark.parametrize("n", [5, 7, 9, 12])
def test_shortcuts_agree_with_the_gram_rank(index, method, k, n, monkeypatch):
    # the size proofs are bypassed inside _identify so that it is the plain Gram test
    monkeypatch.setattr(ksiq, "_complete_rows_determine", lambda n, s, complete: False)
    budget = min((1 << n) - 1, 12 * (1 << k) * n * n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = make_estimator(n, index, budget, max_order=k, method=method, seed=3)
    monkeypatch.setattr(type(est), "_complete_triangle", lambda self, upto: False,
                        raising=False)
    probes = sorted({int(b) for b in np.geomspace(4, est.n_planned, 14)} | {est.n_planned})
    for upto in probes:
        fast = est.identification(upto)
        slow = est._identify(upto)  # the Gram test on all rows
        assert fast.ok == slow.ok, (upto, fast.ranks, slow.ranks)
        if slow.ok:
            assert fast.ranks == slow.ranks


@pytest.mark.parametrize("index,method,k", CONFIGS[:5])
@pytest.mark.parametrize("n,budget,seed", [(6, 40, 0), (8, 120, 1), (10, 400, 2),
                                           (12, 1500, 3), (20, 10_000, 0)])
def test_complete_sizes_prove_full_rank(index, method, k, n, budget, seed):
    """Whenever the regression's size proof fires, the Gram test finds full rank."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = make_estimator(n, index, budget, max_order=k, method=method, seed=seed)
    for upto in sorted({est.n_planned, est.n_planned // 2, est.n_planned // 4}):
        if upto >= 2 and est._complete_triangle(upto):
            assert est._identify(upto).ok  # the Gram test on the same rows


@pytest.mark.parametrize("n", range(2, 9))
@pytest.mark.parametrize("s", [1, 2])
def test_kernelshapiq_size_proof_is_the_dense_rank(n, s):
    """Order s <= 2: all coalitions of size s (or n - s) give the order-s Bernoulli design
    full rank C(n, s) exactly when _complete_rows_determine says so."""
    if s > n:
        return
    bern = bernoulli(s)
    cols = list(itertools.combinations(range(n), s))
    for t in (s, n - s):
        rows = list(itertools.combinations(range(n), t))
        D = np.array([[_lambda(s, len(set(T) & set(S)), bern) for S in cols] for T in rows])
        full = D.size > 0 and np.linalg.matrix_rank(D) == len(cols)
        complete = np.zeros(n + 1, dtype=bool)
        complete[t] = True
        assert ksiq._complete_rows_determine(n, s, complete) == full, (n, s, t)
