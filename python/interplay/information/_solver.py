"""The BROJA solver's kernel (declared in :mod:`interplay.backends._table`) and its BLAS
thread limit.

Every backend implements ``broja(p, tol, max_iter, method, want_q) -> dict`` on a batch
``p`` of shape (B, n1, n2, ny) of normalised joints (tol in nats, method 0 auto / 1 ipm /
2 ipfp); see :mod:`interplay.backends.reference.pid` for the contract.
"""

from __future__ import annotations

import contextlib

from .._threads import blas_limit
from ..backends import KERNELS
from ..backends.reference.pid import METHODS  # method name -> code, shared by every backend

BROJA_KERNEL = KERNELS["pid.broja"]


def blas_threads(schur_size: int, batch: int):
    """Context manager limiting BLAS inside the kernel (:func:`interplay._threads.blas_limit`).

    Measured on the shared 2-core machine (load 7-9): OpenBLAS dpotrf of a 2304 x 2304 matrix
    took 0.21 s on one thread and 4.1-6.6 s on two (its threads spin against the other
    processes), so BLAS stays single-threaded; the kernel's own OpenMP covers the
    Schur-complement formation of large problems and the batch. A single problem with a Schur
    size below 64 runs without the limit and its overhead."""
    if batch == 1 and schur_size < 64:
        return contextlib.nullcontext()
    return blas_limit()
