"""LSTM: three gates and a cell state, live on the learner's sentence, and what they cost."""

import numpy as np
import streamlit as st

from ui import charts, compute, diagrams
from ui.compute import D_MODEL, GATE_BIAS
from ui.i18n import number
from ui.layout import page, remember, t
from ui.widgets import cell_controls, cell_section, fallback_notice, sentence_tokens, step_picker

MAX_TOKENS = 48  # a Korean sentence is about twice as many morphemes as it has words
GATES = ("f", "i", "g", "o")  # the order the page explains them in (PyTorch stacks i, f, g, o)
EQUATIONS = r"""\begin{aligned}
f_t &= \sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f) \\
i_t &= \sigma(W_{ii} x_t + W_{hi} h_{t-1} + b_i) \\
\tilde c_t &= \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g) \\
o_t &= \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o) \\
c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
h_t &= o_t \odot \tanh(c_t)
\end{aligned}"""

page("lstm.title", "🧮")
st.title(t("lstm.title"))
st.markdown(t("lstm.intro"))

tokens = sentence_tokens("lstm", MAX_TOKENS)
words = charts.marked(tokens)  # † for a random vector, -를 for a particle: on the diagram as on the charts
labels = charts.numbered(words)
T = len(tokens)

with st.sidebar:
    st.header(t("sa.controls"))
    hidden, seed = cell_controls("lstm")
units = [str(j) for j in range(hidden)]

# The cell, live at the chosen word, and its gates step by step
cell_section("lstm", EQUATIONS, widths=(3, 2))


@st.fragment
def gates_at_step(trace: dict, norms: dict) -> None:
    """The chosen word's cell and gates: the step slider and the gate choice rerun only this section."""
    step = step_picker("lstm", labels)
    diagrams.show(diagrams.lstm_cell(trace, step, words[step], diagrams.texts("lstm"),
                                     diagrams.carried(norms["cell"], step)))
    st.caption(t("lstm.diagram_caption"))
    st.subheader(t("lstm.gates_title"))
    st.markdown(t("lstm.gates_explain"))
    gate_heatmaps(trace, step)


def gate_heatmaps(trace: dict, step: int) -> None:
    """The gates at the step (sequential scale) beside the signed values, then one gate over time."""
    for column, rows, legend, signed in zip(st.columns(2), (("f", "i", "o"), ("g", "C", "H")),
                                           (t("rnn.gate_value"), t("rnn.value")), (False, True), strict=True):
        with column:  # gates in [0, 1] on the sequential scale, signed values on the diverging one
            charts.heatmap(np.stack([trace[k][step] for k in rows]), [t(f"lstm.row_{k}") for k in rows], units,
                           x_title=t("rnn.axis_unit"), y_title="", value_title=legend, diverging=signed,
                           reach=1.0 if signed else None,  # ±1 as on the diagram, further where c_t exceeds it
                           title=t("rnn.at_step", token=labels[step]), name=f'{t("lstm.gates_title")} · {legend}')
    st.caption(t("lstm.gate_means", f=trace["f"][step].mean(), i=trace["i"][step].mean(), o=trace["o"][step].mean()))
    remember("lstm_gate", "f", options=GATES)
    gate = st.radio(t("rnn.over_time"), GATES, key="lstm_gate", horizontal=True,
                    format_func=lambda k: t(f"lstm.row_{k}"))
    charts.heatmap(trace[gate], labels, units, x_title=t("rnn.axis_unit"), y_title=t("rnn.axis_step"),
                   value_title=gate, diverging=gate == "g", highlight_row=step,  # σ gates live in [0, 1]
                   domain=charts.TANH if gate == "g" else None,  # the candidate: tanh's range, as on the diagram
                   name=f'{t("rnn.over_time")} · {gate}')


@st.fragment
def driven_by_forget_bias() -> None:
    """Everything the forget-gate bias changes, its slider beside the memory it decides: a move reruns only this."""
    forget_bias = remember("lstm_forget_bias", 1.0, bounds=GATE_BIAS)  # the slider is drawn below, by the memory
    trace, norms = compute.lstm_run(tuple(tokens), hidden, seed, float(forget_bias))
    rnn = compute.rnn_reference(tuple(tokens), hidden, seed)
    fallback_notice(trace["fallback"])
    gates_at_step(trace, norms)

    # The forget gate's bias: does the cell carry information?
    st.subheader(t("lstm.memory_title"))
    st.markdown(t("lstm.memory_explain"))
    st.slider(t("lstm.forget_bias"), *GATE_BIAS, step=0.5, key="lstm_forget_bias", help=t("lstm.forget_bias_help"))
    distance = T - np.arange(T)  # entry t is a Jacobian from step t to step T: T − t steps
    charts.line_chart(
        charts.curves("distance", distance, "norm", {
            t("lstm.series_rnn"): rnn["hidden"],
            t("lstm.series_cell"): norms["cell_full"],
            t("lstm.series_forget"): norms["cell"],
        }),
        x="distance", y="norm", series="series", x_title=t("rnn.axis_distance"), y_title=t("rnn.axis_norm"),
        log_y=True, x_integer=True, name=t("lstm.memory_title"),
        colors=charts.model_colors({t("lstm.series_rnn"): "rnn", t("lstm.series_cell"): "lstm",
                                    t("lstm.series_forget"): "reference"}),
    )
    mean_f, cell, rnn_h, held = st.columns(4)
    mean_f.metric(t("lstm.mean_forget"), f"{trace['f'].mean():.3f}")
    cell.metric(t("lstm.cell_whole"), number(norms['cell_full'][0]))
    rnn_h.metric(t("lstm.rnn_whole"), number(rnn['hidden'][0]), help=t("lstm.rnn_whole_help", radius=rnn["radius"]))
    held.metric(t("lstm.first_input"), number(norms['cell_inputs'][0]),
                t("lstm.first_input_rnn", value=number(rnn['inputs'][0])), delta_color="off", delta_arrow="off",
                help=t("lstm.first_input_help"))
    st.caption(t("lstm.memory_caption"))


driven_by_forget_bias()


@st.fragment
def parameter_calculator() -> None:
    """3 gates → many parameters: a calculator with its own inputs, so it reruns alone."""
    st.subheader(t("lstm.params_title"))
    st.markdown(t("lstm.params_explain"))
    chosen = []
    for column, (name, default, top) in zip(st.columns(3), (("input", D_MODEL, 4096), ("hidden", 128, 4096),
                                                            ("layers", 1, 8)), strict=True):
        remember(f"lstm_calc_{name}", default, bounds=(1, top))
        chosen.append(int(column.number_input(t(f"lstm.calc_{name}"), 1, top, key=f"lstm_calc_{name}")))
    size, width, depth = chosen
    lstm = compute.parameter_breakdown("lstm", size, width, depth)
    rnn_count = compute.parameter_breakdown("rnn", size, width, depth)["pytorch"]
    st.table(charts.table(**{  # every cell text, so every column aligns alike (a number column would align right)
        t("lstm.col_layer"): [str(k) for k in range(1, depth + 1)],
        **{name: [compute.shape_text(layer[name]) for layer in lstm["shapes"]] for name in lstm["shapes"][0]},
        t("lstm.col_total"): [f"{sum(n.values()):,}" for n in lstm["sizes"]],
    }), hide_index=True)
    pytorch, textbook, rnn_col = st.columns(3)
    pytorch.metric(t("lstm.count_pytorch"), f"{lstm['pytorch']:,}")
    textbook.metric(t("lstm.count_textbook"), f"{lstm['textbook']:,}",
                    number(lstm['textbook'] - lstm['pytorch']), delta_color="off", delta_arrow="off")
    rnn_col.metric(t("lstm.count_rnn"), f"{rnn_count:,}", t("lstm.times_rnn", ratio=lstm["pytorch"] / rnn_count),
                   delta_color="off", delta_arrow="off")
    st.markdown(t("lstm.params_why", extra=lstm["pytorch"] - lstm["textbook"], hidden=width, layers=depth))


st.divider()
parameter_calculator()
charts.save_menu()
