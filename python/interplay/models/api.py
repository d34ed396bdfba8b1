"""``interplay.explain``: interaction values of real models, one InteractionResult per instance."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .._validation import MemoryPlanError, check_int
from ..estimators import make_estimator as _make_estimator
from ..estimators._api import serves_any, serves_grid
from ..estimators._grid import grid_min_budget
from .._rng import resolve_seed
from ..indices import get_index
from ..results import InteractionResult
from ..scheduler import ValueCache
from .adapters import (
    CLIPImageEncoder,
    CLIPTextEncoder,
    SentenceTransformerEncoder,
    is_clip_like,
    is_sentence_transformer,
)
from .games import (
    DualEncoderGame,
    LateFusionGame,
    MaskedModel,
    MaskedModelGame,
    _ModelGame,
    evaluate_games,
    evaluate_grids,
)
from .maskers import ImagePatchMasker, Masker, TextMasker


def build_games(
    model: Any,
    inputs: Sequence[Any],
    *,
    masker: Masker | None = None,
    tokenizer: Any = None,
    text_mode: str = "attention",
    image_baseline: Any = "zero",
    combine: str | Callable | None = None,
    logit_scale: float | None = None,
    logit_bias: float | None = None,
    batch_size: int | str = "auto",
    cache: bool | ValueCache = True,
    names: Sequence[str] | None = None,
    shared: dict[str, MaskedModel] | None = None,
    truncate: bool = False,
    numpy: bool = False,
    players: str = "tokens",
) -> list[_ModelGame]:
    """The games :func:`explain` builds for ``model`` and ``inputs`` (see there), sharing one
    :class:`MaskedModel` per encoder so that all instances' rows are packed and cached together.

    ``numpy``: a generic model takes NumPy rows (see :class:`MaskedModel`).
    ``shared`` (a dict, filled on first use) keeps those MaskedModels across calls, so that the
    batch size found by "auto" and the cache carry over. Texts longer than the model's limit
    (sentence-transformers ``max_seq_length``, CLIP's text positions) raise
    :class:`~interplay.models.maskers.TextTooLong` unless ``truncate``.
    """
    kw = dict(batch_size=batch_size, cache=cache)
    shared = {} if shared is None else shared

    def masked(name: str, factory: Callable[[], MaskedModel]) -> MaskedModel:
        if name not in shared:
            shared[name] = factory()
        return shared[name]
    if model is None:
        for g in inputs:
            if not isinstance(g, _ModelGame):
                raise TypeError("with model=None, inputs must be model games")
        return list(inputs)
    enc_a = None  # a dual encoder's sides, recognised from the model
    if is_sentence_transformer(model) and masker is None:
        tok = tokenizer if tokenizer is not None else model.tokenizer
        enc_a = enc_b = masked("text", lambda: MaskedModel(
            SentenceTransformerEncoder(model),
            TextMasker(tok, mode=text_mode, max_length=_text_limit(model, tok), truncate=truncate,
                       players=players),
            **kw))
        pairs = "a sentence-transformers model is explained as a bi-encoder on (query, passage)"
        sides, scale, bias = ("query", "passage"), 1.0, 0.0
    elif is_clip_like(model) and masker is None:
        patch = int(model.config.vision_config.patch_size)
        enc_a = masked("image", lambda: MaskedModel(
            CLIPImageEncoder(model), ImagePatchMasker(patch, baseline=image_baseline), **kw))
        pad = getattr(model.config.text_config, "pad_token_id", None)
        limit = _text_limit(model.config.text_config, tokenizer)
        enc_b = masked("text", lambda: MaskedModel(
            CLIPTextEncoder(model), TextMasker(tokenizer, mode=text_mode, pad_token_id=pad,
                                               max_length=limit, truncate=truncate,
                                               players=players), **kw))
        pairs, sides = "a CLIP-style model is explained on (image, text)", ("image", "text")
        scale = float(model.logit_scale.detach().exp()) if logit_scale is None else logit_scale
        bias = getattr(model, "logit_bias", None)
        bias = 0.0 if bias is None else float(bias.detach())
    if enc_a is not None:
        games = []
        for x in inputs:
            if not (isinstance(x, (tuple, list)) and len(x) == 2):
                raise ValueError(f"inputs: {pairs} pairs")
            games.append(DualEncoderGame(
                enc_a, x[0], enc_b, x[1], combine=combine or "cosine",
                logit_scale=scale if logit_scale is None else logit_scale,
                logit_bias=bias if logit_bias is None else logit_bias, names=names or sides))
        return games
    if masker is None:
        raise ValueError(
            "masker: give a masker (TextMasker, ImagePatchMasker, ModalityMasker, TabularMasker) "
            "for a model that is not a sentence-transformers or CLIP-style model"
        )
    mm = masked("model", lambda: MaskedModel(model, masker, numpy=numpy, **kw))
    return [MaskedModelGame(mm, x) for x in inputs]


def _text_limit(model: Any, tokenizer: Any) -> int | None:
    """Longest text a model takes, in tokens: ``max_seq_length`` (sentence-transformers), else
    ``max_position_embeddings`` (a config), else the tokenizer's ``model_max_length`` if set."""
    for obj, attr in ((model, "max_seq_length"), (model, "max_position_embeddings"),
                      (tokenizer, "model_max_length")):
        value = getattr(obj, attr, None)
        if isinstance(value, int) and 2 <= value < 10**6:  # tokenizers say 1e30 when unknown
            return value
    return None


_FAILED = object()  # run_estimators: marks a game whose step raised (its error is collected)


#: a grid item's budget is raised up to this factor to determine its terms (the grid's cells
#: are cheap for a dual encoder: m_a + m_b encoder rows for m_a m_b cells); beyond, a lower order
GRID_BUDGET_RAISE = 16


class GridBudgetWarning(UserWarning):
    """An item of :func:`explain` was explained with another budget or order than asked, so
    that grid mode determines every term (issue 11)."""


def _grid_plan(label: str, na: int, nb: int, index: Any, budget: int, max_order: int,
               p: float, seed: int, basis: str = "full") -> tuple[int, int]:
    """(budget, max_order) at which grid mode determines every term of this item: the given
    ones when they do; else the smallest budget that does, up to GRID_BUDGET_RAISE times the
    given one, trying lower orders next (each change a one-line GridBudgetWarning naming the
    item); a ValueError naming the item when not even order 1 can be determined."""
    idx = get_index(index, None, p=p)
    name = idx.name
    fixed = not isinstance(index, str)  # an index object carries its order
    k = 1 if idx.kind == "value" else int(idx.order if fixed else max_order)
    p = float(idx.p if idx.p is not None else p)
    need = budget
    for order in range(k, 0 if not fixed else k - 1, -1):
        need = grid_min_budget(na, nb, order, p, seed, basis)
        if need <= GRID_BUDGET_RAISE * budget:
            use = max(budget, need)
            if (use, order) != (budget, k):
                warnings.warn(
                    f"{label} ({na} + {nb} players): budget {budget} cannot determine the "
                    f"order-{k} {name} terms in grid mode; explained with budget {use} and "
                    f"max_order {order} (the grid determines every term from budget {need})",
                    GridBudgetWarning, stacklevel=5)  # past start, attempt, run_estimators
            return use, order
    raise ValueError(
        f"{label} ({na} + {nb} players): grid mode cannot determine the order-{k} {name} terms "
        f"within {GRID_BUDGET_RAISE} x budget {budget}; give budget >= {need} or a smaller "
        "max_order")


def run_estimators(
    games: Sequence[_ModelGame],
    make: Callable[..., Any] | None,
    *,
    index: str,
    budget: int,
    max_order: int,
    method: str,
    p: float,
    seed: int | None,
    grid: bool | str = "auto",
    labels: Sequence[str] | None = None,
    errors: dict[int, Exception] | None = None,
    basis: str = "full",
    max_terms: int | None = None,
) -> list[InteractionResult | None]:
    """Drive one phase-split estimator per game (``make``, default
    ``interplay.estimators.make_estimator``); each round, the coalitions every estimator asks
    for are evaluated together (one scheduler call per model, rows of all games packed).

    Grid items get a budget and order at which the grid determines every term (see
    :func:`_grid_plan`; ``labels`` name the items in its messages), decided before any model
    call.

    ``errors``: a dict that collects per-game failures (game position -> exception) instead of
    raising; a failed game's result is None and the other games finish. A shared model call that
    fails is retried game by game, so that only the games that fail alone are dropped.
    """
    # an index that no sampled estimator serves (Moebius) is computed from every coalition
    method_i = "exact" if make is None and method == "auto" and not serves_any(index) else method
    make = make or _make_estimator
    seed = resolve_seed(seed)  # one seed for all items (and for their budget plans)
    # the restricted basis and the cap reach the estimator only when asked for (a custom
    # make_estimator need not know them)
    extra = {k: v for k, v in (("basis", basis), ("max_terms", max_terms))
             if v != {"basis": "full", "max_terms": None}[k]}
    ests: list[Any] = []
    use_grid = []

    def attempt(i: int, fn: Callable[..., Any], *a: Any) -> Any:
        try:
            return fn(*a)
        except Exception as exc:  # noqa: BLE001  (reported per game, the others go on)
            if errors is None:
                raise
            errors[i] = exc
            return _FAILED

    def evaluate(items: list, fn: Callable[..., Any], tell: str) -> None:
        try:
            vals = fn([games[i] for i, _ in items], [x for _, x in items])
        except Exception:
            if errors is None:
                raise
            vals = [attempt(i, lambda i=i, x=x: fn([games[i]], [x])[0]) for i, x in items]
        for (i, _), v in zip(items, vals):
            if v is not _FAILED:
                attempt(i, getattr(ests[i], tell), v)

    def start(i: int, groups: Any, want_grid: bool) -> Any:
        b_i, k_i = budget, max_order
        if want_grid and method != "sparse":  # the sparse search has no design to determine
            label = f"item {labels[i]!r}" if labels is not None else f"item {i}"
            b_i, k_i = _grid_plan(label, int(groups[0]), int(groups[1]), index, budget,
                                  max_order, p, seed, basis)
        return make(
            games[i].n_players, index, b_i, max_order=k_i, method=method_i, p=p, seed=seed,
            player_groups=tuple(groups) if want_grid else None, **extra,
        )

    for i, g in enumerate(games):
        groups = getattr(g, "player_groups", None)
        two = groups is not None and len(groups) == 2 and hasattr(g, "grid_values")
        # the grid samples each group from the product measure mu_p: only the weighted
        # Banzhaf family factorises over groups (Shapley kernels do not)
        # (method="sparse" draws its uniform coalitions as products of the two groups')
        want_grid = two and grid is not False and (
            method == "sparse" or method in ("auto", "regression") and serves_grid(index))
        est = attempt(i, start, i, groups, want_grid)
        ests.append(est)
        use_grid.append(want_grid and hasattr(est, "next_grid") and getattr(est, "grid_mode", True))
    active = [i for i in range(len(games)) if ests[i] is not _FAILED]
    while active:
        grid_items, row_items = [], []
        for i in active:
            # a grid estimator may also ask for joint rows (method="sparse": its search)
            now = use_grid[i] and attempt(i, getattr(ests[i], "wants_grid", lambda: True))
            if now is _FAILED:
                continue
            nxt = attempt(i, ests[i].next_grid if now else ests[i].next_coalitions)
            if nxt is not None and nxt is not _FAILED:
                (grid_items if now else row_items).append((i, nxt))
        if grid_items:
            evaluate(grid_items, evaluate_grids, "tell_grid")
        if row_items:
            # estimator batches are distinct planned coalitions: no second deduplication
            evaluate(row_items, lambda g, c: evaluate_games(g, c, distinct=True), "tell")
        failed = errors or {}
        active = sorted(i for i, _ in grid_items + row_items if i not in failed)
    results: list[InteractionResult | None] = []
    for i, (g, est) in enumerate(zip(games, ests)):
        res = None if errors and i in errors else attempt(i, est.result)
        if res is not None and res is not _FAILED:
            res.player_names = list(g.player_names)
        results.append(None if res is _FAILED else res)
    return results


def explain(
    model: Any,
    inputs: Sequence[Any],
    *,
    index: str = "FWBII",
    max_order: int = 2,
    budget: int = 2**12,
    masker: Masker | None = None,
    method: str = "auto",
    p: float = 0.5,
    seed: int | None = 0,
    batch_size: int | str = "auto",
    cache: bool | ValueCache = True,
    tokenizer: Any = None,
    text_mode: str = "attention",
    image_baseline: Any = "zero",
    combine: str | Callable | None = None,
    logit_scale: float | None = None,
    logit_bias: float | None = None,
    grid: bool | str = "auto",
    make_estimator: Callable[..., Any] | None = None,
    truncate: bool = False,
    players: str = "tokens",
    basis: str = "full",
    max_terms: int | None = None,
) -> list[InteractionResult]:
    """Interaction values of a model's output on each input, one result per input.

    The value of a coalition ``S`` of players (tokens, patches, modalities, features) is the
    model's output on the input with the players outside ``S`` masked. For a dual encoder
    (sentence-transformers bi-encoder on ``(query, passage)`` pairs, or a CLIP-style model with
    ``get_image_features``/``get_text_features`` on ``(image, text)`` pairs) it is the scaled
    cosine similarity ``logit_scale * cos(e_A(x_A|S_A), e_B(x_B|S_B)) + logit_bias`` and the
    players are both sides' tokens/patches; for FWBII/WBV the estimators' grid mode samples the
    two sides independently from the product measure ``mu_p(T) = p^|T| (1-p)^(n-|T|)`` (which
    factorises over modalities, Baniecki et al. 2025) and each unique side coalition costs one
    encoder row. Any other model needs a ``masker`` and takes the joint path.

    Parameters
    ----------
    model : sentence-transformers model, CLIP-style model, callable, or None
        None: ``inputs`` are prebuilt games (:class:`MaskedModelGame`, :class:`DualEncoderGame`).
    inputs : sequence, 2-D NumPy array or DataFrame
        Pairs of texts, (image tensor (C, H, W) normalised, text) pairs, or raw inputs for
        ``masker``. The rows of an array or DataFrame are the instances, and a model that is
        not a ``torch.nn.Module`` then gets float64 NumPy rows as shap gives them (no torch
        needed); a DataFrame's columns name the features unless the masker does.
    index, max_order, budget, method, p, seed
        Passed to the estimator (``interplay.estimators.make_estimator``); every instance uses
        the same ``seed``, so an instance's result does not depend on the others. In grid mode
        an instance whose budget cannot determine its terms is explained with the smallest
        budget that can (up to 16 times ``budget``) or else a lower order, with one
        :class:`GridBudgetWarning` naming it (docs/models.md).
    masker : Masker, optional
        How to mask (required for generic models).
    batch_size : int or "auto"
        Rows per model call (see :class:`~interplay.scheduler.Scheduler`).
    cache : bool or ValueCache
        Share a cache across calls by passing one ValueCache.
    tokenizer : optional
        Tokenizer for CLIP texts given as strings (a sentence-transformers model has its own).
    text_mode : "attention", "mask_token" or "remove"
    image_baseline : "zero", number, "mean" or per-channel vector
    combine, logit_scale, logit_bias
        Dual-encoder head (defaults: cosine; CLIP's ``logit_scale.exp()`` and bias if any).
    grid : "auto" or False
        False forces joint sampling even for a dual encoder.
    make_estimator : callable, optional
        A phase-split estimator factory (default: ``interplay.estimators.make_estimator``).
    truncate : bool
        Cut texts longer than the model's limit (sentence-transformers ``max_seq_length``,
        CLIP's text positions) at it, as sentence-transformers' ``encode`` does; by default such
        a text raises :class:`~interplay.models.maskers.TextTooLong` before any model call.
    players : "tokens" or "words"
        Text players: each word piece (default), or each word, its pieces masked together and
        labelled with the word (a fast tokenizer's ``word_ids``): a long text has fewer
        players, e.g. when its order-2 terms do not fit in memory.
    basis : "full" or "crossmodal"
        Terms fitted in grid mode (dual encoders): every set of size <= max_order, or FIxLIP's
        restricted basis of the empty set, every player and every (patch, token) pair across
        the two sides, (1 + n_a)(1 + n_b) terms (see :func:`interplay.approximate`). An item
        that is not explained in grid mode raises with "crossmodal".
    max_terms : int, optional
        Cap on the fitted terms. With ``basis="crossmodal"`` a larger basis is screened (the
        empty set, every player and the pairs of the players of largest |main effect| on the
        same grid, FIxLIP's interactive approach; ``info["screen"]``); otherwise an item whose
        fit has more terms is refused before any model call.

    Returns
    -------
    list of InteractionResult
        With ``player_names`` set to the players' labels (tokens, ``patch(r,c)``, modality names).

    References
    ----------
    H. Baniecki et al., "Explaining similarity in vision-language encoders with weighted Banzhaf
    interactions", NeurIPS 2025.
    """
    budget = check_int(budget, "budget", low=1)
    max_order = check_int(max_order, "max_order", low=1)
    if basis not in ("full", "crossmodal"):
        raise ValueError(f"basis must be 'full' or 'crossmodal', got {basis!r}")
    if max_terms is not None:
        max_terms = check_int(max_terms, "max_terms", low=1)
    if grid not in ("auto", False, True):
        raise ValueError(f"grid must be 'auto', True or False, got {grid!r}")
    columns = getattr(inputs, "columns", None)  # a DataFrame: its rows, named by its columns
    numpy = isinstance(inputs, np.ndarray) or columns is not None
    if numpy:
        inputs = list(np.asarray(inputs.to_numpy() if columns is not None else inputs))
        torch = sys.modules.get("torch")  # a torch model still gets tensors
        numpy = not (torch is not None and isinstance(model, torch.nn.Module))
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError("inputs must be a sequence of instances (e.g. a list of text pairs), "
                        "or a 2-D array or DataFrame of rows")
    games: list[_ModelGame] = []
    shared: dict[str, MaskedModel] = {}
    for i, x in enumerate(inputs):  # one at a time, so that an error names its instance
        try:
            games += build_games(
                model, [x], masker=masker, tokenizer=tokenizer, text_mode=text_mode,
                image_baseline=image_baseline, combine=combine, logit_scale=logit_scale,
                logit_bias=logit_bias, batch_size=batch_size, cache=cache, shared=shared,
                truncate=truncate, numpy=numpy, players=players)
        except (TypeError, ValueError) as exc:  # type and attributes kept (e.g. TextTooLong)
            exc.args = (f"inputs[{i}]: {exc}",)
            raise
        sizes = list(getattr(games[-1], "player_groups", None) or [games[-1].n_players])
        if 0 in sizes:
            at = f"inputs[{i}][{sizes.index(0)}]" if len(sizes) > 1 else f"inputs[{i}]"
            raise ValueError(f"{at} has no players (an empty text: no tokens to explain); give "
                             f"it a text with words in it, or leave instance {i} out")
    try:
        results = run_estimators(
            games, make_estimator, index=index, budget=budget, max_order=max_order,
            method=method, p=p, seed=seed, grid=grid, basis=basis, max_terms=max_terms,
        )
    except MemoryPlanError as exc:
        exc.args = (f"{exc}; fewer terms: max_order=1, or players='words' (one player per word "
                    "of a text)",)
        raise
    if columns is not None and getattr(masker, "feature_names", True) is None:
        for res in results:
            res.player_names = [str(c) for c in columns]
    return results


def scheduler_stats(games: Sequence[_ModelGame]) -> dict[str, Any]:
    """Summed scheduler accounting of the distinct models behind ``games``."""
    seen = {}
    for g in games:
        models = (
            [g.joint] if isinstance(g, LateFusionGame) and g.joint is not None
            else list(getattr(g, "encoders", [getattr(g, "model", None)]))
        )
        for m in models:
            if m is not None:
                seen[id(m)] = m
    return sum_stats(m.stats.as_dict() for m in seen.values())


def sum_stats(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Scheduler accounting (:meth:`Stats.as_dict`) of several models or workers, summed
    (``max_batch_size``: the largest)."""
    total: dict[str, Any] = {}
    for part in parts:
        for k, v in part.items():
            total[k] = max(total.get(k, 0), v) if k == "max_batch_size" else total.get(k, 0) + v
    return total


__all__ = ["GridBudgetWarning", "build_games", "explain", "run_estimators", "scheduler_stats"]
