"""GRU: two gates, no separate cell state, live on the learner's sentence, and one block fewer than the LSTM."""

import numpy as np
import streamlit as st

from ui import charts, compute, diagrams
from ui.compute import D_MODEL, GATE_BIAS, PARAM_HIDDEN_SIZES
from ui.i18n import number
from ui.layout import page, remember, t
from ui.widgets import cell_controls, cell_section, fallback_notice, sentence_tokens, step_picker

MAX_TOKENS = 48  # a Korean sentence is about twice as many morphemes as it has words
KINDS = ("rnn", "gru", "lstm")
EQUATIONS = r"""\begin{aligned}
r_t &= \sigma(W_{ir} x_t + W_{hr} h_{t-1} + b_r) \\
z_t &= \sigma(W_{iz} x_t + W_{hz} h_{t-1} + b_z) \\
n_t &= \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big) \\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}"""

page("gru.title", "🪶")
st.title(t("gru.title"))
st.markdown(t("gru.intro"))

tokens = sentence_tokens("gru", MAX_TOKENS)
words = charts.marked(tokens)  # † for a random vector, -를 for a particle: on the diagram as on the charts
labels = charts.numbered(words)
T = len(tokens)

with st.sidebar:
    st.header(t("sa.controls"))
    hidden, seed = cell_controls("gru")
units = [str(j) for j in range(hidden)]

# The cell: two gates, and the cell state merged into the hidden state; live at the chosen word
cell_section("gru", EQUATIONS, widths=(2, 3))


@st.fragment
def gates_at_step(trace: dict, norms: dict) -> None:
    """The chosen word's cell and gates: the step slider and the gate choice rerun only this section."""
    step = step_picker("gru", labels)
    diagrams.show(diagrams.gru_cell(trace, step, words[step], diagrams.texts("gru"),
                                    diagrams.carried(norms["hidden"], step)))
    st.caption(t("gru.diagram_caption"))
    st.subheader(t("gru.gates_title"))
    st.markdown(t("gru.gates_explain"))
    gate_heatmaps(trace, step)


def gate_heatmaps(trace: dict, step: int) -> None:
    """The gates and the merge that replaces the cell state at the step, then one gate over time."""
    h_prev = trace["H"][step - 1] if step else trace["h0"]
    r, z, n = (trace[k][step] for k in "rzn")
    gates = {"r": r, "z": z}
    signed = {"n": n, "keep_new": (1 - z) * n, "keep_old": z * h_prev, "H": trace["H"][step]}
    for column, rows, legend, diverging in zip(st.columns([2, 3]), (gates, signed),
                                               (t("rnn.gate_value"), t("rnn.value")), (False, True), strict=True):
        with column:  # gates in [0, 1] on the sequential scale; signed values, all within tanh's range, as the diagram
            charts.heatmap(np.stack(list(rows.values())), [t(f"gru.row_{k}") for k in rows], units,
                           x_title=t("rnn.axis_unit"), y_title="", value_title=legend, diverging=diverging,
                           domain=charts.TANH if diverging else None,
                           title=t("rnn.at_step", token=labels[step]), name=f'{t("gru.gates_title")} · {legend}')
    nothing_kept = "" if np.any(h_prev) else " " + t("gru.nothing_kept")  # h_0 = 0: the kept row is empty
    st.caption(t("gru.gate_means", r=r.mean(), z=z.mean()) + nothing_kept)
    remember("gru_gate", "z", options=("r", "z", "n"))
    gate = st.radio(t("rnn.over_time"), ("r", "z", "n"), key="gru_gate", horizontal=True,
                    format_func=lambda k: t(f"gru.row_{k}"))
    charts.heatmap(trace[gate], labels, units, x_title=t("rnn.axis_unit"), y_title=t("rnn.axis_step"),
                   value_title=gate, diverging=gate == "n", highlight_row=step,  # σ gates live in [0, 1]
                   domain=charts.TANH if gate == "n" else None,  # the candidate: tanh's range, as on the diagram
                   name=f'{t("rnn.over_time")} · {gate}')


@st.fragment
def driven_by_update_bias() -> None:
    """Everything the update-gate bias changes, its slider beside the memory it decides: a move reruns only this."""
    update_bias = remember("gru_update_bias", 0.0, bounds=GATE_BIAS)  # the slider is drawn below, by the memory
    trace, norms = compute.gru_run(tuple(tokens), hidden, seed, float(update_bias))
    rnn = compute.rnn_reference(tuple(tokens), hidden, seed)
    fallback_notice(trace["fallback"])
    gates_at_step(trace, norms)

    # The update gate's bias: a GRU can carry information too
    st.subheader(t("gru.memory_title"))
    st.markdown(t("gru.memory_explain"))
    st.slider(t("gru.update_bias"), *GATE_BIAS, step=0.5, key="gru_update_bias", help=t("gru.update_bias_help"))
    distance = T - np.arange(T)  # entry t is ∂h_T/∂h_t: T − t steps back
    charts.line_chart(
        charts.curves("distance", distance, "norm", {t("lstm.series_rnn"): rnn["hidden"],
                                                     t("gru.series_gru"): norms["hidden"]}),
        x="distance", y="norm", series="series", x_title=t("rnn.axis_distance"), y_title=t("rnn.axis_norm"),
        log_y=True, x_integer=True, name=t("gru.memory_title"),
        colors=charts.model_colors({t("lstm.series_rnn"): "rnn", t("gru.series_gru"): "gru"}),
    )
    mean_z, gru_h, rnn_h, held = st.columns(4)
    mean_z.metric(t("gru.mean_update"), f"{trace['z'].mean():.3f}")
    gru_h.metric(t("gru.gru_whole"), number(norms['hidden'][0]))
    rnn_h.metric(t("lstm.rnn_whole"), number(rnn['hidden'][0]), help=t("lstm.rnn_whole_help", radius=rnn["radius"]))
    held.metric(t("gru.first_input"), number(norms['inputs'][0]),
                t("lstm.first_input_rnn", value=number(rnn['inputs'][0])), delta_color="off", delta_arrow="off",
                help=t("gru.first_input_help"))


driven_by_update_bias()

# One gate fewer, made exact: 3 blocks against the LSTM's 4 and the RNN's 1
st.subheader(t("gru.params_title"))
st.markdown(t("gru.params_explain"))
curves = compute.parameter_curves(D_MODEL)
charts.line_chart(
    charts.curves("hidden", PARAM_HIDDEN_SIZES, "parameters", {t(f"gru.kind_{k}"): curves[k] for k in KINDS}),
    x="hidden", y="parameters", series="series", x_title=t("gru.axis_hidden"), y_title=t("gru.axis_params"),
    log_x=True, log_y=True, rule_at=hidden, name=t("gru.params_title"),
    colors=charts.model_colors({t(f"gru.kind_{k}"): k for k in KINDS}),
)
counts = {k: compute.parameter_breakdown(k, D_MODEL, hidden, 1) for k in KINDS}
sizes = {k: counts[k]["sizes"][0] for k in KINDS}
st.table(charts.table(**{  # every cell text, so every column aligns alike (a number column would align right)
    t("gru.col_cell"): [t(f"gru.kind_{k}") for k in KINDS],
    t("gru.col_blocks"): [str(counts[k]["shapes"][0]["W_hh"][0] // hidden) for k in KINDS],
    "W_ih": [f"{sizes[k]['W_ih']:,}" for k in KINDS],
    "W_hh": [f"{sizes[k]['W_hh']:,}" for k in KINDS],
    "b_ih + b_hh": [f"{sizes[k]['b_ih'] + sizes[k]['b_hh']:,}" for k in KINDS],
    t("lstm.col_total"): [f"{counts[k]['pytorch']:,}" for k in KINDS],
    t("gru.col_share"): [f"{counts[k]['pytorch'] / counts['lstm']['pytorch']:.0%}" for k in KINDS],
}), hide_index=True)
st.caption(t("gru.params_caption", d=D_MODEL, hidden=hidden,
             ratio=sizes["gru"]["W_hh"] / sizes["lstm"]["W_hh"]))
charts.save_menu()
