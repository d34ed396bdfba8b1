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

from ..engine import exact
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


def _link(link: Any) -> Any:
    """shap's link function (``shap.links.identity`` / ``logit``, their names, or a vectorised
    callable with shap's meaning) as a NumPy function; None for the identity."""
    name = link if isinstance(link, str) else getattr(link, "__name__", None)
    if link is None or name == "identity":
        return None
    if name == "logit":
        return lambda p: np.log(p / (1 - p))
    if callable(link) and not isinstance(link, str):
        return link
    raise ValueError(f"link must be shap.links.identity, shap.links.logit or a callable, "
                     f"got {link!r}")


def _link_weights(p: np.ndarray, link: Any) -> np.ndarray:
    """shap's ``link_reweighting``: weights w (k[, d]) with mean(w link(p)) = link(mean(p)) to
    first order (a linearisation of the link at the mean background output; shap 0.51,
    utils/_masked_model.py), the same arithmetic."""
    expected = np.mean(p, axis=0)
    eps = 0.0001
    gradient = (link(expected + eps) - link(expected)) / eps
    linearized = gradient * (p - expected) + link(expected)
    weights = (linearized - link(expected)) / (link(p) - link(expected))
    return weights * (weights.shape[0] / np.sum(weights, axis=0))


class ExactExplainer:
    """shap's ``Exact`` explainer on interplay's engine: same call, same values.

    Parameters
    ----------
    model : callable
        ``model(X) -> (N,)`` or ``(N, d)`` on float64 rows (e.g. ``estimator.predict``).
    masker : array, DataFrame or ``shap.maskers.Independent``
        The background rows. Every row is used (shap's ``Independent`` keeps at most
        ``max_samples = 100``: give at most 100 rows, or that masker, for identical values).
    link : shap.links.identity (default), shap.links.logit, or a vectorised callable
        The values explain ``link`` of the expected output, as shap's.
    linearize_link : bool
        shap's default True: ``v(S) = mean_b w_b link(f(x_S, b))`` with shap's linearising
        weights ``w_b`` of the background outputs; False: ``v(S) = link(mean_b f(x_S, b))``.
    feature_names : sequence of str, optional

    Notes
    -----
    ``explainer(X)`` computes the Shapley values ``phi_i = sum_{S subset of N minus {i}}
    |S|! (n - |S| - 1)! / n! (v(S u {i}) - v(S))`` (Shapley 1953) of
    ``v(S) = mean_b f(x_S, b_{N minus S})`` over the background rows b (interventional
    imputation, Janzing et al. 2020) from all 2^n coalitions; ``interactions=2`` gives shap's
    interaction values of the Shapley-Taylor index (:func:`interaction_matrix`). The masked
    rows are built by :class:`~interplay.models.TabularMasker` (only the distinct ones:
    shap's delta trick), the model runs on them in large batches and :func:`interplay.exact`
    turns the 2^n values into the index, with no scheduler or cache in between.
    """

    MAX_PLAYERS = 24
    def __init__(self, model: Any, masker: Any, link: Any = None, linearize_link: bool = True,
                 feature_names: Sequence[str] | None = None):
        if not callable(model):
            raise TypeError(f"model must be callable, got {type(model).__name__}")
        self.link = _link(link)
        if getattr(masker, "clustering", None) is not None:  # shap.maskers.Partition
            raise ValueError("masker: a clustering (shap's Partition masker) makes shap's Exact "
                             "explainer compute Owen values; give the background rows or "
                             "shap.maskers.Independent")
        background = getattr(masker, "data", masker)  # shap.maskers.Independent keeps .data
        if feature_names is None and hasattr(background, "columns"):
            feature_names = [str(c) for c in background.columns]
        try:
            background = np.asarray(getattr(background, "to_numpy", lambda: background)(),
                                    dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"masker must be background rows (an array or DataFrame) or "
                            f"shap.maskers.Independent, got {type(masker).__name__}") from None
        if background.ndim != 2 or len(background) == 0:
            raise ValueError(f"masker: background must be a non-empty (N, n) array, got shape "
                             f"{background.shape}")
        self.model = model
        self.background = background
        self.linearize_link = bool(linearize_link)
        self.feature_names = None if feature_names is None else list(feature_names)
        self._weights: np.ndarray | None = None

    def __call__(self, X: Any, *, max_evals: int | str = 100000, main_effects: bool = False,
                 error_bounds: bool = False, batch_size: int | str = "auto",
                 outputs: Any = None, interactions: int = 1, silent: bool = False) -> Any:
        """A ``shap.Explanation`` of the rows of ``X`` (exact, all 2^n coalitions).

        ``max_evals``: as shap's, a check: an instance whose features differing from some
        background row (``np.isclose``, shap's test) number k needs 2^k masked evaluations, and
        fewer ``max_evals`` raise ValueError (before any model call); it never makes the values
        approximate (interplay's budget is all 2^n coalitions). ``main_effects``: add
        ``v({i}) - v(empty)`` as ``main_effects``. ``batch_size``: coalitions per model call
        (each ``len(background)`` rows; "auto": an instance's rows in equal calls of at most
        ``TabularMasker.rows_per_call()``, about 8 MiB of input). ``error_bounds`` and
        ``silent`` are accepted and have no effect, as in shap's Exact explainer.
        """
        if isinstance(interactions, bool):  # shap's meaning: True is order 2, False order 1
            interactions = 2 if interactions else 1
        if interactions not in (1, 2):
            raise ValueError(f"interactions must be 1 or 2, got {interactions!r}")
        if outputs is not None:
            raise ValueError("outputs: selecting model outputs is not supported (explain all "
                             "outputs and index the Explanation)")
        from ..models import TabularMasker  # noqa: PLC0415

        k = len(self.background)
        n = self.background.shape[1]
        masker = TabularMasker(background=self.background, strategy="draws", n_draws=k)
        masker.numpy = True
        if batch_size == "auto":  # an instance's rows in equal calls of at most rows_per_call
            total = k << n
            step = -(-total // -(-total // masker.rows_per_call()))
        elif isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool) \
                and batch_size >= 1:
            step = int(batch_size) * k
        else:
            raise ValueError(f"batch_size must be a positive integer or 'auto', got "
                             f"{batch_size!r}")
        names = self.feature_names
        if names is None and hasattr(X, "columns"):
            names = [str(c) for c in X.columns]
        rows = np.asarray(getattr(X, "to_numpy", lambda: X)(), dtype=np.float64)
        if rows.ndim == 1:
            rows = rows[None, :]
        if rows.ndim != 2 or rows.shape[1] != n:
            raise ValueError(f"X must have {n} features (as the background), got shape "
                             f"{rows.shape}")
        if n > self.MAX_PLAYERS:
            raise ValueError(f"X: {n} features need 2^{n} coalitions per instance (at most "
                             f"{self.MAX_PLAYERS} here); use interplay.explain with a budget")
        if max_evals not in (None, "auto"):
            varying = (~np.isclose(rows[:, None, :], self.background[None])).any(1).sum(1)
            if max_evals < 2 ** int(varying.max()):
                raise ValueError(f"max_evals: it takes {2 ** int(varying.max())} masked "
                                 f"evaluations to run the Exact explainer on row "
                                 f"{int(varying.argmax())}, but max_evals={max_evals}")
        names = names or [f"Feature {j}" for j in range(n)]  # shap's names for plain arrays
        results, effects = [], []
        index = "SV" if interactions == 1 else "STII"
        coalitions = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
        for x in rows:
            table = self._table(masker, masker.encode(x), coalitions, step)
            res = exact(table, index, interactions)
            res.player_names = list(names)
            results.append(res)
            effects.append(table[1 << np.arange(n)] - table[0])
        exp = to_explanation(results, rows, feature_names=names)
        if main_effects:
            exp.main_effects = np.stack(effects)
        return exp

    def _table(self, masker: Any, inst: Any, C: np.ndarray, step: int) -> np.ndarray:
        """v(S) of every coalition S (2^n[, d]), bit i of the row index = player i: the
        distinct masked rows of ``inst`` (built for at most about 2^24 values at a time) run
        through the model ``step`` rows a call, put back and averaged per S."""
        k = masker.n_draws
        cstep = max(1, (1 << 24) // (k * max(C.shape[1], 1)))
        parts = []
        for s in range(0, len(C), cstep):
            c = C[s: s + cstep]
            found = masker.distinct_rows(inst, c)
            masked, inverse = (masker.mask(inst, c), None) if found is None else found
            out = np.concatenate([np.asarray(self.model(masked[r: r + step]), dtype=np.float64)
                                  for r in range(0, len(masked), step)])
            if out.shape[0] != len(masked):
                raise ValueError(f"model returned {out.shape[0]} rows for {len(masked)} inputs")
            out = (out if inverse is None else out[inverse]).reshape(len(c), k, *out.shape[1:])
            if self.link is None:
                parts.append(out.mean(1))
            elif not self.linearize_link:
                parts.append(self.link(out.mean(1)))
            else:
                if self._weights is None:  # shap's: from the background's outputs (S empty)
                    self._weights = _link_weights(out[0], self.link)
                parts.append((self._weights * self.link(out)).mean(1))
        return np.concatenate(parts)
