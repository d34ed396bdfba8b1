"""The phase-split estimator protocol shared by every sampled estimator.

An estimator plans, at construction, the distinct coalitions it will evaluate (a prefix of a
seeded, budget-independent stream), hands them out in batches (:meth:`next_coalitions`), takes
their values (:meth:`tell`) and computes the estimate from everything told (:meth:`result`).
``approximate`` and ``refine`` are loops over this protocol; a scheduler can interleave the
batches of many estimators into packed model calls.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from .. import sets as bits
from .._threads import blas_limit
from ..games.base import check_game_output
from ..indices import Index
from ..results import InteractionResult

#: number of random groups used for standard errors of regression and MSR estimates
N_GROUPS = 32

#: identifications of the designs seen last (:meth:`Estimator._identify_once`), oldest first
_IDENTIFIED: dict = {}
_IDENTIFIED_MAX = 32


def _as_slice(rows: np.ndarray) -> np.ndarray | slice:
    """Ascending distinct row indices as a slice when they are one run (a view instead of a
    gathered copy), else as they are."""
    if rows.size and int(rows[-1]) - int(rows[0]) + 1 == rows.size:
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def _read_only(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False
    return view


class _CarriesState:
    def __init__(self, message: str, coalitions: np.ndarray, state: SamplingState) -> None:
        super().__init__(message)
        self.coalitions = coalitions
        self.state = state


class GameEvaluationError(_CarriesState, RuntimeError):
    """The game raised while evaluating a batch of coalitions.

    Attributes
    ----------
    coalitions : ndarray of bool, shape (m, n_players)
        The batch that failed.
    state : SamplingState
        Everything evaluated before the failure. ``interplay.refine(err.state, game, 0)`` resumes
        the run without re-evaluating any of it (and gives the same numbers as an uninterrupted
        run).
    """


class EvaluationInterrupted(_CarriesState, KeyboardInterrupt):
    """Ctrl-C (KeyboardInterrupt) while the game evaluated a batch of coalitions.

    A KeyboardInterrupt (so a script still stops), carrying the work done so far: ``state``
    holds every coalition evaluated before the interrupted batch, and
    ``interplay.refine(err.state, game, 0)`` resumes the run without re-evaluating any of it
    (same numbers as an uninterrupted run). Evaluate in batches (``batch_size=``) so that an
    interrupt loses at most one batch.

    Attributes
    ----------
    coalitions : ndarray of bool, shape (m, n_players)
        The batch that was interrupted.
    state : SamplingState
    """


def evaluate_rows(est, game, C) -> None:
    """``est.tell(game(C))``: a failing or interrupted game raises :func:`interrupted` (the
    evaluations so far kept), an invalid output a one-line error with the batch abandoned."""
    try:
        values = game(C)
    except (Exception, KeyboardInterrupt) as exc:
        raise interrupted(est, C, exc) from exc
    try:
        est.tell(values)
    except (TypeError, ValueError) as exc:
        est.abandon_pending()
        raise type(exc)(f"game output invalid: {exc}") from None


def interrupted(est: Any, coalitions: np.ndarray, exc: BaseException, who: str = "the game",
                where: str | None = None) -> BaseException:
    """The exception that replaces ``exc``, raised by ``who`` on ``coalitions`` (``where``
    describes them): a :class:`GameEvaluationError` (an Exception) or an
    :class:`EvaluationInterrupted` (a KeyboardInterrupt), both carrying ``est.state()``, taken
    after the pending batch is abandoned."""
    est.abandon_pending()
    state = est.state()
    where = where or f"a batch of {coalitions.shape[0]} coalitions"
    resume = (f"{state.n_evaluated} evaluated before it are kept: resume with "
              "interplay.refine(err.state, game, 0)")
    if isinstance(exc, KeyboardInterrupt):
        return EvaluationInterrupted(f"interrupted while {who} evaluated {where} ({resume})",
                                     coalitions, state)
    return GameEvaluationError(f"{who} raised {type(exc).__name__} on {where} ({resume})",
                               coalitions, state)


class SamplingState:
    """The configuration of a sampled run and every coalition value it evaluated.

    Stored in ``result.info["sampling_state"]``; :func:`interplay.refine` continues from it.
    """

    def __init__(self, config: dict, sets: np.ndarray, values: np.ndarray | None,
                 squeeze: bool) -> None:
        self.config = dict(config)
        self.sets = sets
        self.values = values
        self.squeeze = squeeze

    @property
    def n_evaluated(self) -> int:
        return 0 if self.values is None else int(self.sets.shape[0])

    def __repr__(self) -> str:
        c = self.config
        return (f"SamplingState(method={c.get('method')!r}, index={c.get('index')!r}, "
                f"budget={c.get('budget')}, evaluated={self.n_evaluated})")


class Estimator:
    """Base class: a planned list of distinct coalitions (packed words), filled by tell()."""

    method: str = ""
    dense_algebra = True  # whether the estimate calls BLAS (then held to one thread)

    def __init__(self, n_players: int, spec: Index, budget: int, max_order: int, seed: int,
                 config: dict) -> None:
        self.n_players = n_players
        #: the index estimated (an interplay.indices.Index at order max_order)
        self.spec = spec
        self.budget = budget
        self.max_order = max_order
        self.seed = seed
        self.config = dict(config)
        self._plan: np.ndarray = np.zeros((0, bits.n_words(n_players)), dtype=np.uint64)
        self._known: np.ndarray = np.zeros(0, dtype=bool)
        self._values: np.ndarray | None = None
        self._squeeze: bool | None = None
        self._pending: np.ndarray | None = None

    @property
    def label(self) -> str:
        """The index name results carry: the name asked for when the index was given as a
        string ("FWBII" at p = 1/2 stays "FWBII", "SII" at order 1 stays "SII", as before the
        index model computed them as FBII and SV), else the index object's own name."""
        asked = self.config.get("index")
        return asked if isinstance(asked, str) else self.spec.name

    # ---------------------------------------------------------------- planning
    def _set_plan(self, plan: np.ndarray) -> None:
        """The planned coalitions: distinct words (m, W)."""
        self._plan = np.ascontiguousarray(plan, dtype=np.uint64)
        self._known = np.zeros(self._plan.shape[0], dtype=bool)

    @property
    def n_planned(self) -> int:
        return int(self._plan.shape[0])

    is_grid = False

    @property
    def n_known(self) -> int:
        return int(self._known.sum())

    def n_unknown_before(self, upto: int) -> int:
        return int((~self._known[:upto]).sum())

    def round_boundary(self, upto: int) -> int:
        """The smallest budget >= upto at which this estimator's sample is complete."""
        return min(int(upto), self.n_planned)

    @property
    def done(self) -> bool:
        return bool(self._known.all())

    def preload(self, state: SamplingState) -> int:
        """Take the values of already-evaluated coalitions from ``state``; returns how many."""
        if state.values is None or state.sets.shape[0] == 0:
            return 0
        lut = {row.tobytes(): j for j, row in enumerate(np.ascontiguousarray(state.sets))}
        hits = [(i, lut[row.tobytes()]) for i, row in enumerate(self._plan) if row.tobytes() in lut]
        if hits:
            rows, src = np.array(hits).T
            self._store(rows, state.values[src], squeeze=state.squeeze)
        return len(hits)

    # ---------------------------------------------------------------- protocol
    def next_coalitions(self, max_rows: int | None = None) -> np.ndarray | None:
        """The next batch of coalitions to evaluate, bool (m, n_players); None when done."""
        if self._pending is not None:
            raise RuntimeError("tell() the values of the previous batch before asking for more")
        todo = np.flatnonzero(~self._known)
        if todo.size == 0:
            return None
        if max_rows is not None:
            todo = todo[: max(1, int(max_rows))]
        self._pending = todo
        return bits.to_coalitions(self._plan[_as_slice(todo)], self.n_players)

    def tell(self, values: Any) -> None:
        """Values of the batch last returned by :meth:`next_coalitions`: (m,) or (m, d)."""
        if self._pending is None:
            raise RuntimeError("tell() called without a pending batch (call next_coalitions())")
        rows = self._pending
        arr = check_game_output(values, rows.size)
        self._pending = None
        self._store(rows, arr, squeeze=arr.ndim == 1)

    def _store(self, rows: np.ndarray, arr: np.ndarray, *, squeeze: bool) -> None:
        arr2 = arr.reshape(arr.shape[0], -1)
        if self._values is None:
            self._values = np.zeros((self._plan.shape[0], arr2.shape[1]), dtype=np.float64)
            self._squeeze = squeeze
        elif arr2.shape[1] != self._values.shape[1] or squeeze != self._squeeze:
            raise ValueError(
                f"game output has shape {arr.shape[1:] or '()'} per coalition but earlier "
                f"batches had {'()' if self._squeeze else (self._values.shape[1],)}")
        rows = _as_slice(rows)
        self._values[rows] = arr2
        self._known[rows] = True

    def abandon_pending(self) -> None:
        """Forget the pending batch (its evaluation failed); it will be handed out again."""
        self._pending = None

    def state(self, rows: Any = None) -> SamplingState:
        """The coalitions evaluated so far (or the planned ``rows``) and their values: copies,
        or read-only views of a prefix ``rows = slice(0, upto)`` (rows once told never
        change)."""
        rows = np.flatnonzero(self._known) if rows is None else rows
        if isinstance(rows, slice):
            sets = _read_only(self._plan[rows])
            vals = None if self._values is None else _read_only(self._values[rows])
        else:
            sets = self._plan[rows].copy()
            vals = None if self._values is None else self._values[rows].copy()
        return SamplingState(self.config, sets, vals, bool(self._squeeze))

    def result(self) -> InteractionResult:
        """The estimate from all planned coalitions (all must have been told)."""
        if not self.done:
            missing = int((~self._known).sum())
            raise RuntimeError(f"{missing} planned coalitions have not been evaluated yet")
        return self._wrap(*self._estimate(self.n_planned), self.n_planned)

    def result_upto(self, n_rows: int) -> InteractionResult:
        """The estimate a run with budget ``n_rows`` would give (the plan is a prefix stream)."""
        if not self._known[:n_rows].all():
            raise RuntimeError("the first n_rows planned coalitions are not all evaluated")
        res = self._wrap(*self._estimate(n_rows), n_rows)
        # this result is the run with budget n_rows: refine continues from there
        res.info["sampling_state"].config["budget"] = int(n_rows)
        return res

    # ---------------------------------------------------------------- identifiability
    def identification(self, upto: int | None = None):
        """Whether the first ``upto`` planned coalitions determine the estimate
        (:class:`~interplay.estimators._identify.Identification`, cached per prefix; None for
        estimators without a design to determine). Needs the plan only, not the values.
        Subclasses with a design give ``_design_terms``, ``_identify(upto)`` (the rank test)
        and ``_identify_by_sizes(upto)`` (full rank proven from the drawn sizes, or None)."""
        terms = self._design_terms()
        if terms is None:
            return None
        upto = self.n_planned if upto is None else min(int(upto), self.n_planned)
        cache = self.__dict__.setdefault("_identification", {})
        if upto not in cache:
            ident = self._identify_by_sizes(upto)
            # the prefix tried first: three times the basis terms, above the smallest
            # determining budget of a paired design (1.5-2.6 x the terms for n = 8..30, orders
            # 1..3); full rank there is full rank here (its design is a subset of the rows)
            pre = 3 * terms + 2 * self.n_players + 4
            if ident is None and 2 * pre <= upto and self.identification(pre).ok:
                from ._identify import Identification

                ident = Identification(True, ranks=self.identification(pre).ranks)
            cache[upto] = self._identify_once(upto) if ident is None else ident
        return cache[upto]

    def _identify_once(self, upto: int):
        """``_identify(upto)``, computed once per design: the rank test reads the planned
        coalitions only, and a seed's plan repeats across calls (``explain`` over many items,
        repeated ``approximate`` calls), so the result is kept per (estimator class, n, order,
        index capabilities, prefix) in :data:`_IDENTIFIED`."""
        key = (type(self), self.n_players, self.max_order, frozenset(self.spec.capabilities),
               bool(getattr(self, "full_enumeration", False)), self._plan[:upto].tobytes())
        if key not in _IDENTIFIED:
            if len(_IDENTIFIED) >= _IDENTIFIED_MAX:
                _IDENTIFIED.pop(next(iter(_IDENTIFIED)))  # the oldest
            with blas_limit():
                _IDENTIFIED[key] = self._identify(upto)
        ident = _IDENTIFIED[key]
        return type(ident)(ident.ok, ident.detail, ident.ranks, ident.bad_from)

    def _design_terms(self) -> int | None:
        """Number of basis terms the design must determine (None: no design)."""
        return None

    def _estimate(self, upto: int) -> tuple[np.ndarray, np.ndarray, dict]:
        """The estimate from the first ``upto`` planned coalitions; once they are all 2^n
        coalitions the index itself, from :func:`interplay.exact` on their table (no estimator's
        formula needs to become exact: regressions with basis terms that no weighted row
        determines, e.g. FSII of order n, or KernelSHAP-IQ's big-M approximation, do not)."""
        if self.n_players <= 30 and upto >= (1 << self.n_players):  # all 2^n (distinct) coalitions
            return self._exact(upto)
        # small dense solves and products: one BLAS thread (_threads); none in permutation sampling
        with blas_limit() if self.dense_algebra else contextlib.nullcontext():
            values, stderr, info = self._compute(upto)
        # a standard error the sample cannot give (e.g. SHAP-IQ with a size never drawn) is
        # unbounded: inf, never NaN
        stderr = np.where(np.isnan(stderr), np.inf, stderr)
        if self.spec.empty_is_value:
            # interplay.exact's (shapiq's) convention, e.g. SII of order 1 is SV: v(empty)
            values[0] = self._value_rows(upto)[0]
            stderr[0] = 0.0
        return values, stderr, info

    def _exact(self, upto: int) -> tuple[np.ndarray, np.ndarray, dict]:
        from ..engine import exact

        n = self.n_players
        V = self._value_rows(upto)
        table = np.empty((1 << n, V.shape[1]))
        table[self._plan[:upto, 0].astype(np.int64)] = V
        res = exact(table, self.spec)  # the index object carries its order and p
        assert np.array_equal(res.words, self._out_sets())
        values = res.values.reshape(res.values.shape[0], -1)
        return values, np.zeros_like(values), {"exact": True}

    # ---------------------------------------------------------------- subclass API
    def _compute(self, upto: int) -> tuple[np.ndarray, np.ndarray, dict]:
        raise NotImplementedError

    def _value_rows(self, upto: int) -> np.ndarray:
        assert self._values is not None
        return self._values[:upto]

    def _out_sets(self) -> np.ndarray:
        return bits.enumerate_sets(self.n_players, 0, self.max_order)

    def _baseline(self, values: np.ndarray) -> np.ndarray:
        """shapiq's convention (as interplay.exact): v(empty), except the fitted intercept
        (the empty-set entry) for FBII/FWBII. Every plan evaluates the empty coalition first."""
        if self.spec.baseline == "intercept":
            return values[0]
        assert self._values is not None
        return self._values[0, 0] if self._squeeze else self._values[0]

    def _wrap(self, values: np.ndarray, stderr: np.ndarray, info: dict, upto: int):
        sets = self._out_sets()
        if self._squeeze:
            values = values[:, 0]
            stderr = stderr[:, 0]
        ident = self.identification(upto)
        if ident is not None:
            info = {**info, **ident.info()}
            if not ident.ok:
                # never a residual-based stderr of an under-determined fit (docs/sampled.md)
                big = bits.sizes(sets)
                stderr = np.array(stderr, dtype=np.float64, copy=True)
                stderr[big >= ident.bad_from] = np.inf
        base = self._baseline(values)
        n_eval = int(info.pop("n_evaluations", upto))
        info = {"method": self.method, "seed": self.seed, **info}
        if getattr(self, "auto_reason", None):
            info["auto_reason"] = self.auto_reason
        info["sampling_state"] = self.state(slice(0, upto))
        full = upto >= (1 << self.n_players) if self.n_players < 63 else False
        return InteractionResult(
            values, sets, n_players=self.n_players, index=self.label,
            max_order=self.max_order, min_order=0, baseline_value=base, stderr=stderr,
            estimated=not full, budget_used=n_eval, n_evaluations=n_eval, info=info)


class ExactEstimator(Estimator):
    """Every one of the 2^n coalitions, then :func:`interplay.exact` on their table: what
    ``method="auto"`` runs for an index that no sampled estimator serves (Moebius) when the
    budget covers all coalitions. The phase-split protocol of the sampled estimators, so that
    :func:`interplay.explain` evaluates it with the other items' rows."""

    method = "exact"

    def __init__(self, n_players: int, spec: Index, budget: int, max_order: int, seed: int,
                 config: dict) -> None:
        super().__init__(n_players, spec, budget, max_order, seed, config)
        self._set_plan(np.arange(1 << n_players, dtype=np.uint64)[:, None])
