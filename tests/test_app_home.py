"""The home page and the shared sidebar: language choice, menu, links, diagram."""

from pathlib import Path

import pytest

from conftest import SELF_ATTENTION, mermaid_diagrams, open_page
from ui.i18n import catalog
from ui.layout import NAV, concept_pages

EN, KO = catalog("en"), catalog("ko")


def sidebar_links(at):
    return [(link.proto.page, link.proto.label) for link in at.sidebar.get("page_link")]


def test_home_opens_in_english_by_default():
    at = open_page()
    assert at.title[0].value == EN["home.title"]
    assert at.segmented_control(key="lang_choice").value == "en"
    assert at.query_params["lang"] == "en"


@pytest.mark.parametrize(("how", "expected"), [
    ({"lang": "ko"}, "ko"),
    ({"locale": "ko-KR"}, "ko"),
    ({"locale": "en-GB"}, "en"),
    ({"lang": "en", "locale": "ko-KR"}, "en"),  # a shared link beats the browser
    ({"lang": "xx", "locale": "ko-KR"}, "ko"),  # an unknown ?lang= is ignored
])
def test_language_comes_from_the_url_then_the_browser(how, expected):
    at = open_page(**how)
    assert at.title[0].value == catalog(expected)["home.title"]
    assert at.query_params["lang"] == expected


def test_switching_language_in_the_sidebar_retranslates_and_updates_the_url():
    at = open_page()
    at.segmented_control(key="lang_choice").set_value("ko").run()
    assert at.title[0].value == KO["home.title"]
    assert at.query_params["lang"] == "ko"
    assert [label for _, label in sidebar_links(at)] == [KO[f"nav.{key}"] for _, ls in NAV for _, key, _ in ls]
    at.segmented_control(key="lang_choice").set_value("en").run()
    assert at.title[0].value == EN["home.title"]


def test_language_is_kept_when_moving_to_another_page():
    at = open_page()
    at.segmented_control(key="lang_choice").set_value("ko").run()
    at.query_params.clear()  # a page link that lost the URL parameter still keeps Korean
    at.switch_page(SELF_ATTENTION).run()
    assert at.title[0].value == KO["sa.title"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_sidebar_menu_is_sectioned_and_translated(lang):
    at = open_page(lang=lang)
    texts = catalog(lang)
    captions = [c.value for c in at.sidebar.caption]
    assert captions == [texts[f"nav.section_{section}"] for section, _ in NAV]
    links = sidebar_links(at)
    assert [label for _, label in links] == [texts[f"nav.{key}"] for _, ls in NAV for _, key, _ in ls]
    # Streamlit's URL path of a script: "" for the home page, the name without its number
    url_paths = ["" if script == "dashboard.py" else Path(script).stem.split("_", 1)[1]
                 for _, ls in NAV for script, _, _ in ls]
    assert [page for page, _ in links] == url_paths


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_links_every_concept_page_with_its_blurb(lang):
    at = open_page(lang=lang)
    texts = catalog(lang)
    # the first link is the review invitation (tests/test_app_review.py), then one per page
    main_links = [link.proto.label for link in at.main.get("page_link")]
    assert main_links == [texts["home.review_invite"], *(texts[f"nav.{key}"] for _, key, _ in concept_pages())]
    shown = [m.value for m in at.markdown]
    assert all(texts[f"home.blurb_{key}"] in shown for _, key, _ in concept_pages())


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_draws_the_concept_path_and_the_notes(lang):
    at = open_page(lang=lang)
    texts = catalog(lang)
    assert not mermaid_diagrams(at)  # the path is text, quick to draw
    path = next(m.value for m in at.markdown if m.value.startswith("**RNN**"))
    assert path == texts["home.path_steps"].strip()
    assert [line.split("**")[1] for line in path.splitlines() if line.startswith("**")] == [
        "RNN", "LSTM", "GRU", "Attention", "Self-attention" if lang == "en" else "Self-Attention"]
    assert [e.label for e in at.expander] == [
        texts[f"home.notes_{c}_title"] for c in ("rnn", "lstm", "gru", "attention", "self_attention", "steps")]


def test_every_linked_page_exists():
    from conftest import ROOT
    for _, links in NAV:
        for script, _, _ in links:
            assert (ROOT / script).is_file(), script
