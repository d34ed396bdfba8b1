"""method="sparse": adaptive sparse Moebius recovery for hundreds to thousands of players.

The game is assumed close to a sparse sum of unanimity games, v(T) = sum_{S subset T} m(S) with
few non-zero m(S) of order <= cap. The estimator finds the support by adaptive splitting (a
group-testing search in the Moebius domain), then fits the coefficients on that support by least
squares over every evaluated coalition, and maps them to the requested index exactly
(phi(S) = sum_{T superset S} c[|S|, |T|] m(T), the index's Moebius weights). docs/sparse.md has
the derivation; the cost is O(terms * order * log2(n)) evaluations for the search, memory
O(budget * n / 64 + support^2), never C(n, k).

The search. A node is a tuple of disjoint cells K = (c_1, ..., c_r) (ranges of a random
permutation of the players) with M(K) = sum of the not-yet-found m(T) over the sets T inside
c_1 u ... u c_r that meet every cell. When every proper face of K (a sub-tuple of cells, or a
cell replaced by part of it) holds no unfound term, the residual game r = v - (found terms)
gives M(K) = r(c_1 u ... u c_r) from one evaluation. Splitting c_1 = A u B partitions the terms
of K into those of (A, c_2..), (B, c_2..) and (A, B, c_2..): two evaluations, r(A u c_2 ..) and
r(B u c_2 ..), give the first two, the third is M(K) minus both and is searched once the first
two are finished (then its faces are clean). A node whose |M| falls below the threshold is
dropped; a node of single-player cells is a found term T with m(T) = M(K). This is adaptive
group testing with AND (unanimity) semantics (Li and Ramchandran's sparse Walsh-Hadamard
recovery and SPEX, Kang et al., ICML 2025, alias sets into buckets and peel them; here the
buckets are the nodes, and each is split until it holds one set).

The threshold follows the noise: a probe evaluates the 2^g unions of g = cap + 2 random player
groups; a sum of terms of order <= cap has no Walsh-Hadamard coefficient on more than cap
groups, so those coefficients estimate the level of everything the sparse model cannot hold.

The search has a share of the budget (PLAN); the rest is uniform coalitions, on which forward
selection in the AND basis (:func:`grow`) with subset augmentation and backward elimination
finds what the search did not reach: with many terms per evaluation (100 terms at 2,000) it
finds most of them, and on a noisy game below 20,000 evaluations it is the only source.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .. import sets as bits
from ..backends import KERNELS
from ..games.base import check_game_output
from ..indices import Index
from ..results import InteractionResult
from ._base import SamplingState

#: threshold on |M(K)| in units of the probe's noise level (a null node passes with probability
#: 0.05 and has 3 children: the search of noise dies out, 3 * 0.05 < 1)
Z_NOISE = 2.0
#: relative threshold (of the game's scale) below which nothing is searched on a noise-free game
REL_TOL = 1e-9
#: nodes up to this depth are split whatever their |M| (sums of terms may cancel near the root)
FORCE_DEPTH = 3
#: the budget's plan: (uniform coalitions drawn before the search, the search's own evaluations
#: at most, the noise probe included), as shares of the budget; the rest of the budget is more
#: uniform coalitions. Uniform coalitions serve the refits, the forward selection (:func:`grow`)
#: and the held-out error; the search finds terms exactly on a noise-free game at a cost of
#: about order * log2(n) evaluations each, so it pays when the budget is large per term. With
#: the forward selection, a small search share is enough: 100 terms at 2,000 evaluations,
#: noise-free, R^2 0.85-0.96 with (0.25, 0.5) and 1.0000 at n = 128..1000 with (0.35, 0.3)
#: (session 9, bench/RESULTS.md)
PLAN = (0.35, 0.30)
#: on a noisy game below NOISY_SMALL_BUDGET evaluations no search (the search's single
#: evaluations, 2^r per child, starve while the forward selection averages the noise over every
#: uniform coalition); from NOISY_SMALL_BUDGET on the search has half the budget (at 50,000 the
#: longer search found more: n = 128, 20 terms, recall 0.90 vs 0.75)
PLAN_NOISY_SMALL = (1.0, 0.0)
PLAN_NOISY = (0.25, 0.5)
#: grid mode (player_groups): the search stops when the run's evaluations reach this share of
#: the budget, after 1 - share of it drawn uniformly (session 8's plan)
SEARCH_SHARE_GRID = 0.75
SEARCH_SHARE_GRID_NOISY = 0.5
NOISY_SMALL_BUDGET = 20000
#: the noise probe (2^g evaluations, g = cap + 2 groups) is repeated with new groups up to
#: this share of the budget and this many times: its coefficients on more than cap groups are
#: the noise level's degrees of freedom (g + 1 a probe) and, against those on 1..cap groups,
#: the test that the residual is white (SparseEstimator._probe_shape: one probe at cap = 2 has
#: 5 against 10, too few to see order-3 and -4 sets beyond the cap)
PROBE_SHARE = 0.1
#: a residual at rounding level certifies the sparse model once the uniform and probe
#: coalitions would have shown a missed set of at most cap players with this probability
#: (SparseEstimator._check: soum, 10 players, budget 112: 10 of 200 seeds with 39 uniform
#: coalitions called a wrong model exact)
MISS_LEVEL = 0.01
PROBES_MAX = 8
#: uniform coalitions are drawn in blocks of this many (a prefix stream: refine reuses them)
UNIFORM_BLOCK = 512
#: folds of the held-out error over the uniform coalitions
FOLDS = 5
#: a probe noise level below this share of the game's scale counts as noise-free
NOISE_FLOOR = 1e-8
#: searches on the residual of the refitted support, each with a new permutation
MAX_PASSES = 4
#: Walsh-Hadamard screening of the residual: uniform rows used, rounds, extensions per set
SCREEN_ROWS = 20000
SCREEN_ROUNDS = 3
SCREEN_WIDTH = 64
#: forward selection in the AND basis (:func:`grow`) instead of the Walsh-Hadamard screening:
#: uniform rows used, outer rounds of growth and pruning, sets added per refit, thresholds
GROW = True
GROW_ROWS = 8000
GROW_OUTER = 3
GROW_STEP = 8
GROW_Z = 3.5
GROW_Z_PAIR = 4.5
GROW_FULL = True
#: the support with every player added when its held-out error on the uniform rows is below
#: this share of the sparse support's, tried from this many uniform rows per column
DENSE_GAIN = 0.8
DENSE_ROWS = 2
DENSE_MIN_LOSS = 0.05
#: then the forward selection goes on from the every-player support at this level (pairs one
#: higher), this many sets a round, at most this many rounds, cut at the held-out best length
DENSE_GROW_Z = 2.0
DENSE_GROW_STEP = 8
DENSE_GROW_ROUNDS = 24
#: the lengths of the path (sets beyond the every-player support) the cross-validation tries
DENSE_CUTS = (0, 8, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192)
#: the path's length and the final fit's ridge penalty (these shares of the uniform rows) are
#: chosen together by this many folds of cross-validation on the uniform rows
DENSE_FOLDS = 10
DENSE_RIDGE = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02)
#: the every-player support's final fit is on the uniform rows alone (SparseEstimator._dense_fit)
DENSE_FIT_UNIFORM = True
#: backward elimination after screening: sets below this many standard errors are dropped
T_DROP = 3.0
PRUNE_ROUNDS = 4
#: the final coefficients come from the uniform coalitions alone when their 5-fold held-out
#: mean squared error is below this share of the fit on every coalition
FIT_UNIFORM_GAIN = 0.8
#: up to this many sets of size <= max_order the result holds every one of them (the layout of
#: every other estimator; zeros outside the recovered support), beyond it only the subsets of
#: the support
DENSE_SETS = 1 << 14

CONTAINMENT = KERNELS["sparse.containment"]
EXPLANATION_GAME = KERNELS["fidelity.explanation_game"]


# ---------------------------------------------------------------------------- Moebius -> index
def moebius_to_index(support: np.ndarray, n: int, weights: np.ndarray, k: int):
    """The sparse map from Moebius coefficients on ``support`` to an index of order ``k``.

    phi(S) = sum_{T in support, T superset S} c[|S|, |T|] m(T) for |S| <= k; only subsets of
    support sets can be non-zero. Returns (sets (q, W) ordered by size then value, A) with A a
    scipy.sparse (q, p) matrix, phi = A m. The empty set is always row 0.
    """
    import scipy.sparse as sp

    p = support.shape[0]
    sizes = bits.sizes(support)
    keys: dict[bytes, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    out_sets: list[np.ndarray] = []

    def key_row(w: np.ndarray) -> int:
        b = w.tobytes()
        r = keys.get(b)
        if r is None:
            r = keys[b] = len(out_sets)
            out_sets.append(w)
        return r

    key_row(np.zeros(support.shape[1], dtype=np.uint64))
    for j in range(p):
        t = int(sizes[j])
        mem = bits.set_to_players(support[j])
        for mask in range(1 << t):
            sub = [mem[i] for i in range(t) if mask >> i & 1]
            s = len(sub)
            if s > k or weights[s, t] == 0.0:
                continue
            rows.append(key_row(bits.players_to_set(sub, n)))
            cols.append(j)
            vals.append(float(weights[s, t]))
    S = np.array(out_sets, dtype=np.uint64).reshape(len(out_sets), support.shape[1])
    order = np.lexsort(tuple(S[:, w] for w in range(S.shape[1])) + (bits.sizes(S),))
    inv = np.empty_like(order)
    inv[order] = np.arange(order.size)
    A = sp.csr_matrix((vals, (inv[np.array(rows, dtype=np.int64)], cols)),
                      shape=(S.shape[0], p))
    return np.ascontiguousarray(S[order]), A


def from_moebius(moebius: InteractionResult, index: Any, *, p: float = 0.5) -> InteractionResult:
    r"""Any cardinal index from a sparse result of Moebius coefficients, exactly.

    Every cardinal index is linear in the Moebius coefficients (Grabisch 1997; Fujimoto,
    Kojadinovic and Marichal 2006): phi(S) = sum_{T superset S} c[|S|, |T|] m(T), with c the
    index's Moebius weights (``Index.moebius_weights``). Standard errors follow from the
    coefficients' covariance ``moebius.info["covariance"]`` when present (else from their
    standard errors, as if independent).

    Parameters
    ----------
    moebius : InteractionResult
        Moebius coefficients (``index="Moebius"``), e.g. ``result.info["moebius"]`` of
        ``approximate(..., method="sparse")``; sets absent from it are 0.
    index : str or index object
        A name of ``interplay.indices.INDEX_NAMES`` with Moebius weights, or an index object; a
        name takes ``moebius.max_order`` as its order (values: 1).
    p : float
        Product-measure weight of WBV / WBII / FWBII.
    """
    from ..indices import get_index

    if not isinstance(moebius, InteractionResult):
        raise TypeError(f"moebius must be an InteractionResult, got {type(moebius).__name__}")
    if moebius.index != "Moebius":
        raise ValueError(f"moebius must hold Moebius coefficients, got index {moebius.index!r}")
    idx = get_index(index, None, p=p)
    if isinstance(index, str) and idx.kind != "value":
        idx = get_index(idx, max(1, min(moebius.max_order, moebius.n_players)))
    if "moebius_weights" not in idx.capabilities:
        raise ValueError(f"index: {idx.name!r} has no Moebius weights (not a cardinal index)")
    n = moebius.n_players
    k = idx.resolve_order(n)
    words = moebius.words
    vals = np.asarray(moebius.values, dtype=np.float64).reshape(len(moebius), -1)
    nonempty = bits.sizes(words) > 0
    empty_val = vals[~nonempty].sum(axis=0)
    support, m = words[nonempty], vals[nonempty]
    cov = moebius.info.get("covariance")
    se = None if moebius.stderr is None else np.asarray(moebius.stderr).reshape(len(moebius), -1)
    out = _index_values(idx, n, k, support, m, empty_val, cov=cov,
                        se=None if se is None else se[nonempty],
                        resid_var=moebius.info.get("resid_var"),
                        identified=moebius.info.get("identifiable", True) is not False,
                        end_resid=moebius.info.get("end_resid"))
    values, stderr, sets = out
    squeeze = np.asarray(moebius.values).ndim == 1
    base = values[0] if idx.baseline == "intercept" else empty_val
    if squeeze:
        values, stderr, base = values[:, 0], stderr[:, 0], base[0]
    return InteractionResult(values, sets, n_players=n, index=idx.name if not isinstance(index, str)
                             else index, max_order=k, baseline_value=base, stderr=stderr,
                             estimated=moebius.estimated, budget_used=moebius.budget_used,
                             n_evaluations=moebius.n_evaluations,
                             player_names=moebius.player_names)


def noise_norms(idx: Index, n: int, k: int) -> tuple[np.ndarray, np.ndarray, str]:
    r"""(||a_S||^2 for \|S\| = 0..k without the empty and grand coalitions, (a_S(empty),
    a_S(N)) (k + 1, 2), how they were computed): the variance of phi(S) of a game of
    independent values of unit variance on every coalition but the two the estimator always
    evaluates. With the derivative form phi(S) = sum_U a_S(U) v(U),
    a_S(U) = (-1)^{s - |U n S|} w[s, |U minus S|] (Grabisch and Roubens 1999), so
    ||a_S||^2 = 2^s sum_u C(n - s, u) w[s, u]^2 - a_S(empty)^2 - a_S(N)^2. (For the Shapley
    interaction index the two ends are a quarter of it at 25 players: a share every pair has
    in common, which a residual known there must not count as noise.)

    The derivative weights come from ``idx.derivative_weights(n)`` up to 64 players; for
    indices given by their Moebius weights the back substitution loses every digit beyond
    about 30 players (k-SII, FSII at 60: norms of 1e4-1e6 where the true ones are below 1), so
    a norm that is not finite or exceeds 2^s (the Moebius index's own, the largest of the
    built-in indices) is replaced by the Shapley interaction index's closed form,
    ||a_S||^2 = 2^s / (n - s + 1)^2 sum_u 1 / C(n - s, u) ("SII stand-in"), as it is beyond
    64 players."""
    from math import lgamma

    def sii(s: int) -> float:
        u = np.arange(n - s + 1)
        logc = lgamma(n - s + 1) - np.array([lgamma(x + 1) + lgamma(n - s - x + 1) for x in u])
        return float((1 << s) * np.exp(-logc).sum() / (n - s + 1) ** 2)

    # the empty and grand coalitions are evaluated: their residual is known (ends), not noise
    out = np.array([sii(s) - 2.0 / (n - s + 1) ** 2 for s in range(k + 1)])
    ends = np.array([[1.0 / (n - s + 1)] * 2 for s in range(k + 1)])
    how = "SII stand-in"
    if n <= 64:
        import warnings
        from math import comb

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            w = np.asarray(idx.derivative_weights(n), dtype=np.float64)
        how = "derivative weights"
        for s in range(min(k, w.shape[0] - 1) + 1):
            c = np.array([float(comb(n - s, u)) for u in range(n - s + 1)])
            v = float((1 << s) * (c * w[s, : n - s + 1] ** 2).sum())
            if np.isfinite(v) and v <= (1 << s) * (1 + 1e-9):
                ends[s] = ((-1) ** s * w[s, 0], w[s, n - s])
                out[s] = max(v - ends[s, 0] ** 2 - ends[s, 1] ** 2, 0.0)
            else:
                how = "derivative weights (SII stand-in where they lost their digits)"
    return out, ends, how


def _add_ends(values: np.ndarray, sets: np.ndarray, ends: np.ndarray, end_resid) -> None:
    """values (q, d) += a_S(empty) r(empty) + a_S(N) r(N) for the non-empty sets: the known
    residuals at the two coalitions every run evaluates (``ends`` from :func:`noise_norms`)."""
    size = bits.sizes(sets)
    r0, rN = (np.asarray(r, dtype=np.float64).reshape(1, -1) for r in end_resid)
    values += (size > 0)[:, None] * (ends[size, :1] * r0 + ends[size, 1:] * rN)


def _index_values(idx: Index, n: int, k: int, support: np.ndarray, m: np.ndarray,
                  empty_val: np.ndarray, *, cov: np.ndarray | None, se: np.ndarray | None,
                  resid_var: np.ndarray | None = None, identified: bool = True,
                  end_resid: tuple | None = None):
    """(values (q, d), stderr (q, d), sets (q, W)) of ``idx`` from Moebius coefficients m (p, d)
    on ``support`` (non-empty sets) and m(empty) = empty_val; cov (p, p) is the coefficients'
    covariance per unit of each output's variance scale (cov[..., d]) or None. ``resid_var``
    (d,): the variance of what the sparse model does not hold, read as independent values:
    its share of phi(S), resid_var ||a_S||^2 (:func:`noise_norms`), is added to the variance;
    ``identified`` False (the residual holds structure: :meth:`SparseEstimator._check`) makes
    every standard error but the empty set's inf. ``end_resid`` (r(empty), r(N)), each (d,):
    the model's residuals at the empty and grand coalitions, known exactly, whose share
    a_S(empty) r(empty) + a_S(N) r(N) is added to every non-empty set's value (the
    finite-population predictor: known values enter as they are, Royall 1970)."""
    c = idx.moebius_weights(n)
    tmax = int(bits.sizes(support).max()) if support.shape[0] else 0
    sets, A = moebius_to_index(support, n, c[:, : max(tmax, 0) + 1], k)
    values = np.asarray(A @ m).reshape(sets.shape[0], -1)
    values[0] += c[0, 0] * empty_val
    if cov is not None:
        # cov (d, p, p): Var(phi) = diag(A Cov A^T) per output
        covs = cov if cov.ndim == 3 else cov[None]
        var = np.stack([np.asarray(A.multiply(A @ C).sum(axis=1)).ravel() for C in covs], axis=1)
        stderr = np.sqrt(np.maximum(var, 0.0))
    elif se is not None:
        stderr = np.sqrt(np.asarray(A.multiply(A) @ (se**2)).reshape(sets.shape[0], -1))
    else:
        stderr = np.zeros_like(values)
    # a coefficient the design does not determine has inf; inf * 0 in the map is NaN
    stderr = np.where(np.isnan(stderr), np.inf, stderr)
    if resid_var is not None:
        norms, ends, _ = noise_norms(idx, n, k)
        size = bits.sizes(sets)
        add = norms[size][:, None] * np.asarray(resid_var).reshape(1, -1)
        stderr = np.sqrt(stderr**2 + add)
        if end_resid is not None:
            _add_ends(values, sets, ends, end_resid)
    if not identified:
        stderr = np.full_like(stderr, np.inf)
    if idx.empty_is_value:
        values[0] = empty_val
        stderr[0] = 0.0
    return values, stderr, sets


# ---------------------------------------------------------------------------- least squares
def containment(sets: np.ndarray, coalitions: np.ndarray, backend: str = "auto") -> np.ndarray:
    """X[i, j] = 1.0 if sets[j] is a subset of coalitions[i] (words), float64 (m, p)."""
    _, impl = CONTAINMENT.select(backend)
    out = np.empty((coalitions.shape[0], sets.shape[0]), dtype=np.float64)
    impl(np.ascontiguousarray(sets, dtype=np.uint64),
         np.ascontiguousarray(coalitions, dtype=np.uint64), out)
    return out


def _gram(support: np.ndarray, C: np.ndarray, y: np.ndarray, backend: str,
          chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """(X^T X, X^T y) of the containment design, in chunks of coalitions."""
    p = support.shape[0]
    G = np.zeros((p, p))
    b = np.zeros((p, y.shape[1]))
    for s in range(0, C.shape[0], chunk):
        X = containment(support, C[s : s + chunk], backend)
        G += X.T @ X
        b += X.T @ y[s : s + chunk]
    return G, b


def _solve(G: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """beta = G^+ b, G^+ and which coefficients the design does not determine (those with a
    component in G's null space; their standard errors are inf)."""
    w, V = np.linalg.eigh(G)
    top = max(float(w[-1]) if w.size else 1.0, 1.0)
    good = w > 1e-10 * top
    Ginv = (V[:, good] / w[good]) @ V[:, good].T
    free = (np.abs(V[:, ~good]) > 1e-6).any(axis=1)
    return Ginv @ b, Ginv, free


def refit(support: np.ndarray, C: np.ndarray, y: np.ndarray, uniform: np.ndarray,
          backend: str = "auto", folds: bool = True) -> dict:
    """Least squares of the Moebius coefficients on ``support`` (its first row the empty set)
    over all coalitions C (m, W) with values y (m, d); the residual variance is the larger of
    the in-sample one (dof m - p) and the held-out one over the uniform rows (``uniform``: their
    row indices in C; FOLDS folds), so a wrong support gets wide standard errors."""
    m, p = C.shape[0], support.shape[0]
    G, b = _gram(support, C, y, backend)
    beta, Ginv, free = _solve(G, b)
    resid = y - _predict(support, beta, C, backend)
    rss = (resid**2).sum(axis=0)
    s2 = rss / max(m - p, 1)
    info: dict[str, Any] = {"identified": not free.any()}
    if folds and uniform.size >= 2 * FOLDS:
        fold = np.arange(uniform.size) % FOLDS
        sse = np.zeros(y.shape[1])
        for f in range(FOLDS):
            rows = uniform[fold == f]
            Gf, bf = _gram(support, C[rows], y[rows], backend)
            bet, _, _ = _solve(G - Gf, b - bf)
            sse += ((y[rows] - _predict(support, bet, C[rows], backend)) ** 2).sum(axis=0)
        yu = y[uniform]
        tss = ((yu - yu.mean(axis=0)) ** 2).sum(axis=0)
        info["heldout_n"] = int(uniform.size)
        info["heldout_rmse"] = np.sqrt(sse / uniform.size)
        info["heldout_r2"] = 1.0 - sse / np.where(tss > 0, tss, 1.0)
        s2 = np.maximum(s2, sse / uniform.size)
    cov = np.stack([Ginv * s for s in s2])  # (d, p, p)
    se = np.sqrt(np.maximum(np.stack([np.diag(c) for c in cov], axis=1), 0.0))
    if free.any():
        se[free] = np.inf
        cov[:, free, :] = np.inf
        cov[:, :, free] = np.inf
    return {"beta": beta, "stderr": se, "cov": cov, "resid_var": s2, **info}


def _predict(support: np.ndarray, beta: np.ndarray, C: np.ndarray, backend: str) -> np.ndarray:
    """sum of beta[j] over support sets j inside each coalition (the explanation game)."""
    _, impl = EXPLANATION_GAME.select(backend)
    out = np.empty((C.shape[0], beta.shape[1]), dtype=np.float64)
    impl(np.ascontiguousarray(support), np.ascontiguousarray(beta), np.ascontiguousarray(C), out)
    return out


def _words(sets: list[tuple[int, ...]], n: int, W: int) -> np.ndarray:
    """Words (len(sets), W) of sets given as tuples of players."""
    return np.array([bits.players_to_set(t, n) for t in sets], dtype=np.uint64).reshape(-1, W)


def _ridge(G: np.ndarray, b: np.ndarray, lam: float) -> np.ndarray:
    """(G + lam P)^-1 b, P the identity but for row 0 (the intercept, not penalised): ridge
    regression (Hoerl and Kennard 1970) from the Gram matrix; lam = 0 is least squares
    (:func:`_solve`)."""
    H = G + lam * np.eye(G.shape[0])
    H[0, 0] -= lam
    if lam <= 0:  # least squares: Cholesky while G is well conditioned, else the eigensolver
        H[np.diag_indices_from(H)] *= 1.0 + 1e-12
    try:
        from scipy.linalg import cho_factor, cho_solve

        return cho_solve(cho_factor(H, check_finite=False), b, check_finite=False)
    except np.linalg.LinAlgError:
        return _solve(H, b)[0]


# ---------------------------------------------------------------------------- screening
def screen(X: np.ndarray, r: np.ndarray, cap: int, z: float | None = None,
           width: int = SCREEN_WIDTH, pairs: Any = True) -> list[np.ndarray]:
    """Sets whose Walsh-Hadamard coefficient in the residual r is significant, grown player by
    player (Li and Ramchandran's and SPEX's Fourier view, estimated from uniform coalitions).

    A unanimity term T (v(C) = m [T subset C]) has Walsh-Hadamard coefficients
    F(S) = E[v(C) prod_{i in S} (2 x_i - 1)] = m 2^-|T| on every S subset of T, and 0 elsewhere:
    each member of T shows on its own, and the largest significant extension of a significant
    set is T. A refit on part of T (a subset fitted in its place) cancels the low-order
    coefficients of the residual but not those of T's pairs, so the growth starts from the
    significant players and from the significant pairs, F({i, j}) for all i < j in one matrix
    product (Bonferroni over n^2 cap / 2 tests). X (m, n) bool uniform coalitions, r (m, d) their
    residuals; a coefficient is significant when it exceeds z standard errors sd(r) / sqrt(m)
    (default: the Bonferroni level of n * cap tests). Each level keeps the 4 * width most
    significant sets. Returns words of the maximal significant sets of size <= cap.
    """
    m, n = X.shape
    W = bits.n_words(n)
    S = X.astype(np.float32) * 2 - 1
    se = r.std(axis=0) / np.sqrt(m)
    if z is None:
        z = max(4.0, float(np.sqrt(2 * np.log(20.0 * n * cap))))
    z_pair = max(z, float(np.sqrt(2 * np.log(10.0 * n * n * cap))))
    se = np.where(se > 0, se, np.inf)

    def zscores(sign):
        F = (S.T @ (r * sign[:, None]).astype(np.float32)) / m
        return (np.abs(F) / se).max(axis=1)

    out: dict[tuple, None] = {}
    seen: set[tuple] = set()
    zs = zscores(np.ones(m))
    level = [(float(zs[j]), (int(j),), S[:, j].astype(np.float64))
             for j in np.argsort(-zs)[:width] if zs[j] > z]
    P = np.arange(n) if pairs is True else np.asarray(pairs if pairs is not False else [],
                                                          dtype=np.int64)
    if cap >= 2 and P.size >= 2:
        SP = S[:, P]
        rs = r.astype(np.float32)
        k = P.size
        zp = np.zeros((k, k), dtype=np.float64)
        for o in range(r.shape[1]):  # F({i, j}) = mean of r s_i s_j, every pair at once
            zp = np.maximum(zp, np.abs(SP.T @ (SP * rs[:, o : o + 1])) / (m * se[o]))
        zp = np.triu(zp, 1).ravel()
        flat = np.argpartition(-zp, 4 * width)[: 4 * width] if zp.size > 4 * width \
            else np.arange(zp.size)
        seeds = [(float(zp[f]), tuple(sorted((int(P[f // k]), int(P[f % k])))))
                 for f in flat if zp[f] > z_pair]
        seen.update(key for _, key in seeds)
        level += [(zv, key, S[:, key[0]].astype(np.float64) * S[:, key[1]])
                  for zv, key in sorted(seeds, reverse=True)]
    while level:
        nxt = []
        for _, members, sign in level:
            if len(members) >= cap:
                out[members] = None
                continue
            zs = zscores(sign)
            zs[list(members)] = 0.0
            ext = [int(j) for j in np.argsort(-zs)[:width] if zs[j] > z]
            if not ext:
                out[members] = None
            for j in ext:
                key = tuple(sorted(members + (j,)))
                if key not in seen:
                    seen.add(key)
                    nxt.append((float(zs[j]), key, sign * S[:, j]))
        nxt.sort(key=lambda item: -item[0])
        level = nxt[: width * 4]
    return [bits.players_to_set(members, n).reshape(W) for members in out]


def grow(X: np.ndarray, y: np.ndarray, support: list[tuple[int, ...]], cap: int, *,
         step: int = 8, z: float = 3.5, z_pair: float = 4.5, pair_players: int = 128,
         max_rounds: int = 60, max_sets: int | None = None,
         solve: Any = None) -> list[tuple[int, ...]]:
    r"""Forward selection of unanimity terms on uniform coalitions (the Moebius / AND basis).

    Each round fits the support by least squares on the rows of X (bool (m, n) uniform
    coalitions, values y (m, d)), and scores candidate sets T by the correlation of their
    unanimity feature a_T(C) = [T subset C] with the residual r,

        z(T) = sqrt(m) |mean(r a_T)| / (sd(r) sqrt(q_T (1 - q_T))),   q_T = mean(a_T),

    over the singletons, the pairs among the ``pair_players`` players of largest singleton
    score and the support's players (one Gram product), and every extension S u {j} of a
    support set S with |S| < cap (one product X^T (A o r) with A the support's features); the
    ``step`` best candidates above z (pairs: z_pair) join the support, and the next round
    refits. In the AND basis a term's signal grows along its subsets (for a term T of order t
    and S subset T, corr(a_S, a_T) = sqrt(2^-(t-s) (1 - 2^-s) / (1 - 2^-t))), unlike its
    Walsh-Hadamard coefficients (m 2^-t on every subset), so the extension of a selected
    subset is the more powerful test. Forward steps past the threshold's strict level are
    undone by the caller's backward elimination: this is forward-backward greedy selection
    (T. Zhang, "Adaptive forward-backward greedy algorithm for learning sparse
    representations", IEEE Trans. Inf. Theory 57(7), 2011), with candidates generated from the
    support as in hierarchical interaction screening (Hao and Zhang, "Interaction screening for
    ultrahigh-dimensional data", JASA 109, 2014).

    ``solve(G, b)``: the least-squares solver of the refits (default :func:`_solve`, the
    eigensolver, which also handles a singular design).

    Returns the grown support (tuples of players; the empty set stays first).
    """
    solve = _solve if solve is None else solve
    m = X.shape[0]
    sets = list(support)
    known = set(sets)
    if max_sets is None:
        max_sets = max(8, m // 3)
    Xf = X.astype(np.float32)
    yc = np.asarray(y, dtype=np.float64).reshape(m, -1)

    def feature(t: tuple[int, ...]) -> np.ndarray:
        return X[:, list(t)].all(axis=1) if t else np.ones(m, dtype=bool)

    A = np.stack([feature(t) for t in sets], axis=1).astype(np.float64)
    Q = Xf.T @ A.astype(np.float32)  # (n, p): counts of a_S x_j, for the extensions' q
    q1 = Xf.mean(axis=0)
    G = A.T @ A  # counts (exact in float64): grown by blocks as sets join
    for _ in range(max_rounds):
        beta = solve(G, A.T @ yc)[0]
        r = yc - A @ beta
        r -= r.mean(axis=0)
        sr = r.std(axis=0)
        if not np.isfinite(r).all() or (sr <= 1e-12 * max(float(np.abs(yc).max()), 1e-300)).all():
            break
        sr = np.where(sr > 0, sr, np.inf)
        rs = r.astype(np.float32)
        cands: dict[tuple[int, ...], float] = {}
        # singletons
        zs = (np.abs(Xf.T @ rs) / m / sr).max(axis=1) * np.sqrt(m) \
            / np.sqrt(np.maximum(q1 * (1 - q1), 1e-12))
        for j in np.flatnonzero(zs > z):
            cands[(int(j),)] = float(zs[j])
        # pairs among the strongest players and the support's
        if cap >= 2:
            mine = {p for t in sets for p in t}
            P = np.union1d(np.argsort(-zs)[:pair_players], np.array(sorted(mine), dtype=np.int64))
            XP = Xf[:, P]
            qp = (XP.T @ XP) / m
            den = np.sqrt(np.maximum(qp * (1 - qp), 1e-12))
            zp = np.zeros_like(qp)
            for o in range(rs.shape[1]):
                zp = np.maximum(zp, np.abs(XP.T @ (XP * rs[:, o : o + 1])) / m / sr[o])
            zp = np.triu(zp * np.sqrt(m) / den, 1)
            k = P.size
            for f in np.flatnonzero(zp.ravel() > z_pair):
                cands[(int(P[f // k]), int(P[f % k]))] = float(zp.ravel()[f])
        # extensions of the support's sets
        ext = [i for i, t in enumerate(sets) if 0 < len(t) < cap]
        if ext:
            Ae = A[:, ext].astype(np.float32)
            qe = Q[:, ext] / m
            den = np.sqrt(np.maximum(qe * (1 - qe), 1e-12))
            ze = np.zeros_like(qe)
            for o in range(rs.shape[1]):
                ze = np.maximum(ze, np.abs(Xf.T @ (Ae * rs[:, o : o + 1])) / m / sr[o])
            ze *= np.sqrt(m) / den
            for c, i in enumerate(ext):
                ze[list(sets[i]), c] = 0.0
            for f in np.flatnonzero(ze.ravel() > z):
                j, c = divmod(int(f), len(ext))
                t = tuple(sorted(sets[ext[c]] + (j,)))
                if ze[j, c] > cands.get(t, 0.0):
                    cands[t] = float(ze[j, c])
        new = [t for t, _ in sorted(cands.items(), key=lambda kv: -kv[1]) if t not in known]
        new = new[: max(0, min(step, max_sets - len(sets)))]
        if not new:
            break
        known.update(new)
        sets += new
        An = np.stack([feature(t) for t in new], axis=1).astype(np.float64)
        cross = A.T @ An
        G = np.block([[G, cross], [cross.T, An.T @ An]])
        A = np.concatenate([A, An], axis=1)
        Q = np.concatenate([Q, Xf.T @ An.astype(np.float32)], axis=1)
    return sets


# ---------------------------------------------------------------------------- the search
class _Node:
    __slots__ = ("cells", "M", "var", "depth", "parent", "kids", "third", "open", "done")

    def __init__(self, cells, M, var, depth, parent):
        self.cells = cells  # tuple of (lo, hi) ranges of the permutation
        self.M = M  # (d,)
        self.var = var  # noise variance of M in units of one evaluation's
        self.depth = depth
        self.parent = parent
        self.kids: list[_Node] = []
        self.third: _Node | None = None  # (A, B, ...) child, searched after the first two
        self.open = 0
        self.done = False


def _group_probe(n: int, g: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Words of the 2^g unions of g random groups (balanced), row L = groups in bit mask L."""
    group = np.empty(n, dtype=np.int64)
    group[rng.permutation(n)] = np.arange(n) % g
    L = np.arange(1 << g)
    inside = (L[:, None] >> group[None, :]) & 1
    return bits.from_coalitions(inside.astype(bool)), L


def _wht(u: np.ndarray) -> np.ndarray:
    """Walsh-Hadamard transform over the rows (2^g, d), unnormalised."""
    a = u.copy()
    h = 1
    while h < a.shape[0]:
        a = a.reshape(-1, 2, h, a.shape[-1])
        a = np.concatenate([a[:, 0] + a[:, 1], a[:, 0] - a[:, 1]], axis=1)
        a = a.reshape(-1, a.shape[-1])
        h *= 2
    return a


def _densify(values, stderr, sets, n, k, floor):
    """The same result on every set of size <= k (zeros outside ``sets``, with the standard
    error ``floor[|S|]``, floor (k + 1, d))."""
    every = bits.enumerate_sets(n, 0, k)
    rows = {row.tobytes(): i for i, row in enumerate(every)}
    at = np.array([rows[row.tobytes()] for row in sets], dtype=np.int64)
    v = np.zeros((every.shape[0], values.shape[1]))
    se = np.asarray(floor, dtype=np.float64).reshape(k + 1, -1)[bits.sizes(every)]
    v[at], se[at] = values, stderr
    return v, se, np.ascontiguousarray(every)


def f_upper(d1: float, d2: float, z: float = 1.959963984540054) -> float:
    """The upper quantile of Fisher's F(d1, d2) at the normal quantile z (0.975 by default),
    by Paulson's cube-root approximation (Paulson 1942; Johnson, Kotz and Balakrishnan,
    Continuous Univariate Distributions 2, eq. 27.89): within 2% of the exact quantile for
    d2 >= 5; inf when d2 is too small for it (no bound)."""
    a, b = 1.0 - 2.0 / (9.0 * d2), 1.0 - 2.0 / (9.0 * d1)
    c, e = 2.0 / (9.0 * d1), 2.0 / (9.0 * d2)
    A = a * a - z * z * e
    if A <= 0:
        return float("inf")
    x = (a * b + np.sqrt(max(a * a * b * b - A * (b * b - z * z * c), 0.0))) / A
    return float(x**3)


def _uniform_stream(n: int, seed: int) -> Iterator[np.ndarray]:
    """Uniform coalitions (words), drawn in blocks: the same rows for every budget."""
    rng = np.random.default_rng([seed, 18])
    while True:
        yield from bits.from_coalitions(rng.random((UNIFORM_BLOCK, n)) < 0.5)


class SparseEstimator:
    """Phase-split estimator of method "sparse" (see the module docstring): an adaptive plan,
    asked batch by batch; ``next_coalitions`` / ``tell`` / ``result`` as every estimator."""

    method = "sparse"
    is_grid = False
    dense_algebra = True

    def __init__(self, n_players: int, spec: Index, budget: int, cap: int, seed: int,
                 config: dict, *, backend: str = "auto") -> None:
        self.n_players = n_players
        self.spec = spec
        self.budget = budget
        self.cap = cap
        self.max_order = spec.resolve_order(n_players)
        self.seed = seed
        self.config = dict(config)
        self.backend = backend
        CONTAINMENT.select(backend)  # an unavailable backend raises before any game call
        W = bits.n_words(n_players)
        self._W = W
        self._sets = np.zeros((0, W), dtype=np.uint64)  # evaluated coalitions, in order
        self._vals: np.ndarray | None = None
        self._squeeze: bool | None = None
        self._index: dict[bytes, int] = {}
        self._preloaded: dict[bytes, np.ndarray] = {}
        self._used: set[bytes] = set()  # distinct coalitions this run asked for
        self._asked: list[bytes] = []  # the same, in the order first asked
        self._uniform_rows: list[int] = []
        self._gen: Iterator | None = None
        self._request: np.ndarray | None = None  # words the plan waits for
        self._pending: np.ndarray | None = None  # request rows handed out
        self._finished = False
        self._noise_dof = 0
        self._probe: tuple[np.ndarray, int] | None = None  # (words, groups) of the noise probe
        self._reply: Any = None
        self._started = False
        self._info: dict[str, Any] = {}
        self._found: list[tuple[np.ndarray, np.ndarray]] = []
        self._dense_model: dict | None = None  # the every-player committee (_dense_grown)

    # ------------------------------------------------------------ the protocol
    @property
    def n_known(self) -> int:
        return int(self._sets.shape[0])

    @property
    def done(self) -> bool:
        self._advance()
        return self._finished

    def n_unknown_before(self, upto: int) -> int:
        raise ValueError("tol (anytime mode) is not available for method='sparse'")

    def preload(self, state: SamplingState) -> int:
        if state.values is None:
            return 0
        vals = np.asarray(state.values, dtype=np.float64).reshape(state.sets.shape[0], -1)
        for row, v in zip(np.ascontiguousarray(state.sets), vals):
            self._preloaded[row.tobytes()] = v
        self._squeeze = state.squeeze
        return len(self._preloaded)

    def _missing(self, req: np.ndarray) -> np.ndarray:
        """Rows of ``req`` not evaluated yet, each coalition once (batches are distinct)."""
        seen: set[bytes] = set()
        out = []
        for i, row in enumerate(req):
            b = row.tobytes()
            if b not in self._index and b not in seen:
                seen.add(b)
                out.append(i)
        return np.array(out, dtype=np.int64)

    def _advance(self) -> None:
        """Run the plan until it waits for coalitions not yet evaluated (or ends)."""
        if self._gen is None:
            self._gen = self._plan()
        while not self._finished and self._pending is None:
            if self._request is None:
                try:
                    self._request = self._gen.send(self._reply) if self._started else next(self._gen)
                    self._started = True
                except StopIteration:
                    self._finished = True
                    return
                self._reply = None
                for row in self._request:
                    b = row.tobytes()
                    if b not in self._used:
                        self._used.add(b)
                        self._asked.append(b)
                    if b not in self._index and b in self._preloaded:
                        self._append(row[None], self._preloaded[b][None])
            todo = self._missing(self._request)
            if todo.size:
                return
            self._reply = self._vals[[self._index[r.tobytes()] for r in self._request]]
            self._request = None

    def next_coalitions(self, max_rows: int | None = None) -> np.ndarray | None:
        """The next batch of coalitions to evaluate, bool (m, n_players); None when done."""
        if self._pending is not None:
            raise RuntimeError("tell() the values of the previous batch before asking for more")
        self._advance()
        if self._finished:
            return None
        todo = self._missing(self._request)
        if max_rows is not None:
            todo = todo[: max(1, int(max_rows))]
        self._pending = self._request[todo]
        return bits.to_coalitions(self._pending, self.n_players)

    def tell(self, values: Any) -> None:
        """Values of the batch last returned by :meth:`next_coalitions`: (m,) or (m, d)."""
        if self._pending is None:
            raise RuntimeError("tell() called without a pending batch (call next_coalitions())")
        arr = check_game_output(values, self._pending.shape[0])
        squeeze = arr.ndim == 1
        arr2 = arr.reshape(arr.shape[0], -1)
        if self._vals is not None and (arr2.shape[1] != self._vals.shape[1]
                                       or squeeze != self._squeeze):
            raise ValueError(
                f"game output has shape {arr.shape[1:] or '()'} per coalition but earlier "
                f"batches had {'()' if self._squeeze else (self._vals.shape[1],)}")
        self._squeeze = squeeze
        rows = self._pending
        self._pending = None
        self._append(rows, arr2)

    def _append(self, rows: np.ndarray, vals: np.ndarray) -> None:
        start = self._sets.shape[0]
        self._sets = np.concatenate([self._sets, rows])
        self._vals = vals.copy() if self._vals is None else np.concatenate([self._vals, vals])
        for i, row in enumerate(rows):
            self._index[row.tobytes()] = start + i

    def abandon_pending(self) -> None:
        self._pending = None

    def state(self, rows: Any = None) -> SamplingState:
        rows = slice(None) if rows is None else rows
        vals = None if self._vals is None else self._vals[rows].copy()
        return SamplingState(self.config, self._sets[rows].copy(), vals, bool(self._squeeze))

    def identification(self, upto: int | None = None):
        return None

    # ------------------------------------------------------------ the plan
    def _remaining(self) -> int:
        return self.budget - len(self._used)

    @property
    def _full(self) -> bool:
        """Whether the budget covers all 2^n coalitions (then the result is exact)."""
        return self.n_players <= 20 and self.budget >= (1 << self.n_players)

    def _plan(self) -> Iterator:
        n, W, cap = self.n_players, self._W, self.cap
        if self._full:
            yield bits.words(np.arange(1 << n, dtype=np.uint64), n)
            return
        rng = np.random.default_rng([self.seed, 17])
        empty = np.zeros((1, W), dtype=np.uint64)
        full = bits.complement(empty, n)
        v = yield np.concatenate([empty, full])
        v0, vN = v[0], v[1]
        d = v.shape[1]
        # noise probe: Walsh-Hadamard coefficients on more than cap of g groups
        g = min(cap + 2, n)
        sigma = np.zeros(d)
        scale = np.abs(vN - v0)
        self._noise_dof = 0  # the probe's coefficients on more than cap groups (sigma's dof)
        if g > cap and (1 << g) <= self.budget // 6:
            count = max(1, min(PROBES_MAX, int(PROBE_SHARE * self.budget) >> g))
            probes = [self._probe_words(g, rng) for _ in range(count)]
            u = yield np.concatenate(probes)
            self._probe = (probes, g)
            F = np.concatenate([_wht(part) for part in np.split(u, count)]) / (1 << g)
            L = np.tile(np.arange(1 << g), count)
            high = bits.sizes(L.astype(np.uint64)) > cap
            sigma = np.sqrt((1 << g) * (F[high] ** 2).mean(axis=0))
            self._noise_dof = int(high.sum())
            scale = np.maximum(scale, u.std(axis=0))
        self._info["noise_level"] = sigma
        tol = max(REL_TOL * float(np.sqrt((scale**2).sum())), 1e-300)
        sig = float(np.sqrt((sigma**2).sum()))
        # noisy: each node's M is the inclusion-exclusion over its cells (missed terms of its
        # faces cancel); noise-free: one evaluation per child, the faces' terms subtracted
        exact_ie = sig > NOISE_FLOOR * max(float(np.sqrt((scale**2).sum())), 1e-300)
        # uniform coalitions first (a prefix stream of blocks): the refits between passes and
        # the held-out error
        n_uniform, share = self._budget_plan(exact_ie)
        stream = _uniform_stream(n, self.seed)
        uni = self._draw(stream, min(n_uniform, self._remaining()))
        if uni:
            words = np.array(uni)
            yield words
            self._uniform_rows = [self._index[r.tobytes()] for r in words]
        # the search stops when the run's evaluations reach this (its share counts the probe)
        self._search_limit = share if self.is_grid else 2 + len(uni) + share

        base_sets = np.zeros((0, W), dtype=np.uint64)
        base_coef = np.zeros((0, d))
        intercept = v0.copy()
        passes, n_nodes, complete = 0, 0, True
        for passes in range(1, MAX_PASSES + 1):
            search = self._search(self._permutation(rng), base_sets, base_coef, intercept, vN,
                                  tol, sig, exact_ie)
            new, nodes, complete = yield from search
            n_nodes += nodes
            fresh = [s for s in new if s.tobytes() not in {b.tobytes() for b in base_sets}]
            if fresh:
                base_sets = np.concatenate([base_sets, np.array(fresh)])
            if not fresh or not complete:
                break
            # refit the support on everything evaluated so far: the next pass searches the rest
            rows = np.array([self._index[b] for b in self._asked], dtype=np.int64)
            support = np.concatenate([empty, base_sets])
            from .._threads import blas_limit

            with blas_limit():
                fit = refit(support, self._sets[rows], self._vals[rows],
                            np.zeros(0, dtype=np.int64), self.backend, folds=False)
            intercept, base_coef = fit["beta"][0], fit["beta"][1:]
        self._found = [(s, None) for s in base_sets]
        self._info.update(search_evaluations=len(self._used) - len(uni), search_nodes=n_nodes,
                          search_complete=complete, search_passes=passes,
                          search_mode="inclusion-exclusion" if exact_ie else "one evaluation")
        # the rest of the budget: more of the uniform stream
        more = self._draw(stream, self._remaining())
        if more:
            words = np.array(more)
            yield words
            self._uniform_rows += [self._index[r.tobytes()] for r in words]

    def _permutation(self, rng: np.random.Generator) -> np.ndarray:
        """The order of the players for one pass of the search (grid mode: within groups)."""
        return rng.permutation(self.n_players)

    def _probe_words(self, g: int, rng: np.random.Generator) -> np.ndarray:
        """Words of one noise probe: the 2^g unions of g random groups, row L = the groups in
        bit mask L (grid mode: groups within the groups of players, a product)."""
        return _group_probe(self.n_players, g, rng)[0]

    def _split_point(self, lo: int, hi: int) -> int:
        """Where the search splits the cell (lo, hi) of the permutation."""
        return (lo + hi) // 2

    def _budget_plan(self, exact_ie: bool) -> tuple[int, int]:
        """(uniform coalitions before the search, the search's evaluations at most, the probe
        included; PLAN). Grid mode keeps session 8's plan, where the search stops when the
        run's evaluations reach SEARCH_SHARE_GRID of the budget (its screening is its own)."""
        B = self.budget
        if self.is_grid:
            share = SEARCH_SHARE_GRID_NOISY if exact_ie and B < NOISY_SMALL_BUDGET \
                else SEARCH_SHARE_GRID
            return B - int(share * B), int(share * B)
        first, share = PLAN if not exact_ie else (
            PLAN_NOISY_SMALL if B < NOISY_SMALL_BUDGET else PLAN_NOISY)
        return int(first * B), int(share * B)

    def _draw(self, stream: Iterator, count: int) -> list[np.ndarray]:
        """The next ``count`` rows of the uniform stream not asked for before."""
        out: list[np.ndarray] = []
        taken: set[bytes] = set()
        while len(out) < count:
            row = next(stream)
            b = row.tobytes()
            if b not in self._used and b not in taken:
                taken.add(b)
                out.append(row)
        return out

    def _search(self, perm, base_sets, base_coef, intercept, vN, tol, sig, exact_ie):
        """One pass of the splitting search on the residual of the model (base_sets,
        base_coef, intercept), with the players in the order ``perm``; a generator of batches
        returning (found sets, number of nodes, whether the pass finished)."""
        n, cap = self.n_players, self.cap
        found_sets: list[np.ndarray] = []
        found_vals: list[np.ndarray] = []

        def resid(C: np.ndarray, vals: np.ndarray) -> np.ndarray:
            r = vals - intercept[None]
            if base_sets.shape[0]:
                r -= _predict(base_sets, base_coef, C, self.backend)
            if found_sets and not exact_ie:
                r -= _predict(np.array(found_sets), np.array(found_vals), C, self.backend)
            return r

        def union(cells_list) -> np.ndarray:
            mask = np.zeros((len(cells_list), n), dtype=bool)
            for i, cells in enumerate(cells_list):
                for lo, hi in cells:
                    mask[i, perm[lo:hi]] = True
            return bits.from_coalitions(mask)

        def thr(node: _Node) -> float:
            return max(tol, Z_NOISE * sig * np.sqrt(node.var))

        def finish(node: _Node) -> list[_Node]:
            """Mark done; return the nodes that became ready."""
            ready = []
            node.done = True
            par = node.parent
            while par is not None:
                par.open -= 1
                if par.third is not None and par.third not in par.kids \
                        and all(k.done for k in par.kids[:2]):
                    par.kids.append(par.third)
                    ready.append(par.third)
                    break
                if par.open > 0:
                    break
                par.done = True
                par = par.parent
            return ready

        def subsets(cells):
            """Every sub-tuple of cells with its inclusion-exclusion sign."""
            r = len(cells)
            out = []
            for mask in range(1 << r):
                sub = tuple(cells[i] for i in range(r) if mask >> i & 1)
                out.append((sub, -1.0 if (r - len(sub)) % 2 else 1.0))
            return out

        root_words = np.concatenate([np.zeros((1, self._W), dtype=np.uint64),
                                     union([((0, n),)])])
        vals = yield root_words
        rr = resid(root_words, vals)
        root = _Node(((0, n),), rr[1] - rr[0], 2.0, 0, None)
        ready = [root]
        n_nodes = 0
        stopped = False
        while ready:
            # largest |M| relative to its threshold first (matters when the budget runs out)
            ready.sort(key=lambda nd: -float(np.sqrt((nd.M**2).sum())) / thr(nd))
            split, nxt = [], []
            room = min(self._search_limit - len(self._used), self._remaining())
            cost = 0
            for node in ready:
                size = float(np.sqrt((node.M**2).sum()))
                each = (1 << len(node.cells)) if exact_ie else 2
                if all(hi - lo == 1 for lo, hi in node.cells):
                    if size > thr(node):
                        found_sets.append(union([node.cells])[0])
                        found_vals.append(node.M.copy())
                    nxt += finish(node)
                elif size <= thr(node) and node.depth >= FORCE_DEPTH:
                    nxt += finish(node)
                elif cost + each <= room:
                    split.append(node)
                    cost += each
                else:
                    stopped = True
                    nxt.append(node)
            if not split:
                ready = nxt
                if stopped:
                    break
                continue
            asks, cells_all = [], []
            for node in split:
                i = max(range(len(node.cells)), key=lambda j: node.cells[j][1] - node.cells[j][0])
                lo, hi = node.cells[i]
                mid = self._split_point(lo, hi)
                ca = node.cells[:i] + ((lo, mid),) + node.cells[i + 1 :]
                cb = node.cells[:i] + ((mid, hi),) + node.cells[i + 1 :]
                if exact_ie:
                    sa, sb = subsets(ca), subsets(cb)
                else:
                    sa, sb = [(ca, 1.0)], [(cb, 1.0)]
                asks.append((i, ca, cb, len(cells_all), len(sa), len(sb)))
                cells_all += [c for c, _ in sa] + [c for c, _ in sb]
                asks[-1] += ([s for _, s in sa], [s for _, s in sb])
            words = union(cells_all)
            vals = yield words
            r = resid(words, vals)
            for node, (i, ca, cb, at, na, nb, sgn_a, sgn_b) in zip(split, asks):
                M1 = np.asarray(sgn_a) @ r[at : at + na]
                M2 = np.asarray(sgn_b) @ r[at + na : at + na + nb]
                var1 = float(na) if exact_ie else 1.0
                k1 = _Node(ca, M1, var1, node.depth + 1, node)
                k2 = _Node(cb, M2, var1, node.depth + 1, node)
                node.kids = [k1, k2]
                node.open = 2
                if len(node.cells) < cap:
                    lo, mid = ca[i]
                    hi = cb[i][1]
                    cells3 = node.cells[:i] + ((lo, mid), (mid, hi)) + node.cells[i + 1 :]
                    var3 = float(2 * na) if exact_ie else node.var + 2.0
                    node.third = _Node(cells3, node.M - M1 - M2, var3, node.depth + 1, node)
                    node.open = 3
                nxt += [k1, k2]
                n_nodes += 2
            ready = nxt
        return found_sets, n_nodes, not stopped and not ready


    # ------------------------------------------------------------ the result
    def _screened(self, support, C, y, uniform):
        """The support grown by Walsh-Hadamard screening of the refit's residual on the uniform
        coalitions (rounds of :func:`screen` and refits while it adds sets)."""
        if uniform.size < 16:
            return support
        if GROW and not self.is_grid:  # grid mode screens the product its own way
            return self._grown(support, C, y, uniform)
        rows = uniform[:SCREEN_ROWS]
        X = bits.to_coalitions(C[rows], self.n_players)
        added = dropped = 0
        for _ in range(2):  # screen, prune, and once more on the pruned support's residual
            support, a = self._screen_rounds(support, C, y, uniform, rows, X)
            support, d = self._pruned(support, C, y)
            added, dropped = added + a, dropped + d
            if not a:
                break
        self._info.update(screened_sets=added, pruned_sets=dropped)
        return support

    def _grown(self, support, C, y, uniform):
        """The support grown by forward selection in the AND basis on the uniform coalitions
        (:func:`grow`) and pruned (every proper subset added, backward elimination on every
        coalition), GROW_OUTER times or until a growth adds nothing."""
        n, W = self.n_players, self._W
        rows = uniform[:GROW_ROWS]
        X = bits.to_coalitions(C[rows], n)
        added = dropped = 0
        for _ in range(GROW_OUTER):
            old = [bits.set_to_players(w) for w in support]
            new = grow(X, y[rows], old, self.cap, step=GROW_STEP, z=GROW_Z,
                       z_pair=GROW_Z_PAIR)[len(old):]
            if not new:
                break
            support = np.concatenate([support, _words(new, n, W)])
            support, d = self._pruned(support, C, y, full=GROW_FULL)
            added, dropped = added + len(new), dropped + d
        self._info.update(screened_sets=added, pruned_sets=dropped)
        return self._with_every_player(support, C, y, uniform)

    def _with_every_player(self, support, C, y, uniform):
        """The support with every player added, when that predicts held-out uniform coalitions
        clearly better (5-fold mean squared error on the uniform rows below DENSE_GAIN times
        the sparse support's). A real model's smooth response to the number of players present
        (MiniLM's similarity as word pieces are masked) spreads over every player's main effect,
        each too small for the selection's tests or the backward elimination, while an additive
        model of them all is well determined from a few rows per player. Tried only when the
        uniform rows number DENSE_ROWS per column, the sparse fit leaves more than
        DENSE_MIN_LOSS of the held-out variance, and its residual has Walsh-Hadamard energy on
        the players above chance (sum of z_j^2 over the players beyond
        n + 4 sqrt(2 n), a chi-square n bound): on a sparse game it is never tried."""
        n, W = self.n_players, self._W
        Cu, yu = C[uniform], y[uniform]
        m = uniform.size
        if m < DENSE_ROWS * (n + support.shape[0]):
            return support
        every = np.arange(m)
        fit = refit(support, Cu, yu, every, self.backend)
        if (fit["heldout_r2"] > 1 - DENSE_MIN_LOSS).all():
            return support
        r = yu - _predict(support, fit["beta"], Cu, self.backend)
        r -= r.mean(axis=0)
        sd = r.std(axis=0)
        S = bits.to_coalitions(Cu, n).astype(np.float64) * 2 - 1
        z = (S.T @ r) / (np.sqrt(m) * np.where(sd > 0, sd, np.inf))
        if (z**2).sum(axis=0).max() <= n + 4 * np.sqrt(2 * n):
            return support
        known = {w.tobytes() for w in support}
        players = [w for w in (bits.players_to_set([j], n) for j in range(n))
                   if w.tobytes() not in known]
        if not players:
            return support
        aug = np.concatenate([support, np.array(players, dtype=np.uint64).reshape(-1, W)])
        alt = refit(aug, Cu, yu, every, self.backend)
        if (alt["heldout_rmse"] ** 2).sum() < DENSE_GAIN * (fit["heldout_rmse"] ** 2).sum():
            self._info["every_player"] = True
            return self._dense_grown(aug, Cu, yu)
        return support

    def _dense_grown(self, support, Cu, yu):
        """The every-player support grown further by :func:`grow` at the looser DENSE_GROW_Z,
        to the length, and with the ridge penalty, that predict held-out rows best, and the
        coefficients averaged over the folds. With every main effect in the model the
        interactions left are small and many (a saturation's pairs among the strongest
        players), so no test level separates them; the length of the forward path (cut every
        DENSE_GROW_STEP sets) and the penalty (DENSE_RIDGE, times the rows) are chosen
        together by DENSE_FOLDS-fold cross-validation on the uniform rows: in each fold the
        path is grown on the other folds, and the error of every (length, penalty) is summed
        over the folds (a validation-selected support size; the cross-validation of the
        prefixes of a path grown on all rows would choose the longest, since the selection
        saw them). The result is the average of the folds' models at that length and penalty
        (their union of sets; a set absent from a fold's path counts 0 there), the
        cross-validation committee (Parmanto, Munro and Doyle 1996; bagging, Breiman 1996):
        the forward path is unstable, and averaging its fold versions predicts better than
        one path on every row (MiniLM, n = 128: R^2 on new masks +0.005-0.009). With fewer
        than 4 uniform rows per column the path is not grown and the penalty alone is
        chosen. :meth:`_final_fit` takes the model (``self._dense_model``)."""
        n, W = self.n_players, self._W
        m = Cu.shape[0]
        X = bits.to_coalitions(Cu, n)
        y = np.asarray(yu, dtype=np.float64).reshape(m, -1)
        start = [bits.set_to_players(w) for w in support]
        p0 = len(start)
        kw = {"z": DENSE_GROW_Z, "z_pair": DENSE_GROW_Z + 1.0, "step": DENSE_GROW_STEP,
              "max_rounds": DENSE_GROW_ROUNDS, "solve": lambda G, b: (_ridge(G, b, 0.0),)}
        # too few rows per column for a longer path to pay (and costly): the penalty alone
        extra = np.array(DENSE_CUTS) if p0 <= m // 4 else np.zeros(1, dtype=np.int64)
        lams = np.asarray(DENSE_RIDGE, dtype=np.float64)
        err = np.zeros((extra.size, lams.size, y.shape[1]))
        fold = np.arange(m) % DENSE_FOLDS
        folds = []
        for f in range(DENSE_FOLDS):
            va, tr = fold == f, fold != f
            path = start if extra.size == 1 else grow(
                X[tr], y[tr], start, self.cap, max_sets=int(0.6 * tr.sum()), **kw)
            A = containment(_words(path, n, W), Cu, self.backend)
            G, b = A[tr].T @ A[tr], A[tr].T @ y[tr]
            folds.append((path, G, b, int(tr.sum())))
            last, e = -1, None
            for c, j in enumerate(extra):
                cut = min(p0 + int(j), len(path))
                if cut != last:
                    e = np.array([((y[va] - A[va][:, :cut] @ _ridge(
                        G[:cut, :cut], b[:cut], lam * tr.sum())) ** 2).sum(axis=0)
                        for lam in lams])
                    last = cut
                err[c] += e
        c, k = np.unravel_index(int(np.argmin(err.sum(axis=2))), err.shape[:2])
        lam = float(lams[k])
        yv = y - y.mean(axis=0)
        self._dense_model = {"ridge": lam, "folds": DENSE_FOLDS, "heldout_sse": err[c, k],
                             "heldout_tss": (yv**2).sum(axis=0)}
        if extra[c] == 0 and lam == 0:  # the every-player support's least squares
            self._dense_model = None
            self._info.update(dense_grown_sets=0, dense_ridge=lam)
            return support
        if extra[c] == 0:  # the every-player support itself: one penalised fit on every row
            A = containment(support, Cu, self.backend)
            self._dense_model.update(beta=_ridge(A.T @ A, A.T @ y, lam * m), folds=0)
            self._info.update(dense_grown_sets=0, dense_ridge=lam)
            return support
        # the committee: every fold's path cut at the length, fitted with the penalty
        index: dict[tuple[int, ...], int] = {t: i for i, t in enumerate(start)}
        parts = []
        for path, G, b, rows in folds:
            cut = min(p0 + int(extra[c]), len(path))
            for t in path[p0:cut]:
                index.setdefault(t, len(index))
            parts.append(([index[t] for t in path[:cut]],
                          _ridge(G[:cut, :cut], b[:cut], lam * rows)))
        beta = np.zeros((len(index), y.shape[1]))
        for at, bet in parts:
            beta[at] += bet / len(parts)
        sets = sorted(index, key=index.get)
        self._dense_model["beta"] = beta
        self._info.update(dense_grown_sets=len(sets) - p0, dense_ridge=lam)
        return _words(sets, n, W)

    def _screen_rounds(self, support, C, y, uniform, rows, X):
        known = {row.tobytes() for row in support}
        added = 0
        for rnd in range(SCREEN_ROUNDS):
            fit = refit(support, C, y, uniform, self.backend, folds=False)
            r = y[rows] - _predict(support, fit["beta"], C[rows], self.backend)
            scale = np.abs(y[rows] - y[rows].mean(axis=0)).max()
            if not np.isfinite(r).all() or np.abs(r).max() <= 1e-9 * max(scale, 1e-300):
                break
            # pairs' seeds: every pair in the first round of each call (an n x n product), then
            # the pairs among the support's players (where a fitted subset hides a term)
            players = True if rnd == 0 else np.flatnonzero(
                bits.to_coalitions(support, self.n_players).any(axis=0))
            new = [w for w in screen(X, r, self.cap, pairs=players)
                   if w.tobytes() not in known]
            if not new:
                break
            known.update(w.tobytes() for w in new)
            support = np.concatenate([support, np.array(new)])
            added += len(new)
        return support, added

    def _pruned(self, support, C, y, full=False):
        """A set found with a wrong extra player (a superset of the true one) cannot be fitted
        back: add the largest proper subsets of every set, then drop, in rounds, every set
        whose coefficient is below T_DROP standard errors (backward elimination)."""
        known = {row.tobytes() for row in support}
        extra = []
        for row in support[1:]:
            mem = bits.set_to_players(row)
            if len(mem) < 2:
                continue
            subs = [tuple(mem[i] for i in range(len(mem)) if f >> i & 1)
                    for f in range(1, (1 << len(mem)) - 1)] if full \
                else [mem[:i] + mem[i + 1 :] for i in range(len(mem))]
            for sub in subs:
                w = bits.players_to_set(sub, self.n_players)
                if w.tobytes() not in known:
                    known.add(w.tobytes())
                    extra.append(w)
        if extra:
            support = np.concatenate([support, np.array(extra)])
        dropped = 0
        for _ in range(PRUNE_ROUNDS):
            fit = refit(support, C, y, np.zeros(0, dtype=np.int64), self.backend, folds=False)
            beta, se = fit["beta"], self._prune_stderr(support, C, y, fit)
            scale = max(float(np.abs(beta).max()), 1e-300)
            t = np.where(se > 0, np.abs(beta) / np.where(se > 0, se, 1.0),
                         np.where(np.abs(beta) > 1e-9 * scale, np.inf, 0.0)).max(axis=1)
            # rounding-level coefficients go too (noise-free: 1e-15 over a 1e-16 stderr)
            keep = (t >= T_DROP) & (np.abs(beta).max(axis=1) > 1e-9 * scale)
            keep[0] = True  # the intercept
            if keep.all():
                break
            dropped += int((~keep).sum())
            support = support[keep]
        return support, dropped

    def _prune_stderr(self, support, C, y, fit: dict) -> np.ndarray:
        """The standard errors the backward elimination tests against (grid mode: two-way
        cluster-robust)."""
        return fit["stderr"]

    def _final_fit(self, support, C, y, uniform) -> dict:
        """The refit on every evaluated coalition, or on the uniform ones alone when that
        predicts held-out uniform coalitions clearly better (5-fold mean squared error below
        FIT_UNIFORM_GAIN times the other's). On a game the support holds both fits are the
        same; on one it does not (a real model's smooth saturation) the search's coalitions
        (unions of a few cells, near empty or full) pull the least squares away from the
        uniform coalitions the fidelity and held-out R^2 are measured on."""
        if self._info.get("every_player") and DENSE_FIT_UNIFORM \
                and uniform.size > 2 * support.shape[0]:
            return self._dense_fit(support, C[uniform], y[uniform])
        fit = refit(support, C, y, uniform, self.backend)
        fit["fit_rows"] = "all"
        if "heldout_rmse" not in fit or uniform.size <= 2 * support.shape[0]:
            return fit
        alt = refit(support, C[uniform], y[uniform], np.arange(uniform.size), self.backend)
        if (alt["heldout_rmse"] ** 2).sum() < FIT_UNIFORM_GAIN * (fit["heldout_rmse"] ** 2).sum():
            alt["fit_rows"] = "uniform"
            return alt
        return fit

    def _dense_fit(self, support, Cu, yu) -> dict:
        """The final fit of the every-player support (a dense approximation of a smooth game,
        not the game): on the uniform coalitions alone, the distribution its held-out error
        is measured on (the noise probe's unions of a few groups and the two ends, far from
        half the players, pull a model that cannot hold the game away from it), with the
        coefficients of :meth:`_dense_grown`'s committee of fold models (``dense_ridge``: its
        penalty). The least-squares fit's residual variance and covariance are kept for the
        check; the committee's coefficients replace its coefficients and its held-out error
        is the folds' (each fold model on the rows it did not see). Their standard errors
        are not reported (an average of penalised fits on different supports is biased by
        an amount the data do not measure: :meth:`result` flags it)."""
        m = Cu.shape[0]
        fit = refit(support, Cu, yu, np.arange(m), self.backend)
        fit["fit_rows"] = "uniform"
        model = getattr(self, "_dense_model", None)
        if model is None or model["beta"].shape[0] != support.shape[0]:
            return fit
        fit["beta"] = model["beta"]
        fit["committee"] = model["folds"]
        fit["ridge"] = model["ridge"]
        sse, tss = model["heldout_sse"], model["heldout_tss"]
        fit["heldout_rmse"] = np.sqrt(sse / m)
        fit["heldout_r2"] = 1.0 - sse / np.where(tss > 0, tss, 1.0)
        return fit

    def _probe_shape(self, support: np.ndarray, beta: np.ndarray) -> dict | None:
        """Whether the model's residual on the noise probe (the 2^g unions of g groups) is
        white: independent noise spreads its energy evenly over the 2^g Walsh-Hadamard
        coefficients, structure above the cap (sets of more than cap players that the model
        cannot hold, whose parts of at most cap groups it absorbs) puts it on the coefficients
        of more than cap groups. Their mean square against that of the coefficients of 1..cap
        groups, within the upper 0.975 quantile of F(high, low), is white."""
        if self._probe is None:
            return None
        probes, g = self._probe
        F = []
        for words in probes:
            rows = np.array([self._index[w.tobytes()] for w in words], dtype=np.int64)
            F.append(_wht(self._vals[rows] - _predict(support, beta, words, self.backend)))
        F = np.concatenate(F) / (1 << g)
        level = np.tile(bits.sizes(np.arange(1 << g, dtype=np.uint64)), len(probes))
        high, low = level > self.cap, (level >= 1) & (level <= self.cap)
        eh, el = (F[high] ** 2).mean(axis=0), (F[low] ** 2).mean(axis=0)
        tiny = 1e-300 + (NOISE_FLOOR**2) * (F**2).sum(axis=0)
        ratio = float(np.max(np.where(eh > tiny, eh / np.maximum(el, tiny), 0.0)))
        bound = f_upper(int(high.sum()), int(low.sum()))
        return {"ok": ratio <= bound, "ratio": ratio, "bound": bound,
                "dof": (int(high.sum()), int(low.sum()))}

    def _above_cap(self, support: np.ndarray, beta: np.ndarray, Cu: np.ndarray,
                   yu: np.ndarray) -> dict | None:
        """Whether the residual on the uniform coalitions (Cu, yu) holds sets of more than cap
        players. A set T above the cap that the model cannot hold leaves part of itself in the
        fitted subsets of order cap (its features correlate, :func:`grow`), so the extensions
        S u {j} of the fitted sets S of order cap are scored against the residual,
        z = sqrt(m) |mean(r a)| / (sd(r) sqrt(q (1 - q))), a = [S u {j} subset C], with a
        Bonferroni bound over the extensions (and outputs) seen in at least 10 coalitions.
        None when there is nothing to extend."""
        from statistics import NormalDist

        n = self.n_players
        top = support[bits.sizes(support) == self.cap]
        if not top.shape[0] or self.cap >= n or Cu.shape[0] < 16:
            return None
        m = Cu.shape[0]
        X = bits.to_coalitions(Cu, n).astype(np.float64)
        A = containment(top, Cu, self.backend)  # (m, q)
        r = np.asarray(yu, dtype=np.float64).reshape(m, -1) \
            - _predict(support, beta, Cu, self.backend)
        r -= r.mean(axis=0)
        sr = r.std(axis=0)
        cnt = A.T @ X  # (q, n): coalitions holding S u {j}
        member = bits.to_coalitions(top, n)
        valid = ~member & (cnt >= 10) & (cnt <= m - 10)
        tests = int(valid.sum()) * r.shape[1]
        if not tests:
            return None
        qT = cnt / m
        zmax, at = 0.0, None
        for o in range(r.shape[1]):
            if not sr[o] > 0:
                continue
            Mo = (A * r[:, o : o + 1]).T @ X / m
            z = np.sqrt(m) * np.abs(Mo) / (sr[o] * np.sqrt(np.maximum(qT * (1 - qT), 1e-300)))
            z = np.where(valid, z, 0.0)
            i, j = np.unravel_index(int(np.argmax(z)), z.shape)
            if z[i, j] > zmax:
                zmax, at = float(z[i, j]), (i, j)
        bound = NormalDist().inv_cdf(1.0 - 0.025 / tests)
        T = None if at is None else tuple(bits.set_to_players(top[at[0]])) + (int(at[1]),)
        return {"ok": zmax <= bound, "z": zmax, "bound": bound, "tests": tests, "set": T}

    def _check(self, fit: dict, m: int, p: int, y: np.ndarray, support: np.ndarray,
               beta: np.ndarray, uni: tuple | None = None) -> dict:
        """Whether the fitted sparse model holds the game up to independent noise, from what
        it leaves: the residual variance (held out over the uniform coalitions when there are
        enough of them, else in sample with m - p degrees of freedom) against the noise probe's
        level (the Walsh-Hadamard coefficients on more than cap groups: what no sparse model
        of order <= cap holds). Within the upper 0.975 quantile of F(dof, probe dof), or at
        rounding level, the residual is read as noise and the standard errors add its share
        (``resid_var ||a_S||^2``); above it the residual holds structure the search did not
        find (missed sets, sets above the cap, a dense game), whose effect on the index the
        data do not measure: the result is flagged and its standard errors are inf.
        Returns {"identifiable", "reason", "resid_rms", "noise_level", "bound"}."""
        s2 = np.asarray(fit["resid_var"], dtype=np.float64).reshape(-1)
        sigma2 = np.asarray(self._info.get("noise_level", 0.0), dtype=np.float64).reshape(-1) ** 2
        dof = int(fit["heldout_n"]) if "heldout_rmse" in fit else m - p
        scale2 = np.maximum(np.asarray(y, dtype=np.float64).var(axis=0).reshape(-1), 1e-300)
        zero = s2 <= (NOISE_FLOOR**2) * scale2
        out = {"resid_rms": np.sqrt(s2), "noise_level": np.sqrt(sigma2),
               "noise_dof": self._noise_dof, "resid_dof": dof}
        if zero.all():
            # a missed set of at most cap players shows in a uniform (or probe) coalition with
            # probability >= 2^-cap: a zero residual on N of them leaves it unseen with
            # probability <= (1 - 2^-cap)^N, at most MISS_LEVEL from `need` coalitions on
            seen = (0 if uni is None else int(uni[0].shape[0])) + (
                0 if self._probe is None else sum(w.shape[0] for w in self._probe[0]))
            need = int(np.ceil(np.log(MISS_LEVEL) / np.log1p(-(0.5 ** self.cap))))
            if uni is not None and seen < need:
                return {**out, "identifiable": False, "bound": float(need), "kind": "thin",
                        "reason": (
                    f"the residual is at rounding level on {seen} uniform and probe coalitions, "
                    f"too few to rule out a missed set of up to max_order = {self.cap} players "
                    f"(each shows in 2^-{self.cap} of them: {need} leave it unseen with "
                    f"probability below {MISS_LEVEL})")}
            return {**out, "identifiable": True, "reason": "the residual is at rounding level",
                    "bound": 0.0, "kind": "rounding"}
        if dof < FOLDS:
            return {**out, "identifiable": False, "bound": float("nan"), "kind": "dof", "reason": (
                f"{m} coalitions for {p} fitted coefficients leave {max(dof, 0)} residual "
                "degrees of freedom: whether the recovered sets hold the game is not checked")}
        if self._noise_dof == 0:
            g = self.cap + 2
            return {**out, "identifiable": False, "bound": 0.0, "kind": "no probe", "reason": (
                f"the residual (rms {float(np.sqrt(s2.max())):.3g}) is not at rounding level "
                f"and the budget is below the noise probe's 6 x 2^{g} = {6 << g} evaluations, "
                "so it cannot be told from structure the search did not find")}
        above = self._above_cap(support, beta, *uni) if uni is not None else None
        if above is not None and not above["ok"]:
            T = above["set"]
            return {**out, "identifiable": False, "bound": above["bound"], "above_cap": above,
                    "kind": "above cap", "reason": (
                f"the residual holds sets above max_order = {self.cap}: the recovered set "
                f"{T[:-1]} extended by player {T[-1]} correlates with it at z = "
                f"{above['z']:.3g} on the uniform coalitions (the largest of "
                f"{above['tests']} extensions; bound {above['bound']:.3g} at 0.05 over them)")}
        shape = self._probe_shape(support, beta)
        if shape is not None and not shape["ok"]:
            return {**out, "identifiable": False, "bound": shape["bound"], "probe": shape,
                    "kind": "probe shape", "reason": (
                "the residual holds structure above max_order: on the noise probe's unions of "
                f"{self._probe[1]} groups its Walsh-Hadamard energy per coefficient on more "
                f"than {self.cap} groups is {shape['ratio']:.3g} x that on 1..{self.cap} groups "
                f"(independent noise: about 1; bound {shape['bound']:.3g}, "
                f"F({shape['dof'][0]}, {shape['dof'][1]}) at 0.975)")}
        kappa = f_upper(dof, self._noise_dof)
        ok = bool((zero | (s2 <= kappa * sigma2)).all())
        reason = (f"held-out residual rms {float(np.sqrt(s2.max())):.3g} against the noise "
                  f"level {float(np.sqrt(sigma2.max())):.3g} (bound x{np.sqrt(kappa):.2f}, "
                  f"F({dof}, {self._noise_dof}) at 0.975)")
        return {**out, "identifiable": ok, "bound": kappa,
                "kind": "noise" if ok else "above noise",
                "reason": ("the residual is noise: " if ok else
                           "the residual holds structure the search did not find: ") + reason}

    def _exact(self) -> InteractionResult:
        """All 2^n coalitions evaluated: interplay.exact on their table (as every estimator)."""
        from ..engine import exact
        from ..transforms import moebius

        n = self.n_players
        rows = np.array([self._index[b] for b in self._asked], dtype=np.int64)
        table = np.empty((1 << n, self._vals.shape[1]))
        table[self._sets[rows, 0].astype(np.int64)] = self._vals[rows]
        tab = table[:, 0] if self._squeeze else table
        res = exact(tab, self.spec)
        mob = np.asarray(moebius(tab)).reshape(1 << n, -1)
        masks = np.arange(1 << n, dtype=np.uint64)
        keep = (bits.sizes(masks) <= self.cap) & (np.abs(mob).max(axis=1) > 0)
        keep[0] = True
        order = np.lexsort((masks[keep], bits.sizes(masks[keep])))
        mv = mob[keep][order]
        res.info.update(method="sparse", seed=self.seed, exact=True,
                        sampling_state=self.state(rows),
                        moebius=InteractionResult(
                            mv[:, 0] if self._squeeze else mv, masks[keep][order][:, None],
                            n_players=n, index="Moebius", max_order=self.cap,
                            baseline_value=mv[0, 0] if self._squeeze else mv[0],
                            stderr=np.zeros_like(mv[:, 0] if self._squeeze else mv)))
        label = self.config.get("index")
        res.index = label if isinstance(label, str) else self.spec.name
        res.budget_used = res.n_evaluations = int(rows.size)
        res.stderr = np.zeros_like(res.values)
        res.estimated = False
        return res

    def result(self) -> InteractionResult:
        if not self.done or self._vals is None:
            raise RuntimeError("the plan has coalitions that have not been evaluated yet")
        if self._full:
            return self._exact()
        n, W = self.n_players, self._W
        empty = np.zeros((1, W), dtype=np.uint64)
        found = [s for s, _ in self._found]
        support = np.concatenate([empty, np.array(found, dtype=np.uint64).reshape(-1, W)])
        # rows in the order first asked (not evaluated: refine evaluates only the new ones)
        used = np.array([self._index[b] for b in self._asked], dtype=np.int64)
        C, y = self._sets[used], self._vals[used]
        pos = {int(r): i for i, r in enumerate(used)}
        uniform = np.array([pos[r] for r in self._uniform_rows if r in pos], dtype=np.int64)
        from .._threads import blas_limit

        # the every-player path's state is this call's (result() may be called again)
        self._dense_model = None
        for key in ("every_player", "dense_grown_sets", "dense_ridge"):
            self._info.pop(key, None)
        with blas_limit():
            support = self._screened(support, C, y, uniform)
            fit = self._final_fit(support, C, y, uniform)
        beta, se, cov = fit["beta"], fit["stderr"], fit["cov"]
        check = self._check(fit, int(used.size), int(support.shape[0]), y, support, beta,
                            (C[uniform], y[uniform]) if uniform.size else None)
        if (fit.get("committee") or fit.get("ridge")) and check["identifiable"]:
            how = (f"the average of {fit['committee']} cross-validation fold models (ridge "
                   f"penalty {fit['ridge']:g} x the rows)" if fit.get("committee") else
                   f"a ridge fit (penalty {fit['ridge']:g} x the rows)")
            check = {**check, "identifiable": False, "kind": "committee", "reason": (
                f"the every-player support (a dense approximation) holds {how}, chosen by "
                "cross-validation, whose bias the standard errors would not cover")}
        ident = check["identifiable"]
        ends = np.concatenate([empty, bits.complement(empty, n)])
        pred = _predict(support, beta, ends, self.backend)
        end_resid = tuple(self._vals[self._index[e.tobytes()]] - pred[i]
                          for i, e in enumerate(ends))
        values, stderr, sets = _index_values(self.spec, n, self.max_order, support[1:], beta[1:],
                                             beta[0], cov=cov[:, 1:, 1:], se=None,
                                             resid_var=fit["resid_var"], identified=ident,
                                             end_resid=end_resid)
        if not ident:
            import warnings

            from ._identify import UnderdeterminedWarning

            remedy = ("for standard errors of a dense game use a dense method (method='auto'"
                      ", whose regression reports them); the fit of these values to new "
                      "coalitions is result.info['heldout_r2']" if check["kind"] == "committee"
                      else "use a larger budget, a larger max_order, or a dense method "
                      "(method='auto')")
            warnings.warn(
                f"method='sparse' ({n} players, budget {self.budget}, max_order {self.cap}): "
                f"{check['reason']}; values follow the {support.shape[0] - 1} recovered sets, "
                f"standard errors are inf and result.info['identifiable'] is False; {remedy}.",
                UnderdeterminedWarning, stacklevel=3)  # the caller of approximate
        v_empty = self._vals[self._index[empty[0].tobytes()]]
        if self.spec.empty_is_value:
            values[0] = v_empty
        info = {"method": "sparse", "seed": self.seed, **self._info,
                "support_size": int(support.shape[0] - 1), "identified": fit["identified"],
                "resid_var": fit["resid_var"], "fit_rows": fit["fit_rows"],
                "identifiable": ident, "model_check": check}
        for key in ("heldout_rmse", "heldout_r2"):
            if key in fit:
                info[key] = fit[key][0] if self._squeeze else fit[key]
        # the Moebius coefficients themselves (sets by size then value; the empty set, the fitted
        # intercept, stays row 0); from_moebius reads the covariance of the non-empty rows
        order = np.lexsort(tuple(support[:, w] for w in range(W)) + (bits.sizes(support),))
        mv, ms = beta[order], (se[order] if ident else np.full_like(se, np.inf))
        info["moebius"] = InteractionResult(
            mv[:, 0] if self._squeeze else mv, support[order], n_players=n, index="Moebius",
            max_order=self.cap, baseline_value=beta[0, 0] if self._squeeze else beta[0],
            stderr=ms[:, 0] if self._squeeze else ms, estimated=True,
            budget_used=int(used.size), n_evaluations=int(used.size),
            info={"covariance": cov[:, order][:, :, order][:, 1:, 1:],
                  "resid_var": fit["resid_var"], "identifiable": ident,
                  "end_resid": end_resid})
        info["sampling_state"] = SamplingState(self.config, C.copy(), y.copy(),
                                               bool(self._squeeze))
        if bits.n_sets(n, 0, self.max_order) <= DENSE_SETS:
            # a set outside the support is 0 in the sparse model; its standard error is the
            # residual's share, sqrt(resid_var ||a_S||^2) (inf when the model is flagged)
            norms, ends, _ = noise_norms(self.spec, n, self.max_order)
            floor = np.sqrt(norms[:, None] * np.asarray(fit["resid_var"]).reshape(1, -1))
            known = sets
            values, stderr, sets = _densify(values, stderr, sets, n, self.max_order,
                                            floor if ident else np.full_like(floor, np.inf))
            # the sets added here get the known residuals' share too (the others have it)
            rows = {row.tobytes() for row in known}
            new = np.array([row.tobytes() not in rows for row in sets])
            if new.any():
                part = np.zeros((int(new.sum()), values.shape[1]))
                _add_ends(part, sets[new], ends, end_resid)
                values[new] += part
        base = values[0] if self.spec.baseline == "intercept" else v_empty
        if self._squeeze:
            values, stderr, base = values[:, 0], stderr[:, 0], base[0]
        label = self.config.get("index")
        label = label if isinstance(label, str) else self.spec.name
        return InteractionResult(values, sets, n_players=n, index=label,
                                 max_order=self.max_order, baseline_value=base, stderr=stderr,
                                 estimated=True, budget_used=int(used.size),
                                 n_evaluations=int(used.size), info=info)
