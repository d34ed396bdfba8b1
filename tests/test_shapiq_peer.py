"""shapiq's own unit tests, run with interplay's drop-in in place of shapiq's classes.

The exact-computer, Moebius-converter and approximator tests of shapiq (a read-only copy in
``../shared/peer-tests/shapiq`` beside the checkout, or INTERPLAY_SHAPIQ_PEER_TESTS) run in the
Python 3.12 environment with shapiq 1.8.0 (INTERPLAY_SHAPIQ_PYTHON) under
``-p interplay.compat.shapiq.plugin``. Every test listed PASSED in
tests/golden/shapiq_peer_expected.txt (those that pass on stock shapiq 1.8.0) must pass; the
DESELECTED ones inspect shapiq-private state and are listed there with the reason
(docs/compat.md). Without the environment or the peer tests the test is skipped.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "golden" / "shapiq_peer_expected.txt"
#: the five files README.md of the peer tests excludes (optional sparse/xgboost extras)
IGNORED = ("test_approximator_base_sparse.py", "test_approximator_proxyshap.py",
           "test_approximator_spex.py", "test_proxyshap_dispatch.py",
           "test_approximator_proxyspex.py")


def shapiq_python() -> str | None:
    py = os.environ.get("INTERPLAY_SHAPIQ_PYTHON")
    return py if py and Path(py).exists() else None


def peer_tests() -> Path:
    return Path(os.environ.get("INTERPLAY_SHAPIQ_PEER_TESTS",
                               ROOT.parent / "shared" / "peer-tests" / "shapiq"))


def interplay_env(py: str) -> dict:
    """Environment for ``py``: its installed interplay if it has one, else this checkout's
    Python layer on PYTHONPATH (NumPy reference backend where the core is not built for it)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)
    probe = subprocess.run([py, "-c", "import interplay.compat.shapiq"], env=env,
                           capture_output=True, text=True, cwd="/")
    if probe.returncode != 0:
        env["PYTHONPATH"] = str(ROOT / "python")
    return env


def read_expected() -> dict[str, tuple[str, str]]:
    """nodeid -> (status, reason) from the checked-in list."""
    out = {}
    for line in EXPECTED.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        status, rest = line.split(" ", 1)
        nodeid, _, reason = rest.partition(" # ")
        out[nodeid.strip()] = (status, reason.strip())
    return out


def run_peer_suite(py: str, workdir: Path) -> dict[str, str]:
    """Run the copied peer tests with the plugin; nodeid -> PASSED/FAILED/SKIPPED/ERROR."""
    expected = read_expected()
    args = [py, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
            "-p", "interplay.compat.shapiq.plugin", "tests"]
    args += [f"--ignore=tests/shapiq/tests_unit/tests_approximators/{f}" for f in IGNORED]
    args += [f"--deselect={nodeid}" for nodeid, (status, _) in expected.items()
             if status == "DESELECTED"]
    proc = subprocess.run(args, cwd=workdir, env=interplay_env(py), capture_output=True,
                          text=True, timeout=3600)
    status = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS) (\S+)", line)
        if m:
            status[m.group(2)] = m.group(1)
    if not status:
        raise AssertionError("the peer suite reported no tests:\n" + proc.stdout[-3000:]
                             + proc.stderr[-3000:])
    return status


@pytest.mark.slow
@pytest.mark.golden
def test_shapiq_own_tests_pass_with_the_plugin(tmp_path):
    py = shapiq_python()
    if py is None:
        pytest.skip("no Python with shapiq 1.8.0 (set INTERPLAY_SHAPIQ_PYTHON)")
    src = peer_tests()
    if not (src / "tests").is_dir():
        pytest.skip(f"no shapiq peer tests at {src} (set INTERPLAY_SHAPIQ_PEER_TESTS)")
    work = tmp_path / "shapiq"
    shutil.copytree(src, work)  # the peer folder is read-only
    for p in work.rglob("*"):
        p.chmod(p.stat().st_mode | 0o200)
    expected = read_expected()
    # the plugin really swaps the classes (else the peer suite would test stock shapiq)
    probe = subprocess.run(
        [py, "-c", "import interplay.compat.shapiq.plugin, shapiq, shapiq.approximator as a; "
                   "print(shapiq.ExactComputer.__module__, a.KernelSHAPIQ.__module__)"],
        env=interplay_env(py), capture_output=True, text=True, cwd=work)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.split() == ["interplay.compat.shapiq._exact",
                                    "interplay.compat.shapiq._approximators"], probe.stdout
    got = run_peer_suite(py, work)
    regressed = sorted(n for n, (s, _) in expected.items() if s == "PASSED"
                       and got.get(n) != "PASSED")
    assert not regressed, (f"{len(regressed)} peer tests that pass on stock shapiq 1.8.0 do not "
                           f"pass with the plugin: " + ", ".join(
                               f"{n} ({got.get(n, 'not run')})" for n in regressed))
    n_pass = sum(s == "PASSED" for s, _ in expected.values())
    n_desel = sum(s == "DESELECTED" for s, _ in expected.values())
    assert n_desel <= 0.1 * (n_pass + n_desel), "more than 10% of the peer tests deselected"
    print(f"shapiq peer tests with the plugin: {sum(v == 'PASSED' for v in got.values())} "
          f"passed, {n_desel} deselected", file=sys.stderr)
