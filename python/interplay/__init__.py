"""interplay: a compiled engine for game-theoretic interactions and partial information
decomposition of model inputs.

The public API is imported lazily so that ``import interplay`` stays cheap: the compiled core,
Numba and torch are loaded only when a function that needs them is called.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _threads

__version__ = "0.1.0"

_threads.quiet_openmp_waits()  # before libgomp is loaded (interplay._threads)
_threads.keep_freed_heap()

# public name -> module that defines it. A public *function* must never share its name with a
# submodule: importing the submodule makes Python set `interplay.<name>` to the module object,
# shadowing the function (tests/test_public_api.py checks this).
_LAZY = {
    "exact": "interplay.engine",
    "approximate": "interplay.estimators",
    "refine": "interplay.estimators",
    "fidelity": "interplay.metrics",
    "metrics": "interplay.metrics",
    "plot": "interplay.plot",
    "scoring": "interplay.scoring",
    "pid": "interplay.information",
    "pid_from_samples": "interplay.information",
    "pid_from_embeddings": "interplay.information",
    "PIDResult": "interplay.information",
    "explain": "interplay.models",
    "InteractionResult": "interplay.results",
    "UnderdeterminedWarning": "interplay.estimators",
    "show_config": "interplay.config",
    "set_num_threads": "interplay._threads",
    "get_num_threads": "interplay._threads",
    "transforms": "interplay.transforms",
    "indices": "interplay.indices",
    "games": "interplay.games",
    "backends": "interplay.backends",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'interplay' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module == f"interplay.{name}" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
