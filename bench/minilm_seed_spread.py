"""Issue 11 check on the real model: grid-mode FWBII of all-MiniLM-L6-v2 (bundled, offline) on
the demo pairs, explained with several seeds; for every pair of seeds and every term,
|v_s - v_t| / sqrt(se_s^2 + se_t^2) (about N(0, 1) when the standard errors are honest; on
main before issue 11 its maximum was 33). Prints per item the grid, the largest ratio and the
share of ratios below 1.96.

    OMP_NUM_THREADS=2 python bench/minilm_seed_spread.py [--seeds 5] [--budget 4096]
    OMP_NUM_THREADS=2 python bench/minilm_seed_spread.py --long   # bench_models' 16 + 48 pair

``--long``: the 16-token query x 48-token passage of bench/bench_models.py, FWBII order 2 at the
grid's minimum budget for seed 0 (``interplay.approximate`` with ``player_groups=(16, 48)``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import warnings

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv=None) -> int:
    import torch

    import interplay
    from interplay.cli import _bundled_minilm, demo_items_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=4096)
    ap.add_argument("--items", type=int, default=3)
    ap.add_argument("--long", action="store_true")
    args = ap.parse_args(argv)
    if args.long:
        return long_pair(args.seeds)
    torch.set_grad_enabled(False)
    model = _bundled_minilm("cpu")
    items = [json.loads(x) for x in demo_items_path().read_text().splitlines() if x.strip()]
    items = items[: args.items]
    pairs = [(it["query"], it["passage"]) for it in items]
    runs = []
    for seed in range(args.seeds):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            runs.append(interplay.explain(model, pairs, budget=args.budget, seed=seed))
        for x in w:
            print("warning:", x.message)
    print("| item | players | grid | budget used | max ratio | share of ratios <= 1.96 |")
    print("|---|---|---|---|---|---|")
    for i, it in enumerate(items):
        ratios = []
        for a, b in itertools.combinations(range(args.seeds), 2):
            ra, rb = runs[a][i], runs[b][i]
            se = np.sqrt(ra.stderr[1:] ** 2 + rb.stderr[1:] ** 2)
            ratios.append(np.abs(ra.values[1:] - rb.values[1:]) / se)
        r = np.concatenate(ratios)
        res = runs[0][i]
        na, nb = res.info["player_groups"]
        print(f"| {it.get('id', i)} | {na} + {nb} | {res.info['grid'][0]} x {res.info['grid'][1]}"
              f" | {res.budget_used} | {r.max():.2f} | {np.mean(r <= 1.96):.3f} |", flush=True)
    return 0


def _spread(runs):
    ratios = []
    for ra, rb in itertools.combinations(runs, 2):
        se = np.sqrt(ra.stderr[1:] ** 2 + rb.stderr[1:] ** 2)
        ratios.append(np.abs(ra.values[1:] - rb.values[1:]) / se)
    return np.concatenate(ratios)


def long_pair(seeds: int) -> int:
    import sys
    import time
    from pathlib import Path

    import interplay
    from interplay.estimators._grid import grid_min_budget

    sys.path.insert(0, str(Path(__file__).parent))
    import bench_models as bm

    model = bm.load_model()
    dual, _ = bm.make_games(model)
    budget = grid_min_budget(bm.N_Q, bm.N_P, 2, 0.5, 0)
    runs = []
    for seed in range(seeds):
        t0 = time.perf_counter()
        try:
            runs.append(interplay.approximate(dual, dual.n_players, "FWBII", budget, max_order=2,
                                              p=0.5, seed=seed, player_groups=(bm.N_Q, bm.N_P)))
        except ValueError as exc:  # the minimum is seed 0's; another seed may need more
            print(f"seed {seed}: {exc}")
            continue
        print(f"seed {seed}: grid {runs[-1].info['grid']}, {time.perf_counter() - t0:.1f} s",
              flush=True)
    r = _spread(runs)
    print(f"| {bm.N_Q} + {bm.N_P} (bench_models pair) | budget {budget} | {len(runs)} seeds | "
          f"max ratio {r.max():.2f} | share <= 1.96: {np.mean(r <= 1.96):.3f} | "
          f"median stderr {np.median(runs[0].stderr[1:]):.3g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
