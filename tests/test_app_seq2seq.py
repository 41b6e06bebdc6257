"""The seq2seq page as a learner drives it: a date translated step by step, live training, the experiment."""

import numpy as np
import pytest

from conftest import charts, heatmap, metric, open_page
from core import dates, translator
from ui import translator as models
from ui.i18n import catalog

PAGE = "pages/2_seq2seq_attention.py"
EN, KO = catalog("en"), catalog("ko")
SHIPPED = models.load_shipped()


def type_date(at, text):
    at.text_input(key="s2s_date").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def bars(at):
    """{chart title: values} of the bar charts."""
    return {spec.get("title"): data["value"].to_numpy() for spec, data in charts(at) if "label" in data}


def press(at, form):
    next(b for b in at.button if b.form_id == form).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_opens_on_the_issue_s_date_translated_right_by_the_shipped_model(lang, monkeypatch):
    monkeypatch.setattr(translator, "train", lambda *a, **k: pytest.fail("a first visit must not train"))
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    assert at.title[0].value == texts["s2s.title"]
    assert at.text_input(key="s2s_date").value == "2023년 3월 23일 목요일"
    assert metric(at, texts["s2s.translation"]).value == "Thursday, March 23, 2023"
    assert [s.value for s in at.success] == [texts["s2s.right"]]
    assert metric(at, texts["s2s.held_out"]).value == f"{SHIPPED['additive']['accuracy']:.1%}"


def test_the_alignment_is_the_model_s_and_the_weekday_lights_up_first():
    at = open_page(PAGE)
    M, outline = heatmap(at, EN["sa.weight"])
    ex = models.explain("additive", SHIPPED["additive"]["params"], "2023년 3월 23일 목요일")
    np.testing.assert_allclose(M, ex["weights"], atol=1e-12)
    assert outline == [0]
    assert ex["chars"][int(M[0].argmax())] == "목"  # predicting "Thursday" first, it reads the Korean weekday, last
    assert int(M[2].argmax()) == 5  # "March" reads the month's 3
    assert int(M[-2].argmax()) == 3  # the year's last digit, first in the Korean, comes last
    j = int(M[0].argmax())
    assert EN["s2s.alignment_found"].format(token="1 Thursday", char=f"{j + 1} {ex['chars'][j]}",
                                            weight=M[0].max()) in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_each_step_shows_its_query_scores_weights_context_and_top_five(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    step = at.select_slider(key="s2s_step")
    assert step.options[0] == "1 Thursday" and step.options[-1] == f"{len(step.options)} {dates.EOS}"
    step.set_value("3 March").run()
    ex = models.explain("additive", SHIPPED["additive"]["params"], "2023년 3월 23일 목요일")
    shown = bars(at)
    np.testing.assert_allclose(shown[texts["s2s.query_title"].format(token="3 March")], ex["query"][2])
    np.testing.assert_allclose(shown[texts["s2s.context_title"].format(token="3 March")], ex["context"][2])
    top = shown[texts["s2s.top_title"].format(token="3 March")]
    assert len(top) == 5 and np.all(np.diff(top) <= 0) and top[0] == ex["probs"][2].max()
    np.testing.assert_allclose(shown[texts["s2s.scores_title"].format(token="3 March")], ex["scores"][2])
    np.testing.assert_allclose(shown[texts["s2s.weights_title"].format(token="3 March")], ex["weights"][2])
    assert heatmap(at, texts["sa.weight"])[1] == [2]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("context", translator.CONTEXTS)
def test_every_model_translates_the_example(context, lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    at.radio(key="s2s_model").set_value(context).run()
    assert metric(at, texts["s2s.translation"]).value == "Thursday, March 23, 2023"
    assert metric(at, texts["s2s.held_out"]).value == f"{SHIPPED[context]['accuracy']:.1%}"
    infos = [i.value for i in at.info]
    assert (texts["s2s.fixed_explain"] in infos) == (texts["s2s.fixed_no_alignment"] in infos) == (context == "fixed")
    at.select_slider(key="s2s_step").set_value(at.select_slider(key="s2s_step").options[-1]).run()
    assert not at.exception


@pytest.mark.parametrize(("text", "reason", "lang"), [
    ("", "empty", "en"), ("2023.3.23.", "characters", "en"), ("3월 23일", "format", "en"),
    ("1850년 1월 1일", "range", "en"), ("2023년 2월 29일", "calendar", "en"),
    ("<script>alert(1)</script>", "characters", "en"),
    ("1850년 1월 1일", "range", "ko"), ("2023-03-23", "characters", "ko"),
])
def test_what_the_model_cannot_read_gets_a_message_and_no_translation(text, reason, lang):
    at = type_date(open_page(PAGE, lang=lang), text)
    texts = catalog(lang)
    parsed = dates.parse(text)
    assert texts[f"s2s.cannot_{reason}"].format(detail=parsed["detail"], first=1900, last=2099) in [
        w.value for w in at.warning]
    if reason == "characters":
        assert [c.value for c in at.code] == [parsed["detail"]]  # the characters, shown as plain text
    assert not [m for m in at.metric if m.label == texts["s2s.translation"]]
    assert at.get("vega_lite_chart")  # the training and experiment sections are still there


def test_a_typed_held_out_date_is_translated_and_a_wrong_weekday_is_flagged():
    _, test = dates.split()
    day = dates.random_days(1, np.random.default_rng(0), test)[0]
    at = type_date(open_page(PAGE), dates.korean(day))
    assert metric(at, EN["s2s.translation"]).value == dates.to_text(dates.english_tokens(day))
    wrong = dates.korean(day)[:-3] + dates.WEEKDAYS_KO[(day.weekday() + 1) % 7] + "요일"
    type_date(at, wrong)
    assert EN["s2s.weekday_mismatch"].format(weekday=dates.WEEKDAYS_KO[day.weekday()] + "요일") in [
        w.value for w in at.warning]


def test_the_shipped_settings_show_their_run_without_training(monkeypatch):
    monkeypatch.setattr(translator, "train", lambda *a, **k: pytest.fail("the shipped run is cached"))
    at = open_page(PAGE)
    press(at, "s2s_training")
    assert EN["s2s.is_shipped"] in [c.value for c in at.caption]
    assert metric(at, EN["s2s.run_held_out"]).value == f"{SHIPPED['additive']['accuracy']:.1%}"


def test_training_live_learns_shows_its_run_and_keeps_it_for_every_session(monkeypatch):
    at = open_page(PAGE, lang="ko")
    at.radio(key="s2s_train_context").set_value("dot")
    at.select_slider(key="s2s_train_hidden").set_value(8)
    at.select_slider(key="s2s_train_steps").set_value(100)
    at.number_input(key="s2s_train_seed").set_value(5)
    press(at, "s2s_training")
    run = models.Run(context="dot", hidden=8, steps=100, seed=5)
    result = models.finished(run)
    assert result is not None and result["steps"] == 100 and result["loss"][-10:].mean() < result["loss"][:5].mean()
    assert metric(at, KO["s2s.run_held_out"]).value == f"{result['accuracy']:.1%}"
    monkeypatch.setattr(translator, "train", lambda *a, **k: pytest.fail("a finished run is shared"))
    other = open_page(PAGE, params={"s2s_train_context": "dot", "s2s_train_hidden": "8", "s2s_train_steps": "100",
                                    "s2s_train_seed": "5"})
    assert metric(other, EN["s2s.run_held_out"]).value == f"{result['accuracy']:.1%}"


def test_a_link_to_settings_not_trained_yet_says_how_to_get_them(monkeypatch):
    monkeypatch.setattr(translator, "train", lambda *a, **k: pytest.fail("opening a link must not train"))
    at = open_page(PAGE, params={"s2s_train_seed": "4321", "s2s_train_hidden": "16"})
    assert EN["s2s.not_trained"] in [i.value for i in at.info]


def test_the_time_cap_stops_training_and_keeps_nothing(monkeypatch):
    monkeypatch.setattr(models, "TIME_CAP", 1e-9)
    at = open_page(PAGE)
    at.number_input(key="s2s_train_seed").set_value(77)
    at.select_slider(key="s2s_train_hidden").set_value(8)
    press(at, "s2s_training")
    assert EN["s2s.capped"].format(cap=1e-9) in [w.value for w in at.warning]
    assert models.finished(models.Run(hidden=8, seed=77)) is None


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_experiment_opens_precomputed_and_says_what_it_found(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    assert texts["s2s.exp_precomputed"] in [c.value for c in at.caption]
    experiment, runs = models.load_experiment()
    whole = models.mean_by_length(experiment, runs, "whole")
    found = texts["s2s.exp_found_whole"].format(attention=texts["s2s.context_additive"],
                                                fixed=texts["s2s.context_fixed"], a1=whole["additive"][0],
                                                an=whole["additive"][-1], f1=whole["fixed"][0], fn=whole["fixed"][-1],
                                                n=models.MAX_DATES)
    assert found in [c.value for c in at.caption]
    # the training loss at the end (the saved curves keep every 10th step: the last 10 points are 100 steps)
    end = {c: np.mean([runs[r]["loss"][-10:].mean() for r in experiment.plan() if r.context == c])
           for c in ("additive", "fixed")}
    assert texts["s2s.exp_loss"].format(attention=texts["s2s.context_additive"], fixed=texts["s2s.context_fixed"],
                                        la=end["additive"], lf=end["fixed"], last=100) in [c.value for c in at.caption]
    assert end["fixed"] > 100 * end["additive"]  # the fixed context never fitted the longer inputs
    lines = [data for spec, data in charts(at) if "dates" in data]
    assert len(lines) == 2 and set(lines[0]["dates"]) == {1, 2, 3, 4}


def test_a_tiny_experiment_runs_live_and_an_untrained_setting_says_so():
    at = open_page(PAGE, params={"s2s_exp_steps": "100", "s2s_exp_hidden": "8", "s2s_exp_runs": "1"})
    assert EN["s2s.exp_not_run"].format(done=0, total=2) in [i.value for i in at.info]
    press(at, "s2s_experiment")
    experiment = models.Experiment(hidden=8, steps=100, runs=1)
    assert len(models.experiment_done(experiment)) == 2
    assert len([data for spec, data in charts(at) if "dates" in data]) == 2


def test_the_live_alignment_starts_near_uniform_and_the_trained_one_is_sharp():
    from ui import s2s_view as view

    text = "2023년 3월 23일 목요일"
    untrained = view.watched(translator.init_params("additive", 32, 0), "additive", text)
    trained = view.watched(SHIPPED["additive"]["params"], "additive", text)
    assert untrained.shape == trained.shape == (11, 13)  # the right English tokens and EOS, by 13 characters
    assert np.abs(untrained - 1 / 13).max() < 0.1
    assert np.median(trained.max(axis=1)) > 0.75 > 0.2 > untrained.max()  # 0.84 for the shipped model
    assert view.watched(SHIPPED["fixed"]["params"], "fixed", text) is None


def test_the_time_cap_stops_the_experiment_and_keeps_no_unfinished_run(monkeypatch):
    monkeypatch.setattr(models, "TIME_CAP", 1e-9)
    at = open_page(PAGE, params={"s2s_exp_steps": "200", "s2s_exp_hidden": "16", "s2s_exp_runs": "1"})
    press(at, "s2s_experiment")
    assert EN["s2s.capped"].format(cap=1e-9) in [w.value for w in at.warning]
    assert not models.experiment_done(models.Experiment(hidden=16, steps=200, runs=1))
