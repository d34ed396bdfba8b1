"""pytest plugin: run shapiq-based tests with interplay's classes in place of shapiq's.

    python -m pytest -p interplay.compat.shapiq.plugin tests/

installs :func:`interplay.compat.shapiq.install` before test modules are collected, so their
``from shapiq... import ExactComputer, KernelSHAPIQ, ...`` get interplay's classes.
"""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    from interplay.compat.shapiq import install

    install()
    config.addinivalue_line("markers", "interplay_shapiq: run with interplay's shapiq drop-in")


def pytest_report_header(config: Any) -> str:
    return "interplay.compat.shapiq: shapiq's ExactComputer and approximators run on interplay"


def pytest_unconfigure(config: Any) -> None:
    from interplay.compat.shapiq import uninstall

    uninstall()
