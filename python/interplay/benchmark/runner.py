"""The sweep: games x estimators x indices x budgets x seeds, one Parquet row each, resumable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..estimators import approximate
from ..estimators._api import METHODS
from ..indices import get_index
from ..results import InteractionResult
from .games import BenchGame, from_callable
from .metrics import align, faithfulness_r2, score
from .truth import ground_truth, index_order

__all__ = ["COLUMNS", "SHAPIQ_APPROXIMATORS", "ShapiqRunner", "estimators_for", "run",
           "shapiq_python"]

#: shapiq 1.8.0's counterparts of interplay's methods (their classes, run in their Python):
#: class -> indices it is run for (each must be in the class's valid_indices)
SHAPIQ_APPROXIMATORS: dict[str, tuple[str, ...]] = {
    "PermutationSamplingSV": ("SV",),
    "PermutationSamplingSII": ("SII", "k-SII"),
    "PermutationSamplingSTII": ("STII",),
    "KernelSHAP": ("SV",),
    "SVARM": ("SV", "BV"),
    "KernelSHAPIQ": ("SV", "SII", "k-SII"),
    "RegressionFSII": ("FSII",),
    "RegressionFBII": ("FBII", "BV"),
    "SHAPIQ": ("SV", "SII", "k-SII", "STII", "BII", "CHII"),
    "SVARMIQ": ("SV", "SII", "k-SII", "STII", "BII", "CHII"),
}

#: the key of a row (a rerun skips rows whose key is in the table)
KEY = ("game", "estimator", "index", "order", "budget", "seed")
COLUMNS = KEY + (
    "n_players", "library", "status", "error", "mse", "mae", "precision_at_k", "kendall",
    "spearman", "coverage", "coverage_n", "r2", "n_evaluations", "seconds_total",
    "seconds_in_game", "seconds_outside_game", "cpu_outside_game", "peak_memory_mb",
)


def shapiq_python() -> str | None:
    """The Python with shapiq 1.8.0 (``$INTERPLAY_SHAPIQ_PYTHON``), or None."""
    py = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "")
    return py if py and Path(py).exists() else None


def estimators_for(index: str, *, shapiq: bool = False) -> list[str]:
    """Names of the estimators of ``index``: ``interplay:<method>`` for every method of
    interplay.approximate that serves it, then ``shapiq:<class>`` (:data:`SHAPIQ_APPROXIMATORS`)."""
    out = [f"interplay:{m}" for m, served in METHODS.items() if index in served]
    if shapiq:
        out += [f"shapiq:{c}" for c, served in SHAPIQ_APPROXIMATORS.items() if index in served]
    return out


class _Counted:
    """The game seen by an estimator: counts rows and the time spent inside."""

    def __init__(self, game: BenchGame) -> None:
        self.game, self.n_players = game, game.n_players
        self.rows, self.seconds, self.cpu = 0, 0.0, 0.0

    def __call__(self, coalitions: Any) -> np.ndarray:
        t, c = time.perf_counter(), time.process_time()
        v = self.game(coalitions)
        self.seconds += time.perf_counter() - t
        self.cpu += time.process_time() - c
        self.rows += len(v)
        return v


class ShapiqRunner:
    """One child process in shapiq's Python (bench's _shapiq_child protocol, see
    interplay/benchmark/_shapiq_child.py): shapiq's approximators call back for game values."""

    def __init__(self, python: str) -> None:
        child = Path(__file__).with_name("_shapiq_child.py")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen([python, str(child)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.rows = 0
        self.version = self._result(None)["ready"]

    def _result(self, game: Any) -> dict:
        out, inp = self.proc.stdout, self.proc.stdin
        while True:
            line = out.readline()
            if not line:
                raise RuntimeError(f"the shapiq child ended (exit {self.proc.poll()})")
            if line.startswith(b"R "):
                return json.loads(line[2:])
            m = int(line.split()[1])
            n = game.n_players
            self.rows += m
            C = np.frombuffer(out.read(m * n), dtype=np.uint8).reshape(m, n).astype(bool)
            inp.write(np.ascontiguousarray(game(C), dtype=np.float64).tobytes())
            inp.flush()

    def run(self, game: Any, cls: str, index: str, order: int, budget: int, seed: int,
            sets: list, trace_memory: bool = False) -> dict:
        req = {"cls": cls, "n": game.n_players, "index": index, "order": order,
               "budget": int(budget), "seed": int(seed), "sets": sets,
               "trace_memory": trace_memory}
        self.rows = 0
        self.proc.stdin.write((json.dumps(req) + "\n").encode())
        self.proc.stdin.flush()
        out = self._result(game)
        out["n_rows"] = self.rows
        return out

    def close(self) -> None:
        try:
            self.proc.stdin.write(b"quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def _run_interplay(game: BenchGame, method: str, index: str, order: int, budget: int, seed: int,
                   trace_memory: bool) -> tuple[InteractionResult, dict]:
    counted = _Counted(game)
    if trace_memory:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # under-determined designs: the row shows the error
        res = approximate(counted, game.n_players, index, budget, max_order=order, method=method,
                          seed=seed)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = None
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return res, {"seconds_total": total, "seconds_in_game": counted.seconds,
                 "cpu_total": cpu, "cpu_in_game": counted.cpu, "n_evaluations": counted.rows,
                 "peak_bytes": peak}


def _shapiq_result(truth: InteractionResult, out: dict) -> InteractionResult:
    """shapiq's estimate on truth's sets as an InteractionResult (the empty set: its baseline)."""
    vals = np.concatenate([[out["baseline"]], out["values"]])
    rows = np.concatenate([np.flatnonzero(truth.sizes == 0), np.flatnonzero(truth.sizes >= 1)])
    return InteractionResult(vals, truth.sets[rows], n_players=truth.n_players,
                             index=truth.index, max_order=truth.max_order, min_order=0)


class _Table:
    """The Parquet results table: rows kept in memory, rewritten atomically every few seconds."""

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.rows: list[dict] = []
        if path.exists():
            self.rows = pq.read_table(path).to_pylist()
        self.done = {tuple(r[k] for k in KEY) for r in self.rows}
        self.last = time.monotonic()

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.done.add(tuple(row[k] for k in KEY))
        if time.monotonic() - self.last > 5:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows:
            return
        cols = {c: [r.get(c) for r in self.rows] for c in COLUMNS}
        types = {c: pa.string() for c in ("game", "estimator", "index", "library", "status",
                                          "error")}
        types.update({c: pa.int64() for c in ("order", "budget", "seed", "n_players",
                                               "coverage_n", "n_evaluations")})
        table = pa.table({c: pa.array(v, type=types.get(c, pa.float64())) for c, v in cols.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, self.path)
        self.last = time.monotonic()


def _as_game(g: Any) -> BenchGame:
    return g if isinstance(g, BenchGame) else from_callable(g)


def _check_list(values: Any, name: str, kind: type) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise TypeError(f"{name} must be a non-empty list, got {values!r}")
    for v in values:
        if kind is int and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise TypeError(f"{name}: expected integers, got {v!r}")
    return list(values)


def run(games: Any, indices: Sequence[Any], budgets: Sequence[int], seeds: Sequence[int], *,
        output: Any, estimators: Sequence[str] | None = None, shapiq: bool | None = None,
        cache_dir: Any = None, k: int = 10, n_faithfulness: int = 1000,
        max_seconds: float | None = None, progress: bool = True, plots: bool = True) -> Any:
    r"""Run every estimator on every game, index, budget and seed; score against exact values.

    Rows already in ``output`` (same game, estimator, index, order, budget, seed) are skipped,
    so an interrupted run resumes; the table is rewritten every few seconds and at the end.

    Parameters
    ----------
    games : BenchGame or callable, or a list of them
        :mod:`interplay.benchmark.games` (``soum``, ``random_table``, ``sklearn_tabular``,
        ``from_callable``; a shapiq ``Game`` works through ``from_callable``). n <= 30.
    indices : list of str or (str, order)
        Index names of interplay (order 1 for values, else 2 unless given).
    budgets, seeds : lists of int
    output : path
        The Parquet table (one row per game x estimator x index x budget x seed). Plots go next
        to it: ``<stem>_<game>.png``.
    estimators : list of str, optional
        ``interplay:<method>`` and ``shapiq:<class>`` names; default every one serving the
        index (:func:`estimators_for`).
    shapiq : bool, optional
        Run shapiq's own approximators in ``$INTERPLAY_SHAPIQ_PYTHON`` (a subprocess; shapiq is
        never imported here). None: when that Python is set.
    cache_dir : path, optional
        Ground-truth cache (:func:`interplay.benchmark.truth.default_cache_dir`).
    k : int
        Top-k of precision@k.
    n_faithfulness : int
        Coalitions of the faithfulness sample (one sample per game and measure, seed 0; the
        Shapley kernel, or the uniform measure for the Banzhaf family).
    max_seconds : float, optional
        Skip (status "skipped") the larger budgets of a (game, estimator, index) whose CPU time
        outside the game at the last budget (median over seeds), scaled by the budget ratio,
        predicts more than this per run (CPU time: the same prediction on a busy machine).

    Returns
    -------
    pyarrow.Table

    Notes
    -----
    Scores: :func:`interplay.benchmark.metrics.score` on the sets of size 1..k; ``r2`` is the
    faithfulness R^2 = 1 - sum (v - v_hat)^2 / sum (v - mean v)^2 of the explanation's game
    v_hat(T) = sum_{S subset T} e_S (:func:`interplay.fidelity`). Times: wall seconds of the
    estimator call, inside the game, and outside it (CPU outside too); ``peak_memory_mb``:
    the tracemalloc peak (NumPy buffers and Python objects) of a separate run of the first seed.
    """
    games = [_as_game(g) for g in (games if isinstance(games, (list, tuple)) else [games])]
    indices = [index_order(*i) if isinstance(i, tuple) else index_order(i)
               for i in _check_list(indices, "indices", object)]
    budgets = sorted(int(b) for b in _check_list(budgets, "budgets", int))
    seeds = [int(s) for s in _check_list(seeds, "seeds", int)]
    if any(b < 2 for b in budgets):
        raise ValueError(f"budgets must be >= 2, got {budgets}")
    py = shapiq_python()
    if shapiq and py is None:
        raise ValueError("shapiq=True needs INTERPLAY_SHAPIQ_PYTHON: a Python with shapiq 1.8.0")
    use_shapiq = py is not None if shapiq is None else bool(shapiq)
    output = Path(output)
    table = _Table(output)
    plan = [(g, name, order, est) for g in games for name, order in indices
            for est in (estimators_for(name, shapiq=use_shapiq) if estimators is None else
                        [e for e in estimators if e in estimators_for(name, shapiq=True)])]
    total = len(plan) * len(budgets) * len(seeds)
    done0 = sum(1 for g, name, order, est in plan for b in budgets for s in seeds
                if (g.name, est, name, order, b, s) in table.done)
    t_start, count = time.monotonic(), done0
    last_print = 0.0
    try:
        for g in games:
            todo = [(name, order, est) for gg, name, order, est in plan if gg is g]
            if all((g.name, est, name, order, b, s) in table.done
                   for name, order, est in todo for b in budgets for s in seeds):
                continue
            truths = {}
            for name, order in indices:
                res, info = ground_truth(g, name, order, cache_dir=cache_dir)
                truths[name, order] = res
                if progress:
                    how = "cached" if info["cached"] else (
                        f"table {info['seconds_table']:.2f} s, exact {info['seconds_exact']:.2f} s")
                    print(f"ground truth {g.name} {name} order {order}: {how}", file=sys.stderr)
            g.release()
            samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            child = ShapiqRunner(py) if use_shapiq and any(
                e.startswith("shapiq:") for _, _, e in todo) else None
            try:
                for name, order, est in todo:
                    truth = truths[name, order]
                    idx = get_index(name)
                    weighting = "banzhaf" if "product_measure" in idx.capabilities else "shapley"
                    if weighting not in samples:
                        from ..metrics.fidelity import sample_coalitions

                        C = sample_coalitions(g.n_players, n_faithfulness, weighting=weighting,
                                              seed=0)
                        samples[weighting] = (C, g(C))
                    C, v = samples[weighting]
                    tr = truth.values[truth.sizes >= 1]
                    sets = [list(truth.players(r)) for r in np.flatnonzero(truth.sizes >= 1)]
                    prev: tuple[int, float] | None = None
                    for b in budgets:
                        skip = None
                        if max_seconds is not None and prev is not None:
                            predicted = prev[1] * b / prev[0]
                            if predicted > max_seconds:
                                skip = (f"skipped: predicted {predicted:.1f} s CPU per run "
                                        f"outside the game > max_seconds = {max_seconds}")
                        times = []
                        for s in seeds:
                            key = (g.name, est, name, order, b, s)
                            if key in table.done:
                                continue
                            row = dict(zip(KEY, key), n_players=g.n_players,
                                       library=est.split(":")[0])
                            if skip:
                                table.add({**row, "status": "skipped", "error": skip})
                                count += 1
                                continue
                            row.update(_one(g, child, est, name, order, b, s, truth, tr, sets,
                                            C, v, k, trace_memory=s == seeds[0]))
                            table.add(row)
                            if row["status"] == "ok":
                                times.append(row["cpu_outside_game"])
                            count += 1
                            now = time.monotonic()
                            if progress and (now - last_print > 2 or count == total):
                                last_print = now
                                rate = (count - done0) / max(now - t_start, 1e-9)
                                eta = (total - count) / rate if rate > 0 else float("nan")
                                print(f"[{count}/{total}] {g.name} {est} {name} budget {b} "
                                      f"seed {s}: mse {row.get('mse', float('nan')):.3g} "
                                      f"({now - t_start:.0f} s, eta {eta:.0f} s)", file=sys.stderr)
                        if times:
                            prev = (b, float(np.median(times)))
            finally:
                if child is not None:
                    child.close()
    finally:
        table.flush()
    if plots and table.rows:
        from .plot import plot_results

        plot_results(output)
    import pyarrow.parquet as pq

    return pq.read_table(output) if output.exists() else None


def _one(g, child, est, index, order, budget, seed, truth, tr, sets, C, v, k, trace_memory):
    lib, what = est.split(":", 1)
    try:
        if lib == "interplay":
            res, t = _run_interplay(g, what, index, order, budget, seed, False)
            peak = (_run_interplay(g, what, index, order, budget, seed, True)[1]["peak_bytes"]
                    if trace_memory else None)
        else:
            t = child.run(g, what, index, order, budget, seed, sets)
            if "error" in t:
                return {"status": "failed", "error": t["error"]}
            peak = (child.run(g, what, index, order, budget, seed, sets, True)["peak_bytes"]
                    if trace_memory else None)
            res = _shapiq_result(truth, t)
            t["n_evaluations"] = t["n_rows"]  # rows the parent evaluated for the child
    except Exception as exc:  # noqa: BLE001  (a failed run is a row)
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
    est_vals, se = align(truth, res)
    out = {"status": "ok", **score(tr, est_vals, se, k=k)}
    from ..metrics.fidelity import ExplanationGame

    out["r2"] = faithfulness_r2(v, ExplanationGame(res)(C))
    out.update(n_evaluations=t.get("n_evaluations"), seconds_total=t["seconds_total"],
               seconds_in_game=t["seconds_in_game"],
               seconds_outside_game=t["seconds_total"] - t["seconds_in_game"],
               cpu_outside_game=t["cpu_total"] - t["cpu_in_game"],
               peak_memory_mb=None if peak is None else peak / 2**20)
    return out
