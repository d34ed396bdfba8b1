"""The compiled core's Student t quantile t_{0.975, df} (the standard errors' t inflation, issue
12: no scipy.special import on the first call) against scipy.special.stdtrit (Boost), which is
within about 5e-16 of the exact quantile (checked with mpmath at 40 digits when it was written)."""

import numpy as np
import pytest
from scipy.special import stdtrit

from interplay.backends import backend_status, core
from interplay.estimators._identify import t_inflation

pytestmark = pytest.mark.skipif(not backend_status("cpp")[0], reason="needs the compiled core")

RTOL = 2e-14  # measured: at most 7e-15 (relative) over the cases below


def _close(df):
    df = np.asarray(df, dtype=np.float64)
    ours, ref = core().sampling.t975(df), stdtrit(df, 0.975)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


def test_integer_degrees_of_freedom():
    _close(np.arange(1, 3001))  # the table t_inflation builds; Newton below 300, series above
    _close(2.0 ** np.arange(12, 40))


def test_real_degrees_of_freedom():
    rng = np.random.default_rng(0)
    _close(np.concatenate([rng.uniform(1, 2, 500), rng.uniform(1, 40, 2000),
                           rng.uniform(290, 310, 500), np.exp(rng.uniform(0, 25, 1000))]))
    _close([0.25, 0.5, 0.999, 299.999999, 300.0])  # below 1, and both sides of the switch


def test_limits():
    out = core().sampling.t975(np.array([np.inf, 0.0, -1.0, np.nan]))
    assert out[0] == 1.959963984540054 and np.isnan(out[1:]).all()


def test_t_inflation_paths():
    """The table (integer counts), one shared value, and distinct real values."""
    for df in (np.arange(0, 600), np.full(7, 12.5), np.array([[1.5, 3.0], [2.25, 1e4]])):
        expect = np.where(df >= 1, stdtrit(np.maximum(df, 1), 0.975) / 1.959963984540054, np.inf)
        np.testing.assert_allclose(t_inflation(df), expect, rtol=RTOL, atol=0)
