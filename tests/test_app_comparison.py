"""The attention vs self-attention page: the table in both languages, and the live evidence."""


import numpy as np
import pytest

from conftest import charts, open_page
from core.seq2seq import alignment, decoder_states, encoder_states
from ui.i18n import catalog

PAGE = "pages/6_attention_vs_self_attention.py"
EN = catalog("en")
ROWS = ("qkv", "time_steps", "long_term", "query", "path", "cost", "parallel", "masks")


def heatmap_titled(at, title):
    for spec, data in charts(at):
        if spec.get("title") == title:
            M = np.zeros((data["r"].max() + 1, data["c"].max() + 1))
            M[data["r"], data["c"]] = data["value"]
            return M
    raise AssertionError(f"no chart titled {title!r}")


def influence(at):
    """The influence chart's two curves: {series: values by distance}."""
    for _, data in charts(at):
        if "influence" in data:
            return {name: group.sort_values("distance")["influence"].to_numpy()
                    for name, group in data.groupby("series")}
    raise AssertionError("no influence chart")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_table_has_the_notes_rows_and_the_review_rows_in_both_languages(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    table = at.table[0].value
    assert list(table.columns) == [texts["cmp.col_aspect"], texts["cmp.col_attention"], texts["cmp.col_self"]]
    assert list(table.iloc[:, 0]) == [texts[f"cmp.row_{r}"] for r in ROWS]
    assert list(table.iloc[:, 1]) == [texts[f"cmp.row_{r}_attention"] for r in ROWS]
    assert list(table.iloc[:, 2]) == [texts[f"cmp.row_{r}_self"] for r in ROWS]
    assert "O(n)" in table.iloc[4, 1] and "O(1)" in table.iloc[4, 2]
    assert "O(n·d²)" in table.iloc[5, 1] and "O(n²·d)" in table.iloc[5, 2]


def test_both_ways_differ_only_in_where_the_queries_come_from():
    at = open_page(PAGE)
    at.selectbox(key="cmp_pair").set_value(1).run()  # 고양이가 생선을 먹었다 -> The cat ate the fish
    H_e, H_d = encoder_states("고양이가 생선을 먹었다"), decoder_states("The cat ate the fish")
    np.testing.assert_allclose(heatmap_titled(at, EN["cmp.attention_chart"]),
                               alignment(H_d, H_e, temperature=0.1)["weights"], atol=1e-12)
    self_weights = heatmap_titled(at, EN["cmp.self_chart"])
    np.testing.assert_allclose(self_weights, alignment(H_e, H_e, temperature=0.1)["weights"], atol=1e-12)
    # 고양이 -가 생선 -을 먹 -었 -다: each word is most like itself; the particles and endings share
    # the function-morpheme vector, so each of them is most like the first of them (-가).
    assert self_weights.shape == (7, 7)
    np.testing.assert_array_equal(self_weights.argmax(axis=1), [0, 1, 2, 1, 4, 1, 1])


def test_the_recurrence_forgets_the_first_word_and_self_attention_does_not():
    at = open_page(PAGE)
    curves = influence(at)
    rnn, attention = curves[EN["cmp.series_rnn"]], curves[EN["cmp.series_self"]]
    assert len(rnn) == len(attention) == 31  # the long example sentence
    assert rnn[-1] < 1e-3 * rnn[0]
    assert attention[-1] > 1e2 * rnn[-1]
    values = {m.label: m.value for m in at.metric}
    assert values[EN["cmp.last_rnn"].format(n=31)] == f"{rnn[-1]:.2e}"


def test_raising_the_spectral_radius_makes_the_recurrence_remember():
    at = open_page(PAGE)
    at.slider(key="cmp_radius").set_value(0.5).run()
    low = influence(at)[EN["cmp.series_rnn"]][-1]
    at.slider(key="cmp_radius").set_value(1.2).run()
    high = influence(at)[EN["cmp.series_rnn"]][-1]
    assert high > 1e3 * low


def test_temperature_moves_both_heatmaps_together():
    at = open_page(PAGE)
    at.slider(key="cmp_temperature").set_value(1.0).run()
    soft = heatmap_titled(at, EN["cmp.self_chart"])
    at.slider(key="cmp_temperature").set_value(0.04).run()
    sharp = heatmap_titled(at, EN["cmp.self_chart"])
    assert np.diag(sharp).mean() > np.diag(soft).mean()


def test_a_one_word_sentence_gets_a_clear_message():
    at = open_page(PAGE)
    at.text_area(key="cmp_text").input("word").run()
    assert EN["cmp.memory_short"] in [w.value for w in at.warning]
    assert not at.exception


def test_an_empty_pair_keeps_the_rest_of_the_page():
    at = open_page(PAGE)
    at.text_input(key="cmp_source").input("   ").run()
    assert EN["s2s.empty"] in [w.value for w in at.warning]
    assert influence(at)  # the memory section still draws


def time_curves(at, y):
    """The row-2 chart whose y column is `y`: {series: values by n}."""
    for _, data in charts(at):
        if y in data and "n" in data:
            return {name: group.sort_values("n")[y].to_numpy() for name, group in data.groupby("series")}
    raise AssertionError(f"no chart of {y}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_row_two_counts_n_dependent_steps_against_one(lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    steps = time_curves(at, "steps")
    assert steps[texts["cmp.series_rnn"]].tolist() == [4, 8, 16, 32, 64, 128, 256]
    assert steps[texts["cmp.series_self"]].tolist() == [1] * 7
    ms = time_curves(at, "ms")
    assert all(np.all(v > 0) for v in ms.values())
    assert at.metric[0].label == texts["cmp_time.rnn_steps"].format(n=256) and at.metric[0].value == "256"
    assert at.metric[1].value == "1"


def test_row_two_slider_measures_longer_sequences():
    at = open_page(PAGE)
    at.select_slider(key="cmp_time_n").set_value(1024).run()
    assert not at.exception
    assert time_curves(at, "steps")[EN["cmp.series_rnn"]][-1] == 1024
    assert at.metric[0].value == "1,024"
    at = open_page(PAGE, lang="ko", params={"cmp_time_n": "64"})
    assert time_curves(at, "steps")[catalog("ko")["cmp.series_rnn"]][-1] == 64
