"""A Transformer encoder in NumPy: forward pass with every intermediate, backward pass by hand.

One layer (post-norm, as "Attention Is All You Need" and PyTorch's default
nn.TransformerEncoderLayer(norm_first=False, activation="relu", dropout=0)):

    x⁰ = X W_inᵀ + b_in + P[:T]                    input projection (nn.Linear) and positions
    Q, K, V = x W_qᵀ + b_q, x W_kᵀ + b_k, x W_vᵀ + b_v        split into H heads of d_head = d_model / H
    weights = softmax(Q Kᵀ / √d_head), -inf where mask is False      (B, H, T, T)
    heads = weights V,   concat = [head_1 … head_H],   attn = concat W_oᵀ + b_o
    norm1 = LayerNorm(x + attn)                    residual, then nn.LayerNorm(eps=1e-5, affine)
    ffn = relu(norm1 W_1ᵀ + b_1) W_2ᵀ + b_2        position-wise feed-forward
    x ← LayerNorm(norm1 + ffn)                     residual, then the second LayerNorm

Parameters are one flat dict named as the state_dict of PyTorch's
nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model, nhead, d_ff, dropout=0, batch_first=True))
plus the input projection, so torch weights load by name:
    input.weight (d_model, d_in), input.bias (d_model,)      nn.Linear(d_in, d_model)
    pos_embedding (max_len, d_model)                        only with positional="learned"
    layers.{l}.self_attn.in_proj_weight (3·d_model, d_model)  nn.MultiheadAttention's packed layout:
        rows [0, d) are W_q, [d, 2d) W_k, [2d, 3d) W_v; head h owns rows h·d_head:(h+1)·d_head of each
    layers.{l}.self_attn.in_proj_bias (3·d_model,), layers.{l}.self_attn.out_proj.weight (d, d) = W_o,
    layers.{l}.self_attn.out_proj.bias (d,)                 the two biases only with attn_bias=True
    layers.{l}.linear1.weight (d_ff, d), .bias (d_ff,), layers.{l}.linear2.weight (d, d_ff), .bias (d,)
    layers.{l}.norm1.weight, .bias, layers.{l}.norm2.weight, .bias   (d,) each
Weights are in nn.Linear's layout (y = x Wᵀ + b); head_projections returns one head's W_q, W_k,
W_v transposed into core.attention's layout (Q = X W_q), for self_attention's seven steps.
Masks are boolean with True = may attend (torch.nn.functional.scaled_dot_product_attention's
convention and core.attention's; nn.MultiheadAttention's attn_mask uses the opposite).

Usage (any readout and loss can sit on top: backward takes ∂loss/∂output):

    cfg = Config(d_in=50, d_model=32, num_heads=2, d_ff=64, num_layers=2)
    params = init_params(cfg, seed=0)
    trace = forward(cfg, params, X)            # X (B, T, d_in); trace["output"] (B, T, d_model)
    trace["layers"][1]["weights"][b, h]        # layer 2, head h: (T, T) attention weights
    logits = head_forward(trace["output"][:, cue], W_out, b_out)           # core.training
    loss, dlogits = cross_entropy(logits, y)
    dW_out, db_out, dz = head_backward(trace["output"][:, cue], W_out, dlogits)
    d_output = np.zeros_like(trace["output"]); d_output[:, cue] = dz
    grads = backward(cfg, params, trace, d_output)  # same keys and shapes as params
    params, state = adam_step(params, grads, state, lr)                    # core.training

Dimensions:
    B batch, T tokens, d_in input width, d_model model width, H heads, d_head = d_model / H,
    d_ff feed-forward width, L layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .attention import _as_float, _check_mask, _check_positive_int, softmax

__all__ = [
    "Config", "backward", "forward", "head_projections", "init_params", "layer_norm",
    "layer_norm_backward", "sinusoidal_encoding",
]

LN_EPS = 1e-5  # nn.LayerNorm's default
POSITIONAL = ("sinusoidal", "learned", "none")


@dataclass(frozen=True)
class Config:
    """The shape of an encoder: widths, heads, layers, the kind of positions, attention biases."""

    d_in: int
    d_model: int
    num_heads: int
    d_ff: int
    num_layers: int = 1
    positional: str = "sinusoidal"  # "sinusoidal" (Vaswani 2017), "learned" (a table), "none"
    max_len: int = 128  # rows of a learned table (a sinusoidal encoding has no limit)
    attn_bias: bool = True  # nn.MultiheadAttention(bias=...): in_proj_bias and out_proj.bias

    def __post_init__(self):
        for name in ("d_in", "d_model", "num_heads", "d_ff", "num_layers", "max_len"):
            _check_positive_int(name, getattr(self, name))
        if self.d_model % self.num_heads:
            raise ValueError(f"num_heads = {self.num_heads} does not divide d_model = {self.d_model}")
        if self.positional not in POSITIONAL:
            raise ValueError(f"positional must be one of {POSITIONAL}, got {self.positional!r}")

    @property
    def d_head(self) -> int:
        return self.d_model // self.num_heads


def sinusoidal_encoding(T: int, d_model: int) -> np.ndarray:
    """The positional encoding of "Attention Is All You Need" (section 3.5):

        P[pos, 2i] = sin(pos / 10000^(2i / d_model)),   P[pos, 2i+1] = cos(pos / 10000^(2i / d_model))

    Each pair of columns is a clock of its own frequency, from one turn per 2π tokens (i = 0) to
    one per 2π·10000; P[pos + k] is a fixed rotation of P[pos] for every pos.

    Returns:
        (T, d_model) float64, entries in [−1, 1].
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise ValueError(f"T must be a non-negative integer, got {T!r}")
    d_model = _check_positive_int("d_model", d_model)
    pos = np.arange(T)[:, None]  # (T, 1)
    freq = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)  # (ceil(d_model / 2),)
    P = np.zeros((T, d_model))
    P[:, 0::2] = np.sin(pos * freq)  # (T, ceil(d/2))
    P[:, 1::2] = np.cos(pos * freq[: d_model // 2])  # (T, floor(d/2))
    return P


def init_params(cfg: Config, seed: int) -> dict:
    """Parameters with PyTorch's initialisation, reproducible from `seed`:

        nn.Linear (input, linear1, linear2): weight, bias ~ U(−1/√fan_in, 1/√fan_in)
        in_proj_weight: Xavier-uniform over the packed (3d, d) matrix, U(±√(6 / 4d)); biases 0
        out_proj.weight: U(−1/√d, 1/√d); LayerNorm: weight 1, bias 0
        pos_embedding (learned): N(0, 1), as nn.Embedding

    Returns:
        dict of float64 arrays, keys and shapes as in the module docstring.
    """
    rng = np.random.default_rng(seed)
    d, d_ff = cfg.d_model, cfg.d_ff

    def linear(fan_out, fan_in):
        s = 1.0 / math.sqrt(fan_in)
        return rng.uniform(-s, s, (fan_out, fan_in)), rng.uniform(-s, s, fan_out)

    p = {}
    p["input.weight"], p["input.bias"] = linear(d, cfg.d_in)
    if cfg.positional == "learned":
        p["pos_embedding"] = rng.standard_normal((cfg.max_len, d))
    for layer in range(cfg.num_layers):
        a = f"layers.{layer}."
        bound = math.sqrt(6.0 / (d + 3 * d))
        p[a + "self_attn.in_proj_weight"] = rng.uniform(-bound, bound, (3 * d, d))
        p[a + "self_attn.out_proj.weight"] = rng.uniform(-1 / math.sqrt(d), 1 / math.sqrt(d), (d, d))
        if cfg.attn_bias:
            p[a + "self_attn.in_proj_bias"] = np.zeros(3 * d)
            p[a + "self_attn.out_proj.bias"] = np.zeros(d)
        p[a + "linear1.weight"], p[a + "linear1.bias"] = linear(d_ff, d)
        p[a + "linear2.weight"], p[a + "linear2.bias"] = linear(d, d_ff)
        for norm in ("norm1", "norm2"):
            p[a + norm + ".weight"], p[a + norm + ".bias"] = np.ones(d), np.zeros(d)
    return p


def head_projections(cfg: Config, params: dict, layer: int, head: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One head's W_q, W_k, W_v in core.attention's layout (Q = x W_q), each (d_model, d_head).

    self_attention(x, *head_projections(...)) then gives that head's seven steps exactly, given
    the layer's input x, when the model has no attention biases (Config.attn_bias=False).
    """
    if not (0 <= layer < cfg.num_layers and 0 <= head < cfg.num_heads):
        raise ValueError(f"layer {layer}, head {head}: the model has {cfg.num_layers} layers of {cfg.num_heads} heads")
    W = params[f"layers.{layer}.self_attn.in_proj_weight"]  # (3d, d)
    d, dh = cfg.d_model, cfg.d_head
    rows = slice(head * dh, (head + 1) * dh)
    return tuple(W[i * d:(i + 1) * d][rows].T.copy() for i in range(3))  # each (d, d_head)


# --- layer norm -----------------------------------------------------------------------------


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, dict]:
    """nn.LayerNorm over the last axis, eps = 1e-5, elementwise affine (biased variance, as PyTorch):

        x̂ = (x − mean(x)) / √(var(x) + eps),   y = x̂ ⊙ weight + bias

    Returns:
        y (x's shape) and a cache with xhat and rstd = 1 / √(var + eps) (..., 1) for the backward pass.
    """
    mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = x.var(axis=-1, keepdims=True)  # (..., 1)
    rstd = 1.0 / np.sqrt(var + LN_EPS)  # (..., 1)
    xhat = (x - mean) * rstd  # (..., d)
    return xhat * weight + bias, {"xhat": xhat, "rstd": rstd}


def layer_norm_backward(dy: np.ndarray, cache: dict, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients through layer_norm, given dy = ∂loss/∂y:

        ∂weight = Σ dy ⊙ x̂,   ∂bias = Σ dy   (summed over every position)
        ∂x = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)),   g = dy ⊙ weight

    Returns:
        (dx (dy's shape), dweight (d,), dbias (d,)).
    """
    xhat, rstd = cache["xhat"], cache["rstd"]
    d = dy.shape[-1]
    g = dy * weight  # (..., d)
    dx = rstd * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, (dy * xhat).reshape(-1, d).sum(axis=0), dy.reshape(-1, d).sum(axis=0)


# --- forward ----------------------------------------------------------------------------------


def _mask(mask, causal: bool, B: int, H: int, T: int):
    """The boolean mask (True = may attend) broadcast against (B, H, T, T), or None."""
    m = None
    if mask is not None:
        m = _check_mask(mask, (B, H, T, T))
    if causal:
        tri = np.tri(T, dtype=bool)  # (T, T): j <= i
        m = tri if m is None else m & tri
    return m


def _split(x: np.ndarray, H: int) -> np.ndarray:
    B, T, d = x.shape
    return x.reshape(B, T, H, d // H).transpose(0, 2, 1, 3)  # (B, T, d) -> (B, H, T, d_head)


def _merge(x: np.ndarray) -> np.ndarray:
    B, H, T, dh = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * dh)  # (B, H, T, d_head) -> (B, T, d)


def _layer_forward(cfg: Config, params: dict, layer: int, x: np.ndarray, mask) -> dict:
    """One encoder layer on x (B, T, d): every intermediate by name (the module docstring's equations)."""
    a = f"layers.{layer}."
    d, H = cfg.d_model, cfg.num_heads
    W_in = params[a + "self_attn.in_proj_weight"]  # (3d, d)
    b_in = params.get(a + "self_attn.in_proj_bias", np.zeros(3 * d))
    qkv = x @ W_in.T + b_in  # (B, T, d) x (d, 3d) -> (B, T, 3d)
    Q, K, V = (_split(qkv[..., i * d:(i + 1) * d], H) for i in range(3))  # each (B, H, T, d_head)
    scores = Q @ K.swapaxes(-1, -2)  # (B, H, T, d_head) x (B, H, d_head, T) -> (B, H, T, T)
    scaled_scores = scores / math.sqrt(cfg.d_head)
    if mask is not None:
        scaled_scores = np.where(mask, scaled_scores, -np.inf)
    weights = softmax(scaled_scores, axis=-1)  # (B, H, T, T)
    heads = weights @ V  # (B, H, T, T) x (B, H, T, d_head) -> (B, H, T, d_head)
    concat = _merge(heads)  # (B, T, d)
    attn = concat @ params[a + "self_attn.out_proj.weight"].T  # (B, T, d) x (d, d) -> (B, T, d)
    if cfg.attn_bias:
        attn = attn + params[a + "self_attn.out_proj.bias"]
    resid1 = x + attn  # (B, T, d)
    norm1, ln1 = layer_norm(resid1, params[a + "norm1.weight"], params[a + "norm1.bias"])
    ffn_pre = norm1 @ params[a + "linear1.weight"].T + params[a + "linear1.bias"]  # (B, T, d) -> (B, T, d_ff)
    ffn_hidden = np.maximum(ffn_pre, 0.0)  # relu
    ffn = ffn_hidden @ params[a + "linear2.weight"].T + params[a + "linear2.bias"]  # (B, T, d_ff) -> (B, T, d)
    resid2 = norm1 + ffn  # (B, T, d)
    output, ln2 = layer_norm(resid2, params[a + "norm2.weight"], params[a + "norm2.bias"])
    return {
        "input": x, "Q": Q, "K": K, "V": V, "scores": scores, "scaled_scores": scaled_scores,
        "weights": weights, "heads": heads, "concat": concat, "attn": attn, "resid1": resid1,
        "norm1": norm1, "ffn_pre": ffn_pre, "ffn_hidden": ffn_hidden, "ffn": ffn, "resid2": resid2,
        "output": output, "_ln1": ln1, "_ln2": ln2,
    }


def forward(cfg: Config, params: dict, X: ArrayLike, mask: ArrayLike | None = None, causal: bool = False) -> dict:
    """The encoder on a batch X (B, T, d_in), every intermediate by name.

    Args:
        cfg, params: from Config and init_params (or trained).
        X: (B, T, d_in) inputs; a (T, d_in) array is taken as a batch of one.
        mask: bool, broadcastable to (B, H, T, T), True = may attend (e.g. padding: False on the
            columns of padded keys); an all-False row gives that query zero weights.
        causal: also forbid every query to see later positions (AND-ed with mask).
    Returns:
        dict with
            X (B, T, d_in), projected (B, T, d) = X W_inᵀ + b_in, P (T, d) the positions added
            (zeros for "none"), embedded (B, T, d) = projected + P, output (B, T, d) the last layer's;
            layers: a list of L dicts with input, Q, K, V (B, H, T, d_head), scores, scaled_scores,
            weights (B, H, T, T), heads (B, H, T, d_head), concat, attn, resid1, norm1 (B, T, d),
            ffn_pre, ffn_hidden (B, T, d_ff), ffn, resid2, output (B, T, d)
            (keys starting with "_" are the backward pass's caches).
    """
    X = _as_float(X)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3 or X.shape[-1] != cfg.d_in:
        raise ValueError(f"X has shape {X.shape} but must be (B, T, d_in) with d_in = {cfg.d_in}")
    B, T, _ = X.shape
    if cfg.positional == "learned" and T > cfg.max_len:
        raise ValueError(f"{T} tokens but the learned positions cover max_len = {cfg.max_len}")
    projected = X @ params["input.weight"].T + params["input.bias"]  # (B, T, d_in) x (d_in, d) -> (B, T, d)
    if cfg.positional == "sinusoidal":
        P = sinusoidal_encoding(T, cfg.d_model)
    elif cfg.positional == "learned":
        P = params["pos_embedding"][:T]
    else:
        P = np.zeros((T, cfg.d_model))
    P = P.astype(projected.dtype, copy=False)  # float32 input stays float32 (training in the lab)
    x = projected + P  # (B, T, d)
    m = _mask(mask, causal, B, cfg.num_heads, T)
    layers = []
    for layer in range(cfg.num_layers):
        layers.append(_layer_forward(cfg, params, layer, x if not layers else layers[-1]["output"], m))
    return {"X": X, "projected": projected, "P": P, "embedded": x, "layers": layers, "output": layers[-1]["output"]}


# --- backward ---------------------------------------------------------------------------------


def _layer_backward(cfg: Config, params: dict, layer: int, tr: dict, dout: np.ndarray, grads: dict) -> np.ndarray:
    """Backpropagate dout = ∂loss/∂(layer output) through one layer; fill grads; return ∂loss/∂(layer input)."""
    a = f"layers.{layer}."
    d, H = cfg.d_model, cfg.num_heads
    # x ← LayerNorm(norm1 + ffn)
    dresid2, grads[a + "norm2.weight"], grads[a + "norm2.bias"] = layer_norm_backward(
        dout, tr["_ln2"], params[a + "norm2.weight"])
    # ffn = relu(norm1 W_1ᵀ + b_1) W_2ᵀ + b_2
    grads[a + "linear2.weight"] = dresid2.reshape(-1, d).T @ tr["ffn_hidden"].reshape(-1, cfg.d_ff)  # (d, d_ff)
    grads[a + "linear2.bias"] = dresid2.reshape(-1, d).sum(axis=0)
    dhidden = dresid2 @ params[a + "linear2.weight"]  # (B, T, d) x (d, d_ff) -> (B, T, d_ff)
    dpre = dhidden * (tr["ffn_pre"] > 0)  # relu'
    grads[a + "linear1.weight"] = dpre.reshape(-1, cfg.d_ff).T @ tr["norm1"].reshape(-1, d)  # (d_ff, d)
    grads[a + "linear1.bias"] = dpre.reshape(-1, cfg.d_ff).sum(axis=0)
    # norm1 is used twice: in the residual and as the feed-forward's input
    dnorm1 = dresid2 + dpre @ params[a + "linear1.weight"]  # (B, T, d_ff) x (d_ff, d) -> (B, T, d)
    dresid1, grads[a + "norm1.weight"], grads[a + "norm1.bias"] = layer_norm_backward(
        dnorm1, tr["_ln1"], params[a + "norm1.weight"])
    # resid1 = x + attn, attn = concat W_oᵀ + b_o
    grads[a + "self_attn.out_proj.weight"] = dresid1.reshape(-1, d).T @ tr["concat"].reshape(-1, d)  # (d, d)
    if cfg.attn_bias:
        grads[a + "self_attn.out_proj.bias"] = dresid1.reshape(-1, d).sum(axis=0)
    dheads = _split(dresid1 @ params[a + "self_attn.out_proj.weight"], H)  # (B, H, T, d_head)
    # heads = weights V
    dweights = dheads @ tr["V"].swapaxes(-1, -2)  # (B, H, T, d_head) x (B, H, d_head, T) -> (B, H, T, T)
    dV = tr["weights"].swapaxes(-1, -2) @ dheads  # (B, H, T, T) x (B, H, T, d_head) -> (B, H, T, d_head)
    # weights = softmax(s): ∂s = w ⊙ (∂w − Σ_j ∂w ⊙ w); masked weights are 0, so their ∂s is 0
    w = tr["weights"]
    dscaled = w * (dweights - (dweights * w).sum(axis=-1, keepdims=True))  # (B, H, T, T)
    dscores = dscaled / math.sqrt(cfg.d_head)
    dQ = dscores @ tr["K"]  # (B, H, T, T) x (B, H, T, d_head) -> (B, H, T, d_head)
    dK = dscores.swapaxes(-1, -2) @ tr["Q"]  # (B, H, T, T) x (B, H, T, d_head) -> (B, H, T, d_head)
    dqkv = np.concatenate([_merge(dQ), _merge(dK), _merge(dV)], axis=-1)  # (B, T, 3d)
    x = tr["input"]
    grads[a + "self_attn.in_proj_weight"] = dqkv.reshape(-1, 3 * d).T @ x.reshape(-1, d)  # (3d, d)
    if cfg.attn_bias:
        grads[a + "self_attn.in_proj_bias"] = dqkv.reshape(-1, 3 * d).sum(axis=0)
    # x feeds the residual and the three projections
    return dresid1 + dqkv @ params[a + "self_attn.in_proj_weight"]  # (B, T, 3d) x (3d, d) -> (B, T, d)


def backward(cfg: Config, params: dict, trace: dict, d_output: ArrayLike) -> dict:
    """∂loss/∂(every parameter), given d_output = ∂loss/∂trace["output"] (B, T, d_model).

    The layers' equations in reverse (layer_norm_backward, relu' = [pre > 0], the softmax's
    Jacobian-vector product, the three projections from one packed matrix), from the last layer
    to the input projection. Whatever readout and loss produced d_output, this is the rest.

    Returns:
        dict with params' keys, each of its parameter's shape (grads["input.weight"] is ∂loss/∂W_in).
    """
    dx = _as_float(d_output)
    if dx.shape != trace["output"].shape:
        raise ValueError(f"d_output has shape {dx.shape} but the output has shape {trace['output'].shape}")
    grads: dict = {}
    for layer in range(cfg.num_layers - 1, -1, -1):
        dx = _layer_backward(cfg, params, layer, trace["layers"][layer], dx, grads)
    d = cfg.d_model
    grads["input.weight"] = dx.reshape(-1, d).T @ trace["X"].reshape(-1, cfg.d_in)  # (d, d_in)
    grads["input.bias"] = dx.reshape(-1, d).sum(axis=0)
    if cfg.positional == "learned":
        dP = np.zeros_like(params["pos_embedding"])
        dP[: dx.shape[1]] = dx.sum(axis=0)  # (T, d): every sequence adds the same rows
        grads["pos_embedding"] = dP
    return {k: grads[k] for k in params}
