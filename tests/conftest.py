import os

import numpy as np
import pytest

from interplay.backends import backend_status

#: the CPU backends every kernel has (torch's exact path: tests/test_exact_torch.py)
CPU_BACKENDS = ("cpp", "numba", "reference")


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


@pytest.fixture(params=CPU_BACKENDS)
def backend(request):
    """Each CPU backend in turn, skipped with the reason where it is unavailable. A test that
    needs fewer narrows it: ``@pytest.mark.parametrize("backend", ["cpp", "numba"],
    indirect=True)``."""
    ok, why = backend_status(request.param)
    if not ok:
        pytest.skip(f"{request.param} unavailable: {why}")
    return request.param


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the tests marked slow (.ci/run passes it)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow") or config.getoption("markexpr"):
        return  # an explicit -m expression decides for itself
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    from interplay.config import config as cfg

    info = cfg()
    lines = ["interplay backends: " + ", ".join(
        f"{b}={'yes' if ok else 'no'}" for b, (ok, _) in info["backends"].items())]
    if os.environ.get("INTERPLAY_BACKEND"):
        lines.append(f"INTERPLAY_BACKEND={os.environ['INTERPLAY_BACKEND']}")
    return lines


@pytest.fixture(autouse=True)
def _process_state_restored(request):
    """Global process state a test must not leak into the next ones: the SIGINT disposition
    (inherited by child processes, so an ignored SIGINT breaks test_interrupt) and torch's grad
    mode. A leak is restored and reported as a warning naming the test."""
    import signal
    import sys
    import warnings

    handler = signal.getsignal(signal.SIGINT)
    torch = sys.modules.get("torch")
    grad = torch.is_grad_enabled() if torch is not None else None
    yield
    if signal.getsignal(signal.SIGINT) is not handler:
        signal.signal(signal.SIGINT, handler)
        warnings.warn(f"{request.node.nodeid} left SIGINT's handler changed; restored")
    torch = sys.modules.get("torch")
    if torch is not None and grad is not None and torch.is_grad_enabled() != grad:
        torch.set_grad_enabled(grad)
        warnings.warn(f"{request.node.nodeid} left torch's grad mode changed; restored")
