"""The masked-forward scheduler: plan, then execute model evaluations of coalitions.

Explaining a model is dominated by forward passes on masked inputs. The scheduler takes the
coalitions that one or many estimators want evaluated, for one or many instances, and

* deduplicates identical rows (per instance) and serves rows it has already evaluated from a
  cache keyed by ``(namespace, instance, coalition bits)``, shared across estimators and calls;
* packs the rows of many instances into one model call;
* chooses the batch size ("auto": doubles while rows per second improve, halves and retries on
  an out-of-memory error without losing any finished value);
* prepares the masked inputs of the next batch in a worker thread while the model runs;
* states a :class:`Plan` before the work and keeps :class:`Stats` after it.

The model side is a *task* (see :class:`Task`): ``prepare(groups)`` builds the masked model input
of a batch and ``forward(prepared)`` runs the model on it.
"""

from __future__ import annotations

from .core import (
    Plan,
    Scheduler,
    Stats,
    Task,
    ValueCache,
    is_out_of_memory,
)

__all__ = ["Plan", "Scheduler", "Stats", "Task", "ValueCache", "is_out_of_memory"]
