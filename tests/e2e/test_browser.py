"""The app in a real browser: every page in both languages, a slider on every live page, an answer on
the review page, and the hostile corpus typed into every text box.

One app server and one Chromium (Debian's, driven by Playwright) serve the whole module. Each page
and language leaves a full-page screenshot in artifacts/e2e/<page>-<lang>.png.
"""

from __future__ import annotations

import re
import time

import pytest
from corpus import CORPUS, NOT_A_NUMBER, TEXT_BOXES

from core.embeddings import tokenize
from core.review import NEW_PER_ROUND
from scripts.appserver import ROOT, messages_received, page_paths, screenshot_whole, wait_for_rerun
from ui.i18n import LANGS, catalog
from ui.layout import NAV
from ui.review import new_order, questions
from ui.widgets import MAX_CHARS

PAGES = page_paths()  # page key -> URL path
SCRIPTS = {key: script for _, links in NAV for script, key, _ in links}
SHOTS = ROOT / "artifacts" / "e2e"

# The slider each live page is tested with, and the key pressed on it: moving it must redraw a chart.
# A slider in a form only counts once the form is submitted: then its button is pressed too.
SLIDERS = [
    ("self_attention", "sa_temperature", "End"),
    ("self_attention", "sa_heads", "ArrowRight"),  # in a tab and a fragment, which rerun alone; 2 -> 5 heads, not 25
    ("seq2seq_attention", "s2s_step", "End"),
    ("rnn", "rnn_radius", "End"),
    ("lstm", "lstm_forget_bias", "End"),
    ("gru", "gru_update_bias", "End"),
    ("attention_vs_self_attention", "cmp_radius", "End"),
    ("memory_lab", "lab_runs", "Home"),  # in the Train form; fewer seeds of the runs already there: no training
]
SLIDERS_IN_TAB = {"sa_heads": "sa.tab_heads"}  # in a tab of which only the open one is drawn: opened first
LOADS = [(key, lang) for key in PAGES for lang in LANGS]
NO_SLIDER = {"home", "review"}  # the review is tested by answering a question instead

# Every text box of every page (tests/corpus.py). One page takes the whole corpus; every other page
# the subset in its first box, and the markup in its further boxes.
FULL_CORPUS_PAGE = "rnn"  # the quickest page to rerun
# Each ends on text with words, so the next box starts with every chart there.
SUBSET = ("empty", "a 20,000-character word", "right to left", "HTML and JavaScript")
FURTHER_BOXES = ("HTML and JavaScript",)
FORM_BOXES = {"rv_retro_text"}  # submitted with their form, which empties them
BOXES_IN_TAB = {"rv_note_rnn": "rv.tab_notes", "rv_retro_text": "rv.tab_notes"}

# What the charts and metrics on screen look like: a hash of each chart's drawing (Vega's SVG, or
# its canvas), and the text of each metric.
SNAPSHOT = """() => {
  const hash = s => { let h = 2166136261;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return (h >>> 0).toString(16); };
  return {
    charts: [...document.querySelectorAll("[data-testid='stVegaLiteChart']")].map(c => {
      const drawn = c.querySelector("svg.marks, canvas");
      return !drawn ? "not drawn" : hash(drawn.tagName === "CANVAS" ? drawn.toDataURL() : drawn.outerHTML);
    }),
    metrics: [...document.querySelectorAll("[data-testid='stMetric']")].map(m => m.innerText.replace(/\\s+/g, " ")),
  };
}"""
# What the screen shows after a text was submitted, and what the hostile corpus would leave behind if
# the page had run it as HTML or JavaScript.
# Texts on a Korean page whose lines may break inside a word: every paragraph, list item, heading and
# table cell the app draws (a cell's paragraph is styled apart, more specifically than a page's).
BREAKS_INSIDE_WORDS = """() => [...document.querySelectorAll(
    "[data-testid='stMain'] :is(p, li, h1, h2, h3, td, th)")]
  .filter(el => getComputedStyle(el).wordBreak !== "keep-all").map(el => el.tagName + ": " + el.innerText.slice(0, 40))
  .slice(0, 5)"""

SCREEN = """() => ({
  charts: document.querySelectorAll("[data-testid='stVegaLiteChart']").length,
  warnings: document.querySelectorAll("[data-testid='stAlertContentWarning']").length,
  alerts: [...document.querySelectorAll("[data-testid^='stAlertContent']")].map(a => a.innerText.slice(0, 200)),
  metrics: [...document.querySelectorAll("[data-testid='stMetric']")].map(m => m.innerText.replace(/\\s+/g, " ")),
  boxes: [...document.querySelectorAll("[data-testid='stTextArea'] textarea, [data-testid='stTextInput'] input")]
    .map(box => (box.closest("[class*='st-key-']")?.className.match(/st-key-(\\S+)/) ?? [, "(no key)"])[1]),
  injected: {
    "window.__pwned was set": typeof window.__pwned !== "undefined",
    "<img src=x>": [...document.querySelectorAll("img")].filter(i => i.getAttribute("src") === "x").length,
    "an onerror/onload attribute": document.querySelectorAll("[onerror], [onload]").length,
    "a <script> from the text": [...document.scripts].filter(s => /__pwned|alert\\(/.test(s.textContent)).length,
    "a javascript: link": document.querySelectorAll("a[href^='javascript:']").length,
  },
})"""


def title_key(page_key: str) -> str:
    """The catalog key of a page's title: the page calls `page("<key>", icon)` first thing."""
    source = (ROOT / SCRIPTS[page_key]).read_text(encoding="utf-8")
    return re.search(r"""\bpage\(\s*["']([\w.]+)["']""", source).group(1)


def snapshot(page) -> dict:
    return page.evaluate(SNAPSHOT)


def settled_snapshot(page, timeout_s: float = 5) -> dict:
    """The snapshot once two in a row, 150 ms apart, agree (a chart still drawing would fake a change)."""
    deadline, last = time.monotonic() + timeout_s, snapshot(page)
    while True:
        page.wait_for_timeout(150)
        if (now := snapshot(page)) == last or time.monotonic() > deadline:
            return now
        last = now


def wait_for_new_charts(page, before: dict, timeout_s: float = 5) -> dict:
    """The snapshot once any chart differs from `before`, or when `timeout_s` is up (Vega may
    finish drawing a moment after the run)."""
    deadline = time.monotonic() + timeout_s
    while (now := snapshot(page))["charts"] == before["charts"] and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return now


def metric_problems(page) -> list[str]:
    return [m for m in page.evaluate(SCREEN)["metrics"] if NOT_A_NUMBER.search(m)]


def test_every_page_and_slider_is_covered():
    assert set(PAGES) - NO_SLIDER == {key for key, _, _ in SLIDERS}, "a live page without a slider test (or gone)"
    assert {key for key, _ in TEXT_BOXES} <= set(PAGES)


@pytest.mark.parametrize(("key", "lang"), LOADS, ids=[f"{key}-{lang}" for key, lang in LOADS])
def test_page_draws_in_its_language_without_errors(tabs, key, lang):
    tab = tabs.get(key, lang)
    tab.assert_healthy("loading")
    page, texts = tab.page, catalog(lang)
    other = catalog(next(other for other in LANGS if other != lang))

    heading = page.locator("[data-testid='stMain'] h1").first.inner_text().strip()
    assert heading == texts[title_key(key)], f"{tab.where}: title {heading!r}, expected {texts[title_key(key)]!r}"
    assert page.title() == texts[title_key(key)], f"{tab.where}: browser tab title {page.title()!r}"
    menu = page.locator("[data-testid='stSidebar']").inner_text()
    missing = [texts[f"nav.{k}"] for k in PAGES if texts[f"nav.{k}"] not in menu]
    assert not missing, f"{tab.where}: the menu lacks {missing}; it reads {menu!r}"
    foreign = [other[f"nav.{k}"] for k in PAGES if other[f"nav.{k}"] != texts[f"nav.{k}"] and other[f"nav.{k}"] in menu]
    assert not foreign, f"{tab.where}: the menu shows the other language's {foreign}"
    boxes, tested = page.evaluate(SCREEN)["boxes"], dict(TEXT_BOXES).get(key, [])
    assert bool(boxes) == bool(tested) and set(tested) <= set(boxes), (
        f"{tab.where}: text boxes on the page {boxes}, in the hostile-input test {tested}")

    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    screenshot_whole(page, SHOTS / f"{key}-{lang}.png")
    page.set_viewport_size(size)  # the tests below need no 10,000-pixel window to draw in
    tab.assert_healthy("the screenshot")
    assert not (bad := metric_problems(page)), f"{tab.where}: NaN or inf in metrics {bad}"
    if lang == "ko":  # Korean breaks between words, as it is set ("나옵|니다" inside a word reads badly)
        loose = page.evaluate(BREAKS_INSIDE_WORDS)
        assert not loose, f"{tab.where}: texts that may break inside words {loose}"


@pytest.mark.parametrize(("key", "slider_key", "press"), SLIDERS, ids=[f"{k}-{s}" for k, s, _ in SLIDERS])
def test_moving_a_slider_redraws_a_chart(tabs, key, slider_key, press):
    tab = tabs.get(key, "en")
    page = tab.page
    if slider_key in SLIDERS_IN_TAB:  # a click on the tab reruns its section, which draws the slider
        runs = messages_received(page)
        page.get_by_role("tab", name=catalog("en")[SLIDERS_IN_TAB[slider_key]]).click()
        wait_for_rerun(page, runs)
    slider = page.locator(f".st-key-{slider_key}").get_by_role("slider")
    assert slider.count() == 1, f"{tab.where}: {slider.count()} sliders under key {slider_key}"
    value_before, before = slider.input_value(), settled_snapshot(page)
    assert before["charts"], f"{tab.where}: no chart to watch"

    form = page.locator("[data-testid='stForm']").filter(has=slider)
    runs = messages_received(page)
    slider.focus()
    slider.press(press)
    if form.count():
        form.locator("[data-testid='stFormSubmitButton'] button").click()
    wait_for_rerun(page, runs)
    value_after = slider.input_value()
    assert value_after != value_before, f"{tab.where}: {slider_key} stayed at {value_before} after {press}"
    after = wait_for_new_charts(page, before)
    tab.assert_healthy(f"moving {slider_key} to {value_after}")
    changed = [i for i, (a, b) in enumerate(zip(before["charts"], after["charts"], strict=False)) if a != b]
    assert changed or len(after["charts"]) != len(before["charts"]), (
        f"{tab.where}: moving {slider_key} from {value_before} to {value_after} redrew no chart "
        f"({len(after['charts'])} charts; metrics before {before['metrics']}, after {after['metrics']})")
    assert "not drawn" not in after["charts"], f"{tab.where}: a chart left undrawn after moving {slider_key}"
    assert not (bad := metric_problems(page)), f"{tab.where}: NaN or inf in metrics {bad}"


@pytest.mark.parametrize(("key", "lang"), [("review", "ko")])  # the last page the tests visit: the tab may leave it
def test_the_menu_opens_a_page_in_the_same_tab_and_language(tabs, key, lang):
    tab = tabs.get(key, lang)
    page, texts = tab.page, catalog(lang)
    runs = messages_received(page)
    page.locator("[data-testid='stSidebar'] a").filter(has_text=texts["nav.rnn"]).click()
    wait_for_rerun(page, runs)
    tab.assert_healthy("following the menu's link")
    heading = page.locator("[data-testid='stMain'] h1").first.inner_text().strip()
    assert heading == texts[title_key("rnn")], f"{tab.where}: the menu's link drew {heading!r}"
    assert page.url.split("?")[0].endswith(f"/{PAGES['rnn']}") and "lang=ko" in page.url, page.url


def test_a_number_typed_then_checked_at_once_is_graded(context, server):
    """Type a number and click Check, with no Enter: the box sends the number as it loses focus, in the
    same click. The click must still grade it (it was lost once when the box sat in a fragment).
    The first round's order is fixed (ui/review.py new_order): the cards before its first number
    question are answered and rated Again."""
    from e2e.conftest import Tab

    tab, texts = Tab(context, server.url), catalog("en")
    order = [i for i in new_order() if questions()[i]["kind"] == "numeric"]
    before = new_order()[:new_order().index(order[0])]
    assert len(before) < NEW_PER_ROUND, "the first number question is not in the first round"
    tab.start(PAGES["review"], "en")
    page = tab.wait_drawn().page
    main = page.locator("[data-testid='stMain']")
    check = page.get_by_role("button", name=texts["rv.check"])

    def press(button) -> None:
        runs = messages_received(page)
        button.click()
        wait_for_rerun(page, runs)

    for card in before:
        assert texts[f"rv.q.{card}.title"] in main.locator("h3").all_inner_texts(), f"{card} not on screen"
        if questions()[card]["kind"] == "order":  # every step, in the order offered
            main.locator("[data-testid='stMultiSelect'] input").click()
            for _ in questions()[card]["steps"]:
                page.get_by_role("option").first.wait_for()
                page.keyboard.press("Enter")  # the list's first option: it stays open for the next
                page.wait_for_timeout(200)
            page.keyboard.press("Escape")
        else:
            press(main.locator("[data-testid='stRadio'] [role='radiogroup'] label").first)
        press(check)
        press(page.get_by_role("button").filter(has_text=texts["rv.rate_again"].split("{")[0].strip(" ·")).first)
    card = order[0]
    assert texts[f"rv.q.{card}.title"] in main.locator("h3").all_inner_texts(), f"{card} not on screen"
    main.locator("[data-testid='stTextInput'] input").fill("3")
    press(check)
    graded = main.locator("[data-testid='stAlertContentError'], [data-testid='stAlertContentSuccess']")
    assert graded.count(), (f"typing 3 then clicking Check graded nothing; alerts: "
                            f"{main.locator('[data-testid^=stAlertContent]').all_inner_texts()}")
    assert not tab.problems, f"{tab.where}: the browser reported {tab.problems}"  # a miss is an error box: fine
    tab.page.close()


@pytest.mark.parametrize("key", ["review"])
def test_answering_a_review_question_gives_feedback(tabs, key):
    tab = tabs.get(key, "en")
    page, texts = tab.page, catalog("en")
    shown = page.locator("[data-testid='stMain'] h3").all_inner_texts()
    card = next((i for i, q in questions().items() if q["kind"] == "choice" and texts[f"rv.q.{i}.title"] in shown),
                None)
    assert card, f"{tab.where}: no multiple-choice question on screen; headings {shown}"
    right = texts[f"rv.q.{card}.opt_{questions()[card]['correct']}"]
    answered = page.locator("[data-testid='stMetric']").filter(has_text=texts["rv.answered"])
    assert answered.inner_text().split()[-1] == "0", f"{tab.where}: {answered.inner_text()!r} before answering"

    runs = messages_received(page)
    page.locator("[data-testid='stRadio'] label").filter(has_text=right).click()  # a choice reruns only its fragment
    wait_for_rerun(page, runs)
    runs = messages_received(page)
    page.get_by_role("button", name=texts["rv.check"]).click()
    wait_for_rerun(page, runs)

    tab.assert_healthy(f"answering {card!r}")
    success = page.locator("[data-testid='stAlertContentSuccess']")
    assert success.count() and texts["rv.right"] in success.first.inner_text(), (
        f"{tab.where}: no 'right' feedback after choosing {right!r}; alerts: "
        f"{page.locator('[data-testid^=stAlertContent]').all_inner_texts()}")
    assert answered.inner_text().split()[-1] == "1", f"{tab.where}: {answered.inner_text()!r} after one answer"
    good = texts["rv.rate_good"].format(wait=texts["rv.in_days"].format(n=2))  # FSRS's first interval for Good
    assert page.get_by_role("button", name=good).count() == 1, f"{tab.where}: no {good!r} rating button"

    runs = messages_received(page)
    page.get_by_role("button", name=good).click()
    wait_for_rerun(page, runs)
    tab.assert_healthy("rating the answer Good")
    # the progress tab runs when opened: its two charts drawn, and gone again once it is left
    for name, charts in ((texts["rv.tab_progress"], 2), (texts["rv.tab_review"], 0)):
        runs = messages_received(page)
        page.get_by_role("tab", name=name).click()
        wait_for_rerun(page, runs)
        drawn = page.evaluate(SNAPSHOT)["charts"]
        visible = page.locator("[data-testid='stVegaLiteChart']:visible").count()
        assert visible == charts and "not drawn" not in drawn, f"{tab.where}: {name} tab shows {visible} charts {drawn}"
    tab.assert_healthy("opening the progress tab")


def submit(page, box, is_area: bool) -> None:
    """Submit the text box as a learner would, Enter in a text input, Ctrl+Enter in a text area (which
    also submits its form), and wait for the rerun."""
    runs = messages_received(page)
    box.press("Control+Enter" if is_area else "Enter")
    wait_for_rerun(page, runs)


@pytest.mark.parametrize(("key", "boxes"), TEXT_BOXES, ids=[key for key, _ in TEXT_BOXES])
def test_hostile_text_is_shown_literally_and_breaks_nothing(tabs, key, boxes):
    tab = tabs.get(key, "en")
    page, texts = tab.page, catalog("en")
    has_charts = page.evaluate(SCREEN)["charts"] > 0
    for n, box_key in enumerate(boxes):
        names = CORPUS if key == FULL_CORPUS_PAGE else FURTHER_BOXES if n else SUBSET
        corpus = {name: CORPUS[name] for name in names}
        if box_key in BOXES_IN_TAB:
            page.get_by_role("tab", name=texts[BOXES_IN_TAB[box_key]]).click()
        box = page.locator(f".st-key-{box_key}").locator("textarea, input").first
        is_area, form = box.evaluate("el => el.tagName") == "TEXTAREA", box_key in FORM_BOXES
        for name, text in corpus.items():
            where = f"{box_key} <- {name}"
            before = box.input_value()
            box.fill(text)
            taken = box.input_value()
            literal = text if is_area else text.replace("\n", "").replace("\r", "")
            if len(literal) <= MAX_CHARS:
                assert taken == literal, f"{tab.where} {where}: the box holds {taken[:80]!r}, not the text as typed"
            else:  # over the limit: cut to it, or refused whole (Streamlit's text boxes refuse it)
                assert taken in (literal[:MAX_CHARS], before), f"{tab.where} {where}: the box holds {taken[:80]!r}"
            if taken == before and not form:
                continue  # nothing new for the server: no rerun comes
            submit(page, box, is_area)

            tab.assert_healthy(where)
            if not form:
                shown = box.input_value()
                assert shown == taken, f"{tab.where} {where}: after the rerun the box shows {shown[:80]!r}"
            screen = page.evaluate(SCREEN)
            injected = {what: count for what, count in screen["injected"].items() if count}
            assert not injected, f"{tab.where} {where}: the text ran as HTML/JavaScript: {injected}"
            bad = [m for m in screen["metrics"] if NOT_A_NUMBER.search(m)]
            assert not bad, f"{tab.where} {where}: NaN or inf in metrics {bad}"
            if has_charts and tokenize(taken):
                assert screen["charts"], f"{tab.where} {where}: the charts are gone ({screen['alerts']})"
            elif has_charts:
                assert screen["warnings"], f"{tab.where} {where}: no text to work on, and no warning saying so"
    if has_charts:  # the corpus ends on text with words: every chart is back and drawn
        charts = settled_snapshot(page)["charts"]
        assert charts and "not drawn" not in charts, f"{tab.where}: charts after the corpus: {charts}"
