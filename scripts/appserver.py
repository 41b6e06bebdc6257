"""Start the app (or `streamlit hello`) on a free localhost port and drive it in Chromium.

Shared by the screenshot script, the browser tests, the browser benchmark and the load
test, so all of them start the server, wait for it and launch the browser the same way.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium; Playwright never downloads a browser here
# Without the background-networking flags Chromium keeps trying to reach Google's hosts,
# which a closed network refuses (and a learner's classroom machine should not need).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HELLO = "hello"  # pass as `script` to serve Streamlit's own demo, `streamlit hello`


def page_paths() -> dict[str, str]:
    """Page key -> URL path: "" for the home page, the script's name without its number otherwise."""
    sys.path.insert(0, str(ROOT))
    from ui.layout import NAV  # the menu is the list of pages

    return {key: "" if script == "dashboard.py" else Path(script).stem.split("_", 1)[1]
            for _, links in NAV for script, key, _ in links}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    started: float  # time.perf_counter() just before the process was started
    ready: float  # ... and once /_stcore/health answered


def wait_for_health(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return
        time.sleep(0.05)
    raise TimeoutError(f"no answer from {url}/_stcore/health within {timeout:.0f} s")


@contextlib.contextmanager
def running_app(script: str = "dashboard.py", port: int | None = None, env: dict | None = None,
                log: Path | None = None, root: Path = ROOT):
    """`streamlit run <script>` (or `streamlit hello`) on 127.0.0.1, until the block ends; `root`: the
    folder it runs in (another checkout of the app, for a benchmark against an older version).

    Yields a Server. Review progress goes to a throwaway data folder, in session-only
    storage, so nothing here ever touches a learner's own progress. The server's output
    is discarded, or written to `log` when one is given.
    """
    port = port or free_port()
    env = {**os.environ, "SEQDASH_DATA_DIR": tempfile.mkdtemp(prefix="seqdash-server-"),
           "SEQDASH_STORAGE": "session", **(env or {})}
    command = ["hello"] if script == HELLO else ["run", script]
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed once the child has its copy)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", *command, "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
        cwd=root, stdout=output, stderr=subprocess.STDOUT if log else subprocess.DEVNULL, env=env,
    )
    if log:
        output.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url)
        yield Server(url, process, started, time.perf_counter())
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system, all its threads), from /proc (Linux)."""
    # the command name, field 2, is in parentheses and may hold spaces: split after it
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def base_path_probe(url: str) -> bool:
    """Streamlit's frontend, opened on a deep link, first looks for its server under the
    page's path (/page/_stcore/health), gets a 404 and falls back to /. Not an app error."""
    path = urllib.parse.urlparse(url).path
    return path.endswith(("/_stcore/health", "/_stcore/host-config")) and path.count("/") > 2


def wait_until_drawn(page, settle_ms: int = 1000, timeout_ms: int = 60_000) -> None:
    """Wait for the script run to finish and the charts to paint."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout_ms)
    if settle_ms:
        page.wait_for_timeout(settle_ms)


def watch_for_problems(page, where: str, problems: list) -> None:
    """Record failed requests, HTTP errors (but the deep-link probe) and console errors."""
    page.on("requestfailed", lambda r: problems.append(f"{where} request failed: {r.url[:120]}"))
    page.on("response", lambda r: r.status >= 400 and not base_path_probe(r.url)
            and problems.append(f"{where} HTTP {r.status}: {r.url[:120]}"))
    page.on("console", lambda m: m.type == "error" and "404 (Not Found)" not in m.text
            and problems.append(f"{where} console: {m.text[:300]}"))
    page.on("pageerror", lambda e: problems.append(f"{where} page error: {str(e)[:300]}"))
    page.on("dialog", lambda d: (problems.append(f"{where} dialog opened: {d.message[:120]}"), d.dismiss()))


def error_elements(page) -> list[str]:
    """Texts of Streamlit's exception and error boxes on the page."""
    return [el.inner_text()[:200] for el in
            page.query_selector_all("[data-testid='stException'], [data-testid='stAlertContentError']")]


def screenshot_whole(page, path: Path) -> None:
    """Streamlit scrolls inside its main section: grow the viewport to show all of it."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(height + 40, 16000)})
    page.wait_for_timeout(1000)
    page.screenshot(path=path, full_page=True)



# Counts what the server sends a tab over its WebSocket, and when it last did. The script-state
# attribute alone cannot tell that a rerun happened: a quick run's "running" may never be drawn.
_WATCH_MESSAGES = """
(() => {
  const seen = window.__seqdashMessages = {received: 0, last: 0};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => { seen.received += 1; seen.last = performance.now(); });
    }
  };
})();
"""


def watch_server_messages(context_or_page) -> None:
    """From the next page load on, count the messages the server sends (see `wait_for_rerun`)."""
    context_or_page.add_init_script(_WATCH_MESSAGES)


def messages_received(page) -> int:
    """How many messages the server has sent this tab since it loaded (needs `watch_server_messages`)."""
    return page.evaluate("() => window.__seqdashMessages?.received ?? 0")


def wait_for_rerun(page, messages_before: int, quiet_ms: int = 100, settle_ms: int = 0,
                   timeout_ms: int = 60_000) -> None:
    """Wait for the rerun an action started to finish and be drawn.

    Take `messages_before = messages_received(page)` just before the action (a click, a key).
    Done when the server has sent something since, then nothing for `quiet_ms`, and the app
    says its script is not running."""
    page.wait_for_function(
        """([before, quiet]) => {
          const seen = window.__seqdashMessages, app = document.querySelector("[data-testid='stApp']");
          return seen.received > before && performance.now() - seen.last > quiet
            && app?.getAttribute("data-test-script-state") === "notRunning";
        }""", arg=[messages_before, quiet_ms], polling=50, timeout=timeout_ms)
    wait_until_drawn(page, settle_ms=settle_ms, timeout_ms=timeout_ms)
