"""Record dit 2.3's PID values as golden data for tests/test_pid_golden.py.

Run with the oracle environment (Python 3.12 with dit 2.3 and ecos), never from the tests:

    /work/.venvs/shapiq312/bin/python tests/golden/make_dit_pid_golden.py

dit's BROJA is taken from its exponential-cone solver (``method='cone'``, ECOS; Makkeh et al.
2018), which is accurate to ~1e-8 bit; its default route (SLSQP in basin hopping) is random
and often wrong (shared/reference/pid.md), so it is not used. I_min (Williams-Beer) and I_mmi
are recorded too. Output: tests/golden/dit_pid.json (bits).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

import dit
from dit.pid import PID_BROJA, PID_MMI, PID_WB
from dit.pid.distributions import bivariates

OUT = Path(__file__).with_name("dit_pid.json")
NODES = {"redundancy": ((0,), (1,)), "unique_1": ((0,),), "unique_2": ((1,),),
         "synergy": ((0, 1),)}


def to_joint(d):
    """dit distribution over (X1, X2, Y) -> numpy p(x1, x2, y) (symbols sorted per variable)."""
    outcomes = [tuple(o) for o in d.outcomes]
    alph = [sorted({o[i] for o in outcomes}) for i in range(3)]
    p = np.zeros([len(a) for a in alph])
    for o, w in zip(outcomes, d.pmf):
        p[tuple(a.index(v) for a, v in zip(alph, o))] += w
    return p / p.sum()


def from_joint(p):
    outcomes, pmf = [], []
    for idx in zip(*np.nonzero(p)):
        outcomes.append(tuple(str(i) for i in idx))
        pmf.append(float(p[idx]))
    return dit.Distribution(outcomes, pmf)


def atoms(pid):
    return {k: float(pid.get_pi(v)) for k, v in NODES.items()}


def record(name, p):
    d = from_joint(p)
    t = time.perf_counter()
    broja = atoms(PID_BROJA(d, [[0], [1]], [2], method="cone"))
    seconds = time.perf_counter() - t
    return {
        "name": name,
        "p": p.tolist(),
        "broja_cone": broja,
        "broja_cone_seconds": seconds,
        "wb": atoms(PID_WB(d, [[0], [1]], [2])),
        "mmi": atoms(PID_MMI(d, [[0], [1]], [2])),
    }


def main():
    cases = []
    for name, d in bivariates.items():
        cases.append(record(f"dit:{name}", to_joint(d)))
    rng = np.random.default_rng(20261124)
    for i in range(12):
        shape = tuple(int(k) for k in rng.integers(2, 6, size=3))
        p = rng.random(shape)
        if i % 3 == 2:
            p[rng.random(shape) < 0.4] = 0
            if p.sum() == 0:
                p.flat[0] = 1.0
        cases.append(record(f"random:{i}:{shape}", p / p.sum()))
    # edge cases (shared/reference/pid.md section 6)
    p = np.zeros((2, 2, 2)); p[0, :, 0] = [0.3, 0.2]; p[1, :, 1] = [0.3, 0.2]
    cases.append(record("edge:y=x1,noisy x2", p))
    p = np.full((2, 2, 2), 1e-9); p[0, 0, 0] = p[0, 1, 1] = p[1, 0, 1] = p[1, 1, 0] = 0.25
    cases.append(record("edge:xor with 1e-9 masses", p / p.sum()))
    p = np.einsum("i,j,k->ijk", [0.2, 0.8], [0.5, 0.3, 0.2], [0.6, 0.4])
    cases.append(record("edge:independent", p))
    p = np.zeros((3, 3, 2)); p[:2, :2, 0] = 0.1; p[2, 2, 1] = 0.6
    cases.append(record("edge:zero slice", p / p.sum()))
    meta = {"dit": dit.__version__, "python": sys.version.split()[0],
            "units": "bits", "cases": cases}
    OUT.write_text(json.dumps(meta, indent=1))
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
