"""Named benchmark suites (``interplay benchmark --suite NAME``)."""

from __future__ import annotations

from typing import Any

from .games import random_table, sklearn_tabular, soum

__all__ = ["SUITES", "run_suite"]

#: name -> games factory, indices, budgets, seeds, max_seconds, jobs (shapiq children at once),
#: peers (run shap's and captum's samplers when installed)
SUITES: dict[str, dict[str, Any]] = {
    # issue 16's default: 3 games (n = 14, 20, 28), 6 indices, 5 budgets, 10 seeds. The n = 20
    # table game is bench/bench_sampled.py's (seed 20261124), so its budget-1e4 cells repeat
    # bench/RESULTS.md's MSE tables.
    "default": {
        "games": lambda: [sklearn_tabular("breast_cancer", n_features=14),
                          random_table(20, seed=20261124),
                          soum(28, 84, min_size=1, max_size=5, seed=28)],
        "indices": ["SV", "SII", "k-SII", "STII", "FSII", "FBII"],
        "budgets": [625, 1250, 2500, 5000, 10000],
        "seeds": list(range(10)),
        "max_seconds": 2.0,
        "jobs": 2,
        "peers": True,
    },
    # model games: MiniLM query-passage (n = 19), a random tiny CLIP (16 patches + 5 tokens,
    # n = 21) and, with INTERPLAY_SHAPIQ_PYTHON, a shapiq_games SOUM evaluated in shapiq's Python
    "models": {
        "games": lambda: _model_games(),
        "indices": ["SV", "k-SII", "FBII"],
        "budgets": [500, 1000, 2000, 4000, 8000],
        "seeds": list(range(5)),
        "max_seconds": 2.0,
        "jobs": 2,
        "peers": True,
    },
    # a few seconds: CI smoke and the docs' first example
    "smoke": {
        "games": lambda: [soum(8, 12, max_size=3, seed=0)],
        "indices": ["SV", "k-SII"],
        "budgets": [64, 128],
        "seeds": [0, 1],
        "max_seconds": None,
        "jobs": 1,
        "peers": False,
    },
}


def _model_games() -> list:
    from .model_games import minilm_pair, shapiq_game, tiny_clip
    from .runner import shapiq_python

    games = [minilm_pair(), tiny_clip(5)]
    if shapiq_python() is not None:
        games.append(shapiq_game("SOUM", n=20, n_basis_games=60, max_interaction_size=4,
                                 random_state=20))
    return games


def run_suite(name: str, output: Any, *, seeds: int | None = None, shapiq: bool | None = None,
              peers: bool | None = None, jobs: int | None = None, cache_dir: Any = None,
              progress: bool = True) -> Any:
    """Run the suite ``name`` of :data:`SUITES` into the Parquet file ``output`` (resumable);
    ``seeds``, ``peers`` (shap's and captum's samplers, when installed) and ``jobs`` override
    the suite's settings (:func:`interplay.benchmark.run`)."""
    if name not in SUITES:
        raise ValueError(f"suite must be one of {sorted(SUITES)}, got {name!r}")
    from .runner import run

    s = SUITES[name]
    with_peers = s["peers"] if peers is None else peers
    return run(s["games"](), s["indices"], s["budgets"],
               s["seeds"] if seeds is None else list(range(seeds)), output=output,
               shapiq=shapiq, shap=None if with_peers else False,
               captum=None if with_peers else False, cache_dir=cache_dir,
               max_seconds=s["max_seconds"], jobs=s["jobs"] if jobs is None else jobs,
               progress=progress)
