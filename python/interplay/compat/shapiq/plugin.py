"""pytest plugin: run shapiq-based tests with interplay's classes in place of shapiq's.

    python -m pytest -p interplay.compat.shapiq.plugin tests/

``-p`` imports this module before any conftest.py or test module is loaded, and importing it
runs :func:`interplay.compat.shapiq.install`, so every later ``from shapiq... import
ExactComputer, KernelSHAPIQ, ...`` gets interplay's classes; the end of the run restores
shapiq's.
"""

from __future__ import annotations

from typing import Any

from interplay.compat.shapiq import install, uninstall

install()  # at import: before the initial conftest.py files import shapiq's classes


def pytest_configure(config: Any) -> None:
    install()  # idempotent; again after an unconfigure (pytester runs in one process)


def pytest_report_header(config: Any) -> str:
    return "interplay.compat.shapiq: shapiq's ExactComputer and approximators run on interplay"


def pytest_unconfigure(config: Any) -> None:
    uninstall()
