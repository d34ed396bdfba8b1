"""interplay.indices: value identity, weights, user-defined indices (both weight forms)."""

from math import comb, factorial

import numpy as np
import pytest

import interplay
from interplay import indices as ix
from interplay.indices import _weights as W

from .reference import naive_indices as R

TOL = dict(rtol=1e-10, atol=1e-10)


def test_equal_and_hashable_by_value():
    assert ix.WeightedBII(p=0.5, order=3) == ix.BII(order=3)
    assert hash(ix.WeightedBII(p=0.5, order=3)) == hash(ix.BII(order=3))
    assert ix.WeightedBV(0.5) == ix.BV() == ix.BII(order=1) == ix.WeightedBII(0.5, 1)
    assert ix.FWBII(0.5, 2) == ix.FBII(2)
    assert ix.SII(order=1) == ix.SV() == ix.KSII(1) == ix.STII(1) == ix.FSII(1) == ix.CHII(1)
    assert ix.SII(2) != ix.SII(3)
    assert ix.SII(2) != ix.BII(2)
    assert ix.WeightedBII(0.3, 2) != ix.BII(2)
    assert ix.FBII(1) != ix.BV()  # same name "BV", different empty-set entry (intercept)
    assert len({ix.SII(2), ix.SII(order=2), ix.BII(2), ix.WeightedBII(0.5, 2)}) == 2
    assert ix.Moebius() == ix.Moebius(None) != ix.Moebius(2)


def test_names_citations_capabilities():
    for idx in [ix.SV(), ix.BV(), ix.WeightedBV(0.2), ix.SII(2), ix.BII(2), ix.CHII(2), ix.KSII(2),
                ix.STII(2), ix.FSII(2), ix.FBII(2), ix.FWBII(0.2, 2), ix.Moebius(), ix.CoMoebius()]:
        assert isinstance(idx.citation, str) and len(idx.citation) > 10
        assert "moebius_weights" in idx.capabilities
        assert idx.baseline in ("empty", "intercept")
        assert repr(idx).startswith(type(idx).__name__)
    assert ix.SV().name == "SV" and ix.SII(1).name == "SV" and ix.KSII(2).name == "k-SII"
    assert ix.WeightedBV(0.3).name == "WBV" and ix.WeightedBII(0.3, 2).name == "WBII"
    assert ix.FWBII(0.3, 2).name == "FWBII" and ix.FBII(2).name == "FBII"
    assert "semivalue" in ix.SV().capabilities and "semivalue" in ix.WeightedBV(0.3).capabilities
    assert "regression" in ix.FSII(2).capabilities and "regression" in ix.FWBII(0.3, 2).capabilities
    assert ix.FBII(2).baseline == "intercept" and ix.SII(2).baseline == "empty"
    assert set(ix.INDEX_NAMES) >= {"SV", "BV", "WBV", "SII", "BII", "WBII", "CHII", "k-SII",
                                   "STII", "FSII", "FBII", "FWBII", "Moebius", "Co-Moebius"}


def test_get_index_strings_and_objects():
    assert ix.get_index("SII", 3) == ix.SII(3)
    assert ix.get_index("WBII", 2, p=0.25) == ix.WeightedBII(0.25, 2)
    assert ix.get_index(ix.SII(3)) is not None and ix.get_index(ix.SII(3), 2) == ix.SII(2)
    assert ix.get_index(ix.FWBII(0.2, 3), 2) == ix.FWBII(0.2, 2)
    with pytest.raises(ValueError, match="max_order"):
        ix.get_index(ix.SV(), 2)


def test_regression_kernels():
    n = 6
    mu = ix.FSII(2).regression_kernel(n)
    assert np.isinf(mu[0]) and np.isinf(mu[n])
    t = np.arange(1, n)
    shapley_kernel = (n - 1) / (np.array([comb(n, int(x)) for x in t]) * t * (n - t))
    np.testing.assert_allclose(mu[1:n] / mu[1], shapley_kernel / shapley_kernel[0])
    np.testing.assert_allclose(ix.FWBII(0.3, 2).regression_kernel(3), [0.343, 0.147, 0.063, 0.027])
    with pytest.raises(NotImplementedError):
        ix.SII(2).regression_kernel(4)


def test_weight_forms_are_inverse():
    for idx in [ix.SII(3), ix.FSII(2), ix.KSII(3), ix.FWBII(0.3, 2), ix.STII(3)]:
        for n in (3, 6, 9):
            c = idx.moebius_weights(n)
            w = idx.derivative_weights(n)
            np.testing.assert_allclose(W.derivative_to_moebius(w, n), c, atol=1e-12)


def test_textbook_derivative_weights_of_sii_and_bii():
    n = 7
    w = ix.SII(2).derivative_weights(n)
    for s in range(3):
        for t in range(n - s + 1):
            assert w[s, t] == pytest.approx(factorial(n - t - s) * factorial(t) / factorial(n - s + 1))
    wb = ix.WeightedBII(0.3, 2).derivative_weights(n)
    for s in range(3):
        for t in range(n - s + 1):
            assert wb[s, t] == pytest.approx(0.3**t * 0.7 ** (n - s - t))


def test_bernoulli_numbers():
    assert [W.bernoulli(j) for j in range(7)] == [1, -0.5, pytest.approx(1 / 6), 0, pytest.approx(-1 / 30), 0, pytest.approx(1 / 42)]


# ------------------------------------------------------------------ user-defined indices
def _sii_derivative(n, k=2):
    return np.array([[factorial(n - t - s) * factorial(t) / factorial(n - s + 1) if t <= n - s else 0.0
                      for t in range(n + 1)] for s in range(k + 1)])


def _sii_moebius(n, k=2):
    return np.array([[1.0 / (t - s + 1) if t >= s else 0.0 for t in range(n + 1)] for s in range(k + 1)])


def test_custom_index_from_sii_weights_equals_sii(backend, rng):
    n = 8
    v = rng.normal(size=(1 << n, 2))
    sii = interplay.exact(v, "SII", 2, backend=backend)
    for custom in [
        ix.CardinalIndex("my-SII", 2, derivative_weights=_sii_derivative),
        ix.CardinalIndex("my-SII", 2, moebius_weights=_sii_moebius),
        ix.CardinalIndex("my-SII", 2, moebius_weights=_sii_moebius(n)),  # fixed-n array
    ]:
        res = interplay.exact(v, custom, backend=backend)
        assert res.index == "my-SII"
        np.testing.assert_array_equal(res.sets, sii.sets)
        np.testing.assert_allclose(res.values, sii.values, **TOL)


def test_custom_semivalue_matches_brute_force(rng):
    n = 7
    beta = lambda n: np.array([(t + 1.0) / (n * (n + 1) / 2) / comb(n - 1, t) for t in range(n)])
    sv = ix.Semivalue("beta-ish", beta)
    v = rng.normal(size=1 << n)
    res = interplay.exact(v, sv)
    ref = R.cardinal(v, n, 1, lambda n_, s, t: beta(n_)[t] if s else 0.0)
    ref[0] = v[0]
    np.testing.assert_allclose(res.values, R.as_array(ref, n, 1), **TOL)
    assert res[()] == v[0]
    # Shapley weights as a semivalue reproduce SV
    shap = ix.Semivalue("shapley", lambda n: np.array([1 / (n * comb(n - 1, t)) for t in range(n)]))
    np.testing.assert_allclose(interplay.exact(v, shap).values, interplay.exact(v, "SV").values, **TOL)


def test_custom_equality():
    f = _sii_moebius
    a = ix.CardinalIndex("x", 2, moebius_weights=f)
    assert a == ix.CardinalIndex("x", 2, moebius_weights=f)
    assert a != ix.CardinalIndex("y", 2, moebius_weights=f)
    arr = _sii_moebius(5)
    assert ix.CardinalIndex("x", 2, moebius_weights=arr) == ix.CardinalIndex("x", 2, moebius_weights=arr.copy())
    assert len({a, ix.CardinalIndex("x", 2, moebius_weights=f)}) == 1


def test_invalid_custom_weights():
    v = np.zeros(1 << 5)
    with pytest.raises(ValueError, match="exactly one"):
        ix.CardinalIndex("x", 2)
    with pytest.raises(ValueError, match="exactly one"):
        ix.CardinalIndex("x", 2, moebius_weights=_sii_moebius, derivative_weights=_sii_derivative)
    with pytest.raises(ValueError, match="defines orders 0..1 but the index has order 2"):
        interplay.exact(v, ix.CardinalIndex("x", 2, moebius_weights=lambda n: _sii_moebius(n, 1)))
    with pytest.raises(ValueError, match="columns"):
        interplay.exact(v, ix.CardinalIndex("x", 2, moebius_weights=_sii_moebius(4)))
    with pytest.raises(ValueError, match="NaN"):
        bad = _sii_moebius(5)
        bad[1, 3] = np.nan
        ix.CardinalIndex("x", 2, moebius_weights=bad)
    with pytest.raises(ValueError, match="2-D"):
        ix.CardinalIndex("x", 2, moebius_weights=np.ones(6))
    with pytest.raises(TypeError, match="numeric"):
        interplay.exact(v, ix.CardinalIndex("x", 1, moebius_weights=lambda n: [["a"] * (n + 1)] * 2))
    with pytest.raises(ValueError, match="shape"):
        interplay.exact(v, ix.Semivalue("s", np.ones(4)))
    with pytest.raises(ValueError, match="NaN"):
        interplay.exact(v, ix.Semivalue("s", np.array([1, 1, np.inf, 1, 1.0])))
    with pytest.raises(TypeError, match="name"):
        ix.CardinalIndex("", 2, moebius_weights=_sii_moebius)
    with pytest.raises(ValueError, match="baseline"):
        ix.CardinalIndex("x", 2, moebius_weights=_sii_moebius, baseline="mean")
    with pytest.raises(ValueError, match="order"):
        ix.CardinalIndex("x", 0, moebius_weights=_sii_moebius)
    with pytest.raises(ValueError, match="max_order"):
        interplay.exact(np.zeros(4), ix.SII(3))
