"""core.recurrent: hand-computed steps, PyTorch reference values, exact Jacobians, parameter counts, properties.

Expected values marked "torch" were computed with PyTorch 2.13 by scripts/torch_reference.py and
stored in tests/data/torch_reference.json; torch itself is not needed to run these tests.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from conftest import central_differences
from core.recurrent import (
    count_parameters,
    count_parameters_textbook,
    forget_gate_path,
    gradient_norms,
    gru_forward,
    hidden_jacobians,
    init_weights,
    input_jacobians,
    lstm_forward,
    parameter_shapes,
    rnn_forward,
    sigmoid,
    state_jacobians,
    step_input_jacobians,
    step_jacobians,
    trace_gradient_norms,
    with_gate_bias,
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "torch_reference.json").read_text(encoding="utf-8"))
KINDS = ["rnn", "lstm", "gru"]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
SETTINGS = settings(max_examples=25, deadline=None)
LN2, LN3 = math.log(2), math.log(3)  # σ(ln 3) = 3/4, σ(−ln 3) = 1/4, tanh(ln 2) = 3/5


def run(kind, X, h0, weights, c0=None):
    """The forward pass of `kind`, c0 used by the LSTM only."""
    if kind == "lstm":
        return lstm_forward(X, h0, c0, **weights)
    return (rnn_forward if kind == "rnn" else gru_forward)(X, h0, **weights)


def torch_weights(kind):
    w = REFERENCE[kind]["weights"]
    return {"W_ih": np.array(w["weight_ih_l0"]), "W_hh": np.array(w["weight_hh_l0"]),
            "b_ih": np.array(w["bias_ih_l0"]), "b_hh": np.array(w["bias_hh_l0"])}


def torch_inputs(kind):
    """X (T, batch, input), h0 (batch, hidden) and c0 (batch, hidden) or None, from the reference file."""
    ref = REFERENCE[kind]
    return np.array(ref["X"]), np.array(ref["h0"]), np.array(ref["c0"]) if "c0" in ref else None


def random_case(kind, seed, T=4, input_size=3, hidden=3, scale=0.8):
    """Weights, one sequence X (T, input) and initial states, all reproducible from `seed`."""
    weights = init_weights(kind, input_size, hidden, seed=seed, scale=scale)
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(T, input_size))
    h0 = rng.uniform(-0.9, 0.9, size=hidden)
    c0 = rng.normal(size=hidden) if kind == "lstm" else None
    return weights, X, h0, c0


def final_state(kind, X, h, c, weights):
    """The state after running X from (h, c): h_T, or (h_T, c_T) stacked for the LSTM."""
    trace = run(kind, X, h, weights, c)
    return np.concatenate([trace["H"][-1], trace["C"][-1]]) if kind == "lstm" else trace["H"][-1]


# ---------------------------------------------------------------- one step by hand


def test_rnn_step_by_hand():
    # a = x W_ih + b_ih + h W_hh + b_hh = 1·0.5 + 0.1 + 2·0.2 + (ln 2 − 1) = ln 2
    # h = tanh(ln 2) = (4 − 1) / (4 + 1) = 3/5
    trace = rnn_forward([[1.0]], [2.0], W_ih=[[0.5]], W_hh=[[0.2]], b_ih=[0.1], b_hh=[LN2 - 1])
    assert_allclose(trace["H"], [[3 / 5]], rtol=1e-14)


def test_relu_rnn_step_by_hand():
    # unit 0: 1·1 + 2·(−1) = −1 -> relu 0;  unit 1: 1·2 + 2·0.5 = 3 -> 3
    trace = rnn_forward([[1.0, 2.0]], None, W_ih=[[1.0, -1.0], [2.0, 0.5]], W_hh=np.eye(2),
                        b_ih=[0.0, 0.0], b_hh=[0.0, 0.0], nonlinearity="relu")
    assert_array_equal(trace["H"], [[0.0, 3.0]])


def test_lstm_step_by_hand_in_gate_order_i_f_g_o():
    # x = 1, h0 = 1, c0 = 2; the pre-activations (x W_ih + b_ih + h W_hh + b_hh) of the gates are
    # i: ln 3 (W_ih) -> 3/4;  f: 0 -> 1/2;  g: ln 2 (W_hh) -> tanh = 3/5;  o: −ln 3 (b_ih) -> 1/4
    # c = f c0 + i g = 1/2·2 + 3/4·3/5 = 29/20;   h = o tanh(c) = tanh(29/20) / 4
    trace = lstm_forward([[1.0]], [1.0], [2.0], W_ih=[[LN3], [0.0], [0.0], [0.0]],
                         W_hh=[[0.0], [0.0], [LN2], [0.0]], b_ih=[0.0, 0.0, 0.0, -LN3], b_hh=[0.0] * 4)
    for gate, value in (("i", 3 / 4), ("f", 1 / 2), ("g", 3 / 5), ("o", 1 / 4), ("C", 29 / 20)):
        assert_allclose(trace[gate], [[value]], rtol=1e-14, err_msg=gate)
    assert_allclose(trace["H"], [[math.tanh(29 / 20) / 4]], rtol=1e-14)


def test_gru_step_by_hand_in_gate_order_r_z_n():
    # x = 1, h0 = 1
    # r = σ(W_ir x) = σ(ln 3) = 3/4;   z = σ(b_hz) = σ(−ln 3) = 1/4
    # n = tanh(b_in + r (W_hn h + b_hn)) = tanh((ln 2 − 3/2) + 3/4·(1 + 1)) = tanh(ln 2) = 3/5
    # h = (1 − z) n + z h0 = 3/4·3/5 + 1/4·1 = 7/10
    trace = gru_forward([[1.0]], [1.0], W_ih=[[LN3], [0.0], [0.0]], W_hh=[[0.0], [0.0], [1.0]],
                        b_ih=[0.0, 0.0, LN2 - 1.5], b_hh=[0.0, -LN3, 1.0])
    for gate, value in (("r", 3 / 4), ("z", 1 / 4), ("n", 3 / 5), ("H", 7 / 10)):
        assert_allclose(trace[gate], [[value]], rtol=1e-14, err_msg=gate)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_rnn_and_lstm_depend_only_on_the_sum_of_the_two_biases(kind):
    weights, X, h0, c0 = random_case(kind, seed=1)
    moved = dict(weights, b_ih=weights["b_ih"] + weights["b_hh"], b_hh=np.zeros_like(weights["b_hh"]))
    assert_allclose(run(kind, X, h0, moved, c0)["H"], run(kind, X, h0, weights, c0)["H"], rtol=1e-13)


def test_gru_reset_gate_bias_cannot_move_to_the_input_bias():
    # b_hn is multiplied by r, b_in is not: moving it changes n (and h) unless r = 1
    weights, X, h0, _ = random_case("gru", seed=2)
    hidden = h0.size
    moved = dict(weights, b_ih=weights["b_ih"].copy(), b_hh=weights["b_hh"].copy())
    moved["b_ih"][2 * hidden:] += moved["b_hh"][2 * hidden:]
    moved["b_hh"][2 * hidden:] = 0.0
    assert np.max(np.abs(gru_forward(X, h0, **moved)["H"] - gru_forward(X, h0, **weights)["H"])) > 1e-3


def test_missing_initial_states_are_zeros():
    for kind in KINDS:
        weights, X, _, _ = random_case(kind, seed=3)
        zeros = np.zeros(3)
        assert_array_equal(run(kind, X, None, weights, None)["H"], run(kind, X, zeros, weights, zeros)["H"])


def test_sigmoid_is_exact_at_logs_and_does_not_overflow():
    with np.errstate(over="raise", invalid="raise"):
        assert_allclose(sigmoid([LN3, 0.0, -LN3, 1000.0, -1000.0]), [3 / 4, 1 / 2, 1 / 4, 1.0, 0.0], rtol=1e-15)


# ---------------------------------------------------------------- PyTorch reference


@pytest.mark.parametrize("kind", KINDS)
def test_batched_forward_matches_torch(kind):
    X, h0, c0 = torch_inputs(kind)
    trace = run(kind, X, h0, torch_weights(kind), c0)
    ref = REFERENCE[kind]
    assert_allclose(trace["H"], ref["output"], rtol=0, atol=1e-10)
    assert_allclose(trace["H"][-1], ref["h_n"], rtol=0, atol=1e-10)
    if kind == "lstm":
        assert_allclose(trace["C"][-1], ref["c_n"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_forward_matches_torch_on_batch_column_zero(kind):
    X, h0, c0 = torch_inputs(kind)
    trace = run(kind, X[:, 0], h0[0], torch_weights(kind), None if c0 is None else c0[0])
    ref = REFERENCE[kind]["unbatched"]
    assert trace["H"].shape == (5, 4)
    assert_allclose(trace["H"], ref["output"], rtol=0, atol=1e-10)
    assert_allclose(trace["H"][-1], ref["h_n"], rtol=0, atol=1e-10)
    if kind == "lstm":
        assert_allclose(trace["C"][-1], ref["c_n"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_jacobian_of_last_state_wrt_initial_state_matches_torch_autograd(kind):
    X, h0, c0 = torch_inputs(kind)
    weights = torch_weights(kind)
    trace = run(kind, X[:, 0], h0[0], weights, None if c0 is None else c0[0])
    assert_allclose(hidden_jacobians(kind, trace, weights)[0], REFERENCE[kind]["jacobian_hT_h0"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_trace_holds_every_gate_at_every_step_in_the_shape_of_h(kind):
    X, h0, c0 = torch_inputs(kind)
    trace = run(kind, X, h0, torch_weights(kind), c0)
    names = {"rnn": [], "lstm": ["C", "i", "f", "g", "o"], "gru": ["r", "z", "n"]}[kind]
    assert trace["H"].shape == (5, 2, 4)
    for name in names:
        assert trace[name].shape == trace["H"].shape, name
    assert_array_equal(trace["h0"], h0)


# ---------------------------------------------------------------- Jacobians


@pytest.mark.parametrize("kind,nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)])
def test_one_step_jacobians_match_central_differences(kind, nonlinearity):
    weights, X, h0, c0 = random_case(kind, seed=4)
    trace = (rnn_forward(X, h0, **weights, nonlinearity=nonlinearity) if kind == "rnn"
             else run(kind, X, h0, weights, c0))
    A = step_jacobians(kind, trace, weights)
    hidden = h0.size
    H_all = np.concatenate([h0[None], trace["H"]])  # (T + 1, hidden): h_0 .. h_T
    states = np.concatenate([H_all, np.concatenate([c0[None], trace["C"]])], axis=1) if kind == "lstm" else H_all
    for t in range(1, X.shape[0] + 1):  # step t turns s_{t-1} into s_t reading X[t - 1]

        def one_step(s, t=t):
            if kind == "rnn":
                return rnn_forward(X[t - 1:t], s, **weights, nonlinearity=nonlinearity)["H"][-1]
            return final_state(kind, X[t - 1:t], s[:hidden], s[hidden:] if kind == "lstm" else None, weights)

        assert_allclose(A[t - 1], central_differences(one_step, states[t - 1]), rtol=1e-6, atol=1e-9,
                        err_msg=f"step {t}")


def test_rnn_one_step_jacobian_is_the_tanh_slope_times_w_hh():
    weights, X, h0, _ = random_case("rnn", seed=5)
    trace = rnn_forward(X, h0, **weights)
    h1 = trace["H"][0]
    assert_allclose(step_jacobians("rnn", trace, weights)[0], np.diag(1 - h1**2) @ weights["W_hh"], rtol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_jacobians_of_the_last_state_match_central_differences(kind):
    weights, X, h0, c0 = random_case(kind, seed=6, T=5)
    trace = run(kind, X, h0, weights, c0)
    J = hidden_jacobians(kind, trace, weights)
    T, hidden = trace["H"].shape
    assert J.shape == (T, hidden, hidden)
    for t in range(T):  # ∂h_T/∂h_t: rerun steps t+1..T from h_t (c_t held fixed for the LSTM)
        h_t = h0 if t == 0 else trace["H"][t - 1]
        c_t = None if kind != "lstm" else c0 if t == 0 else trace["C"][t - 1]

        def last_hidden(h, t=t, c_t=c_t):
            return final_state(kind, X[t:], h, c_t, weights)[:hidden]

        assert_allclose(J[t], central_differences(last_hidden, h_t), rtol=1e-6, atol=1e-9, err_msg=f"t = {t}")


def test_forget_gate_path_is_the_product_of_later_forget_gates():
    weights, X, h0, c0 = random_case("lstm", seed=7)
    f = lstm_forward(X, h0, c0, **weights)["f"]
    path = forget_gate_path({"f": f})
    assert_allclose(path[0], f[0] * f[1] * f[2] * f[3], rtol=1e-14)
    assert_allclose(path[2], f[2] * f[3], rtol=1e-14)
    assert_array_equal(path[3], f[3])


def test_gradient_norms_are_spectral_norms_of_the_jacobians():
    for kind in KINDS:
        weights, X, h0, c0 = random_case(kind, seed=8)
        norms = gradient_norms(kind, X, h0, weights, c0=c0)
        J = hidden_jacobians(kind, run(kind, X, h0, weights, c0), weights)
        assert_allclose(norms["hidden"], [np.linalg.svd(j, compute_uv=False)[0] for j in J], rtol=1e-12)
        assert ("cell" in norms) == (kind == "lstm")


@pytest.mark.parametrize("kind,nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)])
def test_one_step_input_jacobians_match_central_differences(kind, nonlinearity):
    weights, X, h0, c0 = random_case(kind, seed=11)
    trace = (rnn_forward(X, h0, **weights, nonlinearity=nonlinearity) if kind == "rnn"
             else run(kind, X, h0, weights, c0))
    B = step_input_jacobians(kind, trace, weights)
    hidden = h0.size
    assert B.shape == (X.shape[0], (2 if kind == "lstm" else 1) * hidden, X.shape[1])
    H_prev = np.concatenate([h0[None], trace["H"][:-1]])
    C_prev = np.concatenate([c0[None], trace["C"][:-1]]) if kind == "lstm" else None
    for t in range(1, X.shape[0] + 1):  # step t from the recorded s_{t-1}, x_t moved

        def one_step(x, t=t):
            if kind == "rnn":
                return rnn_forward(x[None], H_prev[t - 1], **weights, nonlinearity=nonlinearity)["H"][-1]
            return final_state(kind, x[None], H_prev[t - 1], None if C_prev is None else C_prev[t - 1], weights)

        assert_allclose(B[t - 1], central_differences(one_step, X[t - 1]), rtol=1e-6, atol=1e-9, err_msg=f"step {t}")


@pytest.mark.parametrize("kind", KINDS)
def test_last_state_input_jacobians_match_central_differences(kind):
    # ∂s_T/∂x_t for every t: move input t alone and rerun the whole sequence, in float64
    weights, X, h0, c0 = random_case(kind, seed=12, T=5)
    G = input_jacobians(kind, run(kind, X, h0, weights, c0), weights)
    for t in range(1, X.shape[0] + 1):

        def last_state(x, t=t):
            moved = X.copy()
            moved[t - 1] = x
            return final_state(kind, moved, h0, c0, weights)

        assert_allclose(G[t - 1], central_differences(last_state, X[t - 1]), rtol=1e-6, atol=1e-9,
                        err_msg=f"input {t}")


def test_lstm_cell_block_of_state_jacobians_matches_central_differences():
    # ∂c_T/∂c_t with h_t held fixed: rerun steps t+1..T from (h_t, c) and read c_T
    weights, X, h0, c0 = random_case("lstm", seed=13, T=5)
    trace = lstm_forward(X, h0, c0, **weights)
    J = state_jacobians("lstm", trace, weights)
    hidden = h0.size
    assert J.shape == (5, 2 * hidden, 2 * hidden)
    for t in range(5):
        h_t = h0 if t == 0 else trace["H"][t - 1]
        c_t = c0 if t == 0 else trace["C"][t - 1]

        def last_cell(c, t=t, h_t=h_t):
            return final_state("lstm", X[t:], h_t, c, weights)[hidden:]

        assert_allclose(J[t][hidden:, hidden:], central_differences(last_cell, c_t), rtol=1e-6, atol=1e-9)


def test_hidden_jacobians_are_the_h_block_of_state_jacobians():
    weights, X, h0, c0 = random_case("lstm", seed=14)
    trace = lstm_forward(X, h0, c0, **weights)
    assert_array_equal(hidden_jacobians("lstm", trace, weights), state_jacobians("lstm", trace, weights)[:, :3, :3])


def test_gradient_norms_of_inputs_and_cells_are_spectral_norms():
    for kind in KINDS:
        weights, X, h0, c0 = random_case(kind, seed=15)
        norms = gradient_norms(kind, X, h0, weights, c0=c0)
        trace = run(kind, X, h0, weights, c0)
        G = input_jacobians(kind, trace, weights)
        assert_allclose(norms["inputs"], [np.linalg.svd(g[:3], compute_uv=False)[0] for g in G], rtol=1e-12)
        if kind == "lstm":
            J = state_jacobians(kind, trace, weights)
            assert_allclose(norms["cell_full"], [np.linalg.svd(j[3:, 3:], compute_uv=False)[0] for j in J],
                            rtol=1e-12)
            assert_allclose(norms["cell_inputs"], [np.linalg.svd(g[3:], compute_uv=False)[0] for g in G],
                            rtol=1e-12)
        else:
            assert not {"cell", "cell_full", "cell_inputs"} & set(norms)


def test_norms_from_a_trace_already_run_equal_those_of_a_fresh_run():
    for kind in KINDS:
        weights, X, h0, c0 = random_case(kind, seed=18)
        fresh = gradient_norms(kind, X, h0, weights, c0=c0)
        from_trace = trace_gradient_norms(kind, run(kind, X, h0, weights, c0), weights)
        assert fresh.keys() == from_trace.keys()
        for name in fresh:
            assert_array_equal(from_trace[name], fresh[name])


def test_norms_can_be_asked_for_by_name_and_unknown_names_are_rejected():
    weights, X, h0, c0 = random_case("lstm", seed=19)
    trace = lstm_forward(X, h0, c0, **weights)
    some = trace_gradient_norms("lstm", trace, weights, ("cell_full", "cell"))
    assert list(some) == ["cell_full", "cell"]
    assert_array_equal(some["cell_full"], gradient_norms("lstm", X, h0, weights, c0=c0)["cell_full"])
    with pytest.raises(ValueError, match=r"not \['cell'\]"):
        trace_gradient_norms("gru", gru_forward(X, h0, **init_weights("gru", 3, 3, seed=0)),
                             init_weights("gru", 3, 3, seed=0), ("cell",))


def test_the_last_input_reaches_the_last_state_in_one_step():
    # ∂h_T/∂x_T of a tanh RNN is D(1 − h_T²) W_ih: nothing to chain through
    weights, X, h0, _ = random_case("rnn", seed=16)
    trace = rnn_forward(X, h0, **weights)
    h_T = trace["H"][-1]
    assert_allclose(input_jacobians("rnn", trace, weights)[-1], np.diag(1 - h_T**2) @ weights["W_ih"], rtol=1e-14)


def test_input_jacobians_with_input_weights_of_another_size_name_both_shapes():
    weights, X, h0, _ = random_case("gru", seed=17)
    trace = gru_forward(X, h0, **weights)
    with pytest.raises(ValueError, match=r"W_ih must have shape \(9, 3\).*\(9, 2\)"):
        step_input_jacobians("gru", trace, dict(weights, W_ih=np.zeros((9, 2))))


# ---------------------------------------------------------------- vanishing and exploding gradients


def orthogonal(n, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def linear_regime_rnn_norms(a, T=30, hidden=4):
    """‖∂h_T/∂h_t‖ of a tanh RNN with W_hh = a·Q, no input and a tiny h0 (tanh ≈ identity)."""
    weights = {"W_ih": np.zeros((hidden, 2)), "W_hh": a * orthogonal(hidden, seed=0),
               "b_ih": np.zeros(hidden), "b_hh": np.zeros(hidden)}
    h0 = 1e-9 * np.random.default_rng(1).normal(size=hidden)
    return gradient_norms("rnn", np.zeros((T, 2)), h0, weights)["hidden"]


def test_rnn_gradient_vanishes_when_w_hh_shrinks():
    # near h = 0, ∂h_T/∂h_t ≈ (a Q)^(T−t), whose norm is a^(T−t): 0.5^30 ≈ 9e-10
    norms = linear_regime_rnn_norms(0.5)
    assert norms[0] < 1e-3
    assert_allclose(norms, 0.5 ** np.arange(30, 0, -1), rtol=1e-6)


def test_rnn_gradient_norm_grows_with_the_scale_of_w_hh():
    first = [linear_regime_rnn_norms(a)[0] for a in (0.5, 1.0, 1.5)]
    assert first[0] < first[1] < first[2]
    assert_allclose(first, [0.5**30, 1.0, 1.5**30], rtol=1e-4)


def test_lstm_forget_bias_plus_3_keeps_the_cell_gradient_alive_and_minus_3_kills_it():
    def cell_norms(forget_bias):
        weights = init_weights("lstm", 3, 4, seed=0, scale=0.1)
        weights["b_ih"][4:8] += forget_bias  # rows hidden:2·hidden are the forget gate
        X = np.random.default_rng(1).normal(0.0, 0.5, size=(20, 3))
        return gradient_norms("lstm", X, None, weights)["cell"]

    keep, forget = cell_norms(3.0), cell_norms(-3.0)
    # σ(3) ≈ 0.95, 0.95^20 ≈ 0.38;   σ(−3) ≈ 0.047, 0.047^20 ≈ 3e-27
    assert keep[0] > 0.2
    assert forget[0] < 1e-20
    assert np.all(keep > forget)


# ---------------------------------------------------------------- parameter counts and weights


@pytest.mark.parametrize(("kind", "gate", "block"), [("lstm", "f", slice(4, 8)), ("lstm", "o", slice(12, 16)),
                                                   ("gru", "z", slice(4, 8)), ("rnn", "h", slice(0, 4))])
def test_gate_bias_sets_the_sum_of_both_biases_of_one_block_only(kind, gate, block):
    weights = init_weights(kind, 3, 4, seed=0)
    before = {k: v.copy() for k, v in weights.items()}
    moved = with_gate_bias(kind, weights, gate, 2.5)
    assert_allclose((moved["b_ih"] + moved["b_hh"])[block], 2.5, rtol=0, atol=0)
    rest = np.ones(moved["b_ih"].size, dtype=bool)
    rest[block] = False
    assert_array_equal(moved["b_ih"][rest], weights["b_ih"][rest])
    assert_array_equal(moved["b_hh"][rest], weights["b_hh"][rest])
    assert all(np.array_equal(weights[k], before[k]) for k in weights)  # the original is untouched


def test_forget_bias_opens_the_forget_gate_to_its_sigmoid():
    # with no weights, f = σ(bias) exactly: σ(ln 3) = 3/4
    weights = {"W_ih": np.zeros((8, 3)), "W_hh": np.zeros((8, 2)), "b_ih": np.zeros(8), "b_hh": np.zeros(8)}
    f = lstm_forward(np.ones((4, 3)), None, None, **with_gate_bias("lstm", weights, "f", LN3))["f"]
    assert_allclose(f, 3 / 4, rtol=1e-14)


@pytest.mark.parametrize(("kind", "gate", "bias", "message"), [
    ("gru", "n", 1.0, r"\['r', 'z'\]"), ("lstm", "z", 1.0, "gate must be one of"), ("lstm", "f", math.inf, "finite"),
])
def test_gate_bias_rejects_what_it_cannot_set(kind, gate, bias, message):
    with pytest.raises(ValueError, match=message):
        with_gate_bias(kind, init_weights(kind, 3, 2, seed=0), gate, bias)


@pytest.mark.parametrize("case", REFERENCE["parameter_counts"], ids=lambda c: "{kind}-{input_size}-{hidden_size}-"
                         "{num_layers}-{bias}".format(**c))
def test_parameter_count_matches_torch(case):
    assert count_parameters(case["kind"], case["input_size"], case["hidden_size"], case["num_layers"],
                            case["bias"]) == case["count"]


def test_parameter_count_formula_for_a_two_layer_lstm():
    # layer 1: 4·20·(10 + 20) + 2·4·20 = 2560;  layer 2 reads h: 4·20·(20 + 20) + 2·4·20 = 3360
    assert count_parameters("lstm", 10, 20, num_layers=2) == 2560 + 3360
    assert count_parameters("lstm", 10, 20, num_layers=2, bias=False) == 2400 + 3200


def test_textbook_count_has_one_bias_per_gate():
    # GRU(3, 4): 3·(4·(3 + 4) + 4) = 96, PyTorch keeps 3·4 = 12 more
    assert count_parameters_textbook("gru", 3, 4) == 96
    for kind in KINDS:
        assert count_parameters(kind, 7, 5) - count_parameters_textbook(kind, 7, 5) == GATES[kind] * 5


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_parameter_shapes_add_up_to_the_count(kind, bias):
    layers = parameter_shapes(kind, 7, 5, num_layers=3, bias=bias)
    assert sum(math.prod(shape) for layer in layers for shape in layer.values()) == count_parameters(
        kind, 7, 5, num_layers=3, bias=bias)
    rows = GATES[kind] * 5
    assert layers[0]["W_ih"] == (rows, 7) and layers[1]["W_ih"] == (rows, 5)  # layer 2 reads layer 1's h
    assert list(layers[0]) == (["W_ih", "W_hh", "b_ih", "b_hh"] if bias else ["W_ih", "W_hh"])


def test_parameter_shapes_are_those_init_weights_draws():
    drawn = init_weights("lstm", 3, 4, seed=0)
    assert parameter_shapes("lstm", 3, 4)[0] == {k: v.shape for k, v in drawn.items()}


def test_textbook_count_of_stacked_layers_keeps_one_bias_per_gate_in_each_layer():
    # LSTM(10, 20, 2 layers): 4·(20·30 + 20) + 4·(20·40 + 20) = 2480 + 3280; PyTorch keeps 2·4·20 = 160 more
    assert count_parameters_textbook("lstm", 10, 20, num_layers=2) == 2480 + 3280
    for kind in KINDS:
        assert count_parameters(kind, 7, 5, 3) - count_parameters_textbook(kind, 7, 5, 3) == GATES[kind] * 5 * 3


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_gru_rnn_parameters_are_in_ratio_4_3_1(bias):
    rnn, lstm, gru = (count_parameters(kind, 10, 20, num_layers=2, bias=bias) for kind in ("rnn", "lstm", "gru"))
    assert (lstm, gru) == (4 * rnn, 3 * rnn)


def test_init_weights_shapes_and_pytorch_range():
    for kind in KINDS:
        weights = init_weights(kind, 3, 16, seed=0)
        rows = GATES[kind] * 16
        assert {k: v.shape for k, v in weights.items()} == {
            "W_ih": (rows, 3), "W_hh": (rows, 16), "b_ih": (rows,), "b_hh": (rows,)}
        values = np.concatenate([v.ravel() for v in weights.values()])
        assert np.all(np.abs(values) <= 1 / 4)  # 1/√16
        assert np.abs(values).max() > 0.9 / 4  # really spread over U(−1/4, 1/4), not narrower


def test_init_weights_is_deterministic_from_the_seed_and_scale_sets_the_range():
    a, b, c = init_weights("gru", 3, 4, seed=5), init_weights("gru", 3, 4, seed=5), init_weights("gru", 3, 4, seed=6)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W_hh"], c["W_hh"])
    assert np.abs(init_weights("rnn", 3, 4, seed=0, scale=0.01)["W_hh"]).max() <= 0.01


# ---------------------------------------------------------------- properties


@st.composite
def cases(draw, kinds=tuple(KINDS)):
    """kind, weights, X (T, batch, input) and initial states h0 (|h0| <= 1), c0, for small random sizes."""
    kind = draw(st.sampled_from(kinds))
    T, batch, input_size, hidden = (draw(st.integers(1, 4)) for _ in range(4))
    weights = init_weights(kind, input_size, hidden, seed=draw(st.integers(0, 2**32 - 1)),
                           scale=draw(st.floats(0.1, 4.0)))
    X = draw(hnp.arrays(np.float64, (T, batch, input_size), elements=st.floats(-5, 5)))
    h0 = draw(hnp.arrays(np.float64, (batch, hidden), elements=st.floats(-1, 1)))
    c0 = draw(hnp.arrays(np.float64, (batch, hidden), elements=st.floats(-5, 5))) if kind == "lstm" else None
    return kind, weights, X, h0, c0


@SETTINGS
@given(case=cases(kinds=("lstm", "gru")))
def test_sigmoid_gates_lie_in_zero_one(case):
    kind, weights, X, h0, c0 = case
    trace = run(kind, X, h0, weights, c0)
    for gate in ("i", "f", "o") if kind == "lstm" else ("r", "z"):
        assert np.all((trace[gate] >= 0) & (trace[gate] <= 1)), gate


@SETTINGS
@given(case=cases())
def test_hidden_states_stay_in_minus_one_one(case):
    # rnn: tanh;  lstm: o·tanh(c) with o in [0, 1];  gru: a convex mix of tanh and h_{t-1}, so |h0| <= 1 suffices
    kind, weights, X, h0, c0 = case
    assert np.all(np.abs(run(kind, X, h0, weights, c0)["H"]) <= 1)


@SETTINGS
@given(case=cases())
def test_a_batch_gives_the_same_states_as_each_sequence_alone(case):
    kind, weights, X, h0, c0 = case
    batched = run(kind, X, h0, weights, c0)
    for b in range(X.shape[1]):
        alone = run(kind, X[:, b], h0[b], weights, None if c0 is None else c0[b])
        for name, value in alone.items():
            if name not in ("X", "h0", "c0", "nonlinearity"):
                assert_allclose(batched[name][:, b], value, rtol=1e-12, atol=1e-14, err_msg=name)


# ---------------------------------------------------------------- errors


def test_one_dimensional_x_is_rejected_with_its_shape():
    with pytest.raises(ValueError, match=r"X has shape \(3,\)"):
        rnn_forward(np.ones(3), None, **init_weights("rnn", 3, 4, seed=0))


def test_empty_sequence_is_rejected():
    with pytest.raises(ValueError, match=r"X has shape \(0, 3\).*T >= 1"):
        gru_forward(np.ones((0, 3)), None, **init_weights("gru", 3, 4, seed=0))


def test_input_weights_that_do_not_fit_x_name_both_shapes():
    weights = init_weights("lstm", 2, 4, seed=0)
    with pytest.raises(ValueError, match=r"X has shape \(5, 3\).*W_ih must have shape \(16, 3\).*shape \(16, 2\)"):
        lstm_forward(np.ones((5, 3)), None, None, **weights)


def test_recurrent_weights_without_the_gate_rows_are_rejected():
    weights = dict(init_weights("lstm", 3, 4, seed=0), W_hh=np.ones((4, 4)))
    with pytest.raises(ValueError, match=r"W_hh has shape \(4, 4\) but must be \(4·hidden, hidden\)"):
        lstm_forward(np.ones((5, 3)), None, None, **weights)


def test_bias_of_the_wrong_length_names_its_shape():
    weights = dict(init_weights("gru", 3, 4, seed=0), b_hh=np.zeros(4))
    with pytest.raises(ValueError, match=r"b_hh has shape \(4,\).*\(12,\)"):
        gru_forward(np.ones((5, 3)), None, **weights)


def test_unbatched_h0_for_a_batch_names_both_shapes():
    with pytest.raises(ValueError, match=r"X has shape \(5, 2, 3\) but h0 has shape \(4,\).*\(2, 4\)"):
        rnn_forward(np.ones((5, 2, 3)), np.zeros(4), **init_weights("rnn", 3, 4, seed=0))


def test_batched_h0_for_one_sequence_names_both_shapes():
    with pytest.raises(ValueError, match=r"X has shape \(5, 3\) but h0 has shape \(1, 4\).*\(4,\)"):
        gru_forward(np.ones((5, 3)), np.zeros((1, 4)), **init_weights("gru", 3, 4, seed=0))


def test_c0_of_the_wrong_width_names_both_shapes():
    with pytest.raises(ValueError, match=r"X has shape \(5, 3\) but c0 has shape \(3,\)"):
        lstm_forward(np.ones((5, 3)), None, np.zeros(3), **init_weights("lstm", 3, 4, seed=0))


def test_jacobians_of_a_batched_trace_are_rejected():
    weights = init_weights("rnn", 3, 4, seed=0)
    trace = rnn_forward(np.ones((5, 2, 3)), None, **weights)
    with pytest.raises(ValueError, match=r"H has shape \(5, 2, 4\).*unbatched"):
        hidden_jacobians("rnn", trace, weights)
    with pytest.raises(ValueError, match=r"X has shape \(5, 2, 3\)"):
        gradient_norms("rnn", np.ones((5, 2, 3)), None, weights)


def test_jacobians_with_weights_of_another_trace_name_both_shapes():
    trace = gru_forward(np.ones((5, 3)), None, **init_weights("gru", 3, 4, seed=0))
    with pytest.raises(ValueError, match=r"H has shape \(5, 4\) but W_hh has shape \(6, 2\)"):
        hidden_jacobians("gru", trace, init_weights("gru", 3, 2, seed=0))


def test_unknown_kind_nonlinearity_and_sizes_are_rejected():
    with pytest.raises(ValueError, match="kind"):
        init_weights("transformer", 3, 4, seed=0)
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn_forward(np.ones((5, 3)), None, **init_weights("rnn", 3, 4, seed=0), nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="num_layers"):
        count_parameters("lstm", 3, 4, num_layers=0)
    with pytest.raises(ValueError, match="c0"):
        gradient_norms("gru", np.ones((5, 3)), None, init_weights("gru", 3, 4, seed=0), c0=np.zeros(4))
