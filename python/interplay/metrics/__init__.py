"""Metrics on explanations: fidelity of the explanation-implied game."""

from .fidelity import ExplanationGame, fidelity, sample_coalitions

__all__ = ["ExplanationGame", "fidelity", "sample_coalitions"]
