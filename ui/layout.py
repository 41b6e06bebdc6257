"""What every page shares: the language, page setup and the translated sidebar menu.

The `pages/` folder's own discovery serves the pages; its default menu is hidden in
`.streamlit/config.toml` and every page draws this menu instead, by calling `page()`.
"""

from __future__ import annotations

import gc
import math
import os
import threading
import time
from pathlib import Path

import streamlit as st

from ui.i18n import LANG_NAMES, LANGS, language_from_locale, text

# The menu: (section, ((script, page key, icon), ...)), only pages that exist.
# A page key names its label `nav.<key>` and its blurb on the home page `home.blurb_<key>`.
NAV = (
    ("start", (("dashboard.py", "home", ":material/home:"),)),
    ("recurrent", (
        ("pages/3_rnn.py", "rnn", ":material/replay:"),
        ("pages/4_lstm.py", "lstm", ":material/memory:"),
        ("pages/5_gru.py", "gru", ":material/tune:"),
        ("pages/8_memory_lab.py", "memory_lab", ":material/science:"),
    )),
    ("attention", (
        ("pages/2_seq2seq_attention.py", "seq2seq_attention", ":material/translate:"),
        ("pages/1_self_attention.py", "self_attention", ":material/hub:"),
        ("pages/6_attention_vs_self_attention.py", "attention_vs_self_attention", ":material/compare:"),
    )),
    ("review", (("pages/7_review.py", "review", ":material/quiz:"),)),
)


def concept_pages():
    """(script, page key, icon) for every page but the home page, in menu order."""
    return [link for _, links in NAV[1:] for link in links]


# The language of the run under way. Each session runs its script on a thread of its
# own, and `page()` sets this at the start of every run, so `t()` (called ~100 times a
# run) need not go through session state each time.
_this_run = threading.local()


def lang() -> str:
    """The language this session reads in."""
    known = getattr(_this_run, "lang", None)
    return known or st.session_state.get("lang") or language_from_locale(st.context.locale)


def t(key: str, **values) -> str:
    """The text `key` in the session's language."""
    return text(lang(), key, **values)


def _resolve_language() -> str:
    # The URL wins (a shared ?lang=ko link), then the session's choice, then the browser.
    wanted = st.query_params.get("lang")
    chosen = wanted if wanted in LANGS else lang()
    st.session_state.lang = chosen
    if wanted != chosen:
        st.query_params["lang"] = chosen
    return chosen


def _on_language_change() -> None:
    st.session_state.lang = st.session_state.lang_choice
    st.query_params["lang"] = st.session_state.lang_choice


URL_TEXT_LIMIT = 2_000  # longer texts stay out of the address bar (the other controls still go in)


def remember(key: str, default, options=None, bounds=None, max_chars=None):
    """Keep a widget's value across pages, and in the URL, so a link reproduces the view.

    Streamlit forgets a widget's state on a run that does not draw it; a shadow copy
    under another key outlives that, and seeds the widget on return. A value that differs
    from the default is also written to the address bar (`?key=value`), and a page opened
    from such a link starts from it.

    Args:
        key: the widget's key; default: its starting value (its type tells how to read the URL);
        options: the values the widget offers, or bounds: its (low, high) range; a URL value
            outside them, or one that does not parse, is ignored with a notice (links get
            edited by hand too). A list's repeated values count once.
        max_chars: a text box's limit: a longer text from the URL is cut to it, with a notice,
            so session state never holds more than the box does.
    """
    shadow = f"_kept_{key}"
    if key not in st.session_state:
        linked = _from_url(key, default, options, bounds) if key in st.query_params else None
        if max_chars is not None and isinstance(linked, str) and len(linked) > max_chars:
            st.toast(t("common.link_text_cut", name=key, limit=max_chars), icon=":material/content_cut:")
            linked = linked[:max_chars]
        st.session_state[key] = linked if linked is not None else st.session_state.get(shadow, default)
    value = st.session_state[shadow] = st.session_state[key]
    _to_url(key, value, default)
    return value


def _from_url(key: str, default, options, bounds):
    """The value `?key=` carries, read as default's type, or None (with a notice) if unusable."""
    raw = st.query_params.get(key, "")
    try:
        if isinstance(default, (list, tuple)):  # several choices, comma-separated
            kind = type(default[0]) if default else str
            # each value once, in the link's order: "5,5,5" is one lag, not three (nor 3x the runs)
            value = type(default)(dict.fromkeys(kind(part) for part in raw.split(",") if part))
            if options is not None and not set(value) <= set(options):
                raise ValueError
            return value
        if isinstance(default, bool):
            value = {"true": True, "false": False}[raw.lower()]
        elif isinstance(default, (int, float)):
            value = type(default)(float(raw) if isinstance(default, float) else int(raw))
            if not math.isfinite(value):
                raise ValueError
        else:
            value = raw
        if (options is not None and value not in options) or (
                bounds is not None and not bounds[0] <= value <= bounds[1]):
            raise ValueError
    except (KeyError, ValueError, OverflowError):
        st.toast(t("common.bad_link", name=key), icon=":material/link_off:")
        return None
    return value


def _to_url(key: str, value, default) -> None:
    if value == default or (isinstance(value, str) and len(value) > URL_TEXT_LIMIT):
        wanted = None
    elif isinstance(value, (list, tuple)):
        wanted = ",".join(str(v) for v in value)
    else:
        wanted = str(value).lower() if isinstance(value, bool) else str(value)
    if wanted is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != wanted:
        st.query_params[key] = wanted


_startup_frozen = threading.Event()


def freeze_startup_objects() -> None:
    """Once per process, at the first page's start: move every object alive (Streamlit, NumPy, pandas,
    Altair, the app's modules: ~95,000) to the collector's permanent generation (gc.freeze).

    A full collection (collect_now_and_then) then scans only what sessions have made since, not
    them: ~0.1 ms instead of 25-60 ms for one session. Frozen objects are still freed by reference
    counting; only a cycle among them is never collected, so this runs once, before any page has
    computed anything."""
    if not _startup_frozen.is_set():
        _startup_frozen.set()
        gc.freeze()


# Seconds between two full collections, across all sessions ($SEQDASH_GC_EVERY; 0: none but Python's own)
GC_EVERY = float(os.environ.get("SEQDASH_GC_EVERY", "0.5"))
_last_collection = [0.0]
_collection_lock = threading.Lock()


def collect_now_and_then() -> None:
    """A full garbage collection at the start of a page's run, if none ran in the last GC_EVERY seconds.

    A page's functions hold its globals, matrices included, in a reference cycle that only a full
    collection frees, and Python's own are rare: without one, memory climbs with every distinct
    input (bench/memory_test.py). Streamlit's `runner.postScriptGC` collects after every run; but a
    collection scans every session's objects, so with many learners it cost a sixth of the server's
    CPU (py-spy, 20 learners: bench/load_test.py). At most one every GC_EVERY seconds bounds what
    waits for it to a fraction of a second of runs."""
    if GC_EVERY <= 0:
        return
    now = time.monotonic()
    with _collection_lock:
        if now - _last_collection[0] < GC_EVERY:
            return
        _last_collection[0] = now
    gc.collect()


def current_page() -> str:
    """The page this run draws, by its catalog section ("rnn", "sa", …; set by page())."""
    return getattr(_this_run, "page", None) or st.session_state.get("_page", "app")


def current_run() -> int:
    """The number of this session's last full run of a page (a fragment's rerun keeps it)."""
    known = getattr(_this_run, "serial", None)
    return known if known is not None else st.session_state.get("_run_serial", 0)


def start_run(page_key: str) -> None:
    """Note which page this run draws, and count the run (ui/charts.py keeps each run's charts)."""
    _this_run.serial = None
    _this_run.page = st.session_state["_page"] = page_key
    _this_run.serial = st.session_state["_run_serial"] = current_run() + 1


ROOT = Path(__file__).resolve().parents[1]
_menu_pages: dict = {}  # script -> its st.Page, made once per process


def _menu_page(script: str):
    """The menu's link target for a script (ui.layout.NAV): an st.Page made once per process, the same page
    the pages/ folder registers (the home page is its default). Given the script's path instead,
    st.page_link resolves it on the disk at every call: ~10% of the server's CPU under load (py-spy)."""
    found = _menu_pages.get(script)
    if found is None:
        found = _menu_pages[script] = st.Page(ROOT / script, default=script == "dashboard.py")
    return found


# The app's own style sheet, no learner text in it; a <style> alone takes no room on the page.
# Streamlit's own rules set word-break on headings, paragraphs and table cells, some with two classes
# and an element (a cell's paragraph: `.st-emotion-cache-… .e1yqkw3v0 p`): the rule is !important, so
# it holds on every text however Streamlit styles it. A word too long for its line still breaks.
KOREAN_LINE_BREAKS = ("<style>[data-testid='stApp'] :is(h1, h2, h3, h4, p, li, td, th, label, span, div) "
                      "{word-break: keep-all !important; overflow-wrap: break-word !important}</style>")


def page(title_key: str, icon: str) -> str:
    """Set up a page: its title, the language and the sidebar menu. Returns the language."""
    freeze_startup_objects()
    collect_now_and_then()
    _this_run.lang = None
    start_run(title_key.split(".")[0])
    current = _this_run.lang = _resolve_language()
    st.set_page_config(page_title=t(title_key), page_icon=icon, layout="wide")
    if current == "ko":  # Korean lines break between words, as Korean is set, not inside one ("보|았는가")
        st.html(KOREAN_LINE_BREAKS)
    with st.sidebar:
        st.session_state.lang_choice = current
        st.segmented_control(
            t("nav.language"),
            LANGS,
            format_func=LANG_NAMES.get,
            key="lang_choice",
            on_change=_on_language_change,
            required=True,
        )
        for section, links in NAV:
            st.caption(t(f"nav.section_{section}"))
            for script, key, link_icon in links:
                st.page_link(_menu_page(script), label=t(f"nav.{key}"), icon=link_icon,
                             query_params={"lang": current})
    return current
