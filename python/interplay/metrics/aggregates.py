"""MultiSHAP's instance- and dataset-level summaries of cross-modal interaction matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import as_real_float64, check_int
from ..results import InteractionResult
from ._groups import dense_orders, resolve_groups

#: the per-instance statistics averaged at dataset level (MultiSHAP.py, analyze_vilt_vqa_iccs_dataset)
DATASET_KEYS = ("mean_abs", "max", "min", "pos_sum", "neg_sum", "pos_ratio")


def cross_matrix(result: InteractionResult, groups: Any = "names",
                 output: int | None = None) -> tuple[np.ndarray, list[str], list[str]]:
    """The order-2 values between two groups of players as a (n_rows, n_cols) matrix, with the
    row and column player labels (e.g. patches x tokens, query x passage tokens)."""
    names, members = resolve_groups(groups, result.n_players, result.player_names)
    if len(members) != 2:
        raise ValueError(f"groups must give exactly two modalities (rows, columns), got "
                         f"{len(members)}: {names}")
    _, e2 = dense_orders(result, output)
    labels = result.player_names or [str(i) for i in range(result.n_players)]
    return (e2[np.ix_(members[0], members[1])], [labels[i] for i in members[0]],
            [labels[j] for j in members[1]])


def _instance(phi: np.ndarray, top_k: int) -> dict[str, Any]:
    pos = float(phi[phi > 0].sum())
    neg = float(phi[phi < 0].sum())
    denom = abs(pos) + abs(neg)
    importance = np.abs(phi).sum(axis=0)
    return {
        "pos_sum": pos,
        "neg_sum": neg,
        "pos_ratio": pos / denom if denom > 0 else float("nan"),
        "synergistic": bool(abs(pos) > abs(neg)),
        "max": float(phi.max()),
        "min": float(phi.min()),
        "mean_abs": float(np.abs(phi).mean()),
        "column_importance": importance,
        "top_columns": np.argsort(-importance, kind="stable")[:top_k],
        "row_map": phi.mean(axis=1),
    }


def multishap_aggregates(
    explanations: Any,
    *,
    groups: Any = "names",
    output: int | None = None,
    top_k: int = 3,
) -> dict[str, Any]:
    r"""MultiSHAP's summaries of cross-modal interaction matrices, per instance and per data set.

    For an instance with interaction matrix Phi (rows: e.g. image patches, columns: question
    tokens; MultiSHAP uses pairwise SII) (Wang and Wang, "MultiSHAP: A Shapley-Based Framework
    for Explaining Cross-Modal Interactions in Multimodal AI Models", arXiv 2508.00576;
    ``MultiSHAP.py``, analyze_vilt_vqa_iccs_dataset):

    .. math::
        \mathrm{pos} = \sum_{ij} [\phi_{ij}]_+ \text{ (synergy)},\quad
        \mathrm{neg} = -\sum_{ij} [-\phi_{ij}]_+ \text{ (suppression)},\quad
        \mathrm{pos\_ratio} = \frac{\mathrm{pos}}{|\mathrm{pos}| + |\mathrm{neg}|},

    ``synergistic`` = |pos| > |neg|, ``max``, ``min``, ``mean_abs`` = mean |phi_ij|, the column
    (token) importance sum_i |phi_ij| with its ``top_k`` columns, and the row (patch) map
    mean_j phi_ij (the token-averaged heatmap). At dataset level: the means over instances of
    mean_abs, max, min, pos_sum, neg_sum and pos_ratio, and the share of synergistic instances.

    Parameters
    ----------
    explanations : InteractionResult, array (rows, cols), or a sequence of either
        One or several instances (matrices may differ in shape).
    groups : "names", mapping or sequence of two player lists
        Rows and columns of a result's matrix (default: the two ``modality:`` name prefixes).
    output : int, optional
        The output of vector-valued results.
    top_k : int

    Returns
    -------
    dict
        ``instances``: one dict per instance (the keys above); ``dataset``: the means
        (``mean_abs``, ``max``, ``min``, ``pos_sum``, ``neg_sum``, ``pos_ratio``) and
        ``synergistic_share``, ``n_instances``.
    """
    k = check_int(top_k, "top_k", low=1)
    single = isinstance(explanations, InteractionResult) or (
        isinstance(explanations, np.ndarray) and explanations.ndim == 2)
    items = [explanations] if single else explanations
    if isinstance(items, np.ndarray) and items.ndim == 3:
        items = list(items)
    if not isinstance(items, Sequence) or isinstance(items, str) or len(items) == 0:
        raise ValueError("explanations must be a result, a matrix or a non-empty sequence of them")
    mats = []
    for j, x in enumerate(items):
        if isinstance(x, InteractionResult):
            mats.append(cross_matrix(x, groups, output)[0])
            continue
        m = as_real_float64(x, f"explanations[{j}]")
        if m.ndim != 2 or m.size == 0:
            raise ValueError(f"explanations[{j}] must be a non-empty (rows, cols) matrix, got "
                             f"shape {m.shape}")
        mats.append(m)
    inst = [_instance(m, k) for m in mats]
    dataset = {key: float(np.nanmean([d[key] for d in inst])) for key in DATASET_KEYS}
    dataset["synergistic_share"] = float(np.mean([d["synergistic"] for d in inst]))
    dataset["n_instances"] = len(inst)
    return {"instances": inst, "dataset": dataset}
