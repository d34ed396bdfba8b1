"""interplay.compat.captum: captum's attribute() form for ShapleyValues, ShapleyValueSampling
and KernelShap; captum (a test dependency) and a brute-force permutation sum are the oracles."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from interplay.compat.captum import KernelShap, ShapleyValueSampling, ShapleyValues  # noqa: E402


def _mlp(n_in, n_out, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(n_in, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, n_out)).double()


def _brute_force(f, x, base, groups, target):
    """Shapley values by the permutation formula (n! orders, float64), one example."""
    ids = sorted(set(groups.tolist()))
    phi = dict.fromkeys(ids, 0.0)

    def v(present):
        keep = torch.tensor([g in present for g in groups.tolist()])
        with torch.no_grad():
            return float(f(torch.where(keep, x, base).unsqueeze(0))[0, target])
    for perm in itertools.permutations(ids):
        present = set()
        prev = v(present)
        for g in perm:
            present.add(g)
            cur = v(present)
            phi[g] += cur - prev
            prev = cur
    count = math.factorial(len(ids))
    return torch.tensor([phi[g] / count for g in groups.tolist()], dtype=torch.float64)


def test_shapley_values_equal_captums_on_an_mlp(rng):
    """A 7-feature MLP, 5 feature groups, per-example targets: equal to the permutation formula
    (1e-12) and to captum's ShapleyValues (1e-6: captum accumulates in float32); shape as
    captum's."""
    net = _mlp(7, 3)
    x = torch.from_numpy(rng.normal(size=(3, 7)))
    base = torch.from_numpy(rng.normal(size=(1, 7)))
    fm = torch.tensor([[0, 0, 1, 2, 3, 3, 4]])
    target = [0, 2, 1]
    got = ShapleyValues(net).attribute(x, baselines=base, target=target, feature_mask=fm)
    ref = captum_attr.ShapleyValues(net).attribute(x, baselines=base, target=target,
                                                   feature_mask=fm)
    assert got.shape == ref.shape == x.shape and got.dtype == x.dtype
    torch.testing.assert_close(got, ref.double(), rtol=0, atol=1e-6)
    for b in range(3):
        torch.testing.assert_close(got[b], _brute_force(net, x[b], base[0], fm[0], target[b]),
                                   rtol=0, atol=1e-12)
    # efficiency per example: one element per group sums to f(x) - f(baseline)
    out = net(x).detach()
    groups_sum = torch.stack([got[b, [0, 2, 3, 4, 6]].sum() for b in range(3)])
    at_base = net(base.expand(3, 7)).detach()
    torch.testing.assert_close(groups_sum, out[[0, 1, 2], target] - at_base[[0, 1, 2], target],
                               rtol=0, atol=1e-12)


def test_tuple_inputs_shared_ids_and_extra_args(rng):
    """Two input tensors whose ids overlap (one player across both, as captum groups them), a
    scalar and a tensor baseline, an additional tensor argument per example, float32."""
    w1 = torch.from_numpy(rng.normal(size=(3,))).float()
    w2 = torch.from_numpy(rng.normal(size=(2,))).float()

    def f(a, b, scale):
        return torch.tanh(a @ w1) * (b @ w2) * scale

    a = torch.from_numpy(rng.normal(size=(2, 3))).float()
    b = torch.from_numpy(rng.normal(size=(2, 2))).float()
    scale = torch.tensor([1.0, 2.0])
    fm = (torch.tensor([[0, 1, 2]]), torch.tensor([[2, 3]]))
    kw = dict(baselines=(0.25, torch.zeros(1, 2)), additional_forward_args=(scale,),
              feature_mask=fm)
    got = ShapleyValues(f).attribute((a, b), **kw)
    ref = captum_attr.ShapleyValues(f).attribute((a, b), **kw)
    assert isinstance(got, tuple) and [g.shape for g in got] == [r.shape for r in ref]
    assert got[0].dtype == torch.float32
    for g, r in zip(got, ref):
        torch.testing.assert_close(g, r, rtol=0, atol=2e-6)
    torch.testing.assert_close(got[0][:, 2], got[1][:, 0])  # one player in both tensors


@pytest.mark.parametrize("cls", [ShapleyValueSampling, KernelShap])
def test_sampling_reproducible_and_close(rng, cls):
    """Same seed, same tensor; another seed, another one; the error to the exact values falls
    as n_samples grows and is small at 100 permutations' worth; exact once n_samples covers
    2^n (n = 12 players)."""
    mlp = _mlp(12, 1, seed=2)

    def net(z):  # one scalar per example: (B, n) attributions from every class
        return mlp(z)[:, 0]
    x = torch.from_numpy(rng.normal(size=(2, 12)))
    exact = ShapleyValues(net).attribute(x)
    per = 12 if cls is KernelShap else 1  # KernelShap counts coalitions, sampling permutations
    one = cls(net).attribute(x, n_samples=20 * per, seed=5)
    assert torch.equal(one, cls(net, seed=5).attribute(x, n_samples=20 * per))
    assert not torch.equal(one, cls(net).attribute(x, n_samples=20 * per, seed=6))
    err = [float((cls(net).attribute(x, n_samples=k * per, seed=5) - exact).abs().max())
           for k in (5, 100)]
    scale = float(exact.abs().max())
    assert err[1] < err[0] and err[1] < 0.05 * scale
    full = cls(net).attribute(x, n_samples=2**12 if cls is KernelShap else 400, seed=5)
    torch.testing.assert_close(full, exact, rtol=0, atol=1e-10)


def test_kernelshap_interpretable_shape_and_defaults(rng):
    net = _mlp(4, 2)
    x = torch.from_numpy(rng.normal(size=(3, 4)))
    fm = torch.tensor([[0, 0, 1, 1]])
    got = KernelShap(net).attribute(x, target=1, feature_mask=fm, return_input_shape=False)
    assert got.shape == (3, 2)
    ref = ShapleyValues(net).attribute(x, target=1, feature_mask=fm)  # 2^2 <= 25: exact
    torch.testing.assert_close(got, ref[:, [0, 2]], rtol=0, atol=1e-12)


def test_bad_input_is_refused_before_any_model_call(rng):
    calls = []

    def f(z):
        calls.append(len(z))
        return z.sum(1, keepdim=True).repeat(1, 2)
    x = torch.from_numpy(rng.normal(size=(2, 3)))
    with pytest.raises(TypeError, match="forward_func"):
        ShapleyValues(3)
    with pytest.raises(TypeError, match="inputs"):
        ShapleyValues(f).attribute(np.ones((2, 3)))
    with pytest.raises(ValueError, match="baselines"):
        ShapleyValues(f).attribute(x, baselines=torch.zeros(5, 3))
    with pytest.raises(TypeError, match="feature_mask"):
        ShapleyValues(f).attribute(x, feature_mask=torch.zeros(1, 3))
    with pytest.raises(ValueError, match="feature_mask"):
        ShapleyValues(f).attribute(x, feature_mask=torch.zeros(1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="n_samples"):
        ShapleyValueSampling(f).attribute(x, n_samples=0)
    with pytest.raises(ValueError, match="target"):
        ShapleyValues(f).attribute(x, target=[0, 1, 0])
    assert calls == []


def _shape(r):
    return tuple(tuple(t.shape) for t in r) if isinstance(r, tuple) else tuple(r.shape)


@pytest.mark.filterwarnings("ignore:You are providing multiple inputs:UserWarning")
@pytest.mark.parametrize("cls", [ShapleyValues, ShapleyValueSampling, KernelShap])
def test_output_shapes_and_errors_are_captums(rng, cls):
    """captum 0.9 is the oracle for every combination of model output (B,), (B, 1), (B, C),
    target None / int / per-example list (captum refuses a target on (B,) outputs), a tensor or a tuple of tensors, with and without a
    feature_mask (and KernelShap's return_input_shape): the same shapes, and an error where
    captum raises one (KernelShap without target on C > 1 outputs, a target out of range).
    Without a target captum's ShapleyValues and ShapleyValueSampling keep the output axes,
    (B, 1, ...) for a one-column model, while its KernelShap returns (B, ...). The values are
    captum ShapleyValues' (1e-6; the sampled classes are exact at these budgets)."""
    w = torch.from_numpy(rng.normal(size=(5, 3)))
    outputs = {"B": lambda y: y.sum(1), "B1": lambda y: y[:, :1], "BC": lambda y: y}
    x = torch.from_numpy(rng.normal(size=(2, 5)))
    forms = {"tensor": (x, torch.tensor([[0, 0, 1, 2, 2]])),
             "tuple": ((x[:, :3], x[:, 3:]), (torch.tensor([[0, 0, 1]]), torch.tensor([[2, 2]])))}
    kw = {} if cls is ShapleyValues else {"n_samples": 64 if cls is KernelShap else 40}
    checked = 0
    for out, target, form, use_fm, ris in itertools.product(
            outputs, (None, 1, [0, 1]), forms, (False, True),
            (True, False) if cls is KernelShap else (True,)):
        def f(*zs, out=out):
            return outputs[out](torch.tanh(torch.cat(zs, 1) @ w))
        inputs, fm = forms[form]
        base = (0.5, 0.5) if form == "tuple" else 0.5  # captum: one baseline per input tensor
        args = dict(target=target, baselines=base, feature_mask=fm if use_fm else None, **kw)
        if cls is KernelShap:
            args["return_input_shape"] = ris
        try:  # captum's shapes do not depend on n_samples: a few keep it quick
            ref = getattr(captum_attr, cls.__name__)(f).attribute(
                inputs, **{**args, **({"n_samples": 4} if kw else {})})
        except (AssertionError, IndexError, RuntimeError):  # captum refuses: so do we
            with pytest.raises(ValueError, match="target"):
                cls(f).attribute(inputs, **args)
            checked += 1
            continue
        got = cls(f).attribute(inputs, **args)
        assert _shape(got) == _shape(ref), (out, target, form, use_fm, ris)
        exact = captum_attr.ShapleyValues(f).attribute(
            inputs, target=target, baselines=base, feature_mask=fm if use_fm else None)
        for g, e in zip(got if form == "tuple" and ris else (got,),
                        exact if form == "tuple" else (exact,)):
            if g.shape == e.shape or not ris:  # per-group values: one element per group
                e = e if ris else torch.cat([t.reshape(*g.shape[:-1], -1) for t in (
                    exact if form == "tuple" else (exact,))], -1)[..., [0, 2, 3] if use_fm
                                                                  else slice(None)]
            torch.testing.assert_close(g, e.reshape(g.shape).double(), rtol=0, atol=1e-6)
        checked += 1
    assert checked == 3 * 3 * 4 * (2 if cls is KernelShap else 1)


@pytest.mark.parametrize("cls", [ShapleyValues, ShapleyValueSampling, KernelShap])
def test_perturbations_per_eval_bounds_each_forward_call(rng, cls):
    """captum's ``perturbations_per_eval``: every forward call gets at most that many
    perturbations of the batch (ppe * B examples); the attributions do not depend on it
    (1e-12); a value below 1 is refused before any call."""
    net = _mlp(5, 2)
    x = torch.from_numpy(rng.normal(size=(3, 5)))
    seen = []

    def f(z):
        seen.append(len(z))
        return net(z)
    kw = {} if cls is ShapleyValues else {"n_samples": 40 if cls is KernelShap else 4}
    runs = {}
    for ppe in (1, 3, 1000):
        seen.clear()
        runs[ppe] = cls(f).attribute(x, target=1, perturbations_per_eval=ppe, **kw)
        assert max(seen) <= ppe * 3, (ppe, seen)
    if cls is ShapleyValues:  # the probe on the baselines and one call with everything
        assert len(seen) == 2
    for ppe in (3, 1000):
        torch.testing.assert_close(runs[ppe], runs[1], rtol=0, atol=1e-12)
    if cls is ShapleyValues:
        ref = captum_attr.ShapleyValues(net).attribute(x, target=1, perturbations_per_eval=3)
        torch.testing.assert_close(runs[3], ref.double(), rtol=0, atol=1e-6)
    seen.clear()
    with pytest.raises(ValueError, match="perturbations_per_eval"):
        cls(f).attribute(x, perturbations_per_eval=0, **kw)
    assert seen == []


def test_aggregate_mode_like_captum(rng):
    """A forward function returning one scalar for the whole batch (e.g. a loss): captum's
    aggregate mode. The batch is one game over the feature groups of a (1, ...) mask; the
    attributions have first dimension 1 and equal captum's (1e-6) and the permutation formula
    on the batch game (1e-12); captum's rules are enforced with one-line errors."""
    net = _mlp(4, 1)
    x = torch.from_numpy(rng.normal(size=(3, 4)))
    base = torch.from_numpy(rng.normal(size=(1, 4)))
    fm = torch.tensor([[0, 1, 1, 2]])

    def loss(z):
        return net(z).sum()
    got = ShapleyValues(loss).attribute(x, baselines=base, feature_mask=fm)
    ref = captum_attr.ShapleyValues(loss).attribute(x, baselines=base, feature_mask=fm)
    assert got.shape == ref.shape == (1, 4)
    torch.testing.assert_close(got, ref.double(), rtol=0, atol=1e-6)
    # brute force on the batch game: v(S) = loss(x on S, baseline elsewhere, every example)
    groups = fm[0].tolist()

    def v(present):
        keep = torch.tensor([g in present for g in groups])
        with torch.no_grad():
            return float(loss(torch.where(keep, x, base)))
    phi = dict.fromkeys(set(groups), 0.0)
    for perm in itertools.permutations(sorted(phi)):
        present = set()
        for g in perm:
            before = v(present)
            present.add(g)
            phi[g] += (v(present) - before) / math.factorial(len(phi))
    torch.testing.assert_close(got[0], torch.tensor([phi[g] for g in groups],
                                                    dtype=torch.float64), rtol=0, atol=1e-12)
    sampled = ShapleyValueSampling(loss).attribute(x, baselines=base, feature_mask=fm,
                                                   n_samples=20)
    torch.testing.assert_close(sampled, got, rtol=0, atol=1e-12)  # 3 players: exact
    ks = KernelShap(loss).attribute(x, baselines=base, feature_mask=fm,
                                    return_input_shape=False)
    assert ks.shape == (1, 3)
    torch.testing.assert_close(ks[0], got[0, [0, 1, 3]], rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="perturbations_per_eval"):
        ShapleyValues(loss).attribute(x, feature_mask=fm, perturbations_per_eval=2)
    with pytest.raises(ValueError, match="feature_mask"):
        ShapleyValues(loss).attribute(x, feature_mask=fm.repeat(3, 1))
    with pytest.raises(ValueError, match="target"):
        ShapleyValues(loss).attribute(x, feature_mask=fm, target=0)
