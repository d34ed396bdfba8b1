"""Games on real models: a coalition's value is the model's output on the masked input.

* :class:`MaskedModel` binds an adapter, a masker and a :class:`~interplay.scheduler.Scheduler`;
  games of many instances share one, so that their rows are packed into the same model calls
  and served from the same cache.
* :class:`MaskedModelGame` is the joint (early-fusion) path: every coalition is one masked input.
* :class:`LateFusionGame` has one encoder per modality and a fusion ``head``: each modality's
  sub-coalition is encoded once (unique rows only, cached) and the head combines embeddings.
* :class:`DualEncoderGame` is the two-modality case with a similarity head (CLIP, SigLIP,
  sentence bi-encoders): ``v(S) = scale * cos(e_A(x_A|S_A), e_B(x_B|S_B)) + bias``; its
  :meth:`~DualEncoderGame.grid_values` scores all pairs of a coalition grid with one GEMM.

All games take bool coalitions ``(m, n_players)`` and return float64 ``(m,)`` or ``(m, d)``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from .._validation import as_real_float64
from ..scheduler import Scheduler, ValueCache
from ..scheduler.core import unique_rows
from ..sets import check_coalitions
from .adapters import Adapter, as_adapter
from .maskers import Instance, Masker, _torch


class MaskedTask:
    """Scheduler task: mask registered instances with ``masker``, run ``adapter``."""

    def __init__(self, adapter: Adapter, masker: Masker) -> None:
        self.adapter = adapter
        self.masker = masker
        self.instances: dict[Hashable, Instance] = {}
        self.cache_namespace = ("masked", adapter.identity, masker.signature())

    def prepare(self, groups: list[tuple[Hashable, np.ndarray]]) -> tuple[Any, int, Any]:
        rows = sum(len(c) for _, c in groups)
        distinct = getattr(self.masker, "distinct_rows", None) if self.masker.n_draws > 1 else None
        found = [distinct(self.instances[k], c) for k, c in groups] if distinct else [None]
        if any(f is None for f in found):
            parts, inverse = [self.masker.mask(self.instances[k], c) for k, c in groups], None
        else:  # only the distinct masked rows are run; inverse restores all m * n_draws
            parts = [p for p, _ in found]
            starts = np.cumsum([0] + [len(inv) and int(inv.max()) + 1 for _, inv in found])
            inverse = np.concatenate([inv + s for (_, inv), s in zip(found, starts)])
        return (parts[0] if len(parts) == 1 else self.masker.collate(parts)), rows, inverse

    def forward(self, prepared: tuple[Any, int, Any]) -> Any:
        inputs, rows, inverse = prepared
        out = self.adapter(inputs)
        k = self.masker.n_draws
        if k == 1:
            return out
        # marginal imputation: average the draws of each coalition (a tensor on its device)
        if hasattr(out, "detach") and not out.is_complex():
            if inverse is not None:
                out = out[_torch().from_numpy(inverse).to(out.device)]
            return out.reshape(rows, k, *out.shape[1:]).double().mean(1)
        out = as_real_float64(out, "model output")
        out = out if inverse is None else out[inverse]
        return out.reshape(rows, k, *out.shape[1:]).mean(1)

    def row_bytes(self, key: Hashable, n: int) -> int:
        inst = self.instances.get(key)
        return 0 if inst is None else self.masker.row_bytes(inst)


class MaskedModel:
    """A model, a masker and a scheduler: evaluates coalitions of registered instances.

    Parameters
    ----------
    model : callable or Adapter
        See :mod:`interplay.models.adapters`; a sentence-transformers model is recognised.
    masker : Masker
    batch_size : int or "auto"
    cache : bool or ValueCache
    prefetch : bool
    max_batch_size : int
    numpy : bool
        The model takes NumPy inputs (for a plain callable).
    """

    def __init__(
        self,
        model: Any,
        masker: Masker,
        *,
        batch_size: int | str = "auto",
        cache: bool | ValueCache = True,
        prefetch: bool = True,
        max_batch_size: int = 4096,
        numpy: bool = False,
    ) -> None:
        if not isinstance(masker, Masker):
            raise TypeError(f"masker must be a Masker, got {type(masker).__name__}")
        self.adapter = as_adapter(model, numpy=numpy)
        self.masker = masker
        masker.numpy = bool(numpy)
        if masker.device is None and self.adapter.device is not None:
            masker.device = self.adapter.device
        self.task = MaskedTask(self.adapter, masker)
        self.scheduler = Scheduler(
            self.task,
            batch_size=batch_size,
            cache=cache,
            prefetch=prefetch,
            max_batch_size=min(max_batch_size, masker.max_batch_size or max_batch_size),
            start_batch_size=min(masker.start_batch_size, max_batch_size),
        )

    @property
    def stats(self):
        return self.scheduler.stats

    def add(self, raw: Any) -> Instance:
        """Encode ``raw`` with the masker and register it; returns the instance (key, labels)."""
        inst = self.masker.encode(raw)
        self.task.instances.setdefault(inst.key, inst)
        return inst

    def evaluate(self, requests: Sequence[tuple[Hashable, np.ndarray]], *, checked: bool = False,
                 distinct: bool = False) -> list[np.ndarray]:
        """Values of ``[(instance_key, coalitions), ...]`` (see :meth:`Scheduler.evaluate`)."""
        return self.scheduler.evaluate(requests, checked=checked, distinct=distinct)


class _ModelGame:
    """Common protocol: ``n_players``, ``player_names``, ``__call__`` and the two-phase
    ``_begin(coalitions) -> (requests, finish)`` that :func:`evaluate_games` packs."""

    n_players: int
    player_names: list[str]

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        return evaluate_games([self], [coalitions])[0]

    def _begin(self, coalitions: np.ndarray):  # pragma: no cover (abstract)
        raise NotImplementedError


class MaskedModelGame(_ModelGame):
    """The joint path: ``v(S) = model(mask(x, S))`` for one instance ``x``.

    Parameters
    ----------
    model : MaskedModel, or a model with ``masker``
    instance : raw input (str, image tensor, tuple of modality tensors, feature vector)
    masker : Masker, optional (needed unless ``model`` is a MaskedModel)
    **kwargs : passed to :class:`MaskedModel` (batch_size, cache, prefetch, numpy)
    """

    def __init__(self, model: Any, instance: Any, masker: Masker | None = None, **kw: Any) -> None:
        if not isinstance(model, MaskedModel):
            if masker is None:
                raise ValueError("masker: a model that is not a MaskedModel needs a masker")
            model = MaskedModel(model, masker, **kw)
        self.model = model
        self.instance = self.model.add(instance)
        self.n_players = self.instance.n_players
        self.player_names = list(self.instance.labels)

    def _begin(self, coalitions: np.ndarray):
        c = check_coalitions(coalitions, self.n_players)
        return [(self.model, self.instance.key, c)], lambda vals: vals[0]


def _unit(e: np.ndarray) -> np.ndarray:
    return e / np.linalg.norm(e, axis=1, keepdims=True).clip(1e-12)


def _combine_fn(combine: str | Callable, logit_scale: float, logit_bias: float) -> Callable:
    if callable(combine):
        return combine
    if combine not in ("cosine", "dot"):
        raise ValueError(f"combine must be 'cosine', 'dot' or a callable, got {combine!r}")
    norm = _unit if combine == "cosine" else (lambda e: e)
    return lambda a, b: logit_scale * np.einsum("ij,ij->i", norm(a), norm(b)) + logit_bias


class LateFusionGame(_ModelGame):
    """Per-modality encoders and a fusion head, with cached per-modality embeddings.

    Players are the players of every modality, in order (modality 0's first). For a coalition
    ``S``, modality ``j`` is encoded on its sub-coalition ``S_j`` and ``v(S) = head([e_0, e_1,
    ...])``. Each unique sub-coalition of a modality is encoded once per call (and cached across
    calls), so a call costs ``sum_j unique(S_j)`` encoder rows instead of ``m`` per modality.

    Parameters
    ----------
    encoders : sequence of MaskedModel
        One per modality (the same object may serve several modalities, e.g. a bi-encoder).
    inputs : sequence
        One raw input per modality.
    head : callable
        ``head([E_0 (m, k_0), E_1 (m, k_1), ...]) -> (m,) | (m, d)`` (NumPy float64).
    path : {"factorised", "joint"}
        "joint" evaluates every coalition end to end (every encoder on every row; the
        model-agnostic path peers use), for comparison.
    names : sequence of str, optional
        Modality names, prefixed to player labels.
    """

    def __init__(
        self,
        encoders: Sequence[MaskedModel],
        inputs: Sequence[Any],
        head: Callable[[list[np.ndarray]], np.ndarray],
        *,
        path: str = "factorised",
        names: Sequence[str] | None = None,
        batch_size: int | str = "auto",
        cache: bool | ValueCache = True,
    ) -> None:
        if len(encoders) != len(inputs) or not encoders:
            raise ValueError("encoders and inputs must be non-empty and of equal length")
        for e in encoders:
            if not isinstance(e, MaskedModel):
                raise TypeError(f"encoders must be MaskedModel objects, got {type(e).__name__}")
        if path not in ("factorised", "joint"):
            raise ValueError(f"path must be 'factorised' or 'joint', got {path!r}")
        if not callable(head):
            raise TypeError("head must be callable")
        self.encoders = list(encoders)
        self.instances = [e.add(x) for e, x in zip(self.encoders, inputs)]
        self.head = head
        self.path = path
        self.sizes = [inst.n_players for inst in self.instances]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.n_players = int(self.offsets[-1])
        names = list(names) if names is not None else None
        if names is not None and len(names) != len(encoders):
            raise ValueError("names must have one entry per modality")
        self.player_names = [
            (f"{names[j]}:{lab}" if names is not None else lab)
            for j, inst in enumerate(self.instances)
            for lab in inst.labels
        ]
        self.joint: Scheduler | None = None  # the joint path's own scheduler
        if path == "joint":
            self.joint = Scheduler(_JointTask(self), batch_size=batch_size, cache=cache)

    @property
    def player_groups(self) -> tuple[int, ...]:
        return tuple(self.sizes)

    def _split(self, c: np.ndarray) -> list[np.ndarray]:
        return [c[:, self.offsets[j]: self.offsets[j + 1]] for j in range(len(self.sizes))]

    def _begin(self, coalitions: np.ndarray):
        c = check_coalitions(coalitions, self.n_players)
        if self.joint is not None:
            return [(self.joint, "joint", c)], lambda vals: vals[0]
        blocks = [unique_rows(b) for b in self._split(c)]
        requests = [(e, inst.key, u) for e, inst, (u, _, _) in zip(self.encoders, self.instances, blocks)]

        def finish(vals: list[np.ndarray]) -> np.ndarray:
            embs = [v[inv] for v, (_, inv, _) in zip(vals, blocks)]
            return as_real_float64(self.head(embs), "head output")

        return requests, finish

    # ------------------------------------------------------------------ grid (two modalities)
    def _begin_grid(self, coalitions_a: np.ndarray, coalitions_b: np.ndarray):
        if len(self.sizes) != 2:
            raise ValueError("grid_values needs exactly two modalities")
        ca = check_coalitions(coalitions_a, self.sizes[0], "coalitions_a")
        cb = check_coalitions(coalitions_b, self.sizes[1], "coalitions_b")
        if self.joint is not None:
            rows = np.concatenate(
                [np.repeat(ca, len(cb), axis=0), np.tile(cb, (len(ca), 1))], axis=1
            )
            return ([(self.joint, "joint", rows)],
                    lambda vals: vals[0].reshape(len(ca), len(cb), *vals[0].shape[1:]))
        (ua, ia, _), (ub, ib, _) = unique_rows(ca), unique_rows(cb)
        requests = [(self.encoders[0], self.instances[0].key, ua),
                    (self.encoders[1], self.instances[1].key, ub)]

        def finish(vals: list[np.ndarray]) -> np.ndarray:
            g = self._score_grid(vals[0], vals[1])
            return g[np.ix_(ia, ib)] if g.ndim == 2 else g[ia][:, ib]

        return requests, finish

    def _score_grid(self, ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
        """All pairs (m_a, m_b[, d]) through the head, in chunks of rows."""
        out = []
        chunk = max(1, (1 << 22) // max(1, len(eb) * ea.shape[1]))
        for s in range(0, len(ea), chunk):
            a = ea[s: s + chunk]
            rows_a = np.repeat(a, len(eb), axis=0)
            rows_b = np.tile(eb, (len(a), 1))
            v = as_real_float64(self.head([rows_a, rows_b]), "head output")
            out.append(v.reshape(len(a), len(eb), *v.shape[1:]))
        return np.concatenate(out, axis=0)

    def grid_values(self, coalitions_a: np.ndarray, coalitions_b: np.ndarray) -> np.ndarray:
        """Values of every joint coalition ``(S_a, S_b)`` of a grid: shape (m_a, m_b[, d]).

        Costs ``unique(S_a) + unique(S_b)`` encoder rows (cached) and one head evaluation on the
        pairs (a GEMM for :class:`DualEncoderGame`), instead of ``m_a * m_b`` joint evaluations.
        """
        return evaluate_grids([self], [(coalitions_a, coalitions_b)])[0]


class _JointTask:
    """Task of the joint path: mask every modality of the same rows, run every encoder, head."""

    def __init__(self, game: LateFusionGame) -> None:
        self.game = game
        self.cache_namespace = ("joint", id(game))

    def prepare(self, groups: list[tuple[Hashable, np.ndarray]]) -> list[Any]:
        g = self.game
        c = np.concatenate([cc for _, cc in groups], axis=0)
        return [
            e.task.prepare([(inst.key, block)])
            for e, inst, block in zip(g.encoders, g.instances, g._split(c))
        ]

    def forward(self, prepared: list[Any]) -> np.ndarray:
        g = self.game
        embs = []
        for e, p in zip(g.encoders, prepared):
            out = e.task.forward(p)
            e.stats.rows_evaluated += p[1]  # encoder rows run on the joint path, for accounting
            e.stats.model_calls += 1
            embs.append(as_real_float64(out, "model output"))
        return as_real_float64(g.head(embs), "head output")


class DualEncoderGame(LateFusionGame):
    """Two encoders and a similarity: ``v(S_A, S_B) = combine(e_A(x_A|S_A), e_B(x_B|S_B))``.

    Parameters
    ----------
    encoder_a, encoder_b : MaskedModel
        May be the same object (a bi-encoder embedding both texts): its calls then pack both
        sides' rows.
    input_a, input_b : raw inputs (text, image tensor, ...)
    combine : "cosine", "dot" or callable
        "cosine": ``logit_scale * cos(e_a, e_b) + logit_bias`` (CLIP: ``logit_scale.exp()``, no
        bias; SigLIP adds a bias); "dot": ``logit_scale * <e_a, e_b> + logit_bias``; a callable
        ``f(E_a (m, k), E_b (m, k)) -> (m,) | (m, d)`` scores aligned rows.
    path : "factorised" or "joint" (see :class:`LateFusionGame`)

    Notes
    -----
    With ``grid_values`` (used by the FWBII/WBV grid mode of :func:`interplay.approximate`,
    Baniecki et al. 2025, "Explaining similarity in vision-language encoders with weighted
    Banzhaf interactions") a grid of ``m_a x m_b`` joint coalitions costs ``m_a + m_b`` encoder
    rows and one ``(m_a, k) @ (k, m_b)`` product.
    """

    def __init__(
        self,
        encoder_a: MaskedModel,
        input_a: Any,
        encoder_b: MaskedModel,
        input_b: Any,
        *,
        combine: str | Callable = "cosine",
        logit_scale: float = 1.0,
        logit_bias: float = 0.0,
        path: str = "factorised",
        names: Sequence[str] | None = None,
        batch_size: int | str = "auto",
        cache: bool | ValueCache = True,
    ) -> None:
        self.combine = combine
        self.logit_scale = float(logit_scale)
        self.logit_bias = float(logit_bias)
        head_pair = _combine_fn(combine, self.logit_scale, self.logit_bias)
        super().__init__(
            [encoder_a, encoder_b],
            [input_a, input_b],
            lambda embs: head_pair(embs[0], embs[1]),
            path=path,
            names=names,
            batch_size=batch_size,
            cache=cache,
        )

    def _score_grid(self, ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
        if self.combine == "cosine":
            ea, eb = _unit(ea), _unit(eb)
        if self.combine in ("cosine", "dot"):
            return self.logit_scale * (ea @ eb.T) + self.logit_bias
        return super()._score_grid(ea, eb)


# ---------------------------------------------------------------------- packing many games
def _run(begun: list, distinct: bool = False) -> list[np.ndarray]:
    # every request's rows passed check_coalitions in _begin/_begin_grid (or were derived from
    # rows that did): the scheduler does not check them again
    by_model: dict[int, tuple[Any, list]] = {}  # MaskedModel or a joint path's Scheduler
    for gi, (requests, _) in enumerate(begun):
        for ri, (model, key, rows) in enumerate(requests):
            by_model.setdefault(id(model), (model, []))[1].append((gi, ri, key, rows))
    results: list[list[Any]] = [[None] * len(req) for req, _ in begun]
    for model, items in by_model.values():
        vals = model.evaluate([(key, rows) for _, _, key, rows in items], checked=True,
                              distinct=distinct)
        for (gi, ri, _, _), v in zip(items, vals):
            results[gi][ri] = v
    return [finish(res) for (_, finish), res in zip(begun, results)]


def evaluate_games(games: Sequence[_ModelGame], coalitions: Sequence[np.ndarray], *,
                   distinct: bool = False) -> list[np.ndarray]:
    """Values of ``coalitions[i]`` on ``games[i]``, with every model's rows (over all games)
    deduplicated, cached and packed into shared batches: one scheduler call per model.
    ``distinct=True``: no ``coalitions[i]`` repeats a row (an estimator's planned coalitions),
    so the rows are not deduplicated again."""
    if len(games) != len(coalitions):
        raise ValueError("games and coalitions must have the same length")
    return _run([g._begin(c) for g, c in zip(games, coalitions)], distinct)


def evaluate_grids(
    games: Sequence[LateFusionGame], grids: Sequence[tuple[np.ndarray, np.ndarray]]
) -> list[np.ndarray]:
    """``games[i].grid_values(*grids[i])`` for all i, packed as in :func:`evaluate_games`."""
    if len(games) != len(grids):
        raise ValueError("games and grids must have the same length")
    # the factorised path requests each side's distinct rows (unique_rows in _begin_grid): the
    # scheduler need not deduplicate them again; the joint path's grid rows may repeat
    return _run([g._begin_grid(a, b) for g, (a, b) in zip(games, grids)],
                distinct=all(g.joint is None for g in games))
