"""Validation at the API edge: every public function checks its arguments here, before any
allocation or model call, and raises ValueError/TypeError naming the argument."""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np


def format_bytes(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(nbytes) < 1024 or unit == "PiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")


def available_memory() -> int:
    """Bytes of memory available to this process now (MemAvailable; a cgroup limit if lower)."""
    try:
        with open("/proc/meminfo") as fh:
            avail = next(int(line.split()[1]) * 1024 for line in fh
                         if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 1 << 62
    for limit, usage in (("memory.max", "memory.current"),
                         ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            with open(f"/sys/fs/cgroup/{limit}") as fh:
                raw = fh.read().strip()
            if raw and raw != "max":
                with open(f"/sys/fs/cgroup/{usage}") as fh:
                    avail = min(avail, max(int(raw) - int(fh.read().strip()), 0))
        except (OSError, ValueError):
            continue
    return int(avail)


class MemoryPlanError(ValueError):
    """A plan that cannot fit in the memory available (raised by :func:`require_memory` before
    any allocation); ``argument`` names the argument that sized it."""

    def __init__(self, message: str, *, argument: str | None = None, nbytes: int = 0) -> None:
        super().__init__(message)
        self.argument = argument
        self.nbytes = nbytes


def require_memory(nbytes: int, what: str, *, argument: str | None = None) -> None:
    """Refuse, before allocating, a request that cannot fit in the memory available now."""
    avail = available_memory()
    if nbytes > avail:
        who = f"{argument}: " if argument else ""
        raise MemoryPlanError(
            f"{who}{what} needs {format_bytes(nbytes)} ({nbytes} bytes) of memory but only "
            f"{format_bytes(avail)} is available", argument=argument, nbytes=nbytes
        )


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_open_unit(value: Any, name: str) -> float:
    """A probability strictly inside (0, 1)."""
    value = check_real(value, name)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")
    return value


def check_numeric_array(values: Any, name: str) -> np.ndarray:
    """Array of real numbers (bool, int, float); complex, object and strings are refused."""
    arr = np.asarray(values)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or arr.dtype == np.bool_
    ):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return arr


def as_real_float64(values: Any, name: str) -> np.ndarray:
    """``values`` (array-like or torch tensor, any device) as a float64 NumPy array.

    Complex values are refused (TypeError naming ``name``): casting them would silently drop the
    imaginary part. Values that are not numbers at all raise TypeError too.
    """
    tensor = hasattr(values, "detach") and hasattr(values, "is_complex")
    arr = values if tensor else np.asarray(values)
    if values.is_complex() if tensor else arr.dtype.kind == "c":
        raise TypeError(f"{name} is complex (dtype {arr.dtype}): only real values are "
                        "supported; return the real part, imaginary part or modulus (as "
                        "separate outputs if needed)")
    if tensor:
        import torch  # noqa: PLC0415

        return values.detach().to(device="cpu", dtype=torch.float64).numpy()
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {type(values).__name__} of dtype "
                        f"{arr.dtype}") from exc


def check_finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind != "f":
        return
    flat = arr.reshape(-1)
    step = 1 << 20  # chunked: no full-size boolean temporary for large tables
    ok = all(np.isfinite(flat[i : i + step]).all() for i in range(0, flat.size, step))
    if not ok:
        bad = np.flatnonzero(~np.isfinite(flat))
        raise ValueError(
            f"{name} contains {bad.size} non-finite (NaN or inf) entries, first at flat index "
            f"{int(bad[0])}"
        )


def check_value_table(values: Any, name: str = "values", *, max_n: int = 40,
                      what: str = "the exact engine") -> tuple[np.ndarray, int]:
    """Check a table of 2^n values, shape (2^n,) or (2^n, d), without converting it.

    Returns the array as given (``np.asarray``) and n; a table of more than ``max_n`` players is
    refused naming ``what`` refuses it, before anything is allocated.
    """
    arr = check_numeric_array(values, name)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (2**n,) or (2**n, d), got shape {arr.shape}")
    length = arr.shape[0]
    if length < 1 or length & (length - 1):
        raise ValueError(f"{name} must have a power-of-two length 2**n, got {length}")
    if arr.ndim == 2 and arr.shape[1] < 1:
        raise ValueError(f"{name} has shape {arr.shape}: the output axis d must be >= 1")
    n = length.bit_length() - 1
    if n > max_n:
        raise ValueError(
            f"{name}: n = {n} players is beyond {what} (at most {max_n}; the table alone is "
            f"{format_bytes(8 * length * max(1, arr[0].size))} as float64)"
        )
    return arr, n


def as_value_table(values: Any, name: str = "values") -> tuple[np.ndarray, int]:
    """A game's table of 2^n values, shape (2^n,) or (2^n, d), as C-contiguous float64.

    Returns the array (a copy only when conversion is needed) and n.
    """
    arr, n = check_value_table(values, name)
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    check_finite(arr, name)
    return arr, n

