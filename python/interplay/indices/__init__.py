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

User-defined: ``CardinalIndex(name, order, moebius_weights=... | derivative_weights=...)`` and
``Semivalue(name, weights)``; weights are arrays or callables of n, validated. They run through
``interplay.exact`` and the sampled estimators that need nothing but derivative weights
(``method="shapiq"``, ``"svarmiq"``).

This package is the only place an index is defined
---------------------------------------------------
Each built-in index is one class in ``_index.py``: its weights (exact rationals in ``_weights.py``
for the Moebius form; float closed forms for the derivative form), its capabilities, its string
name (the ``@register("name")`` decorator fills :data:`REGISTRY`, from which ``get_index`` and
``INDEX_NAMES`` come) and what the estimators need from it. ``interplay.exact``,
``interplay.approximate``, ``interplay.explain`` and the CLI ask the index object; nothing outside
this package lists index names. Adding an index is one class (or one ``CardinalIndex`` call)
and its tests.

The interface (all an estimator needs)
--------------------------------------
``idx.name``                 str, the name results carry (order-1 Shapley-family indices are
                             "SV", order-1 Banzhaf-family ones "BV" ("WBV" for p != 1/2), as
                             in shapiq; likewise "BII", "FBII" for the W-names at p = 1/2)
``idx.order``                int or None (None: the default for n, see ``resolve_order``)
``idx.kind``                 "value" (order 1) or "interaction"
``idx.p``                    float or None (weighted Banzhaf family)
``idx.citation``             str
``idx.baseline``             "empty" (baseline_value = v(empty)) or "intercept" (FBII/FWBII:
                             the empty-set entry, the fitted intercept)
``idx.empty_is_value``       the empty-set entry is v(empty) (SV, k-SII, STII, FSII, CHII, ...)
``idx.capabilities``         frozenset of :data:`CAPABILITIES`: "moebius_weights",
                             "derivative_weights" (every index), "semivalue", "regression" (a
                             weighted least-squares fit: FSII/FBII/FWBII and the values SV, BV,
                             WBV), "product_measure" (weights of mu_p), "derivative_sampling"
                             (SHAP-IQ / SVARM-IQ), "sii_permutation", "stii_permutation",
                             "sii_regression". ``interplay.estimators`` declares which
                             capabilities each method needs (``NEEDS``); its ``METHODS`` table
                             is derived from them.
``idx.resolve_order(n)``     the order k used for n players
``idx.moebius_weights(n)``   float64 (k+1, n+1): c[s, t]
``idx.derivative_weights(n)``  float64 (k+1, n+1): w[s, u] (u = |T|, T outside S); closed
                             forms where the index has one (no cancellation at large n)
``idx.size_mass(n)``         float64 (n+1,): the sampling mass over coalition sizes, the Shapley
                             kernel's n / (t (n-t)) or the product measure's C(n,t) p^t (1-p)^(n-t)
``idx.base``                 the index the sampled estimators estimate first (SII for k-SII,
                             else the index itself) and ``idx.base_coefficients(k)`` the
                             b[r] of phi(S) = sum_{T superset S, |T| <= k} b[|T|-|S|] base(T)
``idx.regression_kernel(n)`` mu(t) = size_mass(n)[t] / C(n, t), t = 0..n, the per-coalition
                             weight of a "regression" index's fit (inf = exact constraint)
``idx.with_order(k)``        the same index at order k
``idx.key``                  value identity: ``==`` and ``hash`` use it, so
                             ``WeightedBII(p=0.5, order=k) == BII(order=k)``,
                             ``SII(order=1) == SV()``, ``WeightedBV(0.5) == BV()``.

Every index is accepted by ``interplay.exact``.
"""

from __future__ import annotations

from typing import Any

from .._validation import check_open_unit
from ._index import (
    BII,
    BV,
    CHII,
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
    Index,
    Moebius,
    Semivalue,
    WeightedBII,
    WeightedBV,
    register,
)
from ._weights import derivative_to_moebius, moebius_to_derivative

__all__ = [
    "BII",
    "BV",
    "CAPABILITIES",
    "CHII",
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
    "Index",
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
    from .._validation import check_int

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
