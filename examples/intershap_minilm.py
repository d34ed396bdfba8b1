"""InterSHAP (Wenderoth et al., AAAI 2025): how much of a model's behaviour is cross-modal
interaction, here of all-MiniLM-L6-v2 as a dual encoder on (query, passage) pairs, the query
and the passage being the two modalities.

Two ways, both printed:

* the modality game (InterSHAP's own): per pair, v(empty), v(query only), v(passage only),
  v(both) of the masked similarity, InterSHAP = sum_{i != j} Phi_ij / sum_ij Phi_ij from the
  Shapley interaction of the two modalities (exact: 4 coalitions per pair);
* player level: faithful Shapley interactions (FSII, order 2) of the query and passage tokens,
  summed by modality (``groups="names"``), which equals the modality game's InterSHAP when the
  explanation is 2-additive and is an aggregate of token interactions otherwise.

FWBII, ``explain``'s default, is a Banzhaf index and is refused by ``intershap`` (its message
says what to pass).

    python examples/intershap_minilm.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import interplay
import numpy as np
from interplay.metrics import intershap
from interplay.models.api import build_games

PAIRS = [("cats sleep", "my cat naps all day"), ("rain falls", "wet streets today"),
         ("strong coffee", "espresso wakes me up"), ("fast car", "a slow old bicycle")]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=len(PAIRS))
    ap.add_argument("--budget", type=int, default=2**9)
    args = ap.parse_args(argv)
    from _models import minilm

    model = minilm()
    pairs = PAIRS[: args.pairs]
    games = build_games(model, pairs)
    tables = []
    for g in games:  # the modality game: coalitions of whole modalities
        na, nb = g.player_groups
        C = np.zeros((4, na + nb), dtype=bool)
        C[1, :na] = C[3, :na] = True       # row = bitmask: 1 = query, 2 = passage
        C[2, na:] = C[3, na:] = True
        tables.append(g(C))
    modality = intershap(tables=np.array(tables))
    res = interplay.explain(model, pairs, index="FSII", budget=args.budget)
    tokens = intershap(res, groups="names")
    out = {"modality_game": modality["intershap"], "tokens_fsii": tokens["intershap"],
           "local": modality["local"]}
    print(f"InterSHAP of the modality game {out['modality_game']:.3f} (local "
          f"{out['local']:.3f}); token-level FSII summed by modality {out['tokens_fsii']:.3f}")
    try:
        intershap(interplay.exact(tables[0], "FWBII", 2))
    except ValueError as exc:
        print(f"refused: {exc}")
    return out


if __name__ == "__main__":
    main()
