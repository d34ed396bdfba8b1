"""Plots of a results table: error and time against budget, seed bands, one PNG per game."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["STYLES", "plot_results"]

#: line style per library
STYLES = {"interplay": ("-", "solid"), "shapiq": ("--", "dashed"), "shap": (":", "dotted"),
          "captum": ("-.", "dash-dot")}


def plot_results(table: Any, out_dir: Any = None, *, metric: str = "mse") -> list[Path]:
    """One PNG per game: a column per index, ``metric`` (top) and CPU time outside the game (bottom)
    against the budget, log-log; a line per estimator (median over seeds) in a band from the
    seeds' minimum to maximum. ``table``: the Parquet path written by
    :func:`interplay.benchmark.run` (PNGs ``<stem>_<game>.png`` beside it, or in ``out_dir``)
    or a pyarrow Table. matplotlib is imported here only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pyarrow.parquet as pq

    stem = "benchmark"
    if isinstance(table, (str, Path)):
        path = Path(table)
        stem, out_dir = path.stem, path.parent if out_dir is None else out_dir
        table = pq.read_table(path)
    out_dir = Path("." if out_dir is None else out_dir)
    rows = [r for r in table.to_pylist() if r["status"] == "ok"]
    written = []
    for game in sorted({r["game"] for r in rows}):
        grows = [r for r in rows if r["game"] == game]
        indices = list(dict.fromkeys(r["index"] for r in grows))
        fig, axes = plt.subplots(2, len(indices), figsize=(3.2 * len(indices), 5.6),
                                 squeeze=False, sharex=True)
        for j, index in enumerate(indices):
            irows = [r for r in grows if r["index"] == index]
            names = sorted({r["estimator"] for r in irows})
            colors = plt.cm.tab20(np.linspace(0, 1, 20))[:len(names)] if len(names) > 10 else \
                [f"C{i}" for i in range(len(names))]
            for est, color in zip(names, colors):
                erows = [r for r in irows if r["estimator"] == est]
                budgets = sorted({r["budget"] for r in erows})
                style = STYLES.get(est.split(":")[0], ("-", ""))[0]
                for i, col in enumerate((metric, "cpu_outside_game")):
                    vals = [np.array([r[col] for r in erows if r["budget"] == b
                                      and r[col] is not None and np.isfinite(r[col])]) for b in budgets]
                    keep = [k for k, v in enumerate(vals) if v.size]
                    if not keep:
                        continue
                    x = np.array(budgets)[keep]
                    med = np.array([np.median(vals[k]) for k in keep])
                    lo = np.array([vals[k].min() for k in keep])
                    hi = np.array([vals[k].max() for k in keep])
                    ax = axes[i, j]
                    ax.plot(x, med, style, marker="o", ms=3, lw=1.2, color=color,
                            label=est if i == 0 else None)
                    ax.fill_between(x, lo, hi, color=color, alpha=0.15, lw=0)
            n = grows[0]["n_players"]
            axes[0, j].set_title(f"{index} (order {irows[0]['order']})", fontsize=9)
            axes[1, j].set_xlabel("budget (coalitions)")
            for i in range(2):
                axes[i, j].set_xscale("log")
                axes[i, j].set_yscale("log")
                axes[i, j].tick_params(labelsize=7)
            axes[0, j].legend(fontsize=5.5, loc="lower left")
        axes[0, 0].set_ylabel(f"{metric} (median, seed min-max)")
        axes[1, 0].set_ylabel("CPU seconds outside the game")
        libs = sorted({r["estimator"].split(":")[0] for r in grows})
        fig.suptitle(f"{game} (n = {n}): " + ", ".join(
            f"{lib} {word}" for lib, (_, word) in STYLES.items() if lib in libs), fontsize=10)
        fig.tight_layout()
        path = Path(out_dir) / f"{stem}_{game}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
