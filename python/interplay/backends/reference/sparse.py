"""NumPy reference of the sparse Moebius recovery's kernels (method="sparse")."""

from __future__ import annotations

import numpy as np


def containment(sets: np.ndarray, coalitions: np.ndarray, out: np.ndarray) -> None:
    """out[b, r] = 1.0 if sets[r] (words) is a subset of coalitions[b], else 0.0."""
    inside = np.ones((coalitions.shape[0], sets.shape[0]), dtype=bool)
    for w in range(sets.shape[1]):
        inside &= (sets[None, :, w] & ~coalitions[:, None, w]) == 0
    out[:] = inside
