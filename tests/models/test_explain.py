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


def test_explain_moebius_from_every_coalition(rng):
    """index="Moebius" (no sampled estimator): every coalition is evaluated and the Moebius
    transform taken; for f = x0 x1 + x2 x3^2 with a zero baseline, m({0, 1}) = x0 x1,
    m({2, 3}) = x2 x3^2 and every other set 0."""
    x = rng.normal(size=(2, 4)).astype(np.float32)

    def f(X):
        return X[:, 0] * X[:, 1] + X[:, 2] * X[:, 3] ** 2

    res = interplay.explain(f, list(x), masker=TabularMasker(np.zeros(4, np.float32)),
                            index="Moebius", max_order=4, budget=16)
    for xi, r in zip(x, res):
        assert r.index == "Moebius" and r.info["method"] == "exact" and not r.estimated
        want = {(0, 1): xi[0] * xi[1], (2, 3): xi[2] * xi[3] ** 2}
        for s, v in zip(r.sets, r.values):
            key = tuple(i for i in range(4) if int(s) >> i & 1)
            np.testing.assert_allclose(v, want.get(key, 0.0), atol=1e-6)
    # a budget below 2^n names the budget it needs, before any model call
    with pytest.raises(ValueError, match="budget >= 16"):
        interplay.explain(lambda X: pytest.fail("model called"), list(x),
                          masker=TabularMasker(np.zeros(4, np.float32)), index="Moebius",
                          budget=15)


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


def test_explain_names_the_instance_of_an_empty_null_or_too_long_text(minilm):
    """An empty or blank text, a null one or one over the model's limit: a one-line error
    naming the instance (and the side of the pair) and the fix, before any model call."""
    calls = ExactBanzhaf.calls[:]
    for pairs, at in (([PAIRS[0], ("x", "")], r"inputs\[1\]\[1\]"),
                      ([("   ", "dogs")], r"inputs\[0\]\[0\]")):
        with pytest.raises(ValueError, match=rf"^{at} has no players \(an empty text: no tokens "
                           r"to explain\); give it a text with words in it, or leave instance "
                           r"\d out$"):
            interplay.explain(minilm, pairs, make_estimator=ExactBanzhaf)
    with pytest.raises(TypeError, match=r"^inputs\[1\]: text input must be a str .*NoneType$"):
        interplay.explain(minilm, [PAIRS[0], ("cats", None)], make_estimator=ExactBanzhaf)
    from interplay.models.maskers import TextTooLong

    with pytest.raises(TextTooLong, match=r"^inputs\[0\]: text: \d+ tokens .* truncate it$") as e:
        interplay.explain(minilm, [("cats", "dog " * 600)], make_estimator=ExactBanzhaf)
    assert e.value.limit == minilm.max_seq_length and "\n" not in str(e.value)
    assert ExactBanzhaf.calls == calls  # no estimator made


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


def test_explain_plans_each_grid_item_on_its_own(minilm):
    """A mixed set of items in one call (issue 11): an item whose budget determines its terms
    runs as asked (no warning); one that needs more budget gets the smallest budget that does,
    one that needs more than 16 x gets order 1, each with one GridBudgetWarning naming it; one
    that not even order 1 can be determined for is refused naming it (explain), or is an error
    of that item only (run_estimators with errors=, as the CLI runs it)."""
    from interplay.estimators import make_estimator
    from interplay.estimators._grid import grid_min_budget
    from interplay.models.api import GridBudgetWarning, build_games, run_estimators

    long = " ".join("abcdefghijklmnopqrstuvwxyz" * 2)  # 52 tokens
    pairs = [("cats", "dogs"),
             ("rain falls on the city", "wet streets and umbrellas everywhere today"),
             ("the quick brown fox jumps", ("over the lazy dog while the farmer watches from a "
                                            "distance and the sun sets slowly behind the hills")),
             (long, long)]
    need = grid_min_budget(5, 7, 2, 0.5, 0)
    assert 128 < need <= 16 * 128 < grid_min_budget(5, 19, 2, 0.5, 0)
    with pytest.warns(GridBudgetWarning) as rec:
        res = interplay.explain(minilm, pairs[:3], budget=128, seed=0)
    msgs = [str(w.message) for w in rec if w.category is GridBudgetWarning]
    assert len(msgs) == 2, msgs
    assert msgs[0].startswith("item 1 (5 + 7 players): budget 128 cannot determine the order-2 ")
    assert msgs[0].endswith(f"explained with budget {need} and max_order 2 (the grid determines "
                            f"every term from budget {need})")
    assert msgs[1].startswith("item 2 (5 + 19 players): budget 128 ") and "max_order 1" in msgs[1]
    assert [r.max_order for r in res] == [2, 2, 1]
    assert res[0].budget_used == 4 and res[1].budget_used <= need
    assert all(np.isfinite(r.values).all() and np.isfinite(r.stderr).all() for r in res)
    with pytest.raises(ValueError, match=r"^item 3 \(52 \+ 52 players\): grid mode cannot "
                       r"determine the order-2 FBII terms within 16 x budget 128; give budget "
                       rf">= {grid_min_budget(52, 52, 1, 0.5, 0)} or a smaller max_order$"):
        interplay.explain(minilm, pairs, budget=128, seed=0)
    errors: dict = {}
    with pytest.warns(GridBudgetWarning):
        again = run_estimators(build_games(minilm, pairs), make_estimator, index="FWBII",
                               budget=128, max_order=2, method="auto", p=0.5, seed=0,
                               labels=["a", "b", "c", "d"], errors=errors)
    assert list(errors) == [3] and "item 'd' (52 + 52 players)" in str(errors[3])
    assert again[3] is None
    for r, s in zip(again[:3], res):
        np.testing.assert_allclose(r.values, s.values, rtol=1e-6, atol=1e-6)
