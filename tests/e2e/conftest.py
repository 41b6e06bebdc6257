"""Fixtures of the browser tests: one app server, one Chromium and three tabs for the module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from scripts.appserver import (
    CHROMIUM,
    error_elements,
    launch_chromium,
    page_paths,
    running_app,
    wait_until_drawn,
    watch_for_problems,
    watch_server_messages,
)
from ui.i18n import LANGS

PAGES = page_paths()  # page key -> URL path, in the menu's order
INSTALL = "run `bash scripts/install_browser.sh` and `pip install -r requirements-dev.txt`"
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright. Missing either is a failure, never a skip: CI installs both.

    Module-scoped: Playwright's sync API keeps an event loop running in this thread while it is
    open, and later tests may start their own (asyncio.run)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: {INSTALL}", pytrace=False)
    if importlib.util.find_spec("playwright") is None:
        pytest.fail(f"Playwright for Python is not installed: {INSTALL}", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    """The app on a free localhost port, for the whole module."""
    with running_app() as app:
        yield app


@pytest.fixture(scope="module")
def context(browser):
    """One browser context for the module (its cache keeps Streamlit's scripts between tabs); every
    tab in it counts the server's messages, so a test can wait for the rerun it started."""
    ctx = browser.new_context(viewport=VIEWPORT)
    watch_server_messages(ctx)
    yield ctx
    ctx.close()


class Tab:
    """A browser tab that goes from page to page, and every problem the browser reported on it."""

    def __init__(self, context, url: str):
        self.url, self.where, self.at, self.drawn = url, "", None, False
        self.problems: list[str] = []
        self.page = context.new_page()
        watch_for_problems(self.page, self, self.problems)  # str(self): the page it was on at the time

    def __str__(self) -> str:
        return self.where

    def start(self, path: str, lang: str) -> None:
        """Start loading /<path>?lang=<lang> here, unless this tab is already there."""
        if self.at != (path, lang):
            self.assert_healthy("leaving it")
            self.at, self.where, self.drawn = (path, lang), f"{path or 'home'}/{lang}", False
            self.page.goto(f"{self.url}/{path}?lang={lang}", wait_until="commit")

    def wait_drawn(self) -> Tab:
        if not self.drawn:
            wait_until_drawn(self.page, settle_ms=0)
            self.drawn = True
        return self

    def assert_healthy(self, doing: str = "") -> None:
        """No console error, page error, failed request or dialog so far, and no error box on screen."""
        where = f"{self.where}{f' after {doing}' if doing else ''}"
        reported = list(self.problems)
        self.problems.clear()  # each problem fails one check, not every later one
        assert not reported, f"{where}: the browser reported\n" + "\n".join(reported)
        errors = error_elements(self.page)
        assert not errors, f"{where}: Streamlit error element(s) on screen: {errors}"


class Tabs:
    """Three tabs, each going from page to page (a navigation costs the browser a good deal less than
    a new tab): the Korean pages in one, the English pages in two, turn about. The tests run page by
    page, English then Korean (`pytest_collection_modifyitems`), so each page loads once per
    language; while a test works in one tab, the others already load the pages the next tests want."""

    AHEAD = 2  # loads started ahead of the tests

    def __init__(self, context, url: str):
        self.tabs = {name: Tab(context, url) for name in ("en0", "en1", "ko")}
        self.loads = [(key, lang) for key in PAGES for lang in LANGS]  # the order the tests visit them in

    def tab_of(self, key: str, lang: str) -> Tab:
        return self.tabs["ko" if lang != "en" else f"en{list(PAGES).index(key) % 2}"]

    def get(self, key: str, lang: str = "en") -> Tab:
        tab = self.tab_of(key, lang)
        tab.start(PAGES[key], lang)
        tab.wait_drawn()
        after = self.loads.index((key, lang)) + 1
        for upcoming in self.loads[after:after + self.AHEAD]:
            if (other := self.tab_of(*upcoming)) is not tab:
                other.start(PAGES[upcoming[0]], upcoming[1])
        return tab

    def close(self) -> None:
        for tab in self.tabs.values():
            tab.page.close()


@pytest.fixture(scope="module")
def tabs(context, server):
    """The tabs the module's tests drive: `tabs.get(page key, lang)` is a tab on that page, drawn."""
    both = Tabs(context, server.url)
    yield both
    both.close()


def pytest_collection_modifyitems(items):
    """Run the browser tests page by page, each page's English tests first and its Korean test last,
    so the tab loads every page once per language (a load costs the browser seconds of CPU)."""
    order = {key: i for i, key in enumerate(PAGES)}
    ours = [i for i, item in enumerate(items) if item.path.parent == Path(__file__).parent]

    def place(item):
        params = item.callspec.params if hasattr(item, "callspec") else {}
        return (order.get(params.get("key"), -1), params.get("lang") == "ko")  # sorted() keeps the file's order

    for slot, item in zip(ours, sorted((items[i] for i in ours), key=place), strict=True):
        items[slot] = item
