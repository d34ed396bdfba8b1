"""Contributions of modalities and their interaction: InterSHAP (Wenderoth et al. 2025) and the
SHAPE scores (Hu, Li and Zhou 2022).

InterSHAP reads explanations of a game whose players are the modalities (or groups of players:
patches and tokens); SHAPE is the Shapley value of a performance game over modalities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._validation import as_real_float64, check_int
from ..results import InteractionResult
from ._groups import check_result, dense_orders, resolve_groups

#: indices whose order-1 and order-2 values add up to v(N) - v(empty) (an efficient 2-decomposition):
#: their order-1 values are the main effects themselves
_EFFICIENT = ("k-SII", "STII", "FSII", "Moebius")
PAIRS = ("ordered", "unordered")


def intershap_matrix(result: InteractionResult, *, groups: Any = None,
                     output: int | None = None) -> tuple[np.ndarray, list[str]]:
    r"""The InterSHAP matrix phi (M, M) of one explanation, and the modality names.

    With players as modalities (Wenderoth et al. 2025, eqs. 1-4; Lundberg et al. 2020):

    .. math:: \phi_{ij} = \phi_{ji} = \tfrac12 \mathrm{SII}_{ij}\ (i \ne j), \qquad
              \phi_{ii} = \phi_i - \sum_{j \ne i} \phi_{ij},

    with phi_i the Shapley value, so that sum_{i,j} phi_ij = v(N) - v(empty). This is the
    order-2 k-SII split symmetrically: an "SII" result (order 1 = Shapley values) is converted,
    a "k-SII", "STII", "FSII" or order-2 "Moebius" result (efficient: order-1 values are the main
    effects) is read directly (phi_ii = e_i, phi_ij = e_ij / 2).

    With ``groups`` (modalities as groups of players, e.g. patches and tokens) the player-level
    matrix is summed over blocks: Phi_AB = sum_{i in A, j in B} phi_ij. For a 2-additive game
    (or a 2-additive explanation such as FSII or order-2 Moebius) this is exactly the
    modality-level InterSHAP matrix (the Shapley values and SII of merged players add up); in
    general it is an aggregate of player-level interactions, not the modality game's InterSHAP
    (explain the 2^M modality game for that).

    Parameters
    ----------
    result : InteractionResult
        Orders 1 and 2 of SII, k-SII, STII, FSII or Moebius (max_order 2).
    groups : None, "names", mapping or sequence of player lists
        None: each player is a modality. "names": the ``modality:`` prefixes of the player names.
    output : int, optional
        The output of a vector-valued result.
    """
    res = check_result(result)
    if res.index == "SII":
        if res.max_order < 2 or res.min_order > 1:
            raise ValueError(f"result: SII needs orders 1 and 2, has {res.min_order}..{res.max_order}")
    elif res.index in _EFFICIENT:
        if res.max_order != 2 or res.min_order > 1:
            raise ValueError(f"result: {res.index} must hold orders 1..2 (max_order 2) to be an "
                             f"efficient split, has {res.min_order}..{res.max_order}")
    else:
        hint = (" (explain's default, a Banzhaf index: its weights are not Shapley's and its "
                "values do not add up to v(N) - v(empty)); explain with index='FSII' (or "
                "'k-SII', 'SII'), or pass tables= (the 2^M modality games)"
                if res.index in ("FWBII", "FBII", "BII", "WBII", "BV", "WBV") else "")
        raise ValueError(f"result: InterSHAP is defined on Shapley interactions; give SII, "
                         f"k-SII, STII, FSII or Moebius, got {res.index!r}{hint}")
    e1, e2 = dense_orders(res, output)
    phi = e2 / 2.0
    main = e1 - phi.sum(axis=1) if res.index == "SII" else e1
    phi[np.diag_indices_from(phi)] = main
    if groups is None:
        names = list(res.player_names) if res.player_names else [str(i) for i in range(res.n_players)]
        return phi, names
    names, members = resolve_groups(groups, res.n_players, res.player_names)
    m = len(members)
    out = np.empty((m, m))
    for a in range(m):
        for b in range(m):
            out[a, b] = phi[np.ix_(members[a], members[b])].sum()
    return out, names


def _tables_to_matrices(tables: Any) -> np.ndarray:
    from ..engine import exact  # noqa: PLC0415

    t = as_real_float64(tables, "tables")
    if t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2 or t.shape[1] < 4 or t.shape[1] & (t.shape[1] - 1):
        raise ValueError(f"tables must be (N, 2^M) game values over M >= 2 modalities, got shape "
                         f"{np.shape(tables)}")
    res = exact(np.ascontiguousarray(t.T), "k-SII", 2)
    m = res.n_players
    out = np.empty((t.shape[0], m, m))
    for a in range(t.shape[0]):
        e1, e2 = dense_orders(res, a)
        out[a] = e2 / 2.0
        out[a][np.diag_indices(m)] = e1
    return out


def intershap(
    explanations: Any = None,
    *,
    groups: Any = None,
    output: int | None = None,
    pairs: str = "ordered",
    tables: Any = None,
) -> dict[str, Any]:
    r"""InterSHAP: the share of a model's behaviour that is cross-modal interaction.

    From the InterSHAP matrices phi(a) of N instances (see :func:`intershap_matrix`;
    Wenderoth, Hemker, Simidjievski and Jamnik, "Measuring Cross-Modal Interactions in
    Multimodal Models", AAAI 2025, eqs. 5-11):

    .. math::
        \Phi_{ij} = \Big|\frac1N \sum_a \phi_{ij}(a)\Big|,\quad
        \mathrm{InterSHAP} = \frac{\sum_{i \ne j} \Phi_{ij}}{\sum_{i,j} \Phi_{ij}},\quad
        M_i = \frac{\Phi_{ii}}{\sum_{i,j} \Phi_{ij}},

    and the local score I_a = sum_{i != j} |phi_ij(a)| / sum_{i,j} |phi_ij(a)|, averaged over
    instances (the absolute value is taken before averaging there, after it in the global score).

    Pair counting: ``pairs="ordered"`` (the paper) sums over ordered pairs i != j, so each
    unordered pair counts twice with phi_ij = SII_ij / 2, i.e. once with its full SII;
    ``pairs="unordered"`` (the ``intershap`` pip package, work in progress) sums over i < j only,
    half the interaction mass, in numerator and denominator alike.

    Parameters
    ----------
    explanations : InteractionResult, sequence of them, or array (M, M) / (N, M, M)
        Explanations of N instances (see :func:`intershap_matrix` for the indices accepted), or
        their InterSHAP matrices.
    groups : None, "names", mapping or sequence of player lists
        Modalities as groups of players (a patch x token result scored by modality); None: the
        players are the modalities.
    output : int, optional
        The output of vector-valued results (e.g. the predicted class).
    pairs : {"ordered", "unordered"}
    tables : array (N, 2^M) or (2^M,), optional
        Instead of explanations: each instance's game over its M modalities (row = bitmask of the
        modalities present); the matrices come from the exact k-SII of order 2.

    Returns
    -------
    dict
        ``intershap`` (global, in [0, 1]; the paper reports percent), ``local`` (mean of I_a),
        ``per_instance`` (N,) I_a, ``modality_share`` (M,) M_i, ``phi`` (M, M) mean matrix,
        ``modalities`` (names), ``pairs``, ``n_instances``. A zero denominator gives nan.
    """
    if pairs not in PAIRS:
        raise ValueError(f"pairs must be 'ordered' or 'unordered', got {pairs!r}")
    if (explanations is None) == (tables is None):
        raise ValueError("explanations: give either explanations or tables")
    names: list[str] | None = None
    if tables is not None:
        phi = _tables_to_matrices(tables)
    elif isinstance(explanations, InteractionResult) or (
            isinstance(explanations, Sequence) and explanations
            and all(isinstance(r, InteractionResult) for r in explanations)):
        items = [explanations] if isinstance(explanations, InteractionResult) else explanations
        mats = []
        for r in items:
            mat, nm = intershap_matrix(r, groups=groups, output=output)
            if names is not None and nm != names:
                raise ValueError("explanations: the instances have different modalities or players")
            names = nm
            mats.append(mat)
        phi = np.stack(mats)
    else:
        phi = as_real_float64(explanations, "explanations")
        if phi.ndim == 2:
            phi = phi[None]
        if phi.ndim != 3 or phi.shape[1] != phi.shape[2] or phi.shape[0] == 0:
            raise ValueError(f"explanations: matrices must be (M, M) or (N, M, M), got shape "
                             f"{np.shape(explanations)}")
    n_inst, m = phi.shape[0], phi.shape[1]
    names = names or [f"modality{j}" for j in range(m)]
    off = ~np.eye(m, dtype=bool)
    if pairs == "unordered":
        off = np.triu(off)

    def split(mats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inter = mats[..., off].sum(axis=-1)
        return inter, inter + np.trace(mats, axis1=-2, axis2=-1)

    with np.errstate(divide="ignore", invalid="ignore"):
        big = np.abs(phi.mean(axis=0))
        inter, behaviour = split(big)
        score = inter / behaviour if behaviour > 0 else np.nan
        share = np.diag(big) / behaviour if behaviour > 0 else np.full(m, np.nan)
        li, lb = split(np.abs(phi))
        local = np.where(lb > 0, li / np.where(lb > 0, lb, 1.0), np.nan)
    return {
        "intershap": float(score),
        "local": float(np.mean(local)),
        "per_instance": local,
        "modality_share": share,
        "phi": phi.mean(axis=0),
        "modalities": names,
        "pairs": pairs,
        "n_instances": n_inst,
    }


# ----------------------------------------------------------------------------------- SHAPE
METRICS = ("accuracy", "macro_f1")


def _metric(metric: Any) -> tuple[str, Callable[[np.ndarray, np.ndarray], float]]:
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric == "accuracy":
        return metric, lambda y, p: float(np.mean(y == p))
    if metric == "macro_f1":
        def macro_f1(y: np.ndarray, p: np.ndarray) -> float:
            scores = []
            for c in np.unique(y):
                tp = np.sum((p == c) & (y == c))
                denom = np.sum(p == c) + np.sum(y == c)
                scores.append(2.0 * tp / denom if denom else 0.0)
            return float(np.mean(scores))
        return metric, macro_f1
    raise ValueError(f"metric must be 'accuracy', 'macro_f1' or a callable (labels, "
                     f"predictions) -> float, got {metric!r}")


def _predictions(out: Any, n: int) -> np.ndarray:
    a = np.asarray(out.detach().cpu().numpy() if hasattr(out, "detach") else out)
    if a.shape[0] != n:
        raise ValueError(f"model returned {a.shape[0]} rows for {n} samples")
    if a.ndim == 2 and a.shape[1] > 1:
        return np.argmax(a, axis=1)
    a = a.reshape(n)
    return (a > 0.5).astype(np.int64) if np.issubdtype(a.dtype, np.floating) else a


def performance_table(model: Callable[..., Any], data: Sequence[Any], labels: Any, *,
                      metric: Any = "accuracy", baseline: Any = "zeros",
                      empty: str = "majority", batch_size: int | None = None) -> np.ndarray:
    """V(S) for every subset S of the M modalities (row = bitmask): the metric of ``model`` on
    ``data`` with the modalities outside S replaced by ``baseline`` (see :func:`shape_scores`)."""
    if not isinstance(data, Sequence) or isinstance(data, (str, np.ndarray)) or not data:
        raise ValueError("data must be a non-empty sequence of per-modality arrays (N, ...)")
    arrays = [np.asarray(d.detach().cpu().numpy() if hasattr(d, "detach") else d) for d in data]
    n = arrays[0].shape[0] if arrays[0].ndim else 0
    if n == 0 or any(a.ndim == 0 or a.shape[0] != n for a in arrays):
        raise ValueError("data: every modality needs the same number N >= 1 of samples (axis 0)")
    y = np.asarray(labels).reshape(-1)
    if y.shape[0] != n:
        raise ValueError(f"labels has {y.shape[0]} entries for {n} samples")
    _, score = _metric(metric)
    if empty not in ("majority", "model"):
        raise ValueError(f"empty must be 'majority' or 'model', got {empty!r}")
    if isinstance(baseline, str):
        if baseline not in ("zeros", "mean"):
            raise ValueError(f"baseline must be 'zeros', 'mean' or one array per modality, got "
                             f"{baseline!r}")
        base = [np.zeros_like(a[0]) if baseline == "zeros" else a.mean(axis=0).astype(a.dtype)
                for a in arrays]
    else:
        if not isinstance(baseline, Sequence) or len(baseline) != len(arrays):
            raise ValueError(f"baseline must be 'zeros', 'mean' or {len(arrays)} arrays (one per "
                             "modality)")
        base = [np.broadcast_to(np.asarray(b, dtype=a.dtype), a.shape[1:]) for a, b in zip(arrays, baseline)]
    step = n if batch_size is None else check_int(batch_size, "batch_size", low=1)
    m = len(arrays)
    table = np.empty(2**m)
    for mask in range(2**m):
        if mask == 0 and empty == "majority":
            values, counts = np.unique(y, return_counts=True)
            table[0] = score(y, np.full(n, values[np.argmax(counts)]))
            continue
        preds = []
        for s in range(0, n, step):
            k = min(step, n - s)
            batch = tuple(a[s:s + k] if mask >> j & 1 else np.broadcast_to(base[j], a[s:s + k].shape)
                          for j, a in enumerate(arrays))
            preds.append(_predictions(model(batch), k))
        table[mask] = score(y, np.concatenate(preds))
    return table


def shape_scores(
    performance: Any = None,
    *,
    model: Callable[..., Any] | None = None,
    data: Sequence[Any] | None = None,
    labels: Any = None,
    metric: Any = "accuracy",
    baseline: Any = "zeros",
    empty: str = "majority",
    names: Sequence[str] | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    r"""SHAPE scores: Shapley values of the performance game over modalities.

    The game is V(S) = performance (accuracy, macro-F1, ...) of the trained model on a data set
    when only the modalities in S are given (Hu, Li and Zhou, "SHAPE: An Unified Approach to
    Evaluate the Contribution and Cooperation of Individual Modalities", IJCAI 2022; masking and
    V(empty) as in InterSHAP's re-implementation, Wenderoth et al. 2025, appendix B.4: absent
    modalities are zeros, V(empty) is the majority-class predictor's score):

    .. math::
        \phi_i = \sum_{S \subseteq M \setminus i} \frac{|S|!\,(|M|-|S|-1)!}{|M|!}
                 \big(V(S \cup i) - V(S)\big), \qquad
        C = V(M) - V(\emptyset) - \sum_i \big(V(\{i\}) - V(\emptyset)\big),

    with sum_i phi_i = V(M) - V(empty) and the relative cooperation C / (V(M) - V(empty)).
    For two modalities C is the Shapley interaction of the performance game.

    Parameters
    ----------
    performance : array (2^M,), optional
        V(S) for every subset (row = bitmask of the modalities present). Or give:
    model : callable
        ``model(tuple of M per-modality batches)`` -> class scores (N, K) (argmax is the
        prediction), probabilities (N,) of class 1, or labels (N,).
    data : sequence of M arrays (N, ...)
    labels : array (N,)
    metric : {"accuracy", "macro_f1"} or callable (labels, predictions) -> float
    baseline : {"zeros", "mean"} or sequence of M arrays
        What replaces an absent modality (one sample's shape, broadcast).
    empty : {"majority", "model"}
        V(empty): the majority-class predictor, or the model on baselines only.
    names : sequence of M str, optional
    batch_size : int, optional
        Samples per model call (default all).

    Returns
    -------
    dict
        ``values`` (2^M,) the game, ``contributions`` (M,) phi_i, ``cooperation`` C,
        ``cooperation_rel`` C / (V(M) - V(empty)) (nan if 0), ``modalities``, ``metric`` (its
        name, "performance" for a given table).
    """
    if (performance is None) == (model is None):
        raise ValueError("performance: give either a table of performances or a model with data "
                         "and labels")
    if model is not None:
        if data is None or labels is None:
            raise ValueError("data: a model needs data and labels")
        metric_name = _metric(metric)[0]
        table = performance_table(model, data, labels, metric=metric, baseline=baseline,
                                  empty=empty, batch_size=batch_size)
    else:
        table = as_real_float64(performance, "performance").reshape(-1)
        if table.size < 2 or table.size & (table.size - 1):
            raise ValueError(f"performance must hold 2^M values (M >= 1), got {table.size}")
        metric_name = "performance"
    m = table.size.bit_length() - 1
    if names is not None and len(names) != m:
        raise ValueError(f"names has {len(names)} entries for {m} modalities")
    from ..engine import exact  # noqa: PLC0415

    sv = exact(table, "SV", 1)
    contrib = np.array([sv[(i,)] for i in range(m)])
    total = table[-1] - table[0]
    coop = total - sum(table[1 << i] - table[0] for i in range(m))
    return {
        "values": table,
        "contributions": contrib,
        "cooperation": float(coop),
        "cooperation_rel": float(coop / total) if total != 0 else float("nan"),
        "modalities": list(names) if names is not None else [f"modality{j}" for j in range(m)],
        "metric": metric_name,
    }
