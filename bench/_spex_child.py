"""Runs inside the Python 3.12 venv with shapiq 1.8.0: SPEX or ProxySPEX on the cells given
as JSON on stdin (one process per method: numba/galois compile once, reported as setup_cpu),
one JSON line per cell on stdout. The game is built here from the same spec (_sparse_games)."""

from __future__ import annotations

import json
import resource
import sys
import time

t_start = time.process_time()
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402, F401

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sparse_games import SparseGame, score  # noqa: E402


def make_peer(method: str, n: int, max_order: int, seed: int):
    """shapiq's SPEX or ProxySPEX for k-SII; ProxySPEX with its default proxy (LightGBM in
    shapiq's default grid search) on one thread: LGBMRegressor's n_jobs=-1 thrashes on a loaded
    machine."""
    from shapiq.approximator import SPEX, ProxySPEX  # noqa: PLC0415

    kw = {}
    if method == "ProxySPEX":
        from lightgbm import LGBMRegressor  # noqa: PLC0415
        from shapiq.approximator.proxy._models import _wrap_in_default_hpo  # noqa: PLC0415

        kw["proxy_model"] = _wrap_in_default_hpo(
            LGBMRegressor(random_state=seed, n_jobs=1, verbose=-1))
    cls = {"SPEX": SPEX, "ProxySPEX": ProxySPEX}[method]
    return cls(n=n, max_order=max_order, index="k-SII", random_state=seed, **kw)


def main() -> None:
    cfg = json.loads(sys.stdin.readline())
    import shapiq  # noqa: PLC0415

    print(json.dumps({"setup_cpu": time.process_time() - t_start, "shapiq": shapiq.__version__}),
          flush=True)
    for cell in cfg["cells"]:
        game = SparseGame(cell["n"], cell["terms"], cell["seed"], cell["noise"])
        approx = make_peer(cfg["method"], cell["n"], 4, cell["seed"])
        captured = {}
        orig = approx._process_moebius

        def grab(moebius_transform, orig=orig):
            captured.update(moebius_transform)
            return orig(moebius_transform=moebius_transform)

        approx._process_moebius = grab
        t0 = time.process_time()
        err = None
        try:
            approx.approximate(cell["budget"], game)
        except Exception as exc:  # noqa: BLE001  (reported in the table)
            err = f"{type(exc).__name__}: {exc}"[:200]
        cpu = time.process_time() - t0 - game.cpu
        out = {**cell, "method": cfg["method"], "cpu_outside_game": cpu,
               "evaluations": game.rows, "error": err,
               "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        if err is None:
            out.update(score(game, {tuple(k): float(v) for k, v in captured.items()}))
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
