"""Subset and superset zeta/Moebius transforms of a game's table of 2^n values.

A table ``values`` of shape (2^n,) or (2^n, d) holds v(T) at row ``mask(T)`` (bit i set iff
player i is in T). For every set S:

========================  ==================================================================
``moebius(v)``            m(S) = sum_{T subset S} (-1)^{|S|-|T|} v(T)   (Harsanyi dividends)
``zeta(m)``               v(S) = sum_{T subset S} m(T)                  (inverse of moebius)
``superset_moebius(f)``   g(S) = sum_{T superset S} (-1)^{|T|-|S|} f(T)
``superset_zeta(g)``      f(S) = sum_{T superset S} g(T)                (inverse of superset_moebius)
========================  ==================================================================

All four are Yates' fast transform, O(n 2^n) (Rota 1964 for the Moebius function of the subset
lattice; Grabisch, Marichal and Roubens 2000, "Equivalent representations of set functions",
Math. Oper. Res. 25(2), for their use on games). The compiled backend is cache-blocked and
in-place capable: a (2^28,) table costs about two passes over memory.

``out`` may be None (a new array), a float64 C-contiguous array of the same shape, or the input
itself (in place: no extra memory). NaN and inf propagate as in numpy (no check here; the exact
engine checks its input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_value_table, require_memory
from .backends import KERNELS

__all__ = ["moebius", "zeta", "superset_moebius", "superset_zeta"]


def _run(kind: str, values: Any, out: np.ndarray | None, backend: str) -> np.ndarray:
    _, fn = KERNELS[f"transforms.{kind}"].select(backend)
    arr, _ = check_value_table(values, "values", what="the transforms")
    if out is None:
        nbytes = arr.shape[0] * max(1, arr[0].size) * 8
        if nbytes >= 32 << 20:  # reading /proc costs more than a small transform
            require_memory(nbytes, f"the {kind} of values", argument="values")
        src = np.ascontiguousarray(arr, dtype=np.float64)
        result = np.empty_like(src) if src is arr else src  # a converted copy is reused in place
        fn(src, result)
        return result
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    if out.dtype != np.float64 or not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be a writeable C-contiguous float64 array")
    if out.shape != arr.shape:
        raise ValueError(f"out has shape {out.shape}, values has shape {arr.shape}")
    if out is not values and isinstance(values, np.ndarray) and np.shares_memory(out, values):
        raise ValueError("out overlaps values without being the same array")
    fn(out if out is values else np.ascontiguousarray(arr, dtype=np.float64), out)
    return out


def moebius(values: Any, out: np.ndarray | None = None, *, backend: str = "auto") -> np.ndarray:
    """Moebius transform (Harsanyi dividends): m(S) = sum_{T subset S} (-1)^{|S|-|T|} v(T).

    Parameters
    ----------
    values : array_like, shape (2^n,) or (2^n, d)
        v(T) at row mask(T).
    out : ndarray, optional
        Output buffer (float64, C-contiguous, same shape), or ``values`` itself for in place.
    backend : {"auto", "cpp", "numba", "reference"}

    Returns
    -------
    ndarray
        m, shape of ``values`` (``out`` if given).

    References
    ----------
    Rota (1964), "On the foundations of combinatorial theory I"; Harsanyi (1963); Grabisch,
    Marichal and Roubens (2000), Math. Oper. Res. 25(2).
    """
    return _run("moebius", values, out, backend)


def zeta(coefficients: Any, out: np.ndarray | None = None, *, backend: str = "auto") -> np.ndarray:
    """Zeta transform, the inverse of :func:`moebius`: v(S) = sum_{T subset S} m(T).

    Parameters and references as for :func:`moebius`.
    """
    return _run("zeta", coefficients, out, backend)


def superset_moebius(values: Any, out: np.ndarray | None = None, *, backend: str = "auto") -> np.ndarray:
    """Superset Moebius transform: g(S) = sum_{T superset S} (-1)^{|T|-|S|} f(T).

    The inverse of :func:`superset_zeta`. Applied to v(N minus T) it gives the co-Moebius
    representation (Grabisch, Marichal and Roubens 2000). Parameters as for :func:`moebius`.
    """
    return _run("superset_moebius", values, out, backend)


def superset_zeta(values: Any, out: np.ndarray | None = None, *, backend: str = "auto") -> np.ndarray:
    """Superset zeta transform: f(S) = sum_{T superset S} g(T).

    Applied to Moebius coefficients it gives the co-Moebius index sum_{T superset S} m(T), and
    with size weights every index of :mod:`interplay.indices`. Parameters as for :func:`moebius`.
    """
    return _run("superset_zeta", values, out, backend)
