"""Screenshot every page in English and Korean, in headless Chromium.

    python scripts/screenshots.py [--out artifacts/screenshots] [--pages rnn gru]

Starts the app on a free localhost port, opens each page with ?lang=en and ?lang=ko
in Debian's Chromium (/usr/bin/chromium, driven by Playwright; no browser download),
waits until the page has finished running, and saves a full-page PNG per page and
language. Prints any Streamlit error element or browser console error it sees.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts.appserver import (  # noqa: E402
    ROOT,
    error_elements,
    launch_chromium,
    page_paths,
    running_app,
    screenshot_whole,
    wait_until_drawn,
    watch_for_problems,
)


def main() -> int:
    pages = page_paths()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="artifacts/screenshots")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--pages", nargs="*", default=list(pages), help="page keys (default: all)")
    parser.add_argument("--query", default="", help="more URL parameters, e.g. 'sa_tokens=256'")
    args = parser.parse_args()
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    problems = []
    with running_app() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        for name in args.pages:
            for lang in ("en", "ko"):
                page = browser.new_page(viewport={"width": args.width, "height": 900}, locale=lang)
                watch_for_problems(page, f"{name}/{lang}", problems)
                page.goto(f"{server.url}/{pages[name]}?lang={lang}" + (f"&{args.query}" if args.query else ""))
                wait_until_drawn(page)
                problems += [f"{name}/{lang} error element: {e}" for e in error_elements(page)]
                screenshot_whole(page, out / f"{name}-{lang}.png")
                page.close()
                print(f"saved {out / f'{name}-{lang}.png'}")
        browser.close()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
