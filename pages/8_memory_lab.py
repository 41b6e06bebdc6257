"""Memory lab: train the RNN, LSTM and GRU on one memory task and see which still remembers as the gap grows."""

import math
import time

import numpy as np
import streamlit as st

from ui import charts, compute, lab
from ui.compute import SEEDS
from ui.layout import page, remember, t

EXAMPLE_LAG = 8  # the example sequence's gap: long enough to see, short enough to read
SMOOTHING = 20  # steps in the loss curves' moving average
COLORS = charts.model_colors({lab.label(k): k for k in lab.KINDS})  # a cell keeps its colour on every chart
DEFAULTS, _ = lab.load_precomputed()  # also puts the saved runs into the shared results cache
CHANCE = 1 / lab.NUM_SYMBOLS


def live_report(bar, live, kind: str, position: dict, fraction, steps: int, started: float):
    """core.training.train's callback for one run: every ~0.3 s, move the progress bar and redraw
    the run's loss curve; past the time cap, ask training to stop."""
    losses, clock = [], {"shown": 0.0}

    def report(step: int, loss: float) -> bool:
        losses.append(loss)
        now = time.perf_counter()
        if now - clock["shown"] > 0.3 or step == steps:
            clock["shown"] = now
            bar.progress(fraction(step / steps), text=t("lab.progress", **position, step=step, steps=steps))
            with live.container():
                charts.line_chart(charts.curves("step", np.arange(1, len(losses) + 1), "loss",
                                                {lab.label(kind): losses}),
                                  x="step", y="loss", series="series", x_title=t("lab.axis_step"),
                                  y_title=t("lab.axis_loss"), colors=COLORS, points=False, height=200)
        return bool(lab.TIME_CAP) and now - started > lab.TIME_CAP

    return report


def train_with_progress(experiment: lab.Experiment, missing: list) -> None:
    """Train the runs not yet done under a progress bar and a live loss curve, keeping each one
    that finishes. A run cut by the time cap is not a result: it is dropped, with a notice."""
    bar, live = st.progress(0.0), st.empty()
    started = time.perf_counter()
    for i, (lag, kind, run_seed) in enumerate(missing):
        position = {"i": i + 1, "n": len(missing), "cell": lab.label(kind), "lag": lag, "seed": run_seed}
        report = live_report(bar, live, kind, position, lambda done, i=i: (i + done) / len(missing),
                             experiment.steps, started)
        result = lab.train_run(experiment, lag, kind, run_seed, callback=report)
        if result["steps"] < experiment.steps:
            st.session_state.lab_stopped_by_cap = True
            return
        lab.RESULTS.put(experiment.key(lag, kind, run_seed), result)


page("lab.title", "🧪")
st.title(t("lab.title"))
st.markdown(t("lab.intro"))

# The task, and one of its sequences
st.subheader(t("lab.task_title"))
st.markdown(t("lab.task_explain", symbols=lab.NUM_SYMBOLS, noise=lab.NOISE, chance=CHANCE))
channels = [t("lab.channel_symbol", n=i + 1) for i in range(lab.NUM_SYMBOLS)] + [t("lab.channel_flag"),
                                                                                 t("lab.channel_cue")]
charts.heatmap(compute.lab_example(EXAMPLE_LAG, lab.NUM_SYMBOLS, lab.NOISE), [str(i + 1) for i in
               range(EXAMPLE_LAG + 2)], channels, x_title=t("lab.axis_channel"), y_title=t("lab.axis_time"),
               value_title="x", diverging=True, title=t("lab.task_chart", lag=EXAMPLE_LAG), name=t("lab.task_title"))

# The experiment's settings: nothing trains until the learner presses Train
st.subheader(t("lab.settings"))
with st.form("lab_settings", border=True):
    left, right = st.columns(2)
    with left:
        remember("lab_cells", list(DEFAULTS.kinds), options=lab.KINDS)
        cells = st.pills(t("lab.cells"), lab.KINDS, selection_mode="multi", key="lab_cells", format_func=lab.label)
        remember("lab_lags", list(DEFAULTS.lags), options=lab.LAG_CHOICES)
        lags = st.pills(t("lab.lags"), lab.LAG_CHOICES, selection_mode="multi", key="lab_lags")
        remember("lab_gate_bias", DEFAULTS.gate_bias, bounds=lab.GATE_BIAS)
        gate_bias = st.slider(t("lab.gate_bias"), *lab.GATE_BIAS, step=0.5, key="lab_gate_bias",
                              help=t("lab.gate_bias_help"))
    with right:
        remember("lab_hidden", DEFAULTS.hidden, options=lab.HIDDEN_CHOICES)
        hidden = st.select_slider(t("lab.hidden"), lab.HIDDEN_CHOICES, key="lab_hidden")
        remember("lab_steps", DEFAULTS.steps, options=lab.STEP_CHOICES)
        steps = st.select_slider(t("lab.steps"), lab.STEP_CHOICES, key="lab_steps", help=t("lab.steps_help"))
        remember("lab_seed", DEFAULTS.seed, bounds=SEEDS)
        seed = st.number_input(t("lab.seed"), *SEEDS, key="lab_seed")
        remember("lab_runs", DEFAULTS.runs, bounds=(1, lab.MAX_RUNS))
        runs = st.slider(t("lab.runs"), 1, lab.MAX_RUNS, key="lab_runs", help=t("lab.runs_help"))
    train = st.form_submit_button(t("lab.run"), type="primary", icon=":material/play_arrow:")

if not cells or not lags:
    st.warning(t("lab.nothing"), icon=":material/touch_app:")
    st.stop()
experiment = lab.Experiment(kinds=tuple(k for k in lab.KINDS if k in cells), lags=tuple(sorted(lags)),
                            hidden=int(hidden), steps=int(steps), seed=int(seed), runs=int(runs),
                            gate_bias=float(gate_bias))
plan = experiment.plan()
total_steps = sum(experiment.steps for _ in plan)
st.caption(t("lab.plan", runs=len(plan), steps=total_steps, cap=lab.TIME_CAP) if lab.TIME_CAP
           else t("lab.plan_no_cap", runs=len(plan), steps=total_steps))

# Training, when asked: a progress bar, a live loss curve and a Stop button (a click reruns the
# page, which ends this run at its next screen update; finished runs are kept)
finished = lab.done(experiment)
missing = [run for run in plan if run not in finished]
if st.session_state.pop("lab_stopped_by_cap", None):
    st.warning(t("lab.capped", cap=lab.TIME_CAP, done=len(finished)), icon=":material/timer:")
elif st.session_state.get("lab_stop"):
    st.info(t("lab.stopped"), icon=":material/stop_circle:")
if train and missing:
    st.button(t("lab.stop"), key="lab_stop", icon=":material/stop:")
    train_with_progress(experiment, missing)
    st.rerun()

# The results: accuracy against the gap, every run, the learning curves, the speed
finished = lab.done(experiment)
if missing and not train:
    st.info(t("lab.not_run", done=len(finished), total=len(plan)), icon=":material/play_circle:")
if experiment == DEFAULTS:
    st.caption(t("lab.precomputed"))
if not finished:
    st.stop()

st.subheader(t("lab.results_title"))
by_lag = lab.accuracy_by_lag(experiment, finished)
lines = {lab.label(k): (lags_done, mean) for k, (lags_done, mean, _, _) in by_lag.items() if lags_done}
if lines:
    charts.line_chart(charts.table(lag=np.concatenate([x for x, _ in lines.values()]),
                                   accuracy=np.concatenate([y for _, y in lines.values()]),
                                   series=[name for name, (x, _) in lines.items() for _ in x]),
                      x="lag", y="accuracy", series="series", x_title=t("lab.axis_lag"),
                      y_title=t("lab.axis_accuracy"), y_rule_at=CHANCE, colors=COLORS, name=t("lab.results_title"))
    st.caption(t("lab.accuracy_caption", chance=CHANCE))
    longest = max(lag for lags_done, *_ in by_lag.values() for lag in lags_done)
    at_longest = [t("lab.finding_item", cell=lab.label(k), accuracy=mean[lags_done.index(longest)])
                  for k, (lags_done, mean, _, _) in by_lag.items() if longest in lags_done]
    st.markdown(t("lab.finding", lag=longest, results=", ".join(at_longest)))

st.markdown(f"**{t('lab.table_title')}**")
rows = {t("lab.col_cell"): [lab.label(k) for k in experiment.kinds]}
for lag in experiment.lags:
    cells_at_lag = []
    for kind in experiment.kinds:
        lags_done, mean, low, high = by_lag[kind]
        j = lags_done.index(lag) if lag in lags_done else None
        spread = "" if j is None or f"{low[j]:.0%}" == f"{high[j]:.0%}" else f" ({low[j]:.0%}–{high[j]:.0%})"
        cells_at_lag.append("" if j is None else f"{mean[j]:.0%}{spread}")
    rows[t("lab.col_lag", lag=lag)] = cells_at_lag
st.dataframe(rows, hide_index=True)
st.caption(t("lab.table_caption"))

@st.fragment
def learning_curves() -> None:
    """The mean loss curves at one lag: the lag's control reruns only this section."""
    st.subheader(t("lab.loss_title"))
    lags_with_runs = sorted({lag for lag, _, _ in finished})
    remember("lab_loss_lag", lags_with_runs[-1], options=lags_with_runs)
    if st.session_state.lab_loss_lag not in lags_with_runs:
        st.session_state.lab_loss_lag = lags_with_runs[-1]
    loss_lag = st.segmented_control(t("lab.loss_lag"), lags_with_runs, key="lab_loss_lag", required=True)
    curves = {lab.label(k): lab.smooth(loss, SMOOTHING) for k in experiment.kinds
              if (loss := lab.mean_loss(experiment, finished, loss_lag, k)) is not None}
    n = min(len(c) for c in curves.values())
    charts.line_chart(charts.curves("step", np.arange(1, n + 1), "loss", {k: c[:n] for k, c in curves.items()}),
                      x="step", y="loss", series="series", x_title=t("lab.axis_step"), y_title=t("lab.axis_loss"),
                      y_rule_at=math.log(lab.NUM_SYMBOLS), colors=COLORS, points=False, name=t("lab.loss_title"))
    st.caption(t("lab.loss_caption", window=SMOOTHING, symbols=lab.NUM_SYMBOLS, chance_loss=math.log(lab.NUM_SYMBOLS)))


learning_curves()

st.subheader(t("lab.speed_title"))
speed = lab.steps_per_second(finished)
for column, kind in zip(st.columns(len(experiment.kinds)), experiment.kinds, strict=True):
    column.metric(t("lab.speed", cell=lab.label(kind)), f"{speed[kind]:,.0f}" if kind in speed else "–")
st.caption(t("lab.speed_caption"))

with st.expander(t("lab.why_title")):
    st.markdown(t("lab.why"))
charts.save_menu()
