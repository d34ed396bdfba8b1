"""Known-answer joints p(x1, x2, y) with their textbook BROJA atoms (bits), and an independent
checker of a returned certificate (primal feasibility + dual feasibility + gap)."""

from __future__ import annotations

import numpy as np


def from_outcomes(outcomes, probs=None):
    """Joint from a list of (x1, x2, y) outcomes (equiprobable unless probs given)."""
    outcomes = [tuple(o) for o in outcomes]
    shape = tuple(max(o[i] for o in outcomes) + 1 for i in range(3))
    p = np.zeros(shape)
    probs = np.full(len(outcomes), 1.0 / len(outcomes)) if probs is None else np.asarray(probs)
    for o, w in zip(outcomes, probs):
        p[o] += w
    return p / p.sum()


H_AND = 1.5 - 0.75 * np.log2(3)  # 0.311278...: R of AND/OR = I(X1;Y) = H(Y) - H(Y|X1)

# name -> (joint, (R, U1, U2, S) in bits); reference/pid.md section 6
CANONICAL = {
    "XOR": (from_outcomes([(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]), (0, 0, 0, 1)),
    "AND": (from_outcomes([(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 1)]), (H_AND, 0, 0, 0.5)),
    "OR": (from_outcomes([(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 1)]), (H_AND, 0, 0, 0.5)),
    "COPY": (from_outcomes([(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 3)]), (0, 1, 1, 0)),
    "SUM": (from_outcomes([(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 2)]), (0.5, 0, 0, 1)),
    "UNQ": (from_outcomes([(0, 0, 0), (0, 1, 0), (1, 0, 1), (1, 1, 1)]), (0, 1, 0, 0)),
    "RDN": (from_outcomes([(0, 0, 0), (1, 1, 1)]), (1, 0, 0, 0)),
}


def check_certificate(p, q, lam, mu, gap_nats_max):
    """Independently verify a BROJA certificate; returns (upper, lower) in nats.

    q must be in Delta_P (marginals P(x1,y), P(x2,y)); (lam, mu) must satisfy
    sum_y exp(lam(x1,y) + mu(x2,y)) <= 1 on every fibre over cells with P(x1,y) P(x2,y) > 0;
    then sum a lam + sum b mu <= min f <= f(q) with f(q) = sum q log q(y|x1,x2).
    """
    a = p.sum(1)
    b = p.sum(0)
    np.testing.assert_allclose(q.sum(1), a, atol=1e-13)
    np.testing.assert_allclose(q.sum(0), b, atol=1e-13)
    assert (q >= 0).all()
    allowed = (a[:, None, :] > 0) & (b[None, :, :] > 0)
    assert (q[~allowed] == 0).all()
    qf = q.sum(2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(q > 0, q * np.log(q / qf), 0.0).sum()
    z = np.where(allowed, lam[:, None, :] + mu[None, :, :], -np.inf)
    sig = np.exp(z).sum(2)
    assert sig.max() <= 1 + 1e-12, sig.max()
    g = (a[a > 0] * lam[a > 0]).sum() + (b[b > 0] * mu[b > 0]).sum()
    assert f - g <= gap_nats_max, (f, g)
    return f, g
