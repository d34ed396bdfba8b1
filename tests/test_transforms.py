"""interplay.transforms: every transform x backend x shape against the brute-force sums."""

import numpy as np
import pytest

from interplay import transforms
from interplay.backends import core

from .reference.naive_games import moebius_naive, subsets

KINDS = ["moebius", "zeta", "superset_moebius", "superset_zeta"]
TOL = dict(rtol=1e-10, atol=1e-10)


def naive(kind, v):
    n = v.shape[0].bit_length() - 1
    full = (1 << n) - 1
    if kind == "moebius":
        return moebius_naive(v)
    out = np.zeros_like(v, dtype=np.float64)
    for S in range(1 << n):
        if kind == "zeta":
            out[S] = sum(v[T] for T in subsets(S))
        else:
            sups = [S | U for U in subsets(full & ~S)]
            if kind == "superset_zeta":
                out[S] = sum(v[T] for T in sups)
            else:
                out[S] = sum((-1.0) ** (bin(T).count("1") - bin(S).count("1")) * v[T] for T in sups)
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n,d", [(0, None), (1, None), (3, None), (6, None), (6, 3), (7, 1)])
def test_against_brute_force(backend, kind, n, d, rng):
    v = rng.normal(size=(1 << n,) if d is None else (1 << n, d))
    got = getattr(transforms, kind)(v, backend=backend)
    np.testing.assert_allclose(got, naive(kind, v), **TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_backends_agree_at_larger_n_and_in_place(backend, kind, rng):
    for n, d in [(13, None), (11, 5)]:
        v = rng.normal(size=(1 << n,) if d is None else (1 << n, d))
        ref = getattr(transforms, kind)(v, backend="reference")
        got = getattr(transforms, kind)(v, backend=backend)
        np.testing.assert_allclose(got, ref, **TOL)
        w = v.copy()
        res = getattr(transforms, kind)(w, out=w, backend=backend)
        assert res is w
        np.testing.assert_array_equal(w, got)
        buf = np.empty_like(v)
        assert getattr(transforms, kind)(v, out=buf, backend=backend) is buf
        np.testing.assert_array_equal(buf, got)


def test_round_trips(backend, rng):
    v = rng.normal(size=(1 << 10, 2))
    np.testing.assert_allclose(transforms.zeta(transforms.moebius(v, backend=backend), backend=backend), v, **TOL)
    np.testing.assert_allclose(
        transforms.superset_zeta(transforms.superset_moebius(v, backend=backend), backend=backend), v, **TOL)


@pytest.mark.parametrize("backend", ["cpp"], indirect=True)
def test_cpp_blocking_parameters_do_not_change_results(backend, rng):
    tr = core().transforms
    saved = tr.get_tuning()
    try:
        v = rng.normal(size=(1 << 12, 3))
        ref = transforms.moebius(v, backend="reference")
        # tiny cache parameters force many strided passes of few bits
        for block, tile, g in [(64, 64, 1), (256, 1024, 3), (4096, 8192, 5)]:
            tr.set_tuning(block, tile, g)
            assert tr.n_passes(12, 3) >= 2
            for kind in KINDS:
                np.testing.assert_allclose(getattr(transforms, kind)(v, backend="cpp"),
                                           getattr(transforms, kind)(v, backend="reference"), **TOL)
            np.testing.assert_allclose(transforms.moebius(v, backend="cpp"), ref, **TOL)
    finally:
        tr.set_tuning(*saved)


@pytest.mark.parametrize("backend", ["cpp"], indirect=True)
def test_cpp_is_deterministic(backend, rng):
    v = rng.normal(size=1 << 16)
    a = transforms.moebius(v, backend="cpp")
    b = transforms.moebius(v, backend="cpp")
    np.testing.assert_array_equal(a, b)


def test_input_is_not_modified_and_ints_are_accepted(rng):
    v = rng.integers(-5, 5, size=16)
    keep = v.copy()
    m = transforms.moebius(v)
    assert m.dtype == np.float64
    np.testing.assert_array_equal(v, keep)
    np.testing.assert_allclose(transforms.zeta(m), v)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input(kind):
    fn = getattr(transforms, kind)
    with pytest.raises(ValueError, match="power-of-two"):
        fn(np.zeros(6))
    with pytest.raises(ValueError, match="shape"):
        fn(np.zeros((4, 2, 2)))
    with pytest.raises(TypeError, match="values"):
        fn(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="values"):
        fn(np.zeros(4, dtype=complex))
    with pytest.raises(ValueError, match="out"):
        fn(np.zeros(8), out=np.zeros(4))
    with pytest.raises(ValueError, match="out"):
        fn(np.zeros(8), out=np.zeros(8, dtype=np.float32))
    with pytest.raises(TypeError, match="out"):
        fn(np.zeros(8), out=[0.0] * 8)
    with pytest.raises(ValueError, match="backend"):
        fn(np.zeros(8), backend="gpu")
    big = np.zeros(16)
    with pytest.raises(ValueError, match="overlaps"):
        fn(big[:8], out=big[4:12])
