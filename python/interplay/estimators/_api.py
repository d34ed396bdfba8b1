"""Public entry points of the sampled estimators."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from .. import sets as bits
from .._validation import MemoryPlanError, check_int, check_open_unit, check_real
from ..indices import INDEX_NAMES, Index, get_index
from ..results import InteractionResult
from ._base import (EvaluationInterrupted, GameEvaluationError, SamplingState,
                    evaluate_rows)
from .._rng import resolve_seed

#: method -> the capabilities (``interplay.indices.CAPABILITIES``) it needs from an index: a
#: method serves every index that has all capabilities of one of its alternatives. Which
#: indices have them is declared by each index's class, so a new index needs no edit here.
NEEDS: dict[str, tuple[frozenset[str], ...]] = {
    "permutation": (frozenset({"sii_permutation"}), frozenset({"stii_permutation"})),
    "kernelshap": (frozenset({"sii_regression", "semivalue"}),),
    "regression": (frozenset({"regression"}),),
    "kernelshapiq": (frozenset({"sii_regression"}),),
    "shapiq": (frozenset({"derivative_sampling"}),),
    "svarmiq": (frozenset({"derivative_sampling"}),),
    "msr": (frozenset({"product_measure", "derivative_sampling"}),),
}
#: method="sparse" (docs/sparse.md) serves every index with Moebius weights; it is kept out of
#: NEEDS and METHODS, which list the estimators of the dense layout (every set up to max_order)
#: that sweeps and method="auto" choose from
SPARSE_NEEDS = frozenset({"moebius_weights"})
#: grid mode (player_groups): a least-squares fit under a product measure factorises over groups
GRID_NEEDS = frozenset({"regression", "product_measure"})

#: method="auto" takes the first method serving the index in this order: the lowest measured
#: error per index (bench/select_auto.py, docs/sampled.md; shapiq's explainer defaults were the
#: starting point): kernelshap for SV, kernelshapiq for SII/k-SII, regression for BV/WBV and the
#: faithful indices, msr for BII/WBII, svarmiq for STII, CHII and user-defined indices.
AUTO_ORDER = ("kernelshap", "kernelshapiq", "regression", "msr", "svarmiq", "shapiq", "permutation")


def serves(method: str, index: Index) -> bool:
    """Whether ``method`` estimates ``index`` (from the index's capabilities, see NEEDS and
    SPARSE_NEEDS)."""
    if method == "sparse":
        return SPARSE_NEEDS <= index.capabilities
    return any(need <= index.capabilities for need in NEEDS[method])


def serves_grid(index: Any) -> bool:
    """Whether ``index`` (str or index object) can be estimated in grid mode (player_groups)."""
    try:
        idx = get_index(index)
    except (TypeError, ValueError):
        return False
    return GRID_NEEDS <= idx.capabilities


def serves_any(index: Any) -> bool:
    """Whether some sampled estimator (a method of NEEDS) serves ``index`` (str or object)."""
    try:
        idx = get_index(index)
    except (TypeError, ValueError):
        return True  # let the estimator name the problem
    return any(serves(m, idx) for m in NEEDS)


#: method -> the built-in index names it serves (derived from NEEDS and the capabilities)
METHODS: dict[str, tuple[str, ...]] = {
    m: tuple(name for name in INDEX_NAMES if serves(m, get_index(name))) for m in NEEDS}


#: method="exact" (what interplay.explain runs for an index no sampled estimator serves, such as
#: Moebius): every one of the 2^n coalitions, then interplay.exact; up to this many players
EXACT_MAX_PLAYERS = 24


#: method="auto" for SII / k-SII of order k >= 2 from SII_LARGE_MIN_N players on (MultiSHAP's
#: 64 patches x 4 tokens and up) at budgets below SII_LARGE_TERMS times the sum_{1<=s<=k} C(n, s)
#: terms, where KernelSHAP-IQ's design is not determined (auto fell back to shapiq after a rank
#: test of 2.6 s CPU at 68 players): svarmiq. Measured at 68 and 132 players, budget 4096, order
#: 2, on sums of unanimity games of sizes <= 3 and <= 12 (bench/bench_sii_auto_large.py,
#: bench/RESULTS.md "MultiSHAP's SII"): svarmiq's order-2 error was 0.62-0.93x shapiq's in all
#: four and the lowest or within 2.4x of the lowest with finite standard errors (95% intervals
#: covered 0.90-0.94); permutation sampling leaves every pair with fewer than two samples
#: (stderr inf) and KernelSHAP-IQ forced was 0.04x or 6.5x svarmiq's error depending on the
#: game's order. Order 3 at 68 players, budget 16,384 (paper8's section): svarmiq's triple
#: error 0.26-0.51x shapiq's, pairs 0.90-0.95x, coverage 0.93.
SII_LARGE_MIN_N = 64
SII_LARGE_TERMS = 2
#: ... and at any budget once the sum_{1<=s<=k} C(n, s) terms exceed this: KernelSHAP-IQ's
#: order-2k moments and its K x K systems grow as K^2 m + K^3 (68 players, K = 2,346: 12.5 s
#: CPU at 4,096 coalitions; 132 players, K = 8,778, 20,000 coalitions: more than 15 min CPU
#: for one estimate, where svarmiq took 2.2 s; session 8, bench/RESULTS.md "SII auto")
SII_KERNEL_MAX_TERMS = 3000


def _svarmiq_first(served: list) -> bool:
    """KernelSHAP-IQ is auto's default and svarmiq serves the index too (SII, k-SII)."""
    return bool(served) and served[0] == "kernelshapiq" and "svarmiq" in served


def _large_sii(idx: Index, served: list, n: int | None, budget: int | None) -> bool:
    if not (_svarmiq_first(served) and idx.order is not None and idx.order >= 2
            and n is not None and budget is not None and n >= SII_LARGE_MIN_N):
        return False
    terms = bits.n_sets(n, 1, idx.order)
    return budget < SII_LARGE_TERMS * terms or terms > SII_KERNEL_MAX_TERMS


def _auto(idx: Index, n: int | None, budget: int | None) -> str:
    served = [m for m in AUTO_ORDER if serves(m, idx)]
    if not served:
        need = (f"; method='exact' computes it from all 2^{n} = {1 << n} coalitions (budget >= "
                f"{1 << n})" if n is not None and n <= EXACT_MAX_PLAYERS else "")
        use = (["method='sparse' (a sparse recovery, docs/sparse.md)"]
               if SPARSE_NEEDS <= idx.capabilities else []) + ["interplay.exact"]
        raise ValueError(f"index: no sampled estimator serves {idx.name!r} (capabilities "
                         f"{sorted(idx.capabilities)}){need}; or use {' or '.join(use)}")
    if _large_sii(idx, served, n, budget):
        return "svarmiq"
    if (served[0] == "svarmiq" and "permutation" in served and n is not None
            and budget is not None and budget < n * n and n > 2):
        # fewer coalitions than n^2: SVARM-IQ leaves strata unsampled (they contribute 0), and
        # permutation sampling is 4-100x more accurate (bench/RESULTS.md, "auto for STII")
        return "permutation"
    return served[0]


def auto_method(index: Any, p: float = 0.5, n_players: int | None = None,
                budget: int | None = None) -> str:
    """The estimator ``method="auto"`` uses for ``index`` (optionally at n_players, budget)."""
    return _auto(get_index(index, None, p=p), n_players, budget)


def _check_method(method: Any, idx: Index, n: int | None = None,
                  budget: int | None = None) -> str:
    if not isinstance(method, str):
        raise TypeError(f"method must be a str, got {type(method).__name__}")
    if method == "auto":
        return _auto(idx, n, budget)
    if method == "exact":
        if n is not None and n > EXACT_MAX_PLAYERS:
            raise ValueError(f"method='exact' evaluates all 2^n coalitions: at most "
                             f"{EXACT_MAX_PLAYERS} players, got n_players = {n}")
        if n is not None and budget is not None and budget < 1 << n:
            raise ValueError(f"budget = {budget}: method='exact' ({idx.name}) evaluates all 2^{n} "
                             f"= {1 << n} coalitions; give budget >= {1 << n}")
        return method
    if method == "sparse":
        if not SPARSE_NEEDS <= idx.capabilities:
            raise ValueError(f"method='sparse' needs an index with Moebius weights, got "
                             f"{idx.name!r}; use interplay.exact")
        return method
    if method not in NEEDS:
        raise ValueError(f"method must be 'auto', 'sparse' or one of {sorted(NEEDS)}, got "
                         f"{method!r}")
    if not serves(method, idx):
        serving = sorted(m for m in NEEDS if serves(m, idx))
        what = "user-defined index" if idx.family == "custom" else "index"
        needs = " or ".join(str(sorted(need)) for need in NEEDS[method])
        raise ValueError(
            f"method={method!r} does not estimate {what} {idx.name!r}: it needs the "
            f"capabilities {needs}; methods for {idx.name!r}: {serving}")
    return method


def _size_weights(method: str, idx: Index, n: int, k: int) -> tuple[np.ndarray, bool]:
    """Sampling weights over sizes (+inf = enumerated first) and whether to pair complements."""
    q = idx.size_mass(n)
    if "product_measure" in idx.capabilities:
        q[0] = q[n] = np.inf  # v(empty) and v(N) always evaluated (baseline; as in shapiq)
        pairing = method == "regression" and idx.p == 0.5
        return q, pairing
    for t in range(n + 1):
        if t < k or t > n - k:
            q[t] = np.inf
    if method in ("shapiq", "svarmiq"):
        # complement pairs are antithetic for the weights of even orders (g(N minus T) =
        # g(T) for SII: a main effect cancels in v(T) + v(N minus T)) and the opposite for odd
        # ones (g(N minus T) = -g(T): it doubles), so they pair for an even top order only:
        # paired, SV on a tabular game had 1.9x shapiq's error and SII of order 3 1.6x;
        # unpaired, SII pairs of order 2 had 9x the paired error (bench/RESULTS.md, issue 13)
        return q, k % 2 == 0
    return q, True


#: method="sparse": the default cap on the order of the recovered sets
SPARSE_ORDER = 5


class _DefaultOrder(int):
    """max_order's default: 2, or SPARSE_ORDER for method="sparse" (an explicit None stays
    invalid, as before)."""

    def __repr__(self) -> str:
        return "2 (5 for method='sparse')"


DEFAULT_ORDER = _DefaultOrder(2)


def make_estimator(n_players: int, index: Any, budget: int, *, max_order: int = DEFAULT_ORDER,
                   method: str = "auto", p: float = 0.5, seed: int | None = None,
                   player_groups: tuple[int, int] | None = None, pairing: bool | None = None,
                   backend: str = "auto", basis: str = "full", max_terms: int | None = None):
    """A phase-split estimator: ``next_coalitions()`` / ``tell(values)`` / ``result()``.

    Parameters are those of :func:`approximate`. The estimator plans its coalitions at
    construction (method="sparse": adaptively, batch by batch) (a prefix of a seeded stream); ``next_coalitions(max_rows=None)`` returns the
    next batch as a bool array (m, n_players), or None when all are evaluated; ``tell(values)``
    takes their values, shape (m,) or (m, d); ``result()`` returns the
    :class:`~interplay.InteractionResult`. In grid mode (``player_groups=(n_a, n_b)``) the
    estimator also offers ``next_grid()`` -> (C_a, C_b) and ``tell_grid(values)``.
    """
    from ._grid import check_basis, check_groups

    n = check_int(n_players, "n_players", low=1)
    groups = None if player_groups is None else check_groups(player_groups, n)
    budget = check_int(budget, "budget", low=2)
    p = check_open_unit(p, "p")
    if max_order is DEFAULT_ORDER:
        max_order = min(SPARSE_ORDER, n) if method == "sparse" else 2
    # an index object keeps its own order; a string name takes max_order (values: 1) and p
    idx = get_index(index, None, p=p)
    if isinstance(index, str) and idx.kind != "value":
        idx = get_index(idx, check_int(max_order, "max_order", low=1, high=n))
    k = idx.resolve_order(n)  # validated: 1 <= k <= n
    basis = check_basis(basis, max_terms, k, groups)
    if max_terms is not None and groups is None and bits.n_sets_upto(n, k) > max_terms:
        raise ValueError(f"max_terms = {max_terms}: order {k} for {n} players has "
                         f"{bits.n_sets_upto(n, k)} terms; give a larger max_terms, a smaller "
                         "max_order, or player_groups with basis='crossmodal'")
    auto = method == "auto"
    method = _check_method(method, idx, n, budget)
    large_sii = auto and _large_sii(idx, [m for m in AUTO_ORDER if serves(m, idx)], n, budget)
    seed = resolve_seed(seed)
    config = dict(n_players=n, index=index, budget=budget, max_order=k, method=method, p=p,
                  seed=seed, player_groups=player_groups, pairing=pairing, backend=backend,
                  basis=basis, max_terms=max_terms)
    if player_groups is not None and method == "sparse":
        from ._sparse_grid import SparseGridEstimator

        if basis != "full" or max_terms is not None:
            raise ValueError("basis and max_terms choose the terms of the grid regression; "
                             "method='sparse' finds its own support (leave them unset)")
        cap = max(check_int(max_order, "max_order", low=1, high=n), k)
        return SparseGridEstimator(n, idx, budget, cap, seed, {**config, "max_order": cap},
                                   n_a=groups[0], n_b=groups[1], backend=backend)
    if player_groups is not None:
        from ._grid import GridEstimator

        na, nb = groups
        if method != "regression" or not GRID_NEEDS <= idx.capabilities:
            grid = ", ".join(name for name in INDEX_NAMES if serves_grid(name))
            raise ValueError(
                "player_groups (grid mode) needs the product measure: method='regression' with "
                f"index {grid}, or method='sparse' (got method={method!r}, index={idx.name!r}); "
                "Shapley kernels do not factorise over groups")
        return GridEstimator(n, idx, budget, k, seed, config, n_a=na, n_b=nb, backend=backend,
                             basis=basis, max_terms=max_terms)
    if method == "exact":
        from ._base import ExactEstimator

        return ExactEstimator(n, idx, budget, k, seed, config)
    if method == "sparse":
        from ._sparse import SparseEstimator

        cap = max(check_int(max_order, "max_order", low=1, high=n), k)
        return SparseEstimator(n, idx, budget, cap, seed, {**config, "max_order": cap},
                               backend=backend)
    if method == "permutation":
        from ._permutation import make_permutation

        return make_permutation(n, idx, budget, k, seed, config, backend=backend)
    from . import _stratified as st
    from ._kernelshapiq import KernelShapIQ

    classes = {"regression": st.RegressionEstimator, "kernelshap": st.RegressionEstimator,
               "kernelshapiq": KernelShapIQ, "shapiq": st.ShapIQ, "svarmiq": st.SvarmIQ,
               "msr": st.MSR}
    if method in ("shapiq", "svarmiq", "kernelshapiq") and n > 1000:
        raise ValueError(
            f"n_players = {n}: method={method!r} weighs coalitions by binomial coefficients that "
            "exceed double range beyond 1000 players; use 'permutation', 'kernelshap', "
            "'regression' or 'msr'")

    def build(method, budget=budget, seed=seed):
        q, pair_default = _size_weights(method, idx, n, k)
        pair = pair_default if pairing is None else bool(pairing)
        if pair and not np.allclose(np.where(np.isinf(q), 0, q),
                                    np.where(np.isinf(q), 0, q)[::-1]):
            raise ValueError("pairing=True needs symmetric size weights (p = 0.5)")
        cfg = {**config, "method": method, "budget": budget, "seed": seed}
        est = classes[method](n, idx, budget, k, seed, cfg, size_weights=q, pairing=pair,
                              backend=backend)
        est.method = method
        return est

    try:
        est = build(method)
    except MemoryPlanError as exc:
        # auto's default (KernelSHAP-IQ's K x K system) does not fit in memory at this budget
        # (SII of order 3 at 68 players at 65,536 coalitions: 62 GiB; order 2 at 273 players at
        # 100,000: 35 GiB): an estimator without a design (svarmiq for SII / k-SII, as
        # _large_sii; else the one auto takes when the default is under-determined) rather
        # than refusing an index that other estimators serve
        if not auto:
            raise
        served = [m for m in AUTO_ORDER if serves(m, idx)]
        for fallback in (["svarmiq"] if _svarmiq_first(served) else []) + [
                m for m in AUTO_UNDERDETERMINED if serves(m, idx)]:
            if fallback == method:
                continue
            try:
                est = build(fallback)
            except MemoryPlanError:
                continue
            est.auto_reason = f"{method} does not fit in memory at budget {budget} ({exc})"
            return est
        raise
    if large_sii:
        terms = bits.n_sets(n, 1, k)
        est.auto_reason = (
            f"svarmiq: from {SII_LARGE_MIN_N} players at budgets below {SII_LARGE_TERMS} x the "
            f"{terms} terms, the lowest measured SII error with finite standard errors "
            "(bench/RESULTS.md, MultiSHAP's SII)" if budget < SII_LARGE_TERMS * terms else
            f"svarmiq: KernelSHAP-IQ's {terms}-term system (above {SII_KERNEL_MAX_TERMS}) costs "
            "minutes to hours per estimate at this size (bench/RESULTS.md, SII auto)")
    return _identified(est, build, auto=auto, index=idx, n=n, k=k, budget=budget,
                       key=(idx.name, idx.p, n, k, pairing))


#: method="auto": when the default's design does not determine the index at this budget, the
#: first of these (Monte Carlo estimators, no design to determine) that serves the index: msr
#: for BV/WBV, shapiq for SV/SII/k-SII; the faithful indices have none (a warning instead)
AUTO_UNDERDETERMINED = ("msr", "shapiq")


#: the budget a warning names is searched on a reference stream up to this many terms
REFERENCE_MAX_TERMS = 2000


def _identified(est, build, *, auto: bool, index: Index, n: int, k: int, budget: int,
                key: tuple):
    """Act on the identifiability of ``est``'s design, before any game call: method="auto"
    switches to an estimator without a design (AUTO_UNDERDETERMINED); otherwise warn
    (UnderdeterminedWarning) with the budget that determines the index; the result is then
    flagged and its fitted terms carry infinite standard errors (Estimator._wrap)."""
    from ._identify import UnderdeterminedWarning, min_budget, reference_min_budget

    ident = est.identification()
    if ident is None or ident.ok:
        return est
    fallback = next((m for m in AUTO_UNDERDETERMINED if serves(m, index)), None)
    if auto and fallback is not None:
        alt = build(fallback)
        alt.auto_reason = (f"{est.method} is under-determined at budget {budget} "
                           f"({ident.detail})")
        return alt
    method = est.method

    terms = max(t for _, t in ident.ranks.values())

    def reference():
        if terms > REFERENCE_MAX_TERMS:
            return None
        cap = 64 * terms + 4 * n
        if n <= 30:
            cap = min(cap, (1 << n) - 1)
        try:
            ref = build(method, budget=cap, seed=0)
        except ValueError:  # the reference plan does not fit in memory
            return None
        return min_budget(lambda b: ref.identification(b).ok, min(terms, cap), cap)

    need = reference_min_budget((method,) + key, reference)
    if need is None and terms > REFERENCE_MAX_TERMS:
        hint = (f"a budget well above {terms} (the number of terms; with paired complements "
                f"about twice that)")
    elif need is None:
        hint = f"a budget of 2^{n} = {1 << n} (full enumeration) or more" if n <= 30 else \
            "a much larger budget"
    elif need > budget:
        hint = f"a budget of about {need} or more (the smallest determining budget of seed 0)"
    else:
        hint = (f"a budget a little above {budget} (seed 0 is determined from {need}) or "
                "another seed")
    warnings.warn(
        f"method={method!r} cannot determine {index.name} of order {k} for n_players = {n} "
        f"from budget = {budget}: {ident.detail}. Standard errors of the fitted terms are "
        f"inf and result.info['identifiable'] is False; use {hint}.", UnderdeterminedWarning,
        stacklevel=4)  # the caller of approximate
    return est


def _check_game_players(game: Any, n: int) -> None:
    if not callable(game):
        raise TypeError(f"game must be callable (coalitions -> values), got {type(game).__name__}")
    gn = getattr(game, "n_players", None)
    if isinstance(gn, numbers.Integral) and int(gn) != n:
        raise ValueError(f"n_players = {n} but the game has n_players = {int(gn)}")


def _run(est, game, batch_size: int | None, upto: int | None = None) -> None:
    """Evaluate the estimator's pending coalitions (the first ``upto`` planned rows)."""
    grid = getattr(est, "is_grid", False)
    if grid and hasattr(game, "grid_values") and upto is None:
        if est.method == "sparse":  # products as grids, the search's batches as rows
            est.run_grid(game, batch_size)
        else:
            est.run_grid(game)
        return
    while True:
        if upto is not None:
            todo = est.n_unknown_before(upto)
            if todo == 0:
                return
            rows = todo if batch_size is None else min(batch_size, todo)
        else:
            rows = batch_size
        C = est.next_coalitions(rows)
        if C is None:
            return
        evaluate_rows(est, game, C)


def approximate(game: Any, n_players: int, index: Any, budget: int, *,
                max_order: int = DEFAULT_ORDER,
                method: str = "auto", p: float = 0.5, seed: int | None = None,
                batch_size: int | None = None, tol: float | None = None, backend: str = "auto",
                player_groups: tuple[int, int] | None = None, basis: str = "full",
                max_terms: int | None = None) -> InteractionResult:
    r"""Estimate an interaction index from a budget of coalition evaluations.

    Parameters
    ----------
    game : callable
        ``game(coalitions) -> values`` with coalitions a bool array (m, n_players) and values
        (m,) or (m, d) (shapiq's game protocol; d outputs are explained in one pass).
    n_players : int
    index : str or index object
        A name of ``interplay.indices.INDEX_NAMES`` or an index object of
        :mod:`interplay.indices` (user-defined ones included); the methods that serve it follow
        from its capabilities (:data:`METHODS` lists them for the built-in names).
    budget : int
        Distinct coalitions to evaluate (>= 2; the empty and grand coalitions count). With
        budget >= 2^n every estimator is exact.
    max_order : int
        Largest interaction order (1 for the values SV, BV, WBV); default 2. With
        method="sparse" also the cap on the order of the sets searched (default 5).
    method : str
        ``"auto"`` (the lowest measured error for the index at this n_players and budget;
        docs/sampled.md) or a method of :data:`METHODS`. ``"sparse"`` (any index with Moebius
        weights, never chosen by "auto") recovers a sparse set of Moebius coefficients for
        hundreds to thousands of players and returns the index on the subsets of the recovered
        sets only; ``result.info["moebius"]`` holds the coefficients (docs/sparse.md).
    p : float
        Product-measure weight for WBV / WBII / FWBII (0 < p < 1).
    seed : int, optional
        Same seed, same numbers (on every backend). None draws one (kept in ``result.info``).
    batch_size : int, optional
        Largest number of coalitions per game call (default: all at once).
    tol : float, optional
        Anytime mode: evaluate in doubling rounds until the largest standard error is below
        ``tol`` or the budget is spent; the result equals a run with the budget used.
    backend : {"auto", "cpp", "numba", "reference"}
    player_groups : (n_a, n_b), optional
        Grid mode for two player groups (players 0..n_a-1 and n_a..n-1): coalitions of each group
        drawn from mu_p and evaluated on the full grid (``game.grid_values(C_a, C_b)`` when the
        game has it); the weighted least squares is solved from per-group moments,
        G = G_A (x) G_B (FWBII/FBII/WBV/BV with method="regression"). Each group needs about
        1.25 times its sum_{s <= k} C(n_g, s) terms in coalitions for the grid to determine
        the fit; a smaller budget raises ``GridBudgetError`` (a ValueError with
        ``.min_budget``) before the game is called. Standard errors: delete-a-group jackknife
        over each group's coalitions (docs/sampled.md). With method="sparse" the uniform
        coalitions are a product of the groups' coalitions and the search runs within the
        groups; the budget counts joint coalitions (docs/sparse.md, "Grid mode").
    basis : {"full", "crossmodal"}
        The terms fitted in grid mode: every set of size <= max_order ("full"), or FIxLIP's
        restricted basis (Baniecki et al. 2025): the empty set, every player and every pair
        (a, b) across the two groups, K = (1 + n_a)(1 + n_b) terms, fitted by
        min_beta sum_T mu_p(T) (v(T) - sum_{S subset T, S in basis} beta_S)^2 with
        G = G_A (x) G_B (max_order 2; 256 + 77 players: 20,046 terms against 55,612).
    max_terms : int, optional
        Cap on the fitted terms. Grid mode with ``basis="crossmodal"``: a larger basis keeps
        the empty set, every player and the cross pairs of the c_a x c_b players of largest
        |main effect| (a main-effects fit on the same cells first; c_a / c_b ~ n_a / n_b,
        c_a c_b <= max_terms - 1 - n; Baniecki et al. 2025's interactive approach, restricted to
        cross pairs), whose standard errors are conditional on that selection
        (``info["screen"]`` names the players). Otherwise a fit with more terms is refused
        (ValueError, before any game call or allocation).

    Returns
    -------
    InteractionResult
        With ``stderr`` (one standard error per value), ``budget_used``, ``n_evaluations`` and
        ``info["sampling_state"]`` (for :func:`refine`).

    Raises
    ------
    GameEvaluationError
        The game raised; ``err.coalitions`` is the failed batch, ``err.state`` resumes the run.
    EvaluationInterrupted
        A KeyboardInterrupt (Ctrl-C) during a game call, with the same ``err.state``
        (``interplay.refine(err.state, game, 0)`` continues without re-evaluating; use
        ``batch_size`` so that an interrupt loses at most one batch).

    Notes
    -----
    Estimators and the indices they serve are listed in :mod:`interplay.estimators`; the theory
    and formulas are in docs/sampled.md.
    """
    est = make_estimator(n_players, index, budget, max_order=max_order, method=method, p=p,
                         seed=seed, player_groups=player_groups, backend=backend, basis=basis,
                         max_terms=max_terms)
    _check_game_players(game, est.n_players)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", low=1)
    if tol is not None and est.method == "sparse":
        raise ValueError("tol: anytime mode is not available for method='sparse'")
    if tol is not None:
        tol = check_real(tol, "tol")
        if tol <= 0:
            raise ValueError(f"tol must be > 0, got {tol}")
        return _anytime(est, game, batch_size, tol)
    _run(est, game, batch_size)
    return est.result()


def _max_se(res) -> float:
    se = res.stderr
    return float(np.max(se[1:] if len(se) > 1 else se))


def _continue(config: dict, state: SamplingState | None, game: Any,
              batch_size: int | None) -> tuple[InteractionResult, int]:
    """The run ``config`` describes, preloaded with the values in ``state``: (result, number
    of coalitions or grid cells evaluated anew)."""
    est = make_estimator(**config)
    if state is not None:
        est.preload(state)
    before = est.n_known
    _run(est, game, batch_size)
    return est.result(), est.n_known - before


def _anytime(est, game, batch_size, tol):
    """Rounds at doubling budgets until the largest standard error is below ``tol``; each
    round's result equals a single run at its budget. A sampled plan is a prefix stream, so a
    round evaluates the next rows of the same plan. A grid's split moves with the budget, so a
    grid round is a run at its budget continuing the previous one as :func:`refine` does
    (every evaluated cell on the new grid is reused)."""
    if getattr(est, "is_grid", False):
        from ._grid import grid_min_budget

        total, state, evaluated = est.budget, None, 0
        # no round below the budget at which the grid determines every term (a round whose fit
        # is not determined has no honest standard error to stop on)
        first = max(16, total // 16, grid_min_budget(est.n_a, est.n_b, est.max_order,
                                                     est.spec.p, est.seed))

        def run_round(budget):
            nonlocal state, evaluated
            res, new = _continue({**est.config, "budget": budget}, state, game, batch_size)
            state = res.info["sampling_state"]
            evaluated += new
            res.info["anytime_cells_evaluated"] = evaluated
            return budget, res
    else:
        total = est.n_planned
        first = max(2, total // 16)

        def run_round(budget):
            budget = est.round_boundary(budget)
            _run(est, game, batch_size, upto=budget)
            return budget, est.result_upto(budget)
    budget = min(total, first)
    while True:
        budget, res = run_round(budget)
        if budget >= total or (res.stderr is not None and _max_se(res) < tol):
            res.info["anytime_rounds_budget"] = budget
            return res
        budget = min(total, 2 * budget)


def refine(result: InteractionResult | SamplingState, game: Any, extra_budget: int, *,
           batch_size: int | None = None) -> InteractionResult:
    """Continue a sampled estimate with ``extra_budget`` more distinct coalitions.

    The refined result equals a single run with the total budget and the same seed, bit for
    bit, when the game gives each coalition the same value in any batch (a model whose matrix
    products round differently with the batch size may differ in the last bits, which an
    ill-conditioned fit can amplify); every coalition evaluated before is reused, not
    re-evaluated. ``result`` may also be the
    ``state`` of a :class:`GameEvaluationError` or :class:`EvaluationInterrupted` (resume an
    interrupted run; extra_budget=0).
    """
    if isinstance(result, InteractionResult):
        state = result.info.get("sampling_state")
        if state is None:
            raise ValueError("result has no sampling_state: only sampled results can be refined")
    elif isinstance(result, SamplingState):
        state = result
    else:
        raise TypeError(f"result must be an InteractionResult or SamplingState, got "
                        f"{type(result).__name__}")
    extra = check_int(extra_budget, "extra_budget", low=0)
    cfg = dict(state.config)
    _check_game_players(game, cfg["n_players"])
    cfg["budget"] = cfg["budget"] + extra
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", low=1)
    res, _ = _continue(cfg, state, game, batch_size)
    res.info["reused_evaluations"] = state.n_evaluated
    return res
