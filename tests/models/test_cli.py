"""`interplay explain`: items in, one Parquet file per item out, resumable."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pq = pytest.importorskip("pyarrow.parquet")

from _exact_estimator import ExactBanzhaf, all_coalitions, banzhaf_result  # noqa: E402
from interplay import cli  # noqa: E402
from interplay.models import DualEncoderGame, MaskedModel, TextMasker  # noqa: E402
from interplay.models.batch import explain_items, output_path, read_items, read_result  # noqa: E402

ITEMS = [
    {"id": "a", "query": "cats sleep", "passage": "my cat naps"},
    {"id": "b", "query": "rain falls", "passage": "wet streets"},
    {"id": "c/weird id", "query": "hot tea", "passage": "warm drink"},
    {"id": "d", "query": "fast car", "passage": "quick red automobile"},
]


def write_jsonl(path, items):
    with open(path, "w") as fh:
        for it in items:
            fh.write(json.dumps(it) + "\n")


def tables_equal(d1, d2, ids):
    for i in ids:
        t1 = pq.read_table(output_path(d1, i))
        t2 = pq.read_table(output_path(d2, i))
        assert t1.schema.metadata == t2.schema.metadata
        for col in ("players", "labels", "order"):
            assert t1.column(col).to_pylist() == t2.column(col).to_pylist()
        np.testing.assert_allclose(t1.column("value").to_numpy(), t2.column("value").to_numpy(),
                                   rtol=0, atol=1e-6)


def test_items_to_files_roundtrip_and_values(minilm, tmp_path):
    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS[:2])
    items = read_items(src)
    got = {}
    summary = explain_items(items, tmp_path / "out", model=minilm, index="FBII", budget=10**6,
                            items_per_call=2, progress=False, make_estimator=ExactBanzhaf,
                            on_result=lambda it, r: got.setdefault(it["id"], r))
    assert (summary["written"], summary["skipped"]) == (2, 0)
    assert summary["scheduler"]["rows_evaluated"] > 0
    tok = minilm.tokenizer
    for it in ITEMS[:2]:
        back = read_result(output_path(tmp_path / "out", it["id"]))
        assert back == got[it["id"]]
        assert back.player_names == got[it["id"]].player_names
        assert back.player_names[0] == "query:" + tok.tokenize(it["query"])[0]
        joint = DualEncoderGame(MaskedModel(minilm, TextMasker(tok)), it["query"],
                                MaskedModel(minilm, TextMasker(tok)), it["passage"], path="joint")
        ref = banzhaf_result(joint(all_coalitions(joint.n_players)), joint.n_players)
        np.testing.assert_allclose(back.values, ref.values, atol=2e-5)
    # a rerun recomputes nothing
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    again = explain_items(items, tmp_path / "out", model=minilm, index="FBII", budget=10**6,
                          progress=False, make_estimator=ExactBanzhaf)
    assert (again["written"], again["skipped"]) == (0, 2)
    assert mtimes == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}


def test_interrupted_run_resumes_to_the_same_files(minilm, tmp_path):
    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS)
    items = read_items(src)
    kw = dict(model=minilm, index="FBII", budget=10**6, items_per_call=1, progress=False,
              make_estimator=ExactBanzhaf)
    explain_items(items, tmp_path / "full", **kw)

    class Killed(Exception):
        pass

    def die_after_two(item, res):
        if item["id"] == "b":
            raise Killed

    with pytest.raises(Killed):
        explain_items(items, tmp_path / "part", on_result=die_after_two, **kw)
    done = sorted(p.name for p in (tmp_path / "part").iterdir())
    assert done == ["a.parquet", "b.parquet"]  # written atomically, no partial files
    resumed = explain_items(items, tmp_path / "part", **kw)
    assert (resumed["written"], resumed["skipped"]) == (2, 2)
    tables_equal(tmp_path / "full", tmp_path / "part", [it["id"] for it in items])


def test_read_items_parquet_and_errors(tmp_path):
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(ITEMS), tmp_path / "items.parquet")
    assert [it["id"] for it in read_items(tmp_path / "items.parquet")] == [i["id"] for i in ITEMS]
    write_jsonl(tmp_path / "noid.jsonl", [{"query": "x", "passage": "y"}] * 2)
    assert [it["id"] for it in read_items(tmp_path / "noid.jsonl")] == ["00000000", "00000001"]
    write_jsonl(tmp_path / "dup.jsonl", [ITEMS[0], ITEMS[0]])
    with pytest.raises(ValueError, match="duplicate"):
        read_items(tmp_path / "dup.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n{oops\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        read_items(tmp_path / "bad.jsonl")
    with pytest.raises(FileNotFoundError):
        read_items(tmp_path / "missing.jsonl")
    from interplay.models.batch import item_input

    with pytest.raises(ValueError, match="expected fields"):
        item_input({"id": "x", "question": "?"})
    assert output_path(tmp_path, "c/weird id").name != "c/weird id.parquet"


def test_cli_argument_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["explain"])
    with pytest.raises(SystemExit):
        cli.main(["explain", "--demo", str(tmp_path / "x.jsonl")])
    with pytest.raises(SystemExit):
        cli.main(["explain", str(tmp_path / "x.jsonl")])  # no output directory
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain", "--demo", "--batch-size", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o")])
    assert "does not exist" in str(exc.value)
    assert cli.demo_items_path().exists()
    assert len(read_items(cli.demo_items_path())) >= 3


def run_cli(args, env=None):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "interplay.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def cli_env():
    import interplay

    return dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(interplay.__file__)),
                                            os.environ.get("PYTHONPATH", "")]))


def signal_after_first_file(args, out, sig, env):
    """Start `interplay args` and send it ``sig`` once a result file exists in ``out``."""
    import time

    proc = run_cli(args, env)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and any(p.suffix == ".parquet" for p in out.iterdir()):
            break
        time.sleep(0.01)
    proc.send_signal(sig)
    return proc


def test_killed_cli_run_resumes_to_the_same_output(minilm, tmp_path):
    """SIGKILL `interplay explain` once its first file is written, restart it: the finished
    files are not rewritten and the output equals an uninterrupted run's."""
    import signal

    items = [{"id": f"i{k}", "query": q, "passage": p} for k, (q, p) in enumerate(
        [("cats sleep", "my cat naps"), ("rain falls", "wet streets"), ("hot tea", "warm drink"),
         ("fast car", "quick red automobile"), ("old books", "a dusty library shelf"),
         ("cold winter", "snow on the roofs"), ("loud music", "a noisy concert hall")])]
    src = tmp_path / "items.jsonl"
    write_jsonl(src, items)
    env = cli_env()
    common = ["explain", str(src), "--budget", "64", "--items-per-call", "1", "--quiet",
              "--no-grid"]
    part = tmp_path / "part"
    signal_after_first_file([*common, "-o", str(part)], part, signal.SIGKILL, env).wait()
    before = {p.name: p.stat().st_mtime_ns for p in part.iterdir() if p.suffix == ".parquet"}
    assert 1 <= len(before) < len(items), before
    for p in part.iterdir():  # a killed writer may leave only its temporary file behind
        assert p.suffix == ".parquet" or p.name.endswith(".tmp")
    rest = run_cli([*common, "-o", str(part)], env)
    assert rest.wait(timeout=300) == 0, rest.stderr.read().decode()
    # the uninterrupted run, in this process (same bundled weights, same settings and metadata)
    explain_items(read_items(src), tmp_path / "full", model=minilm, budget=64, items_per_call=1,
                  progress=False, grid=False,
                  meta={"model": "all-MiniLM-L6-v2 (bundled)", "p": 0.5, "seed": 0, "budget": 64})
    after = {p.name: p.stat().st_mtime_ns for p in part.iterdir() if p.suffix == ".parquet"}
    assert len(after) == len(items)
    assert all(after[name] == t for name, t in before.items())  # nothing recomputed
    tables_equal(part, tmp_path / "full", [it["id"] for it in items])


def test_cli_image_text_items_with_a_clip_model(tiny_clip, tmp_path, capsys):
    """image/text items with a CLIP-style model directory: one file per item, labels of patches
    and tokens, values equal to interplay.explain on the same inputs. Budget 512 cannot
    determine the order-2 terms of 16 patches x 3 tokens in grid mode: each item says so in one
    line naming it and is explained at the smallest budget that can."""
    import interplay

    model_dir = tmp_path / "clip"
    tiny_clip.save_pretrained(model_dir)
    g = torch.Generator().manual_seed(5)
    items = []
    for k in range(2):
        pix = torch.randn(3, 32, 32, generator=g).numpy()
        np.save(tmp_path / f"img{k}.npy", pix)
        items.append({"id": f"pair{k}", "image": str(tmp_path / f"img{k}.npy"),
                      "text": {"input_ids": [62, 5 + k, 9, 17, 63],
                               "special_tokens_mask": [1, 0, 0, 0, 1]}})
    write_jsonl(tmp_path / "items.jsonl", items)
    out = tmp_path / "out"
    assert cli.main(["explain", str(tmp_path / "items.jsonl"), "-o", str(out), "--model",
                     str(model_dir), "--budget", "512", "--quiet"]) == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines()
             if ln.startswith("interplay explain:")]  # not the model's progress bars
    assert len(lines) == 2 and all(ln.startswith("interplay explain: GridBudgetWarning: item "
                                                 f"'pair{k}' (16 + 3 players): budget 512 ")
                                   for k, ln in enumerate(lines)), lines
    ref = interplay.explain(tiny_clip, [(torch.from_numpy(np.load(it["image"])), it["text"])
                                        for it in items], index="FWBII", budget=512, seed=0)
    for it, r in zip(items, ref):
        back = read_result(output_path(out, it["id"]))
        assert back.n_players == 16 + 3
        assert back.player_names[0] == "image:patch(0,0)" and back.player_names[-1] == "text:17"
        np.testing.assert_allclose(back.values, r.values, rtol=1e-6, atol=1e-6)
        assert back.stderr is not None and np.all(np.isfinite(back.stderr))


def test_cli_crossmodal_basis_and_max_terms(tiny_clip, tmp_path, capsys):
    """--basis crossmodal fits FIxLIP's restricted basis (1 + 16)(1 + 3) = 68 terms, which budget
    512 determines (no GridBudgetWarning), with the numbers of explain(basis="crossmodal");
    --max-terms 50 screens it to 50 terms (15 patches x 2 tokens of pairs); --max-terms below
    the 1 + 19 players and one pair fails the item before any model call, naming the
    argument."""
    import interplay

    model_dir = tmp_path / "clip"
    tiny_clip.save_pretrained(model_dir)
    pix = torch.randn(3, 32, 32, generator=torch.Generator().manual_seed(6)).numpy()
    np.save(tmp_path / "img.npy", pix)
    text = {"input_ids": [62, 5, 9, 17, 63], "special_tokens_mask": [1, 0, 0, 0, 1]}
    write_jsonl(tmp_path / "items.jsonl", [{"id": "p", "image": str(tmp_path / "img.npy"),
                                            "text": text}])
    common = ["explain", str(tmp_path / "items.jsonl"), "--model", str(model_dir),
              "--budget", "512", "--quiet", "--basis", "crossmodal"]
    with torch.enable_grad():  # main() turns grad mode off for its process; restored here
        assert cli.main([*common, "-o", str(tmp_path / "out")]) == 0
        assert cli.main([*common, "-o", str(tmp_path / "screened"), "--max-terms", "50"]) == 0
        assert cli.main([*common, "-o", str(tmp_path / "capped"), "--max-terms", "15"]) == 1
    assert "GridBudgetWarning" not in capsys.readouterr().err
    ref = interplay.explain(tiny_clip, [(torch.from_numpy(pix), text)], budget=512, seed=0,
                            basis="crossmodal")[0]
    back = read_result(output_path(tmp_path / "out", "p"))
    assert len(back.values) == 68
    np.testing.assert_allclose(back.values, ref.values, rtol=1e-6, atol=1e-6)
    assert len(read_result(output_path(tmp_path / "screened", "p")).values) == 50
    assert "max_terms = 15" in read_errors(tmp_path / "capped")["p"]["error"]


def test_cli_modality_rows(tmp_path, monkeypatch):
    """modalities items with a Python callable (--model module:attr): zero baseline gives the
    known FWBII of a 2-additive model; background draws equal interplay.explain."""
    import interplay
    from interplay.models import ModalityMasker

    (tmp_path / "mm_model.py").write_text(
        "import torch\n"
        "def model(audio, video, text):\n"
        "    return audio.sum(1) * video.sum(1) + text.sum(1)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(3)
    items = [{"id": f"r{k}", "modalities": {"audio": rng.normal(size=3).tolist(),
                                            "video": rng.normal(size=2).tolist(),
                                            "text": rng.normal(size=4).tolist()}}
             for k in range(3)]
    write_jsonl(tmp_path / "rows.jsonl", items)
    common = ["explain", str(tmp_path / "rows.jsonl"), "--model", "mm_model:model",
              "--budget", "64", "--quiet"]
    import torch

    assert torch.is_grad_enabled()
    assert cli.main([*common, "-o", str(tmp_path / "zero")]) == 0
    assert torch.is_grad_enabled()  # the run's no-grad mode ends with main()
    for it in items:
        r = read_result(output_path(tmp_path / "zero", it["id"]))
        assert r.player_names == ["audio", "video", "text"]
        a, v, t = (np.sum(np.float32(it["modalities"][k])) for k in ("audio", "video", "text"))
        # v(S) = [audio, video in S] a*v + [text in S] t is 2-additive: FWBII = its Moebius terms
        np.testing.assert_allclose(r[(0, 1)], a * v, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(r[(2,)], t, rtol=1e-5, atol=1e-5)
        for key in [(0,), (1,), (0, 2), (1, 2)]:
            assert abs(r[key]) < 1e-5
    bg = {"audio": rng.normal(size=(10, 3)), "video": rng.normal(size=(10, 2)),
          "text": rng.normal(size=(10, 4))}
    np.savez(tmp_path / "bg.npz", **bg)
    assert cli.main([*common, "-o", str(tmp_path / "draws"), "--background",
                     str(tmp_path / "bg.npz"), "--impute", "draws", "--n-draws", "4"]) == 0
    import mm_model

    masker = ModalityMasker(background=[bg[k].astype(np.float32) for k in bg], strategy="draws",
                            n_draws=4, seed=0, names=list(bg))
    ref = interplay.explain(mm_model.model,
                            [tuple(np.float32(it["modalities"][k]) for k in bg) for it in items],
                            masker=masker, budget=64, seed=0)
    for it, rr in zip(items, ref):
        back = read_result(output_path(tmp_path / "draws", it["id"]))
        np.testing.assert_allclose(back.values, rr.values, rtol=1e-6, atol=1e-6)
    with pytest.raises(SystemExit, match="module:callable"):
        cli.main(["explain", str(tmp_path / "rows.jsonl"), "-o", str(tmp_path / "x"), "--quiet"])
    with pytest.raises(SystemExit, match="cannot load"):
        cli.main(["explain", str(tmp_path / "rows.jsonl"), "-o", str(tmp_path / "x"), "--quiet",
                  "--model", "mm_model:nothing"])


BAD_ITEMS = [
    {"id": "ok1", "query": "cats sleep", "passage": "my cat naps"},
    {"id": "empty", "query": "rain falls", "passage": ""},
    {"id": "blank", "query": "rain falls", "passage": "   "},
    {"id": "null", "query": "hot tea", "passage": None},
    {"id": "number", "query": "hot tea", "passage": 5},
    {"id": "nopassage", "query": "fast car"},
    {"id": "notokens", "query": "fast car", "passage": "\u200b\u200b"},
    {"id": "ok2", "query": "old books", "passage": "a dusty shelf"},
]


def read_errors(out):
    lines = (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    recs = [json.loads(line) for line in lines]
    for r in recs:
        assert set(r) >= {"id", "error", "argument", "fix"}
        assert "\n" not in r["error"] and r["error"]
    return {r["id"]: r for r in recs}


def test_failed_items_are_reported_and_the_others_finish(minilm, tmp_path):
    """An empty, blank, null, mistyped or missing passage (or one without tokens) fails its item
    alone, in the same group as good items: the good items are written, equal to a run without
    the bad ones; nothing is explained as the text "None"."""
    got = []
    summary = explain_items(BAD_ITEMS, tmp_path / "out", model=minilm, index="FBII",
                            budget=10**6, items_per_call=8, progress=False,
                            make_estimator=ExactBanzhaf, on_error=got.append)
    assert (summary["written"], summary["failed"]) == (2, 6)
    errs = read_errors(tmp_path / "out")
    assert [r["id"] for r in got] == list(errs)
    assert sorted(errs) == sorted(it["id"] for it in BAD_ITEMS if not it["id"].startswith("ok"))
    assert errs["empty"]["argument"] == "passage" and "empty" in errs["empty"]["error"]
    assert errs["blank"]["argument"] == "passage"
    assert "null" in errs["null"]["error"] and errs["null"]["fix"]
    assert "string" in errs["number"]["error"]
    assert errs["nopassage"]["argument"] == "passage"
    assert "no players" in errs["notokens"]["error"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.parquet")) == ["ok1.parquet",
                                                                             "ok2.parquet"]
    good = [it for it in BAD_ITEMS if it["id"].startswith("ok")]
    explain_items(good, tmp_path / "ref", model=minilm, index="FBII", budget=10**6,
                  items_per_call=8, progress=False, make_estimator=ExactBanzhaf)
    tables_equal(tmp_path / "out", tmp_path / "ref", ["ok1", "ok2"])
    assert not (tmp_path / "ref" / "errors.jsonl").exists()
    # a rerun retries the failed items and rewrites the errors file (no stale lines)
    again = explain_items(BAD_ITEMS[:2], tmp_path / "out", model=minilm, index="FBII",
                          budget=10**6, progress=False, make_estimator=ExactBanzhaf)
    assert (again["written"], again["skipped"], again["failed"]) == (0, 1, 1)
    assert list(read_errors(tmp_path / "out")) == ["empty"]


def test_cli_exit_status_and_summary_count_failures(tmp_path, capsys):
    src = tmp_path / "items.jsonl"
    write_jsonl(src, BAD_ITEMS[:2])
    with open(src, "a") as fh:
        fh.write("{not json\n")
    out = tmp_path / "out"
    assert cli.main(["explain", str(src), "-o", str(out), "--budget", "32",
                     "--max-order", "1", "--no-grid"]) == 1
    err = capsys.readouterr().err
    assert "item 'empty': passage is empty" in err
    assert "1 written, 0 already done, 2 failed" in err
    assert str(out / "errors.jsonl") in err
    errs = read_errors(out)
    assert errs["00000002"]["where"].endswith("items.jsonl:3")
    assert (out / "ok1.parquet").exists()
    assert cli.main(["explain", str(src), "-o", str(out), "--budget", "32",
                     "--max-order", "1", "--quiet", "--no-grid"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"interplay explain: 2 of 3 items failed (see {out / 'errors.jsonl'})"]


def one_line_exit(exc_info):
    """The message of a SystemExit raised with a string: one line naming the command."""
    msg = str(exc_info.value.code)
    assert msg.startswith("interplay explain: ") and "\n" not in msg, msg
    return msg


def test_setup_errors_are_one_line_before_any_model_load(tmp_path, monkeypatch, capsys):
    """An output path that is a file, an output folder that cannot be written, a bad --model:
    one line naming the argument and the fix, before a model is loaded or an item explained."""
    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS[:2])
    (tmp_path / "afile").write_text("x")
    loads = []
    real_load = cli._load_model
    monkeypatch.setattr(cli, "_load_model", lambda *a: loads.append(a) or real_load(*a))
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain", str(src), "-o", str(tmp_path / "afile"), "--quiet"])
    assert "-o/--output" in one_line_exit(exc) and "is a file" in str(exc.value.code)
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain", str(src), "-o", str(tmp_path / "afile" / "sub"), "--quiet"])
    assert "-o/--output" in one_line_exit(exc) and "not writable" in str(exc.value.code)

    def read_only(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "mkstemp", read_only)
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain", str(src), "-o", str(tmp_path / "ro"), "--quiet"])
    assert "not writable (Permission denied)" in one_line_exit(exc)
    assert loads == []
    monkeypatch.undo()
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain", str(src), "-o", str(tmp_path / "o"), "--quiet", "--model",
                  str(tmp_path / "no-such-model")])
    msg = one_line_exit(exc)
    assert "--model" in msg and "no-such-model" in msg and "give " in msg
    assert not list((tmp_path / "o").glob("*.parquet"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_output_folder_refused_up_front(tmp_path):
    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS[:2])
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(SystemExit) as exc:
            cli.main(["explain", str(src), "-o", str(ro), "--quiet"])
        assert "not writable" in one_line_exit(exc)
    finally:
        ro.chmod(0o755)


def test_unexpected_error_and_ctrl_c_are_one_line_unless_debug(minilm, tmp_path, monkeypatch,
                                                               capsys):
    """Ctrl-C during the items: the finished items are kept (valid files), one line says so,
    exit status 130, and a rerun finishes the rest. An unexpected error is one line, exit 1;
    --debug (or INTERPLAY_DEBUG=1) shows the traceback instead."""
    from interplay.models import batch

    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS)
    out = tmp_path / "out"
    real = batch.explain_items

    def interrupted_after_two(*a, on_result=None, **k):
        seen = []

        def stop(item, res):  # Ctrl-C once the second item of the run is written
            seen.append(item["id"])
            if len(seen) == 2:
                raise KeyboardInterrupt
        return real(*a, on_result=stop, **k)

    monkeypatch.setattr(batch, "explain_items", interrupted_after_two)
    common = ["explain", str(src), "-o", str(out), "--budget", "16", "--max-order", "1",
              "--items-per-call", "1", "--quiet", "--no-grid"]
    assert cli.main(common) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"interplay explain: interrupted; 2 of 4 items are finished in {out} (kept); "
                   "rerun the same command to resume"]
    assert sorted(p.name for p in out.glob("*.parquet")) == ["a.parquet", "b.parquet"]
    assert read_result(out / "a.parquet").n_players > 0
    with pytest.raises(KeyboardInterrupt):
        cli.main([*common, "--debug"])
    assert len(list(out.glob("*.parquet"))) == 4
    for it in ITEMS[2:]:  # back to the state after the first Ctrl-C
        output_path(out, it["id"]).unlink()

    def boom(*a, **k):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(batch, "explain_items", boom)
    assert cli.main(common) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["interplay explain: RuntimeError: boom second line (rerun with --debug or "
                   "INTERPLAY_DEBUG=1 for the traceback)"]
    monkeypatch.setenv("INTERPLAY_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(common)
    monkeypatch.delenv("INTERPLAY_DEBUG")
    monkeypatch.setattr(batch, "explain_items", real)
    assert cli.main(common) == 0
    assert len(list(out.glob("*.parquet"))) == 4  # the rerun after Ctrl-C finishes the rest


def test_sigint_keeps_finished_items_and_prints_one_line(tmp_path):
    """A real Ctrl-C (SIGINT) once the first file is written: exit status 130, one line on
    stderr and no traceback; the finished files are valid and a rerun completes the rest."""
    import signal

    items = [{"id": f"i{k}", "query": f"query number {k}", "passage": "a passage of words"}
             for k in range(6)]
    src = tmp_path / "items.jsonl"
    write_jsonl(src, items)
    env = cli_env()
    out = tmp_path / "out"
    common = ["explain", str(src), "-o", str(out), "--budget", "64", "--items-per-call", "1",
              "--quiet", "--no-grid"]
    proc = signal_after_first_file(common, out, signal.SIGINT, env)
    _, err = proc.communicate(timeout=120)
    err = err.decode()
    done = sorted(p for p in out.iterdir() if p.suffix == ".parquet")
    if proc.returncode == 0:  # finished before the signal arrived: nothing to check
        pytest.skip("the run finished before SIGINT")
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], err
    assert 1 <= len(done) < len(items)
    for p in done:
        assert read_result(p).n_players > 0
    rest = run_cli(common, env)
    assert rest.wait(timeout=300) == 0, rest.stderr.read().decode()
    assert len([p for p in out.iterdir() if p.suffix == ".parquet"]) == len(items)


def test_rerun_with_other_settings_is_refused_unless_overwrite(minilm, tmp_path, capsys):
    """Files made with another index, order, budget, seed or model are never silently kept:
    the rerun is refused (one line, before any model call) unless --overwrite, which
    recomputes them; a rerun with the same settings skips them."""
    from interplay.models.batch import SettingsMismatch

    kw = dict(model=minilm, budget=10**6, items_per_call=2, progress=False,
              make_estimator=ExactBanzhaf, meta={"model": "minilm"})
    out = tmp_path / "out"
    explain_items(ITEMS[:2], out, index="FBII", **kw)
    calls = len(ExactBanzhaf.calls)
    for change in (dict(index="BII"), dict(max_order=1), dict(budget=999), dict(seed=1),
                   dict(meta={"model": "other"}), dict(p=0.3), dict(text_mode="remove")):
        args = {**kw, "index": "FBII", **change}
        with pytest.raises(SettingsMismatch, match="2 existing result file") as exc:
            explain_items(ITEMS[:3], out, **args)
        assert "\n" not in str(exc.value) and "overwrite" in str(exc.value)
    assert len(ExactBanzhaf.calls) == calls  # refused before any estimator or model call
    assert not output_path(out, ITEMS[2]["id"]).exists()
    same = explain_items(ITEMS[:3], out, index="fbii", **kw)  # index names are case-blind
    assert (same["written"], same["skipped"]) == (1, 2)
    redo = explain_items(ITEMS[:3], out, index="BII", overwrite=True, **kw)
    assert (redo["written"], redo["skipped"]) == (3, 0)
    assert read_result(output_path(out, "a")).index == "BII"
    assert json.loads(pq.read_schema(output_path(out, "a")).metadata[b"interplay"])[
        "settings"]["index"] == "BII"
    # the command line: one line, exit 1, --overwrite recomputes
    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS[:1])
    common = ["explain", str(src), "-o", str(tmp_path / "cli"), "--budget", "16",
              "--max-order", "1", "--quiet"]
    assert cli.main(common) == 0
    with pytest.raises(SystemExit) as exc:
        cli.main([*common, "--index", "BV"])
    msg = one_line_exit(exc)
    assert "index: 'FWBII' there, 'BV' now" in msg and "--overwrite" in msg
    assert cli.main([*common, "--seed", "3", "--overwrite"]) == 0
    assert json.loads(pq.read_schema(output_path(tmp_path / "cli", "a")).metadata[
        b"interplay"])["settings"]["seed"] == 3


LONG = " ".join(["the quick brown fox jumps over the lazy dog"] * 40)  # 360 words, > 256 tokens


def test_text_longer_than_the_model_limit_is_refused_or_truncated(minilm, tmp_path):
    """MiniLM takes 256 tokens (max_seq_length): a longer passage fails its item before any
    model call, naming the item, the field, the count and the fix; --truncate cuts it at 256."""
    from interplay.models.api import build_games
    from interplay.models.maskers import TextTooLong

    tok = minilm.tokenizer
    n_long = len(tok(LONG, verbose=False)["input_ids"])
    assert n_long > minilm.max_seq_length == 256
    masker = TextMasker(tok, max_length=8, truncate=False)
    with pytest.raises(TextTooLong, match="more than the model's limit of 8") as exc:
        masker.encode("one two three four five six seven eight")
    assert exc.value.n_tokens == 10
    assert TextMasker(tok, max_length=8).encode("one two three four five six seven eight"
                                                ).n_players == 6
    with pytest.raises(TextTooLong):
        masker.from_ids(list(range(9)))
    with pytest.raises(TextTooLong, match=f"{n_long} tokens"):
        build_games(minilm, [("fox", LONG)])
    game = build_games(minilm, [("fox", LONG)], truncate=True)[0]
    assert game.player_groups[1] == 256 - 2
    items = [{"id": "long", "query": "fox", "passage": LONG}, ITEMS[0]]
    summary = explain_items(items, tmp_path / "out", model=minilm, index="FBII", budget=10**6,
                            progress=False, make_estimator=ExactBanzhaf)
    assert (summary["written"], summary["failed"]) == (1, 1)
    rec = read_errors(tmp_path / "out")["long"]
    assert rec["argument"] == "passage" and "--truncate" in rec["fix"]
    assert f"{n_long} tokens" in rec["error"] and "limit of 256" in rec["error"]
    assert "the model" in rec["error"]


def test_memory_refusal_names_the_item_and_the_fix(minilm, tmp_path, monkeypatch):
    """A plan that does not fit (here: memory made scarce) fails its item with the fixes
    (--max-order 1, fewer players); the small item of the same group is written."""
    import interplay._validation as validation

    monkeypatch.setattr(validation, "available_memory", lambda: 2 * 10**6)
    items = [{"id": "big", "query": "fox", "passage": " ".join(LONG.split()[:60])},
             {"id": "small", "query": "cats", "passage": "dogs"}]
    summary = explain_items(items, tmp_path / "out", model=minilm, index="FWBII", budget=4096,
                            progress=False, grid=False)
    assert (summary["written"], summary["failed"]) == (1, 1)
    rec = read_errors(tmp_path / "out")["big"]
    assert "of memory" in rec["error"] and "--max-order 1" in rec["fix"]
    assert output_path(tmp_path / "out", "small").exists()


def test_warnings_are_one_line(tmp_path, capsys):
    """A per-item warning (here grid mode raising an item's budget) is one line on stderr."""
    src = tmp_path / "items.jsonl"
    write_jsonl(src, ITEMS[:1])
    assert cli.main(["explain", str(src), "-o", str(tmp_path / "out"), "--budget", "16",
                     "--max-order", "1", "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("interplay explain: GridBudgetWarning: item 'a'")
