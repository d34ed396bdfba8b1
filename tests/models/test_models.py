"""Maskers, adapters and model games on all-MiniLM-L6-v2 and a random small CLIPModel, against
direct forward passes on the masked inputs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from interplay.models import (  # noqa: E402
    Adapter,
    CLIPImageEncoder,
    CLIPTextEncoder,
    DualEncoderGame,
    HFTextEncoder,
    ImagePatchMasker,
    LateFusionGame,
    MaskedModel,
    MaskedModelGame,
    ModalityMasker,
    SentenceTransformerEncoder,
    TabularMasker,
    TextMasker,
    evaluate_games,
    evaluate_grids,
)

QUERY = "where do cats sleep"
PASSAGE = "my cat naps on the warm sofa"


def st_embed(model, ids, att):
    """Direct forward pass of one masked text (batch of one, no padding)."""
    with torch.inference_mode():
        out = model({"input_ids": torch.as_tensor([ids]), "attention_mask": torch.as_tensor([att])})
    return out["sentence_embedding"][0].double().numpy()


def cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def all_coalitions(n):
    return np.array(list(itertools.product([False, True], repeat=n)))[:, ::-1]


def banzhaf_pairs(values, n):
    """Brute-force Banzhaf interaction of every pair from a full value table (row = bits)."""
    out = {}
    for i, j in itertools.combinations(range(n), 2):
        s = 0.0
        for t in range(2**n):
            if t >> i & 1 or t >> j & 1:
                continue
            s += values[t | 1 << i | 1 << j] - values[t | 1 << i] - values[t | 1 << j] + values[t]
        out[(i, j)] = s / 2 ** (n - 2)
    return out


# ------------------------------------------------------------------------------ MiniLM, text
def test_text_masker_modes_equal_direct_passes(minilm, rng):
    tok = minilm.tokenizer
    enc = tok(PASSAGE)
    ids = enc["input_ids"]
    for mode in ("attention", "mask_token", "remove"):
        masker = TextMasker(tok, mode=mode)
        mm = MaskedModel(minilm, masker, batch_size=5)
        game = MaskedModelGame(mm, PASSAGE)
        n = game.n_players
        assert n == len(ids) - 2
        assert game.player_names == tok.convert_ids_to_tokens(ids)[1:-1]
        c = rng.random((12, n)) < 0.5
        c[0] = False
        c[1] = True
        got = game(c)
        assert got.shape == (12, 384)
        for row, coal in zip(got, c):
            keep = np.r_[True, coal, True]
            if mode == "attention":
                ref = st_embed(minilm, ids, keep.astype(int).tolist())
            elif mode == "mask_token":
                masked = [t if k else tok.mask_token_id for t, k in zip(ids, keep)]
                ref = st_embed(minilm, masked, [1] * len(ids))
            else:
                kept = [t for t, k in zip(ids, keep) if k]
                ref = st_embed(minilm, kept, [1] * len(kept))
            np.testing.assert_allclose(row, ref, rtol=0, atol=2e-5)


def test_dual_encoder_equals_joint_path_and_direct_passes(minilm, rng):
    tok = minilm.tokenizer
    enc = MaskedModel(minilm, TextMasker(tok), batch_size=16)
    dual = DualEncoderGame(enc, QUERY, enc, PASSAGE, names=["q", "p"])
    joint = DualEncoderGame(MaskedModel(minilm, TextMasker(tok)), QUERY,
                            MaskedModel(minilm, TextMasker(tok)), PASSAGE, path="joint")
    na, nb = dual.player_groups
    assert dual.n_players == na + nb
    assert dual.player_names[0].startswith("q:") and dual.player_names[-1].startswith("p:")
    c = rng.random((60, na + nb)) < 0.5
    v_dual = dual(c)
    v_joint = joint(c)
    np.testing.assert_allclose(v_dual, v_joint, rtol=0, atol=1e-5)
    ua = len({r.tobytes() for r in c[:, :na]})
    ub = len({r.tobytes() for r in c[:, na:]})
    assert enc.stats.rows_evaluated == ua + ub  # one encoder row per unique side coalition
    # direct forward passes for a few rows
    qi, pi = tok(QUERY)["input_ids"], tok(PASSAGE)["input_ids"]
    for r in range(5):
        ea = st_embed(minilm, qi, np.r_[1, c[r, :na], 1].astype(int).tolist())
        eb = st_embed(minilm, pi, np.r_[1, c[r, na:], 1].astype(int).tolist())
        np.testing.assert_allclose(v_dual[r], cos(ea, eb), atol=2e-6)


def test_grid_and_exact_enumeration_match_joint(minilm):
    """Tiny exact enumeration: all 2^n coalitions through the grid, the factorised and the joint
    path; brute-force Banzhaf interactions agree."""
    tok = minilm.tokenizer
    q, p = "cats sleep", "my cat naps"
    enc = MaskedModel(minilm, TextMasker(tok))
    dual = DualEncoderGame(enc, q, enc, p)
    joint = DualEncoderGame(MaskedModel(minilm, TextMasker(tok)), q,
                            MaskedModel(minilm, TextMasker(tok)), p, path="joint")
    na, nb = dual.player_groups
    n = na + nb
    ca, cb = all_coalitions(na), all_coalitions(nb)
    grid = dual.grid_values(ca, cb)
    assert grid.shape == (2**na, 2**nb)
    assert enc.stats.rows_evaluated == 2**na + 2**nb
    full = all_coalitions(n)
    v_dual = dual(full)
    v_joint = joint(full)
    np.testing.assert_allclose(v_dual, v_joint, atol=1e-5)
    # row t of `full` has bits t; the grid is indexed (bits of A, bits of B)
    bits = full.astype(np.int64) @ (1 << np.arange(n))
    np.testing.assert_allclose(grid[bits & (2**na - 1), bits >> na], v_dual[np.argsort(bits)][bits],
                               atol=1e-12)
    np.testing.assert_allclose(joint.grid_values(ca, cb), grid, atol=1e-5)
    bz_dual, bz_joint = banzhaf_pairs(v_dual, n), banzhaf_pairs(v_joint, n)
    for k in bz_dual:
        assert abs(bz_dual[k] - bz_joint[k]) < 1e-5


def test_many_instances_packed_into_shared_calls(minilm, rng):
    tok = minilm.tokenizer
    pairs = [(QUERY, PASSAGE), ("a dog barks", "the puppy is loud at night"), ("rain", "wet streets")]
    shared = MaskedModel(minilm, TextMasker(tok), batch_size=32)
    games = [DualEncoderGame(shared, a, shared, b) for a, b in pairs]
    cs = [rng.random((20, g.n_players)) < 0.5 for g in games]
    packed = evaluate_games(games, cs)
    total_rows = shared.stats.rows_evaluated
    assert shared.stats.calls == 1
    assert shared.stats.model_calls == -(-total_rows // 32)
    for (a, b), c, v in zip(pairs, cs, packed):
        alone = MaskedModel(minilm, TextMasker(tok), batch_size=7)
        np.testing.assert_allclose(DualEncoderGame(alone, a, alone, b)(c), v, atol=1e-5)
    # grids of several instances: one call, cache hits for rows seen above
    grids = [(c[:5, : g.player_groups[0]], c[:7, g.player_groups[0]:]) for g, c in zip(games, cs)]
    before = shared.stats.rows_evaluated
    out = evaluate_grids(games, grids)
    assert shared.stats.rows_evaluated == before  # every side coalition was already cached
    for g, (ga, gb), o in zip(games, grids, out):
        assert o.shape == (5, 7)
        np.testing.assert_allclose(o, g.grid_values(ga, gb), atol=0)


class OOMAbove(Adapter):
    """Wraps an encoder; raises torch.OutOfMemoryError for batches above ``limit`` rows."""

    def __init__(self, inner, limit):
        self.inner, self.limit, self.model, self.device = inner, limit, inner.model, None
        self.sizes = []

    def __call__(self, inputs):
        b = inputs["input_ids"].shape[0]
        if b > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")
        self.sizes.append(b)
        return self.inner(inputs)


def test_oom_wrapper_gives_identical_results(minilm, rng):
    tok = minilm.tokenizer
    ref_mm = MaskedModel(minilm, TextMasker(tok), batch_size=8)
    c = rng.random((48, len(tok(PASSAGE)["input_ids"]) - 2)) < 0.5
    ref = MaskedModelGame(ref_mm, PASSAGE)(c)
    wrapper = OOMAbove(SentenceTransformerEncoder(minilm), limit=8)
    mm = MaskedModel(wrapper, TextMasker(tok), batch_size=64)
    got = MaskedModelGame(mm, PASSAGE)(c)
    np.testing.assert_array_equal(got, ref)  # same batches of 8 -> bitwise equal
    assert mm.stats.oom_retries >= 1
    assert max(wrapper.sizes) <= 8


def test_hf_text_encoder_mean_pooling_equals_sentence_transformers(minilm, rng):
    bert = minilm[0].auto_model
    a = MaskedModelGame(MaskedModel(HFTextEncoder(bert, normalize=True), TextMasker(minilm.tokenizer)),
                        PASSAGE)
    b = MaskedModelGame(MaskedModel(minilm, TextMasker(minilm.tokenizer)), PASSAGE)
    c = rng.random((20, a.n_players)) < 0.5
    np.testing.assert_allclose(a(c), b(c), atol=1e-5)


# ------------------------------------------------------------------------------ random CLIP
def clip_inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    pixels = torch.randn(3, 32, 32, generator=g)
    ids = [62, 5, 9, 17, 23, 40, 63]
    special = [1, 0, 0, 0, 0, 0, 1]
    return pixels, ids, special


def test_clip_dual_encoder_equals_clip_forward(tiny_clip, rng):
    pixels, ids, special = clip_inputs()
    img_masker = ImagePatchMasker(8)
    txt_masker = TextMasker(pad_token_id=0)
    text = txt_masker.from_ids(ids, special)
    img = MaskedModel(CLIPImageEncoder(tiny_clip), img_masker)
    txt = MaskedModel(CLIPTextEncoder(tiny_clip), txt_masker)
    scale = float(tiny_clip.logit_scale.detach().exp())
    game = DualEncoderGame(img, pixels, txt, text, logit_scale=scale, names=["image", "text"])
    assert game.player_groups == (16, 5)
    assert game.player_names[5] == "image:patch(1,1)"
    c = rng.random((24, 21)) < 0.5
    got = game(c)
    # direct: the full CLIPModel forward on the masked pairs, diagonal of logits_per_image
    keep = torch.as_tensor(c[:, :16]).view(-1, 1, 4, 4).repeat_interleave(8, 2).repeat_interleave(8, 3)
    pix = torch.where(keep, pixels.unsqueeze(0), torch.zeros(()))
    att = torch.ones(24, 7, dtype=torch.long)
    att[:, 1:6] = torch.as_tensor(c[:, 16:]).long()
    with torch.inference_mode():
        out = tiny_clip(input_ids=torch.as_tensor([ids] * 24), attention_mask=att, pixel_values=pix)
    ref = out.logits_per_image.diagonal().double().numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    joint = DualEncoderGame(MaskedModel(CLIPImageEncoder(tiny_clip), ImagePatchMasker(8)), pixels,
                            MaskedModel(CLIPTextEncoder(tiny_clip), TextMasker(pad_token_id=0)),
                            text, logit_scale=scale, path="joint")
    np.testing.assert_allclose(joint(c), got, rtol=1e-5, atol=1e-5)
    ca, cb = c[:6, :16], c[:9, 16:]
    grid = game.grid_values(ca, cb)
    rows = np.concatenate([np.repeat(ca, 9, axis=0), np.tile(cb, (6, 1))], axis=1)
    np.testing.assert_allclose(grid.reshape(-1), joint(rows), rtol=1e-5, atol=1e-5)


def test_image_patch_baselines(rng):
    x = torch.randn(3, 8, 12, generator=torch.Generator().manual_seed(1))
    c = rng.random((4, 6)) < 0.5
    keep = np.kron(c.reshape(4, 2, 3), np.ones((4, 4))).astype(bool)[:, None]
    xn = x.numpy()
    cases = {"zero": 0.0, 2.5: 2.5, "mean": xn.mean(axis=(1, 2))[:, None, None],
             "vec": np.array([1.0, -1.0, 0.5])[:, None, None]}
    for name, base in cases.items():
        arg = np.array([1.0, -1.0, 0.5]) if name == "vec" else name
        m = ImagePatchMasker(4, baseline=arg)
        inst = m.encode(x)
        assert inst.n_players == 6 and inst.labels[4] == "patch(1,1)"
        out = m.mask(inst, c).numpy()
        ref = np.where(keep, xn[None], np.broadcast_to(base, xn.shape)[None])
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-6)


def test_modality_masker_draws_and_mean(rng):
    bg_a = rng.normal(size=(20, 3)).astype(np.float32)
    bg_b = rng.normal(size=(20, 2)).astype(np.float32)
    xa, xb = rng.normal(size=3).astype(np.float32), rng.normal(size=2).astype(np.float32)

    def f(a, b):  # a non-additive two-modality model on NumPy inputs
        return np.tanh(a.sum(1)) * b[:, 0] + b[:, 1] ** 2

    c = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], bool)
    draws = ModalityMasker(background=[bg_a, bg_b], strategy="draws", n_draws=6, seed=3,
                           names=["audio", "video"])
    game = MaskedModelGame(MaskedModel(f, draws, numpy=True, batch_size=3), (xa, xb))
    assert game.player_names == ["audio", "video"]
    got = game(c)
    idx = np.random.default_rng(3).choice(20, size=6, replace=False)
    for r, (ka, kb) in enumerate(c):
        a = np.where(ka, xa, bg_a[idx])
        b = np.where(kb, xb, bg_b[idx])
        np.testing.assert_allclose(got[r], f(a, b).mean(), atol=1e-6)
    mean = ModalityMasker(background=[bg_a, bg_b], strategy="mean")
    got = MaskedModelGame(MaskedModel(f, mean, numpy=True), (xa, xb))(c)
    for r, (ka, kb) in enumerate(c):
        a = np.where(ka, xa, bg_a.mean(0))[None]
        b = np.where(kb, xb, bg_b.mean(0))[None]
        np.testing.assert_allclose(got[r], f(a, b)[0], atol=1e-5)


def test_tabular_masker_baseline_and_marginal(rng):
    bg = rng.normal(size=(50, 4)).astype(np.float32)
    x = rng.normal(size=4).astype(np.float32)

    def f(X):
        return X[:, 0] * X[:, 1] + np.sin(X[:, 2]) - X[:, 3]

    c = rng.random((10, 4)) < 0.5
    base = np.zeros(4, np.float32)
    got = MaskedModelGame(MaskedModel(f, TabularMasker(base), numpy=True), x)(c)
    np.testing.assert_allclose(got, f(np.where(c, x, base)), atol=1e-6)
    marg = TabularMasker(background=bg, strategy="draws", n_draws=8, seed=1)
    got = MaskedModelGame(MaskedModel(f, marg, numpy=True), x)(c)
    idx = np.random.default_rng(1).choice(50, size=8, replace=False)
    ref = [f(np.where(row, x, bg[idx])).mean() for row in c]
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_late_fusion_head_caches_per_modality(rng):
    w = rng.normal(size=(5, 3)).astype(np.float32)

    def enc(X):  # a per-modality "encoder" on NumPy
        return np.tanh(X @ w)

    head_calls = []

    def head(embs):
        head_calls.append(len(embs[0]))
        return (embs[0] * embs[1]).sum(1) + embs[2][:, 0]

    encs = [MaskedModel(enc, TabularMasker(np.zeros(5, np.float32)), numpy=True) for _ in range(3)]
    xs = [rng.normal(size=5).astype(np.float32) for _ in range(3)]
    game = LateFusionGame(encs, xs, head, names=["a", "b", "c"])
    assert game.n_players == 15 and game.player_groups == (5, 5, 5)
    c = rng.random((80, 15)) < 0.5
    got = game(c)
    e = [enc(np.where(c[:, 5 * j: 5 * j + 5], xs[j], 0)) for j in range(3)]
    np.testing.assert_allclose(got, (e[0] * e[1]).sum(1) + e[2][:, 0], atol=1e-6)
    for j in range(3):
        assert encs[j].stats.rows_evaluated == len({r.tobytes() for r in c[:, 5 * j: 5 * j + 5]})
    with pytest.raises(ValueError, match="two modalities"):
        game.grid_values(c[:, :5], c[:, 5:10])


def test_bad_input(minilm):
    tok = minilm.tokenizer
    with pytest.raises(ValueError, match="mode"):
        TextMasker(tok, mode="blank")
    with pytest.raises(ValueError, match="mask_token_id"):
        TextMasker(mode="mask_token")
    with pytest.raises(ValueError, match="tokenizer"):
        TextMasker().encode("hello")
    with pytest.raises(ValueError, match="patch_size"):
        ImagePatchMasker(5).encode(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="baseline"):
        ImagePatchMasker(4, baseline="blur")
    with pytest.raises(ValueError, match="background"):
        ModalityMasker(strategy="draws")
    with pytest.raises(ValueError, match="strategy"):
        TabularMasker(np.zeros(3), strategy="conditional")
    with pytest.raises(ValueError, match="features"):
        TabularMasker(np.zeros(3)).encode(np.zeros(4))
    enc = MaskedModel(minilm, TextMasker(tok))
    with pytest.raises(ValueError, match="combine"):
        DualEncoderGame(enc, "a b", enc, "c d", combine="l2")
    with pytest.raises(ValueError, match="path"):
        DualEncoderGame(enc, "a b", enc, "c d", path="fast")
    game = DualEncoderGame(enc, "a b", enc, "c d")
    with pytest.raises(ValueError, match="coalitions"):
        game(np.zeros((2, game.n_players + 1), bool))
    with pytest.raises(ValueError, match="coalitions_a"):
        game.grid_values(np.zeros((2, 5), bool), np.zeros((2, 2), bool))
    with pytest.raises(TypeError, match="masker"):
        MaskedModel(minilm, "attention")
    with pytest.raises(ValueError, match="masker"):
        MaskedModelGame(minilm, "text")
