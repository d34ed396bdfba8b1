"""bench/bench_sparse.py (issue 17): the 50 cells, the table's "below a peer" marks, the merge
of several result files, and the "ProxySPEX-notune" peer (shapiq's ProxySPEX with hpo=False)
built and run by bench/_spex_child.py in the shapiq 1.8.0 oracle."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("bench_sparse", ROOT / "bench" / "bench_sparse.py")
bs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bs)

PY = os.environ.get("INTERPLAY_SHAPIQ_PYTHON", "")


def row(method, r2, recall, n=128, terms=20, noise=0.0, budget=2000, **kw):
    return {"method": method, "n": n, "terms": terms, "noise": noise, "budget": budget,
            "r2": r2, "recall": recall, "cpu_outside_game": 1.0, "maxrss_mb": 100.0, **kw}


def test_the_issue_grid_has_50_cells():
    cells = bs.cells(True)
    assert len(cells) == 50
    keys = {bs.cell_key(c) for c in cells}
    assert len(keys) == 50
    assert {c["budget"] for c in cells} == {2000, 10000, 20000, 50000}
    # 20,000 only at n = 1000 with 100 terms, with and without noise
    assert sorted(bs.cell_key(c) for c in cells if c["budget"] == 20000) == [
        (1000, 100, 0.0, 20000), (1000, 100, 0.02, 20000)]


def test_below_compares_r2_at_four_decimals_and_recall_exactly():
    ours = row("interplay sparse", 0.97804, 0.85)
    assert bs.below(ours, row("SPEX", 0.97796, 0.85)) == []  # 0.9780 = 0.9780: not below
    assert bs.below(ours, row("SPEX", 0.97816, 0.85)) == ["R^2"]
    assert bs.below(ours, row("SPEX", 0.9, 0.90)) == ["recall"]
    assert bs.below(ours, row("SPEX", 0.99, 0.90)) == ["R^2", "recall"]
    assert bs.below(ours, None) == []
    assert bs.below(ours, {**row("SPEX", 1.0, 1.0), "error": "ValueError: x"}) == []


def test_table_marks_the_cells_where_interplay_is_below():
    rows = [row("interplay sparse", 0.95, 0.80), row("SPEX", 0.90, 0.85),
            row("ProxySPEX-notune", 0.96, 0.70),
            row("interplay sparse", 1.0, 1.0, n=256), row("SPEX", 1.0, 1.0, n=256)]
    lines = bs.table(rows).splitlines()
    assert len(lines) == 4
    assert lines[0].count("|") == lines[1].count("|") == lines[2].count("|")
    assert lines[2].endswith("| **below SPEX (recall), ProxySPEX-notune (R^2)** |")
    assert "| not run |" in lines[2]  # ProxySPEX (HPO) has no row there
    assert lines[3].endswith("| - |")


def test_merge_takes_the_later_file_and_labels_it(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps([row("interplay sparse", 0.5, 0.5), row("SPEX", 0.7, 0.7)]))
    b.write_text(json.dumps([row("interplay sparse", 0.9, 0.9)]))
    rows, sources = bs.merge([f"{a}=old", str(b)])
    by = {r["method"]: r for r in rows}
    assert len(rows) == 2
    assert by["interplay sparse"]["r2"] == 0.9
    assert id(by["interplay sparse"]) not in sources  # b.json has no label
    assert sources[id(by["SPEX"])] == "old"
    text = bs.table(rows, sources=sources)
    assert "| 0.9000, 0.90, 1.00 s, 100 MB | 0.7000, 0.70, 1.00 s, 100 MB [old] |" in text


NOTUNE_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1] + "/bench")
from _spex_child import make_peer
from shapiq.approximator.proxy._models import _select_base_proxy_via_string

notune = make_peer("ProxySPEX-notune", 24, 4, 7).proxy_model
stock = _select_base_proxy_via_string("lightgbm", 7)
hpo = make_peer("ProxySPEX", 24, 4, 7).proxy_model
print(json.dumps({"type": type(notune).__name__, "params": notune.get_params(),
                  "stock": stock.get_params(), "hpo": type(hpo).__name__,
                  "grid": {k: list(v) for k, v in hpo.param_grid.items()}}, default=str))
"""


def test_proxyspex_notune_is_shapiqs_bare_lightgbm_on_one_thread():
    if not PY or not pathlib.Path(PY).exists():
        pytest.skip("no Python with shapiq 1.8.0 (set INTERPLAY_SHAPIQ_PYTHON)")
    proc = subprocess.run([PY, "-c", NOTUNE_SCRIPT, str(ROOT)], capture_output=True, text=True,
                          timeout=120, env=bs.peer_env(), check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["type"] == "LGBMRegressor"
    assert got["params"]["n_jobs"] == 1
    # every other parameter is shapiq's own string-resolved default (n_estimators 100, ...)
    assert {k: v for k, v in got["params"].items() if k != "n_jobs"} == {
        k: v for k, v in got["stock"].items() if k != "n_jobs"}
    assert got["params"]["n_estimators"] == 100 and got["params"]["random_state"] == 7
    assert got["hpo"] == "GridSearchCV"
    assert got["grid"] == {"max_depth": [3, 5], "max_iter": [500, 1000],
                           "learning_rate": [0.01, 0.1]}


def test_proxyspex_notune_runs_a_cell_through_the_child():
    """A small cell twice end to end (bench_sparse.run_peer -> _spex_child.py): a 3-term game at
    n = 16 from 600 uniform coalitions, which ProxySPEX's trees hold (R^2 > 0.9)."""
    if not PY or not pathlib.Path(PY).exists():
        pytest.skip("no Python with shapiq 1.8.0 (set INTERPLAY_SHAPIQ_PYTHON)")
    cell = {"n": 16, "terms": 3, "noise": 0.0, "budget": 600, "seed": 5}
    recs = list(bs.run_peer("ProxySPEX-notune", [cell, cell], PY))
    assert len(recs) == 2
    assert recs[0]["r2"] == recs[1]["r2"]  # seeded
    # VmHWM and ru_maxrss count a little differently (0.2 MB here)
    assert 0 < recs[1]["cell_peak_mb"] <= recs[1]["maxrss_mb"] + 16
    rec = recs[1]
    assert rec["error"] is None
    assert rec["method"] == "ProxySPEX-notune"
    assert rec["proxy"] == "LGBMRegressor(n_jobs=1, random_state=5)"
    assert rec["shapiq"] == "1.8.0" and "lightgbm" in rec
    assert rec["evaluations"] == 600
    assert rec["r2"] > 0.9


CELL_START_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1] + "/bench")
from _spex_child import cell_start, peak_mb

class Cell:  # a reference cycle holding 400 MB, as the _process_moebius wrapper made
    pass

c = Cell()
c.me, c.data = c, np.ones(50_000_000)
del c
before = peak_mb()
reset = cell_start()
print(json.dumps({"before": before, "reset": reset, "after": peak_mb()}))
"""


def test_cell_start_frees_the_last_cell_and_resets_the_peak():
    if not PY or not pathlib.Path(PY).exists():
        pytest.skip("no Python with shapiq 1.8.0 (set INTERPLAY_SHAPIQ_PYTHON)")
    proc = subprocess.run([PY, "-c", CELL_START_SCRIPT, str(ROOT)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **bs.ONE_THREAD},
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["reset"] is True
    assert got["before"] > 400  # the array was resident
    assert got["after"] < got["before"] - 300  # collected, handed back, peak reset
