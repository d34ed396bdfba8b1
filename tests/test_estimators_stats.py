"""Statistical guarantees on games with known answers (sums of unanimity games): unbiasedness
where the method promises it, and coverage of the reported standard errors over many seeds."""

import numpy as np
import pytest

import interplay
from interplay.games import SumOfUnanimityGames, evaluate_all
from tests.reference import naive_indices as ni

N, P, SEEDS = 10, 0.3, 150


@pytest.fixture(scope="module")
def soum():
    game = SumOfUnanimityGames.random(N, 25, max_size=5, seed=7)
    return game, evaluate_all(game, N)


def _truth(table, idx, k):
    if idx.startswith("F"):
        return ni.faithful(table, N, idx, k, p=P)
    return ni.cii(table, N, idx, k, p=P)


def _runs(game, method, idx, budget):
    runs = [interplay.approximate(game, N, idx, budget, method=method, p=P, seed=s)
            for s in range(SEEDS)]
    return np.array([r.values for r in runs]), np.array([r.stderr for r in runs]), runs[0]


# (method, index, budget, unbiased?, minimal coverage of +-1.96 stderr)
CASES = [
    ("shapiq", "SII", 300, True, 0.9),
    ("kernelshapiq", "SII", 300, False, 0.88),
    ("shapiq", "BII", 300, True, 0.9),
    ("svarmiq", "SII", 300, False, 0.9),
    ("svarmiq", "CHII", 300, False, 0.9),
    ("permutation", "SV", 100, True, 0.88),
    ("permutation", "SII", 300, True, 0.7),
    ("permutation", "STII", 300, True, 0.65),
    ("regression", "FSII", 300, False, 0.88),
    ("regression", "FBII", 300, False, 0.88),
    ("regression", "FWBII", 300, False, 0.88),
    ("kernelshap", "SV", 100, False, 0.88),
    ("msr", "BII", 300, False, 0.9),
    ("msr", "WBV", 100, False, 0.9),
]


@pytest.mark.parametrize("method,idx,budget,unbiased,coverage", CASES)
def test_unbiased_and_stderr_coverage(soum, method, idx, budget, unbiased, coverage):
    game, table = soum
    E, S, first = _runs(game, method, idx, budget)
    truth = _truth(table, idx, first.max_order)
    random = (S > 0).any(axis=0)  # entries with sampling error (exact entries: stderr 0 always)
    assert random.any()
    if unbiased:
        # the mean over seeds is within 4.5 standard errors of the truth for every entry
        sd = E.std(axis=0, ddof=1)[random] / np.sqrt(SEEDS)
        z = np.abs(E.mean(axis=0)[random] - truth[random]) / sd
        assert z.max() < 4.5, z.max()
    np.testing.assert_allclose(E[:, ~random], np.broadcast_to(truth[~random], E[:, ~random].shape),
                               rtol=1e-9, atol=1e-9)
    covered = (np.abs(E - truth) <= 1.96 * S)[:, random].mean()
    assert covered >= coverage, covered
