"""interplay.benchmark: ground truth against the brute-force oracles, metrics against hand
computations, the resumable Parquet table, shapiq's approximators through the subprocess
(skipped only without INTERPLAY_SHAPIQ_PYTHON) and the command line."""

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyarrow")

import interplay
from interplay import benchmark as B
from interplay.benchmark.metrics import faithfulness_r2, score
from interplay.games import evaluate_all

from .reference import naive_indices as R

INDICES = [("SV", 1), ("SII", 2), ("k-SII", 2), ("STII", 2), ("FSII", 2), ("FBII", 2)]
SHAPIQ_PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "")


def _oracle(table, n, index, k):
    phi = R.oracle(index, np.asarray(table), n, k)
    return np.array([phi[S] for S in R.sets_upto(n, k) if S])  # sizes 1..k


@pytest.mark.parametrize("make", [
    lambda: B.soum(7, 10, max_size=4, seed=3),
    lambda: B.random_table(6, seed=5),
    lambda: B.sklearn_tabular("diabetes", n_features=5, model="random_forest", n_background=4),
], ids=["soum", "table", "sklearn"])
def test_ground_truth_equals_brute_force(make, tmp_path):
    game = make()
    # the oracle's table comes from 2^n calls of the game itself (not its zeta-built table)
    table = evaluate_all(game.fn, game.n_players)
    for index, k in INDICES:
        res, info = B.ground_truth(game, index, cache_dir=tmp_path)
        assert not info["cached"] and res.max_order == k
        np.testing.assert_allclose(res.values[res.sizes >= 1],
                                   _oracle(table, game.n_players, index, k),
                                   rtol=1e-10, atol=1e-10, err_msg=index)
        again, info2 = B.ground_truth(game, index, cache_dir=tmp_path)
        assert info2["cached"] and np.array_equal(again.values, res.values)
        assert np.array_equal(again.sets, res.sets) and again.baseline_value == res.baseline_value


def test_ground_truth_cache_is_keyed_by_game(tmp_path):
    a, b = B.soum(6, seed=1, name="g"), B.soum(6, seed=2, name="g")
    ra, _ = B.ground_truth(a, "SV", cache_dir=tmp_path)
    rb, info = B.ground_truth(b, "SV", cache_dir=tmp_path)
    assert not info["cached"] and not np.allclose(ra.values, rb.values)


def test_table_refused_before_allocation(monkeypatch):
    import interplay._validation as V

    monkeypatch.setattr(V, "available_memory", lambda: 1 << 30)
    game = B.random_table(28)
    with pytest.raises(V.MemoryPlanError, match=r"4\.00 GiB"):
        game.table()
    with pytest.raises(ValueError, match="n_players"):
        B.random_table(31)


def test_score_by_hand():
    true = np.array([1.0, 2.0, 3.0, 4.0])
    est = np.array([1.0, 3.0, 2.0, 5.0])
    s = score(true, est, np.array([1.0, 1.0, 0.1, np.inf]), k=2)
    assert s["mse"] == pytest.approx(0.75) and s["mae"] == pytest.approx(0.75)
    assert s["precision_at_k"] == pytest.approx(0.5)  # top-2 true {3, 2}, est {3, 1}
    assert s["kendall"] == pytest.approx(4 / 6)  # 5 concordant, 1 discordant pair
    assert s["spearman"] == pytest.approx(0.8)  # 1 - 6 * 2 / (4 * 15)
    assert s["coverage"] == pytest.approx(2 / 3) and s["coverage_n"] == 3
    assert np.isnan(score(true, est)["coverage"])
    assert np.isnan(score(true, np.ones(4))["kendall"])
    assert faithfulness_r2(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])) == 0.5


def test_run_rows_resume_and_values(tmp_path):
    import pyarrow.parquet as pq

    game = B.soum(7, 12, max_size=3, seed=4)
    out = tmp_path / "r.parquet"
    kw = dict(output=out, shapiq=False, shap=False, captum=False, cache_dir=tmp_path / "c",
              progress=False)
    t1 = B.run(game, ["SV", "k-SII"], [40, 80], [0, 1], **kw).to_pylist()
    n_est = len(B.estimators_for("SV")) + len(B.estimators_for("k-SII"))
    assert len(t1) == n_est * 2 * 2 and all(r["status"] == "ok" for r in t1)
    assert (tmp_path / "r_soum7.png").stat().st_size > 1000
    # a row equals the estimator run by hand, scored by hand
    row = next(r for r in t1 if r["estimator"] == "interplay:kernelshapiq" and r["budget"] == 80
               and r["seed"] == 1 and r["index"] == "k-SII")
    truth = interplay.exact(evaluate_all(game.fn, 7), "k-SII", 2)
    # (the game as the run saw it: values from its zeta-built table, equal to the direct sums
    # to ~1e-15, which a fit from 80 coalitions amplifies to ~1e-7 relative)
    est = interplay.approximate(game, 7, "k-SII", 80, method="kernelshapiq", seed=1)
    d = est.values[est.sizes >= 1] - truth.values[truth.sizes >= 1]
    assert row["mse"] == pytest.approx(np.mean(d ** 2), rel=1e-9)
    assert row["n_evaluations"] == 80 and row["peak_memory_mb"] is None  # seed 1: no trace
    assert row["seconds_outside_game"] <= row["seconds_total"]
    # resume: a rerun adds nothing; a table missing rows gets exactly those back
    t2 = B.run(game, ["SV", "k-SII"], [40, 80], [0, 1], **kw).to_pylist()
    assert [r["seconds_total"] for r in t2] == [r["seconds_total"] for r in t1]  # not rerun
    pq.write_table(pq.read_table(out).slice(0, 5), out)
    t3 = B.run(game, ["SV", "k-SII"], [40, 80], [0, 1], **kw).to_pylist()
    key = lambda r: tuple(r[k] for k in B.runner.KEY)
    assert sorted(map(key, t3)) == sorted(map(key, t1))
    same = {key(r): r["mse"] for r in t1}
    assert all(r["mse"] == pytest.approx(same[key(r)], rel=1e-12) for r in t3)


def test_run_bad_input(tmp_path):
    with pytest.raises(TypeError, match="budgets"):
        B.run(B.soum(4), ["SV"], 100, [0], output=tmp_path / "x.parquet", shapiq=False)
    with pytest.raises(ValueError, match="budgets"):
        B.run(B.soum(4), ["SV"], [1], [0], output=tmp_path / "x.parquet", shapiq=False)
    with pytest.raises(ValueError, match="jobs"):
        B.run(B.soum(4), ["SV"], [8], [0], output=tmp_path / "x.parquet", shapiq=False, jobs=0)


def test_first_seed_over_max_seconds_skips_the_rest_of_its_cell(tmp_path):
    rows = B.run(B.soum(5, 6, seed=1), ["SV"], [12, 24], [0, 1, 2], output=tmp_path / "m.parquet",
                 estimators=["interplay:kernelshap"], shapiq=False, cache_dir=tmp_path,
                 max_seconds=0.0, progress=False, plots=False).to_pylist()
    status = {(r["budget"], r["seed"]): r["status"] for r in rows}
    assert status.pop((12, 0)) == "ok" and set(status.values()) == {"skipped"}
    assert all("seed 0 at budget 12 took" in r["error"] for r in rows if r["status"] == "skipped")


def test_shap_and_captum_samplers(tmp_path):
    pytest.importorskip("shap")
    pytest.importorskip("captum")
    import torch

    game = B.soum(6, 10, max_size=3, seed=7)
    est = [f"{lib}:{c}" for lib, cs in B.PEER_ESTIMATORS.items() for c in cs]
    state, tstate = np.random.get_state(), torch.random.get_rng_state()
    kw = dict(output=tmp_path / "p.parquet", cache_dir=tmp_path, shapiq=False, progress=False,
              plots=False)
    rows = B.run(game, ["SV"], [40, 200], [0, 1], **kw).to_pylist()
    assert {r["estimator"] for r in rows if r["library"] != "interplay"} == set(est)
    assert B.estimators_for("k-SII", shap=True, captum=True) == B.estimators_for("k-SII")
    # the global NumPy and torch generators the peers seed are restored
    assert np.array_equal(np.random.get_state()[1], state[1])
    assert torch.equal(torch.random.get_rng_state(), tstate)
    by = {(r["estimator"], r["budget"], r["seed"]): r for r in rows if r["index"] == "SV"}
    for e in est:
        for b in (40, 200):
            r = by[e, b, 0]
            assert r["status"] == "ok" and 0 < r["n_evaluations"] <= b + 1, r
    # shap's KernelExplainer enumerates all 2^6 coalitions when nsamples >= 2^6 - 2: exact
    assert by["shap:KernelExplainer", 200, 0]["mse"] < 1e-20
    assert by["shap:KernelExplainer", 40, 0]["mse"] > 1e-8
    # seeded: the same seed gives the same estimate, another seed another one
    from interplay.benchmark.peers import run_peer

    for lib, cs in B.PEER_ESTIMATORS.items():
        for c in cs:
            a = run_peer(lib, c, game, 6, 40, 3)[0]
            np.testing.assert_array_equal(a, run_peer(lib, c, game, 6, 40, 3)[0], err_msg=c)
            assert not np.array_equal(a, run_peer(lib, c, game, 6, 40, 4)[0]), c
            # the values sum to v(N) - v(empty) (efficiency) for the regression samplers
            if "Kernel" in c:
                full = game(np.ones((1, 6), bool))[0] - game(np.zeros((1, 6), bool))[0]
                assert a.sum() == pytest.approx(full, rel=1e-6, abs=1e-9), c
    with pytest.raises(ValueError, match="cls"):
        run_peer("shap", "TreeExplainer", game, 6, 40, 0)
    with pytest.raises(ValueError, match="library"):
        B.peers.installed("lime")


@pytest.mark.golden
def test_shapiq_approximators_through_subprocess(tmp_path, monkeypatch):
    if not SHAPIQ_PY or not Path(SHAPIQ_PY).exists():
        pytest.skip(f"no Python with shapiq 1.8.0 at {SHAPIQ_PY!r} (set INTERPLAY_SHAPIQ_PYTHON)")
    game = B.soum(6, 8, max_size=3, seed=2)
    est = ["shapiq:KernelSHAP", "shapiq:PermutationSamplingSV", "shapiq:KernelSHAPIQ",
           "shapiq:RegressionFSII"]
    rows = B.run(game, ["SV", "k-SII", "FSII"], [30, 64], [0], output=tmp_path / "s.parquet",
                 estimators=est, shapiq=True, cache_dir=tmp_path, progress=False,
                 plots=False).to_pylist()
    assert {r["estimator"] for r in rows} == set(est) and all(r["status"] == "ok" for r in rows)
    assert all(r["library"] == "shapiq" and r["n_evaluations"] > 0 for r in rows)
    # the regression estimators of shapiq are exact with all 2^6 = 64 coalitions
    for r in rows:
        if r["budget"] == 64 and "Permutation" not in r["estimator"]:
            assert r["mse"] < 1e-12 and r["r2"] > 0.0, r
        if r["budget"] == 30 and "Permutation" not in r["estimator"]:
            assert r["mse"] > 1e-8, r
    assert all(r["peak_memory_mb"] > 0 for r in rows if r["seed"] == 0)


def test_cli_smoke(tmp_path, capsys):
    from interplay.cli import main

    out = tmp_path / "smoke.parquet"
    assert main(["benchmark", "--suite", "smoke", "-o", str(out), "--no-shapiq",
                 "--cache", str(tmp_path / "c")]) == 0
    import pyarrow.parquet as pq

    rows = pq.read_table(out).to_pylist()
    assert len(rows) == (len(B.estimators_for("SV")) + len(B.estimators_for("k-SII"))) * 4
    assert (tmp_path / "smoke_soum8.png").exists()
    assert "rows" in capsys.readouterr().out


@pytest.mark.slow
def test_docs_example_runs(tmp_path, monkeypatch, capsys):
    import re

    doc = Path(__file__).resolve().parents[1] / "docs" / "benchmarking.md"
    block = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.DOTALL)[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INTERPLAY_BENCHMARK_CACHE", str(tmp_path / "cache"))
    exec(compile(block, "docs/benchmarking.md block 0", "exec"), {"__name__": "__doc__"})
    assert capsys.readouterr().out.count("mse") == 24
    assert (tmp_path / "bench_out" / "example_soum10.png").exists()
