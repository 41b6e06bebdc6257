"""Shareable views: every page's main controls live in the URL, and opening the link reproduces the view."""

import pytest

from conftest import charts, open_page, open_tab

# page -> how a learner changes its main controls (each a widget found by key, and its new value)
MOVES = {
    "pages/1_self_attention.py": [("text_area", "sa_text", "dogs chase cats in the park"),
                                  ("selectbox", "sa_query", "2 chase"), ("radio", "sa_projection", "random"),
                                  ("slider", "sa_dk", 12), ("number_input", "sa_seed", 7),
                                  ("toggle", "sa_causal", True), ("slider", "sa_temperature", 2.5),
                                  ("tab", "sa_qkv", "K"), ("segmented_control", "sa_block_step", "ffn"),
                                  ("tab", "sa_more", "order"), ("number_input", "sa_shuffle", 9)],
    "pages/2_seq2seq_attention.py": [("text_input", "s2s_date", "1999년 12월 31일 금요일"),
                                     ("radio", "s2s_model", "dot"), ("select_slider", "s2s_step", "3 December")],
    # (the seq2seq page's training and experiment settings sit in forms: tests/test_app_seq2seq.py opens
    # links to them)
    "pages/3_rnn.py": [("text_area", "rnn_text", "one two three four five"), ("select_slider", "rnn_hidden", 8),
                       ("number_input", "rnn_seed", 5), ("slider", "rnn_radius", 1.5)],
    "pages/4_lstm.py": [("text_area", "lstm_text", "the cat sat on the mat"),
                        ("select_slider", "lstm_hidden", 16), ("slider", "lstm_forget_bias", -2.0),
                        ("select_slider", "lstm_step", "3 sat"), ("radio", "lstm_gate", "o")],
    "pages/5_gru.py": [("select_slider", "gru_hidden", 64), ("slider", "gru_update_bias", 3.0),
                       ("radio", "gru_gate", "r")],
    "pages/6_attention_vs_self_attention.py": [("text_input", "cmp_date", "2000년 1월 1일"),
                                               ("slider", "cmp_radius", 1.2),
                                               ("number_input", "cmp_seed", 11),
                                               ("select_slider", "cmp_time_n", 128)],
}

IN_A_CLOSED_TAB = {"sa_block_step"}  # moved, then another tab opened (tab "layer", then "order")


def move(at, widget: str, key: str, value):
    if widget == "tab":  # ui.widgets.section_tabs: AppTest cannot click a tab
        open_tab(at, key, value)
        return
    element = getattr(at, widget)(key=key)
    (element.input(value) if widget in ("text_area", "text_input") else element.set_value(value)).run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", MOVES)
def test_a_link_copied_from_the_address_bar_reproduces_the_view(page):
    # English: AppTest formats a radio's options in the test's own thread, where the page's
    # language is unknown, so it looks for English labels among Korean ones.
    sender = open_page(page, lang="en")
    for widget, key, value in MOVES[page]:
        move(sender, widget, key, value)
    link = dict(sender.query_params)
    for _, key, value in MOVES[page]:
        assert link[key] == (str(value).lower() if isinstance(value, bool) else str(value)), key

    receiver = open_page(page, params=link)
    for _, key, value in MOVES[page]:
        if key in IN_A_CLOSED_TAB:  # not drawn, so not in session state: the link keeps it for when its tab opens
            assert key not in receiver.session_state and receiver.query_params[key] == link[key], key
        else:
            assert receiver.session_state[key] == value, key
    assert receiver.query_params["lang"] == "en"
    received, sent = charts(receiver), charts(sender)
    assert len(received) == len(sent)
    assert all(a.equals(b) for (_, a), (_, b) in zip(received, sent, strict=True))  # NaN = masked, on both
    assert [m.value for m in receiver.metric] == [m.value for m in sender.metric]


def test_the_language_travels_with_the_link():
    sender = open_page("pages/3_rnn.py", lang="ko")
    move(sender, "slider", "rnn_radius", 1.5)
    receiver = open_page("pages/3_rnn.py", params=dict(sender.query_params))
    assert receiver.title[0].value == sender.title[0].value and receiver.slider(key="rnn_radius").value == 1.5


def test_defaults_stay_out_of_the_link_and_a_control_moved_back_leaves_it():
    at = open_page("pages/3_rnn.py", lang="en")
    assert set(at.query_params) == {"lang"}
    move(at, "slider", "rnn_radius", 1.5)
    assert at.query_params["rnn_radius"] == "1.5"
    move(at, "slider", "rnn_radius", 1.0)
    assert "rnn_radius" not in at.query_params


def test_a_very_long_sentence_stays_out_of_the_address_bar_but_the_other_controls_go_in():
    at = open_page("pages/3_rnn.py", lang="en")
    move(at, "text_area", "rnn_text", "word " * 1000)
    move(at, "slider", "rnn_radius", 0.5)
    assert "rnn_text" not in at.query_params and at.query_params["rnn_radius"] == "0.5"


@pytest.mark.parametrize("key, raw", [
    ("rnn_radius", "nan"), ("rnn_radius", "inf"), ("rnn_radius", "1e999"), ("rnn_radius", "-3"),
    ("rnn_radius", "abc"), ("rnn_radius", ""), ("rnn_hidden", "7"), ("rnn_hidden", "32.5"),
    ("rnn_seed", "-1"), ("rnn_seed", "99999999999999999999999"), ("rnn_seed", "<script>alert(1)</script>"),
])
def test_a_broken_link_value_is_ignored_with_a_notice_and_the_page_still_works(key, raw):
    at = open_page("pages/3_rnn.py", params={"lang": "en", key: raw})
    assert at.session_state[key] == {"rnn_radius": 1.0, "rnn_hidden": 32, "rnn_seed": 0}[key]
    assert [toast.proto.body for toast in at.toast] == [
        f"The link's value for “{key}” can't be used here, so that control starts from its default."]
    assert key not in at.query_params  # the bad value is gone from the address bar
    assert charts(at)


@pytest.mark.parametrize("params", [
    {"sa_heads": "3"}, {"sa_projection": "orthogonal"}, {"sa_causal": "yes"}, {"sa_query": "99 nowhere"},
    {"sa_dk": "1"}, {"sa_temperature": "0"}, {"sa_text": "<img src=x onerror=alert(1)>"},
    {"sa_more": "<b>nowhere</b>"}, {"sa_qkv": "W", "sa_projection": "random"}, {"sa_more_tabs": "Word order"},
])
def test_odd_values_for_the_self_attention_page_never_break_it(params):
    at = open_page("pages/1_self_attention.py", params=params)
    assert charts(at)
    assert not at.exception
