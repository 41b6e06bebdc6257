"""The review page as a learner uses it: answer right and wrong, watch the schedule change, keep
notes, and save, restore and never leak progress."""

import json
import sqlite3
from datetime import date, timedelta

import pytest

from conftest import open_page
from core.exercises import make_exercise
from core.progress import export_json
from ui import storage
from ui.i18n import catalog
from ui.review import questions

PAGE = "pages/7_review.py"
LOCAL = "http://localhost:8501/review"
HOSTED = "https://seq-models.example.org/review"
EN, KO = catalog("en"), catalog("ko")


def current(at):
    return at.session_state["rv_current"]


def answer_current(at, right: bool):
    """Answer the card on screen, right or wrong, and press Check."""
    card_id, seed = current(at)["id"], current(at)["seed"]
    step = at.session_state["rv_step"]
    q = questions()[card_id]
    if q["kind"] == "choice":
        wrong = next(o for o in q["options"] if o != q["correct"])
        at.radio(key=f"rv_choice_{step}").set_value(q["correct"] if right else wrong)
    else:
        answer = make_exercise(q["exercise"], seed)["answer"]
        at.number_input(key=f"rv_number_{step}").set_value(answer if right else answer + 7)
    at.button(key=f"rv_check_{step}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return card_id


def next_card(at):
    at.button(key=f"rv_next_{at.session_state['rv_step']}").click().run()
    assert not at.exception
    return at


def schedule(at, texts):
    """The 'what comes back next' table: {date: questions}."""
    table = at.tabs[0].dataframe[0].value
    return dict(zip(table[texts["rv.col_date"]], table[texts["rv.col_questions"]], strict=True))


def metrics(at):
    return [m.value for m in at.tabs[0].metric]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_right_answer_moves_the_card_up_and_schedules_it_for_tomorrow(lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    assert at.title[0].value == texts["rv.title"]
    total = len(questions())
    assert metrics(at) == ["0", "0", "0", str(total)]
    card_id = answer_current(at, right=True)
    assert [s.value for s in at.success] == [texts["rv.right"]]
    assert texts[f"rv.q.{card_id}.explain"] in [m.value for m in at.markdown]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    link = at.tabs[0].get("page_link")[0].proto
    assert link.page == "rnn" and link.label == texts["rv.see_live"].format(page=texts["nav.rnn"])
    next_card(at)
    assert metrics(at) == ["1", "1", "0", str(total - 1)]
    assert schedule(at, texts)[tomorrow] == texts[f"rv.q.{card_id}.title"]
    assert card_id not in at.session_state["rv_queue"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_wrong_answer_shows_the_right_one_and_the_card_comes_back_this_round(lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    card_id = answer_current(at, right=False)
    correct = texts[f"rv.q.{card_id}.opt_{questions()[card_id]['correct']}"]
    assert [e.value for e in at.error] == [texts["rv.wrong_choice"].format(answer=correct)]
    assert texts["rv.comes_back_again"] in [c.value for c in at.caption]
    next_card(at)
    assert at.session_state["rv_queue"][-1] == card_id
    assert metrics(at)[:3] == ["1", "0", "1"]
    assert texts[f"rv.q.{card_id}.title"] in schedule(at, texts)[texts["rv.this_round"]]
    assert texts["rv.missed"].format(titles=texts[f"rv.q.{card_id}.title"]) in [c.value for c in at.caption]


def test_checking_without_an_answer_asks_for_one_and_changes_nothing():
    at = open_page(PAGE)
    at.button(key="rv_check_0").click().run()
    assert [w.value for w in at.warning] == [EN["rv.pick_first"]]
    assert at.session_state["rv_log"] == [] and at.session_state["rv_feedback"] is None


@pytest.mark.parametrize("kind", ["softmax", "attention_weight", "gru_params"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_numeric_exercises_check_the_number_and_explain_a_wrong_one(kind, lang):
    texts = catalog(lang)
    at = open_page(PAGE, lang=lang)
    at.session_state["rv_queue"] = [kind, kind]
    at.run()
    first_seed = current(at)["seed"]
    ex = make_exercise(kind, first_seed)
    answer_current(at, right=False)
    shown = f"{ex['answer']:,}" if kind == "gru_params" else f"{ex['answer']:.4f}"
    assert [e.value for e in at.error] == [
        texts["rv.wrong_number"].format(given=f"{ex['answer'] + 7:g}", answer=shown)]
    assert any(shown.replace(",", "{,}") in latex.value for latex in at.latex)  # how it is computed
    next_card(at)
    assert current(at) == {"id": kind, "seed": first_seed + 1}  # the same card, a new draw
    answer_current(at, right=True)
    assert len(at.success) == 1 and at.success[0].value.startswith(texts["rv.right_number"].split("{")[0])


def test_nearly_right_is_right_within_the_tolerance():
    at = open_page(PAGE)
    at.session_state["rv_queue"] = ["softmax"]
    at.run()
    ex = make_exercise("softmax", current(at)["seed"])
    at.number_input(key="rv_number_0").set_value(round(ex["answer"], 2))
    at.button(key="rv_check_0").click().run()
    assert len(at.success) == 1 and not at.error


def test_finishing_the_round_says_so_and_offers_to_practise_again():
    at = open_page(PAGE)
    at.session_state["rv_queue"] = ["sqrt_dk"]
    at.run()
    answer_current(at, right=True)
    next_card(at)
    assert EN["rv.done"] in [s.value for s in at.success]
    at.button[0].click().run()  # practise all anyway
    assert at.session_state["rv_queue"] == list(questions())


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
        assert con.execute("SELECT id, box FROM cards").fetchall() == [(card_id, 2)]
    assert str(db) in [c.value for c in at.code]
    again = open_page(PAGE, url=LOCAL)  # a new browser session, as after a restart
    assert card_id not in again.session_state["rv_queue"]
    home = open_page(url=LOCAL)
    assert EN["home.review_continue"] in [link.proto.label for link in home.main.get("page_link")]
    assert len(home.get("progress")) == 5


def test_hosted_sessions_never_see_each_others_progress_and_write_nothing(private_data_dir):
    alice = open_page(PAGE, url=HOSTED)
    answer_current(alice, right=True)
    alice.tabs[2].text_area(key="rv_note_rnn").input("alice's secret").run()
    bob = open_page(PAGE, url=HOSTED)
    assert bob.session_state["rv_queue"] == list(questions())
    assert bob.tabs[2].text_area(key="rv_note_rnn").value == ""
    assert EN["rv.mode_session"] in [i.value for i in bob.info]
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
    exported = export_json(at.session_state["rv_progress"], date.today())
    assert at.tabs[3].get("download_button")
    fresh = upload(open_page(PAGE, lang=lang), exported)
    assert texts["rv.import_ready"].format(cards=1, notes=1, retro=0) in [s.value for s in fresh.success]
    fresh.tabs[3].button[0].click().run()
    assert texts["rv.import_done"] in [s.value for s in fresh.success]
    assert fresh.session_state["rv_progress"]["cards"] == at.session_state["rv_progress"]["cards"]
    assert fresh.text_area(key="rv_note_rnn").value == "tanh squashes"
    assert card_id not in fresh.session_state["rv_queue"]


@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "not_json"),
    (json.dumps({"app": "other", "version": 1}).encode(), "wrong_app"),
    (json.dumps({"app": "seq-models-dashboard", "version": 99}).encode(), "wrong_version"),
    (json.dumps({"app": "seq-models-dashboard", "version": 1, "notes": {"rnn": 5}}).encode(), "bad_field"),
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
    assert EN["rv.db_problem"] in [w.value for w in at.warning]
    answer_current(at, right=True)
    assert at.session_state["rv_progress"]["cards"]


def test_an_answered_card_is_not_listed_twice_in_what_comes_back():
    at = open_page(PAGE)
    card_id = answer_current(at, right=True)  # before pressing Next
    title = EN[f"rv.q.{card_id}.title"]
    listed = [t for cell in schedule(at, EN).values() for t in cell.split(", ")]
    assert listed.count(title) == 1  # at its next date, no longer in this round
    assert metrics(at)[3] == str(len(questions()) - 1)
