"""An interplay-backed ground-truth ``Computer`` for shapiq 1.8.0's ``shapiq_benchmark``.

Import it where shapiq and shapiq_benchmark are installed (Python >= 3.12)::

    from shapiq_benchmark import Benchmark, run
    from interplay.benchmark.shapiq_computer import InterplayComputer

    benchmark = Benchmark(game, InterplayComputer(game))
    results = run(benchmark, [shapiq.KernelSHAPIQ], budgets=[1000], index="k-SII", order=2)

It evaluates the game once on all 2^n coalitions (as shapiq's ``BruteForceComputer`` does, through
the game's ``__call__``, normalisation included) and computes every index with
:func:`interplay.exact` in O(k n 2^n) instead of ``ExactComputer``'s dictionary walks, so it
reaches n = 30 where brute force stops near 20 (docs/benchmarking.md, bench/RESULTS.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from shapiq import ExactComputer
from shapiq_benchmark.computers import Computer, UnsupportedComputationError

from .._validation import format_bytes, require_memory
from ..engine import MAX_PLAYERS, exact
from ..games import evaluate_all
from ..indices import INDEX_NAMES

__all__ = ["InterplayComputer"]


class InterplayComputer(Computer):
    """Exact values of any game of at most 30 players by interplay's exact engine.

    Supports the indices of shapiq's ``ExactComputer`` that interplay computes (all of them in
    interplay 0.1). The game values are evaluated once, in batches of 2^16 coalitions, and reused
    for every index and order; the memory for them and the engine's Moebius table is checked
    before allocation (a ``MemoryPlanError``, a ValueError, names the bytes).
    """

    name = "interplay"
    max_players: ClassVar[int] = MAX_PLAYERS

    def __init__(self, game: Any) -> None:
        super().__init__(game)
        self._values: np.ndarray | None = None

    @classmethod
    def supports_game(cls, game: Any) -> bool:
        """Every game of 1 to 30 players."""
        return 1 <= int(game.n_players) <= cls.max_players

    @classmethod
    def supported_indices(cls) -> tuple[str, ...]:
        """``ExactComputer.valid_indices`` that interplay computes."""
        return tuple(i for i in ExactComputer.valid_indices if i in INDEX_NAMES)

    def values(self) -> np.ndarray:
        """All 2^n game values, entry ``mask`` = v(T) (bit i set iff player i in T)."""
        if self._values is None:
            n = int(self.game.n_players)
            need = 16 << n
            require_memory(need, f"the {n}-player game's 2^{n} values and the exact engine's "
                           f"Moebius table ({format_bytes(need)})", argument="game")
            self._values = evaluate_all(self.game, n)
        return self._values

    def _compute(self, index: str, order: int) -> Any:
        if index not in self.supported_indices():  # excluded by supports()
            raise UnsupportedComputationError(index)
        return exact(self.values(), index, order).to_shapiq()
