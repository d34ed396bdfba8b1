"""interplay.explain driving phase-split estimators over packed model games.

The estimator here is a tiny exact enumeration of our own (all 2^n coalitions, brute-force
Banzhaf values and pair interactions), so these tests check the explain/scheduler plumbing
independently of the sampled estimators (tests of interplay.estimators live with them).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import interplay  # noqa: E402
from interplay import _sets  # noqa: E402
from interplay.models import DualEncoderGame, MaskedModel, TabularMasker, TextMasker  # noqa: E402
from interplay.results import InteractionResult  # noqa: E402


def all_coalitions(n):
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)  # row t has bits t


def banzhaf_result(table, n):
    sets = _sets.enumerate_sets(n, 1, 2)
    vals = []
    for s in sets.tolist():
        players = [i for i in range(n) if s >> i & 1]
        acc = 0.0
        for t in range(2**n):
            if t & s:
                continue
            acc += sum((-1) ** (len(players) - len(L)) * table[t | sum(1 << i for i in L)]
                       for k in range(len(players) + 1) for L in itertools.combinations(players, k))
        vals.append(acc / 2 ** (n - len(players)))
    return InteractionResult(np.array(vals), sets, n_players=n, index="BII", max_order=2,
                             min_order=1, baseline_value=float(table[0]))


class ExactBanzhaf:
    """The phase-split protocol, exactly: one round asking for every coalition (or the full
    grid of both groups)."""

    calls = []

    def __init__(self, n, index, budget, *, max_order=2, method="auto", p=0.5, seed=None,
                 player_groups=None):
        self.n, self.groups, self.table = n, player_groups, None
        self.grid_mode = player_groups is not None
        ExactBanzhaf.calls.append(dict(n=n, index=index, budget=budget, groups=player_groups))

    def next_coalitions(self):
        return None if self.table is not None else all_coalitions(self.n)

    def tell(self, values):
        self.table = np.asarray(values)

    def next_grid(self):
        na, nb = self.groups
        return None if self.table is not None else (all_coalitions(na), all_coalitions(nb))

    def tell_grid(self, values):
        na, nb = self.groups
        a, b = np.meshgrid(np.arange(2**na), np.arange(2**nb), indexing="ij")
        table = np.empty(2**self.n)
        table[(a | (b << na)).ravel()] = np.asarray(values).ravel()
        self.table = table

    def result(self):
        return banzhaf_result(self.table, self.n)


PAIRS = [("cats sleep", "my cat naps"), ("rain falls", "wet streets today")]


def test_explain_dual_encoder_grid_equals_joint_rows_and_direct(minilm):
    res_grid = interplay.explain(minilm, PAIRS, index="BII", budget=10**6,
                                 make_estimator=ExactBanzhaf)
    assert ExactBanzhaf.calls[-1]["groups"] is not None
    res_rows = interplay.explain(minilm, PAIRS, index="BII", budget=10**6, grid=False,
                                 make_estimator=ExactBanzhaf)
    assert ExactBanzhaf.calls[-1]["groups"] is None
    tok = minilm.tokenizer
    for (q, p), rg, rr in zip(PAIRS, res_grid, res_rows):
        np.testing.assert_allclose(rg.values, rr.values, atol=1e-6)
        labels = tok.convert_ids_to_tokens(tok(q)["input_ids"])[1:-1]
        assert rg.player_names[: len(labels)] == [f"query:{t}" for t in labels]
        # independent check: the joint path on a game built by hand
        joint = DualEncoderGame(MaskedModel(minilm, TextMasker(tok)), q,
                                MaskedModel(minilm, TextMasker(tok)), p, path="joint")
        ref = banzhaf_result(joint(all_coalitions(joint.n_players)), joint.n_players)
        np.testing.assert_allclose(rg.values, ref.values, atol=2e-5)


def test_explain_generic_model_with_masker(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)

    def f(X):
        return X[:, 0] * X[:, 1] + X[:, 2] * X[:, 3] ** 2

    res = interplay.explain(f, list(x), masker=TabularMasker(np.zeros(4, np.float32)), index="BII",
                            budget=64, make_estimator=ExactBanzhaf)
    assert len(res) == 3
    for xi, r in zip(x, res):
        table = f(np.where(all_coalitions(4), xi, 0).astype(np.float32))
        np.testing.assert_allclose(r.values, banzhaf_result(table, 4).values, atol=1e-6)
        assert r.player_names == ["x0", "x1", "x2", "x3"]
        # f has a pure pair (0,1) term with zero baseline: its Banzhaf interaction is x0*x1
        np.testing.assert_allclose(r[(0, 1)], xi[0] * xi[1], rtol=1e-5)


def test_explain_bad_input(minilm):
    with pytest.raises(ValueError, match="budget"):
        interplay.explain(minilm, PAIRS, budget=0, make_estimator=ExactBanzhaf)
    with pytest.raises(TypeError, match="inputs"):
        interplay.explain(minilm, "cats", make_estimator=ExactBanzhaf)
    with pytest.raises(ValueError, match="pairs"):
        interplay.explain(minilm, ["just one text"], make_estimator=ExactBanzhaf)
    with pytest.raises(ValueError, match="masker"):
        interplay.explain(lambda x: x, [np.zeros(3)], make_estimator=ExactBanzhaf)
    with pytest.raises(ValueError, match="grid"):
        interplay.explain(minilm, PAIRS, grid="yes", make_estimator=ExactBanzhaf)
