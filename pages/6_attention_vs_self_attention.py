"""Attention vs self-attention: the notes' comparison table, with live evidence beside it."""

import numpy as np
import streamlit as st

from core.embeddings import token_sources, tokenize
from ui import charts, compute, s2s_view, time_steps
from ui import translator as s2s_models
from ui.compute import SEEDS
from ui.i18n import number
from ui.layout import page, remember, t
from ui.widgets import sentence_input

MAX_TOKENS = 64
RADIUS = (0.3, 1.5)  # the spectral-radius slider's range
NOTES_ROWS = ("qkv", "time_steps", "long_term")  # the notes' own table
REVIEW_ROWS = ("query", "path", "cost", "parallel", "masks")  # what a reviewer also needs

page("cmp.title", "⚖️")
st.title(t("cmp.title"))
st.markdown(t("cmp.intro"))

st.subheader(t("cmp.table_title"))
rows = NOTES_ROWS + REVIEW_ROWS
st.table(charts.table(**{
    t("cmp.col_aspect"): [t(f"cmp.row_{r}") for r in rows],
    t("cmp.col_attention"): [t(f"cmp.row_{r}_attention") for r in rows],
    t("cmp.col_self"): [t(f"cmp.row_{r}_self") for r in rows],
}), hide_index=True)
st.caption(t("cmp.table_caption"))

# Row 1 as evidence: a trained decoder's states as queries over its encoder's states, or the
# encoder's states as their own queries (a fragment: its date reruns only that section)
st.subheader(t("cmp.both_title"))
st.markdown(t("cmp.both_explain"))
s2s_view.cmp_queries()

# Row 2 as evidence: n dependent steps against one product for all positions
time_steps.section()

# Row 3 as evidence, on trained encoder-decoders: is the first date still right as more follow?
st.subheader(t("cmp.trained_memory_title"))
st.markdown(t("cmp.trained_memory_explain", n=s2s_models.MAX_DATES))
s2s_view.cmp_early_information(*s2s_models.load_experiment())
st.info(t("cmp.long_term_note"), icon=":material/lightbulb:")


@st.fragment
def first_word() -> None:
    """Row 3's mechanism, on untrained weights: how much the first word still shapes each later position.
    Its own spectral radius and seed beside it, so moving them reruns only this section."""
    st.subheader(t("cmp.memory_title"))
    st.markdown(t("cmp.memory_explain"))
    tokens = tokenize(sentence_input("cmp", long=True))
    radius_col, seed_col = st.columns([3, 1])
    remember("cmp_radius", 0.9, bounds=RADIUS)
    radius = radius_col.slider(t("cmp.radius"), *RADIUS, step=0.05, key="cmp_radius", help=t("cmp.radius_help"))
    remember("cmp_seed", 0, bounds=SEEDS)
    seed = seed_col.number_input(t("sa.seed"), *SEEDS, key="cmp_seed")
    if len(tokens) < 2:
        st.warning(t("cmp.memory_short"), icon=":material/edit_note:")
        return
    if len(tokens) > MAX_TOKENS:
        st.info(t("sa.cut", n=len(tokens), limit=MAX_TOKENS), icon=":material/content_cut:")
        tokens = tokens[:MAX_TOKENS]
    random_vectors(tokens)
    rnn, attention = compute.first_word_influence(tuple(tokens), float(radius), 32, int(seed))
    distance = np.arange(len(tokens))
    curves = charts.table(
        distance=np.concatenate([distance, distance]),
        influence=np.concatenate([rnn, attention]),
        series=[t("cmp.series_rnn")] * len(tokens) + [t("cmp.series_self")] * len(tokens),
    )
    charts.line_chart(curves, x="distance", y="influence", series="series", x_title=t("cmp.axis_distance"),
                      y_title=t("cmp.axis_influence"), log_y=True, x_integer=True, name=t("cmp.memory_title"),
                      colors=charts.model_colors({t("cmp.series_rnn"): "rnn", t("cmp.series_self"): "self_attention"}))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("cmp.last_rnn", d=int(distance[-1])), number(rnn[-1]))  # the chart's last point
    c2.metric(t("cmp.last_self", d=int(distance[-1])), number(attention[-1]))
    ratio = attention[-1] / rnn[-1] if rnn[-1] > 0 else float("inf")
    c3.metric(t("cmp.ratio"), number(ratio, 2))
    if ratio < 1:  # a short sentence, or a radius that keeps the recurrence's loss small: say so
        turned = t("cmp.memory_turns") if radius < 1 else ""
        st.caption(t("cmp.memory_recurrence_ahead", ratio=number(ratio, 2), d=int(distance[-1]),
                     radius=f"{radius:.2f}") + turned)
    st.caption(t("cmp.memory_caption"))


def random_vectors(tokens: list[str]) -> None:
    """The chart draws no token, so which ones carry a random vector is said above it (marked † as elsewhere)."""
    sources = token_sources(tokens)
    if "fallback" in sources:
        marked = zip(charts.marked(tokens, sources), sources, strict=True)
        names = [word for word, source in marked if source == "fallback"]
        first = " " + t("cmp.memory_random_first") if sources[0] == "fallback" else ""
        st.info(t("cmp.memory_random", count=len(names), tokens=", ".join(names)) + first, icon=":material/casino:")


first_word()
charts.save_menu()
