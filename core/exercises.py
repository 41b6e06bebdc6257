"""Review exercises with new numbers from every seed, answers computed by `core` itself.

Numeric exercises return a dict: the numbers the question shows, `answer` and `tolerance` (a
reply r is right when |r - answer| <= tolerance), and the intermediate values a learner needs
to see how the answer is computed. Live-chart exercises (`most_weight`, `vanishing`) run the
pages' own computation on new numbers and return what the chart draws and `answer`, the option
that is right. Everything is plain Python (lists, floats, ints), so the page can show it and
the tests can recompute it.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

from core.attention import random_projections, scaled_dot_product_attention, self_attention, softmax
from core.embeddings import embed, tokenize
from core.memory import with_spectral_radius
from core.recurrent import count_parameters, gradient_norms, init_weights, sigmoid

TOLERANCE = 0.01  # weights are asked to two decimals
SCORE_CHOICES = np.arange(-2.0, 3.01, 0.5)  # scores a learner can exponentiate by hand
GRU_INPUTS = (10, 8, 16, 32, 50)
GRU_HIDDENS = (20, 4, 16, 32, 64)


def softmax_exercise(seed: int) -> dict:
    """Three scores s; the weight softmax(s)_k = e^{s_k} / Σ_j e^{s_j} of one of them."""
    rng = np.random.default_rng(seed)
    scores = rng.choice(SCORE_CHOICES, size=3, replace=False)  # (3,)
    k = int(rng.integers(3))
    weights = softmax(scores)  # (3,)
    return {"scores": scores.tolist(), "index": k, "exps": np.exp(scores).tolist(),
            "weights": weights.tolist(), "answer": float(weights[k]), "tolerance": TOLERANCE}


def attention_weight_exercise(seed: int) -> dict:
    """Three tokens with small integer queries and keys (d_k = 2 or 3): the weight a_ij that
    token i gives token j, a_i = softmax(q_i Kᵀ / √d_k)."""
    rng = np.random.default_rng(seed)
    d_k = int(rng.integers(2, 4))
    Q = rng.integers(-2, 3, size=(3, d_k)).astype(float)  # (3, d_k)
    K = rng.integers(-2, 3, size=(3, d_k)).astype(float)  # (3, d_k)
    i, j = (int(x) for x in rng.integers(3, size=2))
    _, weights = scaled_dot_product_attention(Q, K, K)  # (3, 3); V does not change the weights
    scores = Q[i] @ K.T  # (d_k,) x (d_k, 3) -> (3,)
    return {"d_k": d_k, "Q": Q.astype(int).tolist(), "K": K.astype(int).tolist(), "i": i, "j": j,
            "scores": scores.tolist(), "scaled": (scores / np.sqrt(d_k)).tolist(),
            "weights": weights[i].tolist(), "answer": float(weights[i, j]), "tolerance": TOLERANCE}


def gru_params_exercise(seed: int) -> dict:
    """The parameter count of a one-layer torch.nn.GRU: 3·h·(x + h) + 2·3·h (two biases per gate).
    The first seed asks the notes' own sizes, input 10 and hidden 20."""
    rng = np.random.default_rng(seed)
    x, h = (10, 20) if seed == 0 else (int(rng.choice(GRU_INPUTS)), int(rng.choice(GRU_HIDDENS)))
    return {"input": x, "hidden": h, "weights": 3 * h * (x + h), "biases": 2 * 3 * h,
            "answer": count_parameters("gru", x, h), "tolerance": 0}


def lstm_params_exercise(seed: int) -> dict:
    """The parameter count of a one-layer torch.nn.LSTM: 4·h·(x + h) + 2·4·h (i, f, g, o blocks)."""
    rng = np.random.default_rng(seed)
    x, h = int(rng.choice(GRU_INPUTS)), int(rng.choice(GRU_HIDDENS))
    return {"input": x, "hidden": h, "weights": 4 * h * (x + h), "biases": 2 * 4 * h,
            "answer": count_parameters("lstm", x, h), "tolerance": 0}


def forget_gate_exercise(seed: int) -> dict:
    """One unit's forget gate from small numbers: f = σ(w_x·x + w_h·h + b)."""
    rng = np.random.default_rng(seed)
    w_x, w_h = (float(v) for v in rng.choice(np.arange(-2.0, 2.01, 0.5), size=2))
    b = float(rng.choice([-1.0, 0.0, 1.0, 2.0]))
    x, h = float(rng.choice([-1.0, 0.5, 1.0, 2.0])), float(rng.choice([-1.0, -0.5, 0.5, 1.0]))
    a = w_x * x + w_h * h + b
    return {"w_x": w_x, "w_h": w_h, "b": b, "x": x, "h": h, "a": a,
            "answer": float(sigmoid(a)), "tolerance": TOLERANCE}


def lstm_cell_exercise(seed: int) -> dict:
    """One unit's new cell state from its gates: c_t = f·c_(t-1) + i·c̃ (two-decimal gates)."""
    rng = np.random.default_rng(seed)
    f, i = (float(v) for v in np.round(rng.uniform(0.05, 0.95, size=2), 2))
    c_tilde = float(np.round(rng.uniform(-0.95, 0.95), 2))
    c_prev = float(rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0]))
    return {"f": f, "i": i, "c_tilde": c_tilde, "c_prev": c_prev, "kept": f * c_prev, "written": i * c_tilde,
            "answer": f * c_prev + i * c_tilde, "tolerance": TOLERANCE}


def gru_state_exercise(seed: int) -> dict:
    """One unit's new hidden state of a GRU: h_t = (1 − z)·n + z·h_(t-1), PyTorch's convention."""
    rng = np.random.default_rng(seed)
    z = float(np.round(rng.uniform(0.05, 0.95), 2))
    n = float(np.round(rng.uniform(-0.95, 0.95), 2))
    h_prev = float(rng.choice([-1.0, -0.5, 0.5, 1.0]))
    return {"z": z, "n": n, "h_prev": h_prev, "answer": (1 - z) * n + z * h_prev, "tolerance": TOLERANCE}


EXERCISES = {"softmax": softmax_exercise, "attention_weight": attention_weight_exercise,
             "gru_params": gru_params_exercise, "lstm_params": lstm_params_exercise,
             "forget_gate": forget_gate_exercise, "lstm_cell": lstm_cell_exercise,
             "gru_state": gru_state_exercise}


def make_exercise(kind: str, seed: int) -> dict:
    """The exercise of `kind` (a key of EXERCISES) drawn from `seed`."""
    return EXERCISES[kind](seed)


def is_right(exercise: dict, reply: float | None) -> bool:
    """Whether `reply` is within the exercise's tolerance of its answer (no reply is wrong)."""
    return reply is not None and bool(np.isfinite(reply)) and abs(reply - exercise["answer"]) <= exercise["tolerance"]


MAX_REPLY = 40  # characters: longer is not a number anyone types
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_number(text: str) -> float | None:
    """The number a learner typed, or None: "0.25", ".25", "0,25" (a decimal comma), "1,920" and
    "1 920" (thousands), full-width digits and the minus sign "−" all read as they are meant."""
    if not isinstance(text, str) or len(text) > MAX_REPLY:
        return None
    s = unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-").replace(" ", "").replace("_", "")
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    elif s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None


# --- live charts: the pages' computation on new numbers ------------------------------------

D_K = 8  # the self-attention page's default key width
MARGIN = 0.25  # the top scaled score beats the runner-up by this much: readable on a bar chart


def most_weight_exercise(seed: int, sentences: list[str]) -> dict:
    """The self-attention page's scores for one query, with random projections from the seed:
    which key gets the most weight? softmax is increasing, so it is the key with the top score.

    Returns tokens, query (its position), scaled (n,) = q·kⱼ/√d_k, weights (n,), options (four key
    positions: the top one, the runner-up, the query itself or the lowest score, in key order),
    answer (the top key's position) and random (n,): which tokens GloVe lacks (random vectors).
    """
    rng = np.random.default_rng(seed)
    for _ in range(100):
        tokens = tokenize(sentences[int(rng.integers(len(sentences)))])[:12]
        W_q, W_k, W_v = random_projections(50, D_K, int(rng.integers(2**31)))
        emb = embed(tokens)
        steps = self_attention(emb.X, W_q, W_k, W_v)
        i = int(rng.integers(len(tokens)))
        scaled = steps["scaled_scores"][i]  # (n,)
        order = np.argsort(-scaled)
        if len(tokens) >= 4 and scaled[order[0]] - scaled[order[1]] >= MARGIN:
            break
    top, runner_up = int(order[0]), int(order[1])
    # the misconceptions: the runner-up bar, the query's own key, the bar furthest from zero below it
    options = sorted(list(dict.fromkeys([top, runner_up, i, int(order[-1]), int(order[2])]))[:4])
    return {"tokens": tokens, "query": i, "scaled": scaled.tolist(), "weights": steps["weights"][i].tolist(),
            "options": options, "answer": top, "random": [src == "fallback" for src in emb.sources]}


VANISH, KEEP, EXPLODE = "vanishes", "neither", "explodes"
RADII = (0.5, 0.8, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0)


def vanishing_exercise(seed: int, sentence: str) -> dict:
    """The RNN page's ‖∂h_T/∂h_t‖ over a sentence, for a spectral radius and weights from the seed:
    does the gradient vanish (the first word's falls below 1% of the nearest one's, at distance 1), explode (above
    100×), or neither (within 10× either way)? Draws in between are skipped: no borderline cases.

    Returns tokens, radius, seed_weights, distance (T − 1,) = T − t and norms (T − 1,) for the
    states h_1 … h_(T−1) after each word, ratio (h_1's / h_(T−1)'s) and answer (one of VANISH,
    KEEP, EXPLODE), and random (T,): which tokens GloVe lacks (random vectors).
    """
    tokens = tokenize(sentence)[:40]
    emb = embed(tokens)
    X = emb.X  # (T, 50)
    rng = np.random.default_rng(seed)
    for _ in range(100):
        radius, w_seed = float(rng.choice(RADII)), int(rng.integers(1000))
        w = init_weights("rnn", 50, 16, w_seed)
        w["W_hh"] = with_spectral_radius(w["W_hh"], radius)
        norms = gradient_norms("rnn", X, None, w)["hidden"][1:]  # (T - 1,): t = 1..T-1, h_0 is no word's
        ratio = float(norms[0] / norms[-1])
        answer = VANISH if ratio < 1e-2 else EXPLODE if ratio > 1e2 else KEEP if 0.1 <= ratio <= 10 else None
        if answer is not None and (answer != VANISH or rng.random() < 0.5):  # fewer "vanishes": most draws vanish
            break
    T = len(tokens)
    return {"tokens": tokens, "radius": radius, "seed_weights": w_seed, "distance": list(range(T - 1, 0, -1)),
            "norms": norms.tolist(), "ratio": ratio, "answer": answer,
            "random": [src == "fallback" for src in emb.sources]}
