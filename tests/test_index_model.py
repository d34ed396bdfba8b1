"""The index model: everything an index is (weights, capabilities, what estimators need from it)
is declared by its class in interplay.indices, and the closed forms agree with the exact ones."""

from math import comb

import numpy as np
import pytest

import interplay
import interplay.indices as ix
from interplay.indices import _weights as W

BUILTIN = [ix.SV(), ix.BV(), ix.WeightedBV(0.3), ix.SII(1), ix.SII(3), ix.BII(2),
           ix.WeightedBII(0.3, 3), ix.CHII(1), ix.CHII(3), ix.KSII(1), ix.KSII(3), ix.STII(1),
           ix.STII(3), ix.FSII(1), ix.FSII(2), ix.FBII(2), ix.FWBII(0.3, 2), ix.Moebius(3),
           ix.CoMoebius(2), ix.Semivalue("shapley", lambda n: np.array(
               [1 / (n * comb(n - 1, t)) for t in range(n)]))]


@pytest.mark.parametrize("idx", BUILTIN, ids=repr)
def test_derivative_weights_invert_to_the_moebius_weights(idx):
    # the closed forms (float, lgamma) and the exact rational Moebius weights are one index
    for n in (3, 7, 12):
        w = idx.derivative_weights(n)
        k = idx.resolve_order(n)
        assert w.shape == (k + 1, n + 1)
        for s in range(k + 1):
            assert not w[s, n - s + 1:].any()
        np.testing.assert_allclose(W.derivative_to_moebius(w, n), idx.moebius_weights(n),
                                   rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("idx", BUILTIN, ids=repr)
def test_declared_properties_match_the_weights(idx):
    n = 6
    c = idx.moebius_weights(n)
    assert idx.empty_is_value == bool(c[0, 0] == 1 and not c[0, 1:].any())
    assert idx.capabilities <= set(ix.CAPABILITIES)
    assert {"moebius_weights", "derivative_weights"} <= idx.capabilities
    assert idx.kind == ("value" if idx.resolve_order(n) == 1 else "interaction")
    if "regression" in idx.capabilities:
        mu = idx.regression_kernel(n)
        assert mu.shape == (n + 1,) and np.all(mu > 0)
    if idx.name == "SV":  # every order-1 Shapley member is the Shapley value, in every respect
        assert idx.capabilities == ix.SV().capabilities and idx.key == ix.SV().key


def test_size_mass_is_the_product_measure_or_the_shapley_kernel():
    n = 9
    t = np.arange(n + 1)
    binom = np.array([comb(n, int(x)) for x in t], dtype=float)
    np.testing.assert_allclose(ix.WeightedBII(0.3, 2).size_mass(n), binom * 0.3**t * 0.7 ** (n - t),
                               rtol=1e-13)
    np.testing.assert_allclose(ix.FBII(2).size_mass(n), binom / 2**n, rtol=1e-13)
    for idx in (ix.SV(), ix.SII(2), ix.FSII(2), ix.CardinalIndex("c", 1, moebius_weights=np.eye(2, n + 1))):
        q = idx.size_mass(n)
        assert np.isinf(q[0]) and np.isinf(q[n])
        np.testing.assert_allclose(q[1:n], [n / (x * (n - x)) for x in range(1, n)], rtol=1e-14)


def test_ksii_is_the_bernoulli_aggregate_of_its_base():
    n, k = 6, 3
    rng = np.random.default_rng(0)
    table = rng.normal(size=1 << n)
    ksii = ix.KSII(k)
    sii = ix.SII(k)
    assert ksii.base == sii and sii.base is sii and sii.base_coefficients(k) is None
    b = ksii.base_coefficients(k)
    np.testing.assert_array_equal(b, [1.0, -0.5, 1 / 6, 0.0])
    base = interplay.exact(table, ksii.base)
    want = interplay.exact(table, ksii)
    val = base.to_dict()
    for S in val:
        if S:
            got = sum(b[len(T) - len(S)] * v for T, v in val.items() if set(S) <= set(T))
            assert want[S] == pytest.approx(got, rel=1e-12, abs=1e-12)
    assert want[()] == table[0]  # k-SII's empty entry is v(empty)
    assert ksii.empty_is_value and not ix.SII(k).empty_is_value


def test_registry_names_round_trip():
    for name in ix.INDEX_NAMES:
        idx = ix.get_index(name, p=0.3)
        assert ix.REGISTRY[name] is type(idx)
        assert idx.name == name or (idx.p == 0.5 and name.startswith("W"))
    with pytest.raises(ValueError, match="already registered"):
        ix.register("SII")(ix.SII)
    with pytest.raises(ValueError, match="max_order"):
        ix.get_index("SV", 2)
