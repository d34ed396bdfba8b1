"""The pointing game of FIxLIP: does a token's interaction mass fall on the image region it names?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._validation import as_real_float64, check_int
from ..results import InteractionResult
from ._groups import dense_orders, player_index


def quadrants(rows: int, cols: int | None = None) -> np.ndarray:
    """Region of each cell of a row-major patch grid in a 2 x 2 collage: 0 top left, 1 top
    right, 2 bottom left, 3 bottom right; with an odd side the middle row/column is in no region
    (-1), as FIxLIP's 7 x 7 grid (3 x 3 corners)."""
    r = check_int(rows, "rows", low=2)
    c = r if cols is None else check_int(cols, "cols", low=2)

    def half(n: int) -> np.ndarray:
        h = np.full(n, -1)
        h[: n // 2] = 0
        h[n - n // 2:] = 1
        return h

    hr, hc = half(r), half(c)
    return np.where((hr[:, None] < 0) | (hc[None, :] < 0), -1,
                    2 * hr[:, None] + hc[None, :]).reshape(-1)


def pointing_game(
    explanation: Any,
    regions: Any,
    targets: Any,
    *,
    order: int = 2,
    output: int | None = None,
) -> dict[str, Any]:
    r"""Pointing game scores of an image-text explanation against known regions.

    Each target token t names a region q_t (FIxLIP's collages: the class label of each quadrant).
    With e_{it} the interaction of image player i and token t (order 2), or the attribution
    e_i of the image player (order 1, the first-order baselines), summed over targets
    (Baniecki et al., "Explaining Similarity in Vision-Language Encoders with Weighted Banzhaf
    Interactions", NeurIPS 2025, Table 1; ``analysis/table1_pointing_game.ipynb``):

    .. math::
        \mathrm{correct} = \sum_t \sum_{i \in q_t} [e_{it}]_+ + \sum_{i \notin q_t} [-e_{it}]_+,
        \quad
        \mathrm{wrong} = \sum_t \sum_{i \notin q_t} [e_{it}]_+ + \sum_{i \in q_t} [-e_{it}]_+,

    over image players i that lie in some region. ``mass_ratio`` = correct / (correct + wrong)
    is FIxLIP's pointing game recognition (PGR) score; ``sign_ratio`` is the mean over targets
    of the fraction of values with the right sign (positive inside q_t, negative outside);
    ``hit_rate`` is the classic pointing game (Zhang et al., "Top-down Neural Attention by
    Excitation Backprop", ECCV 2016): the fraction of targets whose largest e_{it} lies in q_t.
    (FIxLIP's order-1 notebook also adds the token's own attribution to both sides; here only
    image players count.)

    Parameters
    ----------
    explanation : InteractionResult or array (n_image, n_targets)
        A result holding order-2 (or, with ``order=1``, order-1) values, or a matrix of scores of
        image players (rows) for each target (columns) from any method.
    regions : array of int
        Region id of each player (a result: length n_players) or row (a matrix); -1 (any
        negative) for players in no region, e.g. the text tokens. See :func:`quadrants`.
    targets : mapping or sequence of int
        For a result: token player (index or name) -> region id. For a matrix: the region id of
        each column.
    order : {1, 2}
        Which values of a result to score.
    output : int, optional
        The output of a vector-valued result.

    Returns
    -------
    dict
        ``mass_ratio`` (PGR), ``mass_correct``, ``mass_wrong``, ``sign_ratio``, ``hit_rate``,
        ``per_target`` (list of dicts: target, region, mass_correct, mass_wrong, hit).
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    reg = np.asarray(regions)
    if reg.ndim != 1 or not np.issubdtype(reg.dtype, np.integer):
        raise ValueError("regions must be a 1-D array of integer region ids (-1: no region)")
    if isinstance(explanation, InteractionResult):
        n = explanation.n_players
        if reg.shape[0] != n:
            raise ValueError(f"regions has {reg.shape[0]} entries for {n} players")
        if not isinstance(targets, Mapping) or not targets:
            raise ValueError("targets must map token players (index or name) to region ids")
        cols = [player_index(p, n, explanation.player_names, "targets") for p in targets]
        if any(reg[c] >= 0 for c in cols):
            raise ValueError("targets: a target token lies in an image region (regions must be -1 "
                             "for text players)")
        target_regions = np.array([int(r) for r in targets.values()])
        e1, e2 = dense_orders(explanation, output)
        image = np.flatnonzero(reg >= 0)
        scores = (e2[np.ix_(image, cols)] if order == 2
                  else np.repeat(e1[image][:, None], len(cols), axis=1))
        labels = [explanation.player_names[c] if explanation.player_names else c for c in cols]
    else:
        if order != 2:
            raise ValueError("order: a score matrix is read as it is; order applies to results")
        mat = as_real_float64(explanation, "explanation")
        if mat.ndim != 2 or mat.shape[0] != reg.shape[0]:
            raise ValueError(f"explanation must be (n_image, n_targets) with n_image = "
                             f"len(regions) = {reg.shape[0]}, got shape {mat.shape}")
        if not isinstance(targets, Sequence) or len(targets) != mat.shape[1]:
            raise ValueError(f"targets must give one region id per column ({mat.shape[1]})")
        target_regions = np.array([int(r) for r in targets])
        image = np.flatnonzero(reg >= 0)
        scores = mat[image]
        labels = list(range(mat.shape[1]))
    if image.size == 0:
        raise ValueError("regions: no player lies in a region")
    missing = set(target_regions.tolist()) - set(reg[image].tolist())
    if missing:
        raise ValueError(f"targets: regions {sorted(missing)} contain no player")
    inside = reg[image][:, None] == target_regions[None, :]
    pos, neg = np.maximum(scores, 0.0), np.maximum(-scores, 0.0)
    correct = (pos * inside).sum(axis=0) + (neg * ~inside).sum(axis=0)
    wrong = (pos * ~inside).sum(axis=0) + (neg * inside).sum(axis=0)
    signs = ((scores > 0) & inside) | ((scores < 0) & ~inside)
    hits = inside[np.argmax(scores, axis=0), np.arange(scores.shape[1])]
    total = correct.sum() + wrong.sum()
    return {
        "mass_ratio": float(correct.sum() / total) if total > 0 else float("nan"),
        "mass_correct": float(correct.sum()),
        "mass_wrong": float(wrong.sum()),
        "sign_ratio": float(signs.mean(axis=0).mean()),
        "hit_rate": float(hits.mean()),
        "per_target": [
            {"target": lab, "region": int(r), "mass_correct": float(c), "mass_wrong": float(w),
             "hit": bool(h)}
            for lab, r, c, w, h in zip(labels, target_regions, correct, wrong, hits)
        ],
    }
