"""Where the learner's review progress and notes are kept, how the app decides, and what a failure does.

Two cases, and how the app tells them apart:

* **local** — one learner runs `streamlit run dashboard.py` on their own computer. Progress and
  notes go to an SQLite file, `progress.db`, in the user's data folder
  (`~/.local/share/seq-models-dashboard/` on Linux, `~/Library/Application Support/...` on macOS,
  `%APPDATA%\\seq-models-dashboard\\` on Windows; `$SEQDASH_DATA_DIR` overrides the folder). It
  survives restarts; every change is one transaction.
* **session** — a shared, hosted deployment. Progress lives in the browser session only
  (`st.session_state`), so nobody ever sees another visitor's progress; it is gone when the tab
  closes unless the learner exports it as a JSON file (and imports it next time).

The environment variable `SEQDASH_STORAGE=local|session` decides. Unset (or any other value),
the app picks **local** only from what a web page cannot forge: the `Host` header the server
received with the websocket's request (`st.context.headers`) names a loopback host (localhost,
127.0.0.1, [::1]) *and* the connection's peer is this machine (`st.context.ip_address` is None).
The address the browser reports (`st.context.url`) is not used: a page on another name that
resolves to 127.0.0.1 (DNS rebinding) reaches the server from this machine, but its browser
sends that other name as the Host. A hosted deployment should still set `SEQDASH_STORAGE=session`:
behind a reverse proxy on the same machine that passes `Host: localhost`, every connection
looks local.

Every read and write of the database is guarded (`Store`): if the file cannot be opened, read or
written (a full disk, a read-only file, a corrupted page), the page says why and the session
takes over for the rest of the visit, from the last progress read: this session's answers go on
in memory and can be exported; the file is not written again, so nothing saved there is
overwritten. What a store holds is checked on every read (`core.progress.clean`), so no stored
value (an unknown card, a wrong type, a lone surrogate) can stop a page.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import streamlit as st

from core.progress import DB_NAME, MemoryProgress, SqliteProgress, SqlProgress, clean, default_data_dir, empty, fits
from ui import (
    database,
    identity,
    review,  # (module, not names: ui/review.py imports this one too)
)

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
STATE_KEY = "rv_progress"  # the session's document in session mode, and after a failure
FAILED_KEY = "rv_storage_failed"  # why the local database failed in this session
FULL_KEY = "rv_storage_full"  # a note or retrospective entry refused: the export would not import
STORAGE_ERRORS = (OSError, sqlite3.Error, *database.ERRORS)


def storage_mode(setting: str | None, host: str | None, ip_address: str | None, hosted_db: bool = False) -> str:
    """"local", "database" or "session": the setting if it names one, else "database" when the host
    configured a progress database, else local only when the request's Host header (e.g.
    "localhost:8501") names a loopback host and the peer is this machine."""
    setting = (setting or "").strip().lower()
    if setting in ("local", "session", "database"):
        return setting
    if hosted_db:
        return "database"
    try:
        name = urlsplit(f"//{host}").hostname if host else None
    except ValueError:  # "[::1" and the like
        name = None
    return "local" if name in LOOPBACK and ip_address is None else "session"


def client_ip() -> str | None:
    """The connection's remote address; None when it comes from this machine."""
    return st.context.ip_address


def request_host() -> str | None:
    """The Host header of the request that opened this session's websocket, as the server got it."""
    return st.context.headers.get("Host")


def current_mode() -> str:
    """This session's storage mode, from the environment and the request."""
    return storage_mode(os.environ.get("SEQDASH_STORAGE"), request_host(), client_ip(), database.configured())


def db_path():
    """The local database file."""
    return default_data_dir() / DB_NAME


def known_ids() -> tuple[dict, tuple]:
    """The card ids and note concepts the app has (the review's question set)."""
    return review.questions(), review.CONCEPTS


def session_doc() -> dict:
    """The session's own progress document, created empty on first use."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = empty()
    return st.session_state[STATE_KEY]


class Store:
    """What the review page reads and writes: the local database, or the session, every failure caught.

    The same methods as core.progress's stores. `load()` returns a checked document (`clean`:
    unknown ids and broken entries left out, and listed in `skipped`). A database operation that
    raises is reported (`problem`) and the session takes over from the last good read, the change
    in hand applied there. A note or retrospective entry that would make the export too large to
    import again is refused (FULL_KEY), so every export imports.
    """

    def __init__(self, db: SqlProgress | None, kind: str = "local"):
        self.db, self.kind = db, kind
        self.skipped: list[str] = []

    @property
    def mode(self) -> str:
        """Where changes go now: "local" (the SQLite file), "database" (the hosted one) or "session"."""
        return self.kind if self._local() else "session"

    @property
    def problem(self) -> str | None:
        return st.session_state.get(FAILED_KEY)

    def _local(self) -> bool:
        return self.db is not None and FAILED_KEY not in st.session_state

    def _fail(self, error: Exception) -> None:
        st.session_state[FAILED_KEY] = f"{type(error).__name__}: {error}"
        session_doc()  # the last good read, or empty if nothing could be read

    def load(self) -> dict:
        cards, concepts = known_ids()
        if self._local():
            try:
                raw = self.db.load()
            except STORAGE_ERRORS as e:
                self._fail(e)
            else:
                doc, self.skipped = clean(raw, cards, concepts)
                st.session_state[STATE_KEY] = MemoryProgress(doc).load()  # where a failure carries on from
                return doc
        held = session_doc()
        doc, self.skipped = clean(held, cards, concepts)  # new containers: the page cannot change `held`
        if not (isinstance(held, dict) and isinstance(held.get("cards"), dict)
                and isinstance(held.get("notes"), dict) and isinstance(held.get("retro"), list)):
            st.session_state[STATE_KEY] = clean(held, None, None)[0]  # writable again, unknown ids kept
        return doc

    def _write(self, name: str, *args):
        if self._local():
            try:
                return getattr(self.db, name)(*args)
            except STORAGE_ERRORS as e:
                self._fail(e)
        return getattr(MemoryProgress(session_doc()), name)(*args)

    def _fits_after(self, name: str, *args) -> bool:
        trial = MemoryProgress(self.load())
        getattr(trial, name)(*args)
        if fits(trial.doc):
            return True
        st.session_state[FULL_KEY] = True
        return False

    def update_card(self, card_id: str, change) -> dict:
        return self._write("update_card", card_id, change)

    def put_card(self, card_id: str, card: dict) -> None:
        self._write("put_card", card_id, card)

    def put_note(self, concept: str, text: str) -> None:
        if self._fits_after("put_note", concept, text):
            self._write("put_note", concept, text)

    def add_retro(self, day: date, text: str) -> None:
        if self._fits_after("add_retro", day, text):
            self._write("add_retro", day, text)

    def delete_retro(self, entry: dict) -> None:
        self._write("delete_retro", entry)

    def replace(self, doc: dict) -> None:
        self._write("replace", doc)


def hosted_database():
    """The hosted progress database (ui/database.py), or None if it cannot be reached: the session
    then takes over, and the page says why."""
    if FAILED_KEY in st.session_state:
        return None
    try:
        db = database.database()
        db.migrate()
        return db
    except Exception as e:  # noqa: BLE001 (a wrong URL or driver raises its own kinds): reported, never a traceback
        Store(None)._fail(e)
        return None


def open_store() -> tuple[Store, str, str | None]:
    """(store, mode, problem): the store this session writes to, already read once. `problem` is the
    error text when the database failed (to open, read or write) and the session took over.

    In "database" mode the store is the learner's rows (ui/identity.py) once they signed in or
    opened a progress key; until then the session's, as in "session" mode."""
    db, kind = None, current_mode()
    if kind == "local" and FAILED_KEY not in st.session_state:
        try:
            db = SqliteProgress(db_path())
        except STORAGE_ERRORS as e:
            Store(None)._fail(e)
    elif kind == "database" and (hosted := hosted_database()) and (who := identity.learner()):
        db = SqlProgress(hosted, who)  # (reached first even with no learner yet: a failure is said at once)
    store = Store(db, kind)
    store.load()
    return store, store.mode, store.problem


def today() -> date:
    """Today in the learner's time zone when the browser says which, else the server's."""
    try:
        return datetime.now(ZoneInfo(st.context.timezone)).date() if st.context.timezone else date.today()
    except (KeyError, ValueError):
        return date.today()


def now() -> datetime:
    """The time now in the learner's time zone when the browser says which, else the server's
    (as `today`): the review compares it with due times, and "today" is the learner's day."""
    try:
        return datetime.now(ZoneInfo(st.context.timezone)) if st.context.timezone else datetime.now().astimezone()
    except (KeyError, ValueError):
        return datetime.now().astimezone()


def read_progress() -> tuple[dict, str | None]:
    """(progress, problem), read only: the home page must not create a database by looking.
    `problem` says why the local database could not be read (the progress is then the session's)."""
    cards, concepts = known_ids()
    mode = current_mode()
    if mode == "database" and identity.learner() and FAILED_KEY not in st.session_state:
        try:
            return clean(SqlProgress(database.database(), identity.learner()).load(), cards, concepts)[0], None
        except Exception as e:  # noqa: BLE001 (as in hosted_database)
            return clean(st.session_state.get(STATE_KEY) or empty(), cards, concepts)[0], f"{type(e).__name__}: {e}"
    if mode == "local" and FAILED_KEY not in st.session_state:
        try:
            if not db_path().is_file():  # (a folder it may not read raises here)
                return empty(), None
            return clean(SqliteProgress(db_path()).load(), cards, concepts)[0], None
        except STORAGE_ERRORS as e:
            return clean(st.session_state.get(STATE_KEY) or empty(), cards, concepts)[0], f"{type(e).__name__}: {e}"
    return clean(st.session_state.get(STATE_KEY) or empty(), cards, concepts)[0], st.session_state.get(FAILED_KEY)
