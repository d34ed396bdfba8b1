"""Ground truth by the exact engine, cached on disk by game and index."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import exact
from ..indices import get_index
from ..results import InteractionResult
from .games import BenchGame

__all__ = ["default_cache_dir", "ground_truth", "index_order"]


def default_cache_dir() -> Path:
    """``$INTERPLAY_BENCHMARK_CACHE``, else ``~/.cache/interplay/benchmark``."""
    env = os.environ.get("INTERPLAY_BENCHMARK_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "interplay" / "benchmark"


def index_order(index: Any, max_order: int | None = None) -> tuple[str, int]:
    """(name, order): order 1 for the values (SV, BV, ...), else ``max_order`` (default 2)."""
    idx = get_index(index)
    if idx.kind == "value":
        return idx.name, 1
    return idx.name, 2 if max_order is None else int(max_order)


def _path(cache_dir: Path, game: BenchGame, index: str, order: int) -> Path:
    safe = index.replace("/", "_")
    return Path(cache_dir) / game.cache_folder / f"{safe}_order{order}.npz"


def ground_truth(game: BenchGame, index: Any, max_order: int | None = None, *,
                 cache_dir: Any = None, cache: bool = True) -> tuple[InteractionResult, dict]:
    """The exact index of ``game`` (``interplay.exact`` on its 2^n table), from the cache when
    there.

    The cache file is ``<cache_dir>/<game name>-<hash of game.key>/<index>_order<k>.npz`` with
    the values, the sets and a JSON record of what it cost (``seconds_table``: building the 2^n
    values, shared by a game's indices and recorded with the first; ``seconds_exact``: the
    engine's call; ``evaluations``: the game evaluations the table took, run now and read from
    the game's disk cache (:meth:`BenchGame.table`), and the model rows behind them).

    Returns
    -------
    (InteractionResult, info) with info keys ``cached``, ``seconds_table``, ``seconds_exact``,
    ``path``.
    """
    name, order = index_order(index, max_order)
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    path = _path(cache_dir, game, name, order)
    if cache and path.exists():
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            res = InteractionResult(z["values"], z["sets"], n_players=game.n_players, index=name,
                                    max_order=order, min_order=0,
                                    baseline_value=float(meta["baseline_value"]))
        return res, {**meta["cost"], "cached": True, "path": str(path)}
    had = game._table is not None
    t0 = time.perf_counter()
    table = game.table(cache_dir if cache else None)
    t_table = 0.0 if had else time.perf_counter() - t0
    t0 = time.perf_counter()
    res = exact(table, name, order)
    t_exact = time.perf_counter() - t0
    cost = {"seconds_table": t_table, "seconds_exact": t_exact,
            "evaluations": {} if had else game.evaluations}
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"game": game.key, "index": name, "order": order,
                "baseline_value": float(res.baseline_value), "cost": cost}
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as fh:
            np.savez(fh, values=res.values, sets=res.sets, meta=json.dumps(meta, default=str))
        os.replace(fh.name, path)
    return res, {**cost, "cached": False, "path": str(path) if cache else None}
