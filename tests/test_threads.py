"""The thread policy (interplay._threads, issue 12): one setting caps the core's OpenMP regions,
BLAS inside the engine's solves and numba; results do not depend on it."""

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import interplay
from interplay import _threads, backends
from interplay.games import SumOfUnanimityGames, evaluate_all


@pytest.fixture(autouse=True)
def _restore():
    before = _threads._setting
    yield
    _threads._setting = before
    if backends.backend_status("cpp")[0]:
        _threads.apply_to_core(backends.core())


def _blas_threads():
    return {lib["filepath"]: lib["num_threads"] for lib in _threads._blas().info()}


def test_default_honours_omp_num_threads(monkeypatch):
    _threads._setting = None
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert interplay.get_num_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "garbage")
    assert interplay.get_num_threads() == _threads._cores()
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert interplay.get_num_threads() == _threads._cores()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_rejects(bad):
    with pytest.raises(ValueError, match="^n must be"):
        interplay.set_num_threads(bad)


def test_set_num_threads_caps_the_core():
    ok, why = backends.backend_status("cpp")
    if not ok:
        pytest.skip(why)
    build = backends.core().build
    interplay.set_num_threads(1)
    assert interplay.get_num_threads() == 1 and build.max_threads() == 1
    assert build.team(1e12) == 1
    interplay.set_num_threads(3)
    assert build.max_threads() == 3 and build.team(1e12) == 3
    # regions are sized to their work: one thread below two grains of ~4M operations
    assert build.team(1e6) == 1 and build.team(2 * 2**22) == 2


def test_set_num_threads_caps_numba():
    numba = pytest.importorskip("numba")
    interplay.set_num_threads(1)
    assert numba.get_num_threads() == 1
    interplay.set_num_threads(numba.config.NUMBA_NUM_THREADS + 5)  # bounded by numba's pool
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_blas_limit():
    if _threads._blas() is None:
        pytest.skip("threadpoolctl not installed")
    outside = _blas_threads()
    interplay.set_num_threads(2)
    with _threads.blas_limit():
        assert set(_blas_threads().values()) == {1}
        with _threads.blas_limit():  # nested: no change
            assert set(_blas_threads().values()) == {1}
    assert _blas_threads() == outside
    interplay.set_num_threads(1)


@pytest.mark.parametrize("index", ["SII", "FSII", "FBII", "k-SII"])
def test_results_do_not_depend_on_the_setting(index):
    """Sampled estimates (BLAS limited in the solves) and exact values at 1 and 2 threads;
    equal to round-off (bitwise reproducibility across thread counts is issue 12's last part)."""
    n = 16
    game = SumOfUnanimityGames.random(n, 30, max_size=3, seed=3)
    out = []
    for threads in (1, 2):
        interplay.set_num_threads(threads)
        est = interplay.approximate(game, n, index, 3000, max_order=2, seed=5)
        ex = interplay.exact(evaluate_all(game, n), index, max_order=2)
        out.append((est.values, est.stderr, ex.values))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_show_config_reports_threads():
    import io

    interplay.set_num_threads(1)
    buf = io.StringIO()
    interplay.show_config(file=buf)
    assert "threads: 1 (interplay.set_num_threads" in buf.getvalue()


@pytest.mark.parametrize("user", [{}, {"OMP_WAIT_POLICY": "ACTIVE"}, {"GOMP_SPINCOUNT": "5"}])
def test_import_sets_a_short_openmp_spin_unless_the_user_chose(user):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = "import interplay, os; print(os.environ.get('GOMP_SPINCOUNT'))"
    out = subprocess.run([sys.executable, "-c", code], env={**env, **user}, text=True,
                         capture_output=True, check=True).stdout.strip()
    spins = (_threads.GOMP_SPINCOUNT, _threads.GOMP_SPINCOUNT_BUSY)  # by the load at import
    assert _threads._load() > 0  # this process runs: /proc/loadavg (or the average) is read
    assert out in ((user.get("GOMP_SPINCOUNT", "None"),) if user else spins)


@pytest.mark.parametrize("load, spin", [(2.0, "10000"), (3.0, "100")])
def test_spin_follows_the_load_at_import(monkeypatch, load, spin):
    """With more runnable tasks than cores idle OpenMP threads sleep almost at once: their
    spinning would take the cores their peers need."""
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(_threads, "_load", lambda: load)
    monkeypatch.setattr(_threads, "_cores", lambda: 2)
    monkeypatch.setattr(_threads, "_spin_note", _threads._spin_note)
    _threads.quiet_openmp_waits()
    assert os.environ["GOMP_SPINCOUNT"] == spin


@pytest.mark.parametrize("user", [{}, {"MALLOC_TRIM_THRESHOLD_": "131072"},
                                  {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}])
def test_import_keeps_freed_heap_unless_the_user_chose(user):
    """glibc: after ``import interplay`` an 8 MB array freed and allocated again reuses the
    kept heap (no fresh pages; 516 with MALLOC_TRIM_THRESHOLD_=131072, which also fixes
    glibc's mmap threshold at 128 KB); a user's own malloc thresholds are left alone."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's mallopt")
    env = {k: v for k, v in os.environ.items() if k not in _threads._MALLOC_ENV + ("GLIBC_TUNABLES",)}
    code = ("import resource, numpy as np, interplay\n"
            "from interplay import _threads\n"
            "np.ones(1 << 20); a = np.ones(1 << 20); del a\n"
            "f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "b = np.ones(1 << 20)\n"
            "print(_threads._heap_note, '|', resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f)")
    out = subprocess.run([sys.executable, "-c", code], env={**env, **user}, text=True,
                         capture_output=True, check=True).stdout.strip()
    note, faults = out.split(" | ")
    if user:
        assert note == "as set by the user"
    else:
        assert note.startswith("mmap threshold 32 MB") and int(faults) < 200, out


def test_first_calls_import_only_what_they_need():
    """Start-up (issue 12): a fresh process's first exact, approximate and pid calls do not
    import what only other paths need (scipy.optimize: the least core; scipy.stats;
    scipy.special: the t quantiles are the core's own; numba and torch when the compiled core
    is present), nor does ``import interplay`` import numpy's heavy users."""
    code = (
        "import sys, numpy as np, interplay\n"
        "heavy = ('scipy.optimize', 'scipy.stats', 'scipy.special', 'numba', 'torch')\n"
        "first = sorted(m for m in heavy if m in sys.modules)\n"
        "from interplay.games import SumOfUnanimityGames\n"
        "interplay.exact(np.random.default_rng(0).normal(size=1 << 10), 'FSII', 2)\n"
        "g = SumOfUnanimityGames.random(12, 10, max_size=3, seed=0)\n"
        "interplay.approximate(g, 12, 'SII', 500, max_order=2, seed=0)\n"
        "for idx, meth in (('FSII', 'regression'), ('k-SII', 'permutation'), ('k-SII', 'shapiq')):\n"
        "    interplay.approximate(g, 12, idx, 500, max_order=2, method=meth, seed=0)\n"
        "interplay.pid(np.full((3, 3, 2), 1 / 18))\n"
        "print(first, sorted(m for m in heavy if m in sys.modules))\n")
    env = dict(os.environ)
    env.pop("INTERPLAY_DISABLE_CPP", None)
    env.pop("INTERPLAY_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    if not backends.backend_status("cpp")[0]:
        pytest.skip("without the compiled core the numba tier is imported")
    assert out == "[] []", out
