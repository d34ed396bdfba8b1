"""``interplay.show_config()``: what is available here and why not."""

from __future__ import annotations

import platform
import sys

from . import __version__
from .backends import BACKENDS, KERNELS, backend_status


def config() -> dict:
    """Backends and kernels as a dict: ``{"backends": {name: (ok, why)}, "kernels": {...}}``.

    ``kernels`` is the table of :mod:`interplay.backends._table`: per kernel, each backend's
    ``(ok, why)``, and the backends' ``limits``, ``outputs`` and ``note`` as declared there.
    """
    info: dict = {
        "interplay": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "backends": {b: backend_status(b) for b in BACKENDS},
        "kernels": {},
        "limits": {},
        "threads": _threads_info(),
    }
    ok, _ = backend_status("cpp")
    if ok:
        from .backends import core

        build = core().build
        info["cpp_build"] = {
            "version": build.version,
            "compiler": build.compiler,
            "openmp": build.openmp,
            "threads": build.max_threads(),
            "debug": build.debug,
            "cuda": build.cuda,
        }
    for name, kernel in sorted(KERNELS.items()):
        info["kernels"][name] = {b: kernel.status(b) for b in kernel.backends}
        info["limits"][name] = _describe(kernel)
    return info


def show_config(file=None) -> None:
    """Print each backend, whether it is available and why not, and each kernel's backends."""
    info = config()
    out = file or sys.stdout
    print(f"interplay {info['interplay']} on Python {info['python']} ({info['platform']})", file=out)
    print("backends:", file=out)
    for name, (ok, why) in info["backends"].items():
        print(f"  {name:<10} {'yes' if ok else 'no':<4} {why}", file=out)
    if "cpp_build" in info:
        b = info["cpp_build"]
        print(
            f"cpp build: {b['compiler']}, OpenMP {'on' if b['openmp'] else 'off'} "
            f"({b['threads']} threads), {'debug' if b['debug'] else 'release'}, "
            f"CUDA {'on' if b['cuda'] else 'off'}",
            file=out,
        )
    t = info["threads"]
    print(f"threads: {t['engine']} (interplay.set_num_threads; torch's own: "
          f"torch.set_num_threads), BLAS one thread in the engine's solves "
          f"({t['blas']}); OpenMP waits: {t['openmp_waits']}; freed heap kept: "
          f"{t['heap']}", file=out)
    if info["kernels"]:
        print("kernels:", file=out)
        for name, status in info["kernels"].items():
            parts = [f"{b}={'yes' if ok else 'no'}" for b, (ok, _) in status.items()]
            what = info["limits"][name]
            print(f"  {name:<30} {' '.join(parts):<42} {what}".rstrip(), file=out)


def _threads_info() -> dict:
    """The engine's thread setting and the BLAS libraries it limits (interplay._threads)."""
    from . import _threads

    ctl = _threads._blas()
    libs = [f"{lib['internal_api']} {lib.get('version')}, {lib['num_threads']} threads"
            for lib in (ctl.info() if ctl is not None else [])]
    return {"engine": _threads.get_num_threads(), "blas_threads": 1,
            "blas": "; ".join(libs) or "threadpoolctl not installed",
            "openmp_waits": _threads._spin_note, "heap": _threads._heap_note}


def _describe(kernel) -> str:
    """What the kernel's backends handle, as declared in the table (e.g. "d outputs;
    cpp, numba: n <= 64, order <= 8")."""
    parts = ["d outputs"] if kernel.outputs else []
    by_limit: dict[str, list[str]] = {}
    for b, lim in kernel.limits.items():
        text = ", ".join(f"{k} <= {v}" for k, v in lim.items())
        by_limit.setdefault(text, []).append(b)
    parts += [f"{', '.join(bs)}: {text}" for text, bs in by_limit.items()]
    if kernel.note:
        parts.append(kernel.note)
    return "; ".join(parts)
