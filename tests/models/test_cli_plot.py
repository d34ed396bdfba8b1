"""`interplay explain --plot`, `interplay plot RESULTS_DIR` and the demo's pictures: PNG files
next to the Parquet files, with the content each kind of item calls for."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pyarrow.parquet")
pytest.importorskip("matplotlib")

import matplotlib.image as mpimg  # noqa: E402

from interplay import cli  # noqa: E402
from interplay.models.batch import output_path  # noqa: E402

ITEMS = [{"id": "a", "query": "cafe opening hours", "passage": "the coffee shop opens at nine"},
         {"id": "b", "query": "rain falls", "passage": "wet streets"}]


def write_jsonl(path, items):
    path.write_text("".join(json.dumps(it) + "\n" for it in items))


def non_blank(path):
    img = mpimg.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 200
    return (img[..., :3] < 0.95).any(axis=-1).mean()


def test_explain_plot_and_plot_command(minilm, tmp_path, capsys):
    write_jsonl(tmp_path / "items.jsonl", ITEMS)
    out = tmp_path / "out"
    assert cli.main(["explain", str(tmp_path / "items.jsonl"), "-o", str(out), "--budget", "256",
                     "--plot"]) == 0
    err = capsys.readouterr().err
    for it in ITEMS:
        stem = output_path(out, it["id"]).with_suffix("")
        for kind in ("matrix", "network"):
            png = stem.with_name(f"{stem.name}.{kind}.png")
            assert png.exists() and non_blank(png) > 0.02
            assert str(png) in err
    assert "pictures (4 PNG files next to the results):" in err
    for png in out.glob("*.png"):
        png.unlink()
    assert cli.main(["plot", str(out), "--top", "5", "--quiet"]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == [
        "a.matrix.png", "a.network.png", "b.matrix.png", "b.network.png"]
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit, match="not a directory"):
        cli.main(["plot", str(tmp_path / "nowhere")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="no .parquet"):
        cli.main(["plot", str(tmp_path / "empty")])


def test_demo_prints_where_its_pictures_are(minilm, tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["explain", "--demo", "-o", str(out), "--budget", "128"]) == 0
    captured = capsys.readouterr()
    assert "strongest query x passage interactions" in captured.out
    lines = captured.err.splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith("pictures (")))
    listed = [ln.strip() for ln in lines[start + 1:] if ln.startswith("  ")]
    assert listed and all(ln.endswith(".png") and (out / ln.rsplit("/", 1)[1]).exists()
                          for ln in listed)


def test_image_text_heatmaps_over_the_image(tiny_clip, tmp_path):
    model_dir = tmp_path / "clip"
    tiny_clip.save_pretrained(model_dir)
    pix = np.random.default_rng(0).normal(size=(3, 32, 32)).astype(np.float32)
    np.save(tmp_path / "img.npy", pix)
    items = [{"id": "pic", "image": str(tmp_path / "img.npy"),
              "text": {"input_ids": [62, 5, 9, 17, 63], "special_tokens_mask": [1, 0, 0, 0, 1]}}]
    write_jsonl(tmp_path / "items.jsonl", items)
    out = tmp_path / "out"
    assert cli.main(["explain", str(tmp_path / "items.jsonl"), "-o", str(out), "--model",
                     str(model_dir), "--budget", "2048", "--plot", "--quiet"]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["pic.heatmaps.png", "pic.network.png"]
    assert non_blank(out / "pic.heatmaps.png") > 0.05
    from interplay.models.batch import read_result
    from interplay.plot import plot_result

    res = read_result(out / "pic.parquet")
    written = plot_result(res, tmp_path / "again", item=items[0])
    assert [p.name for p in written] == ["again.heatmaps.png", "again.network.png"]


def test_modality_items_get_bars(tmp_path, monkeypatch):
    (tmp_path / "mm_model2.py").write_text(
        "def model(audio, video):\n"
        "    return audio.sum(1) * video.sum(1) + audio.sum(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    items = [{"id": "r0", "modalities": {"audio": [1.0, 2.0], "video": [0.5]}}]
    write_jsonl(tmp_path / "rows.jsonl", items)
    out = tmp_path / "out"
    assert cli.main(["explain", str(tmp_path / "rows.jsonl"), "--model", "mm_model2:model",
                     "--budget", "16", "-o", str(out), "--plot", "--quiet"]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["r0.bars.png", "r0.network.png"]
    assert non_blank(out / "r0.bars.png") > 0.02
