"""docs/sparse_scaling.png from bench_sparse.py's JSON files: CPU seconds outside the game
(fresh process, one thread) and held-out R^2 against n, interplay's method="sparse" and the
peers where they ran. Several sources may be given before the output; a later file's row of a
method and cell replaces an earlier one's.

    python bench/plot_sparse_scaling.py bench/sparse.json bench/sparse_9a.json \
        docs/sparse_scaling.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(srcs: list[str], dst: str) -> None:
    by: dict[tuple, dict] = {}
    for src in srcs:
        for r in json.loads(Path(src).read_text()):
            by[(r["method"], r["n"], r["terms"], r["noise"], r["budget"])] = r
    rows = [r for r in by.values() if not r.get("error")]
    fig, (ax_t, ax_r) = plt.subplots(1, 2, figsize=(10, 4))
    styles = {"interplay sparse": "-o", "SPEX": "--s", "ProxySPEX": ":^"}
    for method, style in styles.items():
        for terms, noise, budget in ((20, 0.0, 2000), (100, 0.0, 2000), (100, 0.0, 10000),
                                     (100, 0.0, 50000), (20, 0.02, 10000)):
            pts = sorted((r["n"], r["cpu_outside_game"], r["r2"]) for r in rows
                         if r["method"] == method and r["terms"] == terms
                         and r["noise"] == noise and r["budget"] == budget)
            if len(pts) < 1:
                continue
            label = f"{method}: {terms} terms, {budget // 1000}k{', 2% noise' if noise else ''}"
            ax_t.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
            ax_r.plot([p[0] for p in pts], [max(p[2], -0.1) for p in pts], style, label=label)
    ax_t.set(xscale="log", yscale="log", xlabel="players n", ylabel="CPU s outside the game",
             title="time (one thread; interplay: fresh process)")
    ax_r.set(xscale="log", xlabel="players n", ylabel="R^2, 2,000 held-out coalitions",
             title="accuracy", ylim=(-0.1, 1.02))
    ax_r.legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1:-1], sys.argv[-1])
