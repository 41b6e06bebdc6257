"""Screenshot every page in English and Korean, in headless Chromium.

    python scripts/screenshots.py [--out artifacts/screenshots]

Starts the app on a free localhost port, opens each page with ?lang=en and ?lang=ko
in Debian's Chromium (/usr/bin/chromium, driven by Playwright; no browser download),
waits until the page has finished running, and saves a full-page PNG per page and
language. Prints any Streamlit error element or browser console error it sees.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
sys.path.insert(0, str(ROOT))
from ui.layout import NAV  # noqa: E402  (the menu is the list of pages)

# page key -> URL path: "" for the home page, the script's name without its number otherwise
PAGES = {key: "" if script == "dashboard.py" else Path(script).stem.split("_", 1)[1]
         for _, links in NAV for script, key, _ in links}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(port: int):
    """`streamlit run dashboard.py` on localhost:port, until the block ends."""
    # a throwaway data folder: screenshots never touch the learner's own review progress
    env = {**os.environ, "SEQDASH_DATA_DIR": tempfile.mkdtemp(prefix="seqdash-shots-")}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def base_path_probe(url: str) -> bool:
    """Streamlit's frontend, opened on a deep link, first looks for its server under the
    page's path (/page/_stcore/health), gets a 404 and falls back to /. Not an app error."""
    path = urllib.parse.urlparse(url).path
    return path.endswith(("/_stcore/health", "/_stcore/host-config")) and path.count("/") > 2


def wait_until_drawn(page) -> None:
    """Wait for the script run to finish and the charts to paint."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)
    page.wait_for_timeout(1000)


def screenshot_whole(page, path: Path) -> None:
    """Streamlit scrolls inside its main section: grow the viewport to show all of it."""
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(height + 40, 16000)})
    page.wait_for_timeout(1000)
    page.screenshot(path=path, full_page=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="artifacts/screenshots")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--pages", nargs="*", default=list(PAGES), help="page keys (default: all)")
    args = parser.parse_args()
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    problems = []
    with running_app(free_port()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in args.pages:
            path = PAGES[name]
            for lang in ("en", "ko"):
                page = browser.new_page(viewport={"width": args.width, "height": 900}, locale=lang)
                page.on("requestfailed", lambda r, n=name, lg=lang: problems.append(
                    f"{n}/{lg} request failed: {r.url[:120]}"))
                page.on("response", lambda r, n=name, lg=lang: r.status >= 400
                        and not base_path_probe(r.url) and problems.append(
                    f"{n}/{lg} HTTP {r.status}: {r.url[:120]}"))
                page.on("console", lambda m, n=name, lg=lang: m.type == "error"
                        and "404 (Not Found)" not in m.text and problems.append(
                    f"{n}/{lg} console: {m.text}"))
                page.goto(f"{url}/{path}?lang={lang}")
                wait_until_drawn(page)
                for el in page.query_selector_all("[data-testid='stException'], [data-testid='stAlertContentError']"):
                    problems.append(f"{name}/{lang} error element: {el.inner_text()[:200]}")
                screenshot_whole(page, out / f"{name}-{lang}.png")
                page.close()
                print(f"saved {out / f'{name}-{lang}.png'}")
        browser.close()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
