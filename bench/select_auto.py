"""Measure which estimator has the lowest error per index (the table behind method="auto").

For each index, every method serving it is run on n = 20 games (lookup table, sum of unanimity
games) at budgets 1e3 and 1e4 over 5 seeds; MSE against interplay.exact on the sets of size >= 1.
    OMP_NUM_THREADS=1 PYTHONPATH=python python bench/select_auto.py
"""

from __future__ import annotations

import numpy as np

import interplay
from interplay.estimators import METHODS
from interplay.games import SumOfUnanimityGames, TableGame, evaluate_all
from interplay.indices import get_index

N = 20


def main() -> None:
    games = {"table": TableGame.random(N, seed=1),
             "soum": SumOfUnanimityGames.random(N, 60, max_size=5, seed=2)}
    tables = {k: evaluate_all(g, N) for k, g in games.items()}
    indices = sorted({i for v in METHODS.values() for i in v} | {"FSII", "FBII", "FWBII"})
    print("| index | budget | " + " | ".join(["game", "method", "MSE"]) + " |")
    for idx in indices:
        methods = [m for m, v in METHODS.items() if idx in v]
        for budget in (1000, 10_000):
            for gname, game in games.items():
                k = 1 if get_index(idx).kind == "value" else 2
                exact = interplay.exact(tables[gname], idx, k, p=0.3).values[1:]
                row = []
                for m in methods:
                    mse = np.mean([np.mean((interplay.approximate(
                        game, N, idx, budget, max_order=k, method=m, p=0.3, seed=s).values[1:]
                        - exact) ** 2) for s in range(5)])
                    row.append((mse, m))
                row.sort()
                print(f"| {idx} | {budget} | {gname} | " + ", ".join(
                    f"{m} {mse:.3g}" for mse, m in row) + " |", flush=True)


if __name__ == "__main__":
    main()
