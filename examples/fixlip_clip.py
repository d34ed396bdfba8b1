"""FIxLIP (Baniecki et al., NeurIPS 2025): weighted Banzhaf interactions of a CLIP-style dual
encoder, patches x tokens, scored by the pointing game and insertion/deletion AID.

The image is a 2 x 2 collage and the text names what is in two of its quadrants; FIxLIP's FWBII
of order 2 is fitted in grid mode (image and text coalitions drawn independently from mu_p, each
unique side coalition one encoder row) on its cross-modal basis (every patch and token, every
patch x token pair); then

* the pointing game recognition (PGR): the share of the interaction mass of each label token
  that is positive in its quadrant or negative outside it;
* AID: the area between the least- and most-influential-first deletion curves, players ordered
  by the first-order Banzhaf values (order 1) or by FIxLIP's greedy cliques (order 2);
* p-faithfulness: the weighted R^2 of the explanation as a game on coalitions drawn from mu_p.

Here the model is a randomly initialised CLIP (examples/_models.py), so the scores are those of
noise (PGR near 0.5); with a real CLIP pass ``model=CLIPModel.from_pretrained(...)``, a
normalised image tensor (3, 224, 224), ``text=`` a string and ``tokenizer=`` its tokenizer.

    python examples/fixlip_clip.py            # 16 patches, 2 label tokens
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import interplay
import numpy as np
from interplay.metrics import insertion_deletion, pointing_game, quadrants
from interplay.models.api import build_games


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=int, default=2**12, help="grid cells (image x text)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import torch
    from _models import tiny_clip

    model = tiny_clip(image_size=32, patch_size=8)  # 4 x 4 = 16 patches
    torch.manual_seed(args.seed)
    image = torch.randn(3, 32, 32)
    # token ids of "<bos> dog cat <eos>" in the toy vocabulary; a real model takes the string
    text = {"input_ids": [62, 5, 7, 63], "special_tokens_mask": [1, 0, 0, 1],
            "labels": ["<bos>", "dog", "cat", "<eos>"]}
    res = interplay.explain(model, [(image, text)], index="FWBII", max_order=2,
                            budget=args.budget, basis="crossmodal", seed=args.seed)[0]
    print(f"{res.n_players} players ({res.info['player_groups']}), {len(res.values)} terms, "
          f"grid {res.info['grid']}, max stderr {res.stderr.max():.3g}")
    regions = np.append(quadrants(4), [-1, -1])  # tokens belong to no quadrant
    pg = pointing_game(res, regions, {"text:dog": 0, "text:cat": 3})
    game = build_games(model, [(image, text)])[0]  # the game that was explained
    # order 1: FIxLIP's first-order conversion, the Banzhaf values BV_i = e_i + p sum_j e_ij
    bv = res.to_dense(1) + 0.5 * res.to_dense(2).sum(axis=1)
    aid1 = insertion_deletion(bv, game)["aid"]
    aid2 = insertion_deletion(res, game, order=2)["aid"]
    fid = interplay.fidelity(res, game, 500, weighting="banzhaf", seed=args.seed)
    out = {"pgr": pg["mass_ratio"], "aid_order1": aid1, "aid_order2": aid2,
           "r2_banzhaf": fid["r2"]}
    print(f"PGR {out['pgr']:.3f}  AID order 1 {aid1:.3f}  order 2 {aid2:.3f}  "
          f"p-faithfulness R^2 {fid['r2']:.3f}")
    return out


if __name__ == "__main__":
    main()
