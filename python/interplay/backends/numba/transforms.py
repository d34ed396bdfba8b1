"""Numba implementations of the zeta/Moebius transforms: the same Yates butterflies as the NumPy
reference, compiled (used when the C++ core is not built, or on request). No fastmath: results
must match the other backends to rounding."""

from __future__ import annotations

import numba as nb
import numpy as np

from ..reference.transforms import KINDS


@nb.njit(cache=True)
def _stage(kind: int, a: np.ndarray, half: int) -> None:  # one butterfly stage, in place
    rows, d = a.shape
    for base in range(0, rows, 2 * half):
        for r in range(base, base + half):
            for j in range(d):
                if kind == 0:
                    a[r + half, j] += a[r, j]
                elif kind == 1:
                    a[r + half, j] -= a[r, j]
                elif kind == 2:
                    a[r, j] += a[r + half, j]
                else:
                    a[r, j] -= a[r + half, j]


def _transform(kind: int, a: np.ndarray) -> None:  # a: (2^n, d) in place; kind: KINDS index
    """The n stages as separate compiled calls: Ctrl-C (raised by the interpreter between
    them) stops a long transform within one pass over the table."""
    half = 1
    while half < a.shape[0]:
        _stage(kind, a, half)
        half *= 2


#: rows per chunk of the passes that run in one call otherwise (copies, weighted copies)
CHUNK_ROWS = 1 << 20


def copy_rows(out: np.ndarray, values: np.ndarray) -> None:
    """out[:] = values by chunks of CHUNK_ROWS rows (Ctrl-C between them: the first touch of a
    fresh 2^26-row table took seconds on a loaded machine)."""
    for r0 in range(0, out.shape[0], CHUNK_ROWS):
        out[r0:r0 + CHUNK_ROWS] = values[r0:r0 + CHUNK_ROWS]


def _make(name: str):
    def fn(values: np.ndarray, out: np.ndarray) -> None:
        if out is not values:
            copy_rows(out, values)
        _transform(KINDS.index(name), out.reshape(out.shape[0], -1))

    fn.__name__ = name
    return fn


zeta, moebius, superset_zeta, superset_moebius = map(_make, KINDS)
