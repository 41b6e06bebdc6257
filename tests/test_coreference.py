"""core.coreference: the generated task, the readout's gradients, and what the shipped weights do."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from core.coreference import (
    ANIMAL_ADJECTIVES,
    CHASE,
    NOUNS,
    PLACE_ADJECTIVES,
    _loss_and_grads,
    attention_to_referent,
    candidates,
    evaluate,
    match_pattern,
    predict,
    sentences,
    split_words,
    train,
)
from core.embeddings import embed, tokenize
from core.transformer import Config
from tests.conftest import central_differences

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import train_coreference  # noqa: E402

WEIGHTS = ROOT / "data" / "coref_transformer.npz"


@pytest.fixture(scope="module")
def model():
    with np.load(WEIGHTS) as f:
        meta = json.loads(str(f["meta"]))
        params = {k: f[k] for k in f.files if k not in ("meta", "loss")}
    return Config(**meta["config"]), params, meta


def test_the_adjective_alone_decides_the_referent():
    for tokens, it, referent, other, k in sentences(split_words(0)["train"], 300, seed=1):
        assert tokens[it] == "it" and referent != other and tokens[referent] in NOUNS and tokens[other] in NOUNS
        adjective = tokens[-1]
        if k in CHASE:
            assert referent == 1 if adjective in ("slow", "tired", "lazy", "weak", "sleepy", "exhausted", "hungry",
                                                  "sick") else referent != 1
        else:
            refers_to_animal = adjective in ANIMAL_ADJECTIVES
            assert refers_to_animal or adjective in PLACE_ADJECTIVES
            assert (tokens[referent] in NOUNS[:41]) == refers_to_animal  # the animals come first in NOUNS


def test_held_out_words_never_appear_in_training():
    words = split_words(0)
    for key in ("A", "P", "J_animal", "J_place", "J_chaser", "J_chased"):
        assert words["test"][key] and not set(words["train"][key]) & set(words["test"][key])
    assert {"animal", "street", "tired", "wide"} <= set(words["train"]["A"] + words["train"]["P"]
                                                         + words["train"]["J_animal"] + words["train"]["J_place"])


@pytest.mark.parametrize(("text", "expected"), [
    ("The animal didn't cross the street because it was too tired", 1),
    ("The animal didn't cross the street because it was too wide.", 6),  # did, n't: GloVe's tokens
    ("the dog did not want to swim the lake as it was too deep", 8),  # the place, ninth
    ("The giraffe didn't cross the street because it was too tired", 1),  # a word it never saw: still the pattern
])
def test_a_learners_sentence_of_the_pattern_is_recognised(text, expected):
    match = match_pattern(tokenize(text))
    assert match is not None and match["expected"] == expected


def test_sentences_outside_the_pattern_are_not_matched():
    assert match_pattern(tokenize("The cat sat on the mat because it was tired")) is None
    assert match_pattern([]) is None
    unknown = match_pattern(tokenize("The animal didn't cross the street because it was too purple"))
    assert unknown is not None and unknown["expected"] is None


def test_readout_and_encoder_gradients_match_central_differences():
    cfg = Config(d_in=50, d_model=4, num_heads=2, d_ff=6, num_layers=1, attn_bias=False)
    params = train(cfg, seed=0, steps=1)["params"]
    items = sentences(split_words(0)["train"], 3, seed=5, template=0)
    X = np.stack([embed(s[0]).X for s in items])  # (3, T, 50)
    nouns = split_words(0)["train"]["A"] + split_words(0)["train"]["P"]
    G = candidates(nouns)
    y = np.array([nouns.index(s[0][s[2]]) for s in items])
    _, grads = _loss_and_grads(cfg, params, X, items[0][1], G, y)
    for name in ("readout.weight", "layers.0.self_attn.in_proj_weight", "input.weight"):
        def f(flat, name=name):
            return _loss_and_grads(cfg, {**params, name: flat.reshape(params[name].shape)}, X, items[0][1], G, y)[0]
        numeric = central_differences(f, params[name].ravel()).reshape(params[name].shape)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_training_is_reproducible_from_the_seed():
    cfg = Config(d_in=50, d_model=8, num_heads=2, d_ff=8, num_layers=1)
    a, b = train(cfg, seed=3, steps=3), train(cfg, seed=3, steps=3)
    assert all(np.array_equal(a["params"][k], b["params"][k]) for k in a["params"])
    assert np.array_equal(a["loss"], b["loss"])


def test_shipped_model_finds_the_referent_on_sentences_it_never_saw(model):
    cfg, params, meta = model
    words = split_words(meta["seed"])
    # Fresh held-out sentences (other generators than the shipped numbers'): training words in new
    # sentences, minus any the training run drew, and sentences of words never seen in training.
    trained = {" ".join(s[0]) for s in train_coreference.training_sentences(meta["seed"])}
    same = [s for s in sentences(words["train"], 600, seed=777) if " ".join(s[0]) not in trained]
    new = sentences(words["test"], 600, seed=778)
    street = [s for s in same if s[4] not in CHASE]
    assert evaluate(cfg, params, street)["pair"] >= 0.98
    assert evaluate(cfg, params, street)["named"] >= 0.9
    assert evaluate(cfg, params, [s for s in same if s[4] in CHASE])["pair"] >= 0.95
    assert evaluate(cfg, params, [s for s in new if s[4] not in CHASE])["pair"] >= 0.75


def test_the_pages_head_attends_from_it_to_the_referent(model):
    cfg, params, meta = model
    layer, head = meta["head"]
    items = [s for s in sentences(split_words(meta["seed"])["train"], 400, seed=779) if s[4] not in CHASE]
    to_referent, to_other = attention_to_referent(cfg, params, items)[layer, head]
    assert to_referent > 0.9 and to_other < 0.05


def test_the_numbers_the_page_shows_are_what_the_weights_do(model):
    cfg, params, meta = model
    held_out = train_coreference.held_out_sets(meta["seed"])
    street = [s for s in held_out["new_words"] if s[4] not in CHASE]
    assert evaluate(cfg, params, street) == pytest.approx(meta["accuracy"]["new_words/street"], abs=1e-12)
    np.testing.assert_allclose(attention_to_referent(cfg, params, street), meta["attention"]["new_words/street"],
                               atol=1e-12)
    same = [s for s in held_out["same_words"] if s[4] not in CHASE]
    assert len(same) == meta["held_out_sizes"]["same_words/street"]
    assert evaluate(cfg, params, same) == pytest.approx(meta["accuracy"]["same_words/street"], abs=1e-12)


def test_the_illustrated_sentence_flips_with_its_adjective(model):
    cfg, params, meta = model
    layer, head = meta["head"]
    for adjective, referent in (("tired", "animal"), ("wide", "street")):
        tokens = tokenize(f"The animal didn't cross the street because it was too {adjective}")
        trace, p = predict(cfg, params, tokens, 7)
        assert NOUNS[int(np.argmax(p))] == referent
        assert tokens[int(np.argmax(trace["layers"][layer]["weights"][0, head, 7]))] == referent
