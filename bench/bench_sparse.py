"""Issue 17: method="sparse" against shapiq 1.8.0's SPEX and ProxySPEX on sparse games.

Sums of unanimity games (orders 1-4, coefficients N(0, 1); _sparse_games.py), n = 128..1000,
20 or 100 terms, with and without 2% dense noise, budgets 2,000 / 10,000 / 20,000 / 50,000.
Per cell: R^2 on 2,000 held-out uniform coalitions (against the game as evaluated), recall of
the true top-20 sets, CPU seconds outside the game, peak RSS. One thread everywhere
(OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS=1). interplay runs each cell in a fresh process (its CPU
includes Python start-up and imports); each peer runs all its cells in one process, whose
one-time set-up (imports, numba/galois compilation) is reported apart.

    nice -n 10 env PYTHONPATH=python INTERPLAY_SHAPIQ_PYTHON=/work/shapiq312/bin/python \\
        python bench/bench_sparse.py --out bench/sparse.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                               "NUMBA_NUM_THREADS", "INTERPLAY_NUM_THREADS")}


def cells(full: bool) -> list[dict]:
    out = []
    for n in (128, 256, 512, 1000):
        for terms in (20, 100):
            for noise in (0.0, 0.02):
                for budget in (2000, 10000, 20000, 50000):
                    if budget == 20000 and not (n == 1000 and terms == 100):
                        continue
                    out.append(dict(n=n, terms=terms, noise=noise, budget=budget, seed=n + terms))
    return out


#: the cells the peers run (their time per cell is 5-60 s plus a set-up per process): the
#: issue's six, the largest cells, and one noisy cell per n
PEER_CELLS = [(128, 20, 0.0, 2000), (512, 20, 0.0, 10000), (1000, 20, 0.0, 2000),
              (1000, 100, 0.0, 10000), (1000, 100, 0.0, 50000), (1000, 20, 0.02, 10000),
              (256, 100, 0.0, 10000), (1000, 100, 0.02, 50000), (128, 20, 0.02, 10000),
              (512, 100, 0.02, 10000)]


def child(cell: dict) -> None:
    """One interplay cell in this (fresh) process; prints one JSON line."""
    sys.path.insert(0, str(HERE))
    from _sparse_games import SparseGame, score

    import interplay

    game = SparseGame(cell["n"], cell["terms"], cell["seed"], cell["noise"])
    setup = time.process_time()
    t0 = time.process_time()
    res = interplay.approximate(game, cell["n"], "k-SII", cell["budget"], method="sparse",
                                max_order=5, seed=cell["seed"])
    cpu_call = time.process_time() - t0 - game.cpu
    mo = res.info["moebius"]
    moeb = {p: float(v) for p, v in mo.to_dict().items()}
    total = time.process_time() - game.cpu
    out = {**cell, "method": "interplay sparse", "cpu_outside_game": total,
           "cpu_call": cpu_call, "setup_cpu": setup, "evaluations": game.rows,
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "heldout_r2_reported": float(res.info.get("heldout_r2", float("nan"))),
           "search_evaluations": res.info.get("search_evaluations"),
           "search_mode": res.info.get("search_mode"), **score(game, moeb)}
    print(json.dumps(out), flush=True)


def run_interplay(todo: list[dict]) -> list[dict]:
    env = {**os.environ, **ONE_THREAD}
    rows = []
    for cell in todo:
        p = subprocess.run([sys.executable, __file__, "--child", json.dumps(cell)], env=env,
                           capture_output=True, text=True, check=False)
        if p.returncode:
            rows.append({**cell, "method": "interplay sparse", "error": p.stderr[-300:]})
        else:
            rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"interplay {cell}: R2 {r.get('r2', float('nan')):.4f} recall "
              f"{r.get('recall', float('nan')):.2f} cpu {r.get('cpu_outside_game', 0):.2f} s",
              flush=True)
    return rows


def run_peer(method: str, todo: list[dict], python: str) -> Iterator[dict]:
    """The peer's cells in one process of the shapiq Python, yielded as they finish (its stderr
    goes to a temporary file: LightGBM's warnings would fill a pipe)."""
    env = {**os.environ, **ONE_THREAD}
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen([python, str(HERE / "_spex_child.py"), str(HERE)], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                             text=True)
        p.stdin.write(json.dumps({"method": method, "cells": todo}) + "\n")
        p.stdin.close()
        setup = None
        for line in p.stdout:
            rec = json.loads(line)
            if "setup_cpu" in rec and "n" not in rec:
                setup = rec["setup_cpu"]
                continue
            rec["setup_cpu"] = setup
            print(f"{method} {rec['n']},{rec['terms']},{rec['noise']},{rec['budget']}: "
                  f"R2 {rec.get('r2', float('nan')):.4f} recall "
                  f"{rec.get('recall', float('nan')):.2f} cpu {rec['cpu_outside_game']:.2f} s "
                  f"{rec.get('error') or ''}", flush=True)
            yield rec
        p.wait()
        if p.returncode:
            err.seek(0)
            print(err.read()[-2000:], file=sys.stderr)


def table(rows: list[dict]) -> str:
    key = lambda r: (r["n"], r["terms"], r["noise"], r["budget"])  # noqa: E731
    by = {}
    for r in rows:
        by.setdefault(key(r), {})[r["method"]] = r
    head = ("| n, terms, noise, budget | interplay sparse: R^2, recall, CPU s (fresh process), "
            "MB | SPEX | ProxySPEX |\n|---|---|---|---|")
    lines = [head]

    def cell(r):
        if r is None:
            return "-"
        if r.get("error"):
            return "error: " + r["error"].splitlines()[-1][:60]
        return (f"{r['r2']:.4f}, {r['recall']:.2f}, {r['cpu_outside_game']:.2f} s, "
                f"{r['maxrss_mb']:.0f} MB")

    for k in sorted(by):
        n, terms, noise, budget = k
        d = by[k]
        lines.append(f"| {n}, {terms}, {'2%' if noise else '0'}, {budget} | "
                     f"{cell(d.get('interplay sparse'))} | {cell(d.get('SPEX'))} | "
                     f"{cell(d.get('ProxySPEX'))} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--out", default=str(HERE / "sparse.json"))
    ap.add_argument("--peers", choices=["none", "subset", "all"], default="subset",
                    help="the peers' cells: none, PEER_CELLS, or every cell of the grid")
    ap.add_argument("--methods", default="SPEX,ProxySPEX", help="peers to run, comma-separated")
    ap.add_argument("--max-budget", type=int, default=None,
                    help="run the peers only on cells with at most this budget")
    ap.add_argument("--min-budget", type=int, default=None,
                    help="run the peers only on cells with at least this budget")
    ap.add_argument("--peer-n", type=int, nargs="+", default=None,
                    help="run the peers only on cells with these n")
    ap.add_argument("--peer-terms", type=int, nargs="+", default=None,
                    help="run the peers only on cells with these numbers of terms")
    ap.add_argument("--only", choices=["interplay", "peers", "all"], default="all")
    args = ap.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    rows = []
    out = Path(args.out)
    if out.exists():
        rows = json.loads(out.read_text())
    if args.only in ("interplay", "all"):
        rows = [r for r in rows if r["method"] != "interplay sparse"]
        rows += run_interplay(cells(True))
        out.write_text(json.dumps(rows, indent=1))
    if args.peers != "none" and args.only in ("peers", "all"):
        python = os.environ.get("INTERPLAY_SHAPIQ_PYTHON")
        if not python:
            sys.exit("set INTERPLAY_SHAPIQ_PYTHON to the Python with shapiq 1.8.0")
        todo = cells(True) if args.peers == "all" else [
            dict(n=n, terms=t, noise=z, budget=b, seed=n + t) for n, t, z, b in PEER_CELLS]
        if args.max_budget:
            todo = [c for c in todo if c["budget"] <= args.max_budget]
        if args.min_budget:
            todo = [c for c in todo if c["budget"] >= args.min_budget]
        if args.peer_n:
            todo = [c for c in todo if c["n"] in args.peer_n]
        if args.peer_terms:
            todo = [c for c in todo if c["terms"] in args.peer_terms]
        for method in args.methods.split(","):
            key = lambda r: (r["n"], r["terms"], r["noise"], r["budget"])  # noqa: E731
            redo = {key(c) for c in todo}
            rows = [r for r in rows if r["method"] != method or key(r) not in redo]
            for rec in run_peer(method, todo, python):
                rows.append(rec)
                out.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
