"""Shared pieces of the shapiq drop-in: the fallback warning and index-name lookups."""

from __future__ import annotations


class InterplayFallbackWarning(UserWarning):
    """A shapiq class or index interplay has no counterpart for was computed by shapiq itself."""


def interplay_index(name: str) -> str | None:
    """The interplay index name for shapiq's ``name``, or None where interplay has none."""
    from interplay.indices import INDEX_NAMES

    return name if name in INDEX_NAMES else None
