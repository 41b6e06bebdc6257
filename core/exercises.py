"""Numeric review exercises, new numbers from every seed, answers computed by `core` itself.

Each generator returns a dict: the numbers the question shows, `answer` and `tolerance` (a
reply r is right when |r - answer| <= tolerance), and the intermediate values a learner needs
to see how the answer is computed. Everything is plain Python (lists, floats, ints), so the
page can show it and the tests can recompute it.
"""

from __future__ import annotations

import numpy as np

from core.attention import scaled_dot_product_attention, softmax
from core.recurrent import count_parameters

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


EXERCISES = {"softmax": softmax_exercise, "attention_weight": attention_weight_exercise,
             "gru_params": gru_params_exercise}


def make_exercise(kind: str, seed: int) -> dict:
    """The exercise of `kind` (a key of EXERCISES) drawn from `seed`."""
    return EXERCISES[kind](seed)


def is_right(exercise: dict, reply: float | None) -> bool:
    """Whether `reply` is within the exercise's tolerance of its answer (no reply is wrong)."""
    return reply is not None and bool(np.isfinite(reply)) and abs(reply - exercise["answer"]) <= exercise["tolerance"]
