"""Stock shapiq 1.8.0 against interplay.compat.shapiq: errors and wall time per class.

Runs in a Python >= 3.12 environment with shapiq 1.8.0 and interplay importable:

    python bench/shapiq_compat.py errors [--seeds 10]     # mean squared error over seeds
    python bench/shapiq_compat.py timing [--n 12 --budget 2000 --exact-n 12]
    python bench/shapiq_compat.py offset [--n 10 --budget 300]   # interplay's own SHAP-IQ/SVARM-IQ
    python bench/shapiq_compat.py ratios [--n 10 --budget 300 --seeds 30 --cache F.json]

``errors`` prints, per game and class, the mean over seeds of the squared error (all
non-empty sets, against shapiq's ExactComputer) of stock shapiq and of the interplay class on
the same game and budget, and their ratio. ``timing`` prints the wall time (min of repeats) of
each stock class and its interplay class on one game and budget, and of ExactComputer for each
index. Used by tests/test_shapiq_interop.py (errors) and bench/RESULTS.md (timing).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np


def games(n: int = 8) -> dict:
    """The benchmark games: SOUM, DummyGame, RandomTableGame (v(empty) != 0) and a tabular
    local-explanation game (a fitted random forest, marginal imputation over 20 rows)."""
    from shapiq.imputer import MarginalImputer
    from shapiq_games.synthetic import SOUM, DummyGame, RandomTableGame
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, n))
    y = X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + X[:, 3] * X[:, 4] * X[:, 5] + 0.5 * X[:, 6]
    model = RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0).fit(X, y)
    tab = MarginalImputer(model.predict, X[:50], x=X[100], sample_size=20, random_state=0,
                          normalize=False)
    return {
        "SOUM": SOUM(n, n_basis_games=30, random_state=1),
        "DummyGame": DummyGame(n, (1, 2)),
        "RandomTableGame": RandomTableGame(n, random_state=2),
        "tabular": tab,
    }


def table_game(game, n: int):
    """The game as a lookup callable over its 2^n values (evaluated once)."""
    from interplay.compat.shapiq._exact import powerset_masks

    masks = powerset_masks(n)
    C = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
    table = np.empty(1 << n)
    table[masks] = np.asarray(game(C), dtype=float)
    powers = 1 << np.arange(n)
    return lambda c: table[np.atleast_2d(np.asarray(c)).astype(np.int64) @ powers]


#: (class name, constructor kwargs, budgets as fractions of 2^n) compared in ``errors``
CASES = [
    ("KernelSHAP", {}),
    ("LeverageSHAP", {}),
    ("UnbiasedKernelSHAP", {}),
    ("SVARM", {}),
    ("SVARM", {"index": "BV"}),
    ("PermutationSamplingSV", {}),
    ("KernelSHAPIQ", {"max_order": 2, "index": "k-SII"}),
    ("KernelSHAPIQ", {"max_order": 2, "index": "SII"}),
    ("RegressionFSII", {"max_order": 2}),
    ("RegressionFBII", {"max_order": 2}),
    ("SHAPIQ", {"max_order": 2, "index": "SII"}),
    ("SHAPIQ", {"max_order": 2, "index": "k-SII"}),
    ("SHAPIQ", {"max_order": 2, "index": "STII"}),
    ("SHAPIQ", {"max_order": 2, "index": "BII"}),
    ("SVARMIQ", {"max_order": 2, "index": "SII"}),
    ("SVARMIQ", {"max_order": 2, "index": "k-SII"}),
    ("SVARMIQ", {"max_order": 2, "index": "STII"}),
    ("PermutationSamplingSII", {"max_order": 2, "index": "SII"}),
    ("PermutationSamplingSII", {"max_order": 2, "index": "k-SII"}),
    ("PermutationSamplingSTII", {"max_order": 2}),
]


def mse(iv, truth) -> float:
    keys = [k for k in truth.dict_values if len(k) > 0]
    return float(np.mean([(iv[k] - truth[k]) ** 2 for k in keys]))


def errors(n: int, budget: int, seeds: int, cases=CASES, game_names=None) -> list[dict]:
    """:func:`ratios` of the drop-in classes ``cases`` (class, kwargs), without
    ``interplay.approximate``: each row also carries the drop-in's mean error as
    ``interplay`` and its ratio to stock's as ``ratio``."""
    rows = ratios(n, budget, seeds, cases=cases, game_names=game_names, own=False)
    for r in rows:
        r["interplay"], r["ratio"] = r["compat"], r["compat_ratio"]
    return rows


def offset(n: int, budget: int, seeds: int) -> dict:
    """interplay's own SHAP-IQ and SVARM-IQ (``interplay.approximate``, default settings)
    against stock SHAPIQ / SVARMIQ on the SII pairs of RandomTableGame (v(empty) != 0): mean
    over seeds of the mean squared error, {method: [interplay, stock]}."""
    import interplay
    import shapiq
    from shapiq import approximator as stock
    from shapiq_games.synthetic import RandomTableGame

    g = RandomTableGame(n, random_state=2)
    truth = shapiq.ExactComputer(g, n_players=n)("SII", 2)
    pairs = [k for k in truth.dict_values if len(k) == 2]
    out = {}
    for method, cls in (("shapiq", stock.SHAPIQ), ("svarmiq", stock.SVARMIQ)):
        ours, theirs = [], []
        for s in range(seeds):
            r = interplay.approximate(g, n, "SII", budget, max_order=2, method=method, seed=s)
            ours.append(np.mean([(r[k] - truth[k]) ** 2 for k in pairs]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                iv = cls(n, max_order=2, index="SII", random_state=s).approximate(budget, g)
            theirs.append(np.mean([(iv[k] - truth[k]) ** 2 for k in pairs]))
        out[method] = [float(np.mean(ours)), float(np.mean(theirs))]
    return out


#: Monte Carlo classes compared by ``ratios``: (stock class, kw, interplay method, index, order)
MC_CASES = [
    (cls, {"max_order": k, "index": index} if k else {}, method, index or "SV", k or 1)
    for cls, sv, method in (("SHAPIQ", "UnbiasedKernelSHAP", "shapiq"),
                            ("SVARMIQ", "SVARM", "svarmiq"))
    for cls, k, index in [(sv, 0, "")] + [(cls, k, i) for k in (2, 3)
                                          for i in ("SII", "k-SII", "STII")]
                         + ([(cls, 2, "BII")] if method == "shapiq" else [])
]


def _mean_se(x) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else 0.0


def ratios(n: int, budget: int, seeds: int, cache: str | None = None, cases=MC_CASES,
           game_names=None, own: bool = True, report=None) -> list[dict]:
    """Drop-in classes against stock shapiq: per game and class, the mean over seeds 0..S-1
    of the mean squared error over all non-empty sets (against shapiq's ExactComputer) of stock
    shapiq's class, of the drop-in class (``compat``) and, for cases (class, kwargs, method,
    index, order) as :data:`MC_CASES`'s, of ``interplay.approximate(..., method=...)`` with
    interplay's defaults (``own``), and the ratios of the means with their
    standard errors (delta method; the seeds of the two sides are independent runs).
    ``cache``: a JSON file of stock shapiq's per-seed errors (they do not change with
    interplay); ``report(row)`` is called as each row is done."""
    import json
    import os

    import shapiq
    from shapiq import approximator as stock

    import interplay
    from interplay.compat import shapiq as ours

    store = {}
    if cache and os.path.exists(cache):
        with open(cache) as f:
            store = json.load(f)
    rows = []
    for gname, game in games(n).items():
        if game_names and gname not in game_names:
            continue
        g = table_game(game, n)
        ec = shapiq.ExactComputer(g, n_players=n)
        for cname, kw, *own_case in cases:
            a0 = getattr(stock, cname)(n, **kw)
            truth = ec(a0.index, a0.max_order)
            keys = [k for k in truth.dict_values if len(k) > 0]
            tv = np.array([truth[k] for k in keys])
            err = {"stock": [], "compat": [], "own": []}
            for s in range(seeds):
                key = f"{gname}|{n}|{budget}|{cname}|{sorted(kw.items())}|{s}"
                if key not in store:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        est = getattr(stock, cname)(n, random_state=s, **kw).approximate(budget, g)
                    store[key] = mse(est, truth)
                err["stock"].append(store[key])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est = getattr(ours, cname)(n, random_state=s, **kw).approximate(budget, g)
                err["compat"].append(mse(est, truth))
                if own and own_case:
                    method, index, order = own_case
                    r = interplay.approximate(g, n, index, budget, max_order=order,
                                              method=method, seed=s)
                    err["own"].append(float(np.mean((np.array([r[k] for k in keys]) - tv) ** 2)))
            row = {"game": gname, "class": cname, "kw": kw, "budget": budget, "seeds": seeds}
            ms, ss = _mean_se(err["stock"])
            row["stock"], row["stock_se"] = ms, ss
            for side in ("compat", "own"):
                if not err[side]:
                    continue
                m, se = _mean_se(err[side])
                r_ = m / max(ms, 1e-300)
                row[side], row[side + "_se"] = m, se
                row[side + "_ratio"] = r_
                row[side + "_ratio_se"] = r_ * float(np.hypot(se / max(m, 1e-300),
                                                              ss / max(ms, 1e-300)))
            rows.append(row)
            if report is not None:
                report(row)
            if cache:
                with open(cache, "w") as f:
                    json.dump(store, f)
    return rows


#: constructor arguments a class of ROUTES needs beyond n (timing)
TIMING_KW = {"RegressionMSR": {"index": "SV"}}
#: classes of ROUTES that timing does not run, and why
NOT_TIMED = {
    "ShaplEIG": "abstract in shapiq 1.8.0 (no approximate(); it cannot be instantiated)",
    "SPEX": "sparse Fourier estimators for large n: issue 17",
    "ProxySPEX": "sparse Fourier estimators for large n: issue 17",
}


def timing(n: int, budget: int, exact_n: int, repeats: int) -> None:
    import shapiq
    from shapiq import approximator as stock

    from interplay.compat import shapiq as ours
    from shapiq_games.synthetic import RandomTableGame

    g = table_game(RandomTableGame(n, random_state=2), n)

    def best(f):
        """(CPU s, wall s) of f, each the minimum over the repeats."""
        t = []
        for _ in range(repeats):
            c0, t0 = time.process_time(), time.perf_counter()
            f()
            t.append((time.process_time() - c0, time.perf_counter() - t0))
        return min(c for c, _ in t), min(w for _, w in t)

    print(f"# approximators: RandomTableGame n={n}, budget={budget}, CPU s / wall s (min of "
          f"{repeats}); every class of interplay.compat.shapiq.ROUTES (fallbacks: shapiq's own)")
    print("| class | config | route | stock CPU s | interplay CPU s | CPU ratio | stock wall s "
          "| interplay wall s |")
    print("|---|---|---|---|---|---|---|---|")
    listed = {c for c, _ in CASES}
    cases = CASES + [(c, TIMING_KW.get(c, {})) for c in ours.ROUTES if c not in listed]
    for cname, kw in cases:
        route = ours.ROUTES[cname] or "fallback"
        if cname in NOT_TIMED:
            print(f"| {cname} | | {route} | not run: {NOT_TIMED[cname]} | | | | |")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ts = best(lambda: getattr(stock, cname)(n, random_state=0, **kw).approximate(
                    budget, g))
                ti = best(lambda: getattr(ours, cname)(n, random_state=0, **kw).approximate(
                    budget, g))
        except Exception as err:  # noqa: BLE001  (an optional extra of shapiq missing)
            print(f"| {cname} | {kw or ''} | {route} | not run: {type(err).__name__}: "
                  f"{str(err).splitlines()[0][:70]} | | | | |")
            continue
        print(f"| {cname} | {kw or ''} | {route} | {ts[0]:.4g} | {ti[0]:.4g} | "
              f"{ts[0] / max(ti[0], 1e-9):.1f}x | {ts[1]:.4g} | {ti[1]:.4g} |")
        sys.stdout.flush()
    ge = table_game(RandomTableGame(exact_n, random_state=2), exact_n)
    print(f"\n# ExactComputer: RandomTableGame n={exact_n}, game evaluated outside the timer, "
          f"CPU s / wall s (min of {repeats})")
    print("| index | order | stock CPU s | interplay CPU s | CPU ratio | stock wall s | "
          "interplay wall s |")
    print("|---|---|---|---|---|---|---|")
    for index, order in [("SV", 1), ("BV", 1), ("SII", 2), ("BII", 2), ("k-SII", 2), ("STII", 2),
                         ("FSII", 2), ("FBII", 2), ("CHII", 2), ("Moebius", None),
                         ("kADD-SHAP", 2), ("Fourier", 2), ("SGV", 2), ("JointSV", 2)]:
        if index in ("FSII", "FBII", "kADD-SHAP") and exact_n > 13:
            continue  # stock shapiq's dense 2^n x 2^n weights: 4 GB at n = 14
        res = []
        for cls in (shapiq.ExactComputer, ours.ExactComputer):
            ec = cls(ge, n_players=exact_n, evaluate_game=True)

            def run(ec=ec):
                ec._computed = {}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ec(index, order)
            res.append(best(run))
        print(f"| {index} | {order or exact_n} | {res[0][0]:.4g} | {res[1][0]:.4g} | "
              f"{res[0][0] / max(res[1][0], 1e-9):.0f}x | {res[0][1]:.4g} | {res[1][1]:.4g} |")
        sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["errors", "timing", "offset", "ratios"])
    ap.add_argument("--cache", default=None)
    ap.add_argument("--games", nargs="*", default=None)
    ap.add_argument("--classes", nargs="*", default=None)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--exact-n", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.what == "errors":
        print("| game | class | config | budget | stock MSE | interplay MSE | ratio |")
        print("|---|---|---|---|---|---|---|")
        for r in errors(args.n, args.budget, args.seeds):
            print(f"| {r['game']} | {r['class']} | {r['kw'] or ''} | {r['budget']} | "
                  f"{r['stock']:.3e} | {r['interplay']:.3e} | {r['ratio']:.2f} |")
            sys.stdout.flush()
    elif args.what == "offset":
        for method, (ours, theirs) in offset(args.n, args.budget, args.seeds).items():
            print(f"{method}: interplay {ours:.3e}, stock shapiq {theirs:.3e}, "
                  f"ratio {ours / theirs:.2f}")
    elif args.what == "ratios":
        cases = [c for c in MC_CASES if not args.classes or c[0] in args.classes]
        print("| game | class | config | budget | seeds | stock MSE | drop-in / stock | "
              "approximate() / stock |")
        print("|---|---|---|---|---|---|---|---|")

        def show(r):
            print(f"| {r['game']} | {r['class']} | {r['kw'] or ''} | {r['budget']} | "
                  f"{r['seeds']} | {r['stock']:.3e} | {r['compat_ratio']:.2f} +- "
                  f"{r['compat_ratio_se']:.2f} | {r['own_ratio']:.2f} +- "
                  f"{r['own_ratio_se']:.2f} |", flush=True)
        ratios(args.n, args.budget, args.seeds, args.cache, cases, args.games, report=show)
    else:
        timing(args.n, args.budget, args.exact_n, args.repeats)


if __name__ == "__main__":
    main()
