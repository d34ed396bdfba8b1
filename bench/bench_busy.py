"""A busy machine (issue 12): the sampled, exact and PID workloads, idle and beside one busy
process per core, at the default thread setting and at one thread; shapiq 1.8.0 in the same
runs; then first-call and import times in fresh processes.

* Sampled: n = 20, order 2, budget 10,000, the lookup-table game of bench_sampled.py, every
  estimator of bench_sampled.ESTIMATORS and method="auto" for SII, FSII, FBII; time outside
  the game (wall and CPU) of warm runs. shapiq 1.8.0's same estimators (and its explainer
  defaults for the auto rows) run in bench_sampled's child process with its own default
  threads, in the same load phase (3 runs each, the first one cold).
* Exact: ``interplay.exact`` on a table of 2^n normal values, n = 20 (SII, k-SII, STII, FSII,
  FBII), 22 (SII) and 24 (SII, FSII), order 2.
* PID: bench_pid.py's joints: k = 16, 32, 64 and the batch of 1000 joints of 10 x 10 x 10.

Each (load, threads) cell runs in a fresh child process (``--child``) that sets its threads
with ``interplay.set_num_threads`` (nothing from the environment). The busy processes are
started by this script (pure Python loops, one per core, each stopping by itself after
``--busy-seconds``) and killed at the end of the phase. Each cell times ``--rounds`` calls
(default 9; at least 3, fewer than 9 once a cell has spent 3 s, e.g. PID k = 64) and reports
their medians and the spread of its wall times (half the interquartile range, in % of the
median: a 1 ms call loses a time slice now and then on a busy machine, so single runs and
minima mislead). The table gives each median and its ratio to the idle single-thread median;
the goals: no busy figure above 2x, ours >= 20x shapiq outside the game for every sampled
estimator. ``--only A,B`` runs only the named workloads.

Start-up (``--part startup``): in fresh processes, ``import interplay``; the imports the first
call needs (numpy, scipy.linalg, threadpoolctl, the compiled core; torch and the model for
explain); the first call of exact / approximate / pid / explain and the fastest of 3 later
calls (other seeds: nothing cached between them).

    PYTHONPATH=python INTERPLAY_SHAPIQ_PYTHON=/work/shapiq312/bin/python \\
        python bench/bench_busy.py --json bench/results_busy.json --md bench/results_busy.md
    python bench/bench_busy.py --part busy --smoke --no-shapiq   # a few workloads

``--quick`` keeps every workload and the shapiq comparison but times one warm run per cell
(``--rounds 1``; ours and shapiq's), PID k = 64 without its warm-up call, and one fresh process
per start-up figure instead of 3 (the figures are single runs: not for the record): a
complete run took 2.1 minutes on a quiet 2-core machine (17.9 at a background load of 13-15). ``--md`` writes the RESULTS.md-ready section (command, date, commit, loads, both
tables).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
AUTO = ("SII", "FSII", "FBII")  # method="auto" rows, beside shapiq's explainer default
EXACT = [(20, "SII"), (20, "k-SII"), (20, "STII"), (20, "FSII"), (20, "FBII"), (22, "SII"),
         (24, "SII"), (24, "FSII")]
PID = [16, 32, 64, "batch"]


def workloads(smoke: bool) -> list[dict]:
    from bench_sampled import ESTIMATORS  # noqa: PLC0415

    out = [{"kind": "sampled", "name": name, "index": idx, "method": meth, "order": k}
           for name, (idx, meth, _, _, k) in ESTIMATORS.items()]
    out += [{"kind": "sampled", "name": f"auto-{idx}", "index": idx, "method": "auto", "order": 2}
            for idx in AUTO]
    out += [{"kind": "exact", "name": f"exact-{idx}-n{n}", "index": idx, "n": n} for n, idx in EXACT]
    out += [{"kind": "pid", "name": f"pid-k{k}", "k": k} for k in PID]
    out += [{"kind": "control", "name": "control-numpy-1thread"}]
    if smoke:
        keep = {"KernelSHAPIQ", "RegressionFSII", "auto-FBII", "exact-SII-n20", "pid-k32",
                "control-numpy-1thread"}
        out = [w for w in out if w["name"] in keep]
    return out


# ----------------------------------------------------------------------------- child
def _median(xs: list[float]) -> float:
    ys = sorted(xs)
    h = len(ys) // 2
    return ys[h] if len(ys) % 2 else 0.5 * (ys[h - 1] + ys[h])


def _spread(xs: list[float]) -> float:
    """Half the interquartile range (nearest ranks) over the median, in percent: the noise of
    a median cell (0 for one round)."""
    ys = sorted(xs)
    if len(ys) < 2:
        return 0.0
    q1, q3 = ys[(len(ys) - 1) // 4], ys[-1 - (len(ys) - 1) // 4]
    return 50.0 * (q3 - q1) / max(_median(ys), 1e-12)


def _no_game(fn, *args) -> None:
    fn(*args)  # no game inside: nothing to subtract


def _control() -> None:
    """A fixed single-threaded computation outside interplay (about 10 ms of NumPy sorts): its
    busy/idle ratio in the same child and phase is what the scheduler gives any one-thread job
    there (the floor for a call that cannot use a second core)."""
    import numpy as np  # noqa: PLC0415

    a = np.random.default_rng(0).random(1 << 14)
    for _ in range(20):
        np.sort(a)


def run_child(threads: int | None, smoke: bool, reps: int, only: set[str] | None = None) -> None:
    """Times every workload in this process, the rounds interleaved: round r of every workload,
    then round r + 1 (a cell's rounds spread over the child's life, so that they sample the
    scheduler's placements of this process beside the busy loops instead of one of them;
    back-to-back rounds of a 5 ms call all shared one placement, and a cell read either about
    1x or about 2x). A cell stops adding rounds after 3 s once it has 3 (PID k = 64: 3)."""
    import numpy as np  # noqa: PLC0415

    import interplay  # noqa: PLC0415
    from bench_sampled import Timed, build_game, game_spec  # noqa: PLC0415

    if threads:
        interplay.set_num_threads(threads)
    spec = game_spec("table", 20)
    table_game = build_game(spec, 20)
    cells = []  # (name, fn returning the game's (wall, cpu) or None, most rounds)
    for w in workloads(smoke):
        if only and w["name"] not in only:
            continue
        if w["kind"] == "sampled":
            def call(w=w):
                g = Timed(table_game, 20)
                interplay.approximate(g, 20, w["index"], 10_000, max_order=w["order"],
                                      method=w["method"], seed=0)
                return g.seconds, g.cpu
            call()  # warm-up
            cells.append((w["name"], call, reps))
        elif w["kind"] == "exact":
            v = np.random.default_rng(w["n"]).normal(size=1 << w["n"])
            interplay.exact(v, w["index"], 2)
            cells.append((w["name"], lambda v=v, w=w: _no_game(interplay.exact, v, w["index"], 2),
                          reps))
        elif w["kind"] == "control":
            _control()
            cells.append((w["name"], _control, reps))
        else:
            if w["k"] == "batch":
                p = np.random.default_rng(0).random((1000, 10, 10, 10))
                p /= p.sum((1, 2, 3), keepdims=True)
            else:
                p = np.random.default_rng(1000 + w["k"]).random((w["k"],) * 3)
                p /= p.sum()
            if w["k"] != 64 or reps > 1:  # k = 64 (10 s a call): no warm-up in --quick
                interplay.pid(p)
            cells.append((w["name"], lambda p=p: _no_game(interplay.pid, p),
                          min(reps, 3) if w["k"] == 64 else reps))
    walls = {name: [] for name, _, _ in cells}
    cpus = {name: [] for name, _, _ in cells}
    spent = {name: 0.0 for name, _, _ in cells}
    for r in range(reps):
        for name, fn, most in cells:
            if r >= most or (r >= 3 and spent[name] > 3.0):
                continue
            t, c = time.perf_counter(), time.process_time()
            gw, gc = fn() or (0.0, 0.0)
            wall = time.perf_counter() - t
            spent[name] += wall
            walls[name].append(wall - gw)
            cpus[name].append(time.process_time() - c - gc)
    for name, _, _ in cells:
        print(json.dumps({"name": name, "wall": _median(walls[name]), "cpu": _median(cpus[name]),
                          "walls": walls[name], "cpus": cpus[name]}), flush=True)


def child(threads: int | None, args) -> dict:
    cmd = ([sys.executable, __file__, "--child", str(threads or 0), "--rounds", str(args.rounds),
            "--tree", str(args.tree)]
           + (["--smoke"] if args.smoke else []) + (["--only", args.only] if args.only else []))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(args.tree / "python"), str(HERE)]))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, check=True).stdout
    return {r["name"]: r for r in map(json.loads, out.splitlines())}


def shapiq(smoke: bool, reps: int, only: set[str] | None = None) -> dict:
    """shapiq 1.8.0's estimators (its default threads), outside the game: the medians of reps
    runs (the first one included: cold for shapiq) and every run."""
    from bench_sampled import (CHILD, ESTIMATORS, SHAPIQ_DEFAULT, SHAPIQ_PY,  # noqa: PLC0415
                               game_spec, shapiq_run)

    names = [w["name"] for w in workloads(smoke)
             if w["kind"] == "sampled" and (not only or w["name"] in only)]
    if not names:
        return {}
    runs = []
    for name in names:
        cls, kw, k = (ESTIMATORS[name][2:] if name in ESTIMATORS
                      else SHAPIQ_DEFAULT[name.split("-", 1)[1]])
        runs.append(dict(shapiq_run(cls, kw, 10_000, 0, 20, k), repeat=reps))
    cfg = {"game": game_spec("table", 20), "n_players": 20, "runs": runs}
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    out = subprocess.run([SHAPIQ_PY, str(CHILD)], input=json.dumps(cfg) + "\n", text=True,
                         stdout=subprocess.PIPE, env=env, check=True).stdout
    recs = [json.loads(line) for line in out.splitlines() if line.strip()]
    out = {}
    for name, r in zip(names, recs):
        walls, cpus = [x[0] for x in r["outside"]], [x[1] for x in r["outside"]]
        out[name] = {"wall": _median(walls), "cpu": _median(cpus), "walls": walls, "cpus": cpus}
    return out


# ----------------------------------------------------------------------------- busy phase
def start_busy(seconds: float) -> list[subprocess.Popen]:
    loop = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(os.cpu_count() or 1)]


def stop_busy(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def busy_part(args) -> dict:
    res: dict = {"cores": os.cpu_count(), "load_before": os.getloadavg()}
    for load in ("idle", "busy"):
        procs = start_busy(args.busy_seconds) if load == "busy" else []
        try:
            time.sleep(1.0 if procs else 0.0)
            for threads in (None, 1):
                key = f"{load}-{'default' if threads is None else threads}"
                res[key] = child(threads, args)
                print(key, json.dumps(res[key]), flush=True)
            if args.shapiq:
                res[f"{load}-shapiq"] = shapiq(args.smoke, 1 if args.quick else 3, _only(args))
                print(f"{load}-shapiq", json.dumps(res[f"{load}-shapiq"]), flush=True)
        finally:
            stop_busy(procs)
        res[f"load_after_{load}"] = os.getloadavg()
    return res


def _only(args) -> set[str] | None:
    return set(args.only.split(",")) if args.only else None


def busy_table(res: dict) -> str:
    """Median wall / CPU ms outside the game, the wall spread (half the interquartile range over
    the median), and the median wall's ratio to the idle single-thread one."""
    cols = ["idle-default", "idle-1", "busy-default", "busy-1"]
    lines = ["| workload | rounds | " + " | ".join(f"{c}: wall / CPU ms, ±spread (x idle-1)" for c in cols) +
             " | shapiq busy: wall / CPU ms (x ours busy-default wall / CPU) |",
             "|---" * (len(cols) + 3) + "|"]
    for name, base in res["idle-1"].items():
        cells = []
        for c in cols:
            r = res[c][name]
            cells.append(f"{1e3 * r['wall']:.1f} / {1e3 * r['cpu']:.1f} ±{_spread(r.get('walls', [0])):.0f}% "
                         f"({r['wall'] / base['wall']:.2f}x)")
        sq, ours = res.get("busy-shapiq", {}).get(name), res["busy-default"][name]
        cells.append(f"{1e3 * sq['wall']:.0f} / {1e3 * sq['cpu']:.0f} ({sq['wall'] / ours['wall']:.0f}x"
                     f" / {sq['cpu'] / ours['cpu']:.0f}x)" if sq else "")
        rounds = sorted({len(res[c][name].get("walls", [0])) for c in cols})
        lines.append(f"| {name} | {'-'.join(map(str, rounds))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- start-up
STARTUP = r"""
import sys, time, json
t0 = time.perf_counter()
import interplay
t1 = time.perf_counter()
import numpy as np, scipy.linalg, threadpoolctl, interplay._core
what = sys.argv[1]
if what == "explain":
    import torch
    from interplay.cli import _bundled_minilm
    model = _bundled_minilm("cpu")
t2 = time.perf_counter()
if what == "exact":
    v = np.random.default_rng(0).normal(size=1 << 20)
    call = lambda s: interplay.exact(v + s, "SII", 2)
elif what == "approximate":
    from interplay.games import SumOfUnanimityGames
    g = SumOfUnanimityGames.random(20, 40, max_size=3, seed=0)
    call = lambda s: interplay.approximate(g, 20, "SII", 10_000, max_order=2, seed=s)
elif what == "pid":
    p = np.random.default_rng(1016).random((16, 16, 16))
    call = lambda s: interplay.pid(p + s * 1e-3, normalize=True)
else:
    pair = [("where do cats sleep", "my cat naps on the sofa all afternoon")]
    call = lambda s: interplay.explain(model, pair, budget=1024, seed=s)
if len(sys.argv) > 2:
    import cProfile, pstats
    pr = cProfile.Profile()
    pr.enable()
t3 = time.perf_counter()
call(0)
t4 = time.perf_counter()
if len(sys.argv) > 2:
    pr.disable()
    pstats.Stats(pr, stream=sys.stderr).sort_stats("cumulative").print_stats(int(sys.argv[2]))
warm = []
for s in (1, 2, 3):
    t = time.perf_counter()
    call(s)
    warm.append(time.perf_counter() - t)
print(json.dumps({"import_interplay": t1 - t0, "import_deps": t2 - t1, "first": t4 - t3,
                  "warm": min(warm)}))
"""


def startup_part(args) -> dict:
    # as an installed package: byte code cached (one discarded run writes it)
    env = dict(os.environ, PYTHONPATH=str(args.tree / "python"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    res = {}
    for what in ("exact", "approximate", "pid", "explain"):
        runs = []
        for rep in range(args.startup_runs + 1):
            prof = [str(args.profile)] if args.profile else []
            out = subprocess.run([sys.executable, "-c", STARTUP, what] + prof, text=True,
                                 stdout=subprocess.PIPE, env=env, check=True).stdout
            if rep:
                runs.append(json.loads(out.splitlines()[-1]))
        res[what] = {k: min(r[k] for r in runs) for k in runs[0]}
        r = res[what]
        r["first_over_warm"] = r["first"] / r["warm"]
        r["goal_ok"] = r["first"] <= 2 * r["warm"] + r["import_interplay"] + r["import_deps"]
        print(what, json.dumps(r), flush=True)
    return res


def startup_table(res: dict) -> str:
    lines = ["| call | import interplay ms | imports the call needs ms | first call ms | warm call ms "
             "| first - warm ms |", "|---|---|---|---|---|---|"]
    for what, r in res.items():
        lines.append(f"| {what} | {1e3 * r['import_interplay']:.0f} | {1e3 * r['import_deps']:.0f} "
                     f"| {1e3 * r['first']:.0f} | {1e3 * r['warm']:.0f} | "
                     f"{1e3 * (r['first'] - r['warm']):.0f} |")
    return "\n".join(lines)


def results_md(res: dict, argv: list[str]) -> str:
    """The RESULTS.md section of a run: command, date, commit, loads, the tables."""
    cmd = "PYTHONPATH=python INTERPLAY_SHAPIQ_PYTHON=$INTERPLAY_SHAPIQ_PYTHON python " + " ".join(
        ["bench/bench_busy.py"] + argv)
    out = [f"## A busy machine (issue 12), {res['date']}, commit {res['commit']}", "",
           f"    {cmd}", "",
           f"Total {res['seconds'] / 60:.1f} min on {os.cpu_count()} cores."]
    busy = res.get("busy")
    if busy:
        la = {k: ", ".join(f"{x:.1f}" for x in busy[k]) for k in busy if k.startswith("load_")}
        out += [f"1/5/15-minute load averages: before {la.get('load_before')}, after the idle phase "
                f"{la.get('load_after_idle')}, after the busy phase {la.get('load_after_busy')}.",
                "Median wall / CPU ms outside the game over the rounds of each cell, the spread "
                "of its wall time (± half the interquartile range, % of the median) and the "
                "median wall's ratio to idle single-thread:", "",
                busy_table(busy), ""]
    if res.get("startup"):
        out += ["Start-up, fresh processes:", "", startup_table(res["startup"]), ""]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--part", choices=("busy", "startup", "all"), default="all")
    ap.add_argument("--quick", action="store_true",
                    help="every workload, one timed run each (about half the time)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="timed runs per cell (default 9, --quick 1); a cell stops after 3 s "
                         "once it has 3; medians are reported with their spread")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--tree", type=Path, default=ROOT,
                    help="the checkout whose python/interplay is timed (A/B runs; default this one)")
    ap.add_argument("--smoke", action="store_true", help="a few workloads only")
    ap.add_argument("--no-shapiq", dest="shapiq", action="store_false")
    ap.add_argument("--busy-seconds", type=float, default=900.0,
                    help="each busy process stops by itself after this (default 900)")
    ap.add_argument("--startup-runs", type=int, default=3, help="fresh processes per call")
    ap.add_argument("--profile", type=int, default=0,
                    help="print the top N functions of each first call (cProfile, stderr)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--md", type=Path, default=None, help="write the RESULTS.md-ready section")
    args = ap.parse_args()
    if args.quick and args.startup_runs == 3:
        args.startup_runs = 1
    if args.rounds is None:
        args.rounds = 1 if args.quick else 9
    sys.path[:0] = [str(args.tree / "python"), str(HERE)]
    if args.child is not None:
        run_child(args.child or None, args.smoke, args.rounds, _only(args))
        return
    start = time.perf_counter()
    res = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.tree,
                                    capture_output=True, text=True).stdout.strip()}
    if args.part in ("busy", "all"):
        res["busy"] = busy_part(args)
        print(busy_table(res["busy"]))
    if args.part in ("startup", "all"):
        res["startup"] = startup_part(args)
        print(startup_table(res["startup"]))
    res["seconds"] = time.perf_counter() - start
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    if args.md:
        args.md.write_text(results_md(res, sys.argv[1:]))
    print(f"total {res['seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
