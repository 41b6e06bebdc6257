"""The seq2seq page's sections: one translation step by step, live training, the length experiment.

The pages/2_seq2seq_attention.py script reads like the screen; the drawing lives here.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import streamlit as st

from core import dates, translator
from ui import charts, compute
from ui import translator as models
from ui.compute import SEEDS
from ui.lab import smooth
from ui.layout import remember, t
from ui.widgets import MAX_CHARS, _example_picker

# The app's colour language (charts.MODEL_COLORS): every scoring function is attention, drawn in attention's
# colour (a chart shows one of them at a time, beside the fixed context), the fixed context in its own.
COLORS = {**{score: charts.MODEL_COLORS["attention"] for score in translator.SCORES},
          "fixed": charts.MODEL_COLORS["fixed_context"]}
EXAMPLE_DAYS = (dt.date(2023, 3, 23), dt.date(1945, 8, 15), dt.date(2002, 6, 18), dt.date(1969, 7, 20),
                dt.date(2099, 12, 31), dt.date(1900, 1, 1))
FORMULAS = {
    "dot": r"\mathrm{score}(q_i, h_{e,j}) = q_i^\top h_{e,j}",
    "general": r"\mathrm{score}(q_i, h_{e,j}) = q_i^\top W_a\, h_{e,j}",
    "additive": r"\mathrm{score}(q_i, h_{e,j}) = v^\top \tanh(W_1 h_{e,j} + W_2 q_i)",
}
STEP = (r",\quad q_i = s_{i-1},\quad a_i = \mathrm{softmax}(\mathrm{score}_i),"
        r"\quad c_i = \textstyle\sum_j a_{ij} h_{e,j}")


# The models' names on radio buttons, the same in both languages (AppTest formats a radio's options
# outside the page's language); what each one is goes in the radio's captions, translated.
LABELS = {"dot": "attention · dot", "general": "attention · general (Luong)",
          "additive": "attention · additive (Bahdanau)", "fixed": "fixed context (Cho et al. 2014)"}


def name(context: str) -> str:
    """A model's name in the learner's language, for charts and sentences."""
    return t(f"s2s.context_{context}")


def model_radio(label: str, key: str, options, default: str, **extra) -> str:
    remember(key, default, options=options)
    return st.radio(label, options, key=key, format_func=LABELS.get,
                    captions=[t(f"s2s.caption_{c}") for c in options], **extra)


def examples() -> list[str]:
    return [dates.korean(d, weekday=i % 3 != 2) for i, d in enumerate(EXAMPLE_DAYS)]


def date_input() -> str:
    """The Korean date box, with example dates to pick from."""
    remember("s2s_date", examples()[0])
    _example_picker(t("s2s.examples"), "s2s_example", examples(), lambda text: {"s2s_date": text})
    return st.text_input(t("s2s.date"), key="s2s_date", max_chars=MAX_CHARS, help=t("s2s.date_help"))


def readable(text: str) -> dict | None:
    """The parsed date, or None after saying, in the learner's language, why the model cannot read it."""
    parsed = dates.parse(text)
    if not parsed["ok"]:
        st.warning(t(f"s2s.cannot_{parsed['reason']}", detail=parsed["detail"], first=dates.FIRST.year,
                     last=dates.LAST.year), icon=":material/block:")
        if parsed["reason"] == "characters":
            st.code(parsed["detail"], language=None)  # the learner's own characters: shown as text, never Markdown
        return None
    if not parsed["weekday_matches"]:
        real = dates.WEEKDAYS_KO[parsed["date"].weekday()]
        st.warning(t("s2s.weekday_mismatch", weekday=f"{real}요일"), icon=":material/event_busy:")
    return parsed


def expected_tokens(parsed: dict) -> list[str]:
    """The right English for what the learner wrote (a wrong weekday is translated as written, not corrected)."""
    tokens = dates.english_tokens(parsed["date"], parsed["weekday_given"])
    if parsed["weekday_given"]:
        tokens[0] = dates.WEEKDAYS_EN[dates.WEEKDAYS_KO.index(parsed["text"][-3])]
    return tokens


# --- one translation, step by step ------------------------------------------------------------


def translation(context: str, parsed: dict, accuracy: float) -> dict:
    """The shipped model's translation of the date, right or wrong, and what it is generally worth."""
    ex = compute.s2s_explain(context, parsed["text"])
    words = [w for w in ex["tokens"] if w != dates.EOS]
    left, right = st.columns([3, 2])
    left.metric(t("s2s.translation"), dates.to_text(words) or "–")
    right.metric(t("s2s.held_out"), f"{accuracy:.1%}", help=t("s2s.held_out_help", n=models.HELD_OUT_SIZE))
    if ex["tokens"][-1] != dates.EOS:
        st.error(t("s2s.no_eos", cap=len(ex["tokens"])), icon=":material/error:")
    elif words == expected_tokens(parsed):
        st.success(t("s2s.right"), icon=":material/check_circle:")
    else:
        st.error(t("s2s.wrong", expected=dates.to_text(expected_tokens(parsed))), icon=":material/error:")
    return ex


def step_by_step(context: str, ex: dict) -> int:
    """One output step: the query, the scores and weights over the characters, the context, the top five.
    Returns the step shown (its row in the alignment)."""
    out_labels, src_labels = charts.numbered(ex["tokens"]), charts.numbered(ex["chars"])
    if remember("s2s_step", out_labels[0]) not in out_labels:
        st.session_state.s2s_step = out_labels[0]
    i = out_labels.index(st.select_slider(t("s2s.step"), out_labels, key="s2s_step"))
    if context == "fixed":
        st.latex(r"c_i = h_{e,n},\quad i = 1, \dots, m")
        st.info(t("s2s.fixed_explain"), icon=":material/info:")
    else:
        st.latex(FORMULAS[context] + STEP)
        scores_col, weights_col = st.columns(2)
        with scores_col:
            charts.bar_chart(src_labels, ex["scores"][i], x_title=t("s2s.axis_source"), y_title=t("sa.score"),
                             diverging=True, title=t("s2s.scores_title", token=out_labels[i]),
                             name=f'{t("s2s.step_title")} · {t("sa.score")}')
        with weights_col:
            charts.bar_chart(src_labels, ex["weights"][i], x_title=t("s2s.axis_source"), y_title=t("sa.weight"),
                             title=t("s2s.weights_title", token=out_labels[i]),
                             name=f'{t("s2s.step_title")} · {t("sa.weight")}')
    dims = [str(d) for d in range(ex["query"].shape[1])]
    query_col, context_col, top_col = st.columns(3)
    with query_col:
        charts.bar_chart(dims, ex["query"][i], x_title=t("sa.axis_dim"), y_title="q = s",
                         diverging=True, title=t("s2s.query_title", token=out_labels[i]),
                         name=f'{t("s2s.step_title")} · q')
    with context_col:
        charts.bar_chart(dims, ex["context"][i], x_title=t("sa.axis_dim"), y_title="c", diverging=True,
                         title=t("s2s.context_title", token=out_labels[i]), name=f'{t("s2s.step_title")} · c')
    with top_col:
        words, probs = models.top_tokens(ex["probs"][i])
        charts.bar_chart(words, probs, x_title=t("s2s.axis_token"), y_title=t("s2s.axis_probability"),
                         title=t("s2s.top_title", token=out_labels[i]),
                         name=f'{t("s2s.step_title")} · {t("s2s.axis_probability")}')
    return i


@st.fragment
def decoding(context: str, ex: dict) -> None:
    """Step by step, then the whole alignment with that step outlined. A fragment: moving the step
    reruns only this section on a server."""
    st.subheader(t("s2s.step_title"))
    st.markdown(t("s2s.step_explain"))
    row = step_by_step(context, ex)
    st.subheader(t("s2s.alignment_title"))
    st.markdown(t("s2s.alignment_explain"))
    alignment(context, ex, highlight=row, label=t("s2s.alignment_title"))


def alignment(context: str, ex: dict, highlight: int | None = None, label: str | None = None) -> None:
    """The whole learned alignment, and what it shows, read off the numbers (`label`: in the save menu)."""
    if context == "fixed":
        st.info(t("s2s.fixed_no_alignment"), icon=":material/info:")
        return
    out_labels, src_labels = charts.numbered(ex["tokens"]), charts.numbered(ex["chars"])
    charts.heatmap(ex["weights"], out_labels, src_labels, x_title=t("s2s.axis_source"), y_title=t("s2s.axis_target"),
                   value_title=t("sa.weight"), highlight_row=highlight, name=label)
    j = int(np.argmax(ex["weights"][0]))
    st.caption(t("s2s.alignment_found", token=out_labels[0], char=src_labels[j], weight=ex["weights"][0, j]))


# --- training, live -----------------------------------------------------------------------------


def run_settings() -> models.Run:
    """The training form's settings (the shipped models' by default)."""
    left, right = st.columns(2)
    with left:
        context = model_radio(t("s2s.model"), "s2s_train_context", translator.CONTEXTS, "additive")
        remember("s2s_train_hidden", 32, options=models.HIDDEN_CHOICES)
        hidden = st.select_slider(t("s2s.hidden"), models.HIDDEN_CHOICES, key="s2s_train_hidden")
    with right:
        remember("s2s_train_steps", 600, options=models.STEP_CHOICES)
        steps = st.select_slider(t("s2s.steps"), models.STEP_CHOICES, key="s2s_train_steps")
        remember("s2s_train_seed", 0, bounds=SEEDS)
        seed = st.number_input(t("s2s.seed"), *SEEDS, key="s2s_train_seed")
    return models.Run(context=context, hidden=int(hidden), steps=int(steps), seed=int(seed))


def watched(run_params: dict, context: str, text: str) -> np.ndarray | None:
    """The example's alignment under teacher forcing (rows: the right English tokens), for the live chart."""
    parsed = dates.parse(text)
    S = dates.encode_source([parsed["text"]])
    Y_in, _ = dates.encode_target([expected_tokens(parsed)])
    f = translator.forward(context, run_params, S, Y_in)
    return None if context == "fixed" else f["weights"][:, 0]


def train_live(run: models.Run, example: str) -> None:
    """Train under a progress bar, a live loss curve and the example's alignment redrawn as it learns."""
    bar, loss_box, align_box = st.progress(0.0), st.empty(), st.empty()
    parsed = dates.parse(example)
    rows = charts.numbered([*expected_tokens(parsed), dates.EOS])
    cols = charts.numbered([c for c in parsed["text"] if not c.isspace()])
    losses, started, clock = [], time.perf_counter(), {"shown": 0.0}

    def report(step: int, loss: float, params: dict) -> bool:
        losses.append(loss)
        now = time.perf_counter()
        if now - clock["shown"] > 0.4 or step == run.steps:
            clock["shown"] = now
            bar.progress(step / run.steps, text=t("s2s.progress", step=step, steps=run.steps))
            with loss_box.container():
                charts.line_chart(charts.curves("step", np.arange(1, len(losses) + 1), "loss",
                                                {name(run.context): losses}),
                                  x="step", y="loss", series="series", x_title=t("lab.axis_step"),
                                  y_title=t("lab.axis_loss"), colors={name(run.context): COLORS[run.context]},
                                  points=False, height=200)
            weights = watched(params, run.context, parsed["text"])
            if weights is not None:
                with align_box.container():
                    charts.heatmap(weights, rows, cols, x_title=t("s2s.axis_source"), y_title=t("s2s.axis_target"),
                                   value_title=t("sa.weight"), title=t("s2s.live_alignment"),
                                   domain=(0.0, 1.0))
        return bool(models.TIME_CAP) and now - started > models.TIME_CAP

    result = models.train_run(run, callback=report)
    if result["accuracy"] is None:
        st.session_state.s2s_capped = True
    else:
        models.RESULTS.put(run.key(), result)


def trained(run: models.Run, result: dict, example: str) -> None:
    """A finished run: its held-out accuracy, speed, learning curve and the example as it now translates."""
    c1, c2, c3 = st.columns(3)
    c1.metric(t("s2s.run_held_out"), f"{result['accuracy']:.1%}", help=t("s2s.held_out_help", n=models.HELD_OUT_SIZE))
    c2.metric(t("s2s.speed"), f"{result['steps'] / result['seconds']:,.0f}")
    c3.metric(t("s2s.seconds"), f"{result['seconds']:.1f}")
    charts.line_chart(charts.curves("step", np.arange(1, len(result["loss"]) + 1), "loss",
                                    {name(run.context): smooth(result["loss"], 10)}),
                      x="step", y="loss", series="series", x_title=t("lab.axis_step"), y_title=t("lab.axis_loss"),
                      colors={name(run.context): COLORS[run.context]}, points=False, height=200,
                      name=f'{t("s2s.train_title")} · {t("lab.axis_loss")}')
    ex = compute.s2s_run_explain(run, dates.parse(example)["text"])
    st.markdown(t("s2s.trained_says", text=dates.to_text([w for w in ex["tokens"] if w != dates.EOS])))
    alignment(run.context, ex, label=f'{t("s2s.train_title")} · {t("s2s.alignment_title")}')


# --- the experiment ---------------------------------------------------------------------------


def experiment_settings(defaults: models.Experiment) -> models.Experiment:
    left, right = st.columns(2)
    with left:
        score = model_radio(t("s2s.exp_score"), "s2s_exp_score", translator.SCORES, defaults.contexts[0])
        remember("s2s_exp_hidden", defaults.hidden, options=models.HIDDEN_CHOICES)
        hidden = st.select_slider(t("s2s.hidden"), models.HIDDEN_CHOICES, key="s2s_exp_hidden")
    with right:
        remember("s2s_exp_steps", defaults.steps, options=models.STEP_CHOICES)
        steps = st.select_slider(t("s2s.steps"), models.STEP_CHOICES, key="s2s_exp_steps")
        remember("s2s_exp_runs", defaults.runs, bounds=(1, 3))
        runs = st.slider(t("s2s.exp_runs"), 1, 3, key="s2s_exp_runs")
    return models.Experiment(contexts=(score, "fixed"), hidden=int(hidden), steps=int(steps),
                             seed=defaults.seed, runs=int(runs))


def run_experiment(missing: list) -> None:
    """Train the missing runs under a progress bar; a run cut by the time cap is dropped, with a notice."""
    bar, started = st.progress(0.0), time.perf_counter()
    for k, run in enumerate(missing):
        def report(step, loss, params, k=k, run=run):
            if step % 20 == 0 or step == run.steps:
                bar.progress((k + step / run.steps) / len(missing),
                             text=t("s2s.exp_progress", i=k + 1, n=len(missing), model=name(run.context),
                                    seed=run.seed, step=step, steps=run.steps))
            return bool(models.TIME_CAP) and time.perf_counter() - started > models.TIME_CAP
        result = models.experiment_run(run, callback=report)
        if result is None:
            st.session_state.s2s_exp_capped = True
            return
        models.EXPERIMENT_RESULTS.put(run.key(), result)


LAST_STEPS = 100  # "the end" of a run's loss curve: a mean over its last steps, not one noisy batch


def end_loss(experiment: models.Experiment, runs: dict, context: str) -> float:
    """A context's training loss at the end of its runs, the mean over seeds: each run's loss over its last
    LAST_STEPS steps (the kept curve has every 10th step for the experiment's runs)."""
    ends = []
    for run in experiment.plan():
        if run.context == context and run in runs:
            loss = np.asarray(runs[run]["loss"])
            every = max(1, round(runs[run]["steps"] / len(loss)))
            ends.append(loss[-max(1, LAST_STEPS // every):].mean())
    return float(np.mean(ends))


def experiment_results(experiment: models.Experiment, runs: dict, measures=("whole", "first")) -> None:
    """Exact match against the number of dates in a row, for the whole output and for the first date."""
    lengths = np.arange(1, models.MAX_DATES + 1)
    for measure in measures:
        means = models.mean_by_length(experiment, runs, measure)
        if not means:
            continue
        lines = {name(c): v for c, v in means.items()}
        charts.line_chart(charts.curves("dates", lengths, "accuracy", lines), x="dates", y="accuracy",
                          series="series", x_title=t("s2s.axis_dates"), y_title=t(f"s2s.axis_{measure}"),
                          colors={name(c): COLORS[c] for c in means}, x_integer=True, percent=True,
                          title=t(f"s2s.chart_{measure}"))
        if len(means) == 2:
            (a, fa), (f, ff) = means.items()
            st.caption(t(f"s2s.exp_found_{measure}", attention=name(a), fixed=name(f), a1=fa[0], an=fa[-1],
                         f1=ff[0], fn=ff[-1], n=models.MAX_DATES))
        if measure == "whole" and len(means) == 2:
            losses = {c: end_loss(experiment, runs, c) for c in means}
            (a, la), (f, lf) = losses.items()
            st.caption(t("s2s.exp_loss", attention=name(a), fixed=name(f), la=la, lf=lf, last=LAST_STEPS))
        if measure == "whole":
            shipped = models.SHIPPED_RUNS["fixed"]
            st.caption(t("s2s.exp_single_only", fixed=name("fixed"), hidden=shipped.hidden, steps=shipped.steps,
                         accuracy=models.load_shipped()["fixed"]["accuracy"], n=models.MAX_DATES))


# --- the comparison page's rows 1 and 3, on the trained models ---------------------------------


@st.fragment
def cmp_queries() -> None:
    """Row 1 on the trained dot model: queries from the decoder over the encoder's states, against
    queries from those same encoder states (self-attention's arrangement, not trained as such).
    A fragment: a new date reruns only this section."""
    remember("cmp_date", examples()[0])
    _example_picker(t("s2s.examples"), "cmp_date_example", examples(), lambda text: {"cmp_date": text})
    parsed = readable(st.text_input(t("s2s.date"), key="cmp_date", max_chars=MAX_CHARS, help=t("s2s.date_help")))
    if parsed is None:
        return
    ex = compute.s2s_explain("dot", parsed["text"])
    out_labels, src_labels = charts.numbered(ex["tokens"]), charts.numbered(ex["chars"])
    left, right = st.columns(2)
    with left:
        charts.heatmap(ex["weights"], out_labels, src_labels, x_title=t("cmp.axis_keys_encoder"),
                       y_title=t("cmp.axis_queries_decoder"), value_title=t("sa.weight"),
                       title=t("cmp.attention_chart"))
    with right:
        charts.heatmap(compute.encoder_self_weights("dot", parsed["text"]), src_labels, src_labels,
                       x_title=t("cmp.axis_keys_same"), y_title=t("cmp.axis_queries_same"),
                       value_title=t("sa.weight"), title=t("cmp.self_chart"))
    st.caption(t("cmp.both_caption", translation=dates.to_text([w for w in ex["tokens"] if w != dates.EOS])))


def cmp_early_information(experiment: models.Experiment, runs: dict) -> None:
    """Row 3 on trained encoder-decoders: is the first date still right when more dates follow it?"""
    experiment_results(experiment, runs, measures=("first",))
