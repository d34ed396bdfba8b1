"""Regression tests for answers that used to be silently wrong (issue 11): each case returned a
number (or lost the user's work) where it should have returned the right number or refused."""

from __future__ import annotations

import numpy as np
import pytest

import interplay


# ------------------------------------------------------------------ complex game outputs
def _complex_game(C):
    return C.sum(axis=1) * (1.0 + 2.0j)


@pytest.mark.parametrize("method", ["kernelshap", "permutation", "shapiq"])
def test_approximate_refuses_complex_game_output(method):
    with pytest.raises(TypeError, match=r"game output is complex"):
        interplay.approximate(_complex_game, 3, "SV", 8, method=method, seed=0)


def test_approximate_refuses_complex_torch_output():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"game output is complex"):
        interplay.approximate(lambda C: torch.tensor(_complex_game(C)), 3, "SV", 8, seed=0)


def test_grid_values_complex_refused():
    class Game:
        n_players = 4

        def __call__(self, C):
            return C.sum(axis=1).astype(float)

        def grid_values(self, A, B):
            return (A.sum(1)[:, None] + B.sum(1)[None, :]) * 1j

    with pytest.raises(TypeError, match=r"grid_values output is complex"):
        interplay.approximate(Game(), 4, "FWBII", 16, method="regression",
                              player_groups=(2, 2), seed=0)


def test_exact_and_evaluate_all_refuse_complex():
    from interplay.games import evaluate_all

    with pytest.raises(TypeError, match="values"):
        interplay.exact(np.arange(8) * (1 + 1j), "SV", max_order=1)
    with pytest.raises(TypeError, match="game output is complex"):
        evaluate_all(_complex_game, 3)


def test_explain_refuses_complex_model_output():
    pytest.importorskip("torch")
    from interplay.models import TabularMasker

    def model(X):
        return X.sum(axis=1) * (1 + 1j)

    with pytest.raises(TypeError, match="output is complex"):
        interplay.explain(model, [np.ones(3, np.float32)],
                          masker=TabularMasker(np.zeros(3, np.float32)), index="BV",
                          max_order=1, budget=8)
