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

    python bench/bench_coverage.py --markdown cov.md --json cov.json   # 200 seeds, n = 10, 25, 60
    python bench/bench_coverage.py --seeds 20 --n 10 --methods shapiq  # quick

Each cell's seeds run in chunks (``--chunk``, 50) spread over ``--workers`` processes; with
``--max-seconds`` a chunk stops starting seeds after that much wall time, and the cell reports
how many seeds ran (n = 60: KernelSHAP-IQ and regression take 1-5 s per run at 20 K).

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
    # method="sparse": the index of order k from sets recovered up to SPARSE_CAP (its default)
    ("sparse", "SV", 1), ("sparse", "SII", 2), ("sparse", "k-SII", 2), ("sparse", "STII", 2),
    ("sparse", "FSII", 2), ("sparse", "FBII", 2), ("sparse", "FWBII", 2),
]
#: method="sparse" searches sets up to this order (its default max_order) and reports the
#: index at the cell's order (an index object carries it)
SPARSE_CAP = 5
#: grid mode (two player groups) has its own bench: bench/bench_coverage_grid.py
GRID_CELLS: list = []
MULTIPLIERS = (0.5, 1, 2, 5, 20)
P = 0.3  # FWBII's p
#: a chunk whose first seeds all warn stops there (the design, not the game, is deficient)
WARNED_STOP = 3
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
             seeds: int, first: int = 0, max_seconds: float | None = None) -> dict:
    """One cell: coverage of +-1.96 stderr over seeds ``first .. first + seeds - 1`` (sets of
    size 1..k); with ``max_seconds``, the seeds begun before that much wall time (a stop that
    does not depend on the results: ``seeds`` reports how many ran); a chunk whose first
    WARNED_STOP seeds all warn stops there."""
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
    row = {"method": method, "index": index, "k": k, "n": n, "game": kind, "budget": budget,
           "terms": n_terms(n, k), "seeds": 0, "used": [], "warned": 0, "refused": None,
           "covered": 0, "finite": 0, "inf_entries": 0, "exact_entries": 0, "sum_e2": 0.0,
           "sum_se": 0.0, "seconds": 0.0}
    used_method = set()
    t0 = time.time()
    for seed in range(first, first + seeds):
        if max_seconds is not None and time.time() - t0 > max_seconds:
            break
        row["seeds"] += 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if method == "sparse":
                    from interplay.indices import get_index

                    res = interplay.approximate(game, n, get_index(index, k, p=P), budget,
                                                max_order=min(SPARSE_CAP, n), method=method,
                                                p=P, seed=seed)
                else:
                    res = interplay.approximate(game, n, index, budget, max_order=k,
                                                method=method, p=P, seed=seed)
            except ValueError as exc:
                row["refused"] = str(exc).splitlines()[0][:200]
                break
        used_method.add(res.info.get("method"))
        if any(issubclass(w.category, interplay.UnderdeterminedWarning) for w in caught) \
                or res.info.get("identifiable") is False:
            row["warned"] += 1
            # (method="sparse" warns from what the run finds, not from its design: every seed)
            if row["warned"] == row["seeds"] == WARNED_STOP and method != "sparse":
                break  # warned from the design before any game call: a property of the budget
            continue
        est = np.asarray(res.values)[1:]
        se = np.asarray(res.stderr)[1:]
        err = np.abs(est - tr)
        fin = np.isfinite(se)
        row["inf_entries"] += int((~fin).sum())
        # entries reported exact (stderr 0, or at rounding level: the draws of a pair outside
        # every unanimity set differ from 0 by rounding) and exact are not counted; wrong ones
        # count as not covered (a confident wrong answer)
        exact = fin & (se <= 1e-9 * scale) & (err <= 1e-9 * scale)
        row["exact_entries"] += int(exact.sum())
        fin &= ~exact
        row["finite"] += int(fin.sum())
        row["covered"] += int((err[fin] <= 1.96 * se[fin] + 1e-9 * scale).sum())
        row["sum_e2"] += float((err[fin] ** 2).sum())
        row["sum_se"] += float(se[fin].sum())
    row["used"] = sorted(m for m in used_method if m)
    row["seconds"] = round(time.time() - t0, 2)
    return finish(row)


def finish(row: dict) -> dict:
    """Derived figures of a cell from its counts (after :func:`merge` of seed chunks)."""
    fin, inf, ex = row["finite"], row["inf_entries"], row["exact_entries"]
    allent = max(fin + inf + ex, 1)
    row.update({
        "returned": row["seeds"] - row["warned"] if row["refused"] is None else 0,
        "coverage": row["covered"] / fin if fin else None,
        "inf_share": inf / allent, "exact_share": ex / allent,
        "rmse": float(np.sqrt(row["sum_e2"] / fin)) if fin else None,
        "mean_se": row["sum_se"] / fin if fin else None,
        "exact": bool(fin == 0 and inf == 0 and ex > 0)})
    return row


def merge(rows: list[dict]) -> dict:
    """One cell from chunks of its seeds."""
    out = dict(rows[0])
    for r in rows[1:]:
        for f in ("seeds", "warned", "covered", "finite", "inf_entries", "exact_entries",
                  "sum_e2", "sum_se", "seconds"):
            out[f] += r[f]
        out["refused"] = out["refused"] or r["refused"]
        out["used"] = sorted(set(out["used"]) | set(r["used"]))
    return finish(out)


def all_cells(ns, games, multipliers=MULTIPLIERS, methods=None, indices=None):
    out = []
    for n in ns:
        for kind in games:
            if kind == "table" and n > 30:
                continue  # 2^n values: impossible at n = 60 (sums of unanimity games only)
            for method, index, k in CELLS:
                if methods and method not in methods or indices and index not in indices:
                    continue
                for b in budgets(n, k, multipliers):
                    out.append((method, index, k, n, kind, b))
    return out


def _work(job):
    cell, first, count, max_seconds = job
    return run_cell(*cell, count, first=first, max_seconds=max_seconds)


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
    ap.add_argument("--seeds", type=int, default=200, help="seeds per cell")
    ap.add_argument("--n", type=int, nargs="*", default=[10, 25, 60])
    ap.add_argument("--games", nargs="*", default=list(GAMES))
    ap.add_argument("--multipliers", type=float, nargs="*", default=list(MULTIPLIERS))
    ap.add_argument("--methods", nargs="*", default=None)
    ap.add_argument("--indices", nargs="*", default=None, help="e.g. SII k-SII (default: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=50,
                    help="seeds per job (a cell's chunks run in parallel, then are merged)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="wall seconds per chunk: later seeds of the chunk are not run "
                         "(each cell reports the seeds it ran)")
    ap.add_argument("--jsonl", default=None,
                    help="append each finished chunk to this file, and do not rerun the chunks "
                         "already in it (a long run saves its partial results and resumes)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--markdown", default=None, help="write the tables of bench/RESULTS.md")
    a = ap.parse_args(argv)
    cells = [c for n in a.n for c in all_cells([n], a.games, a.multipliers, a.methods,
                                                      a.indices)]
    # chunks of one game are consecutive: each worker keeps one game and its truths
    jobs = [(c, first, min(a.chunk, a.seeds - first), a.max_seconds)
            for c in cells for first in range(0, a.seeds, a.chunk)]
    t0 = time.time()
    parts: dict = {}
    rows = []
    saved: dict = {}
    if a.jsonl and os.path.exists(a.jsonl):
        with open(a.jsonl) as f:
            for line in f:
                rec = json.loads(line)
                saved[(tuple(rec["cell"]), rec["first"], rec["count"])] = rec["row"]

    def collect(job, part, new=True):
        if new and a.jsonl:
            with open(a.jsonl, "a") as f:
                f.write(json.dumps({"cell": job[0], "first": job[1], "count": job[2],
                                    "row": part}) + "\n")
        parts.setdefault(job[0], []).append(part)
        if len(parts[job[0]]) == -(-a.seeds // a.chunk):
            rows.append(merge(parts.pop(job[0])))
            _print(rows[-1])

    for job in [j for j in jobs if (j[0], j[1], j[2]) in saved]:
        collect(job, saved[(job[0], job[1], job[2])], new=False)
    jobs = [j for j in jobs if (j[0], j[1], j[2]) not in saved]
    if a.workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(a.workers) as pool:
            for job, part in zip(jobs, pool.imap(_work, jobs, chunksize=1)):
                collect(job, part)
    else:
        for job in jobs:
            collect(job, _work(job))
    print(f"# {len(rows)} cells in {time.time() - t0:.0f} s", file=sys.stderr)
    summary(rows)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(tables(rows, a.seeds))
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


def _cell_text(r, seeds: int) -> str:
    v = verdict(r)
    b = r["budget"]
    if v == "refused":
        return f"{b}: refused"
    if v == "warned":
        return f"{b}: w"
    if v == "exact":
        return f"{b}: exact"
    if r["coverage"] is None:
        txt = f"{b}: -"
    else:
        c = f"{r['coverage']:.3f}"
        txt = f"{b}: {c}" if v.startswith("ok") else f"{b}: **{c}**"
    if r["inf_share"]:
        txt += f" ({100 * r['inf_share']:.0f}%)"
    if r["warned"]:
        txt += f" w{r['warned']}"
    if r["seeds"] < seeds:
        txt += f" [{r['seeds']} seeds]"
    return txt


def tables(rows, seeds: int) -> str:
    """Markdown tables (one per n and game: estimators x budgets) and the list of cells
    outside 0.90-0.99, warned or refused."""
    out = []
    for n in sorted({r["n"] for r in rows}):
        for kind in GAMES:
            sel = [r for r in rows if r["n"] == n and r["game"] == kind]
            if not sel:
                continue
            name = "sum of unanimity games" if kind == "soum" else "random table game"
            width = max(len([r for r in sel if (r["method"], r["index"]) == key])
                        for key in {(r["method"], r["index"]) for r in sel})
            out.append(f"n = {n}, {name} (budget: coverage; `w` warned in every seed, `wN` in "
                       "N seeds, `-` no finite stderr, `(x%)` share of inf stderr, "
                       "`[N seeds]` fewer seeds than the rest)\n")
            out.append("| method | index | K | " + " | ".join(f"B{i + 1}" for i in range(width))
                       + " |")
            out.append("|---|---|---|" + "---|" * width)
            for method, index, k in CELLS:
                cs = [r for r in sel if r["method"] == method and r["index"] == index]
                if not cs:
                    continue
                cells = [_cell_text(r, seeds) for r in sorted(cs, key=lambda r: r["budget"])]
                cells += [""] * (width - len(cells))
                out.append(f"| {method} | {index} | {cs[0]['terms']} | " + " | ".join(cells)
                           + " |")
            out.append("")
    for title, pick in (("outside 0.90-0.99", lambda v: v.startswith(("LOW", "HIGH"))),
                        ("warned in every seed", lambda v: v == "warned"),
                        ("refused", lambda v: v == "refused"),
                        ("no finite stderr", lambda v: v == "no finite stderr")):
        sel = [r for r in rows if pick(verdict(r))]
        out.append(f"Cells {title} ({len(sel)}): " + (", ".join(
            f"{r['method']} {r['index']} n={r['n']} {r['game']} B={r['budget']}"
            + (f" ({r['coverage']:.3f})" if r["coverage"] is not None
               and title.startswith("outside") else "") for r in sel) or "none") + ".\n")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
