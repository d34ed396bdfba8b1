"""Grid mode for two player groups (image patches x text tokens), FIxLIP-style.

Players 0..n_a-1 form group A, n_a..n-1 group B. Because the product measure factorises,
mu_p(T) = mu_p^A(T n A) mu_p^B(T n B), coalitions of A and of B are drawn independently (each from
its own stratified stream with binomial size weights) and the game is evaluated on the full
m_a x m_b grid (Baniecki et al. 2025, "Explaining similarity in vision-language encoders with
weighted Banzhaf interactions"). Cell (a, b) has weight w_a u_b.

The weighted least squares over the joint basis {S : |S| <= k}, S = (alpha, beta) with
alpha = S n A and beta = S n B, is solved from per-group moments, never from the joint design:

    G[(alpha, beta), (alpha', beta')] = M_A[alpha u alpha'] * M_B[beta u beta']   (G = P (G_A (x) G_B) P^T)
    h[(alpha, beta)] = sum_a w_a [alpha subset A_a] sum_b u_b V_ab [beta subset B_b]

where M_A, M_B are the subset moments of each group (orders <= 2k) and the inner sum over b is a
subset moment over the B coalitions with m_a value columns.

basis="crossmodal" (FIxLIP's restricted basis, Baniecki et al. 2025, ``create_crossmodal_
interaction_lookup``): the empty set, every player and every pair (a, b) with a in A and b in B,
i.e. |alpha| <= 1, |beta| <= 1: K = (1 + n_a)(1 + n_b) terms instead of sum_{s <= 2} C(n, s), and
G = G_A (x) G_B exactly with the groups' order-1 Grams. In general the basis is
{(alpha, beta): |alpha| <= k_a, |beta| <= k_b, |alpha| + |beta| <= k} with side orders
(k_a, k_b) = (k, k) ("full") or (1, 1) ("crossmodal"); every formula below holds with the
A-side terms of a beta of size s running over A_{<= min(k_a, k - s)}.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from math import ceil, comb, sqrt

import numpy as np
import scipy.linalg

from .. import sets as bits
from .._threads import blas_limit
from .._validation import as_real_float64, check_int, format_bytes, require_memory
from ..indices._weights import binomial_mass  # the product measure's mass per size
from ._base import Estimator, SamplingState
from ._kernels import (set_ranks, stratified_stream, subset_gather, subset_moments, union_ranks,
                       union_table_bytes)
from .._rng import resolve_seed, substream
from ._stratified import spd_solver

#: delete-a-group jackknife: groups of coalitions per player group (docs/sampled.md)
JK_GROUPS = 16
#: a group's coalitions are planned at the first of these multiples of its basis size at which
#: the design (with one jackknife group left out) has full rank
_NEED_LADDER = (1.25, 1.5, 2.0, 3.0, 4.0)
#: groups with more terms get the first rung without the rank check
_RANK_CHECK_MAX_TERMS = 2500
#: the result's sampling state packs the grid's joint coalitions by chunks of about this many
#: bytes of booleans
STATE_CHUNK_BYTES = 1 << 22


class GridBudgetError(ValueError):
    """The grid design at this budget cannot determine the requested terms (raised before any
    game call); ``min_budget`` is the smallest budget at which it can."""

    def __init__(self, message: str, min_budget: int):
        super().__init__(message)
        self.min_budget = int(min_budget)


def check_groups(player_groups, n):
    if not isinstance(player_groups, (tuple, list)) or len(player_groups) != 2:
        raise ValueError(f"player_groups must be a pair (n_a, n_b), got {player_groups!r}")
    na = check_int(player_groups[0], "player_groups[0]", low=1)
    nb = check_int(player_groups[1], "player_groups[1]", low=1)
    if na + nb != n:
        raise ValueError(f"player_groups {na} + {nb} must add up to n_players = {n}")
    return na, nb


BASES = ("full", "crossmodal")


def side_orders(basis: str, k: int) -> tuple[int, int]:
    """(k_a, k_b): the largest order of a basis term's part in each group."""
    return (k, k) if basis == "full" else (min(k, 1), min(k, 1))


def n_grid_terms(na: int, nb: int, k: int, basis: str = "full") -> int:
    """Terms of the grid basis: sum_{s <= k} C(n_a + n_b, s) ("full"), (1 + n_a)(1 + n_b) at
    k = 2 ("crossmodal": empty set, players, cross-group pairs)."""
    ka, kb = side_orders(basis, k)
    return sum(comb(na, s) * comb(nb, t) for s in range(ka + 1) for t in range(kb + 1)
               if s + t <= k)


def check_basis(basis, max_terms, k: int, groups) -> str:
    """Validate ``basis`` and ``max_terms`` (before any allocation or game call)."""
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    if basis == "crossmodal" and groups is None:
        raise ValueError("basis='crossmodal' needs player_groups (grid mode: the cross-group "
                         "pairs of two player groups)")
    if max_terms is not None:
        max_terms = check_int(max_terms, "max_terms", low=1)
        na, nb = groups if groups is not None else (None, None)
        K = n_grid_terms(na, nb, k, basis) if groups is not None else None
        if K is not None and K > max_terms and basis == "crossmodal" and k >= 2:
            if max_terms < 2 + na + nb:
                raise ValueError(
                    f"max_terms = {max_terms}: the cross-modal basis selected by a first-order "
                    f"screen keeps the empty set and the {na + nb} players and at least one "
                    f"pair; give max_terms >= {2 + na + nb}")
        elif K is not None and K > max_terms:
            alt = "" if basis == "crossmodal" or k < 2 else (
                f" basis='crossmodal' ({n_grid_terms(na, nb, k, 'crossmodal')} terms), which "
                "max_terms caps by a first-order screen of the players,")
            raise ValueError(
                f"max_terms = {max_terms}: the {basis} basis of order {k} for player groups "
                f"{na} + {nb} has {K} terms; give a larger max_terms,{alt} or a smaller "
                "max_order")
    return basis


def screen_sizes(na: int, nb: int, max_terms: int) -> tuple[int, int]:
    """Players (c_a, c_b) of each group whose cross pairs the screened cross-modal basis keeps:
    c_a c_b <= P = max_terms - 1 - n_a - n_b pairs, in proportion to the groups' sizes
    (c_a / c_b ~ n_a / n_b, as FIxLIP's clique shares its players between image and text)."""
    P = max_terms - 1 - na - nb
    cb = min(nb, max(1, round(sqrt(P * nb / na))))
    ca = min(na, P // cb)
    if ca == na:
        cb = min(nb, P // na)
    return int(ca), int(cb)


def _cap(n: int) -> int:
    return 1 << n if n < 62 else 1 << 62


#: margin of the cheap replicate test over _chol's pivot threshold (1e-12) before it is trusted
_PIVOT_MARGIN = 100.0


def _replicates_full_rank(S: np.ndarray, sizes: np.ndarray, draw: np.ndarray, n: int, k: int,
                          p: float) -> bool:
    """Whether the coalitions S (packed, with their sizes and draw ids) of a group of n players
    determine every term of order <= k with each of the group's delete-a-group jackknife
    replicates as well: the weighted Grams the estimate factorises (the sample's and each
    replicate's) pass :func:`_chol`'s pivot test. A replicate whose Gram does not leaves terms
    without an honest standard error (inf, see GridEstimator._compute_design), so the plan asks
    for more coalitions instead.

    With the sample's Gram G = X' W X = L L' (X the design rows [alpha subset S_a]), replicate
    j's Gram G_j = X' W_j X (the rows of group j at weight 0, the others' scaled by c >= 1)
    dominates G - X_j' W X_j = L (I - Z' Z) L', Z = W_j^1/2 X_j L^-T, so G_j >= tau G with
    tau = 1 - lambda_max(Z Z') (the block of the hat matrix of group j; tau = 0: singular).
    Cholesky pivots are monotone in the Loewner order and at most the diagonal, so _chol
    accepts G_j when tau min_i L_ii^2 > 1e-12 c_max max_i G_ii; this is checked with a margin
    (_PIVOT_MARGIN), and a replicate that misses it is factorised as the estimate would. Cost:
    one factorisation and m K^2 for the triangular solves, against 1 + R factorisations
    (K^3 / 3 each)."""
    K = bits.n_sets_upto(n, k)
    if S.shape[0] < K:
        return False
    w, complete = _weights(sizes, n, p)
    stratum, grp, c = _jk_groups(w, sizes, complete, draw)
    U = union_ranks(n, k, 0)
    W = np.column_stack([w, w[:, None] * c[stratum]])  # the sample's, replicates' before zeros
    mom = subset_moments(S, n, 2 * k, W[:, :1], complement="auto")[0]
    G = mom[:, 0][U]
    dmax = float(np.diag(G).max())
    L = _chol(G)
    if L is None:
        return False
    floor = float(np.diag(L).min()) ** 2
    for j in range(c.shape[1]):
        rows = np.flatnonzero(grp == j)
        # W_j^1/2 X_j: the group's design rows, one subset-moment bucket per row
        X = subset_moments(S[rows], n, k, np.sqrt(w[rows]), np.arange(rows.size), rows.size,
                           complement=False)[:, :, 0]
        Z = scipy.linalg.solve_triangular(L, X.T, lower=True, check_finite=False)
        tau = 1.0 - float(np.linalg.eigvalsh(Z.T @ Z)[-1])
        if tau * floor > _PIVOT_MARGIN * 1e-12 * float(c[:, j].max()) * dmax:
            continue
        Wj = W[:, 1 + j].copy()
        Wj[rows] = 0.0
        if _chol(subset_moments(S, n, 2 * k, Wj[:, None], complement="auto")[0][:, 0][U]) is None:
            return False
    return True


@lru_cache(maxsize=256)
def side_need(n: int, k: int, p: float, seed: int) -> int:
    """Coalitions a player group of n players needs for the grid to determine its terms of
    order <= k: the first multiple of its K = sum_{s <= k} C(n, s) basis terms in _NEED_LADDER
    at which the planned coalitions (a prefix of the group's seeded stream) have full rank, and
    keep it without each of their jackknife groups (:func:`_replicates_full_rank`: the
    estimate's own Grams and pivot test, so that every term gets a finite standard error at
    the minimum budget). All 2^n coalitions (exact on this side) when that is at most twice the
    first rung or no rung has full rank."""
    K, cap = bits.n_sets_upto(n, k), _cap(n)
    if cap <= 2 * ceil(_NEED_LADDER[0] * K):
        return cap
    rungs = [ceil(r * K) for r in _NEED_LADDER if ceil(r * K) < cap]
    if not rungs:
        return cap
    if K > _RANK_CHECK_MAX_TERMS:
        # the check's K x K Gram would dominate the plan; random coalitions of many players
        # had full rank at 1.1 K in every trial (n >= 10, 20 seeds each; docs/sampled.md)
        return rungs[0]
    S, sizes, draw = _group_stream(n, rungs[-1], p, seed)  # fewer than 2^n: a prefix
    for m in rungs:
        if _replicates_full_rank(S[:m], sizes[:m], draw[:m], n, k, p):
            return m
    return cap


def _needs(na: int, nb: int, k: int, p: float, seed: int,
           basis: str = "full") -> tuple[int, int]:
    ka, kb = side_orders(basis, k)
    return (side_need(na, ka, float(p), int(substream(seed, 1))),
            side_need(nb, kb, float(p), int(substream(seed, 2))))


def plan_split(budget: int, na: int, nb: int, k: int, p: float, seed: int,
               basis: str = "full") -> tuple[int, int]:
    """Coalitions (m_a, m_b) of the two groups for a budget of m_a m_b grid cells.

    Each group gets at least :func:`side_need` coalitions, else :class:`GridBudgetError` with
    the minimum budget. Above that the budget is split in proportion to the groups' numbers of
    terms K_A, K_B (m_a / K_A = m_b / K_B: FIxLIP's m_small ~ sqrt(B) n_small / n_large at
    order 1, generalised to the terms of order <= k), and a group whose 2^n coalitions are at
    most twice its share is enumerated (exact on that side; the rest goes to the other).
    """
    cap_a, cap_b = _cap(na), _cap(nb)
    if budget >= cap_a * cap_b:
        return cap_a, cap_b
    need_a, need_b = _needs(na, nb, k, p, seed, basis)
    ka, kb = side_orders(basis, k)
    Ka, Kb = bits.n_sets_upto(na, ka), bits.n_sets_upto(nb, kb)
    if need_a * need_b > budget:
        raise GridBudgetError(
            f"budget = {budget}: grid mode with player groups {na} + {nb} cannot determine the "
            f"{n_grid_terms(na, nb, k, basis)} terms of order <= {k} ({basis} basis): group A "
            f"needs >= {need_a} "
            f"coalitions ({Ka} terms), group B >= {need_b} ({Kb} terms); give budget >= "
            f"{need_a * need_b} (grid cells), a smaller max_order, or no player_groups (joint "
            f"sampling)", need_a * need_b)
    r = sqrt(budget / (Ka * Kb))
    ma = min(cap_a, max(need_a, round(r * Ka)))
    mb = min(cap_b, budget // ma)
    if mb < need_b:
        mb = need_b
        ma = min(cap_a, budget // mb)
    if ma < cap_a and cap_a <= 2 * ma and cap_a * need_b <= budget:
        ma = cap_a
        mb = min(cap_b, budget // ma)
    elif mb < cap_b and cap_b <= 2 * mb and cap_b * need_a <= budget:
        mb = cap_b
        ma = min(cap_a, budget // mb)
    if mb == cap_b:
        ma = min(cap_a, budget // mb)
    elif ma == cap_a:
        mb = min(cap_b, budget // ma)
    return int(ma), int(mb)


def grid_min_budget(na: int, nb: int, k: int, p: float = 0.5, seed: int | None = 0,
                    basis: str = "full") -> int:
    """The smallest budget (grid cells) at which grid mode determines every term of order <= k
    of ``basis`` for player groups (na, nb) and this seed (see :func:`plan_split`)."""
    need_a, need_b = _needs(na, nb, k, p, resolve_seed(seed), basis)
    return min(need_a * need_b, _cap(na) * _cap(nb))


def _group_stream(n, m, p, seed):
    q = binomial_mass(n, p)
    q[0] = q[n] = np.inf
    if n <= 30 and m >= (1 << n):
        masks = np.arange(1 << n, dtype=np.uint64)[:, None]
        return masks, bits.sizes(masks[:, 0]), np.arange(1 << n, dtype=np.int64)
    return stratified_stream(n, q, False, seed, m)


def _weights(sizes, n, p):
    k = np.bincount(sizes, minlength=n + 1)
    mass = binomial_mass(n, p)
    w = np.where(k > 0, mass / np.maximum(k, 1), 0.0)
    cap = [comb(n, t) for t in range(n + 1)]
    complete = np.array([int(k[t]) == cap[t] for t in range(n + 1)])
    return w[sizes], complete[sizes]


def _jk_groups(w: np.ndarray, sizes: np.ndarray, complete: np.ndarray, draw: np.ndarray,
               R: int = JK_GROUPS):
    """Delete-a-group jackknife of one group's coalitions, as (stratum, group, c): replicate j
    weights coalition a by w_a c[stratum_a, j], and by 0 if group_a = j. R' = min(R,
    coalitions in incomplete strata) replicates; replicate j has the coalitions of group j at 0
    and the other coalitions of their variance stratum h scaled up to keep its mass,
    c[h, j] = W_h / (W_h - W_hj) (Kott 2001, "The delete-a-group jackknife"). Variance strata
    are the size strata, a stratum with a single coalition merged into the next; coalitions are
    dealt to the groups in turn through the strata (by size, then draw), so a stratum's
    coalitions fall into different groups and no replicate empties a stratum. Complete strata
    (every set of that size drawn) carry no sampling error: stratum H (the last row of c, all
    1), group -1."""
    m = w.size
    inc = np.flatnonzero(~complete)
    if inc.size < 2:
        return np.zeros(m, dtype=np.int64), np.full(m, -1), np.ones((1, 0))
    order = inc[np.lexsort((draw[inc], sizes[inc]))]
    t = sizes[order]
    vs = np.empty(order.size, dtype=np.int64)
    h, cnt = 0, 0
    for i in range(order.size):
        if i > 0 and t[i] != t[i - 1] and cnt >= 2:
            h, cnt = h + 1, 0
        vs[i] = h
        cnt += 1
    if cnt < 2 and h > 0:
        vs[vs == h] = h - 1
    R = min(R, order.size)
    group = np.arange(order.size) % R
    wo = w[order]
    Wh = np.bincount(vs, weights=wo)[:, None]
    Whg = np.stack([np.bincount(vs[group == j], weights=wo[group == j], minlength=Wh.size)
                    for j in range(R)], axis=1)
    stratum, grp = np.full(m, Wh.size), np.full(m, -1)
    stratum[order], grp[order] = vs, group
    return stratum, grp, np.vstack([Wh / (Wh - Whg), np.ones((1, R))])


def _jk_weights(w: np.ndarray, sizes: np.ndarray, complete: np.ndarray, draw: np.ndarray,
                R: int = JK_GROUPS, groups=None) -> np.ndarray:
    """The replicate weights of :func:`_jk_groups` (or of its result ``groups``) as an (m, R')
    matrix."""
    stratum, grp, c = _jk_groups(w, sizes, complete, draw, R) if groups is None else groups
    W = w[:, None] * c[stratum]
    W[grp[:, None] == np.arange(c.shape[1])] = 0.0
    return W


def _jk_fpc_root(stratum: np.ndarray, sizes: np.ndarray, n: int, n_strata: int) -> np.ndarray:
    """sqrt(1 - f_h) for each variance stratum h of :func:`_jk_groups` (``n_strata`` rows of its
    c; the last row, the complete strata, 0), f_h = its coalitions / the sets of its sizes.

    The stream draws a size's sets without replacement, so a stratum's sampling variance is
    (1 - f_h) times the with-replacement variance the delete-a-group jackknife estimates
    (Rust and Rao 1996, "Variance estimation for complex surveys using replication
    techniques": the replicate's change in a stratum's weights scaled by sqrt(1 - f_h)). On
    the n = 10 grids, where a group of 7 players has 74 of its 128 coalitions (f ~ 0.55),
    the jackknife without it covered 0.992."""
    H = n_strata - 1
    out = np.zeros(n_strata)
    inc = stratum < H
    if H == 0 or not inc.any():
        return out
    drawn = np.bincount(stratum[inc], minlength=H).astype(np.float64)
    h, t = np.unique(np.stack([stratum[inc], sizes[inc]]), axis=1)
    pop = np.zeros(H)
    np.add.at(pop, h, [float(comb(n, int(x))) for x in t])
    out[:H] = np.sqrt(np.clip(1.0 - drawn / pop, 0.0, 1.0))
    return out


def _terms(w: np.ndarray, bucket=None, C=None) -> list:
    """Weight columns W = diag(w) onehot(bucket) C (C: (buckets, columns)) as one projection
    term (:meth:`GridEstimator._compute_grid`'s ``project``); default: the column w."""
    return [(w, np.zeros(w.size, dtype=np.int64) if bucket is None else bucket,
             np.ones((1, 1)) if C is None else C)]


def _gram(GA: np.ndarray, GB: np.ndarray, ia: np.ndarray, ib: np.ndarray,
          rows: int = 128) -> np.ndarray:
    """G[i, j] = GA[ia_i, ia_j] * GB[ib_i, ib_j], assembled by blocks of rows: row and column
    takes of the small per-group matrices, no K x K index or temporary arrays (fresh memory is
    slow to touch the first time). Only for a group Gram that is numerically singular."""
    K = ia.size
    G = np.empty((K, K))
    tmp = np.empty((min(rows, K), K))
    for r0 in range(0, K, rows):
        r1 = min(K, r0 + rows)
        np.take(GA[ia[r0:r1]], ia, axis=1, out=G[r0:r1])
        np.take(GB[ib[r0:r1]], ib, axis=1, out=tmp[: r1 - r0])
        G[r0:r1] *= tmp[: r1 - r0]
    return G


def _chol(G: np.ndarray):
    """Lower Cholesky factor of a group Gram, computed in G's memory (G is consumed), None when
    it is not numerically positive definite (the pivot test of spd_solver: smallest pivot^2 <=
    1e-12 times the largest)."""
    try:
        # G is C-ordered and symmetric: its transpose is the same matrix in Fortran order,
        # which LAPACK factorises in place (no K x K copy: the same potrf call as on a copy)
        c = scipy.linalg.cholesky(G.T, lower=True, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    piv = np.abs(np.diag(c))
    return c if piv.min() ** 2 > 1e-12 * piv.max() ** 2 else None


def _null_terms(G: np.ndarray) -> np.ndarray:
    """Terms (rows of a singular group Gram G) that the design does not determine: those with
    a component in G's null space (eigenvalues of the diagonally scaled G below 1e-10 of the
    largest; a term absent from every coalition has a zero row)."""
    d = np.diag(G).copy()
    absent = d <= 0
    s = 1.0 / np.sqrt(np.where(absent, 1.0, d))
    lam, vec = np.linalg.eigh(G * s[:, None] * s[None, :])
    null = vec[:, lam <= 1e-10 * max(lam.max(), 1e-300)]
    return absent | (np.abs(null) > 1e-6).any(axis=1)


def _blocks(rank_by: np.ndarray, n_by: int, rank_in: np.ndarray, n_in: int, k: int,
            k_by: int, k_in: int) -> list:
    """The joint basis (alpha, beta), |alpha| + |beta| <= k (the ``by`` side's part of order
    <= k_by, the ``in`` side's <= k_in), as one full matrix per size s of the ``by`` side's
    set: rows = the ``in`` side's sets of size <= min(k_in, k - s) (a leading block of its
    size-ordered basis), columns = the ``by`` side's sets of size s."""
    top = min(k, k_by)
    size = np.searchsorted([bits.offset(n_by, s + 1) for s in range(top + 1)], rank_by, "right")
    out = []
    for s in range(top + 1):
        sel = np.flatnonzero(size == s)
        rows, N, C = rank_in[sel], bits.n_sets_upto(n_in, min(k_in, k - s)), comb(n_by, s)
        assert sel.size == N * C  # every (row, column) pair is a basis term
        out.append((sel, rows, rank_by[sel] - bits.offset(n_by, s), N, C))
    return out


def _by_blocks(x: np.ndarray, blocks: list, f) -> np.ndarray:
    out = np.empty_like(x)
    d = x.shape[1]
    for sel, rows, cols, N, C in blocks:
        M = np.empty((N, C, d))
        M[rows, cols] = x[sel]
        out[sel] = f(N, M.reshape(N, C * d)).reshape(N, C, d)[rows, cols]
    return out


def _kron_solver(LA: np.ndarray, LB: np.ndarray, blocks_a: list, blocks_b: list):
    """solve(r) = G^-1 r for G[(alpha, beta), (alpha', beta')] = GA[alpha, alpha'] GB[beta, beta']
    on the basis |alpha| + |beta| <= k, from the groups' Cholesky factors GA = LA LA^T and
    GB = LB LB^T alone (G itself is never formed).

    With the basis of each group ordered by set size, the terms of alpha are beta in B_{<= k -
    |alpha|}, a leading block of B's basis, whose Gram is the leading block L_j L_j^T of LB's.
    Since LB is lower triangular, GB[B_{<=j}, B_{<=j'}] = L_j E L_j'^T with E the identity on
    B_{<= min(j, j')}, so G = T Gt T^T with T = diag_alpha(L_{k - |alpha|}) and Gt block
    diagonal over beta: one block GA[A_{<= k - |beta|}] (leading, factor a leading block of
    LA) per beta. A solve is two triangular solves with LB's blocks around a Cholesky solve
    with LA's: O(K (K_A + K_B)) per column instead of K^3 / 3 to factorise the K x K G."""
    tri = scipy.linalg.solve_triangular

    def solve(r: np.ndarray) -> np.ndarray:
        y = _by_blocks(r, blocks_a, lambda j, M: tri(LB[:j, :j], M, lower=True,
                                                     check_finite=False))
        y = _by_blocks(y, blocks_b, lambda j, M: scipy.linalg.cho_solve(
            (LA[:j, :j], True), M, check_finite=False))
        return _by_blocks(y, blocks_a, lambda j, M: tri(LB[:j, :j], M, lower=True, trans="T",
                                                        check_finite=False))
    return solve


class _Design:
    """The value-independent part of a grid estimate: the basis split, the cell weights and the
    Gram matrix, factorised once. It depends only on the two coalition samples (fixed by n_a,
    n_b, the budget, p and the seed), so it is computed at most once per sample and process,
    when first asked for (estimators of many items with the same seed share it)."""

    def __init__(self, fn, nbytes: int):
        self._fn = fn
        self.nbytes = nbytes
        self._lock = threading.Lock()
        self._value = None
        self._error: BaseException | None = None

    @property
    def failed(self) -> bool:
        return self._error is not None

    def get(self):
        with self._lock:
            if self._fn is not None:
                try:
                    self._value = self._fn()
                except BaseException as exc:  # noqa: BLE001 - re-raised below and on every get()
                    self._error = exc
                finally:
                    self._fn = None
        if self._error is not None:
            raise self._error
        return self._value


#: designs kept for reuse (least recently used first); their Cholesky factors are K x K
_DESIGNS: OrderedDict = OrderedDict()
_DESIGNS_LOCK = threading.Lock()
DESIGN_CACHE_BYTES = 1 << 28
#: a group's jackknife replicate factors are kept with the design up to this size (else
#: factorised again for each result)
REPLICATE_CACHE_BYTES = 1 << 26


def _replicate_bytes(K: int, R: int = JK_GROUPS) -> int:
    """Bytes of a group's R replicate Cholesky factors (K x K) if they are cached, else 0."""
    b = 8 * K * K * R
    return b if b <= REPLICATE_CACHE_BYTES else 0


def _design_for(key, fn, nbytes: int) -> _Design:
    """The shared design for ``key`` (created unstarted if new). Designs whose computation
    failed are dropped; the cache keeps at most DESIGN_CACHE_BYTES of them."""
    with _DESIGNS_LOCK:
        d = _DESIGNS.get(key)
        if d is not None and not d.failed:
            _DESIGNS.move_to_end(key)
            return d
        d = _Design(fn, nbytes)
        if nbytes <= DESIGN_CACHE_BYTES:
            _DESIGNS[key] = d
            total = sum(x.nbytes for x in _DESIGNS.values())
            while total > DESIGN_CACHE_BYTES and len(_DESIGNS) > 1:
                total -= _DESIGNS.popitem(last=False)[1].nbytes
        return d


def clear_design_cache() -> None:
    """Forget the shared grid designs (frees their factorised Gram matrices)."""
    with _DESIGNS_LOCK:
        _DESIGNS.clear()


class GridEstimator(Estimator):
    """FWBII / FBII / WBV / BV regression on the m_a x m_b grid of two player groups."""

    method = "regression"
    is_grid = True
    grid_mode = True

    def __init__(self, n_players, spec, budget, max_order, seed, config, *, n_a, n_b,
                 backend="auto", basis="full", max_terms=None, pairs=None):
        super().__init__(n_players, spec, budget, max_order, seed, config)
        self.backend = backend
        self.n_a, self.n_b = n_a, n_b
        self.basis = basis
        self.k_a, self.k_b = side_orders(basis, max_order)
        # the cross-modal basis with the pairs of some players only (pairs: their indices in
        # each group), fitted through the joint Gram; max_terms below the basis's size: those
        # players chosen after the values, by a first-order screen (result())
        self._pairs = None if pairs is None else tuple(np.sort(np.asarray(c, dtype=np.int64))
                                                       for c in pairs)
        self._screen = None
        if (pairs is None and basis == "crossmodal" and max_order >= 2 and max_terms is not None
                and n_grid_terms(n_a, n_b, max_order, basis) > max_terms):
            self._screen = screen_sizes(n_a, n_b, max_terms)
        p = spec.p
        # before any game call: a grid that cannot determine the terms is refused here
        self.m_a, self.m_b = plan_split(budget, n_a, n_b, max_order, p, seed, basis)
        self._A = _group_stream(n_a, self.m_a, p, substream(seed, 1))
        self._B = _group_stream(n_b, self.m_b, p, substream(seed, 2))
        self.m_a, self.m_b = self._A[0].shape[0], self._B[0].shape[0]
        k, ka, kb = max_order, self.k_a, self.k_b
        Ka, Kb = bits.n_sets_upto(n_a, 2 * ka), bits.n_sets_upto(n_b, 2 * kb)
        K = n_grid_terms(n_a, n_b, k, basis)
        chosen = self._screen or (None if self._pairs is None else tuple(map(len, self._pairs)))
        if chosen is not None:
            K = 1 + n_a + n_b + chosen[0] * chosen[1]
        fa, fb = bits.n_sets_upto(n_a, ka), bits.n_sets_upto(n_b, kb)  # the groups' Gram sizes
        self.plan_bytes = nbytes = self._plan_bytes(K, Ka, Kb, fa, fb, chosen is not None)
        require_memory(nbytes, f"grid mode ({self.m_a} x {self.m_b} grid, {K} basis terms: "
                       f"{format_bytes(nbytes)})", argument="budget")
        key = (n_a, n_b, k, basis, float(p), str(backend), self._A[0].tobytes(), self._A[1].tobytes(),
               self._B[0].tobytes(), self._B[1].tobytes(),
               None if self._pairs is None else tuple(c.tobytes() for c in self._pairs))
        self._design = _design_for(key, self._compute_design, 8 * (fa * fa + fb * fb)
                                   + _replicate_bytes(fa) + _replicate_bytes(fb))
        self._gvalues: np.ndarray | None = None  # (m_a, m_b, d)
        self._gknown = np.zeros((self.m_a, self.m_b), dtype=bool)
        self._pending_cells: np.ndarray | None = None
        self._grid_pending = False

    def _plan_bytes(self, K: int, Ka: int, Kb: int, fa: int, fb: int, joint: bool) -> int:
        """Peak memory of the estimate for a scalar game (d = 1): what stays alive from the
        design to the result, plus the largest of the phases that follow one another (each
        measured with tracemalloc at FIxLIP's settings, bench/RESULTS.md):

        * alive throughout: the grid's values, the groups' order-2k moments for the sample and
          R_a, R_b replicates (R = min(16, m) jackknife groups per group), the sample's two
          group factors, their union-rank tables and the replicate factors kept with the
          design (:func:`_replicate_bytes`), the basis (sets of size <= k) and its split;
        * one-way jackknife (a group sampled): the fit and residuals on the grid (2 m_a m_b),
          one replicate factor per group, B's replicate moments (3 R_b f_b m_a while they are
          summed), the A-side weights and their moments (R w (m_a + f_a), w the widest B
          size stratum of the basis) and 3 R K replicate scores and solves;
        * two-way correction (:meth:`_double_counted`, both groups sampled): the projection of
          the (R_a + 1)(R_b + 1) block weightings: the A-side weights (m_a of them per block
          and B set) and their moments, the B moments (R_b + 1) f_b m_a and the block scores
          (R_a + 1)(R_b + 1) K with a gathered copy; then about six arrays of block scores
          while they are solved and their variances formed. The two parts are not alive
          together;
        * the result's sampling state: the packed joint coalitions, their cell indices and
          values (m_a m_b (W + 3) words), built by chunks of STATE_CHUNK_BYTES;
        * a screened cross-modal basis (``joint``): the sample's K x K joint Gram factor alive,
          one replicate's beside it in the jackknife.
        """
        k, ma, mb, nb = self.max_order, self.m_a, self.m_b, self.n_b
        Ra, Rb = min(JK_GROUPS, ma), min(JK_GROUPS, mb)  # at most one group per coalition
        cells = ma * mb
        alive = (8 * (cells + fa * fa + fb * fb + (Ra + 1) * Ka + (Rb + 1) * Kb)
                 + union_table_bytes(self.n_a, self.k_a) + union_table_bytes(nb, self.k_b)
                 + _replicate_bytes(fa, Ra) + _replicate_bytes(fb, Rb))
        W = bits.n_words(self.n_players)
        # the basis: every set of size <= k enumerated (then selected), its split ranks
        alive += 8 * (W * bits.n_sets_upto(self.n_players, k) + 2 * K + (K * K if joint else 0))
        phases = [8 * cells * (W + 3) + 2 * min(STATE_CHUNK_BYTES, 64 * W * cells)]
        sampled_a, sampled_b = ma < _cap(self.n_a), mb < _cap(nb)
        w = max(comb(nb, s) for s in range(min(self.k_b, k - 1) + 1))
        R = max(Ra, Rb)
        if sampled_a or sampled_b:
            phases.append(8 * (2 * cells + fa * fa + fb * fb + 3 * R * K + (K * K if joint else 0)
                               + 3 * (Rb if sampled_b else 1) * fb * ma + R * w * (ma + fa)))
        if sampled_a and sampled_b:
            blocks = (Ra + 1) * (Rb + 1) * K
            phases.append(8 * (2 * cells + max((Ra + 1) * (Rb + 1) * w * (ma + fa) + 2 * blocks
                                               + (Rb + 1) * fb * ma, 6 * blocks)))
        return alive + max(phases)

    # ------------------------------------------------------------------ protocol
    @property
    def n_planned(self) -> int:
        return self.m_a * self.m_b

    @property
    def done(self) -> bool:
        return bool(self._gknown.all())

    @property
    def n_known(self) -> int:
        return int(self._gknown.sum())

    def coalitions_a(self) -> np.ndarray:
        return bits.to_coalitions(self._A[0], self.n_a)

    def coalitions_b(self) -> np.ndarray:
        return bits.to_coalitions(self._B[0], self.n_b)

    def next_grid(self):
        """(C_a (m_a, n_a), C_b (m_b, n_b)) whose full grid is to be evaluated; None when done."""
        if self._pending_cells is not None or self._grid_pending:
            raise RuntimeError("tell the values of the previous batch before asking for more")
        if self.done:
            return None
        if self._gknown.any():
            # after a resume: the rows that still miss values, against every B coalition
            rows = np.flatnonzero(~self._gknown.all(axis=1))
            self._grid_rows = rows
        else:
            self._grid_rows = np.arange(self.m_a)
        self._grid_pending = True
        return self.coalitions_a()[self._grid_rows], self.coalitions_b()

    def tell_grid(self, values) -> None:
        if not self._grid_pending:
            raise RuntimeError("tell_grid() called without a pending grid (call next_grid())")
        rows = self._grid_rows
        arr = as_real_float64(values, "grid_values output")
        if arr.ndim not in (2, 3) or arr.shape[:2] != (rows.size, self.m_b):
            raise ValueError(f"grid values must have shape ({rows.size}, {self.m_b}) or "
                             f"({rows.size}, {self.m_b}, d), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("grid values contain NaN or inf")
        self._grid_pending = False
        self._store_cells(rows[:, None], np.arange(self.m_b)[None, :], arr)

    def _store_cells(self, ia, ib, arr):
        arr3 = arr.reshape(arr.shape[0], arr.shape[1], -1) if arr.ndim >= 2 else arr
        squeeze = arr.ndim == 2
        if self._gvalues is None:
            self._gvalues = np.zeros((self.m_a, self.m_b, arr3.shape[-1]))
            self._squeeze = squeeze
        elif arr3.shape[-1] != self._gvalues.shape[-1] or squeeze != self._squeeze:
            raise ValueError("game output dimension changed between batches")
        self._gvalues[ia, ib] = arr3
        self._gknown[ia, ib] = True

    def _joint(self, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        Ca = self.coalitions_a()[ia]
        Cb = self.coalitions_b()[ib]
        return np.concatenate([Ca, Cb], axis=1)

    def next_coalitions(self, max_rows=None):
        """Joint rows of the grid (row-major), for games without ``grid_values``."""
        if self._pending_cells is not None or self._grid_pending:
            raise RuntimeError("tell() the values of the previous batch before asking for more")
        todo = np.flatnonzero(~self._gknown.reshape(-1))
        if todo.size == 0:
            return None
        if max_rows is not None:
            todo = todo[: max(1, int(max_rows))]
        self._pending_cells = todo
        return self._joint(todo // self.m_b, todo % self.m_b)

    def n_unknown_before(self, upto):
        return int((~self._gknown.reshape(-1)[:upto]).sum())

    def tell(self, values) -> None:
        from ..games.base import check_game_output

        if self._pending_cells is None:
            raise RuntimeError("tell() called without a pending batch (call next_coalitions())")
        cells = self._pending_cells
        arr = check_game_output(values, cells.size)
        self._pending_cells = None
        self._store_cells((cells // self.m_b)[:, None], (cells % self.m_b)[:, None], arr[:, None])

    def abandon_pending(self) -> None:
        self._pending_cells = None
        self._grid_pending = False

    def run_grid(self, game) -> None:
        from ._base import interrupted

        while (nxt := self.next_grid()) is not None:
            Ca, Cb = nxt
            try:
                vals = game.grid_values(Ca, Cb)
            except (Exception, KeyboardInterrupt) as exc:
                raise interrupted(self, np.concatenate([Ca[:1], Cb[:1]], axis=1), exc,
                                  "game.grid_values",
                                  f"a {Ca.shape[0]} x {Cb.shape[0]} grid") from exc
            self.tell_grid(vals)

    def state(self) -> SamplingState:
        ia, ib = np.nonzero(self._gknown)
        # packed by chunks: the m_a m_b x n boolean joint matrix (and from_coalitions' padded
        # copy) of a large grid would be the estimate's largest allocation
        sets = np.empty((ia.size, bits.n_words(self.n_players)), dtype=np.uint64)
        step = max(1, STATE_CHUNK_BYTES // (64 * sets.shape[1]))
        for lo in range(0, ia.size, step):
            sets[lo:lo + step] = bits.from_coalitions(self._joint(ia[lo:lo + step],
                                                                  ib[lo:lo + step]))
        vals = None if self._gvalues is None else self._gvalues[ia, ib]
        return SamplingState(self.config, sets, vals, bool(self._squeeze))

    def preload(self, state: SamplingState) -> int:
        if state.values is None or state.sets.shape[0] == 0:
            return 0
        C = bits.to_coalitions(state.sets, self.n_players)
        ka = [r.tobytes() for r in bits.from_coalitions(C[:, : self.n_a])]
        kb = [r.tobytes() for r in bits.from_coalitions(C[:, self.n_a:])]
        la = {r.tobytes(): i for i, r in enumerate(self._A[0])}
        lb = {r.tobytes(): i for i, r in enumerate(self._B[0])}
        hits = [(la[a], lb[b], j) for j, (a, b) in enumerate(zip(ka, kb)) if a in la and b in lb]
        if not hits:
            return 0
        h = np.array(hits)
        vals = state.values[h[:, 2]]
        if self._gvalues is None:
            self._gvalues = np.zeros((self.m_a, self.m_b, vals.shape[1]))
            self._squeeze = state.squeeze
        self._gvalues[h[:, 0], h[:, 1]] = vals
        self._gknown[h[:, 0], h[:, 1]] = True
        return len(hits)

    def result(self):
        if not self.done:
            raise RuntimeError(f"{int((~self._gknown).sum())} grid cells are not evaluated yet")
        if self._screen is not None:
            return self._screened()
        with blas_limit():  # one BLAS thread
            values, stderr, info = self._compute_grid()
        n_eval = self.m_a * self.m_b
        info["n_evaluations"] = n_eval
        out = self._wrap_grid(values, stderr, info)
        return out

    def _on_these_values(self, pairs) -> GridEstimator:
        """An estimator of the same grid (same budget, seed, coalitions) with the cross-modal
        basis restricted to the pairs of ``pairs``, holding this one's values."""
        est = GridEstimator(self.n_players, self.spec, self.budget, self.max_order, self.seed,
                            self.config, n_a=self.n_a, n_b=self.n_b, backend=self.backend,
                            basis=self.basis, pairs=pairs)
        est._gvalues, est._gknown, est._squeeze = self._gvalues, self._gknown, self._squeeze
        return est

    def _screened(self):
        r"""The cross-modal basis capped at ``max_terms`` by a first-order screen, as FIxLIP's
        "interactive approach" (Baniecki et al., NeurIPS 2025; ``get_top_clique_players``):
        the main effects are fitted first on the grid's values (the empty set and every
        player), then the empty set, every player and the pairs C_A x C_B of the c_a patches
        and c_b tokens of largest |main effect| (:func:`screen_sizes`), by the same p-weighted
        least squares on the same cells. The selection uses the values, so the standard errors
        are conditional on it (they do not count the screen's own variability)."""
        first = self._on_these_values(((), ())).result()
        ca, cb = self._screen
        main = first.values[first.sizes == 1]
        score = np.abs(main) if main.ndim == 1 else np.abs(main).sum(axis=1)
        top_a = np.sort(np.argsort(-score[: self.n_a], kind="stable")[:ca])
        top_b = np.sort(np.argsort(-score[self.n_a:], kind="stable")[:cb])
        out = self._on_these_values((top_a, top_b)).result()
        out.info["screen"] = {"max_terms": self.config.get("max_terms"), "players_a":
                              top_a.tolist(), "players_b": (self.n_a + top_b).tolist(),
                              "main_effects": main}
        out.info["plan_bytes"] = self.plan_bytes
        return out

    # ------------------------------------------------------------------ estimate
    def _basis_split(self):
        """Joint basis (sets of size <= k, colex; those of the basis) -> (rank in A basis, rank
        in B basis)."""
        na = self.n_a
        C = bits.to_coalitions(self.basis_sets, self.n_players)
        A = bits.from_coalitions(C[:, :na])
        B = bits.from_coalitions(C[:, na:])
        return set_ranks(A, na, self.k_a), set_ranks(B, self.n_b, self.k_b)

    @property
    def basis_sets(self) -> np.ndarray:
        """The basis terms as packed sets (size, then colex order), the result's sets."""
        sets = self.__dict__.get("_basis_sets")
        if sets is None:
            sets = bits.enumerate_sets(self.n_players, 0, self.max_order)
            if self.basis != "full":  # on the words: no (sets x n) boolean matrix
                in_a = bits.from_coalitions(np.arange(self.n_players)[None] < self.n_a)
                na_of = bits.sizes(sets & in_a)
                size = bits.sizes(sets)
                keep = (na_of <= self.k_a) & (size - na_of <= self.k_b)
                if self._pairs is not None:  # pairs of the chosen players only
                    on = np.zeros((1, self.n_players), dtype=bool)
                    on[0, self._pairs[0]] = True
                    on[0, self.n_a + self._pairs[1]] = True
                    keep &= (size <= 1) | (bits.sizes(sets & bits.from_coalitions(on)) == size)
                sets = np.ascontiguousarray(sets[keep])
            self._basis_sets = sets
        return sets

    @property
    def _mean_entry(self) -> bool:
        """A Banzhaf value's empty-set entry is the mean E_p[v] = beta_0 + p sum_i beta_i (its
        Moebius row 0 is p^t), not the fitted intercept (FBII/FWBII)."""
        return self.spec.baseline == "empty" and not self.spec.empty_is_value

    def _compute_design(self):
        """Everything of the estimate that does not depend on the values (see _Design): cell
        weights, the jackknife replicate weights of both groups, the basis split, the group
        moments (full sample and replicates, one pass per group) and the factorised Gram."""
        k, na, nb, p = self.max_order, self.n_a, self.n_b, self.spec.p
        SA, sizeA, drawA = self._A
        SB, sizeB, drawB = self._B
        wa, compA = _weights(sizeA, na, p)
        ub, compB = _weights(sizeB, nb, p)
        jkA = _jk_groups(wa, sizeA, compA, drawA)
        WA = np.column_stack([wa, _jk_weights(wa, sizeA, compA, drawA, groups=jkA)])
        jkB = _jk_groups(ub, sizeB, compB, drawB)
        WB = np.column_stack([ub, _jk_weights(ub, sizeB, compB, drawB, groups=jkB)])
        ia, ib = self._basis_split()
        # Gram from per-group moments: G = M_A[alpha u alpha'] * M_B[beta u beta']
        # complement="auto": coalitions larger than n/2 go through their complements only when
        # that halves the work (not at p = 0.5, where the sizes are symmetric)
        auto = {"backend": self.backend, "complement": "auto"}
        ka, kb = self.k_a, self.k_b
        momA = subset_moments(SA, na, 2 * ka, WA, **auto)[0]  # (sets of size <= 2k_a, 1 + R_a)
        momB = subset_moments(SB, nb, 2 * kb, WB, **auto)[0]
        UA = union_ranks(na, ka, 0)
        UB = union_ranks(nb, kb, 0)
        # a group's Gram is gathered from its moments when needed and factorised in place:
        # at most two group factors (the full sample's, one replicate's) are alive at once
        def gram(side: int, col: int) -> np.ndarray:
            return (momA[:, col][UA] if side == 0 else momB[:, col][UB])

        LA0, LB0 = _chol(gram(0, 0)), _chol(gram(1, 0))
        blocks = None if self._pairs is not None else (  # the groups' product only
            _blocks(ia, na, ib, nb, k, ka, kb), _blocks(ib, nb, ia, na, k, kb, ka))

        def solver_of(ca: int, cb: int, LA, LB):
            # a group's Gram is singular, or the basis is not the groups' product (screened
            # pairs): the joint system's solver
            if LA is None or LB is None or self._pairs is not None:
                return spd_solver(_gram(gram(0, ca), gram(1, cb), ia, ib), overwrite=True)
            return _kron_solver(LA, LB, *blocks), "cholesky per group"

        solve, solver = solver_of(0, 0, LA0, LB0)

        # joint terms some replicate does not determine (its group's Gram lost rank with the
        # jackknife group left out): a minimum-norm solve would give them a zero replicate
        # difference, understating their variance; their stderr is inf instead
        undetermined = np.zeros(ia.size, dtype=bool)
        singular = []

        def fresh(side: int, g: int):
            """Solver of the Gram with jackknife group g of group A (side 0) or B left out: one
            factorisation of that group's Gram, the other group's factor reused. A Gram that is
            not positive definite marks the terms it does not determine (_lost)."""
            G = gram(side, 1 + g)
            L = _chol(G)  # G is consumed
            if L is None:
                _lost(side, g)
            return (solver_of(1 + g, 0, L, LB0) if side == 0 else solver_of(0, 1 + g, LA0, L))[0]

        def _lost(side: int, g: int):
            if (side, g) not in singular:
                singular.append((side, g))
                null = np.flatnonzero(_null_terms(gram(side, 1 + g)))
                undetermined[np.isin(ia if side == 0 else ib, null)] = True

        # a side's replicate factors are kept with the design when they fit
        cached = [[fresh(side, g) for g in range(R)]
                  if _replicate_bytes(U.shape[0], R) and self._pairs is None else None
                  for side, U, R in ((0, UA, WA.shape[1] - 1), (1, UB, WB.shape[1] - 1))]

        def replicate(side: int, g: int):
            return fresh(side, g) if cached[side] is None else cached[side][g]
        # the replicates' scores with the finite-population factor (_jk_fpc_root): A's as
        # weights w_a + s_h (W_aj - w_a), B's per stratum (s_h); their Grams above keep the
        # replicate weights (a replicate refit sees the leverage of what it leaves out)
        fA = _jk_fpc_root(jkA[0], sizeA, na, jkA[2].shape[0])[jkA[0]][:, None]
        scoresA = wa[:, None] + fA * (WA[:, 1:] - wa[:, None])
        fB = _jk_fpc_root(jkB[0], sizeB, nb, jkB[2].shape[0])
        # undetermined / singular are complete once every replicate was asked for (a side whose
        # factors are not kept factorises them in each result's jackknife)
        return (wa, ub, WA[:, 1:], jkB, ia, ib, solve, solver, replicate,
                (undetermined, singular, scoresA, fB))

    def _compute_grid(self):
        k, na, nb, p = self.max_order, self.n_a, self.n_b, self.spec.p
        be = self.backend
        SA = self._A[0]
        SB = self._B[0]
        V = self._gvalues
        ma, mb, d = V.shape
        wa, ub, RA, jkB, ia, ib, solve, solver, replicate, (undet, singular, scoresA, fB) = \
            self._design.get()
        K = ia.size
        ka, kb = self.k_a, self.k_b
        Ka, Kb = bits.n_sets_upto(na, ka), bits.n_sets_upto(nb, kb)
        auto = {"backend": be, "complement": "auto"}

        size_of_b = np.repeat(np.arange(kb + 1), [comb(nb, s) for s in range(kb + 1)])[ib]

        def project(Vx, WA, WB):
            """H[i, j, (alpha, beta)] = sum_a WA[a, i] [alpha in A_a] sum_b WB[b, j] Vx_ab
            [beta in B_b], for the basis terms only: a term with |beta| = s needs A-side
            moments up to order k - s, never the full Ka x Kb table. Columns of WA / WB are
            weightings of the coalitions (the sample's, or jackknife replicates'); WB is given
            as terms (:func:`_terms`), each one bucketed pass of the B moments over the ma d
            value columns, whatever the number of its columns."""
            Ra, Vt = WA.shape[1], Vx.transpose(1, 0, 2)
            Z = sum(np.tensordot(C, subset_moments(SB, nb, kb, (w[:, None, None] * Vt).reshape(
                mb, ma * d), bucket, C.shape[0], **auto), axes=(0, 0)) for w, bucket, C in WB)
            Rb = Z.shape[0]
            Z = Z.reshape(Rb, Kb, ma, d)
            out = np.empty((Ra, Rb, K, d))
            for s in range(kb + 1):
                sel = np.flatnonzero(size_of_b == s)
                if sel.size == 0:
                    continue
                lo, hi = bits.offset(nb, s), bits.offset(nb, s + 1)
                top = min(ka, k - s)  # the A-side orders of these terms
                if top == 0:  # alpha is the empty set: a plain sum over the A coalitions
                    out[:, :, sel] = np.tensordot(WA, Z[:, ib[sel]], axes=(0, 2))
                    continue
                # Y[a, i, c, j, e] = WA[a, i] Z[j, c, a, e], written in place (einsum built it
                # through a temporary of its size: the projection's largest array, twice)
                Y = np.empty((ma, Ra, hi - lo, Rb, d))
                np.multiply(WA[:, :, None, None, None], Z[:, lo:hi].transpose(2, 1, 0, 3)[:, None],
                            out=Y)
                Y = Y.reshape(ma, -1)
                Hs = subset_moments(SA, na, top, Y, **auto)[0].reshape(-1, Ra, hi - lo, Rb, d)
                out[:, :, sel] = Hs[ia[sel], :, ib[sel] - lo].transpose(1, 2, 0, 3)
            return out

        h = project(V, wa[:, None], _terms(ub))[0, 0]  # (K, d)
        beta = solve(h)
        # residuals on the grid: V_hat[a, b] = sum_alpha [alpha in A_a] sum_beta beta_(alpha,beta) [beta in B_b]
        coef = np.zeros((Ka, Kb, d))
        coef[ia, ib] = beta
        Q = subset_gather(SB, nb, kb, coef.transpose(1, 0, 2).reshape(Kb, Ka * d), **auto)
        Q = Q.reshape(mb, Ka, d).transpose(1, 0, 2).reshape(Ka, mb * d)
        Vhat = subset_gather(SA, na, ka, Q, **auto).reshape(ma, mb, d)
        E = V - Vhat
        # standard errors: delete-a-group jackknife over the coalitions of each group. The
        # replicate with group g left out is beta_g = G_g^-1 h_g, and exactly
        # beta_g - beta = G_g^-1 X' W_g E (the full sample's residual scores vanish), so each
        # replicate costs a projection of the residuals and a solve, not a refit on the grid.
        lin = p if self._mean_entry else None

        def to_index(delta):  # BV / WBV: the intercept of the fit is not the value's baseline
            if lin is not None:
                delta[..., 0, :] = delta[..., 0, :] + lin * delta[..., 1:, :].sum(axis=-2)
            return delta

        # B's replicate j weights ub c[h, j] except its group j: one pass by stratum, one by group
        hB, gB, cB = jkB
        Rb = cB.shape[1]
        var_side = []
        for side, R in ((0, RA.shape[1]), (1, Rb)):
            if R == 0:  # every coalition of this group is in a complete stratum: exact
                var_side.append(np.zeros((K, d)))
                continue
            # replicate scores with the finite-population factor s_h: weights w + s_h (W_g - w)
            if side == 0:
                S = project(E, scoresA, _terms(ub))[:, 0]  # (R, K, d)
            else:
                # B's replicate j: u_b (1 + s_h (c[h, j] - 1)), its own group u_b (1 - s_h)
                g0 = np.maximum(gB, 0)
                own = np.where(gB >= 0, -ub * fB[hB] * cB[hB, g0], 0.0)
                S = project(E, wa[:, None], _terms(ub, hB, 1.0 + fB[:, None] * (cB - 1.0))
                            + _terms(own, g0, np.eye(Rb)))[0]
            delta = to_index(np.stack([replicate(side, g)(S[g]) for g in range(R)]))
            var_side.append((R - 1) / R * (delta ** 2).sum(axis=0))
        var = var_side[0] + var_side[1]
        if RA.shape[1] and Rb:
            # indicator columns of B's groups, then all of B: one pass, bucket = group
            IB = _terms(ub, np.where(gB >= 0, gB, Rb), np.column_stack(
                [np.eye(Rb + 1)[:, :Rb], np.ones(Rb + 1)]))
            var *= 1.0 - self._double_counted(project, solve, to_index, E, wa, RA, IB)
        if self._mean_entry:
            beta[0] = beta[0] + p * beta[1:].sum(axis=0)
            if undet[1:1 + na + nb].any():  # the mean entry sums every order-1 term
                undet = undet.copy()
                undet[0] = True
        var[undet] = np.inf
        # the plan (plan_split) only admits grids whose groups' designs have full rank
        info = {"solver": solver, "grid": (ma, mb), "player_groups": (na, nb), "basis": self.basis,
                "plan_bytes": self.plan_bytes, "identifiable": True,
                "design_rank": {"group A": (Ka, Ka), "group B": (Kb, Kb)},
                "stderr_method": f"delete-a-group jackknife ({RA.shape[1]} + {Rb} groups)",
                "jackknife_rank_deficient": len(singular)}
        return beta, np.sqrt(var), info

    @staticmethod
    def _double_counted(project, solve, to_index, E, wa, RA, IB):
        """Share of the summed A- and B-jackknife variances that counts the cell-level part
        twice. With the linearised errors psi_ab = alpha_a + beta_b + gamma_ab (Hoeffding),
        deleting A coalitions sees alpha and gamma, deleting B coalitions beta and gamma, so
        their sum holds gamma's variance C twice (Cameron, Gelbach and Miller 2011, two-way
        clustering: V = V_A + V_B - V_AB). C is estimated from the jackknife groups' blocks:
        with block totals d_gh = G^-1 s_gh, V_blk = V_A / R_b + V_B / R_a + C (1 - 1/R_a -
        1/R_b) on the linearised scale; the share C / (V_A + V_B) found there is removed from
        the jackknife's sum (clipped to [0, 1/2])."""
        IA = np.column_stack([np.where(RA == 0, wa[:, None], 0.0), wa])  # groups, then all
        S = project(E, IA, IB)  # (Ra + 1, Rb + 1, K, d)
        Ra, Rb = S.shape[0] - 1, S.shape[1] - 1
        Kd = S.shape[2:]
        D = to_index(solve(S.transpose(2, 0, 1, 3).reshape(Kd[0], -1)).reshape(
            Kd[0], Ra + 1, Rb + 1, Kd[1]).transpose(1, 2, 0, 3))

        def rg(x):  # random-groups variance over the first axis
            n = x.shape[0]
            return n / (n - 1) * ((x - x.mean(axis=0)) ** 2).sum(axis=0)

        va = rg(D[:Ra, Rb])  # group g of A against all of B
        vb = rg(D[Ra, :Rb])
        vblk = rg(D[:Ra, :Rb].reshape((Ra * Rb,) + D.shape[2:]))
        c = (vblk - va / Rb - vb / Ra) / (1.0 - 1.0 / Ra - 1.0 / Rb)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(va + vb > 0, c / (va + vb), 0.0)
        return np.clip(share, 0.0, 0.5)

    def _wrap_grid(self, values, stderr, info):
        from ..results import InteractionResult

        if self._squeeze:
            values, stderr = values[:, 0], stderr[:, 0]
        base = values[0] if self.spec.baseline == "intercept" else (
            self._gvalues[0, 0, 0] if self._squeeze else self._gvalues[0, 0])
        info = {"method": "regression (grid)", "seed": self.seed, **info}
        n_eval = info.pop("n_evaluations")
        info["sampling_state"] = self.state()
        full = self.m_a == (1 << self.n_a) and self.m_b == (1 << self.n_b)
        return InteractionResult(values, self.basis_sets,
                                 n_players=self.n_players, index=self.label,
                                 max_order=self.max_order, min_order=0, baseline_value=base,
                                 stderr=stderr, estimated=not full, budget_used=n_eval,
                                 n_evaluations=n_eval, info=info)
