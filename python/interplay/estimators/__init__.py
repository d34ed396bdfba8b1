"""Sampled interaction estimators: ``interplay.approximate`` and ``interplay.refine``.

Exact interaction indices need all 2^n coalition values; these estimators spend a budget of
distinct coalitions instead (budget counts distinct coalitions, including the empty and grand
coalitions, as in shapiq). Every estimator reports a standard error per estimate, is
deterministic per seed, and draws its coalitions as a prefix of a budget-independent seeded
stream, so that ``refine(run(B1), B2)`` equals ``run(B1 + B2)`` bit for bit (for a game whose
value of a coalition does not depend on its batch) while reusing every evaluated coalition.

Estimators (``method=``) and the built-in indices they serve (:data:`METHODS`, derived from the
capabilities each index declares in :mod:`interplay.indices` and each method needs, ``NEEDS``):

============== =====================================================================
method         indices
============== =====================================================================
permutation    SV, SII, k-SII, STII (Castro et al. 2009; Tsai et al. 2023)
kernelshap     SV (Lundberg and Lee 2017)
regression     SV, FSII, FBII, FWBII, BV, WBV (Tsai et al. 2023; Baniecki et al. 2025)
kernelshapiq   SII, k-SII, SV (Fumagalli et al. 2024)
shapiq         SV, BV, WBV, SII, k-SII, STII, BII, WBII, CHII, user CII (Fumagalli et al. 2023)
svarmiq        same as shapiq (Kolpaczki et al. 2024)
msr            BV, BII, WBV, WBII (Wang and Jia 2023)
============== =====================================================================

``method="sparse"`` (not in :data:`METHODS`, whose estimators hold every set up to max_order,
nor chosen by "auto") serves every index with Moebius weights from a recovered sparse Moebius
transform, for hundreds to thousands of players (docs/sparse.md; after Li and Ramchandran's
sparse Walsh-Hadamard transform and SPEX, Kang et al. 2025).
"""

from __future__ import annotations

from ._api import (
    METHODS,
    EvaluationInterrupted,
    GameEvaluationError,
    SamplingState,
    approximate,
    auto_method,
    make_estimator,
    refine,
)
from ._sparse import from_moebius
from ._identify import UnderdeterminedWarning

__all__ = [
    "METHODS",
    "EvaluationInterrupted",
    "GameEvaluationError",
    "SamplingState",
    "UnderdeterminedWarning",
    "approximate",
    "auto_method",
    "from_moebius",
    "make_estimator",
    "refine",
]


def __dir__() -> list[str]:
    return __all__
