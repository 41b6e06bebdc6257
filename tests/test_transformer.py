"""core.transformer: hand-checked pieces, properties, and every gradient against central differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.attention import multi_head_attention, self_attention
from core.transformer import (
    Config,
    backward,
    forward,
    head_projections,
    init_params,
    layer_norm,
    sinusoidal_encoding,
)
from tests.conftest import central_differences

SMALL = dict(d_in=3, d_model=4, num_heads=2, d_ff=6, num_layers=2)


def _perturbed(cfg, seed=0):
    """Parameters moved off PyTorch's init (zero biases, unit norms) so every gradient path is exercised."""
    rng = np.random.default_rng(seed + 100)
    return {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in init_params(cfg, seed).items()}


def test_sinusoidal_encoding_matches_the_formula_by_hand():
    P = sinusoidal_encoding(3, 4)
    # d_model = 4: frequencies 10000^(0/4) = 1 and 10000^(-2/4) = 0.01
    expected = np.array([
        [0.0, 1.0, 0.0, 1.0],
        [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
        [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)],
    ])
    np.testing.assert_allclose(P, expected, rtol=0, atol=1e-15)


def test_sinusoidal_encoding_of_odd_width_keeps_the_last_sine():
    P = sinusoidal_encoding(5, 5)
    assert P.shape == (5, 5)
    np.testing.assert_allclose(P[:, 4], np.sin(np.arange(5) * 10000.0 ** (-4 / 5)))


def test_a_shift_of_positions_is_one_fixed_rotation_per_frequency():
    # Vaswani 3.5: PE(pos + k) is a linear function of PE(pos); for the pair (sin, cos) at
    # frequency w it is the rotation by k·w, the same for every pos.
    P = sinusoidal_encoding(20, 8)
    k = 3
    for i, w in enumerate(10000.0 ** (-np.arange(0, 8, 2) / 8)):
        c, s = math.cos(k * w), math.sin(k * w)
        R = np.array([[c, -s], [s, c]])  # [sin a, cos a] R = [sin(a + kw), cos(a + kw)]
        np.testing.assert_allclose(P[:-k, 2 * i:2 * i + 2] @ R, P[k:, 2 * i:2 * i + 2], atol=1e-12)


def test_layer_norm_by_hand():
    # x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25
    y, _ = layer_norm(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4), np.zeros(4))
    np.testing.assert_allclose(y, (np.array([1, 2, 3, 4]) - 2.5) / math.sqrt(1.25 + 1e-5), rtol=1e-14)
    y, _ = layer_norm(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2, 2, 2]), np.array([1.0, 1, 1, 1]))
    assert y.mean() == pytest.approx(1.0) and y.std() == pytest.approx(2 * math.sqrt(1.25 / 1.25001), rel=1e-12)


def test_init_has_pytorch_names_shapes_and_is_reproducible():
    cfg = Config(d_in=5, d_model=8, num_heads=2, d_ff=16, num_layers=2, positional="learned", max_len=10)
    p = init_params(cfg, seed=3)
    assert p["input.weight"].shape == (8, 5)
    assert p["pos_embedding"].shape == (10, 8)
    assert p["layers.1.self_attn.in_proj_weight"].shape == (24, 8)
    assert p["layers.1.self_attn.out_proj.weight"].shape == (8, 8)
    assert p["layers.0.linear1.weight"].shape == (16, 8) and p["layers.0.linear2.weight"].shape == (8, 16)
    assert np.all(p["layers.0.norm1.weight"] == 1) and np.all(p["layers.0.self_attn.in_proj_bias"] == 0)
    assert np.abs(p["layers.0.self_attn.in_proj_weight"]).max() <= math.sqrt(6 / 32)
    q = init_params(cfg, seed=3)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    assert not np.array_equal(p["input.weight"], init_params(cfg, seed=4)["input.weight"])
    no_bias = init_params(Config(d_in=5, d_model=8, num_heads=2, d_ff=16, attn_bias=False), seed=0)
    assert "layers.0.self_attn.in_proj_bias" not in no_bias and "layers.0.self_attn.out_proj.bias" not in no_bias


def test_config_refuses_heads_that_do_not_divide_the_width():
    with pytest.raises(ValueError, match="does not divide"):
        Config(d_in=3, d_model=6, num_heads=4, d_ff=8)
    with pytest.raises(ValueError, match="positional"):
        Config(d_in=3, d_model=4, num_heads=2, d_ff=8, positional="rotary")


def test_attention_sublayer_equals_core_multi_head_attention_and_the_seven_steps():
    cfg = Config(d_in=6, d_model=6, num_heads=3, d_ff=8, num_layers=1, attn_bias=False, positional="none")
    params = _perturbed(cfg)
    X = np.random.default_rng(1).standard_normal((5, 6))
    tr = forward(cfg, params, X)["layers"][0]
    x = tr["input"][0]  # (T, d)
    W = params["layers.0.self_attn.in_proj_weight"]
    out, w = multi_head_attention(x, W[:6].T, W[6:12].T, W[12:].T, params["layers.0.self_attn.out_proj.weight"].T, 3)
    np.testing.assert_allclose(tr["attn"][0], out, atol=1e-12)
    np.testing.assert_allclose(tr["weights"][0], w, atol=1e-12)
    for h in range(3):
        steps = self_attention(x, *head_projections(cfg, params, 0, h))
        np.testing.assert_allclose(steps["weights"], tr["weights"][0, h], atol=1e-12)
        np.testing.assert_allclose(steps["output"], tr["heads"][0, h], atol=1e-12)


def test_every_layer_output_is_normalised_per_position():
    cfg = Config(**SMALL)
    tr = forward(cfg, init_params(cfg, 0), np.random.default_rng(0).standard_normal((2, 5, 3)))
    for layer in tr["layers"]:
        for name in ("norm1", "output"):
            np.testing.assert_allclose(layer[name].mean(axis=-1), 0, atol=1e-12)
            np.testing.assert_allclose(layer[name].var(axis=-1), 1, atol=1e-3)  # var/(var + eps)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), layers=st.integers(1, 2))
def test_without_positions_shuffling_the_input_shuffles_the_output(seed, layers):
    cfg = Config(d_in=3, d_model=4, num_heads=2, d_ff=6, num_layers=layers, positional="none")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((1, 6, 3))
    perm = rng.permutation(6)
    params = _perturbed(cfg, seed)
    np.testing.assert_allclose(forward(cfg, params, X[:, perm])["output"], forward(cfg, params, X)["output"][:, perm],
                               atol=1e-12)


def test_with_sinusoidal_positions_shuffling_changes_more_than_the_order():
    cfg = Config(d_in=3, d_model=4, num_heads=2, d_ff=6, num_layers=1)
    X = np.random.default_rng(0).standard_normal((1, 6, 3))
    perm = np.array([1, 0, 2, 3, 4, 5])
    params = _perturbed(cfg)
    diff = forward(cfg, params, X[:, perm])["output"] - forward(cfg, params, X)["output"][:, perm]
    assert np.abs(diff).max() > 1e-3


def test_causal_output_never_depends_on_later_tokens():
    cfg = Config(**SMALL)
    params = _perturbed(cfg)
    X = np.random.default_rng(0).standard_normal((1, 5, 3))
    Y = X.copy()
    Y[0, 3:] += 10.0
    a, b = forward(cfg, params, X, causal=True), forward(cfg, params, Y, causal=True)
    np.testing.assert_allclose(a["output"][0, :3], b["output"][0, :3], atol=1e-12)
    assert np.all(np.triu(a["layers"][0]["weights"][0, 0], 1) == 0)


def test_a_padding_mask_keeps_padded_keys_out():
    cfg = Config(**SMALL, positional="none")
    params = _perturbed(cfg)
    X = np.random.default_rng(0).standard_normal((1, 5, 3))
    keep = np.array([True, True, True, False, False])
    padded = forward(cfg, params, X, mask=keep[None, None, None, :])
    short = forward(cfg, params, X[:, :3])
    np.testing.assert_allclose(padded["output"][:, :3], short["output"], atol=1e-12)


def test_wrong_shapes_say_what_is_wrong():
    cfg = Config(**SMALL)
    with pytest.raises(ValueError, match="d_in = 3"):
        forward(cfg, init_params(cfg, 0), np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match="mask"):
        forward(cfg, init_params(cfg, 0), np.zeros((2, 4, 3)), mask=np.ones((3, 3), dtype=bool))
    tr = forward(cfg, init_params(cfg, 0), np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="d_output"):
        backward(cfg, init_params(cfg, 0), tr, np.zeros((2, 4, 3)))


@pytest.mark.parametrize("options", [
    dict(positional="sinusoidal"),
    dict(positional="learned", max_len=6),
    dict(positional="none", attn_bias=False),
])
@pytest.mark.parametrize("causal", [False, True])
def test_every_gradient_matches_central_differences(options, causal):
    cfg = Config(**SMALL, **options)
    params = _perturbed(cfg)
    rng = np.random.default_rng(7)
    X = rng.standard_normal((2, 5, 3))
    R = rng.standard_normal((2, 5, 4))  # loss = Σ R ⊙ output, so ∂loss/∂output = R: any readout
    mask = np.ones((2, 1, 5, 5), dtype=bool)
    mask[1, :, :, 4] = False  # the second sequence is padded at its last position

    def loss(p):
        return float(np.sum(R * forward(cfg, p, X, mask=mask, causal=causal)["output"]))

    grads = backward(cfg, params, forward(cfg, params, X, mask=mask, causal=causal), R)
    assert set(grads) == set(params)
    for name, value in params.items():
        def f(flat, name=name, value=value):
            return loss({**params, name: flat.reshape(value.shape)})
        numeric = central_differences(f, value.ravel()).reshape(value.shape)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)
