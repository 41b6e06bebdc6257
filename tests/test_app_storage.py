"""Progress that no file or failure can lock out, as a learner meets it: a full disk, a read-only or
corrupted database, a hostile import, stored values the app never wrote, a rebinding page, and the
smaller things a link can carry (AppTest; ui/storage.py, core/progress.py)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, date, datetime

import pytest
from test_app_review import PAGE, answer_current, from_this_machine, metrics, open_tab, rate, upload  # noqa: F401

from conftest import open_page
from core.progress import SqliteProgress, export_json
from ui import storage
from ui.i18n import catalog
from ui.review import questions
from ui.schedule import review
from ui.widgets import MAX_CHARS

EN, KO = catalog("en"), catalog("ko")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "CREATE")
_connect = sqlite3.connect  # the real one, before any test replaces it


class FullDisk(sqlite3.Connection):
    """A connection on a disk with no space left: every write fails as SQLite reports it (SQLITE_FULL)."""

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(WRITES):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)

    def executemany(self, sql, *args):
        return self.execute(sql, *args)


def answered(card_id: str = "rnn_long") -> dict:
    """A card answered right once, now (FSRS, rated Good)."""
    return review(None, card_id, True, "good", datetime.now(UTC), 0.9)


def warnings_of(at) -> list[str]:
    return [w.value for w in at.warning]


def texts_of(at) -> list[str]:
    return [x.value for x in at.text]


def db_rows(path) -> list:
    with contextlib.closing(_connect(path)) as con:
        return con.execute("SELECT id, card FROM learner_cards ORDER BY id").fetchall()


def saved_before(data_dir) -> list:
    """A database with one answered card, as an earlier visit left it."""
    store = SqliteProgress(data_dir / "progress.db")
    store.put_card("rnn_long", answered())
    store.put_note("rnn", "saved before")
    return db_rows(store.path)


def assert_answers_kept_in_the_session(at, answered: int) -> None:
    """The page still works, says why, and the session holds (and exports) every answer of the visit."""
    assert not at.exception
    assert EN["rv.db_problem"].format(backup=EN["rv.tab_backup"]) in warnings_of(at)
    assert metrics(at)[0] == str(answered)
    exported = json.loads(export_json(at.session_state[storage.STATE_KEY], date.today()))
    assert "rnn_long" in exported["cards"]  # what was read from the file before it failed
    assert {card_id for card_id, *_ in at.session_state["rv_log"]} <= set(exported["cards"])


def test_a_full_disk_keeps_the_answer_in_the_session_and_the_file_as_it_was(private_data_dir, monkeypatch,
                                                                             from_this_machine):  # noqa: F811
    before = saved_before(private_data_dir)
    at = open_page(PAGE)
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: _connect(*a, **k, factory=FullDisk))
    answer_current(at, right=True)
    assert_answers_kept_in_the_session(at, answered=1)
    assert "OperationalError: database or disk is full" in texts_of(at)
    answer_current(rate(at), right=False)
    assert_answers_kept_in_the_session(at, answered=2)
    at.tabs[2].text_area(key="rv_note_gru").input("kept in the session").run()
    assert at.session_state[storage.STATE_KEY]["notes"]["gru"] == "kept in the session"
    monkeypatch.setattr(sqlite3, "connect", _connect)
    assert db_rows(private_data_dir / "progress.db") == before  # nothing saved was overwritten


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 kB tmpfs, where this machine allows mounting one (root on Linux); else skipped."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root): the monkeypatched full disk above covers it")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_really_full_disk_is_caught_too(tiny_disk, monkeypatch, from_this_machine):  # noqa: F811
    monkeypatch.setenv("SEQDASH_DATA_DIR", str(tiny_disk))
    before = saved_before(tiny_disk)
    at = open_page(PAGE)
    filler = tiny_disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb") as f:  # ENOSPC ends it (or its close)
        while True:
            f.write(b"\0" * 4096)
            f.flush()
    answer_current(at, right=True)
    assert_answers_kept_in_the_session(at, answered=1)
    assert any("full" in text for text in texts_of(at))
    filler.unlink()
    assert db_rows(tiny_disk / "progress.db") == before


def test_a_read_only_database_shows_what_it_holds_and_keeps_new_answers_in_the_session(
        private_data_dir, monkeypatch, from_this_machine):  # noqa: F811
    before = saved_before(private_data_dir)

    def read_only(path, *args, **kwargs):  # as a file mode 0400 is for anyone but root (tests may run as root)
        return _connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    at = open_page(PAGE)
    assert not warnings_of(at)  # reading works: the saved progress is there
    assert "rnn_long" not in at.session_state["rv_queue"]
    answer_current(at, right=True)
    assert_answers_kept_in_the_session(at, answered=1)
    assert any("readonly" in text for text in texts_of(at))
    monkeypatch.setattr(sqlite3, "connect", _connect)
    assert db_rows(private_data_dir / "progress.db") == before


def corrupt(path) -> bytes:
    """Overwrite the cards table's page (page 2) with noise, as a failing disk might."""
    data = bytearray(path.read_bytes())
    data[4096:4096 + 512] = b"\xa5" * 512
    path.write_bytes(bytes(data))
    return bytes(data)


def test_a_corrupted_database_is_reported_and_left_as_it_is(private_data_dir, from_this_machine):  # noqa: F811
    saved_before(private_data_dir)
    damaged = corrupt(private_data_dir / "progress.db")
    home = open_page()
    assert EN["home.progress_problem"] in warnings_of(home)  # not a silent "no progress yet"
    assert any("malformed" in text for text in texts_of(home))
    at = open_page(PAGE)
    assert EN["rv.db_problem"].format(backup=EN["rv.tab_backup"]) in warnings_of(at)
    answer_current(at, right=True)
    assert not at.exception and metrics(at)[0] == "1"
    assert at.session_state["rv_log"][0][0] in at.session_state[storage.STATE_KEY]["cards"]
    assert (private_data_dir / "progress.db").read_bytes() == damaged  # for the learner to rescue


def test_stored_progress_the_app_never_wrote_cannot_stop_the_review(private_data_dir, from_this_machine):  # noqa: F811
    saved_before(private_data_dir)
    with contextlib.closing(_connect(private_data_dir / "progress.db")) as con, con:
        con.execute("INSERT INTO learner_cards VALUES ('', 'a_question_since_removed', ?)",
                    (json.dumps(answered()),))
        con.execute("INSERT INTO learner_cards VALUES ('', 'sqrt_dk', '{\"fsrs\": \"five\", \"right\": -1}')")
        con.execute("INSERT INTO learner_notes VALUES ('', 'attention', CAST(X'41EDA080' AS TEXT))")  # lone surrogate
        con.execute("INSERT INTO learner_retro (learner, date, text) VALUES ('', 'not a date', 'x')")
    at = open_page(PAGE)
    assert EN["rv.skipped"].format(count=3) in warnings_of(at)
    assert "cards.a_question_since_removed, cards.sqrt_dk, retro[0]" in texts_of(at)
    assert open_tab(at, "rv.tab_backup").tabs[3].get("file_uploader")  # the import tab draws: a fix can come in
    note = at.tabs[2].text_area(key="rv_note_attention").value
    assert note[0] == "A" and set(note[1:]) == {"\ufffd"}  # the bytes that are not UTF-8 shown as �
    for _ in range(3):  # answering, and the page after it, never meet the broken rows
        answer_current(at, right=True)
        rate(at)
    assert open_page().get("progress")  # the home page's mastery bars too


def test_an_import_with_unknown_ids_and_a_lone_surrogate_never_locks_the_learner_out(from_this_machine,  # noqa: F811
                                                                                       private_data_dir):
    at = open_page(PAGE)
    answer_current(at, right=True)
    before = db_rows(private_data_dir / "progress.db")
    doc = json.loads(export_json(at.session_state[storage.STATE_KEY], date.today()))
    doc["cards"]["a_question_since_removed"] = answered()
    upload(at, ("\ufeff" + json.dumps(doc)).encode())  # with Notepad's byte-order mark
    assert EN["rv.import_dropped"].format(count=1) in [i.value for i in at.info]
    assert "cards.a_question_since_removed" in texts_of(at)
    at.tabs[3].button[0].click().run()
    assert not at.exception
    assert "a_question_since_removed" not in [row[0] for row in db_rows(private_data_dir / "progress.db")]
    assert db_rows(private_data_dir / "progress.db") == before
    open_page(PAGE)  # and every later visit still opens
    doc["notes"] = {"rnn": "\ud800"}
    upload(at, json.dumps(doc).encode())  # json.dumps escapes it: "\\ud800", valid JSON
    assert [e.value for e in at.error] == [EN["rv.import_bad_text"].format(field="notes.rnn")]
    assert not at.tabs[3].button
    assert db_rows(private_data_dir / "progress.db") == before  # refused: nothing written


def test_a_note_that_would_make_the_export_unimportable_is_refused_with_a_message():
    at = open_page(PAGE)
    for concept in ("rnn", "lstm", "gru", "attention"):
        at.tabs[2].text_area(key=f"rv_note_{concept}").input("한" * MAX_CHARS).run()  # 60 kB each
    doc = at.session_state[storage.STATE_KEY]
    entry = "회" * MAX_CHARS
    for _ in range(12):  # 12 x 60 kB of retrospective: 0.96 MB with the notes
        doc["retro"].append({"date": "2025-03-01", "text": entry})
    at.tabs[2].text_area(key="rv_note_self_attention").input("가" * MAX_CHARS).run()
    assert EN["rv.storage_full"].format(limit=1) in warnings_of(at)
    assert "self_attention" not in at.session_state[storage.STATE_KEY]["notes"]
    exported = export_json(at.session_state[storage.STATE_KEY], date.today())
    fresh = upload(open_page(PAGE), exported)  # what is kept still exports and imports
    assert EN["rv.import_ready"].format(cards=0, notes=4, retro=12) in [s.value for s in fresh.success]


def test_a_rebinding_page_that_claims_localhost_gets_session_storage(private_data_dir, monkeypatch):
    # evil.example resolves to 127.0.0.1: the peer is this machine and the page may report any URL,
    # but the browser sends the name it looked up as the Host header
    monkeypatch.setattr(storage, "client_ip", lambda: None)
    monkeypatch.setattr(storage, "request_host", lambda: "rebind.evil.example:8501")
    at = open_page(PAGE, url="http://localhost:8501/review")
    answer_current(at, right=True)
    at.tabs[2].text_area(key="rv_note_rnn").input("notes stay private").run()
    assert EN["rv.mode_session"] in [i.value for i in open_tab(at, "rv.tab_backup").info]
    assert not private_data_dir.exists()
    monkeypatch.setattr(storage, "request_host", lambda: "localhost:8501")  # the learner's own tab
    assert EN["rv.mode_local"] in [i.value for i in open_tab(open_page(PAGE), "rv.tab_backup").info]


def test_a_url_that_says_localhost_is_not_enough():
    # AppTest's client is a mock with no headers, so no Host: the URL the browser reports is not trusted
    at = open_tab(open_page(PAGE, url="http://localhost:8501/review"), "rv.tab_backup")
    assert EN["rv.mode_session"] in [i.value for i in at.info]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_an_over_long_text_in_a_link_is_cut_to_the_box(lang):
    at = open_page("pages/1_self_attention.py", params={"lang": lang, "sa_text": "word " * 20_000})
    assert len(at.session_state["sa_text"]) == MAX_CHARS
    assert len(at.session_state["_kept_sa_text"]) == MAX_CHARS
    texts = catalog(lang)
    assert texts["common.link_text_cut"].format(name="sa_text", limit=MAX_CHARS) in [t.proto.body for t in at.toast]
    assert not at.exception


def test_repeated_values_in_a_link_count_once():
    at = open_page("pages/8_memory_lab.py", params={"lab_lags": "5,5,5,5,10,5", "lab_cells": "rnn,rnn,gru"})
    assert at.session_state["lab_lags"] == [5, 10]
    assert at.session_state["lab_cells"] == ["rnn", "gru"]
    assert not at.toast  # a repeat is not an error: the link still works


def test_every_question_id_is_a_valid_stored_id():
    # the checks on imports and stored progress must accept every card the app itself writes
    from core.progress import ID

    assert all(ID.fullmatch(card_id) for card_id in questions())


@pytest.mark.parametrize("held", [
    {"cards": {"gone": answered(), "rnn_long": "x", "sqrt_dk": {1, 2}},
     "notes": {"rnn": "\ud800", "gru": None}, "retro": [{"date": 5, "text": "x"}]},
    {"cards": [], "notes": "?", "retro": {}},
    "not even a document",
])
def test_whatever_the_session_holds_the_review_still_works(held):
    at = open_page(PAGE)
    at.session_state[storage.STATE_KEY] = held
    at.run()
    assert not at.exception
    answer_current(at, right=True)  # and an answer is kept
    assert at.session_state["rv_log"][0][0] in at.session_state[storage.STATE_KEY]["cards"]
