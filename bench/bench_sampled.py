"""Sampled estimators vs shapiq 1.8.0's same estimators (issue 4).

(a) time spent outside the game, ours vs shapiq's, n = 20 and 60, order 2, budgets 1e3/1e4/1e5,
    on a lookup-table game (n = 20: a stored table of 2^20 normal values; n = 60: a hashed table,
    v(T) = SplitMix64(mask) / 2^64) and on a sum of unanimity games;
(b) mean squared error over 10 seeds against exact values (interplay.exact on the table, the
    closed forms of the Moebius coefficients on the sums of unanimity games), ours vs shapiq's,
    and method="auto" against shapiq's explainer default per index;
(c) FWBII order 2 in grid mode for 49 + 12 players at budget 2^19: time outside the game and
    peak memory (a separate process).

shapiq runs in /work/.venvs/shapiq312 (Python 3.12; INTERPLAY_SHAPIQ_PYTHON overrides it) in a
subprocess that rebuilds the same games (bench/_shapiq_sampled_child.py). Both sides time their
game calls and subtract them.

Full sweep (writes bench/results_sampled.json, prints the tables of bench/RESULTS.md):
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=python python bench/bench_sampled.py
pytest-benchmark (n = 20, budget 1e4, ours and shapiq in one group per estimator):
    PYTHONPATH=python python -m pytest bench/bench_sampled.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from math import comb
from pathlib import Path

import numpy as np
import pytest

import interplay
from interplay import _sets
from interplay.games import SumOfUnanimityGames

HERE = Path(__file__).resolve().parent
SHAPIQ_PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "/work/.venvs/shapiq312/bin/python")
CHILD = HERE / "_shapiq_sampled_child.py"

# name: (our index, our method, shapiq class, shapiq kwargs, order)
ESTIMATORS = {
    "PermutationSV": ("SV", "permutation", "PermutationSamplingSV", {}, 1),
    "PermutationSII": ("k-SII", "permutation", "PermutationSamplingSII",
                       {"max_order": 2, "index": "k-SII"}, 2),
    "PermutationSTII": ("STII", "permutation", "PermutationSamplingSTII", {"max_order": 2}, 2),
    "KernelSHAP": ("SV", "kernelshap", "KernelSHAP", {}, 1),
    "KernelSHAPIQ": ("k-SII", "kernelshapiq", "KernelSHAPIQ", {"max_order": 2, "index": "k-SII"}, 2),
    "RegressionFSII": ("FSII", "regression", "RegressionFSII", {"max_order": 2}, 2),
    "RegressionFBII": ("FBII", "regression", "RegressionFBII", {"max_order": 2}, 2),
    "SHAPIQ": ("k-SII", "shapiq", "SHAPIQ", {"max_order": 2, "index": "k-SII"}, 2),
    "SVARMIQ": ("k-SII", "svarmiq", "SVARMIQ", {"max_order": 2, "index": "k-SII"}, 2),
}
# index -> shapiq's explainer default (shapiq/explainer/configuration.py), for method="auto"
SHAPIQ_DEFAULT = {
    "SV": ("KernelSHAP", {}, 1),
    "k-SII": ("KernelSHAPIQ", {"max_order": 2, "index": "k-SII"}, 2),
    "SII": ("KernelSHAPIQ", {"max_order": 2, "index": "SII"}, 2),
    "STII": ("SVARMIQ", {"max_order": 2, "index": "STII"}, 2),
    "FSII": ("RegressionFSII", {"max_order": 2}, 2),
    "FBII": ("RegressionFBII", {"max_order": 2}, 2),
    "BV": ("RegressionFBII", {"max_order": 1}, 1),
}


# ----------------------------------------------------------------------------- games
def game_spec(kind: str, n: int) -> dict:
    if kind == "table":
        return {"kind": "table" if n <= 24 else "hash", "seed": 20261124}
    rng = np.random.default_rng(7 + n)
    sets = [sorted(rng.choice(n, size=int(rng.integers(1, 6)), replace=False).tolist())
            for _ in range(3 * n)]
    return {"kind": "soum", "sets": sets, "coef": rng.normal(size=len(sets)).tolist(),
            "baseline": float(rng.normal())}


def build_game(spec: dict, n: int):
    sys.path.insert(0, str(HERE))
    from _shapiq_sampled_child import make_game  # same code on both sides

    return make_game(spec, n)


class Timed:
    def __init__(self, inner, n):
        self.inner, self.n_players, self.seconds, self.cpu = inner, n, 0.0, 0.0

    def __call__(self, C):
        t, c = time.perf_counter(), time.process_time()
        v = self.inner(C)
        self.seconds += time.perf_counter() - t
        self.cpu += time.process_time() - c
        return v


def eval_sets(n: int, k: int) -> list[list[int]]:
    return [list(_sets.set_to_players(s)) for s in _sets.enumerate_sets(n, 1, k)]


# ----------------------------------------------------------------------------- truth
def _soum_weight(index: str, k: int):
    def w(s, t):
        if index in ("SV", "SII"):
            return 1.0 / (t - s + 1)
        if index == "BV":
            return 0.5 ** (t - s)
        if index == "STII":
            return (1.0 if t == s else 0.0) if s < k else 1.0 / comb(t, k)
        if t == s:
            return 1.0
        if t <= k:
            return 0.0
        if index == "FSII":
            return (-1) ** (k - s) * s / (k + s) * comb(k, s) * comb(t - 1, k) / comb(t + k - 1, k + s)
        if index == "FBII":
            return (-1) ** (k - s) * 0.5 ** (t - s) * comb(t - s - 1, k - s)
        raise ValueError(index)
    return w


def truth(spec: dict, n: int, index: str, k: int) -> np.ndarray:
    """Exact values for the sets of size 1..k (enumerate_sets order)."""
    if spec["kind"] == "table":
        values = np.random.default_rng(spec["seed"]).normal(size=1 << n)
        return interplay.exact(values, index, k).values[1:]
    if spec["kind"] != "soum":
        raise ValueError("no exact values for the hashed table")
    g = SumOfUnanimityGames(n, spec["sets"], np.array(spec["coef"]), spec["baseline"])
    base = "SII" if index == "k-SII" else index
    _, vals = g.superset_sum(_soum_weight(base, k), 1, k)
    if index == "k-SII":  # k-SII(i) = SII(i) - 1/2 sum_j SII(ij) for k = 2
        pairs = _sets.enumerate_sets(n, 2, 2)
        for r, s in enumerate(pairs):
            i, j = _sets.set_to_players(s)
            vals[i] -= 0.5 * vals[n + r]
            vals[j] -= 0.5 * vals[n + r]
    return vals


# ----------------------------------------------------------------------------- runners
def run_ours(spec, n, index, method, budget, seed, k):
    g = Timed(build_game(spec, n), n)
    t0, c0 = time.perf_counter(), time.process_time()
    res = interplay.approximate(g, n, index, budget, max_order=k, method=method, seed=seed)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds_total": total, "seconds_in_game": g.seconds, "cpu_total": cpu,
            "cpu_in_game": g.cpu, "values": res.values[1:], "budget_used": res.budget_used}


def run_shapiq(spec, n, runs):
    cfg = {"game": spec, "n_players": n, "runs": runs}
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([SHAPIQ_PY, str(CHILD)], input=json.dumps(cfg) + "\n", text=True,
                         capture_output=True, env=env, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def shapiq_run(cls, kwargs, budget, seed, n, k):
    return {"cls": cls, "kwargs": kwargs, "budget": budget, "seed": seed, "sets": eval_sets(n, k)}


# shapiq runs predicted to exceed this are skipped (recorded as such)
SHAPIQ_LIMIT_S = 120.0


def _predicted_shapiq_seconds(cls, n, budget):
    per = {"SVARMIQ": 1.7e-3 * (n / 20) ** 2, "KernelSHAPIQ": 1.2e-4, "SHAPIQ": 8e-5,
           "RegressionFSII": 1.2e-4, "RegressionFBII": 8e-5, "KernelSHAP": 9e-5}
    return per.get(cls, 1e-5) * budget * (n / 20)


def sweep(out_path: Path, ns=(20, 60), parts=("timing", "mse", "grid"),
          budgets=(1000, 10_000, 100_000)) -> dict:
    results = {"timing": [], "mse": [], "auto": [], "grid": None}
    # (a) time outside the game
    for n in (ns if "timing" in parts else ()):
        for kind in ("table", "soum"):
            spec = game_spec(kind, n)
            for budget in budgets:
                runs, names = [], []
                for name, (idx, meth, cls, kw, k) in ESTIMATORS.items():
                    best, best_cpu = None, None
                    for rep in range(3):
                        r = run_ours(spec, n, idx, meth, budget, 0, k)
                        out = r["seconds_total"] - r["seconds_in_game"]
                        cpu = r["cpu_total"] - r["cpu_in_game"]
                        best = out if best is None else min(best, out)
                        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
                        if out > 2.0:
                            break  # slow configurations: one run
                    row = {"n": n, "game": kind, "budget": budget, "estimator": name,
                           "ours_outside_s": best, "ours_outside_cpu_s": best_cpu,
                           "shapiq_outside_s": None, "shapiq_outside_cpu_s": None}
                    results["timing"].append(row)
                    if _predicted_shapiq_seconds(cls, n, budget) <= SHAPIQ_LIMIT_S:
                        runs.append(shapiq_run(cls, kw, budget, 0, n, k))
                        # the fastest of 3 runs when cheap (as for ours)
                        runs[-1]["repeat"] = 3 if _predicted_shapiq_seconds(cls, n, budget) < 5 else 1
                        names.append(len(results["timing"]) - 1)
                    print(row, flush=True)
                for pos, r in zip(names, run_shapiq(spec, n, runs)):
                    results["timing"][pos]["shapiq_outside_s"] = r["seconds_total"] - r["seconds_in_game"]
                    results["timing"][pos]["shapiq_outside_cpu_s"] = r["cpu_total"] - r["cpu_in_game"]
                    print(results["timing"][pos], flush=True)
                out_path.write_text(json.dumps(results, indent=1))
    # (b) MSE over 10 seeds at budget 1e4 (n = 20 table and SOUM, n = 60 SOUM)
    for n, kind in ((20, "table"), (20, "soum"), (60, "soum")):
        if "mse" not in parts or n not in ns:
            continue
        spec = game_spec(kind, n)
        budget = 10_000
        for name, (idx, meth, cls, kw, k) in ESTIMATORS.items():
            exact = truth(spec, n, idx, k)
            ours = [np.mean((run_ours(spec, n, idx, meth, budget, s, k)["values"] - exact) ** 2)
                    for s in range(10)]
            n_seeds = 10 if _predicted_shapiq_seconds(cls, n, budget) * 10 <= 3 * SHAPIQ_LIMIT_S else 0
            theirs = [np.mean((np.array(r["values"]) - exact) ** 2) for r in run_shapiq(
                spec, n, [shapiq_run(cls, kw, budget, s, n, k) for s in range(n_seeds)])] if n_seeds else []
            row = {"n": n, "game": kind, "budget": budget, "estimator": name,
                   "ours_mse": float(np.mean(ours)), "ours_mse_sd": float(np.std(ours) / np.sqrt(10)),
                   "shapiq_mse": float(np.mean(theirs)) if theirs else None,
                   "shapiq_mse_sd": float(np.std(theirs) / np.sqrt(len(theirs))) if theirs else None}
            results["mse"].append(row)
            print(row, flush=True)
            out_path.write_text(json.dumps(results, indent=1))
        # auto vs shapiq's explainer default, per index
        for idx, (cls, kw, k) in SHAPIQ_DEFAULT.items():
            exact = truth(spec, n, idx, k)
            ours = [np.mean((run_ours(spec, n, idx, "auto", budget, s, k)["values"] - exact) ** 2)
                    for s in range(10)]
            n_seeds = 10 if _predicted_shapiq_seconds(cls, n, budget) * 10 <= 3 * SHAPIQ_LIMIT_S else 0
            theirs = [np.mean((np.array(r["values"]) - exact) ** 2) for r in run_shapiq(
                spec, n, [shapiq_run(cls, kw, budget, s, n, k) for s in range(n_seeds)])] if n_seeds else []
            row = {"n": n, "game": kind, "index": idx,
                   "auto_method": interplay.estimators.auto_method(idx),
                   "ours_mse": float(np.mean(ours)), "ours_mse_sd": float(np.std(ours) / np.sqrt(10)),
                   "shapiq_default": cls,
                   "shapiq_mse": float(np.mean(theirs)) if theirs else None,
                   "shapiq_mse_sd": float(np.std(theirs) / np.sqrt(len(theirs))) if theirs else None}
            results["auto"].append(row)
            print(row, flush=True)
            out_path.write_text(json.dumps(results, indent=1))
    # (c) grid mode
    if "grid" not in parts:
        return results
    out = subprocess.run([sys.executable, str(HERE / "bench_sampled.py"), "--grid"],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(HERE.parent / "python")))
    results["grid"] = json.loads(out.stdout.strip().splitlines()[-1])
    print(results["grid"], flush=True)
    out_path.write_text(json.dumps(results, indent=1))
    return results


def grid_case() -> dict:
    """FWBII order 2, grid mode, 49 + 12 players, budget 2^19, dual-encoder-like game whose
    grid is one GEMM (so the time is the estimator's)."""
    import resource

    na, nb = 49, 12
    n = na + nb
    soum = SumOfUnanimityGames.random(n, 60, max_size=4, seed=0)
    basis = np.zeros((len(soum.interactions), n), bool)
    for i, S in enumerate(soum.interactions):
        basis[i, list(S)] = True
    spent = [0.0]

    class Cross:
        n_players = n

        def __call__(self, C):
            return soum(C)

        def grid_values(self, A, B):
            t = time.perf_counter()
            inA = (~(basis[:, :na][None] & ~A[:, None, :])).all(-1).astype(float)
            inB = (~(basis[:, na:][None] & ~B[:, None, :])).all(-1).astype(float)
            v = (inA * soum.coefficients) @ inB.T + soum.baseline
            spent[0] += time.perf_counter() - t
            return v

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    res = interplay.approximate(Cross(), n, "FWBII", 2**19, p=0.5, player_groups=(na, nb), seed=0)
    total = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, exact_pairs = soum.superset_sum(lambda s, t: 0.5 ** (t - s) if s == 2 else 0.0, 2, 2)
    err = res.values[1 + n:] - exact_pairs
    se = res.stderr[1 + n:]
    return {"grid": list(res.info["grid"]), "cells": int(res.budget_used),
            "seconds_outside": total - spent[0], "seconds_in_game": spent[0],
            "peak_rss_mb": rss1 / 1024, "rss_growth_mb": (rss1 - rss0) / 1024,
            "plan_mb": res.info["plan_bytes"] / 2**20,
            "pairs_rmse": float(np.sqrt(np.mean(err**2))),
            "pairs_coverage_1.96se": float(np.mean(np.abs(err) <= 1.96 * se))}


# ----------------------------------------------------------------------------- pytest-benchmark
N_BENCH, B_BENCH = 20, 10_000


@pytest.fixture(scope="module")
def shapiq_n20():
    spec = game_spec("table", N_BENCH)
    runs = [shapiq_run(cls, kw, B_BENCH, 0, N_BENCH, k) for (_, _, cls, kw, k) in ESTIMATORS.values()]
    return dict(zip(ESTIMATORS, run_shapiq(spec, N_BENCH, runs)))


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_ours(benchmark, name):
    idx, meth, cls, kw, k = ESTIMATORS[name]
    spec = game_spec("table", N_BENCH)
    benchmark.group = f"sampled {name} n=20 budget=1e4 (time outside the game)"
    r = benchmark.pedantic(lambda: run_ours(spec, N_BENCH, idx, meth, B_BENCH, 0, k), rounds=3,
                           iterations=1)
    benchmark.extra_info["outside_s"] = r["seconds_total"] - r["seconds_in_game"]
    exact = truth(spec, N_BENCH, idx, k)
    assert np.all(np.isfinite(r["values"])) and np.mean((r["values"] - exact) ** 2) < 1.0


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_shapiq(benchmark, name, shapiq_n20):
    idx, meth, cls, kw, k = ESTIMATORS[name]
    benchmark.group = f"sampled {name} n=20 budget=1e4 (time outside the game)"
    r = shapiq_n20[name]
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info["outside_s"] = r["seconds_total"] - r["seconds_in_game"]
    benchmark.extra_info["shapiq"] = r["shapiq"]
    assert len(r["values"]) == len(eval_sets(N_BENCH, k))


def report(paths: list[str]) -> str:
    """Markdown tables (bench/RESULTS.md) from the JSON files a sweep wrote."""
    res = {"timing": [], "mse": [], "auto": [], "grid": None}
    for p in paths:
        r = json.loads(Path(p).read_text())
        for key in ("timing", "mse", "auto"):
            res[key] += r.get(key, [])
        res["grid"] = r.get("grid") or res["grid"]
    lines = []
    if res["timing"]:
        lines += ["| n | game | budget | estimator | ours ms (CPU) | shapiq ms (CPU) | ratio (CPU) "
                  "| ours ms (wall) | shapiq ms (wall) |", "|---|---|---|---|---|---|---|---|---|"]
        for r in res["timing"]:
            sc, sw = r.get("shapiq_outside_cpu_s"), r.get("shapiq_outside_s")
            oc, ow = r.get("ours_outside_cpu_s", r["ours_outside_s"]), r["ours_outside_s"]
            ratio = f"{sc / oc:.0f}x" if sc else "-"
            lines.append(f"| {r['n']} | {r['game']} | {r['budget']} | {r['estimator']} | "
                         f"{1e3 * oc:.1f} | {'-' if sc is None else f'{1e3 * sc:.0f}'} | {ratio} | "
                         f"{1e3 * ow:.1f} | {'-' if sw is None else f'{1e3 * sw:.0f}'} |")
    if res["mse"]:
        lines += ["", "| n | game | estimator | ours MSE (+- s.e.) | shapiq MSE (+- s.e.) |",
                  "|---|---|---|---|---|"]
        for r in res["mse"]:
            s = "-" if r["shapiq_mse"] is None else f"{r['shapiq_mse']:.3g} +- {r['shapiq_mse_sd']:.2g}"
            lines.append(f"| {r['n']} | {r['game']} | {r['estimator']} | "
                         f"{r['ours_mse']:.3g} +- {r['ours_mse_sd']:.2g} | {s} |")
    if res["auto"]:
        lines += ["", "| n | game | index | auto (method) MSE | shapiq default MSE |",
                  "|---|---|---|---|---|"]
        for r in res["auto"]:
            s = "-" if r["shapiq_mse"] is None else (
                f"{r['shapiq_default']}: {r['shapiq_mse']:.3g} +- {r['shapiq_mse_sd']:.2g}")
            lines.append(f"| {r['n']} | {r['game']} | {r['index']} | {r['auto_method']}: "
                         f"{r['ours_mse']:.3g} +- {r['ours_mse_sd']:.2g} | {s} |")
    if res["grid"]:
        lines += ["", "grid mode: " + json.dumps(res["grid"])]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--report" in sys.argv:
        print(report(sys.argv[sys.argv.index("--report") + 1:]))
    elif "--grid" in sys.argv:
        print(json.dumps(grid_case()))
    else:
        ns = tuple(int(a.split("=")[1]) for a in sys.argv if a.startswith("--n="))or (20, 60)
        parts = tuple(a.split("=")[1] for a in sys.argv if a.startswith("--part=")) or (
            "timing", "mse", "grid")
        budgets = tuple(int(a.split("=")[1]) for a in sys.argv if a.startswith("--budget=")) or (
            1000, 10_000, 100_000)
        tag = "_".join(map(str, ns)) + "_" + "_".join(parts) + "_" + "_".join(map(str, budgets))
        sweep(HERE / f"results_sampled_{tag}.json", ns, parts, budgets)
