"""The attention vs self-attention page: the table in both languages, and the live evidence."""


import json

import numpy as np
import pytest

from conftest import charts, open_page
from core.seq2seq import alignment
from ui import translator as models
from ui.i18n import catalog, number

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


def test_row_1_draws_a_trained_decoder_s_queries_and_the_encoder_s_own():
    at = open_page(PAGE)
    at.text_input(key="cmp_date").input("1999년 12월 31일 금요일").run()
    ex = models.explain("dot", models.load_shipped()["dot"]["params"], "1999년 12월 31일 금요일")
    np.testing.assert_allclose(heatmap_titled(at, EN["cmp.attention_chart"]), ex["weights"], atol=1e-12)
    self_weights = heatmap_titled(at, EN["cmp.self_chart"])
    np.testing.assert_allclose(self_weights, alignment(ex["keys"], ex["keys"])["weights"], atol=1e-12)
    assert self_weights.shape == (14, 14)
    assert EN["cmp.both_caption"].format(translation="Friday, December 31, 1999") in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_row_3_is_measured_on_trained_encoder_decoders_with_a_note_beside_the_notes(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    experiment, runs = models.load_experiment()
    first = models.mean_by_length(experiment, runs, "first")
    lines = [data for _, data in charts(at) if "dates" in data]
    assert len(lines) == 1
    shown = {name: group.sort_values("dates")["accuracy"].to_numpy() for name, group in lines[0].groupby("series")}
    np.testing.assert_allclose(shown[texts["s2s.context_fixed"]], first["fixed"])
    np.testing.assert_allclose(shown[texts["s2s.context_additive"]], first["additive"])
    assert texts["cmp.long_term_note"] in [i.value for i in at.info]


def test_an_unreadable_date_keeps_the_rest_of_the_page():
    at = open_page(PAGE)
    at.text_input(key="cmp_date").input("tomorrow").run()
    assert EN["s2s.cannot_characters"] in [w.value for w in at.warning]
    assert influence(at)  # the memory section still draws


def test_the_recurrence_forgets_the_first_word_and_self_attention_does_not():
    at = open_page(PAGE)
    curves = influence(at)
    rnn, attention = curves[EN["cmp.series_rnn"]], curves[EN["cmp.series_self"]]
    assert len(rnn) == len(attention) == 31  # the long example sentence
    assert rnn[-1] < 1e-3 * rnn[0]
    assert attention[-1] > 1e2 * rnn[-1]
    values = {m.label: m.value for m in at.metric}
    assert values[EN["cmp.last_rnn"].format(d=30)] == number(rnn[-1])


def test_raising_the_spectral_radius_makes_the_recurrence_remember():
    at = open_page(PAGE)
    at.slider(key="cmp_radius").set_value(0.5).run()
    low = influence(at)[EN["cmp.series_rnn"]][-1]
    at.slider(key="cmp_radius").set_value(1.2).run()
    high = influence(at)[EN["cmp.series_rnn"]][-1]
    assert high > 1e3 * low


def test_a_one_word_sentence_gets_a_clear_message():
    at = open_page(PAGE)
    at.text_area(key="cmp_text").input("word").run()
    assert EN["cmp.memory_short"] in [w.value for w in at.warning]
    assert not at.exception


def test_the_first_word_chart_says_which_tokens_have_a_random_vector_since_it_draws_no_token():
    at = open_page(PAGE)
    assert not any(EN["cmp.memory_random_first"] in i.value for i in at.info)  # the example: GloVe knows word 1
    at.text_area(key="cmp_text").input("Grzblx the cat sat on the mat").run()
    notice = EN["cmp.memory_random"].format(count=1, tokens="Grzblx†") + " " + EN["cmp.memory_random_first"]
    assert notice in [i.value for i in at.info]
    at.text_area(key="cmp_text").input("the cat sat on the mat").run()
    assert not any(EN["cmp.memory_random"].split(":")[0][8:] in i.value for i in at.info)


def test_a_short_sentence_where_the_recurrence_keeps_more_of_the_first_word_says_so():
    """Six words at ρ = 0.9: the recurrence's influence is still above self-attention's at the end, against
    what row 3 says of long inputs; the page says why beside the numbers, and not on the long example."""
    at = open_page(PAGE)
    assert not any(EN["cmp.memory_turns"].strip() in c.value for c in at.caption)
    at.text_area(key="cmp_text").input("the cat sat on the mat").run()
    curves = influence(at)
    rnn, attention = curves[EN["cmp.series_rnn"]], curves[EN["cmp.series_self"]]
    assert attention[-1] < rnn[-1]  # this sentence shows the short-sentence case
    said = EN["cmp.memory_recurrence_ahead"].format(ratio=number(attention[-1] / rnn[-1], 2), d=len(rnn) - 1,
                                                    radius="0.90") + EN["cmp.memory_turns"]
    assert said in [c.value for c in at.caption]


def test_the_influence_chart_ticks_its_distance_in_whole_steps_for_a_short_sentence():
    """Six words drew ticks at 0.2, 0.4, …: a distance in steps is a whole number."""
    at = open_page(PAGE)
    at.text_area(key="cmp_text").input("the cat sat on the mat").run()
    spec = next(spec for spec, data in charts(at) if "influence" in data)
    assert '"tickMinStep": 1' in json.dumps(spec) and '"format": "d"' in json.dumps(spec)


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


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_row_two_draws_each_model_in_its_colour(lang):
    from ui.charts import MODEL_COLORS

    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    rows = [data for _, data in charts(at) if "steps" in data and "n" in data]
    assert rows, "no row-2 chart"
    colour = dict(zip(rows[0]["series"], rows[0]["color"], strict=True))
    assert colour[texts["cmp.series_rnn"]] == MODEL_COLORS["rnn"]
    assert colour[texts["cmp.series_self"]] == MODEL_COLORS["self_attention"]
