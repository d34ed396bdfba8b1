"""shapiq 1.8.0 ExactComputer as a server, run by the Python 3.12 venv that holds shapiq.

bench/bench_exact.py starts it once and sends one JSON request per line on stdin:
  {"cmd": "load", "path": "<table.npy>"}            -> evaluates the table game once
                                                       (ExactComputer(..., evaluate_game=True))
  {"cmd": "run", "index": "SII", "order": 2}         -> times ec(index, order) with the cache
                                                       cleared (game evaluation excluded) and
                                                       replies with the seconds (wall and CPU)
                                                       and the values
One JSON line per reply on stdout. The game values never cross the pipe: the table is a .npy file.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np


def main() -> None:
    import shapiq  # noqa: PLC0415
    from shapiq import ExactComputer  # noqa: PLC0415

    ec = None
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "load":
            table = np.load(req["path"])
            n = table.shape[0].bit_length() - 1
            powers = (1 << np.arange(n)).astype(np.int64)

            def game(c, table=table, powers=powers):
                return table[np.asarray(c, dtype=np.int64) @ powers]

            t0 = time.perf_counter()
            ec = ExactComputer(game, n_players=n, evaluate_game=True)
            reply = {"ok": True, "seconds_eval": time.perf_counter() - t0, "shapiq": shapiq.__version__}
        elif req["cmd"] == "run":
            ec._computed = {}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0, c0 = time.perf_counter(), time.process_time()
                    iv = ec(req["index"], req["order"])
                    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
                reply = {
                    "ok": True,
                    "seconds": seconds,
                    "cpu_seconds": cpu_seconds,
                    "keys": [list(k) for k in iv.dict_values],
                    "values": [float(v) for v in iv.dict_values.values()],
                    "baseline_value": float(iv.baseline_value),
                }
            except MemoryError as exc:
                reply = {"ok": False, "error": f"MemoryError: {exc}"}
        else:
            reply = {"ok": False, "error": f"unknown command {req['cmd']!r}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
