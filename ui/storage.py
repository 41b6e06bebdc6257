"""Where the learner's review progress and notes are kept, and how the app decides.

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
the app picks **local** only when the browser reached it on a loopback host (`st.context.url` is
localhost, 127.0.0.1 or [::1]) *and* the connection itself comes from this machine
(`st.context.ip_address` is None); anything else, including an unknown URL, is **session**.
A hosted deployment should set `SEQDASH_STORAGE=session` explicitly: behind a reverse proxy on
the same machine every connection looks local, and a browser could claim any URL.

If the local database cannot be opened (unwritable folder, a file that is not a database) the
page says so and falls back to the session for that run.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import streamlit as st

from core.progress import DB_NAME, MemoryProgress, SqliteProgress, default_data_dir, empty

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
STATE_KEY = "rv_progress"  # the session's document in session mode


def storage_mode(setting: str | None, url: str | None, ip_address: str | None) -> str:
    """"local" or "session": the setting if it names one, else local only for a loopback URL
    reached from this machine."""
    setting = (setting or "").strip().lower()
    if setting in ("local", "session"):
        return setting
    host = (urlparse(url).hostname or "") if url else ""
    return "local" if host in LOOPBACK and ip_address is None else "session"


def client_ip() -> str | None:
    """The connection's remote address; None when it comes from this machine."""
    return st.context.ip_address


def current_mode() -> str:
    """This session's storage mode, from the environment and the browser's context."""
    return storage_mode(os.environ.get("SEQDASH_STORAGE"), st.context.url, client_ip())


def db_path():
    """The local database file."""
    return default_data_dir() / DB_NAME


def open_store() -> tuple[SqliteProgress | MemoryProgress, str, str | None]:
    """(store, mode, problem): the store this session writes to. `problem` is the error text when
    the local database could not be opened and the session took over."""
    if current_mode() == "local":
        try:
            return SqliteProgress(db_path()), "local", None
        except (OSError, sqlite3.Error) as e:
            problem = str(e)
    else:
        problem = None
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = empty()
    return MemoryProgress(st.session_state[STATE_KEY]), "session", problem


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


def read_progress() -> dict:
    """The learner's progress, read only: the home page must not create a database by looking."""
    if current_mode() == "local":
        try:
            return SqliteProgress(db_path()).load() if db_path().is_file() else empty()
        except (OSError, sqlite3.Error):
            return empty()
    return st.session_state.get(STATE_KEY) or empty()
