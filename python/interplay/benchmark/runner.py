"""The sweep: games x estimators x indices x budgets x seeds, one Parquet row each, resumable."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int
from ..estimators import approximate
from ..estimators._api import METHODS
from ..indices import get_index
from ..results import InteractionResult
from .games import BenchGame, from_callable
from .metrics import align, faithfulness_r2, score
from .peers import PEER_ESTIMATORS, installed, run_peer
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


def estimators_for(index: str, *, shapiq: bool = False, shap: bool = False,
                   captum: bool = False) -> list[str]:
    """Names of the estimators of ``index``: ``interplay:<method>`` for every method of
    interplay.approximate that serves it, then ``shapiq:<class>`` (:data:`SHAPIQ_APPROXIMATORS`),
    ``shap:<class>`` and ``captum:<class>`` (:data:`~interplay.benchmark.peers.PEER_ESTIMATORS`,
    Shapley values only) for the libraries asked for."""
    out = [f"interplay:{m}" for m, served in METHODS.items() if index in served]
    if shapiq:
        out += [f"shapiq:{c}" for c, served in SHAPIQ_APPROXIMATORS.items() if index in served]
    for lib, wanted in (("shap", shap), ("captum", captum)):
        if wanted and index == "SV":
            out += [f"{lib}:{c}" for c in PEER_ESTIMATORS[lib]]
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

    def __init__(self, python: str, lock: Any = None) -> None:
        self.lock = lock if lock is not None else threading.Lock()
        self.proc = spawn_child(python)
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
            with self.lock:
                v = np.ascontiguousarray(game(C), dtype=np.float64)
            inp.write(v.tobytes())
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
        end_child(self.proc)


def spawn_child(python: str, *args: str, stderr: Any = subprocess.DEVNULL) -> Any:
    """``python _shapiq_child.py *args`` with pipes, without this process's PYTHONPATH."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    child = Path(__file__).with_name("_shapiq_child.py")
    return subprocess.Popen([python, str(child), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=stderr, env=env)


def end_child(proc: Any) -> None:
    """Ask a child to quit; kill it when it does not within 30 s."""
    if proc.poll() is not None:
        return
    try:
        proc.stdin.write(b"quit\n")
        proc.stdin.close()
        proc.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


def _timed(game: BenchGame, estimate: Any, trace_memory: bool) -> tuple[Any, dict]:
    """``estimate(counted_game)`` with its wall and CPU time in and outside the game, the rows
    it evaluated and (``trace_memory``) its tracemalloc peak."""
    counted = _Counted(game)
    if trace_memory:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # under-determined designs: the row shows the error
        res = estimate(counted)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = None
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return res, {"seconds_total": total, "seconds_in_game": counted.seconds,
                 "cpu_total": cpu, "cpu_in_game": counted.cpu, "n_evaluations": counted.rows,
                 "peak_bytes": peak}


def _estimate(lib: str, what: str, n: int, index: str, order: int, budget: int,
              seed: int) -> Any:
    """The call that runs estimator ``lib:what`` in this process on a game."""
    if lib == "interplay":
        return lambda game: approximate(game, n, index, budget, max_order=order, method=what,
                                        seed=seed)
    return lambda game: run_peer(lib, what, game, n, budget, seed)


def _values_result(truth: InteractionResult, baseline: float,
                   values: Any) -> InteractionResult:
    """A peer's estimate on truth's sets of size >= 1 as an InteractionResult (the empty set:
    its baseline)."""
    vals = np.concatenate([[baseline], values])
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
        shap: bool | None = None, captum: bool | None = None,
        cache_dir: Any = None, k: int = 10, n_faithfulness: int = 1000,
        max_seconds: float | None = None, progress: bool = True, plots: bool = True,
        jobs: int = 1) -> Any:
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
        ``interplay:<method>``, ``shapiq:<class>``, ``shap:<class>`` and ``captum:<class>``
        names; default every one serving the index (:func:`estimators_for`).
    shapiq : bool, optional
        Run shapiq's own approximators in ``$INTERPLAY_SHAPIQ_PYTHON`` (a subprocess; shapiq is
        never imported here). None: when that Python is set.
    shap, captum : bool, optional
        Run shap's (KernelExplainer, PermutationExplainer, SamplingExplainer) and captum's
        (ShapleyValueSampling, KernelShap) samplers on the Shapley value rows, in this process
        (:func:`interplay.benchmark.peers.run_peer`). None: when the library is installed.
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
        predicts more than this per run (CPU time: the same prediction on a busy machine),
        and the other seeds and larger budgets of one whose first seed at a budget took more.
    jobs : int
        shapiq children run at once (one thread each drives one; shapiq's approximators are
        single-threaded Python, so 2 on 2 cores about halves their wall time). interplay's,
        shap's and captum's estimators run before them, one at a time.

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
    jobs = check_int(jobs, "jobs", low=1)
    py = shapiq_python()
    if shapiq and py is None:
        raise ValueError("shapiq=True needs INTERPLAY_SHAPIQ_PYTHON: a Python with shapiq 1.8.0")
    use_shapiq = py is not None if shapiq is None else bool(shapiq)
    peers = {}
    for lib, wanted in (("shap", shap), ("captum", captum)):
        if wanted and not installed(lib):
            raise ValueError(f"{lib}=True: {lib} is not installed")
        peers[lib] = installed(lib) if wanted is None else bool(wanted)
    output = Path(output)
    table = _Table(output)
    plan = [(g, name, order, est) for g in games for name, order in indices
            for est in (estimators_for(name, shapiq=use_shapiq, **peers) if estimators is None
                        else [e for e in estimators
                              if e in estimators_for(name, shapiq=True, shap=True, captum=True)])]
    total = len(plan) * len(budgets) * len(seeds)
    done0 = sum(1 for g, name, order, est in plan for b in budgets for s in seeds
                if (g.name, est, name, order, b, s) in table.done)
    state = {"count": done0, "last_print": 0.0, "t_start": time.monotonic()}
    lock = threading.Lock()  # the table, the progress line and the game's calls

    def add(row: dict) -> None:
        with lock:
            table.add(row)
            state["count"] += 1
            now = time.monotonic()
            if progress and row["status"] != "skipped" and (
                    now - state["last_print"] > 2 or state["count"] == total):
                state["last_print"] = now
                rate = (state["count"] - done0) / max(now - state["t_start"], 1e-9)
                eta = (total - state["count"]) / rate if rate > 0 else float("nan")
                mse = row.get("mse")
                print(f"[{state['count']}/{total}] {row['game']} {row['estimator']} "
                      f"{row['index']} budget {row['budget']} seed {row['seed']}: mse "
                      f"{float('nan') if mse is None else mse:.3g} "
                      f"({now - state['t_start']:.0f} s, eta {eta:.0f} s)", file=sys.stderr)

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
                    ev = info.get("evaluations") or {}
                    how = "cached" if info["cached"] else (
                        f"table {info['seconds_table']:.2f} s, exact {info['seconds_exact']:.2f} s"
                        + (f"; {ev['run']} evaluations run, {ev['cached']} from the disk cache"
                           if ev.get("run") is not None else ""))
                    print(f"ground truth {g.name} {name} order {order}: {how}", file=sys.stderr)
            g.release()
            samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for name, order in indices:
                weighting = ("banzhaf" if "product_measure" in get_index(name).capabilities
                             else "shapley")
                if weighting not in samples:
                    from ..metrics.fidelity import sample_coalitions

                    C = sample_coalitions(g.n_players, n_faithfulness, weighting=weighting,
                                          seed=0)
                    samples[weighting] = (C, g(C))
            cell = _Cell(g, truths, samples, budgets, seeds, table.done, max_seconds, k, add)
            # interplay's, shap's and captum's run here, one at a time (CPU times of this
            # process); shapiq's in `jobs` children at once, each timed inside its child
            for name, order, est in todo:
                if not est.startswith("shapiq:"):
                    cell.run(None, name, order, est)
            remote = [c for c in todo if c[2].startswith("shapiq:")]
            if remote:
                _run_remote(cell, py, remote, min(jobs, len(remote)), lock)
    finally:
        table.flush()
    if plots and table.rows:
        from .plot import plot_results

        plot_results(output)
    import pyarrow.parquet as pq

    return pq.read_table(output) if output.exists() else None


#: in-process estimators already called once in this process (see _Cell.run)
_WARMED: set[str] = set()


class _Cell:
    """The budgets and seeds of one (game, estimator, index) of a run, with the skip rules."""

    def __init__(self, g, truths, samples, budgets, seeds, done, max_seconds, k, add) -> None:
        self.g, self.truths, self.samples = g, truths, samples
        self.budgets, self.seeds, self.done = budgets, seeds, done
        self.max_seconds, self.k, self.add = max_seconds, k, add

    def run(self, child: Any, name: str, order: int, est: str) -> None:
        g, truth = self.g, self.truths[name, order]
        weighting = "banzhaf" if "product_measure" in get_index(name).capabilities else "shapley"
        C, v = self.samples[weighting]
        tr = truth.values[truth.sizes >= 1]
        sets = [list(truth.players(r)) for r in np.flatnonzero(truth.sizes >= 1)]
        lib, what = est.split(":", 1)
        if lib != "shapiq" and est not in _WARMED:
            # the first call in a process (imports, shap's numba compilation: 5.7 s for
            # PermutationExplainer) is not the estimator's cost: run it once, untimed
            _WARMED.add(est)
            with contextlib.suppress(Exception), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _estimate(lib, what, g.n_players, name, order, 2 * g.n_players + 2, 0)(g)
        prev: tuple[int, float] | None = None
        skip = None
        for b in self.budgets:
            if skip is None and self.max_seconds is not None and prev is not None:
                predicted = prev[1] * b / prev[0]
                if predicted > self.max_seconds:
                    skip = (f"skipped: predicted {predicted:.1f} s CPU per run outside the game "
                            f"> max_seconds = {self.max_seconds}")
            times = []
            for s in self.seeds:
                key = (g.name, est, name, order, b, s)
                if key in self.done:
                    continue
                row = dict(zip(KEY, key), n_players=g.n_players, library=est.split(":")[0])
                if skip:
                    self.add({**row, "status": "skipped", "error": skip})
                    continue
                row.update(_one(g, child, est, name, order, b, s, truth, tr, sets, C, v, self.k,
                                trace_memory=s == self.seeds[0]))
                self.add(row)
                if row["status"] == "ok":
                    times.append(row["cpu_outside_game"])
                    if (self.max_seconds is not None and len(times) == 1
                            and row["cpu_outside_game"] > self.max_seconds):
                        skip = (f"skipped: seed {s} at budget {b} took "
                                f"{row['cpu_outside_game']:.1f} s CPU outside the game > "
                                f"max_seconds = {self.max_seconds}")
            if times:
                prev = (b, float(np.median(times)))


def _run_remote(cell: _Cell, python: str, cells: list, jobs: int, lock: threading.Lock) -> None:
    """shapiq's cells in ``jobs`` threads, each driving its own shapiq child (the children
    compute in parallel; this process only answers their game calls, under ``lock``)."""
    queue = list(cells)
    errors: list[BaseException] = []

    def worker() -> None:
        child = None
        try:
            child = ShapiqRunner(python, lock)
            while not errors:
                with lock:
                    if not queue:
                        return
                    name, order, est = queue.pop(0)
                cell.run(child, name, order, est)
        except BaseException as exc:  # noqa: BLE001  (re-raised in the caller's thread)
            errors.append(exc)
        finally:
            if child is not None:
                child.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(jobs)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        errors.append(KeyboardInterrupt())
        for t in threads:
            t.join()
        raise
    if errors:
        raise errors[0]


def _one(g, child, est, index, order, budget, seed, truth, tr, sets, C, v, k, trace_memory):
    lib, what = est.split(":", 1)
    try:
        if lib == "shapiq":
            t = child.run(g, what, index, order, budget, seed, sets)
            if "error" in t:
                return {"status": "failed", "error": t["error"]}
            peak = (child.run(g, what, index, order, budget, seed, sets, True)["peak_bytes"]
                    if trace_memory else None)
            res = _values_result(truth, t["baseline"], t["values"])
            t["n_evaluations"] = t["n_rows"]  # rows the parent evaluated for the child
        else:
            call = _estimate(lib, what, g.n_players, index, order, budget, seed)
            res, t = _timed(g, call, False)
            peak = _timed(g, call, True)[1]["peak_bytes"] if trace_memory else None
            if lib != "interplay":
                res = _values_result(truth, res[1], res[0])
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
