"""A game given by its table of 2^n values."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import sets as bits
from .._validation import as_value_table
from .base import check_coalitions


class TableGame:
    """v(T) = ``values[mask(T)]`` with bit i of mask(T) set iff player i is in T.

    Parameters
    ----------
    values : array_like, shape (2^n,) or (2^n, d)
        The game's value on every coalition, indexed by bitmask.

    Examples
    --------
    >>> import numpy as np
    >>> from interplay.games import TableGame
    >>> g = TableGame(np.array([0.0, 1.0, 2.0, 4.0]))
    >>> g(np.array([[True, True], [False, True]]))
    array([4., 2.])
    """

    def __init__(self, values: Any) -> None:
        self.values, self.n_players = as_value_table(values, "values")
        self.n_calls = 0
        self.n_rows = 0

    @classmethod
    def random(cls, n_players: int, *, d: int | None = None, seed: int | None = None) -> TableGame:
        """Uniform random values in [0, 1) (shapiq's RandomTableGame analogue)."""
        rng = np.random.default_rng(seed)
        shape = (1 << n_players,) if d is None else (1 << n_players, d)
        return cls(rng.random(shape))

    def masks(self, coalitions: Any) -> np.ndarray:
        return bits.from_coalitions(check_coalitions(coalitions, self.n_players))[:, 0]

    def __call__(self, coalitions: Any) -> np.ndarray:
        masks = self.masks(coalitions)
        self.n_calls += 1
        self.n_rows += len(masks)
        return self.values[masks]

    @property
    def empty_value(self) -> Any:
        return self.values[0]

    @property
    def grand_value(self) -> Any:
        return self.values[-1]

    def __repr__(self) -> str:
        d = "" if self.values.ndim == 1 else f", d={self.values.shape[1]}"
        return f"TableGame(n_players={self.n_players}{d})"
