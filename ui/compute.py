"""Cached calls into `core` for the pages.

The cache decorators live here, in a module imported once, not in page scripts: a
decorator in a page is rebuilt on every rerun, and hashing its source costs ~2.5 ms.

Every cache is bounded in entries and in time (CACHE_TTL), and keeps only what a page draws,
so no stream of distinct inputs (links with a different `?sa_text=`) grows the server's memory
without bound: bench/memory_test.py measures it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

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
from core.coreference import NOUNS, match_pattern, predict
from core.embeddings import embed
from core.korean import Morpheme
from core.memory import (
    attention_first_input_influence,
    rnn_first_input_influence,
    spectral_radius,
    with_spectral_radius,
)
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
from core.seq2seq import alignment
from core.training import memory_task
from core.transformer import Config, forward, head_projections, sinusoidal_encoding
from ui import korean  # noqa: F401  (installs the Korean analyser every tokenize() call uses)
from ui import translator as models

D_MODEL = 50  # GloVe's 50 dimensions
# A Korean morpheme is a str with a tag: Streamlit would hash it by its form alone, and "이"
# the particle and "이" the copula would share a cache entry. This hashes the tag and lemma too.
TOKENS = {Morpheme: lambda m: (str(m), m.tag, m.lemma)}
SATURATION_D_K = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
SATURATION_TRIALS = 256
CACHE_TTL = 3600  # seconds: an entry nobody has asked for within an hour is dropped


def projections(projection: str, d_k: int, seed: int):
    """(W_q, W_k, W_v): the identity (d_k = d_model), or random (d_model, d_k) from a seed."""
    if projection == "identity":
        return identity_projections(D_MODEL)
    return random_projections(D_MODEL, d_k, seed)


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)  # ~2 MB an entry at 256 tokens
def seven_steps(tokens: tuple, d_k: int, projection: str, seed: int, causal: bool,
                temperature: float):
    """Embed the tokens and run the seven steps: (Embedding, every intermediate by name)."""
    emb = embed(list(tokens))
    W_q, W_k, W_v = projections(projection, d_k, seed)
    mask = causal_mask(len(tokens)) if causal else None
    # unsummed=False: step 6's (n, n, d_k) array is 26 MB at 256 tokens, and the page shows one
    # query's row of it (core.attention.weighted_values), computed when it is drawn
    return emb, self_attention(emb.X, W_q, W_k, W_v, mask=mask, temperature=temperature, unsummed=False)


# (H, n, n) weights: 13 MB an entry at 25 heads, 256 tokens
@st.cache_data(max_entries=8, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
def heads(tokens: tuple, num_heads: int, projection: str, seed: int, causal: bool):
    """Multi-head attention on the same embeddings, (d_model, d_model) projections."""
    X = embed(list(tokens)).X
    W_q, W_k, W_v = projections(projection, D_MODEL, seed)
    W_o = np.eye(D_MODEL) if projection == "identity" else projections(projection, D_MODEL, seed + 1)[0]
    mask = causal_mask(len(tokens)) if causal else None
    return multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=mask)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def saturation(n_keys: int):
    """How peaked the softmax gets as d_k grows, with and without the division by √d_k."""
    return softmax_saturation(SATURATION_D_K, n_keys=n_keys, trials=SATURATION_TRIALS, seed=0)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
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


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
def _attention_first_word_influence(tokens: tuple):
    return attention_first_input_influence(embed(list(tokens)).X, *identity_projections(D_MODEL))


# --- recurrent cells: the RNN, LSTM and GRU pages ------------------------------------------

HIDDEN_SIZES = (4, 8, 16, 32, 64)  # the hidden-size slider's stops
SEEDS = (0, 9999)  # the seed boxes' range
GATE_BIAS = (-4.0, 6.0)  # the LSTM forget-gate and GRU update-gate bias sliders
PARAM_HIDDEN_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)  # the GRU page's parameter chart


def _glove_inputs(tokens: tuple) -> tuple[np.ndarray, int]:
    """The tokens' GloVe vectors X (T, 50) and how many of them are random fallbacks."""
    emb = embed(list(tokens))
    return emb.X, emb.sources.count("fallback")


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
def rnn_run(tokens: tuple, hidden: int, seed: int, radius: float) -> dict:
    """A tanh RNN over the tokens' GloVe vectors, PyTorch-style random weights from `seed`, with
    W_hh rescaled to spectral radius `radius`.

    Returns dict: H (T, hidden); hidden (T,) = ‖∂h_T/∂h_t‖ for t = 0..T-1; inputs (T,) =
    ‖∂h_T/∂x_t‖ for t = 1..T; default_radius, W_hh's radius before rescaling; norm, its spectral
    norm after (≥ radius: W_hh is not symmetric); fallback, the number of tokens with random vectors.
    """
    X, fallback = _glove_inputs(tokens)
    w = init_weights("rnn", D_MODEL, hidden, seed)
    default_radius = spectral_radius(w["W_hh"])
    w["W_hh"] = with_spectral_radius(w["W_hh"], radius)
    trace = rnn_forward(X, None, **w)
    return {"H": trace["H"], **trace_gradient_norms("rnn", trace, w), "default_radius": default_radius,
            "norm": float(np.linalg.norm(w["W_hh"], 2)), "fallback": fallback}


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
def rnn_reference(tokens: tuple, hidden: int, seed: int) -> dict:
    """The RNN the LSTM and GRU pages compare against: PyTorch's default initialisation, no
    rescaling. Returns gradient_norms' dict (hidden (T,) and inputs (T,)) and W_hh's spectral
    radius, which the pages show: the RNN page rescales its W_hh, so its numbers differ."""
    X, _ = _glove_inputs(tokens)
    weights = init_weights("rnn", D_MODEL, hidden, seed)
    return {**gradient_norms("rnn", X, None, weights), "radius": spectral_radius(weights["W_hh"])}


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
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


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
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


@st.cache_data(max_entries=8, ttl=CACHE_TTL, show_spinner=False)
def parameter_curves(input_size: int) -> dict[str, np.ndarray]:
    """One-layer parameter counts of each cell over PARAM_HIDDEN_SIZES: {kind: (sizes,) int}."""
    return {kind: np.array([count_parameters(kind, input_size, h) for h in PARAM_HIDDEN_SIZES])
            for kind in ("rnn", "gru", "lstm")}


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def lab_example(lag: int, num_symbols: int, noise: float, seed: int = 0) -> np.ndarray:
    """One sequence of the memory lab's task: (lag + 2, num_symbols + 2), a row per step."""
    X, _ = memory_task(lag, 1, num_symbols, noise, seed=seed)
    return X[:, 0, :]


# --- the trained Transformer: the self-attention page's "trained" projections -----------------

COREF_WEIGHTS = Path(__file__).resolve().parents[1] / "data" / "coref_transformer.npz"


@st.cache_resource(max_entries=1, ttl=CACHE_TTL, show_spinner=False)
def coref_model():
    """The shipped model (scripts/train_coreference.py): (Config, params, metadata dict)."""
    with np.load(COREF_WEIGHTS) as f:
        meta = json.loads(str(f["meta"]))
        params = {k: f[k] for k in f.files if k not in ("meta", "loss")}
    return Config(**meta["config"]), params, meta


def _coref_answer(tokens: tuple, trace_it: int | None, match: dict | None):
    """The readout's answer at "it": (word, its probability, [(noun, probability)] for the sentence's
    two nouns when it fits a pattern) over the model's nouns and the sentence's own noun slots;
    None without an "it"."""
    if trace_it is None:
        return None
    cfg, params, _ = coref_model()
    words = list(NOUNS)
    own = [tokens[match[s]].lower() for s in ("first", "second")] if match is not None else []
    words += [w for w in own if w not in words]
    _, p = predict(cfg, params, list(tokens), trace_it, tuple(words))
    return words[int(np.argmax(p))], float(p.max()), [(w, float(p[words.index(w)])) for w in own]


# What the page draws of the model's trace (the rest is dropped, so a cached entry stays small).
TRACE_KEYS = ("input", "weights", "attn", "resid1", "norm1", "ffn_hidden", "output")


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
def coref_trace(tokens: tuple) -> dict:
    """The trained model on the tokens: {"layers": [{TRACE_KEYS: arrays with a batch of one}]}."""
    cfg, params, _ = coref_model()
    trace = forward(cfg, params, embed(list(tokens)).X)
    return {"layers": [{k: layer[k] for k in TRACE_KEYS} for layer in trace["layers"]]}


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)  # ~2 MB an entry at 256 tokens
def trained_steps(tokens: tuple, temperature: float):
    """The seven steps of the trained model's chosen head, on the input of its layer.

    Returns (Embedding, the seven steps' dict on that head's W_q, W_k, W_v,
    {"match": match_pattern's dict or None, "it": the position of the first "it" or None,
    "answer": (word, probability) or None}).
    """
    cfg, params, meta = coref_model()
    layer, head = meta["head"]
    x = coref_trace(tokens)["layers"][layer]["input"][0]  # (n, d_model): what this layer receives
    steps = self_attention(x, *head_projections(cfg, params, layer, head), temperature=temperature,
                           unsummed=False)  # step 6 is drawn for one query (see seven_steps)
    match = match_pattern(list(tokens))
    lowered = [w.lower() for w in tokens]
    it = match["it"] if match else (lowered.index("it") if "it" in lowered else None)
    return embed(list(tokens)), steps, {"match": match, "it": it, "answer": _coref_answer(tokens, it, match)}


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False, hash_funcs=TOKENS)
def word_order(tokens: tuple, shuffle_seed: int, hidden: int = 32):
    """Shuffle the sentence: does the output only move with its words? Measured exactly.

    Self-attention: the trained model with its positions left out (P = 0) and as trained
    (sinusoidal P); RNN: a tanh RNN (PyTorch's initialisation, seed 0) over the same GloVe vectors.
    Returns dict: perm (n,), no_positions / positions = max |f(πX) − π f(X)|, relative to max |f(X)|;
    rnn = ‖h_T(πX) − h_T(X)‖ / ‖h_T(X)‖; P (n, d_model) the sinusoidal encoding;
    with_p / without_p (n, n) the chosen head's weights with positions and with them left out.
    """
    cfg, params, meta = coref_model()
    layer, head = meta["head"]
    X = embed(list(tokens)).X  # (n, 50)
    perm = np.random.default_rng(shuffle_seed).permutation(len(tokens))
    flat = replace(cfg, positional="none")
    result = {"perm": perm}
    for name, c in (("no_positions", flat), ("positions", cfg)):
        out, shuffled = forward(c, params, X)["output"][0], forward(c, params, X[perm])["output"][0]
        result[name] = float(np.abs(shuffled - out[perm]).max() / np.abs(out).max())
    w = init_weights("rnn", D_MODEL, hidden, 0)
    h_T, h_T_shuffled = rnn_forward(X, None, **w)["H"][-1], rnn_forward(X[perm], None, **w)["H"][-1]
    result["rnn"] = float(np.linalg.norm(h_T_shuffled - h_T) / np.linalg.norm(h_T))
    result["P"] = sinusoidal_encoding(len(tokens), cfg.d_model)
    result["with_p"] = coref_trace(tokens)["layers"][layer]["weights"][0, head]
    result["without_p"] = forward(flat, params, X)["layers"][layer]["weights"][0, head]
    return result


# --- the trained date translators: the seq2seq and comparison pages ------------------------


@st.cache_data(max_entries=256, ttl=CACHE_TTL, show_spinner=False)
def s2s_explain(context: str, text: str) -> dict:
    """The shipped `context` model's greedy translation of a readable Korean date, every step kept
    (ui.translator.explain: chars, tokens, query, scores, weights, context, state, probs)."""
    return models.explain(context, models.load_shipped()[context]["params"], text)


@st.cache_data(max_entries=256, ttl=CACHE_TTL, show_spinner=False)
def encoder_self_weights(context: str, text: str) -> np.ndarray:
    """The shipped model's encoder states attending to each other with its dot score,
    softmax_j(h_e,i · h_e,j): (n, n). Self-attention's arrangement of queries, on states the model
    learned for something else (nothing here was trained to attend this way)."""
    H_e = s2s_explain(context, text)["keys"]  # (n, h)
    return alignment(H_e, H_e)["weights"]  # (n, n)


@st.cache_data(max_entries=256, ttl=CACHE_TTL, show_spinner=False)
def s2s_run_explain(run: models.Run, text: str) -> dict | None:
    """As s2s_explain, for a finished run of the shared results cache (None if it is not there)."""
    result = models.finished(run)
    return None if result is None else models.explain(run.context, result["params"], text)
