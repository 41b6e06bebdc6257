"""The hosted progress database: PostgreSQL through Streamlit's `st.connection` (SQLAlchemy, psycopg 3).

A host configures it in `.streamlit/secrets.toml` (or Community Cloud's Secrets):

    [connections.progress]
    url = "postgresql+psycopg://user:password@host:5432/dbname"

or, where secrets come from the environment (Docker, scripts/workers.py), with
`SEQDASH_DATABASE_URL` set to that URL; the secrets win when both are given.

`st.connection("progress", type="sql")` builds one SQLAlchemy engine per server process (a
pool of connections, cached by Streamlit and shared by the sessions); `EngineDatabase` runs
core/progress.py's statements (core/schema.py) on it, one transaction each, so a hosted
learner's progress is kept exactly as a local SQLite file keeps it. An `sqlite:///` URL works
too (one machine, one process): it is opened with core.progress's own `SqliteDatabase`.
"""

from __future__ import annotations

import os
import weakref
from datetime import timedelta

import sqlalchemy as sa
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from core import schema
from core.progress import SqliteDatabase

_MIGRATED: weakref.WeakSet = weakref.WeakSet()  # engines whose database is up to date
CONNECTION = "progress"  # [connections.progress] in the secrets
ERRORS = (SQLAlchemyError,)  # what a database that is down, read-only or full raises (wrapped psycopg errors)


class EngineDatabase:
    """Transactions on a SQLAlchemy engine (PostgreSQL), the same interface as `SqliteDatabase`."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.dialect = engine.dialect.name
        if self.dialect != "postgresql":
            raise ValueError(f"the progress database must be PostgreSQL or SQLite, not {self.dialect}")

    def migrate(self) -> None:
        if self.engine not in _MIGRATED:  # once per engine (the schema's lock makes N processes migrate once)
            with self.transaction() as run:
                schema.migrate(run, self.dialect)
            _MIGRATED.add(self.engine)

    def transaction(self, lock: str | None = None) -> _Transaction:
        return _Transaction(self.engine, lock)


class _Transaction:
    """`with _Transaction(engine, lock) as run:` one transaction (committed at the end, rolled back if
    it raised); `lock` takes a transaction-scoped advisory lock on that text first."""

    def __init__(self, engine: sa.Engine, lock: str | None):
        self.begin, self.lock = engine.begin(), lock

    def __enter__(self):
        self.conn = self.begin.__enter__()
        if self.lock is not None:
            self.conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": self.lock})
        return self

    def __call__(self, sql: str, params: dict | list | None = None) -> list:
        result = self.conn.execute(sa.text(sql), params or {})
        return [tuple(row) for row in result] if result.returns_rows else []

    def __exit__(self, *exc):
        return self.begin.__exit__(*exc)


def settings() -> dict:
    """The connection's settings: [connections.progress] in the secrets, else $SEQDASH_DATABASE_URL."""
    try:
        section = st.secrets.get("connections", {}).get(CONNECTION)
    except (FileNotFoundError, KeyError, ValueError):  # no secrets file, or one that is not TOML
        section = None
    if section:
        return dict(section)
    return {"url": os.environ["SEQDASH_DATABASE_URL"]} if os.environ.get("SEQDASH_DATABASE_URL") else {}


def configured() -> bool:
    """Whether the host gave a progress database."""
    return bool(settings())


def database():
    """This process's progress database (`st.connection`'s engine, built once per process)."""
    # one entry, renewed daily: a connection cache that cannot grow, whose pool outlives a DB restart
    # (the section is passed on as well: st.connection reads it too, but AppTest's secrets reach
    # only st.secrets itself)
    conn = st.connection(CONNECTION, type="sql", max_entries=1, ttl=timedelta(days=1),
                         pool_pre_ping=True, **settings())
    if conn.engine.dialect.name == "sqlite":
        return SqliteDatabase(conn.engine.url.database)
    return EngineDatabase(conn.engine)
