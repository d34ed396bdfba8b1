"""Sampled estimators: exact at budget >= 2^n, determinism, refinement, d outputs, bad input."""

import numpy as np
import pytest

import interplay
from interplay.estimators import METHODS, GameEvaluationError, make_estimator
from interplay.games import SumOfUnanimityGames, TableGame, evaluate_all
from tests.reference import naive_indices as ni

P = 0.3
PAIRS = [(m, idx) for m, idxs in METHODS.items() for idx in idxs]
# KernelSHAP-IQ enforces its border rows by a big weight (1e8, as shapiq): exact to ~1e-7
TOL = {"kernelshapiq": 1e-6}


def _reference(table, n, idx, k):
    if idx in ("FSII", "FBII", "FWBII"):
        return ni.faithful(table, n, idx, k, p=P)
    return ni.cii(table, n, idx, k, p=P)


@pytest.mark.parametrize("method,index", PAIRS)
def test_full_budget_is_exact(method, index):
    n = 6
    game = TableGame.random(n, seed=3)
    table = evaluate_all(game, n)
    res = interplay.approximate(game, n, index, 1 << n, method=method, p=P, seed=0)
    ref = _reference(table, n, index, res.max_order)
    np.testing.assert_allclose(res.values, ref, rtol=1e-9, atol=TOL.get(method, 1e-10))
    assert not res.estimated
    assert res.budget_used == 1 << n


@pytest.mark.parametrize("method,index", [("regression", "FSII"), ("shapiq", "k-SII"),
                                          ("svarmiq", "STII"), ("msr", "BII"),
                                          ("permutation", "SII"), ("permutation", "STII"),
                                          ("regression", "FWBII")])
def test_same_seed_same_numbers_and_refine(method, index):
    n = 9
    game = TableGame.random(n, seed=4)
    a = interplay.approximate(game, n, index, 120, method=method, p=P, seed=11)
    b = interplay.approximate(game, n, index, 120, method=method, p=P, seed=11)
    c = interplay.approximate(game, n, index, 120, method=method, p=P, seed=12)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.stderr, b.stderr)
    assert not np.array_equal(a.values, c.values)
    # refine(run(B1), B2) == run(B1 + B2), bit for bit, reusing every evaluated coalition
    counting = _Counting(game)
    r = interplay.refine(a, counting, 150)
    full = interplay.approximate(game, n, index, 270, method=method, p=P, seed=11)
    assert np.array_equal(r.values, full.values) and np.array_equal(r.stderr, full.stderr)
    assert r.budget_used == full.budget_used
    assert counting.rows == full.budget_used - a.budget_used  # nothing evaluated twice


class _Counting:
    def __init__(self, game):
        self.game, self.rows, self.n_players = game, 0, game.n_players

    def __call__(self, C):
        self.rows += C.shape[0]
        return self.game(C)


@pytest.mark.parametrize("method,index", [("regression", "FSII"), ("svarmiq", "SII"),
                                          ("msr", "WBII"), ("permutation", "k-SII")])
def test_d_outputs_equal_single_runs(method, index):
    n, d = 8, 3
    game = SumOfUnanimityGames.random(n, 12, max_size=4, d=d, seed=2)
    res = interplay.approximate(game, n, index, 100, method=method, p=P, seed=5)
    assert res.values.shape[1] == d
    for j in range(d):
        one = interplay.approximate(lambda C, j=j: game(C)[:, j], n, index, 100, method=method,
                                    p=P, seed=5)
        np.testing.assert_allclose(res.values[:, j], one.values, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(res.stderr[:, j], one.stderr, rtol=1e-8, atol=1e-12)


def test_phase_split_protocol_matches_approximate():
    n = 10
    game = TableGame.random(n, seed=8)
    est = make_estimator(n, "FSII", 200, seed=3)
    while (C := est.next_coalitions(max_rows=37)) is not None:
        assert C.dtype == bool and C.shape[1] == n and C.shape[0] <= 37
        est.tell(game(C))
    via = interplay.approximate(game, n, "FSII", 200, seed=3, batch_size=50)
    assert np.array_equal(est.result().values, via.values)


def test_game_error_keeps_evaluated_and_resumes():
    n = 9
    game = TableGame.random(n, seed=1)
    calls = {"k": 0}

    def flaky(C):
        calls["k"] += 1
        if calls["k"] == 3:
            raise RuntimeError("model crashed")
        return game(C)

    with pytest.raises(GameEvaluationError) as info:
        interplay.approximate(flaky, n, "SII", 150, method="svarmiq", seed=2, batch_size=40)
    err = info.value
    assert err.coalitions.shape == (40, n)
    assert err.state.n_evaluated == 80
    counting = _Counting(game)
    resumed = interplay.refine(err.state, counting, 0)
    assert counting.rows == 150 - 80
    clean = interplay.approximate(game, n, "SII", 150, method="svarmiq", seed=2)
    assert np.array_equal(resumed.values, clean.values)


def test_anytime_tol_stops_early_and_equals_fixed_budget_run():
    n = 12
    # a lookup table (values independent of how coalitions are batched into game calls)
    game = TableGame(evaluate_all(SumOfUnanimityGames.random(n, 20, max_size=3, seed=0), n))
    res = interplay.approximate(game, n, "FSII", 3000, seed=1, tol=0.2)
    used = res.info["anytime_rounds_budget"]
    assert used < 3000 and np.max(res.stderr[1:]) < 0.2
    fixed = interplay.approximate(game, n, "FSII", used, seed=1)
    assert np.array_equal(res.values, fixed.values)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(budget=1), ValueError, "budget"),
    (dict(budget=2.5), TypeError, "budget"),
    (dict(index="nope"), ValueError, "index"),
    (dict(index="FSII", method="msr"), ValueError, "does not estimate"),
    (dict(method="magic"), ValueError, "method"),
    (dict(p=1.5, index="FWBII"), ValueError, "p"),
    (dict(max_order=0), ValueError, "max_order"),
    (dict(n_players=0), ValueError, "n_players"),
    (dict(seed="x"), TypeError, "seed"),
    (dict(tol=-1.0), ValueError, "tol"),
    (dict(batch_size=0), ValueError, "batch_size"),
])
def test_bad_input(kwargs, exc, match):
    n = kwargs.pop("n_players", 6)
    game = TableGame.random(6, seed=0)
    args = dict(index="SII", budget=30)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        interplay.approximate(game, n, args.pop("index"), args.pop("budget"), **args)


def test_game_player_mismatch_wrong_shape_and_nan():
    game = TableGame.random(6, seed=0)
    with pytest.raises(ValueError, match="n_players"):
        interplay.approximate(game, 7, "SV", 30)
    with pytest.raises(ValueError, match="shape"):
        interplay.approximate(lambda C: np.zeros(C.shape[0] + 1), 6, "SV", 30)
    with pytest.raises(ValueError, match="NaN"):
        interplay.approximate(lambda C: np.full(C.shape[0], np.nan), 6, "SV", 30)
    with pytest.raises(TypeError, match="callable"):
        interplay.approximate(3, 6, "SV", 30)


def test_refine_needs_a_sampled_result():
    game = TableGame.random(5, seed=0)
    res = interplay.approximate(game, 5, "SV", 20, seed=0)
    with pytest.raises(ValueError, match="extra_budget"):
        interplay.refine(res, game, -1)
    with pytest.raises(TypeError, match="InteractionResult"):
        interplay.refine("x", game, 3)


def test_custom_index_object_equals_builtin():
    from math import comb

    from interplay.indices import SII, CardinalIndex, WeightedBII

    def w(n):
        return np.array([[1 / ((n - s + 1) * comb(n - s, t)) if t <= n - s else 0.0
                          for t in range(n + 1)] for s in range(3)])

    n = 9
    game = TableGame.random(n, seed=3)
    mine = CardinalIndex("my-SII", 2, derivative_weights=w)
    for method in ("shapiq", "svarmiq"):
        a = interplay.approximate(game, n, mine, 150, method=method, seed=1)
        b = interplay.approximate(game, n, "SII", 150, method=method, seed=1)
        assert a.index == "my-SII"
        np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=1e-12)
        full = interplay.approximate(game, n, mine, 1 << n, method=method, seed=1)
        np.testing.assert_allclose(full.values, interplay.exact(evaluate_all(game, n), mine).values,
                                   rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="user-defined"):
        interplay.approximate(game, n, mine, 100, method="msr")
    # built-in objects act as their names (and carry order and p)
    r = interplay.approximate(game, n, WeightedBII(p=0.3, order=2), 100, method="msr", seed=0)
    s = interplay.approximate(game, n, "WBII", 100, method="msr", p=0.3, seed=0)
    assert np.array_equal(r.values, s.values)
    assert interplay.approximate(game, n, SII(order=3), 100, seed=0).max_order == 3


@pytest.mark.parametrize("method,index", PAIRS)
def test_full_budget_equals_exact_engine(method, index):
    n = 5
    game = TableGame.random(n, seed=9)
    res = interplay.approximate(game, n, index, 1 << n, method=method, p=P, seed=0)
    ex = interplay.exact(evaluate_all(game, n), index, res.max_order, p=P)
    np.testing.assert_allclose(res.values, ex.values, rtol=1e-9, atol=TOL.get(method, 1e-10))
    np.testing.assert_allclose(res.baseline_value, ex.baseline_value, rtol=1e-12, atol=1e-12)
    assert res.index == ex.index and np.array_equal(res.sets, ex.sets)


def test_regression_refuses_a_basis_that_does_not_fit():
    from interplay._validation import available_memory
    from interplay.estimators._stratified import regression_plan_bytes

    n = 300  # order 2: 45,151 terms, a Gram matrix of 16 GB (x3 with factor and ranks)
    assert regression_plan_bytes(n, 2) > 45_000**2 * 8
    if regression_plan_bytes(n, 2) > available_memory():
        with pytest.raises(ValueError, match="max_order: regression with 45151 basis terms"):
            make_estimator(n, "FSII", 50_000, seed=0)  # >= K coalitions: the primal K x K system
    with pytest.raises(ValueError, match="basis terms"):
        make_estimator(2000, "FBII", 1000, max_order=3, seed=0)


def test_kernelshapiq_refuses_a_plan_that_does_not_fit_before_calling_the_game():
    from interplay._validation import available_memory
    from interplay.estimators._kernelshapiq import kernelshapiq_plan_bytes

    # order 2 at n = 300 with 1e5 coalitions: the primal order-2 system over 45,151 monomials
    need = kernelshapiq_plan_bytes(300, 2, 100_000)
    assert need > 2 * 45_151**2 * 8
    # with fewer coalitions than pairs the order-2 fit is dual: (m + 1)^2 doubles, not K^2
    assert kernelshapiq_plan_bytes(300, 2, 5000) < 2**30
    calls = []

    def game(C):
        calls.append(len(C))
        return C.sum(axis=1).astype(float)

    if need > available_memory():
        with pytest.raises(ValueError, match="max_order: KernelSHAP-IQ of order 2 for n = 300"):
            interplay.approximate(game, 300, "k-SII", 100_000, method="kernelshapiq", seed=0)
        assert calls == []  # refused before any coalition was evaluated
    est = make_estimator(300, "k-SII", 5000, method="kernelshapiq", seed=0)
    assert est.plan_bytes == kernelshapiq_plan_bytes(300, 2, 5000)


def test_anytime_permutation_rounds_end_on_whole_permutations():
    n = 12
    game = TableGame(evaluate_all(SumOfUnanimityGames.random(n, 20, max_size=3, seed=0), n))
    res = interplay.approximate(game, n, "SII", 3000, method="permutation", seed=1, tol=0.5)
    used = res.info["anytime_rounds_budget"]
    assert used < 3000
    fixed = interplay.approximate(game, n, "SII", used, method="permutation", seed=1)
    assert np.array_equal(res.values, fixed.values) and res.budget_used == fixed.budget_used
    # budget >= 2^n: an enumeration, evaluated completely (exact) even in anytime mode
    small = interplay.approximate(game, 12, "SII", 5000, method="permutation", seed=1, tol=10.0)
    exact = interplay.exact(evaluate_all(game, 12), "SII", 2)
    np.testing.assert_allclose(small.values, exact.values, atol=1e-10)


# numba: compiling every estimator kernel takes about 40 s (slow)
@pytest.mark.parametrize("backend", ["reference", pytest.param("numba", marks=pytest.mark.slow)],
                         indirect=True)
def test_estimates_identical_across_backends(backend):
    n = 9
    game = TableGame.random(n, seed=2)
    for method, index in (("regression", "FSII"), ("svarmiq", "SII"), ("msr", "BII"),
                          ("permutation", "STII"), ("permutation", "SII")):
        a = interplay.approximate(game, n, index, 80, method=method, seed=4, backend="cpp")
        b = interplay.approximate(game, n, index, 80, method=method, seed=4, backend=backend)
        np.testing.assert_allclose(a.values, b.values, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a.stderr, b.stderr, rtol=1e-10, atol=1e-12)
        assert a.n_evaluations == b.n_evaluations


def test_more_than_a_thousand_players():
    from interplay.games import AdditiveGame

    n = 1030  # 17 words per coalition
    w = np.random.default_rng(0).normal(size=n)
    game = AdditiveGame(w, baseline=0.5)
    res = interplay.approximate(game, n, "SV", 2000, method="permutation", seed=0)
    np.testing.assert_allclose(res.values[1:], w, atol=1e-9)  # additive: every marginal is w_i
    assert res.sets.shape == (n + 1, 17)
    msr = interplay.approximate(game, n, "BV", 60, method="msr", seed=0)
    assert np.isfinite(msr.values).all() and msr.budget_used == 60
    with pytest.raises(ValueError, match="exceed double range"):
        interplay.approximate(game, n, "SII", 60, method="svarmiq")


def test_solver_fallback_on_singular_normal_equations(rng):
    from interplay.estimators._stratified import EXACT_PINV_MAX, solve_spd

    for K, expect in ((12, "eigh-pinv"), (EXACT_PINV_MAX + 40, "cholesky+ridge")):
        X = rng.normal(size=(K // 3, K))
        G = X.T @ X  # rank K/3
        b = G @ rng.normal(size=K)  # in the range of G
        x, how = solve_spd(G, b)
        assert how == expect
        best = np.linalg.pinv(G) @ b
        if expect == "eigh-pinv":  # the exact minimum-norm solution
            np.testing.assert_allclose(x, best, rtol=1e-8, atol=1e-9)
        else:  # the ridge limit: solves the system, with no larger norm than the minimum one
            assert np.linalg.norm(G @ x - b) <= 1e-6 * np.linalg.norm(b)
            assert np.linalg.norm(x) <= np.linalg.norm(best) * (1 + 1e-9)
    for K, expect in ((12, "cholesky"), (EXACT_PINV_MAX + 40, "cholesky+ridge")):
        X = rng.normal(size=(2 * K, K))
        G = X.T @ X + np.eye(K)  # well conditioned
        b = rng.normal(size=K)
        x2, how2 = solve_spd(G, b)
        assert how2 == expect
        np.testing.assert_allclose(G @ x2, b, rtol=1e-8, atol=1e-8)
    # fewer coalitions than basis terms: the dual form (tests/test_regression_dual.py)
    res = interplay.approximate(TableGame.random(12, seed=0), 12, "FSII", 40, seed=0)
    assert res.info["solver"] == "dual-cholesky" and np.isfinite(res.values).all()


def test_spd_solver_in_place_equals_copy_and_restores_on_failure(rng):
    from interplay.estimators._stratified import EXACT_PINV_MAX, spd_solver

    K = EXACT_PINV_MAX + 25
    X = rng.normal(size=(2 * K, K))
    b = rng.normal(size=(K, 2))
    bad = X.T @ X
    bad[-1, -1] = -1e3  # indefinite: potrf fails at the last pivot, after writing the rest
    for G0, expect in ((X.T @ X + np.eye(K), "cholesky+ridge"), (bad, "eigh-pinv")):
        G0 = (G0 + G0.T) / 2
        solve_copy, how_copy = spd_solver(G0.copy())
        for layout in ("C", "F"):
            G = np.array(G0, order=layout)
            solve, how = spd_solver(G, overwrite=True)
            assert how == how_copy == expect
            np.testing.assert_array_equal(solve(b), solve_copy(b))
            if expect == "eigh-pinv":  # the fallback still sees the original matrix
                np.testing.assert_array_equal(G, G0)


def test_a_budget_whose_plan_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="budget: a plan of"):
        interplay.approximate(lambda C: C.sum(axis=1) * 1.0, 40, "SV", 10**13, method="kernelshap")


def test_auto_method_per_index_and_budget():
    from interplay.estimators import auto_method

    assert auto_method("SV") == "kernelshap"
    assert auto_method("k-SII") == "kernelshapiq"
    assert auto_method("FWBII", p=0.3) == "regression"
    # STII: SVARM-IQ once the budget reaches n^2 coalitions, permutation sampling below
    assert auto_method("STII", n_players=20, budget=400) == "svarmiq"
    assert auto_method("STII", n_players=20, budget=399) == "permutation"
    assert auto_method("STII") == "svarmiq"
    # SII / k-SII of order 2 at MultiSHAP's sizes (>= 64 players) below 2 x n (n + 1) / 2
    # coalitions: svarmiq (bench/RESULTS.md, "MultiSHAP's SII")
    for idx in ("SII", "k-SII"):
        assert auto_method(idx, n_players=68, budget=4096) == "svarmiq"
        assert auto_method(idx, n_players=273, budget=4096) == "svarmiq"
        assert auto_method(idx, n_players=68, budget=68 * 69) == "kernelshapiq"
        assert auto_method(idx, n_players=63, budget=100) == "kernelshapiq"
        assert auto_method(idx, n_players=20, budget=1000) == "kernelshapiq"
    game = SumOfUnanimityGames.random(30, 40, max_size=3, seed=1)
    res = interplay.approximate(game, 30, "STII", 600, seed=0)
    assert res.info["method"] == "permutation"
    # refine keeps the method of the first run even when the total budget crosses n^2
    more = interplay.refine(res, game, 600)
    assert more.info["method"] == "permutation"
    assert interplay.approximate(game, 30, "STII", 900, seed=0).info["method"] == "svarmiq"


def test_auto_falls_back_when_the_default_does_not_fit_in_memory(monkeypatch):
    """SII of order 2 at 60 players, budget 4,000 (above 2 x the 1,830 terms, below 64
    players: not the large-n rule): KernelSHAP-IQ's plan (83.5 MiB) does not fit in the 75 MiB
    made available; auto takes svarmiq and says why instead of refusing; an explicit
    method='kernelshapiq' still refuses. (200 players, the earlier case, is now the size rule's:
    SII_KERNEL_MAX_TERMS.)
    Order 3 at 68 players below 2 x its 52,462 terms is the large-n rule's (svarmiq)."""
    from interplay import _validation
    from interplay.estimators import make_estimator

    monkeypatch.setattr(_validation, "available_memory", lambda: 75 << 20)
    est = make_estimator(60, "SII", 4000, max_order=2, seed=0)
    assert est.method == "svarmiq" and "does not fit in memory" in est.auto_reason
    assert "kernelshapiq" in est.auto_reason
    with pytest.raises(ValueError, match="memory"):
        make_estimator(60, "SII", 4000, max_order=2, seed=0, method="kernelshapiq")
    monkeypatch.setattr(_validation, "available_memory", lambda: 1 << 32)
    est = make_estimator(68, "SII", 65536, max_order=3, seed=0)
    assert est.method == "svarmiq" and "52462 terms" in est.auto_reason


@pytest.mark.parametrize("n, k, method", [(30, 3, "svarmiq"), (30, 3, "shapiq"),
                                          (60, 2, "svarmiq"), (60, 2, "shapiq")])
def test_monte_carlo_memory_plan_bounds_the_peak(n, k, method):
    """SHAP-IQ / SVARM-IQ plan their per-size moments and top-order pattern sums before any
    game call: within 0.8-1.4x of the traced peak (measured 0.86-1.33; at 68 players and
    order 3: 1.01-1.03, at 273 and order 2: 1.31)."""
    import tracemalloc

    from interplay.estimators import make_estimator

    game = SumOfUnanimityGames.random(n, 20 * n, max_size=3, seed=100)
    plan = make_estimator(n, "SII", 4096, max_order=k, seed=0, method=method).plan_bytes
    tracemalloc.start()
    try:
        interplay.approximate(game, n, "SII", 4096, max_order=k, method=method, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.8 * peak <= plan <= 1.4 * peak, (plan, peak)


def test_auto_takes_the_next_estimator_that_fits(monkeypatch):
    """68 players, order 3, 16,384 coalitions with 1.5 GiB available: the large-n rule's
    svarmiq (2.2 GB planned) does not fit, shapiq (1.1 GB) does; an explicit svarmiq refuses
    naming max_order."""
    from interplay import _validation
    from interplay.estimators import make_estimator

    monkeypatch.setattr(_validation, "available_memory", lambda: 3 << 29)
    est = make_estimator(68, "SII", 16384, max_order=3, seed=0)
    assert est.method == "shapiq" and "svarmiq does not fit in memory" in est.auto_reason
    with pytest.raises(ValueError, match=r"^max_order: svarmiq of order 3 for n = 68"):
        make_estimator(68, "SII", 16384, max_order=3, seed=0, method="svarmiq")


def test_auto_sii_at_multishap_scale_is_svarmiq_with_honest_stderr():
    """68 players (64 patches x 4 tokens), budget 4096 (fewer than 2 x the 2,346 terms):
    method="auto" runs svarmiq without KernelSHAP-IQ's rank test (info says why), and its
    finite standard errors cover the closed-form SII of a sum of unanimity games in which most
    pairs interact: at least 85% of the 2,278 pairs within 1.96 stderr (0.90-0.94 measured
    over seeds, bench/RESULTS.md)."""
    game = SumOfUnanimityGames.random(68, 20 * 68, max_size=3, seed=100)
    res = interplay.approximate(game, 68, "SII", 4096, seed=0)
    assert res.info["method"] == "svarmiq" and "MultiSHAP" in res.info["auto_reason"]
    truth = game.superset_sum(lambda s, t: 1.0 / (t - s + 1), 0, 2)[1]
    pairs = res.sizes == 2
    se = res.stderr[pairs]
    assert np.isfinite(se).all()
    assert np.mean(np.abs(res.values[pairs] - truth[pairs]) <= 1.96 * se) >= 0.85
