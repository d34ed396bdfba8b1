"""The game protocol's edges: validated coalitions in (:func:`interplay.sets.check_coalitions`,
the one coalition check), validated values out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import sets as bits
from .._validation import as_real_float64, check_int, format_bytes, require_memory
from ..sets import check_coalitions

__all__ = ["check_coalitions", "check_game_output", "evaluate_all"]


def check_game_output(values: Any, m: int, name: str = "game output") -> np.ndarray:
    """A game's answer for m coalitions: (m,) or (m, d) finite float64."""
    arr = as_real_float64(values, name)
    if arr.ndim == 0 or arr.shape[0] != m or arr.ndim > 2:
        raise ValueError(f"{name} must have shape ({m},) or ({m}, d) for {m} coalitions, got {arr.shape}")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr.reshape(m, -1)).any(axis=1))[0])
        raise ValueError(f"{name} contains NaN or inf (first at coalition row {bad})")
    return arr


def evaluate_all(
    game: Callable[[np.ndarray], Any], n_players: int, *, batch_size: int = 1 << 16
) -> np.ndarray:
    """Evaluate ``game`` on all 2^n coalitions; entry ``mask`` holds v(T) with bit i <=> i in T.

    This is the table that :func:`interplay.exact` consumes. Coalitions are passed in batches of
    ``batch_size`` rows, in mask order.

    Returns
    -------
    ndarray, shape (2^n,) or (2^n, d)
    """
    n = check_int(n_players, "n_players", low=0, high=40)
    batch_size = check_int(batch_size, "batch_size", low=1)
    total = 1 << n
    out = None
    for start in range(0, total, batch_size):
        stop = min(start + batch_size, total)
        masks = np.arange(start, stop, dtype=np.uint64)
        values = check_game_output(game(bits.to_coalitions(masks[:, None], n)), stop - start)
        if out is None:  # the first batch tells the shape of the table
            out_shape = (total,) + values.shape[1:]
            nbytes = 8 * int(np.prod(out_shape))
            require_memory(nbytes, f"a table of 2^{n} game values ({format_bytes(nbytes)})",
                           argument="n_players")
            out = np.empty(out_shape, dtype=np.float64)
        out[start:stop] = values
    return out
