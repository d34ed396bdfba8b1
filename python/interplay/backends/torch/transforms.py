"""The zeta/Moebius transforms on torch tensors: the NumPy reference's butterflies, written on
views and in-place adds, run on torch views as they are, on the tensor's own device. A numpy
``out`` is transformed through a tensor sharing its memory (torch's CPU device)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..reference.transforms import KINDS, transform
from .exact import _torch, is_tensor


def _on_torch(kind: str):
    def fn(values: Any, out: Any) -> None:
        if out is not values:
            if is_tensor(out):
                out.copy_(values)
            else:
                np.copyto(out, values)
        table = out if is_tensor(out) else _torch().from_numpy(out)
        transform(kind, table, table)

    fn.__name__ = kind
    return fn


zeta, moebius, superset_zeta, superset_moebius = map(_on_torch, KINDS)
