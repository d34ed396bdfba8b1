"""Fuzz and property tests of the public entry points ``approximate``, ``exact`` and ``pid`` on
bad and edge inputs (NaN, inf, complex, wrong shapes, n = 1, tiny and zero masses, unnormalised
probabilities, orders beyond n).

Every outcome must be either a correct value (checked against interplay.exact, the brute-force
oracles of tests/reference or a known property) or a one-line ValueError/TypeError naming the
argument: never a crash of another type, a hang, a NaN or a silent wrong number. Seeded
(derandomize) and bounded, so CI runs are reproducible and quick.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import interplay
from interplay.estimators import METHODS
from tests.reference.naive_indices import cii, faithful

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
INDICES = ("SV", "BV", "WBV", "SII", "k-SII", "STII", "BII", "WBII", "CHII", "FSII", "FBII",
           "FWBII")
VALUE_INDICES = ("SV", "BV", "WBV")


def _one_line_naming(exc: BaseException, *names: str) -> None:
    """A user error: ValueError/TypeError, one line, naming one of ``names``."""
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    msg = str(exc)
    assert msg and "\n" not in msg, msg
    assert any(name in msg for name in names), (names, msg)
    try:
        event(f"refused: {type(exc).__name__}")
    except Exception:  # outside a hypothesis test
        pass


# ------------------------------------------------------------------------------ approximate
def _table_game(table):
    n = table.shape[0].bit_length() - 1

    def game(C):
        return table[(C.astype(np.int64) << np.arange(n)).sum(axis=1)]

    game.n_players = n
    return game


@st.composite
def approximate_calls(draw):
    """Valid arguments, then (in about half the examples) exactly one of them made bad."""
    n = draw(st.integers(1, 6))
    index = draw(st.sampled_from(INDICES))
    method = draw(st.sampled_from(["auto"] + [m for m, idx in METHODS.items() if index in idx]))
    budget = draw(st.integers(2, (1 << n) + 3))
    max_order = draw(st.integers(1, n))
    d = draw(st.sampled_from([None, 1, 3]))
    seed = draw(st.integers(0, 2**32 - 1))
    p = draw(st.sampled_from([0.5, 0.25]))
    defect = draw(st.sampled_from([None] * 10 + [
        "index", "method", "budget", "budget-type", "max_order", "max_order-type", "p", "nan",
        "inf", "complex", "shape", "string"]))
    if defect == "index":
        index = draw(st.sampled_from(["XYZ", "sv", ""]))
    elif defect == "method":
        method = draw(st.sampled_from(["msr" if index not in METHODS["msr"] else "kernelshap",
                                       "nope"]))
    elif defect == "budget":
        budget = draw(st.integers(-3, 1))
    elif defect == "budget-type":
        budget = draw(st.sampled_from([2.5, True, None, "10"]))
    elif defect == "max_order":
        if index in VALUE_INDICES:
            defect = None  # values ignore max_order
        else:
            max_order = draw(st.sampled_from([0, -1, n + 1, n + 3]))
    elif defect == "max_order-type":
        max_order = draw(st.sampled_from([1.5, None, "2"]))
        if index in VALUE_INDICES:
            defect = None
    elif defect == "p":
        if index in ("WBV", "WBII", "FWBII"):
            p = draw(st.sampled_from([0.0, 1.0, float("nan"), -0.5]))
        else:
            defect = None  # p is ignored by the other indices
    return n, index, method, budget, max_order, d, seed, defect, p


def _game_for(n, d, defect, seed):
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(1 << n,) if d is None else (1 << n, d))
    good = _table_game(table)

    def game(C):
        out = good(C)
        if defect == "nan":
            out = out.copy()
            out[-1] = np.nan
        elif defect == "inf":
            out = out.copy()
            out[0] = np.inf
        elif defect == "complex":
            out = out * (1 + 1j)
        elif defect == "shape":
            out = np.stack([out, out], axis=-1)[:-1]
        elif defect == "string":
            out = np.array(["x"] * C.shape[0])
        return out

    game.n_players = n
    return game, table


@SETTINGS
@given(approximate_calls())
def test_approximate_fuzz(call):
    n, index, method, budget, max_order, d, seed, defect, p = call
    game, table = _game_for(n, d, defect, seed)
    kwargs = dict(max_order=max_order, method=method, seed=seed, p=p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # honest warnings (under-determined fits) allowed
            res = interplay.approximate(game, n, index, budget, **kwargs)
    except (ValueError, TypeError) as exc:
        _one_line_naming(exc, "budget", "max_order", "index", "method", "p", "game output",
                         "n_players")
        return
    # accepted: the inputs were valid
    event("accepted")
    assert defect is None, defect
    k = 1 if index in VALUE_INDICES else max_order
    vals = res.values.reshape(res.values.shape[0], -1)
    assert np.isfinite(vals).all(), res.values
    assert not np.isnan(res.stderr).any() and (res.stderr >= 0).all()
    ref = interplay.exact(table, index, max_order=k, p=p)
    np.testing.assert_array_equal(res.sets, ref.sets)
    if budget >= 1 << n:  # full budget: the index itself
        np.testing.assert_allclose(res.values, ref.values, rtol=1e-9, atol=1e-9)
        assert not res.stderr.any()
    elif index == "SV" and res.info["method"] in ("kernelshap", "regression"):
        # efficiency is a constraint of the Shapley-kernel regression at every budget
        np.testing.assert_allclose(res.values[1:].sum(axis=0), table[-1] - table[0],
                                   rtol=1e-8, atol=1e-8)


def test_approximate_n_players_and_game_checks():
    game, _ = _game_for(3, None, None, 0)
    for bad, exc in [(0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError)]:
        with pytest.raises(exc) as info:
            interplay.approximate(game, bad, "SV", 8)
        _one_line_naming(info.value, "n_players")
    with pytest.raises(ValueError) as info:
        interplay.approximate(game, 4, "SV", 8)  # game.n_players = 3
    _one_line_naming(info.value, "n_players")
    with pytest.raises(TypeError) as info:
        interplay.approximate(np.zeros(3), 3, "SV", 8)
    _one_line_naming(info.value, "game")


# ------------------------------------------------------------------------------ exact
@st.composite
def exact_calls(draw):
    """Valid arguments, then (in about half the examples) exactly one of them made bad."""
    n = draw(st.integers(1, 4))
    length = 1 << n
    d = draw(st.sampled_from([None, 1, 2]))
    index = draw(st.sampled_from(INDICES + ("Moebius",)))
    max_order = None if index in VALUE_INDICES else draw(st.integers(1, n))
    p = draw(st.sampled_from([0.5, 0.3]))
    seed = draw(st.integers(0, 1000))
    defect = draw(st.sampled_from([None] * 10 + [
        "length", "empty", "d0", "index", "max_order", "max_order-type", "p", "nan", "inf",
        "complex", "3d", "object", "strings"]))
    if defect == "length":
        length = draw(st.sampled_from([length + 1, 3, 6]))
    elif defect == "empty":
        length = 0
    elif defect == "d0":
        d = 0
    elif defect == "index":
        index = draw(st.sampled_from(["nope", "sii"]))
    elif defect == "max_order":
        max_order = draw(st.sampled_from([0, -1, n + 1]))
    elif defect == "max_order-type":
        max_order = draw(st.sampled_from([1.5, "2"]))
    elif defect == "p":
        if index in ("WBV", "WBII", "FWBII"):
            p = draw(st.sampled_from([0.0, 1.5, float("nan")]))
        else:
            defect = None
    return n, length, d, index, max_order, defect, p, seed


@SETTINGS
@given(exact_calls())
def test_exact_fuzz(call):
    n, length, d, index, max_order, defect, p, seed = call
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(length,) if d is None else (length, d))
    if defect == "nan" and table.size:
        table.flat[-1] = np.nan
    elif defect == "inf" and table.size:
        table.flat[0] = -np.inf
    elif defect == "complex":
        table = table * 1j
    elif defect == "3d":
        table = table[..., None, None] if table.ndim == 1 else table[..., None]
    elif defect == "object":
        table = table.astype(object)
    elif defect == "strings":
        table = table.astype(str)
    try:
        res = interplay.exact(table, index, max_order, p=p)
    except (ValueError, TypeError) as exc:
        _one_line_naming(exc, "values", "max_order", "index", "p")
        return
    event("accepted")
    assert defect is None, defect
    vals = res.values.reshape(res.values.shape[0], -1)
    assert np.isfinite(vals).all()
    k = res.max_order
    if index == "Moebius" or n == 0:
        return
    tab = table.astype(float).reshape(length, -1)
    for j in range(tab.shape[1]):
        if index in ("FSII", "FBII", "FWBII"):
            if index == "FSII" and k == n:
                continue  # the brute-force KKT system is singular there (the engine is exact)
            want = faithful(tab[:, j], n, index, k, p=p)
        else:
            want = cii(tab[:, j], n, index, k, p=p)
        np.testing.assert_allclose(vals[:, j], want, rtol=1e-9, atol=1e-9,
                                   err_msg=f"{index} k={k}")


# ------------------------------------------------------------------------------ pid
@st.composite
def pid_calls(draw):
    shape = draw(st.lists(st.integers(1, 3), min_size=3, max_size=4).map(tuple))
    seed = draw(st.integers(0, 10_000))
    kind = draw(st.sampled_from(["random", "sparse", "tiny", "light-slice", "point",
                                 "unnormalised"] * 3 + ["zero", "nan", "inf", "negative",
                                                        "complex", "2d"]))
    if kind == "2d":
        shape = shape[:2]
    normalize = kind == "unnormalised" and draw(st.booleans())
    method = draw(st.sampled_from(["auto", "ipm", "ipfp"] * 3 + ["bogus"]))
    measure = draw(st.sampled_from(["BROJA"] * 4 + ["MMI", "WB", "xyz"]))
    backend = draw(st.sampled_from(["auto", "reference"]))
    return shape, seed, kind, normalize, method, measure, backend


def _joint(shape, seed, kind):
    rng = np.random.default_rng(seed)
    p = rng.random(shape)
    if kind == "sparse":
        p[rng.random(shape) < 0.5] = 0.0
    elif kind == "tiny":
        p[rng.random(shape) < 0.5] = 1e-20
    elif kind == "light-slice" and len(shape) >= 3:
        p[..., rng.integers(shape[-3]), :, :] *= 1e-20
    elif kind == "point":
        p = np.zeros(shape)
        p.flat[rng.integers(p.size)] = 1.0
    elif kind == "zero":
        p = np.zeros(shape)
    if p.sum() > 0 and kind != "unnormalised":
        with np.errstate(invalid="ignore"):  # a batch member of mass 0 becomes NaN: refused
            p = p / p.sum(axis=(-3, -2, -1), keepdims=True) if len(shape) >= 3 else p / p.sum()
    if kind == "nan":
        p.flat[0] = np.nan
    elif kind == "inf":
        p.flat[-1] = np.inf
    elif kind == "negative":
        p.flat[0] = -0.1
    elif kind == "complex":
        p = p + 0j
    return p


def _pid_oracle(p):
    """I(X1;Y), I(X2;Y), I(X1,X2;Y) in bits, straight from the definitions."""
    def H(x):
        x = x[x > 0]
        return float(-(x * np.log2(x)).sum())

    hy = H(p.sum((0, 1)))
    i1 = H(p.sum((1, 2))) + hy - H(p.sum(1))
    i2 = H(p.sum((0, 2))) + hy - H(p.sum(0))
    i12 = H(p.sum(2)) + hy - H(p)
    return i1, i2, i12


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pid_calls())
def test_pid_fuzz(call):
    shape, seed, kind, normalize, method, measure, backend = call
    p = _joint(shape, seed, kind)
    try:
        res = interplay.pid(p, measure=measure, method=method, normalize=normalize,
                            backend=backend)
    except (ValueError, TypeError) as exc:
        _one_line_naming(exc, "p", "measure", "method")
        return
    event(f"accepted: {kind}")
    assert len(shape) >= 3 and measure != "xyz" and method != "bogus"
    assert kind not in ("nan", "inf", "negative", "complex", "zero", "2d")
    assert kind != "unnormalised" or normalize
    q = p / p.sum(axis=(-3, -2, -1), keepdims=True)
    atoms = np.stack([np.asarray(a, dtype=float) for a in
                      (res.redundancy, res.unique_1, res.unique_2, res.synergy)])
    assert np.isfinite(atoms).all() and np.isfinite(res.gap).all()
    assert (np.asarray(res.gap) >= 0).all()
    flat = q.reshape((-1,) + shape[-3:])
    for b in range(flat.shape[0]):
        i1, i2, i12 = _pid_oracle(flat[b])
        a = atoms.reshape(4, -1)[:, b]
        gap = float(np.asarray(res.gap).reshape(-1)[b])
        tol = 1e-9 + gap
        # the bivariate lattice: R + U1 = I(X1;Y), R + U2 = I(X2;Y), sum = I(X1,X2;Y)
        np.testing.assert_allclose([a[0] + a[1], a[0] + a[2], a.sum()], [i1, i2, i12],
                                   atol=1e-9)
        assert (a >= -tol).all(), a
        # every measure's redundancy lies between 0 and min I(X_i;Y)
        assert a[0] <= min(i1, i2) + tol
        if measure == "MMI":
            np.testing.assert_allclose(a[0], min(i1, i2), atol=1e-9)
        if measure == "BROJA":
            assert bool(np.asarray(res.converged).reshape(-1)[b]) == (gap <= 1e-10)
            if method != "ipfp":  # the interior point certifies these small joints to tol
                assert gap <= 1e-10, (kind, gap)
