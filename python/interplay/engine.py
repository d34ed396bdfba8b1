"""The exact interaction engine: ``interplay.exact(values, index, max_order)``.

Every index of :mod:`interplay.indices` is phi(S) = sum_{T superset S} c(|S|, |T|) m(T) with m the
Moebius transform of the game. The engine plans (bytes, method, backend), refuses what does not
fit in memory, then runs one Moebius transform and one size-weighted superset sum per order:
O(k n 2^n) work on dense bitmask-indexed tables, for scalar (2^n,) and vector-valued (2^n, d)
games alike (d outputs in one pass).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import sets as bits
from ._validation import check_finite, check_value_table, require_memory
from .backends import KERNELS, core
from .backends.torch import exact as _exact_torch
from .indices import Index, get_index
from .indices._weights import marginal_to_superset
from .results import InteractionResult

__all__ = ["exact", "plan_exact", "MAX_PLAYERS"]

#: largest number of players the exact engine accepts (2^30 float64 values = 8 GiB per output)
MAX_PLAYERS = 30
_CHECK_MEMORY_FROM = 32 << 20

#: exact() keeps its last work table (the Moebius table it transforms into) for the next call of
#: the same size, up to this many bytes (n = 25 players, scalar): a fresh table is faulted in
#: anew on every call, 8-20 ms of kernel time at n = 24 (128 MB) and, when the kernel has to
#: compact memory for numpy's huge pages, 100-250 ms (bench/RESULTS.md, issue 12)
SCRATCH_MAX_BYTES = 256 << 20
_scratch_lock = threading.Lock()
_scratch: list[np.ndarray] = []  # at most one flat float64 buffer, free for the next call


def _take_scratch(size: int) -> np.ndarray:
    """A flat float64 buffer of `size` entries: the kept one if it has that size (taken out, so
    a concurrent call in another thread allocates its own), else a new one."""
    with _scratch_lock:
        if _scratch and _scratch[0].size == size:
            return _scratch.pop()
    return np.empty(size)


def _give_scratch(buf: np.ndarray) -> None:
    """Keep `buf` (replacing any kept buffer) for the next call, if it is at most
    SCRATCH_MAX_BYTES."""
    if buf.nbytes <= SCRATCH_MAX_BYTES:
        with _scratch_lock:
            _scratch[:] = [buf]


def release_scratch() -> int:
    """Free the work table :func:`exact` keeps for its next call; returns the bytes released.

    ``exact`` keeps the table it transformed into (at most SCRATCH_MAX_BYTES, 256 MB: n = 25
    players) so that repeated calls of one size do not fault fresh memory in on every call.
    """
    with _scratch_lock:
        freed = sum(b.nbytes for b in _scratch)
        _scratch.clear()
    return freed


WEIGHTED_SUPERSET = KERNELS["exact.weighted_superset"]
MOEBIUS = KERNELS["transforms.moebius"]


def plan_exact(
    n: int,
    d: int | None,
    index: Index,
    *,
    backend: str = "auto",
    converts_input: bool = False,
    in_place: bool = False,
) -> dict[str, Any]:
    """What :func:`exact` will do for a game of n players and d outputs: the order, the method,
    the backend and the bytes it allocates (Moebius table, scratch, output).

    ``weights`` holds one matrix per size-weighted superset sum: the Moebius weights, or for a
    generalized value (capability "marginal_weights") the weights on v and on v(N minus .)
    (``indices._weights.marginal_to_superset``); ``method`` is the kernel's method for each."""
    k = index.resolve_order(n)
    dd = 1 if d is None else d
    if "marginal_weights" in index.capabilities:
        weights = marginal_to_superset(index.marginal_weights(n), n, index.empty_is_value)
        in_place = False  # v and v(N minus .) are both read
    else:
        weights = (index.moebius_weights(n),)
    rows = bits.n_sets(n, 0, k)
    name, _ = WEIGHTED_SUPERSET.select(backend)
    table = (1 << n) * dd * 8
    cpp = core() if name == "cpp" else None  # one lookup (it reads the environment)
    fused = (cpp is not None and cpp.exact.fused_cost(n, dd, 0, k)
             <= cpp.exact.per_order_cost(n, dd, 0, k))
    methods = tuple("gather" if np.array_equal(w, np.eye(k + 1, n + 1)) else
                    "fused" if fused else "per_order" for w in weights)
    chunks = min(64, max(1, (1 << n) // (8 * rows)))  # the fused kernel's accumulators, at most
    scratch = max(0 if m == "gather" else chunks * rows * dd * 8
                  if m == "fused" else table for m in methods)
    nbytes = (0 if in_place else table) + scratch + len(weights) * rows * dd * 8 + rows * 8
    nbytes += table if converts_input else 0
    return {
        "n": n,
        "d": d,
        "order": k,
        "rows": rows,
        "method": methods[0] if len(methods) == 1 else methods,
        "methods": methods,
        "backend": name,
        "bytes": nbytes,
        "weights": weights,
        "in_place": in_place,
    }


def exact(
    values: Any,
    index: Any,
    max_order: Any = None,
    *,
    p: Any = 0.5,
    backend: str = "auto",
    overwrite_values: bool = False,
) -> InteractionResult:
    r"""Exact interaction index of a game given by its 2^n values.

    Parameters
    ----------
    values : array_like, shape (2^n,) or (2^n, d)
        ``values[mask]`` = v(T) where bit i of ``mask`` is set iff player i is in T; v(empty) =
        ``values[0]`` need not be 0. A 2-D table is a vector-valued game: its d outputs are
        explained in one pass. n <= 30.
    index : str or interplay.indices.Index
        A name of ``interplay.indices.INDEX_NAMES`` ("SV", "SII", "k-SII", "FSII", "Moebius",
        ...) or an index object (including user-defined ones); every index is accepted.
    max_order : int, optional
        Largest interaction order k. Default: the index's own (n for "Moebius"/"Co-Moebius",
        1 for the values, 2 for the interaction indices).
    p : float in (0, 1)
        Weight of the indices that take one (the weighted Banzhaf family); ignored otherwise.
    backend : {"auto", "cpp", "numba", "reference", "torch"}
        "torch" runs on the tensor's own device (the GPU path: a CUDA table never leaves the
        GPU; only the requested index values are copied back). A torch tensor passed with
        "auto" takes this path.
    overwrite_values : bool
        If True and ``values`` is a writeable C-contiguous float64 array, it is overwritten with
        the Moebius coefficients instead of allocating a second table of the same size (at
        n = 28: 2 GiB less memory, and no first touch of fresh pages, which costs seconds on some
        virtual machines). Otherwise ignored (and by the generalized values and ELC).

    Returns
    -------
    InteractionResult
        All sets with 0 <= |S| <= k, by size then value, ``values`` (m,) or (m, d). The empty-set
        entry and ``baseline_value`` follow shapiq 1.8.0's ExactComputer (v(empty), except
        SII(empty), BII(empty) = mean(v) for BII/BV, and the fitted intercept for FBII/FWBII).

    Notes
    -----
    With m(T) = sum_{L subset T} (-1)^{|T|-|L|} v(L) (Harsanyi 1963) every index is

    .. math:: \phi(S) = \sum_{T \supseteq S} c(|S|, |T|)\, m(T),

    e.g. SII c = 1/(t-s+1) (Grabisch and Roubens 1999), BII 2^{-(t-s)}, STII 1/C(t, k) at
    order k (Sundararajan et al. 2020), FSII and FBII closed forms (Tsai, Yeh and Ravikumar 2023);
    see docs/exact.md. Cost O(k n 2^n): one cache-blocked Moebius transform and one weighted
    superset sum per order (fused into a single read of the Moebius table for small k).
    FSII honours its efficiency and v(empty) constraints exactly (shapiq's big-M leaves ~1e-9).
    The generalized values (SGV, BGV, CHGV, IGV, EGV, JointSV; Marichal 2000) are
    sum_{T subset N minus S} w_s(|T|) (v(T u S) - v(T)): two weighted superset sums of v, same
    cost. ELC (Yan and Procaccia 2021) is a linear program and a least-distance problem
    (HiGHS and NNLS, see ``interplay._least_core``).

    Raises
    ------
    ValueError
        Bad shape or length, NaN/inf, unknown index, order out of range, p outside (0, 1), or not
        enough memory (the message states the bytes needed), all before allocating.
    TypeError
        Non-numeric values, index of a wrong type.

    Examples
    --------
    >>> import numpy as np, interplay
    >>> v = np.array([0.0, 1.0, 1.0, 3.0])        # v({0,1}) = 3: an interaction of 1
    >>> res = interplay.exact(v, "SII", 2)
    >>> res[(0, 1)], res[(0,)]
    (1.0, 1.5)
    """
    idx = get_index(index, max_order, p=p)
    if "least_core" in idx.capabilities:
        return _least_core_result(values, idx)
    if backend in ("torch", "cuda") or (backend == "auto" and _exact_torch.is_tensor(values)):
        if backend == "cuda":
            raise ValueError("backend='cuda' is not an exact-engine backend: pass a CUDA tensor "
                             "with backend='torch' (or 'auto')")
        src, n, d = _exact_torch.as_table(values)  # memory of its own: transformed in place
        if n > MAX_PLAYERS:
            raise ValueError(f"values: n = {n} players; the exact engine handles at most {MAX_PLAYERS}")
        k = idx.resolve_order(n)
        if src.device.type == "cpu":
            require_memory(3 * src.numel() * 8, f"exact {idx.name} of order {k} for n = {n} on "
                           "torch", argument="values")
        v0 = src[0].detach().to("cpu").numpy().copy()
        table, scratch = src, None
        info = {"backend": "torch", "device": str(src.device), "method": "per_order"}
        plan = plan_exact(n, d, idx, backend="reference")
        weights, methods = plan["weights"], ("per_order",) * len(plan["weights"])
        sets = bits.enumerate_sets(n, 0, k)
    else:
        if _exact_torch.is_tensor(values):
            values = values.detach().cpu().numpy()  # an explicit CPU backend was asked for
        arr, n = check_value_table(values, "values", max_n=MAX_PLAYERS)
        d = None if arr.ndim == 1 else int(arr.shape[1])
        if not isinstance(backend, str):
            raise TypeError(f"backend must be a str, got {type(backend).__name__}")
        converts = arr.dtype != np.float64 or not arr.flags.c_contiguous
        in_place = (bool(overwrite_values) and isinstance(values, np.ndarray) and arr is values
                    and not converts and values.flags.writeable)
        plan = plan_exact(n, d, idx, backend=backend, converts_input=converts, in_place=in_place)
        k = plan["order"]
        if plan["bytes"] >= _CHECK_MEMORY_FROM:  # reading /proc costs more than a small run
            require_memory(plan["bytes"], f"exact {idx.name} of order {k} for n = {n}",
                           argument="values")
        check_finite(arr, "values")
        src = np.ascontiguousarray(arr, dtype=np.float64)
        v0 = np.array(src[0], copy=True)
        scratch = None if plan["in_place"] else _take_scratch(src.size)
        table = src if scratch is None else scratch.reshape(src.shape)
        info = {"backend": plan["backend"], "method": plan["method"]}
        weights, methods = plan["weights"], plan["methods"]
        sets = (core().exact.enumerate_sets(n, 0, k) if plan["backend"] == "cpp"
                else bits.enumerate_sets(n, 0, k))
    try:
        out = _transform(src, table, weights, methods, info["backend"], n, k, d)
    finally:
        if scratch is not None:
            _give_scratch(scratch)
    del table, src
    baseline = out[0] if idx.baseline == "intercept" else v0.reshape(-1)[0] if d is None else v0
    return InteractionResult(out, sets, n_players=n, index=idx.name, max_order=k, min_order=0,
                             baseline_value=np.array(baseline, copy=True),
                             info={**info, "index_object": idx})


def _transform(src, table, weights, methods, backend: str, n: int, k: int, d: int | None):
    """The index values of all sets up to order k from the value table src, with table (src's
    shape) as the work table: a weighted superset sum of the Moebius transform, or two of the
    values for a generalized value."""
    _, superset_fn = WEIGHTED_SUPERSET.select(backend)
    rows = bits.n_sets(n, 0, k)
    out = np.empty((rows,) if d is None else (rows, d))
    if len(weights) == 2:  # a generalized value: sum over R superset S of a v(R) - b v(N minus R)
        superset_fn(src, weights[0], 0, methods[0], out)
        if backend == "torch":
            table = src.flip(0)
        else:
            np.copyto(table, src[::-1])
        second = np.empty_like(out)
        superset_fn(table, weights[1], 0, methods[1], second)
        out -= second
    else:
        MOEBIUS.select(backend)[1](src, table)
        superset_fn(table, np.ascontiguousarray(weights[0], dtype=np.float64), 0, methods[0], out)
    return out


def _least_core_result(values: Any, idx: Index) -> InteractionResult:
    """The egalitarian least core of each output, as an order-1 result without empty-set entry
    and baseline 0 (shapiq's ExactComputer)."""
    from ._least_core import egalitarian_least_core  # scipy.optimize: ~0.3 s to import

    if _exact_torch.is_tensor(values):
        values = values.detach().cpu().numpy()
    arr, n = check_value_table(values, "values", max_n=MAX_PLAYERS)
    idx.resolve_order(n)
    # the constraint matrix (2^n, n + 1) and its copies in the LP, the NNLS and the checks
    require_memory(6 * (1 << n) * (n + 1) * 8, f"exact ELC for n = {n}", argument="values")
    check_finite(arr, "values")
    v = np.asarray(arr, dtype=np.float64).reshape(1 << n, -1)
    x = np.stack([egalitarian_least_core(v[:, j] - v[0, j]) for j in range(v.shape[1])], axis=1)
    out = x[:, 0] if arr.ndim == 1 else x
    baseline = 0.0 if arr.ndim == 1 else np.zeros(v.shape[1])
    return InteractionResult(out, bits.enumerate_sets(n, 1, 1), n_players=n, index=idx.name,
                             max_order=1, min_order=1, baseline_value=baseline,
                             info={"backend": "scipy", "method": "highs+nnls", "index_object": idx})
