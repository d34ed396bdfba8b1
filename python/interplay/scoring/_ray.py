"""The Ray Data engine of ``interplay explain`` (``--engine ray``).

The driver reads the items, checks the output folder (settings, finished items: resume) and
cuts the items still to do into the groups the local engine would form
(:func:`~interplay.models.batch.item_groups`). Each group is one row of a ``ray.data.Dataset``
(its items as JSON); ``map_batches`` sends the rows to a pool of actors, each of which loads the
model once and runs the local engine's per-item code (:class:`GroupExplainer`: scheduler,
cross-item batching, cache, OOM back-off, accounting) on one group at a time and returns, per
item, its Parquet file as bytes or its error record. The driver writes the files atomically as
they stream back, so a killed driver leaves only finished files and a rerun skips them; a
killed actor is restarted by Ray and its group retried (an item id that arrives twice is
written once).
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RAY_MISSING = ("the Ray engine needs Ray Data: pip install 'interplay[ray]' (or 'ray[data]>=2.45')")


class _Worker:
    """One Ray actor: the model loaded once, then one group of items per call."""

    def __init__(self, spec: dict[str, Any]) -> None:
        import torch  # noqa: PLC0415

        from ..models.batch import GroupExplainer  # noqa: PLC0415

        torch.set_grad_enabled(False)  # an actor process of its own: nothing to restore
        torch.set_num_threads(spec["threads"])  # its CPUs (a model's last bits may depend on it)
        model, tokenizer = _load(spec["model"], spec["kind"], spec["device"])
        self.explain = GroupExplainer(model, tokenizer=tokenizer, meta=spec["meta"],
                                      masker=spec["masker"], kind=spec["kind"], **spec["kw"])
        self.seen: dict[str, Any] = {}

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        from ..models.batch import error_record  # noqa: PLC0415

        cols: dict[str, list] = {k: [] for k in ("id", "table", "error", "seconds", "stats")}
        for text in batch.column("group").to_pylist():
            group = json.loads(text)
            t0 = time.perf_counter()
            try:
                done = self.explain(group)
            except Exception as exc:  # noqa: BLE001  (a group-wide failure: each item reports it)
                done = [(it, None, None, error_record(it["id"], exc)) for it in group]
            for k, (it, _, table, err) in enumerate(done):
                buf = b""
                if err is None:
                    sink = io.BytesIO()
                    pq.write_table(table, sink)
                    buf = sink.getvalue()
                cols["id"].append(it["id"])
                cols["table"].append(buf)
                cols["error"].append("" if err is None else json.dumps(err, ensure_ascii=False))
                cols["seconds"].append(time.perf_counter() - t0 if k == 0 else 0.0)
                cols["stats"].append(json.dumps(self._stats_delta()) if k == 0 else "")
        return pa.table({"id": pa.array(cols["id"], pa.string()),
                         "table": pa.array(cols["table"], pa.binary()),
                         "error": pa.array(cols["error"], pa.string()),
                         "seconds": pa.array(cols["seconds"], pa.float64()),
                         "stats": pa.array(cols["stats"], pa.string())})

    def _stats_delta(self) -> dict[str, Any]:
        """Scheduler accounting since the last group (the driver sums the groups')."""
        now = self.explain.stats()
        delta = {k: v if k == "max_batch_size" else v - self.seen.get(k, 0) for k, v in now.items()}
        self.seen = now
        return delta


def _load(model: Any, kind: str, device: str) -> tuple[Any, Any]:
    """(model, tokenizer) in a worker: a name or path as ``interplay explain --model`` takes it
    (None: the bundled all-MiniLM-L6-v2), or a callable run here returning the model or
    (model, tokenizer)."""
    if callable(model):
        got = model()
        return got if isinstance(got, tuple) else (got, None)
    from ..cli import _load_model  # noqa: PLC0415

    try:
        return _load_model(model, kind, device)
    except SystemExit as exc:  # the CLI's one-line message, as an error of the worker
        raise RuntimeError(str(exc)) from None


def _items(items: Any, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of a file, a list of dicts or a ``ray.data.Dataset`` (its rows, in order),
    checked as read_items does (bad ones go to ``errors``)."""
    from ..models.batch import items_from_records, read_items  # noqa: PLC0415

    if isinstance(items, (str, os.PathLike)):
        return read_items(items, errors=errors)
    if isinstance(items, (list, tuple)):
        return items_from_records([(f"items[{i}]", dict(it) if isinstance(it, dict) else it)
                                   for i, it in enumerate(items)], errors)
    if not hasattr(items, "iter_rows"):
        raise TypeError(f"items must be a .jsonl/.parquet path, a list of dicts or a "
                        f"ray.data.Dataset, got {type(items).__name__}")
    return items_from_records([(f"dataset row {i}", dict(row))
                               for i, row in enumerate(items.iter_rows())], errors)


def explain_dataset(
    items: str | os.PathLike | Any,
    output: str | os.PathLike,
    *,
    model: str | Callable[[], Any] | None = None,
    address: str | None = None,
    workers: int = 1,
    gpus_per_worker: float = 0.0,
    cpus_per_worker: float | None = None,
    index: str = "FWBII",
    max_order: int = 2,
    budget: int = 2**12,
    method: str = "auto",
    p: float = 0.5,
    seed: int | None = 0,
    batch_size: int | str = "auto",
    items_per_call: int = 8,
    text_mode: str = "attention",
    grid: bool | str = "auto",
    truncate: bool = False,
    players: str = "tokens",
    basis: str = "full",
    max_terms: int | None = None,
    device: str | None = None,
    masker: Any = None,
    meta: dict[str, Any] | None = None,
    errors: Sequence[dict[str, Any]] = (),
    overwrite: bool = False,
    progress: bool = True,
    on_result: Callable[[dict[str, Any], Any], None] | None = None,
    on_error: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Explain every item not yet in ``output`` on a Ray cluster; one Parquet file per item.

    The values are those of :func:`interplay.models.batch.explain_items` (the local engine,
    ``interplay explain``): each worker runs its per-item code on the same groups of
    ``items_per_call`` items, so with a fixed ``batch_size`` and as many torch threads as the
    local run (``cpus_per_worker``) the files are bit for bit the local engine's ("auto" picks
    batch sizes from timings, on either engine; a model's last bits may depend on the batch and
    the thread count). For a text pair
    and index :math:`I` the file holds :math:`I(S)` for every set :math:`|S| \\le`
    ``max_order`` of the item's players, as :func:`interplay.explain` defines it.

    Parameters
    ----------
    items : path, list of dicts or ray.data.Dataset
        A ``.jsonl``/``.parquet`` file of items (read on the driver), items as
        :func:`~interplay.models.batch.read_items` returns them, or a Dataset whose rows are
        items (collected on the driver, which needs their ids to resume).
    output : path
        The folder of ``<id>.parquet`` files and ``errors.jsonl``, on the driver's file system.
    model : str, callable or None
        What ``--model`` takes (a sentence-transformers name or directory, a CLIP directory,
        ``module:callable`` for modality items; None: the bundled all-MiniLM-L6-v2), loaded once
        per worker; or a callable run once in each worker that returns the model or
        ``(model, tokenizer)``.
    address : str, optional
        A running cluster's address (``ray.init(address=...)``); by default a local Ray instance
        is started (and shut down at the end). An already initialised Ray is used as it is.
    workers : int
        Actors, each with its own model.
    gpus_per_worker, cpus_per_worker : float
        Resources of each actor (default CPUs: the cluster's CPUs divided among the workers);
        an actor's torch threads are its CPUs (at least 1).
    device : str, optional
        Torch device of the workers' models (default "cuda" with GPUs, else "cpu").
    index, max_order, budget, method, p, seed, batch_size, items_per_call, text_mode, grid,
    truncate, players, basis, max_terms, masker, meta, errors, overwrite, progress, on_result,
    on_error
        As in :func:`~interplay.models.batch.explain_items`; ``on_result(item, result)`` runs on
        the driver (the result read back from its file).

    Returns
    -------
    dict
        The local engine's summary (items, skipped, written, failed, errors_file, seconds,
        scheduler: summed over workers) and ``items_per_second``, ``seconds_to_first``
        (start-up to the first finished item), ``seconds_in_workers`` (wall time of the
        groups), ``seconds_outside_model`` (of it), ``bytes_in_per_item`` and
        ``bytes_out_per_item`` (shipped to and from the workers), ``redelivered`` (results of
        retried groups that were already written: dropped) and ``workers``.

    References
    ----------
    P. Moritz et al., "Ray: a distributed framework for emerging AI applications", OSDI 2018.
    """
    from ..models.batch import OutputFolder, item_groups, run_settings  # noqa: PLC0415

    t_entry = time.perf_counter()
    workers = _count(workers, "workers")
    items_per_call = _count(items_per_call, "items_per_call")
    for name, value in (("gpus_per_worker", gpus_per_worker), ("cpus_per_worker", cpus_per_worker)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or value < 0):
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if not (model is None or isinstance(model, (str, os.PathLike)) or callable(model)):
        raise TypeError("model must be a name or path, a callable that loads the model in each "
                        f"worker, or None (the bundled all-MiniLM-L6-v2); got "
                        f"{type(model).__name__}")
    try:
        import ray  # noqa: PLC0415
        import ray.data  # noqa: PLC0415, F401
    except ImportError:
        raise ImportError(RAY_MISSING) from None
    started = not ray.is_initialized()
    if started:  # ray.init sets environment variables and a SIGTERM handler: put back after
        saved = dict(os.environ), signal.getsignal(signal.SIGTERM)
        ray.init(address=address, include_dashboard=False if address is None else None,
                 logging_level="WARNING", log_to_driver=progress)
    ctx = ray.data.DataContext.get_current()
    bars, level = ctx.enable_progress_bars, logging.getLogger("ray.data").level
    ctx.enable_progress_bars = False  # ours counts items; Ray's would count groups
    if not progress:
        logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        read_errors = list(errors)
        items = _items(items, read_errors)
        from ..cli import _run_kind  # noqa: PLC0415

        kind = _run_kind(items)
        if masker is None and kind == "modalities":
            raise ValueError("masker: modality items need a masker (interplay.models.batch."
                             "modality_masker)")
        name = model if model is None or isinstance(model, str) else (
            str(model) if isinstance(model, os.PathLike) else getattr(model, "__qualname__", "callable"))
        meta = {"model": name or "all-MiniLM-L6-v2 (bundled)", **(meta or {})}
        settings = run_settings(index=index, max_order=max_order, budget=budget, method=method,
                                p=p, seed=seed, text_mode=text_mode, grid=grid,
                                truncate=truncate, players=players, meta=meta, basis=basis,
                                max_terms=max_terms)
        run = OutputFolder(items, output, settings, meta=meta, errors=read_errors,
                           overwrite=overwrite, on_error=on_error, progress=progress)
        groups = item_groups(run.todo, items_per_call)
        try:
            extra = _execute(ray, run, groups, on_result, dict(
                model=str(model) if isinstance(model, os.PathLike) else model, kind=kind,
                device=device or ("cuda" if gpus_per_worker else "cpu"), meta=run.meta,
                masker=masker, kw=dict(text_mode=text_mode, batch_size=batch_size,
                                       truncate=truncate, players=players, index=index,
                                       budget=budget, max_order=max_order, method=method, p=p,
                                       seed=seed, grid=grid, basis=basis,
                                       max_terms=max_terms)),
                workers=workers, gpus=gpus_per_worker, cpus=cpus_per_worker, t_entry=t_entry)
        finally:
            run.close()
    finally:
        ctx.enable_progress_bars = bars
        logging.getLogger("ray.data").setLevel(level)
        if started:
            ray.shutdown()
            os.environ.clear()
            os.environ.update(saved[0])
            if saved[1] is not None and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, saved[1])
    out = run.summary(extra.pop("scheduler"))
    n = max(out["written"] + out["failed"] - len(read_errors), 0)
    out["items_per_second"] = n / out["seconds"] if out["seconds"] > 0 else 0.0
    return {**out, **extra}


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _execute(ray: Any, run: Any, groups: list[list[dict[str, Any]]],
             on_result: Callable[[dict[str, Any], Any], None] | None, spec: dict[str, Any], *,
             workers: int, gpus: float, cpus: float | None, t_entry: float) -> dict[str, Any]:
    """Stream the groups through the actor pool; write each item's file as it arrives."""
    from ..models.api import sum_stats  # noqa: PLC0415
    from ..models.batch import output_path, read_result  # noqa: PLC0415

    extra = {"seconds_to_first": None, "seconds_in_workers": 0.0, "seconds_outside_model": 0.0,
             "bytes_in_per_item": 0.0, "bytes_out_per_item": 0.0, "redelivered": 0,
             "workers": workers, "scheduler": {}}
    if not groups:
        return extra
    rows = [{"group": json.dumps(g, ensure_ascii=False)} for g in groups]
    n_todo = sum(len(g) for g in groups)
    extra["bytes_in_per_item"] = sum(len(r["group"].encode()) for r in rows) / n_todo
    if cpus is None:  # the cluster's CPUs shared among the workers (torch threads follow)
        total = ray.cluster_resources().get("CPU", 1.0)
        cpus = max(1.0, float(int(total // workers)))
    spec = {**spec, "threads": max(1, int(cpus))}
    ds = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
        _Worker, fn_constructor_kwargs={"spec": spec}, batch_size=1, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=cpus, num_gpus=gpus or None)
    by_id = {it["id"]: it for g in groups for it in g}
    done: set[str] = set()
    parts: list[dict[str, Any]] = []
    bytes_out = 0
    for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
        for row in batch.to_pylist():
            item_id = row["id"]
            if row["stats"]:
                parts.append(json.loads(row["stats"]))
                extra["seconds_in_workers"] += row["seconds"]
            if item_id in done:  # a retried group's result that already arrived
                extra["redelivered"] += 1
                continue
            done.add(item_id)
            if extra["seconds_to_first"] is None:
                extra["seconds_to_first"] = time.perf_counter() - t_entry
            if row["error"]:
                run.fail(json.loads(row["error"]))
                continue
            bytes_out += len(row["table"])
            run.write(item_id, row["table"])
            if on_result is not None:
                on_result(by_id[item_id], read_result(output_path(Path(run.out), item_id)))
    stats = sum_stats(parts)
    extra["scheduler"] = stats
    extra["seconds_outside_model"] = max(extra["seconds_in_workers"]
                                         - stats.get("seconds_model", 0.0), 0.0)
    extra["bytes_out_per_item"] = bytes_out / max(run.written, 1)
    return extra
