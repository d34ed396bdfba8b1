"""``ExactComputer`` with shapiq 1.8.0's interface, computed by :func:`interplay.exact`."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import shapiq
from shapiq.interaction_values import InteractionValues
from shapiq.utils import powerset

from ._common import InterplayFallbackWarning, interplay_index

_STOCK = shapiq.ExactComputer


def powerset_masks(n: int) -> np.ndarray:
    """Bitmasks (bit i = player i) of all 2^n coalitions in shapiq's powerset order.

    shapiq orders coalitions by size, then lexicographically as sorted tuples. Within one size,
    tuples in lexicographic order are the bitmasks with their bits reversed (player i -> bit
    n-1-i) in decreasing numeric order, since the numeric order of masks is the colex order.
    """
    masks = np.arange(1 << n, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(n)) & 1
    reflected = bits @ (1 << np.arange(n - 1, -1, -1, dtype=np.int64))
    return masks[np.lexsort((-reflected, bits.sum(axis=1)))]


class ExactComputer(_STOCK):
    """shapiq's ``ExactComputer(game, n_players=None, *, evaluate_game=False)``, computed by
    interplay.

    The game is evaluated once on all 2^n coalitions (one call, shapiq's powerset order, as
    shapiq does); every index interplay's exact engine has is then computed from that table by
    :func:`interplay.exact` in O(k n 2^n) instead of shapiq's Python loops over 2^n x
    sum_{s<=k} C(n, s) pairs. Results are ``shapiq.InteractionValues`` with shapiq's
    conventions: powerset order, the empty set's entry (v(empty) for SV, k-SII, STII, FSII,
    Moebius, Co-Moebius; the index's own value for SII, BII, BV, FBII), k-SII through shapiq's
    own aggregation (its key order and its dropped exact zeros), ``order=None`` meaning n, and
    the Moebius transform always of all orders. FSII is the exact constrained least-squares
    solution (shapiq's big-M weights deviate from it by up to ~3e-9).

    Indices interplay does not have yet are computed by shapiq's own code with an
    :class:`InterplayFallbackWarning`.
    """

    # ------------------------------------------------------------------ game table
    def _evaluate_game(self) -> None:
        n = self.n_players
        masks = powerset_masks(n)
        coalitions = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
        values = self._game_fun(coalitions)
        self._game_values = values
        self._baseline_value = float(values[0])
        self._masks = masks
        table = np.empty(1 << n, dtype=np.float64)
        table[masks] = np.asarray(values, dtype=np.float64).reshape(-1)
        self._table = table
        self._coalition_lookup = None  # built on first access (a dict of 2^n tuples)
        self._game_is_computed = True

    @property
    def coalition_lookup(self) -> dict[tuple[int, ...], int]:
        """Coalition (sorted tuple) -> its row in :attr:`game_values` (shapiq's powerset order)."""
        if not self._game_is_computed:
            self._evaluate_game()
        if self._coalition_lookup is None:
            self._coalition_lookup = {
                c: i for i, c in enumerate(powerset(range(self.n_players)))}
        return self._coalition_lookup

    def compute_game_values(self) -> tuple[float, np.ndarray, dict[tuple[int, ...], int]]:
        """(v(empty), the 2^n values in powerset order, coalition -> row), as shapiq returns."""
        if not self._game_is_computed:
            self._evaluate_game()
        return self._baseline_value, self._game_values, self.coalition_lookup

    @property
    def table(self) -> np.ndarray:
        """The game's 2^n values indexed by bitmask (bit i = player i), interplay's layout."""
        if not self._game_is_computed:
            self._evaluate_game()
        return self._table

    # ------------------------------------------------------------------ helpers
    def _interplay(self, name: str, index: str, order: int, *, empty: str = "index"
                   ) -> InteractionValues:
        """``interplay.exact`` of ``name`` up to ``order`` as shapiq's InteractionValues
        (labelled ``index``). ``empty``: "index" keeps the index's own value at the empty set
        and as baseline_value (FBII), otherwise v(empty) is the baseline."""
        from interplay import exact

        res = exact(self.table, name, order)
        lookup = {s: i for i, s in enumerate(powerset(range(self.n_players), max_size=order))}
        # the sets of sizes <= order lead shapiq's powerset order of all 2^n coalitions, so a
        # set's row there is its rank among all of them
        rank = np.empty(1 << self.n_players, dtype=np.int64)
        rank[self._masks] = np.arange(1 << self.n_players)
        values = np.zeros(len(lookup))
        values[rank[np.asarray(res.words[:, 0], dtype=np.int64)]] = np.asarray(res.values,
                                                                               dtype=np.float64)
        baseline = self.baseline_value
        if empty == "index":
            baseline = float(values[0])
        elif empty == "baseline":
            values[0] = baseline
        elif empty == "zero":  # shapiq's generalized values leave 0 there (BGV(1) -> BV keeps it)
            values[0] = 0.0
        return InteractionValues(values=values, index=index, max_order=order, min_order=0,
                                 n_players=self.n_players, interaction_lookup=lookup,
                                 estimated=False, baseline_value=baseline)

    def _fallback(self, index: str, method: Any, *args: Any) -> Any:
        warnings.warn(
            f"{index!r}: computed by shapiq's own ExactComputer, not interplay "
            "(interplay.compat.shapiq, docs/compat.md)", InterplayFallbackWarning, stacklevel=3)
        return method(*args)

    def _store(self, key: tuple[str, int], iv: InteractionValues) -> InteractionValues:
        self._computed[key] = iv  # a fresh object: cached as is, handed out as a copy
        return copy.deepcopy(iv)

    # ------------------------------------------------------------------ indices
    @property
    def moebius_transform(self) -> InteractionValues:
        """The Moebius transform of the game, all 2^n coefficients (shapiq ignores ``order``)."""
        key = ("Moebius", self.n_players)
        if key in self._computed:
            return self._computed[key]
        return self._store(key, self._interplay("Moebius", "Moebius", self.n_players,
                                                empty="baseline"))

    def base_interaction(self, index: str, order: int) -> InteractionValues:
        """SII, BII, CHII, Moebius, Co-Moebius or Fourier up to ``order``."""
        name = interplay_index(index)
        if index not in ("SII", "BII", "CHII", "Moebius", "Co-Moebius", "Fourier"):
            return super().base_interaction(index, order)  # shapiq's ValueError
        if name is None or order < 1:
            return self._fallback(index, super().base_interaction, index, order)
        if index == "CHII" and order >= 0:
            warnings.warn(
                f"CHII is not defined for the empty set. Setting to the baseline value "
                f"{self.baseline_value}.", stacklevel=2)
        keep = index in ("SII", "BII", "Fourier")
        iv = self._interplay(name, index, order, empty="index" if keep else "baseline")
        if keep:  # baseline_value stays v(empty), as in shapiq
            iv.baseline_value = self.baseline_value
        return self._store((index, order), iv)

    def compute_stii(self, order: int) -> InteractionValues:
        """Shapley-Taylor interaction index up to ``order``."""
        return self._interplay("STII", "STII", order, empty="baseline")

    def compute_fii(self, index: str, order: int) -> InteractionValues:
        """FSII (exact constrained solution) or FBII up to ``order``."""
        if index not in ("FSII", "FBII"):
            return super().compute_fii(index, order)  # shapiq's ValueError
        iv = self._interplay(index, index, order,
                             empty="index" if index == "FBII" else "baseline")
        return self._store((index, order), iv)

    def compute_kadd_shap(self, order: int) -> InteractionValues:
        """kADD-SHAP up to ``order``."""
        if interplay_index("kADD-SHAP") is None:
            return self._fallback("kADD-SHAP", super().compute_kadd_shap, order)
        return self._interplay(interplay_index("kADD-SHAP"), "kADD-SHAP", order,
                               empty="baseline")

    def base_generalized_value(self, index: str, order: int) -> InteractionValues:
        """SGV, BGV, CHGV, IGV or EGV up to ``order``."""
        name = interplay_index(index)
        if index not in ("SGV", "BGV", "CHGV", "IGV", "EGV"):
            return super().base_generalized_value(index, order)
        if name is None:
            return self._fallback(index, super().base_generalized_value, index, order)
        return self._store((index, order),
                           self._interplay(name, index, order, empty="zero"))

    def compute_joint_sv(self, order: int) -> InteractionValues:
        """Joint Shapley values up to ``order``."""
        if interplay_index("JointSV") is None:
            return self._fallback("JointSV", super().compute_joint_sv, order)
        return self._interplay(interplay_index("JointSV"), "JointSV", order, empty="baseline")

    def compute_egalitarian_least_core(self) -> InteractionValues:
        """Egalitarian least core: shapiq's own solver, with a warning. interplay's ELC (the
        lexicographic egalitarian least core, an LP) differs from shapiq's SLSQP solution when
        the core is empty, and shapiq also keeps the subsidy (``_elc_stability_subsidy``)."""
        return self._fallback("ELC", super().compute_egalitarian_least_core)
