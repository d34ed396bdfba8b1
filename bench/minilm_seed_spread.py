"""Issue 11 check on the real model: grid-mode FWBII of all-MiniLM-L6-v2 (bundled, offline) on
the demo pairs, explained with several seeds; for every pair of seeds and every term,
|v_s - v_t| / sqrt(se_s^2 + se_t^2) (about N(0, 1) when the standard errors are honest; on
main before issue 11 its maximum was 33). Prints per item the grid, the largest ratio and the
share of ratios below 1.96.

    OMP_NUM_THREADS=2 python bench/minilm_seed_spread.py [--seeds 5] [--budget 4096]
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
    args = ap.parse_args(argv)
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
    print(f"| item | players | grid | budget used | max ratio | share of ratios <= 1.96 |")
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


if __name__ == "__main__":
    raise SystemExit(main())
