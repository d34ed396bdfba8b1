"""Hypothesis properties of the exact engine and the transforms: efficiency, symmetry, dummy,
linearity, round trips (seeded: derandomize so CI runs are reproducible)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import interplay
from interplay import transforms

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def games(draw, n_min=2, n_max=7):
    n = draw(st.integers(n_min, n_max))
    return n, draw(arrays(np.float64, 1 << n, elements=finite))


@SETTINGS
@given(games())
def test_transform_round_trips(g):
    _, v = g
    np.testing.assert_allclose(transforms.zeta(transforms.moebius(v)), v, atol=1e-8)
    np.testing.assert_allclose(transforms.superset_zeta(transforms.superset_moebius(v)), v, atol=1e-8)


@SETTINGS
@given(games(), st.integers(1, 3))
def test_efficiency(g, k):
    n, v = g
    k = min(k, n)
    sv = interplay.exact(v, "SV")
    assert abs(sv.values[1:].sum() - (v[-1] - v[0])) < 1e-8 * (1 + np.abs(v).max())
    for name in ("k-SII", "STII", "FSII"):
        res = interplay.exact(v, name, k)
        assert abs(res.values.sum() - v[-1]) < 1e-7 * (1 + np.abs(v).max()), name


@SETTINGS
@given(games(n_min=2, n_max=6), st.integers(0, 5), st.integers(0, 5))
def test_symmetry(g, i, j):
    n, v = g
    i, j = i % n, j % n
    if i == j:
        return
    # symmetrise the game in players i and j: v'(T) = v(T with i and j swapped) averaged
    masks = np.arange(1 << n)
    bi, bj = (masks >> i) & 1, (masks >> j) & 1
    swapped = masks & ~((1 << i) | (1 << j)) | (bi << j) | (bj << i)
    w = 0.5 * (v + v[swapped])
    for name in ("SV", "BV"):
        res = interplay.exact(w, name)
        assert abs(res[(i,)] - res[(j,)]) < 1e-8 * (1 + np.abs(v).max())


@SETTINGS
@given(games(n_min=2, n_max=6), st.integers(0, 5), st.sampled_from(["SII", "BII", "STII", "FSII", "FBII", "k-SII"]))
def test_dummy_player(g, i, name):
    n, v = g
    i = i % n
    # make player i a dummy: v(T) = v(T minus i)
    masks = np.arange(1 << n)
    w = v[masks & ~(1 << i)]
    res = interplay.exact(w, name, min(2, n))
    for row, players in enumerate(res):
        if i in players:
            assert abs(res.values[row]) < 1e-8 * (1 + np.abs(v).max()), (name, players)


@SETTINGS
@given(games(n_min=1, n_max=6), finite, st.sampled_from(["SII", "BII", "STII", "FSII", "FBII", "Moebius", "CHII"]))
def test_linearity(g, a, name):
    n, v = g
    rng = np.random.default_rng(int(abs(a) * 1000) % 2**32)
    u = rng.normal(size=v.shape)
    k = min(2, n) if name != "Moebius" else None
    lhs = interplay.exact(a * v + u, name, k).values
    rhs = a * interplay.exact(v, name, k).values + interplay.exact(u, name, k).values
    np.testing.assert_allclose(lhs, rhs, atol=1e-7 * (1 + abs(a)) * (1 + np.abs(v).max()))
