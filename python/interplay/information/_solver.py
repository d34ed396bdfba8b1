"""Backend registry entry of the BROJA solver.

Every backend implements ``broja(p, tol, max_iter, method, want_q) -> dict`` on a batch
``p`` of shape (B, n1, n2, ny) of normalised joints (tol in nats, method 0 auto / 1 ipm /
2 ipfp); see :mod:`interplay.information._reference` for the contract.
"""

from __future__ import annotations

from ..backends import Kernel, core_attr, module_attr

BROJA_KERNEL = Kernel(
    "pid.broja",
    cpp=core_attr("pid.broja"),
    reference=module_attr("interplay.information._reference", "broja"),
)

METHODS = {"auto": 0, "ipm": 1, "ipfp": 2}
