"""shap and captum drop-ins against the peers themselves (issue 13), with checks.

    nice -n 10 env PYTHONPATH=python INTERPLAY_SHAPIQ_PYTHON=/path/to/python3.12 \
        python bench/bench_compat.py all        # the three parts below, one run
    nice -n 10 env PYTHONPATH=python python bench/bench_compat.py tabular [--label L]
        [--blas-threads 1] [--repeats 7]
    nice -n 10 env PYTHONPATH=python python bench/bench_compat.py captum
    nice -n 10 env PYTHONPATH=python INTERPLAY_SHAPIQ_PYTHON=... python bench/bench_compat.py shapiq

tabular: exact Shapley values of an sklearn MLP (n = 10 features, 100 background rows,
5 and 20 instances) by shap's Exact explainer (warm: its numba kernels compiled by a first
call) and by interplay.explain on a NumPy array (float64 NumPy rows, distinct masked rows only)
and on a list of rows (torch float32 rows, the path of earlier versions); two data sets:
"continuous" (every feature Gaussian: no masked row repeats) and "mixed" (5 of the 10 features
take 3 levels: the background often equals the instance there). Every interplay result is
checked against shap's (1e-12 on the NumPy path, 1e-5 on the float32 one). ``--label`` runs only
the list path (the API of trees before issue 13, e.g. PYTHONPATH=/work/wt/f4f4/python).
``--blas-threads N`` holds BLAS (the model's matrix products) to N threads (threadpoolctl)
for the whole part; default: the libraries' own. The methods run interleaved, one call each
per round, ``--repeats`` rounds; each row gives the minimum and the median over the rounds of
CPU and wall time, and ``model_cpu``: the median CPU time spent inside the model's calls (the
rest is the explainer's own work).

captum: captum's ShapleyValues against interplay.compat.captum.ShapleyValues on a 7-feature
MLP (8 examples), results compared (1e-6: captum accumulates in float32); ShapleyValueSampling
and KernelShap of both at captum's default n_samples, their error against the exact values.

shapiq: bench/shapiq_compat.py timing in the Python 3.12 environment (INTERPLAY_SHAPIQ_PYTHON):
every shapiq class of interplay.compat.shapiq (stock against drop-in, same game and budget)
and ExactComputer per index.

Times: CPU seconds of this process (all threads) and wall seconds, the minimum of the repeats.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def timed(fn, repeats):
    best = (np.inf, np.inf)
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        out = fn()
        best = min(best, (time.process_time() - c, time.perf_counter() - w))
    return out, best


def tabular_data(kind, rng, rows=2000, n=10):
    X = rng.normal(size=(rows, n))
    if kind == "mixed":
        X[:, :5] = rng.integers(0, 3, size=(rows, 5))
    y = np.tanh(X @ rng.normal(size=n)) + X[:, 0] * X[:, 1] - X[:, 2] * X[:, 7]
    return X, y


def bench_tabular(args):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.blas_threads):
        return _bench_tabular(args)


def _bench_tabular(args):
    import interplay
    from interplay.models import TabularMasker
    from sklearn.neural_network import MLPRegressor

    rows = []
    for kind in ("continuous", "mixed"):
        rng = np.random.default_rng(0)
        X, y = tabular_data(kind, rng)
        mlp = MLPRegressor(hidden_layer_sizes=(32, 32), max_iter=200, random_state=0).fit(X, y)
        inside = [0.0]  # CPU seconds inside the model's calls

        class model:  # noqa: N801  (stands for the fitted estimator)
            @staticmethod
            def predict(z, mlp=mlp):
                t = time.process_time()
                out = mlp.predict(z)
                inside[0] += time.process_time() - t
                return out
        bg = X[:100]
        for n_inst in args.instances:
            Xe = X[1000: 1000 + n_inst]

            def ours(inputs):
                masker = TabularMasker(background=bg, strategy="draws", n_draws=len(bg))
                res = interplay.explain(model.predict, inputs, masker=masker, index="SV",
                                        max_order=1, budget=2**X.shape[1])
                return np.array([r.values[1:] for r in res]), np.array([r.values[0] for r in res])
            if args.label:
                (vals, _), (cpu, wall) = timed(lambda: ours(list(Xe)), args.repeats)
                rows.append(dict(data=kind, instances=n_inst, method=f"interplay list ({args.label})",
                                 cpu=cpu, wall=wall))
                print(json.dumps(rows[-1]), flush=True)
                continue
            import shap
            from interplay.compat.shap import ExactExplainer

            ex = shap.explainers.Exact(model.predict, shap.maskers.Independent(bg, max_samples=100))
            ex(Xe[:1], silent=True)  # warm: numba compiles once
            drop_in = ExactExplainer(model.predict, bg)

            def explainer():
                e = drop_in(Xe)
                return e.values, e.base_values
            methods = [("shap Exact", lambda: ex(Xe, silent=True), None),
                       ("interplay.compat.shap.ExactExplainer", explainer, 1e-12),
                       ("interplay.explain, NumPy array", lambda: ours(Xe), 1e-12),
                       ("interplay.explain, list (torch)", lambda: ours(list(Xe)), 1e-5)]
            # interleaved: each round times every method once, so that load changes hit all
            times = {label: [] for label, _, _ in methods}
            model_cpu = {label: [] for label, _, _ in methods}
            out = {}
            for _ in range(args.repeats):
                for label, fn, _ in methods:
                    inside[0] = 0.0
                    out[label], t = timed(fn, 1)
                    times[label].append(t)
                    model_cpu[label].append(inside[0])
            ref = out["shap Exact"]
            for label, _, tol in methods:
                cpu = min(c for c, _ in times[label])
                wall = min(w for _, w in times[label])
                row = dict(data=kind, instances=n_inst, method=label, cpu=cpu, wall=wall,
                           cpu_median=float(np.median([c for c, _ in times[label]])),
                           wall_median=float(np.median([w for _, w in times[label]])),
                           model_cpu=float(np.median(model_cpu[label])),
                           blas_threads=args.blas_threads)
                if tol is not None:
                    vals, base = out[label]
                    err = float(np.abs(vals - ref.values).max())
                    assert err <= tol and np.abs(base - ref.base_values).max() <= tol, (label, err)
                    ratios = [c / s for (c, _), (s, _) in zip(times[label], times["shap Exact"])]
                    walls = [w / s for (_, w), (_, s) in zip(times[label], times["shap Exact"])]
                    row.update(max_abs_diff=err, cpu_ratio_to_shap_per_round=ratios,
                               cpu_ratio_median=float(np.median(ratios)),
                               wall_ratio_median=float(np.median(walls)))
                rows.append(row)
                print(json.dumps(rows[-1]), flush=True)
    return rows


def bench_captum(args):
    import torch
    from captum.attr import ShapleyValues as CaptumShapleyValues
    from interplay.compat.captum import ShapleyValues

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(7, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                              torch.nn.ReLU(), torch.nn.Linear(64, 1))
    x, base = torch.randn(8, 7), torch.zeros(1, 7)
    rows = []
    ours, (cpu, wall) = timed(lambda: ShapleyValues(net).attribute(x, baselines=base),
                              args.repeats)
    rows.append(dict(method="interplay.compat.captum.ShapleyValues", cpu=cpu, wall=wall))
    print(json.dumps(rows[-1]), flush=True)
    ref, (cpu, wall) = timed(lambda: CaptumShapleyValues(net).attribute(x, baselines=base), 1)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    err = float((ours.double() - ref.double()).abs().max())
    assert err < 1e-5, err
    rows.append(dict(method="captum ShapleyValues", cpu=cpu, wall=wall, max_abs_diff=err))
    print(json.dumps(rows[-1]), flush=True)
    # the sampling classes at captum's default n_samples = 25, error against the exact values
    import captum.attr
    from interplay.compat import captum as compat

    for name in ("ShapleyValueSampling", "KernelShap"):
        shapes = []
        for label, cls in ((f"captum {name}", getattr(captum.attr, name)),
                           (f"interplay.compat.captum.{name}", getattr(compat, name))):
            torch.manual_seed(0)
            got, (cpu, wall) = timed(lambda cls=cls: cls(net).attribute(x, baselines=base),
                                     args.repeats)
            shapes.append(got.shape)  # KernelShap: (B, n) for this (B, 1) model, as captum's
            assert shapes[-1] == shapes[0], (label, shapes)
            err = float((got.double().reshape(len(x), -1)
                         - ours.double().reshape(len(x), -1)).abs().max())
            rows.append(dict(method=label, cpu=cpu, wall=wall, max_abs_err_vs_exact=err))
            print(json.dumps(rows[-1]), flush=True)
    return rows


def bench_shapiq(args):
    """bench/shapiq_compat.py timing in the Python 3.12 environment with shapiq 1.8.0
    (INTERPLAY_SHAPIQ_PYTHON) and its installed interplay (``pip install .`` there builds the
    compiled core; without one, this checkout's Python layer on the NumPy reference backend)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    py = os.environ.get("INTERPLAY_SHAPIQ_PYTHON")
    if not py:
        print("shapiq: not run (set INTERPLAY_SHAPIQ_PYTHON to a Python with shapiq 1.8.0)")
        return
    sys.path.insert(0, str(root))
    from tests.test_shapiq_peer import interplay_env

    env = interplay_env(py)  # its installed interplay (compiled core), else this checkout's
    print(f"interplay in {py}: " + subprocess.run(
        [py, "-c", "import interplay, interplay._core; print(interplay.__file__, "
         "interplay._core.__file__)"], env=env, capture_output=True, text=True, cwd="/"
    ).stdout.strip() or "no compiled core (NumPy reference backend)", flush=True)
    subprocess.run([py, str(root / "bench" / "shapiq_compat.py"), "timing", "--n",
                    str(args.shapiq_n), "--budget", str(args.shapiq_budget), "--exact-n",
                    str(args.exact_n), "--repeats", str(args.repeats)], env=env, check=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["all", "tabular", "captum", "shapiq"])
    ap.add_argument("--label", default=None)
    ap.add_argument("--blas-threads", type=int, default=None)
    ap.add_argument("--instances", type=int, nargs="+", default=[5, 20])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shapiq-n", type=int, default=14)
    ap.add_argument("--shapiq-budget", type=int, default=1000)
    ap.add_argument("--exact-n", type=int, default=12)
    a = ap.parse_args()
    parts = {"tabular": bench_tabular, "captum": bench_captum, "shapiq": bench_shapiq}
    for part in parts if a.part == "all" else [a.part]:
        print(f"## {part}", flush=True)
        parts[part](a)
