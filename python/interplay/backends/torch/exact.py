"""The exact engine on torch tensors: the GPU path.

The same Yates butterflies as the NumPy reference (one pass over the table per player), written
on torch views so that a table already on a CUDA (or MPS) device never leaves it; only the
m = sum_{s <= k} C(n, s) requested index values are copied back. On this project's CI the
backend runs on torch's CPU device (tested against the brute-force oracles there); it has not
been run on a GPU by the project's tests, which have none.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import sets as bits
from ..reference.transforms import transform


def _torch():
    import torch  # noqa: PLC0415  (optional dependency)

    return torch


def is_tensor(x: Any) -> bool:
    mod = type(x).__module__
    return mod.startswith("torch") and hasattr(x, "detach") and hasattr(x, "device")


def weighted_superset(
    moebius_table: Any, weights: np.ndarray, min_order: int, method: str, out: np.ndarray
) -> None:
    """out[row(S)] = sum_{T superset S} weights[|S|, |T|] m(T), min_order <= |S| <= k, rows by
    size then value; ``method`` is ignored (the per-order path).

    The work stays on the table's device; only the rows of ``out`` (float64 numpy) come back.
    """
    torch = _torch()
    table = moebius_table if is_tensor(moebius_table) else torch.from_numpy(moebius_table)
    rows = table.shape[0]
    table = table.reshape(rows, -1)
    n = rows.bit_length() - 1
    k = weights.shape[0] - 1
    device = table.device
    masks = torch.arange(rows, device=device, dtype=torch.int64)
    pc = torch.zeros(rows, device=device, dtype=torch.int64)
    for j in range(n):
        pc += (masks >> j) & 1
    w = torch.as_tensor(np.ascontiguousarray(weights), dtype=table.dtype, device=device)
    parts = []
    for s in range(min_order, k + 1):
        sets = torch.as_tensor(bits.masks(n, s, s).astype(np.int64), device=device)
        if np.all(weights[s] == (np.arange(n + 1) == s)):
            parts.append(table.index_select(0, sets))
            continue
        work = table * w[s][pc][:, None]
        transform("superset_zeta", work, work)
        parts.append(work.index_select(0, sets))
        del work
    values = torch.cat(parts, dim=0).detach().to("cpu", torch.float64)
    out.reshape(out.shape[0], -1)[:] = values.numpy()


def as_table(values: Any) -> tuple[Any, int, int | None]:
    """A torch tensor (2^n,) or (2^n, d) as a fresh float64 (2^n, d) tensor on its own device
    (never sharing memory with ``values``, so it may be transformed in place)."""
    torch = _torch()
    t = values if is_tensor(values) else torch.as_tensor(np.asarray(values))
    if t.dtype.is_complex:
        raise TypeError(f"values must be a real tensor, got {t.dtype}")
    if t.ndim not in (1, 2):
        raise ValueError(f"values must have shape (2**n,) or (2**n, d), got shape {tuple(t.shape)}")
    length = t.shape[0]
    if length < 1 or length & (length - 1):
        raise ValueError(f"values must have a power-of-two length 2**n, got {length}")
    d = None if t.ndim == 1 else int(t.shape[1])
    if d is not None and d < 1:
        raise ValueError(f"values has shape {tuple(t.shape)}: the output axis d must be >= 1")
    if not bool(torch.isfinite(t).all()):
        raise ValueError("values contains non-finite (NaN or inf) entries")
    table = t.to(torch.float64).reshape(length, -1)
    if table.data_ptr() == t.data_ptr():  # a view of the caller's memory: never transform it
        table = table.clone()
    return table.contiguous(), length.bit_length() - 1, d
