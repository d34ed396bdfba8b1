"""interplay.exact against shapiq 1.8.0's ExactComputer (golden files recorded by
tests/golden/make_shapiq_exact_golden.py; a missing file fails). Same sets, same numbers (to
shapiq's precision: FSII's big-M leaves ~1e-9), same empty-set entries and baseline_value."""

import json
from pathlib import Path

import numpy as np
import pytest

import interplay
from interplay.results import InteractionResult

GOLDEN = Path(__file__).parent / "golden"


def _load():
    path = GOLDEN / "shapiq_exact.json"
    assert path.exists(), f"golden file {path} missing: run tests/golden/make_shapiq_exact_golden.py"
    with open(path) as fh:
        return json.load(fh)


DATA = _load()
CASES = [(g["n"], i) for g in DATA["games"] for i in range(len(g["results"]))]


@pytest.mark.golden
@pytest.mark.parametrize("n,i", CASES)
def test_matches_shapiq_exact_computer(n, i):
    game = next(g for g in DATA["games"] if g["n"] == n)
    e = game["results"][i]
    v = np.array(game["values"])
    res = interplay.exact(v, e["index"], e["order"])
    assert res.index == e["out_index"]
    assert res.min_order == e["min_order"] and res.max_order == e["max_order"]
    tol = 5e-9 if e["index"] == "FSII" else 1e-12
    assert res.baseline_value == pytest.approx(e["baseline_value"], abs=tol)
    ours = res.to_dict()
    theirs = {tuple(k): x for k, x in zip(e["keys"], e["values"])}
    # k-SII in shapiq drops exact zeros; every set shapiq has, we have, and the rest is 0
    assert set(theirs) <= set(ours)
    for key, x in ours.items():
        assert x == pytest.approx(theirs.get(key, 0.0), abs=tol), key


@pytest.mark.golden
@pytest.mark.parametrize("name", ["sii", "ksii", "fbii", "moebius"])
def test_reads_shapiq_saved_json(name):
    path = GOLDEN / f"shapiq_iv_{name}_n5.json"
    assert path.exists(), f"golden file {path} missing"
    res = InteractionResult.from_shapiq_json(path)
    game = next(g for g in DATA["games"] if g["n"] == 5)
    index = {"sii": "SII", "ksii": "k-SII", "fbii": "FBII", "moebius": "Moebius"}[name]
    ref = interplay.exact(np.array(game["values"]), index, None if index == "Moebius" else 2)
    assert res.index == ref.index and res.n_players == 5 and res.max_order == ref.max_order
    assert res.baseline_value == pytest.approx(ref.baseline_value, abs=1e-12)
    for key, x in ref.to_dict().items():
        assert res[key] == pytest.approx(x, abs=1e-12)
    # and what we write is what shapiq writes (same metadata, same "data" keys and values)
    ours = ref.to_shapiq_json_dict()
    with open(path) as fh:
        theirs = json.load(fh)
    for field in ("n_players", "index", "max_order", "min_order", "estimated", "estimation_budget"):
        assert ours["metadata"][field] == theirs["metadata"][field], field
    assert set(ours["data"]) >= set(theirs["data"])
    for key, x in ours["data"].items():
        assert x == pytest.approx(theirs["data"].get(key, 0.0), abs=1e-12), key
