"""The result of a partial information decomposition."""

from __future__ import annotations

from typing import Any

import numpy as np

_ATOMS = ("redundancy", "unique_1", "unique_2", "synergy")


class PIDResult:
    """Atoms of a bivariate PID, for one joint (floats) or a batch (arrays of the batch shape).

    Attributes
    ----------
    redundancy, unique_1, unique_2, synergy : float or ndarray
        R, U1, U2, S in units of ``base`` (bits for base 2). R + U1 = I(X1;Y),
        R + U2 = I(X2;Y), R + U1 + U2 + S = I(X1,X2;Y) hold to rounding.
    mutual_information : float or ndarray
        I(X1,X2;Y).
    mi_1, mi_2 : float or ndarray
        I(X1;Y) and I(X2;Y).
    gap : float or ndarray
        Certified bound on |atom - exact atom| for every atom (same unit): the duality gap of
        the BROJA program (0 for the closed-form measures MMI and WB).
    iterations : int or ndarray
        Interior-point steps or IPFP sweeps (0 for closed forms).
    converged : bool or ndarray
        ``gap <= tol``.
    q : ndarray or None
        The optimal Q(x1, x2, y) (BROJA, when requested with ``return_q=True``).
    dual : tuple of ndarray or None
        (lam, mu), the dual certificate: log Q*(y | x1, x2) = lam(x1, y) + mu(x2, y) on
        non-empty fibres, sum_y exp(lam + mu) <= 1 on every fibre (with ``return_q=True``).
    interval : dict or None
        With a bootstrap bias correction (:func:`interplay.pid_from_samples`,
        :func:`interplay.pid_from_embeddings`): ``{name: (low, high)}`` for the four atoms and the
        three informations: the bias-corrected value +- z times the bootstrap standard deviation
        at ``info["level"]``, clipped at 0; conditional on the discretisation.
    measure, base, info
        The measure's name, the logarithm base and free-form metadata (backend, method,
        seeds and cluster counts of :func:`interplay.pid_from_embeddings`, layer names).
    """

    __slots__ = (
        "redundancy", "unique_1", "unique_2", "synergy", "mutual_information", "mi_1", "mi_2",
        "gap", "iterations", "converged", "q", "dual", "measure", "base", "info", "interval",
    )

    def __init__(self, *, redundancy, unique_1, unique_2, synergy, mutual_information, mi_1,
                 mi_2, gap, iterations, converged, measure, base, q=None, dual=None,
                 info: dict[str, Any] | None = None,
                 interval: dict[str, tuple[Any, Any]] | None = None) -> None:
        self.redundancy = redundancy
        self.unique_1 = unique_1
        self.unique_2 = unique_2
        self.synergy = synergy
        self.mutual_information = mutual_information
        self.mi_1 = mi_1
        self.mi_2 = mi_2
        self.gap = gap
        self.iterations = iterations
        self.converged = converged
        self.q = q
        self.dual = dual
        self.measure = measure
        self.base = base
        self.info = dict(info or {})
        self.interval = interval

    @property
    def shape(self) -> tuple[int, ...]:
        """Batch shape (``()`` for a single joint)."""
        return np.shape(self.redundancy)

    def atoms(self) -> np.ndarray:
        """(R, U1, U2, S) stacked on the last axis: shape batch_shape + (4,)."""
        return np.stack([np.asarray(getattr(self, a), dtype=float) for a in _ATOMS], axis=-1)

    def to_dict(self) -> dict[str, Any]:
        out = {a: getattr(self, a) for a in _ATOMS}
        out.update(mutual_information=self.mutual_information, mi_1=self.mi_1, mi_2=self.mi_2,
                   gap=self.gap, iterations=self.iterations, converged=self.converged)
        return out

    def table(self) -> list[dict[str, Any]]:
        """One row per joint of a batch (per layer for :func:`pid_from_embeddings`)."""
        names = self.info.get("layers")
        flat = {k: np.asarray(v).reshape(-1) for k, v in self.to_dict().items()}
        n = flat["redundancy"].size
        rows = []
        for i in range(n):
            row = {"layer": names[i]} if names is not None else {"index": i}
            row.update({k: v[i].item() for k, v in flat.items()})
            rows.append(row)
        return rows

    def __repr__(self) -> str:
        unit = {2.0: "bits", float(np.e): "nats"}.get(float(self.base), f"log{self.base} units")
        if self.shape == ():
            ci = self.interval or {}
            atoms = " ".join(
                f"{k}={getattr(self, a):.6g}" + (f" [{ci[a][0]:.3g}, {ci[a][1]:.3g}]," if a in ci
                                                 else ",")
                for k, a in zip(("R", "U1", "U2", "S"), _ATOMS))
            level = f" ({self.info.get('level', 0.95):.0%} interval)" if ci else ""
            return (f"PIDResult({self.measure}, {atoms[:-1]} {unit}{level}, gap={self.gap:.2g})")
        return f"PIDResult({self.measure}, batch shape {self.shape}, {unit})"
