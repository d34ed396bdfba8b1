"""Record shapiq 1.8.0's ExactComputer outputs as golden files for interplay's tests.

Run ONLY on request, with the Python 3.12 venv that has shapiq 1.8.0:

    /work/.venvs/shapiq312/bin/python tests/golden/make_shapiq_exact_golden.py

Writes tests/golden/shapiq_exact.json (game tables and ExactComputer results for n = 4..8,
every index and order) and tests/golden/shapiq_iv_*.json (InteractionValues saved by
shapiq's own ``to_json_file``, for the conversion tests). The tests never rewrite these files.
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


def table_game(table: np.ndarray, n: int):
    powers = (1 << np.arange(n)).astype(np.int64)

    def game(coalitions: np.ndarray) -> np.ndarray:
        return table[np.asarray(coalitions, dtype=np.int64) @ powers]

    return game


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
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    iv = ec(index, order)
                keys = [list(k) for k in iv.dict_values]
                vals = [float(v) for v in iv.dict_values.values()]
                entries.append(
                    {
                        "index": index,
                        "order": order,
                        "out_index": str(iv.index),
                        "min_order": int(iv.min_order),
                        "max_order": int(iv.max_order),
                        "baseline_value": float(iv.baseline_value),
                        "keys": keys,
                        "values": vals,
                    }
                )
                if n == 5 and order in (2, None) and index in ("SII", "k-SII", "FBII", "Moebius"):
                    name = index.replace("-", "").lower()
                    iv.to_json_file(HERE / f"shapiq_iv_{name}_n5.json", desc="golden")
        out["games"].append({"n": n, "values": table.tolist(), "results": entries})
    with open(HERE / "shapiq_exact.json", "w") as fh:
        json.dump(out, fh)
    print("wrote", HERE / "shapiq_exact.json")


if __name__ == "__main__":
    main()
