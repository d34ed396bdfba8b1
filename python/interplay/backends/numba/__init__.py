"""Numba tier: the fallback where the compiled core is missing. One module per kernel family,
the same module and function names as :mod:`interplay.backends.reference`."""
