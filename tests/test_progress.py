"""Progress that lasts and never leaks: SQLite across restarts, export/import, hostile files,
the migration of Leitner progress to FSRS, and how the app picks where to keep it
(core/progress.py, ui/storage.py)."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card
from hypothesis import given, settings
from hypothesis import strategies as st

from core.progress import (
    APP,
    MAX_IMPORT_BYTES,
    MAX_TEXT,
    BadImportError,
    MemoryProgress,
    SqliteProgress,
    SqlProgress,
    clean,
    default_data_dir,
    empty,
    export_json,
    fits,
    parse_import,
    read_import,
)
from core.review import LEITNER_INTERVALS, REVIEW, due_at
from ui.schedule import recall, review, scheduler
from ui.storage import storage_mode

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2025, 3, 1)
NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
LEITNER = ROOT / "tests" / "data" / "leitner_v1"  # written by the Leitner version (its README says how)


def answer(card, correct, when=NOW, card_id="q"):
    """The card after one answer, rated as the page suggests (Good if right, Again if wrong)."""
    return review(card, card_id, correct, "good" if correct else "again", when, 0.9)


def run_python(code: str, data_dir: Path) -> str:
    """`code` in a fresh interpreter with SEQDASH_DATA_DIR = data_dir: a real restart."""
    env = {**os.environ, "SEQDASH_DATA_DIR": str(data_dir)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_progress_survives_a_process_restart(tmp_path):
    write = """
from datetime import date
from datetime import date, datetime, timezone
from core.progress import SqliteProgress, default_data_dir
from ui.schedule import review
store = SqliteProgress(default_data_dir() / "progress.db")
when = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)
store.put_card("gru_gate", review(None, "gru_gate", True, "good", when, 0.9))
store.put_note("rnn", "hidden state = memory <script>alert(1)</script>")
store.add_retro(date(2025, 3, 2), "데이터 엔지니어링이 중요하다")
"""
    read = """
import json
from core.progress import SqliteProgress, default_data_dir
print(json.dumps(SqliteProgress(default_data_dir() / "progress.db").load()))
"""
    run_python(write, tmp_path)
    assert (tmp_path / "progress.db").is_file()
    doc = json.loads(run_python(read, tmp_path))
    card = doc["cards"]["gru_gate"]
    assert card == answer(None, True, card_id="gru_gate")  # the whole FSRS state, after a restart
    assert card["fsrs"]["state"] == REVIEW and card["fsrs"]["due"] == "2025-03-03T09:30:00+00:00"  # Good: 2 days
    assert doc["notes"] == {"rnn": "hidden state = memory <script>alert(1)</script>"}
    assert doc["retro"] == [{"date": "2025-03-02", "text": "데이터 엔지니어링이 중요하다"}]


def test_a_killed_writer_loses_at_most_the_change_in_flight(tmp_path):
    # The first answer is committed; the process then dies inside a second transaction.
    crash = """
import os, sqlite3
from datetime import date
from datetime import datetime, timezone
from core.progress import SqliteProgress, default_data_dir
from ui.schedule import review
store = SqliteProgress(default_data_dir() / "progress.db")
store.put_card("rnn_long", review(None, "rnn_long", True, "good", datetime(2025, 3, 1, tzinfo=timezone.utc), 0.9))
con = sqlite3.connect(store.path)
con.execute("DELETE FROM learner_cards")
con.execute("INSERT INTO learner_cards VALUES ('', 'half', '{}')")
os._exit(0)  # no commit, no cleanup
"""
    run_python(crash, tmp_path)
    doc = SqliteProgress(tmp_path / "progress.db").load()
    assert list(doc["cards"]) == ["rnn_long"]


def test_the_database_is_private_to_its_owner(tmp_path):
    store = SqliteProgress(tmp_path / "sub" / "progress.db")
    assert store.path.stat().st_mode & 0o077 == 0


def test_a_file_that_is_not_a_database_fails_when_opened(tmp_path):
    bad = tmp_path / "progress.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Exception, match="not a database"):
        SqliteProgress(bad)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "memory"])
def test_both_stores_behave_the_same(make_store, kind):
    store = make_store(kind)
    store.put_card("a", answer(None, False))
    store.put_card("a", answer(store.load()["cards"]["a"], True, NOW + timedelta(minutes=12)))
    store.put_note("gru", "z keeps, 1 − z writes")
    store.put_note("gru", "updated")
    store.add_retro(date(2025, 3, 5), "later")
    store.add_retro(date(2025, 3, 1), "earlier")
    store.add_retro(date(2025, 3, 5), "later")
    store.delete_retro({"date": "2025-03-05", "text": "later"})
    doc = store.load()
    assert doc["cards"]["a"]["fsrs"]["state"] == REVIEW and doc["cards"]["a"]["wrong"] == 1
    assert doc["notes"] == {"gru": "updated"}
    assert doc["retro"] == [{"date": "2025-03-01", "text": "earlier"}, {"date": "2025-03-05", "text": "later"}]
    store.put_note("rnn", "x" * (MAX_TEXT + 10))
    assert len(store.load()["notes"]["rnn"]) == MAX_TEXT


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "memory"])
def test_update_card_reads_changes_and_writes_one_card(make_store, kind):
    store = make_store(kind)
    seen = []
    first = store.update_card("a", lambda card: seen.append(card) or answer(card, True))
    again = store.update_card("a", lambda card: seen.append(card) or answer(card, True, NOW + timedelta(days=2)))
    assert seen == [None, first] and store.load()["cards"] == {"a": again} and again["right"] == 2


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_stores_on_one_database_lose_no_answer(make_store, kind):
    # two browser tabs, each with its own store on the same database, answering the same card
    a, b = make_store(kind), make_store(kind)
    for k in range(6):
        (a if k % 2 else b).update_card("q", lambda card, k=k: answer(card, True, NOW + timedelta(days=3 * k)))
    assert a.load()["cards"]["q"]["right"] == 6


def full_doc():
    doc = empty()
    doc["cards"] = {"sqrt_dk": answer(None, True), "rnn_long": answer(None, False),
                    "gru_gate": answer(answer(None, True), True, NOW + timedelta(days=3))}
    doc["notes"] = {"attention": "Q from the decoder\n**not bold**", "rnn": "한국어 노트"}
    doc["retro"] = [{"date": "2025-02-01", "text": "first"}, {"date": "2025-03-01", "text": "<b>second</b>"}]
    return doc


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "memory"])
def test_export_then_import_round_trips(make_store, kind):
    source = MemoryProgress(full_doc())
    exported = export_json(source.load(), DAY)
    assert json.loads(exported)["app"] == APP and json.loads(exported)["exported"] == "2025-03-01"
    target = make_store(kind)
    target.put_card("lstm_cell", answer(None, True))  # replaced, not merged
    target.replace(parse_import(exported))
    assert target.load() == full_doc()


def fsrs_card(**changes) -> dict:
    """A valid card in review, with some of its FSRS fields changed."""
    card = answer(None, True)
    return {**card, "fsrs": {**card["fsrs"], **changes}}


def upload(doc) -> bytes:
    return json.dumps(doc).encode()


def with_(**changes):
    doc = json.loads(export_json(full_doc(), DAY))
    doc.update(changes)
    return doc


@pytest.mark.parametrize(("raw", "code"), [
    (b"", "not_json"),
    (b"not json at all", "not_json"),
    (b"\xff\xfe\x00garbage", "not_json"),
    (b"[1, 2, 3]", "not_json"),
    (b"[" * 600_000 + b"]" * 600_000, "too_large"),
    (b"[" * 50_000 + b"]" * 50_000, "not_json"),  # nested deeper than the parser's recursion limit
    (b'{"app": "seq-models-dashboard", "version": NaN}', "not_json"),
    (upload({"cards": {}}), "wrong_app"),
    (upload(with_(app="some-other-app")), "wrong_app"),
    (upload(with_(version=3)), "wrong_version"),
    (upload(with_(version="1")), "wrong_version"),
    (upload(with_(version=True)), "wrong_version"),
    (b" " * (MAX_IMPORT_BYTES + 1), "too_large"),
    (upload(with_(notes={"rnn": "x" * 2_000_000})), "too_large"),
    (upload(with_(notes={"rnn": "x" * (MAX_TEXT + 1)})), "too_long"),
    (upload(with_(cards=[])), "bad_field"),
    (upload(with_(cards={"a": fsrs_card(state=4)})), "bad_field"),
    (upload(with_(cards={"a": fsrs_card(state=True)})), "bad_field"),
    (upload(with_(cards={"a": fsrs_card(step=0)})), "bad_field"),  # a card in review has no step
    (upload(with_(cards={"a": fsrs_card(stability=None, difficulty=None)})), "bad_field"),  # nor no memory
    (upload(with_(cards={"a": fsrs_card(stability=-1.0)})), "bad_field"),
    (upload(with_(cards={"a": fsrs_card(stability="2")})), "bad_field"),
    (b'{"app": "seq-models-dashboard", "version": 2, "cards": {"a": {"fsrs": {"card_id": 1, "state": 2, '
     b'"step": null, "stability": 1e999, "difficulty": 5, "due": "2025-03-01T00:00:00+00:00", '
     b'"last_review": null}, "right": 0, "wrong": 0}}}', "bad_field"),  # json reads 1e999 as inf
    (upload(with_(cards={"a": fsrs_card(difficulty=11.0)})), "bad_field"),
    (upload(with_(cards={"a": fsrs_card(due="2025-03-01")})), "bad_field"),  # no time zone
    (upload(with_(cards={"a": fsrs_card(due="yesterday")})), "bad_field"),
    (upload(with_(cards={"a": fsrs_card(last_review="2025-03-01T25:00:00+00:00")})), "bad_field"),
    (upload(with_(cards={"a": {**fsrs_card(), "right": -1}})), "bad_field"),
    (upload(with_(cards={"a": {**fsrs_card(), "box": 2}})), "bad_field"),
    (upload(with_(cards={"a": {"right": 0, "wrong": 0}})), "bad_field"),
    (upload(with_(cards={"a": {"box": 2, "due": "2025-03-01", "right": 0, "wrong": 0, "last": None}})),
     "bad_field"),  # a Leitner card in a version-2 file
    (upload(with_(version=1, cards={"a": {"box": "2", "due": "2025-03-01", "right": 0, "wrong": 0, "last": None}})),
     "bad_field"),
    (upload(with_(version=1, cards={"a": {"box": 9, "due": "2025-03-01", "right": 0, "wrong": 0, "last": None}})),
     "bad_field"),
    (upload(with_(version=1, cards={"a": {"box": 1, "due": "yesterday", "right": 0, "wrong": 0, "last": None}})),
     "bad_field"),
    (upload(with_(version=1, cards={"a": {"box": 1, "due": "2025-03-01"}})), "bad_field"),
    (upload(with_(cards={"'; DROP TABLE cards; --": fsrs_card()})), "bad_field"),
    (upload(with_(notes={"rnn": 42})), "bad_field"),
    (upload(with_(notes={"x" * 100: "long key"})), "bad_field"),
    (upload(with_(retro={"date": "2025-03-01"})), "bad_field"),
    (upload(with_(retro=[{"date": "2025-13-45", "text": "bad date"}])), "bad_field"),
    (upload(with_(retro=[{"date": "2025-03-01", "text": ["not", "text"]}])), "bad_field"),
    (upload(with_(retro=[{"date": "2025-03-01", "text": "x", "extra": 1}])), "bad_field"),
    (upload(with_(retro=[{"date": "2025-03-01", "text": "x"}] * 5000)), "bad_field"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_bad_import_is_refused_with_its_reason_and_changes_nothing(tmp_path, raw, code):
    store = SqliteProgress(tmp_path / "p.db")
    store.replace(full_doc())
    with pytest.raises(BadImportError) as problem:
        store.replace(parse_import(raw))
    assert problem.value.code == code
    assert store.load() == full_doc()


# --- the Leitner version's progress, migrated -------------------------------------------------

def leitner_export() -> dict:
    return json.loads((LEITNER / "export.json").read_bytes())


def test_a_leitner_database_migrates_with_nothing_lost(tmp_path):
    db = tmp_path / "progress.db"
    shutil.copy(LEITNER / "progress.db", db)
    with sqlite3.connect(db) as con:
        old = {row[0]: row[1:] for row in con.execute("SELECT id, box, due, right, wrong, last FROM cards")}
    doc = SqliteProgress(db).load()
    assert set(doc["cards"]) == set(old) and len(old) == 8
    for card_id, (box, due, right, wrong, last) in old.items():
        card = doc["cards"][card_id]
        assert (card["right"], card["wrong"]) == (right, wrong)
        assert due_at(card) == datetime.fromisoformat(due).replace(tzinfo=UTC)  # due the same day
        assert card["fsrs"]["last_review"].startswith(last)
        if box == 1:  # not learned yet: no memory state, FSRS starts it afresh
            assert card["fsrs"]["state"] == 1 and card["fsrs"]["stability"] is None
        else:  # in review: recall falls to 90% after the box's interval, as the boxes scheduled it
            assert card["fsrs"]["state"] == REVIEW and card["fsrs"]["stability"] == LEITNER_INTERVALS[box - 1]
    assert doc["notes"] == {"rnn": "tanh squashes <script>alert(1)</script>",
                            "gru": "업데이트 게이트 z가 기억을 조절한다"}
    assert doc["retro"] == [{"date": "2026-11-25", "text": "RNN은 단기 기억에 강하다"}]
    with sqlite3.connect(db) as con:  # the old table is kept, renamed, untouched
        kept = {row[0]: row[1:] for row in con.execute("SELECT id, box, due, right, wrong, last FROM leitner_cards")}
    assert kept == old
    assert SqliteProgress(db).load() == doc  # opening it again changes nothing


def test_a_damaged_leitner_row_stays_in_the_kept_table_and_the_rest_migrates(tmp_path):
    db = tmp_path / "progress.db"
    shutil.copy(LEITNER / "progress.db", db)
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO cards VALUES ('bad', 'five', 'someday', -1, 0.5, 3)")
    doc = SqliteProgress(db).load()
    assert "bad" not in doc["cards"] and len(doc["cards"]) == 8
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT box FROM leitner_cards WHERE id = 'bad'").fetchone() == ("five",)


def test_a_leitner_export_imports_as_the_same_fsrs_cards(tmp_path):
    db = tmp_path / "progress.db"
    shutil.copy(LEITNER / "progress.db", db)
    from_db = SqliteProgress(db).load()
    imported = parse_import((LEITNER / "export.json").read_bytes())
    assert imported == from_db
    assert leitner_export()["version"] == 1


def test_migrated_cards_schedule_with_fsrs(tmp_path):
    cards = parse_import((LEITNER / "export.json").read_bytes())["cards"]
    when = datetime(2026, 12, 8, 10, tzinfo=UTC)
    for card_id, card in cards.items():
        after = review(card, card_id, True, "good", when, 0.9)
        assert after["fsrs"]["state"] == REVIEW and due_at(after) > when
        assert after["right"] == card["right"] + 1


# --- FSRS state through every store and JSON ---------------------------------------------------

@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "memory", "json"])
def test_fsrs_state_round_trips_exactly(make_store, kind):
    cards = {}
    for k, rating in enumerate(("again", "hard", "good", "easy")):  # every state FSRS can be in
        first = review(None, f"q{k}", rating != "again", rating, NOW, 0.9)
        cards[f"q{k}"] = first
        cards[f"r{k}"] = review(first, f"r{k}", rating != "again", "again", NOW + timedelta(days=3), 0.85)
    doc = {**empty(), "cards": cards}
    if kind == "json":
        back = parse_import(export_json(doc, DAY))
    else:
        store = make_store(kind)
        for card_id, card in cards.items():
            store.put_card(card_id, card)
        back = store.load()
    assert back["cards"] == cards
    assert {c["fsrs"]["state"] for c in back["cards"].values()} == {1, 2, 3}
    later = NOW + timedelta(days=5)
    s = scheduler(0.9)
    for card_id, card in cards.items():  # the same numbers come out of the stored state
        assert review(back["cards"][card_id], card_id, True, "good", later, 0.9) == review(card, card_id, True, "good",
                                                                                         later, 0.9)
        assert s.get_card_retrievability(Card.from_dict(back["cards"][card_id]["fsrs"]), later) == \
            s.get_card_retrievability(Card.from_dict(card["fsrs"]), later)


def test_markup_in_an_import_stays_text():
    doc = full_doc()
    doc["notes"]["rnn"] = "<script>alert('x')</script>"
    assert parse_import(export_json(doc, DAY))["notes"]["rnn"] == "<script>alert('x')</script>"


@pytest.mark.parametrize(("setting", "host", "ip", "expected"), [
    ("local", "seq-models.example.org", "203.0.113.9", "local"),
    ("session", "localhost:8501", None, "session"),
    (" Session ", "localhost:8501", None, "session"),
    (None, "localhost:8501", None, "local"),
    (None, "LOCALHOST:8501", None, "local"),  # host names are case-insensitive
    (None, "localhost", None, "local"),
    (None, "127.0.0.1:8501", None, "local"),
    (None, "[::1]:8501", None, "local"),
    (None, "seq-models.example.org", "203.0.113.9", "session"),
    (None, "localhost:8501", "203.0.113.9", "session"),  # a remote client claiming localhost
    (None, "seq-models.example.org", None, "session"),  # behind a proxy on this machine
    (None, "rebind.evil.example:8501", None, "session"),  # DNS rebinding: evil name -> 127.0.0.1
    (None, "localhost.evil.example:8501", None, "session"),
    (None, "127.0.0.1.nip.io:8501", None, "session"),
    (None, "[::1", None, "session"),  # not a host at all
    (None, "", None, "session"),
    (None, None, None, "session"),  # unknown: the safe choice
    ("disk", "localhost:8501", None, "local"),  # an unknown setting falls back to detection
])
def test_storage_mode_trusts_the_host_header_and_the_peer(setting, host, ip, expected):
    assert storage_mode(setting, host, ip) == expected


def test_data_dir_follows_the_override_and_the_platform(tmp_path):
    home = Path("/home/learner")
    assert default_data_dir({"SEQDASH_DATA_DIR": str(tmp_path)}, "linux", home) == tmp_path
    assert default_data_dir({}, "linux", home) == home / ".local/share/seq-models-dashboard"
    assert default_data_dir({"XDG_DATA_HOME": "/x"}, "linux", home) == Path("/x/seq-models-dashboard")
    assert default_data_dir({}, "darwin", home) == home / "Library/Application Support/seq-models-dashboard"
    assert default_data_dir({"APPDATA": "C:/Users/l/AppData/Roaming"}, "win32", home) == \
        Path("C:/Users/l/AppData/Roaming/seq-models-dashboard")


# ---------------------------------------------------------------- hardening: what no file or failure may do

KNOWN_CARDS, KNOWN_CONCEPTS = ("rnn_long", "sqrt_dk", "gru_gate"), ("rnn", "attention")


def exported(**changes) -> bytes:
    doc = {**full_doc(), **changes}
    return export_json(doc, DAY)


def test_an_import_keeps_the_known_ids_and_names_the_ones_it_drops():
    doc = full_doc()
    doc["cards"]["obsolete_question"] = answer(None, True)
    doc["notes"]["transformer"] = "a concept of a later version"
    incoming, dropped = read_import(export_json(doc, DAY), KNOWN_CARDS, KNOWN_CONCEPTS)
    assert set(incoming["cards"]) == {"sqrt_dk", "rnn_long", "gru_gate"}
    assert set(incoming["notes"]) == {"attention", "rnn"}
    assert dropped == ["cards.obsolete_question", "notes.transformer"]
    assert read_import(export_json(full_doc(), DAY), KNOWN_CARDS, KNOWN_CONCEPTS)[1] == []


@pytest.mark.parametrize("where", ["note", "retro"])
def test_a_lone_surrogate_in_an_import_is_refused(where):
    # valid JSON ("\ud800" is a legal escape) that decodes to a str no UTF-8 encoder, SQLite or page takes
    raw = (b'{"app": "seq-models-dashboard", "version": 2, '
           + (b'"notes": {"rnn": "a\\ud800b"}}' if where == "note" else
              b'"retro": [{"date": "2025-03-01", "text": "\\udfff"}]}'))
    with pytest.raises(BadImportError) as refused:
        read_import(raw, KNOWN_CARDS, KNOWN_CONCEPTS)
    assert refused.value.code == "bad_text"
    assert refused.value.detail == ("notes.rnn" if where == "note" else "retro[0].text")


def test_a_utf8_byte_order_mark_is_accepted():
    raw = "\ufeff".encode() + exported()  # Notepad saves UTF-8 with a BOM by default
    assert read_import(raw, KNOWN_CARDS, KNOWN_CONCEPTS)[0] == parse_import(exported())


def test_every_export_imports_again():
    # The largest progress the app lets a learner keep: `fits` is what put_note/add_retro check
    doc = full_doc()
    entry = "회고 " * 2_000  # 6,000 characters, 3 bytes each in UTF-8
    while fits(doc):
        doc["retro"].append({"date": "2025-03-02", "text": entry})
    doc["retro"].pop()
    raw = export_json(doc, DAY)
    assert MAX_IMPORT_BYTES - 20_000 < len(raw) <= MAX_IMPORT_BYTES  # close to the cap, under it
    assert read_import(raw, KNOWN_CARDS, KNOWN_CONCEPTS)[0]["retro"] == doc["retro"]


def test_a_file_whose_own_export_would_be_too_large_is_refused():
    # Compact JSON under the cap, whose indented re-export would not be: refused, so an import
    # never leaves progress that cannot be exported and imported again.
    doc = full_doc()
    doc["retro"] = [{"date": "2025-03-02", "text": "x" * 480}] * 1_900  # ~32 bytes more an entry when indented
    raw = json.dumps({"app": APP, "version": 2, **{k: doc[k] for k in ("cards", "notes", "retro")}},
                     separators=(",", ":")).encode()
    assert len(raw) <= MAX_IMPORT_BYTES < len(export_json(doc, DAY))
    with pytest.raises(BadImportError) as refused:
        read_import(raw)
    assert refused.value.code == "too_large"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**10) | st.floats(allow_nan=False)
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=8)  # lone surrogates too
    | st.sampled_from(["2025-03-01", "not a date", "rnn_long", "\ud800"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["fsrs", "state", "step", "due", "right", "wrong", "last_review", "date", "text",
                         "rnn_long", "sqrt_dk", "rnn", "\ud800", "<b>x</b>"]), inner, max_size=5),
    max_leaves=12,
)
STORED = st.fixed_dictionaries({}, optional={"cards": JSON_VALUES | st.dictionaries(
    st.sampled_from(["rnn_long", "sqrt_dk", "gone", "\ud800"]), JSON_VALUES | st.just(answer(None, True))),
    "notes": JSON_VALUES, "retro": JSON_VALUES})


@settings(max_examples=60, deadline=None)
@given(STORED)
def test_whatever_a_store_holds_cleans_into_what_the_review_can_draw(stored):
    from core import review

    doc, skipped = clean(stored, KNOWN_CARDS, KNOWN_CONCEPTS)
    assert set(doc["cards"]) <= set(KNOWN_CARDS) and set(doc["notes"]) <= set(KNOWN_CONCEPTS)
    parse_import(export_json(doc, DAY))  # it is a valid document: its export imports
    json.dumps(doc, ensure_ascii=False).encode("utf-8")  # no lone surrogate left
    review.due_queue(doc["cards"], list(KNOWN_CARDS), NOW)  # the page's own uses of it
    review.upcoming(doc["cards"], NOW)
    review.mastery(recall(doc["cards"], NOW), {"rnn_long": "rnn", "sqrt_dk": "attention", "gru_gate": "gru"})
    assert all(isinstance(field, str) for field in skipped)


def test_clean_keeps_good_entries_beside_bad_ones_and_repairs_text():
    stored = {"cards": {"rnn_long": answer(None, True), "sqrt_dk": {"box": "five"}, "gone": {}},
              "notes": {"rnn": "a\ud800b", "attention": 7},
              "retro": [{"date": "2025-03-01", "text": "ok"}, {"date": "yesterday", "text": "x"}, "?"]}
    doc, skipped = clean(stored, KNOWN_CARDS, KNOWN_CONCEPTS)
    assert list(doc["cards"]) == ["rnn_long"]
    assert doc["notes"] == {"rnn": "a\ufffdb"}  # the note kept, the lone surrogate replaced
    assert doc["retro"] == [{"date": "2025-03-01", "text": "ok"}]
    assert skipped == ["cards.sqrt_dk", "cards.gone", "notes.attention", "retro[1]", "retro[2]"]


def test_a_database_holding_wrong_types_and_broken_text_reads_cleanly(tmp_path):
    store = SqliteProgress(tmp_path / "progress.db")
    store.put_card("rnn_long", answer(None, True))
    with sqlite3.connect(store.path) as con:  # what another program or a damaged page could leave
        con.execute("INSERT INTO learner_cards VALUES ('', 'sqrt_dk', '{\"fsrs\": 7, \"right\": -1}')")
        con.execute("INSERT INTO learner_cards VALUES ('', 'lstm_gates', 'not json {')")
        con.execute("INSERT INTO learner_cards VALUES ('', 'unknown_card', ?)", (json.dumps(answer(None, True)),))
        con.execute("INSERT INTO learner_notes VALUES ('', 'rnn', CAST(X'61EDA08062' AS TEXT))")  # lone surrogate
        con.execute("INSERT INTO learner_retro (learner, date, text) VALUES ('', 20250301, X'00FF')")
    doc, skipped = clean(store.load(), KNOWN_CARDS, KNOWN_CONCEPTS)
    assert list(doc["cards"]) == ["rnn_long"]
    assert doc["notes"]["rnn"].startswith("a") and doc["notes"]["rnn"].endswith("b")
    assert "\ufffd" in doc["notes"]["rnn"]
    assert sorted(skipped) == ["cards.lstm_gates", "cards.sqrt_dk", "cards.unknown_card", "retro[0]"]


def test_a_broken_stored_card_is_answered_as_a_new_one(tmp_path):
    store = SqliteProgress(tmp_path / "progress.db")
    with sqlite3.connect(store.path) as con:
        con.execute("INSERT INTO learner_cards VALUES ('', 'rnn_long', '{\"box\": 1, \"due\": \"never\"}')")
    card = store.update_card("rnn_long", lambda card: answer(card, True))
    assert card == answer(None, True)
    assert store.load()["cards"]["rnn_long"] == card


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "memory"])
def test_concurrent_writers_on_one_card_lose_no_answer(make_store, kind):
    threads, answers = 4, 50
    make_store(kind)  # the database exists (and is migrated) before the writers start

    def writer(k: int) -> None:
        store = make_store(kind)  # a connection of its own, as a tab has
        for i in range(answers):
            store.update_card("rnn_long", lambda card, right=(i + k) % 3 != 0: answer(card, right))

    pool = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    card = make_store(kind).load()["cards"]["rnn_long"]
    assert card["right"] + card["wrong"] == threads * answers
    assert card["right"] == sum((i + k) % 3 != 0 for k in range(threads) for i in range(answers))


# --- one database, many learners (the hosted app) -------------------------------------------

@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_learners_on_one_database_never_see_each_others_progress(make_store, kind):
    alice, bob = make_store(kind, "key:alice"), make_store(kind, "user:bob")
    alice.put_card("rnn_long", answer(None, True))
    alice.put_note("rnn", "alice's note")
    alice.add_retro(DAY, "alice's day")
    bob.update_card("rnn_long", lambda card: answer(card, False))
    bob.put_note("rnn", "bob's note")
    assert alice.load()["cards"]["rnn_long"]["right"] == 1 and bob.load()["cards"]["rnn_long"]["wrong"] == 1
    assert alice.load()["notes"] == {"rnn": "alice's note"} and bob.load()["notes"] == {"rnn": "bob's note"}
    assert bob.load()["retro"] == []
    bob.replace(parse_import(export_json(full_doc(), DAY)))  # an import replaces bob's progress only
    bob.delete_retro({"date": DAY.isoformat(), "text": "alice's day"})
    assert alice.load()["retro"] == [{"date": "2025-03-01", "text": "alice's day"}]
    assert alice.load()["notes"] == {"rnn": "alice's note"} and make_store(kind).load() == empty()


def test_the_schema_is_migrated_once_and_recorded(make_store):
    from core import schema

    for kind in ("sqlite", "postgresql"):
        store = make_store(kind)
        with store.db.transaction() as run:
            assert run("SELECT version FROM schema_version") == [(schema.VERSION,)]
            assert schema.migrate(run, store.db.dialect) == schema.VERSION  # nothing left to run


def test_a_text_with_nul_is_kept_alike_by_both_databases(make_store):
    for kind in ("sqlite", "postgresql"):  # PostgreSQL's text refuses NUL: both keep U+FFFD instead
        store = make_store(kind)
        store.put_note("rnn", "a\x00b")
        assert store.load()["notes"] == {"rnn": "a\ufffdb"}


def test_a_postgresql_writer_killed_mid_answer_loses_only_that_answer(postgres_url):
    crash = f"""
import os, json
from datetime import datetime, timezone
import sqlalchemy as sa
from core.progress import SqlProgress
from ui.database import EngineDatabase
from ui.schedule import review
store = SqlProgress(EngineDatabase(sa.create_engine({postgres_url!r})), "key:k")
store.put_card("rnn_long", review(None, "rnn_long", True, "good", datetime(2025, 3, 1, tzinfo=timezone.utc), 0.9))
def change(card):
    store.put_note("rnn", "written in its own transaction, committed")
    print("in flight", flush=True)
    os.kill(os.getpid(), 9)  # kill -9 inside update_card's transaction, before its commit
store.update_card("rnn_long", change)
"""
    result = subprocess.run([sys.executable, "-c", crash], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == -9 and "in flight" in result.stdout, result.stderr
    import sqlalchemy as sa

    from ui.database import EngineDatabase

    engine = sa.create_engine(postgres_url)
    doc = SqlProgress(EngineDatabase(engine), "key:k").load()
    engine.dispose()
    assert doc["cards"]["rnn_long"] == answer(None, True, datetime(2025, 3, 1, tzinfo=UTC), "rnn_long")
    assert doc["notes"] == {"rnn": "written in its own transaction, committed"}


def test_a_version_2_database_is_adopted_by_the_local_learner_with_nothing_lost(tmp_path):
    # the tables as the FSRS version before learners wrote them
    path = tmp_path / "progress.db"
    with closing(sqlite3.connect(path)) as con, con:
        con.execute("CREATE TABLE review_cards (id TEXT PRIMARY KEY, card TEXT NOT NULL)")
        con.execute("CREATE TABLE notes (concept TEXT PRIMARY KEY, text TEXT NOT NULL)")
        con.execute("CREATE TABLE retro (id INTEGER PRIMARY KEY AUTOINCREMENT, date TEXT NOT NULL, text TEXT NOT NULL)")
        doc = full_doc()
        con.executemany("INSERT INTO review_cards VALUES (?, ?)", [(i, json.dumps(c)) for i, c in doc["cards"].items()])
        con.executemany("INSERT INTO notes VALUES (?, ?)", list(doc["notes"].items()))
        con.executemany("INSERT INTO retro (date, text) VALUES (?, ?)", [(e["date"], e["text"]) for e in doc["retro"]])
    assert SqliteProgress(path).load() == full_doc()
    with closing(sqlite3.connect(path)) as con:  # the old tables stay, renamed
        assert con.execute("SELECT count(*) FROM v2_review_cards").fetchone() == (3,)
    assert SqliteProgress(path).load() == full_doc()  # opened again: nothing copied twice


def test_a_configured_database_makes_a_hosted_app_keep_progress_there():
    assert storage_mode(None, "class.example.org", "203.0.113.9", hosted_db=True) == "database"
    assert storage_mode(None, "localhost:8501", None, hosted_db=True) == "database"  # the host's choice wins
    assert storage_mode("session", "class.example.org", "203.0.113.9", hosted_db=True) == "session"
    assert storage_mode("database", "localhost:8501", None) == "database"
    assert storage_mode(None, "class.example.org", "203.0.113.9") == "session"
