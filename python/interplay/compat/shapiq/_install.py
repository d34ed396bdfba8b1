"""Put interplay's classes in place of shapiq's in the loaded ``shapiq`` modules (and back)."""

from __future__ import annotations

import importlib
import sys

#: shapiq modules whose names are replaced (importing them loads every module that binds an
#: approximator or the ExactComputer)
_MODULES = ("shapiq", "shapiq.approximator", "shapiq.game_theory", "shapiq.game_theory.exact",
            "shapiq.explainer", "shapiq.game")

_saved: list[tuple[object, str, object]] = []


def _replacements() -> dict[int, type]:
    from . import _approximators
    from ._exact import ExactComputer

    out = {id(ExactComputer.__mro__[1]): ExactComputer}
    for name in _approximators.ROUTES:
        cls = getattr(_approximators, name)
        out[id(cls.__mro__[2])] = cls
    return out


def install() -> None:
    """Replace shapiq's ``ExactComputer`` and approximator classes by interplay's.

    Every loaded module of the ``shapiq`` package (and ``shapiq_games``) whose attribute is one
    of shapiq's classes gets interplay's subclass instead, so ``shapiq.ExactComputer``,
    ``from shapiq.approximator import KernelSHAPIQ`` and shapiq's explainers use interplay.
    Idempotent; :func:`uninstall` restores shapiq's classes.
    """
    if _saved:
        return
    for name in _MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part of shapiq
            continue
    repl = _replacements()
    for modname, module in list(sys.modules.items()):
        if module is None or not (modname == "shapiq" or modname.startswith(("shapiq.",
                                                                             "shapiq_games"))):
            continue
        for attr, value in list(vars(module).items()):
            new = repl.get(id(value))
            if new is not None and new is not value:
                _saved.append((module, attr, value))
                setattr(module, attr, new)
            elif isinstance(value, list) and any(id(v) in repl for v in value):
                # registries such as shapiq.approximator.SV_APPROXIMATORS
                _saved.append((module, attr, value))
                setattr(module, attr, [repl.get(id(v), v) for v in value])


def uninstall() -> None:
    """Restore shapiq's own classes (undo :func:`install`)."""
    while _saved:
        module, attr, value = _saved.pop()
        setattr(module, attr, value)


def installed() -> bool:
    """Whether :func:`install` is in effect."""
    return bool(_saved)
