"""What the papers' metrics share: one output of a result, its order-1 and order-2 values as
dense arrays, and modalities given as groups of players."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import sets as bits
from ..results import InteractionResult

_PREFIX = re.compile(r"^([^:]+):")


def check_result(result: Any, name: str = "result") -> InteractionResult:
    if not isinstance(result, InteractionResult):
        raise TypeError(f"{name} must be an InteractionResult, got {type(result).__name__}")
    return result


def output_values(result: InteractionResult, output: int | None, name: str = "output") -> np.ndarray:
    """The (m,) values of one output (the only one of a scalar result)."""
    vals = np.asarray(result.values, dtype=np.float64)
    if vals.ndim == 1:
        if output not in (None, 0):
            raise ValueError(f"{name}: the result is scalar, got output={output}")
        return vals
    if output is None:
        raise ValueError(f"{name}: the result has {vals.shape[1]} outputs; choose one (output=j)")
    if not 0 <= int(output) < vals.shape[1]:
        raise ValueError(f"{name} must be in 0..{vals.shape[1] - 1}, got {output}")
    return vals[:, int(output)]


def dense_orders(result: InteractionResult, output: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(e1 (n,), e2 (n, n) symmetric, zero diagonal): the result's order-1 and order-2 values,
    zeros for sets it does not hold."""
    vals = output_values(result, output)
    n = result.n_players
    sizes = result.sizes
    e1 = np.zeros(n)
    one = np.flatnonzero(sizes == 1)
    if one.size:
        e1[np.argmax(bits.to_coalitions(result.words[one], n), axis=1)] = vals[one]
    e2 = np.zeros((n, n))
    two = np.flatnonzero(sizes == 2)
    if two.size:
        ij = np.nonzero(bits.to_coalitions(result.words[two], n))[1].reshape(-1, 2)
        e2[ij[:, 0], ij[:, 1]] = vals[two]
        e2[ij[:, 1], ij[:, 0]] = vals[two]
    return e1, e2


def player_index(player: Any, n: int, names: Sequence[str] | None, name: str) -> int:
    """A player given by index or by name, checked."""
    if isinstance(player, str):
        if names is None or player not in names:
            raise ValueError(f"{name}: unknown player name {player!r}")
        return list(names).index(player)
    if isinstance(player, (bool, np.bool_)) or not isinstance(player, (int, np.integer)):
        raise ValueError(f"{name}: players are indices or names, got {player!r}")
    if not 0 <= int(player) < n:
        raise ValueError(f"{name}: player {int(player)} out of range for {n} players")
    return int(player)


def resolve_groups(
    groups: Any, n: int, names: Sequence[str] | None, name: str = "groups"
) -> tuple[list[str], list[np.ndarray]]:
    """Modalities as groups of players: ``"names"`` (the ``modality:`` prefixes of the player
    names, in order of first appearance), a mapping modality -> players, or a sequence of player
    lists (indices or names). Groups must be non-empty and disjoint."""
    if isinstance(groups, str):
        if groups != "names":
            raise ValueError(f"{name} must be 'names', a mapping or a sequence of player lists, "
                             f"got {groups!r}")
        prefixes = [(_PREFIX.match(s) or [None, None])[1] for s in names or []]
        if not names or any(p is None for p in prefixes):
            raise ValueError(f"{name}='names' needs player names of the form 'modality:label'; "
                             "give the players of each modality")
        labels = list(dict.fromkeys(prefixes))
        return labels, [np.flatnonzero(np.array(prefixes) == lab) for lab in labels]
    if isinstance(groups, Mapping):
        labels, members = [str(k) for k in groups], list(groups.values())
    elif isinstance(groups, Sequence) and not isinstance(groups, (bytes, np.ndarray)):
        labels, members = [f"modality{j}" for j in range(len(groups))], list(groups)
    else:
        raise ValueError(f"{name} must be 'names', a mapping or a sequence of player lists, "
                         f"got {type(groups).__name__}")
    if not members:
        raise ValueError(f"{name} is empty")
    out, seen = [], np.zeros(n, dtype=bool)
    for lab, ps in zip(labels, members):
        if isinstance(ps, (str, int, np.integer)):
            ps = [ps]
        idx = np.array([player_index(p, n, names, name) for p in ps], dtype=np.int64)
        if idx.size == 0:
            raise ValueError(f"{name}: modality {lab!r} has no players")
        if seen[idx].any() or np.unique(idx).size != idx.size:
            raise ValueError(f"{name}: modality {lab!r} repeats a player (groups must be disjoint)")
        seen[idx] = True
        out.append(idx)
    return labels, out


def strip_prefix(label: str) -> str:
    """'query:cat' -> 'cat'."""
    m = _PREFIX.match(label)
    return label[m.end():] if m else label
