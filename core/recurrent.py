"""Recurrent cells (Elman RNN, LSTM, GRU) in NumPy, in PyTorch's layout, and their gradient flow.

Conventions (those of torch.nn.RNN / LSTM / GRU with batch_first=False, one layer, so the
weights of a trained PyTorch module load here unchanged and give the same numbers):
    - time-major: X has shape (T, input_size) or (T, batch, input_size);
    - weights multiply from the left, x Wᵀ: W_ih has shape (gates·hidden, input_size) and
      W_hh has shape (gates·hidden, hidden), the gates stacked in PyTorch's order
      (LSTM: i, f, g, o; GRU: r, z, n);
    - two bias vectors, b_ih and b_hh, each of shape (gates·hidden,), as in PyTorch;
    - h0 (and c0) have shape (hidden,) for one sequence or (batch, hidden) for a batch,
      None meaning zeros.

Loading a trained PyTorch module (the tests check the numbers against PyTorch 2.13):

    lstm = torch.nn.LSTM(input_size, hidden_size)          # one layer, batch_first=False
    w = {name: getattr(lstm, f"{name}_l0").detach().double().numpy()
         for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    trace = lstm_forward(X, h0, c0, w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
    # trace["H"] equals lstm(torch.from_numpy(X).unsqueeze(1))[0].squeeze(1)

Steps are counted from 1: step t reads x_t = X[t - 1] and turns h_{t-1} into h_t, so h_0 = h0
is the initial state and the trace's H[t - 1] = h_t.

Every forward pass returns a trace, a dict of arrays (as core.attention.self_attention does):
    all kinds  X, h0, H                H: (T, hidden) or (T, batch, hidden), H[t - 1] = h_t
    "rnn"      nonlinearity            "tanh" or "relu" (a str, not an array)
    "lstm"     c0, C, i, f, g, o       each of H's shape, C[t - 1] = c_t, gates at step t
    "gru"      r, z, n                 each of H's shape, gates at step t

Dimensions:
    T       sequence length (number of steps)
    batch   sequences processed side by side
    hidden  width of the hidden state h (and of the LSTM cell state c)
    gates   1 (RNN), 4 (LSTM), 3 (GRU): blocks of `hidden` rows stacked in W_ih, W_hh, b_ih, b_hh
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .attention import _as_float, _check_positive_int

__all__ = [
    "count_parameters", "count_parameters_textbook", "forget_gate_path", "gradient_norms", "gru_cell", "gru_forward",
    "hidden_jacobians", "init_weights", "input_jacobians", "lstm_forward", "parameter_shapes", "rnn_forward", "sigmoid",
    "state_jacobians", "step_input_jacobians", "step_jacobians", "trace_gradient_norms", "with_gate_bias",
]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
GATE_ORDER = {"rnn": "h", "lstm": "ifgo", "gru": "rzn"}  # the blocks of W_ih, W_hh, b_ih, b_hh, top to bottom


def _check_kind(kind: object) -> int:
    if kind not in GATES:
        raise ValueError(f"kind must be one of {sorted(GATES)}, got {kind!r}")
    return GATES[kind]


def sigmoid(x: ArrayLike) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(-x)), computed as (1 + tanh(x/2)) / 2, the same function, so that no
    exponent overflows (tanh saturates at ±1) and one transcendental call serves instead of two.

    Returns an array of x's shape with values in [0, 1].
    """
    return 0.5 * (1.0 + np.tanh(0.5 * _as_float(x)))


# --- shared checks ------------------------------------------------------------------------


def _prepare(X, states, W_ih, W_hh, b_ih, b_hh, gates):
    """Check shapes; return X as (T, batch, input_size), states as (batch, hidden), the weights, batched.

    `states` maps a name ("h0", "c0") to an array or None (zeros). An unbatched sequence is
    run as a batch of one and squeezed back by _unbatch.
    """
    X = _as_float(X)
    if X.ndim not in (2, 3) or X.shape[0] == 0:
        raise ValueError(
            f"X has shape {X.shape} but must be (T, input_size) or (T, batch, input_size) with T >= 1"
        )
    W_ih, W_hh, b_ih, b_hh = (_as_float(a) for a in (W_ih, W_hh, b_ih, b_hh))
    if W_hh.ndim != 2 or W_hh.shape[1] == 0 or W_hh.shape[0] != gates * W_hh.shape[1]:
        raise ValueError(f"W_hh has shape {W_hh.shape} but must be ({gates}·hidden, hidden) for {gates} gate(s)")
    hidden = W_hh.shape[1]
    rows = gates * hidden
    if W_ih.shape != (rows, X.shape[-1]):
        raise ValueError(
            f"X has shape {X.shape} and W_hh has shape {W_hh.shape}, so W_ih must have shape "
            f"({rows}, {X.shape[-1]}) = (gates·hidden, input_size), but it has shape {W_ih.shape}"
        )
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b.shape != (rows,):
            raise ValueError(f"W_hh has shape {W_hh.shape} but {name} has shape {b.shape}: it must be ({rows},)")

    batched = X.ndim == 3
    expected = (X.shape[1], hidden) if batched else (hidden,)
    checked = {}
    for name, s in states.items():
        s = np.zeros(expected) if s is None else _as_float(s)
        if s.shape != expected:
            layout = "(batch, hidden)" if batched else "(hidden,)"
            raise ValueError(
                f"X has shape {X.shape} but {name} has shape {s.shape}: {name} must have shape {expected} = {layout}"
            )
        checked[name] = s if batched else s[None, :]  # (hidden,) -> (1, hidden)
    X3 = X if batched else X[:, None, :]  # (T, input_size) -> (T, 1, input_size)
    return X3, checked, (W_ih, W_hh, b_ih, b_hh), batched


def _blocks(a: np.ndarray, gates: int) -> np.ndarray:
    """(batch, gates·hidden) as `gates` views of shape (batch, hidden), the gate blocks in order.

    np.split does the same, but its bookkeeping costs more than a step of a small cell.
    """
    return a.reshape(a.shape[0], gates, -1).swapaxes(0, 1)  # (gates, batch, hidden)


def _unbatch(trace: dict, batched: bool) -> dict:
    """Drop the batch axis of size 1 that _prepare added to an unbatched sequence."""
    if batched:
        return trace
    return {
        k: v if isinstance(v, str) else v[:, 0] if v.ndim == 3 else v[0]  # (T, 1, h) -> (T, h); (1, h) -> (h,)
        for k, v in trace.items()
    }


# --- forward passes -------------------------------------------------------------------------
#
# The loops below are written for speed as well as for reading (the memory lab trains on them):
# every step writes into arrays allocated once, and each sigmoid gate is computed as
# σ(a) = ½(1 + tanh(a/2)) with the ½ folded into the gate's rows of the weights beforehand
# (multiplying by a power of two is exact), so one tanh per step serves every gate. Float32
# weights and inputs give a float32 trace (training); anything else computes in float64.


def _result_dtype(*arrays) -> np.dtype:
    """float32 if every array is float32, else float64."""
    return np.dtype(np.float32) if all(a.dtype == np.float32 for a in arrays) else np.dtype(np.float64)


def _sigmoid_scale(blocks: str, hidden: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-row factors for the gate blocks ("s" a sigmoid gate, "t" a tanh): (half, shift), each (blocks·hidden,).

    Rows of a sigmoid gate are pre-scaled by ½ and mapped back by ½·tanh + ½; tanh rows by 1 and 0.
    """
    half = np.repeat([0.5 if b == "s" else 1.0 for b in blocks], hidden).astype(dtype)
    return half, np.repeat([0.5 if b == "s" else 0.0 for b in blocks], hidden).astype(dtype)


def rnn_forward(
    X: ArrayLike, h0: ArrayLike | None, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
    nonlinearity: str = "tanh",
) -> dict:
    """Elman RNN, as torch.nn.RNN:

        h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)      (relu instead of tanh if asked)

    Args:
        X: (T, input_size) or (T, batch, input_size).
        h0: (hidden,) or (batch, hidden), matching X; None for zeros.
        W_ih: (hidden, input_size); W_hh: (hidden, hidden); b_ih, b_hh: (hidden,).
        nonlinearity: "tanh" or "relu".
    Returns:
        trace dict: X, h0, H of shape (T, hidden) or (T, batch, hidden), and nonlinearity.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    X3, states, (W_ih, W_hh, b_ih, b_hh), batched = _prepare(X, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 1)
    dtype = _result_dtype(X3, W_ih, W_hh, b_ih, b_hh)
    h = states["h0"].astype(dtype, copy=False)  # (batch, hidden)
    # The input term does not depend on h, so all T steps get it in one product.
    H = X3 @ W_ih.T.astype(dtype) + (b_ih + b_hh).astype(dtype)  # (T, batch, input) x (input, hidden) -> (T, b, hidden)
    W_hhT = W_hh.T.astype(dtype)  # (hidden, hidden)
    for t in range(X3.shape[0]):
        H[t] += h @ W_hhT  # (batch, hidden) x (hidden, hidden) -> (batch, hidden)
        if nonlinearity == "tanh":
            np.tanh(H[t], out=H[t])
        else:
            np.maximum(H[t], 0.0, out=H[t])
        h = H[t]
    trace = {"X": X3, "h0": states["h0"], "H": H, "nonlinearity": nonlinearity}  # H: (T, batch, hidden)
    return _unbatch(trace, batched)


def lstm_forward(
    X: ArrayLike, h0: ArrayLike | None, c0: ArrayLike | None,
    W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> dict:
    """Long short-term memory, as torch.nn.LSTM (gates stacked i, f, g, o):

        i_t = σ(x_t W_iiᵀ + b_ii + h_{t-1} W_hiᵀ + b_hi)     input gate
        f_t = σ(x_t W_ifᵀ + b_if + h_{t-1} W_hfᵀ + b_hf)     forget gate
        g_t = tanh(x_t W_igᵀ + b_ig + h_{t-1} W_hgᵀ + b_hg)  candidate cell
        o_t = σ(x_t W_ioᵀ + b_io + h_{t-1} W_hoᵀ + b_ho)     output gate
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    Args:
        X: (T, input_size) or (T, batch, input_size).
        h0, c0: (hidden,) or (batch, hidden), matching X; None for zeros.
        W_ih: (4·hidden, input_size); W_hh: (4·hidden, hidden); b_ih, b_hh: (4·hidden,).
    Returns:
        trace dict: X, h0, c0, and H, C, i, f, g, o, each (T, hidden) or (T, batch, hidden).
    """
    X3, states, (W_ih, W_hh, b_ih, b_hh), batched = _prepare(X, {"h0": h0, "c0": c0}, W_ih, W_hh, b_ih, b_hh, 4)
    dtype = _result_dtype(X3, W_ih, W_hh, b_ih, b_hh)
    T, batch, hidden = X3.shape[0], X3.shape[1], W_hh.shape[1]
    half, shift = _sigmoid_scale("ssts", hidden, dtype)  # i, f, o are sigmoids, g a tanh
    # G[t] holds the step's four gates side by side: first the (halved) pre-activations, then the gates.
    G = X3 @ (W_ih.T * half).astype(dtype) + ((b_ih + b_hh) * half).astype(dtype)  # (T, batch, 4·hidden)
    W_hhT = (W_hh.T * half).astype(dtype)  # (hidden, 4·hidden)
    C, H = np.empty((T, batch, hidden), dtype), np.empty((T, batch, hidden), dtype)
    h, c = states["h0"].astype(dtype, copy=False), states["c0"].astype(dtype, copy=False)  # (batch, hidden) each
    for t in range(T):
        a = G[t]  # (batch, 4·hidden)
        a += h @ W_hhT  # (batch, hidden) x (hidden, 4·hidden) -> (batch, 4·hidden)
        np.tanh(a, out=a)
        a *= half  # i, f, o: ½ tanh(a/2) + ½ = σ(a);  g: tanh(a)
        a += shift
        i, f, g, o = _blocks(a, 4)  # input, forget gates, candidate cell, output gate: each (batch, hidden)
        np.multiply(f, c, out=C[t])  # keep f of the old cell ...
        C[t] += i * g  # ... and write i of the candidate
        c = C[t]
        np.tanh(c, out=H[t])
        H[t] *= o  # show o of the squashed cell
        h = H[t]
    gates = G.reshape(T, batch, 4, hidden)  # the blocks i, f, g, o as views, no copy
    trace = {"X": X3, "h0": states["h0"], "c0": states["c0"], "H": H, "C": C}
    trace.update({k: gates[:, :, n] for n, k in enumerate("ifgo")})  # each (T, batch, hidden)
    return _unbatch(trace, batched)


def gru_cell(xw: np.ndarray, h: np.ndarray, W_hh: np.ndarray, b_hh: np.ndarray):
    """One step of gru_forward, its input side already computed (xw = x_t W_ihᵀ + b_ih):

        r = σ(xw_r + h W_hrᵀ + b_hr),  z = σ(xw_z + h W_hzᵀ + b_hz),
        n = tanh(xw_n + r ⊙ (h W_hnᵀ + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h

    For a recurrence whose next input depends on its own state (an attention decoder), which
    cannot compute every step's input side at once as gru_forward does. No shape checks.

    Args:
        xw: (batch, 3·hidden); h: (batch, hidden); W_hh: (3·hidden, hidden); b_hh: (3·hidden,).
    Returns:
        (h', r, z, n), each (batch, hidden).
    """
    x_r, x_z, x_n = _blocks(xw, 3)  # each (batch, hidden): x W_i·ᵀ + b_i·
    h_r, h_z, h_n = _blocks(h @ W_hh.T + b_hh, 3)  # (batch, 3·hidden) -> each (batch, hidden)
    r = sigmoid(x_r + h_r)  # reset gate: how much of h_{t-1} the candidate sees
    z = sigmoid(x_z + h_z)  # update gate: how much of h_{t-1} to keep
    n = np.tanh(x_n + r * h_n)  # candidate state
    return (1.0 - z) * n + z * h, r, z, n  # h' (batch, hidden)


def gru_forward(
    X: ArrayLike, h0: ArrayLike | None, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
    mask: ArrayLike | None = None,
) -> dict:
    """Gated recurrent unit, as torch.nn.GRU (gates stacked r, z, n):

        r_t = σ(x_t W_irᵀ + b_ir + h_{t-1} W_hrᵀ + b_hr)               reset gate
        z_t = σ(x_t W_izᵀ + b_iz + h_{t-1} W_hzᵀ + b_hz)               update gate
        n_t = tanh(x_t W_inᵀ + b_in + r_t ⊙ (h_{t-1} W_hnᵀ + b_hn))    candidate state
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    b_hn sits inside the reset product, so it cannot be merged into b_in (see count_parameters).

    Args:
        X: (T, input_size) or (T, batch, input_size).
        h0: (hidden,) or (batch, hidden), matching X; None for zeros.
        W_ih: (3·hidden, input_size); W_hh: (3·hidden, hidden); b_ih, b_hh: (3·hidden,).
        mask: None, or (T, batch) bool for a batch of sequences of different lengths, False at
            padding: there the state is carried over unchanged, h_t = h_{t-1} (what PyTorch's
            pack_padded_sequence gives), so a left-padded sequence ends in the same state as alone.
    Returns:
        trace dict: X, h0, and H, r, z, n, each (T, hidden) or (T, batch, hidden); and mask if given.
    """
    X3, states, (W_ih, W_hh, b_ih, b_hh), batched = _prepare(X, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 3)
    dtype = _result_dtype(X3, W_ih, W_hh, b_ih, b_hh)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool).reshape(X3.shape[:2])  # (T, batch)
    T, batch, hidden = X3.shape[0], X3.shape[1], W_hh.shape[1]
    half, shift = _sigmoid_scale("sst", hidden, dtype)  # r, z are sigmoids; n's rows are left as they are
    # R[t] holds [r, z, n] side by side: the input side's (halved) pre-activations, then the gates.
    R = X3 @ (W_ih.T * half).astype(dtype) + (b_ih * half).astype(dtype)  # (T, batch, 3·hidden)
    W_hhT, b_hh_half = (W_hh.T * half).astype(dtype), (b_hh * half).astype(dtype)  # (hidden, 3·hidden), (3·hidden,)
    H = np.empty((T, batch, hidden), dtype)
    h = states["h0"].astype(dtype, copy=False)  # (batch, hidden)
    rz, n_ = slice(0, 2 * hidden), slice(2 * hidden, 3 * hidden)
    for t in range(T):
        a = R[t]  # (batch, 3·hidden)
        m = h @ W_hhT  # (batch, hidden) x (hidden, 3·hidden) -> (batch, 3·hidden): the hidden side
        m += b_hh_half
        a[:, rz] += m[:, rz]
        np.tanh(a[:, rz], out=a[:, rz])
        a[:, rz] *= 0.5  # ½ tanh(a/2) + ½ = σ(a)
        a[:, rz] += 0.5
        r, z, n = _blocks(a, 3)  # reset, update gates and (still) the candidate's input side: each (batch, hidden)
        n += r * m[:, n_]  # the reset gate scales the hidden side h W_hnᵀ + b_hn
        np.tanh(n, out=n)  # candidate state
        np.subtract(h, n, out=H[t])  # h_t = n + z ⊙ (h_{t-1} − n) = (1 − z) ⊙ n + z ⊙ h_{t-1}
        H[t] *= z
        H[t] += n
        if mask is not None:  # padding keeps h_{t-1}
            np.copyto(H[t], h, where=~mask[t][:, None])
        h = H[t]
    gates = R.reshape(T, batch, 3, hidden)  # the blocks r, z, n as views, no copy
    trace = {"X": X3, "h0": states["h0"], "H": H}
    trace.update({k: gates[:, :, j] for j, k in enumerate("rzn")})  # each (T, batch, hidden)
    if mask is not None:
        return {**trace, "mask": mask} if batched else {**_unbatch(trace, batched), "mask": mask[:, 0]}
    return _unbatch(trace, batched)


# --- weights and parameter counts -------------------------------------------------------


def init_weights(kind: str, input_size: int, hidden_size: int, seed: int, scale: float | None = None) -> dict:
    """Random weights drawn like PyTorch's default initialisation: every entry i.i.d. U(−s, s),

        s = 1 / √hidden_size   (unless `scale` is given)

    Same distribution as torch.nn.RNN / LSTM / GRU, not the same numbers (NumPy's generator,
    np.random.default_rng(seed), draws W_ih, W_hh, b_ih, b_hh in that order).

    Args:
        kind: "rnn", "lstm" or "gru"; input_size, hidden_size: positive ints;
        seed: for np.random.default_rng; scale: s, finite and >= 0 (default 1/√hidden_size).
    Returns:
        dict with W_ih (gates·hidden, input_size), W_hh (gates·hidden, hidden), b_ih and b_hh (gates·hidden,).
    """
    gates = _check_kind(kind)
    input_size = _check_positive_int("input_size", input_size)
    hidden = _check_positive_int("hidden_size", hidden_size)
    s = 1.0 / math.sqrt(hidden) if scale is None else float(scale)
    if not (math.isfinite(s) and s >= 0):
        raise ValueError(f"scale must be finite and >= 0, got {scale!r}")
    rng = np.random.default_rng(seed)
    rows = gates * hidden
    return {
        "W_ih": rng.uniform(-s, s, size=(rows, input_size)),
        "W_hh": rng.uniform(-s, s, size=(rows, hidden)),
        "b_ih": rng.uniform(-s, s, size=rows),
        "b_hh": rng.uniform(-s, s, size=rows),
    }


def with_gate_bias(kind: str, weights: dict, gate: str, bias: float) -> dict:
    """A copy of `weights` in which every unit of one gate has the total bias `bias`:

        b_ih[block] = bias,   b_hh[block] = 0,   so   b_ih[block] + b_hh[block] = bias

    The gate's pre-activation is then x W_iᵀ + h W_hᵀ + bias: a large positive bias opens a
    sigmoid gate (≈ 1) whatever the input, a large negative one shuts it (≈ 0). Setting the
    LSTM's forget-gate bias to 1 or more is the usual remedy for a cell that forgets too fast
    (Gers et al. 2000; Jozefowicz et al. 2015).

    Args:
        kind: "rnn", "lstm" or "gru"; weights: dict W_ih, W_hh, b_ih, b_hh (as init_weights returns);
        gate: one letter of the kind's gate order, LSTM "i", "f", "g", "o", GRU "r", "z"
            (not "n": b_hn is multiplied by the reset gate, so moving it changes more than the sum),
            RNN "h"; bias: a finite float.
    Returns:
        new dict with the same arrays, b_ih and b_hh copied and changed; `weights` is left untouched.
    """
    _check_kind(kind)
    if gate not in GATE_ORDER[kind] or (kind, gate) == ("gru", "n"):
        allowed = GATE_ORDER[kind].replace("n", "")
        raise ValueError(f"gate must be one of {list(allowed)} for kind {kind!r}, got {gate!r}")
    if not math.isfinite(bias):
        raise ValueError(f"bias must be finite, got {bias!r}")
    b_ih, b_hh = _as_float(weights["b_ih"]).copy(), _as_float(weights["b_hh"]).copy()
    hidden = b_ih.shape[0] // GATES[kind]
    block = slice(GATE_ORDER[kind].index(gate) * hidden, (GATE_ORDER[kind].index(gate) + 1) * hidden)
    b_ih[block], b_hh[block] = bias, 0.0
    return {**weights, "b_ih": b_ih, "b_hh": b_hh}


def parameter_shapes(
    kind: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
) -> list[dict[str, tuple[int, ...]]]:
    """The shapes of every parameter of torch.nn.RNN / LSTM / GRU, layer by layer (its weight_ih_l0 ...):

        layer k:  W_ih (gates·hidden, layer_input),  W_hh (gates·hidden, hidden),
                  b_ih (gates·hidden,),  b_hh (gates·hidden,)      (no biases if not `bias`)

    with layer_input = input_size for layer 0 and hidden_size above it. Their sizes add up to
    count_parameters(kind, input_size, hidden_size, num_layers, bias).

    Returns:
        list of num_layers dicts, name -> shape, in PyTorch's order.
    """
    gates = _check_kind(kind)
    input_size = _check_positive_int("input_size", input_size)
    hidden = _check_positive_int("hidden_size", hidden_size)
    num_layers = _check_positive_int("num_layers", num_layers)
    rows = gates * hidden
    layers = []
    for layer in range(num_layers):
        shapes = {"W_ih": (rows, input_size if layer == 0 else hidden), "W_hh": (rows, hidden)}
        if bias:
            shapes.update(b_ih=(rows,), b_hh=(rows,))
        layers.append(shapes)
    return layers


def count_parameters(kind: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True) -> int:
    """Number of parameters of torch.nn.RNN / LSTM / GRU (unidirectional, no projection):

        per layer: gates·hidden·(layer_input + hidden)  +  2·gates·hidden  (if bias)

    where layer_input = input_size for the first layer and hidden_size for the others (each
    layer reads the hidden states of the one below).

    Why two biases when one would do: b_ih + b_hh enter the RNN and LSTM gates only as a sum,
    so one vector is redundant there; PyTorch keeps both for compatibility with cuDNN, whose
    kernels define the cells with separate input and recurrent biases, so trained weights map
    one to one. For the GRU's n gate they are not even equivalent: b_hn is multiplied by the
    reset gate, r ⊙ (W_hn h + b_hn), so no single bias reproduces it.
    count_parameters_textbook gives the one-bias count.
    """
    gates = _check_kind(kind)
    input_size = _check_positive_int("input_size", input_size)
    hidden = _check_positive_int("hidden_size", hidden_size)
    num_layers = _check_positive_int("num_layers", num_layers)
    total = 0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden
        total += gates * hidden * (layer_input + hidden) + (2 * gates * hidden if bias else 0)
    return total


def count_parameters_textbook(kind: str, input_size: int, hidden_size: int, num_layers: int = 1) -> int:
    """Parameter count with one bias per gate, as in textbooks (d2l, Goodfellow et al.):

        per layer: gates · (hidden·(layer_input + hidden) + hidden)

    (layer_input as in count_parameters). It is smaller than count_parameters(kind, input_size,
    hidden_size, num_layers) by gates·hidden·num_layers, the second bias vector PyTorch keeps
    in every layer (see count_parameters for why).
    """
    gates = _check_kind(kind)
    input_size = _check_positive_int("input_size", input_size)
    hidden = _check_positive_int("hidden_size", hidden_size)
    num_layers = _check_positive_int("num_layers", num_layers)
    return sum(gates * (hidden * ((input_size if layer == 0 else hidden) + hidden) + hidden)
               for layer in range(num_layers))


# --- gradient flow: exact Jacobians ---------------------------------------------------------


def _unbatched_trace(kind: str, trace: dict, weights: dict):
    if trace["H"].ndim != 2:
        raise ValueError(
            f"H has shape {trace['H'].shape}: Jacobians need the trace of one unbatched sequence, "
            "H of shape (T, hidden)"
        )
    W_hh = _as_float(weights["W_hh"])
    hidden = trace["H"].shape[1]
    if W_hh.shape != (GATES[kind] * hidden, hidden):
        raise ValueError(
            f"H has shape {trace['H'].shape} but W_hh has shape {W_hh.shape}: "
            f"a {kind} of hidden size {hidden} needs W_hh of shape ({GATES[kind] * hidden}, {hidden})"
        )
    H_prev = np.concatenate([trace["h0"][None], trace["H"][:-1]])  # (T, hidden): H_prev[t - 1] = h_{t-1}
    return W_hh, hidden, H_prev


def _through_gates(kind: str, trace: dict, weights: dict, H_prev: np.ndarray, W: np.ndarray,
                   candidate_scale: np.ndarray | None = None):
    """How the new state moves with a vector v that reaches every gate through the blocks of W
    (W_ih for v = x_t, W_hh for v = h_{t-1}), everything else held fixed. With D(v) = diag(v):

        rnn   ∂h/∂v = D(slope) W
        lstm  ∂c/∂v = D(c_{t-1}) ∂f/∂v + D(g) ∂i/∂v + D(i) ∂g/∂v
              ∂h/∂v = D(tanh c) ∂o/∂v + D(o(1 − tanh² c)) ∂c/∂v
        gru   ∂n/∂v = D(1 − n²) (D(m) ∂r/∂v + D(candidate_scale) W_n),   m = W_hn h_{t-1} + b_hn
              ∂h/∂v = D(1 − z) ∂n/∂v + D(h_{t-1} − n) ∂z/∂v

    candidate_scale is r for v = h_{t-1} (the candidate reads r ⊙ (W_hn h + b_hn)) and 1 for x_t.
    Returns ∂h/∂v (T, hidden, d) and, for the LSTM, ∂c/∂v (T, hidden, d); else None.
    """
    if kind == "rnn":
        H = trace["H"]  # (T, hidden)
        slope = 1.0 - H**2 if trace["nonlinearity"] == "tanh" else (H > 0).astype(H.dtype)
        return slope[:, :, None] * W, None  # (T, hidden, 1) * (hidden, d) -> (T, hidden, d)

    if kind == "lstm":
        W_i, W_f, W_g, W_o = np.split(W, 4)  # each (hidden, d)
        i, f, g, o, C = (trace[k] for k in ("i", "f", "g", "o", "C"))  # each (T, hidden)
        C_prev = np.concatenate([trace["c0"][None], C[:-1]])  # (T, hidden): C_prev[t - 1] = c_{t-1}
        di = (i * (1 - i))[:, :, None] * W_i  # (T, hidden, d)
        df = (f * (1 - f))[:, :, None] * W_f  # (T, hidden, d)
        dg = (1 - g**2)[:, :, None] * W_g  # (T, hidden, d)
        do = (o * (1 - o))[:, :, None] * W_o  # (T, hidden, d)
        tanh_c = np.tanh(C)  # (T, hidden)
        dc = C_prev[:, :, None] * df + g[:, :, None] * di + i[:, :, None] * dg  # (T, hidden, d)
        dh = tanh_c[:, :, None] * do + (o * (1 - tanh_c**2))[:, :, None] * dc  # (T, hidden, d)
        return dh, dc

    hidden = trace["H"].shape[-1]
    W_r, W_z, W_n = np.split(W, 3)  # each (hidden, d)
    W_hn = np.split(_as_float(weights["W_hh"]), 3)[2]  # (hidden, hidden)
    b_hn = _as_float(weights["b_hh"])[2 * hidden:]  # (hidden,)
    r, z, n = trace["r"], trace["z"], trace["n"]  # each (T, hidden)
    m = H_prev @ W_hn.T + b_hn  # (T, hidden) x (hidden, hidden) -> (T, hidden)
    dr = (r * (1 - r))[:, :, None] * W_r  # (T, hidden, d)
    dz = (z * (1 - z))[:, :, None] * W_z  # (T, hidden, d)
    own = W_n if candidate_scale is None else candidate_scale[:, :, None] * W_n  # (T or 1, hidden, d)
    dn = (1 - n**2)[:, :, None] * (m[:, :, None] * dr + own)  # (T, hidden, d)
    return (1 - z)[:, :, None] * dn + (H_prev - n)[:, :, None] * dz, None  # (T, hidden, d)


def step_jacobians(kind: str, trace: dict, weights: dict) -> np.ndarray:
    """One-step Jacobians of the state, derived by hand, for one unbatched sequence.

        A[t - 1] = ∂s_t / ∂s_{t-1},   t = 1..T

    The state s is h for the RNN and GRU, and (h, c) stacked for the LSTM. With
    D(v) = diag(v) and the gates of step t (W_hi etc. are the gate blocks of W_hh):

        rnn (tanh)  ∂h_t/∂h_{t-1} = D(1 − h_t²) W_hh                  (relu: D(h_t > 0) W_hh)
        lstm        ∂i/∂h = D(i(1 − i)) W_hi,  ∂f/∂h = D(f(1 − f)) W_hf,
                    ∂g/∂h = D(1 − g²) W_hg,    ∂o/∂h = D(o(1 − o)) W_ho
                    ∂c_t/∂h_{t-1} = D(c_{t-1}) ∂f/∂h + D(g) ∂i/∂h + D(i) ∂g/∂h
                    ∂c_t/∂c_{t-1} = D(f)
                    ∂h_t/∂h_{t-1} = D(tanh c_t) ∂o/∂h + D(o(1 − tanh² c_t)) ∂c_t/∂h_{t-1}
                    ∂h_t/∂c_{t-1} = D(o(1 − tanh² c_t) f)
                    A = [[∂h_t/∂h_{t-1}, ∂h_t/∂c_{t-1}], [∂c_t/∂h_{t-1}, ∂c_t/∂c_{t-1}]]
        gru         ∂r/∂h = D(r(1 − r)) W_hr,  ∂z/∂h = D(z(1 − z)) W_hz,  m = W_hn h_{t-1} + b_hn
                    ∂n/∂h = D(1 − n²) (D(m) ∂r/∂h + D(r) W_hn)
                    ∂h_t/∂h_{t-1} = D(1 − z) ∂n/∂h + D(h_{t-1} − n) ∂z/∂h + D(z)

    Args:
        kind: "rnn", "lstm" or "gru"; trace: from the matching forward pass on X of shape
            (T, input_size); weights: dict with at least W_hh (and b_hh for the GRU).
    Returns:
        (T, hidden, hidden) for the RNN and GRU, (T, 2·hidden, 2·hidden) for the LSTM
        (rows and columns ordered h then c).
    """
    _check_kind(kind)
    W_hh, hidden, H_prev = _unbatched_trace(kind, trace, weights)
    eye = np.eye(hidden)
    r = trace["r"] if kind == "gru" else None
    dh_dh, dc_dh = _through_gates(kind, trace, weights, H_prev, W_hh, candidate_scale=r)
    if kind == "rnn":
        return dh_dh  # (T, hidden, hidden)
    if kind == "gru":
        return dh_dh + trace["z"][:, :, None] * eye  # plus the kept part z ⊙ h_{t-1}: (T, hidden, hidden)
    # the LSTM's state is (h, c): c_{t-1} reaches c_t through f alone, and h_t through c_t
    f, o, tanh_c = trace["f"], trace["o"], np.tanh(trace["C"])  # each (T, hidden)
    dc_dc = f[:, :, None] * eye  # (T, hidden, hidden), diagonal
    dh_dc = (o * (1 - tanh_c**2) * f)[:, :, None] * eye  # (T, hidden, hidden), diagonal
    return np.concatenate([
        np.concatenate([dh_dh, dh_dc], axis=2),
        np.concatenate([dc_dh, dc_dc], axis=2),
    ], axis=1)  # (T, 2·hidden, 2·hidden)


def step_input_jacobians(kind: str, trace: dict, weights: dict) -> np.ndarray:
    """How each step's new state moves with the input it reads, derived by hand, for one unbatched sequence:

        B[t - 1] = ∂s_t / ∂x_t,   t = 1..T   (s_{t-1} held fixed)

    With D(v) = diag(v), the gates of step t, and W_ii etc. the gate blocks of W_ih:

        rnn (tanh)  ∂h_t/∂x_t = D(1 − h_t²) W_ih                      (relu: D(h_t > 0) W_ih)
        lstm        ∂i/∂x = D(i(1 − i)) W_ii,  ∂f/∂x = D(f(1 − f)) W_if,
                    ∂g/∂x = D(1 − g²) W_ig,    ∂o/∂x = D(o(1 − o)) W_io
                    ∂c_t/∂x_t = D(c_{t-1}) ∂f/∂x + D(g) ∂i/∂x + D(i) ∂g/∂x
                    ∂h_t/∂x_t = D(tanh c_t) ∂o/∂x + D(o(1 − tanh² c_t)) ∂c_t/∂x_t
        gru         ∂r/∂x = D(r(1 − r)) W_ir,  ∂z/∂x = D(z(1 − z)) W_iz,  m = W_hn h_{t-1} + b_hn
                    ∂n/∂x = D(1 − n²) (W_in + D(m) ∂r/∂x)
                    ∂h_t/∂x_t = D(1 − z) ∂n/∂x + D(h_{t-1} − n) ∂z/∂x

    Args: as step_jacobians, with W_ih in `weights` too.
    Returns:
        (T, hidden, input_size) for the RNN and GRU, (T, 2·hidden, input_size) for the LSTM
        (rows ordered h then c).
    """
    _check_kind(kind)
    W_hh, hidden, H_prev = _unbatched_trace(kind, trace, weights)
    W_ih = _as_float(weights["W_ih"])
    input_size = trace["X"].shape[-1]
    if W_ih.shape != (GATES[kind] * hidden, input_size):
        raise ValueError(
            f"X has shape {trace['X'].shape} and H has shape {trace['H'].shape}, so W_ih must have shape "
            f"({GATES[kind] * hidden}, {input_size}), but it has shape {W_ih.shape}"
        )

    dh_dx, dc_dx = _through_gates(kind, trace, weights, H_prev, W_ih)
    return dh_dx if dc_dx is None else np.concatenate([dh_dx, dc_dx], axis=1)  # (T, S, input)


def state_jacobians(kind: str, trace: dict, weights: dict) -> np.ndarray:
    """∂s_T/∂s_t for t = 0..T-1 (s_0 the initial state), exact, by the chain rule over step_jacobians:

        ∂s_T/∂s_t = A_T A_{T-1} ··· A_{t+1},   A_k = ∂s_k/∂s_{k-1}   (and ∂s_T/∂s_T = I, not returned)

    The state s is h for the RNN and GRU, and (h, c) stacked for the LSTM, so the LSTM's
    c-c block is ∂c_T/∂c_t through every path, not only the direct one of forget_gate_path.

    Args: as step_jacobians.
    Returns:
        (T, S, S) with S = hidden (RNN, GRU) or 2·hidden (LSTM, rows and columns h then c);
        entry t is ∂s_T/∂s_t.
    """
    A = step_jacobians(kind, trace, weights)  # (T, S, S)
    T = A.shape[0]
    J = np.empty_like(A)  # (T, S, S)
    J[T - 1] = A[T - 1]
    for t in range(T - 2, -1, -1):
        J[t] = J[t + 1] @ A[t]  # ∂s_T/∂s_{t+1} x ∂s_{t+1}/∂s_t -> (S, S)
    return J


def hidden_jacobians(kind: str, trace: dict, weights: dict) -> np.ndarray:
    """∂h_T/∂h_t for t = 0..T-1 (h_0 = h0), exact: the h-h block of state_jacobians.

    For the LSTM the state is s = (h, c), and the result is the h-h block of ∂s_T/∂s_t: how
    h_T moves when h_t moves with c_t held fixed, through every path (gates, cells and later
    hidden states). Entry 0 is what autograd gives for ∂h_T/∂h0 with c0 an independent input.

    Args: as step_jacobians.
    Returns:
        (T, hidden, hidden); entry t is ∂h_T/∂h_t.
    """
    hidden = trace["H"].shape[-1]
    return state_jacobians(kind, trace, weights)[:, :hidden, :hidden]  # (T, hidden, hidden)


def _chain_inputs(J: np.ndarray, B: np.ndarray) -> np.ndarray:
    """∂s_T/∂x_t = ∂s_T/∂s_t · ∂s_t/∂x_t for t = 1..T, from state_jacobians J and step_input_jacobians B."""
    G = np.empty_like(B)  # (T, S, input)
    G[-1] = B[-1]  # ∂s_T/∂s_T = I
    G[:-1] = J[1:] @ B[:-1]  # (T-1, S, S) x (T-1, S, input) -> (T-1, S, input)
    return G


def input_jacobians(kind: str, trace: dict, weights: dict) -> np.ndarray:
    """How much the last state still depends on each input, exact, by the chain rule:

        ∂s_T/∂x_t = (∂s_T/∂s_t) (∂s_t/∂x_t),   t = 1..T   (∂s_T/∂s_T = I)

    the first factor from state_jacobians, the second from step_input_jacobians. For the
    LSTM the rows are h then c: rows hidden: are ∂c_T/∂x_t, what the cell still holds of x_t.

    Args: as step_input_jacobians.
    Returns:
        (T, S, input_size), S = hidden or 2·hidden (LSTM); entry t - 1 is ∂s_T/∂x_t.
    """
    return _chain_inputs(state_jacobians(kind, trace, weights), step_input_jacobians(kind, trace, weights))


def forget_gate_path(trace: dict) -> np.ndarray:
    """The LSTM's cell-to-cell path ("constant error carousel"): the diagonal of

        ∏_{k=t+1..T} D(f_k)   for t = 0..T-1

    This is ∂c_T/∂c_t along the direct route c_{k-1} -> f_k ⊙ c_{k-1} only, ignoring the
    routes through h and the gates. It neither vanishes nor explodes by itself while f ≈ 1.

    Args:
        trace: from lstm_forward, batched or not.
    Returns:
        array of f's shape, (T, hidden) or (T, batch, hidden); entry t is ∏_{k>t} f_k.
    """
    f = trace["f"]  # (T, ..., hidden)
    return np.cumprod(f[::-1], axis=0)[::-1]  # (T, ..., hidden): entry t = f[t] · f[t+1] ··· f[T-1]


def gradient_norms(
    kind: str, X: ArrayLike, h0: ArrayLike | None, weights: dict,
    c0: ArrayLike | None = None, nonlinearity: str = "tanh",
) -> dict[str, np.ndarray]:
    """How much the last state still depends on each earlier one: spectral norms of Jacobians.

        hidden[t] = ‖∂h_T/∂h_t‖₂,   t = 0..T-1   (h_0 = h0; ‖∂h_T/∂h_T‖₂ = 1 is not included)
        inputs[t - 1] = ‖∂h_T/∂x_t‖₂,   t = 1..T   (input_jacobians)

    ‖J‖₂ is the largest singular value: a gradient g at h_T reaches h_t as gᵀJ, no larger than
    ‖J‖₂·‖g‖. Small values at small t are the vanishing gradient, large ones the exploding.
    For the LSTM, hidden[t] is the norm of hidden_jacobians' h-h block (c_t held fixed), and

        cell[t] = ‖∏_{k=t+1..T} D(f_k)‖₂ = max_j ∏_k f_{k,j}   (forget_gate_path, direct cell route only)
        cell_full[t] = ‖∂c_T/∂c_t‖₂   (state_jacobians' c-c block: every route, h_t held fixed)
        cell_inputs[t - 1] = ‖∂c_T/∂x_t‖₂   (what the last cell still holds of input t)

    Args:
        kind: "rnn", "lstm" or "gru"; X: (T, input_size), one sequence;
        h0: (hidden,) or None; weights: dict W_ih, W_hh, b_ih, b_hh (as init_weights returns);
        c0: the LSTM's initial cell (hidden,) or None; nonlinearity: the RNN's, "tanh" or "relu".
    Returns:
        dict of (T,) float arrays: hidden and inputs, and cell, cell_full and cell_inputs for the LSTM.
    """
    _check_kind(kind)
    if c0 is not None and kind != "lstm":
        raise ValueError(f"c0 is only for kind 'lstm', got kind {kind!r}")
    if nonlinearity != "tanh" and kind != "rnn":
        raise ValueError(f"nonlinearity is only for kind 'rnn', got kind {kind!r}")
    if np.ndim(X) != 2:
        raise ValueError(f"X has shape {np.shape(X)} but gradient_norms needs one sequence (T, input_size)")
    W = {k: weights[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")}
    if kind == "rnn":
        trace = rnn_forward(X, h0, **W, nonlinearity=nonlinearity)
    elif kind == "lstm":
        trace = lstm_forward(X, h0, c0, **W)
    else:
        trace = gru_forward(X, h0, **W)
    return trace_gradient_norms(kind, trace, W)


def trace_gradient_norms(kind: str, trace: dict, weights: dict, names=None) -> dict[str, np.ndarray]:
    """gradient_norms for a forward pass already run: the same dict, from its trace.

    Each norm costs one batch of T singular value decompositions, so a caller that shows
    only some of them can ask for those alone.

    Args: as step_input_jacobians (one unbatched sequence), and
        names: which of gradient_norms' entries to compute (default all of the kind's).
    Returns:
        dict of (T,) float arrays, as gradient_norms, with the entries asked for.
    """
    _check_kind(kind)
    known = ("hidden", "inputs", "cell", "cell_full", "cell_inputs") if kind == "lstm" else ("hidden", "inputs")
    names = known if names is None else tuple(names)
    if unknown := [name for name in names if name not in known]:
        raise ValueError(f"a {kind} has the gradient norms {list(known)}, not {unknown}")
    hidden = trace["H"].shape[-1]
    J = state_jacobians(kind, trace, weights)  # (T, S, S)
    if {"inputs", "cell_inputs"} & set(names):
        G = _chain_inputs(J, step_input_jacobians(kind, trace, weights))  # (T, S, input_size)
    blocks = {
        "hidden": lambda: J[:, :hidden, :hidden],  # ∂h_T/∂h_t
        "inputs": lambda: G[:, :hidden],  # ∂h_T/∂x_t
        "cell_full": lambda: J[:, hidden:, hidden:],  # ∂c_T/∂c_t
        "cell_inputs": lambda: G[:, hidden:],  # ∂c_T/∂x_t
    }
    result = {}
    for name in names:
        if name == "cell":
            result[name] = np.abs(forget_gate_path(trace)).max(axis=1)  # (T, hidden) -> (T,)
        else:
            result[name] = np.linalg.norm(blocks[name](), ord=2, axis=(1, 2))  # (T,)
    return result
