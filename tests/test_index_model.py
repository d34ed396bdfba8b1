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


@pytest.mark.parametrize("idx", BUILTIN, ids=repr)
def test_capabilities_are_honest(idx):
    """Each estimator relies on what a capability promises; check the promise on the weights."""
    n = 8
    k = idx.resolve_order(n)
    caps = idx.capabilities
    if "regression" in caps:  # the fit's weight per size is the index's sampling mass
        mu = idx.regression_kernel(n)
        mass = np.array([comb(n, t) for t in range(n + 1)]) * mu
        q = idx.size_mass(n)
        fin = np.isfinite(mass)
        assert np.array_equal(fin, np.isfinite(q))
        np.testing.assert_allclose(mass[fin] / mass[fin][0], q[fin] / q[fin][0], rtol=1e-12)
    if {"product_measure", "derivative_sampling"} <= caps:  # MSR estimates the p-weighted BII
        np.testing.assert_allclose(idx.derivative_weights(n)[1:],
                                   ix.WeightedBII(idx.p, k).derivative_weights(n)[1:], rtol=1e-14)
    if caps & {"sii_permutation", "sii_regression"}:  # both estimate SII, then aggregate
        np.testing.assert_array_equal(idx.base.derivative_weights(n)[1:],
                                      ix.SII(k).derivative_weights(n)[1:] if k > 1 else
                                      ix.SV().derivative_weights(n)[1:])
    if "stii_permutation" in caps:
        assert idx == ix.STII(k)


# ------------------------------------------------------------------ one place to add an index
class MixII(ix.Index):
    """Test index declared in one place: the average of SII and BII (derivative weights too)."""

    family = "mix-II"
    citation = "test: (SII + BII) / 2, a cardinal interaction index"
    capabilities = frozenset({"moebius_weights", "derivative_weights", "derivative_sampling"})

    def __init__(self, order=2):
        super().__init__(order=order)

    def _moebius(self, k, n):
        return 0.5 * (W.sii(k, n) + W.weighted_bii(k, n, 0.5))


@pytest.fixture
def mix_registered():
    ix.register("mix-II")(MixII)
    try:
        yield
    finally:
        del ix.REGISTRY["mix-II"]


def test_a_new_index_declared_in_one_place_flows_everywhere(mix_registered):
    from interplay.estimators import METHODS, auto_method
    from interplay.estimators._api import serves
    from interplay.games import TableGame, evaluate_all

    n = 6
    game = TableGame.random(n, seed=5)
    table = evaluate_all(game, n)
    ex = interplay.exact(table, "mix-II", 2)
    sii, bii = interplay.exact(table, "SII", 2), interplay.exact(table, "BII", 2)
    np.testing.assert_allclose(ex.values, 0.5 * (sii.values + bii.values), rtol=1e-13, atol=1e-13)
    assert ex.index == "mix-II"
    # served by exactly the methods whose needs its capabilities meet, chosen by auto
    assert sorted(m for m in METHODS if serves(m, MixII())) == ["shapiq", "svarmiq"]
    assert auto_method("mix-II") == "svarmiq"
    for method in ("shapiq", "svarmiq"):
        full = interplay.approximate(game, n, "mix-II", 1 << n, method=method, seed=0)
        assert full.index == "mix-II" and not full.estimated
        np.testing.assert_allclose(full.values, ex.values, rtol=1e-10, atol=1e-12)
        some = interplay.approximate(game, n, MixII(2), 40, method=method, seed=3)
        again = interplay.approximate(game, n, "mix-II", 40, method=method, seed=3)
        assert np.array_equal(some.values, again.values) and np.all(np.isfinite(some.stderr))
    for method in ("permutation", "kernelshapiq", "regression", "msr", "kernelshap"):
        with pytest.raises(ValueError, match=f"method={method!r} does not estimate index 'mix-II'"):
            interplay.approximate(game, n, "mix-II", 40, method=method)


def test_a_user_cardinal_index_flows_through_exact_and_the_sampled_estimators():
    from interplay.estimators import METHODS, auto_method
    from interplay.estimators._api import serves
    from interplay.games import SumOfUnanimityGames, evaluate_all

    n = 7
    game = SumOfUnanimityGames.random(n, 10, max_size=3, seed=1)
    table = evaluate_all(game, n)
    # CHII from its derivative weights, given by the user as a plain function of n
    mine = ix.CardinalIndex("my-CHII", 2, derivative_weights=lambda n: np.array(
        [[float(t == 0) if s == 0 else (s / ((s + t) * comb(n, s + t)) if t <= n - s else 0.0)
          for t in range(n + 1)] for s in range(3)]))
    ex = interplay.exact(table, mine)
    np.testing.assert_allclose(ex.values, interplay.exact(table, "CHII", 2).values,
                               rtol=1e-12, atol=1e-12)
    assert sorted(m for m in METHODS if serves(m, mine)) == ["shapiq", "svarmiq"]
    assert auto_method(mine) == "svarmiq"
    for method in ("shapiq", "svarmiq"):
        full = interplay.approximate(game, n, mine, 1 << n, method=method, seed=0)
        np.testing.assert_allclose(full.values, ex.values, rtol=1e-10, atol=1e-12)
        est = interplay.approximate(game, n, mine, 60, method=method, seed=2)
        ref = interplay.approximate(game, n, "CHII", 60, method=method, seed=2)
        np.testing.assert_allclose(est.values, ref.values, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(est.stderr, ref.stderr, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="user-defined index 'my-CHII'"):
        interplay.approximate(game, n, mine, 60, method="permutation")


def test_methods_table_is_derived_from_the_capabilities():
    from interplay.estimators import METHODS
    from interplay.estimators._api import NEEDS, serves

    assert set(METHODS) == set(NEEDS)
    for m, names in METHODS.items():
        assert set(names) == {x for x in ix.INDEX_NAMES if serves(m, ix.get_index(x))}
    # the built-in table as documented (docs/sampled.md, interplay.estimators)
    assert set(METHODS["permutation"]) == {"SV", "SII", "k-SII", "STII"}
    assert set(METHODS["kernelshap"]) == {"SV"}
    assert set(METHODS["regression"]) == {"SV", "FSII", "FBII", "FWBII", "BV", "WBV"}
    assert set(METHODS["kernelshapiq"]) == {"SII", "k-SII", "SV"}
    assert set(METHODS["shapiq"]) == set(METHODS["svarmiq"]) == {
        "SV", "BV", "WBV", "SII", "k-SII", "STII", "BII", "WBII", "CHII"}
    assert set(METHODS["msr"]) == {"BV", "BII", "WBV", "WBII"}
