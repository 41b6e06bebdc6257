"""core.training: gradients against finite differences, clipping and Adam by hand, the memory task, training."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from conftest import central_differences
from core import transformer
from core.recurrent import gru_forward, init_weights, lstm_forward, rnn_forward
from core.training import (
    HEAD_KEYS,
    PARAM_KEYS,
    adam_init,
    adam_step,
    backward,
    clip_by_global_norm,
    cross_entropy,
    forward,
    head_backward,
    head_forward,
    init_params,
    loss_and_grads,
    memory_task,
    orthogonal,
    probe,
    train,
)

KINDS = ["rnn", "lstm", "gru"]


def tiny_case(kind, seed=0, T=4, batch=2, input_size=3, hidden=4, classes=3):
    """Parameters scaled up a little (so the gates are not all near ½) and random X, y."""
    params = init_params(kind, input_size, hidden, classes, seed=seed)
    params = {k: 2.0 * v for k, v in params.items()}
    rng = np.random.default_rng(seed + 10)
    X = rng.normal(size=(T, batch, input_size))
    y = rng.integers(0, classes, size=batch)
    return params, X, y


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_gradient_matches_central_differences(kind, seed):
    params, X, y = tiny_case(kind, seed)
    _, grads = loss_and_grads(kind, params, X, y)
    assert set(grads) == set(PARAM_KEYS)
    for key in PARAM_KEYS:
        assert grads[key].shape == params[key].shape, key

        def loss_at(flat, key=key):
            return loss_and_grads(kind, {**params, key: flat.reshape(params[key].shape)}, X, y)[0]

        numeric = central_differences(loss_at, params[key].ravel()).reshape(params[key].shape)
        assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8, err_msg=f"{kind} {key}")


def test_relu_rnn_backward_matches_central_differences():
    weights = init_weights("rnn", 3, 4, seed=3, scale=1.0)
    X = np.random.default_rng(4).normal(size=(4, 2, 3))
    dh_T = np.random.default_rng(5).normal(size=(2, 4))

    def objective(w):
        return float(np.sum(rnn_forward(X, None, **w, nonlinearity="relu")["H"][-1] * dh_T))

    grads = backward("rnn", rnn_forward(X, None, **weights, nonlinearity="relu"), weights, dh_T)
    for key in weights:
        numeric = central_differences(
            lambda flat, key=key: objective({**weights, key: flat.reshape(weights[key].shape)}), weights[key].ravel()
        ).reshape(weights[key].shape)
        assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8, err_msg=key)


@pytest.mark.parametrize("kind", KINDS)
def test_backward_from_nonzero_initial_states(kind):
    """h0 (and c0) other than zero: the first step's h_{t-1} and c_{t-1} come from the trace."""
    weights = init_weights(kind, 3, 4, seed=6, scale=1.0)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3, 2, 3))
    h0, c0, dh_T = (rng.normal(size=(2, 4)) for _ in range(3))

    def run(w):
        if kind == "lstm":
            return lstm_forward(X, h0, c0, **w)
        return (rnn_forward if kind == "rnn" else gru_forward)(X, h0, **w)

    grads = backward(kind, run(weights), weights, dh_T)
    key = "W_hh"
    numeric = central_differences(
        lambda flat: float(np.sum(run({**weights, key: flat.reshape(weights[key].shape)})["H"][-1] * dh_T)),
        weights[key].ravel(),
    ).reshape(weights[key].shape)
    assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8)


def test_backward_rejects_unbatched_traces_and_wrong_shapes():
    weights = init_weights("rnn", 3, 4, seed=0)
    trace = rnn_forward(np.ones((2, 3)), None, **weights)
    with pytest.raises(ValueError, match="batched"):
        backward("rnn", trace, weights, np.ones(4))
    trace = rnn_forward(np.ones((2, 5, 3)), None, **weights)
    with pytest.raises(ValueError, match=r"\(5, 4\)"):
        backward("rnn", trace, weights, np.ones((4, 5)))
    with pytest.raises(ValueError, match="kind"):
        backward("transformer", trace, weights, np.ones((5, 4)))


def test_head_and_cross_entropy_by_hand():
    h = np.array([[1.0, 2.0]])
    W_out, b_out = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, -1.0])
    logits = head_forward(h, W_out, b_out)
    assert_array_equal(logits, [[1.0, 1.0]])  # equal logits: p = (½, ½)
    loss, dlogits = cross_entropy(logits, np.array([0]))
    assert loss == pytest.approx(math.log(2))
    assert_allclose(dlogits, [[-0.5, 0.5]])
    dW, db, dh = head_backward(h, W_out, dlogits)
    assert_allclose(dW, [[-0.5, -1.0], [0.5, 1.0]])
    assert_allclose(db, [-0.5, 0.5])
    assert_allclose(dh, [[-0.5, 0.5]])
    with pytest.raises(ValueError, match="h_T has shape"):
        head_forward(np.ones((1, 3)), W_out, b_out)


def test_cross_entropy_does_not_overflow():
    loss, dlogits = cross_entropy(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert loss == pytest.approx(500.0)
    assert np.all(np.isfinite(dlogits))


def test_clip_by_global_norm_by_hand():
    clipped, norm = clip_by_global_norm({"a": np.array([3.0]), "b": np.array([4.0])}, max_norm=1.0)
    assert norm == pytest.approx(5.0)
    assert_allclose(clipped["a"], [0.6])
    assert_allclose(clipped["b"], [0.8])
    total = math.sqrt(sum(float(np.sum(g**2)) for g in clipped.values()))
    assert total == pytest.approx(1.0)


def test_clip_by_global_norm_leaves_small_gradients_alone():
    grads = {"a": np.array([0.3, -0.4]), "b": np.zeros((2, 2))}
    clipped, norm = clip_by_global_norm(grads, max_norm=1.0)
    assert norm == pytest.approx(0.5)
    for k in grads:
        assert_array_equal(clipped[k], grads[k])
    _, zero = clip_by_global_norm({"a": np.zeros(3)}, 1.0)
    assert zero == 0.0
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm(grads, 0.0)


def test_adam_first_step_moves_each_parameter_by_lr_times_the_sign():
    params = {"w": np.array([1.0, -2.0, 0.5]), "b": np.array([0.0])}
    grads = {"w": np.array([0.1, -30.0, 2e-3]), "b": np.array([-7.0])}
    state = adam_init(params)
    new, state2 = adam_step(params, grads, state, lr=0.01)
    # t = 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε).
    assert_allclose(new["w"], params["w"] - 0.01 * grads["w"] / (np.abs(grads["w"]) + 1e-8))
    assert_allclose(new["w"], [0.99, -1.99, 0.49], rtol=1e-6)
    assert_allclose(new["b"], [0.01], rtol=1e-6)
    assert state2["t"] == 1
    assert_allclose(state2["m"]["w"], 0.1 * grads["w"])
    assert_allclose(state2["v"]["w"], 0.001 * grads["w"] ** 2)
    # pure: nothing passed in changed
    assert state["t"] == 0 and not state["m"]["w"].any()
    assert_array_equal(params["w"], [1.0, -2.0, 0.5])


def test_adam_second_step_by_hand():
    params, grads = {"w": np.array([0.0])}, {"w": np.array([1.0])}
    p1, s1 = adam_step(params, grads, adam_init(params), lr=0.1)
    p2, _ = adam_step(p1, {"w": np.array([-1.0])}, s1, lr=0.1)
    m = 0.9 * 0.1 - 0.1  # −0.01
    v = 0.999 * 0.001 + 0.001  # 0.001999
    expected = -0.1 - 0.1 * (m / (1 - 0.81)) / (math.sqrt(v / (1 - 0.999**2)) + 1e-8)
    assert p2["w"][0] == pytest.approx(expected)


@pytest.mark.parametrize("lag", [0, 1, 5])
def test_memory_task_layout_without_noise(lag):
    X, y = memory_task(lag, batch=6, num_symbols=4, noise=0.0, seed=0)
    assert X.shape == (lag + 2, 6, 6) and X.dtype == np.float64
    assert y.shape == (6,) and np.issubdtype(y.dtype, np.integer)
    assert_array_equal(X[0].argmax(axis=1), y)  # step 1 shows the target
    assert_array_equal(X[0, :, 4:], 0.0)
    assert_array_equal(X[1:-1, :, :4], 0.0)  # blank distractors carry no symbol
    assert_array_equal(X[1:-1, :, 4], 1.0)  # ... only their flag
    assert_array_equal(X[-1], np.tile([0, 0, 0, 0, 0, 1.0], (6, 1)))  # the recall cue
    assert_array_equal(X.sum(axis=2), 1.0)  # one-hot at every step


def test_memory_task_distractors_are_noise_on_the_symbol_channels_only():
    X, y = memory_task(50, batch=400, num_symbols=4, noise=0.5, seed=1)
    noise = X[1:-1, :, :4]  # (50, 400, 4)
    assert abs(noise.mean()) < 0.01 and noise.std() == pytest.approx(0.5, rel=0.02)
    assert_array_equal(X[1:-1, :, 4], 1.0)  # the flag
    assert_array_equal(X[1:-1, :, 5], 0.0)  # no cue before the end
    assert_array_equal(X[0, np.arange(400), y], 1.0)  # the symbol itself stays clean
    assert_array_equal(X[0].sum(axis=1), 1.0)
    assert_array_equal(X[-1, :, :5], 0.0)


def test_memory_task_is_reproducible_and_uses_every_symbol():
    X1, y1 = memory_task(3, batch=200, num_symbols=5, seed=42)
    X2, y2 = memory_task(3, batch=200, num_symbols=5, seed=42)
    assert_array_equal(X1, X2)
    assert_array_equal(y1, y2)
    assert set(y1.tolist()) == set(range(5))
    assert not np.array_equal(y1, memory_task(3, batch=200, num_symbols=5, seed=43)[1])


def test_memory_task_rejects_bad_arguments():
    for kwargs in ({"lag": -1, "batch": 2}, {"lag": 1, "batch": 0}, {"lag": 1, "batch": 2, "num_symbols": 1},
                   {"lag": 1, "batch": 2, "noise": -0.1}, {"lag": 1, "batch": 2, "noise": float("nan")},
                   {"lag": 2.5, "batch": 2}, {"lag": True, "batch": 2}):
        with pytest.raises(ValueError):
            memory_task(**kwargs)


@pytest.mark.parametrize("kind", [*KINDS, "attention"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_short_training_run_lowers_the_loss(kind, dtype):
    result = train(kind, lag=2, hidden_size=16, steps=150, seed=0, batch=32, lr=0.02, dtype=dtype)
    assert result["loss"].shape == (150,) and result["steps"] == 150
    assert result["loss"][0] == pytest.approx(math.log(4), abs=0.15)  # start near chance
    assert result["loss"][-10:].mean() < 0.5 * math.log(4)
    assert result["accuracy"] > 0.5  # chance is 0.25
    assert set(result["params"]) == (set(PARAM_KEYS) if kind != "attention"
                                     else set(transformer.init_params(transformer.Config(6, 16, 1, 64), 0)) | {
                                         *HEAD_KEYS})


def test_training_is_reproducible_and_seed_dependent():
    a = train("gru", lag=1, hidden_size=8, steps=20, seed=3, batch=16)
    b = train("gru", lag=1, hidden_size=8, steps=20, seed=3, batch=16)
    c = train("gru", lag=1, hidden_size=8, steps=20, seed=4, batch=16)
    assert_array_equal(a["loss"], b["loss"])
    assert a["accuracy"] == b["accuracy"]
    for k in PARAM_KEYS:
        assert_array_equal(a["params"][k], b["params"][k])
    assert not np.array_equal(a["loss"], c["loss"])


def test_callback_stops_training_early_and_history_is_recorded():
    seen = []

    def callback(step, loss):
        seen.append((step, loss))
        return step == 7

    result = train("rnn", lag=1, hidden_size=8, steps=50, seed=0, batch=8, callback=callback, eval_every=3)
    assert result["steps"] == 7 and result["loss"].shape == (7,)
    assert [s for s, _ in seen] == list(range(1, 8))
    assert_array_equal([loss for _, loss in seen], result["loss"])
    assert [s for s, _ in result["history"]] == [3, 6]
    assert 0.0 <= result["accuracy"] <= 1.0


def test_clipping_bounds_every_update_norm():
    result = train("rnn", lag=3, hidden_size=8, steps=10, seed=0, batch=8, clip=1e-3)
    assert np.all(result["grad_norm"] > 1e-3)  # the norm reported is the one before clipping
    assert result["loss"].shape == (10,)


@pytest.mark.parametrize("kind, block", [("lstm", slice(4, 8)), ("gru", slice(4, 8))])
def test_gate_bias_sets_the_gate_that_keeps_the_memory(kind, block):
    # hidden 4: PyTorch stacks the LSTM's gates i, f, g, o and the GRU's r, z, n, so f and z are rows 4..7
    result = train(kind, lag=1, hidden_size=4, steps=1, seed=0, batch=4, lr=0.0, gate_bias=3.0)
    b = result["params"]["b_ih"] + result["params"]["b_hh"]
    assert_allclose(b[block], 3.0)  # untouched by a zero learning rate
    untouched = train(kind, lag=1, hidden_size=4, steps=1, seed=0, batch=4, lr=0.0)["params"]
    others = np.ones(b.shape, dtype=bool)
    others[block] = False
    assert_array_equal(b[others], (untouched["b_ih"] + untouched["b_hh"])[others])


def test_gate_bias_leaves_the_rnn_as_pytorch_initialises_it():
    a = train("rnn", lag=1, hidden_size=4, steps=3, seed=0, batch=4, gate_bias=3.0)
    b = train("rnn", lag=1, hidden_size=4, steps=3, seed=0, batch=4)
    assert_array_equal(a["loss"], b["loss"])


# --- the fourth model: one Transformer encoder layer read out at the cue ------------------------------


def test_attention_model_gradients_match_central_differences():
    params, X, y = tiny_case("attention", seed=2)
    _, grads = loss_and_grads("attention", params, X, y)
    assert set(grads) == set(params)
    for key in params:
        assert grads[key].shape == params[key].shape, key

        def loss_at(flat, key=key):
            return loss_and_grads("attention", {**params, key: flat.reshape(params[key].shape)}, X, y)[0]

        numeric = central_differences(loss_at, params[key].ravel()).reshape(params[key].shape)
        assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8, err_msg=key)


def test_attention_model_is_core_transformer_read_at_the_last_position():
    params, X, _ = tiny_case("attention", seed=3)
    trace, logits = forward("attention", params, X)
    cfg = transformer.Config(d_in=3, d_model=4, num_heads=1, d_ff=16)
    body = {k: v for k, v in params.items() if k not in HEAD_KEYS}
    reference = transformer.forward(cfg, body, X.swapaxes(0, 1))  # (batch, T, input)
    assert_allclose(trace["output"], reference["output"], rtol=1e-12)
    assert_allclose(trace["layers"][0]["weights"], reference["layers"][0]["weights"], rtol=1e-12)
    assert_allclose(logits, head_forward(reference["output"][:, -1], params["W_out"], params["b_out"]), rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_the_gradient_with_respect_to_the_inputs_matches_central_differences(kind):
    # What probe() reads as the error signal reaching the symbol's step.
    params, X, y = tiny_case(kind, seed=4)
    trace, logits = forward(kind, params, X)
    _, dlogits = cross_entropy(logits, y)
    _, _, dh_T = head_backward(trace["H"][-1], params["W_out"], dlogits)
    dX = backward(kind, trace, params, dh_T, inputs=True)["X"]
    numeric = central_differences(lambda flat: loss_and_grads(kind, params, flat.reshape(X.shape), y)[0],
                                  X.ravel()).reshape(X.shape)
    assert_allclose(dX, numeric, rtol=1e-5, atol=1e-8, err_msg=kind)
    expected = np.linalg.norm(numeric[0]) / np.linalg.norm(numeric[-1])
    assert probe(kind, params, X, y)["symbol_gradient"] == pytest.approx(expected, rel=1e-5)


def test_probe_reads_the_gates_over_the_distractors_and_the_attention_on_the_symbol():
    X, y = memory_task(5, batch=8, seed=0)
    for kind in ("lstm", "gru"):
        params = init_params(kind, 6, 4, 4, seed=0)
        trace, _ = forward(kind, params, X)
        seen = probe(kind, params, X, y)
        assert seen["keep"] == pytest.approx(trace["f" if kind == "lstm" else "z"][1:-1].mean())
        if kind == "lstm":
            assert seen["write"] == pytest.approx(trace["i"][1:-1].mean())
    params = init_params("attention", 6, 4, 4, seed=0)
    trace, _ = forward("attention", params, X)
    on_symbol = trace["layers"][0]["weights"][:, 0, -1, 0]  # (batch,): the cue's weight on step 1
    assert probe("attention", params, X, y)["attend"] == pytest.approx(on_symbol.mean())


# --- how training starts, and float32 ----------------------------------------------------------------


def test_orthogonal_is_orthogonal_and_reproducible():
    Q = orthogonal(6, np.random.default_rng(0))
    assert_allclose(Q.T @ Q, np.eye(6), atol=1e-12)
    assert_array_equal(Q, orthogonal(6, np.random.default_rng(0)))


@pytest.mark.parametrize("kind", KINDS)
def test_orthogonal_and_chrono_starts(kind):
    hidden, t_max = 5, 12
    base = init_params(kind, 3, hidden, 4, seed=1)
    for init in ("orthogonal", "chrono"):
        params = init_params(kind, 3, hidden, 4, seed=1, init=init, t_max=t_max)
        for block in np.split(params["W_hh"], params["W_hh"].shape[0] // hidden):
            assert_allclose(block.T @ block, np.eye(hidden), atol=1e-12)  # every gate's block of W_hh
        assert_array_equal(params["W_ih"], base["W_ih"])
    params = init_params(kind, 3, hidden, 4, seed=1, init="chrono", t_max=t_max)
    b = params["b_ih"] + params["b_hh"]
    if kind == "rnn":  # no gate: the biases stay PyTorch's
        assert_array_equal(b, base["b_ih"] + base["b_hh"])
        return
    keep = b[hidden:2 * hidden]  # LSTM f, GRU z (PyTorch's order i, f, g, o and r, z, n)
    assert np.all((keep >= 0) & (keep <= math.log(t_max - 1)))  # log u, u in [1, t_max − 1]
    assert_allclose(1 + np.exp(keep), 1 / (1 - 1 / (1 + np.exp(-keep))))  # a memory of 1 + u steps at the start
    if kind == "lstm":
        assert_allclose(b[:hidden], -keep)  # the input gate starts shut as far as the forget gate is open
    with pytest.raises(ValueError, match="t_max"):
        init_params(kind, 3, hidden, 4, seed=1, init="chrono")


@pytest.mark.parametrize("kind", [*KINDS, "attention"])
def test_float32_gives_the_float64_loss_and_gradients_to_float32_precision(kind):
    params, X, y = tiny_case(kind, seed=5)
    loss64, grads64 = loss_and_grads(kind, params, X, y)
    loss32, grads32 = loss_and_grads(kind, {k: v.astype(np.float32) for k, v in params.items()},
                                     X.astype(np.float32), y)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for key in grads64:
        assert grads32[key].dtype == np.float32, key
        assert_allclose(grads32[key], grads64[key], rtol=2e-3, atol=2e-5, err_msg=key)


def test_training_on_one_parameter_vector_is_adam_on_the_dict():
    # train() keeps every parameter as a view of one vector θ; the steps must be those of the dicts.
    result = train("lstm", lag=2, hidden_size=4, steps=3, seed=0, batch=4, lr=0.05, clip=0.5, init="chrono")
    params = init_params("lstm", 6, 4, 4, seed=0, init="chrono", t_max=4)
    state, data = adam_init(params), np.random.default_rng([0, 2])
    for _ in range(3):
        X, y = memory_task(2, 4, seed=data)
        _, grads = loss_and_grads("lstm", params, X, y)
        params, state = adam_step(params, clip_by_global_norm(grads, 0.5)[0], state, 0.05)
    for key in params:
        assert_allclose(result["params"][key], params[key], rtol=1e-12, atol=1e-14, err_msg=key)


def test_training_stops_once_solved_and_says_so():
    result = train("gru", lag=0, hidden_size=8, steps=2000, seed=0, batch=16, solved_below=0.05, solved_window=20,
                   probe_every=100)
    assert result["stopped"] == "solved" and result["steps"] < 2000
    assert np.mean(result["loss"][-20:]) < 0.05 <= np.mean(result["loss"][-21:-1])  # the first step it held
    assert result["probes"][-1][0] == result["steps"]  # a last look after the last step
    assert train("gru", lag=0, hidden_size=8, steps=30, seed=0, batch=16)["stopped"] is None
