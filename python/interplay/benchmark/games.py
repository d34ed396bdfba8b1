"""Benchmark games: a game, a stable key for its ground-truth cache, and its table of 2^n values.

A :class:`BenchGame` wraps any game (``coalitions (m, n) bool -> values (m,)``) with a name and a
key that identifies it (the key names the cached ground truth, so two different games must never
share one). Its :meth:`BenchGame.table` builds the 2^n values the exact engine needs, refusing
before allocation when they do not fit in memory; a game that knows its Moebius coefficients
(sums of unanimity games) builds the table by one zeta transform instead of 2^n evaluations.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import sets as bits
from .._validation import check_int, format_bytes, require_memory
from ..games import SumOfUnanimityGames, TableGame, evaluate_all
from ..games.base import check_game_output

__all__ = ["BenchGame", "from_callable", "random_table", "sklearn_tabular", "soum"]

#: coalitions evaluated between two writes of a game's disk cache of evaluations
EVALUATION_CHUNK = 1 << 14
#: largest n whose table is kept after the ground truth (estimators then read it: 2^25 = 256 MiB)
KEEP_TABLE_MAX_N = 25
#: data sets scikit-learn ships (no download): name -> loader name, task
SKLEARN_DATASETS = {
    "breast_cancer": ("load_breast_cancer", "classification"),
    "wine": ("load_wine", "classification"),
    "iris": ("load_iris", "classification"),
    "diabetes": ("load_diabetes", "regression"),
    "digits": ("load_digits", "classification"),
}


class BenchGame:
    """A game under benchmark: ``game(coalitions)`` with a name, a key and a 2^n table.

    Parameters
    ----------
    name : str
        Label in the results table and the plots.
    n_players : int
    fn : callable
        ``fn(coalitions (m, n) bool) -> values (m,)``.
    key : dict or str, optional
        What identifies the game (its recipe and seeds); the ground-truth cache is keyed by it.
        Default: ``name`` (then the name must identify the game).
    table : callable, optional
        ``table() -> ndarray (2^n,)`` building all values more cheaply than 2^n calls of ``fn``.
    cache_evaluations : bool
        Keep the 2^n evaluations of ``fn`` on disk while the table is built (a model game's:
        :meth:`table` with a ``cache_dir`` resumes where an interrupted build stopped and a
        rebuild reads them back).
    model_rows : callable, optional
        ``model_rows() -> int``: the rows the model behind ``fn`` has run so far (a model
        game's encoder rows, fewer than its evaluations when sub-coalitions are shared),
        recorded with the evaluations.
    """

    def __init__(self, name: str, n_players: int, fn: Callable[[np.ndarray], Any], *,
                 key: Any = None, table: Callable[[], np.ndarray] | None = None,
                 cache_evaluations: bool = False,
                 model_rows: Callable[[], int] | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty str, got {name!r}")
        self.name = name
        self.n_players = check_int(n_players, "n_players", low=1)
        if not callable(fn):
            raise TypeError(f"fn must be callable (coalitions -> values), got {type(fn).__name__}")
        self.fn = fn
        self.key = {"name": name} if key is None else key
        self._make_table = table
        self._table: np.ndarray | None = None
        self.cache_evaluations = bool(cache_evaluations)
        self.model_rows = model_rows
        #: how the last table was built: evaluations run, read from the disk cache, model rows
        self.evaluations: dict[str, Any] = {}

    @property
    def key_hash(self) -> str:
        """sha256 of the key (JSON, sorted), the game's part of a cache file name."""
        text = json.dumps(self.key, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __call__(self, coalitions: Any) -> np.ndarray:
        """The game's values; read from the table when it is kept (identical values)."""
        if self._table is not None:
            c = bits.check_coalitions(coalitions, self.n_players)
            return self._table[bits.from_coalitions(c)[:, 0].astype(np.int64)]
        c = np.asarray(coalitions, dtype=bool)
        return check_game_output(self.fn(c), c.shape[0])

    def table_bytes(self) -> int:
        return 8 << self.n_players

    def table(self, cache_dir: Any = None) -> np.ndarray:
        """All 2^n values, entry ``mask`` = v(T) with bit i set iff i in T (kept until
        :meth:`release`). Raises MemoryPlanError naming the bytes when they do not fit: the
        table and the exact engine's Moebius table. With ``cache_dir`` and
        ``cache_evaluations``, the evaluations go to ``<cache_dir>/<name>-<key hash>/values.npy``
        in chunks of :data:`EVALUATION_CHUNK` (``values.json`` counts them), so that a build
        resumes after an interruption and a later build reads them back."""
        if self._table is not None:
            return self._table
        n = self.n_players
        if n > 30:
            raise ValueError(f"n_players = {n}: exact ground truth needs n_players <= 30")
        need = 2 * self.table_bytes()
        require_memory(need, f"the ground truth of {self.name!r} (n = {n}: a table of 2^{n} "
                       f"values and the exact engine's Moebius table, {format_bytes(need)})",
                       argument="n_players")
        if self._make_table:
            values = self._make_table()
        elif self.cache_evaluations and cache_dir is not None:
            values = self._cached_evaluations(Path(cache_dir) / self.cache_folder)
        else:
            values = evaluate_all(self.fn, n)
            self.evaluations = {"run": 1 << n, "cached": 0, "model_rows": self._rows()}
        if values.ndim != 1:
            raise ValueError(f"game {self.name!r}: the benchmark needs a scalar game, got values "
                             f"of shape {values.shape[1:]} per coalition")
        self._table = values
        return values

    @property
    def cache_folder(self) -> str:
        """``<name>-<key hash>``: the game's folder in a cache (ground truth, evaluations)."""
        return f"{self.name}-{self.key_hash}"

    def _rows(self) -> int | None:
        return None if self.model_rows is None else int(self.model_rows())

    def _cached_evaluations(self, folder: Path) -> np.ndarray:
        n, total = self.n_players, 1 << self.n_players
        folder.mkdir(parents=True, exist_ok=True)
        path, meta_path = folder / "values.npy", folder / "values.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() and path.exists() else None
        if meta is None:
            arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(total,))
            meta = {"done": 0, "evaluations": 0, "model_rows": 0, "seconds": 0.0}
        else:
            arr = np.lib.format.open_memmap(path, mode="r+")
        cached, rows0 = int(meta["done"]), self._rows()
        for start in range(cached, total, EVALUATION_CHUNK):
            stop = min(start + EVALUATION_CHUNK, total)
            t0, before = time.perf_counter(), self._rows()
            c = bits.to_coalitions(np.arange(start, stop, dtype=np.uint64)[:, None], n)
            v = check_game_output(self.fn(c), stop - start)
            if v.ndim != 1:
                raise ValueError(f"game {self.name!r}: the benchmark needs a scalar game, got "
                                 f"values of shape {v.shape[1:]} per coalition")
            arr[start:stop] = v
            arr.flush()  # the values before the count that says they are there
            meta["done"], meta["evaluations"] = stop, meta["evaluations"] + stop - start
            if before is not None:
                meta["model_rows"] += self._rows() - before
            meta["seconds"] += time.perf_counter() - t0
            tmp = meta_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(meta))
            os.replace(tmp, meta_path)
        values = np.array(arr)
        del arr
        rows = self._rows()
        self.evaluations = {"run": total - cached, "cached": cached,
                            "model_rows": None if rows is None else rows - rows0,
                            "model_rows_total": meta["model_rows"] if rows is not None else None,
                            "seconds_total": meta["seconds"], "path": str(path)}
        return values

    def release(self, keep_small: bool = True) -> None:
        """Drop the table (keep it when n <= KEEP_TABLE_MAX_N and ``keep_small``)."""
        if not (keep_small and self.n_players <= KEEP_TABLE_MAX_N):
            self._table = None

    def __repr__(self) -> str:
        return f"BenchGame({self.name!r}, n_players={self.n_players})"


def from_callable(fn: Any, n_players: int | None = None, name: str | None = None, *,
                  key: Any = None) -> BenchGame:
    """Any game: a callable ``coalitions -> values`` (interplay's or shapiq's protocol; a shapiq
    ``Game`` gives its ``n_players``). ``key`` must identify the game (default: ``name``)."""
    if isinstance(fn, BenchGame):
        return fn
    if n_players is None:
        n_players = getattr(fn, "n_players", None)
        if n_players is None:
            raise ValueError("n_players: give it for a game without an n_players attribute")
    name = name or type(fn).__name__
    return BenchGame(name, int(n_players), fn, key=key)


def soum(n_players: int, n_basis: int | None = None, *, min_size: int = 1, max_size: int = 3,
         seed: int = 0, name: str | None = None) -> BenchGame:
    """A sum of unanimity games v(T) = b + sum_k c_k [S_k subset of T] with ``n_basis`` (default
    3n) basis sets of sizes uniform in [min_size, max_size] and N(0, 1) coefficients
    (:meth:`interplay.games.SumOfUnanimityGames.random`): size sets the interactions' order,
    ``n_basis`` their sparsity. Its table is one zeta transform of the Moebius coefficients."""
    n = check_int(n_players, "n_players", low=1)
    k = 3 * n if n_basis is None else check_int(n_basis, "n_basis", low=1)
    game = SumOfUnanimityGames.random(n, k, min_size=min_size, max_size=max_size, seed=seed)

    def table() -> np.ndarray:
        from ..transforms import zeta

        m = np.zeros(1 << n)
        for s, c in game.moebius().items():
            m[sum(1 << p for p in s)] += c
        return zeta(m, out=m)

    key = {"kind": "soum", "n": n, "n_basis": k, "min_size": min_size, "max_size": max_size,
           "seed": seed}
    return BenchGame(name or f"soum{n}", n, game, key=key, table=table)


def random_table(n_players: int, *, seed: int = 0, name: str | None = None) -> BenchGame:
    """A table game of 2^n N(0, 1) values, ``numpy.random.default_rng(seed).normal(size=2**n)``
    (bench/bench_sampled.py's table game), built lazily; n <= 30 (memory checked first)."""
    n = check_int(n_players, "n_players", low=1, high=30)
    holder: dict[str, TableGame] = {}

    def table() -> np.ndarray:
        return np.random.default_rng(seed).normal(size=1 << n)

    def fn(coalitions: np.ndarray) -> np.ndarray:
        if "game" not in holder:
            require_memory(8 << n, f"the table game's 2^{n} values", argument="n_players")
            holder["game"] = TableGame(table())
        return holder["game"](coalitions)

    return BenchGame(name or f"table{n}", n, fn, key={"kind": "table", "n": n, "seed": seed},
                     table=table)


def sklearn_tabular(dataset: str = "breast_cancer", *, n_features: int | None = None,
                    model: str = "hist_gradient_boosting", instance: int = 0,
                    n_background: int = 8, seed: int = 0, name: str | None = None) -> BenchGame:
    """A local explanation game of a scikit-learn model on a data set scikit-learn ships.

    v(T) = mean_b f(x_T, b_{N minus T}) over ``n_background`` background rows b (interventional
    imputation, Janzing et al. 2020; :class:`interplay.models.TabularMasker` with draws), f the
    model's decision function (classification, log-odds) or prediction (regression), trained
    with ``seed`` on the data set's first ``n_features`` features; x is row ``instance``.

    Parameters
    ----------
    dataset : {"breast_cancer", "wine", "iris", "diabetes", "digits"}
    model : {"hist_gradient_boosting", "random_forest", "linear"}
    """
    if dataset not in SKLEARN_DATASETS:
        raise ValueError(f"dataset must be one of {sorted(SKLEARN_DATASETS)}, got {dataset!r}")
    if model not in ("hist_gradient_boosting", "random_forest", "linear"):
        raise ValueError("model must be 'hist_gradient_boosting', 'random_forest' or 'linear', "
                         f"got {model!r}")
    import sklearn
    from sklearn import datasets, ensemble, linear_model

    from ..models import TabularMasker
    from ..models.games import MaskedModelGame

    loader, task = SKLEARN_DATASETS[dataset]
    X, y = getattr(datasets, loader)(return_X_y=True)
    total = X.shape[1]
    n = total if n_features is None else check_int(n_features, "n_features", low=1, high=total)
    X = np.ascontiguousarray(X[:, :n], dtype=np.float64)
    instance = check_int(instance, "instance", low=0, high=X.shape[0] - 1)
    if task == "classification":
        y = (y == y[instance]).astype(int)  # one class against the rest: one log-odds output
        est = {"hist_gradient_boosting": lambda: ensemble.HistGradientBoostingClassifier(
                   max_iter=50, random_state=seed),
               "random_forest": lambda: ensemble.RandomForestClassifier(
                   n_estimators=50, max_depth=6, random_state=seed),
               "linear": lambda: linear_model.LogisticRegression(max_iter=2000)}[model]()
        est.fit(X, y)
        f = est.decision_function if hasattr(est, "decision_function") else \
            (lambda Z: est.predict_proba(Z)[:, 1])
    else:
        est = {"hist_gradient_boosting": lambda: ensemble.HistGradientBoostingRegressor(
                   max_iter=50, random_state=seed),
               "random_forest": lambda: ensemble.RandomForestRegressor(
                   n_estimators=50, max_depth=6, random_state=seed),
               "linear": lambda: linear_model.Ridge()}[model]()
        est.fit(X, y)
        f = est.predict
    rows = np.random.default_rng(seed).choice(X.shape[0], size=min(n_background, X.shape[0]),
                                              replace=False)
    masker = TabularMasker(background=X[rows], strategy="draws", n_draws=len(rows), seed=seed)
    game = MaskedModelGame(lambda Z: np.asarray(f(np.asarray(Z)), dtype=np.float64),
                           X[instance], masker=masker, numpy=True, cache=False)
    key = {"kind": "sklearn", "dataset": dataset, "n": n, "model": model, "instance": instance,
           "n_background": len(rows), "seed": seed, "sklearn": sklearn.__version__}
    return BenchGame(name or f"{dataset}{n}", n, game, key=key, cache_evaluations=True)
