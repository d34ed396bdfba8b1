"""Ctrl-C stops long calls (issue 12): SIGINT sent about 1 s into a long exact, pid, approximate
or explain call raises KeyboardInterrupt soon after (the C++ kernels poll for it every 20 ms;
the Numba tier returns to Python between chunks of its loops, where the interpreter raises it),
no thread keeps running, and the next call in the same process gives the same results as
before the interrupt. Both compiled tiers: the C++ core, and Numba with the core disabled
(INTERPLAY_DISABLE_CPP=1).

Each case runs in a child process (SIGINT goes to that process alone). The bound on the delay
between the signal and the exception is 5 s, generous because tests share loaded machines (the
target, measured by hand in issue 12's note, is well under one second)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import interplay

# the interplay this test process imported (the installed package in CI, python/ in a dev
# build): a child given the source tree of a clean clone would run without the compiled core
PKG = Path(interplay.__file__).resolve().parents[1]
BOUND_S = 5.0

CHILD = r"""
import json, signal, sys, time
# Python's own Ctrl-C handler, whatever disposition the parent left (an ignored SIGINT is
# inherited across exec: a CI run had it ignored by an earlier test in the same pytest process)
signal.signal(signal.SIGINT, signal.default_int_handler)
import numpy as np
import interplay
from interplay.backends import backend_status
from interplay.games import SumOfUnanimityGames, evaluate_all

case, tier = sys.argv[1], sys.argv[2]
if tier == "cpp":
    assert backend_status("cpp")[0], "the compiled core polls for Ctrl-C; it is not loaded"
else:
    assert not backend_status("cpp")[0] and backend_status("numba")[0], backend_status("numba")
rng = np.random.default_rng(0)
small_table = evaluate_all(SumOfUnanimityGames.random(10, 20, max_size=3, seed=0), 10)
small_p = rng.random((6, 5, 4)) ** 3
small_p /= small_p.sum()


def small():  # a bit of every engine path, run before and after the interrupt
    game = SumOfUnanimityGames.random(10, 20, max_size=3, seed=1)
    r = interplay.pid(small_p)
    return np.concatenate([
        interplay.exact(small_table, "FSII", max_order=2).values.ravel(),
        interplay.approximate(game, 10, "SII", 400, max_order=2, seed=2).values.ravel(),
        [r.redundancy, r.unique_1, r.unique_2, r.synergy]])


if case == "exact":
    table = rng.standard_normal(1 << 26)  # 512 MB: about 1 s per call on an idle 2-core machine
    # repeated, so the call is still running when the signal arrives on a fast, idle machine
    long_call = lambda: [interplay.exact(table, "FSII", max_order=2) for _ in range(40)]
elif case == "pid":
    p = rng.random((64, 64, 64)) ** 3
    p /= p.sum()
    long_call = lambda: interplay.pid(p)
elif case == "approximate":
    game = SumOfUnanimityGames.random(60, 50, max_size=3, seed=3)
    long_call = lambda: interplay.approximate(game, 60, "SII", 400000, max_order=2,
                                              method="kernelshapiq", seed=4)
else:
    from interplay.models import TabularMasker
    w = rng.standard_normal((48, 48))
    model = lambda X: np.einsum("bi,ij,bj->b", X, w, X)
    masker = TabularMasker(np.zeros(48, np.float32))
    # compile first (Numba tier, fresh cache): a SIGINT during LLVM's code generation meets
    # LLVM's own handler, which re-raises it with the default action (returncode -2, no
    # traceback); the interruption of compilation is not what this test measures
    interplay.explain(model, [np.ones(48, np.float32)], index="FSII", budget=3000, masker=masker)
    long_call = lambda: [interplay.explain(model, [np.ones(48, np.float32)], index="FSII",
                                           budget=200000, masker=masker) for _ in range(20)]

before = small()
print("ready", flush=True)
start = time.time()
try:
    long_call()
    out = {"finished": time.time() - start}
except KeyboardInterrupt as e:
    out = {"caught": time.time(), "type": type(e).__name__}
    cpu = time.process_time()
    time.sleep(0.5)  # no engine thread still working: the process is idle
    out["idle_cpu"] = time.process_time() - cpu
    out["same"] = bool(np.array_equal(small(), before))
print(json.dumps(out), flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def _tiers():
    out = ["cpp"]
    try:
        import numba  # noqa: F401
    except ImportError:
        return out + [pytest.param("numba", marks=pytest.mark.skip(reason="numba not installed"))]
    return out + ["numba"]


@pytest.mark.parametrize("tier", _tiers())
@pytest.mark.parametrize("case", ["exact", "pid", "approximate", "explain"])
def test_sigint_stops_a_long_call_and_the_next_call_is_correct(case, tier):
    env = dict(os.environ, PYTHONPATH=str(PKG))
    env.pop("INTERPLAY_BACKEND", None)
    env.pop("INTERPLAY_DISABLE_NUMBA", None)
    if tier == "numba":
        env["INTERPLAY_DISABLE_CPP"] = "1"
    else:
        env.pop("INTERPLAY_DISABLE_CPP", None)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, case, tier], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()[-3000:]
        time.sleep(1.0)
        sent = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    res = json.loads(out.strip().splitlines()[-1])
    assert "finished" not in res, f"the long {case} call finished in {res['finished']:.1f} s"
    print(f"{case} ({tier}): KeyboardInterrupt {res['caught'] - sent:.3f} s after SIGINT")
    assert res["caught"] - sent < BOUND_S
    assert res["idle_cpu"] < 0.25
    assert res["same"]
