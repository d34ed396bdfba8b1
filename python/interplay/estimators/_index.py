"""What the sampled estimators estimate: index specifications and their weights.

A cardinal interaction index is phi(S) = sum_{T subset N \\ S} w(|T|, |S|) Delta_S v(T) with
discrete-derivative weights w (Grabisch and Roubens 1999; Fujimoto, Kojadinovic and Marichal
2006). Its Moebius form is phi(S) = sum_{U superset S} psi(|U|, |S|) m(U) with
psi(u, s) = sum_j C(n - u, j) w(u - s + j, s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import comb, lgamma, log
from typing import Any

import numpy as np

#: indices defined by discrete-derivative weights (estimable by SHAP-IQ / SVARM-IQ)
CII = ("SV", "BV", "WBV", "SII", "k-SII", "STII", "BII", "WBII", "CHII")
#: indices defined as weighted least-squares fits (estimated by regression)
FAITHFUL = ("FSII", "FBII", "FWBII")
#: value indices (order 1 only)
VALUES = ("SV", "BV", "WBV")
ALL = CII + FAITHFUL


@dataclass(frozen=True)
class IndexSpec:
    """Normalised index request.

    name : output name (shapiq's names; FIxLIP's FWBII / WBV; WBII for weighted Banzhaf
        interactions).
    p : weight of the product measure for the Banzhaf family (0.5 = plain Banzhaf).
    base : name of the underlying cardinal index (``"SII"`` for ``"k-SII"`` and ``"SV"``).
    user : a user-defined index object (interplay.indices) supplying ``weights``.
    """

    name: str
    p: float = 0.5
    user: Any = field(default=None, compare=False)

    @property
    def base(self) -> str:
        return {"SV": "SII", "k-SII": "SII", "BV": "BII", "WBV": "WBII"}.get(self.name, self.name)

    @property
    def is_value(self) -> bool:
        return self.name in VALUES

    @property
    def banzhaf_like(self) -> bool:
        return self.base in ("BII", "WBII", "FBII", "FWBII")

    def size_mass(self, n: int) -> np.ndarray:
        """The natural sampling mass over coalition sizes (n+1,), before border forcing."""
        if self.banzhaf_like:
            return binomial_mass(n, self.p)
        return shapley_mass(n)

    def dd_weights(self, n: int, s: int, k: int) -> np.ndarray:
        """w(t, s) for t = 0..n-s (discrete-derivative weights of order s; k = max order)."""
        t = np.arange(n - s + 1)
        base = self.base
        if self.user is not None:
            return self.user.dd_weights(n, s, k)
        if base == "SII":
            return np.exp(_lfact(t) + _lfact(n - t - s) - _lfact(np.full_like(t, n - s + 1)))
        if base in ("BII", "WBII"):
            p = 0.5 if base == "BII" else self.p
            return np.exp(t * log(p) + (n - s - t) * log(1 - p))
        if base == "CHII":
            if s == 0:
                return (t == 0).astype(np.float64)  # phi(empty) := v(empty), as shapiq
            return np.array([s / ((s + tt) * comb(n, s + tt)) for tt in t], dtype=np.float64)
        if base == "STII":
            if s < k:
                return (t == 0).astype(np.float64)  # Moebius below the top order
            return np.array([k / (n * comb(n - 1, int(tt))) for tt in t], dtype=np.float64)
        raise ValueError(f"index {self.name!r} has no discrete-derivative weights")

    def moebius_weights(self, n: int, s: int, k: int) -> np.ndarray:
        """psi(u, s) for u = s..n: phi(S) = sum_{U superset S} psi(|U|, s) m(U)."""
        w = self.dd_weights(n, s, k)
        out = np.zeros(n - s + 1)
        for u in range(s, n + 1):
            out[u - s] = sum(comb(n - u, j) * w[u - s + j] for j in range(n - u + 1))
        return out


def _lfact(x: np.ndarray) -> np.ndarray:
    return np.array([lgamma(int(v) + 1) for v in np.ravel(x)]).reshape(np.shape(x))


def binomial_mass(n: int, p: float) -> np.ndarray:
    t = np.arange(n + 1)
    lg = np.array([lgamma(n + 1) - lgamma(i + 1) - lgamma(n - i + 1) for i in t])
    return np.exp(lg + t * log(p) + (n - t) * log(1 - p))


def shapley_mass(n: int) -> np.ndarray:
    """Total Shapley-kernel mass of each size: C(n,t) mu(t) = n / (t (n - t)); +inf at 0 and n."""
    out = np.full(n + 1, np.inf)
    t = np.arange(1, n)
    out[1:n] = n / (t * (n - t))
    return out


def parse_index(index: Any, p: float, n: int | None = None) -> tuple[IndexSpec, int | None]:
    """A string name (shapiq's) or an index object from :mod:`interplay.indices`.

    Returns the spec and the order the index object fixes (None for strings).
    """
    if isinstance(index, str):
        if index not in ALL:
            raise ValueError(f"index must be one of {ALL} or an index object, got {index!r}")
        return IndexSpec(index, p=p if index in ("WBV", "WBII", "FWBII") else 0.5), None
    if not (hasattr(index, "derivative_weights") and hasattr(index, "resolve_order")):
        raise TypeError(f"index must be a str or an interplay.indices index object, got "
                        f"{type(index).__name__}")
    order = index.resolve_order(n) if n is not None else getattr(index, "order", None)
    name = str(index.name)
    if getattr(index, "family", "custom") != "custom" and name in ALL:
        obj_p = getattr(index, "p", None)
        pp = float(obj_p) if obj_p is not None else 0.5
        return IndexSpec(name, p=pp if name in ("WBV", "WBII", "FWBII") else 0.5), order
    caps = getattr(index, "capabilities", frozenset({"derivative_weights"}))
    if "regression" in caps or "derivative_weights" not in caps or name in ("Moebius", "Co-Moebius"):
        raise ValueError(
            f"index {name!r} cannot be sampled: the sampled estimators take cardinal indices "
            "defined by their weights (user-defined ones through method='shapiq' or 'svarmiq')")
    return IndexSpec(name, p=p, user=_UserWeights(index)), order


class _UserWeights:
    """Adapter: an interplay.indices object's derivative weights w[s, u], cached per n."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self._cache: dict[int, np.ndarray] = {}

    def dd_weights(self, n: int, s: int, k: int) -> np.ndarray:
        if n not in self._cache:
            w = np.asarray(self.index.derivative_weights(n), dtype=np.float64)
            if w.ndim != 2 or w.shape[1] != n + 1 or w.shape[0] < k + 1:
                raise ValueError(f"index {self.index.name!r}: derivative weights of shape "
                                 f"{w.shape} do not cover orders 0..{k} for n = {n}")
            if not np.isfinite(w).all():
                raise ValueError(f"index {self.index.name!r}: derivative weights are not finite")
            self._cache[n] = w
        return self._cache[n][s, : n - s + 1]
