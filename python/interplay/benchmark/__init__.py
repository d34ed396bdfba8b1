"""Benchmarking interaction estimators against exact ground truth.

Games (:mod:`~interplay.benchmark.games`: sums of unanimity games, random table games, local
explanations of scikit-learn models, any callable or shapiq ``Game``), ground truth by
:func:`interplay.exact` cached on disk (:func:`ground_truth`), every estimator of
:func:`interplay.approximate` and, when ``INTERPLAY_SHAPIQ_PYTHON`` names a Python with shapiq
1.8.0, shapiq's own approximators in that Python (a subprocess; shapiq is never imported here),
scored (:mod:`~interplay.benchmark.metrics`) into one resumable Parquet table with one PNG per
game (:func:`run`, :func:`plot_results`). ``interplay benchmark --suite default`` runs
:data:`SUITES` ``["default"]``; docs/benchmarking.md has a worked example. The shapiq_benchmark
``Computer`` backed by interplay is :mod:`interplay.benchmark.shapiq_computer` (import it where
shapiq_benchmark is installed).
"""

from .games import BenchGame, from_callable, random_table, sklearn_tabular, soum
from .metrics import score
from .peers import PEER_ESTIMATORS, run_peer
from .plot import plot_results
from .runner import SHAPIQ_APPROXIMATORS, estimators_for, run
from .suites import SUITES, run_suite
from .truth import ground_truth

__all__ = [
           "PEER_ESTIMATORS",
           "SHAPIQ_APPROXIMATORS",
           "SUITES",
           "BenchGame",
           "estimators_for",
           "from_callable",
           "ground_truth",
           "plot_results",
           "random_table",
           "run",
           "run_peer",
           "run_suite",
           "score",
           "sklearn_tabular",
           "soum",
]
