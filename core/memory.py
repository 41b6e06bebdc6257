"""How far information travels: the first word's influence on every later position.

The notes' third row of the attention / self-attention table: a recurrence passes early
information on only through the hidden state, so it fades step by step; self-attention
reaches every earlier word in one step. Measured exactly, with Jacobians:

    recurrence       ∂h_t/∂x_1 = (∂h_t/∂h_{t-1}) ⋯ (∂h_2/∂h_1) · ∂h_1/∂x_1     t − 1 products
    self-attention   ∂z_t/∂x_1 = self_attention_jacobian(X, …, i=t, j=1)        one step

Norms are spectral norms (the largest factor by which a change of x_1 can be amplified).
Positions count from 1 in the docstrings and from 0 in the arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .attention import _as_float, causal_mask, self_attention_jacobian
from .recurrent import rnn_forward, step_jacobians

__all__ = ["attention_first_input_influence", "rnn_first_input_influence", "spectral_radius", "with_spectral_radius"]


def spectral_radius(W: ArrayLike) -> float:
    """max|λ(W)|, the largest eigenvalue's absolute value of a square matrix W."""
    return float(np.abs(np.linalg.eigvals(_as_float(W))).max())


def with_spectral_radius(W: ArrayLike, rho: float) -> np.ndarray:
    """W rescaled so that its spectral radius (largest |eigenvalue|) is rho.

        W' = W · rho / max|λ(W)|

    The spectral radius decides whether repeated multiplication by W shrinks (< 1) or
    grows (> 1) a vector in the long run: the vanishing / exploding gradient of an RNN.

    Args:
        W: (n, n) square matrix with a non-zero eigenvalue; rho: the radius wanted, >= 0.
    Returns:
        (n, n) float64.
    """
    W = _as_float(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W has shape {W.shape} but must be square (n, n)")
    if not (np.isfinite(rho) and rho >= 0):
        raise ValueError(f"rho must be finite and >= 0, got {rho!r}")
    radius = spectral_radius(W)
    if radius == 0:
        raise ValueError("W has spectral radius 0 (nilpotent): it cannot be rescaled to another radius")
    return W * (rho / radius)


def rnn_first_input_influence(
    X: ArrayLike, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
    h0: ArrayLike | None = None,
) -> np.ndarray:
    """‖∂h_t/∂x_1‖ for every position t of a tanh RNN: how much word 1 still moves state t.

        J_1 = ∂h_1/∂x_1 = diag(1 − h_1²) W_ih
        J_t = (∂h_t/∂h_{t-1}) J_{t-1}          one product per step (forward accumulation)

    Args:
        X: (T, input_size) one unbatched sequence; weights in PyTorch's layout (see
            core.recurrent.rnn_forward); h0: (hidden,) or None for zeros.
    Returns:
        (T,) spectral norms; entry t − 1 is position t.
    """
    weights = {"W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh}
    trace = rnn_forward(X, h0, **weights)
    steps = step_jacobians("rnn", trace, weights)  # (T, hidden, hidden): ∂h_t/∂h_{t-1}
    J = (1.0 - trace["H"][0] ** 2)[:, None] * _as_float(W_ih)  # (hidden, 1) * (hidden, input) -> (hidden, input)
    norms = [np.linalg.norm(J, 2)]
    for A in steps[1:]:
        J = A @ J  # (hidden, hidden) x (hidden, input) -> (hidden, input)
        norms.append(np.linalg.norm(J, 2))
    return np.array(norms)


def attention_first_input_influence(
    X: ArrayLike, W_q: ArrayLike, W_k: ArrayLike, W_v: ArrayLike, causal: bool = True,
    temperature: float = 1.0,
) -> np.ndarray:
    """‖∂z_t/∂x_1‖ for every position t of self-attention: how much word 1 still moves output t.

    With the causal mask (the default) position t sees words 1..t only, as a left-to-right
    recurrence does, so the two are compared on the same terms.

    Args:
        X: (T, d_model); W_q, W_k: (d_model, d_k); W_v: (d_model, d_v); temperature as in
            core.attention.self_attention.
    Returns:
        (T,) spectral norms; entry t − 1 is position t.
    """
    X = _as_float(X)
    mask = causal_mask(X.shape[0]) if causal else None
    return np.array([
        np.linalg.norm(self_attention_jacobian(X, W_q, W_k, W_v, i=t, j=0, mask=mask,
                                               temperature=temperature), 2)
        for t in range(X.shape[0])
    ])
