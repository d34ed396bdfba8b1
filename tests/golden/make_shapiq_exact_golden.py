"""Record shapiq 1.8.0's ExactComputer outputs as golden files for interplay's tests.

Run ONLY on request, with the Python 3.12 venv that has shapiq 1.8.0:

    $INTERPLAY_SHAPIQ_PYTHON tests/golden/make_shapiq_exact_golden.py   (e.g. /work/shapiq312/bin/python)

Writes tests/golden/shapiq_exact.json (game tables and ExactComputer results for n = 4..8,
every index and order), tests/golden/shapiq_iv_*.json (InteractionValues saved by
shapiq's own ``to_json_file``, for the conversion tests) and tests/golden/shapiq_exact_more.json
(issue 13's indices, MORE, on other tables for n = 4..8 and a convex game: orders 1..3, ELC's
order 1). The tests never rewrite these files.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import shapiq
from shapiq import ExactComputer

HERE = Path(__file__).resolve().parent
INDICES = ["SV", "BV", "Moebius", "Co-Moebius", "SII", "BII", "CHII", "k-SII", "STII", "FSII", "FBII"]
MORE = ["Fourier", "kADD-SHAP", "SGV", "BGV", "CHGV", "IGV", "EGV", "JointSV", "ELC"]


def table_game(table: np.ndarray, n: int):
    powers = (1 << np.arange(n)).astype(np.int64)

    def game(coalitions: np.ndarray) -> np.ndarray:
        return table[np.asarray(coalitions, dtype=np.int64) @ powers]

    return game


def record(ec: ExactComputer, index: str, order: int | None) -> tuple[dict, object]:
    """One ExactComputer result as a golden entry (and the InteractionValues)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iv = ec(index, order)
    return {
        "index": index,
        "order": order,
        "out_index": str(iv.index),
        "min_order": int(iv.min_order),
        "max_order": int(iv.max_order),
        "baseline_value": float(iv.baseline_value),
        "keys": [list(k) for k in iv.dict_values],
        "values": [float(v) for v in iv.dict_values.values()],
    }, iv


def more() -> None:
    """shapiq_exact_more.json: MORE on random tables (v(empty) = -0.4) for n = 4..8 and on the
    convex game v(S) = (sum_{i in S} a_i)^2 for n = 6 (a non-empty core for ELC)."""
    rng = np.random.default_rng(20261204)
    games = []
    for n in range(4, 9):
        table = rng.normal(size=2**n)
        table[0] = -0.4
        games.append(("random", n, table))
    a = rng.uniform(0.5, 1.5, size=6)
    games.append(("convex", 6, np.array([a[[i for i in range(6) if T >> i & 1]].sum() ** 2
                                          for T in range(64)])))
    out = {"shapiq_version": shapiq.__version__, "games": [],
           "valid_indices": list(ExactComputer.valid_indices)}
    for name, n, table in games:
        ec = ExactComputer(table_game(table, n), n_players=n, evaluate_game=True)
        entries = [record(ec, index, order)[0] for index in MORE
                   for order in ([1] if index == "ELC" else range(1, min(n, 3) + 1))]
        out["games"].append({"name": name, "n": n, "values": table.tolist(), "results": entries})
    with open(HERE / "shapiq_exact_more.json", "w") as fh:
        json.dump(out, fh)
    print("wrote", HERE / "shapiq_exact_more.json")


def main() -> None:
    rng = np.random.default_rng(20261124)
    out = {"shapiq_version": shapiq.__version__, "games": []}
    for n in range(4, 9):
        table = rng.normal(size=2**n)
        table[0] = 0.75  # v(empty) != 0 so that the empty-set conventions are visible
        ec = ExactComputer(table_game(table, n), n_players=n, evaluate_game=True)
        entries = []
        for index in INDICES:
            if index in ("SV", "BV"):
                orders = [1]
            elif index == "Moebius":
                orders = [None]
            else:
                orders = list(range(1, min(n, 4) + 1))
                if index == "Co-Moebius":
                    orders.append(None)
            for order in orders:
                entry, iv = record(ec, index, order)
                entries.append(entry)
                if n == 5 and order in (2, None) and index in ("SII", "k-SII", "FBII", "Moebius"):
                    name = index.replace("-", "").lower()
                    iv.to_json_file(HERE / f"shapiq_iv_{name}_n5.json", desc="golden")
        out["games"].append({"n": n, "values": table.tolist(), "results": entries})
    with open(HERE / "shapiq_exact.json", "w") as fh:
        json.dump(out, fh)
    print("wrote", HERE / "shapiq_exact.json")
    more()


if __name__ == "__main__":
    main()
