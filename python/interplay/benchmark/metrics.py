"""Scores of an estimate against the ground truth, over the sets of size 1..k.

Order 0 (the empty set: v(empty) or an intercept) is not an attribution and is left out of the
error and ranking scores, as in bench/bench_sampled.py and shapiq_benchmark.metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: two-sided 95% normal quantile of the coverage score
Z95 = 1.959963984540054

__all__ = ["Z95", "align", "faithfulness_r2", "score"]


def align(truth: Any, result: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """The estimate's values (and standard errors, or None) on ``truth``'s sets of size >= 1,
    in ``truth``'s order; a set the estimate does not hold is 0 (standard error nan)."""
    rows = np.flatnonzero(truth.sizes >= 1)
    want, have = truth.words[rows], result.words
    # sets as rows of words: sort the estimate's, binary-search the truth's (one key per set)
    key = np.dtype((np.void, have.dtype.itemsize * have.shape[1]))
    hk = np.ascontiguousarray(have).view(key).ravel()
    wk = np.ascontiguousarray(want).view(key).ravel()
    order = np.argsort(hk, kind="stable")
    pos = np.minimum(np.searchsorted(hk[order], wk), max(len(hk) - 1, 0))
    found = hk[order][pos] == wk if len(hk) else np.zeros(len(wk), dtype=bool)
    src = order[pos] if len(hk) else pos
    est = np.where(found, result.values[src] if len(hk) else 0.0, 0.0)
    se = None
    if result.stderr is not None:
        se = np.where(found, result.stderr[src] if len(hk) else np.nan, np.nan)
    return est.astype(np.float64), se


def _top(values: np.ndarray, k: int) -> set:
    return set(np.argsort(-np.abs(values), kind="stable")[:k].tolist())


def score(true: np.ndarray, est: np.ndarray, stderr: np.ndarray | None = None, *,
          k: int = 10) -> dict[str, float]:
    r"""Error, ranking and coverage scores of ``est`` against ``true`` (aligned vectors).

    - ``mse`` = mean (est - true)^2, ``mae`` = mean |est - true|;
    - ``precision_at_k`` = |top_k(|est|) & top_k(|true|)| / k with k = min(k, len), ties broken
      by position (the first set in interplay's order: by size, then bitmask);
    - ``kendall`` (tau-b) and ``spearman`` of est and true (nan when either is constant);
    - ``coverage``: share of the sets with a finite standard error whose interval
      est +- 1.96 se holds the true value (nan without finite standard errors);
      ``coverage_n``: how many sets had one.
    """
    from scipy.stats import kendalltau, spearmanr

    true = np.asarray(true, dtype=np.float64)
    est = np.asarray(est, dtype=np.float64)
    d = est - true
    out = {"mse": float(np.mean(d ** 2)), "mae": float(np.mean(np.abs(d)))}
    kk = min(int(k), true.size)
    out["precision_at_k"] = len(_top(est, kk) & _top(true, kk)) / kk if kk else float("nan")
    if true.size >= 2 and np.ptp(true) > 0 and np.ptp(est) > 0 and np.isfinite(est).all():
        out["kendall"] = float(kendalltau(true, est).statistic)
        out["spearman"] = float(spearmanr(true, est).statistic)
    else:
        out["kendall"] = out["spearman"] = float("nan")
    if stderr is None:
        out["coverage"], out["coverage_n"] = float("nan"), 0
    else:
        se = np.asarray(stderr, dtype=np.float64)
        ok = np.isfinite(se)
        out["coverage_n"] = int(ok.sum())
        out["coverage"] = (float(np.mean(np.abs(d[ok]) <= Z95 * se[ok])) if ok.any()
                           else float("nan"))
    return out


def faithfulness_r2(v: np.ndarray, v_hat: np.ndarray) -> float:
    """R^2 = 1 - sum (v - v_hat)^2 / sum (v - mean v)^2 on a coalition sample (the fidelity of
    :func:`interplay.fidelity`; v_hat(T) = sum_{S subset T} e_S is the explanation's game)."""
    v = np.asarray(v, dtype=np.float64)
    total = float(np.sum((v - v.mean()) ** 2))
    resid = float(np.sum((v - np.asarray(v_hat)) ** 2))
    if total == 0:
        return 1.0 if resid == 0 else float("-inf")
    return 1.0 - resid / total
