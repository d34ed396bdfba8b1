"""Regression tests for answers that used to be silently wrong (issue 11): each case returned a
number (or lost the user's work) where it should have returned the right number or refused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import interplay


# ------------------------------------------------------------------ complex game outputs
def _complex_game(C):
    return C.sum(axis=1) * (1.0 + 2.0j)


@pytest.mark.parametrize("method", ["kernelshap", "permutation", "shapiq"])
def test_approximate_refuses_complex_game_output(method):
    with pytest.raises(TypeError, match=r"game output is complex"):
        interplay.approximate(_complex_game, 3, "SV", 8, method=method, seed=0)


def test_approximate_refuses_complex_torch_output():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"game output is complex"):
        interplay.approximate(lambda C: torch.tensor(_complex_game(C)), 3, "SV", 8, seed=0)


def test_grid_values_complex_refused():
    class Game:
        n_players = 4

        def __call__(self, C):
            return C.sum(axis=1).astype(float)

        def grid_values(self, A, B):
            return (A.sum(1)[:, None] + B.sum(1)[None, :]) * 1j

    with pytest.raises(TypeError, match=r"grid_values output is complex"):
        interplay.approximate(Game(), 4, "FWBII", 16, method="regression",
                              player_groups=(2, 2), seed=0)


def test_exact_and_evaluate_all_refuse_complex():
    from interplay.games import evaluate_all

    with pytest.raises(TypeError, match="values"):
        interplay.exact(np.arange(8) * (1 + 1j), "SV", max_order=1)
    with pytest.raises(TypeError, match="game output is complex"):
        evaluate_all(_complex_game, 3)


def test_explain_refuses_complex_model_output():
    pytest.importorskip("torch")
    from interplay.models import TabularMasker

    def model(X):
        return X.sum(axis=1) * (1 + 1j)

    with pytest.raises(TypeError, match="output is complex"):
        interplay.explain(model, [np.ones(3, np.float32)],
                          masker=TabularMasker(np.zeros(3, np.float32)), index="BV",
                          max_order=1, budget=8)


# ------------------------------------------------------------------ full budget is exact
def _table_game(table):
    def game(C):
        masks = (C.astype(np.int64) << np.arange(C.shape[1])).sum(axis=1)
        return table[masks]
    return game


@pytest.mark.parametrize("method", ["kernelshap", "regression"])
def test_one_player_shapley_value_is_v1_minus_v0(method):
    game = _table_game(np.array([1.0, 4.0]))
    res = interplay.approximate(game, 1, "SV", 2, method=method, seed=0)
    np.testing.assert_array_equal(res.values, [1.0, 3.0])
    np.testing.assert_array_equal(res.stderr, [0.0, 0.0])


def test_fsii_of_order_n_at_full_budget():
    # v = 1 + x0 + 2 x1 + 2 x0 x1: its own Moebius expansion, FSII of order 2 = [1, 1, 2, 2]
    table = np.array([1.0, 2.0, 3.0, 6.0])
    res = interplay.approximate(_table_game(table), 2, "FSII", 4, max_order=2,
                                method="regression", seed=0)
    np.testing.assert_allclose(res.values, [1.0, 1.0, 2.0, 2.0], atol=1e-12)


def _full_budget_cases():
    from interplay.estimators import METHODS

    for n in range(1, 6):
        for method, indices in METHODS.items():
            for idx in indices:
                orders = [1] if idx in ("SV", "BV", "WBV") else range(1, n + 1)
                for k in orders:
                    yield n, method, idx, k


def test_every_method_at_full_budget_equals_exact():
    rng = np.random.default_rng(11)
    tables = {n: rng.normal(size=(1 << n, 2)) for n in range(1, 6)}
    for n, method, idx, k in _full_budget_cases():
        p = 0.3 if idx in ("WBV", "WBII", "FWBII") else 0.5
        res = interplay.approximate(_table_game(tables[n]), n, idx, 1 << n, max_order=k,
                                    method=method, p=p, seed=0)
        ref = interplay.exact(tables[n], idx, max_order=k, p=p)
        what = f"n={n} method={method} index={idx} order={k}"
        np.testing.assert_array_equal(res.sets, ref.sets, err_msg=what)
        np.testing.assert_allclose(res.values, ref.values, rtol=1e-12, atol=1e-12, err_msg=what)
        np.testing.assert_allclose(res.baseline_value, ref.baseline_value, rtol=1e-12,
                                   err_msg=what)
        assert not res.stderr.any(), what
        assert not res.estimated, what


@pytest.mark.parametrize("method", ["shapiq", "svarmiq"])
def test_user_index_at_full_budget_equals_exact(method):
    from interplay.indices import CardinalIndex

    sii = CardinalIndex("my-SII", 2, moebius_weights=lambda n: np.array(
        [[1.0 / (t - s + 1) if t >= s else 0.0 for t in range(n + 1)] for s in range(3)]))
    table = np.random.default_rng(3).normal(size=16)
    res = interplay.approximate(_table_game(table), 4, sii, 16, method=method, seed=0)
    np.testing.assert_allclose(res.values, interplay.exact(table, sii).values, atol=1e-12)


@pytest.mark.parametrize("method", ["permutation", "shapiq", "svarmiq", "kernelshapiq"])
def test_sii_order_one_empty_entry_follows_exact(method):
    """At order 1, interplay.exact (as shapiq) reports SII(empty) = v(empty); the sampled
    estimators used to report an estimate of the order-0 SII instead (with stderr 0)."""
    table = np.random.default_rng(1).normal(size=16) + 5
    res = interplay.approximate(_table_game(table), 4, "SII", 10, max_order=1, method=method,
                                seed=0)
    assert res.values[0] == table[0] and res.stderr[0] == 0
    assert interplay.exact(table, "SII", max_order=1).values[0] == table[0]


# ------------------------------------------------------------------ interrupted runs resume
class _Counting:
    def __init__(self, game, n_players):
        self.game, self.n_players, self.rows = game, n_players, 0

    def __call__(self, C):
        self.rows += C.shape[0]
        return self.game(C)


class _InterruptAfter:
    """Raises ``exc`` on its (k+1)-th call, after k successful batches."""

    def __init__(self, game, n_players, k, exc=KeyboardInterrupt):
        self.game, self.n_players, self.k, self.exc, self.calls = game, n_players, k, exc, 0
        self.rows = 0

    def __call__(self, C):
        self.calls += 1
        if self.calls > self.k:
            raise self.exc()
        self.rows += C.shape[0]
        return self.game(C)


@pytest.mark.parametrize("method,index", [("svarmiq", "SII"), ("kernelshapiq", "SII"),
                                          ("regression", "FSII"), ("permutation", "SII"),
                                          ("permutation", "STII"), ("msr", "BII")])
def test_keyboard_interrupt_returns_resumable_state(method, index):
    from interplay.estimators import EvaluationInterrupted

    n, budget, batch = 8, 120, 25
    game = _table_game(np.random.default_rng(5).normal(size=1 << n))
    with pytest.raises(KeyboardInterrupt) as info:
        interplay.approximate(_InterruptAfter(game, n, 2), n, index, budget, method=method,
                              seed=4, batch_size=batch)
    err = info.value
    assert isinstance(err, EvaluationInterrupted)
    assert err.coalitions.shape == (batch, n)
    assert err.state.n_evaluated == 2 * batch
    assert "resume with interplay.refine(err.state, game, 0)" in str(err)
    counting = _Counting(game, n)
    resumed = interplay.refine(err.state, counting, 0)
    clean = interplay.approximate(game, n, index, budget, method=method, seed=4)
    assert counting.rows == clean.n_evaluations - 2 * batch
    np.testing.assert_array_equal(resumed.values, clean.values)
    np.testing.assert_array_equal(resumed.stderr, clean.stderr)


def test_keyboard_interrupt_in_anytime_mode_resumes_to_the_full_budget():
    from interplay.estimators import EvaluationInterrupted

    n = 10
    game = _table_game(np.random.default_rng(6).normal(size=1 << n))
    flaky = _InterruptAfter(game, n, 3)
    with pytest.raises(EvaluationInterrupted) as info:
        interplay.approximate(flaky, n, "SV", 400, method="kernelshap", seed=1, tol=1e-9,
                              batch_size=20)
    assert info.value.state.n_evaluated == flaky.rows > 0
    counting = _Counting(game, n)
    resumed = interplay.refine(info.value.state, counting, 0)
    assert counting.rows == 400 - flaky.rows
    clean = interplay.approximate(game, n, "SV", 400, method="kernelshap", seed=1)
    np.testing.assert_array_equal(resumed.values, clean.values)


class _GridGame:
    def __init__(self, n_a, n_b, fail=None):
        self.n_a, self.n_b, self.n_players, self.fail = n_a, n_b, n_a + n_b, fail
        rng = np.random.default_rng(8)
        self.w = rng.normal(size=self.n_players)
        self.pairs = rng.normal(size=(n_a, n_b))

    def __call__(self, C):
        C = C.astype(float)
        return C @ self.w + np.einsum("mi,ij,mj->m", C[:, :self.n_a], self.pairs,
                                      C[:, self.n_a:])

    def grid_values(self, A, B):
        if self.fail is not None:
            raise self.fail()
        A, B = A.astype(float), B.astype(float)
        return ((A @ self.w[:self.n_a])[:, None] + (B @ self.w[self.n_a:])[None, :]
                + A @ self.pairs @ B.T)


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_grid_values_failure_on_the_first_grid_is_resumable(exc):
    from interplay.estimators import EvaluationInterrupted, GameEvaluationError

    kw = dict(max_order=2, method="regression", player_groups=(3, 4), seed=0)
    with pytest.raises((GameEvaluationError, EvaluationInterrupted)) as info:
        interplay.approximate(_GridGame(3, 4, fail=exc), 7, "FWBII", 256, **kw)
    err = info.value
    assert isinstance(err, EvaluationInterrupted if exc is KeyboardInterrupt
                      else GameEvaluationError)
    assert isinstance(err.__cause__, exc) and "grid_values" in str(err)
    assert err.state.n_evaluated == 0
    resumed = interplay.refine(err.state, _GridGame(3, 4), 0)
    clean = interplay.approximate(_GridGame(3, 4), 7, "FWBII", 256, **kw)
    np.testing.assert_array_equal(resumed.values, clean.values)


def test_grid_joint_rows_interrupt_resumes():
    from interplay.estimators import EvaluationInterrupted

    game = _GridGame(3, 4)
    plain = lambda C: game(C)  # noqa: E731  (no grid_values: joint rows in batches)
    kw = dict(max_order=2, method="regression", player_groups=(3, 4), seed=0)
    with pytest.raises(EvaluationInterrupted) as info:
        interplay.approximate(_InterruptAfter(plain, 7, 2), 7, "FWBII", 256, batch_size=10, **kw)
    assert info.value.state.n_evaluated == 20
    counting = _Counting(plain, 7)
    resumed = interplay.refine(info.value.state, counting, 0)
    clean = interplay.approximate(plain, 7, "FWBII", 256, **kw)
    assert counting.rows == clean.n_evaluations - 20
    np.testing.assert_allclose(resumed.values, clean.values, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ PID with light slices
def _pid_backends():
    from interplay.backends import backend_status

    return [b for b in ("cpp", "numba", "reference") if backend_status(b)[0]]


def _light_slice_joint(axis, mass, seed):
    p = np.random.default_rng(seed).random((3, 4, 3))
    p /= p.sum()
    sl = [slice(None)] * 3
    sl[axis] = 1
    p[tuple(sl)] *= mass / p[tuple(sl)].sum()
    return p / p.sum()


@pytest.mark.parametrize("backend", _pid_backends())
@pytest.mark.parametrize("method", ["ipm", "ipfp"])
@pytest.mark.parametrize("mass", [1e-300, 1e-40, 1e-20, 1e-14, 1e-10])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_pid_light_slice_certified_on_every_backend(backend, method, mass, axis):
    """A slice of mass 1e-20 used to give gap 0.026 bits (cpp, numba) or NaN (reference)."""
    from tests.reference.pid_distributions import check_certificate

    p = _light_slice_joint(axis, mass, seed=axis)
    r = interplay.pid(p, backend=backend, method=method, return_q=True, normalize=True)
    if mass < 1e-12:
        assert r.converged and 0 <= r.gap <= 1e-10, (r.gap, r.converged)
    else:  # a slice of 1e-10 costs about its mass in the certificate (was 5.6e-4 bits)
        assert 0 <= r.gap <= 5e-10 and r.converged == (r.gap <= 1e-10), (r.gap, r.converged)
    atoms = np.array([r.redundancy, r.unique_1, r.unique_2, r.synergy])
    assert np.isfinite(atoms).all()
    # the slice moves the atoms by O(mass log): compare with the joint without it
    heavy = np.delete(p, 1, axis=axis)
    h = interplay.pid(heavy / heavy.sum(), backend="reference")
    np.testing.assert_allclose(atoms, [h.redundancy, h.unique_1, h.unique_2, h.synergy],
                               atol=1e-8)
    lam, mu = r.dual
    if np.isfinite(lam).any() or np.isneginf(lam).all():
        check_certificate(p, r.q, lam, mu, gap_nats_max=max(r.gap, 1e-10) * np.log(2) + 1e-13)


def test_pid_gap_is_never_nan():
    p = _light_slice_joint(1, 1e-20, seed=0)
    for backend in _pid_backends():
        for max_iter in (1, 3):
            r = interplay.pid(p, backend=backend, method="ipm", max_iter=max_iter)
            assert not np.isnan(r.gap) and r.gap >= 0
            assert np.isfinite([r.redundancy, r.unique_1, r.unique_2, r.synergy]).all()


# ------------------------------------------------------------------ refine is bit for bit
def _refine_cases():
    from interplay.estimators import METHODS

    for method, indices in METHODS.items():
        for idx in indices:
            yield method, idx


@pytest.mark.parametrize("method,index", list(_refine_cases()))
def test_refine_equals_single_run_bit_for_bit(method, index):
    """refine differed from a single run by up to 2.4e-7 (KernelSHAP-IQ, n = 25) on a sum of
    unanimity games, whose matrix product rounds a coalition differently in batches of
    different sizes (an ill-conditioned fit amplifies the last bits). With a game whose values
    do not depend on the batch (a table lookup) refine is bit for bit for every method."""
    from interplay.games import TableGame

    n = 10
    game = TableGame.random(n, seed=2)
    k = 1 if index in ("SV", "BV", "WBV") else 2
    kw = dict(max_order=k, method=method, seed=7)
    first = interplay.approximate(game, n, index, 70, batch_size=16, **kw)
    refined = interplay.refine(first, game, 110, batch_size=23)
    single = interplay.approximate(game, n, index, 180, **kw)
    np.testing.assert_array_equal(refined.values, single.values)
    np.testing.assert_array_equal(refined.stderr, single.stderr)


@pytest.mark.parametrize("method", ["shapiq", "svarmiq"])
def test_stderr_of_an_unsampled_size_is_inf_not_nan(method):
    """Found by tests/test_fuzz.py: n = 2, SV, budget 2 (sizes 0 and 2 only) gave stderr NaN."""
    game = _table_game(np.array([0.0, 1.0, 2.0, 4.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = interplay.approximate(game, 2, "SV", 2, method=method, seed=0)
    assert not np.isnan(res.stderr).any()
    assert np.isinf(res.stderr[1:]).all()


@pytest.mark.parametrize("index,k", [("FWBII", 2), ("FWBII", 5), ("FBII", 3), ("BV", 1),
                                     ("WBV", 1)])
def test_grid_mode_at_full_budget_equals_exact(index, k):
    table = np.random.default_rng(0).normal(size=32)
    res = interplay.approximate(_table_game(table), 5, index, 32, max_order=k,
                                method="regression", player_groups=(2, 3), seed=0, p=0.3)
    ref = interplay.exact(table, index, max_order=k, p=0.3)
    np.testing.assert_allclose(res.values, ref.values, rtol=1e-12, atol=1e-12)
    assert not res.stderr.any()
