"""Words to vectors: the tokenizer, the shipped GloVe subset, the gloss lexicon and embed()."""

import hashlib
import json
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.embeddings import (
    GLOVE_STD,
    Embedding,
    GloVe,
    embed,
    fallback_vector,
    load_gloss,
    load_glove,
    plain_tokenize,
    token_sources,
    tokenize,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = json.loads((ROOT / "data" / "examples.json").read_text(encoding="utf-8"))


# --- the shipped GloVe subset -----------------------------------------------------------


def test_subset_has_20000_words_of_50_float32_dims():
    glove = load_glove()
    assert isinstance(glove, GloVe)
    assert len(glove.words) == 20000 == len(glove.index)
    assert glove.vectors.shape == (20000, 50)
    assert glove.vectors.dtype == np.float32
    assert glove.dim == 50
    assert all(type(w) is str for w in glove.words[:100])


def test_subset_is_in_glove_frequency_order_starting_with_the():
    glove = load_glove()
    assert glove.words[:8] == ("the", ",", ".", "of", "to", "and", "in", "a")
    assert glove.index["the"] == 0


@pytest.mark.parametrize(
    "word, first_values",
    [
        # From the lines of the original glove.6B.50d.txt.
        ("the", [0.418, 0.24968, -0.41242, 0.1217, 0.34527]),
        (",", [0.013441, 0.23682, -0.16899, 0.40951]),
        (".", [0.15164, 0.30177, -0.16763, 0.17684]),
        ("king", [0.50451, 0.68607, -0.59517, -0.022801]),
    ],
)
def test_vectors_match_the_original_glove_text_file(word, first_values):
    glove = load_glove()
    row = glove.vectors[glove.index[word]]
    np.testing.assert_allclose(row[: len(first_values)], first_values, rtol=0, atol=1e-6)


def test_shipped_vectors_are_the_ones_the_build_script_printed():
    digest = hashlib.sha256(load_glove().vectors.tobytes()).hexdigest()
    assert digest == "548a2d46d7f92654d8319e4775e12b295e077fd21f1d7f7eecc440f7d00663e8"


def test_default_fallback_scale_is_the_std_of_the_subset_entries():
    assert GLOVE_STD == pytest.approx(load_glove().vectors.astype(np.float64).std(), abs=1e-4)


def test_loaders_are_cached_and_the_shared_vectors_read_only():
    assert load_glove() is load_glove()
    assert load_gloss() is load_gloss()
    with pytest.raises(ValueError):
        load_glove().vectors[0, 0] = 1.0


def test_data_file_stays_small():
    assert (ROOT / "data" / "glove_50d_top20k.npz").stat().st_size < 6_000_000


# --- the gloss lexicon and the examples ------------------------------------------------


def test_every_gloss_is_one_lowercase_word_of_the_subset():
    glove = load_glove()
    bad = {k: v for k, v in load_gloss().items() if v not in glove.index or v != v.lower() or " " in v}
    assert not bad


def test_gloss_keys_are_nfc_in_the_file_itself():
    raw = json.loads((ROOT / "data" / "gloss_ko.json").read_text(encoding="utf-8"))
    assert all(unicodedata.normalize("NFC", k) == k for k in raw)
    assert len(raw) >= 60


def test_examples_are_four_english_and_four_korean_sentences():
    assert set(EXAMPLES) == {"en", "ko", "long"}
    assert set(EXAMPLES["long"]) == {"en", "ko"}  # one long sentence per language
    assert len(EXAMPLES["en"]) == len(EXAMPLES["ko"]) == 4


@pytest.mark.parametrize("sentence", EXAMPLES["en"])
def test_every_english_example_token_is_in_glove(sentence):
    assert set(embed(tokenize(sentence)).sources) == {"glove"}


@pytest.mark.parametrize("sentence", EXAMPLES["ko"])
def test_every_korean_example_token_is_glossed(sentence):
    # Words by their lemma's gloss; particles and endings by their function vector.
    assert set(embed(tokenize(sentence)).sources) == {"gloss", "function"}


@pytest.mark.parametrize("sentence", ["나는 학교에 간다", "고양이가 생선을 먹었다", "그는 어제 책을 읽었다"])
def test_translation_pair_vocabulary_is_glossed(sentence):
    assert set(embed(tokenize(sentence)).sources) == {"gloss", "function"}


# --- tokenize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("it's don’t rock'n'roll", ["it", "'s", "do", "n’t", "rock'n'roll"]),  # clitics split as GloVe's corpus
        ("I can't, they'll o'clock", ["I", "ca", "n't", ",", "they", "'ll", "o'clock"]),
        ("'quoted' dogs'", ["'", "quoted", "'", "dogs", "'"]),
        ("고양이가 피곤해서 매트 위에 앉았다.", ["고양이가", "피곤해서", "매트", "위에", "앉았다", "."]),
        ("I have 2 cats, 3.14 pies", ["I", "have", "2", "cats", ",", "3", ".", "14", "pies"]),
        ("<script>alert(1)</script>", ["<", "script", ">", "alert", "(", "1", ")", "<", "/", "script", ">"]),
        ("**bold**", ["*", "*", "bold", "*", "*"]),
        ("AI와 attention Привет 日本語", ["AI와", "attention", "Привет", "日本語"]),
        ("tab\there\nnew\u00a0line\u3000x", ["tab", "here", "new", "line", "x"]),
        ("a\x00b\x07c\x1bd", ["a", "b", "c", "d"]),
        ("soft\u00adware zero\u200bwidth \ufeffbom", ["software", "zero", "width", "bom"]),
        ("lone \ud800 surrogate", ["lone", "surrogate"]),
        ("", []),
        ("   \n\t\u00a0 ", []),
        ("\u200b\u200d\ufe0f\x00", []),
    ],
    ids=[
        "punctuation", "apostrophes", "clitics", "quotes", "korean", "digits", "html", "markdown", "mixed-scripts",
        "whitespace", "controls", "zero-width", "surrogate", "empty", "blank", "only-invisible",
    ],
)
def test_tokenize_splits_words_and_punctuation(text, tokens):
    # The plain path: what tokenize does without Korean (test_korean.py covers the analyser's).
    assert plain_tokenize(text) == tokens


def test_english_contractions_get_glove_vectors_for_both_parts_not_a_random_one():
    """GloVe's corpus was split into did + n't, it + 's: the whole "didn't" has no vector of its own, and was a
    random one before the tokenizer split it the same way (’ as ' for the lookup)."""
    for text in ("The animal didn't cross the street", "it's", "don’t", "I'm sure we'll win, can't we?"):
        tokens = plain_tokenize(text)
        assert "fallback" not in token_sources(tokens), (text, tokens, token_sources(tokens))
    assert token_sources(["didn't"]) == ["fallback"]  # why: the unsplit word is not one of GloVe's


@pytest.mark.parametrize(
    "emoji",
    [
        "👩\u200d👩\u200d👧",  # family: ZWJ sequence
        "👍🏽",  # skin tone modifier
        "❤️",  # variation selector 16
        "🧑🏽\u200d💻",  # skin tone inside a ZWJ sequence
        "🏳️\u200d🌈",  # flag ZWJ sequence
        "🐈\u200d⬛",
        "🇰🇷",  # regional indicator pair
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland: tag sequence
        "1️⃣",  # keycap
    ],
)
def test_tokenize_keeps_an_emoji_whole(emoji):
    assert tokenize(f"hi {emoji}!") == ["hi", emoji, "!"]


def test_tokenize_splits_adjacent_emoji_and_flags():
    assert tokenize("🙂🙂") == ["🙂", "🙂"]
    assert tokenize("🇰🇷🇺🇸") == ["🇰🇷", "🇺🇸"]
    assert tokenize("고양이 🐈\u200d⬛ 👍🏽") == ["고양이", "🐈\u200d⬛", "👍🏽"]


def test_tokenize_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "café 고양이")
    assert tokenize(decomposed) == ["café", "고양이"]


# Unicode's Default_Ignorable_Code_Point ranges: invisible characters tokenize may drop.
IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
             (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
             (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3),
             (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))


def droppable(ch):
    """Whitespace, control, format and zero-width characters: the only ones tokenize may lose."""
    cp = ord(ch)
    return (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs")
            or any(lo <= cp <= hi for lo, hi in IGNORABLE))


def visible(s):
    return "".join(ch for ch in s if not droppable(ch))


def is_subsequence(small, big):
    rest = iter(big)
    return all(ch in rest for ch in small)


# Arbitrary text, plus text dense in the characters the emoji and word rules care about.
TRICKY = st.text(st.sampled_from(list("a1' \t\n\u00a0\u200b\u200d\ufe0f\u20e3\u0301\u00ad#고👩❤🏽🇰\U000e0067\x00")))
TEXTS = st.text() | TRICKY


@settings(max_examples=50, deadline=None)
@given(TEXTS)
def test_tokenize_never_raises_nor_returns_blank_or_spaced_tokens(text):
    tokens = tokenize(text)
    assert isinstance(tokens, list)
    for token in tokens:
        assert token, "empty token"
        assert not any(ch.isspace() for ch in token), f"whitespace in {token!r}"
        assert visible(token), f"invisible token {token!r}"


@settings(max_examples=50, deadline=None)
@given(TEXTS)
def test_tokenize_loses_only_whitespace_control_and_zero_width_characters(text):
    nfc = unicodedata.normalize("NFC", text)
    joined = "".join(plain_tokenize(text))  # morphemes are not substrings ("했" is 하 + 었)
    assert is_subsequence(joined, nfc)  # nothing added, order kept
    assert visible(joined) == visible(nfc)  # every visible character kept


# --- embed ------------------------------------------------------------------------------


def test_embed_names_the_source_of_each_vector():
    emb = embed(tokenize("the 고양이가 zzqxv 🙂"))
    assert isinstance(emb, Embedding)
    assert emb.tokens == ["the", "고양이", "가", "zzqxv", "🙂"]
    assert emb.sources == ["glove", "gloss", "function", "fallback", "fallback"]
    assert emb.glosses == [None, "cat", None, None, None]
    assert emb.X.shape == (5, 50) and emb.X.dtype == np.float64


def test_glove_lookup_is_lowercased():
    glove = load_glove()
    X = embed(["The", "CAT"]).X
    np.testing.assert_array_equal(X, glove.vectors[[glove.index["the"], glove.index["cat"]]])


def test_gloss_vector_is_the_glove_vector_of_the_gloss():
    glove = load_glove()
    for korean, english in load_gloss().items():
        emb = embed([korean])
        assert emb.sources == ["gloss"] and emb.glosses == [english]
        np.testing.assert_array_equal(emb.X[0], glove.vectors[glove.index[english]])


def test_gloss_lookup_accepts_decomposed_hangul():
    emb = embed([unicodedata.normalize("NFD", "고양이")])
    assert emb.sources == ["gloss"] and emb.glosses == ["cat"]


def test_gloss_missing_from_glove_falls_back_to_the_token():
    glove = GloVe(words=("cat",), vectors=np.ones((1, 50), np.float32), index={"cat": 0})
    emb = embed(["고양이", "개"], glove=glove, gloss={"고양이": "cat", "개": "notaword"})
    assert emb.sources == ["gloss", "fallback"]
    np.testing.assert_array_equal(emb.X[1], fallback_vector("개"))


def test_fallback_row_is_the_fallback_vector_of_the_token():
    np.testing.assert_array_equal(embed(["zzqxv"]).X[0], fallback_vector("zzqxv"))


def test_fallback_vector_is_the_same_in_another_process():
    code = "from core.embeddings import fallback_vector; print(fallback_vector('zzqxv 🙂').tobytes().hex())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different str hash() than ours
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == fallback_vector("zzqxv 🙂").tobytes().hex()


def test_fallback_vectors_of_different_tokens_differ():
    vectors = [fallback_vector(t) for t in ("zzqxv", "zzqxw", "Zzqxv", "🙂", "🙃")]
    for i in range(len(vectors)):
        for j in range(i + 1, len(vectors)):
            assert not np.allclose(vectors[i], vectors[j])


def test_fallback_vector_depends_on_the_nfc_text_only():
    np.testing.assert_array_equal(fallback_vector("caf\u00e9"), fallback_vector("cafe\u0301"))


def test_fallback_vectors_have_glove_scale():
    sample = np.stack([fallback_vector(f"unknown{i}") for i in range(400)])
    assert sample.shape == (400, 50) and sample.dtype == np.float64
    assert sample.std() == pytest.approx(GLOVE_STD, rel=0.05)
    assert fallback_vector("x", dim=7, scale=2.0).shape == (7,)


def test_fallback_vector_of_a_lone_surrogate_does_not_raise():
    assert fallback_vector("\ud800").shape == (50,)


def test_embed_of_no_tokens_is_an_empty_matrix():
    emb = embed([])
    assert emb.X.shape == (0, 50)
    assert emb.tokens == emb.sources == emb.glosses == []


def test_embed_rows_are_the_callers_to_change():
    emb = embed(["the"])
    emb.X[0] = 0.0  # a fresh float64 copy, not a view of the shared GloVe table
    assert load_glove().vectors[0, 0] == pytest.approx(0.418)


def test_embedding_256_tokens_takes_well_under_5_ms():
    tokens = tokenize(" ".join(f"the cat 고양이가 unknown{i} 🙂" for i in range(52)))[:256]
    embed(tokens)  # first load and the fallback cache
    best = min(_timed(embed, tokens) for _ in range(5))
    assert best < 0.005


def _timed(f, *args):
    start = time.perf_counter()
    f(*args)
    return time.perf_counter() - start
