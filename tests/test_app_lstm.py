"""The LSTM page as a learner drives it: gates at a chosen step, the forget-gate bias, the parameter calculator."""


import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import charts, diagrams, heatmap, mermaid_diagrams, metric, open_page, type_text
from core.embeddings import embed, tokenize
from core.recurrent import (
    count_parameters,
    count_parameters_textbook,
    gradient_norms,
    init_weights,
    lstm_forward,
    with_gate_bias,
)
from ui.charts import token_labels
from ui.i18n import catalog, fixed, number

PAGE = "pages/4_lstm.py"
EN, KO = catalog("en"), catalog("ko")
TEXT = "the cat sat on the mat because it was tired"
SVG = "{http://www.w3.org/2000/svg}"
GATE_ROWS, SIGNED_ROWS = ("f", "i", "o"), ("g", "C", "H")  # gates in [0, 1]; signed values


def curves(at):
    """The gradient chart: {series: values from distance 1 to T}, and its y scale."""
    for spec, data in charts(at):
        if "distance" in data:
            scale = spec["layer"][0]["encoding"]["y"].get("scale")
            return {name: group.sort_values("distance")["norm"].to_numpy()
                    for name, group in data.groupby("series")}, scale
    raise AssertionError("no gradient chart")



def sentence(at, text):
    return type_text(at, "lstm_text", text)


def expected(text, forget_bias=1.0, hidden=32, seed=0):
    """The page's LSTM redone with core: (trace, gradient norms)."""
    X = embed(tokenize(text)).X
    w = with_gate_bias("lstm", init_weights("lstm", 50, hidden, seed), "f", forget_bias)
    return lstm_forward(X, None, None, **w), gradient_norms("lstm", X, None, w)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_opens_with_the_translated_cell_diagram_and_the_gates_at_step_one(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    assert at.title[0].value == texts["lstm.title"]
    assert not mermaid_diagrams(at)
    (svg,) = diagrams(at)
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == texts["lstm.diagram_title"]
    assert root.find(f"{SVG}desc").text == texts["lstm.diagram_alt"]
    trace, _ = expected(at.text_area(key="lstm_text").value)
    gates, _ = heatmap(at, texts["rnn.gate_value"])
    signed, _ = heatmap(at, texts["rnn.value"])
    np.testing.assert_allclose(gates, np.stack([trace[k][0] for k in GATE_ROWS]), atol=1e-12)
    np.testing.assert_allclose(signed, np.stack([trace[k][0] for k in SIGNED_ROWS]), atol=1e-12)


def test_moving_the_step_shows_that_words_gates_and_outlines_its_row():
    at = sentence(open_page(PAGE), TEXT)
    step = at.select_slider(key="lstm_step")
    step.set_value(step.options[5]).run()
    trace, _ = expected(TEXT)
    gates, _ = heatmap(at, EN["rnn.gate_value"])
    signed, _ = heatmap(at, EN["rnn.value"])
    np.testing.assert_allclose(gates, np.stack([trace[k][5] for k in GATE_ROWS]), atol=1e-12)
    np.testing.assert_allclose(signed, np.stack([trace[k][5] for k in SIGNED_ROWS]), atol=1e-12)
    assert EN["rnn.at_step"].format(token="6 mat") in [spec.get("title") for spec, _ in charts(at)]
    f, outline = heatmap(at, "f")
    np.testing.assert_allclose(f, trace["f"], atol=1e-12)
    assert outline == [5]
    drawn = [el.text for el in ET.fromstring(diagrams(at)[0]).iter(f"{SVG}text")]
    assert "x_6: mat" in drawn  # numbered as the RNN's chain: the 6th word, the states before and after it
    assert {"c_5", "c_6", "h_5", "h_6"} <= set(drawn)
    for gate in ("f", "i", "o"):  # each gate box: its mean at this word
        assert f'{EN["common.diagram_mean"]} {fixed(trace[gate][5].mean())}' in drawn
    assert EN["lstm.gate_means"].format(f=trace["f"][5].mean(), i=trace["i"][5].mean(),
                                        o=trace["o"][5].mean()) in [c.value for c in at.caption]


def test_step_beyond_a_shorter_sentence_falls_back_to_the_first_word():
    at = sentence(open_page(PAGE), TEXT)
    step = at.select_slider(key="lstm_step")
    step.set_value(step.options[8]).run()
    sentence(at, "two words")
    assert at.select_slider(key="lstm_step").value == "1 two"


def test_choosing_another_gate_draws_it_over_time():
    at = sentence(open_page(PAGE), TEXT)
    at.radio(key="lstm_gate").set_value("o").run()
    o, _ = heatmap(at, "o")
    np.testing.assert_allclose(o, expected(TEXT)[0]["o"], atol=1e-12)


def test_forget_bias_plus_3_keeps_the_cell_gradient_over_the_sentence_far_larger_than_minus_3():
    at = sentence(open_page(PAGE), TEXT)
    whole = {}
    for bias in (-3.0, 3.0):
        at.slider(key="lstm_forget_bias").set_value(bias).run()
        lines, _ = curves(at)
        whole[bias] = lines[EN["lstm.series_cell"]][-1]  # distance T: ∂c_T/∂c_0
        assert metric(at, EN["lstm.cell_whole"]).value == number(whole[bias])
        np.testing.assert_allclose(lines[EN["lstm.series_cell"]][::-1], expected(TEXT, bias)[1]["cell_full"],
                                   rtol=1e-10)
    assert whole[3.0] > 1e6 * whole[-3.0]
    assert float(metric(at, EN["lstm.mean_forget"]).value) > 0.9  # σ(3) ≈ 0.95, moved a little by the input


def test_cell_path_and_rnn_path_share_one_log_scale_chart():
    at = sentence(open_page(PAGE), TEXT)
    lines, scale = curves(at)
    assert scale == {"type": "log"}
    assert set(lines) == {EN["lstm.series_rnn"], EN["lstm.series_cell"], EN["lstm.series_forget"]}
    X = embed(tokenize(TEXT)).X
    rnn = gradient_norms("rnn", X, None, init_weights("rnn", 50, 32, 0))["hidden"]
    np.testing.assert_allclose(lines[EN["lstm.series_rnn"]][::-1], rnn, rtol=1e-10)
    np.testing.assert_allclose(lines[EN["lstm.series_forget"]][::-1], expected(TEXT)[1]["cell"], rtol=1e-10)
    # the LSTM's cell keeps more of the gradient over the whole sentence than the RNN's hidden state
    assert lines[EN["lstm.series_cell"]][-1] > 100 * lines[EN["lstm.series_rnn"]][-1]


def test_the_rnn_compared_against_says_its_spectral_radius_which_the_rnn_page_would_rescale():
    """The RNN page, at radius 1, gave ‖∂h_T/∂h_0‖ five orders of magnitude above this page's RNN for
    the same sentence: the card names the initialisation, and its help the radius this W_hh has."""
    at = sentence(open_page(PAGE), TEXT)
    W_hh = init_weights("rnn", 50, 32, 0)["W_hh"]
    card = metric(at, EN["lstm.rnn_whole"])
    assert card.help == EN["lstm.rnn_whole_help"].format(radius=np.abs(np.linalg.eigvals(W_hh)).max())
    assert "PyTorch" in EN["lstm.rnn_whole"] and "PyTorch" in KO["lstm.rnn_whole"]


def test_the_signed_values_at_the_step_span_at_least_the_diagrams_1_and_the_cell_state_beyond_it():
    """c̃, c_t and h_t at the step were coloured over their own ±max (±0.885 beside the diagram's ±1); the scale
    now spans at least ±1 (c̃ and h_t lie within it; the cell state may exceed it, and then the scale grows)."""
    at = open_page(PAGE)
    (spec, data), = [(s, d) for s, d in charts(at)
                     if s.get("layer", [{}])[0].get("encoding", {}).get("color", {}).get("title") == EN["rnn.value"]]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == {"unionWith": [-1.0, 1.0]}
    assert data["value"].abs().max() < 1.0  # at the first word: within ±1, so drawn as on the diagram


def test_calculator_counts_equal_count_parameters_and_explain_the_difference():
    at = open_page(PAGE)
    at.number_input(key="lstm_calc_input").set_value(10)
    at.number_input(key="lstm_calc_hidden").set_value(20)
    at.number_input(key="lstm_calc_layers").set_value(2).run()
    assert metric(at, EN["lstm.count_pytorch"]).value == f"{count_parameters('lstm', 10, 20, 2):,}" == "5,920"
    textbook = metric(at, EN["lstm.count_textbook"])
    assert textbook.value == f"{count_parameters_textbook('lstm', 10, 20, 2):,}"
    assert textbook.delta == "−160"  # one bias vector of 4 × 20 per layer, 2 layers, with a minus sign
    rnn = metric(at, EN["lstm.count_rnn"])
    assert (rnn.value, rnn.delta) == (f"{count_parameters('rnn', 10, 20, 2):,}", EN["lstm.times_rnn"].format(ratio=4))
    table = at.table[0].value
    assert list(table["W_ih"]) == ["80 × 10 = 800", "80 × 20 = 1,600"]  # layer 2 reads layer 1's h
    assert list(table[EN["lstm.col_total"]]) == ["2,560", "3,360"]
    assert EN["lstm.params_why"].format(extra=160, hidden=20, layers=2) in [m.value for m in at.markdown]


def test_long_text_is_cut_to_48_tokens_with_a_notice():
    at = sentence(open_page(PAGE), " ".join(["cat"] * 50))
    assert EN["sa.cut"].format(n=50, limit=48) in [i.value for i in at.info]
    assert len(at.select_slider(key="lstm_step").options) == 48


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "**bold** :red[x] $y$"])
def test_user_text_is_shown_literally_never_as_markup(text):
    at = sentence(open_page(PAGE), text)
    rendered = "\n".join(el.value for kind in ("markdown", "caption", "info", "warning", "title", "subheader")
                         for el in at.get(kind))
    assert "<script>" not in rendered and "**bold**" not in rendered and ":red[" not in rendered
    assert at.select_slider(key="lstm_step").options == token_labels(tokenize(text))
