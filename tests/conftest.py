import os

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


def pytest_report_header(config):
    from interplay.config import config as cfg

    info = cfg()
    lines = [f"interplay backends: " + ", ".join(
        f"{b}={'yes' if ok else 'no'}" for b, (ok, _) in info["backends"].items())]
    if os.environ.get("INTERPLAY_BACKEND"):
        lines.append(f"INTERPLAY_BACKEND={os.environ['INTERPLAY_BACKEND']}")
    return lines
