"""Metrics on explanations: fidelity of the explanation-implied game, and the multimodal papers'
analyses (FIxLIP's pointing game and insertion/deletion AID, MultiSHAP's aggregates, InterSHAP,
SHAPE) and InterSHAP's HD-XOR benchmark data."""

from .aggregates import cross_matrix, multishap_aggregates
from .curves import greedy_cliques, insertion_deletion
from .fidelity import ExplanationGame, fidelity, sample_coalitions
from .modality import intershap, intershap_matrix, performance_table, shape_scores
from .pointing import pointing_game, quadrants
from .synthetic import hd_xor

__all__ = [
    "ExplanationGame", "cross_matrix", "fidelity", "greedy_cliques", "hd_xor", "insertion_deletion",
    "intershap", "intershap_matrix", "multishap_aggregates", "performance_table",
    "pointing_game", "quadrants", "sample_coalitions", "shape_scores",
]
