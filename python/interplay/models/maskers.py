"""Maskers: turn (instance, coalitions) into batched model inputs, in torch, on the model's device.

A masker ``encode``s a raw input once into an :class:`Instance` (players, labels, a content key)
and then ``mask``es it for a block of coalitions; ``collate`` joins the blocks of several instances
into one model call (padding text to a common length). A masker with ``n_draws > 1`` emits
``n_draws`` rows per coalition whose outputs are averaged (marginal imputation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_int


def _torch():
    import torch  # noqa: PLC0415  (models are imported lazily)

    return torch


def _as_tensor(x: Any, device: Any = None, dtype: Any = None):
    torch = _torch()
    if isinstance(x, torch.Tensor):
        t = x.detach()
    else:
        t = torch.as_tensor(np.asarray(x))
    if dtype is not None:
        t = t.to(dtype)
    return t.to(device) if device is not None else t


def _content_key(*parts: Any) -> str:
    h = hashlib.sha1()
    for p in parts:
        if hasattr(p, "detach"):
            p = p.detach().cpu().contiguous().numpy()
        if isinstance(p, np.ndarray):
            h.update(str(p.dtype).encode() + str(p.shape).encode())
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(repr(p).encode())
    return h.hexdigest()


@dataclass
class Instance:
    """One encoded input: what the masker needs to mask it, its players' labels and a key."""

    data: dict[str, Any]
    labels: list[str]
    key: Hashable
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_players(self) -> int:
        return len(self.labels)


class Masker:
    """Base class. Subclasses implement ``encode``, ``mask`` and ``collate``."""

    n_draws: int = 1
    device: Any = None
    numpy: bool = False  # emit NumPy rows (set by a MaskedModel with numpy=True)
    start_batch_size: int = 16  # coalitions of the scheduler's first "auto" batch
    max_batch_size: int | None = None  # coalitions "auto" may grow to (None: the scheduler's)

    def encode(self, raw: Any) -> Instance:  # pragma: no cover (abstract)
        raise NotImplementedError

    def mask(self, instance: Instance, coalitions: np.ndarray) -> Any:  # pragma: no cover
        raise NotImplementedError

    def collate(self, parts: list[Any]) -> Any:
        if isinstance(parts[0], np.ndarray):
            return np.concatenate(parts)
        torch = _torch()
        if isinstance(parts[0], dict):
            return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
        if isinstance(parts[0], tuple):
            return tuple(torch.cat([p[j] for p in parts]) for j in range(len(parts[0])))
        return torch.cat(parts)

    def row_bytes(self, instance: Instance) -> int:
        """Bytes of masked input per coalition (for the scheduler's plan)."""
        return 0

    def signature(self) -> tuple:
        """What distinguishes this masker's outputs (part of the cache namespace)."""
        return (type(self).__name__,)

    def _bool_rows(self, coalitions: np.ndarray, n: int):
        c = np.asarray(coalitions, dtype=bool)
        if c.ndim != 2 or c.shape[1] != n:
            raise ValueError(f"coalitions must have shape (m, {n}), got {c.shape}")
        return _torch().from_numpy(np.ascontiguousarray(c)).to(self.device)


# ---------------------------------------------------------------------------------------- text
class TextTooLong(ValueError):
    """A text longer than the model's limit (:class:`TextMasker` ``max_length``), refused before
    any model call rather than silently run past the model's positions."""

    def __init__(self, n_tokens: int, limit: int, text: str | None = None) -> None:
        super().__init__(f"text: {n_tokens} tokens (special tokens included), more than the "
                         f"model's limit of {limit} (max_length); shorten it or truncate it")
        self.n_tokens, self.limit, self.text = n_tokens, limit, text


class TextMasker(Masker):
    """Mask text tokens (the players are the non-special tokens).

    Parameters
    ----------
    tokenizer : Hugging Face tokenizer, optional
        Needed by :meth:`encode` on strings; :meth:`from_ids` works without one.
    mode : {"attention", "mask_token", "remove"}
        "attention": an absent token's attention-mask entry is set to 0 (special tokens stay at 1;
        FIxLIP's masking). "mask_token": its id is replaced by ``mask_token_id`` (attention kept).
        "remove": absent tokens are dropped and the rest shifted left (positions change).
    mask_token_id, pad_token_id : int, optional
        Default to the tokenizer's.
    max_length : int, optional
        Longest text in tokens, special tokens included (a model's limit, e.g. its
        ``max_seq_length``): longer texts are truncated to it by :meth:`encode` (``truncate``) or
        refused with :class:`TextTooLong` before any model call; token ids given directly are
        always refused past it.
    truncate : bool
        Truncate strings longer than ``max_length`` (default) instead of refusing them.
    players : {"tokens", "words"}
        "tokens": each non-special token (word piece) is a player. "words": each word is a
        player (the tokenizer's ``word_ids``; a fast tokenizer), its pieces masked together
        and labelled with the word as written: fewer players for a long text (n words instead
        of n pieces, so about (n_words / n_pieces)^2 the order-2 terms).
    device : torch device, optional
        Where masked tensors are built (set to the model's device by the game).
    """

    MODES = ("attention", "mask_token", "remove")
    PLAYERS = ("tokens", "words")

    def __init__(
        self,
        tokenizer: Any = None,
        *,
        mode: str = "attention",
        mask_token_id: int | None = None,
        pad_token_id: int | None = None,
        max_length: int | None = None,
        truncate: bool = True,
        players: str = "tokens",
        device: Any = None,
    ) -> None:
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        if players not in self.PLAYERS:
            raise ValueError(f"players must be one of {self.PLAYERS}, got {players!r}")
        self.players = players
        self.tokenizer = tokenizer
        self.mode = mode
        if mask_token_id is None:
            mask_token_id = getattr(tokenizer, "mask_token_id", None)
        if mode == "mask_token" and mask_token_id is None:
            raise ValueError("mask_token_id: mode='mask_token' needs a mask token id")
        self.mask_token_id = mask_token_id
        if pad_token_id is None:
            pad_token_id = getattr(tokenizer, "pad_token_id", None)
        self.pad_token_id = 0 if pad_token_id is None else int(pad_token_id)
        self.max_length = None if max_length is None else check_int(max_length, "max_length", low=2)
        self.truncate = bool(truncate)
        self.device = device

    def signature(self) -> tuple:
        return ("text", self.mode, self.mask_token_id, self.pad_token_id)  # players: in the key

    def encode(self, raw: Any) -> Instance:
        if isinstance(raw, Instance):
            return raw
        if isinstance(raw, dict):
            return self.from_ids(**raw)
        if not isinstance(raw, str):
            raise TypeError(f"text input must be a str (or a dict of ids), got {type(raw).__name__}")
        if self.tokenizer is None:
            raise ValueError("tokenizer: encoding a string needs a tokenizer")
        cut = self.max_length is not None and self.truncate  # else count, then refuse if too long
        words = self.players == "words"
        if words and not getattr(self.tokenizer, "is_fast", False):
            raise ValueError("players: 'words' needs a fast tokenizer (its word_ids); "
                             f"{type(self.tokenizer).__name__} has none")
        enc = self.tokenizer(raw, return_special_tokens_mask=True, truncation=cut,
                             max_length=self.max_length if cut else None,
                             verbose=self.max_length is None or self.truncate,
                             return_offsets_mapping=words)
        ids = list(enc["input_ids"])
        self._check_length(len(ids), raw)
        labels = self.tokenizer.convert_ids_to_tokens(ids)
        word_ids = None
        if words:
            word_ids = [-1 if w is None or sp else w for w, sp in
                        zip(enc.word_ids(), enc["special_tokens_mask"])]
            spans: dict[int, list[int]] = {}
            for w, (a, b) in zip(word_ids, enc["offset_mapping"]):
                if w >= 0:
                    spans.setdefault(w, [a, b])[1] = b
            labels = [raw[spans[w][0]:spans[w][1]] if w >= 0 else t
                      for w, t in zip(word_ids, labels)]
        return self.from_ids(ids, special_tokens_mask=enc["special_tokens_mask"], labels=labels,
                             text=raw, word_ids=word_ids)

    def from_ids(
        self,
        input_ids: Sequence[int],
        special_tokens_mask: Sequence[int] | None = None,
        labels: Sequence[str] | None = None,
        text: str | None = None,
        word_ids: Sequence[int] | None = None,
    ) -> Instance:
        """An instance from token ids; special tokens (mask 1) are kept and are not players.
        ``word_ids`` (one per token, -1 for special tokens): the players are the words, a word's
        tokens masked together, labelled with the ``labels`` of its first token."""
        ids = np.asarray(input_ids, dtype=np.int64).reshape(-1)
        self._check_length(len(ids), text)
        special = (
            np.zeros(ids.shape, bool)
            if special_tokens_mask is None
            else np.asarray(special_tokens_mask, dtype=bool).reshape(-1)
        )
        if special.shape != ids.shape:
            raise ValueError("special_tokens_mask must have one entry per token")
        positions = np.flatnonzero(~special)
        all_labels = [str(t) for t in labels] if labels is not None else [str(i) for i in ids]
        if len(all_labels) != len(ids):
            raise ValueError("labels must have one entry per token")
        player_labels = [all_labels[i] for i in positions]
        data = {"input_ids": ids, "special": special, "positions": positions}
        key = ("text", ids, special)
        if word_ids is not None:
            w = np.asarray(word_ids, dtype=np.int64).reshape(-1)
            if w.shape != ids.shape:
                raise ValueError("word_ids must have one entry per token")
            # players in order of first appearance; a token's player is its word's
            _, first, group = np.unique(w[positions], return_index=True, return_inverse=True)
            order = np.argsort(np.argsort(first))  # word rank -> player index
            data["groups"] = order[group]
            player_labels = [player_labels[i] for i in np.sort(first)]
            key += (data["groups"],)
        return Instance(
            data,
            player_labels,
            key=_content_key(*key),
            meta={"text": text, "tokens": all_labels},
        )

    def _check_length(self, n_tokens: int, text: str | None) -> None:
        if self.max_length is not None and n_tokens > self.max_length:
            raise TextTooLong(n_tokens, self.max_length, text)

    def row_bytes(self, instance: Instance) -> int:
        return 16 * len(instance.data["input_ids"])

    def mask(self, instance: Instance, coalitions: np.ndarray) -> dict[str, Any]:
        torch = _torch()
        d = instance.data
        c = self._bool_rows(coalitions, instance.n_players)
        if "groups" in d:  # word players: each token follows its word
            c = c[:, _as_tensor(d["groups"], c.device)]
        m = c.shape[0]
        ids = _as_tensor(d["input_ids"], self.device)
        pos = _as_tensor(d["positions"], self.device)
        big_ids = ids.unsqueeze(0).expand(m, -1).clone()
        if self.mode == "attention":
            att = torch.ones_like(big_ids)
            att[:, pos] = c.to(att.dtype)
            return {"input_ids": big_ids, "attention_mask": att}
        if self.mode == "mask_token":
            big_ids[:, pos] = torch.where(c, big_ids[:, pos], torch.full_like(big_ids[:, pos],
                                                                              self.mask_token_id))
            return {"input_ids": big_ids, "attention_mask": torch.ones_like(big_ids)}
        keep = torch.ones_like(big_ids, dtype=torch.bool)
        keep[:, pos] = c
        lengths = keep.sum(1)
        order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)  # kept tokens first
        packed = torch.gather(big_ids, 1, order)
        width = int(lengths.max()) if m else 0
        packed = packed[:, :width]
        att = (torch.arange(width, device=packed.device).unsqueeze(0) < lengths.unsqueeze(1)).to(
            big_ids.dtype
        )
        packed = torch.where(att.bool(), packed, torch.full_like(packed, self.pad_token_id))
        return {"input_ids": packed, "attention_mask": att}

    def collate(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        torch = _torch()
        width = max(p["input_ids"].shape[1] for p in parts)

        def pad(t: Any, value: int) -> Any:  # right-pad to the widest part
            return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=value)
        return {"input_ids": torch.cat([pad(p["input_ids"], self.pad_token_id) for p in parts]),
                "attention_mask": torch.cat([pad(p["attention_mask"], 0) for p in parts])}


# --------------------------------------------------------------------------------------- image
class ImagePatchMasker(Masker):
    """Mask square image patches (the players are the cells of a patch grid, row-major).

    Parameters
    ----------
    patch_size : int
        Side of a patch in pixels; height and width must be multiples of it.
    baseline : "zero", float, "mean" or tensor (C,)
        Value of a masked pixel in the (normalised) input: 0 (with CLIP-style normalisation the
        dataset's mean colour, FIxLIP's choice), a constant, the image's per-channel mean, or
        a per-channel vector.
    """

    def __init__(self, patch_size: int, *, baseline: Any = "zero", device: Any = None) -> None:
        self.patch_size = check_int(patch_size, "patch_size", low=1)
        if isinstance(baseline, str) and baseline not in ("zero", "mean"):
            raise ValueError(f"baseline must be 'zero', 'mean', a number or a vector, got {baseline!r}")
        self.baseline = baseline
        self.device = device

    def signature(self) -> tuple:
        b = self.baseline
        if not isinstance(b, (str, int, float)):
            b = _content_key(np.asarray(b.detach().cpu() if hasattr(b, "detach") else b))
        return ("image", self.patch_size, b)

    def encode(self, raw: Any) -> Instance:
        if isinstance(raw, Instance):
            return raw
        x = _as_tensor(raw, dtype=_torch().float32)
        if x.ndim == 4 and x.shape[0] == 1:
            x = x[0]
        if x.ndim != 3:
            raise ValueError(f"an image must have shape (C, H, W), got {tuple(x.shape)}")
        _, h, w = x.shape
        p = self.patch_size
        if h % p or w % p:
            raise ValueError(f"patch_size: image {h}x{w} is not a multiple of patch_size {p}")
        gh, gw = h // p, w // p
        labels = [f"patch({r},{c})" for r in range(gh) for c in range(gw)]
        return Instance({"pixels": x, "grid": (gh, gw)}, labels, key=_content_key("image", x))

    def row_bytes(self, instance: Instance) -> int:
        return 4 * int(instance.data["pixels"].numel())

    def mask(self, instance: Instance, coalitions: np.ndarray) -> Any:
        torch = _torch()
        x = instance.data["pixels"].to(self.device)
        gh, gw = instance.data["grid"]
        p = self.patch_size
        c = self._bool_rows(coalitions, instance.n_players)
        keep = c.view(-1, 1, gh, gw).repeat_interleave(p, dim=2).repeat_interleave(p, dim=3)
        b = self.baseline
        if isinstance(b, str) and b == "mean":
            base = x.mean(dim=(1, 2), keepdim=True)
        elif isinstance(b, (str, int, float)):  # "zero" or a constant
            base = torch.tensor(0.0 if isinstance(b, str) else float(b), dtype=x.dtype,
                                device=x.device)
        else:
            base = _as_tensor(self.baseline, x.device, x.dtype).view(-1, 1, 1)
        return torch.where(keep, x.unsqueeze(0), base.unsqueeze(0) if base.ndim else base)


class ImageTextMasker(Masker):
    """Mask an (image, text) pair for a joint (early-fusion, single-stream) model such as ViLT:
    the players are the image's patches, then the text's tokens, and every coalition is one
    model call on ``pixel_values`` with the absent patches masked and ``input_ids`` /
    ``attention_mask`` with the absent tokens masked (MultiSHAP's setting: Wang and Wang 2025,
    "MultiSHAP: a Shapley-based framework for explaining cross-modal interactions in multimodal
    AI models"). The model is called as ``model(pixel_values=..., input_ids=...,
    attention_mask=...)`` (Hugging Face keyword inputs) and its ``logits`` are the values.

    Parameters
    ----------
    tokenizer : Hugging Face tokenizer
    patch_size : int
        Side of an image patch in pixels (the image's height and width are multiples of it).
    baseline : see :class:`ImagePatchMasker` (masked pixels; 0 = the normalised mean colour)
    text_mode, mask_token_id, pad_token_id, max_length, truncate, players
        See :class:`TextMasker` (``text_mode`` is its ``mode``).
    names : (str, str)
        Prefixes of the players' labels (``image:patch(0,1)``, ``text:dog``), so that
        ``groups="names"`` of :mod:`interplay.metrics` scores the two modalities.
    image_key : str
        The model's keyword for the image tensor.
    """

    def __init__(self, tokenizer: Any, patch_size: int, *, baseline: Any = "zero",
                 text_mode: str = "attention", mask_token_id: int | None = None,
                 pad_token_id: int | None = None, max_length: int | None = None,
                 truncate: bool = False, players: str = "tokens",
                 names: Sequence[str] = ("image", "text"), image_key: str = "pixel_values",
                 device: Any = None) -> None:
        if tokenizer is None:
            raise ValueError("tokenizer: ImageTextMasker needs the model's tokenizer")
        if (isinstance(names, str) or len(names) != 2
                or not all(isinstance(x, str) for x in names)):
            raise ValueError(f"names must be two strings (image, text), got {names!r}")
        if not isinstance(image_key, str):
            raise TypeError(f"image_key must be a str, got {type(image_key).__name__}")
        self.image = ImagePatchMasker(patch_size, baseline=baseline, device=device)
        self.text = TextMasker(tokenizer, mode=text_mode, mask_token_id=mask_token_id,
                               pad_token_id=pad_token_id, max_length=max_length,
                               truncate=truncate, players=players, device=device)
        self.names, self.image_key = tuple(names), image_key
        self._device = device

    @property
    def device(self) -> Any:  # type: ignore[override]
        return self._device

    @device.setter
    def device(self, value: Any) -> None:  # the game sets the model's device on both parts
        self._device = self.image.device = self.text.device = value

    def signature(self) -> tuple:
        return ("image-text", self.image.signature(), self.text.signature(), self.image_key)

    def encode(self, raw: Any) -> Instance:
        if isinstance(raw, Instance):
            return raw
        if not (isinstance(raw, (tuple, list)) and len(raw) == 2):
            raise ValueError("an ImageTextMasker input must be an (image, text) pair")
        img, txt = self.image.encode(raw[0]), self.text.encode(raw[1])
        a, b = self.names
        labels = [f"{a}:{x}" for x in img.labels] + [f"{b}:{x}" for x in txt.labels]
        return Instance({"image": img, "text": txt}, labels, key=_content_key(img.key, txt.key),
                        meta={"player_groups": (img.n_players, txt.n_players), **txt.meta})

    def row_bytes(self, instance: Instance) -> int:
        d = instance.data
        return self.image.row_bytes(d["image"]) + self.text.row_bytes(d["text"])

    def mask(self, instance: Instance, coalitions: np.ndarray) -> dict[str, Any]:
        d = instance.data
        c = np.asarray(coalitions, dtype=bool)
        if c.ndim != 2 or c.shape[1] != instance.n_players:
            raise ValueError(f"coalitions must have shape (m, {instance.n_players}), got {c.shape}")
        na = d["image"].n_players
        return {self.image_key: self.image.mask(d["image"], c[:, :na]),
                **self.text.mask(d["text"], c[:, na:])}

    def collate(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        torch = _torch()
        text = self.text.collate([{k: p[k] for k in ("input_ids", "attention_mask")}
                                  for p in parts])
        return {self.image_key: torch.cat([p[self.image_key] for p in parts]), **text}


# ---------------------------------------------------------------------------- modalities, tabular
class _ReplacementMasker(Masker):
    """Each player is a block of the input, replaced by a baseline or by background draws."""

    STRATEGIES = ("baseline", "mean", "draws")
    KIND = ""  # the cache signature's first entry

    def _setup(self, baseline, background, strategy, n_draws, seed, device) -> str:
        if strategy is None:
            strategy = "baseline" if baseline is not None else "mean"
        if strategy not in self.STRATEGIES:
            raise ValueError(f"strategy must be one of {self.STRATEGIES}, got {strategy!r}")
        if strategy == "baseline" and baseline is None:
            raise ValueError("baseline: strategy='baseline' needs a baseline")
        if strategy in ("mean", "draws") and background is None:
            raise ValueError(f"background: strategy={strategy!r} needs a background set")
        self.strategy = strategy
        self.n_draws = check_int(n_draws, "n_draws", low=1) if strategy == "draws" else 1
        self.seed = seed
        self.device = device
        return strategy

    def _draw_rows(self, n_background: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return rng.choice(n_background, size=self.n_draws, replace=n_background < self.n_draws)

    @property
    def _ref(self) -> Any:
        """What replaces absent players: the draws, else the baseline."""
        return self.draws if self.strategy == "draws" else self.baseline

    def signature(self) -> tuple:
        ref = self._ref
        return (self.KIND, self.strategy, _content_key(*ref) if isinstance(ref, list)
                else _content_key(ref))


class ModalityMasker(_ReplacementMasker):
    """Mask whole modalities: an input is a sequence of M tensors, one per modality (player).

    Parameters
    ----------
    baseline : sequence of M tensors, optional
        Replacement of each modality (strategy "baseline").
    background : sequence of M tensors with a leading sample axis, optional
        For "mean" (the background mean replaces an absent modality) and "draws" (``n_draws``
        background samples, drawn once with ``seed``, replace absent modalities jointly and the
        model outputs are averaged: marginal/interventional imputation, InterSHAP's masking).
    names : sequence of str, optional
        Modality names (player labels).
    """

    KIND = "modality"

    def __init__(
        self,
        baseline: Sequence[Any] | None = None,
        *,
        background: Sequence[Any] | None = None,
        strategy: str | None = None,
        n_draws: int = 16,
        seed: int | None = 0,
        names: Sequence[str] | None = None,
        device: Any = None,
    ) -> None:
        strategy = self._setup(baseline, background, strategy, n_draws, seed, device)
        torch = _torch()
        self.names = None if names is None else [str(n) for n in names]
        self.baseline = None if baseline is None else [_as_tensor(b) for b in baseline]
        self.background = None if background is None else [_as_tensor(b) for b in background]
        if self.background is not None:
            sizes = {int(b.shape[0]) for b in self.background}
            if len(sizes) != 1:
                raise ValueError("background: every modality needs the same number of samples")
            if strategy == "mean":
                self.baseline = [b.to(torch.float64).mean(0).to(b.dtype if b.is_floating_point()
                                                                else torch.float32)
                                 for b in self.background]
            elif strategy == "draws":
                idx = torch.as_tensor(self._draw_rows(sizes.pop()))
                self.draws = [b[idx] for b in self.background]

    def encode(self, raw: Any) -> Instance:
        if isinstance(raw, Instance):
            return raw
        parts = [_as_tensor(x) for x in raw]
        ref = self._ref
        if len(parts) != len(ref):
            raise ValueError(f"the input has {len(parts)} modalities, the masker {len(ref)}")
        for j, (x, b) in enumerate(zip(parts, ref)):
            shape = tuple(b.shape[1:]) if self.strategy == "draws" else tuple(b.shape)
            if tuple(x.shape) != shape:
                raise ValueError(f"modality {j}: shape {tuple(x.shape)} != baseline shape {shape}")
        names = self.names or [f"modality{j}" for j in range(len(parts))]
        if len(names) != len(parts):
            raise ValueError(f"names has {len(names)} entries for {len(parts)} modalities")
        return Instance({"parts": parts}, list(names), key=_content_key("modality", *parts))

    def row_bytes(self, instance: Instance) -> int:
        return self.n_draws * sum(x.element_size() * x.numel() for x in instance.data["parts"])

    def mask(self, instance: Instance, coalitions: np.ndarray) -> tuple:
        torch = _torch()
        c = self._bool_rows(coalitions, instance.n_players)
        m = c.shape[0]
        out = []
        for j, x in enumerate(instance.data["parts"]):
            x = x.to(self.device)
            # (k, ...) replacements, k = n_draws (1 but for "draws"): row r*k + t takes the t-th
            ref = self.draws[j] if self.strategy == "draws" else self.baseline[j].unsqueeze(0)
            keep = c[:, j].repeat_interleave(self.n_draws).view(-1, *([1] * x.ndim))
            rep = ref.to(self.device, x.dtype).repeat(m, *([1] * x.ndim))
            out.append(torch.where(keep, x.unsqueeze(0), rep))
        return tuple(out)


class TabularMasker(_ReplacementMasker):
    """Mask features of a vector (n,): absent features take a baseline (strategy "baseline" or
    "mean" of a background set) or, with "draws", the values of ``n_draws`` background rows
    (joint marginal / interventional imputation, outputs averaged).

    Masking is done in NumPy. A masked model with ``numpy=True`` gets float64 NumPy rows (no
    torch needed); otherwise float32 tensors on the model's device. With "draws", a row that
    a coalition leaves equal to another (a draw equal to the instance on every absent feature,
    or two equal draws) is built and evaluated once (:meth:`distinct_rows`: shap's "delta
    trick", generalised to every batch of coalitions).
    """

    KIND = "tabular"

    def __init__(
        self,
        baseline: Any = None,
        *,
        background: Any = None,
        strategy: str | None = None,
        n_draws: int = 32,
        seed: int | None = 0,
        feature_names: Sequence[str] | None = None,
        device: Any = None,
    ) -> None:
        strategy = self._setup(baseline, background, strategy, n_draws, seed, device)
        self.feature_names = None if feature_names is None else [str(f) for f in feature_names]
        self.baseline = None if baseline is None else _as_array(baseline, "baseline").reshape(-1)
        bg = None if background is None else _as_array(background, "background")
        if bg is not None and bg.ndim != 2:
            raise ValueError(f"background must have shape (N, n), got {tuple(bg.shape)}")
        self._bg = bg
        if strategy == "mean":
            self.baseline = bg.mean(0)
        elif strategy == "draws":
            self.draws = bg[self._draw_rows(bg.shape[0])]
        self._refs: dict[Any, np.ndarray] = {}

    def signature(self) -> tuple:
        return super().signature() + (self.numpy,)

    #: masked-input bytes per model call. A call's fixed cost is large next to a tabular row
    #: (sklearn's validation, BLAS threads waking): 16 coalitions of 100 draws took 4x the CPU
    #: time of shap's 102,400-row calls, and on two BLAS threads an MLP's 65,536-row calls took
    #: 1.2x the CPU of 102,400-row ones. Past about 8 MiB of input (10^5 rows of 10 float64
    #: features) its temporaries leave glibc's heap (32 MB mmap threshold) and fault in anew:
    #: 131,000-row calls took 1.2x, 250,000-row ones 2x (bench/RESULTS.md, issue 13)
    CALL_BYTES = 1 << 23

    def rows_per_call(self) -> int:
        """Model rows of about :attr:`CALL_BYTES` of masked input (at least one)."""
        n = self._ref.shape[-1]
        return max(1, self.CALL_BYTES // (np.dtype(self._dtype()).itemsize * max(n, 1)))

    @property
    def start_batch_size(self) -> int:  # type: ignore[override]
        """Coalitions of about :attr:`CALL_BYTES` of masked input (each ``n_draws`` rows)."""
        return max(1, self.rows_per_call() // self.n_draws)

    @property
    def max_batch_size(self) -> int:  # type: ignore[override]
        """As :attr:`start_batch_size`: a larger call is no cheaper per row (see CALL_BYTES)."""
        return self.start_batch_size

    def _reference(self, dtype: Any) -> np.ndarray:
        """Baseline (n,) or draws (k, n) in ``dtype``; the mean of the background rounded to
        ``dtype`` first (float32: what the tensor path has always used)."""
        if dtype not in self._refs:
            if self.strategy == "mean":
                ref = self._bg.astype(dtype).astype(np.float64).mean(0)
            else:
                ref = self._ref
            self._refs[dtype] = np.ascontiguousarray(ref, dtype=dtype)
        return self._refs[dtype]

    def _dtype(self) -> Any:
        return np.float64 if self.numpy else np.float32

    def encode(self, raw: Any) -> Instance:
        if isinstance(raw, Instance):
            return raw
        x = _as_array(raw, "input").reshape(-1)
        ref = self._ref
        if x.size != ref.shape[-1]:
            raise ValueError(f"the input has {x.size} features, the baseline {ref.shape[-1]}")
        names = self.feature_names or [f"x{j}" for j in range(x.size)]
        if len(names) != x.size:
            raise ValueError(f"feature_names has {len(names)} entries for {x.size} features")
        return Instance({"x": x}, list(names), key=_content_key("tabular", x))

    def row_bytes(self, instance: Instance) -> int:
        return np.dtype(self._dtype()).itemsize * self.n_draws * instance.n_players

    def _out(self, rows: np.ndarray) -> Any:
        return rows if self.numpy else _torch().from_numpy(rows).to(self.device)

    def mask(self, instance: Instance, coalitions: np.ndarray) -> Any:
        dt = self._dtype()
        x = instance.data["x"].astype(dt)
        c = np.asarray(coalitions, dtype=bool)
        if self.strategy == "draws":
            keep = np.repeat(c, self.n_draws, axis=0)  # row r*k + t uses draw t
            ref = np.tile(self._reference(dt), (c.shape[0], 1))
            return self._out(np.where(keep, x, ref))
        return self._out(np.where(c, x, self._reference(dt)))

    def distinct_rows(self, instance: Instance, coalitions: np.ndarray) -> Any:
        """(masked distinct rows, inverse) of the ``m * n_draws`` rows :meth:`mask` builds: row
        ``r * k + t`` is row ``inverse[r * k + t]`` of the distinct ones. None when the rows
        cannot be keyed in one int64 (more than about 56 features), and when every draw
        differs from x on every feature and no two draws are equal: then only the full
        coalition's k rows coincide, not worth sorting the m * k keys (continuous data).

        Row (S, t) keeps x on S and on the features where draw t equals x: it depends only on
        the set A_t(S) of absent features where draw t differs from x, and on t (on nothing
        when A_t(S) is empty); equal draws count as one."""
        dt = self._dtype()
        x, draws = instance.data["x"].astype(dt), self._reference(dt)
        n, k = x.size, draws.shape[0]
        _, draw_id = np.unique(draws, axis=0, return_inverse=True)
        unequal = draws != x
        if n + int(k).bit_length() > 62 or (unequal.all() and draw_id.max() == k - 1):
            return None
        bit = np.int64(1) << np.arange(n, dtype=np.int64)
        absent = (~np.asarray(coalitions, dtype=bool)).astype(np.int64) @ bit  # (m,)
        differs = unequal.astype(np.int64) @ bit  # (k,)
        key = absent[:, None] & differs[None, :]
        key = np.where(key == 0, 0, key | ((draw_id.reshape(-1).astype(np.int64) + 1) << n))
        _, first, inverse = np.unique(key.reshape(-1), return_index=True, return_inverse=True)
        r, t = np.divmod(first, k)
        c = np.asarray(coalitions, dtype=bool)[r]
        return self._out(np.where(c, x, draws[t])), inverse.reshape(-1)


def _as_array(x: Any, name: str) -> np.ndarray:
    """A float64 NumPy copy of an array-like, tensor or DataFrame (one-line TypeError naming
    ``name`` when it is not numeric)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    try:
        return np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {type(x).__name__}") from exc
