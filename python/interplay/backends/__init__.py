"""One backend registry for every kernel.

A :class:`Kernel` is one operation (a transform, a sampler, a solver) with implementations per
backend. Every kernel of the package is declared once, as a row of :data:`._table.TABLE`, and
found by name in :data:`KERNELS`; its implementations live at paths derived from the name
(``interplay._core.<family>.<function>``, ``interplay.backends.<tier>.<family>.<function>``).
``backend="auto"`` picks the first available one in :data:`PREFERENCE` order (never torch or
cuda: they change where data lives); an explicit request that cannot be met raises
``ValueError`` with the reason. Implementations are loaded on first use, so that Numba or torch
are imported only when used. Every tier computes in float64 on sets packed as little-endian
uint64 words.

Environment switches (read once at each selection, so tests can set them with monkeypatch):

- ``INTERPLAY_DISABLE_CPP=1``: behave as if the compiled core were not built.
- ``INTERPLAY_DISABLE_NUMBA=1``: behave as if Numba were not installed.
- ``INTERPLAY_BACKEND=<name>``: what ``backend="auto"`` means (e.g. ``numba``).
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from .. import _threads
from ._table import TABLE

PREFERENCE = ("cpp", "numba", "reference")
BACKENDS = ("cpp", "numba", "reference", "torch", "cuda")

_TRUE = {"1", "true", "yes", "on"}


class _Switches:
    """The environment switches, read once: ``forced`` (INTERPLAY_BACKEND) and the disabled
    backends (INTERPLAY_DISABLE_CPP / _NUMBA). Build them with :func:`_switches`."""

    __slots__ = ("forced", "disabled")

    def __init__(self, forced: str | None, cpp: str | None, numba: str | None) -> None:
        self.forced = (forced or "").strip()
        self.disabled = frozenset(
            name for name, flag in (("cpp", cpp), ("numba", numba))
            if (flag or "").strip().lower() in _TRUE)


_SWITCH_KEYS = ("INTERPLAY_BACKEND", "INTERPLAY_DISABLE_CPP", "INTERPLAY_DISABLE_NUMBA")
_SWITCH_BYTES = tuple(k.encode() for k in _SWITCH_KEYS)
_switch_cache: dict[tuple, _Switches] = {}
#: CPython's dict behind os.environ on POSIX (bytes keys; os.environ writes go through to it)
_ENV_DATA = getattr(os.environ, "_data", None) if os.name == "posix" else None
_ENV_DATA = _ENV_DATA if isinstance(_ENV_DATA, dict) else None


def _switches() -> _Switches:
    """The switches as the environment says now. Read at every kernel selection (a call of
    ``exact`` selects several kernels), so the raw values are looked up in the environment's
    own dict where CPython keeps one (POSIX ``os.environ._data``, bytes keys: 3 dict lookups,
    no str encoding) and the parsed switches are cached per raw tuple."""
    if _ENV_DATA is not None:
        get = _ENV_DATA.get
        raw = (get(_SWITCH_BYTES[0]), get(_SWITCH_BYTES[1]), get(_SWITCH_BYTES[2]))
    else:
        raw = tuple(os.environ.get(k) for k in _SWITCH_KEYS)
    sw = _switch_cache.get(raw)
    if sw is None:
        sw = _switch_cache[raw] = _Switches(*(
            v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in raw))
    return sw


_HINTS = {"interplay._core": "compiled extension interplay._core not importable ({})",
          "numba": "numba not installed ({}); pip install 'interplay[numba]'",
          "torch": "torch not installed ({}); pip install 'interplay[torch]'"}
_THREADS = {"interplay._core": _threads.apply_to_core, "numba": _threads.apply_to_numba}


@functools.lru_cache(maxsize=None)
def _import(module: str) -> tuple[ModuleType | None, str]:
    """The module, or None and why (not installed, or the core built for another Python)."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        return None, _HINTS[module].format(exc)
    if module in _THREADS:  # interplay.set_num_threads / OMP_NUM_THREADS
        _THREADS[module](mod)
    return mod, ""


def core() -> ModuleType:
    """The compiled module ``interplay._core``; raises ImportError with the reason if absent."""
    ok, why = backend_status("cpp")
    if not ok:
        raise ImportError(why)
    return _import("interplay._core")[0]


def backend_status(name: str, switches: _Switches | None = None) -> tuple[bool, str]:
    """Whether backend ``name`` can be used at all, and if not, why (``switches``: the
    environment as read by the caller, else now)."""
    if name == "reference":
        return True, ""
    if name in ("cpp", "numba") and name in (switches or _switches()).disabled:
        return False, f"disabled by INTERPLAY_DISABLE_{name.upper()}"
    if name in ("cpp", "numba", "torch"):
        mod, why = _import({"cpp": "interplay._core"}.get(name, name))
        return mod is not None, why
    if name == "cuda":
        mod, why = _import("interplay._core")
        if mod is None:
            return False, why
        if not getattr(mod.build, "cuda", False):
            return False, "compiled without CUDA (build with -DINTERPLAY_CUDA=ON)"
        return True, ""
    raise ValueError(f"backend must be one of {('auto',) + BACKENDS}, got {name!r}")


Loader = Callable[[], Callable[..., Any]]


class Kernel:
    """An operation with one implementation per backend.

    Parameters
    ----------
    name : str
        Dotted name, e.g. ``"transforms.moebius"``.
    limits : mapping, optional
        ``{backend: {"n": largest n, "order": largest order}}`` for backends that handle less
        than the kernel's callers may ask (see :meth:`handles`).
    outputs : bool
        Whether the kernel takes d outputs (value columns) in one call.
    note : str
        What else a reader of ``show_config()`` should know.
    **loaders : callable
        ``backend_name=loader`` where ``loader()`` returns the implementation. A loader may
        raise ``ImportError`` (e.g. the compiled core lacks this operation); the backend is
        then reported unavailable for this kernel with that message.
    """

    def __init__(self, name: str, *, limits: Mapping[str, Mapping[str, int]] | None = None,
                 outputs: bool = False, note: str = "", **loaders: Loader) -> None:
        unknown = set(loaders) - set(BACKENDS)
        if unknown:
            raise ValueError(f"unknown backends {sorted(unknown)} for kernel {name}")
        self.name = name
        self.limits = dict(limits or {})
        self.outputs = outputs
        self.note = note
        self._loaders = loaders
        self._cache: dict[str, Callable[..., Any]] = {}

    @property
    def backends(self) -> tuple[str, ...]:
        return tuple(self._loaders)

    def handles(self, backend: str, *, n: int | None = None, order: int | None = None) -> bool:
        """Whether ``backend``'s implementation handles n players and interaction order
        ``order`` (by the kernel's declared limits; availability is :meth:`status`)."""
        lim = self.limits.get(backend, {})
        return ((n is None or n <= lim.get("n", n)) and
                (order is None or order <= lim.get("order", order)))

    def status(self, backend: str, switches: _Switches | None = None) -> tuple[bool, str]:
        if backend not in self._loaders:
            return False, f"{self.name} has no {backend} implementation"
        ok, why = backend_status(backend, switches)
        if not ok:
            return False, why
        if backend not in self._cache:
            try:
                self._cache[backend] = self._loaders[backend]()
            except ImportError as exc:
                return False, str(exc)
        return True, ""

    def select(self, backend: str = "auto") -> tuple[str, Callable[..., Any]]:
        """Return ``(backend_name, implementation)``.

        Raises
        ------
        ValueError
            If ``backend`` is unknown, or explicitly requested and unavailable (with why).
        """
        if not isinstance(backend, str):
            raise TypeError(f"backend must be a str, got {type(backend).__name__}")
        switches = _switches()
        if backend == "auto" and switches.forced and switches.forced != "auto":
            backend = switches.forced
        if backend == "auto":
            reasons = []
            for name in PREFERENCE:  # never torch or cuda: they change where data lives
                ok, why = self.status(name, switches)
                if ok:
                    return name, self._cache[name]
                reasons.append(f"{name}: {why}")
            raise ValueError(f"no backend available for {self.name}: " + "; ".join(reasons))
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {('auto',) + BACKENDS}, got {backend!r}")
        ok, why = self.status(backend, switches)
        if not ok:
            raise ValueError(f"backend={backend!r} is unavailable for {self.name}: {why}")
        return backend, self._cache[backend]

    def __repr__(self) -> str:
        return f"Kernel({self.name!r}, backends={self.backends})"


def _interrupt_as_such(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A Numba kernel whose compiled code calls back into Python (numba's unpickling of its
    constants) can meet a pending Ctrl-C there, which numba reports as a SystemError caused by
    the KeyboardInterrupt: raise the KeyboardInterrupt itself."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SystemError as exc:
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, KeyboardInterrupt):
                cause = cause.__cause__ or cause.__context__
            if cause is None:
                raise
            raise KeyboardInterrupt from exc

    return call


def _loader(backend: str, name: str) -> Loader:
    """Loader of kernel ``name`` ("<family>.<function>") in ``backend``, at the path its name
    gives, imported on first use."""
    family, function = name.split(".")

    def load() -> Callable[..., Any]:
        if backend != "cpp":
            fn = getattr(importlib.import_module(f"interplay.backends.{backend}.{family}"),
                         function)
            return _interrupt_as_such(fn) if backend == "numba" else fn
        fn = getattr(getattr(core(), family, None), function, None)
        if fn is None:
            raise ImportError(f"interplay._core has no {name} (rebuild the extension)")
        return fn

    return load


#: every kernel of the package, by name: built from :data:`._table.TABLE` (show_config lists it)
KERNELS: dict[str, Kernel] = {
    row.name: Kernel(row.name, limits=row.limits, outputs=row.outputs, note=row.note,
                     **{b: _loader(b, row.name) for b in row.backends})
    for row in TABLE
}
