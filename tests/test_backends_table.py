"""The kernel table (interplay.backends._table): every kernel declared once, found at the paths its
name gives in every tier, listed by show_config exactly; torch selectable but never automatic."""

import importlib
import math
import io

import numpy as np
import pytest

import interplay
from interplay import backends, transforms
from interplay.backends import KERNELS, Kernel, backend_status
from interplay.backends._table import TABLE
from interplay.config import config


def test_every_kernel_is_declared_once_with_a_reference():
    names = [row.name for row in TABLE]
    assert len(names) == len(set(names))
    assert list(KERNELS) == names
    for row in TABLE:
        assert "reference" in row.backends, row.name
        assert set(row.backends) <= set(backends.BACKENDS), row.name
        assert set(row.limits) <= set(row.backends), row.name
        ok, why = KERNELS[row.name].status("reference")
        assert ok, (row.name, why)


@pytest.mark.parametrize("tier", ["reference", "numba", "torch"])
def test_implementations_live_where_the_name_says(tier):
    if not backend_status(tier)[0]:
        pytest.skip(backend_status(tier)[1])
    for row in TABLE:
        if tier not in row.backends:
            continue
        family, function = row.name.split(".")
        module = importlib.import_module(f"interplay.backends.{tier}.{family}")
        assert callable(getattr(module, function)), row.name
        ok, why = KERNELS[row.name].status(tier)
        assert ok, (row.name, why)


def test_cpp_implements_every_kernel_of_the_table():
    ok, why = backend_status("cpp")
    if not ok:
        pytest.skip(why)
    for row in TABLE:
        assert KERNELS[row.name].status("cpp") == (True, ""), row.name


def test_show_config_lists_exactly_the_table():
    assert set(config()["kernels"]) == {row.name for row in TABLE}
    buf = io.StringIO()
    interplay.show_config(file=buf)
    lines = buf.getvalue().split("kernels:\n", 1)[1].splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(row.name for row in TABLE)
    sii = next(line for line in lines if line.split()[0] == "permutation.sii_plan")
    assert "n <= 64" in sii


def test_a_kernel_outside_the_table_is_not_registered():
    Kernel("test.outside", reference=lambda: (lambda: None))
    assert "test.outside" not in KERNELS
    assert "test.outside" not in config()["kernels"]


def test_declared_limits():
    plan = KERNELS["permutation.sii_plan"]
    assert plan.handles("cpp", n=64, order=8) and plan.handles("numba", n=64)
    assert not plan.handles("cpp", n=65) and not plan.handles("numba", n=10, order=9)
    assert plan.handles("reference", n=1000, order=20)
    assert KERNELS["transforms.moebius"].outputs


def test_torch_is_selected_only_on_request():
    if not backend_status("torch")[0]:
        pytest.skip(backend_status("torch")[1])
    with_torch = [row.name for row in TABLE if "torch" in row.backends]
    assert "transforms.moebius" in with_torch and "exact.weighted_superset" in with_torch
    for name in with_torch:
        assert KERNELS[name].select("auto")[0] != "torch"
        assert KERNELS[name].select("torch")[0] == "torch"


@pytest.mark.parametrize("kind", ["moebius", "zeta", "superset_moebius", "superset_zeta"])
def test_torch_transforms_equal_the_reference_bitwise(kind, rng):
    torch = pytest.importorskip("torch")
    for shape in [(1 << 9,), (1 << 7, 3)]:
        v = rng.normal(size=shape)
        ref = getattr(transforms, kind)(v, backend="reference")
        np.testing.assert_array_equal(getattr(transforms, kind)(v, backend="torch"), ref)
        t = torch.tensor(v)
        _, fn = KERNELS[f"transforms.{kind}"].select("torch")
        fn(t, t)
        np.testing.assert_array_equal(t.numpy(), ref)


def test_torch_weighted_superset_equals_the_reference_bitwise(rng):
    torch = pytest.importorskip("torch")
    n, d, k = 7, 2, 3
    m = rng.normal(size=(1 << n, d))
    w = rng.normal(size=(k + 1, n + 1))
    w[1] = np.arange(n + 1) == 1  # an identity row takes the gather path
    rows = sum(math.comb(n, s) for s in range(1, k + 1))
    want, got = np.empty((rows, d)), np.empty((rows, d))
    KERNELS["exact.weighted_superset"].select("reference")[1](m, w, 1, "per_order", want)
    KERNELS["exact.weighted_superset"].select("torch")[1](torch.tensor(m), w, 1, "per_order", got)
    np.testing.assert_array_equal(got, want)
