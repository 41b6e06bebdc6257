"""Widgets several pages share: the learner's sentence, a step's header, CSV downloads."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from ui.layout import lang, remember, t

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples.json"
MAX_CHARS = 20_000


@lru_cache(maxsize=1)
def examples() -> dict[str, list[str]]:
    """Built-in example sentences, {"en": [...], "ko": [...]}."""
    return json.loads(EXAMPLES.read_text(encoding="utf-8"))


def sentence_input(prefix: str) -> str:
    """A text box for the learner's sentence, with example sentences to pick from.

    The first visit starts on an example in the reader's language; picking an
    example copies it into the box, where the learner can edit it.
    """
    ours, other = lang(), "ko" if lang() == "en" else "en"
    choices = examples()[ours] + examples()[other]
    text_key, pick_key = f"{prefix}_text", f"{prefix}_example"
    remember(text_key, choices[0])

    def use_example() -> None:
        if st.session_state[pick_key] is not None:
            st.session_state[text_key] = st.session_state[pick_key]
            st.session_state[pick_key] = None  # back to "pick an example": a menu, not a mode

    st.selectbox(
        t("common.examples"), choices, index=None, key=pick_key,
        placeholder=t("common.examples_placeholder"), on_change=use_example,
    )
    return st.text_area(t("common.sentence"), key=text_key, max_chars=MAX_CHARS, height=80)


def step_header(number: int, key: str, formula: str) -> None:
    """A step of a computation: its number and title with a line of explanation, then its formula."""
    title = t("common.step", number=number, title=t(f"{key}.title"))
    st.markdown(f"### {title}\n\n{t(f'{key}.explain')}")  # one element: the page reruns often
    st.latex(formula)


def download_csv(M, row_labels, col_labels, name: str) -> None:
    """A button that downloads a matrix as CSV; the file is only built when clicked."""

    def build() -> str:
        return pd.DataFrame(np.asarray(M), index=list(row_labels), columns=list(col_labels)).to_csv()

    st.download_button(
        t("common.download_csv"), build, file_name=f"{name}.csv", mime="text/csv",
        on_click="ignore", icon=":material/download:", key=f"dl_{name}",
    )
