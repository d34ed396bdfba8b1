"""Runs inside the Python 3.12 venv with shapiq 1.8.0: SPEX or ProxySPEX on the parent's game
(bench_sparse_minilm.py), over the pipe protocol of _shapiq_child.py: request = int64 m,
int64 n, then m rows of packbits(n) bytes; reply = m float64; end = int64 -1, int64 0, then
one JSON line with the Moebius coefficients and the CPU seconds outside the game."""

from __future__ import annotations

import json
import struct
import sys
import time
from pathlib import Path

import numpy as np


def main() -> None:
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    cfg = json.loads(inp.readline())
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _spex_child import approximate_captured, make_peer  # noqa: PLC0415

    in_game = 0.0

    def game(coalitions):
        nonlocal in_game
        t = time.process_time()
        c = np.asarray(coalitions, dtype=bool)
        m, n = c.shape
        out.write(struct.pack("<qq", m, n))
        out.write(np.packbits(c, axis=1).tobytes())
        out.flush()
        vals = np.frombuffer(inp.read(8 * m), dtype="<f8").copy()
        in_game += time.process_time() - t
        return vals

    approx = make_peer(cfg["method"], cfg["n_players"], cfg["max_order"], cfg["seed"])
    captured, err, cpu = approximate_captured(approx, cfg["budget"], game)
    cpu -= in_game
    out.write(struct.pack("<qq", -1, 0))
    res = {"cpu_outside_game": cpu, "error": err,
           "moebius": [[list(map(int, k)), float(v)] for k, v in captured.items()]}
    out.write((json.dumps(res) + "\n").encode())
    out.flush()


if __name__ == "__main__":
    main()
