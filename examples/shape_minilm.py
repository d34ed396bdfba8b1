"""SHAPE scores (Hu, Li and Zhou, IJCAI 2022): each modality's Shapley value in the game whose
value is a model's accuracy on a data set given only some modalities, and the cooperation
C = V(M) - V(empty) - sum_i (V({i}) - V(empty)).

Two text fields are embedded with all-MiniLM-L6-v2: a review sentence and a neutral note. The
label is the review's sentiment, so a classifier on both embeddings should owe its accuracy to
the first field; an absent modality is zeros (InterSHAP's re-implementation), V(empty) the
majority class. The classifier is ridge regression on the concatenated embeddings, fitted on
half of the data and scored on the other half.

    python examples/shape_minilm.py
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from interplay.metrics import shape_scores

GOOD = ["wonderful", "great", "delightful", "excellent", "lovely"]
BAD = ["awful", "terrible", "dreadful", "horrible", "disappointing"]
THINGS = ["film", "meal", "hotel", "concert", "book", "game"]
NOTES = ["written on monday", "sent from my phone", "posted in the evening",
         "translated from french", "edited once"]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=120, help="samples (half for training)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from _models import minilm

    rng = np.random.default_rng(args.seed)
    combos = list(itertools.product(GOOD + BAD, THINGS))
    pick = rng.choice(len(combos), size=args.n, replace=args.n > len(combos))
    reviews = [f"the {combos[i][1]} was {combos[i][0]}" for i in pick]
    y = np.array([int(combos[i][0] in GOOD) for i in pick])
    notes = [NOTES[i] for i in rng.integers(0, len(NOTES), args.n)]
    model = minilm()
    e1, e2 = (np.asarray(model.encode(t, convert_to_numpy=True), dtype=np.float64)
              for t in (reviews, notes))
    tr, te = np.arange(args.n) < args.n // 2, np.arange(args.n) >= args.n // 2
    X = np.hstack([e1, e2, np.ones((args.n, 1))])
    w = np.linalg.solve(X[tr].T @ X[tr] + 1e-2 * np.eye(X.shape[1]), X[tr].T @ (2.0 * y[tr] - 1))

    def classifier(batch):  # modalities (m, 384) each -> predicted labels
        return (np.hstack([batch[0], batch[1], np.ones((len(batch[0]), 1))]) @ w > 0).astype(int)

    out = shape_scores(model=classifier, data=[e1[te], e2[te]], labels=y[te],
                       names=["review", "note"])
    print(f"accuracy V(empty), V(review), V(note), V(both): {np.round(out['values'], 3)}")
    print(f"contributions {np.round(out['contributions'], 3)}  cooperation "
          f"{out['cooperation']:+.3f} (relative {out['cooperation_rel']:+.3f})")
    return out


if __name__ == "__main__":
    main()
