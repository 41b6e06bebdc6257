"""Chart data the pages send: block averages for big matrices, with hand-checked numbers."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from conftest import read_power
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


# Every chart the pages draw is an Altair template compiled once; here each one is checked
# against the Vega-Lite schema (never at run time), and shown to stay byte-identical when a
# slider moves, so the browser swaps the data into its view instead of rebuilding it.

VEGA_LITE = None


def assert_valid_vega_lite(spec: dict) -> None:
    """Validate a spec against the Vega-Lite schema Altair ships (the version its specs name), with
    the data source Streamlit supplies (the Arrow table sent beside the spec) put back."""
    global VEGA_LITE
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import SCHEMA_URL, load_schema

    VEGA_LITE = VEGA_LITE or load_schema()
    assert spec["$schema"] == SCHEMA_URL
    validate_jsonschema({**spec, "data": {"name": "cells"}}, VEGA_LITE)


# (page, how to move its slider) for every page with charts: the slider the learner moves most
SLIDERS = [
    ("pages/1_self_attention.py", lambda at: at.slider(key="sa_temperature").set_value(2.0)),
    ("pages/1_self_attention.py", lambda at: at.selectbox(key="sa_query").set_value(
        at.selectbox(key="sa_query").options[3])),
    ("pages/2_seq2seq_attention.py", lambda at: at.select_slider(key="s2s_step").set_value(
        at.select_slider(key="s2s_step").options[2])),
    ("pages/3_rnn.py", lambda at: at.slider(key="rnn_radius").set_value(1.5)),
    ("pages/4_lstm.py", lambda at: at.slider(key="lstm_forget_bias").set_value(3.0)),
    ("pages/4_lstm.py", lambda at: at.select_slider(key="lstm_step").set_value(
        at.select_slider(key="lstm_step").options[4])),
    ("pages/5_gru.py", lambda at: at.slider(key="gru_update_bias").set_value(-2.0)),
    ("pages/5_gru.py", lambda at: at.select_slider(key="gru_step").set_value(
        at.select_slider(key="gru_step").options[4])),
    ("pages/6_attention_vs_self_attention.py", lambda at: at.slider(key="cmp_radius").set_value(1.2)),
    ("pages/8_memory_lab.py", lambda at: at.segmented_control(key="lab_loss_lag").set_value(5)),
]


@pytest.mark.parametrize(("page", "move"), SLIDERS, ids=[f"{p.split('/')[1]}-{i}" for i, (p, _) in enumerate(SLIDERS)])
def test_a_slider_changes_the_charts_data_never_their_specs(page, move):
    from conftest import chart_specs, charts, open_page

    at = open_page(page)
    before, data_before = chart_specs(at), [data for _, data in charts(at)]
    move(at)
    at.run()
    assert not at.exception
    assert chart_specs(at) == before  # the same bytes: Streamlit's frontend keeps each Vega view
    assert any(not a.equals(b) for a, b in zip(data_before, (data for _, data in charts(at)), strict=True))


@pytest.mark.parametrize("page", sorted({page for page, _ in SLIDERS}))
def test_every_chart_on_every_page_is_valid_vega_lite(page):
    from conftest import chart_specs, open_page

    specs = chart_specs(open_page(page, lang="ko"))
    assert specs
    for spec in specs:
        assert_valid_vega_lite(json.loads(spec))


def _marks(spec: dict):
    """Every mark of a spec, through its layers and facets."""
    if "mark" in spec:
        yield spec["mark"] if isinstance(spec["mark"], dict) else {"type": spec["mark"]}
    for part in (*spec.get("layer", ()), *([spec["spec"]] if "spec" in spec else ())):
        yield from _marks(part)


@pytest.mark.parametrize("page", sorted({page for page, _ in SLIDERS}))
def test_a_chart_drawn_on_a_canvas_builds_no_aria_text_for_its_marks(page):
    """A canvas has no node per mark to hang a description on; Vega-Lite would still build one per
    cell on every redraw. An SVG chart keeps its marks' descriptions for screen readers."""
    from conftest import chart_specs, open_page

    drawn = [json.loads(spec) for spec in chart_specs(open_page(page))]
    on_canvas = [spec for spec in drawn if spec.get("usermeta", {}).get("embedOptions", {}).get("renderer") == "canvas"]
    assert on_canvas  # every page with a slider draws a heatmap
    for spec in on_canvas:
        assert all(mark.get("aria") is False for mark in _marks(spec) if mark["type"] == "rect"), spec
    for spec in drawn:
        if spec not in on_canvas:
            assert all("aria" not in mark for mark in _marks(spec))


def test_every_template_is_valid_vega_lite_in_every_variant():
    from ui import charts

    for scale in charts.SCALES:
        for outline in (False, True):
            assert_valid_vega_lite(charts.heatmap_spec("x", "y", "v", scale, outline, outline, 200, titled=outline,
                                                       upright_x=outline))
            assert_valid_vega_lite(charts.heatmap_spec("x", "y", "v", scale, outline, outline, side=120,
                                                       panel_title="head", columns=5))
    for color in ("signed", "unit", "plain"):
        for log_y in (False, True):
            assert_valid_vega_lite(charts.bar_spec("x", "y", color, log_y, log_y, titled=log_y))
    for log in (False, True):
        for rules in (False, True):
            assert_valid_vega_lite(charts.line_spec("a", "b", "series", "x", "y", log, not log, rules, rules, log, 200,
                                                    titled=rules, legend_columns=2 if rules else None,
                                                    x_integer=not log))
    for scale in ("signed", "sequential"):  # a fixed colour range (unit's is [0, 1] already)
        assert_valid_vega_lite(charts.heatmap_spec("x", "y", "v", scale, False, False, 200, titled=True,
                                                   domain=(-2.0, 2.0)))


def test_a_heatmap_writes_a_few_short_column_labels_level_and_turns_many(monkeypatch):
    """The lab's input heatmap has 7 time steps, 1 to 7: turned 90° they were needlessly hard to read.
    32 unit labels at half the page's width would run into each other level, so they stay turned."""
    import numpy as np

    from ui import charts

    drawn = []
    monkeypatch.setattr(charts, "_draw", lambda spec, data, **_: drawn.append(spec))
    for columns in (7, charts.UPRIGHT_COLUMNS + 1):
        charts.heatmap(np.zeros((2, columns)), ["a", "b"], [str(c + 1) for c in range(columns)], x_title="step",
                       y_title="", value_title="x")
    level, turned = (spec["encoding"]["x"].get("axis", {}).get("labelAngle") for spec in drawn)
    assert (level, turned) == (0, None)


def test_a_template_is_compiled_once_and_shared():
    from ui import charts

    first = charts.bar_spec("x title", "y title", "signed", False, False)
    assert charts.bar_spec("x title", "y title", "signed", False, False) is first
    assert charts.heatmap_spec("x", "y", "v", "unit", True, False, 300) is charts.heatmap_spec(
        "x", "y", "v", "unit", True, False, 300)


def test_model_colours_and_sign_colours_are_one_language():
    from ui import charts

    assert len(set(charts.MODEL_COLORS.values())) == len(charts.MODEL_COLORS) == 6
    assert not {charts.NEGATIVE, charts.POSITIVE, charts.REFERENCE} & set(charts.MODEL_COLORS.values())
    assert charts.SIGNED["range"] == [charts.NEGATIVE, charts.ZERO, charts.POSITIVE] and charts.SIGNED["domainMid"] == 0
    assert charts.value_scale([0.0, 0.3, 1.0], False) is charts.UNIT
    assert charts.value_scale([0.0, 3.0], False) is charts.SEQUENTIAL
    assert charts.value_scale([0.2, 0.3], True) is charts.SIGNED  # a signed quantity stays signed
    assert charts.model_colors({"a": "rnn", "b": "reference"}) == {"a": charts.MODEL_COLORS["rnn"],
                                                                  "b": charts.REFERENCE}


HOSTILE = '<script>window.__pwned=1</script> & "quotes" 고양이 🐈‍⬛'


def hostile_heatmap():
    from ui import charts

    M = np.array([[0.25, np.nan], [1.0, 0.0]])
    rows, cols = [HOSTILE, "2 cat"], ["1 the", HOSTILE]
    return (charts.heatmap_spec("key", "query", "weight", "unit", False, False, 120, titled=True),
            charts.matrix_frame(M, rows, cols))


def test_a_chart_saves_as_png_and_svg_with_the_learners_words_as_text():
    import xml.etree.ElementTree as ET

    from ui import charts

    spec, data = hostile_heatmap()
    data = charts.titled(data, HOSTILE)
    png = charts.chart_png(spec, data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    svg = charts.chart_svg(spec, data)
    root = ET.fromstring(svg)  # well-formed XML: every text escaped
    assert not [el for el in root.iter() if el.tag.split("}")[-1] in ("script", "foreignObject")]
    texts = "".join(el.text or "" for el in root.iter())
    assert "<script>window.__pwned=1</script>" in texts  # drawn as text, literally (cut to fit an axis)
    assert "<script>" not in svg


@pytest.mark.parametrize("values", [[1, 8, 64, 256], [1e-12, 1e-6, 1.0], [0.3, 0.5, 0.9]],
                         ids=["2.4 decades", "12 decades", "under one decade"])
def test_a_log_axis_labels_powers_of_ten_only(values):
    """As drawn (vl-convert runs the Vega-Lite the browser runs): at least two labels, each a power of ten
    written 10ⁿ as the pages write numbers, within the values' decades, none twice."""
    import re

    from ui import charts

    frame = charts.curves("n", np.arange(1, len(values) + 1), "norm", {"RNN": np.asarray(values, dtype=float)})
    color, dash = charts.series_style(frame, "series", charts.model_colors({"RNN": "rnn"}))
    spec = charts.line_spec("n", "norm", "series", "n", "norm", False, True, False, False, False, 250)
    svg = charts.chart_svg(spec, frame.append_column("color", color).append_column("dash", dash))
    y_axis = re.findall(r'role-axis-label.*?</g>', svg, re.S)[1]
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", y_axis)
    assert len(labels) >= 2 and all(re.fullmatch(r"10⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+", label) for label in labels), labels
    powers = [read_power(label[2:]) for label in labels]
    low, high = np.floor(np.log10(min(values))), np.ceil(np.log10(max(values)))
    assert set(powers) <= set(range(int(low), int(high) + 1)) and len(set(powers)) == len(powers), labels


def test_token_and_unit_axes_centre_their_end_labels_on_their_rows():
    """labelFlush off on every band axis: the browser's Vega drew the first label flush with the axis end."""
    from ui import charts

    spec = charts.heatmap_spec("step", "unit", "h", "signed", False, False, 352)
    encodings = [spec.get("encoding", {})] + [layer.get("encoding", {}) for layer in spec["layer"]]
    axes = [enc["axis"] for encoding in encodings for name, enc in encoding.items()
            if name in ("x", "y") and enc.get("type") == "ordinal" and "axis" in enc]
    assert axes and all(axis.get("labelFlush") is False for axis in axes)


def test_an_accuracy_axis_is_written_in_percent_as_its_captions_are():
    """As drawn (vl-convert): a `percent` chart labels its y axis 0%…100%, where a plain one writes 0.0…1.0."""
    import re

    from ui import charts

    frame = charts.curves("lag", np.array([5, 10, 20]), "accuracy", {"RNN": np.array([1.0, 0.6, 0.25])})
    color, dash = charts.series_style(frame, "series", charts.model_colors({"RNN": "rnn"}))
    frame = frame.append_column("color", color).append_column("dash", dash)
    labels = {}
    for percent in (False, True):
        spec = charts.line_spec("lag", "accuracy", "series", "lag", "accuracy", False, False, False, False, True, 250,
                                percent=percent)
        y_axis = re.findall(r'role-axis-label.*?</g>', charts.chart_svg(spec, frame), re.S)[1]
        labels[percent] = re.findall(r"<text[^>]*>([^<]*)</text>", y_axis)
    assert labels[True][0] == "0%" and labels[True][-1] == "100%" and all(x.endswith("%") for x in labels[True])
    assert labels[False][-1] == "1.0"


def test_a_signed_heatmap_colours_equal_sizes_equally_either_side_of_zero():
    """As drawn (vl-convert): −1 as far from white as +1, though the data run from −1 to 25; the spec
    leaves the ends to the data (Vega computes ±max|value|), so it is the same for any values."""
    import re

    from ui import charts

    spec = charts.heatmap_spec("key", "query", "score", "signed", False, False, 120)
    M = np.array([[-1.0, 1.0], [25.0, np.nan]])
    svg = charts.chart_svg(spec, charts.matrix_frame(M, ["a", "b"], ["c", "d"]))
    cells = re.search(r'<g class="mark-rect role-mark layer_0_marks"[^>]*>(.*?)</g>', svg, re.S).group(1)
    fills = [np.array([int(v) for v in re.findall(r"\d+", f)]) for f in re.findall(r'fill="(rgb[^"]*)"', cells)]
    white = np.array([int(charts.ZERO[i:i + 2], 16) for i in (1, 3, 5)])
    minus, plus, top = (np.abs(f - white).sum() for f in fills)
    assert minus == pytest.approx(plus, rel=0.1) and plus < top / 5  # ±1 alike, and faint next to 25
    assert fills[2].tolist() == [int(charts.POSITIVE[i:i + 2], 16) for i in (1, 3, 5)]  # 25 is the darkest red


@pytest.mark.parametrize(("values", "labels"), [
    ([-8.0, 26.9], ["−26.9", "0", "26.9"]),  # Vega's own ticks said "−20, 0, 20" here
    ([-1.0, 3.808], ["−3.808", "0", "3.808"]),
    ([-0.25, 0.1], ["−0.25", "0", "0.25"]),
])
def test_a_signed_heatmaps_legend_labels_how_far_the_colours_reach_and_zero(values, labels):
    """As drawn (vl-convert), with one spec for every data: the legend's labels are its scale's ends, ±max|value|."""
    import re

    from ui import charts

    spec = charts.heatmap_spec("key", "query", "score", "signed", False, False, 120)
    svg = charts.chart_svg(spec, charts.matrix_frame(np.array([values]), ["a"], ["c", "d"]))
    legend = svg[svg.index("role-legend"):]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", legend)[:4] == [*labels, "score"]


@pytest.mark.parametrize(("peak", "labels"), [(0.885, ["−1", "0", "1"]), (1.7, ["−1.7", "0", "1.7"])])
def test_a_signed_heatmap_with_a_reach_spans_at_least_it_and_further_when_the_values_do(peak, labels):
    import re

    from ui import charts

    spec = charts.heatmap_spec("unit", "", "value", "signed", False, False, 120, reach=1.0)
    svg = charts.chart_svg(spec, charts.matrix_frame(np.array([[-0.3, peak]]), ["c"], ["0", "1"]))
    legend = svg[svg.index("role-legend"):]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", legend)[:3] == labels


def test_a_masked_cell_draws_no_mark_so_the_grey_view_shows():
    """Vega-Lite leaves a cell whose value is null out by itself (the heatmap adds no filter of its own)."""
    import re

    from ui import charts

    M = np.array([[0.25, -np.inf], [1.0, np.nan]])  # a mask's -inf and a NaN: both become null
    spec = charts.heatmap_spec("key", "query", "weight", "unit", False, False, 120)
    svg = charts.chart_svg(spec, charts.matrix_frame(M, ["a", "b"], ["c", "d"]))
    cells = re.search(r'<g class="mark-rect role-mark layer_0_marks"[^>]*>(.*?)</g>', svg, re.S).group(1)
    assert cells.count("<path") == 2  # the two finite cells


def test_a_heatmap_saves_its_matrix_as_csv_with_masked_cells_empty():
    from ui import charts

    _, data = hostile_heatmap()
    lines = charts.chart_csv(data).decode().splitlines()
    assert lines[0].endswith(",1 the,\"<script>window.__pwned=1</script> & \"\"quotes\"\" 고양이 🐈‍⬛\"")
    assert lines[1].endswith(",0.25,") and lines[2] == "2 cat,1.0,0.0"


def test_other_charts_save_their_numbers_without_the_styling_columns():
    from ui import charts

    frame = charts.curves("distance", [1, 2], "norm", {"RNN": [0.5, 0.25]})
    color, dash = charts.series_style(frame, "series", charts.model_colors({"RNN": "rnn"}))
    styled = frame.append_column("color", color).append_column("dash", dash)
    assert charts.chart_csv(styled).decode().splitlines() == ['"distance","norm","series"', '1,0.5,"RNN"',
                                                              '2,0.25,"RNN"']


def test_curves_send_each_series_name_once_and_style_it_as_a_plain_column_would():
    import pyarrow as pa

    from ui import charts

    lines = {"RNN": ([1, 2, 3], [0.5, 0.25, 0.1]), "LSTM": ([1, 2], [0.9, 0.8]), "other": ([5], [1.0])}
    frame = charts.curves_each("step", "loss", lines)
    assert pa.types.is_dictionary(frame["series"].type)
    assert frame["series"].combine_chunks().dictionary.to_pylist() == ["RNN", "LSTM", "other"]
    plain = frame.set_column(2, "series", pa.array(frame["series"].to_pylist(), pa.string()))
    assert frame["series"].to_pylist() == ["RNN"] * 3 + ["LSTM"] * 2 + ["other"]
    colors = charts.model_colors({"RNN": "rnn", "LSTM": "reference"})
    for dictionary, flat in zip(charts.series_style(frame, "series", colors),
                                charts.series_style(plain, "series", colors), strict=True):
        assert dictionary.to_pylist() == flat.to_pylist()
    color, dash = charts.series_style(frame, "series", colors)
    assert dash.to_pylist() == ["solid"] * 3 + ["dashed"] * 2 + ["solid"]
    assert color.to_pylist()[5] == charts.OTHER_SERIES[2]  # the third series, the next of OTHER_SERIES
    assert frame["step"].to_pylist() == [1, 2, 3, 1, 2, 5]


def test_a_saved_file_is_named_after_its_page_and_chart():
    from ui import charts

    assert charts.file_stem("rnn", "Short-term yes, long-term no: the gradient") == \
        "rnn_short_term_yes_long_term_no_the_gradient"
    assert charts.file_stem("lstm", "게이트 · f") == "lstm_게이트_f"
    assert charts.file_stem("sa", "<script>/../..") == "sa_script"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_save_menu_opens_to_list_every_chart_of_the_page_and_renders_nothing_until_asked(lang, monkeypatch):
    from conftest import open_page
    from ui import charts
    from ui.i18n import catalog

    rendered = []
    monkeypatch.setattr(charts, "chart_png", lambda *a: rendered.append(a))
    at = open_page("pages/3_rnn.py", lang=lang)
    texts = catalog(lang)
    assert not at.get("download_button")  # closed, as it starts: one toggle on the page
    at.toggle(key="_rnn_save_chart_open").set_value(True).run()
    menu = at.selectbox(key="_rnn_save_chart")
    assert menu.label == texts["common.save_which"]
    assert menu.options == [texts["rnn.states_chart"], texts["rnn.gradient_title"], texts["rnn.inputs_title"]]
    assert [b.proto.label for b in at.get("download_button")] == ["PNG", "SVG", "CSV"]
    at.slider(key="rnn_radius").set_value(1.5).run()
    assert not rendered  # the images are made when a button is clicked, never on a rerun


def test_a_fixed_colour_range_is_part_of_the_template_and_the_spec_ignores_the_values():
    from ui import charts

    spec = charts.heatmap_spec("x", "y", "v", "signed", False, False, 200, domain=(-2.0, 2.0))
    (color,) = [layer["encoding"]["color"] for layer in spec["layer"] if "color" in layer.get("encoding", {})]
    assert color["scale"]["domain"] == [-2.0, 2.0] and color["scale"]["domainMid"] == 0
    assert "zero" not in charts.heatmap_spec("x", "y", "v", "sequential", False, False, 200,
                                             domain=(0.0, 5.0))["layer"][0]["encoding"]["color"]["scale"]


def test_numbered_labels_quote_a_token_without_a_letter_so_its_position_and_value_never_read_as_one_number():
    from ui import charts

    assert charts.numbered(["2", "0", "-", "Mar", "23", ",", "년"]) == ["1 ‘2’", "2 ‘0’", "3 ‘-’", "4 Mar", "5 ‘23’",
                                                                      "6 ‘,’", "7 년"]
