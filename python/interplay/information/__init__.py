"""Partial information decomposition (PID) of two sources X1, X2 about a target Y.

``interplay.pid(p)`` decomposes I(X1,X2;Y) of a discrete joint p(x1, x2, y) into redundancy R,
unique informations U1, U2 and synergy S with R + U1 = I(X1;Y), R + U2 = I(X2;Y) and
R + U1 + U2 + S = I(X1,X2;Y). The default measure is BROJA (Bertschinger et al. 2014), solved
with a certificate; MMI and Williams-Beer I_min are closed forms. See docs/pid.md.
"""

from __future__ import annotations

from ._api import BROJA_KERNEL, pid
from ._data import pid_from_embeddings, pid_from_samples
from ._result import PIDResult

__all__ = ["BROJA_KERNEL", "PIDResult", "pid", "pid_from_embeddings", "pid_from_samples"]

