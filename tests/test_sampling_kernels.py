"""Sampling kernels: the coalition stream and subset moments, every backend against the plain
reference (tests/reference-style brute force lives in interplay.backends.reference.sampling and in the
itertools loops below)."""

import itertools
from math import comb

import numpy as np
import pytest

from interplay import _sets
from interplay.estimators import _kernels as K
from interplay.backends.reference import sampling as ref
from interplay.backends.reference import permutation as reference_permutation

COMPILED = ["cpp", "numba"]


def _q(n, k, kind="shapley"):
    if kind == "shapley":
        q = np.array([np.inf] + [1.0 / (t * (n - t)) for t in range(1, n)] + [np.inf])
        for t in range(n + 1):
            if t < k or t > n - k:
                q[t] = np.inf
        return q
    from math import lgamma, log

    return np.array([np.exp(lgamma(n + 1) - lgamma(t + 1) - lgamma(n - t + 1) + t * log(0.3)
                            + (n - t) * log(0.7)) for t in range(n + 1)])


@pytest.mark.parametrize("backend", COMPILED, indirect=True)
@pytest.mark.parametrize("n,k,kind,pairing", [(5, 1, "shapley", False), (7, 2, "shapley", True),
                                              (8, 1, "binom", False), (70, 2, "shapley", True),
                                              (130, 1, "binom", False)])
def test_stream_backends_equal_reference(backend, n, k, kind, pairing):
    q = _q(n, k, kind)
    for budget in (2, 17, 200):
        a = K.stratified_stream(n, q, pairing, 99, budget, backend=backend)
        b = ref.stratified_stream(n, q, pairing, 99, budget)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("pairing", [False, True])
def test_stream_properties(pairing):
    n, k = 9, 2
    q = _q(n, k)
    sets, sizes, draw = K.stratified_stream(n, q, pairing, 5, 300)
    keys = [_sets.set_key(r) for r in sets]
    assert len(set(keys)) == len(keys) == 300  # distinct
    np.testing.assert_array_equal(sizes, _sets.popcount(sets))
    # forced sizes come first and completely: 0, n, 1, n-1
    nf = 2 + 2 * n
    assert sorted(sizes[:nf].tolist()) == sorted([0, n] + [1] * n + [n - 1] * n)
    # prefix property: a smaller budget is a prefix
    small = K.stratified_stream(n, q, pairing, 5, 123)
    np.testing.assert_array_equal(small[0], sets[:123])
    if pairing:  # complements follow their coalition and share the draw id
        full = (1 << n) - 1
        body = sets[nf:, 0].astype(np.int64)
        np.testing.assert_array_equal(body[1::2][: len(body) // 2], full ^ body[0::2][: len(body) // 2])
        np.testing.assert_array_equal(draw[nf:][0::2][: len(body) // 2], draw[nf:][1::2][: len(body) // 2])


def test_stream_exhausts_all_sizes():
    n = 6
    q = _q(n, 1)
    sets, sizes, _ = K.stratified_stream(n, q, False, 1, 10_000)
    assert sets.shape[0] == 1 << n  # every coalition once, then the stream ends
    assert sorted(sets[:, 0].tolist()) == list(range(1 << n))


def _brute_moments(sets, n, k, w, bucket, nb):
    order = [sum(1 << p for p in c) for s in range(k + 1) for c in
             sorted(itertools.combinations(range(n), s), key=lambda c: sum(1 << p for p in c))]
    pos = {m: i for i, m in enumerate(order)}
    out = np.zeros((nb, len(order), w.shape[1]))
    for r in range(sets.shape[0]):
        T = int(_sets.set_key(sets[r]))
        for U in order:
            if U & T == U:
                out[bucket[r], pos[U]] += w[r]
    return out


def test_moments_gather_ranks(backend, rng):
    n, k = 7, 3
    C = rng.random((30, n)) < 0.5
    sets = _sets.coalitions_to_sets(C).reshape(30, 1)
    w = rng.normal(size=(30, 2))
    bucket = rng.integers(0, 3, 30)
    got = K.subset_moments(sets, n, k, w, bucket, 3, backend=backend)
    np.testing.assert_allclose(got, _brute_moments(sets, n, k, w, bucket, 3), rtol=1e-12, atol=1e-12)
    coef = rng.normal(size=(K.n_sets_upto(n, k), 2))
    mom_one = _brute_moments(sets, n, k, np.ones((30, 1)), np.zeros(30, int), 1)[0, :, 0]
    g = K.subset_gather(sets, n, k, coef, backend=backend)
    for r in range(30):  # v_hat(T) = sum of coef over U subset of T
        T = int(sets[r, 0])
        order = [sum(1 << p for p in c) for s in range(k + 1) for c in
                 sorted(itertools.combinations(range(n), s), key=lambda c: sum(1 << p for p in c))]
        expect = sum(coef[i] for i, U in enumerate(order) if U & T == U)
        np.testing.assert_allclose(g[r], expect, rtol=1e-12, atol=1e-12)
    assert mom_one[0] == 30
    es = _sets.enumerate_sets(n, 0, k)
    np.testing.assert_array_equal(K.set_ranks(es[:, None], n, k, backend=backend), np.arange(len(es)))


@pytest.mark.parametrize("backend", COMPILED, indirect=True)
def test_moments_many_words(backend, rng):
    n = 130
    C = rng.random((12, n)) < 0.05
    sets = _sets.coalitions_to_sets(C)
    w = rng.normal(size=(12, 1))
    a = K.subset_moments(sets, n, 2, w, backend=backend)
    b = K.subset_moments(sets, n, 2, w, backend="reference")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    es = _sets.enumerate_sets(n, 0, 2)
    np.testing.assert_array_equal(K.set_ranks(es, n, 2, backend=backend), np.arange(len(es)))


def test_moments_are_deterministic(rng):
    n = 20
    sets = _sets.coalitions_to_sets(rng.random((500, n)) < 0.5).reshape(500, 1)
    w = rng.normal(size=(500, 1))
    a = K.subset_moments(sets, n, 3, w)
    b = K.subset_moments(sets, n, 3, w)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("n,k,d", [(9, 4, 3), (12, 3, 1), (60, 2, 40), (70, 2, 2)])
def test_superset_sums_map_equals_the_scatter_bit_for_bit(n, k, d, rng):
    """The cached sparse map of the complement trick against its naive reference: the
    superset sums cp[A] = sum_{U superset A, |U| <= k} c[U] by explicit enumeration of
    supersets (to 1e-12), and bit for bit the np.add.at scatter it replaced."""
    from interplay import sets as bits

    c = rng.normal(size=(K.n_sets_upto(n, k), d))
    got = K._superset_sums(n, k) @ c
    scatter = np.zeros_like(c)
    for s in range(k + 1):
        R = bits.subset_ranks_by_mask(n, s)
        lo = bits.offset(n, s)
        for L in range(1 << s):
            np.add.at(scatter, R[:, L], c[lo:lo + R.shape[0]])
    assert np.array_equal(got, scatter)
    if n <= 12:
        allsets = [frozenset(S) for s in range(k + 1)  # by size, then value (colex)
                   for S in sorted(itertools.combinations(range(n), s),
                                   key=lambda S: sum(1 << i for i in S))]
        naive = np.array([[c[j] for j, U in enumerate(allsets) if A <= U] for A in allsets],
                         dtype=object)
        naive = np.stack([np.sum(np.stack(r), axis=0) for r in naive])
        np.testing.assert_allclose(got, naive, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,k", [(12, 2), (12, 4), (70, 2)])
def test_complement_trick_equals_direct(n, k, rng):
    C = rng.random((60, n)) < rng.random((60, 1))
    sets = _sets.coalitions_to_sets(C).reshape(60, -1)
    w = rng.normal(size=(60, 2))
    bucket = rng.integers(0, 2, 60)
    direct = K.subset_moments(sets, n, k, w, bucket, 2, complement=False)
    via = K.subset_moments(sets, n, k, w, bucket, 2, complement=True)
    np.testing.assert_allclose(via, direct, rtol=1e-9, atol=1e-9)
    if n <= 12:
        np.testing.assert_allclose(direct, K.subset_moments(sets, n, k, w, bucket, 2,
                                                            backend="reference"), atol=1e-12)
    coef = rng.normal(size=(K.n_sets_upto(n, k), 3))
    np.testing.assert_allclose(K.subset_gather(sets, n, k, coef, complement=True),
                               K.subset_gather(sets, n, k, coef, complement=False),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("words", [1, 3])
def test_first_occurrence(words, backend, rng):
    rows = rng.integers(0, 4, size=(500, words)).astype(np.uint64)
    first, ids = K.first_occurrence(rows, backend=backend)
    rf, ri = ref.first_occurrence(rows)
    np.testing.assert_array_equal(first, rf)
    np.testing.assert_array_equal(ids, ri)
    # brute force: ids number distinct rows by first appearance
    seen = {}
    for r, row in enumerate(map(tuple, rows.tolist())):
        seen.setdefault(row, len(seen))
        assert ids[r] == seen[row]
    assert first.size == len(seen)


@pytest.mark.parametrize("backend", COMPILED, indirect=True)
def test_stream_over_a_thousand_players(backend):
    n = 1030
    q = _q(n, 1, "binom")
    q[0] = q[n] = np.inf
    a = K.stratified_stream(n, q, False, 3, 40, backend=backend)
    b = ref.stratified_stream(n, q, False, 3, 40)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert a[0].shape == (40, 17)


@pytest.mark.parametrize("backend", COMPILED, indirect=True)
def test_permutation_stream(backend):
    a = K.permutations(77, 3, 25, 11, backend=backend)
    b = ref.permutations(77, 3, 25, 11)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.sort(a, axis=1), np.tile(np.arange(11), (25, 1)))
    # any range of the stream is generated independently of the others
    np.testing.assert_array_equal(K.permutations(77, 10, 5, 11, backend=backend), a[7:12])


# ---------------------------------------------------------------- permutation STII, order 2
def _naive_perm_plan(seed, n, budget, max_perms, forced, rows_of):
    """Row by row: the forced rows, then rows_of(permutation) per permutation; a dict numbers
    distinct rows; stop before the permutation that takes the distinct count past budget."""
    seen, plan, cells = {}, [], []
    for row in forced:
        seen.setdefault(row, len(seen))
        if len(seen) > len(plan):
            plan.append(row)
        cells.append(seen[row])
    cum, perms = [len(plan)], []
    for j in range(max_perms):
        p = [int(x) for x in ref.permutations(seed, j, 1, n)[0]]
        trial, new_plan, new_cells = dict(seen), [], []
        for row in rows_of(p):
            if row not in trial:
                trial[row] = len(trial)
                new_plan.append(row)
            new_cells.append(trial[row])
        if len(trial) > budget:
            break
        seen = trial
        plan += new_plan
        cells += new_cells
        perms.append(p)
        cum.append(len(plan))
    return plan, perms, cells, cum


def _prefixes(p):
    out = [0]
    for x in p:
        out.append(out[-1] | (1 << x))
    return out


def _naive_stii2_plan(seed, n, budget, max_perms):
    """Per permutation: the prefixes, then T u {later} and T u {a, b} for pairs a < b in
    colex order, T the prefix before the pair's first member."""
    pairs = [(a, b) for b in range(1, n) for a in range(b)]

    def rows_of(p):
        pos = {x: i for i, x in enumerate(p)}
        prefix = _prefixes(p)
        rows = list(prefix)
        for shift in (0, 1):
            for a, b in pairs:
                f, later = (pos[a], b) if pos[a] < pos[b] else (pos[b], a)
                rows.append(prefix[f + shift] | (1 << later))
        return rows

    forced = [0] + [1 << i for i in range(n)] + [(1 << n) - 1]
    return _naive_perm_plan(seed, n, budget, max_perms, forced, rows_of)


def _naive_sii_plan(seed, n, k, budget, max_perms):
    """Per permutation: the prefixes (k = 1), else for each prefix position q and mask L over
    the next k positions the prefix plus those members (positions beyond n dropped)."""
    def rows_of(p):
        prefix = _prefixes(p)
        if k == 1:
            return prefix
        return [prefix[q] | sum(1 << p[q + i] for i in range(k) if L >> i & 1 and q + i < n)
                for q in range(n + 1) for L in range(1 << k)]

    return _naive_perm_plan(seed, n, budget, max_perms, [0, (1 << n) - 1], rows_of)


def _check_plan(out, expected, n, budget):
    plan, perms, cells, cum = out
    e_plan, e_perms, e_cells, e_cum = expected
    np.testing.assert_array_equal(np.asarray(plan)[:, 0], np.array(e_plan, dtype=np.uint64))
    np.testing.assert_array_equal(np.asarray(perms),
                                  np.array(e_perms, dtype=np.int64).reshape(-1, n))
    np.testing.assert_array_equal(np.asarray(cells), np.array(e_cells, dtype=np.int64))
    np.testing.assert_array_equal(np.asarray(cum), np.array(e_cum, dtype=np.int64))
    assert len(e_plan) <= budget


@pytest.mark.parametrize("n,k,budget,seed", [(2, 1, 3, 0), (4, 1, 12, 1), (9, 1, 300, 2),
                                             (5, 2, 25, 3), (10, 2, 600, 4), (8, 3, 200, 5),
                                             (64, 2, 2000, 6), (64, 1, 500, 7)])
def test_sii_plan_equals_naive(backend, n, k, budget, seed):
    max_perms = 40 if n <= 4 else max(16, 64 * budget)
    out = K.SII_PLAN.select(backend)[1](seed, n, k, budget, max_perms)
    _check_plan(out, _naive_sii_plan(seed, n, k, budget, max_perms), n, budget)


def _naive_sii_sums(plan, perms, V, n, k, R=1):
    """Per-set sums of the SII window contributions and of their squares over permutations,
    the sums per random group (permutation m in group m % R) and the window counts."""
    d = V.shape[1]
    v = {row: V[i] for i, row in enumerate(plan)}
    sets = [frozenset(c) for s in range(k + 1) for c in sorted(
        itertools.combinations(range(n), s), key=lambda c: sum(1 << x for x in c))]
    rank = {S: i for i, S in enumerate(sets)}
    e1, e2 = np.zeros((len(sets), d)), np.zeros((len(sets), d))
    eg = np.zeros((R, len(sets), d))
    hits = np.zeros(len(sets), dtype=np.int64)
    for m, p in enumerate(perms):
        hits[0] += 1
        tot = np.zeros(d)
        for s in range(k + 1):
            for q in range(n - s + 1):
                T = sum(1 << x for x in p[:q])
                W = p[q:q + s]
                x = comb(n, s) / (n - s + 1) * sum(
                    (-1) ** (s - len(L)) * v[T | sum(1 << w for w in L)]
                    for r in range(s + 1) for L in itertools.combinations(W, r))
                if s == 0:
                    tot += x
                else:
                    hits[rank[frozenset(W)]] += 1
                    e1[rank[frozenset(W)]] += x
                    e2[rank[frozenset(W)]] += x**2
                    eg[m % R, rank[frozenset(W)]] += x
        e1[0] += tot
        e2[0] += tot**2
        eg[m % R, 0] += tot
    return e1, e2, eg, hits


@pytest.mark.parametrize("n,k,d", [(3, 1, 1), (7, 1, 2), (6, 2, 1), (9, 2, 3), (7, 3, 2)])
def test_sii_accumulate_equals_naive(backend, n, k, d, rng):
    plan, perms, cells, _ = _naive_sii_plan(5, n, k, min(2**n - 1, 120), 30)
    V = rng.normal(size=(len(plan), d))
    e1, e2, _, e_hits = _naive_sii_sums(plan, perms, V, n, k)
    S1, S2 = np.zeros_like(e1), np.zeros_like(e2)
    P, C = np.array(perms, dtype=np.int64).reshape(-1, n), np.array(cells[2:], dtype=np.int64)
    K.SII_ACC.select(backend)[1](P, C, k, V, S1, S2)
    np.testing.assert_allclose(S1, e1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S2, e2, rtol=1e-12, atol=1e-12)
    hits = np.zeros(e1.shape[0], dtype=np.int64)  # the window counts, same sums bit for bit
    H1, H2 = np.zeros_like(e1), np.zeros_like(e2)
    K.SII_ACC.select(backend)[1](P, C, k, V, H1, H2, hits=hits)
    np.testing.assert_array_equal(hits, e_hits)
    np.testing.assert_array_equal(H1, S1)
    np.testing.assert_array_equal(H2, S2)


@pytest.mark.parametrize("n,k,d", [(3, 1, 1), (7, 1, 2), (6, 2, 1), (9, 2, 3), (7, 3, 2)])
def test_sii_accumulate_group_sums(backend, n, k, d, rng):
    """With group ids, the same pass also sums each group's contributions (k-SII's
    covariance from random groups of permutations); S1 and S2 are bit-identical to a call
    without groups."""
    plan, perms, cells, _ = _naive_sii_plan(7, n, k, min(2**n - 1, 120), 30)
    V = rng.normal(size=(len(plan), d))
    R = 4
    _, _, eg, _ = _naive_sii_sums(plan, perms, V, n, k, R)
    P = np.array(perms, dtype=np.int64).reshape(-1, n)
    C = np.array(cells[2:], dtype=np.int64)
    fn = K.SII_ACC.select(backend)[1]
    S1, S2 = np.zeros(eg.shape[1:]), np.zeros(eg.shape[1:])
    fn(P, C, k, V, S1, S2)
    G1, G2, SG = np.zeros_like(S1), np.zeros_like(S2), np.zeros_like(eg)
    fn(P, C, k, V, G1, G2, group=np.arange(P.shape[0]) % R, SG=SG)
    np.testing.assert_array_equal(G1, S1)
    np.testing.assert_array_equal(G2, S2)
    np.testing.assert_allclose(SG, eg, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="together"):
        fn(P, C, k, V, G1, G2, group=np.zeros(P.shape[0], dtype=np.int64))


@pytest.mark.parametrize("n,budget,seed", [(2, 4, 0), (3, 7, 1), (5, 30, 2), (8, 200, 3),
                                           (13, 1500, 4), (64, 3000, 5)])
def test_stii2_plan_equals_naive(backend, n, budget, seed):
    max_perms = max(16, 64 * budget) if n > 2 else 40
    out = K.STII2_PLAN.select(backend)[1](seed, n, budget, max_perms)
    _check_plan(out, _naive_stii2_plan(seed, n, budget, max_perms), n, budget)


@pytest.mark.parametrize("n,d", [(2, 1), (6, 1), (9, 3)])
def test_stii2_accumulate_equals_naive(backend, n, d, rng):
    plan, perms, cells, _ = _naive_stii2_plan(11, n, 400 if n > 6 else 60, 40)
    V = rng.normal(size=(len(plan), d))
    v = {row: V[i] for i, row in enumerate(plan)}
    K2 = comb(n, 2)
    e1, e2 = np.zeros((K2, d)), np.zeros((K2, d))
    elo, ehi = np.full((K2, d), np.inf), np.full((K2, d), -np.inf)
    pairs = [(a, b) for b in range(1, n) for a in range(b)]
    for p in perms:
        pos = {x: i for i, x in enumerate(p)}
        for q, (a, b) in enumerate(pairs):
            T = sum(1 << x for x in p[: min(pos[a], pos[b])])
            delta = v[T | 1 << a | 1 << b] - v[T | 1 << a] - v[T | 1 << b] + v[T]
            e1[q] += delta
            e2[q] += delta**2
            elo[q], ehi[q] = np.minimum(elo[q], delta), np.maximum(ehi[q], delta)
    args = (np.array(perms, dtype=np.int64).reshape(-1, n), np.array(cells[n + 2:], dtype=np.int64), V)
    fn = K.STII2_ACC.select(backend)[1]
    S1, S2 = np.zeros((K2, d)), np.zeros((K2, d))
    fn(*args, S1, S2)
    np.testing.assert_allclose(S1, e1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S2, e2, rtol=1e-12, atol=1e-12)
    # the running extremes (the reference's deltas, to the last bit), sums unchanged by them
    lo, hi = np.full((K2, d), np.inf), np.full((K2, d), -np.inf)
    T1, T2 = np.zeros((K2, d)), np.zeros((K2, d))
    fn(*args, T1, T2, lo=lo, hi=hi)
    np.testing.assert_allclose(lo, elo, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hi, ehi, rtol=1e-12, atol=1e-12)
    deltas = reference_permutation.stii2_deltas(*args)
    np.testing.assert_array_equal(lo, deltas.min(axis=0))
    np.testing.assert_array_equal(hi, deltas.max(axis=0))
    np.testing.assert_array_equal(T1, S1)
    np.testing.assert_array_equal(T2, S2)
    with pytest.raises(ValueError, match="together"):
        fn(*args, T1, T2, lo=lo)


@pytest.mark.parametrize("backend", ["cpp"], indirect=True)
def test_stii2_accumulate_rejects_bad_ids(backend):
    with pytest.raises(ValueError, match="cell id"):
        K.STII2_ACC.select("cpp")[1](np.array([[0, 1]], dtype=np.int64),
                                    np.array([0, 1, 9, 0, 0], dtype=np.int64),
                                    np.zeros((3, 1)), np.zeros((1, 1)), np.zeros((1, 1)))


@pytest.mark.parametrize("n,k", [(6, 3), (9, 4), (5, 5), (3, 4)])
def test_complement_fold_equals_brute_force(backend, n, k, rng):
    """out[b, U] += sum_{A subset U} (-1)^|A| src[b, A], against a loop over bitmask pairs."""
    ns = K.n_sets_upto(n, k)
    src = rng.normal(size=(2, ns, 3))
    start = rng.normal(size=(2, ns, 3))
    order = [sum(1 << p for p in c) for s in range(min(k, n) + 1) for c in
             sorted(itertools.combinations(range(n), s), key=lambda c: sum(1 << p for p in c))]
    expect = start.copy()
    for i, U in enumerate(order):
        for j, A in enumerate(order):
            if A & U == A:
                expect[:, i] += (-1) ** bin(A).count("1") * src[:, j]
    out = start.copy()
    K.complement_fold(src, n, k, out, backend=backend)
    np.testing.assert_allclose(out, expect, rtol=1e-12, atol=1e-12)


def test_complement_fold_bad_shape():
    with pytest.raises(ValueError, match="shape"):
        K.complement_fold(np.zeros((1, 5, 1)), 4, 2, np.zeros((1, 5, 1)))


def test_moments_and_gather_order_zero(backend, rng):
    n = 9
    sets = _sets.coalitions_to_sets(rng.random((25, n)) < 0.5).reshape(25, 1)
    w = rng.normal(size=(25, 2))
    bucket = rng.integers(0, 3, 25)
    got = K.subset_moments(sets, n, 0, w, bucket, 3, backend=backend)
    np.testing.assert_allclose(got, _brute_moments(sets, n, 0, w, bucket, 3), rtol=1e-12,
                               atol=1e-12)
    coef = rng.normal(size=(1, 2))
    np.testing.assert_array_equal(K.subset_gather(sets, n, 0, coef, backend=backend),
                                  np.repeat(coef, 25, axis=0))


def test_complement_auto_cost_model(rng):
    """complement="auto" folds only where it at least halves the visited subsets; either way
    the moments and gathers equal the direct ones."""
    n, k = 16, 2
    big = _sets.coalitions_to_sets(rng.random((80, n)) < 0.95).reshape(80, 1)  # sizes ~ n
    sym = _sets.coalitions_to_sets(rng.random((80, n)) < 0.5).reshape(80, 1)  # symmetric
    assert K._complement_pays(big, n, k) and not K._complement_pays(sym, n, k)
    w = rng.normal(size=(80, 2))
    coef = rng.normal(size=(K.n_sets_upto(n, k), 2))
    for sets in (big, sym):
        direct = K.subset_moments(sets, n, k, w, complement=False)
        np.testing.assert_allclose(K.subset_moments(sets, n, k, w, complement="auto"), direct,
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(K.subset_gather(sets, n, k, coef, complement="auto"),
                                   K.subset_gather(sets, n, k, coef, complement=False),
                                   rtol=1e-10, atol=1e-10)
