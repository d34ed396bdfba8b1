"""InterSHAP's HD-XOR benchmark (Wenderoth et al. 2025, Table 2) reproduced in shape: a small
early-fusion network trained here on the paper's sizes (modalities of 200 and 100 dimensions,
d = 200); InterSHAP near 0 on uniqueness, high on XOR synergy, in between on redundancy (the
paper's FCNN: 0.2%, 98.0%, 38.6%; here 1.4%, 93.8%, 36.4%), SHAPE's cooperation and PID on
the same data agreeing in kind."""

from __future__ import annotations

import numpy as np
import pytest

import interplay
from interplay.metrics import hd_xor, intershap, shape_scores

torch = pytest.importorskip("torch")

DIMS, D = (200, 100), 200  # the paper's
N, N_TEST = 3000, 400


def train(mods, labels, seed=0, steps=300):
    torch.manual_seed(seed)
    x = torch.from_numpy(np.concatenate(mods, axis=1))
    y = torch.from_numpy(labels).float()
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    with torch.enable_grad():  # whatever grad mode an earlier test in the process left
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x)[:, 0], y)
            loss.backward()
            opt.step()

    def predict(batch):
        with torch.no_grad():
            xb = torch.from_numpy(np.concatenate([np.asarray(b, np.float32) for b in batch], 1))
            return torch.sigmoid(net(xb)[:, 0]).numpy().astype(np.float64)
    return predict


def modality_tables(predict, mods, background, n_draws, rng):
    """Each instance's game over its modalities (InterSHAP's masking): v(S) = probability of the
    class predicted on the full input, absent modalities taken from random training points
    (one point for all absent modalities of a draw), averaged over n_draws draws."""
    n, m = mods[0].shape[0], len(mods)
    best = predict(mods) > 0.5
    draws = rng.integers(0, background[0].shape[0], size=n_draws)
    tables = np.empty((n, 2**m))
    for mask in range(2**m):
        rows = [np.repeat(x, n_draws, axis=0) if mask >> j & 1 else np.tile(bg[draws], (n, 1))
                for j, (x, bg) in enumerate(zip(mods, background))]
        p = predict(rows).reshape(n, n_draws).mean(axis=1)
        tables[:, mask] = np.where(best, p, 1.0 - p)
    return tables


def test_hd_xor_data():
    for setting in ("synergy", "redundancy", "uniqueness", "random"):
        mods, y = hd_xor(500, setting, dims=(30, 20, 10), d=20, seed=1)
        assert [x.shape for x in mods] == [(500, 30), (500, 20), (500, 10)] and y.shape == (500,)
        assert 0.3 < y.mean() < 0.7 and mods[0].dtype == np.float32
    mods, y = hd_xor(400, "redundancy", dims=(8, 8), d=8, seed=2)
    assert not np.allclose(mods[0], mods[1])  # the same hidden vector through two projections
    with pytest.raises(ValueError, match="setting"):
        hd_xor(10, "xor")
    with pytest.raises(ValueError, match="dims"):
        hd_xor(10, dims=(5,))
    with pytest.raises(ValueError, match="d must be even"):
        hd_xor(10, d=5)


@pytest.mark.slow  # ~15 s CPU (three networks trained); .ci/run runs it
def test_hd_xor_intershap_table_2_shape():
    rng = np.random.default_rng(0)
    scores, coop = {}, {}
    for setting in ("uniqueness", "synergy", "redundancy"):
        mods, y = hd_xor(N, setting, dims=DIMS, d=D, seed=7)
        train_mods, test_mods = [x[:-N_TEST] for x in mods], [x[-N_TEST:] for x in mods]
        predict = train(train_mods, y[:-N_TEST])
        acc = np.mean((predict(test_mods) > 0.5) == y[-N_TEST:])
        assert acc > 0.8, (setting, acc)
        tables = modality_tables(predict, test_mods, train_mods, 32, rng)
        scores[setting] = intershap(tables=tables)["intershap"]
        coop[setting] = shape_scores(model=predict, data=test_mods, labels=y[-N_TEST:],
                                     baseline="mean")["cooperation_rel"]
    assert scores["uniqueness"] < 0.05, scores
    assert scores["synergy"] > 0.8, scores
    assert 0.2 < scores["redundancy"] < 0.6, scores
    # SHAPE: all of the gain over the majority class is cooperation for XOR, none for one
    # informative modality; redundant modalities each reach it alone (C < 0)
    assert coop["synergy"] > 0.8 and abs(coop["uniqueness"]) < 0.1 and coop["redundancy"] < 0, coop


@pytest.mark.slow  # ~15 s (k-means on 3 x 3000 rows)
def test_hd_xor_pid_agrees_in_kind():
    """PID of the two modalities about the label (k-means discretisation, PCA 5, 20 clusters)."""
    atoms = {}
    for setting in ("uniqueness", "synergy", "redundancy"):
        mods, y = hd_xor(N, setting, dims=DIMS, d=D, seed=7)
        r = interplay.pid_from_embeddings(mods[0], mods[1], y, pca=5, n_clusters=20,
                                          discretize="kmeans", bias_correction=None, check=False)
        atoms[setting] = dict(R=r.redundancy, U1=r.unique_1, U2=r.unique_2, S=r.synergy)
    a = atoms["uniqueness"]
    assert a["U1"] > 0.5 and max(a["R"], a["U2"], a["S"]) < 0.1, atoms
    a = atoms["synergy"]
    assert a["S"] > 0.25 and a["S"] > 5 * max(a["R"], a["U1"], a["U2"]), atoms
    a = atoms["redundancy"]
    assert a["R"] > 0.15 and a["R"] == max(a.values()), atoms


@pytest.mark.slow  # ~25 s CPU (three networks on 3,000 samples of 3 modalities)
def test_hd_xor_three_modalities_intershap_order():
    """3 modalities (200, 100, 100 dims): InterSHAP near 0 on uniqueness, highest on XOR
    synergy, in between on redundancy (measured at 3,000 samples: 2.7%, 73.7%, 40.7%; at
    10,000: 1.3%, 91.6%, 48.4%; the paper reports synergy 88.8% for 3 modalities)."""
    rng = np.random.default_rng(0)
    scores = {}
    for setting in ("uniqueness", "synergy", "redundancy"):
        mods, y = hd_xor(N, setting, dims=(200, 100, 100), d=D, seed=7)
        train_mods, test_mods = [x[:-N_TEST] for x in mods], [x[-N_TEST:] for x in mods]
        predict = train(train_mods, y[:-N_TEST])
        tables = modality_tables(predict, test_mods, train_mods, 32, rng)
        scores[setting] = intershap(tables=tables)["intershap"]
    assert scores["uniqueness"] < 0.08, scores
    assert scores["synergy"] > 0.55 and scores["synergy"] > scores["redundancy"] + 0.15, scores
    assert 0.2 < scores["redundancy"] < 0.65, scores


def _bits_pid(m):
    """PID of (b_1; b_2..b_m; y) for hd_xor's synergy label (exactly one of m bits set, half of
    the samples; InterSHAP's balanced draw): the atoms the modalities carry at best."""
    import itertools

    vecs = list(itertools.product((0, 1), repeat=m))
    n_one = sum(sum(v) == 1 for v in vecs)
    p = np.zeros((2, 2 ** (m - 1), 2))
    for v in vecs:
        y = int(sum(v) == 1)
        p[v[0], int("".join(map(str, v[1:])), 2), y] += 0.5 / (n_one if y else len(vecs) - n_one)
    return interplay.pid(p)


def test_hd_xor_synergy_label_pid_of_the_bits():
    """For m > 2 modalities the synergy label (exactly one bit set) is not a parity: modalities
    2..m alone tell something about it, so the PID of modality 1 against the rest, on the bits
    themselves, is not 1 bit of synergy (hand-checked: m = 3: R 0.052, U2 0.184, S 0.764;
    m = 4: R 0.084, U2 0.375, S 0.541; U1 = 0; I(b; y) = H(y) = 1 bit)."""
    want = {2: (0.0, 0.0, 0.0, 1.0), 3: (0.052, 0.0, 0.184, 0.764), 4: (0.084, 0.0, 0.375, 0.541)}
    for m, atoms in want.items():
        r = _bits_pid(m)
        np.testing.assert_allclose([r.redundancy, r.unique_1, r.unique_2, r.synergy], atoms,
                                   atol=1e-3)
        np.testing.assert_allclose(r.mutual_information, 1.0, atol=1e-12)


@pytest.mark.slow  # ~30 s CPU (three networks and three supervised PIDs, 3,000 x 4 modalities)
def test_hd_xor_four_modalities_intershap_and_pid_agree_in_kind():
    """4 modalities (200, 100, 100, 100 dims, 3,000 samples; measured: InterSHAP 2.2%, 55.3%,
    40.2%). PID of modality 1 against the other three (default supervised discretisation):
    uniqueness all U1, redundancy mostly R, and for the synergy label the bits' own kind
    (_bits_pid(4): S and U2, little R, no U1), shrunk to what the held-out classifier learns of
    the 4-bit function (0.24 of 1 bit; measured R 0.044, U1 0.000, U2 0.110, S 0.078)."""
    rng = np.random.default_rng(0)
    scores, atoms = {}, {}
    for setting in ("uniqueness", "synergy", "redundancy"):
        mods, y = hd_xor(N, setting, dims=(200, 100, 100, 100), d=D, seed=7)
        train_mods, test_mods = [x[:-N_TEST] for x in mods], [x[-N_TEST:] for x in mods]
        predict = train(train_mods, y[:-N_TEST])
        scores[setting] = intershap(tables=modality_tables(predict, test_mods, train_mods, 32,
                                                           rng))["intershap"]
        r = interplay.pid_from_embeddings(mods[0], np.hstack(mods[1:]), y, seed=0)
        atoms[setting] = dict(R=r.redundancy, U1=r.unique_1, U2=r.unique_2, S=r.synergy)
        ck = r.info["check"]
        np.testing.assert_allclose(ck["unresolved"], ck["label_entropy"] - ck["heldout"]["joint"],
                                   rtol=1e-12)
        atoms[setting]["unresolved"] = ck["unresolved"]
    assert scores["uniqueness"] < 0.08, scores
    assert scores["synergy"] > scores["redundancy"] + 0.08 > 0.28, scores
    assert scores["redundancy"] < 0.65, scores
    a = atoms.pop("uniqueness")
    assert a["U1"] > 0.5 and max(a["R"], a["U2"], a["S"]) < 0.1 and a["unresolved"] < 0.2, a
    a = atoms.pop("redundancy")
    assert a["R"] > 0.3 and a["R"] > max(a["U1"], a["U2"], a["S"]), a
    # the check's unresolved share says what the atoms miss (0.76 of H(y) = 1 bit)
    a = atoms.pop("synergy")
    assert a["U1"] < 0.02 and min(a["S"], a["U2"]) > a["R"] and a["S"] > 0.04, a
    assert a["unresolved"] > 0.5, a
