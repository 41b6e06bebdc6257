"""Progress that lasts and never leaks: SQLite across restarts, export/import, hostile files,
and how the app picks where to keep it (core/progress.py, ui/storage.py)."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.progress import (
    APP,
    MAX_IMPORT_BYTES,
    MAX_TEXT,
    BadImportError,
    MemoryProgress,
    SqliteProgress,
    clean,
    default_data_dir,
    empty,
    export_json,
    fits,
    parse_import,
    read_import,
)
from core.review import answer
from ui.storage import storage_mode

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2025, 3, 1)


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
from core.progress import SqliteProgress, default_data_dir
from core.review import answer
store = SqliteProgress(default_data_dir() / "progress.db")
store.put_card("gru_gate", answer(None, True, date(2025, 3, 1)))
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
    assert doc["cards"] == {"gru_gate": {"box": 2, "due": "2025-03-02", "right": 1, "wrong": 0, "last": "2025-03-01"}}
    assert doc["notes"] == {"rnn": "hidden state = memory <script>alert(1)</script>"}
    assert doc["retro"] == [{"date": "2025-03-02", "text": "데이터 엔지니어링이 중요하다"}]


def test_a_killed_writer_loses_at_most_the_change_in_flight(tmp_path):
    # The first answer is committed; the process then dies inside a second transaction.
    crash = """
import os, sqlite3
from datetime import date
from core.progress import SqliteProgress, default_data_dir
from core.review import answer
store = SqliteProgress(default_data_dir() / "progress.db")
store.put_card("rnn_long", answer(None, True, date(2025, 3, 1)))
con = sqlite3.connect(store.path)
con.execute("DELETE FROM cards")
con.execute("INSERT INTO cards VALUES ('half', 1, '2025-03-01', 0, 0, NULL)")
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


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_both_stores_behave_the_same(tmp_path, kind):
    store = SqliteProgress(tmp_path / "p.db") if kind == "sqlite" else MemoryProgress(empty())
    store.put_card("a", answer(None, False, DAY))
    store.put_card("a", answer(store.load()["cards"]["a"], True, DAY))
    store.put_note("gru", "z keeps, 1 − z writes")
    store.put_note("gru", "updated")
    store.add_retro(date(2025, 3, 5), "later")
    store.add_retro(date(2025, 3, 1), "earlier")
    store.add_retro(date(2025, 3, 5), "later")
    store.delete_retro({"date": "2025-03-05", "text": "later"})
    doc = store.load()
    assert doc["cards"]["a"]["box"] == 2 and doc["cards"]["a"]["wrong"] == 1
    assert doc["notes"] == {"gru": "updated"}
    assert doc["retro"] == [{"date": "2025-03-01", "text": "earlier"}, {"date": "2025-03-05", "text": "later"}]
    store.put_note("rnn", "x" * (MAX_TEXT + 10))
    assert len(store.load()["notes"]["rnn"]) == MAX_TEXT


def full_doc():
    doc = empty()
    doc["cards"] = {"sqrt_dk": answer(None, True, DAY), "rnn_long": answer(None, False, DAY)}
    doc["notes"] = {"attention": "Q from the decoder\n**not bold**", "rnn": "한국어 노트"}
    doc["retro"] = [{"date": "2025-02-01", "text": "first"}, {"date": "2025-03-01", "text": "<b>second</b>"}]
    return doc


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_export_then_import_round_trips(tmp_path, kind):
    source = MemoryProgress(full_doc())
    exported = export_json(source.load(), DAY)
    assert json.loads(exported)["app"] == APP and json.loads(exported)["exported"] == "2025-03-01"
    target = SqliteProgress(tmp_path / "p.db") if kind == "sqlite" else MemoryProgress(empty())
    target.put_card("gru_gate", answer(None, True, DAY))  # replaced, not merged
    target.replace(parse_import(exported))
    assert target.load() == full_doc()


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
    (upload(with_(version=2)), "wrong_version"),
    (upload(with_(version="1")), "wrong_version"),
    (upload(with_(version=True)), "wrong_version"),
    (b" " * (MAX_IMPORT_BYTES + 1), "too_large"),
    (upload(with_(notes={"rnn": "x" * 2_000_000})), "too_large"),
    (upload(with_(notes={"rnn": "x" * (MAX_TEXT + 1)})), "too_long"),
    (upload(with_(cards=[])), "bad_field"),
    (upload(with_(cards={"a": {"box": "2", "due": "2025-03-01", "right": 0, "wrong": 0, "last": None}})), "bad_field"),
    (upload(with_(cards={"a": {"box": 9, "due": "2025-03-01", "right": 0, "wrong": 0, "last": None}})), "bad_field"),
    (upload(with_(cards={"a": {"box": True, "due": "2025-03-01", "right": 0, "wrong": 0, "last": None}})), "bad_field"),
    (upload(with_(cards={"a": {"box": 1, "due": "yesterday", "right": 0, "wrong": 0, "last": None}})), "bad_field"),
    (upload(with_(cards={"a": {"box": 1, "due": "2025-03-01", "right": -1, "wrong": 0, "last": None}})), "bad_field"),
    (upload(with_(cards={"a": {"box": 1, "due": "2025-03-01"}})), "bad_field"),
    (upload(with_(cards={"'; DROP TABLE cards; --": {"box": 1, "due": "2025-03-01", "right": 0, "wrong": 0,
                                                     "last": None}})), "bad_field"),
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

KNOWN_CARDS, KNOWN_CONCEPTS = ("rnn_long", "sqrt_dk"), ("rnn", "attention")


def exported(**changes) -> bytes:
    doc = {**full_doc(), **changes}
    return export_json(doc, DAY)


def test_an_import_keeps_the_known_ids_and_names_the_ones_it_drops():
    doc = full_doc()
    doc["cards"]["obsolete_question"] = answer(None, True, DAY)
    doc["notes"]["transformer"] = "a concept of a later version"
    incoming, dropped = read_import(export_json(doc, DAY), KNOWN_CARDS, KNOWN_CONCEPTS)
    assert set(incoming["cards"]) == {"sqrt_dk", "rnn_long"}
    assert set(incoming["notes"]) == {"attention", "rnn"}
    assert dropped == ["cards.obsolete_question", "notes.transformer"]
    assert read_import(export_json(full_doc(), DAY), KNOWN_CARDS, KNOWN_CONCEPTS)[1] == []


@pytest.mark.parametrize("where", ["note", "retro"])
def test_a_lone_surrogate_in_an_import_is_refused(where):
    # valid JSON ("\ud800" is a legal escape) that decodes to a str no UTF-8 encoder, SQLite or page takes
    raw = (b'{"app": "seq-models-dashboard", "version": 1, '
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
    raw = json.dumps({"app": APP, "version": 1, **{k: doc[k] for k in ("cards", "notes", "retro")}},
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
        st.sampled_from(["box", "due", "right", "wrong", "last", "date", "text", "rnn_long", "sqrt_dk", "rnn",
                         "\ud800", "<b>x</b>"]), inner, max_size=5),
    max_leaves=12,
)
STORED = st.fixed_dictionaries({}, optional={"cards": JSON_VALUES | st.dictionaries(
    st.sampled_from(["rnn_long", "sqrt_dk", "gone", "\ud800"]), JSON_VALUES | st.just(answer(None, True, DAY))),
    "notes": JSON_VALUES, "retro": JSON_VALUES})


@settings(max_examples=60, deadline=None)
@given(STORED)
def test_whatever_a_store_holds_cleans_into_what_the_review_can_draw(stored):
    from core import review

    doc, skipped = clean(stored, KNOWN_CARDS, KNOWN_CONCEPTS)
    assert set(doc["cards"]) <= set(KNOWN_CARDS) and set(doc["notes"]) <= set(KNOWN_CONCEPTS)
    parse_import(export_json(doc, DAY))  # it is a valid document: its export imports
    json.dumps(doc, ensure_ascii=False).encode("utf-8")  # no lone surrogate left
    review.due_queue(doc["cards"], list(KNOWN_CARDS), DAY)  # the page's own uses of it
    review.upcoming(doc["cards"], DAY)
    review.mastery(doc["cards"], {"rnn_long": "rnn", "sqrt_dk": "attention"})
    assert all(isinstance(field, str) for field in skipped)


def test_clean_keeps_good_entries_beside_bad_ones_and_repairs_text():
    stored = {"cards": {"rnn_long": answer(None, True, DAY), "sqrt_dk": {"box": "five"}, "gone": {}},
              "notes": {"rnn": "a\ud800b", "attention": 7},
              "retro": [{"date": "2025-03-01", "text": "ok"}, {"date": "yesterday", "text": "x"}, "?"]}
    doc, skipped = clean(stored, KNOWN_CARDS, KNOWN_CONCEPTS)
    assert list(doc["cards"]) == ["rnn_long"]
    assert doc["notes"] == {"rnn": "a\ufffdb"}  # the note kept, the lone surrogate replaced
    assert doc["retro"] == [{"date": "2025-03-01", "text": "ok"}]
    assert skipped == ["cards.sqrt_dk", "cards.gone", "notes.attention", "retro[1]", "retro[2]"]


def test_a_database_holding_wrong_types_and_broken_text_reads_cleanly(tmp_path):
    store = SqliteProgress(tmp_path / "progress.db")
    store.put_card("rnn_long", answer(None, True, DAY))
    with sqlite3.connect(store.path) as con:  # what another program or a damaged page could leave
        con.execute("INSERT INTO cards VALUES ('sqrt_dk', 'abc', 'never', -1, 2.5, 7)")
        con.execute("INSERT INTO cards VALUES ('unknown_card', 2, '2025-03-01', 1, 0, NULL)")
        con.execute("INSERT INTO notes VALUES ('rnn', CAST(X'61EDA08062' AS TEXT))")  # a lone surrogate's bytes
        con.execute("INSERT INTO retro (date, text) VALUES (20250301, X'00FF')")
    doc, skipped = clean(store.load(), KNOWN_CARDS, KNOWN_CONCEPTS)
    assert list(doc["cards"]) == ["rnn_long"]
    assert doc["notes"]["rnn"].startswith("a") and doc["notes"]["rnn"].endswith("b")
    assert "\ufffd" in doc["notes"]["rnn"]
    assert skipped == ["cards.sqrt_dk", "cards.unknown_card", "retro[0]"]


def test_a_broken_stored_card_is_answered_as_a_new_one(tmp_path):
    store = SqliteProgress(tmp_path / "progress.db")
    with sqlite3.connect(store.path) as con:
        con.execute("INSERT INTO cards VALUES ('rnn_long', 'abc', 'never', -1, 2.5, 7)")
    card = store.update_card("rnn_long", lambda card: answer(card, True, DAY))
    assert card == answer(None, True, DAY)
    assert store.load()["cards"]["rnn_long"] == card


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_concurrent_writers_on_one_card_lose_no_answer(tmp_path, kind):
    threads, answers = 4, 50
    shared = MemoryProgress(empty())
    path = tmp_path / "progress.db"
    SqliteProgress(path)

    def writer(k: int) -> None:
        store = SqliteProgress(path) if kind == "sqlite" else shared  # a connection of its own, as a tab has
        for i in range(answers):
            store.update_card("rnn_long", lambda card, right=(i + k) % 3 != 0: answer(card, right, DAY))

    pool = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    card = (SqliteProgress(path) if kind == "sqlite" else shared).load()["cards"]["rnn_long"]
    assert card["right"] + card["wrong"] == threads * answers
    assert card["right"] == sum((i + k) % 3 != 0 for k in range(threads) for i in range(answers))
