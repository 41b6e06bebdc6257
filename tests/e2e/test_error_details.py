"""What a viewer sees when a script fails: a real server with the app's .streamlit/config.toml, a
page that raises, and Chromium. Only Streamlit's generic notice: no message, exception type, stack
trace, source line or server path (client.showErrorDetails = "none")."""

from __future__ import annotations

import pytest

from scripts.appserver import ROOT, running_app, wait_until_drawn

FAILING = "tests/e2e/pages_for_tests/fails.py"
GENERIC = "This app has encountered an error"


@pytest.fixture(scope="module")
def failing_server():
    with running_app(script=FAILING) as app:
        yield app


def test_a_viewer_sees_no_traceback_type_or_path(browser, failing_server):
    page = browser.new_page()
    try:
        page.goto(failing_server.url, wait_until="commit")
        wait_until_drawn(page, settle_ms=300)
        box = page.query_selector("[data-testid='stException']")
        assert box is not None, "the failure shows no error box at all"
        assert GENERIC in box.inner_text()
        assert "Before the failure" in page.inner_text("body")  # what ran before it still shows
        html = page.content()  # every attribute and hidden node too, not only the visible text
        for leak in ("OperationalError", "sqlite3", "Traceback", 'File "', "fails.py", "disk is full",
                     str(ROOT), "/site-packages/"):
            assert leak not in html, f"the viewer can read {leak!r}"
    finally:
        page.close()
