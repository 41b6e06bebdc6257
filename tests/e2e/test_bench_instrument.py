"""bench/bench_browser.py's clock of "drawn": what counts as a change on the screen, in Chromium."""

from __future__ import annotations

from bench.bench_browser import INSTRUMENT

PAGE = """<div data-testid="stApp"><div id="text">before</div><input id="slider" aria-valuetext="1">
<canvas id="grid" width="10" height="10"></canvas></div>"""


def _last_change_after(browser, change: str) -> bool:
    """Whether `change` (JavaScript run on PAGE) moves the clock of the page's last change."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.add_init_script(INSTRUMENT)
        tab.goto("about:blank")
        tab.set_content(PAGE)
        tab.wait_for_timeout(50)
        before = tab.evaluate("__bb.last")
        tab.wait_for_timeout(50)
        tab.evaluate(change)
        tab.wait_for_timeout(50)  # the observer's records are delivered after the change's task
        return tab.evaluate("__bb.last") > before
    finally:
        context.close()


def test_visible_changes_move_the_clock(browser):
    assert _last_change_after(browser, "document.getElementById('text').textContent = 'after'")
    assert _last_change_after(browser, "document.getElementById('grid').width = 20")  # a canvas resized
    assert _last_change_after(browser, "document.getElementById('grid').getContext('2d').fillRect(0, 0, 5, 5)")


def test_changes_nothing_draws_do_not(browser):
    # a slider's screen-reader text, set after its run
    assert not _last_change_after(browser, "document.getElementById('slider').setAttribute('aria-valuetext', '2')")
    # the dataframe grid's mirror of its cells for screen readers, inside its canvas: never rendered
    assert not _last_change_after(browser, """(() => { const t = document.createElement('table');
        t.innerHTML = '<tr><td>1</td></tr>'; document.getElementById('grid').appendChild(t); })()""")
