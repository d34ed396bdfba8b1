"""Explanation fidelity: how well an interaction explanation reproduces its game.

An explanation {e_S} (interaction values over sets S of size <= k) implies the game

    v_hat(T) = sum_{S subset of T} e_S,

which equals v exactly when the explanation is the full Moebius transform, and is the best
k-additive approximation of v for the faithful indices (FSII under the Shapley kernel, FBII
under the uniform measure, FWBII under the p-product measure; Tsai, Yeh and Ravikumar 2023,
"Faith-Shap"; the p-faithfulness of FIxLIP). :func:`fidelity` measures it on coalitions drawn from
the chosen measure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import sets as bits
from .._validation import check_int, check_open_unit
from ..backends import KERNELS
from ..games.base import check_game_output


EXPLANATION_GAME = KERNELS["fidelity.explanation_game"]


class ExplanationGame:
    """The game implied by an explanation: v_hat(T) = sum_{S subset of T, S held} e_S.

    Returned by :meth:`interplay.InteractionResult.as_game`; a game like any other (coalitions
    (m, n_players) bool -> values (m,) or (m, d)).

    Parameters
    ----------
    result : InteractionResult
    backend : {"auto", "cpp", "numba", "reference"}
    """

    def __init__(self, result: Any, *, backend: str = "auto") -> None:
        self.result = result
        self.n_players = result.n_players
        self.backend, self._impl = EXPLANATION_GAME.select(backend)
        self._sets = np.ascontiguousarray(result.words)
        vals = np.asarray(result.values, dtype=np.float64)
        self._scalar = vals.ndim == 1
        self._values = np.ascontiguousarray(vals.reshape(len(result), -1))

    def __call__(self, coalitions: Any) -> np.ndarray:
        c = bits.check_coalitions(coalitions, self.n_players)
        packed = bits.from_coalitions(c)
        out = np.empty((c.shape[0], self._values.shape[1]), dtype=np.float64)
        self._impl(self._sets, self._values, packed, out)
        return out[:, 0] if self._scalar else out

    def __repr__(self) -> str:
        return f"ExplanationGame({self.result!r}, backend={self.backend!r})"


def sample_coalitions(
    n_players: int, n_coalitions: int, *, weighting: str = "shapley", p: float = 0.5, seed: Any = None
) -> np.ndarray:
    """Draw coalitions (n_coalitions, n_players) bool from a measure on coalitions.

    - ``"shapley"``: the Shapley kernel, mu(T) proportional to (n - 1) / (C(n, t) t (n - t)) for
      0 < t < n (Lundberg and Lee 2017): size t with probability proportional to 1/(t (n - t)),
      then a uniform subset of that size. The empty and grand coalitions have infinite weight in
      the kernel (they are constraints of FSII) and are not drawn.
    - ``"banzhaf"``: the p-product measure, each player present independently with
      probability p (p = 0.5: the uniform measure of Banzhaf/FBII).
    """
    n = check_int(n_players, "n_players", low=1)
    count = check_int(n_coalitions, "n_coalitions", low=1)
    rng = np.random.default_rng(seed)
    if weighting == "banzhaf":
        p = check_open_unit(p, "p")
        return rng.random((count, n)) < p
    if weighting != "shapley":
        raise ValueError(f"weighting must be 'shapley' or 'banzhaf', got {weighting!r}")
    if n < 2:
        raise ValueError("weighting='shapley' needs n_players >= 2 (no coalition with 0 < t < n)")
    t = np.arange(1, n)
    size_p = 1.0 / (t * (n - t))
    sizes = rng.choice(t, size=count, p=size_p / size_p.sum())
    keys = rng.random((count, n))
    ranks = np.argsort(np.argsort(keys, axis=1), axis=1)
    return ranks < sizes[:, None]


def fidelity(
    result: Any,
    game: Any,
    n_coalitions: int = 10_000,
    *,
    weighting: str = "shapley",
    p: float = 0.5,
    seed: Any = None,
    backend: str = "auto",
) -> dict[str, Any]:
    """How faithfully an explanation reproduces its game on coalitions drawn from a measure.

    With coalitions T_1..T_B drawn from the measure (see :func:`sample_coalitions`), the
    explanation-implied game v_hat(T) = sum_{S subset of T} e_S is compared with v:

    - ``r2``: 1 - sum_b (v(T_b) - v_hat(T_b))^2 / sum_b (v(T_b) - mean(v))^2, the weighted R^2
      (the sample is drawn from the weighting measure, so plain sums estimate weighted ones;
      the p-faithfulness of FIxLIP with ``weighting="banzhaf"``);
    - ``mse``: mean squared error; ``spearman`` and ``kendall``: rank correlations of v and v_hat.

    For a game with d outputs each entry is an array of d numbers.

    Parameters
    ----------
    result : InteractionResult
    game : callable, coalitions (m, n) bool -> (m,) or (m, d)
    n_coalitions : int
    weighting : {"shapley", "banzhaf"}
    p : float in (0, 1)
        Presence probability of the product measure (``weighting="banzhaf"``).
    seed : int or numpy Generator, optional

    Returns
    -------
    dict with keys r2, mse, spearman, kendall, n_coalitions, weighting, p.
    """
    from scipy.stats import kendalltau, rankdata

    coalitions = sample_coalitions(result.n_players, n_coalitions, weighting=weighting, p=p, seed=seed)
    v = check_game_output(game(coalitions), coalitions.shape[0], "game output")
    v_hat = ExplanationGame(result, backend=backend)(coalitions)
    if v.shape != v_hat.shape:
        raise ValueError(f"game output shape {v.shape} does not match the explanation's {v_hat.shape}")
    v2 = v.reshape(v.shape[0], -1)
    h2 = v_hat.reshape(v.shape[0], -1)
    resid = ((v2 - h2) ** 2).sum(axis=0)
    total = ((v2 - v2.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1.0 - resid / np.where(total > 0, total, 1.0), np.where(resid == 0, 1.0, -np.inf))
    mse = resid / v.shape[0]
    spear, kend = [], []
    for k in range(v2.shape[1]):
        a, b = v2[:, k], h2[:, k]
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            same = bool(np.allclose(a, b))
            spear.append(1.0 if same else np.nan)
            kend.append(1.0 if same else np.nan)
            continue
        spear.append(float(np.corrcoef(rankdata(a), rankdata(b))[0, 1]))
        kend.append(float(kendalltau(a, b).statistic))
    scalar = v.ndim == 1

    def pick(x: Any) -> Any:
        x = np.asarray(x, dtype=np.float64)
        return float(x[0]) if scalar else x

    return {
        "r2": pick(r2),
        "mse": pick(mse),
        "spearman": pick(spear),
        "kendall": pick(kend),
        "n_coalitions": int(coalitions.shape[0]),
        "weighting": weighting,
        "p": float(p),
    }


__all__ = ["EXPLANATION_GAME", "ExplanationGame", "fidelity", "sample_coalitions"]
