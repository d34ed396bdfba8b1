"""Scheduler internals: cache, plan, stats and the batched, prefetching execution loop."""

from __future__ import annotations

import gc
import itertools
import math
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._validation import as_real_float64, check_int, format_bytes, require_memory
from ..sets import check_coalitions

Request = tuple[Hashable, np.ndarray]


@runtime_checkable
class Task(Protocol):
    """The model side of a scheduler.

    ``prepare(groups)`` receives ``[(instance_key, coalitions bool (m_i, n_i)), ...]`` (the rows of
    one batch, grouped by instance, in order) and returns the masked model input of the whole
    batch (any object). ``forward(prepared)`` runs the model and returns one value row per
    coalition: shape ``(sum m_i,)`` or ``(sum m_i, d)``, NumPy or torch. Only ``forward`` is timed
    as "inside the model". Optional attributes: ``cache_namespace`` (hashable; identifies the
    model and masking so that a shared cache never mixes models) and ``row_bytes(key, n)``
    (bytes of masked input per row, for the plan).
    """

    def prepare(self, groups: list[Request]) -> Any: ...

    def forward(self, prepared: Any) -> Any: ...


class FunctionTask:
    """A task for a plain callable game ``fn(coalitions bool (m, n)) -> (m,) | (m, d)``.

    One function serves every instance key (the key only separates cache entries), so use one
    FunctionTask per game when instances differ.
    """

    def __init__(self, fn: Callable[[np.ndarray], Any], namespace: Hashable | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.cache_namespace = ("function", id(fn)) if namespace is None else namespace

    def prepare(self, groups: list[Request]) -> np.ndarray:
        return np.concatenate([c for _, c in groups], axis=0)

    def forward(self, prepared: np.ndarray) -> Any:
        return self.fn(prepared)

    def row_bytes(self, key: Hashable, n: int) -> int:
        return n


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch.cuda.OutOfMemoryError / torch.OutOfMemoryError, MemoryError and a
    RuntimeError whose message says "out of memory" (CUDA, MPS and XPU allocators)."""
    return (isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError"
            or isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def _free_device_memory() -> None:
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():  # pragma: no cover (no GPU in CI)
        torch.cuda.empty_cache()


def packed_rows(c: np.ndarray) -> np.ndarray:
    """Bool rows (m, n) packed 8 players a byte (one zero byte a row for n = 0)."""
    return np.packbits(c, axis=1) if c.shape[1] else np.zeros((len(c), 1), np.uint8)


def unique_rows(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct rows of bool ``c`` (m, n), each row's position among them, the distinct rows
    packed)."""
    packed = np.ascontiguousarray(packed_rows(c))
    void = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    uniq, first, inverse = np.unique(void, return_index=True, return_inverse=True)
    return c[first], inverse.reshape(-1), uniq


class ValueCache:
    """Values of evaluated coalitions, keyed by ``(namespace, instance, coalition bits)``.

    Shared by every scheduler and estimator it is handed to, so that a coalition evaluated
    once (e.g. the empty and the full coalition, or rows drawn again by a second estimator) is
    never sent to the model again. ``max_rows`` bounds it (least recently used rows go first).
    """

    def __init__(self, max_rows: int | None = None) -> None:
        self.max_rows = None if max_rows is None else check_int(max_rows, "max_rows", low=1)
        self._data: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            v = self._data.get(key)
            if v is None:
                self.misses += 1
                return None
            self.hits += 1
            if self.max_rows is not None:
                self._data.move_to_end(key)
            return v

    def put(self, key: tuple, value: np.ndarray) -> None:
        with self._lock:
            self._data[key] = value
            if self.max_rows is not None:
                while len(self._data) > self.max_rows:
                    self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass
class Plan:
    """What a call will cost, stated before any model call."""

    instances: int
    rows: int
    unique_rows: int
    cached_rows: int
    rows_to_evaluate: int
    batch_size: int
    batches: int
    bytes_per_row: int | None
    bytes_per_batch: int | None

    def __str__(self) -> str:
        b = "?" if self.bytes_per_batch is None else format_bytes(self.bytes_per_batch)
        return (
            f"Plan: {self.rows} rows over {self.instances} instance(s), {self.unique_rows} unique, "
            f"{self.cached_rows} cached -> {self.rows_to_evaluate} to evaluate in ~{self.batches} "
            f"batch(es) of {self.batch_size} ({b} of masked input per batch)"
        )


@dataclass
class Stats:
    """Cumulative accounting of a scheduler (all calls since creation or :meth:`reset`)."""

    calls: int = 0
    rows_requested: int = 0
    duplicate_rows: int = 0
    cache_hits: int = 0
    rows_evaluated: int = 0
    model_calls: int = 0
    oom_retries: int = 0
    seconds_model: float = 0.0
    seconds_total: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def seconds_outside(self) -> float:
        """Wall time of the scheduler's calls not spent inside ``forward``."""
        return max(self.seconds_total - self.seconds_model, 0.0)

    @property
    def outside_share(self) -> float:
        return self.seconds_outside / self.seconds_total if self.seconds_total > 0 else 0.0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def as_dict(self) -> dict[str, Any]:
        counts = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "batch_sizes"}
        return counts | {"seconds_outside": self.seconds_outside,
                         "max_batch_size": max(self.batch_sizes, default=0)}

    def __str__(self) -> str:
        return (
            f"Stats: {self.rows_requested} rows requested, {self.duplicate_rows} duplicates, "
            f"{self.cache_hits} cache hits, {self.rows_evaluated} evaluated in "
            f"{self.model_calls} model calls ({self.oom_retries} OOM retries); "
            f"{self.seconds_model:.3f} s in the model, {self.seconds_outside:.3f} s outside "
            f"({100 * self.outside_share:.1f}%)"
        )


class Scheduler:
    """Evaluate coalitions of one or many instances on a model, in batches, once each.

    Parameters
    ----------
    task : Task or callable
        The model side (see :class:`Task`). A plain callable ``fn(coalitions) -> values`` is
        wrapped in :class:`FunctionTask`.
    batch_size : int or "auto"
        Rows per model call. "auto" starts at ``start_batch_size`` and doubles while the rows per
        second inside the model improve by more than 5%, up to ``max_batch_size``; an
        out-of-memory error halves it (for good: it never grows past a size that failed) and
        retries the failed rows. A fixed size is halved on out-of-memory too.
    cache : bool or ValueCache
        True (default): a private cache; a :class:`ValueCache` to share one between schedulers,
        estimators and calls; False: no cache (rows are still deduplicated within a call).
    prefetch : bool
        Prepare the masked inputs of the next batch in a worker thread while the model runs.
    max_batch_size, start_batch_size : int
    max_batch_bytes : int, optional
        Cap on masked-input bytes per batch (needs ``task.row_bytes``).

    Notes
    -----
    Values come back in the order asked, as float64 arrays ``(m,)`` or ``(m, d)``; duplicate rows
    get the same value. Instance keys must identify the instance's content (two different inputs
    with one key would share cached values).
    """

    def __init__(
        self,
        task: Task | Callable[[np.ndarray], Any],
        *,
        batch_size: int | str = "auto",
        cache: bool | ValueCache = True,
        prefetch: bool = True,
        max_batch_size: int = 4096,
        start_batch_size: int = 16,
        max_batch_bytes: int | None = None,
    ) -> None:
        if not (hasattr(task, "prepare") and hasattr(task, "forward")):
            if not callable(task):
                raise TypeError("task must have prepare() and forward(), or be a callable game")
            task = FunctionTask(task)
        self.task = task
        self.max_batch_size = check_int(max_batch_size, "max_batch_size", low=1)
        if isinstance(batch_size, str):
            if batch_size != "auto":
                raise ValueError(f"batch_size must be a positive int or 'auto', got {batch_size!r}")
            self.auto = True
            self._bs = min(check_int(start_batch_size, "start_batch_size", low=1), self.max_batch_size)
        else:
            self.auto = False
            self._bs = check_int(batch_size, "batch_size", low=1)
        if cache is True:
            cache = ValueCache()
        elif cache is False or cache is None:
            cache = None
        elif not isinstance(cache, ValueCache):
            raise TypeError(f"cache must be a bool or a ValueCache, got {type(cache).__name__}")
        self.cache: ValueCache | None = cache
        self.prefetch = bool(prefetch)
        self.max_batch_bytes = (
            None if max_batch_bytes is None else check_int(max_batch_bytes, "max_batch_bytes", low=1)
        )
        self.namespace = getattr(task, "cache_namespace", ("task", id(task)))
        self.stats = Stats()
        self.last_plan: Plan | None = None
        self._cap = self.max_batch_size  # never grow past a size that ran out of memory
        self._best: tuple[float, int] | None = None
        self._growing = self.auto

    # ------------------------------------------------------------------ batch size policy
    @property
    def batch_size(self) -> int:
        """The batch size the next model call will use."""
        return max(1, min(self._bs, self._cap))

    def _row_bytes(self, key: Hashable, n: int) -> int:
        fn = getattr(self.task, "row_bytes", None)
        return 0 if fn is None else int(fn(key, n))  # 0: unknown

    def _observe(self, rows: int, seconds: float) -> None:
        if not self._growing or rows < self.batch_size or seconds <= 0:
            return
        rate = rows / seconds
        if self._best is None or rate > 1.05 * self._best[0]:
            self._best = (rate, self.batch_size)
            nxt = min(2 * self.batch_size, self._cap)
            if nxt == self.batch_size:
                self._growing = False
            self._bs = nxt
        else:
            self._growing = False
            self._bs = self._best[1]

    def _on_oom(self, failed_rows: int) -> None:
        if failed_rows <= 1:
            return
        self._cap = max(1, failed_rows // 2)
        self._bs = self._cap
        if self._best is not None and self._best[1] > self._cap:
            self._best = None
        self.stats.oom_retries += 1

    # ------------------------------------------------------------------ plan
    def _dedup(self, requests: Sequence[Request], checked: bool = False,
               distinct: bool = False) -> tuple[list, list[tuple[int, int]], Plan]:
        cache = self.cache
        prepared = []
        pending: list[tuple[int, int]] = []
        rows = unique = cached = 0
        max_row_bytes = 0
        for r, req in enumerate(requests):
            if not (isinstance(req, tuple) and len(req) == 2):
                raise TypeError("requests must be a sequence of (instance_key, coalitions) pairs")
            key, coal = req
            c = np.ascontiguousarray(coal if checked else check_coalitions(coal, None))
            m, n = c.shape
            if distinct:  # the caller's rows never repeat (an estimator's planned coalitions)
                rows_u, inverse, uniq = c, np.arange(m), packed_rows(c)
            else:
                rows_u, inverse, uniq = unique_rows(c)
            bits = [u.tobytes() for u in uniq]
            vals: list[np.ndarray | None] = [None] * len(bits)
            for u, b in enumerate(bits):
                v = cache.get((self.namespace, key, n, b)) if cache is not None else None
                if v is None:
                    pending.append((r, u))
                else:
                    vals[u] = v
                    cached += 1
            rows += m
            unique += len(bits)
            max_row_bytes = max(max_row_bytes, self._row_bytes(key, n))
            prepared.append((key, rows_u, inverse, bits, vals, n))
        to_eval = len(pending)
        bs = self.batch_size
        row_bytes = max_row_bytes or None
        plan = Plan(
            instances=len(requests),
            rows=rows,
            unique_rows=unique,
            cached_rows=cached,
            rows_to_evaluate=to_eval,
            batch_size=bs,
            batches=math.ceil(to_eval / bs) if to_eval else 0,
            bytes_per_row=row_bytes,
            bytes_per_batch=None if row_bytes is None else row_bytes * min(bs, max(to_eval, 1)),
        )
        return prepared, pending, plan

    def plan(self, requests: Sequence[Request]) -> Plan:
        """Rows, unique rows, cached rows, batches and bytes of ``requests``; evaluates nothing."""
        return self._dedup(list(requests))[2]

    # ------------------------------------------------------------------ execute
    def __call__(self, coalitions: np.ndarray, key: Hashable = 0) -> np.ndarray:
        """Values of one instance's coalitions: ``evaluate([(key, coalitions)])[0]``."""
        return self.evaluate([(key, coalitions)])[0]

    def evaluate(self, requests: Sequence[Request], *, checked: bool = False,
                 distinct: bool = False) -> list[np.ndarray]:
        """Values of ``[(instance_key, coalitions (m_i, n_i)), ...]``, one array per request.

        Rows of all requests are deduplicated, looked up in the cache and the rest is evaluated
        in batches that may span instances. ``checked``: the coalitions already passed
        :func:`interplay.sets.check_coalitions` (bool (m, n)), so they are not checked again;
        ``distinct``: no row repeats within a request (an estimator's planned coalitions), so
        the per-request deduplication is skipped (a repeated row would then be evaluated twice,
        never given a wrong value).
        """
        t_start = time.perf_counter()
        requests = list(requests)
        prepared, pending, plan = self._dedup(requests, checked, distinct)
        self.last_plan = plan
        st = self.stats
        st.calls += 1
        st.rows_requested += plan.rows
        st.duplicate_rows += plan.rows - plan.unique_rows
        st.cache_hits += plan.cached_rows
        if plan.bytes_per_batch is not None:
            require_memory(plan.bytes_per_batch, "one batch of masked inputs", argument="batch_size")
        try:
            if pending:
                self._run(prepared, pending)
        finally:
            st.seconds_total += time.perf_counter() - t_start
        return [np.stack(vals)[inverse] if vals else np.zeros((0,), np.float64)
                for _, _, inverse, _, vals, _ in prepared]

    def _batch(self, prepared: list, pending: list[tuple[int, int]], start: int) -> tuple[int, list]:
        """(stop, groups) of the batch from pending[start]: its end at the batch size (and byte
        cap), and its rows as (instance key, coalitions) runs of one request each."""
        bs = self.batch_size
        if self.max_batch_bytes is not None:
            rb = self._row_bytes(prepared[pending[start][0]][0], prepared[pending[start][0]][5])
            if rb:
                bs = max(1, min(bs, self.max_batch_bytes // rb))
        stop = min(start + bs, len(pending))
        return stop, [(prepared[r][0], prepared[r][1][[u for _, u in run]])
                      for r, run in itertools.groupby(pending[start:stop], key=lambda ru: ru[0])]

    def _run(self, prepared: list, pending: list[tuple[int, int]]) -> None:
        task, cache, st = self.task, self.cache, self.stats
        total = len(pending)
        pos = 0
        ahead = None  # (start, stop, future) of the batch the worker prepares
        pool = ThreadPoolExecutor(max_workers=1) if self.prefetch else None
        try:
            while pos < total:
                if ahead is not None and ahead[0] == pos and ahead[1] - pos <= self.batch_size:
                    stop, batch = ahead[1], ahead[2].result()
                else:
                    if ahead is not None:  # prepared for a batch size that has changed since
                        ahead[2].cancel()
                        wait([ahead[2]])
                    stop, groups = self._batch(prepared, pending, pos)
                    batch = task.prepare(groups)
                ahead = None
                if pool is not None and stop < total:
                    nstop, groups = self._batch(prepared, pending, stop)
                    ahead = (stop, nstop, pool.submit(task.prepare, groups))
                n_rows = stop - pos
                t0 = time.perf_counter()
                try:
                    values = as_real_float64(task.forward(batch), "model output")
                except Exception as exc:
                    st.seconds_model += time.perf_counter() - t0
                    if not is_out_of_memory(exc) or n_rows <= 1:
                        raise
                    del batch
                    self._on_oom(n_rows)
                    _free_device_memory()
                    continue  # retry rows pos.. with the smaller batch; nothing finished is lost
                dt = time.perf_counter() - t0
                st.seconds_model += dt
                st.model_calls += 1
                st.rows_evaluated += n_rows
                st.batch_sizes.append(n_rows)
                if values.shape[:1] != (n_rows,) or values.ndim not in (1, 2):
                    raise ValueError(
                        f"the model returned shape {values.shape} for {n_rows} rows; expected "
                        f"({n_rows},) or ({n_rows}, d)"
                    )
                for (r, u), v in zip(pending[pos:stop], values):
                    key, _, _, bits, vals, n = prepared[r]
                    vals[u] = v
                    if cache is not None:
                        cache.put((self.namespace, key, n, bits[u]), v)
                self._observe(n_rows, dt)
                pos = stop
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
