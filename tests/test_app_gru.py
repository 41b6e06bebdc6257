"""The GRU page as a learner drives it: the merged state at a chosen step, the update-gate bias, the ¾ count."""


import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import charts, diagrams, heatmap, mermaid_diagrams, metric, open_page, type_text
from core.embeddings import embed, tokenize
from core.recurrent import count_parameters, gradient_norms, gru_forward, init_weights, with_gate_bias
from ui.charts import token_labels
from ui.compute import PARAM_HIDDEN_SIZES
from ui.i18n import catalog, fixed, number

PAGE = "pages/5_gru.py"
EN, KO = catalog("en"), catalog("ko")
TEXT = "the cat sat on the mat because it was tired"
SVG = "{http://www.w3.org/2000/svg}"


def lines(at, x):
    """The line chart over `x`: ({series: y values in x order}, spec)."""
    for spec, data in charts(at):
        if x in data:
            y = next(c for c in data.columns if c not in (x, "series"))
            return {name: group.sort_values(x)[y].to_numpy() for name, group in data.groupby("series")}, spec
    raise AssertionError(f"no chart over {x!r}")



def sentence(at, text):
    return type_text(at, "gru_text", text)


def expected(text, update_bias=0.0, hidden=32, seed=0):
    """The page's GRU redone with core: (trace, gradient norms)."""
    X = embed(tokenize(text)).X
    w = with_gate_bias("gru", init_weights("gru", 50, hidden, seed), "z", update_bias)
    return gru_forward(X, None, **w), gradient_norms("gru", X, None, w)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_opens_with_the_translated_cell_diagram_and_both_gates(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    assert at.title[0].value == texts["gru.title"]
    assert not mermaid_diagrams(at)
    (svg,) = diagrams(at)
    assert ET.fromstring(svg).find(f"{SVG}title").text == texts["gru.diagram_title"]
    trace, _ = expected(at.text_area(key="gru_text").value)
    z, _ = heatmap(at, "z")
    np.testing.assert_allclose(z, trace["z"], atol=1e-12)


def test_written_and_kept_parts_add_up_to_the_new_state_with_no_cell():
    at = sentence(open_page(PAGE), TEXT)
    step = at.select_slider(key="gru_step")
    step.set_value(step.options[4]).run()
    trace, _ = expected(TEXT)
    (r, z), _ = heatmap(at, EN["rnn.gate_value"])  # r, z in [0, 1]
    (n, written, kept, h), _ = heatmap(at, EN["rnn.value"])  # n, (1 − z) ⊙ n, z ⊙ h_{t-1}, h_t
    np.testing.assert_allclose(np.stack([r, z, n, h]), np.stack([trace[k][4] for k in ("r", "z", "n", "H")]),
                               atol=1e-12)
    np.testing.assert_allclose(written, (1 - z) * n, atol=1e-12)
    np.testing.assert_allclose(kept, z * trace["H"][3], atol=1e-12)
    np.testing.assert_allclose(written + kept, h, atol=1e-12)
    _, outline = heatmap(at, "z")
    assert outline == [4]
    drawn = [el.text for el in ET.fromstring(diagrams(at)[0]).iter(f"{SVG}text")]  # the diagram at the same word
    assert "x_5: the" in drawn and {"h_4", "h_5"} <= set(drawn)  # numbered as the RNN's chain
    assert {f'{EN["common.diagram_mean"]} {fixed(v.mean())}' for v in (r, z, n)} <= set(drawn)
    assert EN["gru.diagram_memory"].format(value=number(expected(TEXT)[1]["hidden"][5])) in drawn


def test_at_the_first_step_nothing_is_kept_from_the_zero_initial_state():
    at = sentence(open_page(PAGE), TEXT)
    rows, _ = heatmap(at, EN["rnn.value"])  # n, (1 − z) ⊙ n, z ⊙ h_{t-1}, h_t
    np.testing.assert_array_equal(rows[2], 0.0)
    said = lambda: any(EN["gru.nothing_kept"] in c.value for c in at.caption)  # noqa: E731
    assert said()  # an empty row is said to be 0, not left to look like missing data
    step = at.select_slider(key="gru_step")
    step.set_value(step.options[1]).run()
    assert not said()


def test_update_bias_plus_3_keeps_the_gradient_over_the_sentence_far_larger_than_minus_3():
    at = sentence(open_page(PAGE), TEXT)
    whole = {}
    for bias in (-3.0, 3.0):
        at.slider(key="gru_update_bias").set_value(bias).run()
        curves, _ = lines(at, "distance")
        whole[bias] = curves[EN["gru.series_gru"]][-1]
        np.testing.assert_allclose(curves[EN["gru.series_gru"]][::-1], expected(TEXT, bias)[1]["hidden"], rtol=1e-10)
        assert metric(at, EN["gru.gru_whole"]).value == number(whole[bias])
    assert whole[3.0] > 1e4 * whole[-3.0]  # z ≈ σ(3) ≈ 0.95 keeps h; z ≈ σ(−3) overwrites it every step
    assert whole[3.0] > 100 * curves[EN["lstm.series_rnn"]][-1]


def test_gru_needs_three_quarters_of_the_lstm_parameters_at_every_hidden_size():
    at = open_page(PAGE)
    counts, _ = lines(at, "hidden")
    gru, lstm, rnn = (counts[EN[f"gru.kind_{k}"]] for k in ("gru", "lstm", "rnn"))
    np.testing.assert_array_equal(lstm, [count_parameters("lstm", 50, h) for h in PARAM_HIDDEN_SIZES])
    np.testing.assert_array_equal(4 * gru, 3 * lstm)
    np.testing.assert_array_equal(gru, 3 * rnn)
    data = next(data for _, data in charts(at) if "hidden" in data)
    assert set(data["rule_x"]) == {32}  # the dashed line at the chosen hidden size


def test_table_follows_the_hidden_size_and_the_recurrent_weights_are_in_ratio_3_to_4():
    at = open_page(PAGE)
    at.select_slider(key="gru_hidden").set_value(16).run()
    table = at.table[0].value
    assert list(table[EN["gru.col_blocks"]]) == ["1", "3", "4"]  # text, aligned as the other columns are
    assert list(table["W_hh"]) == ["256", "768", "1,024"]  # 1, 3 and 4 blocks of 16 × 16
    assert list(table[EN["lstm.col_total"]]) == [f"{count_parameters(k, 50, 16):,}" for k in ("rnn", "gru", "lstm")]
    assert list(table[EN["gru.col_share"]]) == ["25%", "75%", "100%"]
    assert EN["gru.params_caption"].format(d=50, hidden=16, ratio=0.75) in [c.value for c in at.caption]


def test_long_text_is_cut_to_48_tokens_with_a_notice():
    at = sentence(open_page(PAGE), " ".join(["dog"] * 49))
    assert EN["sa.cut"].format(n=49, limit=48) in [i.value for i in at.info]
    z, _ = heatmap(at, "z")
    assert z.shape[0] == 48


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "**bold** :red[x] $y$"])
def test_user_text_is_shown_literally_never_as_markup(text):
    at = sentence(open_page(PAGE), text)
    rendered = "\n".join(el.value for kind in ("markdown", "caption", "info", "warning", "title", "subheader")
                         for el in at.get(kind))
    assert "<script>" not in rendered and "**bold**" not in rendered and ":red[" not in rendered
    assert at.select_slider(key="gru_step").options == token_labels(tokenize(text))


@pytest.mark.parametrize(("page", "gate", "legends"), [("pages/5_gru.py", "n", (EN["rnn.value"], "n")),
                                                       ("pages/3_rnn.py", None, ("h_t",)),
                                                       ("pages/4_lstm.py", "g", ("g",))])
def test_values_tanh_bounds_are_coloured_over_its_range_as_on_the_diagram(page, gate, legends):
    """The diagrams colour a state over ±1; the heatmaps drew the same values over their own ±max (±0.98,
    ±0.84), so one shade meant two values. Every heatmap of tanh-bounded values now spans [−1, 1] (the
    candidate over time too; not the LSTM's cell state, which may exceed 1)."""
    at = open_page(page)
    if gate:
        at.radio(key=f"{page.split('_')[1][:-3]}_gate").set_value(gate).run()
    for legend in legends:
        (spec, data), = [(s, d) for s, d in charts(at)
                         if s.get("layer", [{}])[0].get("encoding", {}).get("color", {}).get("title") == legend]
        assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [-1.0, 1.0], legend
        assert data["value"].abs().max() < 1.0, legend  # honest: every value lies within it
