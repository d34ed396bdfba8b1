"""shapiq 1.8.0's approximator classes, estimated by interplay's sampled estimators.

Each class subclasses shapiq's class of the same name, so its constructor (signature, defaults,
validation), attributes, ``repr``/``==``/``hash`` and ``isinstance`` checks are shapiq's own;
only ``approximate(budget, game, ...)`` runs interplay's estimator (the table ``ROUTES``). A
configuration interplay cannot reproduce (user ``sampling_weights``, an index the interplay
method does not serve, a class without a counterpart) runs shapiq's own code with an
:class:`InterplayFallbackWarning`: never a silently different result.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from typing import Any

import numpy as np
from shapiq import approximator as _sa

from ._common import InterplayFallbackWarning

#: shapiq class name -> interplay method (None: no counterpart, shapiq's own code with a warning)
ROUTES: dict[str, str | None] = {
    "KernelSHAP": "kernelshap",
    "KernelSHAPIQ": "kernelshapiq",
    "RegressionFSII": "regression",
    "RegressionFBII": "regression",
    "SHAPIQ": "shapiq",
    "UnbiasedKernelSHAP": "shapiq",
    "SVARMIQ": "svarmiq",
    "SVARM": "svarmiq",
    "PermutationSamplingSV": "permutation",
    "PermutationSamplingSII": "permutation",
    "PermutationSamplingSTII": "permutation",
    # sparse Moebius recovery for hundreds to thousands of players (docs/sparse.md): the
    # constructor's proxy_model / hpo / sampling choices have no counterpart and are not used
    "SPEX": "sparse",
    "ProxySPEX": "sparse",
    # no counterpart in interplay: shapiq's own estimator, with a warning
    "LeverageSHAP": None,
    "InconsistentKernelSHAPIQ": None,
    "kADDSHAP": None,
    "OddSHAP": None,
    "PolySHAP": None,
    "OwenSamplingSV": None,
    "StratifiedSamplingSV": None,
    "RegressionMSR": None,
    "ProxySHAP": None,
    "ShaplEIG": None,
}

#: what each fallback lacks in interplay (docs/compat.md lists the same)
NO_COUNTERPART = {
    "LeverageSHAP": "no leverage-score sampling (interplay's KernelSHAP was 1.1-1.5x its error)",
    "InconsistentKernelSHAPIQ": "interplay's KernelSHAP-IQ is the consistent (iterative) one",
    "kADDSHAP": "no sampled kADD-SHAP estimator",
    "OddSHAP": "no odd-interaction (tree surrogate) estimator",
    "PolySHAP": "no polynomial-augmented regression",
    "OwenSamplingSV": "no Owen (multilinear extension) sampling",
    "StratifiedSamplingSV": "no (player, size) stratified marginal sampling",
    "RegressionMSR": "no proxy-model (xgboost) estimator",
    "ProxySHAP": "no proxy-model (xgboost) estimator",
    "ShaplEIG": "no Gaussian-process experimental design",
}


def _seed(approximator: Any) -> int:
    """interplay's seed for the next ``approximate`` call: ``random_state`` itself on the first
    call after construction or ``set_random_state`` (so that it equals ``interplay.approximate``
    with ``seed=random_state``), then draws from shapiq's generator, so successive calls differ
    as shapiq's do; without a ``random_state`` always a draw."""
    state = getattr(approximator, "_random_state", None)
    if state is not None and not getattr(approximator, "_interplay_seeded", False):
        approximator._interplay_seeded = True
        return int(state)
    return int(approximator._rng.integers(0, 2**63 - 1))


class _Refused(Exception):
    """interplay's estimator refused the configuration (raised before any game call)."""


class _Interplay:
    """``approximate`` through interplay; everything else is shapiq's class."""

    _interplay_method: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._interplay_user_weights = kwargs.get("sampling_weights") is not None

    def set_random_state(self, random_state: int | None = None) -> None:
        """shapiq's ``set_random_state``; the next call uses ``random_state`` as the seed."""
        super().set_random_state(random_state)  # type: ignore[misc]
        self._interplay_seeded = False

    def _interplay_plan(self, budget: int) -> tuple[str, str] | str:
        """(interplay method, interplay index) or the reason to use shapiq's own code."""
        from interplay.estimators._api import serves
        from interplay.indices import get_index

        method = self._interplay_method
        name = type(self).__name__
        if method is None:
            return f"interplay has no counterpart of {name} ({NO_COUNTERPART.get(name, '')})"
        if self._interplay_user_weights:
            return "user sampling_weights have no counterpart in interplay's estimators"
        if not isinstance(budget, (int, np.integer)) or budget < 2:
            return f"budget {budget!r} < 2"
        # the sparse route computes the index itself from the Moebius coefficients (as
        # ProxySPEX does; shapiq's aggregation of SII would fill lower orders under top_order)
        index = self.index if self.index in ("SV", "BV") or method == "sparse" \
            else self.approximation_index
        try:
            idx = get_index(index, None if index in ("SV", "BV") else self.max_order)
        except (TypeError, ValueError) as err:
            return f"index {index!r}: {err}"
        if not serves(method, idx):
            return f"interplay's {method!r} estimator does not estimate {index!r}"
        return method, index

    def approximate(self, budget: int, game: Any, *args: Any, **kwargs: Any) -> Any:
        """Estimate the interaction values from ``budget`` game evaluations (shapiq's
        signature); see the class docstring for the conventions."""
        plan = self._interplay_plan(budget)
        if not isinstance(plan, str):
            rows = self._rows_per_call(args, kwargs)
            try:
                return self._interplay_run(int(budget), game, *plan, rows=rows)
            except _Refused as err:  # before any game call
                plan = str(err)
        warnings.warn(f"{type(self).__name__}: {plan}; computed by shapiq's own "
                      f"{type(self).__name__} (docs/compat.md)", InterplayFallbackWarning,
                      stacklevel=2)
        return super().approximate(budget, game, *args, **kwargs)  # type: ignore[misc]

    def _sparse_lookup(self, found: dict) -> dict:
        """SPEX / ProxySPEX's output sets: the non-zero sets (above 1e-12 of the largest value)
        of the sparse result of orders
        min_order..max_order (only max_order with ``top_order``), the empty set always when
        min_order is 0, by size then players."""
        low = self.max_order if getattr(self, "top_order", False) else self.min_order
        tiny = 1e-12 * max((abs(v) for v in found.values()), default=0.0)  # rounding residue
        keep = sorted((s for s, v in found.items()
                       if low <= len(s) <= self.max_order and (abs(v) > tiny or not s)),
                      key=lambda s: (len(s), s))
        if low == 0 and () not in keep:
            keep.insert(0, ())
        return {s: i for i, s in enumerate(keep)}

    def _rows_per_call(self, args: tuple, kwargs: dict) -> int | None:
        """Coalitions per game call. shapiq's permutation samplers take ``batch_size``
        permutations per call (None: 1; defaults 5 for SV and SII, 1 for STII), that is
        ``batch_size * iteration_cost`` coalitions; the other approximators take no batch size
        and ignore extra arguments, as shapiq's do (None: the planned coalitions in one call)."""
        if self._interplay_method != "permutation":
            return None
        stock = inspect.signature(type(self).__mro__[2].approximate).parameters["batch_size"]
        size = args[0] if args else kwargs.get("batch_size", stock.default)
        size = 1 if size is None else size
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"batch_size must be a positive integer or None, got {size!r}")
        return int(size) * int(self.iteration_cost)

    def _interplay_run(self, budget: int, game: Any, method: str, index: str,
                       rows: int | None = None) -> Any:
        from interplay.estimators import make_estimator
        from shapiq.interaction_values import InteractionValues

        n = self.n
        full = 1 << n if n < 63 else None
        spend = budget if full is None else min(budget, full)
        order = 1 if index in ("SV", "BV") else self.max_order
        # shapiq's pairing_trick (its default False): with the same pairing interplay's
        # estimators match shapiq's errors; interplay's own default pairs the Shapley kernels,
        # which is 1.5-1.9x worse on some games and 10x better on others (docs/compat.md)
        sampler = getattr(self, "_sampler", None)
        pairing = bool(getattr(sampler, "pairing_trick", False))
        seed = _seed(self)

        def build(b: int) -> Any:
            try:
                est = make_estimator(n, index, b, max_order=order, method=method, seed=seed,
                                     pairing=pairing)
            except ValueError as err:  # e.g. a budget below the estimator's minimum
                raise _Refused(f"interplay's {method!r} estimator refused: {err}") from err
            return est

        est = build(spend)
        coalitions = est.next_coalitions()
        empty = np.flatnonzero(~coalitions.any(axis=1))
        extra = None
        if empty.size == 0:  # v(empty) is shapiq's baseline: evaluate it within the budget
            est = build(spend - 1)
            coalitions = est.next_coalitions()
            extra = float(np.asarray(game(np.zeros((1, n), dtype=bool))).reshape(-1)[0])
        used = 0 if extra is None else 1
        step = rows or 1 << 62
        while coalitions is not None:
            values = np.concatenate([
                np.asarray(game(coalitions[s: s + step]), dtype=np.float64).reshape(-1)
                for s in range(0, len(coalitions), step)] or [np.zeros(0)]).reshape(len(coalitions))
            if extra is None and empty.size:
                extra = float(values[empty[0]])
            est.tell(values)
            used += len(coalitions)
            coalitions = est.next_coalitions()
        res = est.result()
        found = res.to_dict()
        lookup = self.interaction_lookup
        if method == "sparse":
            lookup = self._sparse_lookup(found)
        out = np.array([float(found.get(s, 0.0)) for s in lookup])
        baseline = float(extra)
        if () in lookup:
            name = type(self).__name__
            if name == "RegressionFBII":
                out[lookup[()]] = float(found.get((), baseline))  # the fitted FBII(empty)
            elif name == "PermutationSamplingSII" and self.approximation_index == "SII":
                out[lookup[()]] = 0.0  # shapiq's permutation SII leaves the empty set at 0
            else:
                out[lookup[()]] = baseline
        if method == "sparse" and () not in lookup:
            baseline = 0.0  # SPEX / ProxySPEX with top_order: no empty set, baseline 0
        permutation = method == "permutation"
        iv = InteractionValues(
            values=out, index=index if method == "sparse" else self.approximation_index,
            interaction_lookup=lookup,
            baseline_value=baseline, min_order=self.min_order, max_order=self.max_order,
            n_players=n, estimated=True if permutation else not (full and budget >= full),
            estimation_budget=used if permutation else budget, target_index=self.index)
        if method == "sparse":  # as stock SPEX: the approximator's lookup is the output's
            self._interaction_lookup = dict(iv.interaction_lookup)
        return iv


def _make(name: str) -> type:
    stock = getattr(_sa, name)
    method = ROUTES[name]
    how = (f"estimated by interplay's ``method={method!r}``" if method else
           f"shapiq's own estimator with an InterplayFallbackWarning ({NO_COUNTERPART[name]})")
    doc = (f"shapiq's ``{name}`` (same constructor, defaults and attributes); "
           f"``approximate`` is {how}.\n\n" + (stock.__doc__ or ""))
    cls = type(name, (_Interplay, stock), {"_interplay_method": method, "__doc__": doc,
                                           "__module__": __name__, "__qualname__": name})
    return cls


for _name in ROUTES:
    setattr(sys.modules[__name__], _name, _make(_name))

__all__ = sorted(ROUTES)
