"""Explaining real models: maskers, adapters, model games (joint, late fusion, dual encoder).

Imported lazily by ``interplay`` (torch is needed here, nowhere else).
"""

from __future__ import annotations

from .adapters import (
    Adapter,
    CallableModel,
    CLIPImageEncoder,
    CLIPTextEncoder,
    HFTextEncoder,
    SentenceTransformerEncoder,
    as_adapter,
)
from .games import (
    DualEncoderGame,
    LateFusionGame,
    MaskedModel,
    MaskedModelGame,
    evaluate_games,
    evaluate_grids,
)
from .api import build_games, explain, run_estimators, scheduler_stats
from .maskers import ImagePatchMasker, ImageTextMasker, Instance, Masker, ModalityMasker, TabularMasker, TextMasker

__all__ = [
    "Adapter",
    "CallableModel",
    "CLIPImageEncoder",
    "CLIPTextEncoder",
    "DualEncoderGame",
    "HFTextEncoder",
    "ImagePatchMasker",
    "ImageTextMasker",
    "Instance",
    "LateFusionGame",
    "Masker",
    "MaskedModel",
    "MaskedModelGame",
    "ModalityMasker",
    "SentenceTransformerEncoder",
    "TabularMasker",
    "TextMasker",
    "as_adapter",
    "evaluate_games",
    "evaluate_grids",
    "explain",
    "build_games",
    "run_estimators",
    "scheduler_stats",
]
