"""A network of the strongest interactions, and bar charts of modality contributions (InterSHAP,
SHAPE) and of PID atoms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import check_int
from ..metrics._groups import check_result, dense_orders, resolve_groups, strip_prefix
from ._common import NEGATIVE, POSITIVE, merge_matrix, merge_pieces, new_figure, save


def interaction_network(
    result: Any,
    *,
    top: int = 20,
    groups: Any = None,
    output: int | None = None,
    unit: str | None = None,
    words: bool = True,
    title: str | None = None,
    path: Any = None,
) -> Any:
    """The strongest order-2 interactions as a network: players on a circle, an edge for each of
    the ``top`` pairs of largest |value|, red for positive and blue for negative, its width
    proportional to |value|. Node colours mark the modalities (``groups``, or the ``modality:``
    prefixes of the names when there are any). With ``words`` the word pieces of each modality
    are merged into one node (a pair of words: the sum over their pieces' pairs; pairs of pieces
    of one word are left out).

    Parameters
    ----------
    result : InteractionResult
    top : int
    groups : None, "names", mapping or sequence of player lists, optional
    output : int, optional
    unit : str, optional
    words : bool
    title : str, optional
    path : str or Path, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D  # noqa: PLC0415  (new_figure checked matplotlib)

    res = check_result(result)
    top = check_int(top, "top", low=1)
    fig = new_figure(7.5, 7.0)
    n = res.n_players
    labels = res.player_names or [str(i) for i in range(n)]
    _, e2 = dense_orders(res, output)
    if groups is None and res.player_names and all(":" in s for s in labels):
        groups = "names"
    gnames, members = (resolve_groups(groups, n, res.player_names) if groups is not None
                       else ([], []))
    # nodes: players, or words (pieces merged within each modality); in player order
    spans = list(members) + [np.setdiff1d(np.arange(n), np.concatenate(members or [[]]))]
    nodes: list[tuple[str, list[int]]] = []
    for span in spans:
        span = [int(i) for i in span]
        names = [strip_prefix(labels[i]) for i in span]
        pieces = merge_pieces(names) if words else [(s, [k]) for k, s in enumerate(names)]
        nodes += [(w, [span[k] for k in ks]) for w, ks in pieces]
    nodes.sort(key=lambda node: node[1][0])
    node_of = np.empty(n, dtype=np.int64)
    for k, (_, ps) in enumerate(nodes):
        node_of[ps] = k
    e2 = merge_matrix(e2, [ps for _, ps in nodes], [ps for _, ps in nodes])
    n = len(nodes)
    iu, ju = np.triu_indices(n, k=1)
    vals = e2[iu, ju]
    order = np.argsort(-np.abs(vals), kind="stable")[: min(top, int((vals != 0).sum()))]
    angle = 2 * np.pi * np.arange(n) / max(n, 1)
    xy = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    ax = fig.add_subplot()
    vmax = float(np.abs(vals[order]).max()) if order.size else 1.0
    for k in order[::-1]:
        i, j, v = iu[k], ju[k], vals[k]
        ax.plot(xy[[i, j], 0], xy[[i, j], 1], color=POSITIVE if v > 0 else NEGATIVE,
                linewidth=0.5 + 5.0 * abs(v) / vmax, alpha=0.75, zorder=1)
    colours = np.full(n, "#777777", dtype=object)
    palette = ["#4c9f70", "#e0a030", "#8e6bbf", "#d0605e", "#5a8fc0"]
    handles = [Line2D([], [], color=POSITIVE, linewidth=3, label="> 0: raise the output together"),
               Line2D([], [], color=NEGATIVE, linewidth=3, label="< 0: lower it together")]
    for g, (gname, mem) in enumerate(zip(gnames, members)):
        colours[node_of[mem]] = palette[g % len(palette)]
        handles.append(Line2D([], [], marker="o", linestyle="", color=palette[g % len(palette)],
                              label=gname))
    involved = np.unique(np.concatenate([iu[order], ju[order]])) if order.size else np.arange(0)
    ax.scatter(xy[:, 0], xy[:, 1], s=18, c=list(colours), zorder=2)
    for i in involved:
        ax.annotate(nodes[i][0], xy[i], xytext=(xy[i] * 1.08), fontsize=8,
                    ha="left" if xy[i, 0] >= 0 else "right", va="center")
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.8,
              title=f"{res.index} [{unit or 'model output'}], width ~ |value|",
              title_fontsize=8)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.45, 1.35)
    ax.set_aspect("equal")
    ax.set_xlabel(("words" if words else "players") + " on a circle (labelled: in a drawn pair)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"the {order.size} strongest interactions ({res.index}, order 2)")
    save(fig, path)
    return fig


def _bars(ax: Any, names: list[str], values: np.ndarray, colours: list[str]) -> None:
    ax.bar(range(len(values)), values, color=colours)
    ax.set_xticks(range(len(values)), names, rotation=30, ha="right")
    ax.axhline(0.0, color="black", linewidth=0.8)
    for k, v in enumerate(values):
        ax.annotate(f"{v:.3g}", (k, v), ha="center", va="bottom" if v >= 0 else "top", fontsize=8)


def modality_bars(scores: Any, *, title: str | None = None, unit: str | None = None,
                  path: Any = None) -> Any:
    """Bar chart of modality contributions.

    ``scores`` is the dict of :func:`interplay.metrics.intershap` (each modality's share M_i of
    the behaviour and the interaction share InterSHAP, in percent), of
    :func:`interplay.metrics.shape_scores` (each modality's Shapley contribution phi_i to the
    performance and the cooperation C), or a mapping name -> value.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(scores, Mapping) and "modality_share" in scores:
        names = list(scores["modalities"]) + ["interaction"]
        values = 100.0 * np.append(scores["modality_share"], scores["intershap"])
        ylabel = "share of the model's behaviour [%]"
        default = f"InterSHAP: {values[-1]:.1f}% interaction ({scores['pairs']} pairs)"
    elif isinstance(scores, Mapping) and "contributions" in scores:
        names = list(scores["modalities"]) + ["cooperation"]
        values = np.append(scores["contributions"], scores["cooperation"])
        ylabel = f"contribution to {scores['metric']}" + (f" [{unit}]" if unit else "")
        default = "SHAPE: modality contributions and cooperation"
    elif isinstance(scores, Mapping) and scores:
        names = [str(k) for k in scores]
        values = np.array([float(v) for v in scores.values()])
        ylabel = f"value [{unit or 'model output'}]"
        default = "contributions"
    else:
        raise ValueError("scores must be the dict of intershap or shape_scores, or a non-empty "
                         "mapping name -> value")
    fig = new_figure(1.6 + 0.9 * len(values), 4.0)
    ax = fig.add_subplot()
    colours = ["#5a8fc0"] * (len(values) - 1) + ["#c0392b"]
    _bars(ax, names, np.asarray(values, dtype=float), colours)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("modality")
    ax.set_title(title or default)
    save(fig, path)
    return fig


def pid_bars(pid: Any, *, title: str | None = None, path: Any = None) -> Any:
    """Bar chart of the four PID atoms (redundancy, unique 1, unique 2, synergy) of a
    :class:`~interplay.PIDResult` (one joint), with I(X1, X2; Y) as a dashed line; the unit is
    bits for base 2, else nats or the base's unit.

    Returns
    -------
    matplotlib.figure.Figure
    """
    atoms = None
    if callable(getattr(pid, "atoms", None)):
        atoms = np.asarray(pid.atoms(), dtype=float)
    elif isinstance(pid, Mapping):
        try:
            atoms = np.array([float(pid[a]) for a in ("redundancy", "unique_1", "unique_2", "synergy")])
        except (KeyError, TypeError, ValueError):
            atoms = None
    if atoms is None or atoms.shape != (4,):
        raise ValueError("pid must be a PIDResult of one joint (or a dict of its four atoms)")
    base = getattr(pid, "base", 2.0)
    unit = "bits" if base == 2 else "nats" if np.isclose(float(base), np.e) else f"log base {base:g}"
    total = float(pid.get("mutual_information", atoms.sum()) if isinstance(pid, Mapping)
                  else getattr(pid, "mutual_information", atoms.sum()))
    fig = new_figure(5.2, 4.0)
    ax = fig.add_subplot()
    _bars(ax, ["redundancy", "unique 1", "unique 2", "synergy"], atoms,
          ["#8e6bbf", "#4c9f70", "#e0a030", "#c0392b"])
    ax.axhline(total, color="black", linestyle="--", linewidth=1.0,
               label=f"I(X1, X2; Y) = {total:.3g} {unit}")
    ax.legend(fontsize=8)
    ax.set_ylabel(f"information [{unit}]")
    ax.set_xlabel("PID atom")
    measure = getattr(pid, "measure", None)
    ax.set_title(title or "partial information decomposition" + (f" ({measure})" if measure else ""))
    save(fig, path)
    return fig
