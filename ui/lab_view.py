"""The memory lab page's pieces: training under a progress bar, the results, the findings, the looks inside.

The experiments themselves live in ui/lab.py (no Streamlit); this module draws them.
"""

from __future__ import annotations

import math
import time

import numpy as np
import streamlit as st

from ui import charts, compute, lab
from ui.i18n import LANGS, fixed, number
from ui.layout import lang, remember, t
from ui.widgets import section_tabs

SMOOTHING = 20  # steps in the loss curves' moving average
MODEL = {"rnn": "rnn", "lstm": "lstm", "gru": "gru", "attention": "self_attention"}  # lab kind -> charts.MODEL_COLORS
# a model keeps its colour on every chart, under its name in either language
COLORS = charts.model_colors({lab.label(k, language): MODEL[k] for k in lab.KINDS for language in LANGS})
LSTM_INPUT = "#9c9c1c"  # the LSTM's input gate, drawn beside its forget gate (green): olive, no other model's colour
SEED_SHADES = (0.0, 0.45, 0.7)  # charts that draw every seed: the model's colour, mixed this much with white


def _shaded(color: str) -> tuple[str, ...]:
    """A colour and its lighter versions, one per seed (up to lab.MAX_RUNS)."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return tuple("#" + "".join(f"{round(c):02x}" for c in rgb + (255 - rgb) * w) for w in SEED_SHADES)


SHADES = {name: _shaded(color) for name, color in COLORS.items()} | {f"{lab.label('lstm')} i": _shaded(LSTM_INPUT)}
CHANCE = 1 / lab.NUM_SYMBOLS
# Accuracies this close draw on the same pixel of the accuracy chart (0 to 1 over ~200 px), and the
# table rounds them to the same whole percent: their lines hide each other.
OVERLAP = 0.005
LEARNED, FAILED = 0.9, CHANCE + 0.1  # held-out accuracy above which a model has learned a lag, below which it has not
SHRANK = 1.0  # an RNN's error signal at the symbol's step below the cue's: it shrank on its way back
UNITS_HEIGHT = 352  # a unit-by-step heatmap: 11 px a unit at the default hidden width of 32
KEEP_OPEN = 0.95  # a gate above this at every distractor step keeps its unit's memory (LSTM f, GRU z)


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.0%}"


def _gate(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.2f}"


def _probe_text(probe: dict) -> dict:
    """core.training.probe's numbers as the findings write them: a ratio, gate values, a share."""
    style = {"symbol_gradient": lambda v: number(v, 2), "keep": _gate, "write": _gate, "attend": _pct}
    return {name: style[name](value) for name, value in probe.items()}


# --- training -------------------------------------------------------------------------------


def _live_report(bar, live, kind: str, position: dict, fraction, steps: int, started: float):
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
                                                {lab.label(kind, lang()): losses}),
                                  x="step", y="loss", series="series", x_title=t("lab.axis_step"),
                                  y_title=t("lab.axis_loss"), colors=COLORS, points=False, height=200)
        return bool(lab.TIME_CAP) and now - started > lab.TIME_CAP

    return report


def train_with_progress(experiment: lab.Experiment, runs: list) -> None:
    """Train `runs` under a progress bar and a live loss curve, keeping each one that finishes (and
    the first seed's weights, for the look inside). A run cut by the time cap is not a result: it
    is dropped, with a notice."""
    bar, live = st.progress(0.0), st.empty()
    started = time.perf_counter()
    for i, (lag, kind, run_seed) in enumerate(runs):
        position = {"i": i + 1, "n": len(runs), "cell": lab.label(kind, lang()), "lag": lag, "seed": run_seed}
        report = _live_report(bar, live, kind, position, lambda done, i=i: (i + done) / len(runs),
                              experiment.steps, started)
        result = lab.train_run(experiment, lag, kind, run_seed, callback=report,
                               keep_params=run_seed == experiment.seed)
        if result["stopped"] == "callback":
            st.session_state.lab_stopped_by_cap = True
            return
        if "params" in result:
            lab.MODELS.put(experiment.key(lag, kind, run_seed), result.pop("params"))
        lab.RESULTS.put(experiment.key(lag, kind, run_seed), result)


def choose(key: str, options, default) -> None:
    """remember() for a control whose options depend on the results shown: a value kept from
    other settings that is not among them falls back to `default`, in the state and in the link."""
    remember(key, default, options=options)
    if st.session_state[key] not in options:
        st.session_state[key] = default
        remember(key, default, options=options)  # the link drops the stale value too


# --- results ----------------------------------------------------------------------------------


def accuracy_chart(by_lag: dict) -> None:
    lines = {lab.label(k, lang()): (lags, mean) for k, (lags, mean, _, _) in by_lag.items() if lags}
    charts.line_chart(charts.curves_each("lag", "accuracy", lines),
                      x="lag", y="accuracy", series="series", x_title=t("lab.axis_lag"),
                      y_title=t("lab.axis_accuracy"), y_rule_at=CHANCE, colors=COLORS, name=t("lab.results_title"),
                      percent=True, x_integer=True)
    st.caption(t("lab.accuracy_caption", chance=CHANCE))
    for group in coinciding({name: mean for name, (_, mean) in lines.items()}):
        st.caption(t("lab.accuracy_overlap", models=", ".join(group)))


def coinciding(lines: dict, within: float = OVERLAP) -> list[list[str]]:
    """Groups of two or more lines ({name: values}) that are `within` of the group's first at every point,
    in order: on the chart the one drawn last hides the others."""
    groups: list[list[str]] = []
    for name, values in lines.items():
        same = next((g for g in groups if np.allclose(lines[g[0]], values, rtol=0, atol=within)), None)
        if same is None:
            groups.append([name])
        else:
            same.append(name)
    return [g for g in groups if len(g) > 1]


def seeds_agree(low: float, high: float) -> bool:
    """Whether the seeds' lowest and highest accuracy read the same in whole percent, as the page writes them."""
    return f"{low:.0%}" == f"{high:.0%}"


def findings(experiment: lab.Experiment, runs: dict, by_lag: dict) -> list[str]:
    """What the results say, computed from them: the accuracies at the longest lag, then, for each
    model, the shortest lag it failed at and why (what training did inside it), or that it learned every lag."""
    longest = max(lag for lags, *_ in by_lag.values() for lag in lags)
    at_longest = [t("lab.finding_item", cell=lab.label(k, lang()), accuracy=mean[lags.index(longest)])
                  for k, (lags, mean, _, _) in by_lag.items() if longest in lags]
    lines = [t("lab.finding", lag=longest, results=", ".join(at_longest))]
    for kind, (lags, mean, low, high) in by_lag.items():
        if not lags:
            continue
        failed = [(lag, acc, lo, hi) for lag, acc, lo, hi in zip(lags, mean, low, high, strict=True) if acc < LEARNED]
        probe = lab.worst_probe(experiment, runs, failed[0][0] if failed else lags[-1], kind)
        values = _probe_text(probe)
        if not failed:
            lines.append(t(f"lab.learned_{kind}", cell=lab.label(kind, lang()), lag=lags[-1], **values))
            continue
        lag, acc, lo, hi = failed[0]
        outcome = "failed" if acc < FAILED else "partly" if seeds_agree(lo, hi) else "partly_seeds"
        lines.append(t(f"lab.{outcome}", cell=lab.label(kind, lang()), lag=lag, accuracy=acc, steps=experiment.steps,
                       chance=CHANCE, low=lo, high=hi)
                     + " " + t(_why(kind, probe), **values) + _steady(probe, lag))
    return lines


def _steady(probe: dict, lag: int) -> str:
    """What a memory gate held at its measured mean would keep over the lag, keep^lag, and why a mean does
    not decide it (the few units that keep); nothing for a model without a memory gate, or at lag 0."""
    if "keep" not in probe or lag == 0 or not math.isfinite(probe["keep"]):
        return ""
    return " " + t("lab.why_mean", steady=number(probe["keep"] ** lag), lag=lag)


def _why(kind: str, probe: dict) -> str:
    """Why a model failed a lag, by what training did inside it: an RNN whose error signal still reached
    the symbol did not fail for the vanishing gradient."""
    reached = kind == "rnn" and probe["symbol_gradient"] >= SHRANK
    return "lab.why_rnn_reached" if reached else f"lab.why_{kind}"


def results_table(experiment: lab.Experiment, by_lag: dict) -> None:
    """Mean accuracy per model and lag, with the seeds' range where they differ: only lags with a result."""
    shown = sorted({lag for lags, *_ in by_lag.values() for lag in lags})
    rows = {t("lab.col_cell"): [lab.label(k, lang()) for k in experiment.kinds]}
    for lag in shown:
        column = []
        for kind in experiment.kinds:
            lags, mean, low, high = by_lag[kind]
            j = lags.index(lag) if lag in lags else None
            spread = "" if j is None or seeds_agree(low[j], high[j]) else f" ({low[j]:.0%}–{high[j]:.0%})"
            column.append("" if j is None else f"{mean[j]:.0%}{spread}")
        rows[t("lab.col_lag", lag=lag)] = column
    st.table(charts.table(**rows), hide_index=True)  # a static table: the app's own labels and numbers
    st.caption(t("lab.table_caption"))


def _shades(experiment: lab.Experiment, names, gate: str = "") -> dict:
    """A colour for each of `names` (seed_label, with a gate's name after the model's): by model and seed."""
    out = {}
    for kind in experiment.kinds:
        model = lab.label(kind, lang()) + (f" {gate}" if gate else "")
        for j, s in enumerate(lab.seeds(experiment)):
            name = lab.seed_label(kind, s, lang()).replace(lab.label(kind, lang()), model, 1)
            if name in names:
                out[name] = SHADES.get(model, SHADES[lab.label(kind, lang())])[j]
    return out


def loss_chart(experiment: lab.Experiment, runs: dict, lag: int) -> None:
    """Every seed's training loss at one lag, smoothed, each curve to its run's last step."""
    curves = {name: (np.arange(1, len(loss) + 1), lab.smooth(loss, SMOOTHING))
              for name, loss in lab.loss_curves(experiment, runs, lag, lang()).items()}
    charts.line_chart(charts.curves_each("step", "loss", curves), x="step", y="loss", series="series",
                      x_title=t("lab.axis_step"), y_title=t("lab.axis_loss"), y_rule_at=math.log(lab.NUM_SYMBOLS),
                      colors=_shades(experiment, curves), points=False, legend_columns=4, name=t("lab.loss_title"))
    st.caption(t("lab.loss_caption", window=SMOOTHING, symbols=lab.NUM_SYMBOLS,
                 chance_loss=math.log(lab.NUM_SYMBOLS), solved=lab.SOLVED, steps=experiment.steps))


def probe_charts(experiment: lab.Experiment, runs: dict, lag: int) -> None:
    """What training did inside the models at one lag, every seed: the error signal reaching the
    symbol's step, and the gates (and the attention on the symbol) through the distractors."""
    left, right = st.columns(2)
    with left:
        signal = lab.probe_curves(experiment, runs, lag, "symbol_gradient", lang())
        # A ratio of exactly 0 underflowed in float32: a log scale has no place for it, so it is left out.
        signal = {name: (steps, np.where(ratio > 0, ratio, np.nan)) for name, (steps, ratio) in signal.items()}
        if signal:
            charts.line_chart(charts.curves_each("step", "ratio", signal), x="step", y="ratio", series="series",
                              x_title=t("lab.axis_step"), y_title=t("lab.axis_signal"), log_y=True,
                              colors=_shades(experiment, signal), points=False, legend_columns=2)
            st.caption(t("lab.signal_caption"))
    with right:
        named = {"keep": "f", "write": "i"}  # the LSTM's gates; the GRU's keep is z
        gates = {}
        for probe in ("keep", "write"):
            for name, curve in lab.probe_curves(experiment, runs, lag, probe, lang()).items():
                gate = "z" if name.startswith("GRU") else named[probe]
                gates[name.replace(" · ", f" {gate} · ", 1)] = curve
        gates |= lab.probe_curves(experiment, runs, lag, "attend", lang())
        if gates:
            colors = {**_shades(experiment, gates, "f"), **_shades(experiment, gates, "i"),
                      **_shades(experiment, gates, "z"), **_shades(experiment, gates)}
            charts.line_chart(charts.curves_each("step", "value", gates), x="step", y="value", series="series",
                              x_title=t("lab.axis_step"), y_title=t("lab.axis_gate"), colors=colors, points=False,
                              legend_columns=2)
            st.caption(t("lab.gates_caption"))


@st.fragment
def learning_curves(experiment: lab.Experiment, runs: dict) -> None:
    """The learning curves and the probes at one lag: a fragment, so the lag's control reruns only this section."""
    st.subheader(t("lab.loss_title"))
    lags_with_runs = sorted({lag for lag, _, _ in runs})
    choose("lab_loss_lag", lags_with_runs, lags_with_runs[-1])
    loss_lag = st.segmented_control(t("lab.loss_lag"), lags_with_runs, key="lab_loss_lag", required=True)
    loss_chart(experiment, runs, loss_lag)
    probe_charts(experiment, runs, loss_lag)


@st.fragment
def inside_section(experiment: lab.Experiment, runs: dict, channels: list[str]) -> None:
    """Inside the trained models (first seed) on one example sequence: a fragment, so its lag, example and
    Redraw rerun only this section."""
    st.subheader(t("lab.inside_title"))
    lags_with_runs = sorted({lag for lag, _, _ in runs})
    models = {lag: {k: p for k in experiment.kinds if (p := lab.MODELS.get(experiment.key(lag, k, experiment.seed)))}
              for lag in lags_with_runs}
    models = {lag: found for lag, found in models.items() if found}
    if not models:
        st.info(t("lab.inside_none"), icon=":material/visibility_off:")
        return
    st.markdown(t("lab.inside_explain", seed=experiment.seed))
    choose("lab_inside_lag", tuple(models), inside_default(experiment, runs, models))
    inside_lag = st.segmented_control(t("lab.loss_lag"), tuple(models), key="lab_inside_lag", required=True)
    st.button(t("lab.redraw"), icon=":material/casino:", on_click=redraw)
    remember("lab_example", 0, bounds=compute.SEEDS)
    example = st.number_input(t("lab.example"), *compute.SEEDS, key="lab_example")
    X = compute.lab_example(inside_lag, lab.NUM_SYMBOLS, lab.NOISE, seed=int(example))  # (T, input)
    charts.heatmap(X.T, channels, [str(i + 1) for i in range(len(X))], x_title=t("lab.axis_time"),
                   y_title=t("lab.axis_channel"), value_title=t("lab.value_input"), diverging=True,
                   title=t("lab.inside_chart_x", lag=inside_lag), name=f'{t("lab.inside_title")} · x')
    # one model at a time, in tabs: only the open one runs and draws
    kind, tab = section_tabs("lab_inside_model", {kind: lab.label(kind, lang()) for kind in models[inside_lag]})
    with tab:
        inside(kind, models[inside_lag][kind], inside_lag, example)


def speed(experiment: lab.Experiment, runs: dict) -> None:
    per_second = lab.steps_per_second(runs)
    for column, kind in zip(st.columns(len(experiment.kinds)), experiment.kinds, strict=True):
        speed = f"{per_second[kind]:,.0f}" if kind in per_second else "–"
        column.metric(t("lab.speed", cell=lab.label(kind, lang())), speed)
    st.caption(t("lab.speed_caption"))


# --- inside the trained models, on one example ------------------------------------------------


def inside_default(experiment: lab.Experiment, runs: dict, models: dict) -> int:
    """The lag the look inside opens on: the longest at which every model shown learned (first seed),
    so that it shows what a working model does; else the longest. The learner can pick any other."""
    learned = [lag for lag, found in models.items()
               if all(runs[(lag, kind, experiment.seed)]["accuracy"] >= LEARNED for kind in found)]
    return max(learned) if learned else max(models)


def redraw() -> None:
    """The Redraw button's callback: the next example sequence (before the page reruns and draws it)."""
    low, high = compute.SEEDS
    st.session_state.lab_example = low + (st.session_state.get("lab_example", low) + 1 - low) % (high - low + 1)


def _steps(T: int) -> list[str]:
    return [str(i + 1) for i in range(T)]


def inside(kind: str, params: dict, lag: int, example: int) -> None:
    """One trained model on the example sequence: what it predicts, and its gates, state or attention."""
    seen = lab.inside(kind, params, lag, example)
    T, hidden = len(seen["X"]), params["W_out"].shape[1]
    units = [str(j) for j in range(hidden)]  # 0-based, as on the RNN, LSTM and GRU pages
    verdict = t("lab.inside_right" if seen["prediction"] == seen["symbol"] else "lab.inside_wrong",
                cell=lab.label(kind, lang()), prediction=seen["prediction"] + 1, symbol=seen["symbol"] + 1,
                p=float(seen["p"][seen["prediction"]]))
    if seen["p"][seen["prediction"]] < 0.5:  # right or wrong, hardly more than a guess
        verdict += " " + t("lab.inside_unsure", chance=CHANCE)
    distract = slice(1, T - 1)  # the distractor steps 2..T-1 (none at lag 0)
    if kind == "attention":
        w = seen["weights"]  # (T,)
        charts.bar_chart(_steps(T), w, x_title=t("lab.axis_time"), y_title=t("lab.axis_attention"),
                         title=t("lab.inside_chart_attention"))
        rest = float(np.max(w[1:])) if T > 1 else 0.0
        st.caption(verdict + " " + t("lab.inside_attention", on_symbol=float(w[0]), rest=rest))
        return
    if kind == "rnn":
        H = seen["H"]  # (T, hidden)
        charts.heatmap(H.T, units, _steps(T), x_title=t("lab.axis_time"), y_title=t("lab.axis_unit"),
                       value_title="h", diverging=True, title=t("lab.inside_chart_rnn"), height=UNITS_HEIGHT)
        cos = H @ H[0] / np.maximum(np.linalg.norm(H, axis=1) * np.linalg.norm(H[0]), 1e-12)  # (T,)
        st.caption(verdict + " " + t("lab.inside_rnn", at_cue=fixed(float(cos[-1])), lowest=fixed(float(cos.min()))))
        return
    gate = "f" if kind == "lstm" else "z"
    G = seen[gate]  # (T, hidden)
    charts.heatmap(G.T, units, _steps(T), x_title=t("lab.axis_time"), y_title=t("lab.axis_unit"),
                   value_title=gate, title=t(f"lab.inside_chart_{gate}"), height=UNITS_HEIGHT)
    kept = int(np.sum(G[distract].min(axis=0) > KEEP_OPEN)) if T > 2 else 0
    mean_keep = float(G[distract].mean()) if T > 2 else float("nan")
    if kind == "gru":
        st.caption(verdict + " " + t("lab.inside_gru", keep=_gate(mean_keep), kept=kept, hidden=hidden,
                                     threshold=KEEP_OPEN))
        return
    i = seen["i"]  # (T, hidden)
    charts.heatmap(i.T, units, _steps(T), x_title=t("lab.axis_time"), y_title=t("lab.axis_unit"),
                   value_title="i", title=t("lab.inside_chart_i"), height=UNITS_HEIGHT)
    write = float(i[distract].mean()) if T > 2 else float("nan")
    st.caption(verdict + " " + t("lab.inside_lstm", keep=_gate(mean_keep), kept=kept, hidden=hidden,
                                 threshold=KEEP_OPEN, write=_gate(write), at_symbol=_gate(float(i[0].mean()))))
