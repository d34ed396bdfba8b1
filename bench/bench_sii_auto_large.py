"""MultiSHAP's setting (issue 14): pairwise SII at 68 to 273 players, which estimator to use.

MultiSHAP explains a joint vision-language model (ViLT) with SII between image patches and
question tokens: 64 patches x 4 tokens = 68 players up to 256 x 17 = 273. For each
(n_players, budget) every sampled estimator of SII is run on sums of unanimity games (exact SII
known in closed form: SII(S) = sum_{T superset S} m(T) / (|T| - |S| + 1)) with
``--terms-per-player`` terms per player, so that most pairs interact as in a model (a sparse
game favours estimators that leave unsampled pairs at 0), over several seeds; printed per
method: the mean squared error of the order-2 and order-1 values against the truth, the
variance of the true pair values (the error of answering 0), the share of pairs with a finite
standard error and the share within 1.96 standard errors, and the CPU seconds per estimate.

    nice -n 10 python bench/bench_sii_auto_large.py --n 68 132 --budget 4096 --seeds 2
    nice -n 10 python bench/bench_sii_auto_large.py --n 68 --order 3 --budget 16384 --methods auto svarmiq

``--order k`` estimates SII up to order k (``mse_top`` is the error of the order-k values);
``auto`` is a method too (``ran`` names what it ran).
"""

from __future__ import annotations

import argparse
import json
import time

import interplay
import numpy as np
from interplay.games import SumOfUnanimityGames


def truth(game: SumOfUnanimityGames, k: int = 2) -> np.ndarray:
    return game.superset_sum(lambda s, t: 1.0 / (t - s + 1), 0, k)[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[68, 132, 273])
    ap.add_argument("--budget", type=int, nargs="+", default=[4096])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--methods", nargs="+",
                    default=["kernelshapiq", "svarmiq", "shapiq", "permutation"])
    ap.add_argument("--kernelshapiq-max-n", type=int, default=100)
    ap.add_argument("--terms-per-player", type=int, default=20,
                    help="unanimity terms per player (20: most pairs interact, as in a model)")
    ap.add_argument("--order", type=int, default=2)
    ap.add_argument("--max-size", type=int, nargs="+", default=[3, 12],
                    help="largest interaction of the game (3: nearly 2-additive; 12: high order)")
    args = ap.parse_args()
    for n, budget, top in ((n, b, t) for n in args.n for b in args.budget
                           for t in args.max_size):
        for m in args.methods:
            if m == "kernelshapiq" and n > args.kernelshapiq_max_n:
                continue
            e1, e2, ek, cpu, used, fin, cover = [], [], [], [], [], [], []
            for s in range(args.seeds):
                # random interactions of sizes 1..max_size among the players (main effects,
                # pairs and higher orders); exact SII in closed form
                g = SumOfUnanimityGames.random(n, args.terms_per_player * n, max_size=top,
                                               seed=100 + s)
                ref = truth(g, args.order)
                c0 = time.process_time()
                r = interplay.approximate(g, n, "SII", budget, max_order=args.order, method=m,
                                          seed=s)
                cpu.append(time.process_time() - c0)
                used.append(r.info.get("method", m))
                sizes = r.sizes
                d = r.values - ref
                e1.append(float(np.mean(d[sizes == 1] ** 2)))
                e2.append(float(np.mean(d[sizes == 2] ** 2)))
                ek.append(float(np.mean(d[sizes == args.order] ** 2)))
                se = r.stderr[sizes == 2]
                fin.append(float(np.isfinite(se).mean()))
                cover.append(float(np.mean(np.abs(d[sizes == 2]) <= 1.96 * se)))
            print(json.dumps({"n": n, "budget": budget, "order": args.order, "max_size": top,
                              "method": m, "mse_top": float(np.mean(ek)),
                              "mse_order2": float(np.mean(e2)),
                              "mse_order1": float(np.mean(e1)),
                              "pair_var": float(np.var(ref[sizes == 2])),
                              "top_var": float(np.var(ref[sizes == args.order])),
                              "finite_stderr_share": float(np.mean(fin)),
                              "coverage_95": float(np.mean(cover)),
                              "cpu_s": float(np.mean(cpu)), "ran": sorted(set(used))}),
                  flush=True)


if __name__ == "__main__":
    main()
