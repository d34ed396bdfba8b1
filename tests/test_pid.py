import numpy as np
import pytest

import interplay
from tests.reference.pid_distributions import CANONICAL, check_certificate

LN2 = np.log(2)
ATOL = 1e-8  # bits: the done-when bound


def _atoms(r):
    return np.array([r.redundancy, r.unique_1, r.unique_2, r.synergy])


def _random_joint(rng, shape, sparsity=0.0):
    p = rng.random(shape)
    if sparsity:
        p[rng.random(shape) < sparsity] = 0
        if p.sum() == 0:
            p.flat[0] = 1
    return p / p.sum()


def _identities(r, tol=1e-12):
    np.testing.assert_allclose(r.redundancy + r.unique_1, r.mi_1, atol=tol)
    np.testing.assert_allclose(r.redundancy + r.unique_2, r.mi_2, atol=tol)
    np.testing.assert_allclose(r.redundancy + r.unique_1 + r.unique_2 + r.synergy,
                               r.mutual_information, atol=tol)
    assert np.all(_atoms(r) >= -1e-12)


@pytest.mark.parametrize("name", sorted(CANONICAL))
@pytest.mark.parametrize("method", ["auto", "ipm", "ipfp"])
def test_canonical_atoms(name, method):
    p, expected = CANONICAL[name]
    r = interplay.pid(p, method=method)
    np.testing.assert_allclose(_atoms(r), expected, atol=ATOL)
    assert r.gap <= 1e-9 and r.converged
    _identities(r)


@pytest.mark.parametrize("seed", range(6))
def test_random_identities_and_certificate(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 7, size=3))
    p = _random_joint(rng, shape, sparsity=0.3 * (seed % 2))
    r = interplay.pid(p, return_q=True)
    assert r.converged and r.gap <= 1e-9
    _identities(r)
    lam, mu = r.dual
    if np.isfinite(lam).any() and not np.isnan(lam).any():
        f, g = check_certificate(p, r.q, lam, mu, 1e-9 * LN2)
        hy = -(p.sum((0, 1))[p.sum((0, 1)) > 0] * np.log(p.sum((0, 1))[p.sum((0, 1)) > 0])).sum()
        v = (r.mutual_information - r.synergy) * LN2
        assert g + hy - 1e-12 <= v <= f + hy + 1e-12


def test_swap_sources_swaps_uniques(rng):
    p = _random_joint(rng, (4, 3, 3))
    r = interplay.pid(p)
    s = interplay.pid(p.transpose(1, 0, 2))
    np.testing.assert_allclose([s.unique_1, s.unique_2, s.redundancy, s.synergy],
                               [r.unique_2, r.unique_1, r.redundancy, r.synergy], atol=1e-9)


def test_relabel_and_zero_symbols_invariance(rng):
    p = _random_joint(rng, (3, 4, 3))
    r = interplay.pid(p)
    q = p[::-1, :, ::-1][:, [2, 0, 3, 1]]
    q = np.concatenate([q, np.zeros((2,) + q.shape[1:])], axis=0)
    s = interplay.pid(q)
    np.testing.assert_allclose(_atoms(s), _atoms(r), atol=1e-9)


def test_coinformation_identity(rng):
    p = _random_joint(rng, (3, 3, 4))
    r = interplay.pid(p)
    coi = r.mi_1 + r.mi_2 - r.mutual_information
    np.testing.assert_allclose(r.redundancy - r.synergy, coi, atol=1e-12)


def test_degenerate_cases():
    # constant Y
    p = np.random.default_rng(1).random((3, 4, 1))
    r = interplay.pid(p / p.sum())
    np.testing.assert_allclose(_atoms(r), 0, atol=1e-12)
    # point mass
    p = np.zeros((3, 3, 3))
    p[1, 2, 0] = 1
    np.testing.assert_allclose(_atoms(interplay.pid(p)), 0, atol=1e-12)
    # independent sources and target
    a, b, c = np.array([0.2, 0.8]), np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.4])
    r = interplay.pid(np.einsum("i,j,k->ijk", a, b, c))
    np.testing.assert_allclose(_atoms(r), 0, atol=1e-12)
    # Y = X1 with a noisy, independent X2: U1 = H(X1)
    p = np.zeros((2, 2, 2))
    p[0, :, 0] = [0.3, 0.2]
    p[1, :, 1] = [0.3, 0.2]
    r = interplay.pid(p)
    np.testing.assert_allclose(_atoms(r), [0, 1, 0, 0], atol=ATOL)


def test_tiny_masses():
    p, expected = CANONICAL["XOR"]
    q = p * (1 - 8e-9) + 1e-9
    r = interplay.pid(q)
    assert r.converged and r.gap <= 1e-9
    np.testing.assert_allclose(_atoms(r), expected, atol=1e-6)
    _identities(r)


def test_batch_equals_one_by_one(rng):
    ps = np.stack([_random_joint(rng, (3, 4, 3), sparsity=0.2 * (i % 2)) for i in range(6)])
    ps = ps.reshape(2, 3, 3, 4, 3)
    r = interplay.pid(ps)
    assert r.redundancy.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            s = interplay.pid(ps[i, j])
            np.testing.assert_allclose(_atoms(s), _atoms(r)[:, i, j], atol=0, rtol=0)


def test_deterministic(rng):
    p = _random_joint(rng, (5, 5, 4))
    a = _atoms(interplay.pid(p))
    b = _atoms(interplay.pid(p))
    np.testing.assert_array_equal(a, b)


# numba: compiling the interior point takes 1-1.5 minutes (slow)
@pytest.mark.parametrize("backend", ["cpp", pytest.param("numba", marks=pytest.mark.slow)],
                         indirect=True)
def test_backends_match_reference(backend, rng):
    try:
        from interplay.information import BROJA_KERNEL

        BROJA_KERNEL.select(backend)
    except ValueError as exc:
        pytest.skip(str(exc))
    for shape in [(2, 2, 2), (3, 4, 2), (4, 3, 5)]:
        p = _random_joint(rng, shape)
        r = interplay.pid(p, backend=backend)
        s = interplay.pid(p, backend="reference")
        np.testing.assert_allclose(_atoms(r), _atoms(s), atol=1e-9)
        # the same IPFP sweeps: same iterate, same certificate
        kw = dict(method="ipfp", max_iter=200, tol=1e-15)
        r = interplay.pid(p, backend=backend, **kw)
        s = interplay.pid(p, backend="reference", **kw)
        assert r.iterations == s.iterations == 200
        np.testing.assert_allclose(_atoms(r), _atoms(s), atol=1e-10)
        # (the C++ kernel orders the sources so that |X2| <= |X1|: Sinkhorn visits them in
        # another order, the certified gaps agree to a few per cent)
        np.testing.assert_allclose(r.gap, s.gap, rtol=0.1, atol=1e-11)


def test_mmi_and_wb():
    p, _ = CANONICAL["AND"]
    for m in ("MMI", "WB"):
        r = interplay.pid(p, measure=m)
        _identities(r)
    r = interplay.pid(CANONICAL["COPY"][0], measure="MMI")
    np.testing.assert_allclose(_atoms(r), [1, 0, 0, 1], atol=1e-12)
    # I_min on COPY: each source gives 1 bit about every y value -> R = 1
    r = interplay.pid(CANONICAL["COPY"][0], measure="WB")
    np.testing.assert_allclose(_atoms(r), [1, 0, 0, 1], atol=1e-12)
    r = interplay.pid(CANONICAL["XOR"][0], measure="WB")
    np.testing.assert_allclose(_atoms(r), [0, 0, 0, 1], atol=1e-12)


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_input():
    p = CANONICAL["AND"][0]
    with pytest.raises(ValueError, match="negative"):
        interplay.pid(np.where(p > 0, p, -0.1))
    with pytest.raises(ValueError, match="non-finite"):
        interplay.pid(np.where(p > 0, p, np.nan))
    with pytest.raises(ValueError, match="sum to 1"):
        interplay.pid(p * 2)
    r = interplay.pid(p * 2, normalize=True)
    np.testing.assert_allclose(r.redundancy, CANONICAL["AND"][1][0], atol=ATOL)
    with pytest.raises(ValueError, match="at least 3"):
        interplay.pid(p[0])
    with pytest.raises(ValueError, match="empty axis"):
        interplay.pid(np.zeros((2, 0, 2)))
    with pytest.raises(ValueError, match="total mass 0"):
        interplay.pid(np.zeros((2, 2, 2)), normalize=True)
    with pytest.raises(ValueError, match="measure"):
        interplay.pid(p, measure="Imin")
    with pytest.raises(ValueError, match="method"):
        interplay.pid(p, method="newton")
    with pytest.raises(ValueError, match="tol"):
        interplay.pid(p, tol=0)
    with pytest.raises(ValueError, match="max_iter"):
        interplay.pid(p, max_iter=0)
    with pytest.raises(ValueError, match="base"):
        interplay.pid(p, base=1)
    with pytest.raises(TypeError, match="p must be a real numeric"):
        interplay.pid(np.array([["a"]]))
    with pytest.raises(ValueError, match="memory"):
        interplay.pid(np.broadcast_to(np.float64(1.0), (1, 1 << 20, 1 << 20, 2)))


def test_samples():
    rng = np.random.default_rng(3)
    x1 = rng.integers(0, 3, 500)
    x2 = rng.integers(0, 2, 500)
    y = (x1 + x2) % 2
    r = interplay.pid_from_samples(x1, x2, y)
    counts = np.zeros((3, 2, 2))
    np.add.at(counts, (x1, x2, y), 1)
    s = interplay.pid(counts / 500)
    np.testing.assert_allclose(_atoms(r), _atoms(s), atol=0)
    b = interplay.pid_from_samples(x1, x2, y, bias_correction="bootstrap", n_bootstrap=20)
    np.testing.assert_allclose(b.redundancy + b.unique_1 + b.unique_2 + b.synergy,
                               b.mutual_information, atol=1e-12)
    assert b.info["n_bootstrap"] == 20
    with pytest.raises(ValueError, match="same length"):
        interplay.pid_from_samples(x1, x2[:-1], y)
    with pytest.raises(ValueError, match="integer labels"):
        interplay.pid_from_samples(x1 + 0.5, x2, y)
    with pytest.raises(ValueError, match="bias_correction"):
        interplay.pid_from_samples(x1, x2, y, bias_correction="jackknife")


@pytest.mark.parametrize("backend", ["cpp"], indirect=True)
def test_cpp_kernel_options_agree(backend, rng):
    from interplay.backends import core

    ps = np.stack([_random_joint(rng, (9, 8, 9)) for _ in range(3)])
    tol = 5e-11  # nats
    base = core().pid.broja(ps, tol, 0, 1, True)
    assert base["converged"].all() and (base["upper"] - base["lower"] <= tol).all()
    for kwargs in ({"use_blas": False}, {"ipfp_sweeps": 30}):
        other = core().pid.broja(ps, tol, 0, 0, False, **kwargs)
        assert other["converged"].all()
        np.testing.assert_allclose(other["upper"], base["upper"], atol=2 * tol)
    for i in range(3):  # the certified optimum passes the independent check
        check_certificate(ps[i], base["q"][i], base["lam"][i], base["mu"][i], tol)


@pytest.mark.parametrize("k", [3, 5])
def test_ipfp_certificate_brackets_the_optimum(k):
    p = _random_joint(np.random.default_rng(k), (k, k, k))
    exact = interplay.pid(p)
    gaps = []
    for sweeps in (10, 100, 1000):
        r = interplay.pid(p, method="ipfp", max_iter=sweeps, tol=1e-15)
        assert r.iterations == sweeps and not r.converged
        err = np.abs(_atoms(r) - _atoms(exact)).max()
        assert err <= r.gap + exact.gap + 1e-12
        gaps.append(r.gap)
    assert gaps[0] > gaps[1] > gaps[2]


def test_embeddings(rng):
    pytest.importorskip("sklearn")
    n = 300
    z1 = rng.normal(size=(n, 6))
    z2 = rng.normal(size=(n, 4))
    y = (z1[:, 0] > 0).astype(int)
    kw = dict(discretize="kmeans", bias_correction=None, check=False)  # Liang et al.'s plug-in
    r = interplay.pid_from_embeddings(z1, z2, y, n_clusters=(4, 3), seed=7, **kw)
    assert r.info["n_clusters"] == (4, 3, 3) and r.info["seed"] == 7
    p = r.info["joint"]
    assert p.shape[:2] == (4, 3) and abs(p.sum() - 1) < 1e-12
    np.testing.assert_allclose(_atoms(r), _atoms(interplay.pid(p)), atol=0)
    s = interplay.pid_from_embeddings(z1, z2, y, n_clusters=(4, 3), seed=7, **kw)
    np.testing.assert_array_equal(_atoms(r), _atoms(s))  # seeded: reproducible
    t = interplay.pid_from_embeddings({"a": (z1, z2), "b": (z2, z1)}, y=y, n_clusters=3, pca=2,
                                      **kw)
    rows = t.table()
    assert [row["layer"] for row in rows] == ["a", "b"] and t.redundancy.shape == (2,)
    yz = interplay.pid_from_embeddings(z1, z2, rng.normal(size=(n, 3)), n_clusters=3, **kw)
    assert yz.info["joint"].shape == (3, 3, 3)
    with pytest.raises(ValueError, match="same number of samples"):
        interplay.pid_from_embeddings(z1[:-1], z2, y)
    with pytest.raises(ValueError, match="z2 is required"):
        interplay.pid_from_embeddings(z1, None, y)
    with pytest.raises(ValueError, match="exceeds"):
        interplay.pid_from_embeddings(z1[:5], z2[:5], y[:5], n_clusters=6)
    with pytest.raises(ValueError, match="non-finite"):
        interplay.pid_from_embeddings(np.where(z1 > 2, np.nan, z1), z2, y, n_clusters=3)
    with pytest.raises(ValueError, match="n_clusters"):
        interplay.pid_from_embeddings(z1, z2, y, n_clusters=(2, 2, 2, 2))
