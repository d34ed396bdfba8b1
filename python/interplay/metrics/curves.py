"""Deletion curves and the area between them (AID), by attribution order or by FIxLIP's greedy
clique order."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_real_float64, check_int, check_open_unit
from ..games.base import check_game_output
from ..results import InteractionResult
from ._groups import check_result, dense_orders, player_index

#: FIxLIP starts its greedy search from all players up to this many, else from a few
ALL_STARTS_UPTO = 100
#: FIxLIP's k for its start players beyond ALL_STARTS_UPTO (experiments/insertion_deletion.py)
START_K = 19


def _start_players(result: InteractionResult, e1: np.ndarray, e2: np.ndarray, starts: Any,
                   p: float) -> np.ndarray:
    n = e1.size
    if isinstance(starts, str):
        if starts != "auto":
            raise ValueError(f"start_players must be 'auto', 'all' or a list of players, got {starts!r}")
        if n <= ALL_STARTS_UPTO:
            return np.arange(n)
        # FIxLIP's src/clique.py get_interesting_starting_players: the k largest, smallest and
        # nearest to zero of the order-1 values and of the first-order conversion e_i + p sum_j e_ij
        conv = e1 + p * e2.sum(axis=1)
        picks = []
        for a in (conv, e1):
            order = np.argsort(a, kind="stable")
            near = np.argsort(np.abs(a), kind="stable")
            picks += [order[-START_K:], order[:START_K], near[:START_K]]
        return np.unique(np.concatenate(picks))
    out = np.unique([player_index(q, n, result.player_names, "start_players") for q in starts])
    if out.size == 0:
        raise ValueError("start_players is empty")
    return out


def greedy_cliques(
    result: InteractionResult,
    *,
    start_players: Any = "auto",
    p: float = 0.5,
    output: int | None = None,
) -> dict[str, np.ndarray]:
    r"""FIxLIP's greedy clique search: for each size s a set of s players of large (and one of
    small) explanation value.

    The value of a clique C is val(C) = sum_{S subset C, 1 <= |S| <= 2} e_S. From each start
    player the search grows two cliques, one adding the player of largest incremental gain
    g(v | C) = e_v + sum_{u in C} e_uv, one the player of smallest; every clique met on any path
    competes, and for each size the largest and the smallest win (Baniecki et al., NeurIPS 2025,
    ``src/clique.py`` get_cliques_greedy_mif_lif). Ties go to the clique met first (start
    players in increasing order, the larger-gain path first); cost O(|starts| n^2).

    Parameters
    ----------
    result : InteractionResult
        Holding order-1 and order-2 values (e.g. FWBII, FSII of order 2).
    start_players : "auto", "all" or sequence of players
        "auto": all players up to 100, beyond that FIxLIP's 19 largest, smallest and nearest-zero
        players of the order-1 values and of e_i + p sum_j e_ij.
    p : float in (0, 1)
        The weight of that first-order conversion (FIxLIP's p).
    output : int, optional

    Returns
    -------
    dict
        ``largest`` and ``smallest`` (n, n) bool: row s-1 is the clique of size s;
        ``largest_value`` and ``smallest_value`` (n,) their values.
    """
    res = check_result(result)
    if res.max_order < 2 or res.min_order > 1:
        raise ValueError(f"result must hold orders 1 and 2 for the clique order, has "
                         f"{res.min_order}..{res.max_order}")
    p = check_open_unit(p, "p")
    e1, e2 = dense_orders(res, output)
    n = e1.size
    starts = np.arange(n) if isinstance(start_players, str) and start_players == "all" else \
        _start_players(res, e1, e2, start_players, p)
    big = np.zeros((n, n), dtype=bool)
    small = np.zeros((n, n), dtype=bool)
    big_val = np.full(n, -np.inf)
    small_val = np.full(n, np.inf)
    for s in starts:
        paths = []
        for sign in (1.0, -1.0):
            inside = np.zeros(n, dtype=bool)
            inside[s] = True
            paths.append([sign, inside, e1 + e2[s], float(e1[s])])
        for size in range(1, n + 1):
            for path in paths:
                sign, inside, gain, value = path
                if size > 1:
                    v = int(np.argmax(np.where(inside, -np.inf, sign * gain)))
                    value += gain[v]
                    inside[v] = True
                    gain += e2[v]
                    path[3] = value
                if value > big_val[size - 1]:
                    big_val[size - 1], big[size - 1] = value, inside
                if value < small_val[size - 1]:
                    small_val[size - 1], small[size - 1] = value, inside
    return {"largest": big, "smallest": small, "largest_value": big_val,
            "smallest_value": small_val}


def insertion_deletion(
    explanation: Any,
    game: Any,
    *,
    order: int = 1,
    start_players: Any = "auto",
    p: float = 0.5,
    output: int | None = None,
) -> dict[str, Any]:
    r"""Deletion curves, most- and least-influential first, and the area between them (AID).

    Players are removed one at a time from the full coalition N down to the empty one (n + 1
    coalitions per curve). MIF removes the most influential first, LIF the least; with
    y_k = v(T_k) normalised as (y_k - v(empty)) / (v(N) - v(empty)),

    .. math:: \mathrm{AID} = \frac{1}{n+1} \sum_{k=0}^{n} \big(y^{LIF}_k - y^{MIF}_k\big),

    large when the explanation orders the players well (Baniecki et al., "Explaining Similarity
    in Vision-Language Encoders with Weighted Banzhaf Interactions", NeurIPS 2025;
    ``experiments/insertion_deletion.py``). Deleting the least influential first is inserting
    the most influential first read backwards, hence "insertion/deletion".

    - ``order=1``: players ranked by their attributions (the result's order-1 values, or a
      given vector); after k steps MIF keeps all but the k largest, LIF all but the k smallest
      (ties broken by player index).
    - ``order=2``: FIxLIP's clique order (:func:`greedy_cliques`): after k steps MIF keeps the
      clique of size n - k of smallest explanation value, LIF the one of largest value.

    Parameters
    ----------
    explanation : InteractionResult or array (n,)
        The explanation; an array is a vector of attributions (``order=1``).
    game : callable
        coalitions (m, n) bool -> values (m,) or (m, d); e.g. the model game that was explained.
    order : {1, 2}
    start_players, p
        Of the clique search (``order=2``), see :func:`greedy_cliques`.
    output : int, optional
        The output of a vector-valued explanation or game.

    Returns
    -------
    dict
        ``fraction_removed`` (n + 1,) k / n; ``mif`` and ``lif`` (n + 1,) raw game values;
        ``mif_normalized``, ``lif_normalized``; ``aid`` (nan if v(N) = v(empty));
        ``coalitions_mif`` and ``coalitions_lif`` (n + 1, n) bool; ``order``.
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    if not callable(game):
        raise TypeError(f"game must be callable (coalitions -> values), got {type(game).__name__}")
    if isinstance(explanation, InteractionResult):
        n = explanation.n_players
        if order == 1:
            if explanation.min_order > 1 or explanation.max_order < 1:
                raise ValueError("explanation holds no order-1 values; give attributions or order=2")
            attributions = dense_orders(explanation, output)[0]
    else:
        if order != 1:
            raise ValueError("explanation: order 2 needs an InteractionResult with pair values")
        attributions = as_real_float64(explanation, "explanation")
        if attributions.ndim != 1 or attributions.size == 0:
            raise ValueError(f"explanation must be a non-empty vector of attributions, got shape "
                             f"{attributions.shape}")
        n = attributions.size
    check_int(n, "n_players", low=1)
    steps = np.arange(n + 1)
    if order == 1:
        rank = np.argsort(attributions, kind="stable")  # ascending; ties by index
        pos = np.empty(n, dtype=np.int64)
        pos[rank] = np.arange(n)  # 0 = smallest
        mif = pos[None, :] < (n - steps)[:, None]  # keep all but the k largest
        lif = pos[None, :] >= steps[:, None]  # keep all but the k smallest
    else:
        cl = greedy_cliques(explanation, start_players=start_players, p=p, output=output)
        empty = np.zeros((1, n), dtype=bool)
        mif = np.concatenate([cl["smallest"][::-1], empty])
        lif = np.concatenate([cl["largest"][::-1], empty])
    coalitions = np.concatenate([mif, lif])
    values = check_game_output(game(coalitions), coalitions.shape[0], "game output")
    if values.ndim == 2:
        if output is None:
            raise ValueError(f"output: the game has {values.shape[1]} outputs; choose one")
        values = values[:, int(output)]
    y_mif, y_lif = values[: n + 1], values[n + 1:]
    span = y_mif[0] - y_mif[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        m_norm = (y_mif - y_mif[-1]) / span if span != 0 else np.full(n + 1, np.nan)
        l_norm = (y_lif - y_mif[-1]) / span if span != 0 else np.full(n + 1, np.nan)
    return {
        "fraction_removed": steps / n,
        "mif": y_mif,
        "lif": y_lif,
        "mif_normalized": m_norm,
        "lif_normalized": l_norm,
        "aid": float(np.mean(l_norm - m_norm)),
        "coalitions_mif": mif,
        "coalitions_lif": lif,
        "order": order,
    }


__all__ = ["greedy_cliques", "insertion_deletion"]
