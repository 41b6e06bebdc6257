"""Seq2seq attention: a trained encoder-decoder translates Korean dates, and shows where it looked at every step."""

import streamlit as st

from core import dates
from core.translator import CONTEXTS
from ui import charts
from ui import s2s_view as view
from ui import translator as models
from ui.layout import page, t

page("s2s.title", "🧭")
st.title(t("s2s.title"))
st.markdown(t("s2s.intro"))
SHIPPED = models.load_shipped()  # also puts the shipped runs into the shared results cache
EXPERIMENT, _ = models.load_experiment()

with st.sidebar:
    st.header(t("sa.controls"))
    context = view.model_radio(t("s2s.model"), "s2s_model", CONTEXTS, "additive", help=t("s2s.model_help"))

# The task and the model
with st.expander(t("s2s.task_title")):
    st.markdown(t("s2s.task", first=dates.FIRST.year, last=dates.LAST.year))
st.markdown(t("s2s.model_explain", hidden=models.SHIPPED_RUNS[context].hidden,
              steps=models.SHIPPED_RUNS[context].steps, model=view.name(context)))

# One date, step by step
st.subheader(t("s2s.translate_title"))
parsed = view.readable(view.date_input())
if parsed is not None:
    example = parsed["text"]
    ex = view.translation(context, parsed, SHIPPED[context]["accuracy"])
    view.decoding(context, ex)  # step by step, then the whole alignment (a fragment: the step reruns it alone)
else:
    example = view.examples()[0]

# Train it yourself
st.subheader(t("s2s.train_title"))
st.markdown(t("s2s.train_explain", batch=models.BATCH, lr=models.LR, clip=models.CLIP, example=example))
with st.form("s2s_training", border=True):
    run = view.run_settings()
    train = st.form_submit_button(t("s2s.train"), type="primary", icon=":material/play_arrow:")
st.caption(t("s2s.cap", cap=models.TIME_CAP) if models.TIME_CAP else t("s2s.no_cap"))
if st.session_state.pop("s2s_capped", None):
    st.warning(t("s2s.capped", cap=models.TIME_CAP), icon=":material/timer:")
elif st.session_state.get("s2s_stop"):
    st.info(t("s2s.stopped"), icon=":material/stop_circle:")
result = models.finished(run)
if train and result is None:
    st.button(t("s2s.stop"), key="s2s_stop", icon=":material/stop:")
    view.train_live(run, example)
    st.rerun()
if result is not None:
    if run in models.SHIPPED_RUNS.values():
        st.caption(t("s2s.is_shipped"))
    view.trained(run, result, example)
else:
    st.info(t("s2s.not_trained"), icon=":material/play_circle:")

# The notes' claim as an experiment
st.subheader(t("s2s.exp_title"))
st.markdown(t("s2s.exp_explain", n=models.MAX_DATES, per=models.EXPERIMENT_HELD_OUT))
with st.form("s2s_experiment", border=True):
    experiment = view.experiment_settings(EXPERIMENT)
    rerun = st.form_submit_button(t("s2s.exp_run"), type="primary", icon=":material/play_arrow:")
done = models.experiment_done(experiment)
missing = [r for r in experiment.plan() if r not in done]
if st.session_state.pop("s2s_exp_capped", None):
    st.warning(t("s2s.capped", cap=models.TIME_CAP), icon=":material/timer:")
elif st.session_state.get("s2s_exp_stop"):
    st.info(t("s2s.stopped"), icon=":material/stop_circle:")
if rerun and missing:
    st.button(t("s2s.stop"), key="s2s_exp_stop", icon=":material/stop:")
    view.run_experiment(missing)
    st.rerun()
if experiment == EXPERIMENT:
    st.caption(t("s2s.exp_precomputed"))
if missing:
    st.info(t("s2s.exp_not_run", done=len(done), total=len(experiment.plan())), icon=":material/play_circle:")
view.experiment_results(experiment, done)
with st.expander(t("s2s.exp_why_title")):
    st.markdown(t("s2s.exp_why"))
charts.save_menu()
