"""Word-level text players (issue 11): ``players="words"`` / ``--players words`` make each word
one player, its word pieces masked together and labelled with the word as written."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pq = pytest.importorskip("pyarrow.parquet")

import interplay  # noqa: E402
from _exact_estimator import ExactBanzhaf  # noqa: E402
from interplay import cli  # noqa: E402
from interplay.models import TextMasker  # noqa: E402
from interplay.models.api import build_games  # noqa: E402
from interplay.models.batch import explain_items, output_path  # noqa: E402

PASSAGE = "Unbelievably, tokenization splits words"


def test_from_ids_word_players_mask_their_pieces_together():
    """No tokenizer (a fake one's ids): tokens 1-3 are word 0, 4 is word 1, 0 and 5 special;
    a coalition of words sets the attention of each word's pieces, ids stay."""
    m = TextMasker(None, players="words")
    inst = m.from_ids([101, 7, 8, 9, 10, 102], special_tokens_mask=[1, 0, 0, 0, 0, 1],
                      labels=["[CLS]", "un", "##believ", "##ably", "yes", "[SEP]"],
                      word_ids=[-1, 0, 0, 0, 1, -1])
    assert inst.labels == ["un", "yes"] and inst.n_players == 2
    out = m.mask(inst, np.array([[True, False], [False, True], [False, False]]))
    np.testing.assert_array_equal(out["attention_mask"].numpy(),
                                  [[1, 1, 1, 1, 0, 1], [1, 0, 0, 0, 1, 1], [1, 0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(out["input_ids"].numpy()[0], [101, 7, 8, 9, 10, 102])
    removed = TextMasker(None, mode="remove", players="words").mask(inst, np.array([[False, True]]))
    np.testing.assert_array_equal(removed["input_ids"].numpy(), [[101, 10, 102]])
    # the word grouping is part of the instance key (cached values are not shared)
    assert inst.key != TextMasker(None).from_ids([101, 7, 8, 9, 10, 102],
                                                 special_tokens_mask=[1, 0, 0, 0, 0, 1]).key
    with pytest.raises(ValueError, match="players must be one of"):
        TextMasker(None, players="pieces")
    with pytest.raises(ValueError, match="word_ids must have one entry per token"):
        m.from_ids([101, 7, 102], special_tokens_mask=[1, 0, 1], word_ids=[0])


def test_slow_tokenizer_is_refused_for_words():
    class Slow:
        is_fast = False

    with pytest.raises(ValueError, match="players: 'words' needs a fast tokenizer"):
        TextMasker(Slow(), players="words").encode("two words")


def test_minilm_word_game_equals_token_game_on_expanded_coalitions(minilm):
    """The value of a word coalition is the token game's value of the coalition that holds
    every piece of its words (same model rows, bit for bit); labels are whole words."""
    words, = build_games(minilm, [("sleepy cats", PASSAGE)], players="words")
    tokens, = build_games(minilm, [("sleepy cats", PASSAGE)])
    assert words.player_groups == (2, 5) and tokens.player_groups[1] > 5
    assert words.player_names[2:] == ["passage:Unbelievably", "passage:,",
                                      "passage:tokenization", "passage:splits",
                                      "passage:words"]
    tok = minilm.tokenizer
    enc = tok(PASSAGE, return_special_tokens_mask=True)
    wid = [w for w, s in zip(enc.word_ids(), enc["special_tokens_mask"]) if not s]
    rng = np.random.default_rng(0)
    C = rng.random((12, 7)) < 0.5
    expanded = np.hstack([C[:, :2], C[:, 2:][:, wid]])
    np.testing.assert_array_equal(words(C), tokens(expanded))


def test_explain_words_and_memory_fix_named(minilm, monkeypatch):
    """explain(players="words") labels results with words; a plan that does not fit names
    the fixes (max_order=1, players='words')."""
    res, = interplay.explain(minilm, [("cats", PASSAGE)], players="words", index="FBII",
                             budget=10**6, make_estimator=ExactBanzhaf)
    assert res.player_names == ["query:cats", "passage:Unbelievably", "passage:,",
                                "passage:tokenization", "passage:splits", "passage:words"]
    import interplay._validation as validation

    monkeypatch.setattr(validation, "available_memory", lambda: 10**5)
    with pytest.raises(validation.MemoryPlanError, match="max_order=1, or players='words'"):
        interplay.explain(minilm, [("cats", PASSAGE * 4)], index="FWBII", budget=4096,
                          grid=False)


def test_cli_players_words(minilm, tmp_path, monkeypatch):
    """`--players words`: files labelled with words, the setting stored (a rerun with token
    players is refused), and a memory refusal's fix names --players words."""
    src = tmp_path / "items.jsonl"
    with open(src, "w") as fh:
        fh.write(json.dumps({"id": "w", "query": "cats", "passage": PASSAGE}) + "\n")
    out = tmp_path / "out"
    monkeypatch.setattr(cli, "_load_model", lambda *a, **k: (minilm, None))
    assert cli.main(["explain", str(src), "-o", str(out), "--players", "words", "--budget",
                     "512", "--max-order", "1", "--quiet"]) == 0
    labels = pq.read_table(output_path(out, "w")).column("labels").to_pylist()
    assert "passage:Unbelievably" in str(labels) and "##" not in str(labels)
    from interplay.models.batch import run_settings

    # the default (token players) is not stored: folders written before the option resume
    assert "players" not in run_settings(index="FBII", max_order=1, budget=8, method="auto",
                                         p=0.5, seed=0, text_mode="attention", grid="auto")
    with pytest.raises(SystemExit, match="players"):
        cli.main(["explain", str(src), "-o", str(out), "--budget", "512", "--max-order", "1",
                  "--quiet"])
    import interplay._validation as validation

    monkeypatch.setattr(validation, "available_memory", lambda: 2 * 10**6)
    items = [{"id": "big", "query": "fox", "passage": " ".join([PASSAGE] * 8)}]
    summary = explain_items(items, tmp_path / "out2", model=minilm, index="FWBII", budget=4096,
                            progress=False, grid=False)
    assert summary["failed"] == 1
    rec = json.loads((tmp_path / "out2" / "errors.jsonl").read_text().splitlines()[0])
    assert "--players words" in rec["fix"] and "--max-order 1" in rec["fix"]
