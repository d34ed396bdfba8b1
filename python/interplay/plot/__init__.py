"""Pictures of explanations (matplotlib, the optional extra ``plot``: pip install
'interplay[plot]').

Importing this package does not import matplotlib; each function does, and raises ImportError
with the install command if it is missing. Every function returns a ``matplotlib.figure.Figure``
drawn on an Agg canvas (no pyplot state, no display needed) and writes it to ``path`` if given.

- :func:`patch_token_heatmaps`: per text token, its interactions with the image patches, over
  the image;
- :func:`interaction_matrix`: query x passage (any two sides) with word-level labels;
- :func:`interaction_network`: the strongest pairs as a network;
- :func:`modality_bars`: InterSHAP / SHAPE modality contributions; :func:`pid_bars`: PID atoms;
- :func:`plot_results`: PNG files next to the Parquet files of ``interplay explain``.
"""

from ._common import merge_pieces
from .charts import interaction_network, modality_bars, pid_bars
from .files import plot_result, plot_results
from .matrices import interaction_matrix, patch_token_heatmaps

__all__ = [
    "interaction_matrix", "interaction_network", "merge_pieces", "modality_bars",
    "patch_token_heatmaps", "pid_bars", "plot_result", "plot_results",
]
