"""Chart data the pages send: block averages for big matrices, with hand-checked numbers."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from ui.charts import MAX_CELLS, blocks


def test_a_small_matrix_is_left_alone():
    M = np.arange(6.0).reshape(2, 3)
    out, rows, cols, b = blocks(M, ["a", "b"], ["x", "y", "z"])
    assert b == 1 and rows == ["a", "b"] and cols == ["x", "y", "z"]
    assert_array_equal(out, M)


def test_blocks_average_by_hand():
    # 4x4 into 2x2 blocks (max 4 cells): top-left block is (0 + 1 + 4 + 5) / 4 = 2.5
    M = np.arange(16.0).reshape(4, 4)
    out, rows, cols, b = blocks(M, [f"{i + 1} w" for i in range(4)], [str(i) for i in range(4)], max_cells=4)
    assert b == 2
    assert_array_equal(out, [[2.5, 4.5], [10.5, 12.5]])
    assert rows == ["1 w – 2 w", "3 w – 4 w"] and cols == ["0 – 1", "2 – 3"]


def test_masked_cells_are_left_out_of_a_block_and_an_all_masked_block_stays_masked():
    M = np.array([[1.0, np.nan, np.nan, np.nan],
                  [3.0, np.nan, np.nan, np.nan],
                  [1.0, 2.0, 3.0, 4.0],
                  [5.0, 6.0, 7.0, -np.inf]])
    out, *_ = blocks(M, list("abcd"), list("abcd"), max_cells=4)
    assert out[0, 0] == 2.0  # (1 + 3) / 2, the masked cells left out
    assert np.isnan(out[0, 1])  # nothing but masked cells
    assert out[1, 1] == pytest.approx((3 + 4 + 7) / 3)  # -inf (a mask) left out too


def test_a_ragged_edge_averages_what_is_there():
    # 5x5 into blocks of 2 (max 9 cells): the last block row and column hold one row/column each
    M = np.arange(25.0).reshape(5, 5)
    out, rows, cols, b = blocks(M, list("abcde"), list("abcde"), max_cells=9)
    assert b == 2 and out.shape == (3, 3)
    assert out[2, 2] == 24.0 and out[2, 0] == pytest.approx((20 + 21) / 2)
    assert rows[-1] == "e"  # a block of one keeps its own label


@given(arrays(np.float64, st.tuples(st.integers(1, 300), st.integers(1, 80)),
              elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_blocks_fit_the_budget_and_preserve_the_mean_of_whole_blocks(M):
    out, rows, cols, b = blocks(M, range(M.shape[0]), range(M.shape[1]))
    assert out.size <= MAX_CELLS and len(rows) == out.shape[0] and len(cols) == out.shape[1]
    assert (b == 1) == (M.size <= MAX_CELLS)
    whole_r, whole_c = (M.shape[0] // b) * b, (M.shape[1] // b) * b
    if whole_r and whole_c:
        assert_allclose(out[: whole_r // b, : whole_c // b].mean(), M[:whole_r, :whole_c].mean(), atol=1e-6)
    assert out.min() >= M.min() - 1e-9 and out.max() <= M.max() + 1e-9


# --- token labels: every chart marks where a token's vector comes from -----------------------


def test_token_labels_mark_random_vectors_and_particles_and_never_cut_the_mark():
    from core.korean import Morpheme
    from ui.charts import FALLBACK_MARK, token_labels

    tokens = ["the", Morpheme("를", "JKO"), "zzqxv", Morpheme("고양이", "NNG"), "x" * 40]
    labels = token_labels(tokens)
    assert labels[:4] == ["1 the", "2 -를", f"3 zzqxv{FALLBACK_MARK}", "4 고양이"]
    assert labels[4].endswith("…" + FALLBACK_MARK) and len(labels[4]) == len("5 ") + 14 + 1


def test_token_labels_take_given_sources():
    from ui.charts import token_labels

    assert token_labels(["a", "b"], sources=["fallback", "glove"]) == ["1 a†", "2 b"]
