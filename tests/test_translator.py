"""The encoder-decoder with attention and its fixed-context baseline: gradients, attention, decoding, training."""

import datetime as dt

import numpy as np
import pytest

from conftest import central_differences
from core import dates, translator
from core.recurrent import gru_forward
from core.seq2seq import additive_score, dot_score, general_score
from core.training import gru_backward


def tiny_batch():
    """Two pairs of different lengths, so the first source is left-padded and the second target right-padded."""
    sources = ["2023년 3월 23일 목요일", "1901년 1월 2일"]
    targets = [dates.english_tokens(dt.date(2023, 3, 23)), dates.english_tokens(dt.date(1901, 1, 2), False)]
    S = dates.encode_source(sources)
    return S, *dates.encode_target(targets)


@pytest.mark.parametrize("context", translator.CONTEXTS)
def test_every_gradient_matches_central_differences(context):
    S, Y_in, Y_out = tiny_batch()
    params = translator.init_params(context, 3, seed=1)  # float64
    _, grads = translator.loss_and_grads(context, params, S, Y_in, Y_out)
    assert set(grads) == set(params)
    for key, value in params.items():
        def loss_at(x, key=key, shape=value.shape):
            return translator.loss_and_grads(context, {**params, key: x.reshape(shape)}, S, Y_in, Y_out)[0]
        numeric = central_differences(loss_at, value.reshape(-1)).reshape(value.shape)
        np.testing.assert_allclose(grads[key], numeric, atol=1e-8, rtol=1e-6, err_msg=f"{context}: {key}")


@pytest.mark.parametrize("masked", [False, True])
def test_the_encoder_backward_takes_a_gradient_at_every_state(masked):
    rng = np.random.default_rng(0)
    X, w = rng.normal(size=(4, 2, 3)), translator.init_weights("gru", 3, 2, 0)
    mask = np.array([[False, True], [True, True], [True, True], [True, True]]) if masked else None
    G, g_T = rng.normal(size=(4, 2, 2)), rng.normal(size=(2, 2))  # loss = Σ G ⊙ H + g_T · h_T
    grads = gru_backward(gru_forward(X, None, **w, mask=mask), w, g_T, dH=G)
    for key in w:
        def loss_at(x, key=key):
            H = gru_forward(X, None, **{**w, key: x.reshape(w[key].shape)}, mask=mask)["H"]
            return float(np.sum(G * H) + np.sum(g_T * H[-1]))
        np.testing.assert_allclose(grads[key], central_differences(loss_at, w[key].reshape(-1)).reshape(w[key].shape),
                                   atol=1e-8)


@pytest.mark.parametrize("context", translator.SCORES)
def test_batched_scores_are_core_seq2seq_s_score_functions(context):
    S, Y_in, _ = tiny_batch()
    params = translator.init_params(context, 4, seed=2)
    f = translator.forward(context, params, S, Y_in)
    b, i = 0, 3  # the first sequence (the longer: no padding), its fourth step
    H_e, q = f["K"][b], f["query"][i, b]
    expected = {"dot": lambda: dot_score(q, H_e), "general": lambda: general_score(q, H_e, params["W_a"]),
                "additive": lambda: additive_score(q, H_e, params["W_1"], params["W_2"], params["v"])}[context]()
    np.testing.assert_allclose(f["scores"][i, b], expected, atol=1e-12)
    np.testing.assert_allclose(f["context"][i, b], f["weights"][i, b] @ H_e, atol=1e-12)


def test_a_padded_sequence_gets_the_states_and_translation_it_gets_alone():
    S, Y_in, _ = tiny_batch()
    params = translator.init_params("general", 4, 0)
    both = translator.forward("general", params, S, Y_in)
    alone = translator.forward("general", params, dates.encode_source(["1901년 1월 2일"]), Y_in[1:, :9])
    pads = (S[1] == dates.PAD_ID).sum()
    np.testing.assert_allclose(both["K"][1, pads:], alone["K"][0], atol=1e-12)
    np.testing.assert_allclose(both["probs"][:9, 1], alone["probs"][:, 0], atol=1e-12)


def test_padding_gets_no_weight_and_the_weights_sum_to_one():
    S, Y_in, _ = tiny_batch()
    f = translator.forward("dot", translator.init_params("dot", 4, 0), S, Y_in)
    pads = S == dates.PAD_ID
    assert pads[1].any() and not pads[0].any() and (f["weights"][:, pads] == 0).all()
    np.testing.assert_allclose(f["weights"].sum(axis=-1), 1.0)
    np.testing.assert_allclose(f["probs"].sum(axis=-1), 1.0)


def test_the_fixed_context_is_the_encoder_s_last_state_at_every_step():
    S, Y_in, _ = tiny_batch()
    f = translator.forward("fixed", translator.init_params("fixed", 4, 0), S, Y_in)
    np.testing.assert_array_equal(f["context"], np.broadcast_to(f["enc"]["H"][-1], f["context"].shape))
    assert "weights" not in f


def test_greedy_decoding_stops_at_its_cap_and_feeds_back_its_own_tokens():
    params = translator.init_params("additive", 4, 0)  # untrained: it will not say EOS on time
    S = dates.encode_source(["2023년 3월 23일"])
    out = translator.greedy("additive", params, S, max_len=5)
    assert out["tokens"].shape == (1, len(out["weights"])) and len(out["weights"]) <= 5
    np.testing.assert_array_equal(out["tokens"][0], out["logits"][:, 0].argmax(axis=1))
    teacher = translator.forward("additive", params, S, np.array([[dates.BOS_ID, *out["tokens"][0][:-1]]]))
    np.testing.assert_allclose(teacher["probs"], out["probs"], atol=1e-12)  # fed its own tokens = teacher forcing


def test_a_translation_does_not_depend_on_the_other_texts_in_the_list():
    params = translator.init_params("dot", 8, 3)
    texts = ["2023년 3월 23일 목요일", "1901년 1월 2일", "2099년 12월 31일"]
    together = translator.translate("dot", params, texts)
    assert together == [translator.translate("dot", params, [t])[0] for t in texts]


def test_a_short_run_lowers_the_loss():
    run = translator.train("dot", 16, 60, seed=0, batch=16)
    assert run["steps"] == 60
    assert run["loss"][-10:].mean() < 0.75 * run["loss"][:5].mean()  # 3.42 -> 2.32 with these settings


def test_training_is_reproducible_and_the_callback_can_stop_it():
    first = translator.train("general", 8, 5, seed=4, batch=8)
    again = translator.train("general", 8, 5, seed=4, batch=8)
    np.testing.assert_array_equal(first["loss"], again["loss"])
    stopped = translator.train("general", 8, 5, seed=4, batch=8, callback=lambda step, loss, params: step == 2)
    assert stopped["steps"] == 2 and np.array_equal(stopped["loss"], first["loss"][:2])
