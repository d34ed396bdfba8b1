"""Games with known answers: unanimity games and their sums, additive and symmetric games.

A sum of unanimity games v(T) = sum_k c_k [S_k subset of T] has Moebius coefficients m(S_k) = c_k
(and 0 elsewhere), so every index with Moebius-space weights is known in closed form:
phi(S) = sum_{T superset of S} c(|S|, |T|) m(T). They are the standard ground truth of
interaction estimators (shapiq's SOUM; Fumagalli et al. 2023, "SHAP-IQ").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations
from math import comb
from typing import Any

import numpy as np

from .. import sets as bits
from .._validation import check_int, check_numeric_array, check_finite
from .base import check_coalitions


class SumOfUnanimityGames:
    """v(T) = baseline + sum_k c_k [S_k subset of T] (a sum of unanimity games, SOUM).

    Parameters
    ----------
    n_players : int
    interactions : sequence of sequences of players
        The basis sets S_k (each a collection of player indices; may repeat, they add up).
    coefficients : array_like, shape (K,) or (K, d)
        c_k; a 2-D array makes a vector-valued game with d outputs.
    baseline : float or array (d,)
        v(empty set).
    """

    def __init__(
        self,
        n_players: int,
        interactions: Sequence[Sequence[int]],
        coefficients: Any,
        baseline: Any = 0.0,
    ) -> None:
        self.n_players = check_int(n_players, "n_players", low=1)
        coef = check_numeric_array(coefficients, "coefficients").astype(np.float64)
        if coef.ndim not in (1, 2) or coef.shape[0] != len(interactions):
            raise ValueError(
                f"coefficients must have shape ({len(interactions)},) or ({len(interactions)}, d), "
                f"got {coef.shape}"
            )
        check_finite(coef, "coefficients")
        self.interactions = [tuple(sorted(set(int(p) for p in s))) for s in interactions]
        packed = [bits.players_to_set(s, self.n_players) for s in self.interactions]
        self._basis = np.array(packed, dtype=np.uint64).reshape(len(packed), bits.n_words(n_players))
        self.coefficients = coef
        base = np.asarray(baseline, dtype=np.float64)
        if coef.ndim == 2 and base.ndim == 0:
            base = np.full(coef.shape[1], float(base))
        self.baseline = base
        self.n_calls = 0
        self.n_rows = 0

    @classmethod
    def random(
        cls,
        n_players: int,
        n_basis: int,
        *,
        min_size: int = 1,
        max_size: int | None = None,
        d: int | None = None,
        seed: int | None = None,
    ) -> SumOfUnanimityGames:
        """Random basis sets (sizes uniform in [min_size, max_size]) with N(0, 1) coefficients."""
        rng = np.random.default_rng(seed)
        max_size = n_players if max_size is None else min(max_size, n_players)
        if not 0 <= min_size <= max_size:
            raise ValueError(f"min_size must lie in [0, max_size = {max_size}], got {min_size}")
        sizes = rng.integers(min_size, max_size + 1, size=n_basis)
        interactions = [tuple(rng.choice(n_players, size=s, replace=False)) for s in sizes]
        shape = (n_basis,) if d is None else (n_basis, d)
        baseline = rng.normal() if d is None else rng.normal(size=d)
        return cls(n_players, interactions, rng.normal(size=shape), baseline)

    def __call__(self, coalitions: Any) -> np.ndarray:
        c = check_coalitions(coalitions, self.n_players)
        self.n_calls += 1
        self.n_rows += c.shape[0]
        vals = bits.contained_sum(self._basis, self.coefficients, bits.from_coalitions(c))
        return vals + self.baseline

    def moebius(self) -> dict[tuple[int, ...], Any]:
        """Non-zero Moebius coefficients ``{players: m(S)}``, the empty set included."""
        out: dict[tuple[int, ...], Any] = {(): self.baseline.copy() if self.baseline.ndim else float(self.baseline)}
        for s, c in zip(self.interactions, self.coefficients):
            if s in out:
                out[s] = out[s] + c
            else:
                out[s] = c.copy() if np.ndim(c) else float(c)
        return out

    def superset_sum(
        self, weight: Callable[[int, int], float], min_order: int, max_order: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """phi(S) = sum_{T superset of S} weight(|S|, |T|) m(T) for all min_order <= |S| <= max_order.

        Returns (sets, values) with sets ordered by size then value (interplay's convention).
        Cost O(K * sum_s C(max|T|, s)): only subsets of the basis sets can be non-zero.
        """
        n = self.n_players
        mob = self.moebius()
        acc: dict[tuple[int, ...], Any] = {}
        for t_set, m in mob.items():
            t = len(t_set)
            for s in range(min_order, min(max_order, t) + 1):
                w = weight(s, t)
                if w == 0:
                    continue
                for sub in combinations(t_set, s):
                    acc[sub] = acc.get(sub, 0.0) + w * np.asarray(m)
        sets = bits.enumerate_sets(n, min_order, max_order)
        d = self.coefficients.shape[1:] if self.coefficients.ndim == 2 else ()
        values = np.zeros((len(sets),) + d)
        keys = {bits.set_key(s): i for i, s in enumerate(sets)}
        for sub, v in acc.items():
            values[keys[sum(1 << p for p in sub)]] = v
        return bits.public(sets).copy(), values


class UnanimityGame(SumOfUnanimityGames):
    """v(T) = [S subset of T]: its Shapley value is 1/|S| for each member of S."""

    def __init__(self, n_players: int, players: Sequence[int]) -> None:
        super().__init__(n_players, [tuple(players)], np.ones(1), 0.0)


class AdditiveGame:
    """v(T) = baseline + sum_{i in T} w_i: Shapley = Banzhaf = w, every interaction is 0."""

    def __init__(self, weights: Any, baseline: float = 0.0) -> None:
        w = check_numeric_array(weights, "weights").astype(np.float64)
        if w.ndim not in (1, 2):
            raise ValueError(f"weights must have shape (n,) or (n, d), got {w.shape}")
        check_finite(w, "weights")
        self.weights = w
        self.n_players = w.shape[0]
        self.baseline = float(baseline)

    def __call__(self, coalitions: Any) -> np.ndarray:
        c = check_coalitions(coalitions, self.n_players)
        return c.astype(np.float64) @ self.weights + self.baseline


class SymmetricGame:
    """v(T) = f(|T|): every player is symmetric, so each Shapley value is (f(n) - f(0)) / n.

    Parameters
    ----------
    n_players : int
    values_by_size : array_like, shape (n + 1,)
        f(0), ..., f(n).
    """

    def __init__(self, n_players: int, values_by_size: Any) -> None:
        self.n_players = check_int(n_players, "n_players", low=1)
        f = check_numeric_array(values_by_size, "values_by_size").astype(np.float64)
        if f.shape != (self.n_players + 1,):
            raise ValueError(f"values_by_size must have shape ({self.n_players + 1},), got {f.shape}")
        check_finite(f, "values_by_size")
        self.values_by_size = f

    def __call__(self, coalitions: Any) -> np.ndarray:
        c = check_coalitions(coalitions, self.n_players)
        return self.values_by_size[c.sum(axis=1)]

    def moebius_by_size(self) -> np.ndarray:
        """m(S) depends only on |S| = s: m_s = sum_j (-1)^(s-j) C(s, j) f(j)."""
        f = self.values_by_size
        return np.array(
            [sum((-1) ** (s - j) * comb(s, j) * f[j] for j in range(s + 1)) for s in range(len(f))]
        )
