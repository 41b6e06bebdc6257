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
from core.recurrent import init_weights
from core.seq2seq import alignment, decoder_states, encoder_states, score_params

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
def seq2seq(source: tuple, target: tuple, score: str, seed: int, temperature: float):
    """Encoder and decoder states of a sentence pair and their alignment under one score function.

    Returns (H_e (n, 50), H_d (m, 50), {"scores", "weights", "contexts"}, embedding sources of
    the source and target tokens).
    """
    H_e, H_d = encoder_states(list(source)), decoder_states(list(target))
    # general: W = I (so it equals dot: an untrained W would score noise); additive: untrained, from a seed
    params = None if score == "dot" else score_params(score, D_MODEL, D_MODEL, seed=seed)
    aligned = alignment(H_d, H_e, score=score, params=params, temperature=temperature)
    return H_e, H_d, aligned, embed(list(source)).sources, embed(list(target)).sources


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
    rescaled to `spectral_radius`. Self-attention: identity projections, causal mask.
    """
    X = embed(list(tokens)).X
    w = init_weights("rnn", D_MODEL, hidden, seed)
    w["W_hh"] = with_spectral_radius(w["W_hh"], spectral_radius)
    return rnn_first_input_influence(X, **w), attention_first_input_influence(X, *identity_projections(D_MODEL))
