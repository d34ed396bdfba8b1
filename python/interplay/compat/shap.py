"""interplay results as ``shap.Explanation`` objects, and a drop-in for shap's Exact explainer.

``to_explanation`` turns one result (an instance) or a list of them (``interplay.explain``'s
output) into a ``shap.Explanation`` that shap's plots take (waterfall, bar, beeswarm, ...).
:class:`ExactExplainer` is called as ``shap.explainers.Exact`` is, on a model and a background
(an array, DataFrame or ``shap.maskers.Independent``), and computes the same values through
:func:`interplay.explain` (``TabularMasker`` with every background row as a draw: rows a
coalition leaves unchanged are evaluated once, as shap's delta trick does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..results import InteractionResult

__all__ = ["ExactExplainer", "interaction_matrix", "to_explanation"]


def interaction_matrix(result: InteractionResult) -> np.ndarray:
    """shap's interaction values of an order-2 result: (n, n) or (n, n, d).

    The diagonal holds the order-1 values and each off-diagonal cell half the pair's value, so
    that for an efficient index (k-SII, STII, FSII) the matrix sums to v(N) - v(empty). shap's
    Exact explainer with ``interactions=2`` gives this matrix for STII: its off-diagonal cells
    are ``sum_{T subset of N minus {i, j}} |T|! (n - |T| - 1)! / n! * Delta_ij(T)``, half the
    Shapley-Taylor index of Sundararajan et al. (2020). For SII the diagonal is
    ``SV_i - sum_{j != i} SII_ij / 2`` instead (the rows sum to the Shapley values:
    TreeSHAP's interaction values, Lundberg et al. 2020, whose pair cells are SII_ij / 2).

    References
    ----------
    M. Sundararajan, K. Dhamdhere, A. Agarwal, "The Shapley Taylor interaction index", ICML 2020.
    S. M. Lundberg et al., "From local explanations to global understanding with explainable AI
    for trees", Nature Machine Intelligence 2 (2020).
    """
    if result.max_order != 2 or result.min_order > 1:
        raise ValueError(f"result: shap's interaction values need orders 1 and 2, got "
                         f"{result.min_order}..{result.max_order} (explain with max_order=2)")
    n = result.n_players
    vals = result.values.reshape(len(result), -1)
    out = np.zeros((n, n, vals.shape[1]))
    for r in range(len(result)):
        ps = result.players(r)
        if len(ps) == 1:
            out[ps[0], ps[0]] += vals[r]
        elif len(ps) == 2:
            out[ps[0], ps[1]] = out[ps[1], ps[0]] = vals[r] / 2
    if result.index == "SII":  # the order-1 terms of SII are the Shapley values
        diag = np.einsum("iid->id", out).copy()
        out[np.arange(n), np.arange(n)] = diag - (out.sum(1) - diag)
    return out.reshape(out.shape[:2]) if result.values.ndim == 1 else out


def _row(result: InteractionResult) -> np.ndarray:
    """A result's shap values: order-1 values (n[, d]), or :func:`interaction_matrix`."""
    if result.max_order >= 2:
        return interaction_matrix(result)
    vals = result.values.reshape(len(result), -1)
    out = np.zeros((result.n_players, vals.shape[1]))
    for r in np.flatnonzero(result.sizes == 1):
        out[result.players(int(r))[0]] = vals[r]
    return out[:, 0] if result.values.ndim == 1 else out


def to_explanation(results: InteractionResult | Sequence[InteractionResult], data: Any = None,
                   *, feature_names: Sequence[str] | None = None) -> Any:
    """A ``shap.Explanation`` of one result or of a list of results (one per instance).

    Parameters
    ----------
    results : InteractionResult or sequence of them
        Order-1 results (SV, BV, ...) give ``values`` (n,) per instance; order-2 results give
        shap's interaction values (n, n) per instance (:func:`interaction_matrix`). A
        vector-valued result adds a trailing output axis, as shap does.
    data : array or DataFrame, optional
        The explained instances (a row, or one row per result), for the plots' feature values.
    feature_names : sequence of str, optional
        Default: the results' ``player_names``, else a DataFrame's columns.

    Returns
    -------
    shap.Explanation
        ``values`` (N, n[, n][, d]), ``base_values`` (N[, d]) = the results' ``baseline_value``
        (v(empty): the mean model output on the background), ``data``, ``feature_names``; for
        one result the leading axis N is left out.
    """
    import shap  # noqa: PLC0415  (optional dependency)

    one = isinstance(results, InteractionResult)
    items = [results] if one else list(results)
    if not items or not all(isinstance(r, InteractionResult) for r in items):
        raise TypeError("results must be an InteractionResult or a non-empty list of them")
    n = items[0].n_players
    if any(r.n_players != n or r.index != items[0].index for r in items):
        raise ValueError("results: every result must have the same index and number of players")
    if feature_names is None:
        feature_names = items[0].player_names
        if feature_names is None and hasattr(data, "columns"):
            feature_names = [str(c) for c in data.columns]
    if data is not None:
        data = np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data)
        if data.shape[-1] != n or data.size != len(items) * n:
            raise ValueError(f"data must hold {len(items)} row(s) of {n} features, "
                             f"got shape {data.shape}")
        data = data.reshape(n) if one else data.reshape(len(items), n)
    values = np.stack([_row(r) for r in items])
    base = np.stack([np.asarray(r.baseline_value, dtype=np.float64) for r in items])
    if one:
        values, base = values[0], base[0]
    return shap.Explanation(values, base_values=base, data=data,
                            feature_names=None if feature_names is None else list(feature_names))


class ExactExplainer:
    """shap's ``Exact`` explainer on interplay's engine: same call, same values.

    Parameters
    ----------
    model : callable
        ``model(X) -> (N,)`` or ``(N, d)`` on float64 rows (e.g. ``estimator.predict``).
    masker : array, DataFrame or ``shap.maskers.Independent``
        The background rows. Every row is used (shap's ``Independent`` keeps at most
        ``max_samples = 100``: give at most 100 rows, or that masker, for identical values).
    feature_names : sequence of str, optional

    Notes
    -----
    ``explainer(X)`` computes the Shapley values ``phi_i = sum_{S subset of N minus {i}}
    |S|! (n - |S| - 1)! / n! (v(S u {i}) - v(S))`` (Shapley 1953) of
    ``v(S) = mean_b f(x_S, b_{N minus S})`` over the background rows b (interventional
    imputation, Janzing et al. 2020) from all 2^n coalitions; ``interactions=2`` gives shap's
    interaction values of the Shapley-Taylor index (:func:`interaction_matrix`).
    """

    def __init__(self, model: Any, masker: Any, *, feature_names: Sequence[str] | None = None):
        if not callable(model):
            raise TypeError(f"model must be callable, got {type(model).__name__}")
        background = getattr(masker, "data", masker)  # shap.maskers.Independent keeps .data
        if feature_names is None and hasattr(background, "columns"):
            feature_names = [str(c) for c in background.columns]
        background = np.asarray(getattr(background, "to_numpy", lambda: background)(),
                                dtype=np.float64)
        if background.ndim != 2 or len(background) == 0:
            raise ValueError(f"masker: background must be a non-empty (N, n) array, got shape "
                             f"{background.shape}")
        self.model = model
        self.background = background
        self.feature_names = None if feature_names is None else list(feature_names)

    def __call__(self, X: Any, *, interactions: int = 1) -> Any:
        """A ``shap.Explanation`` of the rows of ``X`` (exact, all 2^n coalitions)."""
        from ..models import TabularMasker, explain  # noqa: PLC0415

        if interactions not in (1, 2):
            raise ValueError(f"interactions must be 1 or 2, got {interactions!r}")
        names = self.feature_names
        if names is None and hasattr(X, "columns"):
            names = [str(c) for c in X.columns]
        rows = np.asarray(getattr(X, "to_numpy", lambda: X)(), dtype=np.float64)
        if rows.ndim == 1:
            rows = rows[None, :]
        n = self.background.shape[1]
        if rows.ndim != 2 or rows.shape[1] != n:
            raise ValueError(f"X must have {n} features (as the background), got shape "
                             f"{rows.shape}")
        names = names or [f"Feature {j}" for j in range(n)]  # shap's names for plain arrays
        masker = TabularMasker(background=self.background, strategy="draws",
                               n_draws=len(self.background), feature_names=names)
        index = "SV" if interactions == 1 else "STII"
        results = explain(self.model, rows, masker=masker, index=index, max_order=interactions,
                          budget=2**n)
        return to_explanation(results, rows, feature_names=names)
