"""Training recurrent cells by hand: a long-term memory task, backpropagation through time, Adam.

The model is one recurrent cell (core.recurrent, PyTorch's layout and gate order) read out by
a linear head on its last hidden state, trained with softmax cross-entropy:

    H = cell(X)                       forward pass of core.recurrent, its trace reused here
    logits = h_T W_outᵀ + b_out       (batch, num_symbols), W_out in torch.nn.Linear's layout
    loss = −(1/batch) Σ_b log softmax(logits_b)[y_b]

Parameters are a dict (what init_params returns; train and loss_and_grads take it):
    W_ih, W_hh, b_ih, b_hh   the cell's weights, as core.recurrent.init_weights
    W_out (num_symbols, hidden), b_out (num_symbols,)   the head
Gradients are a dict with the SAME keys and shapes (grads["W_hh"] is ∂loss/∂W_hh), so an
optimiser can zip them; *_backward functions return the cell's four keys only.

Backpropagation through time runs over a batched trace (time-major, (T, batch, hidden));
only time is a Python loop. The weight gradients are summed over steps after the loop, as
one product of the stacked pre-activation gradients with the stacked inputs and states.

Dimensions:
    T            sequence length, lag + 2 for memory_task
    batch        sequences processed side by side
    input_size   width of x_t: num_symbols + 2 for memory_task
    hidden       width of h (and of the LSTM cell c)
    gates        1 (RNN), 4 (LSTM), 3 (GRU)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .attention import _as_float, _check_positive_int, softmax
from .recurrent import _check_kind, gru_forward, init_weights, lstm_forward, rnn_forward, with_gate_bias

__all__ = [
    "adam_init", "adam_step", "backward", "clip_by_global_norm", "cross_entropy", "evaluate", "forward",
    "gru_backward", "gru_step_backward", "head_backward", "head_forward", "init_params", "loss_and_grads",
    "lstm_backward",
    "memory_task", "rnn_backward", "train",
]

CELL_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")
PARAM_KEYS = CELL_KEYS + ("W_out", "b_out")
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
    H_prev = np.concatenate([trace["h0"][None], H[:-1]])  # (T, batch, hidden): H_prev[t - 1] = h_{t-1}
    return W_hh, H_prev, dh_T


def _weight_grads(trace: dict, H_prev: np.ndarray, dA_x: np.ndarray, dA_h: np.ndarray) -> dict:
    """Sum the per-step weight gradients, all steps and sequences at once.

    dA_x[t] = ∂loss/∂(x_t W_ihᵀ + b_ih) and dA_h[t] = ∂loss/∂(h_{t-1} W_hhᵀ + b_hh), each
    (T, batch, gates·hidden); they differ only in the GRU, whose n block of the second is
    multiplied by r.
        ∂loss/∂W_ih = Σ_t dA_x[t]ᵀ x_t,   ∂loss/∂W_hh = Σ_t dA_h[t]ᵀ h_{t-1},   biases: Σ_t Σ_b
    """
    X = trace["X"]
    rows = dA_x.shape[-1]
    flat_x = dA_x.reshape(-1, rows)  # (T·batch, gates·hidden)
    flat_h = dA_h.reshape(-1, rows)  # (T·batch, gates·hidden)
    return {
        "W_ih": flat_x.T @ X.reshape(-1, X.shape[-1]),  # (gates·hidden, T·batch) x (T·batch, input) -> (g·h, input)
        "W_hh": flat_h.T @ H_prev.reshape(-1, H_prev.shape[-1]),  # -> (gates·hidden, hidden)
        "b_ih": flat_x.sum(axis=0),  # (gates·hidden,)
        "b_hh": flat_h.sum(axis=0),  # (gates·hidden,)
    }


def rnn_backward(trace: dict, weights: dict, dh_T: ArrayLike) -> dict:
    """Backpropagation through time for the Elman RNN, from ∂loss/∂h_T (loss reading h_T only).

    Forward, step t:  a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh,   h_t = tanh(a_t)
    Backward, t = T..1, with δh = ∂loss/∂h_t (δh = dh_T at t = T):
        δa = δh ⊙ (1 − h_t²)          (relu: δh ⊙ [h_t > 0])
        δh ← δa W_hh                  the gradient h_{t-1} receives, through its one use
    then ∂W_ih = Σ_t δa_tᵀ x_t, ∂W_hh = Σ_t δa_tᵀ h_{t-1}, ∂b_ih = ∂b_hh = Σ_t Σ_b δa_t.

    Args:
        trace: from rnn_forward with a batched X (T, batch, input_size);
        weights: dict W_ih, W_hh, b_ih, b_hh; dh_T: (batch, hidden).
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
    return _weight_grads(trace, H_prev, dA, dA)


def lstm_backward(trace: dict, weights: dict, dh_T: ArrayLike) -> dict:
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
    W_hh, _, dh = _check_trace("lstm", trace, weights, dh_T)
    i, f, g, o, C = (trace[k] for k in ("i", "f", "g", "o", "C"))  # each (T, batch, hidden)
    C_prev = np.concatenate([trace["c0"][None], C[:-1]])  # (T, batch, hidden): C_prev[t - 1] = c_{t-1}
    H_prev = np.concatenate([trace["h0"][None], trace["H"][:-1]])  # (T, batch, hidden)
    tanh_C = np.tanh(C)  # (T, batch, hidden)
    T, batch, hidden = C.shape
    dA = np.empty((T, batch, 4, hidden))  # (T, batch, 4, hidden): the gate blocks i, f, g, o of δa
    dc = np.zeros((batch, hidden))  # c_T feeds nothing after the last step
    for t in range(T - 1, -1, -1):
        # h_t = o ⊙ tanh(c_t): to the output gate, and to the cell (added to what step t+1 sent).
        do = dh * tanh_C[t]  # (batch, hidden)
        dc = dc + dh * o[t] * (1.0 - tanh_C[t] ** 2)  # (batch, hidden)
        # c_t = f ⊙ c_{t-1} + i ⊙ g: each factor gets δc times the other one.
        dA[t, :, 0] = dc * g[t] * i[t] * (1.0 - i[t])  # δa_i = δi ⊙ σ'
        dA[t, :, 1] = dc * C_prev[t] * f[t] * (1.0 - f[t])  # δa_f = δf ⊙ σ'
        dA[t, :, 2] = dc * i[t] * (1.0 - g[t] ** 2)  # δa_g = δg ⊙ tanh'
        dA[t, :, 3] = do * o[t] * (1.0 - o[t])  # δa_o = δo ⊙ σ'
        dc = dc * f[t]  # into c_{t-1}: the direct cell path
        dh = dA[t].reshape(batch, 4 * hidden) @ W_hh  # (batch, 4·hidden) x (4·hidden, hidden) -> (batch, hidden)
    dA = dA.reshape(T, batch, 4 * hidden)  # (T, batch, 4·hidden), blocks in PyTorch's order
    return _weight_grads(trace, H_prev, dA, dA)


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


def gru_backward(trace: dict, weights: dict, dh_T: ArrayLike, dH: ArrayLike | None = None) -> dict:
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
        dH: None, or (T, batch, hidden), the loss's direct gradient with respect to each state.
    Returns:
        dict W_ih, W_hh, b_ih, b_hh of gradients, each of its weight's shape.
    """
    W_hh, H_prev, dh = _check_trace("gru", trace, weights, dh_T)
    r, z, n = trace["r"], trace["z"], trace["n"]  # each (T, batch, hidden)
    T, batch, hidden = r.shape
    if dH is not None and np.shape(dH) != r.shape:
        raise ValueError(f"H has shape {r.shape} so dH must have that shape too, got {np.shape(dH)}")
    b_hn = _as_float(weights["b_hh"])[2 * hidden:]  # (hidden,)
    M = H_prev @ W_hh[2 * hidden:].T + b_hn  # (T, batch, hidden) x (hidden, hidden) -> (T, batch, hidden)
    dA_x = np.empty((T, batch, 3 * hidden))  # (T, batch, 3·hidden): blocks r, z, n of the input side
    dA_h = np.empty((T, batch, 3 * hidden))  # the same for the hidden side
    mask = trace.get("mask")  # (T, batch) or None
    for t in range(T - 1, -1, -1):
        if dH is not None:
            dh = dh + dH[t]
        if mask is None:
            dA_x[t], dA_h[t], dh = gru_step_backward(dh, r[t], z[t], n[t], H_prev[t], M[t], W_hh)
        else:
            real = mask[t][:, None]  # (batch, 1): padding rows neither update the weights nor change δh
            dA_x[t], dA_h[t], dh_prev = gru_step_backward(dh * real, r[t], z[t], n[t], H_prev[t], M[t], W_hh)
            dh = dh_prev + dh * ~real
    return _weight_grads(trace, H_prev, dA_x, dA_h)


_BACKWARD = {"rnn": rnn_backward, "lstm": lstm_backward, "gru": gru_backward}


def backward(kind: str, trace: dict, weights: dict, dh_T: ArrayLike) -> dict:
    """rnn_backward, lstm_backward or gru_backward, by kind: dict W_ih, W_hh, b_ih, b_hh of gradients."""
    _check_kind(kind)
    return _BACKWARD[kind](trace, weights, dh_T)


# --- the whole model -------------------------------------------------------------------------


def init_params(kind: str, input_size: int, hidden_size: int, num_classes: int, seed: int) -> dict:
    """Cell weights from core.recurrent.init_weights(kind, input_size, hidden_size, seed), and a head

        W_out (num_classes, hidden), b_out (num_classes,) ~ U(−1/√hidden, 1/√hidden)   (torch.nn.Linear's)

    drawn from np.random.default_rng([seed, 1]), so the cell's numbers match init_weights with the same seed.
    """
    params = init_weights(kind, input_size, hidden_size, seed)
    num_classes = _check_positive_int("num_classes", num_classes)
    s = 1.0 / math.sqrt(hidden_size)
    rng = np.random.default_rng([seed, 1])
    params["W_out"] = rng.uniform(-s, s, size=(num_classes, hidden_size))
    params["b_out"] = rng.uniform(-s, s, size=num_classes)
    return params


def forward(kind: str, params: dict, X: ArrayLike) -> tuple[dict, np.ndarray]:
    """Run the cell from zero states over a batch X (T, batch, input_size) and the head on h_T.

    Returns:
        (the cell's trace, logits (batch, classes)).
    """
    _check_kind(kind)
    if np.ndim(X) != 3:
        raise ValueError(f"X has shape {np.shape(X)} but must be (T, batch, input_size)")
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

        loss = cross_entropy(head_forward(h_T), y);   grads by head_backward, then backward(kind)

    Args:
        kind: "rnn", "lstm" or "gru"; params: dict of PARAM_KEYS (init_params);
        X: (T, batch, input_size); y: (batch,) ints.
    Returns:
        (loss as a float, grads: dict with params' keys, each of its parameter's shape).
    """
    trace, logits = forward(kind, params, X)
    loss, dlogits = cross_entropy(logits, y)  # dlogits: (batch, classes)
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


def train(
    kind: str, lag: int, hidden_size: int, steps: int, seed: int, batch: int = 64, lr: float = 0.01,
    clip: float | None = 1.0, callback: Callable[[int, float], bool | None] | None = None,
    num_symbols: int = 4, noise: float = 1.0, eval_every: int | None = None, eval_batch: int = 512,
    gate_bias: float | None = None,
) -> dict:
    """Train cell + head on memory_task with Adam and global-norm clipping, a fresh batch every step.

    Deterministic: the weights come from init_params(seed), the training batches from
    np.random.default_rng([seed, 2]) and the held-out batch from np.random.default_rng([seed, 3]),
    so the same arguments give identical results.

    Args:
        kind: "rnn", "lstm" or "gru"; lag: memory_task's gap; hidden_size, steps, batch: positive ints;
        seed: int; lr: Adam's learning rate; clip: max global gradient norm, None for no clipping;
        callback: called as callback(step, loss) after every step (step counted from 1);
            returning True stops training there (a Stop button, a time cap);
        num_symbols, noise: memory_task's; eval_every: also measure held-out accuracy every this many steps;
        eval_batch: size of the held-out batch;
        gate_bias: LSTM and GRU: start with the gate that keeps the memory (the LSTM's forget gate f,
            the GRU's update gate z; MEMORY_GATE) at this total bias, so the cell starts out remembering
            (core.recurrent.with_gate_bias; 1 to 2 is the usual remedy for forgetting too fast).
            None, or any value for the RNN, which has no gate: PyTorch's initialisation unchanged.
    Returns:
        dict with
            loss (steps_done,) float64, the training loss at each step (before its update);
            grad_norm (steps_done,) the global gradient norm before clipping;
            accuracy: float, held-out accuracy after the last step done;
            history: list of (step, accuracy) every eval_every steps (empty when eval_every is None);
            steps: steps done (< steps if the callback stopped training); params: the final parameters;
            chance: 1 / num_symbols.
    """
    _check_kind(kind)
    steps = _check_positive_int("steps", steps)
    if eval_every is not None:
        eval_every = _check_positive_int("eval_every", eval_every)
    X_eval, y_eval = memory_task(lag, eval_batch, num_symbols, noise, seed=np.random.default_rng([seed, 3]))
    params = init_params(kind, X_eval.shape[2], hidden_size, num_symbols, seed)
    if gate_bias is not None and kind in MEMORY_GATE:
        params.update(with_gate_bias(kind, {k: params[k] for k in CELL_KEYS}, MEMORY_GATE[kind], gate_bias))
    state = adam_init(params)
    data = np.random.default_rng([seed, 2])
    losses, norms, history = [], [], []
    for step in range(1, steps + 1):
        X, y = memory_task(lag, batch, num_symbols, noise, seed=data)
        loss, grads = loss_and_grads(kind, params, X, y)
        if clip is not None:
            grads, norm = clip_by_global_norm(grads, clip)
        else:
            norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values()))
        params, state = adam_step(params, grads, state, lr)
        losses.append(loss)
        norms.append(norm)
        if eval_every is not None and step % eval_every == 0:
            history.append((step, evaluate(kind, params, X_eval, y_eval)))
        if callback is not None and callback(step, loss):
            break
    return {
        "loss": np.array(losses), "grad_norm": np.array(norms),
        "accuracy": evaluate(kind, params, X_eval, y_eval), "history": history,
        "steps": len(losses), "params": params, "chance": 1.0 / num_symbols,
    }
