"""NumPy reference of the explanation-implied game v_hat(T) = sum_{S subset T, S held} e_S."""

from __future__ import annotations

import numpy as np

from ... import sets as bits


def explanation_game(
    sets: np.ndarray, values: np.ndarray, coalitions: np.ndarray, out: np.ndarray
) -> None:
    """Plain NumPy: for each coalition, the sum of values over held sets that it contains."""
    out[:] = bits.contained_sum(sets, values, coalitions)
