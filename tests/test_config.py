import io

import pytest

import interplay
from interplay import backends
from interplay.backends import Kernel


def test_show_config_lists_every_backend():
    buf = io.StringIO()
    interplay.show_config(file=buf)
    text = buf.getvalue()
    for name in backends.BACKENDS:
        assert f"  {name} " in text
    assert "interplay 0.1.0" in text


def test_cpp_extension_is_built_in_the_test_environment():
    # CI installs the package with its compiled core; a silently missing extension would make
    # every "cpp" test fall back to another backend.
    ok, why = backends.backend_status("cpp")
    assert ok, why
    build = backends.core().build
    assert build.openmp in (True, False)
    assert build.max_threads() >= 1


def test_disable_switches(monkeypatch):
    monkeypatch.setenv("INTERPLAY_DISABLE_CPP", "1")
    ok, why = backends.backend_status("cpp")
    assert not ok and "INTERPLAY_DISABLE_CPP" in why
    monkeypatch.setenv("INTERPLAY_DISABLE_NUMBA", "1")
    ok, why = backends.backend_status("numba")
    assert not ok and "INTERPLAY_DISABLE_NUMBA" in why


def test_kernel_selection_and_errors(monkeypatch):
    k = Kernel("test.double", reference=lambda: (lambda x: 2 * x))
    name, fn = k.select("auto")
    assert name == "reference" and fn(3) == 6
    with pytest.raises(ValueError, match="backend='cpp' is unavailable"):
        k.select("cpp")
    with pytest.raises(ValueError, match="backend must be one of"):
        k.select("fortran")
    with pytest.raises(TypeError, match="backend must be a str"):
        k.select(3)
    monkeypatch.setenv("INTERPLAY_BACKEND", "cpp")
    with pytest.raises(ValueError, match="unavailable"):
        k.select("auto")


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        interplay.no_such_thing  # noqa: B018
