"""A tiny exact estimator of our own, following the phase-split protocol of
interplay.estimators.make_estimator, used to test the model plumbing independently of the sampled
estimators: one round asking for every coalition (or the full grid of both groups), brute-force
Banzhaf values and pair interactions."""

from __future__ import annotations

import itertools

import numpy as np

from interplay import _sets
from interplay.results import InteractionResult


def all_coalitions(n):
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)  # row t has bits t


def banzhaf_result(table, n):
    """Banzhaf values and pair interactions: BII(S) = 2^-(n-|S|) sum_{T subset N\\S} Delta_S v(T)."""
    table = np.asarray(table, dtype=np.float64)
    sets = _sets.enumerate_sets(n, 1, 2)
    t_all = np.arange(2**n)
    vals = []
    for s in sets.tolist():
        players = [i for i in range(n) if s >> i & 1]
        t = t_all[(t_all & s) == 0]
        acc = np.zeros(len(t))
        for k in range(len(players) + 1):
            for L in itertools.combinations(players, k):
                acc += (-1) ** (len(players) - k) * table[t | sum(1 << i for i in L)]
        vals.append(acc.sum() / 2 ** (n - len(players)))
    return InteractionResult(np.array(vals), sets, n_players=n, index="BII", max_order=2,
                             min_order=1, baseline_value=float(table[0]))


class ExactBanzhaf:
    """The phase-split protocol, exactly."""

    calls = []

    def __init__(self, n, index, budget, *, max_order=2, method="auto", p=0.5, seed=None,
                 player_groups=None):
        self.n, self.groups, self.table = n, player_groups, None
        self.grid_mode = player_groups is not None
        ExactBanzhaf.calls.append(dict(n=n, index=index, budget=budget, groups=player_groups))

    def next_coalitions(self):
        return None if self.table is not None else all_coalitions(self.n)

    def tell(self, values):
        self.table = np.asarray(values)

    def next_grid(self):
        na, nb = self.groups
        return None if self.table is not None else (all_coalitions(na), all_coalitions(nb))

    def tell_grid(self, values):
        na, nb = self.groups
        a, b = np.meshgrid(np.arange(2**na), np.arange(2**nb), indexing="ij")
        table = np.empty(2**self.n)
        table[(a | (b << na)).ravel()] = np.asarray(values).ravel()
        self.table = table

    def result(self):
        return banzhaf_result(self.table, self.n)


