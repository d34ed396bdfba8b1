"""Resumable, file-to-files explanation of many items (the engine behind ``interplay explain``).

Items come from JSONL or Parquet; each finished item is written to its own Parquet file in the
output directory, atomically (temporary file, then rename), so an interrupted run leaves only
complete files and a restart skips them: nothing finished is recomputed or lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..results import InteractionResult
from .api import build_games, run_estimators, scheduler_stats

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,120}$")


def read_items(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Items of a ``.jsonl`` (one JSON object per line) or ``.parquet`` file, each with an ``id``
    (the given one, else the item's position)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file {path} does not exist")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        items = pq.read_table(path).to_pylist()
    else:
        items = []
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        items.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    ids = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: item {i} is not an object")
        item.setdefault("id", f"{i:08d}")
        item["id"] = str(item["id"])
        if item["id"] in ids:
            raise ValueError(f"{path}: duplicate item id {item['id']!r}")
        ids.add(item["id"])
    return items


def output_path(out_dir: Path, item_id: str) -> Path:
    """``<out_dir>/<id>.parquet``; ids that are not filename-safe are hashed."""
    name = item_id if _SAFE.match(item_id) else hashlib.sha1(item_id.encode()).hexdigest()
    return out_dir / f"{name}.parquet"


def item_input(item: dict[str, Any]) -> tuple[str, Any]:
    """(kind, model input) of an item: a text pair or an (image, text) pair."""
    for a, b in (("query", "passage"), ("text_a", "text_b")):
        if a in item and b in item:
            return "text-pair", (str(item[a]), str(item[b]))
    if "image" in item and "text" in item:
        return "image-text", (_load_image(item["image"]), item["text"])
    if isinstance(item.get("modalities"), dict) and item["modalities"]:
        return "modalities", tuple(np.asarray(v, dtype=np.float32)
                                   for v in item["modalities"].values())
    raise ValueError(
        f"item {item.get('id')!r}: expected fields query/passage, text_a/text_b, image/text or "
        "modalities (an object: modality name -> array)"
    )


def modality_masker(items: Sequence[dict[str, Any]], background: str | None = None,
                    strategy: str | None = None, n_draws: int = 16, seed: int | None = 0):
    """A :class:`ModalityMasker` for ``modalities`` items: absent modalities are replaced by
    zeros, or by the mean of / averaged draws from a background ``.npz`` (one array per modality
    name, leading sample axis)."""
    from .maskers import ModalityMasker  # noqa: PLC0415

    names = list(items[0]["modalities"])
    for it in items:
        if list(it.get("modalities", {})) != names:
            raise ValueError(f"item {it['id']!r}: modalities must be {names} in every item")
    if background is None:
        if strategy not in (None, "baseline"):
            raise ValueError(f"strategy {strategy!r} needs a background file")
        zeros = [np.zeros_like(np.asarray(v, dtype=np.float32))
                 for v in items[0]["modalities"].values()]
        return ModalityMasker(zeros, names=names)
    with np.load(background) as bg:
        missing = [n for n in names if n not in bg]
        if missing:
            raise ValueError(f"background {background}: no array for modalities {missing}")
        arrays = [np.asarray(bg[n], dtype=np.float32) for n in names]
    return ModalityMasker(background=arrays, strategy=strategy or "mean", n_draws=n_draws,
                          seed=seed, names=names)


def _load_image(x: Any) -> Any:
    import torch  # noqa: PLC0415

    if isinstance(x, str):
        if x.endswith(".npy"):
            return torch.from_numpy(np.load(x))
        if x.endswith(".pt"):
            return torch.load(x)
        raise ValueError(f"image {x!r}: give a normalised (C, H, W) array as .npy or .pt")
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


def result_table(res: InteractionResult, item_id: str, meta: dict[str, Any]) -> Any:
    """A pyarrow Table of one result: one row per set (players, labels, order, value, stderr);
    the player labels and run settings go into the schema metadata."""
    import pyarrow as pa  # noqa: PLC0415

    players = [list(res.players(r)) for r in range(len(res))]
    names = res.player_names or [str(i) for i in range(res.n_players)]
    vals = np.asarray(res.values, dtype=np.float64)
    if vals.ndim != 1:
        raise ValueError("only scalar games are written to Parquet")
    stderr = (np.full(len(vals), np.nan) if res.stderr is None
              else np.asarray(res.stderr, dtype=np.float64))
    table = pa.table({
        "players": pa.array(players, type=pa.list_(pa.int32())),
        "labels": pa.array([[names[p] for p in ps] for ps in players], type=pa.list_(pa.string())),
        "order": pa.array([len(ps) for ps in players], type=pa.int8()),
        "value": pa.array(vals),
        "stderr": pa.array(stderr),
    })
    info = {
        "id": item_id,
        "index": res.index,
        "n_players": res.n_players,
        "min_order": res.min_order,
        "max_order": res.max_order,
        "player_names": names,
        "baseline_value": float(np.asarray(res.baseline_value).reshape(-1)[0]),
        "estimated": res.estimated,
        "budget_used": None if res.budget_used is None else int(res.budget_used),
        "n_evaluations": None if res.n_evaluations is None else int(res.n_evaluations),
        **meta,
    }
    return table.replace_schema_metadata({"interplay": json.dumps(info)})


def read_result(path: str | os.PathLike) -> InteractionResult:
    """Load a result written by :func:`explain_items`."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    from .. import _sets  # noqa: PLC0415

    table = pq.read_table(path)
    info = json.loads(table.schema.metadata[b"interplay"])
    n = info["n_players"]
    players = table.column("players").to_pylist()
    sets = np.array([_sets.players_to_set(p, n) for p in players], dtype=np.uint64)
    stderr = table.column("stderr").to_numpy()
    return InteractionResult(
        table.column("value").to_numpy(), sets, n_players=n, index=info["index"],
        max_order=info["max_order"], min_order=info["min_order"],
        baseline_value=info["baseline_value"],
        stderr=None if np.isnan(stderr).all() else stderr, estimated=info["estimated"],
        budget_used=info["budget_used"], n_evaluations=info["n_evaluations"],
        player_names=info["player_names"], info={"id": info["id"]},
    )


def _write_atomic(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq  # noqa: PLC0415

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i: i + size]


def explain_items(
    items: Sequence[dict[str, Any]],
    out_dir: str | os.PathLike,
    *,
    model: Any,
    index: str = "FWBII",
    max_order: int = 2,
    budget: int = 2**12,
    method: str = "auto",
    p: float = 0.5,
    seed: int | None = 0,
    batch_size: int | str = "auto",
    items_per_call: int = 8,
    tokenizer: Any = None,
    text_mode: str = "attention",
    progress: bool = True,
    grid: bool | str = "auto",
    masker: Any = None,
    make_estimator: Callable[..., Any] | None = None,
    on_result: Callable[[dict[str, Any], InteractionResult], None] | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Explain every item not yet in ``out_dir``; returns counts and scheduler accounting.

    ``items_per_call`` items are explained together (their rows packed into shared model calls
    and cache); each item's file is written as soon as its group finishes.
    """
    from .api import _default_make_estimator  # noqa: PLC0415

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    todo = [it for it in items if not output_path(out, it["id"]).exists()]
    n_done_before = len(items) - len(todo)
    make = make_estimator if make_estimator is not None else _default_make_estimator()
    bar = None
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        bar = tqdm(total=len(items), initial=n_done_before, unit="item", desc="explain",
                   dynamic_ncols=True)
    stats: dict[str, Any] = {}
    shared: dict[str, Any] = {}  # encoders (and their auto batch size) kept across chunks
    t0 = time.perf_counter()
    written = 0
    try:
        for chunk in _chunks(todo, max(1, int(items_per_call))):
            inputs = [item_input(it)[1] for it in chunk]
            for mm in shared.values():  # items do not repeat: keep the cache small
                if mm.scheduler.cache is not None:
                    mm.scheduler.cache.clear()
            games = build_games(model, inputs, masker=masker, tokenizer=tokenizer,
                                text_mode=text_mode, batch_size=batch_size, shared=shared)
            results = run_estimators(games, make, index=index, budget=budget,
                                     max_order=max_order, method=method, p=p, seed=seed,
                                     grid=grid, labels=[it["id"] for it in chunk])
            for it, res in zip(chunk, results):
                _write_atomic(result_table(res, it["id"], meta or {}), output_path(out, it["id"]))
                written += 1
                if on_result is not None:
                    on_result(it, res)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if shared:
        stats = scheduler_stats(games)
    return {
        "items": len(items),
        "skipped": n_done_before,
        "written": written,
        "seconds": time.perf_counter() - t0,
        "scheduler": stats,
    }
