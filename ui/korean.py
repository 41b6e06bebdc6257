"""The Korean morphological analyser, loaded once per server and only when Korean text arrives.

kiwipiepy (Kiwi 0.24) splits "RNN은 dependency를 잘 잡지만" into RNN / 은 / dependency / 를 /
잘 / 잡 / 지만 with a part-of-speech tag and lemma for each morpheme. Its model costs ~230 MB
of memory and ~5 s to load (bench/bench_korean.py), so nothing imports it until the first
text with Hangul in it; then one instance serves every session (st.cache_resource).

Importing this module installs `analyse` as core.embeddings' default Korean analyser, so every
`core.embeddings.tokenize` call of the app splits Korean into morphemes.
"""

from __future__ import annotations

import threading

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.embeddings import set_korean_analyser
from ui.layout import t

_loaded = False  # has this process built its Kiwi yet? (only to say so while it loads)

# Without its extra dictionaries (typos, multi-word and single-word proper nouns from Wikipedia)
# Kiwi takes ~230 MB instead of ~500 MB and about half the time to load, and splits every
# sentence of tests/data/korean_sentences.txt, casual misspelt ones and ones full of proper
# nouns (서울특별시, 국립중앙박물관, 삼성전자) exactly as with them (bench/bench_korean.py).
KIWI_OPTIONS = {"load_typo_dict": False, "load_multi_dict": False, "load_default_dict": False}


# One analyser for the server's whole life: max_entries=1 bounds it, and no ttl, because
# dropping it would only make a later learner wait seconds to build the same ~230 MB again.
@st.cache_resource(max_entries=1, ttl=None, show_spinner=False)
def kiwi():
    """The shared kiwipiepy.Kiwi instance (imported and built on first use)."""
    from kiwipiepy import Kiwi  # lazy: ~230 MB and a few seconds, paid only when Korean text arrives

    return Kiwi(**KIWI_OPTIONS)


def analyse(text: str) -> tuple[tuple[str, str, int, int, str], ...]:
    """Kiwi's morphemes of `text`: (form, tag, start, length, lemma) each, positions in code points.

    The first call of the process says, while the model loads, that it is loading."""
    global _loaded
    if not _loaded and get_script_run_ctx() is not None:  # in a page's run: say why it waits
        with st.spinner(t("common.korean_loading")):
            kiwi()
    _loaded = True
    return _analyse(text)


_lock = threading.Lock()  # sessions run on threads of their own; one Kiwi serves them one at a time


# Results are small (a tuple per morpheme) and texts are capped at 20,000 characters.
@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _analyse(text: str) -> tuple[tuple[str, str, int, int, str], ...]:
    analyser = kiwi()
    with _lock:
        tokens = analyser.tokenize(text)
    return tuple((tok.form, tok.tag, tok.start, tok.len, tok.lemma) for tok in tokens)


set_korean_analyser(analyse)
