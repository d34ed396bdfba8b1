"""NumPy reference of the zeta/Moebius transforms: vectorised Yates butterflies, O(n 2^n) like
the compiled core, one numpy pass per player. They define the numbers the other backends are
tested against (together with the brute-force oracles in tests/reference/)."""

from __future__ import annotations

import numpy as np

KINDS = ("zeta", "moebius", "superset_zeta", "superset_moebius")


def transform(kind: str, values: np.ndarray, out: np.ndarray) -> None:
    """Write the transform of ``values`` (2^n,) or (2^n, d) into ``out`` (may be ``values``)."""
    if out is not values:
        np.copyto(out, values)
    rows = out.shape[0]
    n = rows.bit_length() - 1
    a = out.reshape(rows, -1)
    d = a.shape[1]
    for j in range(n):
        v = a.reshape(rows >> (j + 1), 2, 1 << j, d)
        lo, hi = v[:, 0], v[:, 1]
        if kind == "zeta":
            hi += lo
        elif kind == "moebius":
            hi -= lo
        elif kind == "superset_zeta":
            lo += hi
        elif kind == "superset_moebius":
            lo -= hi
        else:
            raise ValueError(f"unknown transform {kind!r}")


def _make(kind: str):
    def fn(values: np.ndarray, out: np.ndarray) -> None:
        transform(kind, values, out)

    fn.__name__ = kind
    return fn


zeta, moebius, superset_zeta, superset_moebius = map(_make, KINDS)
