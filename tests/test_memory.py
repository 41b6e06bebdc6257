"""The first word's influence on later positions: recurrence vs self-attention (core.memory)."""

import numpy as np
import pytest

from conftest import central_differences
from core.attention import identity_projections, self_attention
from core.memory import (
    attention_first_input_influence,
    rnn_first_input_influence,
    spectral_radius,
    with_spectral_radius,
)
from core.recurrent import init_weights, rnn_forward


def test_spectral_radius_by_hand():
    assert spectral_radius([[0.0, 2.0], [1.0, 0.0]]) == pytest.approx(np.sqrt(2))  # λ² = 2
    assert spectral_radius([[0.0, -1.0], [1.0, 0.0]]) == pytest.approx(1.0)  # a rotation: λ = ±i
    assert spectral_radius([[3.0, 1.0], [0.0, -4.0]]) == pytest.approx(4.0)  # triangular: its diagonal


def test_spectral_radius_is_set_exactly():
    # [[2, 0], [0, -1]] has eigenvalues 2 and -1: radius 2; scaled to 0.5 -> [[0.5, 0], [0, -0.25]]
    np.testing.assert_allclose(with_spectral_radius([[2.0, 0.0], [0.0, -1.0]], 0.5), [[0.5, 0], [0, -0.25]])
    W = np.random.default_rng(0).standard_normal((6, 6))
    for rho in (0.3, 1.0, 1.7):
        assert np.abs(np.linalg.eigvals(with_spectral_radius(W, rho))).max() == pytest.approx(rho)


@pytest.mark.parametrize(("W", "message"), [(np.ones((2, 3)), "square"), (np.zeros((2, 2)), "radius 0")])
def test_spectral_radius_rejects_what_it_cannot_rescale(W, message):
    with pytest.raises(ValueError, match=message):
        with_spectral_radius(W, 1.0)


def test_rnn_influence_matches_central_differences():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 3))
    w = init_weights("rnn", 3, 4, seed=2)

    def state(t):
        def h_t(x_1):
            moved = X.copy()
            moved[0] = x_1
            return rnn_forward(moved, None, **w)["H"][t]
        return h_t

    expected = [np.linalg.norm(central_differences(state(t), X[0].copy()), 2) for t in range(6)]
    np.testing.assert_allclose(rnn_first_input_influence(X, **w), expected, rtol=1e-6)


def test_attention_influence_matches_central_differences():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 4))
    W = identity_projections(4)

    def output(t):
        def z_t(x_1):
            moved = X.copy()
            moved[0] = x_1
            return self_attention(moved, *W, mask=np.tril(np.ones((5, 5), bool)))["output"][t]
        return z_t

    expected = [np.linalg.norm(central_differences(output(t), X[0].copy()), 2) for t in range(5)]
    np.testing.assert_allclose(attention_first_input_influence(X, *W), expected, rtol=1e-6, atol=1e-9)


def test_a_contracting_recurrence_forgets_and_attention_does_not():
    rng = np.random.default_rng(4)
    T, d = 30, 8
    X = rng.standard_normal((T, d)) * 0.1
    w = init_weights("rnn", d, 16, seed=5)
    w["W_hh"] = with_spectral_radius(w["W_hh"], 0.5)
    rnn = rnn_first_input_influence(X, **w)
    attention = attention_first_input_influence(X, *identity_projections(d))
    assert rnn[-1] < 1e-6 * rnn[0]  # shrinks by about 0.5 a step
    assert attention[-1] > 1e-2 * attention[0]  # one step away: about 1/T of the weight, not 0.5^T
    assert attention[-1] > 1e4 * rnn[-1]
