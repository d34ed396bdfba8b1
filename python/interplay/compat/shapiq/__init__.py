"""shapiq 1.8.0's ``ExactComputer`` and approximators, computed by interplay.

Drop-in classes with shapiq's names, constructor signatures, defaults and return type
(``shapiq.InteractionValues``), each a subclass of shapiq's own class::

    from interplay.compat.shapiq import ExactComputer, KernelSHAPIQ
    sii = ExactComputer(game)("k-SII", 2)
    est = KernelSHAPIQ(n, max_order=2, index="k-SII", random_state=0).approximate(1000, game)

``install()`` puts them in place of shapiq's classes in every loaded ``shapiq`` module, so
unchanged shapiq code runs on interplay; ``python -m pytest -p interplay.compat.shapiq.plugin``
does the same for a test run. Where interplay has no counterpart (an index or estimator), the
class runs shapiq's own code and warns (:class:`InterplayFallbackWarning`); docs/compat.md lists
these cases and the conventions.

Importing this module needs shapiq (>= 1.8, Python >= 3.12); interplay itself does not.
"""

from __future__ import annotations

try:
    from shapiq import __version__ as shapiq_version
except ImportError as _err:  # pragma: no cover - exercised where shapiq is absent
    raise ImportError(
        "interplay.compat.shapiq needs shapiq installed (pip install 'shapiq==1.8.0', "
        "Python >= 3.12); interplay itself does not depend on shapiq") from _err

from . import _approximators
from ._approximators import ROUTES, __all__ as _APPROXIMATORS
from ._common import InterplayFallbackWarning
from ._exact import ExactComputer
from ._install import install, installed, uninstall

globals().update({name: getattr(_approximators, name) for name in _APPROXIMATORS})

__all__ = ["ExactComputer", "InterplayFallbackWarning", "ROUTES", "install", "installed",
           "shapiq_version", "uninstall", *_APPROXIMATORS]
