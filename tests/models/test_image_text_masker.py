"""ImageTextMasker: a joint (early-fusion, ViLT-like) model explained over image patches and text
tokens without a custom masker, checked against a game built by hand (every coalition's masked
inputs made with plain torch, one model call each). The model is a randomly initialised
ViltForQuestionAnswering from a small config (nothing downloaded); the tokenizer is the bundled
MiniLM's (BERT's uncased vocabulary, ViLT's too)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import interplay
from interplay.models import ImageTextMasker


@pytest.fixture(scope="module")
def tiny_vilt():
    torch.manual_seed(0)
    cfg = transformers.ViltConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=4, intermediate_size=64, image_size=32,
                                  patch_size=16, max_image_length=-1, num_labels=3,
                                  max_position_embeddings=40)
    return transformers.ViltForQuestionAnswering(cfg).eval()


def test_joint_model_explained_with_the_image_text_masker(tiny_vilt, minilm):
    tok = minilm.tokenizer
    torch.manual_seed(1)
    img = torch.randn(3, 32, 32)
    text = "a red dog"
    res = interplay.explain(tiny_vilt, [(img, text)], masker=ImageTextMasker(tok, 16),
                            index="SII", budget=2**7)[0]
    assert res.player_names == ["image:patch(0,0)", "image:patch(0,1)", "image:patch(1,0)",
                                "image:patch(1,1)", "text:a", "text:red", "text:dog"]
    # by hand: patch p of the 2 x 2 grid is pixels [16 r, 16 r + 16) x [16 c, 16 c + 16),
    # masked to 0; token j (after [CLS]) masked by attention_mask 0
    ids = torch.tensor([tok(text)["input_ids"]])
    table = np.empty((2**7, 3))
    with torch.inference_mode():
        for t in range(2**7):
            x = img.clone()
            for p in range(4):
                if not t >> p & 1:
                    r, c = divmod(p, 2)
                    x[:, 16 * r:16 * r + 16, 16 * c:16 * c + 16] = 0.0
            att = torch.ones_like(ids)
            for j in range(3):
                att[0, 1 + j] = t >> (4 + j) & 1
            table[t] = tiny_vilt(input_ids=ids, attention_mask=att,
                                 pixel_values=x[None]).logits[0].numpy()
    ref = interplay.exact(table, "SII", 2)
    # float32 model, rows batched differently: 1e-5 absolute on logits of size ~0.1-1
    np.testing.assert_allclose(res.values, ref.values, atol=1e-5)
    # the modalities' InterSHAP from the player names' prefixes
    out = interplay.metrics.intershap(res, groups="names", output=0)
    assert out["modalities"] == ["image", "text"] and 0.0 <= out["intershap"] <= 1.0


def test_image_text_masker_bad_input(tiny_vilt, minilm):
    tok = minilm.tokenizer
    with pytest.raises(ValueError, match="tokenizer"):
        ImageTextMasker(None, 16)
    with pytest.raises(ValueError, match="names"):
        ImageTextMasker(tok, 16, names="image")
    with pytest.raises(ValueError, match="patch_size"):
        ImageTextMasker(tok, 0)
    with pytest.raises(ValueError, match=r"inputs\[0\]: an ImageTextMasker input must be"):
        interplay.explain(tiny_vilt, ["just text"], masker=ImageTextMasker(tok, 16))
    with pytest.raises(ValueError, match=r"inputs\[0\]: patch_size"):
        interplay.explain(tiny_vilt, [(torch.zeros(3, 30, 30), "a dog")],
                          masker=ImageTextMasker(tok, 16))
