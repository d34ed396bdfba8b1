"""Runs inside the Python 3.12 venv that holds shapiq 1.8.0 (no torch there).

shapiq's approximator calls ``game(coalitions)``; this game sends the coalitions to the parent
(Python 3.11, with the model) over stdout and reads the values back from stdin, so shapiq explains
exactly the parent's game. Protocol (little-endian): request = int64 m, int64 n, then m rows of
packbits(n) bytes; reply = m float64. End = int64 -1, int64 0, then one JSON line with the result.
"""

from __future__ import annotations

import json
import struct
import sys
import time

import numpy as np


def main() -> None:
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    cfg = json.loads(inp.readline())
    import shapiq  # noqa: PLC0415

    seconds_in_game = 0.0
    calls = 0

    def game(coalitions):
        nonlocal seconds_in_game, calls
        t = time.perf_counter()
        c = np.asarray(coalitions, dtype=bool)
        m, n = c.shape
        out.write(struct.pack("<qq", m, n))
        out.write(np.packbits(c, axis=1).tobytes())
        out.flush()
        vals = np.frombuffer(inp.read(8 * m), dtype="<f8").copy()
        seconds_in_game += time.perf_counter() - t
        calls += 1
        return vals

    n = cfg["n_players"]
    approx = shapiq.approximator.RegressionFBII(n, max_order=cfg["max_order"],
                                                random_state=cfg["seed"])
    t0 = time.perf_counter()
    iv = approx.approximate(cfg["budget"], game)
    total = time.perf_counter() - t0
    out.write(struct.pack("<qq", -1, 0))
    pairs = {f"{a},{b}": float(iv[(a, b)]) for (a, b) in
             [k for k in iv.interaction_lookup if len(k) == 2]}
    res = {"seconds_total": total, "seconds_in_game": seconds_in_game, "game_calls": calls,
           "shapiq": shapiq.__version__, "pairs": pairs}
    out.write((json.dumps(res) + "\n").encode())
    out.flush()


if __name__ == "__main__":
    main()
