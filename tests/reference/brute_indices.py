"""Brute-force interaction indices from a table of 2^n values (n <= 10), straight from the
definitions: discrete derivatives summed with their weights, and weighted least squares with a
dense design matrix over all coalitions. No code shared with interplay.estimators."""

from __future__ import annotations

import itertools
from math import comb, factorial

import numpy as np
from scipy.special import bernoulli


def _sets_by_size_then_value(n, kmax):
    out = []
    for s in range(kmax + 1):
        masks = [sum(1 << i for i in c) for c in itertools.combinations(range(n), s)]
        out.extend(sorted(masks))
    return out


def _delta(table, S, T):
    """Delta_S v(T) = sum_{L subset S} (-1)^{|S|-|L|} v(T u L)."""
    s = bin(S).count("1")
    tot = 0.0
    L = S
    while True:
        tot = tot + (-1) ** (s - bin(L).count("1")) * table[T | L]
        if L == 0:
            break
        L = (L - 1) & S
    return tot


def dd_weight(index, n, s, t, k, p=0.5):
    if index in ("SII", "SV", "k-SII"):
        return factorial(t) * factorial(n - t - s) / factorial(n - s + 1)
    if index in ("BII", "BV"):
        return 0.5 ** (n - s)
    if index in ("WBII", "WBV"):
        return p**t * (1 - p) ** (n - s - t)
    if index == "CHII":
        return s / ((s + t) * comb(n, s + t))
    if index == "STII":
        if s < k:
            return 1.0 if t == 0 else 0.0
        return k / (n * comb(n - 1, t))
    raise ValueError(index)


def cii(table, n, index, k, p=0.5):
    """phi(S) = sum_{T subset N\\S} w(|T|,|S|) Delta_S v(T) for all |S| <= k (size, then value);
    the empty set as in shapiq: v(empty) for SV/k-SII/STII/CHII, the weighted sum otherwise."""
    table = np.asarray(table, dtype=float)
    sets = _sets_by_size_then_value(n, k)
    full = (1 << n) - 1
    out = []
    for S in sets:
        s = bin(S).count("1")
        if s == 0 and index in ("CHII", "STII", "SV", "k-SII"):
            out.append(table[0])
            continue
        rest = full & ~S
        tot = 0.0
        T = rest
        while True:
            tot = tot + dd_weight(index, n, s, bin(T).count("1"), k, p) * _delta(table, S, T)
            if T == 0:
                break
            T = (T - 1) & rest
        out.append(tot)
    vals = np.array(out)
    if index == "k-SII":
        sii = cii(table, n, "SII", k)
        bern = bernoulli(k)
        pos = {S: i for i, S in enumerate(sets)}
        ks = np.zeros_like(sii)
        ks[0] = table[0]
        for S in sets[1:]:
            for T in sets:
                if T & S == S:
                    ks[pos[S]] += bern[bin(T).count("1") - bin(S).count("1")] * sii[pos[T]]
        return ks
    return vals


def faithful(table, n, index, k, p=0.5):
    """FSII / FBII / FWBII by dense weighted least squares over all 2^n coalitions (FSII with
    the exact constraints v_hat(empty) = v(empty), v_hat(N) = v(N) solved by KKT)."""
    table = np.asarray(table, dtype=float)
    sets = _sets_by_size_then_value(n, k)
    T = np.arange(1 << n)
    X = np.array([[1.0 if (t & S) == S else 0.0 for S in sets] for t in T])
    size = np.array([bin(t).count("1") for t in T])
    if index == "FSII":
        w = np.array([0.0 if z in (0, n) else 1.0 / ((n - 1) * comb(n - 2, z - 1)) for z in size])
        X1 = X[:, 1:]
        y = table - table[0]
        G = X1.T @ (w[:, None] * X1)
        h = X1.T @ (w * y)
        K = len(sets) - 1
        kkt = np.zeros((K + 1, K + 1))
        kkt[:K, :K] = G
        kkt[:K, K] = 1
        kkt[K, :K] = 1
        rhs = np.concatenate([h, [table[-1] - table[0]]])
        sol = np.linalg.solve(kkt, rhs)[:K]
        return np.concatenate([[table[0]], sol])
    pp = 0.5 if index == "FBII" else p
    w = pp**size * (1 - pp) ** (n - size)
    G = X.T @ (w[:, None] * X)
    return np.linalg.solve(G, X.T @ (w * table))
