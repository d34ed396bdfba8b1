"""Runs inside the Python 3.12 venv with shapiq 1.8.0: SPEX or ProxySPEX on the cells given
as JSON on stdin (one process per method: numba/galois compile once, reported as setup_cpu),
one JSON line per cell on stdout. The game is built here from the same spec (_sparse_games)."""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import sys
import time

t_start = time.process_time()
from pathlib import Path

import numpy as np  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sparse_games import SparseGame, score


def make_peer(method: str, n: int, max_order: int, seed: int):
    """shapiq's SPEX or ProxySPEX for k-SII, on one thread (LGBMRegressor's default n_jobs
    takes every core and thrashes on a loaded machine).

    - "ProxySPEX": its default proxy, LightGBM in shapiq's default grid search (what
      ``proxy_model="lightgbm", hpo=True`` builds: ``_wrap_in_default_hpo``), with n_jobs=1.
    - "ProxySPEX-notune": ``ProxySPEX(..., hpo=False)``, i.e. shapiq's own string-resolved
      ``LGBMRegressor(random_state=seed)`` with LightGBM's defaults and no grid search (the
      issue's "ProxySPEX, no tuning"); then only ``n_jobs=1`` is set on it (the thread count,
      no other parameter of the model).
    """
    from shapiq.approximator import SPEX, ProxySPEX

    if method == "ProxySPEX-notune":
        try:
            import lightgbm  # noqa: F401  (else shapiq falls back to a decision tree)
        except ImportError as exc:
            raise ImportError("ProxySPEX-notune needs lightgbm in the shapiq Python (or in "
                              "INTERPLAY_SHAPIQ_EXTRA_PATH)") from exc
        approx = ProxySPEX(n=n, max_order=max_order, index="k-SII", random_state=seed,
                           hpo=False)
        approx.proxy_model.set_params(n_jobs=1)
        return approx
    kw = {}
    if method == "ProxySPEX":
        from lightgbm import LGBMRegressor
        from shapiq.approximator.proxy._models import _wrap_in_default_hpo

        kw["proxy_model"] = _wrap_in_default_hpo(
            LGBMRegressor(random_state=seed, n_jobs=1, verbose=-1))
    cls = {"SPEX": SPEX, "ProxySPEX": ProxySPEX}[method]
    return cls(n=n, max_order=max_order, index="k-SII", random_state=seed, **kw)


def cell_start() -> bool:
    """Free the previous cell and reset the process's peak RSS (Linux: /proc/self/clear_refs
    "5"), so that the cell's cell_peak_mb is its own. The _process_moebius wrapper below makes a
    reference cycle (approximator -> wrapper -> bound method -> approximator) that kept each
    cell's approximator, coalitions and proxy alive until a full collection: a 50-cell
    ProxySPEX-notune process grew to 10 GB. False when the peak cannot be reset."""
    gc.collect()
    try:  # hand the freed heap back to the OS (glibc), so the reset below starts from it
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def peak_mb() -> float | None:
    """The process's peak RSS since the last reset (VmHWM), MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def approximate_captured(approx, budget: int, game) -> tuple[dict, str | None, float]:
    """Run ``approx.approximate(budget, game)`` and capture the Moebius coefficients it hands to
    ``_process_moebius``: (coefficients, the exception as one line or None, CPU seconds of the
    call, the game's included)."""
    captured = {}
    orig = approx._process_moebius

    def grab(moebius_transform, orig=orig, captured=captured):
        captured.update(moebius_transform)
        return orig(moebius_transform=moebius_transform)

    approx._process_moebius = grab
    t0 = time.process_time()
    err = None
    try:
        approx.approximate(budget, game)
    except Exception as exc:  # noqa: BLE001  (reported by the caller)
        err = f"{type(exc).__name__}: {exc}"[:200]
    return captured, err, time.process_time() - t0


def run_cell(method: str, cell: dict, reset: bool) -> dict:
    """One cell: its game, the peer, the call timed, the scores; every object of the cell is
    local here, so cell_start() before the next one can free it."""
    game = SparseGame(cell["n"], cell["terms"], cell["seed"], cell["noise"])
    approx = make_peer(method, cell["n"], 4, cell["seed"])
    captured, err, cpu = approximate_captured(approx, cell["budget"], game)
    cpu -= game.cpu
    out = {**cell, "method": method, "cpu_outside_game": cpu,
           "evaluations": game.rows, "error": err,
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "cell_peak_mb": peak_mb() if reset else None}
    proxy = getattr(approx, "proxy_model", None)
    if proxy is not None:  # what ran: the proxy's parameters, the grid search's choice
        out["proxy"] = repr(proxy)
        if hasattr(proxy, "best_params_"):
            out["best_params"] = proxy.best_params_
    if err is None:
        out.update(score(game, {tuple(k): float(v) for k, v in captured.items()}))
    return out


def main() -> None:
    cfg = json.loads(sys.stdin.readline())
    # the result lines go to the original stdout; anything else printed there (LightGBM logs
    # its warnings with print() unless verbose=-1, which the bare "notune" proxy leaves at its
    # default) goes to stderr
    results = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import shapiq

    versions = {"shapiq": shapiq.__version__}
    if cfg["method"].startswith("ProxySPEX"):
        import lightgbm

        versions["lightgbm"] = lightgbm.__version__
    print(json.dumps({"setup_cpu": time.process_time() - t_start, **versions}), file=results,
          flush=True)
    for cell in cfg["cells"]:
        out = run_cell(cfg["method"], cell, cell_start())
        print(json.dumps(out), file=results, flush=True)


if __name__ == "__main__":
    main()
