"""Scaled dot-product self-attention in NumPy, one equation at a time.

Conventions (as in "Attention Is All You Need", nanoGPT and PyTorch):
    - rows are tokens: X has shape (n, d_model) and Q = X @ W_q with W_q of shape (d_model, d_k);
    - a boolean mask is True where a query may attend to a key;
    - NumPy in, NumPy out; leading batch dimensions "..." broadcast.

Dimensions:
    n        number of tokens (n_q queries and n_k keys when they differ)
    d_model  width of a token embedding
    d_k      width of a query / key vector
    d_v      width of a value vector
    H        number of heads, each of width d_head = d_model / H
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "causal_mask", "identity_projections", "multi_head_attention", "random_projections",
    "scaled_dot_product_attention", "self_attention", "self_attention_jacobian", "softmax",
    "softmax_saturation",
]


def _as_float(a: ArrayLike) -> np.ndarray:
    """Return `a` as an array, keeping float dtypes and promoting ints and bools to float64."""
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along `axis`, safe for large scores and for -inf (masked-out) entries.

        softmax(x)_i = exp(x_i - m) / Σ_j exp(x_j - m),   m = max_j x_j

    Subtracting the max changes nothing (softmax is shift invariant) but keeps every
    exponent <= 0, so exp never overflows. -inf entries get weight exactly 0, and a slice
    that is entirely -inf (a query allowed to see nothing) gives zeros, not NaN.
    +inf and NaN are not supported.

    Args:
        x: array of any shape, finite or -inf.
        axis: the axis to normalise over.
    Returns:
        array of x's shape (float64 for float64 or integer input), non-negative, summing
        to 1 along `axis` (to 0 for an all -inf slice).
    """
    x = _as_float(x)
    m = np.max(x, axis=axis, keepdims=True)
    # An all -inf slice has m = -inf, and -inf - (-inf) is NaN; shifting it by 0 instead
    # gives exp(-inf) = 0 everywhere, which the guarded division below turns into zeros.
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(x - m)
    total = np.sum(e, axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def causal_mask(n: int) -> np.ndarray:
    """Mask that lets token i attend to tokens 0..i only (no looking ahead).

        mask[i, j] = (j <= i)

    Args:
        n: number of tokens.
    Returns:
        (n, n) bool, lower triangular including the diagonal; True = may attend.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return np.tri(n, dtype=bool)


def _check_mask(mask: ArrayLike, scores_shape: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        # An int or float mask is ambiguous (0/1 keep-mask? additive -inf bias?): refuse it.
        raise ValueError(f"mask must be boolean (True = may attend), got dtype {mask.dtype}")
    try:
        fits = np.broadcast_shapes(mask.shape, scores_shape) == scores_shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"mask has shape {mask.shape} but the scores have shape {scores_shape}: "
            "the mask must broadcast to (..., n_q, n_k)"
        )
    return mask


def _attend(Q, K, V, mask, temperature):
    """Shared core of scaled_dot_product_attention and self_attention.

        scores = Q Kᵀ
        scaled_scores = scores / (√d_k · temperature), set to -inf where mask is False
        weights = softmax(scaled_scores),   output = weights V

    Returns (scores, scaled_scores, weights, output) with shapes
    (..., n_q, n_k), (..., n_q, n_k), (..., n_q, n_k), (..., n_q, d_v).
    """
    Q, K, V = _as_float(Q), _as_float(K), _as_float(V)
    if Q.ndim < 2 or K.ndim < 2 or V.ndim < 2:
        raise ValueError(
            f"Q, K and V need at least 2 dimensions (..., tokens, features) but have shapes "
            f"{Q.shape}, {K.shape} and {V.shape}"
        )
    if Q.shape[-1] != K.shape[-1]:
        raise ValueError(f"Q has shape {Q.shape} but K has shape {K.shape}: the last dimensions (d_k) must match")
    if K.shape[-2] != V.shape[-2]:
        raise ValueError(
            f"K has shape {K.shape} but V has shape {V.shape}: "
            "the second-to-last dimensions (n_k, one value per key) must match"
        )
    try:
        np.broadcast_shapes(Q.shape[:-2], K.shape[:-2], V.shape[:-2])
    except ValueError:
        raise ValueError(
            f"Q, K and V have shapes {Q.shape}, {K.shape} and {V.shape}: "
            "their leading batch dimensions must broadcast"
        ) from None
    d_k = Q.shape[-1]
    if d_k == 0:
        raise ValueError(f"Q has shape {Q.shape}: d_k must be at least 1")
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"temperature must be finite and > 0, got {temperature!r}")

    scores = Q @ K.swapaxes(-1, -2)  # (..., n_q, d_k) x (..., d_k, n_k) -> (..., n_q, n_k)
    # q·k of vectors with unit-variance entries has variance d_k; dividing by √d_k brings it
    # back to 1 so the softmax does not saturate as d_k grows (see softmax_saturation).
    # temperature > 1 flattens the weights, < 1 sharpens them.
    scaled_scores = scores / (math.sqrt(d_k) * t)
    if mask is not None:
        mask = _check_mask(mask, scores.shape)
        scaled_scores = np.where(mask, scaled_scores, -np.inf)
    weights = softmax(scaled_scores, axis=-1)  # (..., n_q, n_k), each row sums to 1
    output = weights @ V  # (..., n_q, n_k) x (..., n_k, d_v) -> (..., n_q, d_v)
    return scores, scaled_scores, weights, output


def scaled_dot_product_attention(
    Q: ArrayLike, K: ArrayLike, V: ArrayLike, mask: ArrayLike | None = None, temperature: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Attention(Q, K, V) = softmax(Q Kᵀ / (√d_k · temperature)) V.

    Args:
        Q: (..., n_q, d_k) queries.
        K: (..., n_k, d_k) keys.
        V: (..., n_k, d_v) values.
        mask: bool, broadcastable to (..., n_q, n_k); True where a query may attend to a
            key. Masked-out scores become -inf before the softmax, so their weight is 0.
        temperature: finite, > 0; divides the scaled scores (1 = standard attention).
    Returns:
        output (..., n_q, d_v) and weights (..., n_q, n_k).
    """
    _, _, weights, output = _attend(Q, K, V, mask, temperature)
    return output, weights


def _project(X: np.ndarray, W: ArrayLike, name: str) -> np.ndarray:
    W = _as_float(W)
    if W.ndim != 2 or W.shape[0] != X.shape[1]:
        raise ValueError(
            f"X has shape {X.shape} but {name} has shape {W.shape}: "
            f"{name} must be 2-D with first dimension d_model = {X.shape[1]}"
        )
    return X @ W  # (n, d_model) x (d_model, d_out) -> (n, d_out)


def _check_tokens(X: ArrayLike) -> np.ndarray:
    X = _as_float(X)
    if X.ndim != 2:
        raise ValueError(f"X has shape {X.shape} but must be 2-D (n, d_model)")
    return X


def weighted_values(weights: ArrayLike, V: ArrayLike) -> np.ndarray:
    """Step 6 of self-attention, unsummed: each value vector scaled by its weight.

        weighted_values[..., j, :] = weights[..., j] · V[j]

    Args:
        weights: (..., n) attention weights, e.g. one query's row (n,) or all of them (n, n).
        V: (n, d_v) value vectors.
    Returns:
        (..., n, d_v); summed over its second-last axis it is the output, weights V.
    """
    return np.asarray(weights)[..., :, None] * np.asarray(V)  # (..., n, 1) * (n, d_v) -> (..., n, d_v)


def self_attention(
    X: ArrayLike, W_q: ArrayLike, W_k: ArrayLike, W_v: ArrayLike,
    mask: ArrayLike | None = None, temperature: float = 1.0, unsummed: bool = True,
) -> dict:
    """Self-attention of a sequence with itself, returning every intermediate by name.

        1. X                                              (n, d_model)
        2. Q = X W_q,  K = X W_k,  V = X W_v              (n, d_k), (n, d_k), (n, d_v)
        3. scores = Q Kᵀ                                  (n, n)
        4. scaled_scores = scores / (√d_k · temperature)  (n, n), -inf where mask is False
        5. weights = softmax(scaled_scores)               (n, n), rows sum to 1
        6. weighted_values[i, j] = weights[i, j] · V[j]   (n, n, d_v) query x key x feature
        7. output[i] = Σ_j weighted_values[i, j]          (n, d_v), equal to weights V

    Temperature divides in step 4 (not inside a softmax call) so that
    weights == softmax(scaled_scores) holds exactly, mask included.

    Args:
        X: (n, d_model) token vectors.
        W_q, W_k: (d_model, d_k) projections; W_v: (d_model, d_v).
        mask: bool, broadcastable to (n, n); True = may attend (e.g. causal_mask(n)).
        temperature: finite, > 0.
        unsummed: also return step 6's weighted_values, n² · d_v numbers (26 MB at 256 tokens
            and d_v = 50); False leaves it out: `weighted_values(weights[i], V)` gives one query's.
    Returns:
        dict with keys X, Q, K, V, scores, scaled_scores, weights, weighted_values (unless
        unsummed is False), output (arrays, shapes above) and d_k (int).
    """
    X = _check_tokens(X)
    Q = _project(X, W_q, "W_q")  # (n, d_k)
    K = _project(X, W_k, "W_k")  # (n, d_k)
    V = _project(X, W_v, "W_v")  # (n, d_v)
    if Q.shape[1] != K.shape[1]:
        raise ValueError(
            f"W_q has shape {np.shape(W_q)} but W_k has shape {np.shape(W_k)}: "
            "queries and keys need the same width d_k"
        )
    scores, scaled_scores, weights, output = _attend(Q, K, V, mask, temperature)
    steps = {"X": X, "Q": Q, "K": K, "V": V, "scores": scores, "scaled_scores": scaled_scores,
             "weights": weights, "output": output, "d_k": int(Q.shape[1])}
    if unsummed:  # kept unsummed so a learner can see how much each key contributes to each output
        steps["weighted_values"] = weighted_values(weights, V)  # (n, n, d_v)
    return steps


def self_attention_jacobian(
    X: ArrayLike, W_q: ArrayLike, W_k: ArrayLike, W_v: ArrayLike, i: int, j: int,
    mask: ArrayLike | None = None, temperature: float = 1.0,
) -> np.ndarray:
    """How the output of token i moves with the input of token j: the exact ∂z_i/∂x_j.

    With z_i = Σ_l a_il v_l, a_il = softmax_l(q_i·k_l / c) and c = √d_k · temperature:

        ∂z_i/∂x_j = a_ij W_vᵀ                                  (through v_j)
                  + (a_ij / c) (v_j − z_i) (W_k q_i)ᵀ            (through k_j, via the weights)
                  + [i = j] (1/c) Σ_l a_il (v_l − z_i) k_lᵀ W_qᵀ  (through q_i, when j is the query)

    One matrix product away whatever the distance between i and j: this is the "one step"
    that lets self-attention keep early information (a recurrence needs |i − j| steps).

    Args:
        X: (n, d_model); W_q, W_k: (d_model, d_k); W_v: (d_model, d_v).
        i: the output (query) token; j: the input token.
        mask, temperature: as in self_attention.
    Returns:
        (d_v, d_model) Jacobian.
    """
    steps = self_attention(X, W_q, W_k, W_v, mask=mask, temperature=temperature)
    n = steps["X"].shape[0]
    if not (0 <= i < n and 0 <= j < n):
        raise ValueError(f"i = {i} and j = {j} must be token indices of X with shape {steps['X'].shape}")
    Q, K, V, Z = steps["Q"], steps["K"], steps["V"], steps["output"]  # (n, d_k), (n, d_k), (n, d_v), (n, d_v)
    W_q, W_k, W_v = _as_float(W_q), _as_float(W_k), _as_float(W_v)
    a = steps["weights"][i]  # (n,) the weights of query i
    c = math.sqrt(steps["d_k"]) * float(temperature)
    J = a[j] * W_v.T  # (d_v, d_model)
    J = J + (a[j] / c) * np.outer(V[j] - Z[i], W_k @ Q[i])  # (d_v,) x (d_model,) -> (d_v, d_model)
    if i == j:
        spread = (a[:, None] * (V - Z[i])).T @ K  # (d_v, n) x (n, d_k) -> (d_v, d_k)
        J = J + spread @ W_q.T / c  # (d_v, d_k) x (d_k, d_model) -> (d_v, d_model)
    return J


def multi_head_attention(
    X: ArrayLike, W_q: ArrayLike, W_k: ArrayLike, W_v: ArrayLike, W_o: ArrayLike, num_heads: int,
    mask: ArrayLike | None = None, temperature: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """H attention heads on slices of width d_head = d_model / H, concatenated and mixed by W_o.

        head_h = Attention(Q[:, h·d_head:(h+1)·d_head], K[:, same], V[:, same]),  Q = X W_q, ...
        MultiHead(X) = concat(head_1, ..., head_H) W_o

    Each head scales its scores by √d_head, its own key width, as in the Transformer paper.

    Args:
        X: (n, d_model) token vectors.
        W_q, W_k, W_v, W_o: (d_model, d_model) projections.
        num_heads: H, must divide d_model.
        mask: bool, broadcastable to (H, n, n); an (n, n) mask applies to every head.
        temperature: finite, > 0.
    Returns:
        output (n, d_model) and weights (H, n, n).
    """
    X = _check_tokens(X)
    n, d_model = X.shape
    H = _check_positive_int("num_heads", num_heads)
    if d_model % H:
        raise ValueError(f"num_heads = {H} does not divide d_model = {d_model}")
    for name, W in (("W_q", W_q), ("W_k", W_k), ("W_v", W_v), ("W_o", W_o)):
        if np.shape(W) != (d_model, d_model):
            raise ValueError(
                f"X has shape {X.shape} but {name} has shape {np.shape(W)}: "
                f"{name} must be ({d_model}, {d_model}) = (d_model, d_model)"
            )
    d_head = d_model // H

    # Head h owns columns h*d_head:(h+1)*d_head; moving heads to the front lets one
    # batched attention call process all of them at once.
    Q = (X @ _as_float(W_q)).reshape(n, H, d_head).transpose(1, 0, 2)  # (n, d_model) -> (H, n, d_head)
    K = (X @ _as_float(W_k)).reshape(n, H, d_head).transpose(1, 0, 2)  # (n, d_model) -> (H, n, d_head)
    V = (X @ _as_float(W_v)).reshape(n, H, d_head).transpose(1, 0, 2)  # (n, d_model) -> (H, n, d_head)
    heads, weights = scaled_dot_product_attention(Q, K, V, mask, temperature)  # (H, n, d_head), (H, n, n)
    concat = heads.transpose(1, 0, 2).reshape(n, d_model)  # (H, n, d_head) -> (n, H, d_head) -> (n, d_model)
    output = concat @ _as_float(W_o)  # (n, d_model) x (d_model, d_model) -> (n, d_model)
    return output, weights


def random_projections(
    d_model: int, d_k: int, seed: int, d_v: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random W_q, W_k, W_v with i.i.d. N(0, 1/d_model) entries, reproducible from `seed`.

        Var(Q_ij) = Σ_m Var(X_im) Var(W_mj) = d_model · Var(x) / d_model = Var(x)

    so Q, K and V keep about the scale of X.

    Args:
        d_model: rows of each projection; d_k: columns of W_q and W_k;
        seed: for np.random.default_rng; d_v: columns of W_v (default d_k).
    Returns:
        W_q (d_model, d_k), W_k (d_model, d_k), W_v (d_model, d_v).
    """
    d_model = _check_positive_int("d_model", d_model)
    d_k = _check_positive_int("d_k", d_k)
    d_v = d_k if d_v is None else _check_positive_int("d_v", d_v)
    rng = np.random.default_rng(seed)
    std = 1.0 / math.sqrt(d_model)
    W_q = rng.normal(0.0, std, size=(d_model, d_k))
    W_k = rng.normal(0.0, std, size=(d_model, d_k))
    W_v = rng.normal(0.0, std, size=(d_model, d_v))
    return W_q, W_k, W_v


def identity_projections(d_model: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W_q = W_k = W_v = I, so Q = K = V = X: attention on the raw embeddings.

    Returns three independent (d_model, d_model) identity matrices.
    """
    d_model = _check_positive_int("d_model", d_model)
    return np.eye(d_model), np.eye(d_model), np.eye(d_model)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    """log softmax(x) along the last axis, for finite x (no log(0) even when a weight underflows)."""
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax_saturation(
    d_k_values: ArrayLike, n_keys: int = 8, trials: int = 256, seed: int = 0
) -> dict[str, np.ndarray]:
    """Why divide by √d_k: how peaked softmax(q·k) gets as d_k grows, unscaled vs scaled.

        q, k ~ N(0, I_{d_k})  =>  q·k = Σ_i q_i k_i has mean 0 and variance d_k

    Unscaled scores spread as √d_k, so the softmax saturates toward one-hot (max weight -> 1,
    entropy -> 0, vanishing gradients); q·k / √d_k has variance 1 for every d_k.

    For each d_k, `trials` queries each meet `n_keys` keys. The draws are shared across d_k:
    a d_k-dimensional vector is the first d_k coordinates of one draw of width max(d_k),
    still i.i.d. N(0, 1), which makes the curves smooth in d_k and costs one draw in all.

    Args:
        d_k_values: 1-D positive integers.
        n_keys: keys per query; trials: queries per d_k; seed: for np.random.default_rng.
    Returns:
        dict of float64 arrays of shape (D,) = (len(d_k_values),): d_k, max_weight_unscaled,
        max_weight_scaled (mean over trials of the largest weight), entropy_unscaled,
        entropy_scaled (mean entropy in nats), score_std_unscaled, score_std_scaled.
    """
    d_k = np.asarray(d_k_values)
    if d_k.ndim != 1 or d_k.size == 0 or not np.all(d_k == np.round(d_k)) or np.any(d_k < 1):
        raise ValueError(f"d_k_values must be a non-empty 1-D array of positive integers, got {d_k_values!r}")
    d_k = d_k.astype(np.int64)
    n_keys = _check_positive_int("n_keys", n_keys)
    trials = _check_positive_int("trials", trials)

    rng = np.random.default_rng(seed)
    d_max = int(d_k.max())
    q = rng.standard_normal((trials, d_max))  # (trials, d_max)
    k = rng.standard_normal((trials, n_keys, d_max))  # (trials, n_keys, d_max)
    unscaled = np.stack([np.einsum("tkd,td->tk", k[..., :d], q[:, :d]) for d in d_k])  # (D, trials, n_keys)
    scaled = unscaled / np.sqrt(d_k)[:, None, None]  # (D, trials, n_keys)

    result = {"d_k": d_k.astype(np.float64)}
    for suffix, scores in (("unscaled", unscaled), ("scaled", scaled)):
        log_w = _log_softmax(scores)  # (D, trials, n_keys)
        w = np.exp(log_w)
        result[f"max_weight_{suffix}"] = w.max(axis=-1).mean(axis=-1)  # (D,)
        result[f"entropy_{suffix}"] = -(w * log_w).sum(axis=-1).mean(axis=-1)  # (D,)
        result[f"score_std_{suffix}"] = scores.reshape(len(d_k), -1).std(axis=-1)  # (D,)
    return result
