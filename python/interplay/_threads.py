"""The engine's thread policy: one setting for every pool it uses (issue 12).

docs/architecture.md ("Threads") gives the policy and its measurements: the compiled core's
OpenMP regions are capped by :func:`get_num_threads` through the core's own cap (not
``omp_set_num_threads``, which would change torch's threads too); BLAS runs on one thread
inside the engine's solves (:func:`blas_limit`); numba's pool follows the setting;
``import interplay`` sets GOMP_SPINCOUNT so that idle OpenMP threads sleep sooner, and glibc's
malloc thresholds so that freed memory is kept for the next call (:func:`keep_freed_heap`).
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import sys

_setting: int | None = None

#: libgomp's spins before a waiting thread sleeps, set by :func:`quiet_openmp_waits`: on a
#: machine with cores to spare, and when the load average exceeds the cores
GOMP_SPINCOUNT = "10000"
GOMP_SPINCOUNT_BUSY = "100"
_spin_note = "not set"


def quiet_openmp_waits() -> None:
    """Set GOMP_SPINCOUNT for this process unless the user chose a wait policy (called once by
    ``import interplay``; effective if libgomp is loaded afterwards): 10,000 spins (about 0.1
    ms, long enough to carry torch's threads across the gaps between its operators), or 100
    when the machine asks for more than its cores (:func:`_load`), where a spinning thread
    takes the core its peer needs (exact n = 20 at two threads, load 12 on 2 cores: 25-33% more CPU than one
    thread at 10,000, 6-18% at 100; bench/RESULTS.md, issue 12). libgomp reads it once."""
    global _spin_note
    if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ:
        _spin_note = "as set by the user"
        return
    busy = _load() > _cores()
    spin = GOMP_SPINCOUNT_BUSY if busy else GOMP_SPINCOUNT
    os.environ["GOMP_SPINCOUNT"] = spin
    _spin_note = (f"GOMP_SPINCOUNT={spin}" + (" (more runnable tasks than cores at import)"
                                              if busy else "")
                  if "torch" not in sys.modules else
                  "libgomp's default (torch was imported before interplay)")


#: glibc's malloc thresholds set by :func:`keep_freed_heap` (bytes): the largest values glibc's
#: own dynamic rule reaches (mmap threshold up to 32 MB on 64-bit, trim threshold twice that)
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20
_heap_note = "not set"
_MALLOC_ENV = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
               "MALLOC_MMAP_MAX_")


def keep_freed_heap() -> None:
    """Let glibc keep freed heap memory for the next call (called once by ``import interplay``)
    unless the user set glibc's malloc thresholds (MALLOC_*_ or GLIBC_TUNABLES).

    With glibc's default, arrays above the mmap threshold (128 KB at first, raised to the size
    of the largest mmapped block freed) are fresh mappings, and a free top of the heap above
    the trim threshold is returned to the OS: an estimate of a few milliseconds then faults its
    temporaries in anew on every call, and unmaps them again (docs/architecture.md, "Threads").
    Setting both thresholds to the largest values glibc's dynamic rule adopts by itself keeps
    up to TRIM_THRESHOLD bytes of freed memory in the process. Process-wide (as
    GOMP_SPINCOUNT); no effect on any number computed."""
    global _heap_note
    if any(k in os.environ for k in _MALLOC_ENV) or "malloc" in os.environ.get("GLIBC_TUNABLES",
                                                                               ""):
        _heap_note = "as set by the user"
        return
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc's; musl's is a stub returning 0
    except (OSError, AttributeError):  # pragma: no cover - no C library symbols to look up
        return
    if mallopt(-3, MMAP_THRESHOLD) and mallopt(-1, TRIM_THRESHOLD):  # M_MMAP_/M_TRIM_THRESHOLD
        _heap_note = f"mmap threshold {MMAP_THRESHOLD >> 20} MB, trim threshold " \
                     f"{TRIM_THRESHOLD >> 20} MB"


def _load() -> float:
    """The machine's demand for cores: the larger of the 1-minute load average and the tasks
    runnable right now, this process included (/proc/loadavg; the average alone lags a minute
    behind processes that have just started); the load average elsewhere, 0 if unknown."""
    try:
        with open("/proc/loadavg") as f:
            parts = f.read().split()
        return max(float(parts[0]), float(parts[3].split("/")[0]))
    except (OSError, IndexError, ValueError):
        try:
            return os.getloadavg()[0]
        except (OSError, AttributeError):  # pragma: no cover - no load average here
            return 0.0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """Most threads the engine's kernels use (OpenMP regions, BLAS in large solves, numba).

    ``set_num_threads(n)`` if it was called, else ``OMP_NUM_THREADS`` if set, else the number of
    cores this process may run on. Independent of ``torch.get_num_threads()``.
    """
    if _setting is not None:
        return _setting
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(env) if env.isdigit() and int(env) > 0 else _cores()


def set_num_threads(n: int) -> None:
    """Cap every thread pool the engine uses at ``n`` threads.

    Applies to the compiled core's OpenMP regions, to BLAS inside the engine's solves and to
    numba's pool; torch's threads (the model in ``explain``) are set with
    ``torch.set_num_threads``. Overrides ``OMP_NUM_THREADS`` for the engine.

    Parameters
    ----------
    n : int
        At least 1.
    """
    try:
        value = operator.index(n)
    except TypeError:
        value = 0
    if isinstance(n, bool) or value < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    global _setting
    _setting = value
    if "interplay._core" in sys.modules:
        apply_to_core(sys.modules["interplay._core"])
    if "numba" in sys.modules:
        apply_to_numba(sys.modules["numba"])


def apply_to_core(core) -> None:
    """Hand the setting to the compiled core (called when it is loaded and on every change)."""
    core.build.set_max_threads(get_num_threads())


def apply_to_numba(numba) -> None:
    """Hand the setting to numba's pool (at most the pool numba starts with, NUMBA_NUM_THREADS;
    numba's setting is per calling thread). Left alone by default when they agree: setting it
    launches numba's pool."""
    n = max(1, min(get_num_threads(), numba.config.NUMBA_NUM_THREADS))
    if _setting is not None or n != numba.config.NUMBA_NUM_THREADS:
        numba.set_num_threads(n)


@functools.lru_cache(maxsize=None)
def _blas():
    """threadpoolctl's handle on the loaded BLAS libraries, made once (it inspects every loaded
    library: milliseconds); None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController

        import scipy.linalg  # noqa: F401  (load scipy's own OpenBLAS before the inspection)
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        return ThreadpoolController().select(user_api="blas")
    except Exception:  # pragma: no cover - defensive: inspection of loaded libraries failed
        return None


_limited = False  # inside a blas_limit: BLAS is already on one thread


@contextlib.contextmanager
def blas_limit():
    """Context manager holding BLAS to one thread (about 50 us; free inside another limit).
    BLAS's thread count is process-wide, as is this."""
    global _limited
    ctl = _blas()
    if ctl is None or _limited:
        yield
        return
    with ctl.limit(limits=1):
        _limited = True
        try:
            yield
        finally:
            _limited = False
