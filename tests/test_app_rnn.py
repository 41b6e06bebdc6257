"""The RNN page as a learner drives it: type a sentence, move the spectral radius, read the gradients."""


import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import charts, diagrams, mermaid_diagrams, metric, open_page, plain, type_text
from core.embeddings import embed, tokenize
from core.memory import with_spectral_radius
from core.recurrent import gradient_norms, init_weights, input_jacobians, rnn_forward
from ui.charts import token_labels
from ui.i18n import MINUS, catalog, number
from ui.widgets import examples

PAGE = "pages/3_rnn.py"
EN, KO = catalog("en"), catalog("ko")
TEXT = "the cat sat on the mat because it was tired"
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg):
    """Every text the diagram draws."""
    return [el.text for el in ET.fromstring(svg).iter(f"{SVG}text")]


def strip_fills(svg, value_count):
    """The fills of the diagram's unit strips: the cells of `value_count` units, in drawing order."""
    return [el.get("fill") for el in ET.fromstring(svg).iter(f"{SVG}rect") if el.get("height") == str(value_count)]


def test_the_diagram_follows_the_chosen_word_with_its_state_and_memory_path():
    from ui.diagrams import signed_color

    at = sentence(open_page(PAGE), TEXT)
    trace, norms, _ = expected(TEXT)
    step = at.select_slider(key="rnn_step")
    step.set_value(step.options[4]).run()  # "the"
    texts = svg_texts(diagrams(at)[0])
    assert "x_5: the" in texts and "x_4: on" in texts and "x_6: mat" in texts  # the word and its neighbours
    assert "h_4" in texts and "h_5" in texts  # numbered as the inputs: h_5 is the state after x_5
    assert EN["rnn.diagram_memory"].format(value=number(norms["hidden"][5])) in texts  # ‖∂h_T/∂h_5‖, live
    assert f'{EN["common.diagram_mean"]} {trace["H"][4].mean():.2f}'.replace("-", MINUS) in texts
    limit = max(1.0, float(np.abs(trace["H"][4]).max()))
    assert [signed_color(v, limit) for v in trace["H"][4]] == strip_fills(diagrams(at)[0], 13)[:32]
    at.slider(key="rnn_radius").set_value(0.5).run()
    carried = number(expected(TEXT, 0.5)[1]["hidden"][5])
    assert EN["rnn.diagram_memory"].format(value=carried) in svg_texts(diagrams(at)[0])


def heatmap(at, title):
    for spec, data in charts(at):
        if spec.get("title") == title:
            M = np.full((data["r"].max() + 1, data["c"].max() + 1), np.nan)
            M[data["r"], data["c"]] = data["value"]
            return M, list(data.drop_duplicates("r").sort_values("r")["row"])
    raise AssertionError(f"no heatmap titled {title!r}")


def gradient_curve(at, name):
    """The gradient chart's curve `name`, ordered from distance 1 to distance T."""
    for _, data in charts(at):
        if "distance" in data and name in set(data["series"]):
            return data[data["series"] == name].sort_values("distance")["norm"].to_numpy()
    raise AssertionError(f"no curve {name!r}")


def input_bars(at):
    for _, data in charts(at):
        if "label" in data:
            return list(data["label"]), data["value"].to_numpy()
    raise AssertionError("no bar chart")



def sentence(at, text):
    return type_text(at, "rnn_text", text)


def expected(text, radius=1.0, hidden=32, seed=0):
    """The page's computation redone with core: (trace, gradient norms, weights)."""
    X = embed(tokenize(text)).X
    w = init_weights("rnn", 50, hidden, seed)
    w["W_hh"] = with_spectral_radius(w["W_hh"], radius)
    return rnn_forward(X, None, **w), gradient_norms("rnn", X, None, w), w


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_opens_on_the_long_example_with_the_hidden_states_of_the_recurrence(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    assert at.title[0].value == texts["rnn.title"]
    text = examples()["long"][lang]
    assert at.text_area(key="rnn_text").value == text
    trace, _, _ = expected(text)
    H, rows = heatmap(at, texts["rnn.states_chart"])
    np.testing.assert_allclose(H, trace["H"], atol=1e-12)
    assert rows == token_labels(tokenize(text))
    assert not mermaid_diagrams(at)
    (svg,) = diagrams(at)
    assert ET.fromstring(svg).find(f"{SVG}title").text == texts["rnn.diagram_title"]


def test_larger_spectral_radius_gives_larger_gradient_norms_far_back():
    at = sentence(open_page(PAGE), TEXT)
    curve = {}
    for radius in (0.5, 1.0, 1.5):
        at.slider(key="rnn_radius").set_value(radius).run()
        curve[radius] = gradient_curve(at, EN["rnn.series_rnn"])
        np.testing.assert_allclose(curve[radius][::-1], expected(TEXT, radius)[1]["hidden"], rtol=1e-10)
    assert curve[0.5][-1] < curve[1.0][-1] < curve[1.5][-1]  # distance T: the far end
    assert curve[0.5][-1] < 1e-3 * curve[0.5][0]  # ρ < 1: vanishes with distance
    shapes = next(plain(c.value) for c in at.main.caption if plain(c.value).startswith("T = 10 steps"))
    assert "rescaled to ρ = 1.50" in shapes


def test_trend_line_is_rho_to_the_distance():
    at = sentence(open_page(PAGE), TEXT)
    at.slider(key="rnn_radius").set_value(0.8).run()
    trend = gradient_curve(at, EN["rnn.series_trend"].format(radius=0.8))
    np.testing.assert_allclose(trend, 0.8 ** np.arange(1, 11), rtol=1e-12)


def test_the_caption_names_the_spectral_norm_that_lets_the_curve_start_above_the_trend():
    """At ρ = 1 the sentence's curve starts above ρ^(T−t) (1.0): one step back it is ‖D W_hh‖, which
    the non-symmetric W_hh lets exceed ρ. The caption gives ‖W_hh‖, which bounds that first point."""
    at = sentence(open_page(PAGE), TEXT)
    at.slider(key="rnn_radius").set_value(1.0).run()
    norm = np.linalg.norm(expected(TEXT, 1.0)[2]["W_hh"], 2)
    first = gradient_curve(at, EN["rnn.series_rnn"])[0]
    assert 1.0 < first <= norm  # what the caption explains holds here
    caption = EN["rnn.gradient_caption"].format(norm=norm)
    assert caption in [c.value for c in at.main.caption]


def test_metrics_read_the_ends_of_the_gradient_curve():
    at = sentence(open_page(PAGE), TEXT)
    norms = expected(TEXT)[1]["hidden"]
    assert metric(at, EN["rnn.norm_near"]).value == number(norms[-1])
    assert metric(at, EN["rnn.norm_far"].format(n=10)).value == number(norms[0])
    per_step = metric(at, EN["rnn.per_step"].format(n=10))  # from 1 to 10 steps back: 9 factors between
    assert per_step.value == f"×{(norms[0] / norms[-1]) ** (1 / 9):.3f}"
    assert per_step.help == EN["rnn.per_step_help"].format(steps=9)


def test_input_bars_are_norms_of_exact_input_jacobians_and_the_last_words_dominate():
    at = sentence(open_page(PAGE), TEXT)
    at.slider(key="rnn_radius").set_value(0.5).run()
    labels, values = input_bars(at)
    assert labels == token_labels(tokenize(TEXT))
    trace, _, w = expected(TEXT, radius=0.5)
    G = input_jacobians("rnn", trace, w)  # (T, hidden, 50): ∂h_T/∂x_t
    np.testing.assert_allclose(values, np.linalg.norm(G, ord=2, axis=(1, 2)), rtol=1e-10)
    assert values[-1] > 1000 * values[0]
    assert metric(at, EN["rnn.input_first"]).value == number(values[0])


@pytest.mark.parametrize("radius", [0.5, 2.0])
def test_the_sentence_under_the_input_bars_says_which_end_moves_the_last_state_more_at_this_radius(radius):
    """The first word fades at ρ = 0.5; at ρ = 2 the way back stretches the gradient and the first word's bar is
    the taller: the caption follows the bars, not what the notes expect."""
    at = sentence(open_page(PAGE), TEXT)
    at.slider(key="rnn_radius").set_value(radius).run()
    _, values = input_bars(at)
    ratio = values[0] / values[-1]
    key = "rnn.inputs_fade" if ratio < 1 else "rnn.inputs_grow"
    assert (key == "rnn.inputs_fade") == (radius == 0.5)  # this sentence and seed show both cases
    assert f'{EN[key].format(ratio=number(ratio))} {EN["rnn.inputs_caption"]}' in [c.value for c in at.main.caption]


def test_one_word_has_no_step_to_average_and_no_first_and_last_to_compare():
    at = sentence(open_page(PAGE), "cat")
    assert metric(at, EN["rnn.per_step"].format(n=1)).value == "–"
    captions = [c.value for c in at.main.caption]
    assert EN["rnn.inputs_caption"] in captions
    assert not any(EN["rnn.inputs_fade"].split("{")[0] in c for c in captions)


def test_every_input_bar_keeps_its_label_for_the_longest_sentence():
    """48 tokens, the page's limit: the full-width bar chart names each bar (Vega drops none)."""
    at = sentence(open_page(PAGE), " ".join(f"w{i}" for i in range(48)))
    spec = next(spec for spec, data in charts(at) if "label" in data)
    overlap = {m.group(1) for m in re.finditer(r'"labelOverlap": ("?\w+"?)', json.dumps(spec))}
    assert overlap == {"false"}, overlap


def test_hidden_size_and_seed_redraw_the_weights():
    at = sentence(open_page(PAGE), TEXT)
    at.select_slider(key="rnn_hidden").set_value(8).run()
    H, _ = heatmap(at, EN["rnn.states_chart"])
    assert H.shape == (10, 8)
    at.number_input(key="rnn_seed").set_value(3).run()
    H3, _ = heatmap(at, EN["rnn.states_chart"])
    np.testing.assert_allclose(H3, expected(TEXT, hidden=8, seed=3)[0]["H"], atol=1e-12)
    assert not np.allclose(H, H3)


def test_long_text_is_cut_to_48_tokens_with_a_notice():
    at = sentence(open_page(PAGE), " ".join(["word"] * 50))
    assert EN["sa.cut"].format(n=50, limit=48) in [i.value for i in at.info]
    H, _ = heatmap(at, EN["rnn.states_chart"])
    assert H.shape[0] == 48
    assert len(gradient_curve(at, EN["rnn.series_rnn"])) == 48


@pytest.mark.parametrize(("text", "markup"), [
    ("<script>alert(1)</script>", ["<script>", "alert(1)"]),
    ("**bold** and $x$ :red[red]", ["**bold**", "$x$", ":red["]),
])
def test_user_text_is_shown_literally_never_as_markup(text, markup):
    at = sentence(open_page(PAGE), text)
    rendered = "\n".join(el.value for kind in ("markdown", "caption", "info", "warning", "title", "subheader")
                         for el in at.get(kind))
    assert not [piece for piece in markup if piece in rendered]
    _, rows = heatmap(at, EN["rnn.states_chart"])
    assert rows == token_labels(tokenize(text))
