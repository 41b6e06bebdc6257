"""The hosted review in Chromium, as a class meets it: through nginx (deploy/nginx.conf) to a worker
whose progress is in PostgreSQL (scripts/workers.py). Before a key, the page says a reload loses
the tab; a progress key is created, shown once, and after a reload (a new session) opens the
learner's note again; a wrong key is refused. Both languages; screenshots in artifacts/e2e/hosted-*."""

from __future__ import annotations

import re

import pytest

from scripts.appserver import ROOT, error_elements, screenshot_whole, wait_until_drawn
from scripts.workers import running_cluster
from ui.i18n import LANGS, catalog

SHOTS = ROOT / "artifacts" / "e2e"
KEY = re.compile(r"^[A-Za-z0-9_-]{32}$")


@pytest.fixture(scope="module")
def hosted():
    with running_cluster(1) as running:
        yield running


def drawn(page, refused: bool = False):
    """The run finished, with no error box (or only the wrong key's, if `refused`)."""
    wait_until_drawn(page, settle_ms=500)
    errors = error_elements(page)
    assert len(errors) == refused, errors
    return page


@pytest.mark.parametrize("lang", LANGS)
def test_a_progress_key_brings_the_learners_note_back_after_a_reload(browser, hosted, lang):
    texts = catalog(lang)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{hosted.url}/review?lang={lang}")
    drawn(page)
    assert page.get_by_text(texts["rv.tab_only_key"]).is_visible()  # before anything is answered
    screenshot_whole(page, SHOTS / f"hosted-before-key-{lang}.png")

    page.get_by_role("button", name=texts["rv.key_create"]).click()
    key_lose = texts["rv.key_lose"].format(backup=texts["rv.tab_backup"])
    page.get_by_text(key_lose).wait_for(timeout=30_000)  # the rerun the click started
    drawn(page)
    codes = [c.inner_text().strip() for c in page.locator("[data-testid='stCode'] code").all()]
    key = next(c for c in codes if KEY.match(c))
    assert page.get_by_text(key_lose).is_visible()
    assert key not in page.url
    screenshot_whole(page, SHOTS / f"hosted-key-shown-{lang}.png")
    page.get_by_role("button", name=texts["rv.key_kept"]).click()
    page.get_by_text(texts["rv.key_saved"]).wait_for(timeout=30_000)
    drawn(page)
    assert key not in page.inner_text("body")
    page.get_by_role("tab", name=texts["rv.tab_notes"]).click()
    box = page.get_by_role("textbox", name=texts["home.notes_rnn_title"]).first
    box.fill(f"hidden state, {lang}")
    box.press("Tab")  # the note is saved when the box loses focus
    page.wait_for_timeout(1500)
    drawn(page)

    page.reload()  # a new session: the tab's state is gone
    drawn(page)
    assert page.get_by_text(texts["rv.tab_only_key"]).is_visible()
    page.get_by_label(texts["rv.key_input"]).fill("not my key")
    page.get_by_role("button", name=texts["rv.key_open"]).click()
    page.get_by_text(texts["rv.key_unknown"]).wait_for(timeout=30_000)
    drawn(page, refused=True)
    page.get_by_label(texts["rv.key_input"]).fill(key)
    page.get_by_role("button", name=texts["rv.key_open"]).click()
    page.get_by_text(texts["rv.key_opened"]).wait_for(timeout=30_000)
    drawn(page)
    page.get_by_role("tab", name=texts["rv.tab_notes"]).click()
    note = page.get_by_role("textbox", name=texts["home.notes_rnn_title"]).first
    assert note.input_value() == f"hidden state, {lang}"
    assert key not in page.inner_text("body") and key not in page.url
    screenshot_whole(page, SHOTS / f"hosted-key-opened-{lang}.png")
    context.close()
