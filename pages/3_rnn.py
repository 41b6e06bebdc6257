"""RNN: the recurrence unrolled over the learner's sentence, and why it forgets the distant past."""

import numpy as np
import streamlit as st

from ui import charts, compute, diagrams
from ui.compute import D_MODEL
from ui.i18n import number
from ui.layout import page, remember, t
from ui.widgets import cell_controls, fallback_notice, sentence_tokens, step_picker

MAX_TOKENS = 48  # a Korean sentence is about twice as many morphemes as it has words
RADIUS = (0.3, 2.0)  # the spectral-radius slider's range

page("rnn.title", "🔁")
st.title(t("rnn.title"))
st.markdown(t("rnn.intro"))

tokens = sentence_tokens("rnn", MAX_TOKENS)
words = charts.marked(tokens)  # † for a random vector, -를 for a particle: on the diagram as on the charts
labels = charts.numbered(words)
T = len(tokens)

with st.sidebar:
    st.header(t("sa.controls"))
    hidden, seed = cell_controls("rnn")

# The recurrence, unrolled over the sentence
st.subheader(t("rnn.unrolled_title"))
st.markdown(t("rnn.unrolled_explain"))
st.latex(r"h_t = \tanh\left(W_{ih}\, x_t + b_{ih} + W_{hh}\, h_{t-1} + b_{hh}\right)")


@st.fragment
def cell_at_step(r: dict) -> None:
    """The cell at the chosen word, live: its own step slider, so a move redraws only the diagram."""
    step = step_picker("rnn", labels)
    diagrams.show(diagrams.rnn_chain(r["H"], step, words, diagrams.texts("rnn"), diagrams.carried(r["hidden"], step)))
    st.caption(t("rnn.diagram_caption"))


@st.fragment
def driven_by_radius() -> None:
    """Everything the spectral radius changes, its slider beside the gradient it decides: a move reruns only this."""
    radius = remember("rnn_radius", 1.0, bounds=RADIUS)  # the slider is drawn below, where ρ is explained
    r = compute.rnn_run(tuple(tokens), hidden, seed, float(radius))
    fallback_notice(r["fallback"])
    st.caption(t("rnn.shapes", T=T, d=D_MODEL, hidden=hidden, default=r["default_radius"], radius=radius))
    cell_at_step(r)
    charts.heatmap(r["H"], labels, [str(i) for i in range(hidden)], x_title=t("rnn.axis_unit"),
                   y_title=t("rnn.axis_step"), value_title="h_t", diverging=True, domain=charts.TANH,
                   title=t("rnn.states_chart"), name=t("rnn.states_chart"))

    # Short-term yes, long-term no: the gradient through the hidden states
    st.subheader(t("rnn.gradient_title"))
    st.markdown(t("rnn.gradient_explain"))
    st.slider(t("rnn.radius"), *RADIUS, step=0.05, key="rnn_radius", help=t("rnn.radius_help"))
    st.latex(r"\frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} D\!\left(1 - h_k^2\right) W_{hh}"
             rf"\qquad \rho(W_{{hh}}) = {radius:.2f}")
    distance = T - np.arange(T)  # entry t is ∂h_T/∂h_t: T − t steps back
    charts.line_chart(
        charts.curves("distance", distance, "norm", {
            t("rnn.series_rnn"): r["hidden"],
            t("rnn.series_trend", radius=radius): float(radius) ** distance,
        }),
        x="distance", y="norm", series="series", x_title=t("rnn.axis_distance"), y_title=t("rnn.axis_norm"),
        log_y=True, x_integer=True, name=t("rnn.gradient_title"),
        colors=charts.model_colors({t("rnn.series_rnn"): "rnn", t("rnn.series_trend", radius=radius): "reference"}),
    )
    near, far, rate = st.columns(3)
    near.metric(t("rnn.norm_near"), number(r['hidden'][-1]))
    far.metric(t("rnn.norm_far", n=T), number(r['hidden'][0]))
    if T > 1:
        far_per_step = (r["hidden"][0] / r["hidden"][-1]) ** (1 / (T - 1))
        rate.metric(t("rnn.per_step", n=T), f"×{far_per_step:.3f}", help=t("rnn.per_step_help", steps=T - 1))
    else:  # ‖∂h_T/∂h_0‖ and ‖∂h_T/∂h_(T−1)‖ are one entry
        rate.metric(t("rnn.per_step", n=T), "–", help=t("rnn.per_step_one"))
    st.caption(t("rnn.gradient_caption", norm=r["norm"]))

    # What h_T still knows about each word
    st.subheader(t("rnn.inputs_title"))
    st.markdown(t("rnn.inputs_explain"))
    st.latex(r"\frac{\partial h_T}{\partial x_t} = \frac{\partial h_T}{\partial h_t}\,\frac{\partial h_t}{\partial x_t}"
             r" = \frac{\partial h_T}{\partial h_t}\, D\!\left(1 - h_t^2\right) W_{ih}")
    charts.bar_chart(labels, r["inputs"], x_title=t("rnn.axis_input"), y_title=t("rnn.axis_input_norm"),
                     log_y=True, name=t("rnn.inputs_title"), wide=True)
    last, first = st.columns(2)
    last.metric(t("rnn.input_last"), number(r['inputs'][-1]))
    first.metric(t("rnn.input_first"), number(r['inputs'][0]))
    first_over_last = r["inputs"][0] / r["inputs"][-1]  # one word: the first is the last, nothing to compare
    verdict = t("rnn.inputs_fade" if first_over_last < 1 else "rnn.inputs_grow", ratio=number(first_over_last))
    st.caption(f'{verdict} {t("rnn.inputs_caption")}' if T > 1 else t("rnn.inputs_caption"))


driven_by_radius()
charts.save_menu()
