"""Benchmark every page in Chromium against `streamlit hello`, measured in the same run.

    python bench/bench_browser.py            # print the tables
    python bench/bench_browser.py --readme   # also write them into README.md
    python bench/bench_browser.py --pages rnn lstm   # only these pages (and the baselines)

Four figures, each a ratio to a baseline timed the same way in the same run, on the fastest
of a few repeats (noise on a shared machine only ever adds time):

- a page opened in a new tab (`page.goto`) and switched to from the menu (a click), until
  it is fully drawn, against `streamlit hello`'s Hello page;
- a slider moved (one arrow key on its thumb) until its charts are redrawn, against the
  one-slider page `bench/one_slider.py`;
- cold start, from starting the server process to the first page drawn, against `streamlit hello`;
- the server's resident memory after visiting every page, against `streamlit hello`'s.

Then one more switch to each page, under Chromium's sampling profiler, says where the time
went: the script run, and each library of Streamlit's frontend.

"Fully drawn" is measured inside the page, not by polling from Python: the page notes when
the server's "script finished" message arrives over the websocket, and a MutationObserver
when the app's DOM last changed (Vega-Lite draws its charts as SVG, so a chart's repaint is
a DOM change; a canvas's drawing calls count too; a change that draws nothing does not: an aria-* attribute,
or the content of a canvas, which only screen readers read). The page is drawn once that run has
finished, no skeleton is left, every chart has its SVG or canvas, every Mermaid diagram its
image, loaded, and nothing has changed for QUIET_MS; the figure is the time of the last
change, from the navigation start, the click or the key press.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.readme import machine, write_section  # noqa: E402
from scripts.appserver import (  # noqa: E402
    HELLO,
    Server,
    error_elements,
    launch_chromium,
    page_paths,
    rss_mb,
    running_app,
)
from ui.i18n import text  # noqa: E402

LOAD_TARGET = 2.0  # a page opened in a new tab within 2x streamlit hello's Hello page
SWITCH_TARGET = 8.0  # a page switched to from the menu within 8x Hello's (issue #19)
SLIDER_TARGET = 5.0  # a slider's charts redrawn within 5x the one-slider page's (issue #19)
BASELINE_REPEATS = 3  # the baselines take this many times the pages' tries: ~40 ms figures, noise doubles them
COLD_TARGET = 1.5  # cold start within 1.5x streamlit hello's
RSS_TARGET = 1.5  # server memory within 1.5x streamlit hello's
SLIDES_PER_REPEAT = 4  # a page's slider moves per repeat: two after its first switch in a tab, two after another
QUIET_MS = 300  # no change for this long: the page is drawn
VIEWPORT = {"width": 1400, "height": 900}
# Our .streamlit/config.toml hides the pages folder's menu (and applies to `streamlit hello`
# started here too): hello gets its own menu back, as its users see it.
HELLO_ENV = {"STREAMLIT_CLIENT_SHOW_SIDEBAR_NAVIGATION": "true"}
WARM = "attention_vs_self_attention"  # a round's tab draws this page's charts before the first timed switch
KOREAN = ("self_attention",)  # pages timed in Korean too, to show the language costs nothing

# Page key -> the catalog key (ui/locales/<lang>/*.toml) of the label of the slider moved on it.
SLIDERS = {
    "rnn": "rnn.radius",  # rnn_radius
    "lstm": "lstm.forget_bias",  # lstm_forget_bias
    "gru": "gru.update_bias",  # gru_update_bias
    "seq2seq_attention": "s2s.step",  # s2s_step
    "self_attention": "sa.temperature",  # sa_temperature
    "attention_vs_self_attention": "cmp.radius",  # cmp_radius
}

# streamlit hello's pages (URL path -> title), Hello first: the baseline. Offline, the
# DataFrame and Mapping demos fetch their data from the internet and draw only an error;
# the Plotting and Animation demos are animations (50 chart frames with a 10 ms sleep
# each; 100 fractal frames in a loop), slow on purpose. They are visited for the memory
# figure and timed once, but none of them is a fair baseline.
HELLO_PAGES = {"": "Hello", "dataframe_demo": "DataFrame demo", "plotting_demo": "Plotting demo",
               "mapping_demo": "Mapping demo", "animation_demo": "Animation demo"}

# Installed before any page script. Records when the server's "script finished" message
# arrives (field 6 of a ForwardMsg; the frontend may never show a run of a few milliseconds
# as running) and when the app's DOM last changed.
INSTRUMENT = """
(() => {
  const bb = window.__bb = {t0: 0, last: 0, finished: -1};
  const scan = (bytes, now) => {  // the top-level fields of one ForwardMsg (protobuf)
    let i = 0;
    const varint = () => { let value = 0, scale = 1, b; do { b = bytes[i++]; value += (b & 127) * scale; scale *= 128; }
                           while (b & 128 && i < bytes.length); return value; };
    while (i < bytes.length) {
      const tag = varint(), wire = tag & 7;
      // script_finished is field 6; its value 2 means "stopped early for a rerun": another run follows
      if (wire === 0) { const value = varint(); if (tag >> 3 === 6 && value !== 2) bb.finished = now; }
      else if (wire === 2) { const length = varint(); i += length; }  // not `i += varint()`: i is read first
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return;
    }
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", e => {
        const now = performance.now();
        if (e.data instanceof ArrayBuffer) scan(new Uint8Array(e.data), now);
        else if (e.data instanceof Blob) e.data.arrayBuffer().then(b => scan(new Uint8Array(b), now));
      });
    }
  };
  const SKIP = "head, [data-testid='stHeader'], [data-testid^='stElementToolbar'], [data-testid='stTooltipContent']";
  new MutationObserver(records => {
    const now = performance.now();
    for (const r of records) {  // one relevant change is enough: keeps the observer cheap on big charts
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!el || el.closest(SKIP) || (r.type === "attributes" && el.matches("[data-testid='stApp']"))) continue;
      // Nothing drawn changes: an aria-* attribute (read by screen readers only; sliders set theirs
      // after a run), or a canvas's content (its fallback, never rendered: the dataframe grid mirrors
      // its cells there for screen readers ~300 ms after drawing them; the drawing itself is counted below)
      if (r.type === "attributes" && r.attributeName.startsWith("aria-")) continue;
      if (el.closest("canvas") && !(r.type === "attributes" && el.tagName === "CANVAS")) continue;
      bb.last = now;
      break;
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  // A chart drawn on a canvas changes no DOM: count its drawing calls as changes too.
  for (const name of ["clearRect", "fillRect", "fill", "stroke", "fillText", "drawImage"]) {
    const draw = CanvasRenderingContext2D.prototype[name];
    CanvasRenderingContext2D.prototype[name] = function (...args) {
      bb.last = performance.now();
      return draw.apply(this, args);
    };
  }
  // the key press or click a measurement starts from
  const start = e => { bb.t0 = e.timeStamp; bb.last = e.timeStamp; };
  addEventListener("keydown", start, true);
  addEventListener("click", start, true);
})();
"""

DRAWN = """quiet => {
  const bb = window.__bb, app = document.querySelector("[data-testid='stApp']");
  if (!bb || !app || app.getAttribute("data-test-script-state") !== "notRunning" || bb.finished <= bb.t0) return false;
  if (document.querySelector("[data-testid='stSkeleton']")) return false;
  for (const chart of document.querySelectorAll("[data-testid='stVegaLiteChart']"))
    if (!chart.querySelector("svg.marks, canvas")) return false;
  for (const diagram of document.querySelectorAll("[data-testid='stMermaidChart']"))  // drawn as an <img>
    if (!diagram.querySelector("img[src], svg")) return false;
  for (const img of document.querySelectorAll("[data-testid='stMain'] img"))
    if (!img.complete) return false;
  return performance.now() - Math.max(bb.last, bb.finished) >= quiet;
}"""

STATE = """() => ({bb: window.__bb, now: performance.now(),
  state: document.querySelector("[data-testid='stApp']")?.getAttribute("data-test-script-state"),
  skeleton: !!document.querySelector("[data-testid='stSkeleton']"),
  charts: [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
            .map(c => !!c.querySelector("svg.marks, canvas"))
})"""

RESULT = "() => [Math.max(__bb.last, __bb.finished) - __bb.t0, __bb.finished - __bb.t0]"

# What a slider move should change: the charts, or (on the one-slider page) the text.
SIGNATURE = """() => {
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart'] :is(svg.marks, canvas)")];
  return charts.length ? charts.map(c => c.tagName === "CANVAS" ? c.toDataURL() : c.innerHTML).join("|")
                       : document.querySelector("[data-testid='stMain']").innerText;
}"""

# How much the page holds once drawn.
SIZE = """() => ({
  elements: document.querySelectorAll("[data-testid='stMain'] [data-testid='stElementContainer']").length,
  svg: document.querySelectorAll("[data-testid='stVegaLiteChart'] svg *, [data-testid='stMermaidChart'] svg *").length,
  charts: document.querySelectorAll("[data-testid='stVegaLiteChart']").length,
  diagrams: document.querySelectorAll("[data-testid='stMermaidChart'], [data-testid='stMain'] [data-testid='stImage']")
    .length})"""

# Streamlit's frontend, by the file a profiled function comes from (its bundle's chunk names).
LIBRARIES = (
    ("Vega", re.compile(r"^(embed|vega|loadVegaEmbed|ArrowVegaLiteChart|expression)\b")),
    ("Mermaid", re.compile(r"^(mermaid|MermaidChart|chunk-[A-Z0-9]{8}|\w+Diagram|elk|dagre|cytoscape|cose|graphlib"
                           r"|rough|_\w+|\w+-definition)\b")),
    ("Markdown, KaTeX", re.compile(r"^(StreamlitMarkdown|katex|rehype|remark|micromark|hast|purify)")),
)
BROWSER = ("(program)", "(garbage collector)")  # style, layout, paint, GC; and waiting for a core
COLUMNS = ("Vega", "Mermaid", "Markdown, KaTeX", "React, Streamlit, other JS", "browser")


@dataclass
class Timing:
    """One page drawn: ms until drawn, of which until the script run ended; websocket traffic."""

    drawn: float
    script: float
    ws_bytes: int = 0
    ws_frames: int = 0


@dataclass
class Tab:
    """A browser tab on one server, counting what arrives over the websocket."""

    page: object
    url: str
    errors_expected: bool = False  # hello's demos that need the internet draw an error here
    received: list = field(default_factory=lambda: [0, 0])

    @classmethod
    def open(cls, browser, url: str, locale: str = "en-US", errors_expected: bool = False) -> Tab:
        context = browser.new_context(viewport=VIEWPORT, locale=locale)
        context.add_init_script(INSTRUMENT)
        tab = cls(context.new_page(), url, errors_expected)
        tab.page.on("websocket", lambda ws: ws.on("framereceived", tab._count))
        return tab

    def close(self) -> None:
        self.page.context.close()

    def _count(self, payload) -> None:
        self.received[0] += len(payload)
        self.received[1] += 1

    def _timed(self, action, what: str) -> Timing:
        self.received[:] = [0, 0]
        action()
        try:
            self.page.wait_for_function(DRAWN, arg=QUIET_MS, polling=25, timeout=60_000)
        except PlaywrightTimeoutError:
            raise RuntimeError(f"{what}: not drawn within 60 s: {self.page.evaluate(STATE)}") from None
        drawn, script = self.page.evaluate(RESULT)
        errors = error_elements(self.page)
        if errors and not self.errors_expected:
            raise RuntimeError(f"{what}: the page shows an error: {errors[0]}")
        return Timing(drawn, script, *self.received)

    def load(self, path: str) -> Timing:
        """Open a URL in this tab (a new document, a new session), timed from navigation start."""
        return self._timed(lambda: self.page.goto(f"{self.url}/{path}", wait_until="commit"), f"opening /{path}")

    def click(self, selector: str) -> Timing:
        """Click a link in the app's menu, timed from the click."""
        return self._timed(lambda: self.page.locator(selector).click(), f"clicking {selector}")

    def slide(self, label: str) -> Timing:
        """One arrow key on the slider labelled `label` (towards the side with more room)."""
        thumb = (self.page.locator("[data-testid='stSlider']").filter(has=self.page.get_by_text(label, exact=True))
                 .locator("input[type='range']"))
        low, high, value = (float(thumb.get_attribute(a)) for a in ("min", "max", "value"))
        key = "ArrowRight" if high - value >= value - low else "ArrowLeft"
        before = self.page.evaluate(SIGNATURE)
        timing = self._timed(lambda: thumb.press(key), f"moving {label!r}")
        if self.page.evaluate(SIGNATURE) == before:
            raise RuntimeError(f"moving {label!r} changed nothing on the page")
        return timing

    def profiled(self, measure, *args) -> tuple[Timing, dict]:
        """`measure(*args)` under Chromium's sampling profiler.

        Returns the Timing, and the main thread's ms by library from the start (click, key)
        to drawn, with what the page holds then.
        """
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("Performance.enable")
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})  # µs
        cdp.send("Profiler.start")
        timing = measure(*args)
        profile = cdp.send("Profiler.stop")["profile"]
        # The profile's clock (µs) and performance.now() (ms) both count from the same monotonic
        # clock; performance.now() from the document's navigation start.
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        start = metrics["NavigationStart"] * 1e6 + self.page.evaluate("__bb.t0") * 1e3
        cdp.detach()
        return timing, {**by_library(profile, start, start + timing.drawn * 1e3), **self.page.evaluate(SIZE)}


def by_library(profile: dict, start: float, end: float) -> dict:
    """Sampled ms between start and end (µs) by library: each sample goes to the nearest
    function on its stack that comes from a script file; the browser's own work to "browser"."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", ())}
    spent = collections.Counter()
    when = profile["startTime"]
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        when += delta
        if not start <= when <= end:
            continue
        node, frame = sample, nodes[sample]["callFrame"]
        while not frame["url"] and node in parent:
            node = parent[node]
            frame = nodes[node]["callFrame"]
        if frame["url"]:
            file = frame["url"].rsplit("/", 1)[-1]
            spent[next((lib for lib, pattern in LIBRARIES if pattern.match(file)), COLUMNS[3])] += delta / 1e3
        elif nodes[sample]["callFrame"]["functionName"] in BROWSER:
            spent["browser"] += delta / 1e3
    return dict(spent)


STARTED = time.perf_counter()


def progress(what: str) -> None:
    print(f"{time.perf_counter() - STARTED:5.0f} s  {what}", file=sys.stderr, flush=True)


def fastest(timings: list[Timing]) -> Timing:
    return min(timings, key=lambda t: t.drawn)


def our_link(path: str, lang: str) -> str:
    return f"[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink'][href='{path}?lang={lang}']"


def hello_link(path: str) -> str:
    return f"[data-testid='stSidebarNav'] a[href$='/{path}']"


def cold_starts(browser, results: Results, stacks: dict) -> dict:
    """Seconds from starting the server process to its first page drawn, fastest of 3, ours
    and hello's in turn (so both see the same noise). The last server of each is left
    running, until its stack in `stacks` closes, for the measurements that follow."""
    servers, times = {}, collections.defaultdict(list)
    for attempt in range(3):
        for app, script, env in (("hello", HELLO, HELLO_ENV), ("ours", "dashboard.py", None)):
            with contextlib.ExitStack() as this_one:
                server = this_one.enter_context(running_app(script, env=env))
                tab = Tab.open(browser, server.url)
                before_goto = time.perf_counter()
                first = tab.load("")
                times[app].append((before_goto - server.started + first.drawn / 1e3, server.ready - server.started,
                                   before_goto - server.started + first.script / 1e3))
                tab.close()
                if attempt == 2:
                    stacks[app].enter_context(this_one.pop_all())
                    servers[app] = server
    results.cold = {app: min(attempts) for app, attempts in times.items()}
    return servers


@dataclass
class Results:
    load: dict = field(default_factory=dict)  # (page key, lang) -> fastest Timing; hello's pages as ("hello", path)
    click: dict = field(default_factory=dict)  # switched to from the menu, the first time in a tab
    again: dict = field(default_factory=dict)  # switched to from the menu, in a tab that has drawn the page before
    slider: dict = field(default_factory=dict)  # (page key, lang) -> fastest Timing; ("one-slider", "en")
    profile: dict = field(default_factory=dict)  # (page key, lang) or ((page key, lang), "slider") -> (Timing, dict)
    # "ours"/"hello" -> seconds until the first page is drawn, the server answers, the first run's last message
    cold: dict = field(default_factory=dict)
    rss: dict = field(default_factory=dict)  # "ours"/"hello" -> (MB after the first page, MB after visiting every page)
    charts_alone: tuple | None = None  # (fastest Timing, charts drawn) of bench/charts_page.py's slider: a reference


def bench_hello(browser, server: Server, repeats: int, results: Results) -> None:
    start_rss = rss_mb(server.process.pid)
    tab = Tab.open(browser, server.url, errors_expected=True)
    # The first round of switches visits every page, for the memory figure; the others
    # go back and forth between Hello and the DataFrame demo (offline, an error message):
    # Hello switched to again, in a tab that has drawn it before.
    tab.load("")
    for path in list(HELLO_PAGES)[1:]:  # each the first time in this tab
        results.click["hello", path] = tab.click(hello_link(path))
    again = [tab.click(hello_link(""))]
    results.rss["hello"] = (start_rss, rss_mb(server.process.pid))
    for _ in range(1, BASELINE_REPEATS * repeats):
        tab.click(hello_link("dataframe_demo"))
        again.append(tab.click(hello_link("")))
    results.again["hello", ""] = fastest(again)
    results.load["hello", ""] = fastest([tab.load("") for _ in range(BASELINE_REPEATS * (repeats - 1))])
    tab.close()
    # Hello switched to for the first time in a tab, from the DataFrame demo; the last one profiled
    first = []
    for round_ in range(BASELINE_REPEATS * repeats):
        tab = Tab.open(browser, server.url, errors_expected=True)
        tab.load("dataframe_demo")
        if round_ < BASELINE_REPEATS * repeats - 1:
            first.append(tab.click(hello_link("")))
        else:
            results.profile["hello", ""] = tab.profiled(tab.click, hello_link(""))
            first.append(results.profile["hello", ""][0])
        tab.close()
    results.click["hello", ""] = fastest(first)


def switch_through(tab: Tab, pages: list, on_switch) -> None:
    """Switch from the menu to each (page key, lang) of `pages` in turn, each from the one before it:
    `on_switch(key, lang, link)` clicks. At the start and at a change of language, the tab first draws
    the WARM page (Vega's code loads on a tab's first chart), then the page before in the menu."""
    for i, (key, lang) in enumerate(pages):
        if i == 0 or pages[i - 1][1] != lang:  # the menu keeps the language: start from a page in this one,
            same = [page for page in pages if page[1] == lang]  # the one before in the menu if timed in it
            before = same[same.index((key, lang)) - 1][0] if len(same) > 1 else pages[i - 1][0]
            if before == key:  # a switch to the page on screen would draw nothing: start from home
                before = "home"
            tab.load(f"{page_paths()[WARM]}?lang={lang}")
            if before != WARM:
                tab.click(our_link(page_paths()[before], lang))
        on_switch(key, lang, our_link(page_paths()[key], lang))


def switch_in_one_document(tab: Tab, pages: list, repeats: int, on_switch) -> None:
    """Switch to each (page key, lang) of `pages` from the menu, lap after lap, with clicks only: one load
    per language, since a load starts a new document, which has drawn nothing yet. The first lap draws
    every page once, untimed; `on_switch(key, lang, link)` clicks in the next `repeats` laps."""
    for lang in dict.fromkeys(in_lang for _, in_lang in pages):
        keys = [key for key, in_lang in pages if in_lang == lang]
        tab.load(f"{page_paths()[WARM]}?lang={lang}")
        on_screen = WARM
        for lap in range(repeats + 1):
            for key in keys:
                if key == on_screen or len(keys) == 1:  # a switch to the page on screen would draw nothing
                    tab.click(our_link(page_paths()["home" if key != "home" else WARM], lang))
                link = our_link(page_paths()[key], lang)
                if lap:
                    on_switch(key, lang, link)
                else:
                    tab.click(link)
                on_screen = key


def bench_ours(browser, server: Server, repeats: int, results: Results, only=None) -> None:
    label = {(key, lang): text(lang, name) for key, name in SLIDERS.items() for lang in ("en", "ko")}
    paths = {key: path for key, path in page_paths().items() if not only or key in only}
    runs = [(key, "en") for key in paths] + [(key, "ko") for key in KOREAN if key in paths]
    loads, clicks, again, slides = (collections.defaultdict(list) for _ in range(4))
    start_rss = rss_mb(server.process.pid)

    def first_switch(tab: Tab, profiling: bool, key: str, lang: str, link: str) -> None:
        if profiling:
            results.profile[key, lang] = tab.profiled(tab.click, link)
        clicks[key, lang].append(results.profile[key, lang][0] if profiling else tab.click(link))
        if key not in SLIDERS:
            return
        if profiling:
            results.profile[(key, lang), "slider"] = tab.profiled(tab.slide, label[key, lang])
            slides[key, lang].append(results.profile[(key, lang), "slider"][0])
        slides[key, lang] += [tab.slide(label[key, lang]) for _ in range(2 - profiling if (key, lang) in runs else 1)]

    # Rounds of switches from the menu, each page from the one before it, in a new tab: each is
    # the page's first in that tab. The first round, every page in both languages, is also the
    # memory figure's visit; the next ones time the English pages and KOREAN, the last one under
    # the profiler (a switch and a slider move on each page).
    for round_ in range(repeats):
        pages = [(key, lang) for lang in ("en", "ko") for key in paths] if round_ == 0 else runs
        tab = Tab.open(browser, server.url)
        switch_through(tab, pages, functools.partial(first_switch, tab, round_ == repeats - 1))
        tab.close()
        if round_ == 0:
            results.rss["ours"] = (start_rss, rss_mb(server.process.pid))
            progress("this app: every page visited in both languages")
    # The same switches again, in one tab that has drawn every page before (as Hello's back and forth)
    tab = Tab.open(browser, server.url)

    def switch_again(key: str, lang: str, link: str) -> None:
        again[key, lang].append(tab.click(link))
        if key in SLIDERS:
            slides[key, lang] += [tab.slide(label[key, lang]) for _ in range(2)]

    switch_in_one_document(tab, runs, repeats, switch_again)
    for _ in range(repeats - 1):
        for key, lang in runs:
            loads[key, lang].append(tab.load(f"{paths[key]}?lang={lang}"))
    tab.close()
    results.load.update({run: fastest(loads[run]) for run in runs})
    results.click.update({run: fastest(clicks[run]) for run in runs})
    results.again.update({run: fastest(again[run]) for run in runs})
    results.slider.update({run: fastest(slides[run]) for run in runs if run[0] in SLIDERS})


def bench_one_slider(browser, repeats: int, results: Results) -> None:
    with running_app("bench/one_slider.py") as server:
        tab = Tab.open(browser, server.url)
        tab.load("")
        results.profile[("one-slider", "en"), "slider"] = tab.profiled(tab.slide, "x")
        slides = [tab.slide("x") for _ in range(BASELINE_REPEATS * SLIDES_PER_REPEAT * repeats - 1)]
        results.slider["one-slider", "en"] = fastest([results.profile[("one-slider", "en"), "slider"][0], *slides])
        tab.close()


def bench_charts_alone(browser, repeats: int, results: Results) -> None:
    """bench/charts_page.py's slider, timed as the pages' are: what redrawing its charts costs with nothing
    else on the page. A reference for the slider target, not a page of the app."""
    with running_app("bench/charts_page.py") as server:
        tab = Tab.open(browser, server.url)
        tab.load("")
        slides = [tab.slide("scale") for _ in range(SLIDES_PER_REPEAT * repeats)]
        results.charts_alone = (fastest(slides), tab.page.evaluate(SIZE)["charts"])
        tab.close()


def mark(ratio: float, target: float) -> str:
    return f"{ratio:.1f} {'✓' if ratio <= target else '⚠'}"


def tables(results: Results, repeats: int) -> str:
    titles = {key: key.replace("_", " ") for key in page_paths()}
    titles.update({("hello", path): f"`streamlit hello`: {title}" for path, title in HELLO_PAGES.items()})
    titles["one-slider"] = "one-slider page"

    def name(run) -> str:
        return titles[run] if run[0] == "hello" else titles[run[0]] + (" (Korean)" if run[1] == "ko" else "")

    base_load, base_click = results.load["hello", ""], results.click["hello", ""]
    base_again, base_slide = results.again["hello", ""], results.slider["one-slider", "en"]
    rows = [
        "| page | opened in a new tab | × hello | switched to from the menu, first time in the tab | × hello "
        "| switched to again | × hello | slider → charts redrawn | × one-slider page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| `streamlit hello`: Hello (baseline) | {base_load.drawn:.0f} ms | 1.0 | {base_click.drawn:.0f} ms | 1.0 "
        f"| {base_again.drawn:.0f} ms | 1.0 | | |",
        f"| one-slider page (slider baseline) | | | | | | | {base_slide.drawn:.0f} ms | 1.0 |",
    ]
    if results.charts_alone:
        alone, n = results.charts_alone
        rows.append(f"| {n} charts alone, only their data changing (`bench/charts_page.py`; a reference, not a page) "
                    f"| | | | | | | {alone.drawn:.0f} ms | {alone.drawn / base_slide.drawn:.1f} |")
    for run, load in results.load.items():
        if run[0] == "hello":
            continue
        click, again, slide = results.click[run], results.again[run], results.slider.get(run)
        slide_cells = (f"{slide.drawn:.0f} ms | {mark(slide.drawn / base_slide.drawn, SLIDER_TARGET)}"
                       if slide else " | ")
        rows.append(f"| {name(run)} | {load.drawn:.0f} ms | {mark(load.drawn / base_load.drawn, LOAD_TARGET)} "
                    f"| {click.drawn:.0f} ms | {mark(click.drawn / base_click.drawn, SWITCH_TARGET)} "
                    f"| {again.drawn:.0f} ms | {mark(again.drawn / base_again.drawn, SWITCH_TARGET)} | {slide_cells} |")
    for path in list(HELLO_PAGES)[1:]:
        click = results.click["hello", path]
        rows.append(f"| {name(('hello', path))} (not a baseline, see below) | | | {click.drawn:.0f} ms (once) "
                    "| | | | | |")
    cold, rss = results.cold, results.rss
    rows += [
        "",
        "| server | this app | `streamlit hello` | × hello | target |",
        "|---|---:|---:|---:|---:|",
        f"| cold start: process started → first page drawn | {cold['ours'][0]:.2f} s | {cold['hello'][0]:.2f} s "
        f"| {mark(cold['ours'][0] / cold['hello'][0], COLD_TARGET)} | ≤ {COLD_TARGET}× |",
        f"| … of which until the server answers `/_stcore/health` | {cold['ours'][1]:.2f} s "
        f"| {cold['hello'][1]:.2f} s | {cold['ours'][1] / cold['hello'][1]:.1f} | |",
        f"| … and until the first page's script has run (its last message arrived) | {cold['ours'][2]:.2f} s "
        f"| {cold['hello'][2]:.2f} s | {cold['ours'][2] / cold['hello'][2]:.1f} | |",
        f"| memory (RSS) after visiting every page | {rss['ours'][1]:.0f} MB | {rss['hello'][1]:.0f} MB "
        f"| {mark(rss['ours'][1] / rss['hello'][1], RSS_TARGET)} | ≤ {RSS_TARGET}× |",
        f"| memory (RSS) after the cold start's first page | {rss['ours'][0]:.0f} MB | {rss['hello'][0]:.0f} MB "
        f"| {rss['ours'][0] / rss['hello'][0]:.1f} | |",
        "",
        "Where the time goes: the last first-time switch to each page (Hello's too), and a slider move, ran "
        "under Chromium's sampling profiler. *Script*: when the server's \"script finished\" message arrived. Then the "
        "browser's main thread from the click or key press to drawn, in ms, by the library it ran in "
        "(*browser*: style, layout, paint and garbage collection, and waiting for a core on a busy "
        "machine). SVG nodes: in the Vega charts once drawn.",
        "",
        "| page | drawn | script | " + " | ".join(COLUMNS) + " | elements | charts, diagrams | SVG nodes | websocket |",
        "|---|" + "---:|" * (len(COLUMNS) + 6),
    ]
    for key, (t, spent) in results.profile.items():
        title = name(key[0]) + ": slider" if key[1] == "slider" else name(key)
        rows.append(f"| {title} | {t.drawn:.0f} ms | {t.script:.0f} ms | "
                    + " | ".join(f"{spent.get(column, 0):.0f}" for column in COLUMNS)
                    + f" | {spent['elements']} | {spent['charts']}, {spent['diagrams']} | {spent['svg']} "
                    f"| {t.ws_bytes / 1024:.0f} kB, {t.ws_frames} msgs |")
    reasons = why(results, name)
    rows += ["", reasons] if reasons else []
    rows += [
        "",
        f"Measured by `python bench/bench_browser.py --readme` on {machine()}, in Debian's Chromium "
        f"(headless, {VIEWPORT['width']}×{VIEWPORT['height']}) driven by Playwright. A page is drawn when the "
        f"server's \"script finished\" message has arrived, no skeleton is left, every chart has its SVG, every "
        f"Mermaid diagram its image, and nothing has changed for {QUIET_MS} ms; the time is that of the last "
        f"change (a MutationObserver in the page), from the navigation start, the click or the key press; a "
        f"change that draws nothing is not one: an `aria-*` attribute (sliders reset theirs after a run), or what "
        f"a canvas holds (the dataframe grid mirrors its cells there for screen readers ~300 ms after drawing). "
        f"Switched to from the menu, each page from the one before it in the menu: fastest of {repeats} first "
        f"switches to the page in a tab (a new tab each round; the first round, the memory visit, is the server's "
        f"first run of each page; the last profiled; each tab first draws the {WARM.replace('_', ' ')} page, as "
        f"Vega's code loads on a tab's first chart, which the new-tab column counts, so that page's first switch is "
        f"its second visit), and of {repeats} more in one tab that has drawn every page before, by clicks only "
        f"(a load would start a new document); Hello the same ways, from the DataFrame demo: a first switch in "
        f"{BASELINE_REPEATS * repeats} new tabs, and "
        f"{BASELINE_REPEATS * repeats} back and forth in one. A first switch costs more: Streamlit's frontend fetches "
        f"and compiles the code of a kind of element the first time a tab draws one (the RNN page's first switch "
        f"loads KaTeX's, the self-attention page's the dataframe's), so each is divided by Hello's in the same "
        f"condition. "
        f"Also {repeats - 1} loads in a new tab, and {SLIDES_PER_REPEAT * repeats} slider moves (one arrow key "
        f"each, two after each switch), the baselines {BASELINE_REPEATS}× as many (their figures are "
        f"{results.again['hello', ''].drawn:.0f} and {results.slider['one-slider', 'en'].drawn:.0f} ms, which one "
        f"busy moment doubles); cold start "
        f"fastest of 3; memory after one session visits every page (ours: in English and Korean, a slider "
        f"moved on each). Targets (✓/⚠): a page opened in a new tab within {LOAD_TARGET:.0f}× Hello's, switched to "
        f"from the menu within {SWITCH_TARGET:.0f}×, a slider's charts redrawn within {SLIDER_TARGET:.0f}× the "
        f"one-slider page's; cold start and memory within {COLD_TARGET}×. "
        f"The baseline is `streamlit hello`'s Hello page, the only one that draws fully "
        f"offline without animating on purpose: the DataFrame and Mapping demos download their data and "
        f"offline draw only a \"requires internet access\" error, and the Plotting and Animation demos "
        f"animate 50 chart frames with a 10 ms sleep each and 100 fractal frames in a loop. hello's one "
        f"slider page is the Animation demo, so the slider baseline is `bench/one_slider.py`.",
    ]
    return "\n".join(rows)


def slider_why(results: Results, name) -> str:
    """Where the slider target is missed, what the slider moves' profiles hold ("" if it is met everywhere)."""
    base = results.slider["one-slider", "en"]
    missed = [run for run in results.slider if run != ("one-slider", "en")
              and results.slider[run].drawn > SLIDER_TARGET * base.drawn]
    ours = [results.profile[run, "slider"] for run in missed if (run, "slider") in results.profile]
    if not ours:
        return ""
    _, floor = results.profile[("one-slider", "en"), "slider"]

    def span(values) -> str:
        low, high = f"{min(values):.0f}", f"{max(values):.0f}"
        return low if low == high else f"{low}–{high}"

    reasons = (f"**Why {len(missed)} of {len(results.slider) - 1} slider moves miss the {SLIDER_TARGET:.0f}× target**: "
               f"the one-slider page's move redraws {floor['elements']} elements, no chart, in {base.drawn:.0f} ms. "
               f"These pages hold {span([spent['charts'] + spent['diagrams'] for _, spent in ours])} charts and "
               f"diagrams, and each move redraws those its control changes: in the profiles above, "
               f"{span([spent.get('Vega', 0) for _, spent in ours])} ms of Vega, "
               f"{span([spent.get(COLUMNS[3], 0) for _, spent in ours])} ms of React and Streamlit's own code, and "
               f"the server's script finished after {span([t.script for t, _ in ours])} ms.")
    if results.charts_alone:
        alone, n = results.charts_alone
        per_chart = (alone.drawn - base.drawn) / n
        if per_chart > 0:
            room = (SLIDER_TARGET - 1) * base.drawn / per_chart
            reasons += (f" Charts alone cost this much too: the {n} charts of `bench/charts_page.py`, with nothing "
                        f"else on its page, are redrawn in {alone.drawn:.0f} ms, {alone.drawn / base.drawn:.1f}× the "
                        f"one-slider page, about {per_chart:.0f} ms a chart; at that rate the {SLIDER_TARGET:.0f}× "
                        f"target leaves room for about {room:.0f} charts redrawn and no other element.")
    return reasons


def why(results: Results, name) -> str:
    """Where a target is missed, what the measurements and the profile say about why ("" if none is)."""
    base_click, base_again = results.click["hello", ""], results.again["hello", ""]
    pages = [run for run in results.click if run[0] != "hello"]
    missed = [run for run in pages if results.click[run].drawn > SWITCH_TARGET * base_click.drawn]
    missed_again = [run for run in pages if results.again[run].drawn > SWITCH_TARGET * base_again.drawn]
    ours = {run: results.profile[run] for run in missed if run in results.profile}
    parts = []
    if ours:
        hello_t, hello = results.profile["hello", ""]

        def span(column, where=lambda spent: True) -> str:
            values = [spent.get(column, 0) for _, spent in ours.values() if where(spent)]
            return f"{min(values):.0f}–{max(values):.0f}" if values else "0"

        js = sum(hello.get(column, 0) for column in COLUMNS[:4])
        scripts = [t.script for t, _ in ours.values()]
        switch = [
            f"**Why {len(missed)} of {len(pages)} pages miss the {SWITCH_TARGET:.0f}× target on a first switch** "
            f"({len(missed_again)} on a switch again; profile above): hello's Hello page is {hello['elements']} "
            f"elements of text, drawn {hello_t.drawn:.0f} ms after a first switch, with {js:.0f} ms of JavaScript. "
            f"These pages hold {span('elements')} elements; switching to "
            f"one, the browser runs {span('Vega', lambda s: s['charts'])} ms of Vega on the pages with charts "
            f"({span('svg', lambda s: s['charts'])} SVG nodes), "
            + (f"{span('Mermaid', lambda s: s['diagrams'])} ms of Mermaid laying out the diagram on the pages with "
               f"one, " if any(spent.get("Mermaid", 0) >= 1 for _, spent in ours.values() if spent["diagrams"]) else "")
            + f"and {span(COLUMNS[3])} ms of React and "
            f"Streamlit's own code for the elements. The server's part, until its last message arrives, is "
            f"{min(scripts):.0f}–{max(scripts):.0f} ms, and it includes waiting for the browser's busy main "
            f"thread to read the message."]
        with_charts = {run: spent for run, (_, spent) in ours.items() if spent["charts"]}
        if with_charts:
            lightest = min(with_charts, key=lambda run: with_charts[run]["svg"])
            switch.append(
                f"Even the page with the fewest chart marks, {name(lightest)} ({with_charts[lightest]['charts']} "
                f"charts, {with_charts[lightest]['svg']} SVG nodes), is "
                f"{results.click[lightest].drawn / base_click.drawn:.1f}× hello on a first switch: the time is in "
                f"drawing charts and diagrams in the browser, which a page of text does not have.")
        parts.append(" ".join(switch))
    parts += [slider_why(results, name)] if any(key[1] == "slider" for key in results.profile) else []
    (ours_drawn, ours_up, ours_run), (hello_drawn, hello_up, hello_run) = results.cold["ours"], results.cold["hello"]
    if ours_drawn > COLD_TARGET * hello_drawn:
        parts.append(
            f"**Cold start misses its {COLD_TARGET}× target**: both servers answer within "
            f"{max(ours_up, hello_up):.2f} s, and the first page's script has run at {ours_run:.2f} s against "
            f"{hello_run:.2f} s; the rest, {ours_drawn - ours_run:.2f} s against {hello_drawn - hello_run:.2f} s, is "
            f"the browser drawing the first page: the home page's text and metrics, against Hello's text.")
    return "\n\n".join(part for part in parts if part)  # a paragraph each


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)  # fastest of more tries: a busy moment only adds time
    parser.add_argument("--readme", action="store_true", help="write the tables into README.md")
    parser.add_argument("--pages", nargs="*", help="only these page keys (as in ui.layout.NAV), besides the baselines")
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error("--repeats must be at least 2")
    results = Results()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        stacks = {"hello": contextlib.ExitStack(), "ours": contextlib.ExitStack()}
        with stacks["hello"], stacks["ours"]:
            servers = cold_starts(browser, results, stacks)
            progress("cold starts")
            with stacks["hello"]:
                bench_hello(browser, servers["hello"], args.repeats, results)
            progress("streamlit hello")
            with stacks["ours"]:
                bench_ours(browser, servers["ours"], args.repeats, results, args.pages)
            progress("this app")
        bench_one_slider(browser, args.repeats, results)
        progress("the one-slider page")
        bench_charts_alone(browser, args.repeats, results)
        progress("ten charts alone")
        browser.close()
    text = tables(results, args.repeats)
    print(text)
    if args.readme:
        write_section("bench-browser", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
