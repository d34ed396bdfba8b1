"""What the pictures share: matplotlib loaded on first use, figures without pyplot's global
state, word pieces merged into words, and the legend's sign and unit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

INSTALL = "interplay.plot needs matplotlib: pip install 'interplay[plot]'"
#: diverging colour map: red > 0, blue < 0, white at 0
CMAP = "RdBu_r"
POSITIVE, NEGATIVE = "#c0392b", "#2e6da4"


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure with an Agg canvas (no pyplot, no GUI backend, no global state)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        raise ImportError(INSTALL) from None
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig: Any, path: Any, dpi: int = 110) -> None:
    if path is not None:
        fig.savefig(path, dpi=dpi)


def value_label(index: str, unit: str | None) -> str:
    """The legend's text: what the colour means, its sign and its unit."""
    unit = unit or "model output"
    return (f"{index} interaction [{unit}]\n"
            "red > 0: together they raise the output\nblue < 0: together they lower it")


def symmetric_limit(*arrays: np.ndarray) -> float:
    vmax = max((float(np.nanmax(np.abs(a))) for a in arrays if a.size), default=0.0)
    return vmax if vmax > 0 else 1.0


_SPM = ("\u2581", "\u0120")  # SentencePiece's and byte-level BPE's start-of-word marks


def merge_pieces(labels: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Group word pieces into words: ``[(word, [piece positions]), ...]`` in order.

    WordPiece (BERT, MiniLM: ``caf``, ``##fe``) continues a word with ``##``; CLIP's BPE ends
    a word with ``</w>``; SentencePiece and byte-level BPE start one with a mark; otherwise
    every label is a word. Special tokens (``[CLS]``, ``<s>``...) stay words of their own.
    """
    labels = [str(s) for s in labels]
    words: list[tuple[str, list[int]]] = []
    if any(s.startswith("##") for s in labels):
        for i, s in enumerate(labels):
            if s.startswith("##") and words:
                words[-1] = (words[-1][0] + s[2:], words[-1][1] + [i])
            else:
                words.append((s, [i]))
    elif any(s.endswith("</w>") for s in labels):
        open_word = False
        for i, s in enumerate(labels):
            piece = s[:-4] if s.endswith("</w>") else s
            if open_word:
                words[-1] = (words[-1][0] + piece, words[-1][1] + [i])
            else:
                words.append((piece, [i]))
            open_word = not s.endswith("</w>")
    elif any(s[:1] in _SPM for s in labels):
        for i, s in enumerate(labels):
            if s[:1] in _SPM or not words:
                words.append((s.lstrip("".join(_SPM)), [i]))
            else:
                words[-1] = (words[-1][0] + s, words[-1][1] + [i])
    else:
        words = [(s, [i]) for i, s in enumerate(labels)]
    return words


def merge_matrix(mat: np.ndarray, rows: list[list[int]] | None, cols: list[list[int]] | None) -> np.ndarray:
    """Sum a matrix over groups of rows and of columns (a word's value: the sum over its pieces)."""
    if rows is not None:
        mat = np.stack([mat[r].sum(axis=0) for r in rows])
    if cols is not None:
        mat = np.stack([mat[:, c].sum(axis=1) for c in cols], axis=1)
    return mat


_PATCH = re.compile(r"patch\((\d+),\s*(\d+)\)$")


def patch_cells(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, rows, cols) of the labels ``patch(r,c)`` (any ``modality:`` prefix)."""
    pos, rows, cols = [], [], []
    for i, s in enumerate(labels):
        m = _PATCH.search(str(s))
        if m:
            pos.append(i)
            rows.append(int(m.group(1)))
            cols.append(int(m.group(2)))
    return np.array(pos, dtype=np.int64), np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


def display_image(image: Any) -> np.ndarray:
    """An image for imshow: (C, H, W), (H, W, C) or (H, W), any range, scaled to [0, 1]."""
    a = np.asarray(image.detach().cpu().numpy() if hasattr(image, "detach") else image, dtype=np.float64)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] not in (1, 3, 4):
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3):
        raise ValueError(f"image must be (C, H, W), (H, W, C) or (H, W), got shape {a.shape}")
    lo, hi = np.nanmin(a), np.nanmax(a)
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
