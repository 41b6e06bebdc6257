"""Encoder-decoder (seq2seq) attention in NumPy: the decoder looks back at the whole input.

At every step i where the decoder produces an output word, it scores each encoder state
against its own state, turns the scores into weights and reads a weighted average:

    score_ij  = score(h_d,i, h_e,j)          the query comes from the decoder,
    a_i       = softmax_j(score_ij)          the keys and values from the encoder
    context_i = Σ_j a_ij v_j                 (v_j = h_e,j unless values are given)

Three score functions (Luong et al. 2015; Bahdanau et al. 2015):
    dot       h_dᵀ h_e
    general   h_dᵀ W h_e
    additive  vᵀ tanh(W_1 h_e + W_2 h_d)

Conventions (as in core.attention): rows are time steps; NumPy in, NumPy out.

Dimensions:
    n    source length (encoder states)      d_e  width of an encoder state
    m    target length (decoder steps)       d_d  width of a decoder state
    d_a  width of the additive score's hidden layer
    d_v  width of a value vector (d_e when the values are the encoder states)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .attention import _as_float, _check_positive_int, softmax
from .embeddings import embed, tokenize

__all__ = [
    "SCORE_NAMES", "additive_score", "alignment", "attention_step", "decoder_states", "dot_score",
    "encoder_states", "general_score", "load_pairs", "score_params",
]

SCORE_NAMES = ("dot", "general", "additive")
PAIRS_PATH = Path(__file__).resolve().parent.parent / "data" / "pairs.json"


# --- score functions ----------------------------------------------------------------------


def _check_query(h_d: ArrayLike) -> np.ndarray:
    h_d = _as_float(h_d)
    if h_d.ndim not in (1, 2):
        raise ValueError(f"h_d has shape {h_d.shape} but must be (d_d,) for one step or (m, d_d) for m steps")
    return h_d


def _check_states(H_e: ArrayLike) -> np.ndarray:
    H_e = _as_float(H_e)
    if H_e.ndim != 2:
        raise ValueError(f"H_e has shape {H_e.shape} but must be 2-D (n, d_e), one row per source word")
    return H_e


def dot_score(h_d: ArrayLike, H_e: ArrayLike) -> np.ndarray:
    """Dot score: how much decoder state h_d agrees with each encoder state.

        score_j = h_dᵀ h_e,j

    Args:
        h_d: (d,) one decoder state, or (m, d) for m decoder steps at once.
        H_e: (n, d) encoder states.
    Returns:
        (n,) or (m, n) scores.
    """
    h_d, H_e = _check_query(h_d), _check_states(H_e)
    if h_d.shape[-1] != H_e.shape[1]:
        raise ValueError(
            f"h_d has shape {h_d.shape} but H_e has shape {H_e.shape}: "
            "the dot score needs states of one width d (the last dimensions must match)"
        )
    return h_d @ H_e.T  # (..., d) x (d, n) -> (..., n)


def general_score(h_d: ArrayLike, H_e: ArrayLike, W: ArrayLike) -> np.ndarray:
    """Luong's general (bilinear) score: a dot score after mapping encoder space to decoder space.

        score_j = h_dᵀ W h_e,j

    With W = I (and d_d = d_e) it is the dot score.

    Args:
        h_d: (d_d,) or (m, d_d) decoder states.
        H_e: (n, d_e) encoder states.
        W: (d_d, d_e).
    Returns:
        (n,) or (m, n) scores.
    """
    h_d, H_e, W = _check_query(h_d), _check_states(H_e), _as_float(W)
    if W.shape != (h_d.shape[-1], H_e.shape[1]):
        raise ValueError(
            f"h_d has shape {h_d.shape}, H_e has shape {H_e.shape} and W has shape {W.shape}: "
            f"W must be (d_d, d_e) = ({h_d.shape[-1]}, {H_e.shape[1]})"
        )
    keys = H_e @ W.T  # (n, d_e) x (d_e, d_d) -> (n, d_d), row j = W h_e,j
    return h_d @ keys.T  # (..., d_d) x (d_d, n) -> (..., n)


def additive_score(h_d: ArrayLike, H_e: ArrayLike, W_1: ArrayLike, W_2: ArrayLike, v: ArrayLike) -> np.ndarray:
    """Bahdanau's additive score: a one-hidden-layer network of both states.

        score_j = vᵀ tanh(W_1 h_e,j + W_2 h_d)

    (Bahdanau feed the decoder's previous state; here h_d is whatever query is passed.)

    Args:
        h_d: (d_d,) or (m, d_d) decoder states.
        H_e: (n, d_e) encoder states.
        W_1: (d_a, d_e); W_2: (d_a, d_d); v: (d_a,).
    Returns:
        (n,) or (m, n) scores.
    """
    h_d, H_e = _check_query(h_d), _check_states(H_e)
    W_1, W_2, v = _as_float(W_1), _as_float(W_2), _as_float(v)
    d_a = v.shape[0] if v.ndim == 1 else -1
    if v.ndim != 1 or W_1.shape != (d_a, H_e.shape[1]) or W_2.shape != (d_a, h_d.shape[-1]):
        raise ValueError(
            f"h_d has shape {h_d.shape}, H_e has shape {H_e.shape}, W_1 has shape {W_1.shape}, "
            f"W_2 has shape {W_2.shape} and v has shape {v.shape}: need v (d_a,), "
            f"W_1 (d_a, d_e) = (d_a, {H_e.shape[1]}) and W_2 (d_a, d_d) = (d_a, {h_d.shape[-1]})"
        )
    keys = H_e @ W_1.T  # (n, d_e) x (d_e, d_a) -> (n, d_a), row j = W_1 h_e,j
    query = h_d @ W_2.T  # (..., d_d) x (d_d, d_a) -> (..., d_a)
    hidden = np.tanh(keys + query[..., None, :])  # (n, d_a) + (..., 1, d_a) -> (..., n, d_a)
    return hidden @ v  # (..., n, d_a) x (d_a,) -> (..., n)


# --- parameters -------------------------------------------------------------------------------


def _check_score_name(score: str) -> str:
    if score not in SCORE_NAMES:
        raise ValueError(f"score must be one of {', '.join(map(repr, SCORE_NAMES))}, got {score!r}")
    return score


def score_params(
    score: str, d_d: int, d_e: int, d_a: int | None = None, seed: int = 0, random: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Deterministic parameters for a score function, in the form `attention_step` takes.

        dot       None (nothing to learn)
        general   W = I when d_d == d_e and not `random`, so general == dot;
                  otherwise W ~ N(0, 1/d_e), shape (d_d, d_e)
        additive  W_1 ~ N(0, 1/d_e) (d_a, d_e),  W_2 ~ N(0, 1/d_d) (d_a, d_d),  v ~ N(0, 1/d_a) (d_a,)

    Variance 1/fan-in keeps W h about the scale of h's entries (as core.attention's
    random_projections). Random parameters are untrained: their scores say nothing about
    meaning, they only show the mechanics. Draws come from np.random.default_rng(seed),
    in the order W (general) or W_1, W_2, v (additive).

    Args:
        score: "dot" | "general" | "additive".
        d_d, d_e: widths of a decoder and an encoder state.
        d_a: additive hidden width, default d_e (ignored by the other scores).
        seed: for np.random.default_rng.
        random: general only: draw W at random even when d_d == d_e.
    Returns:
        None, W (d_d, d_e), or (W_1, W_2, v).
    """
    _check_score_name(score)
    d_d, d_e = _check_positive_int("d_d", d_d), _check_positive_int("d_e", d_e)
    rng = np.random.default_rng(seed)
    if score == "dot":
        return None
    if score == "general":
        if d_d == d_e and not random:
            return np.eye(d_d)
        return rng.normal(0.0, 1.0 / math.sqrt(d_e), size=(d_d, d_e))
    d_a = d_e if d_a is None else _check_positive_int("d_a", d_a)
    W_1 = rng.normal(0.0, 1.0 / math.sqrt(d_e), size=(d_a, d_e))
    W_2 = rng.normal(0.0, 1.0 / math.sqrt(d_d), size=(d_a, d_d))
    v = rng.normal(0.0, 1.0 / math.sqrt(d_a), size=d_a)
    return W_1, W_2, v


def _scores(h_d: np.ndarray, H_e: np.ndarray, score: str, params) -> np.ndarray:
    """Dispatch to the named score function; params None means score_params' defaults."""
    _check_score_name(score)
    if score == "dot":
        if params is not None:
            raise ValueError("the dot score takes no params (pass params=None)")
        return dot_score(h_d, H_e)
    if params is None:
        params = score_params(score, h_d.shape[-1], H_e.shape[1])
    if score == "general":
        return general_score(h_d, H_e, params)
    if not isinstance(params, (tuple, list)) or len(params) != 3:
        raise ValueError("the additive score takes params = (W_1, W_2, v)")
    return additive_score(h_d, H_e, *params)


# --- attention ----------------------------------------------------------------------------------


def _attend(h_d: np.ndarray, H_e: ArrayLike, score: str, params, V: ArrayLike | None, temperature: float):
    """Shared core of attention_step (h_d (d_d,)) and alignment (h_d (m, d_d)).

    Returns scores (..., n), weights (..., n) and context (..., d_v).
    """
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"temperature must be finite and > 0, got {temperature!r}")
    H_e = _check_states(H_e)
    if H_e.shape[0] == 0:
        raise ValueError(f"H_e has shape {H_e.shape}: attention needs at least one encoder state")
    V = H_e if V is None else _as_float(V)
    if V.ndim != 2 or V.shape[0] != H_e.shape[0]:
        raise ValueError(
            f"H_e has shape {H_e.shape} but V has shape {V.shape}: "
            "V must be 2-D (n, d_v) with one value per encoder state"
        )
    scores = _scores(h_d, H_e, score, params)  # (..., n)
    # temperature < 1 sharpens the weights (cosine scores lie in [-1, 1], a narrow range)
    weights = softmax(scores / t, axis=-1)  # (..., n), sums to 1 over the source words
    context = weights @ V  # (..., n) x (n, d_v) -> (..., d_v)
    return scores, weights, context


def attention_step(
    h_d: ArrayLike, H_e: ArrayLike, score: str = "dot", params=None, V: ArrayLike | None = None,
    temperature: float = 1.0,
) -> dict:
    """One decoder step: score every encoder state, softmax, read the weighted average.

        scores_j = score(h_d, h_e,j)              (n,)
        weights  = softmax(scores / temperature)  (n,), sums to 1
        context  = Σ_j weights_j V_j     (d_v,)

    Args:
        h_d: (d_d,) the decoder state (the query).
        H_e: (n, d_e) encoder states (the keys).
        score: "dot" | "general" | "additive".
        params: W for "general", (W_1, W_2, v) for "additive", None for "dot";
            None for the others means score_params(score, d_d, d_e).
        V: (n, d_v) values, default H_e.
        temperature: finite, > 0; divides the scores before the softmax (1 = plain softmax).
    Returns:
        dict with scores (n,), weights (n,) and context (d_v,); row i of `alignment`.
    """
    h_d = _as_float(h_d)
    if h_d.ndim != 1:
        raise ValueError(f"h_d has shape {h_d.shape} but must be 1-D (d_d,); use alignment for (m, d_d)")
    scores, weights, context = _attend(h_d, H_e, score, params, V, temperature)
    return {"scores": scores, "weights": weights, "context": context}


def alignment(
    H_d: ArrayLike, H_e: ArrayLike, score: str = "dot", params=None, V: ArrayLike | None = None,
    temperature: float = 1.0,
) -> dict:
    """Every decoder step at once: the alignment matrix between target and source words.

        scores[i, j]  = score(h_d,i, h_e,j)                (m, n)
        weights[i]    = softmax(scores[i] / temperature)   (m, n), each row sums to 1
        contexts[i]   = weights[i] V          (m, d_v)

    Args:
        H_d: (m, d_d) decoder states, one per output step.
        H_e, score, params, V, temperature: as in attention_step.
    Returns:
        dict with scores (m, n), weights (m, n) and contexts (m, d_v).
    """
    H_d = _as_float(H_d)
    if H_d.ndim != 2:
        raise ValueError(f"H_d has shape {H_d.shape} but must be 2-D (m, d_d); use attention_step for (d_d,)")
    scores, weights, contexts = _attend(H_d, H_e, score, params, V, temperature)
    return {"scores": scores, "weights": weights, "contexts": contexts}


# --- states that mean something -------------------------------------------------------------


def _word_states(tokens: list[str] | str) -> np.ndarray:
    tokens = tokenize(tokens) if isinstance(tokens, str) else list(tokens)
    X = embed(tokens).X  # (n, 50) GloVe rows; Korean words take their English gloss's row
    norms = np.linalg.norm(X, axis=1, keepdims=True)  # (n, 1)
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)  # (n, 50), unit rows


def encoder_states(tokens: list[str] | str) -> np.ndarray:
    """Encoder states for a source sentence: each word's GloVe vector scaled to length 1.

        h_e,j = x_j / ‖x_j‖,   x_j = GloVe(word j)

    A Korean word uses the GloVe vector of its English gloss (core.embeddings.embed;
    "고양이가" -> "cat"), so words of either language live in one space and a dot score
    is a cosine similarity in [-1, 1]: a word and its translation score exactly 1.
    No recurrence: a state carries no context from its neighbours. Unit length keeps
    frequent short words (large GloVe norms, e.g. "i") from winning every dot score; the
    price is mild weights (scores lie in [-1, 1]), so a page may multiply states by a
    constant to sharpen the softmax.

    Args:
        tokens: source tokens (from `tokenize`), or a str, which is tokenized.
    Returns:
        (n, 50) float64 with unit rows; (0, 50) for no tokens.
    """
    return _word_states(tokens)


def decoder_states(tokens: list[str] | str) -> np.ndarray:
    """Decoder states for a target sentence under teacher forcing: row i stands for word i.

        h_d,i = y_i / ‖y_i‖,   y_i = GloVe(target word i)

    A trained decoder's state at step i is the one about to produce target word i; here
    that state is idealised as the unit GloVe vector of word i itself, made exactly as in
    `encoder_states`, so the query at step i asks "which source word means what I am
    producing now?".

    Args:
        tokens: target tokens (from `tokenize`), or a str, which is tokenized.
    Returns:
        (m, 50) float64 with unit rows; (0, 50) for no tokens.
    """
    return _word_states(tokens)


def load_pairs(path: str | Path | None = None) -> list[dict[str, str]]:
    """The built-in sentence pairs: dicts with source, target, source_lang, target_lang.

    Args:
        path: a JSON list of such dicts; default data/pairs.json.
    Returns:
        a new list (safe to modify) in file order.
    """
    return json.loads(Path(PAIRS_PATH if path is None else path).read_text(encoding="utf-8"))
