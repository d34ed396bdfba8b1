"""MultiSHAP (Wang and Wang 2025): pairwise Shapley interactions between the image patches and
the question tokens of a joint (early-fusion) vision-language model, with instance- and
dataset-level aggregates (synergy, suppression, their ratio, token importance).

A ViLT-like model is single-stream: every coalition is one forward pass on the masked image and
the masked question, which :class:`interplay.models.ImageTextMasker` builds (absent patches set
to the normalised mean colour, absent tokens removed from attention), so no custom masker is
needed. SII of order 2 is estimated from a shared pool of coalitions (``method="auto"``), not
by MultiSHAP's four forward passes per (patch, token) pair and sample.

Here the model is a randomly initialised ViltForQuestionAnswering (examples/_models.py) with the
bundled MiniLM's tokenizer (BERT's vocabulary); with a real one pass
``ViltForQuestionAnswering.from_pretrained(...)``, its processor's normalised pixel_values and
tokenizer, patch_size=32, and pick the answer's logit with ``output=``.

    python examples/multishap_vilt.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import interplay
from interplay.metrics import multishap_aggregates
from interplay.models import ImageTextMasker

QUESTIONS = ["what color is the dog", "is there a cat", "how many birds"]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=int, default=2**10)
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import torch
    from _models import minilm, tiny_vilt

    model = tiny_vilt(image_size=48, patch_size=16)  # 3 x 3 = 9 patches
    tok = minilm().tokenizer
    torch.manual_seed(args.seed)
    inputs = [(torch.randn(3, 48, 48), q) for q in QUESTIONS[: args.instances]]
    res = interplay.explain(model, inputs, masker=ImageTextMasker(tok, 16), index="SII",
                            budget=args.budget, seed=args.seed)
    answer = 0  # the logit explained (a real model: the predicted or ground-truth answer)
    out = multishap_aggregates(res, output=answer)
    for r, inst in zip(res, out["instances"]):
        tokens = [n for n in r.player_names if n.startswith("text:")]
        top = [tokens[j][5:] for j in inst["top_columns"]]
        print(f"{r.n_players} players, {r.info['method']}: synergy {inst['pos_sum']:+.4f} "
              f"suppression {inst['neg_sum']:+.4f} ratio {inst['pos_ratio']:.3f} "
              f"top tokens {top}")
    ds = out["dataset"]
    print(f"dataset: mean |phi| {ds['mean_abs']:.4f}, pos_ratio {ds['pos_ratio']:.3f}, "
          f"synergistic share {ds['synergistic_share']:.2f}")
    return out


if __name__ == "__main__":
    main()
