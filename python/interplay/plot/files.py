"""Pictures of a results folder written by ``interplay explain``: PNG files next to the Parquet
files (``interplay plot RESULTS_DIR``, ``interplay explain --plot``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics._groups import resolve_groups
from ._common import patch_cells

#: the game's unit by the result's two sides (the player-name prefixes)
UNITS = {("query", "passage"): "cosine similarity", ("text_a", "text_b"): "cosine similarity",
         ("image", "text"): "logit (scaled cosine)"}


def _image(item: Mapping[str, Any] | None) -> Any:
    """The item's image (a .npy/.pt path or an array) as an array, or None."""
    x = None if item is None else item.get("image")
    if x is None:
        return None
    if isinstance(x, str):
        if x.endswith(".npy"):
            return np.load(x)
        import torch  # noqa: PLC0415  (.pt images come with the models extra)

        return torch.load(x).numpy()
    return np.asarray(x, dtype=np.float64)


def plot_result(result: Any, stem: str | os.PathLike, *, item: Mapping[str, Any] | None = None,
                top: int = 20) -> list[Path]:
    """Write the pictures that fit one result next to ``stem``: ``<stem>.heatmaps.png`` (patches
    x tokens over the image), ``<stem>.matrix.png`` (two text sides), ``<stem>.bars.png`` (the
    order-1 values of a few modality players) and ``<stem>.network.png`` (strongest pairs).
    Returns the paths written."""
    from .charts import interaction_network, modality_bars  # noqa: PLC0415
    from .matrices import interaction_matrix, patch_token_heatmaps  # noqa: PLC0415

    stem = Path(stem)
    names = result.player_names or [str(i) for i in range(result.n_players)]
    try:
        sides = tuple(resolve_groups("names", result.n_players, names)[0])
    except ValueError:
        sides = ()
    unit = UNITS.get(sides, "model output")
    has_pairs = bool((result.sizes == 2).any())
    out = []

    def write(kind: str, fig_fn: Any, **kw: Any) -> None:
        path = stem.with_name(f"{stem.name}.{kind}.png")
        fig_fn(result, unit=unit, path=path, **kw)
        out.append(path)

    if has_pairs and patch_cells(names)[0].size:
        write("heatmaps", patch_token_heatmaps, image=_image(item))
    elif has_pairs and len(sides) == 2:
        write("matrix", interaction_matrix)
    if not sides and (result.sizes == 1).any() and result.n_players <= 32:
        values = {names[p[0]]: float(v) for p, v in result.items() if len(p) == 1}
        path = stem.with_name(f"{stem.name}.bars.png")
        modality_bars(values, unit=unit, title=f"order-1 values ({result.index})", path=path)
        out.append(path)
    if has_pairs:
        write("network", interaction_network, top=top)
    return out


def plot_results(results_dir: str | os.PathLike, *, items: Sequence[Mapping[str, Any]] | None = None,
                 top: int = 20) -> list[Path]:
    """Pictures for every ``<id>.parquet`` of a folder written by ``interplay explain``, next to
    it (see :func:`plot_result`); ``items`` (the explained items) supply images for the
    heatmaps. Returns the paths written."""
    from ..models.batch import read_result  # noqa: PLC0415

    folder = Path(results_dir)
    if not folder.is_dir():
        raise ValueError(f"results_dir {folder} is not a directory")
    by_id = {str(it["id"]): it for it in items or () if isinstance(it, Mapping) and "id" in it}
    written = []
    for path in sorted(folder.glob("*.parquet")):
        if path.name.startswith("."):
            continue
        res = read_result(path)
        written += plot_result(res, path.with_suffix(""), item=by_id.get(str(res.info.get("id"))),
                               top=top)
    return written


def pictures(command: str, out_dir: Any, items: Any, *, quiet: bool, required: bool,
             top: int = 20) -> list[Path]:
    """The command line's pictures of a results folder; says where they are (stderr). Without
    matplotlib: SystemExit if ``required`` (``--plot``), else a one-line note (``--demo``)."""
    import sys  # noqa: PLC0415

    try:
        paths = plot_results(out_dir, items=items, top=top)
    except ImportError as exc:
        if required:
            raise SystemExit(f"interplay {command}: {exc}") from None
        if not quiet:
            print(f"interplay {command}: no pictures ({exc})", file=sys.stderr)
        return []
    if not quiet:
        print(f"pictures ({len(paths)} PNG files next to the results):", file=sys.stderr)
        for path in paths:
            print(f"  {path}", file=sys.stderr)
    return paths


def cli_plot(args: Any) -> int:
    """``interplay plot RESULTS_DIR [--items FILE] [--top K]``."""
    out = Path(args.results_dir)
    if not out.is_dir():
        raise SystemExit(f"interplay plot: {out} is not a directory (give the output folder of "
                         "'interplay explain')")
    if not any(out.glob("*.parquet")):
        raise SystemExit(f"interplay plot: {out} holds no .parquet results")
    items = None
    if args.items:
        from ..models.batch import read_items  # noqa: PLC0415

        try:
            items = read_items(Path(args.items))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"interplay plot: --items: {exc}") from None
    pictures("plot", out, items, quiet=args.quiet, required=True, top=args.top)
    return 0


__all__ = ["UNITS", "cli_plot", "pictures", "plot_result", "plot_results"]
