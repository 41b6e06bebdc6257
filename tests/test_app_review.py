"""The review page as a learner uses it: every kind of question right and wrong in both
languages, the four FSRS ratings and what they schedule, progress that moves, notes, and saving,
restoring and never leaking progress."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from corpus import CORPUS, MARKUP

from conftest import charts, open_page, with_markdown
from core.exercises import EXPLODE, KEEP, VANISH, make_exercise, most_weight_exercise, vanishing_exercise
from core.progress import export_json
from ui import storage
from ui.i18n import catalog
from ui.review import new_order, questions
from ui.widgets import examples

PAGE = "pages/7_review.py"
LOCAL = "http://localhost:8501/review"
HOSTED = "https://seq-models.example.org/review"
EN, KO = catalog("en"), catalog("ko")
LEITNER_EXPORT = Path(__file__).parent / "data" / "leitner_v1" / "export.json"
ONE_OF_EACH = {kind: next(i for i, q in questions().items() if q["kind"] == kind)
               for kind in ("choice", "numeric", "order", "table", "chart")}


def current(at):
    return at.session_state["rv_current"]


def lang_of(at):
    return at.session_state["lang"]


def right_and_wrong(at, card_id, seed):
    """(right answer, a wrong one) as the card's widget takes them."""
    q = questions()[card_id]
    if q["kind"] == "numeric":
        answer = make_exercise(q["exercise"], seed)["answer"]
        return f"{answer}", f"{answer + 7}"
    if q["kind"] == "order":
        steps = list(q["steps"])
        return steps, steps[1:] + steps[:1]
    if q["kind"] == "chart":
        kind = q["chart"]  # the page draws it from the learner's language's examples
        ex = (most_weight_exercise(seed, examples()[lang_of(at)]) if kind == "most_weight"
              else vanishing_exercise(seed, examples()["long"][lang_of(at)]))
        options = ex["options"] if kind == "most_weight" else [VANISH, KEEP, EXPLODE]
        return ex["answer"], next(o for o in options if o != ex["answer"])
    return q["correct"], next(o for o in q["options"] if o != q["correct"])


def answer_current(at, right: bool):
    """Answer the card on screen, right or wrong, and press Check."""
    card_id, seed = current(at)["id"], current(at)["seed"]
    step = at.session_state["rv_step"]
    kind, value = questions()[card_id]["kind"], right_and_wrong(at, card_id, seed)[0 if right else 1]
    key = f"rv_answer_{step}"
    if kind == "numeric":
        at.text_input(key=key).input(value)
    elif kind == "order":
        at.multiselect(key=key).set_value(value)
    else:
        at.radio(key=key).set_value(value)
    at.button(key=f"rv_check_{step}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["rv_feedback"]["correct"] is right
    return card_id


def rate(at, rating="good"):
    at.button(key=f"rv_rate_{rating}_{at.session_state['rv_step']}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at, card_id):
    at.session_state["rv_queue"] = [card_id]
    at.run()
    assert current(at)["id"] == card_id
    return at


def schedule(at, texts):
    """The 'what comes back next' table: {date: questions} (a question card may draw a table of its own)."""
    table = next(t.value for t in at.tabs[0].table if texts["rv.col_date"] in t.value.columns)
    return dict(zip(table[texts["rv.col_date"]], table[texts["rv.col_questions"]], strict=True))


def open_tab(at, key):
    """Switch to a tab, as a click does: the progress and backup tabs run only when open."""
    at.session_state["rv_tab"] = catalog(lang_of(at))[key]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at):
    return [m.value for m in at.tabs[0].metric]


def rating_buttons(at):
    step = at.session_state["rv_step"]
    return {r: at.button(key=f"rv_rate_{r}_{step}") for r in ("again", "hard", "good", "easy")}


def in_days(n):
    return (datetime.now().astimezone().date() + timedelta(days=n)).isoformat()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_right_answer_is_rated_good_and_comes_back_in_two_days(lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    assert at.title[0].value == texts["rv.title"]
    assert metrics(at) == ["0", "0", "0", "20"]  # a first round: 20 new questions, over the whole week
    card_id = answer_current(at, right=True)
    assert [s.value for s in at.success] == [texts["rv.right"]]
    assert texts[f"rv.q.{card_id}.explain"] in [m.value for m in at.markdown]
    link = at.tabs[0].get("page_link")[0].proto
    assert link.page == "rnn" and link.label == texts["rv.see_live"].format(page=texts["nav.rnn"])
    buttons = rating_buttons(at)
    assert [b.label for b in buttons.values()] == [
        texts["rv.rate_again"].format(wait=texts["rv.in_minutes"].format(n=10)),
        texts["rv.rate_hard"].format(wait=texts["rv.in_minutes"].format(n=15)),
        texts["rv.rate_good"].format(wait=texts["rv.in_days"].format(n=2)),
        texts["rv.rate_easy"].format(wait=texts["rv.in_days"].format(n=8))]
    assert buttons["good"].proto.type == "primary" and not any(b.disabled for b in buttons.values())
    saved = at.session_state["rv_progress"]["cards"][card_id]  # saved at Check, before any rating
    assert saved["right"] == 1 and saved["fsrs"]["state"] == 2
    rate(at, "good")
    assert metrics(at) == ["1", "1", "0", "19"]
    assert schedule(at, texts)[in_days(2)] == texts[f"rv.q.{card_id}.title"]
    assert card_id not in at.session_state["rv_queue"]


def test_another_rating_reschedules_from_the_card_as_it_was():
    at = open_page(PAGE)
    card_id = answer_current(at, right=True)
    rate(at, "easy")
    card = at.session_state["rv_progress"]["cards"][card_id]
    assert card["right"] == 1 and card["wrong"] == 0  # one answer, counted once
    assert schedule(at, EN)[in_days(8)] == EN[f"rv.q.{card_id}.title"]
    assert at.session_state["rv_log"] == [(card_id, True, "easy")]


def test_hard_after_a_right_first_answer_keeps_it_in_this_round():
    at = open_page(PAGE)
    card_id = answer_current(at, right=True)
    rate(at, "hard")  # 15 minutes: within the round's look-ahead
    assert at.session_state["rv_queue"][-1] == card_id


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_wrong_answer_shows_the_right_one_and_comes_back_this_round(lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    card_id = answer_current(at, right=False)
    correct = texts[f"rv.q.{card_id}.opt_{questions()[card_id]['correct']}"]
    assert [e.value for e in at.error] == [texts["rv.wrong_choice"].format(answer=correct)]
    buttons = rating_buttons(at)
    assert not buttons["again"].disabled and all(buttons[r].disabled for r in ("hard", "good", "easy"))
    assert texts["rv.rate_missed"] in [c.value for c in at.caption]
    rate(at, "again")
    assert at.session_state["rv_queue"][-1] == card_id
    assert metrics(at)[:3] == ["1", "0", "1"]
    assert texts[f"rv.q.{card_id}.title"] in schedule(at, texts)[texts["rv.this_round"]]
    assert texts["rv.missed"].format(titles=texts[f"rv.q.{card_id}.title"]) in [c.value for c in at.caption]


def test_checking_without_an_answer_asks_for_one_and_changes_nothing():
    at = open_page(PAGE)
    at.button(key="rv_check_0").click().run()
    assert [w.value for w in at.tabs[0].warning] == [EN["rv.pick_first"]]
    assert at.session_state["rv_log"] == [] and at.session_state["rv_feedback"] is None
    assert at.session_state["rv_progress"]["cards"] == {}


@pytest.mark.parametrize("kind", list(ONE_OF_EACH))
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_kind_of_question_is_checked_and_explained(kind, lang):
    texts, card_id = catalog(lang), ONE_OF_EACH[kind]
    at = ask(open_page(PAGE, lang=lang), card_id)
    assert at.tabs[0].subheader[0].value == texts[f"rv.q.{card_id}.title"]
    first_seed = current(at)["seed"]
    answer_current(at, right=False)
    assert len(at.error) == 1 and not at.success
    explained = texts[f"rv.q.{card_id}.how" if kind == "numeric" else f"rv.q.{card_id}.explain"].split("{")[0]
    assert any(m.value.startswith(explained) for m in at.markdown)
    rate(at, "again")
    assert current(at) == {"id": card_id, "seed": first_seed + 1}  # the same card, a new draw
    answer_current(at, right=True)
    assert len(at.success) == 1 and not at.error
    rate(at, "good")
    card = at.session_state["rv_progress"]["cards"][card_id]
    assert (card["right"], card["wrong"]) == (1, 1)


@pytest.mark.parametrize("card_id", [i for i, q in questions().items() if q["kind"] == "numeric"])
def test_each_numeric_exercise_shows_how_its_answer_is_computed(card_id):
    at = ask(open_page(PAGE), card_id)
    ex = make_exercise(questions()[card_id]["exercise"], current(at)["seed"])
    answer_current(at, right=False)
    shown = f"{ex['answer']:,}" if ex["tolerance"] == 0 else f"{ex['answer']:.4f}"
    assert [e.value for e in at.error] == [EN["rv.wrong_number"].format(given=f"{ex['answer'] + 7:g}", answer=shown)]
    assert any(shown.replace(",", "{,}") in latex.value for latex in at.latex)


def test_nearly_right_is_right_within_the_tolerance_and_typed_as_a_learner_would():
    at = ask(open_page(PAGE), "softmax")
    ex = make_exercise("softmax", current(at)["seed"])
    at.text_input(key="rv_answer_0").input(f"  {round(ex['answer'], 2)}".replace(".", ",")).run()  # a decimal comma
    at.button(key="rv_check_0").click().run()
    assert len(at.success) == 1 and not at.error


def test_a_parameter_count_may_be_typed_with_thousands_separators():
    at = ask(open_page(PAGE), "gru_params")
    at.text_input(key="rv_answer_0").input(f"{make_exercise('gru_params', current(at)['seed'])['answer']:,}")
    at.button(key="rv_check_0").click().run()
    assert len(at.success) == 1


def test_hostile_text_in_the_answer_box_is_refused_plainly_and_changes_nothing():
    at = ask(open_page(PAGE), "attention_weight")
    for name, text in CORPUS.items():
        at.text_input(key="rv_answer_0").input(text[:40]).run()  # the box takes 40 characters
        at.button(key="rv_check_0").click().run()
        assert not at.exception, name
        expected = "rv.not_a_number" if text[:40].strip() else "rv.pick_first"  # none of them is one number
        assert [w.value for w in at.tabs[0].warning] == [EN[expected]], name
        shown = "\n".join(el.value for kind in ("markdown", "caption", "warning", "error", "success")
                          for el in at.get(kind))
        assert not [piece for piece in MARKUP if piece in shown], name
    assert at.session_state["rv_progress"]["cards"] == {} and at.session_state["rv_log"] == []


def test_an_order_must_have_every_step():
    at = ask(open_page(PAGE), "sa_order")
    at.multiselect(key="rv_answer_0").set_value(["embed", "project"]).run()
    at.button(key="rv_check_0").click().run()
    assert [w.value for w in at.tabs[0].warning] == [EN["rv.order_incomplete"]]
    assert at.session_state["rv_feedback"] is None


def test_a_table_question_hides_its_row_of_the_comparison_table():
    at = ask(open_page(PAGE), "tbl_path_self")
    table = at.tabs[0].table[0].value
    row = list(table[EN["cmp.col_aspect"]]).index(EN["cmp.row_path"])
    assert table[EN["cmp.col_self"]][row] == "?" and table[EN["cmp.col_attention"]][row] == "…"
    assert EN["cmp.row_path_self"] not in table.to_string()
    options = [o for o in at.radio(key="rv_answer_0").options]
    assert EN["cmp.row_path_self"] in options and EN["cmp.row_path_attention"] in options


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_live_charts_draw_the_pages_computation_with_new_numbers(lang):
    at = ask(open_page(PAGE, lang=lang), "sa_most_weight")
    (spec, data), = charts(at.tabs[0])
    ex = most_weight_exercise(current(at)["seed"], examples()[lang])
    assert list(data["value"]) == pytest.approx(ex["scaled"])
    at = ask(open_page(PAGE, lang=lang), "rnn_vanish")
    (spec, data), = charts(at.tabs[0])
    assert spec["layer"][0]["encoding"]["y"]["scale"] == {"type": "log"}
    assert list(data[spec["layer"][0]["encoding"]["y"]["field"]]) == pytest.approx(
        vanishing_exercise(current(at)["seed"], examples()["long"][lang])["norms"])


def test_a_token_with_a_random_vector_is_marked_where_it_is_drawn(monkeypatch, request):
    # Every word of the shipped examples now has a real vector (Korean through the lexicon), so
    # the chart's sentence gets one GloVe lacks: "ㅋㅋ" is in neither GloVe nor the lexicon.
    import ui.review

    sentences = {**examples(), "long": {**examples()["long"], "ko": examples()["long"]["ko"] + " ㅋㅋ"}}
    monkeypatch.setattr(ui.review, "examples", lambda: sentences)
    ui.review.live_chart.clear()
    request.addfinalizer(ui.review.live_chart.clear)  # no later test gets this sentence's chart
    at = ask(open_page(PAGE, lang="ko"), "rnn_vanish")
    ex = vanishing_exercise(current(at)["seed"], sentences["long"]["ko"])
    count = sum(ex["random"])
    assert count > 0
    assert KO["rv.chart_random"].format(count=count, mark="\\*") in [c.value for c in at.caption]
    assert at.text[0].value.count("*") == count


def test_mastery_moves_from_the_first_right_answer():
    at = open_tab(open_page(PAGE), "rv.tab_progress")
    bars = [p.proto.text for p in at.tabs[1].get("progress")]
    assert bars[0] == EN["rv.mastery_bar"].format(concept=EN["home.notes_rnn_title"], share=0.0)
    card_id = answer_current(at, right=True)
    assert questions()[card_id]["concept"] == "rnn"
    n = sum(q["concept"] == "rnn" for q in questions().values())
    bars = [p.proto.text for p in at.tabs[1].get("progress")]
    assert bars[0] == EN["rv.mastery_bar"].format(concept=EN["home.notes_rnn_title"], share=1 / n)  # recall now: 1


def test_the_progress_tab_charts_what_is_due_and_how_recall_fades(monkeypatch):
    import ui.storage

    # at noon: a miss comes back minutes later, which near midnight is tomorrow (and the chart says so)
    monkeypatch.setattr(ui.storage, "now", lambda: datetime(2026, 6, 15, 12, 0, tzinfo=UTC))
    at = open_tab(open_page(PAGE), "rv.tab_progress")
    assert EN["rv.retention_empty"] in [c.value for c in at.tabs[1].caption]
    answer_current(at, right=True)
    rate(at, "good")
    answer_current(at, right=False)
    (_, due), (spec, fading) = charts(at.tabs[1])
    assert list(due["value"])[:3] == [1, 0, 1]  # the miss is due today, the right one in 2 days
    assert spec["layer"][1]["encoding"]["y"]["field"] == "rule_y"  # the desired retention, drawn from the data
    assert set(fading["rule_y"]) == {0.9}
    recall = fading[spec["layer"][0]["encoding"]["y"]["field"]]
    assert recall.iloc[0] == 1.0 and recall.is_monotonic_decreasing
    table = at.tabs[1].dataframe[0].value
    assert list(table[EN["rv.col_state"]][:2]) == [EN["rv.state_review"], EN["rv.state_new"]]


def test_the_desired_retention_setting_shortens_the_intervals_and_lives_in_the_url():
    at = open_tab(open_page(PAGE), "rv.tab_progress")
    at.select_slider(key="rv_retention_pick").set_value(0.95).run()
    assert at.query_params["rv_retention"] in ("0.95", ["0.95"])
    open_tab(at, "rv.tab_review")  # the setting's tab closed: the value holds
    at.run()
    answer_current(at, right=True)
    good = rating_buttons(at)["good"].label
    assert good == EN["rv.rate_good"].format(wait=EN["rv.in_days"].format(n=1))  # 2 days at 90%


def test_finishing_the_round_summarises_it_and_offers_to_practise_again():
    at = ask(open_page(PAGE), "sqrt_dk")
    answer_current(at, right=True)
    rate(at, "good")
    assert EN["rv.done"] in [s.value for s in at.success]
    shown = [m.value for m in at.markdown]
    assert EN["rv.summary_answers"].format(answered=1, right=1, share=1.0) in shown
    assert EN["rv.summary_ratings"].format(again=0, hard=0, good=1, easy=0) in shown
    n = len(questions())
    assert EN["rv.summary_mastery"].format(before=0.0, after=1 / n) in shown
    at.button[0].click().run()  # practise all anyway
    assert at.session_state["rv_queue"] == list(new_order())


@pytest.fixture
def from_this_machine(monkeypatch):
    """A connection from localhost with `Host: localhost:8501`, as Streamlit reports it (AppTest's
    client has a mock address and no headers)."""
    monkeypatch.setattr(storage, "client_ip", lambda: None)
    monkeypatch.setattr(storage, "request_host", lambda: "localhost:8501")


def test_local_progress_is_saved_to_sqlite_and_survives_a_new_session(private_data_dir, from_this_machine):
    at = open_page(PAGE, url=LOCAL)
    card_id = answer_current(at, right=True)
    db = private_data_dir / "progress.db"
    with sqlite3.connect(db) as con:
        (saved_id, card), = con.execute("SELECT id, card FROM learner_cards").fetchall()
    assert saved_id == card_id and json.loads(card)["fsrs"]["state"] == 2
    assert str(db) in [c.value for c in open_tab(at, "rv.tab_backup").code]
    again = open_page(PAGE, url=LOCAL)  # a new browser session, as after a restart
    assert card_id not in again.session_state["rv_queue"]
    home = open_page(url=LOCAL)
    assert EN["home.review_continue"] in [link.proto.label for link in home.main.get("page_link")]
    assert EN["home.review_due"].format(reviews=0, new=20, total=len(questions())) in [m.value for m in home.markdown]
    assert len(home.get("progress")) == 5


def test_a_leitner_database_opens_on_the_page_with_its_progress(private_data_dir, from_this_machine):
    private_data_dir.mkdir(parents=True)
    (private_data_dir / "progress.db").write_bytes((LEITNER_EXPORT.parent / "progress.db").read_bytes())
    at = open_tab(open_page(PAGE, url=LOCAL), "rv.tab_progress")
    table = at.tabs[1].dataframe[0].value
    rows = dict(zip(table[EN["rv.col_question"]], table[EN["rv.col_right"]], strict=True))
    assert rows[EN["rv.q.multi_head.title"]] == 6 and rows[EN["rv.q.gru_gate.title"]] == 4
    assert at.tabs[2].text_area(key="rv_note_gru").value == "업데이트 게이트 z가 기억을 조절한다"


def test_a_card_of_a_question_no_longer_in_the_bank_is_kept_but_not_asked():
    at = open_page(PAGE)
    old = json.loads(json.dumps(at.session_state["rv_progress"]))
    card_id = answer_current(at, right=True)
    gone = at.session_state["rv_progress"]["cards"][card_id]
    at.session_state["rv_progress"]["cards"]["a_question_since_removed"] = gone
    open_tab(at, "rv.tab_progress")
    assert "a_question_since_removed" in at.session_state["rv_progress"]["cards"]  # still stored
    assert list(charts(at.tabs[1])[0][1]["value"])[2] == 1  # only the real one is due in 2 days
    assert old["cards"] == {}


def test_hosted_sessions_never_see_each_others_progress_and_write_nothing(private_data_dir):
    alice = open_page(PAGE, url=HOSTED)
    answer_current(alice, right=True)
    alice.tabs[2].text_area(key="rv_note_rnn").input("alice's secret").run()
    bob = open_page(PAGE, url=HOSTED)
    assert bob.session_state["rv_queue"] == list(new_order())[:20]
    assert bob.tabs[2].text_area(key="rv_note_rnn").value == ""
    assert EN["rv.mode_session"] in [i.value for i in open_tab(bob, "rv.tab_backup").info]
    assert not private_data_dir.exists()
    home = open_page(url=HOSTED)
    assert EN["home.review_invite"] in [link.proto.label for link in home.main.get("page_link")]


def test_the_storage_setting_wins_over_the_url(private_data_dir, monkeypatch, from_this_machine):
    monkeypatch.setenv("SEQDASH_STORAGE", "session")
    answer_current(open_page(PAGE, url=LOCAL), right=True)
    assert not private_data_dir.exists()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_notes_and_retrospective_are_kept_and_shown_as_plain_text(lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    hostile = "<script>alert(1)</script> **bold** :red[x]"
    at.tabs[2].text_area(key="rv_note_gru").input(hostile).run()
    at.text_area(key="rv_retro_text").input("first " + hostile)
    at.tabs[2].button[0].click().run()  # the form's submit button
    at.text_area(key="rv_retro_text").input("second")
    at.tabs[2].button[0].click().run()
    doc = at.session_state["rv_progress"]
    assert doc["notes"]["gru"] == hostile
    assert [e["text"] for e in doc["retro"]] == ["first " + hostile, "second"]
    table = at.tabs[2].dataframe[0].value
    assert list(table[texts["rv.retro_text"]]) == ["second", "first " + hostile]  # newest first
    rendered = "\n".join(el.value for kind in ("markdown", "caption", "info", "warning", "success", "error")
                         for el in at.get(kind))
    assert "<script>" not in rendered and "**bold**" not in rendered
    at.switch_page("dashboard.py").run()
    at.switch_page(PAGE).run()  # the note box is refilled from the store on return
    assert at.text_area(key="rv_note_gru").value == hostile


def test_a_blank_retrospective_entry_is_refused():
    at = open_page(PAGE)
    at.tabs[2].button[0].click().run()
    assert EN["rv.retro_blank"] in [w.value for w in at.warning]
    assert at.session_state["rv_progress"]["retro"] == []


def test_a_retrospective_entry_can_be_deleted():
    at = open_page(PAGE)
    for text in ("keep", "drop"):
        at.text_area(key="rv_retro_text").input(text)
        at.tabs[2].button[0].click().run()
    at.selectbox(key="rv_retro_delete").set_value(0).run()  # the newest, "drop"
    at.tabs[2].button[1].click().run()
    assert [e["text"] for e in at.session_state["rv_progress"]["retro"]] == ["keep"]


def upload(at, raw: bytes):
    open_tab(at, "rv.tab_backup")
    at.tabs[3].file_uploader[0].set_value(("progress.json", raw, "application/json"))
    at.run()
    assert not at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_export_then_import_restores_everything_in_a_new_session(lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    card_id = answer_current(at, right=True)
    at.tabs[2].text_area(key="rv_note_rnn").input("tanh squashes").run()
    exported = export_json(at.session_state["rv_progress"], datetime.now().date())
    assert open_tab(at, "rv.tab_backup").tabs[3].get("download_button")
    fresh = upload(open_page(PAGE, lang=lang), exported)
    assert texts["rv.import_ready"].format(cards=1, notes=1, retro=0) in [s.value for s in fresh.success]
    fresh.tabs[3].button[0].click().run()
    assert texts["rv.import_done"] in [s.value for s in fresh.success]
    assert fresh.session_state["rv_progress"]["cards"] == at.session_state["rv_progress"]["cards"]
    assert fresh.text_area(key="rv_note_rnn").value == "tanh squashes"
    assert card_id not in fresh.session_state["rv_queue"]


def test_an_export_from_the_leitner_version_still_imports():
    at = upload(open_page(PAGE), LEITNER_EXPORT.read_bytes())
    assert EN["rv.import_ready"].format(cards=8, notes=2, retro=1) in [s.value for s in at.success]
    at.tabs[3].button[0].click().run()
    cards = at.session_state["rv_progress"]["cards"]
    assert cards["multi_head"]["right"] == 6 and cards["multi_head"]["fsrs"]["stability"] == 14.0


@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "not_json"),
    (json.dumps({"app": "other", "version": 2}).encode(), "wrong_app"),
    (json.dumps({"app": "seq-models-dashboard", "version": 99}).encode(), "wrong_version"),
    (json.dumps({"app": "seq-models-dashboard", "version": 2, "notes": {"rnn": 5}}).encode(), "bad_field"),
    (b" " * 1_000_001, "too_large"),
])
def test_a_bad_import_says_why_and_changes_nothing(raw, code):
    at = open_page(PAGE)
    answer_current(at, right=True)
    before = json.loads(json.dumps(at.session_state["rv_progress"]))
    upload(at, raw)
    field = "notes.rnn" if code == "bad_field" else ""
    assert [e.value for e in at.error] == [EN[f"rv.import_{code}"].format(field=field)]
    assert not at.tabs[3].button  # nothing to confirm
    assert at.session_state["rv_progress"] == before


def test_the_local_setting_keeps_progress_on_disk_whatever_the_url(private_data_dir, monkeypatch):
    monkeypatch.setenv("SEQDASH_STORAGE", "local")
    answer_current(open_page(PAGE, url=HOSTED), right=True)
    assert (private_data_dir / "progress.db").is_file()


def test_an_unopenable_database_falls_back_to_the_session(private_data_dir, from_this_machine):
    private_data_dir.mkdir(parents=True)
    (private_data_dir / "progress.db").write_bytes(b"garbage" * 1000)
    at = open_page(PAGE, url=LOCAL)
    assert EN["rv.db_problem"].format(backup=EN["rv.tab_backup"]) in [w.value for w in at.warning]
    answer_current(at, right=True)
    assert at.session_state["rv_progress"]["cards"]


def test_an_answered_card_is_not_listed_twice_in_what_comes_back():
    at = open_page(PAGE)
    card_id = answer_current(at, right=True)  # before rating
    title = EN[f"rv.q.{card_id}.title"]
    listed = [t for cell in schedule(at, EN).values() for t in cell.split(", ")]
    assert listed.count(title) == 1  # at its next date, no longer in this round
    assert metrics(at)[3] == "19"


def test_a_link_with_a_desired_retention_opens_with_it():
    at = open_tab(open_page(PAGE, params={"rv_retention": "0.85"}), "rv.tab_progress")
    assert at.select_slider(key="rv_retention_pick").value == 0.85
    bad = open_page(PAGE, params={"rv_retention": "0.5"})  # not one of the choices: ignored with a notice
    assert bad.session_state["rv_retention"] == 0.9


def test_the_schedule_table_shows_every_question_title_as_plain_text():
    """Streamlit 1.67's st.table renders its cells as Markdown: a title it may list holds no Markdown syntax."""
    for lang in ("en", "ko"):
        texts = catalog(lang)
        shown = [texts[f"rv.q.{i}.title"] for i in questions()]
        shown += [texts[k] for k in ("rv.this_round", "rv.col_date", "rv.col_count", "rv.col_questions")]
        assert with_markdown(shown) == []
