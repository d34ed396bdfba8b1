"""The exact engine's torch path (the GPU path) against the brute-force oracles.

Runs on torch's CPU device here; the same code runs on CUDA tensors (not exercised by these tests:
the project's CI has no GPU)."""

import numpy as np
import pytest

import interplay

from .reference import naive_indices as R

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-10, atol=1e-10)
LOOSE = dict(rtol=1e-9, atol=1e-9)  # FSII/FBII/FWBII oracles solve a linear system
CASES = [("SV", 1), ("BV", 1), ("WBV", 1)] + [
    (name, k)
    for name in ["SII", "BII", "WBII", "CHII", "k-SII", "STII", "FSII", "FBII", "FWBII",
                 "Moebius", "Co-Moebius"]
    for k in (1, 2, 3)
]


@pytest.fixture(scope="module")
def game6():
    rng = np.random.default_rng(17)
    v = rng.normal(size=1 << 6)
    v[0] = -0.3
    return v


@pytest.mark.parametrize("name,k", CASES)
def test_torch_matches_brute_force(game6, name, k):
    n = 6
    expected = R.as_array(R.oracle(name, game6, n, k, p=0.3), n, k)
    res = interplay.exact(torch.tensor(game6), name, k, p=0.3)
    assert res.info["backend"] == "torch"
    np.testing.assert_array_equal(res.sets, np.array(R.sets_upto(n, k), dtype=np.uint64))
    tol = LOOSE if name.startswith("F") else TOL
    np.testing.assert_allclose(res.values, expected, **tol)
    cpp = interplay.exact(game6, name, k, p=0.3, backend="reference")
    np.testing.assert_allclose(res.baseline_value, cpp.baseline_value, **TOL)


def test_torch_vector_valued_equals_columns():
    rng = np.random.default_rng(3)
    v = torch.tensor(rng.normal(size=(1 << 7, 4)), dtype=torch.float32)
    res = interplay.exact(v, "FSII", 2, backend="torch")
    assert res.values.shape == (29, 4) and res.values.dtype == np.float64
    for j in range(4):
        col = interplay.exact(v[:, j].double().numpy(), "FSII", 2, backend="reference")
        np.testing.assert_allclose(res.values[:, j], col.values, **LOOSE)


def test_torch_input_is_not_modified_and_numpy_goes_through_torch():
    v = torch.arange(16, dtype=torch.float64)
    before = v.clone()
    a = interplay.exact(v, "SII", 2)
    assert torch.equal(v, before)
    b = interplay.exact(v.numpy(), "SII", 2, backend="torch")
    np.testing.assert_array_equal(a.values, b.values)
    c = interplay.exact(v, "SII", 2, backend="cpp")  # explicit CPU backend: converted once
    np.testing.assert_allclose(a.values, c.values, **TOL)


def test_torch_bad_input():
    with pytest.raises(ValueError, match="power-of-two"):
        interplay.exact(torch.zeros(6), "SV")
    with pytest.raises(ValueError, match="non-finite"):
        interplay.exact(torch.tensor([0.0, float("nan")]), "SV")
    with pytest.raises(ValueError, match="shape"):
        interplay.exact(torch.zeros(2, 2, 2), "SV")
    with pytest.raises(TypeError, match="real tensor"):
        interplay.exact(torch.zeros(4, dtype=torch.complex64), "SV")
    with pytest.raises(ValueError, match="cuda"):
        interplay.exact(torch.zeros(4), "SV", backend="cuda")
    with pytest.raises(ValueError, match="max_order|order"):
        interplay.exact(torch.zeros(4), "SII", 3)
