"""docs/multimodal.md's examples run as written and print what their comments say."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "multimodal.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_every_metric_and_picture_has_an_example():
    text = "".join(BLOCKS)
    for name in ("pointing_game", "insertion_deletion", "multishap_aggregates", "intershap",
                 "shape_scores", "interaction_matrix", "interaction_network",
                 "patch_token_heatmaps", "modality_bars", "pid_bars"):
        assert name in text, name


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_doc_block_runs(i, tmp_path, monkeypatch, capsys):
    if "plot" in BLOCKS[i]:
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # the pictures are written here
    exec(compile(BLOCKS[i], f"docs/multimodal.md block {i}", "exec"), {"__name__": "__doc__"})
    printed = capsys.readouterr().out.split("\n")
    # a comment line right after a print(...) line states what it prints (before any "   (")
    lines = BLOCKS[i].split("\n")
    prints = [k for k, ln in enumerate(lines) if ln.startswith("print(")]
    for j, k in enumerate(prints):
        if k + 1 < len(lines) and lines[k + 1].startswith("# "):
            assert printed[j] == lines[k + 1][2:].split("   (")[0].rstrip(), (printed, lines[k + 1])
