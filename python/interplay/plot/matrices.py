"""Pictures of order-2 explanations between two modalities: patch x token heatmaps over the
image, and the query x passage (or any two-sided) interaction matrix with word labels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_int
from ..metrics._groups import check_result, dense_orders, resolve_groups, strip_prefix
from ._common import (
    CMAP,
    display_image,
    merge_matrix,
    merge_pieces,
    new_figure,
    patch_cells,
    save,
    symmetric_limit,
    value_label,
)


def patch_token_heatmaps(
    result: Any,
    *,
    image: Any = None,
    output: int | None = None,
    unit: str | None = None,
    words: bool = True,
    max_tokens: int = 12,
    columns: int = 4,
    title: str | None = None,
    path: Any = None,
) -> Any:
    """One heatmap per text token of its interactions with the image patches, over the image.

    Panel t shows e_{(r,c), t} for every patch player labelled ``patch(r,c)`` (as
    :class:`~interplay.models.maskers.ImagePatchMasker` names them); the other players are the
    text tokens (word pieces merged into words when ``words``, a word's value being the sum
    over its pieces). One colour scale for all panels, symmetric about 0, with sign and unit in
    the colour bar.

    Parameters
    ----------
    result : InteractionResult
        Order-2 values of an image-text explanation (e.g. ``interplay explain`` on CLIP).
    image : array (C, H, W), (H, W, C) or (H, W), optional
        The image (any range: scaled for display); without it the patch grid alone is drawn.
    output : int, optional
        The output of a vector-valued result.
    unit : str, optional
        Unit of the game's values (e.g. "logit"), for the legend.
    words : bool
        Merge word pieces of the tokens.
    max_tokens : int
        Panels at most (the tokens of largest total |interaction| first, shown in text order).
    columns : int
        Panels per row.
    title : str, optional
    path : str or Path, optional
        Write the figure there (PNG by the suffix).

    Returns
    -------
    matplotlib.figure.Figure
    """
    res = check_result(result)
    max_tokens = check_int(max_tokens, "max_tokens", low=1)
    columns = check_int(columns, "columns", low=1)
    names = res.player_names or [str(i) for i in range(res.n_players)]
    pos, prow, pcol = patch_cells(names)
    if pos.size == 0:
        raise ValueError("result: no player is labelled patch(r,c); give an image-text result")
    text = np.setdiff1d(np.arange(res.n_players), pos)
    if text.size == 0:
        raise ValueError("result: no text players beside the patches")
    _, e2 = dense_orders(res, output)
    tok_labels = [strip_prefix(names[t]) for t in text]
    groups = merge_pieces(tok_labels) if words else [(s, [i]) for i, s in enumerate(tok_labels)]
    cross = merge_matrix(e2[np.ix_(pos, text)], None, [g for _, g in groups])  # (patches, words)
    strength = np.abs(cross).sum(axis=0)
    keep = np.sort(np.argsort(-strength, kind="stable")[:max_tokens])
    gh, gw = int(prow.max()) + 1, int(pcol.max()) + 1
    maps = np.zeros((keep.size, gh, gw))
    maps[:, prow, pcol] = cross[:, keep].T
    vmax = symmetric_limit(maps)
    ncol = min(columns, keep.size)
    nrow = math.ceil(keep.size / ncol)
    fig = new_figure(2.6 * ncol + 2.6, 2.6 * nrow + 0.9)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    shown = None if image is None else display_image(image)
    for k, ax in enumerate(axes.flat):
        if k >= keep.size:
            ax.set_axis_off()
            continue
        if shown is None:
            im = ax.imshow(maps[k], cmap=CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest")
            ax.set_xticks(range(0, gw, max(1, gw // 8)))
            ax.set_yticks(range(0, gh, max(1, gh // 8)))
            ax.set_xlabel("patch column")
            ax.set_ylabel("patch row")
        else:
            h, w = shown.shape[:2]
            ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None)
            im = ax.imshow(maps[k], cmap=CMAP, vmin=-vmax, vmax=vmax, alpha=0.6,
                           extent=(0, w, h, 0), interpolation="nearest")
            ax.set_xlabel("x (pixels)")
            ax.set_ylabel("y (pixels)")
        ax.set_title(repr(groups[keep[k]][0]), fontsize=10)
    fig.colorbar(im, ax=axes, shrink=0.85, label=value_label(res.index, unit))
    fig.suptitle(title or f"patch x token interactions ({res.index}, order 2)")
    save(fig, path)
    return fig


def interaction_matrix(
    result: Any,
    *,
    groups: Any = "names",
    output: int | None = None,
    unit: str | None = None,
    words: bool = True,
    annotate: bool | None = None,
    title: str | None = None,
    path: Any = None,
) -> Any:
    """The matrix of order-2 interactions between two modalities (query x passage tokens,
    patches x tokens, ...), labelled with words.

    Rows are the first group's players, columns the second's. With ``words`` the word pieces of
    each side are merged (WordPiece ``##``, CLIP ``</w>``, SentencePiece marks) and a word's
    value is the sum of its pieces' values. Colours are symmetric about 0; the colour bar gives
    the index, the sign convention and the unit.

    Parameters
    ----------
    result : InteractionResult
    groups : "names", mapping or sequence of two player lists
        Rows and columns (default: the ``modality:`` prefixes of the names, e.g. query/passage).
    output : int, optional
    unit : str, optional
        Unit of the game's values (e.g. "cosine similarity"), for the legend.
    words : bool
        Merge word pieces.
    annotate : bool, optional
        Write each value in its cell (default: when the matrix has at most 15 x 15 cells).
    title : str, optional
    path : str or Path, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    res = check_result(result)
    names, members = resolve_groups(groups, res.n_players, res.player_names)
    if len(members) != 2:
        raise ValueError(f"groups must give exactly two modalities (rows, columns), got {names}")
    labels = res.player_names or [str(i) for i in range(res.n_players)]
    _, e2 = dense_orders(res, output)
    sides = []
    for m in members:
        lab = [strip_prefix(labels[i]) for i in m]
        sides.append(merge_pieces(lab) if words else [(s, [i]) for i, s in enumerate(lab)])
    mat = merge_matrix(e2[np.ix_(members[0], members[1])], [g for _, g in sides[0]],
                       [g for _, g in sides[1]])
    r, c = mat.shape
    fig = new_figure(min(max(6.5, 3.8 + 0.55 * c), 16), min(max(4.2, 2.4 + 0.45 * r), 14))
    ax = fig.add_subplot()
    vmax = symmetric_limit(mat)
    im = ax.imshow(mat, cmap=CMAP, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(c), [w for w, _ in sides[1]], rotation=60, ha="right")
    ax.set_yticks(range(r), [w for w, _ in sides[0]])
    ax.set_xlabel(names[1])
    ax.set_ylabel(names[0])
    if annotate if annotate is not None else (r <= 15 and c <= 15):
        for i in range(r):
            for j in range(c):
                ax.text(j, i, f"{mat[i, j]:+.2g}", ha="center", va="center", fontsize=7,
                        color="white" if abs(mat[i, j]) > 0.6 * vmax else "black")
    fig.colorbar(im, ax=ax, label=value_label(res.index, unit))
    ax.set_title(title or f"{names[0]} x {names[1]} interactions ({res.index}, order 2)")
    save(fig, path)
    return fig
