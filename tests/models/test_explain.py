"""interplay.explain driving phase-split estimators over packed model games.

The estimator here is a tiny exact enumeration of our own (all 2^n coalitions, brute-force
Banzhaf values and pair interactions), so these tests check the explain/scheduler plumbing
independently of the sampled estimators (tests of interplay.estimators live with them).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import interplay  # noqa: E402
from _exact_estimator import ExactBanzhaf, all_coalitions, banzhaf_result  # noqa: E402
from interplay.models import DualEncoderGame, MaskedModel, TabularMasker, TextMasker  # noqa: E402


PAIRS = [("cats sleep", "my cat naps"), ("rain falls", "wet streets today")]


def test_explain_dual_encoder_grid_equals_joint_rows_and_direct(minilm):
    res_grid = interplay.explain(minilm, PAIRS, index="FBII", budget=10**6,
                                 make_estimator=ExactBanzhaf)
    assert ExactBanzhaf.calls[-1]["groups"] is not None
    interplay.explain(minilm, PAIRS[:1], index="SII", budget=10**6, make_estimator=ExactBanzhaf)
    assert ExactBanzhaf.calls[-1]["groups"] is None  # Shapley kernels do not factorise
    res_rows = interplay.explain(minilm, PAIRS, index="FBII", budget=10**6, grid=False,
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


def test_run_estimators_collects_per_game_failures(rng):
    """errors=dict: a game whose model call, estimator or plan fails is dropped with its error;
    the others (sharing the failing model call) give the values they give alone."""
    from interplay.models import MaskedModelGame
    from interplay.models.api import run_estimators, build_games

    x = rng.normal(size=(4, 3)).astype(np.float32)
    x[1, 2] = np.nan

    def f(X):
        if torch.isnan(X).any():
            raise ValueError("model got NaN")
        return X[:, 0] * X[:, 1] + X[:, 2]

    games = build_games(f, list(x), masker=TabularMasker(np.zeros(3, np.float32)))
    assert all(isinstance(g, MaskedModelGame) for g in games)

    class FailsOnThird(ExactBanzhaf):
        def __init__(self, n, *a, **k):
            super().__init__(n, *a, **k)
            self.k = len(FailsOnThird.made)
            FailsOnThird.made.append(self)
            if self.k == 3:
                raise ValueError("budget: too small for this one")

    FailsOnThird.made = []
    errors = {}
    res = run_estimators(games, FailsOnThird, index="BII", budget=64, max_order=2,
                         method="auto", p=0.5, seed=0, errors=errors)
    assert sorted(errors) == [1, 3]
    assert "NaN" in str(errors[1]) and "too small" in str(errors[3])
    assert res[1] is None and res[3] is None
    for i in (0, 2):
        table = f(torch.from_numpy(np.where(all_coalitions(3), x[i], 0).astype(np.float32)))
        np.testing.assert_allclose(res[i].values, banzhaf_result(table.numpy(), 3).values,
                                   atol=1e-6)
    with pytest.raises(ValueError, match="NaN"):  # without errors=: the first failure raises
        run_estimators(games, ExactBanzhaf, index="BII", budget=64, max_order=2,
                       method="auto", p=0.5, seed=0)
