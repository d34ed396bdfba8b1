"""Every kernel, declared once: its name ``"<family>.<function>"`` (which is also where each
backend's implementation lives, see :mod:`interplay.backends`), the backends that implement it,
what a backend handles when it handles less than callers may ask (``limits``: largest n, largest
order) and whether it takes d outputs (value columns) in one call. :func:`interplay.show_config`
prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

ALL = ("cpp", "numba", "reference")


@dataclass(frozen=True)
class Row:
    """One kernel: ``name``, its ``backends``, per-backend ``limits`` and whether it takes d
    outputs at once."""

    name: str
    backends: tuple[str, ...] = ALL
    limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    outputs: bool = False
    note: str = ""


_WORD = {"n": 64}  # a coalition in one uint64 word
_WINDOWS = {"n": 64, "order": 8}  # one word, 2^order window cells per position

TABLE: tuple[Row, ...] = (
    # transforms of a table of 2^n values (interplay.transforms, the exact engine)
    Row("transforms.moebius", ALL + ("torch",), outputs=True),
    Row("transforms.zeta", ALL + ("torch",), outputs=True),
    Row("transforms.superset_moebius", ALL + ("torch",), outputs=True),
    Row("transforms.superset_zeta", ALL + ("torch",), outputs=True),
    # the exact engine's size-weighted superset sums (interplay.exact)
    Row("exact.weighted_superset", ALL + ("torch",), outputs=True,
        note="cpp: methods fused, per_order, gather; the others per_order"),
    # sampled estimators (interplay.estimators)
    Row("sampling.stratified_stream", note="numba: n > 64 through the reference"),
    Row("sampling.subset_moments", outputs=True),
    Row("sampling.subset_gather", outputs=True),
    Row("sampling.complement_fold", outputs=True),
    Row("sampling.set_ranks"),
    Row("sampling.first_occurrence"),
    Row("sampling.permutations"),
    Row("sampling.intersection_kernel"),
    Row("sampling.t975", ("cpp", "reference")),
    Row("permutation.sii_plan", limits={"cpp": _WINDOWS, "numba": _WINDOWS}),
    Row("permutation.sii_accumulate", limits={"cpp": _WINDOWS, "numba": _WINDOWS}, outputs=True),
    Row("permutation.stii2_plan", limits={"cpp": _WORD, "numba": _WORD}),
    Row("permutation.stii2_accumulate", outputs=True),
    # PID (interplay.pid)
    Row("pid.broja"),
    # metrics (interplay.metrics)
    Row("fidelity.explanation_game", outputs=True),
    # sparse Moebius recovery (method="sparse")
    Row("sparse.containment"),
)
