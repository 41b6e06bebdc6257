"""Memory lab: an RNN, an LSTM, a GRU and self-attention trained on one memory task: who remembers across the gap?"""

import streamlit as st

from ui import charts, compute, lab
from ui import lab_view as view
from ui.compute import SEEDS
from ui.layout import lang, page, remember, t

EXAMPLE_LAG = 8  # the task's example sequence: long enough to see, short enough to read
DEFAULTS, _ = lab.load_precomputed()  # also puts the saved runs and models into the shared caches

page("lab.title", "🧪")
st.title(t("lab.title"))
st.markdown(t("lab.intro"))

# The task, and one of its sequences
st.subheader(t("lab.task_title"))
st.markdown(t("lab.task_explain", symbols=lab.NUM_SYMBOLS, noise=lab.NOISE, chance=view.CHANCE))
channels = [t("lab.channel_symbol", n=i + 1) for i in range(lab.NUM_SYMBOLS)] + [t("lab.channel_flag"),
                                                                                 t("lab.channel_cue")]
# time across, channels down: as the heatmaps that look inside the trained models below
charts.heatmap(compute.lab_example(EXAMPLE_LAG, lab.NUM_SYMBOLS, lab.NOISE).T, channels,
               [str(i + 1) for i in range(EXAMPLE_LAG + 2)], x_title=t("lab.axis_time"), y_title=t("lab.axis_channel"),
               value_title=t("lab.value_input"), diverging=True, title=t("lab.task_chart", lag=EXAMPLE_LAG),
               name=t("lab.task_title"))

# The experiment's settings: nothing trains until the learner presses Train
st.subheader(t("lab.settings"))
with st.form("lab_settings", border=True):
    left, right = st.columns(2)
    with left:
        remember("lab_cells", list(DEFAULTS.kinds), options=lab.KINDS)
        cells = st.pills(t("lab.cells"), lab.KINDS, selection_mode="multi", key="lab_cells",
                         format_func=lambda kind: lab.label(kind, lang()))
        remember("lab_lags", list(DEFAULTS.lags), options=lab.LAG_CHOICES)
        lags = st.pills(t("lab.lags"), lab.LAG_CHOICES, selection_mode="multi", key="lab_lags")
        remember("lab_protocol", DEFAULTS.protocol, options=tuple(lab.PROTOCOLS))
        protocol = st.radio(t("lab.protocol"), tuple(lab.PROTOCOLS), key="lab_protocol", help=t("lab.protocol_help"),
                            format_func=lab.PROTOCOL_NAMES.get,
                            captions=[t(f"lab.protocol_{p}") for p in lab.PROTOCOL_NAMES])
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
                            hidden=int(hidden), steps=int(steps), seed=int(seed), runs=int(runs), protocol=protocol)
to_train = lab.missing(experiment)
plan = {"runs": len(to_train), "total": len(experiment.plan()), "steps": len(to_train) * experiment.steps}
if not to_train:
    st.caption(t("lab.plan_done", total=plan["total"]))
else:
    st.caption(t("lab.plan", **plan, cap=lab.TIME_CAP) if lab.TIME_CAP else t("lab.plan_no_cap", **plan))

# Training, when asked: a progress bar, a live loss curve and a Stop button (a click reruns the
# page, which ends this run at its next screen update; finished runs are kept)
if st.session_state.pop("lab_stopped_by_cap", None):
    st.warning(t("lab.capped", cap=lab.TIME_CAP, done=plan["total"] - len(to_train)), icon=":material/timer:")
elif st.session_state.get("lab_stop"):
    st.info(t("lab.stopped"), icon=":material/stop_circle:")
if train and to_train:
    st.button(t("lab.stop"), key="lab_stop", icon=":material/stop:")
    view.train_with_progress(experiment, to_train)
    st.rerun()

# The results: accuracy against the gap beside what it means and how every model was trained
finished = lab.done(experiment)
if to_train and not train:
    st.info(t("lab.not_run", done=plan["total"] - len(to_train), total=plan["total"]), icon=":material/play_circle:")
if experiment == DEFAULTS:
    st.caption(t("lab.precomputed"))
if not finished:
    st.stop()

st.subheader(t("lab.results_title"))
by_lag = lab.accuracy_by_lag(experiment, finished)
chart, finding = st.columns([3, 2])
with chart:
    view.accuracy_chart(by_lag)
with finding:
    st.markdown("\n".join(f"- {line}" for line in view.findings(experiment, finished, by_lag)))
with st.container(border=True):
    st.markdown(t("lab.protocol_title"))
    st.markdown(t(f"lab.protocol_explain_{experiment.protocol}", lr=lab.LR, clip=lab.CLIP, batch=lab.BATCH,
                  steps=experiment.steps, solved=lab.SOLVED))

st.markdown(f"**{t('lab.table_title')}**")
view.results_table(experiment, by_lag)

# Learning curves, and what training did inside the models, at one lag (a fragment: its lag reruns it alone)
view.learning_curves(experiment, finished)

# Inside the trained models (first seed), on one example sequence the learner can redraw (a fragment too)
view.inside_section(experiment, finished, channels)

st.subheader(t("lab.speed_title"))
view.speed(experiment, finished)
charts.save_menu()
