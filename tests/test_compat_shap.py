"""interplay.compat.shap: shap.Explanation output, shap's Exact explainer as the oracle, NumPy
and DataFrame inputs of explain, the torch-free tabular path and the distinct-row ("delta")
trick of TabularMasker. shap is a test dependency only (the `test` extra)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

shap = pytest.importorskip("shap")

import interplay  # noqa: E402
from interplay.compat.shap import ExactExplainer, interaction_matrix, to_explanation  # noqa: E402
from interplay.models import TabularMasker  # noqa: E402

N_FEAT = 6


def _data(rng, rows=60, n=N_FEAT):
    """Half integer-valued features (the background often equals the instance there: the
    delta trick's case), half continuous; every value exact in float32."""
    X = np.round(rng.normal(size=(rows, n)) * 64) / 64
    X[:, : n // 2] = rng.integers(0, 3, size=(rows, n // 2))
    return X


def _model(w):
    def f(Z):
        Z = np.asarray(Z, dtype=np.float64)
        return np.tanh(Z @ w) + Z[:, 0] * Z[:, 1] * Z[:, 4]
    return f


def _counted(w):
    """_model(w) that records the number of rows of each call."""
    seen = []

    def f(Z):
        seen.append(len(Z))
        return _model(w)(Z)
    return f, seen


def _model2(w):  # two outputs
    def f(Z):
        Z = np.asarray(Z, dtype=np.float64)
        return np.stack([np.tanh(Z @ w), Z[:, 0] * Z[:, 3] - Z[:, 2]], axis=1)
    return f


@pytest.mark.parametrize("interactions", [1, 2])
@pytest.mark.parametrize("outputs", [1, 2])
def test_exact_explainer_equals_shaps(rng, interactions, outputs):
    """Values, base values and shape equal shap's ExactExplainer (1e-12), SV and its
    interactions=2 (Shapley-Taylor) matrix, one and two outputs."""
    X = _data(rng)
    w = rng.normal(size=N_FEAT)
    f = _model(w) if outputs == 1 else _model2(w)
    bg, Xe = X[:40], X[40:44]

    def shap_exact(g):
        return shap.explainers.Exact(g, shap.maskers.Independent(bg, max_samples=100))(
            Xe, interactions=interactions, silent=True)
    ref = shap_exact(f)
    if outputs == 2 and interactions == 2:  # shap 0.51 flattens the pair and output axes
        per = [shap_exact(lambda Z, o=o: f(Z)[:, o]) for o in range(outputs)]
        ref = shap.Explanation(np.stack([e.values for e in per], -1),
                               np.stack([e.base_values for e in per], -1),
                               feature_names=per[0].feature_names)
    got = ExactExplainer(f, bg)(Xe, interactions=interactions)
    assert got.values.shape == ref.values.shape
    np.testing.assert_allclose(got.values, ref.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.base_values, ref.base_values, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got.data, Xe)
    assert list(got.feature_names) == list(ref.feature_names)  # shap's "Feature 0", ...
    # efficiency: base + sum of values = f(x)
    total = got.values.reshape(len(Xe), -1, *got.values.shape[2 + (interactions == 2):])
    np.testing.assert_allclose(got.base_values + total.sum(1), f(Xe), atol=1e-12)


def test_explain_takes_arrays_and_dataframes(rng):
    """A NumPy array and a DataFrame are explained row by row (the array used to raise
    TypeError); NumPy rows (float64, no torch) give the values the list of rows gives through
    torch's float32 rows (the data is exact in float32 and the model computes in float64)."""
    pd = pytest.importorskip("pandas")
    X = _data(rng)
    f = _model(rng.normal(size=N_FEAT))
    bg, Xe = X[:32], X[32:35]  # 32 rows: their mean is exact in float32 too
    kw = dict(index="SV", max_order=1, budget=2**N_FEAT)
    for strategy in ("baseline", "mean", "draws"):
        def masker():
            return TabularMasker(bg[0] if strategy == "baseline" else None, strategy=strategy,
                                 background=bg, n_draws=len(bg))
        from_list = interplay.explain(f, list(Xe), masker=masker(), **kw)
        from_array = interplay.explain(f, Xe, masker=masker(), **kw)
        frame = pd.DataFrame(Xe, columns=[f"c{j}" for j in range(N_FEAT)])
        from_frame = interplay.explain(f, frame, masker=masker(), **kw)
        for a, b, c in zip(from_list, from_array, from_frame):
            np.testing.assert_allclose(b.values, a.values, rtol=0, atol=1e-12)
            np.testing.assert_array_equal(c.values, b.values)
        assert from_frame[0].player_names == list(frame.columns)
        assert from_array[0].player_names == [f"x{j}" for j in range(N_FEAT)]
    with pytest.raises(TypeError, match="inputs"):
        interplay.explain(f, 3.0, masker=masker(), **kw)


def test_distinct_rows_rebuild_every_masked_row(rng):
    """TabularMasker.distinct_rows: every row of mask() is one of the distinct rows, and a
    coalition's rows are built once per draw class of absent differing features: 1 + sum_t
    (2^{d_t} - 1) rows over all 2^n coalitions for distinct draws differing from x on d_t
    features (shap's delta trick evaluates at least these)."""
    n, k = 7, 12
    x = np.zeros(n)
    d = rng.integers(0, n + 1, size=k)
    draws = np.zeros((k, n))
    for t in range(k):
        draws[t, rng.choice(n, size=d[t], replace=False)] = rng.normal(size=d[t])
    draws = np.concatenate([draws, draws[:3]])  # repeated draws count once
    masker = TabularMasker(background=draws, strategy="draws", n_draws=len(draws))
    masker.numpy = True
    inst = masker.encode(x)
    C = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    rows, inverse = masker.distinct_rows(inst, C)
    np.testing.assert_array_equal(rows[inverse], masker.mask(inst, C))
    d_distinct = [(row != 0).sum() for row in np.unique(draws, axis=0)]
    assert len(rows) == 1 + sum(2**int(e) - 1 for e in d_distinct)
    # continuous draws (none equals x anywhere, none repeats): every row is run, unsorted
    cont = TabularMasker(background=rng.normal(size=(5, n)), strategy="draws", n_draws=5)
    assert cont.distinct_rows(cont.encode(rng.normal(size=n)), C) is None


def test_delta_trick_runs_fewer_rows_same_values(rng, monkeypatch):
    """explain with background draws runs only the distinct masked rows and gives the values of
    running every row (1e-12), on the NumPy and the torch path."""
    X = _data(rng)
    f, seen = _counted(rng.normal(size=N_FEAT))
    bg, Xe = X[:40], X[40:43]
    kw = dict(index="SV", max_order=1, budget=2**N_FEAT)
    for inputs in (Xe, list(Xe)):
        seen.clear()
        fast = interplay.explain(f, inputs, masker=TabularMasker(
            background=bg, strategy="draws", n_draws=40), **kw)
        rows_fast = sum(seen)
        seen.clear()
        with monkeypatch.context() as m:
            m.setattr(TabularMasker, "distinct_rows", lambda self, inst, c: None)
            slow = interplay.explain(f, inputs, masker=TabularMasker(
                background=bg, strategy="draws", n_draws=40), **kw)
        assert sum(seen) == len(Xe) * 40 * 2**N_FEAT > 1.5 * rows_fast
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-12)


def test_tabular_path_needs_no_torch():
    """With torch unimportable, explain on a NumPy array and ExactExplainer work (and are
    right: a linear model's Shapley values are w_i (x_i - mean of the background))."""
    code = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None  # import torch raises ImportError
        import numpy as np
        import interplay
        from interplay.models import TabularMasker
        from interplay.compat.shap import ExactExplainer
        rng = np.random.default_rng(0)
        bg, X, w = rng.normal(size=(20, 5)), rng.normal(size=(3, 5)), rng.normal(size=5)
        f = lambda Z: Z @ w
        res = interplay.explain(f, X, masker=TabularMasker(background=bg, strategy="draws",
                                n_draws=20), index="SV", max_order=1, budget=32)
        ref = w * (X - bg.mean(0))
        np.testing.assert_allclose([r.values[1:] for r in res], ref, atol=1e-12)
        ex = ExactExplainer(f, bg)
        print("ok", sys.modules["torch"] is None)
    """)
    env_path = str(Path(interplay.__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["ok", "True"]


def test_interaction_matrix_conventions(rng):
    """Order-2 results: diagonal = order-1 values, off-diagonal = half the pair value; for SII
    the rows sum to the Shapley values (TreeSHAP's convention); k-SII and STII matrices sum to
    v(N) - v(empty)."""
    n = 5
    table = rng.normal(size=2**n)
    sv = interplay.exact(table, "SV", 1)
    for index in ("SII", "k-SII", "STII"):
        res = interplay.exact(table, index, 2)
        M = interaction_matrix(res)
        assert M.shape == (n, n)
        np.testing.assert_allclose(M, M.T, atol=0)
        i, j = 1, 3
        np.testing.assert_allclose(M[i, j], res[(i, j)] / 2, atol=1e-15)
        if index == "SII":
            np.testing.assert_allclose(M.sum(1), sv.to_dense(1), atol=1e-12)
        else:
            np.testing.assert_allclose(M.sum(), table[-1] - table[0], atol=1e-12)
            np.testing.assert_allclose(np.diag(M), res.to_dense(1), atol=1e-15)
    with pytest.raises(ValueError, match="max_order=2"):
        interaction_matrix(sv)


def test_to_shap_and_bad_input(rng):
    n = 4
    table = rng.normal(size=2**n)
    res = interplay.exact(table, "SV", 1)
    res.player_names = ["a", "b", "c", "d"]
    e = res.to_shap(data=np.arange(n))
    assert isinstance(e, shap.Explanation) and e.values.shape == (n,)
    np.testing.assert_allclose(e.values, res.to_dense(1), atol=0)
    assert e.base_values == table[0] and e.feature_names == ["a", "b", "c", "d"]
    many = to_explanation([res, res], np.zeros((2, n)))
    assert many.values.shape == (2, n) and many.base_values.shape == (2,)
    with pytest.raises(TypeError, match="results"):
        to_explanation([])
    with pytest.raises(ValueError, match="data"):
        to_explanation([res, res], np.zeros((3, n)))
    with pytest.raises(ValueError, match="interactions"):
        ExactExplainer(lambda Z: Z.sum(1), np.zeros((2, n)))(np.ones((1, n)), interactions=3)
    with pytest.raises(ValueError, match="X must have"):
        ExactExplainer(lambda Z: Z.sum(1), np.zeros((2, n)))(np.ones((1, n + 1)))


@pytest.mark.parametrize("plot", ["waterfall", "bar", "beeswarm"])
def test_shap_plots_render(rng, plot):
    """shap's waterfall, bar and beeswarm plots draw interplay results (Agg backend): the
    figure has axes, is not blank, and labels every feature by its name (waterfall: as
    "value = name")."""
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    X = _data(rng)
    f = _model(rng.normal(size=N_FEAT))
    res = interplay.explain(f, X[20:32], masker=TabularMasker(
        background=X[:20], strategy="draws", n_draws=20), index="SV", max_order=1,
        budget=2**N_FEAT)
    exp = to_explanation(res, X[20:32])
    plt.close("all")
    getattr(shap.plots, plot)(exp[0] if plot == "waterfall" else exp, show=False)
    fig = plt.gcf()
    assert fig.axes
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.001  # drawn, not a blank canvas
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    names = [f"x{j}" for j in range(N_FEAT)]
    assert all(any(lab == nm or lab.endswith(f"= {nm}") for lab in labels) for nm in names), \
        labels
    plt.close(fig)


def _proba(w):  # a classifier's probabilities: one column, or two (logit link's domain)
    def f(Z):
        Z = np.asarray(Z, dtype=np.float64)
        p = 1 / (1 + np.exp(-(np.tanh(Z @ w) + Z[:, 0] * Z[:, 4])))
        return p
    return f


@pytest.mark.parametrize("outputs", [1, 2])
@pytest.mark.parametrize("linearize", [True, False])
@pytest.mark.parametrize("link", ["identity", "logit"])
def test_exact_explainer_link_main_effects_as_shaps(rng, link, linearize, outputs):
    """shap's ``link`` (identity, logit) and ``linearize_link`` (shap's linearising weights of
    the background outputs) and ``main_effects``: values and base values equal shap's Exact
    explainer's (1e-10), one and two outputs. shap 0.51 computes main effects but its
    Explanation drops them (``main_effects`` None); they are the diagonal of its
    ``interactions=2`` matrix, the oracle here."""
    X = _data(rng)
    p = _proba(rng.normal(size=N_FEAT))
    f = p if outputs == 1 else (lambda Z: np.stack([p(Z), 1 - p(Z) ** 2], axis=1))
    bg, Xe = X[:30], X[30:33]
    lk = getattr(shap.links, link)
    ref = shap.explainers.Exact(f, shap.maskers.Independent(bg, max_samples=100), link=lk,
                                linearize_link=linearize)(Xe, main_effects=True, silent=True)
    got = ExactExplainer(f, bg, lk, linearize)(Xe, main_effects=True)
    assert got.values.shape == ref.values.shape
    np.testing.assert_allclose(got.values, ref.values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got.base_values, ref.base_values, rtol=0, atol=1e-10)
    diag = np.stack([np.diagonal(shap.explainers.Exact(
        lambda Z, o=o: np.reshape(f(Z), (len(Z), -1))[:, o],
        shap.maskers.Independent(bg, max_samples=100), link=lk, linearize_link=linearize)(
            Xe, interactions=2, silent=True).values, axis1=1, axis2=2)
        for o in range(outputs)], axis=-1)
    assert got.main_effects.shape == got.values.shape
    np.testing.assert_allclose(got.main_effects.reshape(diag.shape), diag, rtol=0, atol=1e-10)
    # the string form is the same link
    same = ExactExplainer(f, bg, link=link, linearize_link=linearize)(Xe)
    np.testing.assert_array_equal(same.values, got.values)


def test_exact_explainer_max_evals_and_batch_size(rng):
    """``max_evals`` is shap's check (2^k masked evaluations for k features that differ from
    some background row): too few raise ValueError before any model call, as shap's does,
    and enough give the exact values; ``batch_size`` bounds the coalitions per model call
    (``batch_size * len(background)`` rows) and does not change the values (bitwise)."""
    X = _data(rng)
    f, calls = _counted(rng.normal(size=N_FEAT))
    bg = X[:12].copy()
    x = X[40:41].copy()
    bg[:, 1] = x[0, 1]  # feature 1 never differs: 2^5 masked evaluations suffice
    masker = shap.maskers.Independent(bg, max_samples=100)
    with pytest.raises(ValueError, match="max_evals"):
        shap.explainers.Exact(f, masker)(x, max_evals=31, silent=True)
    calls.clear()
    with pytest.raises(ValueError, match="max_evals"):
        ExactExplainer(f, bg)(x, max_evals=31)
    assert calls == []
    ref = shap.explainers.Exact(f, masker)(x, max_evals=32, silent=True)
    got = ExactExplainer(f, bg)(x, max_evals=32)
    np.testing.assert_allclose(got.values, ref.values, rtol=0, atol=1e-12)
    assert got.values[0, 1] == 0.0  # a feature that never differs gets exactly 0
    calls.clear()
    small = ExactExplainer(f, bg)(x, batch_size=3)
    assert max(calls) <= 3 * len(bg) and len(calls) > 1
    np.testing.assert_array_equal(small.values, got.values)
    twice = ExactExplainer(f, bg)(x, interactions=True)
    np.testing.assert_array_equal(twice.values, ExactExplainer(f, bg)(x, interactions=2).values)
    calls.clear()
    for kw, name in (({"batch_size": 0}, "batch_size"), ({"outputs": [0]}, "outputs"),
                     ({"interactions": 3}, "interactions")):
        with pytest.raises(ValueError, match=name):
            ExactExplainer(f, bg)(x, **kw)
    with pytest.raises(ValueError, match="link"):
        ExactExplainer(f, bg, link="probit")
    with pytest.raises(ValueError, match="masker"):  # Owen values in shap: not Shapley's
        ExactExplainer(f, shap.maskers.Partition(bg))
    with pytest.raises(TypeError, match="masker"):
        ExactExplainer(f, object())
    assert calls == []  # every refusal before any model call
