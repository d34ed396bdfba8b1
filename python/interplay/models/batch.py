"""Resumable, file-to-files explanation of many items (the engine behind ``interplay explain``).

Items come from JSONL or Parquet; each finished item is written to its own Parquet file in the
output directory, atomically (temporary file, then rename), so an interrupted run leaves only
complete files and a restart skips them: nothing finished is recomputed or lost.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..results import InteractionResult
from .api import build_games, run_estimators, sum_stats
from .maskers import TextTooLong

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,120}$")


ERRORS_FILE = "errors.jsonl"


class ItemError(ValueError):
    """One item cannot be explained: a one-line message naming the field, and the fix.

    ``interplay explain`` writes it to ``<output>/errors.jsonl`` and goes on with the other items.
    """

    def __init__(self, message: str, *, argument: str | None = None, fix: str | None = None):
        super().__init__(message)
        self.argument = argument
        self.fix = fix


def one_line(exc: BaseException, limit: int = 400) -> str:
    """``exc`` as one line (type name for non-ValueErrors, whitespace collapsed, capped)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, (ValueError, TypeError, OSError)):
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_record(item_id: Any, exc: BaseException, where: str | None = None) -> dict[str, Any]:
    """The errors-file line of an item that failed: id, one-line error, argument, fix."""
    from .._validation import MemoryPlanError  # noqa: PLC0415

    argument = getattr(exc, "argument", None)
    fix = getattr(exc, "fix", None)
    if isinstance(exc, MemoryPlanError) and fix is None:
        fix = ("--max-order 1 (about n terms instead of n^2/2), --players words (one player per "
               "word instead of per word piece), or fewer players (shorter texts, smaller "
               "images)")
    rec = {"id": item_id, "error": one_line(exc), "argument": argument, "fix": fix}
    if where is not None:
        rec["where"] = where
    return rec


def read_items(
    path: str | os.PathLike, errors: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Items of a ``.jsonl`` (one JSON object per line) or ``.parquet`` file, each with an ``id``
    (the given one, a string or an integer, else the item's position).

    Without ``errors`` the first bad item raises ValueError. With a list, each bad item (a line
    that is not JSON or not an object, a bad or duplicate id) is appended to it as an
    :func:`error_record` and skipped; the others are returned. A file that cannot be read at all
    raises OSError/ValueError either way.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file {path} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"input file {path} is a directory")
    records: list[tuple[str, Any]] = []  # (where, parsed object or the exception)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        try:
            table = pq.read_table(path)
            rows = (table.to_pylist() if table.num_columns  # no columns: one empty row each
                    else [{} for _ in range(table.num_rows)])
        except Exception as exc:  # noqa: BLE001  (pyarrow raises many kinds)
            raise ValueError(f"input file {path} is not a readable Parquet file "
                             f"({one_line(exc)})") from None
        records = [(f"{path}: row {i}", row) for i, row in enumerate(rows)]
    else:
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                where = f"{path}:{lineno}"
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    records.append((where, ValueError(f"not UTF-8 text ({exc.reason})")))
                    continue
                if not line.strip():
                    continue
                try:
                    records.append((where, json.loads(line)))
                except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge ints, depth
                    reason = exc.msg if isinstance(exc, json.JSONDecodeError) else one_line(exc)
                    records.append((where, ValueError(f"not valid JSON ({reason})")))
    return items_from_records(records, errors)


def items_from_records(records: Sequence[tuple[str, Any]],
                       errors: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Items (each with its ``id``) of ``(where, object or exception)`` records, checked as
    :func:`read_items` does (also used for the rows of a ``ray.data.Dataset``)."""
    items = []
    first: dict[str, str] = {}
    for pos, (where, obj) in enumerate(records):
        try:
            if isinstance(obj, Exception):
                raise ItemError(str(obj), fix="give one JSON object per line")
            if not isinstance(obj, dict):
                raise ItemError(f"not an object (a JSON {type(obj).__name__})",
                                fix="give one JSON object per line")
            item_id = _item_id(obj.get("id"), pos)
            if item_id in first:
                raise ItemError(f"duplicate id {item_id!r} (first at {first[item_id]})",
                                argument="id", fix="give every item its own id")
        except ItemError as exc:
            if errors is None:
                raise ValueError(f"{where}: {exc}") from None
            raw_id = obj.get("id") if isinstance(obj, dict) else None
            rid = raw_id if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) \
                else f"{pos:08d}"
            errors.append(error_record(rid, exc, where))
            continue
        first[item_id] = where
        obj["id"] = item_id
        items.append(obj)
    return items


def _item_id(raw: Any, pos: int) -> str:
    """An item's id as a string: the given string or integer, else its position."""
    if raw is None:
        return f"{pos:08d}"
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ItemError(f"id must be a string or an integer, got {type(raw).__name__}",
                        argument="id", fix="give id as a string (or leave it out)")
    text = str(raw)
    if not text.strip():
        raise ItemError("id is empty", argument="id", fix="give a non-empty id (or leave it out)")
    return text


def output_path(out_dir: Path, item_id: str) -> Path:
    """``<out_dir>/<id>.parquet``; ids that are not filename-safe are hashed."""
    name = item_id if _SAFE.match(item_id) else hashlib.sha1(item_id.encode()).hexdigest()
    return out_dir / f"{name}.parquet"


_PAIRS = (("query", "passage"), ("text_a", "text_b"), ("image", "text"))
_IMAGE_FIX = "give image as a path to a normalised (C, H, W) .npy or .pt"


def _text(item: dict[str, Any], field: str, *, ids: bool = False) -> Any:
    """A text field: a non-empty string (or, with ``ids``, a dict of token ids); None and other
    types are refused, never stringified."""
    value = item[field]
    if ids and isinstance(value, dict):
        if "input_ids" not in value:
            raise ItemError(f"{field} is an object without input_ids", argument=field,
                            fix=f"give {field} as a string or as {{input_ids, "
                                "special_tokens_mask}")
        return value
    if value is None:
        raise ItemError(f"{field} is null", argument=field,
                        fix=f"give {field} as a non-empty string")
    if not isinstance(value, str):
        raise ItemError(f"{field} must be a string, got {type(value).__name__}", argument=field,
                        fix=f"give {field} as a non-empty string")
    if not value.strip():
        raise ItemError(f"{field} is empty", argument=field,
                        fix=f"give {field} a non-empty text, or leave the item out")
    return value


def item_fields(item: dict[str, Any]) -> tuple[str, ...]:
    """The fields that hold an item's players: a pair of fields, or ("modalities",)."""
    for a, b in _PAIRS:
        if a in item and b in item:
            return a, b
    if "modalities" in item:
        return ("modalities",)
    for a, b in _PAIRS:
        if a in item or b in item:
            has, lacks = (a, b) if a in item else (b, a)
            raise ItemError(f"has {has} but no {lacks}", argument=lacks,
                            fix=f"give both {a} and {b}")
    raise ItemError(
        "expected fields query/passage, text_a/text_b, image/text or modalities (an object: "
        "modality name -> array)", fix="give one of these pairs of fields")


def item_kind(item: dict[str, Any]) -> str:
    """"text-pair", "image-text" or "modalities" (ItemError if none applies)."""
    fields = item_fields(item)
    return {"image": "image-text", "modalities": "modalities"}.get(fields[0], "text-pair")


def item_input(item: dict[str, Any]) -> tuple[str, Any]:
    """(kind, model input) of an item: a text pair, an (image, text) pair or modality arrays.

    Raises :class:`ItemError` (a ValueError naming the field) for a missing, null, empty or
    mistyped field.
    """
    fields = item_fields(item)
    kind = item_kind(item)
    if kind == "text-pair":
        return kind, (_text(item, fields[0]), _text(item, fields[1]))
    if kind == "image-text":
        image = item["image"]
        if image is None or isinstance(image, (bool, int, float, dict)):
            raise ItemError(f"image must be a .npy/.pt path or a (C, H, W) array, got "
                            f"{type(image).__name__}", argument="image", fix=_IMAGE_FIX)
        text = _text(item, "text", ids=True)
        try:
            return kind, (_load_image(image), text)
        except (OSError, ValueError, TypeError) as exc:
            raise ItemError(f"image: {one_line(exc)}", argument="image", fix=_IMAGE_FIX) from None
    mods = item["modalities"]
    if not isinstance(mods, dict) or not mods:
        raise ItemError(f"modalities must be a non-empty object (name -> array), got "
                        f"{type(mods).__name__}", argument="modalities",
                        fix="give modalities as an object: modality name -> array")
    try:
        return kind, tuple(np.asarray(v, dtype=np.float32) for v in mods.values())
    except (ValueError, TypeError) as exc:
        raise ItemError(f"modalities: not numeric arrays ({one_line(exc)})",
                        argument="modalities", fix="give each modality as an array of numbers") \
            from None


def modality_masker(items: Sequence[dict[str, Any]], background: str | None = None,
                    strategy: str | None = None, n_draws: int = 16, seed: int | None = 0):
    """A :class:`ModalityMasker` for ``modalities`` items: absent modalities are replaced by
    zeros, or by the mean of / averaged draws from a background ``.npz`` (one array per modality
    name, leading sample axis)."""
    from .maskers import ModalityMasker  # noqa: PLC0415

    first = None
    for it in items:  # the first item whose modalities are arrays defines names and shapes
        try:
            if item_kind(it) == "modalities":
                first = item_input(it)[1], list(it["modalities"])
                break
        except ItemError:
            continue
    if first is None:
        raise ValueError("no item has usable modalities (an object: modality name -> array)")
    arrays0, names = first  # items with other names fail one by one in explain_items
    if background is None:
        if strategy not in (None, "baseline"):
            raise ValueError(f"strategy {strategy!r} needs a background file")
        return ModalityMasker([np.zeros_like(a) for a in arrays0], names=names)
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

    from .. import sets as bits  # noqa: PLC0415

    table = pq.read_table(path)
    info = json.loads(table.schema.metadata[b"interplay"])
    n = info["n_players"]
    players = table.column("players").to_pylist()
    sets = np.array([bits.players_to_set(p, n) for p in players], dtype=np.uint64)
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
    """Write a pyarrow Table (or the bytes of a Parquet file) to ``path`` atomically: a
    temporary file, fsync, then rename."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(table, bytes):
        tmp.write_bytes(table)
    else:
        pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class GroupExplainer:
    """The per-item work of :func:`explain_items`, on one model loaded once: each call explains
    a group of items together (their rows packed into shared model calls and cache) and returns,
    per item, ``(item, result, table, None)`` or ``(item, None, None, error record)``.

    The local engine calls it in its process; the Ray engine (:mod:`interplay.scoring`) calls it
    in each worker, so both run the same code on the same groups. Encoders (their scheduler,
    batch size found by "auto" and OOM cap) persist across calls; the cache is cleared between
    groups (items do not repeat). ``meta``: the file metadata (run settings included).
    """

    def __init__(self, model: Any, *, meta: dict[str, Any], masker: Any = None,
                 tokenizer: Any = None, text_mode: str = "attention",
                 batch_size: int | str = "auto", truncate: bool = False, players: str = "tokens",
                 kind: str | None = None, make_estimator: Callable[..., Any] | None = None,
                 **estimate: Any) -> None:
        self.shared: dict[str, Any] = {}
        self.build = functools.partial(build_games, model, masker=masker, tokenizer=tokenizer,
                                       text_mode=text_mode, batch_size=batch_size,
                                       shared=self.shared, truncate=truncate, players=players)
        self.names = getattr(masker, "names", None)
        self.kind, self.meta, self.make, self.estimate = kind, meta, make_estimator, estimate

    def __call__(self, group: Sequence[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        for mm in self.shared.values():  # items do not repeat: keep the cache small
            if mm.scheduler.cache is not None:
                mm.scheduler.cache.clear()
        done: list[tuple[Any, Any, Any, Any]] = []
        ok, games = [], []
        for it in group:
            try:
                games.append(_item_game(it, self.build, self.names, self.kind))
                ok.append(it)
            except Exception as exc:  # noqa: BLE001  (this item fails, the others go on)
                done.append((it, None, None, error_record(it["id"], exc)))
        failed: dict[int, Exception] = {}
        results = run_estimators(games, self.make, labels=[it["id"] for it in ok],
                                 errors=failed, **self.estimate) if games else []
        for j, (it, res) in enumerate(zip(ok, results)):
            try:
                table = None if res is None else result_table(res, it["id"], self.meta)
            except Exception as exc:  # noqa: BLE001
                failed[j] = exc
            done.append((it, None, None, error_record(it["id"], failed[j])) if j in failed
                        else (it, res, table, None))
        return done

    def stats(self) -> dict[str, Any]:
        """Scheduler accounting of this explainer's encoders since it was made."""
        return sum_stats(mm.stats.as_dict() for mm in self.shared.values())


class OutputFolder:
    """The output side of a run, shared by the local and the Ray engine: the settings check,
    the items still to do, the errors file, the progress bar (items/s, ETA) and atomic writes
    of ``<out>/<id>.parquet``. Errors of the folder itself (cannot write) raise."""

    def __init__(self, items: Sequence[dict[str, Any]], out_dir: str | os.PathLike,
                 settings: dict[str, Any], *, meta: dict[str, Any] | None,
                 errors: Sequence[dict[str, Any]] = (), overwrite: bool = False,
                 on_error: Callable[[dict[str, Any]], None] | None = None,
                 progress: bool = True) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.errors_path = self.out / ERRORS_FILE
        self.errors_path.unlink(missing_ok=True)
        self.n_items, self.on_error = len(items), on_error
        self.written = self.failed = 0
        self.bar = None
        stale = _check_settings(items, self.out, settings, overwrite)
        for rec in errors:
            self.fail(rec)
        self.todo = [it for it in items
                     if it["id"] in stale or not output_path(self.out, it["id"]).exists()]
        self.skipped = len(items) - len(self.todo)
        self.meta = {**(meta or {}), "settings": settings}
        self.t0 = time.perf_counter()
        if progress:
            from tqdm.auto import tqdm  # noqa: PLC0415

            self.bar = tqdm(total=len(items), initial=self.skipped, unit="item", desc="explain",
                            dynamic_ncols=True)

    def fail(self, record: dict[str, Any]) -> None:
        self.failed += 1
        with open(self.errors_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self.on_error is not None:
            self.on_error(record)
        if self.bar is not None:
            self.bar.update(1)

    def write(self, item_id: str, table: Any) -> None:
        _write_atomic(table, output_path(self.out, item_id))
        self.written += 1
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def summary(self, stats: dict[str, Any]) -> dict[str, Any]:
        return {
            "items": self.n_items,
            "skipped": self.skipped,
            "written": self.written,
            "failed": self.failed,
            "errors_file": str(self.errors_path) if self.failed else None,
            "seconds": time.perf_counter() - self.t0,
            "scheduler": stats,
        }


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
    kind: str | None = None,
    errors: Sequence[dict[str, Any]] = (),
    on_error: Callable[[dict[str, Any]], None] | None = None,
    overwrite: bool = False,
    truncate: bool = False,
    players: str = "tokens",
    basis: str = "full",
    max_terms: int | None = None,
) -> dict[str, Any]:
    """Explain every item not yet in ``out_dir``; returns counts and scheduler accounting.

    ``items_per_call`` items are explained together (their rows packed into shared model calls
    and cache); each item's file is written as soon as its group finishes.

    An item that cannot be explained (a missing, null or empty field, no tokens, a plan that does
    not fit in memory, a model error of its own) does not stop the others: its
    :func:`error_record` (id, one-line error, argument, fix) goes to ``<out_dir>/errors.jsonl``
    (rewritten by every run, together with the reader's ``errors``) and to ``on_error``; the
    summary counts it under "failed". ``kind`` ("text-pair", "image-text", "modalities") refuses
    items of another kind than the model's. Errors of the output directory itself (cannot
    write) raise.

    A text longer than the model's limit fails its item unless ``truncate`` (then it is cut at
    the limit, as sentence-transformers' ``encode`` does). ``players="words"`` makes each word
    of a text one player (see :func:`~interplay.models.api.explain`), and ``basis`` /
    ``max_terms`` restrict the terms as there.

    The settings that change results (index, max_order, budget, method, p, seed, text_mode,
    grid, truncate, players and every ``meta`` entry, e.g. the model) are stored in each file's metadata
    under "settings". An item whose file exists is skipped only if its settings are the same; if any
    differ, :class:`SettingsMismatch` is raised before any model call, unless ``overwrite``, which
    recomputes those items.
    """
    settings = run_settings(index=index, max_order=max_order, budget=budget, method=method, p=p,
                            seed=seed, text_mode=text_mode, grid=grid, truncate=truncate,
                            players=players, meta=meta, basis=basis, max_terms=max_terms)
    run = OutputFolder(items, out_dir, settings, meta=meta, errors=errors, overwrite=overwrite,
                       on_error=on_error, progress=progress)
    explainer = GroupExplainer(
        model, meta=run.meta, masker=masker, tokenizer=tokenizer, text_mode=text_mode,
        batch_size=batch_size, truncate=truncate, players=players, kind=kind,
        make_estimator=make_estimator, index=index, budget=budget, max_order=max_order,
        method=method, p=p, seed=seed, grid=grid, basis=basis, max_terms=max_terms)
    try:
        for group in item_groups(run.todo, items_per_call):
            for it, res, table, err in explainer(group):
                if err is not None:
                    run.fail(err)
                    continue
                run.write(it["id"], table)
                if on_result is not None:
                    on_result(it, res)
    finally:
        run.close()
    return run.summary(explainer.stats())


def item_groups(todo: Sequence[dict[str, Any]], items_per_call: int) -> list[list[dict[str, Any]]]:
    """The groups of ``items_per_call`` consecutive items explained together (both engines form
    the same groups, so that their model calls, and values, are the same)."""
    step = max(1, int(items_per_call))
    return [list(todo[i: i + step]) for i in range(0, len(todo), step)]


class SettingsMismatch(ValueError):
    """The output folder holds results made with other settings (see :func:`explain_items`)."""


def run_settings(*, index: Any, max_order: int, budget: int, method: str, p: float,
                 seed: int | None, text_mode: str, grid: bool | str, truncate: bool = False,
                 players: str = "tokens", meta: dict[str, Any] | None = None,
                 basis: str = "full", max_terms: int | None = None) -> dict[str, Any]:
    """The settings of a run that change its results, as stored in each file (JSON values)."""
    settings = {"index": str(getattr(index, "name", index)).upper(), "max_order": max_order,
                "budget": budget, "method": method, "p": p, "seed": seed,
                "text_mode": text_mode, "grid": grid, "truncate": truncate, **(meta or {})}
    if players != "tokens":  # stored only when not the default: earlier files hold token players
        settings["players"] = players
    if basis != "full":  # likewise
        settings["basis"] = basis
    if max_terms is not None:
        settings["max_terms"] = max_terms
    return json.loads(json.dumps(settings, default=str))


def _check_settings(items: Sequence[dict[str, Any]], out: Path, settings: dict[str, Any],
                    overwrite: bool) -> set[str]:
    """Ids of items whose existing file was made with other settings; SettingsMismatch unless
    ``overwrite``. Files of older versions hold only some settings (index, max_order and their
    meta): those are compared."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    stale: dict[str, list[str]] = {}
    for it in items:
        path = output_path(out, it["id"])
        if not path.exists():
            continue
        try:
            info = json.loads(pq.read_schema(path).metadata[b"interplay"])
        except Exception:  # noqa: BLE001  (unreadable, or not a result file of ours)
            stale[it["id"]] = [f"{path.name} is not a readable result file"]
            continue
        if "settings" in info:
            old = info["settings"]
            keys = sorted(settings.keys() | old.keys())
        else:  # an older version's file: what it holds is compared
            old = {k: v for k, v in info.items() if k in ("model", "p", "seed", "budget",
                                                          "max_order")}
            old["index"] = str(info.get("index")).upper()
            keys = sorted(old)
        diff = [f"{k}: {old.get(k)!r} there, {settings.get(k)!r} now" for k in keys
                if old.get(k) != settings.get(k)]
        if diff:
            stale[it["id"]] = diff
    if stale and not overwrite:
        first = next(iter(stale.values()))
        raise SettingsMismatch(
            f"{out}: {len(stale)} existing result file(s) were made with other settings "
            f"({'; '.join(first[:3])}); give another output folder, or overwrite (--overwrite) "
            "to recompute them")
    return set(stale)


def _item_game(item: dict[str, Any], build: Callable[[list], list], names: list[str] | None,
               kind: str | None) -> Any:
    """The game of one item (``build``: :func:`build_games` of a list of inputs), or an
    ItemError naming the field that makes it impossible."""
    item_kind_, x = item_input(item)
    if kind is not None and item_kind_ != kind:
        raise ItemError(f"a {item_kind_} item, but the model explains {kind} items",
                        fix="put items of one kind in one file")
    fields = item_fields(item)
    if names is not None and kind == "modalities" and list(item["modalities"]) != names:
        raise ItemError(f"modalities must be {names} (as in the first item), got "
                        f"{list(item['modalities'])}", argument="modalities",
                        fix="give every item the same modalities in the same order")
    try:
        game = build([x])[0]
    except TextTooLong as exc:
        field = next((f for f in fields if item.get(f) is exc.text or item.get(f) == exc.text),
                     "text")
        raise ItemError(f"{field} has {exc.n_tokens} tokens (special tokens included), more "
                        f"than the model's limit of {exc.limit}", argument=field,
                        fix="shorten it, or --truncate to cut it at the limit") from None
    groups = getattr(game, "player_groups", None)
    if groups is not None and len(groups) == len(fields):
        for field, n in zip(fields, groups):
            if n == 0:
                raise ItemError(f"{field} has no players (no tokens or patches to explain)",
                                argument=field, fix=f"give {field} a text with words in it")
    if game.n_players == 0:
        raise ItemError("the item has no players to explain", argument=fields[0],
                        fix="give the item some content")
    return game
