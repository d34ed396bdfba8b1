"""Coverage of grid mode's standard errors (issue 11): the share of true values inside
+-1.96 stderr, over seeds, for FWBII in grid mode (two player groups).

Each cell: n players split (n_a, n_b) unevenly and evenly, a budget (grid cells) given as a
multiple of the number of terms K = sum_{s <= k} C(n, s) (below K to 20 K) and of the grid's
minimum budget (``interplay.estimators._grid.grid_min_budget``: the budget at which the grid
determines every term); `seeds` seeds each, on a sum of unanimity games (closed-form FWBII)
and, for n <= 12, a random table game (exact FWBII from its 2^n values). Cells where the
estimator refuses (GridBudgetError, before any game call) are listed with the budget it asks
for. Output: one Markdown row per cell (the format of bench/RESULTS.md).

    OMP_NUM_THREADS=1 python bench/bench_coverage_grid.py --seeds 200 [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from math import comb

import numpy as np

import interplay
from interplay import indices as ix
from interplay.estimators._grid import GridBudgetError, grid_min_budget
from interplay.games import SumOfUnanimityGames, TableGame, evaluate_all

Z = 1.96


def truth_of(game, n: int, k: int, p: float) -> np.ndarray:
    if isinstance(game, SumOfUnanimityGames):
        w = ix.FWBII(p, k).moebius_weights(n)
        return game.superset_sum(lambda s, t: w[s, t], 0, k)[1]
    return interplay.exact(evaluate_all(game, n), ix.FWBII(p, k)).values


def make_game(kind: str, n: int, seed: int):
    if kind == "soum":
        return SumOfUnanimityGames.random(n, 2 * n, max_size=4, seed=seed)
    return TableGame.random(n, seed=seed)


def coverage_cell(kind: str, na: int, nb: int, k: int, budget: int, seeds: int, p: float = 0.5,
                  game_seed: int = 0, method: str = "regression") -> dict:
    """Coverage of one cell: share of (seed, term) pairs with |estimate - truth| <= 1.96 se
    (terms of order >= 1), or the refusal. method="sparse": FWBII of order k from sets found
    up to its default cap (5); seeds it flags (UnderdeterminedWarning, identifiable False)
    are counted apart, and entries reported exact (stderr and error at rounding level) too."""
    import warnings

    n = na + nb
    game = make_game(kind, n, game_seed)
    truth = truth_of(game, n, k, p)
    inside = total = refused = warned = exact = inf = 0
    grid = None
    zmax = 0.0
    err_max = 0.0
    t0 = time.time()
    for seed in range(seeds):
        try:
            if method == "sparse":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", interplay.UnderdeterminedWarning)
                    res = interplay.approximate(game, n, ix.FWBII(p, k), budget, seed=seed,
                                                method="sparse", player_groups=(na, nb))
                if res.info.get("identifiable") is False:
                    warned += 1
                    continue
            else:
                res = interplay.approximate(game, n, "FWBII", budget, max_order=k, p=p,
                                            seed=seed, player_groups=(na, nb))
        except GridBudgetError as exc:
            # the minimum depends on the seed's coalitions (their rank): count the refusals
            refused += 1
            min_budget = exc.min_budget
            continue
        grid = res.info["grid"]
        err = np.abs(res.values[1:] - truth[1:])
        se = res.stderr[1:]
        tiny = 1e-9 * (1 + np.abs(truth[1:]).max())
        if method == "sparse":  # exact entries (a recovered game) are listed, not covered,
            ex = (se <= tiny) & (err <= tiny)  # and so are entries with stderr inf
            exact += int(ex.sum())
            inf += int((~ex & ~np.isfinite(se)).sum())
            keep = ~ex & np.isfinite(se)
            err, se = err[keep], se[keep]
        ok = err <= Z * se + 1e-12 * (1 + np.abs(truth[1:]).max())
        inside += int(ok.sum())
        total += ok.size
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(err > 1e-12, err / se, 0.0)
        if z.size:
            zmax = max(zmax, float(np.max(z)))
            err_max = max(err_max, float(err.max()))
    if total == 0 and method == "sparse":
        return {"status": "sparse", "warned": warned, "exact": exact, "grid": grid,
                "inf": inf, "seconds": time.time() - t0}
    if total == 0:
        return {"status": "refused", "min_budget": min_budget}
    return {"status": "ok", "coverage": inside / total, "max_z": zmax, "max_err": err_max,
            "grid": grid, "refused": refused, "seconds": time.time() - t0, "warned": warned,
            "exact": exact, "inf": inf}


def cells(quick: bool, ns=None, min_factors=(1, 2, 4)):
    k = 2
    splits = {10: [(3, 7), (5, 5)], 25: [(5, 20), (12, 13)], 60: [(10, 50), (30, 30)]}
    if quick:
        splits = {10: [(3, 7), (5, 5)], 25: [(5, 20)]}
    for n, pairs in splits.items():
        if ns and n not in ns:
            continue
        K = sum(comb(n, s) for s in range(k + 1))
        for na, nb in pairs:
            mins = grid_min_budget(na, nb, k, 0.5, 0)
            budgets = sorted({max(2, int(f * K)) for f in (0.5, 1, 2, 5, 20)}
                             | {int(f * mins) for f in min_factors})
            kinds = ["soum"] + (["table"] if n <= 12 else [])
            for kind in kinds:
                for b in budgets:
                    yield kind, na, nb, k, b, K, mins


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--max-seconds-per-cell", type=float, default=600.0,
                    help="cells whose first seed predicts more are skipped (listed)")
    ap.add_argument("--n", type=int, nargs="*", help="only these n (10, 25, 60)")
    ap.add_argument("--min-factors", type=float, nargs="*", default=[1, 2, 4],
                    help="budgets as multiples of the grid's minimum budget (besides 0.5-20 x K)")
    ap.add_argument("--method", choices=("regression", "sparse"), default="regression")
    args = ap.parse_args(argv)
    if args.method == "sparse":
        return sparse_main(args)
    print("| game | n (n_a + n_b) | k | budget | budget / terms | grid m_a x m_b | result | "
          "share inside +-1.96 se | max abs z | max error |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, na, nb, k, b, K, mins in cells(args.quick, args.n, args.min_factors):
        first = coverage_cell(kind, na, nb, k, b, min(3, args.seeds))
        head = f"| {kind} | {na + nb} ({na} + {nb}) | {k} | {b} | {b / K:.2f} |"
        if first["status"] == "refused":
            print(f"{head} - | refused (needs budget >= {first['min_budget']}) | - | - | - |",
                  flush=True)
            continue
        if first["seconds"] / min(3, args.seeds) * args.seeds > args.max_seconds_per_cell:
            per = first['seconds'] / min(3, args.seeds)
            print(f"{head} {first['grid'][0]} x {first['grid'][1]} | not run ({per:.1f}"
                  f" s per seed) | - | - | - |", flush=True)
            continue
        r = coverage_cell(kind, na, nb, k, b, args.seeds)
        what = "returned" if not r["refused"] else f"returned ({r['refused']} seeds refused)"
        if r["grid"] == (1 << na, 1 << nb):
            what = "exact (full grid, stderr 0)"
        print(f"{head} {r['grid'][0]} x {r['grid'][1]} | {what} | {r['coverage']:.3f} | "
              f"{r['max_z']:.2f} | {r['max_err']:.3g} |", flush=True)
    return 0


def sparse_main(args) -> int:
    """method="sparse" in grid mode: every cell of :func:`cells` (the grid's minimum budget
    does not apply: budgets 0.5-20 x K), with the seeds flagged and the exact entries."""
    print("| game | n (n_a + n_b) | k | budget | budget / terms | seeds flagged | exact entries "
          "| entries with stderr inf | share inside +-1.96 se (other entries) | max abs z |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    done = set()
    for kind, na, nb, k, b, K, _ in cells(args.quick, args.n, ()):
        if (kind, na, nb, b) in done:
            continue
        done.add((kind, na, nb, b))
        r = coverage_cell(kind, na, nb, k, b, args.seeds, method="sparse")
        head = f"| {kind} | {na + nb} ({na} + {nb}) | {k} | {b} | {b / K:.2f} |"
        cov = "-" if r["status"] != "ok" else f"{r['coverage']:.3f}"
        z = "-" if r["status"] != "ok" else f"{r['max_z']:.2f}"
        print(f"{head} {r['warned']}/{args.seeds} | {r['exact']} | {r.get('inf', 0)} | {cov} | "
              f"{z} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
