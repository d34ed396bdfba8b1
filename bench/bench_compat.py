"""shap and captum drop-ins against the peers themselves (issue 13), with checks.

    nice -n 10 env PYTHONPATH=python python bench/bench_compat.py tabular [--label L]
    nice -n 10 env PYTHONPATH=python python bench/bench_compat.py captum

tabular: exact Shapley values of an sklearn MLP (n = 10 features, 100 background rows,
5 and 20 instances) by shap's Exact explainer (warm: its numba kernels compiled by a first
call) and by interplay.explain on a NumPy array (float64 NumPy rows, distinct masked rows only)
and on a list of rows (torch float32 rows, the path of earlier versions); two data sets:
"continuous" (every feature Gaussian: no masked row repeats) and "mixed" (5 of the 10 features
take 3 levels: the background often equals the instance there). Every interplay result is
checked against shap's (1e-12 on the NumPy path, 1e-5 on the float32 one). ``--label`` runs only
the list path (the API of trees before issue 13, e.g. PYTHONPATH=/work/wt/f4f4/python).

captum: captum's ShapleyValues against interplay.compat.captum.ShapleyValues on a 7-feature
MLP (8 examples), results compared (1e-6: captum accumulates in float32).

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
    from sklearn.neural_network import MLPRegressor

    import interplay
    from interplay.models import TabularMasker

    rows = []
    for kind in ("continuous", "mixed"):
        rng = np.random.default_rng(0)
        X, y = tabular_data(kind, rng)
        model = MLPRegressor(hidden_layer_sizes=(32, 32), max_iter=200, random_state=0).fit(X, y)
        bg = X[:100]
        for n_inst in (5, 20):
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

            ex = shap.explainers.Exact(model.predict, shap.maskers.Independent(bg, max_samples=100))
            ex(Xe[:1], silent=True)  # warm: numba compiles once
            ref, (cpu, wall) = timed(lambda: ex(Xe, silent=True), args.repeats)
            rows.append(dict(data=kind, instances=n_inst, method="shap Exact", cpu=cpu, wall=wall))
            print(json.dumps(rows[-1]), flush=True)
            for label, inputs, tol in (("interplay NumPy array", Xe, 1e-12),
                                       ("interplay list (torch)", list(Xe), 1e-5)):
                (vals, base), (cpu, wall) = timed(lambda: ours(inputs), args.repeats)
                err = float(np.abs(vals - ref.values).max())
                assert err <= tol and np.abs(base - ref.base_values).max() <= tol, (label, err)
                rows.append(dict(data=kind, instances=n_inst, method=label, cpu=cpu, wall=wall,
                                 max_abs_diff=err))
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
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["tabular", "captum"])
    ap.add_argument("--label", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    (bench_tabular if a.part == "tabular" else bench_captum)(a)
