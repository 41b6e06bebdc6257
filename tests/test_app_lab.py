"""The memory lab as a learner drives it: it opens on precomputed results that training reproduces,
a tiny experiment runs and is kept for a revisit, and odd settings never break it."""

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import charts, open_page
from ui import lab
from ui.i18n import catalog

PAGE = "pages/8_memory_lab.py"
EN, KO = catalog("en"), catalog("ko")
SAVED = json.loads(lab.PRECOMPUTED.read_text(encoding="utf-8"))


def saved_accuracy(kind: str, lag: int) -> float:
    return float(np.mean([r["accuracy"] for r in SAVED["runs"] if r["kind"] == kind and r["lag"] == lag]))


def chart_with(at, column):
    return next(data for _, data in charts(at) if column in data)


def configure(at, cells, lags, hidden=4, steps=50, runs=1, gate_bias=None):
    at.button_group(key="lab_cells").set_value(cells)
    at.button_group(key="lab_lags").set_value(lags)
    at.select_slider(key="lab_hidden").set_value(hidden)
    at.select_slider(key="lab_steps").set_value(steps)
    at.slider(key="lab_runs").set_value(runs)
    if gate_bias is not None:
        at.slider(key="lab_gate_bias").set_value(gate_bias)
    return at


def train(at):
    """Press the settings form's Train button (which also applies the form's new values)."""
    next(b for b in at.button if b.form_id == "lab_settings").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- the results a first visit opens on ---------------------------------------------------------


def test_the_saved_results_are_the_page_defaults_and_the_fixed_settings():
    assert lab.Experiment(**{k: tuple(v) if isinstance(v, list) else v
                             for k, v in SAVED["experiment"].items()}) == lab.Experiment()
    assert SAVED["fixed"] == {"num_symbols": lab.NUM_SYMBOLS, "noise": lab.NOISE, "batch": lab.BATCH,
                              "lr": lab.LR, "clip": lab.CLIP}
    assert {(r["lag"], r["kind"], r["seed"]) for r in SAVED["runs"]} == set(lab.Experiment().plan())
    assert all(len(r["loss"]) == r["steps"] == lab.Experiment().steps for r in SAVED["runs"])


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_rerunning_a_saved_run_gives_the_same_numbers(kind):
    # Not invented: training again from the same seed reproduces the saved curve and accuracy.
    experiment = lab.Experiment()
    saved = next(r for r in SAVED["runs"] if r["kind"] == kind and r["lag"] == 5 and r["seed"] == 0)
    again = lab.train_run(experiment, 5, kind, 0)
    assert_allclose(again["loss"], saved["loss"], atol=2e-6)
    assert again["accuracy"] == pytest.approx(saved["accuracy"], abs=1 / 512)


def test_the_saved_experiment_shows_what_the_page_explains():
    # The page's explanation says the RNN loses the symbol as the gap grows while a gated cell
    # keeps it. If a change to the task or the defaults makes that untrue, the text must change too.
    longest = max(lab.Experiment().lags)
    assert saved_accuracy("rnn", 5) > 0.9
    assert saved_accuracy("rnn", longest) < 0.35  # chance is 0.25
    assert saved_accuracy("gru", longest) > 0.9
    assert saved_accuracy("lstm", 20) > 0.9


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_opens_on_the_saved_results_without_training(lang, monkeypatch):
    monkeypatch.setattr(lab, "train", lambda *a, **k: pytest.fail("a first visit must not train"))
    at = open_page(PAGE, lang=lang)
    texts = EN if lang == "en" else KO
    assert at.title[0].value == texts["lab.title"]
    accuracy = chart_with(at, "accuracy")
    for kind in lab.KINDS:
        rows = accuracy[accuracy["series"] == lab.label(kind)]
        assert rows["lag"].tolist() == list(lab.Experiment().lags)
        assert_allclose(rows["accuracy"], [saved_accuracy(kind, lag) for lag in lab.Experiment().lags])
    assert texts["lab.precomputed"] in [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert table.shape == (3, 1 + len(lab.Experiment().lags))
    for row, kind in enumerate(lab.KINDS):  # the mean, and the seeds' range where they differ
        for col, lag in enumerate(lab.Experiment().lags, start=1):
            accuracies = [r["accuracy"] for r in SAVED["runs"] if r["kind"] == kind and r["lag"] == lag]
            low, high = f"{min(accuracies):.0%}", f"{max(accuracies):.0%}"
            assert table.iloc[row, col] == f"{np.mean(accuracies):.0%}" + ("" if low == high else f" ({low}–{high})")
    loss = chart_with(at, "loss")
    assert set(loss["series"]) == {"RNN", "LSTM", "GRU"} and np.isfinite(loss["loss"]).all()
    example = chart_with(at, "value")
    assert len(example) == (8 + 2) * (lab.NUM_SYMBOLS + 2)  # the example sequence, lag 8


def test_the_finding_names_each_cells_accuracy_at_the_longest_lag():
    at = open_page(PAGE, lang="en")
    longest = max(lab.Experiment().lags)
    expected = ", ".join(f"{lab.label(k)} {saved_accuracy(k, longest):.0%}" for k in lab.KINDS)
    assert f"At lag {longest}: {expected}." in [m.value for m in at.markdown]


def test_the_loss_curves_follow_the_chosen_lag():
    at = open_page(PAGE, lang="en")
    at.segmented_control(key="lab_loss_lag").set_value(5).run()
    loss = chart_with(at, "loss")
    rnn = loss[loss["series"] == "RNN"]["loss"].to_numpy()
    saved = np.mean([r["loss"] for r in SAVED["runs"] if r["kind"] == "rnn" and r["lag"] == 5], axis=0)
    assert_allclose(rnn, lab.smooth(saved, 20))


# --- running an experiment -------------------------------------------------------------------------


def test_a_tiny_experiment_trains_shows_its_results_and_is_kept_for_a_revisit(monkeypatch):
    at = configure(open_page(PAGE, lang="en"), ["rnn", "gru"], [0, 2], hidden=4, steps=50, runs=1)
    train(at)
    experiment = lab.Experiment(kinds=("rnn", "gru"), lags=(0, 2), hidden=4, steps=50, seed=0, runs=1,
                                gate_bias=lab.Experiment().gate_bias)
    finished = lab.done(experiment)
    assert set(finished) == set(experiment.plan())
    accuracy = chart_with(at, "accuracy")
    assert set(accuracy["series"]) == {"RNN", "GRU"} and accuracy["lag"].tolist() == [0, 2, 0, 2]
    assert_allclose(accuracy["accuracy"], [finished[(lag, k, 0)]["accuracy"] for k in ("rnn", "gru") for lag in (0, 2)])

    # A revisit, in a new session from the shared link: instant, nothing trains again.
    monkeypatch.setattr(lab, "train", lambda *a, **k: pytest.fail("a revisit must not train again"))
    again = open_page(PAGE, params=dict(at.query_params))
    assert_allclose(chart_with(again, "accuracy")["accuracy"], accuracy["accuracy"])


def test_a_link_to_settings_not_trained_here_yet_says_how_to_get_them():
    at = open_page(PAGE, params={"lang": "en", "lab_cells": "lstm", "lab_lags": "2", "lab_hidden": "2",
                                 "lab_steps": "100", "lab_runs": "1"})
    assert [i.value for i in at.info] == [EN["lab.not_run"].format(done=0, total=1)]
    assert not [data for _, data in charts(at) if "accuracy" in data]


def test_no_cell_or_no_lag_asks_for_one():
    at = open_page(PAGE, lang="en")
    at.button_group(key="lab_cells").set_value([])
    train(at)
    assert [w.value for w in at.warning] == [EN["lab.nothing"]]


def test_every_control_at_its_extremes(monkeypatch):
    # lag 0 and the longest lag, hidden size 1, the fewest steps, the most seeds, the largest gate bias
    at = configure(open_page(PAGE, lang="ko"), list(lab.KINDS), [0, max(lab.LAG_CHOICES)],
                   hidden=1, steps=min(lab.STEP_CHOICES), runs=lab.MAX_RUNS, gate_bias=lab.GATE_BIAS[1])
    at.number_input(key="lab_seed").set_value(9999)
    train(at)
    accuracy = chart_with(at, "accuracy")
    assert len(accuracy) == 2 * 3 and np.isfinite(accuracy["accuracy"]).all()
    assert all(0 <= v <= 1 for v in accuracy["accuracy"])
    assert all(math.isfinite(float(m.value.replace(",", ""))) for m in at.metric)


def test_the_time_cap_stops_training_and_keeps_no_unfinished_run(monkeypatch):
    monkeypatch.setattr(lab, "TIME_CAP", 1e-9)
    at = configure(open_page(PAGE, lang="en"), ["lstm"], [30], hidden=8, steps=400, runs=1)
    train(at)
    assert [w.value for w in at.warning] == [EN["lab.capped"].format(cap=1e-9, done=0)]
    assert not lab.done(lab.Experiment(kinds=("lstm",), lags=(30,), hidden=8, steps=400, runs=1))
