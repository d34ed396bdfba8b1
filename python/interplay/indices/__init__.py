"""Interaction indices as objects, and the registry of their names.

Every index interplay computes is defined by size weights alone. For a game v on players
N = {0..n-1} with Moebius transform m, and |S| = s <= k (the order):

    phi(S) = sum_{T superset of S} c(s, |T|) m(T)                    (Moebius form)
           = sum_{T subset of N minus S} w_s(|T|) Delta_S v(T)     (derivative form)

so the exact engine computes any of them with one Moebius transform and one size-weighted
superset sum per order (O(k n 2^n)). Row s = 0 of the weights defines the empty-set entry.

Index objects
-------------
Built in (shapiq's names where shapiq has the index; ``interplay.exact`` also takes the string)::

    SV()                     "SV"          Shapley value
    BV()                     "BV"          Banzhaf value
    WeightedBV(p)            "WBV"         p-weighted Banzhaf value
    SII(order=2)             "SII"         Shapley interaction index
    BII(order=2)             "BII"         Banzhaf interaction index
    WeightedBII(p, order)    "WBII"        p-weighted Banzhaf interaction index
    CHII(order=2)            "CHII"        chaining interaction index
    KSII(order=2)            "k-SII"       k-Shapley interaction index
    STII(order=2)            "STII"        Shapley-Taylor interaction index
    FSII(order=2)            "FSII"        Faith-Shap
    FBII(order=2)            "FBII"        Faith-Banzhaf
    FWBII(p, order)          "FWBII"       faithful p-weighted Banzhaf interactions
    Moebius(order=None)      "Moebius"     Moebius transform (default order n)
    CoMoebius(order=None)    "Co-Moebius"  co-Moebius transform (default order n)
    Fourier(order=None)      "Fourier"     Fourier (Walsh-Hadamard) coefficients (default order n)
    KADDSHAP(order=2)        "kADD-SHAP"   k-additive SHAP (SII of FSII's k-additive game)
    SGV, BGV, CHGV(order=2)  "SGV" ...     Shapley / Banzhaf / chaining generalized values
    IGV, EGV(order=2)        "IGV" "EGV"   internal / external generalized values
    JointSV(order=2)         "JointSV"     joint Shapley values
    ELC()                    "ELC"         egalitarian least core (a linear program, order 1)

The generalized values are not cardinal: phi(S) = sum_{T subset N minus S} w_s(|T|)
(v(T u S) - v(T)) (``marginal_weights``), computed as two superset sums of v; ELC is a solution
concept. Every other index has the two weight forms below.

User-defined: ``CardinalIndex(name, order, moebius_weights=... | derivative_weights=...)`` and
``Semivalue(name, weights)``; weights are arrays or callables of n, validated. They run through
``interplay.exact`` and the sampled estimators that need nothing but derivative weights
(``method="shapiq"``, ``"svarmiq"``).

Each built-in index is one class in ``_index.py`` declaring its weights, its capabilities
(:data:`CAPABILITIES`) and its string name (``@register``, which fills :data:`REGISTRY`, hence
``get_index`` and ``INDEX_NAMES``). ``interplay.exact``, ``approximate``, ``explain`` and the CLI
ask the index object (the attributes and methods of :class:`Index`: both weight forms,
``size_mass``, ``base``, ``regression_kernel``, ``key``, ...); nothing outside this package lists
index names. Adding an index is one class (or one ``CardinalIndex`` call) and its tests.

Every index is accepted by ``interplay.exact``.
"""

from __future__ import annotations

from typing import Any

from .._validation import check_int, check_open_unit
from ._index import (
    BGV,
    BII,
    BV,
    CHGV,
    CHII,
    EGV,
    ELC,
    IGV,
    KADDSHAP,
    SGV,
    FBII,
    FSII,
    FWBII,
    KSII,
    SII,
    STII,
    SV,
    CAPABILITIES,
    REGISTRY,
    CardinalIndex,
    CoMoebius,
    Fourier,
    Index,
    JointSV,
    Moebius,
    Semivalue,
    WeightedBII,
    WeightedBV,
    register,
)
from ._weights import derivative_to_moebius, moebius_to_derivative

__all__ = [
    "BGV",
    "BII",
    "BV",
    "CAPABILITIES",
    "CHGV",
    "CHII",
    "EGV",
    "ELC",
    "IGV",
    "KADDSHAP",
    "SGV",
    "FBII",
    "FSII",
    "FWBII",
    "INDEX_NAMES",
    "KSII",
    "SII",
    "STII",
    "SV",
    "CardinalIndex",
    "CoMoebius",
    "Fourier",
    "Index",
    "JointSV",
    "Moebius",
    "Semivalue",
    "WeightedBII",
    "WeightedBV",
    "derivative_to_moebius",
    "get_index",
    "moebius_to_derivative",
    "register",
]

#: the string names ``interplay.exact`` (and ``approximate``, ``explain``) accept
INDEX_NAMES = tuple(REGISTRY)


def get_index(index: Any, max_order: Any = None, *, p: Any = 0.5) -> Index:
    """Resolve a string name or an :class:`Index` (and an optional max_order) to an index object.

    Strings name the classes registered with :func:`register` (``INDEX_NAMES``), built with their
    default order: n for "Moebius"/"Co-Moebius" (resolved later), 1 for the values "SV"/"BV"/"WBV"
    (which accept only 1) and 2 for the interaction indices. ``p`` is used by the classes that
    take it ("WBV", "WBII", "FWBII") and validated otherwise. For an index object, ``max_order``
    (if given) re-orders it.
    """
    if isinstance(index, str):
        if index not in REGISTRY:
            raise ValueError(f"index must be one of {list(REGISTRY)} or an Index object, got {index!r}")
        cls = REGISTRY[index]
        takes_p = "p" in cls._ARGS
        pp = check_open_unit(p, "p") if takes_p or p is not None else 0.5  # validated even if unused
        index = cls(p=pp) if takes_p else cls()  # type: ignore[call-arg]
    elif not isinstance(index, Index):
        raise TypeError(f"index must be a str or an interplay.indices.Index, got {type(index).__name__}")
    if max_order is None:
        return index
    k = check_int(max_order, "max_order", low=1)
    return index if k == index.order else index.with_order(k)
