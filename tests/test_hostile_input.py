"""Odd and hostile input through every text box and every slider at both ends, on every page.

For each: no exception, no NaN or inf shown, every number a chart draws finite (masked cells are
missing, never NaN), and the learner's text never rendered as Markdown or HTML.
"""

import math
import xml.etree.ElementTree as ET

import pytest
from corpus import CORPUS, MARKUP, NOT_A_NUMBER
from corpus import TEXT_BOXES as SHARED_TEXT_BOXES

from conftest import charts, diagrams, open_page, open_tab
from ui.i18n import catalog
from ui.layout import NAV

SCRIPTS = {key: script for _, links in NAV for script, key, _ in links}
# (page script, its text boxes)
TEXT_BOXES = [(SCRIPTS[key], boxes) for key, boxes in SHARED_TEXT_BOXES]
SHOWN_AS_MARKDOWN = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader", "header")


def assert_sane(at, where):
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    shown = [el.value for kind in SHOWN_AS_MARKDOWN for el in at.get(kind)]
    shown += [f"{m.value} {m.delta or ''}" for m in at.metric]
    assert not [s for s in shown if NOT_A_NUMBER.search(str(s))], f"{where}: NaN or inf on screen"
    rendered = "\n".join(str(s) for s in shown)
    assert not [piece for piece in MARKUP if piece in rendered], f"{where}: learner text rendered as markup"
    for svg in diagrams(at):  # well-formed XML (the words escaped), nothing that could run or link
        elements = list(ET.fromstring(svg).iter())
        assert not [el for el in elements if el.tag.split("}")[-1] in ("script", "foreignObject", "a", "image")]
        assert not [name for el in elements for name in el.attrib if name.lower().startswith("on")], where
    for _, data in charts(at):
        for column in data.select_dtypes("number").columns:
            values = data[column].dropna()
            assert all(math.isfinite(v) for v in values), f"{where}: non-finite value in chart column {column}"


# Pages that need a sentence: (page, its text box, the warning for nothing to work on)
SENTENCE_PAGES = [
    ("pages/1_self_attention.py", "sa_text", "sa.empty"),
    ("pages/3_rnn.py", "rnn_text", "rnn.empty"),
    ("pages/4_lstm.py", "lstm_text", "rnn.empty"),
    ("pages/5_gru.py", "gru_text", "rnn.empty"),
]


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u3000 \n"], ids=["empty", "blank", "ideographic space"])
@pytest.mark.parametrize(("page", "key", "warning"), SENTENCE_PAGES,
                         ids=[p.split("/")[1] for p, _, _ in SENTENCE_PAGES])
def test_nothing_to_work_on_gets_a_clear_warning_and_nothing_else(page, key, warning, text):
    at = open_page(page)
    set_text(at, key, text)
    assert [w.value for w in at.warning] == [catalog("en")[warning]]
    assert not at.get("vega_lite_chart") and not at.dataframe


def set_text(at, key, text):
    box = at.text_area(key=key) if key in {w.key for w in at.text_area} else at.text_input(key=key)
    box.input(text).run()


@pytest.mark.parametrize(("page", "boxes"), TEXT_BOXES, ids=[p.split("/")[1] for p, _ in TEXT_BOXES])
def test_every_text_box_takes_the_hostile_corpus(page, boxes):
    at = open_page(page)
    for key in boxes:
        for name, text in CORPUS.items():
            set_text(at, key, text)
            assert_sane(at, f"{page} {key} <- {name}")


# (page, [(widget kind, key[, the tab it sits in: (tabs key, section)])]) for the controls with a range
SLIDERS = [
    ("pages/1_self_attention.py", [("slider", "sa_temperature"), ("select_slider", "sa_heads", ("sa_more", "heads")),
                                   ("number_input", "sa_shuffle", ("sa_more", "order"))]),
    ("pages/2_seq2seq_attention.py", [("select_slider", "s2s_step"), ("select_slider", "s2s_train_hidden"),
                                      ("select_slider", "s2s_train_steps"), ("number_input", "s2s_train_seed"),
                                      ("select_slider", "s2s_exp_steps"), ("slider", "s2s_exp_runs")]),
    ("pages/3_rnn.py", [("slider", "rnn_radius"), ("select_slider", "rnn_hidden"), ("number_input", "rnn_seed")]),
    ("pages/4_lstm.py", [("slider", "lstm_forget_bias"), ("select_slider", "lstm_hidden"),
                         ("number_input", "lstm_calc_input"), ("number_input", "lstm_calc_hidden"),
                         ("number_input", "lstm_calc_layers")]),
    ("pages/5_gru.py", [("slider", "gru_update_bias"), ("select_slider", "gru_hidden")]),
    ("pages/6_attention_vs_self_attention.py", [("slider", "cmp_radius"), ("number_input", "cmp_seed"),
                                                ("select_slider", "cmp_time_n")]),
]


def ends(widget):
    if hasattr(widget, "options") and widget.options:
        return widget.options[0], widget.options[-1]
    return widget.min, widget.max


@pytest.mark.parametrize(("page", "controls"), SLIDERS, ids=[p.split("/")[1] for p, _ in SLIDERS])
def test_every_slider_works_at_both_ends(page, controls):
    at = open_page(page)
    for kind, key, *tab in controls:
        if tab:
            open_tab(at, *tab[0])
        for end in ends(getattr(at, kind)(key=key)):
            getattr(at, kind)(key=key).set_value(end).run()
            assert_sane(at, f"{page} {key} = {end}")


def test_self_attention_with_random_projections_at_the_extremes():
    at = open_page("pages/1_self_attention.py")
    at.radio(key="sa_projection").set_value("random").run()
    at.toggle(key="sa_causal").set_value(True).run()
    for d_k in (2, 50):
        for tau in (0.1, 5.0):
            at.slider(key="sa_dk").set_value(d_k)
            at.slider(key="sa_temperature").set_value(tau).run()
            assert_sane(at, f"d_k = {d_k}, τ = {tau}")
    at.number_input(key="sa_seed").set_value(9999).run()
    assert_sane(at, "seed 9999")


def test_the_trained_head_takes_the_hostile_corpus():
    # Trained projections read the sentence differently (the pattern, "it", the model's answer).
    at = open_page("pages/1_self_attention.py")
    at.radio(key="sa_projection").set_value("trained").run()
    for name, text in CORPUS.items():
        set_text(at, "sa_text", text)
        assert_sane(at, f"trained <- {name}")
    for text in ("it", "it it it", "The animal didn't cross the street because it was too <script>"):
        set_text(at, "sa_text", text)
        assert_sane(at, f"trained <- {text}")
