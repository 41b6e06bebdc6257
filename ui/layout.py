"""What every page shares: the language, page setup and the translated sidebar menu.

The `pages/` folder's own discovery serves the pages; its default menu is hidden in
`.streamlit/config.toml` and every page draws this menu instead, by calling `page()`.
"""

from __future__ import annotations

import threading

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


def remember(key: str, default):
    """Keep a widget's value when the learner visits other pages and comes back.

    Streamlit forgets a widget's state on a run that does not draw it; a shadow
    copy under another key outlives that, and seeds the widget on return.
    """
    shadow = f"_kept_{key}"
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(shadow, default)
    st.session_state[shadow] = st.session_state[key]
    return st.session_state[key]


def page(title_key: str, icon: str) -> str:
    """Set up a page: its title, the language and the sidebar menu. Returns the language."""
    _this_run.lang = None
    current = _this_run.lang = _resolve_language()
    st.set_page_config(page_title=t(title_key), page_icon=icon, layout="wide")
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
                st.page_link(script, label=t(f"nav.{key}"), icon=link_icon,
                             query_params={"lang": current})
    return current
