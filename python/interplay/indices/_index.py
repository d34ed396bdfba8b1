"""Typed index objects (see the package docstring of :mod:`interplay.indices`).

Each built-in index is one class here: its weights, its capabilities (which estimators can serve
it), its string name (``@register``) and whatever the estimators need from it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import check_int, check_numeric_array, check_open_unit
from . import _weights as W

#: what an index can offer, and who relies on it (estimators declare the capabilities they
#: need in ``interplay.estimators``: a method serves an index that has them all).
CAPABILITIES = {
    "moebius_weights": "c[s, t] (every index; interplay.exact)",
    "derivative_weights": "w[s, u] (every index)",
    "semivalue": "an order-1 probabilistic value",
    "regression": "the weighted least-squares fit of its order under regression_kernel(n) "
                  "(method 'regression'; with 'sii_regression' and 'semivalue': 'kernelshap')",
    "product_measure": "weights of the product measure p^|T| (1-p)^(n-|T|): sampled from it "
                       "(with 'derivative_sampling': 'msr'; with 'regression': grid mode)",
    "derivative_sampling": "estimated from the derivative weights of its base, stratum by "
                           "stratum (methods 'shapiq', 'svarmiq')",
    "sii_permutation": "base SII: Delta_S v over windows of random permutations ('permutation')",
    "stii_permutation": "STII: Delta_S v over prefixes of random permutations ('permutation')",
    "sii_regression": "base SII: order-wise Shapley-kernel regressions ('kernelshapiq')",
    "marginal_weights": "w[s, t] of a generalized value sum_{T outside S} w[|S|, |T|] "
                        "(v(T u S) - v(T)) (instead of the two weight forms; interplay.exact)",
    "least_core": "a least-core solution, not a weighted sum (interplay.exact: a linear program)",
}

#: string name -> index class, filled by :func:`register` where each class is defined
REGISTRY: dict[str, type[Index]] = {}

_WEIGHTS = frozenset({"moebius_weights", "derivative_weights"})


def register(name: str) -> Callable[[type[Index]], type[Index]]:
    """Class decorator: make ``name`` a string that ``interplay.exact``, ``approximate`` and
    ``explain`` accept (the class is built with its default order and the call's ``p``)."""

    def deco(cls: type[Index]) -> type[Index]:
        if name in REGISTRY:
            raise ValueError(f"index name {name!r} is already registered")
        REGISTRY[name] = cls
        return cls

    return deco


class Index:
    """Base class of every index object.

    Attributes
    ----------
    name : str
        The name results carry (shapiq's name where shapiq has the index; order-1 members of the
        Shapley family are called "SV", of the Banzhaf family "BV", as shapiq does).
    family : str
        The class-level family ("SII", "BII", "FSII", ...).
    order : int or None
        Maximum order k (None: the default for the number of players, n for Moebius/Co-Moebius).
    p : float or None
        The weight parameter of the weighted Banzhaf family.
    citation : str
    baseline : {"empty", "intercept"}
        ``baseline_value`` of a result: v(empty) ("empty"), or the empty-set entry (FBII/FWBII's
        fitted intercept, "intercept"), as in shapiq's ExactComputer.
    capabilities : frozenset of str
        Subset of :data:`CAPABILITIES`.
    empty_is_value : bool
        The empty-set entry is v(empty) (row 0 of the Moebius weights is [1, 0, ..., 0]).
    key : tuple
        Value identity (``==`` and ``hash``): indices with equal keys give equal results on
        every game, e.g. ``WeightedBII(0.5, k) == BII(k)``, ``SII(order=1) == SV()``.
    """

    family: str = "index"
    citation: str = ""
    baseline: str = "empty"
    capabilities: frozenset[str] = _WEIGHTS
    empty_is_value: bool = False
    #: c[s, t] for orders s = 0..k: ``_c(k, n)``, or ``_c(k, n, p)`` for an index with a p
    _c: Callable[..., np.ndarray] | None = None
    #: the closed form of w[s, u] where the index has one (same arguments), else None
    _w: Callable[..., np.ndarray] | None = None
    #: a generalized value's marginal weights w[s, t] (same arguments), else None
    _m: Callable[..., np.ndarray] | None = None
    #: attributes that replace the class's at order 1 (the family's value, e.g. SV)
    _order1: dict[str, Any] = {}
    _ARGS: tuple[str, ...] = ("order",)

    def __init__(self, order: int | None = None, p: float | None = None) -> None:
        self.order = None if order is None else check_int(order, "order", low=1)
        self.p = None if p is None else check_open_unit(p, "p")
        # instance attributes unless a subclass defines them as properties
        self.__dict__.update(name=self.family, key=(self.family, self.order, self.p))
        if self.order == 1:
            self.__dict__.update(self._order1)

    # -- identity ---------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """"value" (order 1: one entry per player) or "interaction"."""
        return "value" if self.order == 1 else "interaction"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Index):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        args = []
        if self.p is not None and "p" in self._ARGS:
            args.append(f"p={self.p!r}")
        if self.order is not None and "order" in self._ARGS:
            args.append(f"order={self.order}")
        return f"{type(self).__name__}({', '.join(args)})"

    # -- orders -----------------------------------------------------------------------------
    def default_order(self, n: int) -> int:
        return 2

    def resolve_order(self, n: int) -> int:
        """The order k used for a game of n players (validated: 1 <= k <= n)."""
        k = self.default_order(n) if self.order is None else self.order
        if k > n:
            raise ValueError(f"max_order: {self.name} of order {k} needs at least {k} players, got n = {n}")
        return k

    def with_order(self, order: int) -> Index:
        """The same index at another order (indices whose order is fixed raise ValueError)."""
        if "order" not in self._ARGS:
            if order != self.order:
                raise ValueError(f"max_order: {self.name} has order {self.order}, got {order}")
            return self
        kwargs: dict[str, Any] = {"order": order}
        if "p" in self._ARGS:
            kwargs["p"] = self.p
        return type(self)(**kwargs)

    # -- weights ----------------------------------------------------------------------------
    def _moebius(self, k: int, n: int) -> np.ndarray:
        if self._c is None:
            raise NotImplementedError(f"{self.name} is not a cardinal index: no Moebius weights")
        return self._c(k, n) if self.p is None else self._c(k, n, self.p)

    def _derivative(self, k: int, n: int) -> np.ndarray | None:
        """Closed-form derivative weights, or None (then derived from the Moebius weights)."""
        if self._w is None:
            return None
        return self._w(k, n) if self.p is None else self._w(k, n, self.p)

    def moebius_weights(self, n: int) -> np.ndarray:
        """c[s, t] for s = 0..k, t = 0..n: phi(S) = sum_{T superset S} c[|S|, |T|] m(T)."""
        n = check_int(n, "n", low=0)
        return np.array(self._moebius(self.resolve_order(n), n), dtype=np.float64, copy=True)

    def derivative_weights(self, n: int) -> np.ndarray:
        """w[s, u] for s = 0..k, u = 0..n - s: phi(S) = sum_{T outside S} w[|S|, |T|] Delta_S v(T).

        The closed form where the index has one (SII, BII, WBII, CHII, STII and their values;
        float64, no cancellation at large n), else derived from :meth:`moebius_weights` by back
        substitution; entries u > n - s are 0.
        """
        n = check_int(n, "n", low=0)
        w = self._derivative(self.resolve_order(n), n)
        if w is not None:
            return w.copy()  # the closed forms are cached
        return W.moebius_to_derivative(self.moebius_weights(n), n)

    def marginal_weights(self, n: int) -> np.ndarray:
        """w[s, t] for s = 0..k, t = 0..n - s of a generalized value (capability
        "marginal_weights"): phi(S) = sum_{T subset N minus S} w[|S|, |T|] (v(T u S) - v(T))."""
        n = check_int(n, "n", low=0)
        if self._m is None:
            raise NotImplementedError(f"{self.name} is not a generalized value")
        return np.array(self._m(self.resolve_order(n), n), dtype=np.float64, copy=True)

    # -- what the sampled estimators need ---------------------------------------------------
    def size_mass(self, n: int) -> np.ndarray:
        """Natural sampling mass over coalition sizes t = 0..n, float64 (n+1,): the product
        measure's C(n, t) p^t (1-p)^(n-t) for "product_measure" indices, else the Shapley
        kernel's n / (t (n - t)) (+inf at t = 0 and n: always evaluated)."""
        if "product_measure" in self.capabilities:
            return W.binomial_mass(n, float(self.p or 0.5))
        return W.shapley_mass(n)

    def regression_kernel(self, n: int) -> np.ndarray:
        """mu(t), t = 0..n, of the weighted least-squares problem a "regression" index solves:
        the size mass spread over the coalitions of each size, ``size_mass(n) / C(n, t)``: the
        Shapley kernel 1 / ((n-1) C(n-2, t-1)) with inf (an exactly enforced constraint) at
        t = 0, n (Charnes et al. 1988; Lundberg and Lee 2017), or p^t (1-p)^(n-t)."""
        if "regression" not in self.capabilities:
            raise NotImplementedError(f"{self.name} is not defined by a regression")
        return self.size_mass(n) / np.exp(W.log_binomials(n))

    @property
    def base(self) -> Index:
        """The index the sampled estimators estimate first; this one is
        sum_{T superset S, |T| <= k} b[|T| - |S|] base(T) (b from :meth:`base_coefficients`).
        Itself for every index but k-SII (base SII)."""
        return self

    def base_coefficients(self, k: int) -> np.ndarray | None:
        """b[r], r = 0..k, of the aggregation from :attr:`base` (None: base is the index)."""
        return None


# ---------------------------------------------------------------------------------- Shapley
class _Shapley(Index):
    """A member of the Shapley family: at order 1 it is the Shapley value in every respect
    (name, key, capabilities, weights)."""

    _order1 = dict(name="SV", key=("SV", 1, None), empty_is_value=True, _c=W.sv, _w=W.sv_derivative,
                   capabilities=_WEIGHTS | {"semivalue", "regression", "derivative_sampling",
                                            "sii_permutation", "sii_regression"})

    def __init__(self, order: int | None = 2) -> None:
        super().__init__(order=order)


@register("SV")
class SV(_Shapley):
    """Shapley value (Shapley 1953); the empty-set entry is v(empty)."""

    family = "SV"
    citation = "Shapley (1953), A value for n-person games, Contrib. Theory of Games II"
    _ARGS = ()

    def __init__(self) -> None:
        super().__init__(order=1)


@register("SII")
class SII(_Shapley):
    """Shapley interaction index: phi(S) = sum_{T superset S} m(T) / (|T| - |S| + 1). The
    empty-set entry is SII(empty) = sum_T m(T) / (|T| + 1) (as shapiq's ExactComputer)."""

    family = "SII"
    citation = ("Grabisch and Roubens (1999), An axiomatic approach to the concept of interaction "
                "among players in cooperative games, Int. J. Game Theory 28")
    capabilities = _WEIGHTS | {"derivative_sampling", "sii_permutation", "sii_regression"}
    _c = staticmethod(W.sii)
    _w = staticmethod(W.sii_derivative)


@functools.lru_cache(maxsize=None)
def _bernoulli_row(k: int) -> np.ndarray:
    """B_0..B_k (read-only): k-SII's coefficients over SII."""
    row = np.array([float(W.bernoulli(j)) for j in range(k + 1)])
    row.setflags(write=False)
    return row


@register("k-SII")
class KSII(_Shapley):
    """k-Shapley interaction index: Bernoulli aggregation of SII up to order k; efficient.
    k-SII(S) = sum_{T superset S, |T| <= k} B_{|T|-|S|} SII(T) (B_1 = -1/2); empty entry v(empty)."""

    family = "k-SII"
    citation = ("Bord, Kriegel, Muschalik, Fumagalli and Hammer (2023), Shapley-based interaction "
                "indices of order k (k-SII); Lundberg et al. (2020) for order 2")
    capabilities = _WEIGHTS | {"derivative_sampling", "sii_permutation", "sii_regression"}
    empty_is_value = True
    _c = staticmethod(W.ksii)

    @property
    def base(self) -> Index:
        return self if self.order == 1 else SII(self.order)

    def base_coefficients(self, k: int) -> np.ndarray | None:
        if self.order == 1:
            return None
        return _bernoulli_row(k)


@register("STII")
class STII(_Shapley):
    """Shapley-Taylor interaction index: m(S) below order k, sum_{T superset S} m(T) / C(|T|, k)
    at order k."""

    family = "STII"
    citation = ("Sundararajan, Dhamdhere and Agarwal (2020), The Shapley Taylor interaction index, "
                "ICML")
    capabilities = _WEIGHTS | {"derivative_sampling", "stii_permutation"}
    empty_is_value = True
    _c = staticmethod(W.stii)
    _w = staticmethod(W.stii_derivative)


@register("FSII")
class FSII(_Shapley):
    """Faithful Shapley interaction index: the Shapley-kernel weighted least-squares fit of order
    k with v(empty) and v(N) reproduced exactly; closed form in Moebius space."""

    family = "FSII"
    citation = ("Tsai, Yeh and Ravikumar (2023), Faith-Shap: the faithful Shapley interaction "
                "index, JMLR 24")
    capabilities = _WEIGHTS | {"regression"}
    empty_is_value = True
    _c = staticmethod(W.fsii)


@register("CHII")
class CHII(_Shapley):
    """Chaining interaction index: phi(S) = sum_{T superset S} |S| / |T| m(T); empty entry
    v(empty)."""

    family = "CHII"
    citation = ("Marichal and Roubens (1999), The chaining interaction index among players in "
                "cooperative games, Proc. Conf. on Advances in Decision Analysis")
    capabilities = _WEIGHTS | {"derivative_sampling"}
    empty_is_value = True
    _c = staticmethod(W.chii)
    _w = staticmethod(W.chii_derivative)


@register("kADD-SHAP")
class KADDSHAP(_Shapley):
    """k-additive SHAP: the SII of the Shapley-kernel least-squares k-additive approximation
    of v, i.e. phi(S) = sum_{T superset S, |T| <= k} FSII(T) / (|T| - |S| + 1); empty entry
    v(empty). shapiq fits v(T) - v(empty) ~ sum_S gamma(|S|, |T n S|) phi(S) with gamma(s, r) =
    sum_{j=1}^r C(r, j) B_{s-j}: gamma(|S|, .) is the game with Moebius coefficients B_{|S|-|L|}
    on the non-empty L subset S, so the fitted game is FSII's, and this Bernoulli map is the
    inverse of SII's 1 / (j + 1) (as k-SII from SII). Exact constraints (shapiq's big-M 1e8
    leaves ~1e-9)."""

    family = "kADD-SHAP"
    citation = ("Pelegrina, Duarte and Grabisch (2023), A k-additive Choquet integral-based "
                "approach to approximate the SHAP values for local interpretability in machine "
                "learning, Artif. Intell. 325")
    empty_is_value = True
    _c = staticmethod(W.kadd_shap)


# ---------------------------------------------------------------------------------- Banzhaf
class _Weighted(Index):
    """A member of the p-weighted Banzhaf family, named as shapiq does: order 1 is "BV" ("WBV"
    for p != 1/2), else ``_half`` at p = 1/2 and the family name otherwise."""

    _ARGS = ("p", "order")
    _half = ""

    def __init__(self, p: float = 0.5, order: int | None = 2) -> None:
        super().__init__(order=order, p=p)
        if self.order == 1:
            self.name = "BV" if self.p == 0.5 else "WBV"
        elif self.p == 0.5:
            self.name = self._half


@register("WBII")
class WeightedBII(_Weighted):
    """p-weighted Banzhaf interaction index: phi(S) = sum_{T superset S} p^(|T|-|S|) m(T).

    The empty-set entry is sum_T p^|T| m(T) = E_p[v] (for p = 1/2 the mean of v, as shapiq's BII).
    """

    family = "WBII"
    citation = (
        "Marichal and Mathonet (2011), Weighted Banzhaf power and interaction indexes through "
        "weighted approximations of games, Eur. J. Oper. Res. 211; Roubens (1996) for p = 1/2"
    )
    capabilities = _WEIGHTS | {"derivative_sampling", "product_measure"}
    # the (weighted) Banzhaf value is also the p-weighted least-squares fit of order 1 (Hammer
    # and Holzman 1992)
    _order1 = dict(capabilities=capabilities | {"semivalue", "regression"})
    _half = "BII"
    _c = staticmethod(W.weighted_bii)
    _w = staticmethod(W.weighted_bii_derivative)


@register("BII")
class BII(WeightedBII):
    """Banzhaf interaction index (Roubens 1996; Grabisch and Roubens 1999): WBII with p = 1/2."""

    _ARGS = ("order",)

    def __init__(self, order: int | None = 2) -> None:
        super().__init__(p=0.5, order=order)


@register("WBV")
class WeightedBV(WeightedBII):
    """p-weighted Banzhaf value: phi_i = sum_{T containing i} p^(|T|-1) m(T) (order 1 of WBII)."""

    _ARGS = ("p",)

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p, order=1)


@register("BV")
class BV(WeightedBV):
    """Banzhaf value (Banzhaf 1965): WeightedBV with p = 1/2; empty-set entry mean(v)."""

    _ARGS = ()

    def __init__(self) -> None:
        super().__init__(p=0.5)


@register("FWBII")
class FWBII(_Weighted):
    """Faithful p-weighted Banzhaf interactions of order k: the least-squares fit of v by a
    game of order k under the product measure p^|T| (1-p)^(n-|T|), with free intercept (the
    empty-set entry). p = 1/2 is Faith-Banzhaf (FBII). As in FIxLIP."""

    family = "FWBII"
    citation = (
        "Tsai, Yeh and Ravikumar (2023), Faith-Shap, JMLR 24 (Faith-Banzhaf); Marichal and "
        "Mathonet (2011) for p-weighted approximations; FIxLIP (Kang et al. 2025) for its use"
    )
    baseline = "intercept"
    capabilities = _WEIGHTS | {"regression", "product_measure"}
    _half = "FBII"
    _c = staticmethod(W.fwbii)


@register("FBII")
class FBII(FWBII):
    """Faith-Banzhaf interaction index (Tsai et al. 2023): FWBII with p = 1/2."""

    _ARGS = ("order",)

    def __init__(self, order: int | None = 2) -> None:
        super().__init__(p=0.5, order=order)


# ---------------------------------------------------------------------------------- transforms
class _Transform(Index):
    """A transform of all orders up to k (default k = n); empty entry v(empty)."""

    empty_is_value = True

    def __init__(self, order: int | None = None) -> None:
        super().__init__(order=order)

    def default_order(self, n: int) -> int:
        return n


@register("Moebius")
class Moebius(_Transform):
    """Moebius transform (Harsanyi dividends) m(S) of all |S| <= k (default k = n)."""

    family = "Moebius"
    citation = "Harsanyi (1963); Rota (1964); Grabisch, Marichal and Roubens (2000)"
    _c = staticmethod(W.identity)


@register("Co-Moebius")
class CoMoebius(_Transform):
    """Co-Moebius transform sum_{T superset S} m(T) = Delta_S v(N minus S); empty entry v(empty)
    (shapiq's convention; the transform's own value there would be v(N))."""

    family = "Co-Moebius"
    citation = "Grabisch, Marichal and Roubens (2000), Math. Oper. Res. 25(2)"
    _c = staticmethod(W.co_moebius)


@register("Fourier")
class Fourier(_Transform):
    """Fourier (Walsh-Hadamard) coefficients F(S) = 2^-n sum_T (-1)^|S n T| v(T) =
    (-1)^|S| sum_{T superset S} 2^-|T| m(T) = (-1/2)^|S| BII(S) of all |S| <= k (default k = n);
    empty entry mean(v), as shapiq."""

    family = "Fourier"
    citation = "O'Donnell (2014), Analysis of Boolean Functions, Cambridge University Press"
    empty_is_value = False
    _c = staticmethod(W.fourier)


# ---------------------------------------------------------------------------------- generalized values
class _Generalized(Index):
    """A generalized value (Marichal 2000; Marichal, Kojadinovic and Fujimoto 2007): S's worth
    as one block, phi(S) = sum_{T subset N minus S} w_s(|T|) (v(T u S) - v(T)) for 1 <= |S| <= k
    (``_m``: w, the derivative weights of its interaction index); empty entry v(empty) as shapiq.
    Linear in v (in m: sum over U meeting S of g(|S|, |U minus S|) m(U), not a superset sum), so
    ``interplay.exact`` takes two size-weighted superset sums of v and of v(N minus .):
    O(k n 2^n)."""

    capabilities = frozenset({"marginal_weights"})
    empty_is_value = True

    def __init__(self, order: int | None = 2) -> None:
        super().__init__(order=order)


@register("SGV")
class SGV(_Generalized):
    """Shapley generalized value: w_s(t) = t! (n-t-s)! / (n-s+1)! (SII's), the Shapley value
    of S merged into one player; SGV(1) is the Shapley value."""

    family = "SGV"
    citation = ("Marichal (2000), The influence of variables on pseudo-Boolean functions with "
                "applications to game theory and multicriteria decision making, Discrete Appl. "
                "Math. 107")
    _m = staticmethod(W.sii_derivative)
    _order1 = _Shapley._order1


@register("BGV")
class BGV(_Generalized):
    """Banzhaf generalized value: w_s(t) = 2^-(n-s) (BII's). At order 1 shapiq names it "BV"
    and keeps its own empty-set entry 0 (the sum's), not BV's mean(v)."""

    family = "BGV"
    citation = SGV.citation
    _m = staticmethod(lambda k, n: W.weighted_bii_derivative(k, n, 0.5))
    _order1 = dict(name="BV", empty_is_value=False)


@register("CHGV")
class CHGV(_Generalized):
    """Chaining generalized value: w_s(t) = s / ((s+t) C(n, s+t)) (CHII's); CHGV(1) is the
    Shapley value."""

    family = "CHGV"
    citation = ("Marichal, Kojadinovic and Fujimoto (2007), Axiomatic characterizations of "
                "generalized values, Discrete Appl. Math. 155")
    _m = staticmethod(W.chii_derivative)
    _order1 = _Shapley._order1


@register("IGV")
class IGV(_Generalized):
    """Internal generalized value: w_s(t) = [t = 0], IGV(S) = v(S) - v(empty)."""

    family = "IGV"
    citation = CHGV.citation
    _m = staticmethod(W.internal)


@register("EGV")
class EGV(_Generalized):
    """External generalized value: w_s(t) = [t = n - s], EGV(S) = v(N) - v(N minus S)."""

    family = "EGV"
    citation = CHGV.citation
    _m = staticmethod(W.external)


@register("JointSV")
class JointSV(_Generalized):
    """Joint Shapley value of order k: w_s(t) = q_k(t) for every 1 <= s <= k, from Harris et
    al.'s recursion (``_weights.joint_sv``); efficient over the sets of size <= k. JointSV(1) is
    the Shapley value."""

    family = "JointSV"
    citation = ("Harris, Pymar and Rowat (2022), Joint Shapley values: a measure of joint "
                "feature importance, ICLR")
    _m = staticmethod(W.joint_sv)
    _order1 = _Shapley._order1


# ---------------------------------------------------------------------------------- least core
@register("ELC")
class ELC(Index):
    """Egalitarian least core (Yan and Procaccia 2021): of the payoffs x with x(N) = v(N) -
    v(empty) that minimise the largest deficit e = max_S v(S) - v(empty) - x(S) over proper
    non-empty S (e >= 0: the core if it is non-empty), the one of least norm ||x||_2. Order 1,
    no empty-set entry, baseline 0 (shapiq's); computed by a linear program and a least-distance
    problem (``interplay._least_core``)."""

    family = "ELC"
    citation = ("Yan and Procaccia (2021), If you like Shapley then you'll love the core, AAAI; "
                "Maschler, Peleg and Shapley (1979) for the least core")
    capabilities = frozenset({"least_core"})
    empty_is_value = False
    _ARGS = ()

    def __init__(self) -> None:
        super().__init__(order=1)


# ---------------------------------------------------------------------------------- custom
def _weights_source(weights: Any) -> tuple[Callable[[int], np.ndarray] | None, np.ndarray | None]:
    if callable(weights):
        return weights, None
    arr = np.array(weights, dtype=np.float64)  # TypeError/ValueError for non-numeric input
    arr.setflags(write=False)
    return None, arr


class CardinalIndex(Index):
    """A user-defined index given by its size weights, in exactly one of two forms.

    Parameters
    ----------
    name : str
        Name carried by results.
    order : int
        Maximum order k.
    moebius_weights : callable n -> array (k+1, n+1), or array (k+1, n+1)
        c[s, t]: phi(S) = sum_{T superset S} c[|S|, |T|] m(T). Entries t < s are ignored.
    derivative_weights : callable n -> array (k+1, n+1), or array (k+1, n+1)
        w[s, u]: phi(S) = sum_{T subset N minus S} w[|S|, |T|] Delta_S v(T), with
        Delta_S v(T) = sum_{L subset S} (-1)^{|S|-|L|} v(T u L). Entries u > n - s are ignored.
    citation : str, optional
    baseline : {"empty", "intercept"}

    Row 0 defines the empty-set entry: [1, 0, ..., 0] in Moebius form gives v(empty).
    An array fixes n (its shape must be (k+1, n+1) for the game's n).

    Examples
    --------
    SII of order 2 from its derivative weights w_s(t) = 1 / ((n-s+1) C(n-s, t)):

    >>> from math import comb
    >>> import numpy as np
    >>> def w(n):
    ...     return np.array([[1 / ((n - s + 1) * comb(n - s, t)) if t <= n - s else 0.0
    ...                       for t in range(n + 1)] for s in range(3)])
    >>> idx = CardinalIndex("my-SII", 2, derivative_weights=w)
    """

    family = "custom"
    capabilities = _WEIGHTS | {"derivative_sampling"}

    def __init__(
        self,
        name: str,
        order: int,
        *,
        moebius_weights: Any = None,
        derivative_weights: Any = None,
        citation: str = "user-defined",
        baseline: str = "empty",
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError("name must be a non-empty str")
        super().__init__(order=order)
        if (moebius_weights is None) == (derivative_weights is None):
            raise ValueError("give exactly one of moebius_weights and derivative_weights")
        if baseline not in ("empty", "intercept"):
            raise ValueError(f"baseline must be 'empty' or 'intercept', got {baseline!r}")
        self.name = name
        self.citation = citation
        self.baseline = baseline
        self._form = "moebius" if moebius_weights is not None else "derivative"
        self._fn, self._arr = _weights_source(
            moebius_weights if moebius_weights is not None else derivative_weights
        )
        if self._arr is not None:
            self._check_shape(self._arr, self._arr.shape[1] - 1 if self._arr.ndim == 2 else -1)
        src = self._fn if self._fn is not None else self._arr.tobytes() + str(self._arr.shape).encode()
        self.key = ("custom", name, self.order, self._form, src, baseline)

    def __repr__(self) -> str:
        return f"CardinalIndex({self.name!r}, order={self.order}, {self._form}_weights=...)"

    def _check_shape(self, arr: np.ndarray, n: int) -> None:
        form = f"{self._form}_weights"
        if arr.ndim != 2:
            raise ValueError(f"{form} must be a 2-D array (order+1, n+1), got shape {arr.shape}")
        k = self.order
        if arr.shape[0] != k + 1:
            raise ValueError(f"{form} defines orders 0..{arr.shape[0] - 1} but the index has "
                             f"order {k}: need exactly {k + 1} rows")
        if arr.shape[1] != n + 1:
            raise ValueError(f"{form} must have n+1 = {n + 1} columns for n = {n}, got {arr.shape[1]}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{form} contains NaN or inf")

    def _raw(self, n: int) -> np.ndarray:
        arr = self._arr if self._fn is None else check_numeric_array(self._fn(n), f"{self._form}_weights({n})").astype(np.float64)
        self._check_shape(arr, n)
        return arr

    def _user(self, k: int, n: int) -> np.ndarray:
        """The user's weights for n players, entries outside the form (t < s in Moebius form,
        u > n - s in derivative form) zeroed."""
        w = self._raw(n).copy()
        for s in range(k + 1):
            if self._form == "moebius":
                w[s, :s] = 0.0
            else:
                w[s, n - s + 1 :] = 0.0
        return w

    def _moebius(self, k: int, n: int) -> np.ndarray:
        cache = self.__dict__.setdefault("_cache", {})
        if (k, n) not in cache:
            w = self._user(k, n)
            cache[(k, n)] = w if self._form == "moebius" else W.derivative_to_moebius(w, n)
        return cache[(k, n)]

    def _derivative(self, k: int, n: int) -> np.ndarray | None:
        """The user's own derivative weights, without a round trip through the Moebius form;
        None for an index given by Moebius weights."""
        return self._user(k, n) if self._form == "derivative" else None


class Semivalue(CardinalIndex):
    """A user-defined semivalue phi_i = sum_{T subset N minus i} w(|T|) (v(T u i) - v(T)).

    Parameters
    ----------
    name : str
    weights : callable n -> array (n,), or array (n,)
        w(t) for t = 0..n-1 (for a probabilistic value: sum_t C(n-1, t) w(t) = 1; not enforced).

    The empty-set entry is v(empty). Shapley: w(t) = 1 / (n C(n-1, t)); Banzhaf: 2^-(n-1).
    """

    capabilities = _WEIGHTS | {"semivalue", "derivative_sampling"}
    empty_is_value = True

    def __init__(self, name: str, weights: Any, *, citation: str = "user-defined") -> None:
        fn, arr = _weights_source(weights)

        def derivative(n: int) -> np.ndarray:
            w = check_numeric_array(fn(n) if fn is not None else arr, "weights").astype(np.float64)
            if w.shape != (n,):
                raise ValueError(f"weights must have shape (n,) = ({n},) for n = {n}, got {w.shape}")
            if not np.all(np.isfinite(w)):
                raise ValueError("weights contains NaN or inf")
            out = np.zeros((2, n + 1))
            out[0, 0] = 1.0  # the empty-set entry is v(empty)
            out[1, :n] = w
            return out

        super().__init__(name, 1, derivative_weights=derivative, citation=citation)
        self.key = ("semivalue", name, fn if fn is not None else arr.tobytes())

    def __repr__(self) -> str:
        return f"Semivalue({self.name!r}, weights=...)"
