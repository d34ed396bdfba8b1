"""Issue 13's indices: interplay.exact beside shapiq 1.8.0's ExactComputer, CPU seconds.

    nice -n 10 env INTERPLAY_SHAPIQ_PYTHON=/work/shapiq312/bin/python \
        PYTHONPATH=python python bench/exact_more.py [--n 10 14] [--order 2]

For each of Fourier, kADD-SHAP, SGV, BGV, CHGV, IGV, EGV, JointSV (order ``--order``) and ELC
(order 1) on a random table game: interplay's best CPU time of ``--repeat`` runs in this process
(``time.process_time``: every thread's time, so load does not inflate it), and shapiq's CPU time
of one ``ec(index, order)`` call with its cache cleared and the game evaluated beforehand
(bench/_shapiq_exact_server.py, one server per n). Results are asserted equal (kADD-SHAP to
shapiq's big-M error); for ELC the last column is how far our largest deficit exceeds shapiq's
(0: never). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import interplay

HERE = Path(__file__).resolve().parent
SHAPIQ_PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "/work/shapiq312/bin/python")
INDICES = ["Fourier", "kADD-SHAP", "SGV", "BGV", "CHGV", "IGV", "EGV", "JointSV", "ELC"]


def cpu(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def check(ours, reply, index, v):
    theirs = {tuple(k): x for k, x in zip(reply["keys"], reply["values"])}
    if index == "ELC":
        n = ours.n_players
        A = (np.arange(1, (1 << n) - 1)[:, None] >> np.arange(n)) & 1
        w = v - v[0]
        x = np.array([theirs[(i,)] for i in range(n)])
        return max(0.0, np.max(w[1:-1] - A @ ours.values) - max(0.0, np.max(w[1:-1] - A @ x)))
    err = max(abs(ours.to_dict()[k] - x) for k, x in theirs.items())
    tol = 1e-8 * max(1.0, max(map(abs, theirs.values()))) if index == "kADD-SHAP" else 1e-10
    assert err <= tol, (index, err)
    return err


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[10, 14])
    ap.add_argument("--order", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print("| index | n | order | interplay CPU | shapiq 1.8.0 CPU | shapiq / interplay | max abs diff |")
    print("|---|---|---|---|---|---|---|")
    for n in args.n:
        v = np.random.default_rng(n).normal(size=1 << n)
        v[0] = 0.3
        with tempfile.TemporaryDirectory() as tmp:
            np.save(Path(tmp) / "v.npy", v)
            server = subprocess.Popen([SHAPIQ_PY, str(HERE / "_shapiq_exact_server.py")],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

            def ask(**req):
                server.stdin.write(json.dumps(req) + "\n")
                server.stdin.flush()
                return json.loads(server.stdout.readline())

            assert ask(cmd="load", path=str(Path(tmp) / "v.npy"))["ok"]
            for index in INDICES:
                k = 1 if index == "ELC" else args.order
                ours_s, ours = cpu(lambda: interplay.exact(v, index, k), args.repeat)
                reply = ask(cmd="run", index=index, order=k)
                if not reply["ok"]:
                    print(f"| {index} | {n} | {k} | {ours_s * 1e3:.3g} ms | {reply['error']} | | |")
                    continue
                err = check(ours, reply, index, v)
                theirs_s = reply["cpu_seconds"]
                print(f"| {index} | {n} | {k} | {ours_s * 1e3:.3g} ms | {theirs_s:.3g} s | "
                      f"{theirs_s / max(ours_s, 1e-9):,.0f}x | {err:.1e} |", flush=True)
            server.stdin.close()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
