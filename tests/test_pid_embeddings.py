"""PID from embeddings that is right or says it is not (issue 14): constructed cases with known
atoms, embedded as topic-dominated Gaussian vectors, where clustering blind to the label loses
it; the supervised discretisation recovers the atoms, the held-out check warns on the blind one,
and the bootstrap interval covers the truth."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import interplay

pytest.importorskip("sklearn")

#: atoms (R, U1, U2, S) in bits of each constructed label
TRUTH = {"xor": (0.0, 0.0, 0.0, 1.0), "copy": (0.0, 1.0, 0.0, 0.0), "redundant": (1.0, 0.0, 0.0, 0.0)}
TOL = 0.15  # bits, the bar at 2,000 samples


def topic_embeddings(n, setting, *, dim=16, topics=8, signal=6.0, seed=0):
    """Each modality: one of ``topics`` far-apart centres (norm 8: the variance k-means sees,
    orthogonal to the bit's axis) plus N(0, I) noise, and a bit b_i as +-signal/2 along a fixed direction (Bayes error
    Phi(-3) = 1.3e-3 at signal 6: I(Z_i; b_i) = 0.985 bit). y = b1 XOR b2 ("xor"), b1
    ("copy"), or b1 with b2 = b1 ("redundant")."""
    rng = np.random.default_rng(seed)
    b1 = rng.integers(0, 2, n)
    b2 = b1.copy() if setting == "redundant" else rng.integers(0, 2, n)
    y = {"xor": b1 ^ b2, "copy": b1, "redundant": b1}[setting]
    mods = []
    for b in (b1, b2):
        u = rng.normal(size=dim)
        u /= np.linalg.norm(u)
        centres = rng.normal(size=(topics, dim))
        centres -= np.outer(centres @ u, u)  # the topic says nothing about the bit's axis
        centres *= 8.0 / np.linalg.norm(centres, axis=1, keepdims=True)
        z = centres[rng.integers(0, topics, n)] + rng.normal(size=(n, dim))
        mods.append(z + signal * (b[:, None] - 0.5) * u)
    return mods[0], mods[1], y


def atoms(r):
    return np.array([r.redundancy, r.unique_1, r.unique_2, r.synergy])


@pytest.mark.parametrize("setting", sorted(TRUTH))
def test_supervised_recovers_constructed_atoms(setting):
    z1, z2, y = topic_embeddings(2000, setting, )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check must stay silent
        r = interplay.pid_from_embeddings(z1, z2, y, n_bootstrap=40)
    truth = np.array(TRUTH[setting])
    np.testing.assert_allclose(atoms(r), truth, atol=TOL)
    assert r.info["check"]["ok"] and r.info["discretize"] == "supervised"
    # the held-out classifiers' estimates agree with the atoms' informations
    held = r.info["check"]["heldout"]
    assert held["joint"] == pytest.approx(r.mutual_information, abs=TOL)
    np.testing.assert_allclose(r.redundancy + r.unique_1, r.mi_1, atol=1e-9)
    for a, (lo, hi) in zip(atoms(r), (r.interval[k] for k in
                                      ("redundancy", "unique_1", "unique_2", "synergy"))):
        assert lo <= max(a, 0.0) <= hi and hi - lo < 0.1


def test_kmeans_loses_the_label_and_says_so():
    z1, z2, y = topic_embeddings(2000, "xor", )
    with pytest.warns(RuntimeWarning, match="loses the label's information"):
        r = interplay.pid_from_embeddings(z1, z2, y, discretize="kmeans", n_bootstrap=20)
    assert r.synergy < 0.3 and not r.info["check"]["ok"]
    assert r.info["check"]["heldout"]["joint"] > 0.85 > r.info["check"]["lost"] - 0.5


def test_random_labels_give_no_information():
    """Labels independent of the embeddings: cross-fitting keeps every label away from the
    classifier that predicts it, so the clusters carry only plug-in bias, which the bootstrap
    removes."""
    z1, z2, _ = topic_embeddings(1000, "xor", seed=3)
    y = np.random.default_rng(4).integers(0, 2, 1000)
    r = interplay.pid_from_embeddings(z1, z2, y, n_bootstrap=40)
    np.testing.assert_allclose(atoms(r), 0.0, atol=0.03)
    assert r.info["plug_in"].mutual_information > r.mutual_information  # bias removed
    assert r.interval["mutual_information"][0] == 0.0


def test_bootstrap_interval_and_reproducibility():
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    r = interplay.pid_from_samples(x1, x2, x1 ^ x2, bias_correction="bootstrap", n_bootstrap=50,
                                   level=0.9)
    lo, hi = r.interval["synergy"]
    assert lo < r.synergy < hi and hi - lo < 0.1 and r.info["level"] == 0.9
    assert "90% interval" in repr(r) and "[" in repr(r)
    s = interplay.pid_from_samples(x1, x2, x1 ^ x2, bias_correction="bootstrap", n_bootstrap=50,
                                   level=0.9)
    assert s.interval == r.interval
    with pytest.raises(ValueError, match="level"):
        interplay.pid_from_samples(x1, x2, x1, bias_correction="bootstrap", level=1.5)


def test_bad_input():
    z1, z2, y = topic_embeddings(60, "copy")
    with pytest.raises(ValueError, match="discretize"):
        interplay.pid_from_embeddings(z1, z2, y, discretize="gmm")
    with pytest.raises(ValueError, match="folds"):
        interplay.pid_from_embeddings(z1, z2, y, folds=1)
    with pytest.raises(ValueError, match="y: every class"):
        interplay.pid_from_embeddings(z1, z2, np.r_[np.zeros(57, int), 1, 1, 1])
    with pytest.raises(ValueError, match="bias_correction"):
        interplay.pid_from_embeddings(z1, z2, y, bias_correction="jackknife")
    with pytest.raises(TypeError, match="check"):
        interplay.pid_from_embeddings(z1, z2, y, check="yes")
    r = interplay.pid_from_embeddings(z1, z2, np.zeros(60, int))  # constant label: all zero
    np.testing.assert_allclose(atoms(r), 0.0, atol=1e-12)


def test_layers_batch_with_intervals():
    z1, z2, y = topic_embeddings(400, "copy", seed=5)
    r = interplay.pid_from_embeddings({"a": (z1, z2), "b": (z2, z1)}, y=y, n_bootstrap=20,
                                      n_clusters=4)
    rows = r.table()
    assert [row["layer"] for row in rows] == ["a", "b"] and r.unique_1.shape == (2,)
    np.testing.assert_allclose([r.unique_1[0], r.unique_2[1]], 1.0, atol=TOL)  # swapped sources
    lo, hi = r.interval["unique_1"]
    assert lo.shape == (2,) and np.all(lo <= hi) and len(r.info["check"]) == 2
