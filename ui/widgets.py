"""Widgets several pages share: the learner's sentence, a step's header, CSV downloads, cell controls."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core.embeddings import tokenize
from core.korean import has_hangul
from ui.compute import HIDDEN_SIZES, SEEDS
from ui.layout import lang, remember, t

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples.json"
MAX_CHARS = 20_000


@lru_cache(maxsize=1)
def examples() -> dict[str, list[str]]:
    """Built-in example sentences, {"en": [...], "ko": [...]}."""
    return json.loads(EXAMPLES.read_text(encoding="utf-8"))


def _example_picker(label: str, pick_key: str, choices: list, fill, format_func=str) -> None:
    """A menu of examples; picking one writes `fill(choice)` ({state key: text}) into the
    text boxes, then the menu returns to its placeholder (a menu, not a mode)."""

    def use_example() -> None:
        choice = st.session_state[pick_key]
        if choice is not None:
            st.session_state.update(fill(choice))
            st.session_state[pick_key] = None

    st.selectbox(label, choices, index=None, key=pick_key, format_func=format_func,
                 placeholder=t("common.examples_placeholder"), on_change=use_example)


def sentence_input(prefix: str, long: bool = False) -> str:
    """A text box for the learner's sentence, with example sentences to pick from.

    The first visit starts on an example in the reader's language (a long one when
    `long`); picking an example copies it into the box, where the learner can edit it.
    """
    ours, other = lang(), "ko" if lang() == "en" else "en"
    choices = examples()[ours] + examples()[other]
    if long:
        choices = [examples()["long"][ours], examples()["long"][other], *choices]
    text_key = f"{prefix}_text"
    remember(text_key, choices[0], max_chars=MAX_CHARS)
    _example_picker(t("common.examples"), f"{prefix}_example", choices, lambda choice: {text_key: choice})
    text = st.text_area(t("common.sentence"), key=text_key, max_chars=MAX_CHARS, height=80,
                        help=t("common.max_chars", limit=MAX_CHARS))
    korean_notice(text)
    return text


def korean_notice(*texts: str) -> None:
    """Say how Korean text is cut into tokens, when there is Korean to cut."""
    if any(has_hangul(text) for text in texts):
        st.caption(t("common.korean_split"))


TIES_SHOWN = 3  # tied keys named on the metric; the rest are counted


def most_attended(label: str, labels, weights) -> None:
    """The key with the largest weight, as a metric with its share of the attention; every key tied
    with it too (a word that comes twice, as "The" and "the" do, has one vector and the same weight)."""
    tied = top_keys(weights)
    names = ", ".join(labels[k] for k in tied[:TIES_SHOWN])
    if len(tied) > TIES_SHOWN:
        names += " " + t("sa.top_more", count=len(tied) - TIES_SHOWN)
    share = f"{weights[tied[0]]:.1%}"
    st.metric(label, names, share if len(tied) == 1 else t("sa.top_each", share=share),
              delta_color="off", delta_arrow="off")


def top_keys(weights) -> list[int]:
    """The positions of the largest weight, in order: one, or all those tied with it (equal to ~1e-12)."""
    weights = np.asarray(weights, dtype=float)
    return np.flatnonzero(np.isclose(weights, weights.max(), rtol=1e-12, atol=0.0)).tolist()


def fallback_notice(count: int) -> None:
    """Say how many tokens got a random vector (neither GloVe nor the lexicon knows them), and
    that the charts mark them (ui.charts.mark)."""
    if count:
        st.info(t("common.fallback_marks", count=count), icon=":material/casino:")


def cell_section(prefix: str, equations: str, widths=(3, 2)) -> None:
    """A recurrent cell: its explanation beside its equations (its live diagram follows: ui/diagrams.py)."""
    st.subheader(t(f"{prefix}.cell_title"))
    explain, formulas = st.columns(list(widths), gap="large")
    explain.markdown(t(f"{prefix}.cell_explain"))
    formulas.latex(equations)


def step_header(number: int, key: str, formula: str) -> None:
    """A step of a computation: its number and title with a line of explanation, then its formula."""
    title = t("common.step", number=number, title=t(f"{key}.title"))
    st.markdown(f"### {title}\n\n{t(f'{key}.explain')}")  # one element: the page reruns often
    st.latex(formula)


def matrix_csv(M, rows, cols) -> str:
    """A matrix as CSV text: a header of column labels, one line per row, led by its label."""
    return pd.DataFrame(np.asarray(M), index=list(rows), columns=list(cols)).to_csv()


def matrix_download(key: str, matrices: dict) -> None:
    """One download for many matrices: pick one ({label: (M, row labels, column labels,
    file name)}) and get it as CSV. The file is only built when the button is clicked."""
    if st.session_state.get(key) not in matrices:  # e.g. Q, K, V gone with identity projections
        st.session_state[key] = next(iter(matrices))
    label = st.selectbox(t("common.download_which"), list(matrices), key=key)
    M, rows, cols, name = matrices[label]
    st.download_button(t("common.download_csv"), lambda: matrix_csv(M, rows, cols), file_name=f"{name}.csv",
                       mime="text/csv",
                       on_click="ignore", icon=":material/download:", key=f"{key}_button")


def sentence_tokens(prefix: str, limit: int) -> list[str]:
    """The learner's sentence as tokens (the long example first), cut to `limit` with a notice.

    Blank text stops the page with a warning: a recurrence needs something to read.
    """
    tokens = tokenize(sentence_input(prefix, long=True))
    if not tokens:
        st.warning(t("rnn.empty"), icon=":material/edit_note:")
        st.stop()
    if len(tokens) > limit:
        st.info(t("sa.cut", n=len(tokens), limit=limit), icon=":material/content_cut:")
    return tokens[:limit]


def cell_controls(prefix: str) -> tuple[int, int]:
    """The sidebar controls every recurrent page shares: hidden size and the weights' seed."""
    remember(f"{prefix}_hidden", 32, options=HIDDEN_SIZES)
    hidden = st.select_slider(t("rnn.hidden"), HIDDEN_SIZES, key=f"{prefix}_hidden", help=t("rnn.hidden_help"))
    remember(f"{prefix}_seed", 0, bounds=SEEDS)
    drawn = "rnn.seed_help" if prefix == "rnn" else "rnn.cell_seed_help"  # the RNN page rescales W_hh to its ρ
    seed = st.number_input(t("sa.seed"), *SEEDS, key=f"{prefix}_seed", help=t(drawn))
    return int(hidden), int(seed)


def section_tabs(key: str, sections: dict[str, str]):
    """Tabs of which only the open one runs and draws (Streamlit's stateful tabs): {id: label} in,
    the open tab's (id, container) out, for the page to draw that section alone.

    The id, not its translated label, is what is kept: under `key` (and in the URL, `?key=id`, by
    remember), so the choice outlives a language switch, a visit to another page and a shared link.
    The tabs widget itself is `<key>_tabs`; a click on a tab sets the id before the rerun."""
    ids = list(sections)
    for kept in (key, f"_kept_{key}"):  # from a run that offered other sections (other models): forgotten
        if st.session_state.get(kept, ids[0]) not in sections:
            del st.session_state[kept]
    chosen = remember(key, ids[0], options=ids)
    st.session_state[f"{key}_tabs"] = sections[chosen]  # the label, in this run's language
    tabs = st.tabs(list(sections.values()), key=f"{key}_tabs", on_change=_tab_chosen, args=(key, sections))
    return chosen, tabs[ids.index(chosen)]


def _tab_chosen(key: str, sections: dict[str, str]) -> None:
    label = st.session_state[f"{key}_tabs"]
    st.session_state[key] = next((i for i, shown in sections.items() if shown == label), next(iter(sections)))


def step_picker(prefix: str, labels: list[str]) -> int:
    """A slider over the sentence's tokens: the time step whose gates are shown (0-based)."""
    key = f"{prefix}_step"
    if remember(key, labels[0]) not in labels:
        st.session_state[key] = labels[0]
    return labels.index(st.select_slider(t("rnn.step"), labels, key=key))
