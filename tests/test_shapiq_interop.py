"""Conversion to and from shapiq.InteractionValues, checked with the real shapiq 1.8.0.

shapiq 1.8.0 needs Python >= 3.12 and cannot be imported by the 3.11 test environment, so this
test runs a script in the Python 3.12 oracle venv (INTERPLAY_SHAPIQ_PYTHON; .ci/run builds it)
with interplay's pure-Python layer on its path (NumPy reference backend): to_shapiq() of our result equals ExactComputer's InteractionValues,
from_shapiq() of theirs equals ours, and shapiq loads the JSON file we write. Without that venv
the test is skipped (the JSON format itself is covered by tests/test_exact_golden.py).
"""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "")

SCRIPT = r"""
import json, sys, tempfile
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
import interplay
from interplay.results import InteractionResult
import shapiq
from shapiq import ExactComputer

n = 6
rng = np.random.default_rng(3)
table = rng.normal(size=2 ** n)
table[0] = 0.5
powers = 1 << np.arange(n)
game = lambda c: table[np.asarray(c, dtype=np.int64) @ powers]
ec = ExactComputer(game, n_players=n, evaluate_game=True)
report = []
for index, order in [("SII", 2), ("k-SII", 2), ("STII", 3), ("FBII", 2), ("BV", 1), ("Moebius", None),
                     ("Fourier", 2), ("kADD-SHAP", 2), ("SGV", 2), ("BGV", 1), ("BGV", 3),
                     ("CHGV", 2), ("IGV", 2), ("EGV", 1), ("JointSV", 3)]:
    ours = interplay.exact(table, index, order, backend="reference")
    ref = ec(index, order)
    iv = ours.to_shapiq()
    to_err = max(abs(iv[k] - v) for k, v in ref.dict_values.items())
    back = InteractionResult.from_shapiq(ref)
    from_err = max(abs(back[k] - ours[k]) for k in ours.to_dict())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "iv.json"
        ours.save_shapiq_json(path)
        loaded = shapiq.InteractionValues.load(path)
    json_err = max(abs(loaded[k] - v) for k, v in ref.dict_values.items())
    report.append({
        "index": index, "to_index": iv.index, "ref_index": ref.index,
        "baseline": [iv.baseline_value, ref.baseline_value, loaded.baseline_value, back.baseline_value],
        "to_err": to_err, "from_err": from_err, "json_err": json_err,
        "orders": [iv.min_order, iv.max_order, ref.min_order, ref.max_order],
        "n": [iv.n_players, loaded.n_players],
    })
print(json.dumps(report))
"""


@pytest.mark.golden
def test_round_trip_with_real_shapiq():
    if not PY or not Path(PY).exists():
        pytest.skip(f"no Python with shapiq 1.8.0 at {PY} (set INTERPLAY_SHAPIQ_PYTHON)")
    env = dict(os.environ, INTERPLAY_DISABLE_CPP="1", INTERPLAY_DISABLE_NUMBA="1",
               OPENBLAS_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([PY, "-c", SCRIPT, str(ROOT / "python")], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report) == 15
    for r in report:
        tol = 1e-8 if r["index"] == "kADD-SHAP" else 1e-12  # shapiq's big-M
        assert r["to_index"] == r["ref_index"], r
        assert r["to_err"] < tol and r["from_err"] < tol and r["json_err"] < tol, r
        assert max(r["baseline"]) - min(r["baseline"]) < tol, r
        assert r["orders"][:2] == r["orders"][2:], r
        assert r["n"] == [6, 6]


# ----------------------------------------------------------------------------- the drop-in
# interplay.compat.shapiq in the 3.12 environment: its installed interplay (.ci/run installs
# it), else this checkout's Python layer (tests/test_shapiq_peer.py: interplay_env)

def run_compat(script: str, timeout: int = 1200) -> dict:
    from tests.test_shapiq_peer import interplay_env

    if not PY or not Path(PY).exists():
        pytest.skip("no Python with shapiq 1.8.0 (set INTERPLAY_SHAPIQ_PYTHON)")
    proc = subprocess.run([PY, "-c", script, str(ROOT)], capture_output=True, text=True,
                          env=interplay_env(PY), timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


EXACT_SCRIPT = r"""
import json, sys, warnings
import numpy as np
sys.path.insert(0, sys.argv[1] + "/bench")
import shapiq
from shapiq.game_theory.moebius_converter import MoebiusConverter
from shapiq_compat import games, table_game
from interplay.compat.shapiq import ExactComputer, InterplayFallbackWarning

n = 7
report = []
for gname, game in games(n).items():
    g = table_game(game, n)
    stock, ours = shapiq.ExactComputer(g, n_players=n), ExactComputer(g, n_players=n)
    moebius = stock("Moebius")
    for index in ("SV", "BV", "SII", "BII", "CHII", "Co-Moebius", "k-SII", "STII", "FSII", "FBII",
                  "Moebius", "kADD-SHAP", "SGV", "BGV", "CHGV", "IGV", "EGV", "JointSV",
                  "Fourier"):
        for order in ((1,) if index in ("SV", "BV") else (1, 2, 3)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                a, b = stock(index, order), ours(index, order)
            fell_back = any(issubclass(w.category, InterplayFallbackWarning) for w in caught)
            ref = a
            if index == "FSII":  # the exact constrained solution (shapiq's closed form)
                ref = MoebiusConverter(moebius)("FSII", order)
            keys = set(ref.dict_values) | set(b.dict_values)
            err = max(abs(ref[k] - b[k]) for k in keys if len(k) > 0)
            report.append({"game": gname, "index": index, "order": order, "err": float(err),
                           "empty": float(abs(a[()] - b[()])), "fallback": fell_back,
                           # k-SII drops exact zeros: a set may be kept on one side only
                           # where its value is rounding-sized (a null player's pairs)
                           "same_keys": list(a.dict_values) == list(b.dict_values)
                                        or index == "FSII" or (index == "k-SII" and all(
                               abs(a[k]) < 1e-12 and abs(b[k]) < 1e-12 for k in
                               set(a.dict_values) ^ set(b.dict_values))),
                           "meta": [bool(x) for x in (
                               a.index == b.index, a.max_order == b.max_order,
                               a.min_order == b.min_order,
                               abs(a.baseline_value - b.baseline_value) < 1e-10,
                               a.estimated == b.estimated)]})
print(json.dumps(report))
"""


@pytest.mark.golden
def test_compat_exact_values_equal_stock_shapiq():
    """ExactComputer of interplay.compat.shapiq equals stock shapiq's on SOUM, DummyGame,
    RandomTableGame and a tabular local-explanation game, every index at orders 1-3, to 1e-10
    (FSII against the exact constrained solution, shapiq's closed form; kADD-SHAP 1e-8 against
    shapiq's big-M solution), with shapiq's keys, empty-set entry, baseline and metadata. Indices
    interplay does not have yet fall back to shapiq (counted, not failed)."""
    report = run_compat(EXACT_SCRIPT)
    assert len(report) == 4 * (2 + 17 * 3)
    for r in report:
        # kADD-SHAP: interplay's has exact constraints, shapiq's big-M weights miss by ~1e-9
        tol = 1e-8 if r["index"] == "kADD-SHAP" else 1e-10
        assert r["err"] < tol and r["empty"] < 1e-10, r
        assert r["same_keys"] and all(r["meta"]), r


#: bench/shapiq_compat.py's ratios() of stock shapiq's and interplay's mean squared errors
#: (n = 10, budget 300, over the seeds) on SOUM, DummyGame, RandomTableGame (v(empty) = 0.64)
#: and the tabular game, and the largest ratio each side may have:
#: - "routed": every routed drop-in class (CASES), 10 seeds. A mean over 10 seeds has a relative
#:   standard error of ~10-20% here; 1.5x flags a real loss (the offset defect was 4-5x,
#:   interplay's default pairing 1.9x on SOUM).
#: - "montecarlo": SHAP-IQ and SVARM-IQ (SHAPIQ, UnbiasedKernelSHAP, SVARMIQ, SVARM: SV,
#:   SII / k-SII / STII of orders 2 and 3, BII) as drop-in classes and as
#:   ``interplay.approximate(..., method="shapiq" | "svarmiq")`` with interplay's defaults,
#:   seeds 0-29: at most 1 + 2 standard errors of the ratio (delta method over both sides'
#:   seeds: 0.01-0.14 measured; a true ratio of 1 fails a cell with probability ~2%, the seeds
#:   are fixed). Measured (bench/RESULTS.md, issue 13): 0.10-0.99; before, up to 1.7.
ERROR_CHECKS = {
    "routed": ("CASES", 10, False, 4 * 20,  # 1.5x, or both errors below 1e-20
               lambda r, side: 1.5 + 1e-20 / max(r["stock"], 1e-300)),
    "montecarlo": ("MC_CASES", 30, True, 4 * 15,
                   lambda r, side: 1 + 2 * r[side + "_ratio_se"]),
}

RATIOS_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1] + "/bench")
import shapiq_compat
rows = shapiq_compat.ratios(n=10, budget=300, seeds={seeds},
                            cases=getattr(shapiq_compat, "{cases}"), own={own})
print(json.dumps(rows))
"""


@pytest.mark.slow
@pytest.mark.golden
@pytest.mark.parametrize("check", sorted(ERROR_CHECKS))
def test_sampled_errors_no_worse_than_stock_shapiq(check):
    """Sampled errors no worse than stock shapiq's same class on every game, the offset game
    included (ERROR_CHECKS gives the classes, seeds and tolerance of each check)."""
    cases, seeds, own, count, limit = ERROR_CHECKS[check]
    rows = run_compat(RATIOS_SCRIPT.format(seeds=seeds, cases=cases, own=own), timeout=5400)
    assert len(rows) == count
    sides = ("compat", "own") if own else ("compat",)
    worse = [(r["game"], r["class"], r["kw"], side, r[side + "_ratio"], r[side + "_ratio_se"])
             for r in rows for side in sides if r[side + "_ratio"] > limit(r, side)]
    assert not worse, worse


PLOTS_SCRIPT = r"""
import json, sys, tempfile, warnings
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapiq
from shapiq_games.synthetic import SOUM
import interplay
from interplay.compat.shapiq import ExactComputer, KernelSHAPIQ

n = 6
game = SOUM(n, n_basis_games=15, random_state=3)
ivs = {
    "ExactComputer k-SII": ExactComputer(game)("k-SII", 2),
    "KernelSHAPIQ": KernelSHAPIQ(n, max_order=2, index="k-SII", random_state=0).approximate(40, game),
    "to_shapiq": interplay.exact(ExactComputer(game).table, "SII", 2).to_shapiq(),
}
out = {}
with tempfile.TemporaryDirectory() as tmp:
    for name, iv in ivs.items():
        for plot in ("network_plot", "si_graph_plot", "force_plot", "upset_plot"):
            plt.close("all")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(shapiq.plot, plot)(iv, show=False)
            path = Path(tmp) / f"{plot}.png"
            plt.gcf().savefig(path)
            out[f"{name} {plot}"] = path.stat().st_size
print(json.dumps(out))
"""


@pytest.mark.golden
def test_shapiq_plots_render_from_interplay_results():
    """shapiq's network, si_graph, force and upset plots render (Agg) from the drop-in's exact
    and sampled results and from InteractionResult.to_shapiq()."""
    sizes = run_compat(PLOTS_SCRIPT)
    assert len(sizes) == 12
    assert all(size > 1000 for size in sizes.values()), sizes


INSTALL_SCRIPT = r"""
import inspect, json, warnings
import numpy as np
import shapiq
from shapiq.approximator.base import Approximator
from shapiq_games.synthetic import SOUM
import interplay.compat.shapiq as ic

stock_names = sorted(n for n in dir(shapiq.approximator)
                     if inspect.isclass(getattr(shapiq.approximator, n))
                     and issubclass(getattr(shapiq.approximator, n), Approximator)
                     and not inspect.isabstract(getattr(shapiq.approximator, n)))
game = SOUM(7, n_basis_games=20, random_state=4)
before = shapiq.ExactComputer(game)("k-SII", 2)
ic.install()
from shapiq.approximator import KernelSHAPIQ  # a user's import after install()
swapped = [shapiq.ExactComputer is ic.ExactComputer, KernelSHAPIQ is ic.KernelSHAPIQ,
           shapiq.KernelSHAPIQ is ic.KernelSHAPIQ, ic.installed()]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    after = shapiq.ExactComputer(game)("k-SII", 2)  # unchanged shapiq code, interplay inside
    est = KernelSHAPIQ(7, max_order=2, index="k-SII", random_state=0).approximate(128, game)
    ref = ic.KernelSHAPIQ(7, max_order=2, index="k-SII", random_state=0).approximate(128, game)
ic.uninstall()
print(json.dumps({
    "missing": [n for n in stock_names if n not in ic.ROUTES],
    "n_stock": len(stock_names), "swapped": swapped,
    "restored": [shapiq.ExactComputer is not ic.ExactComputer, not ic.installed()],
    "exact_err": max(abs(after[k] - before[k]) for k in before.dict_values),
    "types": [type(after).__name__, type(est).__name__],
    "same_estimate": bool(np.array_equal(est.values, ref.values))}))
"""


@pytest.mark.golden
def test_install_and_every_shapiq_approximator_name():
    """Every concrete approximator class shapiq 1.8.0 defines has a drop-in of the same name
    (interplay.compat.shapiq.ROUTES: computed by interplay, or shapiq's own code with a
    warning); install() puts the drop-ins in place of shapiq's classes for unchanged shapiq
    code (a later ``from shapiq.approximator import ...`` included): its values equal stock
    shapiq's (exact k-SII, 1e-10) and the drop-in's (sampled, bitwise); uninstall() restores
    shapiq's classes."""
    r = run_compat(INSTALL_SCRIPT)
    # 21 concrete classes in a plain shapiq 1.8.0 install; SPEX is exported only with the
    # shapiq[sparse] extras (22 then): every class the environment has must have a drop-in
    assert r["n_stock"] >= 21 and r["missing"] == [], r
    assert all(r["swapped"]) and all(r["restored"]), r
    assert r["exact_err"] < 1e-10 and r["same_estimate"], r
    assert r["types"] == ["InteractionValues", "InteractionValues"], r


SPARSE_SCRIPT = r"""
import json, sys, warnings
import numpy as np
from shapiq.approximator import SPEX as StockSPEX, ProxySPEX as StockProxySPEX
from shapiq.game_theory.moebius_converter import MoebiusConverter
from shapiq.interaction_values import InteractionValues
from interplay.compat.shapiq import SPEX, ProxySPEX, InterplayFallbackWarning

n = 40
terms = [(1,), (3, 7), (10, 11, 12), (20,), (5, 30)]
coef = np.random.default_rng(0).normal(size=len(terms))
game = lambda C: 0.3 + sum(c * np.asarray(C, bool)[:, list(t)].all(axis=1)
                           for t, c in zip(terms, coef))
mob = {(): 0.3, **{t: float(c) for t, c in zip(terms, coef)}}
mi = InteractionValues(values=np.array(list(mob.values())), index="Moebius", min_order=0,
                       max_order=3, n_players=n, interaction_lookup={k: i for i, k in
                       enumerate(mob)}, estimated=False, baseline_value=0.3)
truth = MoebiusConverter(moebius_coefficients=mi)(index="k-SII", order=3)
out = {}
# a plain shapiq install (no [sparse] extra) exports a placeholder SPEX that raises on
# construction; the drop-in subclasses it, so its SPEX needs the extra too
cases = [("ProxySPEX", ProxySPEX, StockProxySPEX, {})]
if not hasattr(StockSPEX, "_import_error"):
    cases += [("SPEX", SPEX, StockSPEX, {}), ("SPEX top_order", SPEX, StockSPEX, {"top_order": True})]
for name, cls, stock_cls, kw in cases:
    with warnings.catch_warnings():
        warnings.simplefilter("error", InterplayFallbackWarning)
        approx = cls(n=n, max_order=3, index="k-SII", random_state=0, **kw)
        iv = approx.approximate(3000, game)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ProxySPEX without LightGBM warns of its fallback tree
        stock = stock_cls(n=n, max_order=3, index="k-SII", **kw)
    low = 3 if kw else 0
    want = {k: v for k, v in truth.dict_values.items() if low <= len(k) and abs(v) > 1e-12}
    got = {k: v for k, v in iv.dict_values.items() if abs(v) > 1e-12}
    out[name] = {
        "type": type(iv).__name__, "err": max(abs(iv[k] - truth[k]) for k in set(want) | set(got)),
        "sets": sorted(map(list, got)) == sorted(map(list, want)),
        "meta": [iv.index, iv.max_order, iv.n_players, iv.estimated, iv.estimation_budget],
        "stock_meta": [stock.index, stock.max_order, n, True, 3000],
        "lookup_is_output": set(approx.interaction_lookup) == set(iv.interaction_lookup),
        "baseline": iv.baseline_value, "want_baseline": 0.0 if kw else 0.3}
print(json.dumps(out))
"""


@pytest.mark.golden
def test_spex_and_proxyspex_drop_ins_are_sparse_recovery():
    """SPEX and ProxySPEX of the drop-in run interplay's method="sparse" (no fallback warning):
    on a sum of 5 unanimity games of 40 players at budget 3,000 their k-SII of order 3 equals
    the k-SII shapiq's MoebiusConverter computes from the true Moebius coefficients (1e-9), with
    the non-zero sets only (shapiq's sparse output) and the approximator's lookup set to the
    output's; index, order, players and budget as stock SPEX reports them; top_order keeps
    the order-3 sets, baseline 0, as stock."""
    r = run_compat(SPARSE_SCRIPT)
    assert "ProxySPEX" in r, r
    for name, c in r.items():
        assert c["type"] == "InteractionValues", (name, c)
        assert c["err"] < 1e-9 and c["sets"] and c["lookup_is_output"], (name, c)
        assert c["meta"] == c["stock_meta"], (name, c)
        np.testing.assert_allclose(c["baseline"], c["want_baseline"], atol=1e-12)


def test_compat_import_needs_shapiq():
    """interplay never depends on shapiq: importing the drop-in without it says what to do."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("shapiq") is not None:
        pytest.skip("shapiq is installed here")
    with pytest.raises(ImportError, match="needs shapiq installed"):
        importlib.import_module("interplay.compat.shapiq")


NAMES_SCRIPT = r"""
import json
import numpy as np
import interplay
from interplay.results import InteractionResult

table = np.random.default_rng(1).normal(size=2 ** 4)
res = interplay.exact(table, "SII", 2)
res.player_names = ["age", "bmi", "bp", "s1"]
iv = res.to_shapiq()
back = InteractionResult.from_shapiq(iv)
print(json.dumps({"iv": iv.player_names, "back": back.player_names,
                  "same": bool(np.allclose(back.values, res.values))}))
"""


@pytest.mark.golden
def test_to_shapiq_keeps_player_names():
    out = run_compat(NAMES_SCRIPT)
    assert out == {"iv": ["age", "bmi", "bp", "s1"], "back": ["age", "bmi", "bp", "s1"],
                   "same": True}


MULTI_SCRIPT = r"""
import json
import numpy as np
import shapiq
import interplay
from interplay.results import InteractionResult

rng = np.random.default_rng(5)
n, d = 5, 3
table = rng.normal(size=(2 ** n, d))
powers = 1 << np.arange(n)
out = {}
for index, order in (("SII", 2), ("STII", 2), ("FSII", 2), ("SV", 1)):
    res = interplay.exact(table, index, order)
    res.player_names = list("abcde")
    ivs = res.to_shapiq()
    errs, names, base = [], [], []
    for j, iv in enumerate(ivs):
        # oracle: shapiq's own ExactComputer on output j's game
        ref = shapiq.ExactComputer(lambda c, j=j: table[np.asarray(c, dtype=np.int64) @ powers, j],
                                   n_players=n)(index, order)
        keys = {k for k in set(ref.dict_values) | set(iv.dict_values) if len(k) > 0}
        errs.append(max(abs(ref[k] - iv[k]) for k in keys))
        names.append(iv.player_names)
        base.append(abs(iv.baseline_value - table[0, j]))
    one = res.to_shapiq(output=1)
    back = InteractionResult.from_shapiq(ivs)
    out[index] = {"types": sorted({type(iv).__name__ for iv in ivs}), "len": len(ivs),
                  "err": max(errs), "base": max(base), "names": names,
                  "same_as_output": bool(np.array_equal(one.values, ivs[1].values)),
                  "back_shape": list(back.values.shape), "back_names": back.player_names,
                  "back_err": float(np.abs(back.values - res.values).max()),
                  "back_base": float(np.abs(back.baseline_value - res.baseline_value).max())}
try:
    InteractionResult.from_shapiq([ivs[0], interplay.exact(table[:, 0], "SII", 2).to_shapiq()])
    out["mixed"] = "accepted"
except ValueError as err:
    out["mixed"] = str(err)
print(json.dumps(out))
"""


@pytest.mark.golden
def test_to_shapiq_multi_output_in_one_call():
    """A d-output result converts in one call to a list of d InteractionValues, one per output
    (shapiq's explainers explain one output at a time and return one object per case), each
    equal to shapiq's ExactComputer on that output's game (1e-10; FSII against shapiq's
    solution of its big-M least squares, 1e-8), v(empty) of that output as baseline, the
    player names kept; from_shapiq of the list gives the d-output result back (1e-15)."""
    out = run_compat(MULTI_SCRIPT)
    assert out.pop("mixed").startswith("iv: a list needs")
    for index, r in out.items():
        assert r["types"] == ["InteractionValues"] and r["len"] == 3, r
        assert r["err"] < (1e-8 if index == "FSII" else 1e-10), (index, r["err"])
        assert r["base"] == 0.0 and r["same_as_output"], r
        assert r["names"] == [list("abcde")] * 3 and r["back_names"] == list("abcde"), r
        assert r["back_shape"][1] == 3 and r["back_err"] <= 1e-15 and r["back_base"] == 0.0, r


BATCH_SCRIPT = r"""
import json, warnings
import numpy as np
from shapiq_games.synthetic import SOUM
from interplay.compat.shapiq import (KernelSHAP, PermutationSamplingSII, PermutationSamplingSTII,
                                     PermutationSamplingSV, RegressionFSII)

n, budget = 9, 450  # below 2^9: the samplers draw permutations
soum = SOUM(n, n_basis_games=20, random_state=1)
calls = []
def game(c):
    calls.append(len(np.atleast_2d(c)))
    return soum(c)

out = {}
for cls, kw in ((PermutationSamplingSV, {}), (PermutationSamplingSII, {"max_order": 2}),
                (PermutationSamplingSTII, {"max_order": 2}), (KernelSHAP, {}),
                (RegressionFSII, {"max_order": 2})):
    runs = {}
    for label, args, kwargs in (("default", (), {}), ("None", (), {"batch_size": None}),
                                ("1", (), {"batch_size": 1}), ("3 positional", (3,), {}),
                                ("1000", (), {"batch_size": 1000})):
        calls.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a fallback to shapiq would warn
            approx = cls(n, random_state=0, **kw)
            iv = approx.approximate(budget, game, *args, **kwargs)
        runs[label] = {"values": iv.values.tolist(), "calls": list(calls),
                       "cost": getattr(approx, "iteration_cost", None)}
    calls.clear()
    try:
        cls(n, random_state=0, **kw).approximate(budget, game, batch_size=0)
        refused = None
    except ValueError as err:
        refused = str(err)
    out[cls.__name__] = {"runs": runs, "refused": refused, "calls_when_refused": len(calls)}
print(json.dumps(out))
"""


@pytest.mark.golden
def test_approximate_batch_size_as_shapiq():
    """shapiq's ``approximate(budget, game, batch_size=...)``: the permutation samplers call
    the game with at most ``batch_size`` permutations' coalitions (``batch_size *
    iteration_cost`` rows; None means 1, the default is shapiq's: 5 for SV/SII, 1 for STII)
    and their values do not depend on it (bitwise); a batch size below 1 is refused before any
    game call. The other approximators have no batch size and ignore it, as shapiq's do."""
    out = run_compat(BATCH_SCRIPT)
    defaults = {"PermutationSamplingSV": 5, "PermutationSamplingSII": 5,
                "PermutationSamplingSTII": 1}
    for name, r in out.items():
        runs = r["runs"]
        first = runs["default"]["values"]
        assert all(run["values"] == first for run in runs.values()), name
        if name not in defaults:
            assert r["refused"] is None  # ignored, as shapiq ignores it
            continue
        assert r["refused"].startswith("batch_size must be") and r["calls_when_refused"] == 0
        cost = runs["default"]["cost"]
        for label, size in (("default", defaults[name]), ("None", 1), ("1", 1),
                            ("3 positional", 3), ("1000", 1000)):
            calls = runs[label]["calls"]
            assert max(calls) <= size * cost, (name, label, calls, cost)
        assert len(runs["1"]["calls"]) > len(runs["1000"]["calls"]), name


PLOT_CONTENT_SCRIPT = r"""
import json, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.text import Text
import numpy as np
import shapiq
from shapiq_games.synthetic import SOUM
import interplay
from interplay.compat.shapiq import ExactComputer, KernelSHAPIQ

n = 6
names = ["age", "bmi", "bp", "s1", "s2", "s3"]
game = SOUM(n, n_basis_games=15, random_state=3)
table = ExactComputer(game).table
res = interplay.exact(table, "k-SII", 2)
res.player_names = names
multi = interplay.exact(np.stack([table, -2 * table], axis=1), "k-SII", 2)
multi.player_names = names
ivs = {
    "ExactComputer k-SII": ExactComputer(game)("k-SII", 2),
    "KernelSHAPIQ": KernelSHAPIQ(n, max_order=2, index="k-SII", random_state=0).approximate(40, game),
    "to_shapiq": res.to_shapiq(),
    "to_shapiq output 1 of 2": multi.to_shapiq()[1],
}
out = {}
for name, iv in ivs.items():
    for plot in ("network_plot", "si_graph_plot", "force_plot", "upset_plot"):
        plt.close("all")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(shapiq.plot, plot)(iv, feature_names=getattr(iv, "player_names", names),
                                       show=False)
        fig = plt.gcf()
        fig.canvas.draw()
        px = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible()]
        out[f"{name} {plot}"] = {
            "axes": len(fig.axes), "std": float(px.std()),
            "inked": float((px.min(axis=2) < 200).mean()),
            "names": sum(any(nm in t for t in texts) for nm in names)}
print(json.dumps(out))
"""


@pytest.mark.golden
def test_shapiq_plots_show_interplay_content():
    """shapiq's network, si_graph, force and upset plots of the drop-in's exact and sampled
    results, of to_shapiq() and of one output of a multi-output result (Agg): each figure has
    axes, is drawn (pixel spread, more than 1% of pixels inked) and labels the players by the
    names to_shapiq() carries (all six in the network, si_graph and upset plots; the force
    plot names only the largest contributions, so at least two)."""
    out = run_compat(PLOT_CONTENT_SCRIPT)
    assert len(out) == 16
    for key, r in out.items():
        assert r["axes"] >= 1 and r["std"] > 10 and r["inked"] > 0.01, (key, r)
        assert r["names"] >= (2 if "force" in key else 6), (key, r)
