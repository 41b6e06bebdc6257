"""Training sequence models by hand: a long-term memory task, backpropagation through time, Adam.

A model is one recurrent cell (core.recurrent, PyTorch's layout and gate order) read out by a
linear head on its last hidden state, or ("attention") one Transformer encoder layer
(core.transformer) read out at the last position, the recall cue; trained with softmax cross-entropy:

    H = cell(X)                       forward pass of core.recurrent, its trace reused here
    logits = h_T W_outᵀ + b_out       (batch, num_symbols), W_out in torch.nn.Linear's layout
    loss = −(1/batch) Σ_b log softmax(logits_b)[y_b]

Parameters are a dict (what init_params returns; train and loss_and_grads take it):
    W_ih, W_hh, b_ih, b_hh   the cell's weights, as core.recurrent.init_weights
                             ("attention": core.transformer's parameter names instead)
    W_out (num_symbols, hidden), b_out (num_symbols,)   the head
Gradients are a dict with the SAME keys and shapes (grads["W_hh"] is ∂loss/∂W_hh), so an
optimiser can zip them; *_backward functions return the cell's four keys only (and ∂loss/∂X
under "X" when asked). train() keeps every parameter as a view of one flat vector θ, so that
clipping and Adam run a few operations per step instead of a few per array.

Backpropagation through time runs over a batched trace (time-major, (T, batch, hidden));
only time is a Python loop. The weight gradients are summed over steps after the loop, as
one product of the stacked pre-activation gradients with the stacked inputs and states.
Everything runs in the dtype it is given: float32 for speed, float64 for the gradient checks.

Dimensions:
    T            sequence length, lag + 2 for memory_task
    batch        sequences processed side by side
    input_size   width of x_t: num_symbols + 2 for memory_task
    hidden       width of h (and of the LSTM cell c); d_model for "attention"
    gates        1 (RNN), 4 (LSTM), 3 (GRU)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from . import transformer
from .attention import _as_float, _check_positive_int, softmax
from .recurrent import GATE_ORDER, _check_kind, gru_forward, init_weights, lstm_forward, rnn_forward, with_gate_bias

__all__ = [
    "adam_init", "adam_step", "backward", "clip_by_global_norm", "cross_entropy", "evaluate", "forward",
    "gru_backward", "gru_step_backward", "head_backward", "head_forward", "init_params", "loss_and_grads",
    "lstm_backward", "attention_config", "memory_task", "orthogonal", "probe", "rnn_backward", "train",
]

CELL_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")
HEAD_KEYS = ("W_out", "b_out")
PARAM_KEYS = CELL_KEYS + HEAD_KEYS  # a recurrent model's; "attention" has core.transformer's names and the head
KINDS = ("rnn", "lstm", "gru", "attention")
INITS = ("pytorch", "orthogonal", "chrono")
MEMORY_GATE = {"lstm": "f", "gru": "z"}  # the gate whose bias decides how much of the old state is kept


# --- the task -------------------------------------------------------------------------------


def memory_task(lag: int, batch: int, num_symbols: int = 4, noise: float = 1.0,
                seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A recall task whose difficulty is the gap between seeing a symbol and being asked for it.

        step 1            x = one-hot of the symbol s ∈ {0..num_symbols−1}   (channels 0..num_symbols−1)
        steps 2..lag+1    x = distractors: Gaussian noise N(0, noise²) on the symbol channels,
                              and the distractor flag (channel num_symbols) = 1
        step lag+2        x = recall cue only (channel num_symbols+1)
        target            y = s

    The network must carry s through `lag` noisy steps that push on the same channels the
    symbol came in on. A cell that cannot shut its input keeps getting its memory overwritten;
    gates can (LSTM: i → 0, f → 1; GRU: z → 1). Guessing scores 1/num_symbols.
    With noise = 0 the distractor steps are blank (only the flag).

    Args:
        lag: number of distractor steps, an int >= 0 (0: the cue follows the symbol directly);
        batch: number of sequences, >= 1; num_symbols: >= 2; noise: the distractors' standard deviation, >= 0;
        seed: an int, or an np.random.Generator (its state advances), for np.random.default_rng.
    Returns:
        X (T, batch, num_symbols + 2) float64 with T = lag + 2, and y (batch,) int64.
    """
    if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)) or lag < 0:
        raise ValueError(f"lag must be a non-negative integer, got {lag!r}")
    batch = _check_positive_int("batch", batch)
    num_symbols = _check_positive_int("num_symbols", num_symbols)
    if num_symbols < 2:
        raise ValueError(f"num_symbols must be at least 2, got {num_symbols}")
    noise = float(noise)
    if not (noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"noise must be a finite float >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_symbols, size=batch)  # (batch,)
    T = int(lag) + 2
    X = np.zeros((T, batch, num_symbols + 2))  # (T, batch, input_size)
    X[0, np.arange(batch), y] = 1.0  # step 1: the symbol
    X[1:T - 1, :, :num_symbols] = noise * rng.standard_normal((T - 2, batch, num_symbols))  # the distractors
    X[1:T - 1, :, num_symbols] = 1.0  # their flag (no distractor steps when lag = 0)
    X[T - 1, :, num_symbols + 1] = 1.0  # the recall cue
    return X, y.astype(np.int64)


# --- the head -------------------------------------------------------------------------------


def head_forward(h_T: ArrayLike, W_out: ArrayLike, b_out: ArrayLike) -> np.ndarray:
    """Linear read-out of the last hidden state, as torch.nn.Linear:

        logits = h_T W_outᵀ + b_out

    Args:
        h_T: (batch, hidden); W_out: (classes, hidden); b_out: (classes,).
    Returns:
        logits (batch, classes).
    """
    h_T, W_out, b_out = (_as_float(a) for a in (h_T, W_out, b_out))
    if h_T.ndim != 2 or W_out.ndim != 2 or W_out.shape[1] != h_T.shape[1] or b_out.shape != (W_out.shape[0],):
        raise ValueError(
            f"h_T has shape {h_T.shape}, W_out {W_out.shape}, b_out {b_out.shape}: they must be "
            "(batch, hidden), (classes, hidden), (classes,)"
        )
    return h_T @ W_out.T + b_out  # (batch, hidden) x (hidden, classes) -> (batch, classes)


def cross_entropy(logits: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the logits:

        loss = −(1/B) Σ_b log p_b[y_b],   p_b = softmax(logits_b)
        ∂loss/∂logits = (p − onehot(y)) / B

    log p is computed as logits − logsumexp(logits), so no exponent overflows.

    Args:
        logits: (batch, classes); y: (batch,) ints in 0..classes−1.
    Returns:
        (loss as a float, dlogits (batch, classes)).
    """
    logits = _as_float(logits)
    y = np.asarray(y)
    if logits.ndim != 2 or y.shape != (logits.shape[0],):
        raise ValueError(f"logits has shape {logits.shape} and y {y.shape}: they must be (batch, classes), (batch,)")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= logits.shape[1]:
        raise ValueError(f"y must hold integers in 0..{logits.shape[1] - 1}")
    B = logits.shape[0]
    rows = np.arange(B)
    m = logits.max(axis=1, keepdims=True)  # (batch, 1)
    log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))  # (batch, classes)
    loss = -float(log_p[rows, y].mean())
    dlogits = softmax(logits, axis=1)  # (batch, classes)
    dlogits[rows, y] -= 1.0
    return loss, dlogits / B  # (batch, classes)


def head_backward(h_T: ArrayLike, W_out: ArrayLike, dlogits: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients through logits = h_T W_outᵀ + b_out, given G = ∂loss/∂logits:

        ∂loss/∂W_out = Gᵀ h_T,   ∂loss/∂b_out = Σ_b G_b,   ∂loss/∂h_T = G W_out

    Args:
        h_T: (batch, hidden); W_out: (classes, hidden); dlogits: (batch, classes).
    Returns:
        (dW_out (classes, hidden), db_out (classes,), dh_T (batch, hidden)).
    """
    h_T, W_out, G = (_as_float(a) for a in (h_T, W_out, dlogits))
    if G.shape != (h_T.shape[0], W_out.shape[0]):
        raise ValueError(f"h_T has shape {h_T.shape} and W_out {W_out.shape}, so dlogits must be "
                         f"({h_T.shape[0]}, {W_out.shape[0]}), but it has shape {G.shape}")
    dW_out = G.T @ h_T  # (classes, batch) x (batch, hidden) -> (classes, hidden)
    db_out = G.sum(axis=0)  # (classes,)
    dh_T = G @ W_out  # (batch, classes) x (classes, hidden) -> (batch, hidden)
    return dW_out, db_out, dh_T


# --- backpropagation through time -----------------------------------------------------------


def _check_trace(kind: str, trace: dict, weights: dict, dh_T: ArrayLike):
    """Check a batched trace against the weights and dh_T; return W_hh, H_prev (T, batch, hidden), dh_T."""
    gates = _check_kind(kind)
    H = trace["H"]
    if H.ndim != 3:
        raise ValueError(f"H has shape {H.shape}: backward needs a batched trace, H of shape (T, batch, hidden)")
    hidden = H.shape[2]
    W_hh = _as_float(weights["W_hh"])
    if W_hh.shape != (gates * hidden, hidden):
        raise ValueError(f"H has shape {H.shape} but W_hh has shape {W_hh.shape}: a {kind} of hidden size "
                         f"{hidden} needs ({gates * hidden}, {hidden})")
    dh_T = _as_float(dh_T)
    if dh_T.shape != H.shape[1:]:
        raise ValueError(f"H has shape {H.shape} so dh_T must be {H.shape[1:]} = (batch, hidden), got {dh_T.shape}")
    H_prev = np.concatenate([trace["h0"][None].astype(H.dtype), H[:-1]])  # (T, batch, hidden): H_prev[t-1] = h_{t-1}
    return W_hh.astype(H.dtype, copy=False), H_prev, dh_T.astype(H.dtype, copy=False)


def _weight_grads(trace: dict, H_prev: np.ndarray, dA_x: np.ndarray, dA_h: np.ndarray,
                  W_ih: np.ndarray | None = None) -> dict:
    """Sum the per-step weight gradients, all steps and sequences at once.

    dA_x[t] = ∂loss/∂(x_t W_ihᵀ + b_ih) and dA_h[t] = ∂loss/∂(h_{t-1} W_hhᵀ + b_hh), each
    (T, batch, gates·hidden); they differ only in the GRU, whose n block of the second is
    multiplied by r.
        ∂loss/∂W_ih = Σ_t dA_x[t]ᵀ x_t,   ∂loss/∂W_hh = Σ_t dA_h[t]ᵀ h_{t-1},   biases: Σ_t Σ_b
    and, when W_ih is given, ∂loss/∂X = dA_x W_ih under the key "X" (T, batch, input_size).
    """
    X = trace["X"]
    rows = dA_x.shape[-1]
    flat_x = dA_x.reshape(-1, rows)  # (T·batch, gates·hidden)
    flat_h = dA_h.reshape(-1, rows)  # (T·batch, gates·hidden)
    # (T, batch, gates·hidden) x (gates·hidden, input) -> (T, batch, input)
    inputs = {} if W_ih is None else {"X": dA_x @ W_ih.astype(dA_x.dtype)}
    return inputs | {
        "W_ih": flat_x.T @ X.reshape(-1, X.shape[-1]),  # (gates·hidden, T·batch) x (T·batch, input) -> (g·h, input)
        "W_hh": flat_h.T @ H_prev.reshape(-1, H_prev.shape[-1]),  # -> (gates·hidden, hidden)
        "b_ih": flat_x.sum(axis=0),  # (gates·hidden,)
        "b_hh": flat_h.sum(axis=0),  # (gates·hidden,)
    }


def rnn_backward(trace: dict, weights: dict, dh_T: ArrayLike, inputs: bool = False) -> dict:
    """Backpropagation through time for the Elman RNN, from ∂loss/∂h_T (loss reading h_T only).

    Forward, step t:  a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh,   h_t = tanh(a_t)
    Backward, t = T..1, with δh = ∂loss/∂h_t (δh = dh_T at t = T):
        δa = δh ⊙ (1 − h_t²)          (relu: δh ⊙ [h_t > 0])
        δh ← δa W_hh                  the gradient h_{t-1} receives, through its one use
    then ∂W_ih = Σ_t δa_tᵀ x_t, ∂W_hh = Σ_t δa_tᵀ h_{t-1}, ∂b_ih = ∂b_hh = Σ_t Σ_b δa_t.

    Args:
        trace: from rnn_forward with a batched X (T, batch, input_size);
        weights: dict W_ih, W_hh, b_ih, b_hh; dh_T: (batch, hidden);
        inputs: also return ∂loss/∂X (T, batch, input_size) under "X" (so for lstm_ and gru_backward).
    Returns:
        dict W_ih, W_hh, b_ih, b_hh of gradients, each of its weight's shape.
    """
    W_hh, H_prev, dh = _check_trace("rnn", trace, weights, dh_T)
    H = trace["H"]  # (T, batch, hidden)
    # The derivative of the nonlinearity, read off its output: tanh' = 1 − tanh², relu' = [out > 0].
    dact = 1.0 - H**2 if trace["nonlinearity"] == "tanh" else (H > 0).astype(H.dtype)  # (T, batch, hidden)
    dA = np.empty_like(H)  # (T, batch, hidden)
    for t in range(H.shape[0] - 1, -1, -1):
        dA[t] = dh * dact[t]  # through h_t = act(a_t)
        dh = dA[t] @ W_hh  # (batch, hidden) x (hidden, hidden) -> (batch, hidden): into h_{t-1}
    return _weight_grads(trace, H_prev, dA, dA, weights["W_ih"] if inputs else None)


def lstm_backward(trace: dict, weights: dict, dh_T: ArrayLike, inputs: bool = False) -> dict:
    """Backpropagation through time for the LSTM, from ∂loss/∂h_T (the loss reads h_T only, not c_T).

    Following lstm_forward's equations backwards, with δh = ∂loss/∂h_t and δc the gradient
    c_t receives from step t+1 (0 at t = T):
        h_t = o ⊙ tanh(c_t)            δo = δh ⊙ tanh(c_t),  δc += δh ⊙ o ⊙ (1 − tanh²(c_t))
        c_t = f ⊙ c_{t-1} + i ⊙ g      δf = δc ⊙ c_{t-1}, δi = δc ⊙ g, δg = δc ⊙ i, δc ← δc ⊙ f
        gates from a = [a_i, a_f, a_g, a_o]:
                                       δa_i = δi ⊙ i(1 − i), δa_f = δf ⊙ f(1 − f),
                                       δa_g = δg ⊙ (1 − g²), δa_o = δo ⊙ o(1 − o)
        a = x W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
                                       δh ← δa W_hh
    The δc ← δc ⊙ f line is the cell's direct path (forget_gate_path): no weight matrix, no
    squashing derivative, so the gradient survives as long as f ≈ 1.

    Args:
        trace: from lstm_forward with a batched X; weights: dict W_ih, W_hh, b_ih, b_hh; dh_T: (batch, hidden).
    Returns:
        dict W_ih, W_hh, b_ih, b_hh of gradients, each of its weight's shape.
    """
    W_hh, H_prev, dh = _check_trace("lstm", trace, weights, dh_T)
    i, f, g, o, C = (trace[k] for k in ("i", "f", "g", "o", "C"))  # each (T, batch, hidden)
    C_prev = np.concatenate([trace["c0"][None].astype(C.dtype), C[:-1]])  # (T, batch, hidden): C_prev[t - 1] = c_{t-1}
    tanh_C = np.tanh(C)  # (T, batch, hidden)
    T, batch, hidden = C.shape
    # Everything but δh and δc is known from the forward pass: the local factors, for all steps at once.
    K_o = tanh_C * o * (1.0 - o)  # δa_o = δh ⊙ tanh(c) ⊙ σ'(a_o)
    K_c = o * (1.0 - tanh_C**2)  # δc += δh ⊙ o ⊙ tanh'(c)
    K_ifg = np.stack([g * i * (1.0 - i), C_prev * f * (1.0 - f), i * (1.0 - g**2)], axis=2)  # (T, batch, 3, hidden)
    dA = np.empty((T, batch, 4, hidden), C.dtype)  # the gate blocks i, f, g, o of δa
    dc = np.zeros((batch, hidden), C.dtype)  # c_T feeds nothing after the last step
    W_hh = W_hh.astype(C.dtype, copy=False)
    for t in range(T - 1, -1, -1):
        # h_t = o ⊙ tanh(c_t): to the output gate, and to the cell (added to what step t+1 sent).
        dc += dh * K_c[t]  # (batch, hidden)
        # c_t = f ⊙ c_{t-1} + i ⊙ g: each factor gets δc times the other one, then its gate's derivative.
        # δa_i = δc ⊙ g ⊙ σ', δa_f = δc ⊙ c_{t-1} ⊙ σ', δa_g = δc ⊙ i ⊙ tanh'
        np.multiply(dc[:, None], K_ifg[t], out=dA[t, :, :3])
        np.multiply(dh, K_o[t], out=dA[t, :, 3])  # δa_o
        dc *= f[t]  # into c_{t-1}: the direct cell path
        dh = dA[t].reshape(batch, 4 * hidden) @ W_hh  # (batch, 4·hidden) x (4·hidden, hidden) -> (batch, hidden)
    dA = dA.reshape(T, batch, 4 * hidden)  # (T, batch, 4·hidden), blocks in PyTorch's order
    return _weight_grads(trace, H_prev, dA, dA, weights["W_ih"] if inputs else None)


def gru_step_backward(dh: np.ndarray, r: np.ndarray, z: np.ndarray, n: np.ndarray, h_prev: np.ndarray,
                      m: np.ndarray, W_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of gru_backward, from δh = ∂loss/∂h_t (see gru_backward for the equations).

    Args:
        dh, r, z, n, h_prev (= h_{t-1}), m (= h_{t-1} W_hnᵀ + b_hn): each (batch, hidden); W_hh (3·hidden, hidden).
    Returns:
        (δa_x = ∂loss/∂(x_t W_ihᵀ + b_ih), δa_h = ∂loss/∂(h_{t-1} W_hhᵀ + b_hh), each (batch, 3·hidden),
         ∂loss/∂h_{t-1} (batch, hidden) through this step).
    """
    # h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}: a convex mix, each side weighted by its share.
    dn = dh * (1.0 - z)  # (batch, hidden)
    dz = dh * (h_prev - n)  # (batch, hidden)
    da_n = dn * (1.0 - n**2)  # through tanh
    da_r = da_n * m * r * (1.0 - r)  # r multiplies m, then σ'
    da_z = dz * z * (1.0 - z)  # σ'
    da_x = np.concatenate([da_r, da_z, da_n], axis=1)  # (batch, 3·hidden): blocks r, z, n
    da_h = np.concatenate([da_r, da_z, da_n * r], axis=1)  # the hidden side sees δa_n through r
    # h_{t-1} is used twice: directly in the mix (δh ⊙ z), and through every gate's h W_hhᵀ.
    return da_x, da_h, dh * z + da_h @ W_hh  # (batch, 3·hidden) x (3·hidden, hidden) -> (batch, hidden)


def gru_backward(trace: dict, weights: dict, dh_T: ArrayLike, dH: ArrayLike | None = None,
                 inputs: bool = False) -> dict:
    """Backpropagation through time for the GRU, from ∂loss/∂h_T (and, if given, ∂loss/∂h_t for every t).

    Following gru_forward's equations backwards, with δh = ∂loss/∂h_t and
    m = h_{t-1} W_hnᵀ + b_hn (recomputed for all steps at once):
        h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}   δn = δh ⊙ (1 − z),  δz = δh ⊙ (h_{t-1} − n),  δh_prev = δh ⊙ z
        n = tanh(a_n + r ⊙ m)            δa_n = δn ⊙ (1 − n²)   (input side);  δm = δa_n ⊙ r,  δr = δa_n ⊙ m
        r = σ(a_r), z = σ(a_z)           δa_r = δr ⊙ r(1 − r),  δa_z = δz ⊙ z(1 − z)
        hidden side [a_r, a_z, m] = h_{t-1} W_hhᵀ + b_hh
                                         δh_prev += [δa_r, δa_z, δm] W_hh
    The input side gets [δa_r, δa_z, δa_n], the hidden side [δa_r, δa_z, δa_n ⊙ r]: b_hn and
    W_hn sit inside the reset product, so they see the gradient scaled by r.
    When the loss also reads the states on the way (an attention decoder reads every encoder
    state), dH[t - 1] = its direct ∂loss/∂h_t is added to δh at step t. A trace with a mask
    (padding, where h_t = h_{t-1}) sends δh straight through its padding steps.

    Args:
        trace: from gru_forward with a batched X; weights: dict W_ih, W_hh, b_ih, b_hh; dh_T: (batch, hidden);
        dH: None, or (T, batch, hidden), the loss's direct gradient with respect to each state;
        inputs: also return ∂loss/∂X under "X", as rnn_backward.
    Returns:
        dict W_ih, W_hh, b_ih, b_hh of gradients, each of its weight's shape.
    """
    W_hh, H_prev, dh = _check_trace("gru", trace, weights, dh_T)
    r, z, n = trace["r"], trace["z"], trace["n"]  # each (T, batch, hidden)
    T, batch, hidden = r.shape
    if dH is not None and np.shape(dH) != r.shape:
        raise ValueError(f"H has shape {r.shape} so dH must have that shape too, got {np.shape(dH)}")
    b_hn = _as_float(weights["b_hh"])[2 * hidden:].astype(r.dtype)  # (hidden,)
    M = H_prev @ W_hh[2 * hidden:].T + b_hn  # (T, batch, hidden) x (hidden, hidden) -> (T, batch, hidden)
    # Everything but δh is known from the forward pass: the local factors, for all steps at once.
    K_n = (1.0 - z) * (1.0 - n**2)  # δa_n = δh ⊙ (1 − z) ⊙ tanh'    (through h_t's share of n, then tanh)
    K_z = (H_prev - n) * z * (1.0 - z)  # δa_z = δh ⊙ (h_{t-1} − n) ⊙ σ'
    K_r = M * r * (1.0 - r)  # δa_r = δa_n ⊙ m ⊙ σ'                  (r multiplies m)
    dA_h = np.empty((T, batch, 3, hidden), r.dtype)  # (T, batch, 3, hidden): blocks r, z, n of the hidden side
    dA_n = np.empty((T, batch, hidden), r.dtype)  # δa_n, the input side's n block
    mask = trace.get("mask")  # (T, batch) or None
    for t in range(T - 1, -1, -1):
        if dH is not None:
            dh = dh + dH[t]  # what h_t feeds besides h_{t+1} (an attention decoder reads every state)
        carried = None
        if mask is not None:  # padding rows neither update the weights nor change δh: h_t = h_{t-1} there
            real = mask[t][:, None]  # (batch, 1)
            dh, carried = dh * real, dh * ~real
        np.multiply(dh, K_n[t], out=dA_n[t])
        np.multiply(dA_n[t], K_r[t], out=dA_h[t, :, 0])  # δa_r
        np.multiply(dh, K_z[t], out=dA_h[t, :, 1])  # δa_z
        np.multiply(dA_n[t], r[t], out=dA_h[t, :, 2])  # δm = δa_n ⊙ r: b_hn and W_hn sit inside the reset product
        # h_{t-1} is used twice: directly in the mix (δh ⊙ z), and through every gate's h W_hhᵀ.
        dh = dh * z[t] + dA_h[t].reshape(batch, 3 * hidden) @ W_hh  # (batch, hidden)
        if carried is not None:
            dh += carried
    dA_x = dA_h.copy()  # the input side: [δa_r, δa_z, δa_n]
    dA_x[:, :, 2] = dA_n
    return _weight_grads(trace, H_prev, dA_x.reshape(T, batch, 3 * hidden), dA_h.reshape(T, batch, 3 * hidden),
                         weights["W_ih"] if inputs else None)


_BACKWARD = {"rnn": rnn_backward, "lstm": lstm_backward, "gru": gru_backward}


def backward(kind: str, trace: dict, weights: dict, dh_T: ArrayLike, inputs: bool = False) -> dict:
    """rnn_backward, lstm_backward or gru_backward, by kind: dict W_ih, W_hh, b_ih, b_hh of gradients
    (and X, ∂loss/∂X, if inputs)."""
    _check_kind(kind)
    return _BACKWARD[kind](trace, weights, dh_T, inputs=inputs)


# --- the whole model -------------------------------------------------------------------------
#
# Four kinds of model read the same sequences: the three recurrent cells (read out at h_T) and
# "attention", one Transformer encoder layer of core.transformer (sinusoidal positions, one head,
# W_o, residuals, LayerNorm, ReLU FFN of width 4·hidden), read out at the cue, its last position.


def _check_model(kind: object) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")


def attention_config(input_size: int, hidden_size: int) -> transformer.Config:
    """The "attention" model's shape: d_model = hidden_size, one head, d_ff = 4·hidden_size, one layer."""
    return transformer.Config(d_in=input_size, d_model=hidden_size, num_heads=1, d_ff=4 * hidden_size,
                              num_layers=1, positional="sinusoidal")


def _config_of(params: dict) -> transformer.Config:
    d_model, d_in = params["input.weight"].shape
    return attention_config(d_in, d_model)


def _attention_forward(params: dict, X: np.ndarray) -> dict:
    """core.transformer.forward of the "attention" model on X (T, batch, input_size), taken as
    (batch, T, input_size); its positions follow X's dtype, so float32 training stays in float32."""
    body = {k: v for k, v in params.items() if k not in HEAD_KEYS}
    return transformer.forward(_config_of(params), body, np.swapaxes(X, 0, 1))


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random (n, n) orthogonal matrix, as torch.nn.init.orthogonal_: Q of the QR decomposition of
    a standard normal matrix, each column's sign fixed by R's diagonal so that Q is uniform (Haar)."""
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))  # (n, n) each
    return Q * np.sign(np.diag(R))  # (n, n): column j times sign(R_jj)


def init_params(kind: str, input_size: int, hidden_size: int, num_classes: int, seed: int,
                init: str = "pytorch", t_max: int | None = None) -> dict:
    """A model's parameters, and a head W_out (num_classes, hidden), b_out (num_classes,) ~ U(±1/√hidden)
    (torch.nn.Linear's), the head drawn from np.random.default_rng([seed, 1]).

    Recurrent cells start from core.recurrent.init_weights(kind, input_size, hidden_size, seed)
    (PyTorch's U(±1/√hidden)), then, by `init`:
        "pytorch"     unchanged;
        "orthogonal"  every gate's (hidden, hidden) block of W_hh a random orthogonal matrix
                      (Saxe et al. 2014; Keras' default for recurrent weights), from rng([seed, 4]):
                      h W_hhᵀ neither shrinks nor grows h at the start;
        "chrono"      orthogonal, and the chrono initialisation of the memory gate (Tallec & Ollivier
                      2018, "Can recurrent neural networks warp time?"), from rng([seed, 5]):
                          u ~ U(1, t_max − 1) per unit,   LSTM: b_f = log u, b_i = −log u;   GRU: b_z = log u
                      (in b_ih; b_hh's block set to 0) so that unit j starts keeping its memory for
                      about 1 + u_j steps: from 2 steps up to the whole sequence. Forget-gate bias 1
                      (Gers et al. 2000; Jozefowicz et al. 2015) is the same idea for one time scale.
    "attention" is core.transformer.init_params(attention_config(...), seed), PyTorch's initialisation.
    """
    _check_model(kind)
    if init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)}, got {init!r}")
    if kind == "attention":
        params = transformer.init_params(attention_config(input_size, hidden_size), seed)
    else:
        params = init_weights(kind, input_size, hidden_size, seed)
        gates = params["W_hh"].shape[0] // hidden_size
        if init in ("orthogonal", "chrono"):
            rng = np.random.default_rng([seed, 4])
            params["W_hh"] = np.concatenate([orthogonal(hidden_size, rng) for _ in range(gates)])  # (g·hidden, hidden)
        if init == "chrono" and kind in MEMORY_GATE:
            if t_max is None or t_max < 2:
                raise ValueError(f"the chrono initialisation needs t_max >= 2 (the sequence length), got {t_max!r}")
            log_u = np.log(np.random.default_rng([seed, 5]).uniform(1.0, t_max - 1, size=hidden_size))  # (hidden,)
            blocks = {"lstm": {"f": log_u, "i": -log_u}, "gru": {"z": log_u}}[kind]
            for gate, bias in blocks.items():
                j = GATE_ORDER[kind].index(gate)
                rows = slice(j * hidden_size, (j + 1) * hidden_size)
                params["b_ih"][rows], params["b_hh"][rows] = bias, 0.0
    num_classes = _check_positive_int("num_classes", num_classes)
    s = 1.0 / math.sqrt(hidden_size)
    rng = np.random.default_rng([seed, 1])
    params["W_out"] = rng.uniform(-s, s, size=(num_classes, hidden_size))
    params["b_out"] = rng.uniform(-s, s, size=num_classes)
    return params


def forward(kind: str, params: dict, X: ArrayLike) -> tuple[dict, np.ndarray]:
    """Run the model from zero states over a batch X (T, batch, input_size) and the head on its read-out:
    h_T for a recurrent cell, the last (cue) position's output for "attention".

    Returns:
        (the cell's trace, or core.transformer.forward's on X as (batch, T, input_size); logits (batch, classes)).
    """
    _check_model(kind)
    if np.ndim(X) != 3:
        raise ValueError(f"X has shape {np.shape(X)} but must be (T, batch, input_size)")
    if kind == "attention":
        trace = _attention_forward(params, _as_float(X))
        return trace, head_forward(trace["output"][:, -1], params["W_out"], params["b_out"])  # (batch, classes)
    W = {k: params[k] for k in CELL_KEYS}
    if kind == "rnn":
        trace = rnn_forward(X, None, **W)
    elif kind == "lstm":
        trace = lstm_forward(X, None, None, **W)
    else:
        trace = gru_forward(X, None, **W)
    logits = head_forward(trace["H"][-1], params["W_out"], params["b_out"])  # (batch, classes)
    return trace, logits


def loss_and_grads(kind: str, params: dict, X: ArrayLike, y: ArrayLike) -> tuple[float, dict]:
    """Mean cross-entropy of the model on (X, y) and its gradient with respect to every parameter.

        loss = cross_entropy(head_forward(read-out), y);   grads by head_backward, then backward(kind)
        (for "attention", core.transformer.backward from ∂loss/∂output, nonzero at the cue only)

    Args:
        kind: "rnn", "lstm", "gru" or "attention"; params: as init_params returns;
        X: (T, batch, input_size); y: (batch,) ints.
    Returns:
        (loss as a float, grads: dict with params' keys, each of its parameter's shape).
    """
    trace, logits = forward(kind, params, X)
    loss, dlogits = cross_entropy(logits, y)  # dlogits: (batch, classes)
    if kind == "attention":
        out = trace["output"]  # (batch, T, d_model)
        dW_out, db_out, d_cue = head_backward(out[:, -1], params["W_out"], dlogits)
        d_output = np.zeros_like(out)
        d_output[:, -1] = d_cue  # only the cue's output is read
        body = {k: v for k, v in params.items() if k not in HEAD_KEYS}
        grads = transformer.backward(_config_of(params), body, trace, d_output)
    else:
        dW_out, db_out, dh_T = head_backward(trace["H"][-1], params["W_out"], dlogits)
        grads = backward(kind, trace, params, dh_T)
    grads["W_out"], grads["b_out"] = dW_out, db_out
    return loss, grads


def evaluate(kind: str, params: dict, X: ArrayLike, y: ArrayLike) -> float:
    """Accuracy: the fraction of sequences whose largest logit is the target."""
    _, logits = forward(kind, params, X)
    return float(np.mean(logits.argmax(axis=1) == np.asarray(y)))


# --- optimisation -----------------------------------------------------------------------------


def clip_by_global_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Scale all gradients together so that their joint norm is at most max_norm:

        ‖g‖ = √(Σ_k ‖g_k‖²),   g_k ← g_k · min(1, max_norm / ‖g‖)

    One factor for every array keeps the update's direction (clipping each array alone would not).

    Args:
        grads: dict of arrays; max_norm: a positive float.
    Returns:
        (a new dict of the (possibly) scaled arrays, ‖g‖ before clipping as a float).
    """
    max_norm = float(max_norm)
    if not (max_norm > 0 and math.isfinite(max_norm)):
        raise ValueError(f"max_norm must be a positive finite float, got {max_norm!r}")
    norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values()))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: np.asarray(g) * scale for k, g in grads.items()}, norm


def adam_init(params: dict) -> dict:
    """Adam's state for `params`: step count t = 0 and zero first and second moments m, v (dicts like params)."""
    return {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
            "v": {k: np.zeros_like(v) for k, v in params.items()}}


def adam_step(params: dict, grads: dict, state: dict, lr: float,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> tuple[dict, dict]:
    """One Adam step (Kingma & Ba 2015), pure: nothing passed in is modified.

        t ← t + 1
        m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁ᵗ),       v̂ = v / (1 − β₂ᵗ)          (bias correction: m, v start at 0)
        θ ← θ − lr · m̂ / (√v̂ + ε)

    At t = 1, m̂ = g and v̂ = g², so every parameter moves by lr·g/(|g| + ε) ≈ lr·sign(g).

    Returns:
        (new params, new state), dicts with the same keys and shapes.
    """
    t = state["t"] + 1
    m = {k: beta1 * state["m"][k] + (1.0 - beta1) * grads[k] for k in params}
    v = {k: beta2 * state["v"][k] + (1.0 - beta2) * np.square(grads[k]) for k in params}
    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
    new = {k: params[k] - lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + eps) for k in params}
    return new, {"t": t, "m": m, "v": v}


def probe(kind: str, params: dict, X: ArrayLike, y: ArrayLike) -> dict:
    """What a model does inside, on a batch of memory_task (symbol at step 1, cue at step T), as floats:

        symbol_gradient   ‖∂loss/∂x_1‖ / ‖∂loss/∂x_T‖ (recurrent cells): how much of the error signal
                          at the cue still reaches the symbol's step; near 0 nothing can teach the cell
                          to store the symbol
        keep              LSTM f, GRU z: the memory gate's mean over the distractor steps (1 keeps all)
        write             LSTM i: the input gate's mean over the distractor steps (0 lets no noise in)
        attend            "attention": the cue's mean attention weight on the symbol's step
    """
    trace, logits = forward(kind, params, X)
    if kind == "attention":
        return {"attend": float(trace["layers"][0]["weights"][:, :, -1, 0].mean())}
    _, dlogits = cross_entropy(logits, y)
    _, _, dh_T = head_backward(trace["H"][-1], params["W_out"], dlogits)
    dX = backward(kind, trace, params, dh_T, inputs=True)["X"]  # (T, batch, input_size)
    out = {"symbol_gradient": float(np.linalg.norm(dX[0]) / max(np.linalg.norm(dX[-1]), 1e-30))}
    if kind in MEMORY_GATE:
        out["keep"] = float(trace[MEMORY_GATE[kind]][1:-1].mean()) if len(X) > 2 else float("nan")
    if kind == "lstm":
        out["write"] = float(trace["i"][1:-1].mean()) if len(X) > 2 else float("nan")
    return out


def train(
    kind: str, lag: int, hidden_size: int, steps: int, seed: int, batch: int = 64, lr: float = 0.01,
    clip: float | None = 1.0, callback: Callable[[int, float], bool | None] | None = None,
    num_symbols: int = 4, noise: float = 1.0, eval_every: int | None = None, eval_batch: int = 512,
    gate_bias: float | None = None, init: str = "pytorch", dtype: str = "float64", probe_every: int | None = None,
    solved_below: float | None = None, solved_window: int = 50,
) -> dict:
    """Train a model + head on memory_task with Adam and global-norm clipping, a fresh batch every step.

    Deterministic: the weights come from init_params(seed), the training batches from
    np.random.default_rng([seed, 2]) and the held-out batch from np.random.default_rng([seed, 3]),
    so the same arguments give identical results (on one machine; float32 sums may round differently
    on another).

    Args:
        kind: "rnn", "lstm", "gru" or "attention"; lag: memory_task's gap; hidden_size, steps, batch:
            positive ints; seed: int; lr: Adam's learning rate; clip: max global gradient norm, None for none;
        callback: called as callback(step, loss) after every step (step counted from 1);
            returning True stops training there (a Stop button, a time cap);
        num_symbols, noise: memory_task's; eval_every: also measure held-out accuracy every this many steps;
        eval_batch: size of the held-out batch;
        init: init_params' ("pytorch", "orthogonal", "chrono" with t_max = lag + 2, the sequence length);
        gate_bias: LSTM and GRU: then set the gate that keeps the memory (the LSTM's forget gate f,
            the GRU's update gate z; MEMORY_GATE) to this total bias, so the cell starts out remembering
            (core.recurrent.with_gate_bias; 1 is Gers et al. 2000's and Jozefowicz et al. 2015's).
            None, or any value for the RNN and attention, which have no such gate: init's bias unchanged.
        dtype: "float64", or "float32" (about twice as fast; the gradient checks are made in float64).
        probe_every: also record probe() on the first 64 held-out sequences at step 0 (before training)
            and every this many steps;
        solved_below: stop once the training loss averaged over the last solved_window steps is below
            this (the task is solved: 0.01 is a probability of about 99% on the right symbol); None: never.
    Returns:
        dict with
            loss (steps_done,) float64, the training loss at each step (before its update);
            grad_norm (steps_done,) the global gradient norm before clipping;
            accuracy: float, held-out accuracy after the last step done;
            history: list of (step, accuracy) every eval_every steps (empty when eval_every is None);
            probes: list of (step, probe dict) every probe_every steps (empty when None);
            steps: steps done; stopped: None (every step done), "solved" (solved_below) or "callback";
            params: the final parameters (float64);
            chance: 1 / num_symbols.
    """
    _check_model(kind)
    steps = _check_positive_int("steps", steps)
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    for name, every in (("eval_every", eval_every), ("probe_every", probe_every)):
        if every is not None:
            _check_positive_int(name, every)
    dt = np.dtype(dtype)
    X_eval, y_eval = memory_task(lag, eval_batch, num_symbols, noise, seed=np.random.default_rng([seed, 3]))
    X_eval = X_eval.astype(dt)
    params = init_params(kind, X_eval.shape[2], hidden_size, num_symbols, seed, init=init, t_max=lag + 2)
    if gate_bias is not None and kind in MEMORY_GATE:
        params.update(with_gate_bias(kind, {k: params[k] for k in CELL_KEYS}, MEMORY_GATE[kind], gate_bias))
    # Every parameter is a view into one flat vector θ, so that clipping and Adam each run a few
    # operations on θ instead of a few per array (the same arithmetic, element by element).
    keys, shapes = list(params), [params[k].shape for k in params]
    ends = np.cumsum([math.prod(shape) for shape in shapes]).tolist()

    def views(theta: np.ndarray) -> dict:
        return {k: theta[end - math.prod(shape):end].reshape(shape)
                for k, shape, end in zip(keys, shapes, ends, strict=True)}

    theta = np.concatenate([params[k].astype(dt).ravel() for k in keys])  # (number of parameters,)
    params, state = views(theta), adam_init({"θ": theta})
    data = np.random.default_rng([seed, 2])
    losses, norms, history, probes, stopped = [], [], [], [], None
    X_probe, y_probe = X_eval[:, :64], y_eval[:64]  # (T, 64, input_size): a look inside costs about two steps
    if probe_every is not None:
        probes.append((0, probe(kind, params, X_probe, y_probe)))
    for step in range(1, steps + 1):
        X, y = memory_task(lag, batch, num_symbols, noise, seed=data)
        loss, grads = loss_and_grads(kind, params, X.astype(dt), y)
        grad = {"θ": np.concatenate([grads[k].ravel() for k in keys])}  # (number of parameters,)
        if clip is not None:
            grad, norm = clip_by_global_norm(grad, clip)
        else:
            norm = float(np.linalg.norm(grad["θ"]))
        theta = adam_step({"θ": theta}, grad, state, lr)
        theta, state = theta[0]["θ"], theta[1]
        params = views(theta)
        losses.append(loss)
        norms.append(norm)
        if eval_every is not None and step % eval_every == 0:
            history.append((step, evaluate(kind, params, X_eval, y_eval)))
        if probe_every is not None and step % probe_every == 0:
            probes.append((step, probe(kind, params, X_probe, y_probe)))
        if callback is not None and callback(step, loss):
            stopped = "callback"
            break
        if solved_below is not None and step >= solved_window and np.mean(losses[-solved_window:]) < solved_below:
            stopped = "solved"
            break
    if probe_every is not None and probes[-1][0] != len(losses):
        probes.append((len(losses), probe(kind, params, X_probe, y_probe)))  # the last look: after training
    return {
        "loss": np.array(losses), "grad_norm": np.array(norms),
        "accuracy": evaluate(kind, params, X_eval, y_eval), "history": history, "probes": probes,
        "steps": len(losses), "stopped": stopped, "params": {k: v.astype(np.float64) for k, v in params.items()},
        "chance": 1.0 / num_symbols,
    }
