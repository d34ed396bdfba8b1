"""The public namespace: every advertised name resolves, and no submodule shadows a function."""

import importlib
import inspect
import pkgutil

import pytest

import interplay


def _import_all_submodules():
    failures = {}
    for info in pkgutil.walk_packages(interplay.__path__, "interplay."):
        name = info.name
        if name.rsplit(".", 1)[-1].endswith("_numba") or name.endswith("._core"):
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:  # optional dependency absent
            failures[name] = exc
    return failures


def test_functions_are_not_shadowed_by_submodules():
    _import_all_submodules()
    for name, module in interplay._LAZY.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue  # not built yet by its issue; test_advertised_names_resolve decides
            raise
        value = getattr(interplay, name)
        if module == f"interplay.{name}":
            assert inspect.ismodule(value), name
            continue
        assert not inspect.ismodule(value), (
            f"interplay.{name} is the module {value.__name__}, not the public object defined in "
            f"{module}: a submodule named {name!r} shadows it. Give the implementation module "
            f"another name (the one _LAZY maps {name!r} to) and do not create interplay/{name}.py "
            f"or interplay/{name}/"
        )


IMPLEMENTED = [
    "fidelity", "InteractionResult", "show_config", "games", "backends", "exact", "transforms",
    "indices", "approximate", "refine", "explain", "metrics", "plot",
]


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_advertised_names_resolve(name):
    assert getattr(interplay, name) is not None


def test_fidelity_is_the_function():
    assert callable(interplay.fidelity) and not inspect.ismodule(interplay.fidelity)


def test_no_submodule_named_like_a_public_function():
    submodules = {info.name for info in pkgutil.iter_modules(interplay.__path__)}
    for name, module in interplay._LAZY.items():
        if module != f"interplay.{name}":
            assert name not in submodules, (
                f"python/interplay/{name} would shadow the public function interplay.{name} "
                f"(defined in {module}, see the comment on _LAZY in interplay/__init__.py): "
                f"move its code to {module}"
            )
