"""Coverage of the sampled estimators' standard errors (issue 11, "Standard errors that cover").

For every estimator x index x budget x n x game, over many seeds: the share of true values
inside +-1.96 reported standard errors. The target is 0.90-0.99 in every cell where a result
is returned; cells where the estimator warns (``UnderdeterminedWarning``, result flagged
``info["identifiable"] = False``, standard errors inf) or refuses (ValueError) are listed.

Truth: ``interplay.exact`` on the game's table (n = 10, 25), the closed form of the sum of
unanimity games (n = 60: phi(S) = sum_{T superset S} c(|S|, |T|) m(T) with the index's Moebius
weights). Random table games at n = 60 would need 2^60 values: only sums of unanimity games
are run there.

Budgets are multiples of the number of terms K = sum_{s <= k} C(n, s) of the index (from below
K to 20 K), capped below 2^n (at 2^n every estimator enumerates and is exact).

Usage (OMP_NUM_THREADS=1 is set by the script)::

    python bench/bench_coverage.py            # default: ~20 min on 2 cores (SEEDS_BY_N seeds;
                                              # budgets up to 5 K at n = 60)
    python bench/bench_coverage.py --seeds 200 --n 10 --json out.json   # one n, 200 seeds
    python bench/bench_coverage.py --seeds 20 --n 10 --methods shapiq   # quick

200 seeds per cell at n = 25 and 60 take hours on 2 cores (KernelSHAP-IQ and regression at
20 K = 36,620 coalitions for n = 60: ~20 s per run); the default uses fewer seeds there.

Grid mode (two player groups) is measured by bench/bench_coverage_grid.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

#: (method, index, max_order): every estimator x index it serves (grid mode: GRID_CELLS)
CELLS = [
    ("kernelshap", "SV", 1), ("permutation", "SV", 1), ("kernelshapiq", "SV", 1),
    ("shapiq", "SV", 1), ("svarmiq", "SV", 1),
    ("kernelshapiq", "SII", 2), ("shapiq", "SII", 2), ("svarmiq", "SII", 2),
    ("permutation", "SII", 2),
    ("kernelshapiq", "k-SII", 2), ("shapiq", "k-SII", 2), ("svarmiq", "k-SII", 2),
    ("permutation", "k-SII", 2),
    ("shapiq", "STII", 2), ("svarmiq", "STII", 2), ("permutation", "STII", 2),
    ("regression", "FSII", 2), ("regression", "FBII", 2), ("regression", "FWBII", 2),
    ("auto", "SII", 2), ("auto", "STII", 2),
]
#: grid mode (two player groups) has its own bench: bench/bench_coverage_grid.py
GRID_CELLS: list = []
MULTIPLIERS = (0.5, 1, 2, 5, 20)
#: default seeds per cell by n, and the largest budget multiplier by n (bounded default run)
SEEDS_BY_N = {10: 200, 25: 20, 60: 5}
MAX_MULTIPLIER_BY_N = {60: 5}
P = 0.3  # FWBII's p
GAMES = ("soum", "table")


def n_terms(n: int, k: int) -> int:
    from math import comb

    return sum(comb(n, s) for s in range(k + 1))


def budgets(n: int, k: int, multipliers=MULTIPLIERS) -> list[int]:
    K = n_terms(n, k)
    # at 2^n every estimator enumerates (exact); near it most sizes are complete: keep the
    # budgets at or below half the coalitions
    cap = 1 << (n - 1) if n < 40 else None
    out = []
    for m in multipliers:
        b = max(4, int(round(m * K)))
        if cap is not None:
            b = min(b, cap)
        if b not in out:
            out.append(b)
    return out


def make_game(kind: str, n: int, seed: int = 2026):
    from interplay.games import SumOfUnanimityGames, TableGame

    if kind == "soum":
        return SumOfUnanimityGames.random(n, max(10, n), min_size=1, max_size=min(n, 4),
                                          seed=seed)
    if kind == "table":
        if n > 30:
            raise ValueError("random table games need 2^n values: n <= 30")
        return TableGame.random(n, seed=seed)
    raise ValueError(kind)


def truth(game, kind: str, n: int, index: str, k: int) -> np.ndarray:
    """Values of all sets of size 1..k (interplay's order: size, then colex)."""
    import interplay
    from interplay.indices import get_index

    if n <= 30:
        if kind == "table":
            table = game.values
        else:
            from interplay.games import evaluate_all

            table = evaluate_all(game, n)
        res = interplay.exact(table, index, k, p=P)
        return np.asarray(res.values)[1:]
    idx = get_index(index, k, p=P)
    c = idx.moebius_weights(n)
    _, vals = game.superset_sum(lambda s, t: float(c[s, t]), 1, k)
    return np.asarray(vals)


_TRUTH_CACHE: dict = {}
_GAME_CACHE: dict = {}


def run_cell(method: str, index: str, k: int, n: int, kind: str, budget: int,
             seeds: int) -> dict:
    """One cell: coverage of +-1.96 stderr over ``seeds`` seeds (sets of size 1..k)."""
    import interplay

    key = (kind, n)
    if key not in _GAME_CACHE:
        _GAME_CACHE.clear()
        _TRUTH_CACHE.clear()
        _GAME_CACHE[key] = make_game(kind, n)
    game = _GAME_CACHE[key]
    tkey = (kind, n, index, k)
    if tkey not in _TRUTH_CACHE:
        _TRUTH_CACHE[tkey] = truth(game, kind, n, index, k)
    tr = _TRUTH_CACHE[tkey]
    scale = max(float(np.abs(tr).max()), 1e-12)
    covered = finite = inf_entries = warned = exact_entries = 0
    refused = None
    errs, ses = [], []
    used_method = set()
    t0 = time.time()
    for seed in range(seeds):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = interplay.approximate(game, n, index, budget, max_order=k, method=method,
                                            p=P, seed=seed)
            except ValueError as exc:
                refused = str(exc).splitlines()[0][:200]
                break
        used_method.add(res.info.get("method"))
        if any(issubclass(w.category, interplay.UnderdeterminedWarning) for w in caught) \
                or res.info.get("identifiable") is False:
            warned += 1
            continue
        est = np.asarray(res.values)[1:]
        se = np.asarray(res.stderr)[1:]
        err = np.abs(est - tr)
        fin = np.isfinite(se)
        inf_entries += int((~fin).sum())
        # entries reported exact (stderr 0) and exact are not counted; wrong ones count as
        # not covered (a confident wrong answer)
        exact = fin & (se == 0) & (err <= 1e-9 * scale)
        exact_entries += int(exact.sum())
        fin &= ~exact
        finite += int(fin.sum())
        covered += int((err[fin] <= 1.96 * se[fin] + 1e-9 * scale).sum())
        errs.append(err[fin])
        ses.append(se[fin])
    e = np.concatenate(errs) if errs else np.zeros(0)
    s = np.concatenate(ses) if ses else np.zeros(0)
    return {
        "method": method, "index": index, "k": k, "n": n, "game": kind, "budget": budget,
        "terms": n_terms(n, k), "seeds": seeds, "used": sorted(m for m in used_method if m),
        "returned": seeds - warned if refused is None else 0, "warned": warned,
        "refused": refused,
        "coverage": covered / finite if finite else None,
        "inf_share": inf_entries / max(finite + inf_entries + exact_entries, 1),
        "exact_share": exact_entries / max(finite + inf_entries + exact_entries, 1),
        "rmse": float(np.sqrt(np.mean(e ** 2))) if e.size else None,
        "mean_se": float(np.mean(s)) if s.size else None,
        "exact": bool(finite == 0 and inf_entries == 0 and exact_entries > 0),
        "seconds": round(time.time() - t0, 2),
    }


def all_cells(ns, games, multipliers=MULTIPLIERS, methods=None):
    out = []
    for n in ns:
        for kind in games:
            if kind == "table" and n > 30:
                continue  # 2^n values: impossible at n = 60 (sums of unanimity games only)
            for method, index, k in CELLS:
                if methods and method not in methods:
                    continue
                for b in budgets(n, k, multipliers):
                    out.append((method, index, k, n, kind, b))
    return out


def _work(args):
    cell, seeds = args
    return run_cell(*cell, seeds)


def verdict(row, lo=0.90, hi=0.99) -> str:
    """refused / warned (every seed) / no finite stderr / exact / ok, LOW, HIGH (coverage of
    the finite standard errors), with the share of inf standard errors and warned seeds."""
    if row["refused"]:
        return "refused"
    if row["warned"] == row["seeds"]:
        return "warned"
    cov = row["coverage"]
    if row["exact"]:
        return "exact"
    if cov is None:
        return "no finite stderr"
    tag = "ok" if lo <= cov <= hi else ("LOW" if cov < lo else "HIGH")
    if row["inf_share"]:
        tag += f" (inf stderr on {100 * row['inf_share']:.0f}%)"
    return tag + (f" ({row['warned']} warned)" if row["warned"] else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds per cell (default: SEEDS_BY_N)")
    ap.add_argument("--n", type=int, nargs="*", default=[10, 25, 60])
    ap.add_argument("--games", nargs="*", default=list(GAMES))
    ap.add_argument("--multipliers", type=float, nargs="*", default=list(MULTIPLIERS))
    ap.add_argument("--methods", nargs="*", default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    jobs = []
    for n in a.n:
        mult = tuple(m for m in a.multipliers if m <= MAX_MULTIPLIER_BY_N.get(n, 1e9))
        seeds = a.seeds if a.seeds is not None else SEEDS_BY_N.get(n, 20)
        # cells of the same game are consecutive: each worker keeps one game and its truths
        jobs += [(c, seeds) for c in all_cells([n], a.games, mult, a.methods)]
    t0 = time.time()
    rows = []
    if a.workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(a.workers) as pool:
            for row in pool.imap(_work, jobs, chunksize=1):
                rows.append(row)
                _print(row)
    else:
        for job in jobs:
            row = _work(job)
            rows.append(row)
            _print(row)
    print(f"# {len(rows)} cells in {time.time() - t0:.0f} s", file=sys.stderr)
    summary(rows)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


def _print(row):
    cov = "-" if row["coverage"] is None else f"{row['coverage']:.3f}"
    print(f"{row['method']:>12} {row['index']:>5} n={row['n']:<3} {row['game']:<5} "
          f"B={row['budget']:<6} (K={row['terms']}) cov={cov} inf={row['inf_share']:.2f} "
          f"warned={row['warned']}/{row['seeds']} used={','.join(row['used'])} "
          f"{verdict(row)} [{row['seconds']} s]", flush=True)


def summary(rows):
    bad = [r for r in rows if verdict(r).startswith(("LOW", "HIGH"))]
    listed = [r for r in rows if verdict(r) in ("warned", "refused")]
    partly = [r for r in rows if r["warned"] and r["warned"] < r["seeds"]]
    ok = [r for r in rows if verdict(r).startswith("ok")]
    print(f"# cells: {len(rows)}; within 0.90-0.99: {len(ok)}; exact: "
          f"{sum(verdict(r) == 'exact' for r in rows)}; outside: {len(bad)}; warned or refused "
          f"in every seed: {len(listed)}; warned in some seeds: {len(partly)}")
    for r in bad:
        print(f"#   outside: {r['method']} {r['index']} n={r['n']} {r['game']} B={r['budget']}"
              f" coverage {r['coverage']:.3f}")


if __name__ == "__main__":
    main()
