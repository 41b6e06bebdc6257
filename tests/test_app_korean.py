"""Every text box with Korean and code-switched input, in both languages: morphemes on the charts.

A learner writes Korean mixed with English ("RNN은 dependency를 잘 잡지만"). Each box takes it
without an exception; the pages that draw tokens show morphemes ("dependency" and "-를"), mark
random vectors with †, and say how the Korean was cut.
"""

from __future__ import annotations

import pytest
from corpus import TEXT_BOXES

from conftest import charts, open_page
from ui import layout
from ui.i18n import catalog
from ui.layout import NAV

SCRIPTS = {key: script for _, links in NAV for script, key, _ in links}
CODE_SWITCHED = "RNN은 Short-Term dependency를 잘 잡지만, Long-Term dependency는 잘 못잡는다."
KOREAN = "고양이가 피곤해서 매트 위에 앉았다"
ENGLISH = "RNN catches short-term dependency"
NOTES_BOXES = {"rv_note_rnn", "rv_retro_text"}  # the review's notes: kept as written, not tokenized
DATE_BOXES = {"s2s_date", "cmp_date"}  # the date translator's input: a Korean date, character by character


def box(at, key):
    return at.text_area(key=key) if key in {w.key for w in at.text_area} else at.text_input(key=key)


def chart_labels(at) -> set[str]:
    labels = set()
    for _, data in charts(at):
        for column in ("row", "col", "label"):
            if column in data:
                labels |= {str(v) for v in data[column].unique()}
    return labels


CASES = [(SCRIPTS[page], key) for page, keys in TEXT_BOXES for key in keys]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(("page", "key"), CASES, ids=[k for _, k in CASES])
def test_code_switched_korean_in_every_box(page, key, lang):
    at = open_page(page, lang=lang)
    # AppTest formats a radio's value with its format_func in the test's own thread, where
    # ui.layout's per-run language is unset (English): give that thread the page's language.
    layout._this_run.lang = lang
    texts = catalog(lang)
    try:
        for text in (KOREAN, CODE_SWITCHED):
            box(at, key).input(text).run()
            assert not at.exception, [e.value for e in at.exception]
            if key not in NOTES_BOXES:  # (the retrospective box empties once its entry is saved)
                assert box(at, key).value == text  # the learner's text is kept as typed
    finally:
        layout._this_run.lang = None
    if key in NOTES_BOXES:
        return
    if key in DATE_BOXES:  # a date box reads one format only: a sentence gets a reason, not a translation
        assert any(w.value.startswith(texts["s2s.cannot_" + reason].split("{")[0]) for w in at.warning
                   for reason in ("characters", "format")), [w.value for w in at.warning]
        return
    # The text boxes of the concept pages: Korean cut into morphemes, and the page says how.
    assert texts["common.korean_split"] in [c.value for c in at.caption]
    if key == "cmp_text":  # drawn as distances from the first word, not as token labels
        return
    labels = chart_labels(at)
    if key in ("s2s_target", "cmp_target"):  # the translation side: Korean there too
        assert any(label.endswith(" dependency") for label in labels), sorted(labels)[:20]
        return
    assert any(label.endswith(" dependency") for label in labels), sorted(labels)[:20]
    assert any(label.endswith(" -를") for label in labels), sorted(labels)[:20]
    assert any(label.endswith(" RNN†") for label in labels), "RNN has no GloVe vector: marked †"


SENTENCE_BOXES = [c for c in CASES if c[1] in ("sa_text", "rnn_text", "lstm_text", "gru_text")]


@pytest.mark.parametrize(("page", "key"), SENTENCE_BOXES, ids=[k for _, k in SENTENCE_BOXES])
def test_english_text_says_nothing_about_korean_and_keeps_its_words(page, key):
    at = open_page(page)
    box(at, key).input(ENGLISH).run()
    assert not at.exception
    assert catalog("en")["common.korean_split"] not in [c.value for c in at.caption]
    assert {"1 RNN†", "2 catches", "4 ‘-’", "6 dependency"} <= chart_labels(at)  # a letterless token quoted


@pytest.mark.parametrize("page", ["dashboard.py", "pages/3_rnn.py", "pages/7_review.py"])
def test_korean_pages_break_lines_between_words_with_the_apps_own_style_sheet_only(page):
    korean, english = open_page(page, lang="ko"), open_page(page, lang="en")
    assert [el.proto.body for el in korean.get("html")] == [layout.KOREAN_LINE_BREAKS]  # a constant: no learner text
    assert not english.get("html")
    assert "keep-all" in layout.KOREAN_LINE_BREAKS and "<script" not in layout.KOREAN_LINE_BREAKS
