"""Results of interaction computations.

:class:`InteractionResult` is shared by the exact engine, the sampled estimators and the
model-explanation layer. Sets are stored densely as bitmasks (:mod:`interplay.sets` words;
``sets`` is (m,) for n <= 64), ordered by size then value, with values aligned: no dict of
tuples on the hot path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import sets as bits


class InteractionResult:
    """Interaction values of a cooperative game.

    Parameters
    ----------
    values : ndarray, shape (m,) or (m, d)
        One value per set (row); d > 1 for a vector-valued game (d outputs explained at once).
    sets : ndarray of uint64, shape (m,) or (m, W)
        The sets as bitmasks (bit i <=> player i), ordered by size then value: W = ceil(n / 64)
        little-endian words per set, or (m,) for n_players <= 64. The attribute ``sets`` is (m,)
        for n_players <= 64 and (m, W) beyond; ``words`` is always (m, W) (the same memory).
    n_players : int
    index : str
        Name of the index (shapiq's names where shapiq has the index).
    max_order, min_order : int
        Range of set sizes held.
    baseline_value : float or ndarray (d,)
        shapiq's ``baseline_value`` convention for this index (v(empty) for most indices).
    stderr : ndarray like ``values``, optional
        Standard error of each estimate (sampled estimators); zeros mean exact.
    estimated : bool
        True if the values come from a sampled estimator with budget < 2^n.
    budget_used, n_evaluations : int, optional
        Distinct coalitions drawn and game evaluations made (sampled estimators).
    player_names : sequence of str, optional
        Labels (tokens, patch coordinates, modality names) aligned with players.
    info : dict, optional
        Free-form metadata (estimator, seed, backend, timings).
    """

    __slots__ = (
        "values",
        "sets",
        "words",
        "n_players",
        "index",
        "max_order",
        "min_order",
        "baseline_value",
        "stderr",
        "estimated",
        "budget_used",
        "n_evaluations",
        "player_names",
        "info",
        "_lookup",
    )

    def __init__(
        self,
        values: np.ndarray,
        sets: np.ndarray,
        *,
        n_players: int,
        index: str,
        max_order: int,
        min_order: int = 0,
        baseline_value: float | np.ndarray = 0.0,
        stderr: np.ndarray | None = None,
        estimated: bool = False,
        budget_used: int | None = None,
        n_evaluations: int | None = None,
        player_names: Sequence[str] | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        values = np.asarray(values)
        sets = np.asarray(sets, dtype=np.uint64)
        w = bits.n_words(n_players)
        if not (sets.ndim == 2 and sets.shape[1] == w) and not (sets.ndim == 1 and w == 1):
            raise ValueError(
                f"sets must have shape (m, {w})" + (" or (m,)" if w == 1 else "")
                + f" for n_players = {n_players}, got shape {sets.shape}"
            )
        if values.ndim not in (1, 2) or values.shape[0] != sets.shape[0]:
            raise ValueError(
                f"values must have shape (m,) or (m, d) with m = len(sets) = {sets.shape[0]}, "
                f"got {values.shape}"
            )
        if stderr is not None:
            stderr = np.asarray(stderr, dtype=np.float64)
            if stderr.shape != values.shape:
                raise ValueError(f"stderr shape {stderr.shape} != values shape {values.shape}")
        if player_names is not None:
            player_names = [str(p) for p in player_names]
            if len(player_names) != n_players:
                raise ValueError(
                    f"player_names has {len(player_names)} entries for n_players = {n_players}"
                )
        self.values = values
        self.words = sets.reshape(sets.shape[0], w)
        self.sets = bits.public(self.words)
        self.n_players = int(n_players)
        self.index = str(index)
        self.max_order = int(max_order)
        self.min_order = int(min_order)
        bv = np.asarray(baseline_value, dtype=np.float64)
        self.baseline_value = float(bv) if bv.ndim == 0 else bv
        self.stderr = stderr
        self.estimated = bool(estimated)
        self.budget_used = budget_used
        self.n_evaluations = n_evaluations
        self.player_names = player_names
        self.info = dict(info or {})
        self._lookup: dict[int, int] | None = None

    # ------------------------------------------------------------------ basic protocol
    @property
    def n_outputs(self) -> int | None:
        """d for a vector-valued result, None for a scalar game."""
        return None if self.values.ndim == 1 else int(self.values.shape[1])

    @property
    def sizes(self) -> np.ndarray:
        """Size |S| of each set, aligned with ``values``."""
        return bits.sizes(self.words)

    def __len__(self) -> int:
        return int(self.sets.shape[0])

    def players(self, row: int) -> tuple[int, ...]:
        """The players of the set at ``row``, as a sorted tuple."""
        return bits.set_to_players(self.words[row])

    def _key_of(self, key: Any) -> int:
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            raise TypeError(
                "index a result by a tuple of players, e.g. res[(0, 3)] or res[()]; "
                "for the row at a position use res.values[i]"
            )
        if isinstance(key, str):
            key = (key,)
        if not isinstance(key, Iterable):
            raise TypeError(f"key must be a tuple of players, got {type(key).__name__}")
        players = []
        for p in key:
            if isinstance(p, str):
                if self.player_names is None or p not in self.player_names:
                    raise KeyError(f"unknown player name {p!r}")
                p = self.player_names.index(p)
            players.append(int(p))
        if len(set(players)) != len(players):
            raise KeyError(f"repeated player in {tuple(key)!r}")
        for p in players:
            if not 0 <= p < self.n_players:
                raise KeyError(f"player {p} out of range for n_players = {self.n_players}")
        return sum(1 << p for p in players)

    def _row_lookup(self) -> dict[int, int]:
        if self._lookup is None:
            if self.words.shape[1] == 1:
                keys = self.words[:, 0].tolist()
            else:
                keys = [bits.set_key(row) for row in self.words]
            self._lookup = {int(k): i for i, k in enumerate(keys)}
        return self._lookup

    def row_of(self, key: Any) -> int | None:
        """Row holding the set ``key`` (a tuple of players or names), or None if not held."""
        return self._row_lookup().get(self._key_of(key))

    def __getitem__(self, key: Any) -> Any:
        """Value of the set ``key`` (tuple of players or names); a d-vector for vector games.

        A set within [min_order, max_order] that is not stored (e.g. after sparsification)
        has value 0, as in shapiq.
        """
        bits = self._key_of(key)
        row = self._row_lookup().get(bits)
        if row is not None:
            return self._value(row)
        size = bin(bits).count("1")
        if self.min_order <= size <= self.max_order:
            return 0.0 if self.values.ndim == 1 else np.zeros(self.values.shape[1])
        raise KeyError(
            f"{tuple(key) if not isinstance(key, str) else key!r}: size {size} outside the "
            f"orders held ({self.min_order}..{self.max_order})"
        )

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        for row in range(len(self)):
            yield self.players(row)

    def _value(self, row: int) -> Any:
        v = self.values[row]
        return float(v) if self.values.ndim == 1 else v.copy()

    def items(self) -> Iterator[tuple[tuple[int, ...], Any]]:
        for row in range(len(self)):
            yield self.players(row), self._value(row)

    def to_dict(self) -> dict[tuple[int, ...], Any]:
        """``{players tuple: value}`` (values are floats, or d-vectors for vector games)."""
        return dict(self.items())

    # ------------------------------------------------------------------ views
    def get_order(self, order: int) -> InteractionResult:
        """The sub-result holding only sets of size ``order``."""
        mask = self.sizes == order
        return InteractionResult(
            self.values[mask],
            self.words[mask],
            n_players=self.n_players,
            index=self.index,
            max_order=order,
            min_order=order,
            baseline_value=self.baseline_value,
            stderr=None if self.stderr is None else self.stderr[mask],
            estimated=self.estimated,
            budget_used=self.budget_used,
            n_evaluations=self.n_evaluations,
            player_names=self.player_names,
            info=self.info,
        )

    def top_k(self, k: int, *, order: int | None = None, output: int | None = None) -> list:
        """The k sets with the largest absolute value, as ``[(players, value), ...]``.

        For vector results pick ``output`` (column) or the L2 norm over outputs is used.
        """
        vals = self.values
        if vals.ndim == 2:
            vals = vals[:, output] if output is not None else np.linalg.norm(vals, axis=1)
        score = np.abs(vals).astype(np.float64)
        if order is not None:
            score = np.where(self.sizes == order, score, -np.inf)
        k = min(int(k), int(np.isfinite(score).sum()))
        if k <= 0:
            return []
        rows = np.argpartition(-score, k - 1)[:k]
        rows = rows[np.argsort(-score[rows], kind="stable")]
        return [(self.players(int(r)), self._value(int(r))) for r in rows]

    def to_dense(self, order: int, *, output: int | None = None) -> np.ndarray:
        """Order-1 values as an (n,) vector or order-2 values as a symmetric (n, n) matrix."""
        if order not in (1, 2):
            raise ValueError(f"order must be 1 or 2 for a dense view, got {order}")
        vals = self.values if self.values.ndim == 1 else self.values[:, 0 if output is None else output]
        mask = self.sizes == order
        shape = (self.n_players,) * order
        dense = np.zeros(shape)
        for r in np.flatnonzero(mask):
            ps = self.players(int(r))
            dense[ps] = vals[r]
            if order == 2:
                dense[ps[::-1]] = vals[r]
        return dense

    def as_game(self, *, backend: str = "auto") -> Any:
        """The explanation-implied game v_hat(T) = sum_{S subset of T, S held} e_S.

        See :class:`interplay.fidelity.ExplanationGame`; evaluated in C++ for a batch of
        coalitions. It reproduces the game exactly for a full Moebius result, and is the best
        k-additive fit for FSII/FBII/FWBII under their measures.
        """
        from .metrics.fidelity import ExplanationGame  # noqa: PLC0415

        return ExplanationGame(self, backend=backend)

    def to_shap(self, data: Any = None, *, feature_names: Sequence[str] | None = None) -> Any:
        """This result as a ``shap.Explanation`` (needs shap): order-1 values, or shap's
        interaction matrix for an order-2 result; see
        :func:`interplay.compat.shap.to_explanation` (which also takes a list of results)."""
        from .compat.shap import to_explanation  # noqa: PLC0415  (optional dependency)

        return to_explanation(self, data, feature_names=feature_names)

    # ------------------------------------------------------------------ shapiq interop
    def _scalar_output(self, output: int | None) -> tuple[np.ndarray, float]:
        """Values and baseline of one output (shapiq results are scalar)."""
        if self.values.ndim == 1:
            return self.values, float(self.baseline_value)
        if output is None:
            raise ValueError("output: choose which of the d outputs to convert")
        return self.values[:, output], float(np.asarray(self.baseline_value)[output])

    def to_shapiq(self, *, output: int | None = None) -> Any:
        """Convert to ``shapiq.InteractionValues`` (needs shapiq installed).

        shapiq results are scalar (its explainers explain one output, ``class_index``, and
        return one object per explained case): a vector-valued result gives a list of d
        InteractionValues, one per output, or the one of ``output``. shapiq 1.8.0's
        InteractionValues has no player names: ``player_names`` travel as an attribute of the
        same name, which :meth:`from_shapiq` reads back (pass them to shapiq's plots as
        ``feature_names``).
        """
        import shapiq  # noqa: PLC0415  (optional, test-time dependency)

        if output is None and self.values.ndim == 2:
            return [self.to_shapiq(output=j) for j in range(self.values.shape[1])]
        vals, baseline = self._scalar_output(output)
        lookup = {self.players(r): r for r in range(len(self))}
        iv = shapiq.InteractionValues(
            values=np.asarray(vals, dtype=float).copy(),
            index=self.index,
            max_order=self.max_order,
            min_order=self.min_order,
            n_players=self.n_players,
            interaction_lookup=lookup,
            estimated=self.estimated,
            estimation_budget=self.budget_used,
            baseline_value=float(baseline),
        )
        if self.player_names is not None:
            iv.player_names = list(self.player_names)
        return iv

    def to_shapiq_json_dict(self, *, output: int | None = None, description: str | None = None) -> dict:
        """The content of the JSON file ``shapiq.InteractionValues.to_json_file`` writes (shapiq
        1.8.0's format: metadata plus ``data`` keyed "Empty", "0", "0,1", ...); no shapiq needed.

        For a vector-valued result pick ``output``.
        """
        import datetime  # noqa: PLC0415

        vals, baseline = self._scalar_output(output)
        data = {}
        for row in range(len(self)):
            players = self.players(row)
            data[",".join(map(str, players)) if players else "Empty"] = float(vals[row])
        return {
            "object_name": "InteractionValues",
            "data_type": "interaction_values",
            "version": "1.8.0",
            "created_from": "interplay",
            "description": description,
            "parameters": {},
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "metadata": {
                "n_players": self.n_players,
                "index": self.index,
                "max_order": self.max_order,
                "min_order": self.min_order,
                "estimated": self.estimated,
                "estimation_budget": self.budget_used,
                "baseline_value": float(baseline),
            },
            "data": data,
        }

    def save_shapiq_json(self, path: Any, *, output: int | None = None, description: str | None = None) -> None:
        """Write a file that ``shapiq.InteractionValues.load`` reads (see :meth:`to_shapiq_json_dict`)."""
        import json  # noqa: PLC0415

        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_shapiq_json_dict(output=output, description=description), fh, indent=2)

    @classmethod
    def from_shapiq_json(cls, source: Any) -> InteractionResult:
        """Read a file written by ``shapiq.InteractionValues.save``/``to_json_file`` (or its
        parsed dict); no shapiq needed. Sets are re-ordered by size then value."""
        import json  # noqa: PLC0415

        if isinstance(source, dict):
            doc = source
        else:
            with open(source, encoding="utf-8") as fh:
                doc = json.load(fh)
        items = [
            (() if key in ("Empty", "") else tuple(int(x) for x in key.split(",")), float(value))
            for key, value in doc["data"].items()
        ]
        return cls._from_items(items, doc["metadata"])

    @classmethod
    def from_shapiq(cls, iv: Any) -> InteractionResult:
        """Build from a ``shapiq.InteractionValues`` (sets re-ordered by size then value), or
        a vector-valued result from a list of them, one per output (what :meth:`to_shapiq`
        gives; every one with the same sets and metadata)."""
        if isinstance(iv, (list, tuple)):
            parts = [cls.from_shapiq(x) for x in iv]
            first = parts[0] if parts else None
            if first is None or any(not np.array_equal(p.words, first.words) or p.index
                                    != first.index for p in parts):
                raise ValueError("iv: a list needs InteractionValues of one index and the "
                                 "same interactions (one per output)")
            first.values = np.stack([p.values for p in parts], axis=1)
            first.baseline_value = np.array([p.baseline_value for p in parts])
            return first
        items = list(iv.dict_values.items()) if hasattr(iv, "dict_values") else list(
            zip(iv.interaction_lookup.keys(), iv.values[list(iv.interaction_lookup.values())])
        )
        meta = ("n_players", "index", "max_order", "min_order", "baseline_value", "estimated",
                "estimation_budget")
        res = cls._from_items(items, {key: getattr(iv, key, None) for key in meta})
        names = getattr(iv, "player_names", None)  # set by to_shapiq
        if names is not None and len(names) == res.n_players:
            res.player_names = [str(p) for p in names]
        return res

    @classmethod
    def _from_items(cls, items: list, meta: dict) -> InteractionResult:
        """From ``[(players tuple, value), ...]`` in any order (sorted by size, then value) and
        shapiq's metadata."""
        n = int(meta["n_players"])
        sets = np.array([bits.players_to_set(k, n) for k, _ in items], dtype=np.uint64)
        sets = sets.reshape(len(items), bits.n_words(n))
        vals = np.array([float(v) for _, v in items])
        sizes = np.array([len(k) for k, _ in items], dtype=np.int64)
        order = np.lexsort(tuple(sets.T) + (sizes,))  # size, then the most significant word
        return cls(vals[order], sets[order], n_players=n, index=str(meta["index"]),
                   max_order=int(meta["max_order"]), min_order=int(meta["min_order"]),
                   baseline_value=float(meta["baseline_value"]),
                   estimated=bool(meta.get("estimated")), budget_used=meta.get("estimation_budget"))

    # ------------------------------------------------------------------ misc
    def __repr__(self) -> str:
        d = "" if self.values.ndim == 1 else f", d={self.values.shape[1]}"
        est = ", estimated" if self.estimated else ""
        return (
            f"InteractionResult(index={self.index!r}, n_players={self.n_players}, "
            f"orders={self.min_order}..{self.max_order}, m={len(self)}{d}{est})"
        )

    def __eq__(self, other: object) -> bool:
        """Same index, players, orders and sets, values equal to 1e-10 (rtol and atol)."""
        if not isinstance(other, InteractionResult):
            return NotImplemented
        return (
            self.index == other.index
            and self.n_players == other.n_players
            and self.min_order == other.min_order
            and self.max_order == other.max_order
            and self.words.shape == other.words.shape
            and bool(np.array_equal(self.words, other.words))
            and self.values.shape == other.values.shape
            and bool(np.allclose(self.values, other.values, rtol=1e-10, atol=1e-10))
            and bool(np.allclose(self.baseline_value, other.baseline_value, rtol=1e-10, atol=1e-10))
        )

    __hash__ = None  # type: ignore[assignment]  (mutable arrays)
