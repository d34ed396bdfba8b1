"""PID peers as a server, run by the Python 3.12 venv that holds dit 2.3 and cvxpy.

bench/bench_pid.py starts it once and sends one JSON request per line on stdin:
  {"cmd": "run", "method": "dit_cone" | "cvxpy", "path": "<joint.npy>"}
The joint p(x1, x2, y) is read from a .npy file (outside the timer) and the reply carries the
seconds of the timed call and the atoms in bits (R, U1, U2, S):
  * dit_cone: ``PID_BROJA(d, [[0], [1]], [2], method="cone")`` (Makkeh et al.'s exponential
    cone program solved by ECOS), the dit Distribution built outside the timer;
  * cvxpy: Liang et al.'s convex program (pliang279/PID synthetic/rus.py, constraints
    vectorised per y) built and solved inside the timer (cvxpy picks Clarabel); its atoms
    are computed from the returned Q as in rus.py (nats, converted to bits here).
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np


def _mi_bits(q):
    """I_Q(X1,X2;Y), I(X1;Y), I(X2;Y) in bits of a joint q(x1, x2, y)."""

    def H(x):
        x = x[x > 0]
        return float(-(x * np.log2(x)).sum())

    hy = H(q.sum((0, 1)))
    return (H(q.sum(2)) + hy - H(q), H(q.sum((1, 2))) + hy - H(q.sum(1)),
            H(q.sum((0, 2))) + hy - H(q.sum(0)))


def liang_cvx(p):
    import cvxpy as cp

    n1, n2, ny = p.shape
    a = p.sum(1)
    b = p.sum(0)
    Q = [cp.Variable((n1, n2), nonneg=True) for _ in range(ny)]
    Qx = [cp.Variable((n1, n2), nonneg=True) for _ in range(ny)]
    cons = [cp.sum([cp.sum(q) for q in Q]) == 1]
    total = sum(Q)
    for y in range(ny):
        cons += [Qx[y] == total / ny, cp.sum(Q[y], axis=1) == a[:, y], cp.sum(Q[y], axis=0) == b[:, y]]
    obj = sum(cp.sum(cp.rel_entr(Q[y], Qx[y])) for y in range(ny))
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve()
    q = np.stack([np.maximum(np.asarray(Q[y].value), 0.0) for y in range(ny)], axis=2)
    return q


def main() -> None:
    import dit
    from dit.pid import PID_BROJA

    nodes = (((0,), (1,)), ((0,),), ((1,),), ((0, 1),))
    for line in sys.stdin:
        req = json.loads(line)
        p = np.load(req["path"])
        try:
            if req["method"] == "dit_cone":
                outcomes, pmf = [], []
                for idx in zip(*np.nonzero(p)):
                    outcomes.append(tuple(str(i) for i in idx))
                    pmf.append(float(p[idx]))
                d = dit.Distribution(outcomes, pmf)
                t0 = time.perf_counter()
                pid = PID_BROJA(d, [[0], [1]], [2], method="cone")
                seconds = time.perf_counter() - t0
                atoms = [float(pid.get_pi(n)) for n in nodes]
            elif req["method"] == "cvxpy":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    q = liang_cvx(p)
                    seconds = time.perf_counter() - t0
                # rus.py: R = CoI(Q), U1 = I_Q(X1;Y|X2), U2 = I_Q(X2;Y|X1), S = I_P - I_Q
                iq, i1, i2 = _mi_bits(q)
                ip, _, _ = _mi_bits(p)
                atoms = [i1 + i2 - iq, iq - i2, iq - i1, ip - iq]
            else:
                raise ValueError(f"unknown method {req['method']!r}")
            reply = {"ok": True, "seconds": seconds, "atoms": atoms}
        except Exception as exc:  # reported, the bench decides
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
