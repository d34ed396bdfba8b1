"""interplay.plot: each picture rendered on an Agg canvas and its content checked (size,
non-blank pixels of both signs, labelled axes, titles and legends with sign and unit)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

import interplay  # noqa: E402
from interplay import plot  # noqa: E402
from interplay.metrics import intershap, shape_scores  # noqa: E402
from interplay.plot import merge_pieces  # noqa: E402
from interplay.results import InteractionResult  # noqa: E402


def result_from(n, values, names, index="FWBII"):
    res = InteractionResult._from_items(
        list(values.items()), {"n_players": n, "index": index, "max_order": 2, "min_order": 0,
                               "baseline_value": 0.0})
    res.player_names = names
    return res


def pixels(fig, tmp_path, name="fig.png"):
    """The PNG the figure writes, as an (H, W, 4) float array."""
    import matplotlib.image as mpimg

    path = tmp_path / name
    fig.savefig(path, dpi=100)
    return mpimg.imread(path)


def check_content(img, fig, *, min_ink=0.02):
    h, w = img.shape[:2]
    fw, fh = fig.get_size_inches() * 100
    assert (w, h) == (round(fw), round(fh))
    ink = (img[..., :3] < 0.95).any(axis=-1).mean()  # not white
    assert ink > min_ink, ink
    red = (img[..., 0] > img[..., 2] + 0.25).mean()  # the diverging map's two ends
    blue = (img[..., 2] > img[..., 0] + 0.25).mean()
    return red, blue


@pytest.fixture
def text_pair():
    """query 'cafe open' (pieces caf ##e open) x passage 'coffee shop': known signs."""
    names = ["query:caf", "query:##e", "query:open", "passage:coffee", "passage:shop"]
    vals = {(i,): 0.1 * i for i in range(5)}
    vals.update({p: 0.0 for p in itertools.combinations(range(5), 2)})
    vals.update({(0, 3): 0.3, (1, 3): 0.2, (2, 4): -0.4, (0, 4): 0.05})
    return result_from(5, vals, names)


def test_merge_pieces():
    assert merge_pieces(["caf", "##fe", "is", "open"]) == [("caffe", [0, 1]), ("is", [2]),
                                                           ("open", [3])]
    assert merge_pieces(["coff", "ee</w>", "shop</w>"]) == [("coffee", [0, 1]), ("shop", [2])]
    assert merge_pieces(["\u2581cof", "fee", "\u2581shop"]) == [("coffee", [0, 1]), ("shop", [2])]
    assert merge_pieces(["a", "b"]) == [("a", [0]), ("b", [1])]


def test_interaction_matrix(text_pair, tmp_path):
    fig = plot.interaction_matrix(text_pair, unit="cosine similarity", path=tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 1000
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cafe", "open"]  # pieces merged
    assert [t.get_text() for t in ax.get_xticklabels()] == ["coffee", "shop"]
    assert ax.get_xlabel() == "passage" and ax.get_ylabel() == "query"
    assert "query x passage" in ax.get_title()
    bar_label = fig.axes[1].get_ylabel()
    assert "cosine similarity" in bar_label and "> 0" in bar_label and "< 0" in bar_label
    # the word 'cafe' x 'coffee' is the sum over its pieces: 0.3 + 0.2
    cells = [t.get_text() for t in ax.texts]
    assert cells == ["+0.5", "+0.05", "+0", "-0.4"]
    red, blue = check_content(pixels(fig, tmp_path), fig)
    assert red > 0.005 and blue > 0.005
    raw = plot.interaction_matrix(text_pair, words=False)
    assert [t.get_text() for t in raw.axes[0].get_yticklabels()] == ["caf", "##e", "open"]


def test_patch_token_heatmaps(tmp_path, rng):
    names = [f"image:patch({r},{c})" for r in range(4) for c in range(4)] + \
        ["text:do", "text:g</w>", "text:runs</w>"]
    vals = {(i, 16 + t): float(rng.normal()) for i in range(16) for t in range(3)}
    vals[(0, 17)] = 5.0  # patch (0, 0) x 'dog' (pieces do, g</w>): strongly positive
    vals[(15, 18)] = -5.0
    res = result_from(19, vals, names)
    fig = plot.patch_token_heatmaps(res, unit="logit")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["'dog'", "'runs'"]  # CLIP pieces merged
    assert all(ax.get_xlabel() == "patch column" and ax.get_ylabel() == "patch row" for ax in panels)
    grid = panels[0].images[0].get_array()
    assert grid.shape == (4, 4) and grid[0, 0] == pytest.approx(5.0 + vals[(0, 16)])
    assert "logit" in fig.axes[-1].get_ylabel()
    assert fig.get_suptitle().startswith("patch x token")
    red, blue = check_content(pixels(fig, tmp_path), fig)
    assert red > 0.001 and blue > 0.001
    image = rng.uniform(size=(3, 32, 32))
    over = plot.patch_token_heatmaps(res, image=image, words=False, max_tokens=2, columns=1)
    panels = [ax for ax in over.axes if ax.get_title()]
    assert len(panels) == 2 and len(panels[0].images) == 2  # the image and the map over it
    assert list(panels[0].images[1].get_extent()) == [0, 32, 32, 0]
    check_content(pixels(over, tmp_path, "over.png"), over)
    with pytest.raises(ValueError, match="patch"):
        plot.patch_token_heatmaps(result_from(2, {(0, 1): 1.0}, ["a", "b"]))


def test_interaction_network(text_pair, tmp_path):
    fig = plot.interaction_network(text_pair, top=3, unit="cosine similarity")
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # the three strongest pairs
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in ax.lines}
    assert colours == {"#c0392b", "#2e6da4"}
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert any("> 0" in t for t in texts) and "query" in texts and "passage" in texts
    assert "cosine similarity" in legend.get_title().get_text()
    assert "3 strongest" in ax.get_title() and ax.get_xlabel()
    assert sorted(t.get_text() for t in ax.texts) == ["cafe", "coffee", "open", "shop"]
    check_content(pixels(fig, tmp_path), fig, min_ink=0.01)


def test_modality_and_pid_bars(tmp_path):
    tables = np.array([[0.0, 1.0, 2.0, 5.0], [0.0, 1.0, 2.0, -1.0]])
    inter = intershap(tables=tables)
    fig = plot.modality_bars(inter)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["modality0", "modality1", "interaction"]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, 100 * np.append(inter["modality_share"], inter["intershap"]))
    assert "%" in ax.get_ylabel() and "InterSHAP" in ax.get_title()
    check_content(pixels(fig, tmp_path), fig)
    shape = shape_scores([0.5, 0.6, 0.7, 0.9], names=["image", "text"])
    ax = plot.modality_bars(shape).axes[0]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [0.15, 0.25, 0.1])
    assert ax.get_ylabel() == "contribution to performance"
    p = np.zeros((2, 2, 2))
    for a, b in itertools.product((0, 1), (0, 1)):
        p[a, b, a ^ b] = 0.25
    fig = plot.pid_bars(interplay.pid(p), path=tmp_path / "pid.png")
    ax = fig.axes[0]
    heights = [r.get_height() for r in ax.patches]
    np.testing.assert_allclose(heights, [0, 0, 0, 1], atol=1e-6)  # XOR: one bit of synergy
    assert ax.get_ylabel() == "information [bits]"
    assert "1 bits" in ax.get_legend().get_texts()[0].get_text()
    check_content(pixels(fig, tmp_path, "pid2.png"), fig)
    with pytest.raises(ValueError, match="pid"):
        plot.pid_bars({"redundancy": 1.0})
    with pytest.raises(ValueError, match="scores"):
        plot.modality_bars({})


def test_import_is_lazy_and_missing_matplotlib_is_one_clear_error(text_pair, monkeypatch):
    code = "import sys, interplay.plot, interplay.metrics; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r"pip install 'interplay\[plot\]'"):
        plot.interaction_matrix(text_pair)
