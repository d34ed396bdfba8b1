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
from collections.abc import Iterator
from pathlib import Path

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
                    out.append({"n": n, "terms": terms, "noise": noise, "budget": budget,
                                "seed": n + terms})
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
    import interplay
    from _sparse_games import SparseGame, score

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


def peer_env() -> dict[str, str]:
    """The environment of a child in the shapiq Python: one thread, none of our PYTHONPATH, and
    INTERPLAY_SHAPIQ_EXTRA_PATH (if set) as its PYTHONPATH: a folder of packages the peer's
    proxies need beyond shapiq (.ci/run puts LightGBM there, outside the shapiq environment,
    whose own unit tests, tests/test_shapiq_peer.py, expect it absent)."""
    env = {**os.environ, **ONE_THREAD}
    env.pop("PYTHONPATH", None)
    extra = os.environ.get("INTERPLAY_SHAPIQ_EXTRA_PATH")
    if extra:
        env["PYTHONPATH"] = extra
    return env


def run_peer(method: str, todo: list[dict], python: str) -> Iterator[dict]:
    """The peer's cells in one process of the shapiq Python, yielded as they finish (its stderr
    goes to a temporary file: LightGBM's warnings would fill a pipe)."""
    env = peer_env()
    with tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen([python, str(HERE / "_spex_child.py"), str(HERE)], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                             text=True)
        p.stdin.write(json.dumps({"method": method, "cells": todo}) + "\n")
        p.stdin.close()
        setup = {}
        for line in p.stdout:
            rec = json.loads(line)
            if "setup_cpu" in rec and "n" not in rec:
                setup = rec  # the process's set-up CPU and the shapiq / lightgbm versions
                continue
            rec.update(setup)
            print(f"{method} {rec['n']},{rec['terms']},{rec['noise']},{rec['budget']}: "
                  f"R2 {rec.get('r2', float('nan')):.4f} recall "
                  f"{rec.get('recall', float('nan')):.2f} cpu {rec['cpu_outside_game']:.2f} s "
                  f"{rec.get('error') or ''}", flush=True)
            yield rec
        p.wait()
        if p.returncode:
            err.seek(0)
            print(err.read()[-2000:], file=sys.stderr)


#: the peers' method names (bench/_spex_child.py's make_peer): "ProxySPEX" is shapiq's default
#: (LightGBM in its grid search), "ProxySPEX-notune" the same with hpo=False
PEERS = ("SPEX", "ProxySPEX", "ProxySPEX-notune")


def cell_key(r: dict) -> tuple:
    return (r["n"], r["terms"], r["noise"], r["budget"])


def below(ours: dict | None, peer: dict | None) -> list[str]:
    """Where interplay's row is below a peer's: R^2 at the table's 4 decimals, recall (a
    multiple of 0.05) exactly; empty when either row is missing or failed."""
    if not ours or not peer or ours.get("error") or peer.get("error"):
        return []
    out = []
    if round(ours["r2"], 4) < round(peer["r2"], 4):
        out.append("R^2")
    if round(ours["recall"], 2) < round(peer["recall"], 2):
        out.append("recall")
    return out


def table(rows: list[dict], methods: tuple[str, ...] = PEERS, sources: dict | None = None) -> str:
    """One line per cell: interplay and each peer in `methods` (R^2, recall, CPU s, MB), and
    where interplay is below a peer. `sources` maps id(row) to a label shown after the row."""
    by = {}
    for r in rows:
        by.setdefault(cell_key(r), {})[r["method"]] = r
    cols = ("interplay sparse", *methods)
    head = ("| n, terms, noise, budget | interplay sparse: R^2, recall, CPU s (fresh process), MB"
            + "".join(f" | {m}: R^2, recall, CPU s, MB" for m in methods)
            + " | interplay below |\n|" + "---|" * (len(cols) + 2))
    lines = [head]

    def cell(r):
        if r is None:
            return "not run"
        if r.get("error"):
            return "error: " + r["error"].splitlines()[-1][:60]
        src = f" [{sources[id(r)]}]" if sources and id(r) in sources else ""
        # a peer's own peak in the cell where recorded, else its process's peak so far
        mb = r.get("cell_peak_mb") or r["maxrss_mb"]
        return (f"{r['r2']:.4f}, {r['recall']:.2f}, {r['cpu_outside_game']:.2f} s, "
                f"{mb:.0f} MB{src}")

    for k in sorted(by):
        n, terms, noise, budget = k
        d = by[k]
        flags = [f"{m} ({' and '.join(w)})" for m in methods
                 if (w := below(d.get("interplay sparse"), d.get(m)))]
        lines.append(f"| {n}, {terms}, {'2%' if noise else '0'}, {budget} | "
                     + " | ".join(cell(d.get(m)) for m in cols)
                     + f" | {'**below ' + ', '.join(flags) + '**' if flags else '-'} |")
    return "\n".join(lines)


def merge(specs: list[str]) -> tuple[list[dict], dict]:
    """Rows of several json files, `path` or `path=label`; a later file's row replaces an
    earlier one of the same method and cell. Returns the rows and {id(row): label} for the
    rows of labelled files."""
    rows = {}
    for spec in specs:
        path, _, label = spec.partition("=")
        for r in json.loads(Path(path).read_text()):
            rows[(r["method"], cell_key(r))] = (r, label)
    return [r for r, _ in rows.values()], {id(r): label for r, label in rows.values() if label}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--out", default=str(HERE / "sparse.json"))
    ap.add_argument("--peers", choices=["none", "subset", "all"], default="subset",
                    help="the peers' cells: none, PEER_CELLS, or every cell of the grid")
    ap.add_argument("--methods", default="SPEX,ProxySPEX",
                    help=f"peers to run, comma-separated, among {', '.join(PEERS)}")
    ap.add_argument("--max-budget", type=int, default=None,
                    help="run the peers only on cells with at most this budget")
    ap.add_argument("--min-budget", type=int, default=None,
                    help="run the peers only on cells with at least this budget")
    ap.add_argument("--peer-n", type=int, nargs="+", default=None,
                    help="run the peers only on cells with these n")
    ap.add_argument("--peer-terms", type=int, nargs="+", default=None,
                    help="run the peers only on cells with these numbers of terms")
    ap.add_argument("--peer-noise", type=float, nargs="+", default=None,
                    help="run the peers only on cells with these noise levels (0, 0.02)")
    ap.add_argument("--only", choices=["interplay", "peers", "all"], default="all")
    ap.add_argument("--table", nargs="+", metavar="JSON[=LABEL]",
                    help="print the table of these json files (a later file's row replaces an "
                         "earlier one of the same method and cell; a file's LABEL is shown after "
                         "its rows); run nothing")
    args = ap.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    if args.table:
        rows, sources = merge(args.table)
        print(table(rows, sources=sources))
        return
    unknown = set(args.methods.split(",")) - set(PEERS)
    if unknown:
        ap.error(f"unknown peer(s) {sorted(unknown)}; known: {', '.join(PEERS)}")
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
            {"n": n, "terms": t, "noise": z, "budget": b, "seed": n + t}
            for n, t, z, b in PEER_CELLS]
        if args.max_budget:
            todo = [c for c in todo if c["budget"] <= args.max_budget]
        if args.min_budget:
            todo = [c for c in todo if c["budget"] >= args.min_budget]
        if args.peer_n:
            todo = [c for c in todo if c["n"] in args.peer_n]
        if args.peer_terms:
            todo = [c for c in todo if c["terms"] in args.peer_terms]
        if args.peer_noise is not None:
            todo = [c for c in todo if c["noise"] in args.peer_noise]
        for method in args.methods.split(","):
            redo = {cell_key(c) for c in todo}
            rows = [r for r in rows if r["method"] != method or cell_key(r) not in redo]
            for rec in run_peer(method, todo, python):
                rows.append(rec)
                out.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
