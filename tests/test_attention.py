"""core.attention: hand-computed cases, numerical edge cases, hypothesis properties, shape errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from conftest import central_differences
from core.attention import (
    causal_mask,
    identity_projections,
    multi_head_attention,
    random_projections,
    scaled_dot_product_attention,
    self_attention,
    self_attention_jacobian,
    softmax,
    softmax_saturation,
    weighted_values,
)

E = math.e
SETTINGS = settings(max_examples=40, deadline=None)


def floats(bound: float):
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


def matrices(rows: int, cols: int, bound: float = 3.0):
    return hnp.arrays(np.float64, (rows, cols), elements=floats(bound))


@st.composite
def qkv(draw, bound: float = 3.0):
    """Q (n_q, d_k), K (n_k, d_k), V (n_k, d_v) with small random sizes."""
    n_q, n_k, d_k, d_v = (draw(st.integers(1, 5)) for _ in range(4))
    return draw(matrices(n_q, d_k, bound)), draw(matrices(n_k, d_k, bound)), draw(matrices(n_k, d_v, bound))


@st.composite
def tokens_and_projections(draw):
    """X (n, d_model), W_q, W_k (d_model, d_k), W_v (d_model, d_v)."""
    n, d_model, d_k, d_v = (draw(st.integers(1, 5)) for _ in range(4))
    X = draw(matrices(n, d_model))
    return X, draw(matrices(d_model, d_k, 1.0)), draw(matrices(d_model, d_k, 1.0)), draw(matrices(d_model, d_v, 1.0))


@st.composite
def multi_head_inputs(draw):
    """X (n, d_model) and four (d_model, d_model) projections, d_model = num_heads * d_head."""
    n, num_heads, d_head = draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    d_model = num_heads * d_head
    X = draw(matrices(n, d_model))
    W_q, W_k, W_v, W_o = (draw(matrices(d_model, d_model, 1.0)) for _ in range(4))
    return X, W_q, W_k, W_v, W_o, num_heads


# ---------------------------------------------------------------- softmax


def test_softmax_of_logs_is_proportional_to_their_exponentials():
    # exp([0, ln 2, ln 3]) = [1, 2, 3], total 6
    assert_allclose(softmax([0.0, math.log(2), math.log(3)]), [1 / 6, 2 / 6, 3 / 6], rtol=1e-14)


def test_softmax_normalises_along_the_given_axis():
    x = np.array([[0.0, 0.0], [math.log(3), 0.0]])
    # column 0: exp([0, ln 3]) = [1, 3] -> [1/4, 3/4]; column 1: [1, 1] -> [1/2, 1/2]
    assert_allclose(softmax(x, axis=0), [[1 / 4, 1 / 2], [3 / 4, 1 / 2]], rtol=1e-14)


def test_softmax_of_large_score_does_not_overflow():
    # exp(1000) overflows (float64 max ~ e^709.8); shifted by the max: exp([0, -1000, -1000]) = [1, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(softmax([1000.0, 0.0, 0.0]), [1.0, 0.0, 0.0])


def test_softmax_of_plus_minus_1e4_scores_is_finite_and_correct():
    # shifted by the max 1e4: exp([0, -2e4, 0]) = [1, 0, 1] -> [1/2, 0, 1/2]
    assert_array_equal(softmax([1e4, -1e4, 1e4]), [0.5, 0.0, 0.5])
    # a gap of ln 3 survives next to 1e4: exp([ln 3, 0]) = [3, 1] -> [3/4, 1/4]
    assert_allclose(softmax([1e4 + math.log(3), 1e4]), [3 / 4, 1 / 4], rtol=1e-10)


def test_softmax_gives_minus_inf_exactly_zero_weight():
    # exp([0, -inf, ln 3]) = [1, 0, 3] -> [1/4, 0, 3/4]
    w = softmax([0.0, -np.inf, math.log(3)])
    assert w[1] == 0.0
    assert_allclose(w, [1 / 4, 0, 3 / 4], rtol=1e-14)


def test_fully_masked_row_gives_zero_weights():
    x = np.array([[0.0, math.log(3)], [-np.inf, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" RuntimeWarning from -inf - (-inf)
        w = softmax(x)
    # row 0: [1, 3] -> [1/4, 3/4]; row 1 sees nothing -> zeros, not NaN
    assert_allclose(w[0], [1 / 4, 3 / 4], rtol=1e-14)
    assert_array_equal(w[1], [0.0, 0.0])


def test_fully_masked_query_gets_zero_weights_and_zero_output():
    mask = np.array([[True, True], [False, False]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output, weights = scaled_dot_product_attention(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 4)), mask)
    assert_array_equal(weights[1], [0.0, 0.0])
    assert_array_equal(output[1], np.zeros(4))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_keeps_the_float_dtype(dtype):
    assert softmax(np.zeros(3, dtype=dtype)).dtype == dtype


def test_softmax_of_integers_is_float64():
    # [0, 0] -> [1/2, 1/2]
    w = softmax(np.array([0, 0]))
    assert w.dtype == np.float64
    assert_array_equal(w, [0.5, 0.5])


@SETTINGS
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=floats(100)),
       c=floats(1e3))
def test_adding_a_constant_to_every_score_changes_nothing(x, c):
    assert_allclose(softmax(x + c), softmax(x), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=floats(1e4)))
def test_softmax_rows_are_probabilities_even_for_extreme_scores(x):
    w = softmax(x)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-12)


# ---------------------------------------------------------------- hand-computed attention

# Q = K = [[1, 1, 0, 0], [0, 0, 1, 1]]  ->  Q·Kᵀ = [[2, 0], [0, 2]],  ÷ √4  ->  [[1, 0], [0, 1]]
# weights = [[e, 1], [1, e]] / (e + 1) ≈ [[0.7311, 0.2689], [0.2689, 0.7311]]
# V = [[1, 0], [0, 10]]  ->  output = [[e, 10], [1, 10e]] / (e + 1)
Q_HAND = K_HAND = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
V_HAND = np.array([[1.0, 0.0], [0.0, 10.0]])


def test_two_token_attention_by_hand():
    output, weights = scaled_dot_product_attention(Q_HAND, K_HAND, V_HAND)
    assert_allclose(weights, np.array([[E, 1], [1, E]]) / (E + 1), rtol=1e-14)
    assert_allclose(weights[0], [0.7310585786300049, 0.2689414213699951], rtol=1e-14)
    assert_allclose(output, np.array([[E, 10], [1, 10 * E]]) / (E + 1), rtol=1e-14)


def test_temperature_divides_the_scaled_scores():
    # temperature 2: [[1, 0], [0, 1]] / 2 = [[1/2, 0], [0, 1/2]]  ->  weights [[√e, 1], [1, √e]] / (√e + 1)
    _, weights = scaled_dot_product_attention(Q_HAND, K_HAND, V_HAND, temperature=2.0)
    r = math.sqrt(E)
    assert_allclose(weights, np.array([[r, 1], [1, r]]) / (r + 1), rtol=1e-14)


def test_causal_mask_on_the_hand_case():
    # query 0 sees only key 0 -> [1, 0], output = V[0] = [1, 0]; query 1 sees both, as unmasked
    output, weights = scaled_dot_product_attention(Q_HAND, K_HAND, V_HAND, mask=causal_mask(2))
    assert_array_equal(weights[0], [1.0, 0.0])
    assert_allclose(weights[1], [1 / (E + 1), E / (E + 1)], rtol=1e-14)
    assert_allclose(output, [[1, 0], [1 / (E + 1), 10 * E / (E + 1)]], rtol=1e-14)


def test_self_attention_steps_by_hand():
    # X = Q_HAND with W_q = W_k = I (d_k = 4), so scores are as above;
    # V = X W_v = [[0.5 + 0.5, 0], [0, 5 + 5]] = V_HAND
    W_v = np.array([[0.5, 0.0], [0.5, 0.0], [0.0, 5.0], [0.0, 5.0]])
    steps = self_attention(Q_HAND, np.eye(4), np.eye(4), W_v)
    assert steps["d_k"] == 4
    assert_allclose(steps["V"], V_HAND, rtol=1e-14)
    assert_array_equal(steps["scores"], [[2.0, 0.0], [0.0, 2.0]])
    assert_array_equal(steps["scaled_scores"], [[1.0, 0.0], [0.0, 1.0]])
    assert_allclose(steps["weights"], np.array([[E, 1], [1, E]]) / (E + 1), rtol=1e-14)
    # weighted_values[0] = [w00 · V[0], w01 · V[1]] = [[e, 0], [0, 10]] / (e + 1)
    assert_allclose(steps["weighted_values"][0], np.array([[E, 0], [0, 10]]) / (E + 1), rtol=1e-14)
    assert_allclose(steps["output"], np.array([[E, 10], [1, 10 * E]]) / (E + 1), rtol=1e-14)


# ---------------------------------------------------------------- causal mask


def test_causal_mask_is_lower_triangular_including_the_diagonal():
    assert_array_equal(causal_mask(3), [[True, False, False], [True, True, False], [True, True, True]])
    assert causal_mask(3).dtype == np.bool_


def test_causal_mask_first_query_attends_only_to_itself():
    rng = np.random.default_rng(0)
    Q, K, V = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    output, weights = scaled_dot_product_attention(Q, K, V, mask=causal_mask(5))
    assert_array_equal(weights[0], [1.0, 0.0, 0.0, 0.0, 0.0])
    assert_allclose(output[0], V[0], rtol=1e-15)
    assert_array_equal(weights[np.triu_indices(5, k=1)], 0.0)  # nothing looks ahead


def test_causal_mask_rejects_a_negative_size():
    with pytest.raises(ValueError, match="non-negative integer"):
        causal_mask(-1)


# ---------------------------------------------------------------- properties of attention


@SETTINGS
@given(qkv())
def test_weights_rows_sum_to_one(inputs):
    Q, K, V = inputs
    output, weights = scaled_dot_product_attention(Q, K, V)
    assert weights.shape == (Q.shape[0], K.shape[0]) and output.shape == (Q.shape[0], V.shape[1])
    assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


@SETTINGS
@given(qkv(), st.data())
def test_masked_positions_get_exactly_zero_weight(inputs, data):
    Q, K, V = inputs
    mask = data.draw(hnp.arrays(np.bool_, (Q.shape[0], K.shape[0])))
    _, weights = scaled_dot_product_attention(Q, K, V, mask=mask)
    assert np.all(weights[~mask] == 0.0)
    # rows that may attend to something are still probabilities; rows that may not are all zero
    assert_allclose(weights.sum(axis=-1), mask.any(axis=-1).astype(float), rtol=1e-12)


@SETTINGS
@given(qkv(), st.data())
def test_translating_every_key_by_one_vector_changes_nothing(inputs, data):
    # q·(k_j + u) = q·k_j + q·u adds the same constant to every score of a query
    Q, K, V = inputs
    u = data.draw(matrices(1, K.shape[1]))
    out, weights = scaled_dot_product_attention(Q, K, V)
    out_shifted, weights_shifted = scaled_dot_product_attention(Q, K + u, V)
    assert_allclose(weights_shifted, weights, rtol=1e-9, atol=1e-12)
    assert_allclose(out_shifted, out, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(qkv(bound=1e4), st.sampled_from([1e-3, 1.0, 1e3, 1e6]))
def test_output_is_finite_for_extreme_inputs_and_temperatures(inputs, temperature):
    Q, K, V = inputs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output, weights = scaled_dot_product_attention(Q, K, V, temperature=temperature)
    assert np.all(np.isfinite(output)) and np.all(np.isfinite(weights))
    assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


@SETTINGS
@given(tokens_and_projections(), st.randoms(use_true_random=False))
def test_permuting_the_tokens_permutes_the_output(inputs, random):
    X, W_q, W_k, W_v = inputs
    perm = np.array(random.sample(range(X.shape[0]), X.shape[0]))
    steps = self_attention(X, W_q, W_k, W_v)
    permuted = self_attention(X[perm], W_q, W_k, W_v)
    assert_allclose(permuted["output"], steps["output"][perm], rtol=1e-9, atol=1e-9)
    assert_allclose(permuted["weights"], steps["weights"][np.ix_(perm, perm)], rtol=1e-9, atol=1e-12)


@SETTINGS
@given(tokens_and_projections(), st.booleans())
def test_self_attention_output_is_the_sum_of_weighted_values(inputs, causal):
    X, W_q, W_k, W_v = inputs
    n = X.shape[0]
    steps = self_attention(X, W_q, W_k, W_v, mask=causal_mask(n) if causal else None)
    assert steps["weighted_values"].shape == (n, n, W_v.shape[1])
    assert_allclose(steps["output"], steps["weighted_values"].sum(axis=1), rtol=1e-12, atol=1e-12)
    assert_allclose(steps["output"], steps["weights"] @ steps["V"], rtol=1e-12, atol=1e-12)


@SETTINGS
@given(tokens_and_projections(), st.booleans())
def test_one_querys_weighted_values_equal_its_row_of_the_full_array(inputs, causal):
    X, W_q, W_k, W_v = inputs
    n = X.shape[0]
    mask = causal_mask(n) if causal else None
    full = self_attention(X, W_q, W_k, W_v, mask=mask)
    lean = self_attention(X, W_q, W_k, W_v, mask=mask, unsummed=False)
    assert "weighted_values" not in lean  # the n x n x d_v array is not built
    for i in range(n):
        row = weighted_values(lean["weights"][i], lean["V"])  # (n, d_v)
        assert_array_equal(row, full["weighted_values"][i])
        assert_allclose(row.sum(axis=0), lean["output"][i], rtol=1e-12, atol=1e-12)


@SETTINGS
@given(tokens_and_projections(), st.sampled_from([0.5, 1.0, 3.0]))
def test_self_attention_steps_follow_the_equations(inputs, temperature):
    X, W_q, W_k, W_v = inputs
    n, d_k = X.shape[0], W_q.shape[1]
    mask = causal_mask(n)
    steps = self_attention(X, W_q, W_k, W_v, mask=mask, temperature=temperature)
    assert steps["d_k"] == d_k and isinstance(steps["d_k"], int)
    assert_array_equal(steps["X"], X)
    assert_allclose(steps["Q"], X @ W_q)
    assert_allclose(steps["scores"], steps["Q"] @ steps["K"].T)
    expected_scaled = np.where(mask, steps["scores"] / (math.sqrt(d_k) * temperature), -np.inf)
    assert_allclose(steps["scaled_scores"], expected_scaled)
    assert_array_equal(steps["weights"], softmax(steps["scaled_scores"]))
    output, weights = scaled_dot_product_attention(X @ W_q, X @ W_k, X @ W_v, mask, temperature)
    assert_allclose(steps["weights"], weights, rtol=1e-12, atol=1e-15)
    assert_allclose(steps["output"], output, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(
    batch=hnp.array_shapes(min_dims=1, max_dims=2, max_side=3),
    n_q=st.integers(1, 4), n_k=st.integers(1, 4), d_k=st.integers(1, 4), d_v=st.integers(1, 4),
    data=st.data(),
)
def test_leading_batch_dims_match_a_loop_over_the_batch(batch, n_q, n_k, d_k, d_v, data):
    Q = data.draw(hnp.arrays(np.float64, (*batch, n_q, d_k), elements=floats(3)))
    K = data.draw(hnp.arrays(np.float64, (*batch, n_k, d_k), elements=floats(3)))
    V = data.draw(hnp.arrays(np.float64, (*batch, n_k, d_v), elements=floats(3)))
    mask = data.draw(hnp.arrays(np.bool_, (n_q, n_k)))  # one mask broadcast over the batch
    output, weights = scaled_dot_product_attention(Q, K, V, mask=mask)
    assert output.shape == (*batch, n_q, d_v) and weights.shape == (*batch, n_q, n_k)
    for b in np.ndindex(*batch):
        out_b, weights_b = scaled_dot_product_attention(Q[b], K[b], V[b], mask=mask)
        assert_allclose(output[b], out_b, rtol=1e-12, atol=1e-12)
        assert_allclose(weights[b], weights_b, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- multi-head attention


@SETTINGS
@given(multi_head_inputs())
def test_one_head_with_identity_w_o_equals_single_head_attention(inputs):
    X, W_q, W_k, W_v, _, _ = inputs
    d_model = X.shape[1]
    output, weights = multi_head_attention(X, W_q, W_k, W_v, np.eye(d_model), num_heads=1)
    expected_out, expected_weights = scaled_dot_product_attention(X @ W_q, X @ W_k, X @ W_v)
    assert weights.shape == (1, X.shape[0], X.shape[0])
    assert_allclose(weights[0], expected_weights, rtol=1e-12, atol=1e-15)
    assert_allclose(output, expected_out, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(multi_head_inputs(), st.booleans())
def test_each_head_attends_with_its_own_column_slice(inputs, causal):
    X, W_q, W_k, W_v, W_o, num_heads = inputs
    n, d_model = X.shape
    d_head = d_model // num_heads
    mask = causal_mask(n) if causal else None
    output, weights = multi_head_attention(X, W_q, W_k, W_v, np.eye(d_model), num_heads, mask=mask)
    assert output.shape == (n, d_model) and weights.shape == (num_heads, n, n)
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        head_out, head_weights = scaled_dot_product_attention(Q[:, cols], K[:, cols], V[:, cols], mask=mask)
        assert_allclose(weights[h], head_weights, rtol=1e-12, atol=1e-15)
        assert_allclose(output[:, cols], head_out, rtol=1e-12, atol=1e-12)
    # W_o mixes the concatenated heads afterwards
    mixed, _ = multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=mask)
    assert_allclose(mixed, output @ W_o, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- projections


def test_random_projections_are_deterministic_from_the_seed():
    first, again = random_projections(8, 4, seed=1), random_projections(8, 4, seed=1)
    other = random_projections(8, 4, seed=2)
    for a, b in zip(first, again, strict=False):
        assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0], first[1])  # three different matrices


def test_random_projections_shapes_and_d_v():
    W_q, W_k, W_v = random_projections(6, 4, seed=0, d_v=3)
    assert (W_q.shape, W_k.shape, W_v.shape) == ((6, 4), (6, 4), (6, 3))
    assert random_projections(6, 4, seed=0)[2].shape == (6, 4)


def test_random_projections_keep_the_scale_of_x():
    d_model = 256
    W_q, _, _ = random_projections(d_model, 256, seed=0)
    assert W_q.var() == pytest.approx(1 / d_model, rel=0.05)  # 65536 entries of N(0, 1/d_model)
    X = np.random.default_rng(1).normal(size=(512, d_model))
    assert (X @ W_q).std() == pytest.approx(1.0, rel=0.1)


def test_identity_projections_make_q_k_v_equal_x():
    X = np.arange(6.0).reshape(2, 3)
    steps = self_attention(X, *identity_projections(3))
    for name in ("Q", "K", "V"):
        assert_array_equal(steps[name], X)
    W_q, W_k, _ = identity_projections(3)
    W_q[0, 0] = 5.0
    assert W_k[0, 0] == 1.0  # independent copies, not one shared array


# ---------------------------------------------------------------- shape and value errors


def test_mismatched_d_k_names_both_shapes():
    with pytest.raises(ValueError, match=r"Q has shape \(3, 4\) but K has shape \(3, 5\).*d_k"):
        scaled_dot_product_attention(np.ones((3, 4)), np.ones((3, 5)), np.ones((3, 2)))


def test_keys_and_values_of_different_lengths_name_both_shapes():
    with pytest.raises(ValueError, match=r"K has shape \(3, 4\) but V has shape \(2, 4\).*n_k"):
        scaled_dot_product_attention(np.ones((3, 4)), np.ones((3, 4)), np.ones((2, 4)))


def test_one_dimensional_input_is_rejected_with_its_shape():
    with pytest.raises(ValueError, match=r"\(4,\)"):
        scaled_dot_product_attention(np.ones(4), np.ones((3, 4)), np.ones((3, 4)))


def test_unbroadcastable_batch_dims_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\).*\(5, 3, 4\).*batch"):
        scaled_dot_product_attention(np.ones((2, 3, 4)), np.ones((5, 3, 4)), np.ones((5, 3, 4)))


def test_mask_of_the_wrong_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"mask has shape \(2, 3\) but the scores have shape \(3, 3\)"):
        scaled_dot_product_attention(np.ones((3, 4)), np.ones((3, 4)), np.ones((3, 4)), mask=np.ones((2, 3), bool))


def test_non_boolean_mask_is_rejected():
    with pytest.raises(ValueError, match="boolean"):
        scaled_dot_product_attention(np.ones((2, 4)), np.ones((2, 4)), np.ones((2, 4)), mask=np.tri(2))


@pytest.mark.parametrize("temperature", [0.0, -1.0, np.inf, np.nan])
def test_temperature_must_be_positive_and_finite(temperature):
    with pytest.raises(ValueError, match="temperature"):
        scaled_dot_product_attention(np.ones((2, 4)), np.ones((2, 4)), np.ones((2, 4)), temperature=temperature)
    with pytest.raises(ValueError, match="temperature"):
        self_attention(np.ones((2, 4)), *identity_projections(4), temperature=temperature)


def test_projection_that_does_not_fit_x_names_both_shapes():
    with pytest.raises(ValueError, match=r"X has shape \(3, 4\) but W_q has shape \(5, 2\)"):
        self_attention(np.ones((3, 4)), np.ones((5, 2)), np.ones((4, 2)), np.ones((4, 2)))


def test_query_and_key_projections_of_different_widths_are_rejected():
    with pytest.raises(ValueError, match=r"W_q has shape \(4, 2\) but W_k has shape \(4, 3\)"):
        self_attention(np.ones((3, 4)), np.ones((4, 2)), np.ones((4, 3)), np.ones((4, 2)))


def test_num_heads_must_divide_d_model():
    W = np.eye(4)
    with pytest.raises(ValueError, match=r"num_heads = 3 does not divide d_model = 4"):
        multi_head_attention(np.ones((2, 4)), W, W, W, W, num_heads=3)


def test_multi_head_projection_must_be_d_model_square():
    W = np.eye(4)
    with pytest.raises(ValueError, match=r"W_o has shape \(4, 2\)"):
        multi_head_attention(np.ones((2, 4)), W, W, W, np.ones((4, 2)), num_heads=2)


# ---------------------------------------------------------------- why divide by √d_k

D_K = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


@pytest.fixture(scope="module")
def saturation():
    return softmax_saturation(D_K, n_keys=8, trials=256, seed=0)


def test_saturation_returns_one_float_per_d_k(saturation):
    expected = {"d_k", "max_weight_unscaled", "max_weight_scaled", "entropy_unscaled", "entropy_scaled",
                "score_std_unscaled", "score_std_scaled"}
    assert set(saturation) == expected
    for name, values in saturation.items():
        assert values.shape == (len(D_K),) and values.dtype == np.float64, name
    assert_array_equal(saturation["d_k"], D_K)


def test_unscaled_softmax_saturates_as_d_k_grows(saturation):
    max_weight = saturation["max_weight_unscaled"]
    assert max_weight[-1] > 0.9
    assert max_weight[-1] > max_weight[D_K.index(4)] + 0.3
    assert saturation["entropy_unscaled"][-1] < 0.5 * saturation["entropy_unscaled"][D_K.index(4)]


def test_scaled_softmax_stays_flat_as_d_k_grows(saturation):
    max_weight, entropy = saturation["max_weight_scaled"], saturation["entropy_scaled"]
    assert abs(max_weight[-1] - max_weight[D_K.index(4)]) < 0.1
    assert abs(entropy[-1] - entropy[D_K.index(4)]) < 0.2
    assert 1 / 8 < max_weight[-1] < 0.6  # between uniform over 8 keys and one-hot


def test_score_std_is_sqrt_d_k_unscaled_and_one_scaled(saturation):
    assert_allclose(saturation["score_std_unscaled"], np.sqrt(D_K), rtol=0.15)
    assert_allclose(saturation["score_std_scaled"], 1.0, rtol=0.15)


def test_saturation_is_deterministic_from_the_seed():
    a, b, c = (softmax_saturation([4, 64], trials=32, seed=s) for s in (7, 7, 8))
    for name in a:
        assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["max_weight_unscaled"], c["max_weight_unscaled"])


@pytest.mark.parametrize("d_k_values", [[], [0, 4], [2.5], [[4, 8]]])
def test_saturation_rejects_invalid_d_k_values(d_k_values):
    with pytest.raises(ValueError, match="d_k_values"):
        softmax_saturation(d_k_values)


@pytest.mark.parametrize(("i", "j"), [(3, 0), (0, 3), (2, 2), (1, 2)])
@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_jacobian_matches_central_differences(i, j, causal):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((4, 5))
    W_q, W_k, W_v = (rng.standard_normal((5, d)) / 2 for d in (3, 3, 2))
    mask = causal_mask(4) if causal else None

    def output_i(x_j):
        X_moved = X.copy()
        X_moved[j] = x_j
        return self_attention(X_moved, W_q, W_k, W_v, mask=mask, temperature=0.7)["output"][i]

    expected = central_differences(output_i, X[j].copy())
    got = self_attention_jacobian(X, W_q, W_k, W_v, i, j, mask=mask, temperature=0.7)
    assert got.shape == (2, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_masked_future_token_has_no_influence():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 3))
    J = self_attention_jacobian(X, *identity_projections(3), i=1, j=3, mask=causal_mask(4))
    assert_array_equal(J, np.zeros((3, 3)))


def test_jacobian_rejects_token_indices_outside_the_sequence():
    with pytest.raises(ValueError, match=r"i = 5 and j = 0 .* shape \(3, 2\)"):
        self_attention_jacobian(np.ones((3, 2)), *identity_projections(2), i=5, j=0)
