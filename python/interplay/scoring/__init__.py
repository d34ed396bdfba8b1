"""Offline scoring beyond one machine: ``interplay explain`` on Ray Data (extra ``ray``).

:func:`explain_dataset` explains every item of a JSONL/Parquet file or a ``ray.data.Dataset``
on a pool of Ray actors (one model per worker) and writes the same per-item Parquet files as
the local engine (:func:`interplay.models.batch.explain_items`), with the same resume, errors
file and accounting. Ray is imported only when it runs; docs/scaling.md.
"""

from __future__ import annotations

from ._ray import explain_dataset

__all__ = ["explain_dataset"]
