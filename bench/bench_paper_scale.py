"""Paper-scale systems (issue 12): FIxLIP's ViT-B/16 setting on a synthetic dual encoder.

196 image patches x 4 text tokens (200 players), FWBII order 2 (sum_{s <= 2} C(200, s) = 20,101
terms), p = 1/2. No real ViT: each side is a fixed random two-layer map of its masked features
(a :class:`~interplay.models.TabularMasker` over a vector of ones), so the game has the shape
and the cost structure of a CLIP-style dual encoder (m_a + m_b encoder rows per m_a x m_b grid)
at negligible model cost. Each case runs in a fresh process and reports its wall and CPU
seconds, its peak resident memory (``ru_maxrss``: the whole process, Python and numpy
included) and the engine's memory plan (``result.info["plan_bytes"]``), or the error it raised
before any game call:

* ``explain``: ``interplay.explain(None, [game], index="FWBII", max_order=2, budget=B)``;
* ``grid``: ``interplay.approximate(game, 200, "FWBII", B, player_groups=(196, 4))``;
* ``joint``: ``interplay.approximate(game, 200, "FWBII", B)`` (joint sampling).

``--basis crossmodal`` fits FIxLIP's restricted basis (empty set, players, image x text pairs) in
the explain and grid cases; ``--budget min`` is the smallest budget at which the grid determines
every term (``grid_min_budget``). ``peak_rss_bytes - rss_before_bytes`` is what the case added
to the process (after a warm-up on 4 + 3 players), ``traced_peak_bytes`` the peak of the
allocations traced by tracemalloc (numpy's, the game's included); the plan is compared with
both (``plan_over_added``, ``plan_over_traced``).

    nice -n 10 python bench/bench_paper_scale.py --budget 4096
    nice -n 10 python bench/bench_paper_scale.py --na 60 --budget 14400 --cases grid
    nice -n 10 python bench/bench_paper_scale.py --na 256 --nb 77 --basis crossmodal --budget 32768 --cases explain grid
    nice -n 10 python bench/bench_paper_scale.py --na 196 --nb 4 --budget min --cases grid
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def dual_game(na: int, nb: int, dim: int = 32, seed: int = 0):
    """A DualEncoderGame of two fixed random encoders (tanh of a linear map, then linear)."""
    import numpy as np  # noqa: PLC0415

    from interplay.models import DualEncoderGame, MaskedModel, TabularMasker  # noqa: PLC0415

    rng = np.random.default_rng(seed)

    def encoder(n):
        w1 = rng.standard_normal((n, 64)) / np.sqrt(n)
        w2 = rng.standard_normal((64, dim))

        def f(x):
            x = np.asarray(x, dtype=np.float64)
            return np.tanh(x @ w1) @ w2
        return MaskedModel(f, TabularMasker(np.zeros(n, np.float32)), numpy=True)

    return DualEncoderGame(encoder(na), np.ones(na, np.float32), encoder(nb),
                           np.ones(nb, np.float32), names=["image", "text"])


def _rss() -> int:
    """Resident memory of this process now (bytes)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_case(case: str, na: int, nb: int, budget, order: int, basis: str = "full",
             max_terms: int | None = None) -> dict:
    import interplay  # noqa: PLC0415
    from interplay.estimators._grid import grid_min_budget  # noqa: PLC0415

    # warm-up on 4 + 3 players: the modules and BLAS the case uses are loaded before the
    # resident memory is read, so that what the case adds is its arrays
    small = dual_game(4, 3)
    interplay.explain(None, [small], index="FWBII", max_order=order, budget=128, seed=0)
    interplay.approximate(small, 7, "FWBII", 128, max_order=order, seed=0)
    game = dual_game(na, nb)
    n = na + nb
    if budget == "min":
        budget = grid_min_budget(na, nb, order, basis=basis)
    budget = int(budget)
    cm = {} if basis == "full" else {"basis": basis}
    if max_terms is not None:
        cm["max_terms"] = max_terms
    out: dict = {"case": case, "na": na, "nb": nb, "budget": budget, "order": order,
                 "basis": basis, "max_terms": max_terms, "rss_before_bytes": _rss()}
    import tracemalloc  # noqa: PLC0415

    tracemalloc.start()
    t, c = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if case == "explain":
                res = interplay.explain(None, [game], index="FWBII", max_order=order,
                                        budget=budget, seed=0, **cm)[0]
            elif case == "grid":
                res = interplay.approximate(game, n, "FWBII", budget, max_order=order, seed=0,
                                            player_groups=(na, nb), **cm)
            else:
                res = interplay.approximate(game, n, "FWBII", budget, max_order=order, seed=0)
        except (ValueError, MemoryError) as exc:
            res = None
            out["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    out["wall_s"] = time.perf_counter() - t
    out["cpu_s"] = time.process_time() - c
    out["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["warnings"] = [f"{w.category.__name__}: {str(w.message)[:200]}" for w in caught]
    if res is not None:
        info = res.info
        out.update(terms=len(res.values), max_order=res.max_order,
                   plan_bytes=info.get("plan_bytes"), solver=info.get("solver"),
                   grid=info.get("grid"), n_evaluations=res.n_evaluations,
                   finite=bool(__import__("numpy").isfinite(res.values).all()),
                   stderr_finite=bool(__import__("numpy").isfinite(res.stderr).all()))
        added = out["peak_rss_bytes"] - out["rss_before_bytes"]
        if out["plan_bytes"]:
            out["plan_over_added"] = out["plan_bytes"] / max(added, 1)
            out["plan_over_traced"] = out["plan_bytes"] / max(out["traced_peak_bytes"], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--na", type=int, default=196)
    ap.add_argument("--nb", type=int, default=4)
    ap.add_argument("--budget", default="4096", help="grid cells, or 'min'")
    ap.add_argument("--basis", choices=("full", "crossmodal"), default="full")
    ap.add_argument("--order", type=int, default=2)
    ap.add_argument("--max-terms", type=int, default=None,
                    help="cap the cross-modal basis by a first-order screen")
    ap.add_argument("--cases", nargs="+", default=["explain", "grid", "joint"])
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.na, args.nb, args.budget, args.order,
                                  args.basis, args.max_terms)))
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    rows = []
    for case in args.cases:
        cmd = [sys.executable, __file__, "--child", case, "--na", str(args.na), "--nb",
               str(args.nb), "--budget", str(args.budget), "--order", str(args.order),
               "--basis", args.basis] + (
                   [] if args.max_terms is None else ["--max-terms", str(args.max_terms)])
        proc = subprocess.run(cmd, env=env, text=True, capture_output=True)
        if proc.returncode:
            rows.append({"case": case, "crash": proc.returncode, "stderr": proc.stderr[-2000:]})
        else:
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
