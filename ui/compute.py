"""Cached calls into `core` for the pages.

The cache decorators live here, in a module imported once, not in page scripts: a
decorator in a page is rebuilt on every rerun, and hashing its source costs ~2.5 ms.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.attention import (
    causal_mask,
    identity_projections,
    multi_head_attention,
    random_projections,
    self_attention,
    softmax_saturation,
)
from core.embeddings import embed
from core.memory import attention_first_input_influence, rnn_first_input_influence, with_spectral_radius
from core.recurrent import (
    count_parameters,
    count_parameters_textbook,
    gradient_norms,
    gru_forward,
    init_weights,
    lstm_forward,
    parameter_shapes,
    rnn_forward,
    trace_gradient_norms,
    with_gate_bias,
)
from core.seq2seq import alignment, decoder_states, encoder_states
from core.training import memory_task
from ui import translator as models

D_MODEL = 50  # GloVe's 50 dimensions
SATURATION_D_K = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
SATURATION_TRIALS = 256


def projections(projection: str, d_k: int, seed: int):
    """(W_q, W_k, W_v): the identity (d_k = d_model), or random (d_model, d_k) from a seed."""
    if projection == "identity":
        return identity_projections(D_MODEL)
    return random_projections(D_MODEL, d_k, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def seven_steps(tokens: tuple, d_k: int, projection: str, seed: int, causal: bool,
                temperature: float):
    """Embed the tokens and run the seven steps: (Embedding, every intermediate by name)."""
    emb = embed(list(tokens))
    W_q, W_k, W_v = projections(projection, d_k, seed)
    mask = causal_mask(len(tokens)) if causal else None
    return emb, self_attention(emb.X, W_q, W_k, W_v, mask=mask, temperature=temperature)


@st.cache_data(max_entries=64, show_spinner=False)
def heads(tokens: tuple, num_heads: int, projection: str, seed: int, causal: bool):
    """Multi-head attention on the same embeddings, (d_model, d_model) projections."""
    X = embed(list(tokens)).X
    W_q, W_k, W_v = projections(projection, D_MODEL, seed)
    W_o = np.eye(D_MODEL) if projection == "identity" else projections(projection, D_MODEL, seed + 1)[0]
    mask = causal_mask(len(tokens)) if causal else None
    return multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=mask)


@st.cache_data(show_spinner=False)
def saturation(n_keys: int):
    """How peaked the softmax gets as d_k grows, with and without the division by √d_k."""
    return softmax_saturation(SATURATION_D_K, n_keys=n_keys, trials=SATURATION_TRIALS, seed=0)


@st.cache_data(max_entries=64, show_spinner=False)
def both_ways(source: tuple, target: tuple, temperature: float):
    """The same sentence pair run both ways, with the same states, dot scores and temperature.

    Attention: queries from the decoder (target words), keys and values from the encoder
    (source words), (m, n). Self-attention: queries, keys and values all from the source
    words' own states, (n, n).
    """
    H_e, H_d = encoder_states(list(source)), decoder_states(list(target))
    return (alignment(H_d, H_e, temperature=temperature)["weights"],
            alignment(H_e, H_e, temperature=temperature)["weights"])


@st.cache_data(max_entries=64, show_spinner=False)
def first_word_influence(tokens: tuple, spectral_radius: float, hidden: int, seed: int):
    """How strongly word 1 still moves each later position: (rnn (T,), self-attention (T,)).

    RNN: tanh cell on the GloVe vectors, PyTorch-style random weights from `seed` with W_hh
    rescaled to `spectral_radius`. Self-attention: identity projections, causal mask; it does
    not depend on the RNN's settings, so it is cached on its own (10 ms at 30 words).
    """
    X = embed(list(tokens)).X
    w = init_weights("rnn", D_MODEL, hidden, seed)
    w["W_hh"] = with_spectral_radius(w["W_hh"], spectral_radius)
    return rnn_first_input_influence(X, **w), _attention_first_word_influence(tokens)


@st.cache_data(max_entries=64, show_spinner=False)
def _attention_first_word_influence(tokens: tuple):
    return attention_first_input_influence(embed(list(tokens)).X, *identity_projections(D_MODEL))


# --- recurrent cells: the RNN, LSTM and GRU pages ------------------------------------------

HIDDEN_SIZES = (4, 8, 16, 32, 64)  # the hidden-size slider's stops
SEEDS = (0, 9999)  # the seed boxes' range
GATE_BIAS = (-4.0, 6.0)  # the LSTM forget-gate and GRU update-gate bias sliders
ALIGNMENT_TEMPERATURE = (0.02, 1.0)  # the seq2seq and comparison pages' temperature slider
PARAM_HIDDEN_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)  # the GRU page's parameter chart


def _glove_inputs(tokens: tuple) -> tuple[np.ndarray, int]:
    """The tokens' GloVe vectors X (T, 50) and how many of them are random fallbacks."""
    emb = embed(list(tokens))
    return emb.X, emb.sources.count("fallback")


@st.cache_data(max_entries=64, show_spinner=False)
def rnn_run(tokens: tuple, hidden: int, seed: int, radius: float) -> dict:
    """A tanh RNN over the tokens' GloVe vectors, PyTorch-style random weights from `seed`, with
    W_hh rescaled to spectral radius `radius`.

    Returns dict: H (T, hidden); hidden (T,) = ‖∂h_T/∂h_t‖ for t = 0..T-1; inputs (T,) =
    ‖∂h_T/∂x_t‖ for t = 1..T; default_radius, W_hh's radius before rescaling; fallback, the
    number of tokens with random vectors.
    """
    X, fallback = _glove_inputs(tokens)
    w = init_weights("rnn", D_MODEL, hidden, seed)
    default_radius = float(np.abs(np.linalg.eigvals(w["W_hh"])).max())
    w["W_hh"] = with_spectral_radius(w["W_hh"], radius)
    trace = rnn_forward(X, None, **w)
    return {"H": trace["H"], **trace_gradient_norms("rnn", trace, w), "default_radius": default_radius,
            "fallback": fallback}


@st.cache_data(max_entries=64, show_spinner=False)
def rnn_reference(tokens: tuple, hidden: int, seed: int) -> dict:
    """The RNN the LSTM and GRU pages compare against: PyTorch's default initialisation, no
    rescaling. Returns gradient_norms' dict: hidden (T,) and inputs (T,)."""
    X, _ = _glove_inputs(tokens)
    return gradient_norms("rnn", X, None, init_weights("rnn", D_MODEL, hidden, seed))


@st.cache_data(max_entries=64, show_spinner=False)
def lstm_run(tokens: tuple, hidden: int, seed: int, forget_bias: float) -> tuple[dict, dict]:
    """An LSTM over the tokens' GloVe vectors, every forget-gate unit's bias set to `forget_bias`.

    Returns (trace: H, C, i, f, g, o each (T, hidden) and fallback; gradient_norms' dict with the
    norms the page shows: cell, cell_full, cell_inputs, each (T,)).
    """
    X, fallback = _glove_inputs(tokens)
    w = with_gate_bias("lstm", init_weights("lstm", D_MODEL, hidden, seed), "f", forget_bias)
    trace = lstm_forward(X, None, None, **w)
    return ({k: trace[k] for k in ("H", "C", "i", "f", "g", "o")} | {"fallback": fallback},
            trace_gradient_norms("lstm", trace, w, ("cell", "cell_full", "cell_inputs")))


@st.cache_data(max_entries=64, show_spinner=False)
def gru_run(tokens: tuple, hidden: int, seed: int, update_bias: float) -> tuple[dict, dict]:
    """A GRU over the tokens' GloVe vectors, every update-gate unit's bias set to `update_bias`.

    Returns (trace: H, h0, r, z, n each (T, hidden) but h0 (hidden,), and fallback;
    gradient_norms' dict: hidden, inputs, each (T,)).
    """
    X, fallback = _glove_inputs(tokens)
    w = with_gate_bias("gru", init_weights("gru", D_MODEL, hidden, seed), "z", update_bias)
    trace = gru_forward(X, None, **w)
    return ({k: trace[k] for k in ("H", "h0", "r", "z", "n")} | {"fallback": fallback},
            trace_gradient_norms("gru", trace, w))


def parameter_breakdown(kind: str, input_size: int, hidden: int, layers: int) -> dict:
    """Where a stacked cell's parameters sit: per layer, the shape and size of each PyTorch
    parameter, and the totals with PyTorch's two biases and with the textbook's one."""
    shapes = parameter_shapes(kind, input_size, hidden, layers)
    return {
        "shapes": shapes,
        "sizes": [{name: int(np.prod(shape)) for name, shape in layer.items()} for layer in shapes],
        "pytorch": count_parameters(kind, input_size, hidden, layers),
        "textbook": count_parameters_textbook(kind, input_size, hidden, layers),
    }


def shape_text(shape: tuple[int, ...]) -> str:
    """A parameter's shape and size as a learner reads it: "512 × 50 = 25,600", or "512" for a vector."""
    return f"{shape[0]:,}" if len(shape) == 1 else " × ".join(map(str, shape)) + f" = {int(np.prod(shape)):,}"


@st.cache_data(show_spinner=False)
def parameter_curves(input_size: int) -> dict[str, np.ndarray]:
    """One-layer parameter counts of each cell over PARAM_HIDDEN_SIZES: {kind: (sizes,) int}."""
    return {kind: np.array([count_parameters(kind, input_size, h) for h in PARAM_HIDDEN_SIZES])
            for kind in ("rnn", "gru", "lstm")}


@st.cache_data(max_entries=16, show_spinner=False)
def lab_example(lag: int, num_symbols: int, noise: float, seed: int = 0) -> np.ndarray:
    """One sequence of the memory lab's task: (lag + 2, num_symbols + 2), a row per step."""
    X, _ = memory_task(lag, 1, num_symbols, noise, seed=seed)
    return X[:, 0, :]


# --- the trained date translators: the seq2seq and comparison pages ------------------------


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def s2s_explain(context: str, text: str) -> dict:
    """The shipped `context` model's greedy translation of a readable Korean date, every step kept
    (ui.translator.explain: chars, tokens, query, scores, weights, context, state, probs)."""
    return models.explain(context, models.load_shipped()[context]["params"], text)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def encoder_self_weights(context: str, text: str) -> np.ndarray:
    """The shipped model's encoder states attending to each other with its dot score,
    softmax_j(h_e,i · h_e,j): (n, n). Self-attention's arrangement of queries, on states the model
    learned for something else (nothing here was trained to attend this way)."""
    H_e = s2s_explain(context, text)["keys"]  # (n, h)
    return alignment(H_e, H_e)["weights"]  # (n, n)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def s2s_run_explain(run: models.Run, text: str) -> dict | None:
    """As s2s_explain, for a finished run of the shared results cache (None if it is not there)."""
    result = models.finished(run)
    return None if result is None else models.explain(run.context, result["params"], text)
