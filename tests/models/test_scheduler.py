"""The scheduler against direct evaluation: values, dedup and cache counts, packing, OOM retry."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from interplay.scheduler import Scheduler, ValueCache, is_out_of_memory


def table_game(n, d=None, seed=0):
    """v(S) = table[bits(S)] (+ d outputs): an arbitrary game with a known value per row."""
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(2**n,) if d is None else (2**n, d))
    weights = 1 << np.arange(n)

    def fn(c):
        return table[np.asarray(c, dtype=np.int64) @ weights]

    return fn, table, weights


class InstanceTask:
    """A task with one table game per instance key, recording every call."""

    def __init__(self, n, keys, fail_above=None, exc=MemoryError):
        self.fns = {k: table_game(n, seed=i)[0] for i, k in enumerate(keys)}
        self.prepared_groups = []
        self.forward_sizes = []
        self.prepare_threads = []
        self.fail_above = fail_above
        self.exc = exc
        self.cache_namespace = "instance-task"

    def prepare(self, groups):
        self.prepared_groups.append([(k, len(c)) for k, c in groups])
        self.prepare_threads.append(threading.current_thread() is threading.main_thread())
        return [(k, c.copy()) for k, c in groups]

    def forward(self, prepared):
        rows = sum(len(c) for _, c in prepared)
        if self.fail_above is not None and rows > self.fail_above:
            raise self.exc("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.forward_sizes.append(rows)
        return np.concatenate([self.fns[k](c) for k, c in prepared])


def random_coalitions(rng, m, n, dup_from=None):
    c = rng.random((m, n)) < 0.5
    if dup_from is not None:
        c[: len(dup_from)] = dup_from
    return c


def test_values_equal_direct_and_dedup_counts(rng):
    n = 9
    fn, table, w = table_game(n)
    sched = Scheduler(fn, batch_size=7)
    c = random_coalitions(rng, 300, n)
    c[150:] = c[:150]  # every row twice
    vals = sched(c)
    np.testing.assert_allclose(vals, fn(c), rtol=0, atol=0)
    n_unique = len(np.unique(c @ w))
    st = sched.stats
    assert st.rows_requested == 300
    assert st.duplicate_rows == 300 - n_unique
    assert st.rows_evaluated == n_unique
    assert st.model_calls == -(-n_unique // 7)
    assert st.cache_hits == 0
    # a second call: rows already seen are cache hits, only new rows reach the model
    c2 = np.concatenate([c[:40], random_coalitions(rng, 60, n)])
    new = set((c2 @ w).tolist()) - set((c @ w).tolist())
    old_unique = set((c2 @ w).tolist()) & set((c @ w).tolist())
    vals2 = sched(c2)
    np.testing.assert_allclose(vals2, fn(c2), rtol=0, atol=0)
    assert st.cache_hits == len(old_unique)
    assert st.rows_evaluated == n_unique + len(new)


def test_vector_values_and_plan(rng):
    n = 6
    fn, table, w = table_game(n, d=3)
    sched = Scheduler(fn, batch_size=5)
    c = random_coalitions(rng, 50, n)
    plan = sched.plan([(0, c)])
    assert sched.stats.model_calls == 0
    u = len(np.unique(c @ w))
    assert (plan.rows, plan.unique_rows, plan.cached_rows, plan.rows_to_evaluate) == (50, u, 0, u)
    assert plan.batches == -(-u // 5)
    vals = sched(c)
    assert vals.shape == (50, 3)
    np.testing.assert_array_equal(vals, fn(c))
    plan2 = sched.plan([(0, c)])
    assert (plan2.cached_rows, plan2.rows_to_evaluate, plan2.batches) == (u, 0, 0)
    assert "unique" in str(plan2)


def test_rows_of_many_instances_share_calls(rng):
    n, keys = 8, ["a", "b", "c"]
    task = InstanceTask(n, keys)
    sched = Scheduler(task, batch_size=32, prefetch=False)
    reqs = [(k, random_coalitions(rng, 20, n)) for k in keys]
    vals = sched.evaluate(reqs)
    for (k, c), v in zip(reqs, vals):
        np.testing.assert_array_equal(v, task.fns[k](c))
    total = sum(len(np.unique(c @ (1 << np.arange(n)))) for _, c in reqs)
    assert sched.stats.model_calls == -(-total // 32)
    assert any(len(groups) > 1 for groups in task.prepared_groups)  # one call, several instances
    # the same rows of another instance are not cache hits
    v_b_again = sched.evaluate([("b", reqs[0][1])])[0]
    np.testing.assert_array_equal(v_b_again, task.fns["b"](reqs[0][1]))


@pytest.mark.parametrize("exc", [MemoryError, RuntimeError, "torch"])
def test_out_of_memory_halves_and_loses_nothing(rng, exc):
    if exc == "torch":
        torch = pytest.importorskip("torch")
        exc = torch.OutOfMemoryError
    n, keys = 10, [0, 1]
    reqs = [(k, random_coalitions(rng, 400, n)) for k in keys]
    ref = Scheduler(InstanceTask(n, keys), batch_size=64).evaluate(reqs)
    task = InstanceTask(n, keys, fail_above=11, exc=exc)
    sched = Scheduler(task, batch_size=64)
    vals = sched.evaluate(reqs)
    for a, b in zip(vals, ref):
        np.testing.assert_array_equal(a, b)
    assert sched.stats.oom_retries >= 1
    assert max(task.forward_sizes) <= 11
    assert sched.stats.rows_evaluated == sum(task.forward_sizes)
    assert sched.batch_size <= 11


def test_auto_batch_size_grows_and_respects_oom_cap(rng):
    n = 12

    class Slow(InstanceTask):
        def forward(self, prepared):
            time.sleep(0.003)  # per-call overhead: bigger batches are faster per row
            return super().forward(prepared)

    task = Slow(n, [0], fail_above=100)
    sched = Scheduler(task, batch_size="auto", start_batch_size=4)
    c = random_coalitions(rng, 1500, n)
    vals = sched(c)
    np.testing.assert_array_equal(vals, task.fns[0](c))
    assert max(task.forward_sizes) > 4
    assert max(task.forward_sizes) <= 100


def test_prefetch_prepares_next_batch_in_a_worker(rng):
    n = 8
    task = InstanceTask(n, [0])
    sched = Scheduler(task, batch_size=10, prefetch=True)
    c = random_coalitions(rng, 200, n)
    np.testing.assert_array_equal(sched(c), task.fns[0](c))
    assert task.prepare_threads[0] is True
    assert not all(task.prepare_threads[1:])  # later batches were prepared off the main thread


def test_shared_cache_across_schedulers(rng):
    n = 7
    fn, _, _ = table_game(n)
    cache = ValueCache()
    s1 = Scheduler(fn, cache=cache)
    s2 = Scheduler(fn, cache=cache)  # same function -> same namespace
    c = random_coalitions(rng, 30, n)
    s1(c)
    s2(c)
    assert s2.stats.rows_evaluated == 0
    assert s2.stats.cache_hits == s1.stats.rows_evaluated
    small = ValueCache(max_rows=5)
    s3 = Scheduler(fn, cache=small)
    s3(c)
    assert len(small) == 5


def test_non_oom_errors_propagate_and_single_row_oom_raises(rng):
    def bad(c):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        Scheduler(bad)(np.ones((3, 2), bool))
    task = InstanceTask(4, [0], fail_above=0)
    with pytest.raises(MemoryError):
        Scheduler(task, batch_size=4)(random_coalitions(rng, 8, 4))
    assert is_out_of_memory(RuntimeError("CUDA out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))


def test_bad_input():
    fn, _, _ = table_game(3)
    with pytest.raises(ValueError, match="batch_size"):
        Scheduler(fn, batch_size="big")
    with pytest.raises(ValueError, match="batch_size"):
        Scheduler(fn, batch_size=0)
    with pytest.raises(ValueError, match="max_batch_size"):
        Scheduler(fn, max_batch_size=0)
    with pytest.raises(TypeError, match="cache"):
        Scheduler(fn, cache="yes")
    with pytest.raises(TypeError, match="task"):
        Scheduler(42)
    s = Scheduler(fn)
    with pytest.raises(ValueError, match="boolean"):
        s(np.full((2, 3), 2))
    with pytest.raises(ValueError, match=r"\(m, n\)"):
        s(np.zeros((2, 3, 1), bool))
    with pytest.raises(TypeError, match="pairs"):
        s.evaluate([np.zeros((2, 3), bool)])
    wrong = Scheduler(lambda c: np.zeros(len(c) + 1))
    with pytest.raises(ValueError, match="returned shape"):
        wrong(np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="max_rows"):
        ValueCache(max_rows=0)
