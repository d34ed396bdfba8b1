"""Adapters: give any model one calling convention, ``adapter(batch_inputs) -> (b,) | (b, d)``.

Inputs are what a masker emits (a tensor, a tuple of tensors, or a dict of tensors such as
``input_ids``/``attention_mask``); the output is a torch tensor or a NumPy array. Every call
runs under ``torch.inference_mode()`` once torch is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .maskers import _torch


def _output_tensor(out: Any) -> Any:
    """The array in a model output: a tensor itself, a sentence-transformers dict's
    ``sentence_embedding``, a ``pooler_output`` (transformers' get_*_features), ``logits``, or
    the first element of a tuple."""
    if isinstance(out, dict) and "sentence_embedding" in out:
        return out["sentence_embedding"]
    for attr in ("pooler_output", "logits"):
        v = getattr(out, attr, None)
        if v is not None:
            return v
    if isinstance(out, (tuple, list)) and not isinstance(out, np.ndarray):
        return out[0]
    return out


def _model_device(model: Any) -> Any:
    dev = getattr(model, "device", None)
    if dev is not None:
        return dev
    params = getattr(model, "parameters", None)
    if callable(params):
        for p in params():
            return p.device
    return None


class Adapter:
    """Base adapter: ``__call__(inputs)`` returns the model output for a batch (it runs
    ``_forward(inputs)`` in inference mode; a subclass defines one of the two)."""

    device: Any = None
    model: Any = None

    def __init__(self, model: Any = None) -> None:
        self.model = model
        self.device = _model_device(model)

    def __call__(self, inputs: Any) -> Any:
        if sys.modules.get("torch") is None:  # not a torch model: no torch needed (tabular NumPy path)
            return self._forward(inputs)
        with _torch().inference_mode():
            return self._forward(inputs)

    def _forward(self, inputs: Any) -> Any:  # pragma: no cover (abstract)
        raise NotImplementedError

    @property
    def identity(self) -> tuple:
        return (type(self).__name__, id(self.model))


class CallableModel(Adapter):
    """Any callable on batches.

    Parameters
    ----------
    fn : callable
        ``fn(batch)`` with ``batch`` a tensor, or ``fn(*batch)`` for a tuple, ``fn(**batch)`` for a
        dict.
    numpy : bool
        Convert torch inputs to NumPy before the call (for scikit-learn style models).
    device : torch device, optional
        Where maskers build the inputs (default: the model's device if it has one, else CPU).
    """

    def __init__(self, fn: Callable[..., Any], *, numpy: bool = False, device: Any = None) -> None:
        if not callable(fn):
            raise TypeError(f"model must be callable, got {type(fn).__name__}")
        super().__init__(fn)
        self.numpy = bool(numpy)
        self.device = device if device is not None else self.device

    def _forward(self, inputs: Any) -> Any:
        if self.numpy:
            inputs = _to_numpy_tree(inputs)
        if isinstance(inputs, dict):
            return _output_tensor(self.model(**inputs))
        return _output_tensor(self.model(*inputs) if isinstance(inputs, tuple) else self.model(inputs))


def _to_numpy_tree(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _to_numpy_tree(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_to_numpy_tree(v) for v in x)
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return x


class SentenceTransformerEncoder(Adapter):
    """A sentence-transformers model as a text encoder: ``{input_ids, attention_mask} ->
    sentence_embedding`` (its pooling and normalisation modules included)."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.tokenizer = getattr(model, "tokenizer", None)

    def _forward(self, inputs: dict[str, Any]) -> Any:
        feats = {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}
        return self.model(feats)["sentence_embedding"]


class HFTextEncoder(Adapter):
    """A Hugging Face text model (e.g. ``AutoModel``) as an encoder.

    ``pooling``: "mean" (attention-masked mean of the last hidden state, sentence-transformers'
    default), "cls" (first token) or "pooler" (the model's ``pooler_output``).
    """

    def __init__(self, model: Any, *, pooling: str = "mean", normalize: bool = False) -> None:
        if pooling not in ("mean", "cls", "pooler"):
            raise ValueError(f"pooling must be 'mean', 'cls' or 'pooler', got {pooling!r}")
        super().__init__(model)
        self.pooling = pooling
        self.normalize = bool(normalize)

    @property
    def identity(self) -> tuple:
        return (type(self).__name__, id(self.model), self.pooling, self.normalize)

    def _forward(self, inputs: dict[str, Any]) -> Any:
        out = self.model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        if self.pooling == "pooler":
            emb = out.pooler_output
        elif self.pooling == "cls":
            emb = out.last_hidden_state[:, 0]
        else:
            h = out.last_hidden_state
            w = inputs["attention_mask"].to(h.dtype).unsqueeze(-1)
            emb = (h * w).sum(1) / w.sum(1).clamp(min=1e-9)
        return _torch().nn.functional.normalize(emb, dim=-1) if self.normalize else emb


class _CLIPEncoder(Adapter):
    features = ""  # the model's method this encoder calls

    def __init__(self, model: Any) -> None:
        if not hasattr(model, self.features):
            raise TypeError(f"model has no {self.features}()")
        super().__init__(model)


class CLIPTextEncoder(_CLIPEncoder):
    """``model.get_text_features(input_ids, attention_mask)`` of a CLIP-style model."""

    features = "get_text_features"

    def _forward(self, inputs: dict[str, Any]) -> Any:
        return _output_tensor(self.model.get_text_features(
            input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]))


class CLIPImageEncoder(_CLIPEncoder):
    """``model.get_image_features(pixel_values)`` of a CLIP-style model."""

    features = "get_image_features"

    def _forward(self, inputs: Any) -> Any:
        return _output_tensor(self.model.get_image_features(pixel_values=inputs))


def is_sentence_transformer(model: Any) -> bool:
    return type(model).__name__ == "SentenceTransformer" or any(
        c.__name__ == "SentenceTransformer" for c in type(model).__mro__
    )


def is_clip_like(model: Any) -> bool:
    return hasattr(model, "get_image_features") and hasattr(model, "get_text_features")


def as_adapter(model: Any, *, numpy: bool = False) -> Adapter:
    """Wrap ``model``: adapters pass through, sentence-transformers models become
    :class:`SentenceTransformerEncoder`, anything else callable :class:`CallableModel`."""
    if isinstance(model, Adapter):
        return model
    if is_sentence_transformer(model):
        return SentenceTransformerEncoder(model)
    return CallableModel(model, numpy=numpy)
