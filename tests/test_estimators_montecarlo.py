"""SHAP-IQ's and SVARM-IQ's size-level estimate centred by each size's own mean is exactly
unbiased: averaged over every possible sample of a size (all k-subsets of its C(n, t)
coalitions, drawn without replacement as the stream draws them; complement pairs in the middle
size when pairing), it equals the index (interplay.exact) to rounding. The naive reference is
the enumeration itself; the other sizes are complete (exact) in these samples.
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
import pytest

import interplay
from interplay.estimators import make_estimator


def popcount(masks):
    return np.array([bin(int(m)).count("1") for m in masks])


def estimate_from(method, index, order, n, table, masks, draw, pairing, thin=False):
    """The estimator's values on a given sample (stream order: sizes, draw ids)."""
    masks = np.asarray(masks, dtype=np.uint64)
    est = make_estimator(n, index, max(len(masks), 2), max_order=order, method=method, seed=0,
                         pairing=pairing)
    est._set_plan(masks[:, None])
    est._sizes = popcount(masks)
    est._draw = np.asarray(draw, dtype=np.int64)
    est.full_enumeration = False
    if thin:  # SVARM-IQ: every size by its size-level estimate
        est.min_stratum_draws = np.inf
    est._store(np.arange(len(masks)), table[masks.astype(np.int64)], squeeze=True)
    values, stderr, _ = est._compute(len(masks))
    return values[:, 0], stderr[:, 0]


def complete_sizes(n, skip):
    return [m for m in range(1 << n) if bin(m).count("1") not in skip]


@pytest.mark.parametrize("method,thin", [("shapiq", False), ("svarmiq", True)])
@pytest.mark.parametrize("index", ["SII", "k-SII", "STII"])
def test_centred_size_estimate_is_unbiased(method, thin, index):
    """n = 6, order 2, no pairing: size 3 sampled (3 of its 20 coalitions, every 3-subset),
    the others complete. The mean over the 1140 samples equals the index to 1e-12 although
    the game has an offset and a size-dependent level (a plain Horvitz-Thompson estimate is
    unbiased too; the centred one removes the level's noise)."""
    n, t, k = 6, 3, 3
    rng = np.random.default_rng(1)
    sizes = popcount(np.arange(1 << n))
    table = 2.0 + 0.5 * sizes + rng.normal(size=1 << n)
    truth = interplay.exact(table, index, 2).values
    base = complete_sizes(n, {t})
    pool = [m for m in range(1 << n) if bin(m).count("1") == t]
    acc = np.zeros_like(truth)
    count = 0
    for pick in combinations(pool, k):
        masks = base + list(pick)
        vals, _ = estimate_from(method, index, 2, n, table, masks, np.arange(len(masks)),
                                pairing=False, thin=thin)
        acc += vals
        count += 1
    assert count == comb(20, 3)
    np.testing.assert_allclose(acc / count, truth, rtol=0, atol=1e-12)


@pytest.mark.parametrize("index", ["k-SII", "STII"])
def test_centred_middle_size_of_pairs_is_unbiased(index):
    """With complement pairing the middle size n/2 draws pairs (T, N minus T): the
    correction uses pairs as units and the pair-symmetrised weight (k-SII's and STII's
    weights are not symmetric under complement). n = 6, 2 of the 10 pairs of size 3, every
    choice: the mean equals the index to 1e-12."""
    n = 6
    rng = np.random.default_rng(2)
    sizes = popcount(np.arange(1 << n))
    table = -1.0 + 0.3 * sizes ** 2 + rng.normal(size=1 << n)
    truth = interplay.exact(table, index, 2).values
    base = complete_sizes(n, {3})
    full = (1 << n) - 1
    pairs = [(m, full ^ m) for m in range(1 << n) if bin(m).count("1") == 3 and m < full ^ m]
    assert len(pairs) == 10
    acc = np.zeros_like(truth)
    for a, b in combinations(pairs, 2):
        masks = base + [a[0], a[1], b[0], b[1]]
        draw = list(range(len(base))) + [len(base)] * 2 + [len(base) + 1] * 2
        vals, _ = estimate_from("shapiq", index, 2, n, table, masks, draw, pairing=True)
        acc += vals
    np.testing.assert_allclose(acc / 45, truth, rtol=0, atol=1e-12)


def test_level_noise_is_removed():
    """A game whose value is a function of the size plus small noise: the centred size-level
    estimate's error is the noise's, not the level's (v(empty)-centring alone left the level
    E[v | t] - v(empty) in every sampled size: 20x larger error here)."""
    n = 10
    rng = np.random.default_rng(3)
    sizes = popcount(np.arange(1 << n))
    table = 5.0 + np.sin(sizes) * 3 + 0.01 * rng.normal(size=1 << n)
    truth = interplay.exact(table, "SII", 2).values
    powers = 1 << np.arange(n)
    game = lambda c: table[np.asarray(c, dtype=np.int64) @ powers]
    errs = [np.mean((interplay.approximate(game, n, "SII", 300, method="shapiq", seed=s).values
                     - truth)[1:] ** 2) for s in range(5)]
    assert np.mean(errs) < 1e-5, errs
