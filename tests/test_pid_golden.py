"""interplay.pid against dit 2.3 (golden values recorded by tests/golden/make_dit_pid_golden.py
with dit's exponential-cone BROJA solver, Williams-Beer I_min and I_mmi; a missing file fails).

dit's cone solver is accurate to ~1.5e-8 bit (shared/reference/pid.md), so BROJA atoms are
compared at 2e-8 bit, and only where dit's own atoms add up to I(X1,X2;Y) within 2e-8."""

import json
from pathlib import Path

import numpy as np
import pytest

import interplay

GOLDEN = Path(__file__).parent / "golden" / "dit_pid.json"
ATOMS = ("redundancy", "unique_1", "unique_2", "synergy")


def _cases():
    assert GOLDEN.exists(), f"golden file {GOLDEN} missing: run tests/golden/make_dit_pid_golden.py"
    return json.loads(GOLDEN.read_text())["cases"]


def test_golden_file_present_and_complete():
    cases = _cases()
    names = {c["name"] for c in cases}
    assert sum(n.startswith("dit:") for n in names) >= 27
    assert sum(n.startswith("random:") for n in names) >= 12


@pytest.mark.golden
def test_broja_matches_dit_cone():
    checked = 0
    for case in _cases():
        p = np.array(case["p"])
        r = interplay.pid(p)
        assert r.converged and r.gap <= 1e-9, case["name"]
        dit = np.array([case["broja_cone"][k] for k in ATOMS])
        if abs(dit.sum() - r.mutual_information) > 2e-8:
            continue  # dit's own answer is inconsistent here
        ours = np.array([getattr(r, k) for k in ATOMS])
        np.testing.assert_allclose(ours, dit, atol=2e-8, err_msg=case["name"])
        checked += 1
    assert checked >= 40


@pytest.mark.golden
@pytest.mark.parametrize("measure,key", [("WB", "wb"), ("MMI", "mmi")])
def test_closed_form_measures_match_dit(measure, key):
    cases = _cases()
    ps = [np.array(c["p"]) for c in cases]
    for case, p in zip(cases, ps):
        r = interplay.pid(p, measure=measure)
        ours = np.array([getattr(r, k) for k in ATOMS])
        np.testing.assert_allclose(ours, [case[key][k] for k in ATOMS], atol=1e-12,
                                   err_msg=case["name"])


@pytest.mark.golden
def test_batch_of_golden_shapes_equals_one_by_one():
    cases = [c for c in _cases() if np.shape(c["p"]) == (2, 2, 2)]
    ps = np.stack([np.array(c["p"]) for c in cases])
    r = interplay.pid(ps)
    for i, p in enumerate(ps):
        s = interplay.pid(p)
        for k in ATOMS:
            assert getattr(r, k)[i] == getattr(s, k)
