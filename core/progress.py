"""The learner's progress and notes: an SQLite file on their own computer, or a plain dict.

What is kept, as one JSON-able document (the export format, too):

    {"app": APP, "version": VERSION,
     "cards": {card id: {"fsrs": {...}, "right", "wrong"}},          # core/review.py's FSRS cards
     "notes": {concept: text},
     "retro": [{"date": "YYYY-MM-DD", "text": ...}, ...]}             # oldest first

`SqliteProgress` keeps it in an embedded database, one transaction per change, so a killed
server loses at most the change in flight. `MemoryProgress` keeps it in a dict the caller owns
(the browser session's state on a shared server). Both have the same methods.

`read_import` checks an uploaded file before anything is replaced: too large, not JSON (a
UTF-8 byte-order mark is fine), another app, another version, a wrong field or text that is not
valid Unicode raises BadImportError with a code the page translates, and nothing changes; card
ids and note concepts the app does not know (given by the caller) are dropped and listed.
`clean` applies the same rules to what a store holds, leniently: an entry that breaks them is
left out (and listed), never raised, so no stored value can stop the page that reads it. Card
shape lives in one function, `_card`. `fits` says whether a document's export stays importable.
The standard library only.

Version 1 kept Leitner boxes, {"box", "due", "right", "wrong", "last"} per card: its exports are
still read, and a database written by it is converted when it is opened (its `cards` table is
kept, renamed `leitner_cards`), both through core/review.py's `from_leitner`.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Collection
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

from core import schema
from core.review import LEARNING, LEITNER_INTERVALS, RELEARNING, REVIEW, from_leitner

APP = "seq-models-dashboard"
VERSION = 2  # 1: Leitner boxes, 2: FSRS cards
LEITNER_VERSION = 1
DB_NAME = "progress.db"
MAX_IMPORT_BYTES = 1_000_000
MAX_TEXT = 20_000  # characters in one note or retrospective entry
MAX_CARDS = 500
MAX_NOTES = 100
MAX_RETRO = 2_000
ID = re.compile(r"[a-z0-9_]{1,64}")


def empty() -> dict:
    """A learner with no progress yet."""
    return {"app": APP, "version": VERSION, "cards": {}, "notes": {}, "retro": []}


def default_data_dir(environ=os.environ, platform: str = sys.platform, home: Path | None = None) -> Path:
    """Where the database lives: $SEQDASH_DATA_DIR if set, else the platform's per-user data folder
    (~/.local/share or $XDG_DATA_HOME on Linux, ~/Library/Application Support on macOS,
    %APPDATA% on Windows), in a folder named APP."""
    if environ.get("SEQDASH_DATA_DIR"):
        return Path(environ["SEQDASH_DATA_DIR"]).expanduser()
    home = home or Path.home()
    if platform == "darwin":
        base = home / "Library" / "Application Support"
    elif platform.startswith("win"):
        base = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
    else:
        base = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / APP


class SqlProgress:
    """One learner's progress in a SQL database (core/schema.py's tables), one transaction per change.

    `db` runs the transactions: `SqliteDatabase` here (the standard library's sqlite3), or
    ui/database.py's `EngineDatabase` (PostgreSQL through SQLAlchemy and `st.connection`). Both
    run the same statements; every row read or written is the learner's own (`learner`)."""

    def __init__(self, db, learner: str = schema.LOCAL):
        self.db, self.learner = db, learner
        db.migrate()

    def _who(self, **params) -> dict:
        return {"learner": self.learner, **params}

    def load(self) -> dict:
        doc = empty()
        with self.db.transaction() as run:
            for card_id, card in run(schema.LOAD_CARDS, self._who()):
                doc["cards"][card_id] = _json_or_none(card)  # `clean` drops what is not a card
            doc["notes"] = dict(run(schema.LOAD_NOTES, self._who()))
            doc["retro"] = [{"date": d, "text": text} for d, text in run(schema.LOAD_RETRO, self._who())]
        return doc

    def put_card(self, card_id: str, card: dict) -> None:
        with self.db.transaction() as run:
            run(schema.PUT_CARD, self._who(id=card_id, card=json.dumps(card)))

    def update_card(self, card_id: str, change: Callable[[dict | None], dict]) -> dict:
        """Read a card, `change(card or None)` it and write the result, in one transaction.

        The transaction takes a lock before the read (SQLite's write lock, BEGIN IMMEDIATE; a
        PostgreSQL advisory lock on this learner's card), so two writers on one card (two tabs, two
        processes) run one after the other and no answer is lost. A stored card that breaks
        `_card`'s rules counts as never answered."""
        with self.db.transaction(lock=f"{self.learner}/{card_id}") as run:
            row = run(schema.GET_CARD, self._who(id=card_id))
            card = change(None if not row else _card_or_none(_json_or_none(row[0][0])))
            run(schema.PUT_CARD, self._who(id=card_id, card=json.dumps(card)))
        return card

    def put_note(self, concept: str, text: str) -> None:
        with self.db.transaction() as run:
            run(schema.PUT_NOTE, self._who(concept=concept, text=_storable(text)))

    def add_retro(self, day: date, text: str) -> None:
        with self.db.transaction() as run:
            run(schema.ADD_RETRO, self._who(date=day.isoformat(), text=_storable(text)))

    def delete_retro(self, entry: dict) -> None:
        """Delete one entry equal to `entry` (the newest of equal ones)."""
        with self.db.transaction() as run:
            run(schema.DELETE_RETRO, self._who(date=entry["date"], text=entry["text"]))

    def replace(self, doc: dict) -> None:
        """Replace this learner's everything with a checked document (read_import's), all or nothing."""
        with self.db.transaction(lock=f"{self.learner}/*") as run:
            for clear in schema.CLEAR.values():
                run(clear, self._who())
            if doc["cards"]:
                run(schema.PUT_CARD, [self._who(id=i, card=json.dumps(c)) for i, c in doc["cards"].items()])
            if doc["notes"]:
                run(schema.PUT_NOTE, [self._who(concept=k, text=_storable(v)) for k, v in doc["notes"].items()])
            if doc["retro"]:
                run(schema.ADD_RETRO, [self._who(date=e["date"], text=_storable(e["text"])) for e in doc["retro"]])


def _storable(text: str) -> str:
    """Text as a database keeps it: at most MAX_TEXT characters, NUL (which PostgreSQL's text
    refuses) as U+FFFD, on both databases alike."""
    return text[:MAX_TEXT].replace("\x00", "\ufffd")


class SqliteDatabase:
    """Transactions on an SQLite file, created (with its folder, readable by its owner only) on first use.

    Opening it migrates it (core/schema.py) and adopts what earlier versions kept: version 1's
    Leitner `cards` (converted to FSRS, the old table kept as `leitner_cards`) and version 2's
    single-learner `review_cards`, `notes` and `retro` (copied to the local learner, the old
    tables kept as `v2_review_cards`, `v2_notes`, `v2_retro`)."""

    dialect = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.new = not self.path.exists()

    def migrate(self) -> None:
        with self.transaction() as run:  # a read first: a read-only file that is up to date opens
            tables = {name for (name,) in run("SELECT name FROM sqlite_master WHERE type = 'table'")}
            current = "schema_version" in tables and (run("SELECT max(version) FROM schema_version")[0][0] or 0)
        if current != schema.VERSION or tables & set(V2_TABLES) or "cards" in tables:
            with self.transaction(lock="migrate") as run:
                schema.migrate(run, self.dialect)
                _adopt_old_tables(run.con)
        if self.new:  # a file that exists keeps the permissions its owner gave it (read-only, say)
            os.chmod(self.path, 0o600)
            self.new = False

    def transaction(self, lock: str | None = None) -> _Transaction:
        """`with db.transaction() as run:` one transaction, committed at the end or rolled back if it
        raised; `lock` (any text: SQLite has one lock, the database's) takes the write lock first."""
        con = sqlite3.connect(self.path, timeout=10)
        # bytes that are not UTF-8 (a damaged page, another program's write) read as U+FFFD
        # instead of raising: `clean` then judges the value like any other
        con.text_factory = lambda b: b.decode("utf-8", "replace")
        return _Transaction(con, lock is not None)


class SqliteProgress(SqlProgress):
    """Progress in an SQLite file: the learner's own computer (one learner, schema.LOCAL)."""

    def __init__(self, path: Path, learner: str = schema.LOCAL):
        super().__init__(SqliteDatabase(path), learner)
        self.path = self.db.path


V2_TABLES = {"review_cards": "(id, card)", "notes": "(concept, text)", "retro": "(date, text)"}


def _adopt_old_tables(con: sqlite3.Connection) -> None:
    """Earlier versions' single-learner tables into the local learner's rows, in the caller's
    transaction; each old table stays, renamed, so nothing is lost even if a copy were wrong."""
    tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "cards" in tables:
        con.execute("CREATE TABLE IF NOT EXISTS review_cards (id TEXT PRIMARY KEY, card TEXT NOT NULL)")
        _migrate_leitner(con)
        tables.add("review_cards")
    copy = {"review_cards": "INSERT OR IGNORE INTO learner_cards (learner, id, card)"
                            " SELECT '', id, card FROM review_cards",
            "notes": "INSERT OR IGNORE INTO learner_notes (learner, concept, text) SELECT '', concept, text FROM notes",
            "retro": "INSERT INTO learner_retro (learner, date, text) SELECT '', date, text FROM retro ORDER BY id"}
    for table in V2_TABLES:
        if table not in tables:
            continue
        con.execute(copy[table])
        if f"v2_{table}" in tables:  # an older app wrote to the file again
            con.execute(f"INSERT INTO v2_{table} {V2_TABLES[table]} SELECT {V2_TABLES[table][1:-1]} FROM {table}")
            con.execute(f"DROP TABLE {table}")
        else:
            con.execute(f"ALTER TABLE {table} RENAME TO v2_{table}")


def _migrate_leitner(con: sqlite3.Connection) -> None:
    """Convert a version-1 database's Leitner cards to FSRS cards, in the caller's transaction;
    the old table stays, renamed, so nothing is lost even if a conversion were wrong."""
    if not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cards'").fetchone():
        return
    converted = []
    for card_id, box, due, right, wrong, last in con.execute("SELECT id, box, due, right, wrong, last FROM cards"):
        try:  # a damaged row stays in the kept table, unconverted, rather than stop the app
            card = _leitner_card({"box": box, "due": due, "right": right, "wrong": wrong, "last": last}, card_id)
        except BadImportError:
            continue
        converted.append((card_id, json.dumps(from_leitner(card))))
    con.executemany("INSERT OR IGNORE INTO review_cards VALUES (?, ?)", converted)
    if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leitner_cards'").fetchone():
        con.execute("INSERT INTO leitner_cards SELECT * FROM cards")  # an older app wrote to the file again
        con.execute("DROP TABLE cards")
    else:
        con.execute("ALTER TABLE cards RENAME TO leitner_cards")


def _json_or_none(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None


class _Transaction:
    """`with _Transaction(con, lock) as run:` one transaction on a connection closed afterwards;
    `run(sql, params)` returns the rows (params a list of dicts: one statement per dict)."""

    def __init__(self, con: sqlite3.Connection, lock: bool):
        self.con, self.lock = con, lock

    def __enter__(self):
        self.con.__enter__()
        if self.lock:
            self.con.execute("BEGIN IMMEDIATE")
        return self

    def __call__(self, sql: str, params: dict | list | None = None) -> list:
        if isinstance(params, list):
            self.con.executemany(sql, params)
            return []
        return self.con.execute(sql, params or {}).fetchall()

    def __exit__(self, *exc) -> None:
        with closing(self.con):
            self.con.__exit__(*exc)


class MemoryProgress:
    """Progress in a dict owned by the caller (e.g. a browser session's state), changed in place."""

    def __init__(self, doc: dict):
        self.doc = doc
        self._lock = threading.Lock()  # update_card reads and writes as one step, like SQLite's transaction

    def load(self) -> dict:
        return json.loads(json.dumps(self.doc))  # a copy: callers cannot change the store by accident

    def put_card(self, card_id: str, card: dict) -> None:
        self.doc["cards"][card_id] = {**card, "fsrs": dict(card["fsrs"])}

    def update_card(self, card_id: str, change: Callable[[dict | None], dict]) -> dict:
        """`change` the card (None if never answered, or if it breaks `_card`'s rules) and keep the result."""
        with self._lock:
            card = self.doc["cards"].get(card_id)
            self.put_card(card_id, change(None if card is None else _card_or_none(card)))
            return self.doc["cards"][card_id]

    def put_note(self, concept: str, text: str) -> None:
        self.doc["notes"][concept] = text[:MAX_TEXT]

    def add_retro(self, day: date, text: str) -> None:
        self.doc["retro"].append({"date": day.isoformat(), "text": text[:MAX_TEXT]})
        self.doc["retro"].sort(key=lambda e: e["date"])  # stable: same-day entries keep their order

    def delete_retro(self, entry: dict) -> None:
        retro = self.doc["retro"]
        for k in range(len(retro) - 1, -1, -1):
            if retro[k] == entry:
                del retro[k]
                return

    def replace(self, doc: dict) -> None:
        self.doc.clear()
        self.doc.update(json.loads(json.dumps(doc)))


def export_json(doc: dict, exported: date) -> bytes:
    """The document as a UTF-8 JSON file, with the day it was exported."""
    out = {"app": APP, "version": VERSION, "exported": exported.isoformat(),
           "cards": doc["cards"], "notes": doc["notes"], "retro": doc["retro"]}
    return json.dumps(out, ensure_ascii=False, indent=2).encode("utf-8")


class BadImportError(ValueError):
    """Why a file cannot be imported: `code` is one of too_large, not_json, wrong_app,
    wrong_version, bad_field, too_long; `detail` names the field."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


def fits(doc: dict) -> bool:
    """Whether the document's export is small enough to import again (MAX_IMPORT_BYTES)."""
    return len(export_json(doc, date.today())) <= MAX_IMPORT_BYTES


def read_import(raw: bytes, cards: Collection[str] | None = None,
                concepts: Collection[str] | None = None) -> tuple[dict, list[str]]:
    """(checked document, dropped fields) from an uploaded file, or BadImportError. Never partial.

    `cards` and `concepts` are the ids the app knows: a card or note outside them (an obsolete
    question, another version's concept) is left out and named in `dropped` ("cards.<id>",
    "notes.<concept>"). None accepts any well-formed id."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise BadImportError("too_large")
    try:  # utf-8-sig: a byte-order mark (Notepad's default) is not part of the JSON
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BadImportError("not_json") from e
    if not isinstance(data, dict):
        raise BadImportError("not_json")
    if data.get("app") != APP:
        raise BadImportError("wrong_app")
    if type(data.get("version")) is not int or data["version"] not in (LEITNER_VERSION, VERSION):
        raise BadImportError("wrong_version")
    doc, dropped = _checked(data, cards, concepts, strict=True)
    if not fits(doc):  # compact JSON under the cap whose own export would not be: it could not come back
        raise BadImportError("too_large")
    return doc, dropped


def parse_import(raw: bytes) -> dict:
    """A checked progress document from an uploaded file, or BadImportError (read_import, any ids)."""
    return read_import(raw)[0]


def clean(data, cards: Collection[str] | None = None,
          concepts: Collection[str] | None = None) -> tuple[dict, list[str]]:
    """(document, skipped fields): what a store holds, by read_import's rules, but lenient.

    An entry that breaks them (a wrong type, a date that is not one, an unknown id) is left
    out and named in `skipped`; text with lone surrogates (which no page can draw) has them
    replaced by U+FFFD. Never raises: whatever was stored, the page reading it can draw it."""
    return _checked(data if isinstance(data, dict) else {}, cards, concepts, strict=False)


def _checked(data: dict, cards, concepts, strict: bool) -> tuple[dict, list[str]]:
    """The document in `data`, each entry checked; an unknown id is dropped, a bad entry raises
    BadImportError if `strict`, else is dropped (and its text repaired)."""
    doc, dropped = empty(), []
    text = _text if strict else _repaired_text
    card_of = _from_leitner_card if data.get("version") == LEITNER_VERSION else _card

    def entries(field: str, kind: type, limit: int):
        value = data.get(field, kind())
        if not isinstance(value, kind) or (strict and len(value) > limit):
            if strict:
                raise BadImportError("bad_field", field)
            dropped.append(field)
            return kind()
        if kind is dict and strict and not all(isinstance(k, str) and ID.fullmatch(k) for k in value):
            raise BadImportError("bad_field", field)
        return value

    def check(field: str, make, *args):
        try:
            return make(*args, field)
        except BadImportError:
            if strict:
                raise
            dropped.append(field)
            return None

    for card_id, card in entries("cards", dict, MAX_CARDS).items():
        field = f"cards.{card_id}"
        if (checked := check(field, _id_then, card_id, card_of, card)) is not None:
            if cards is None or card_id in cards:
                doc["cards"][card_id] = checked
            else:
                dropped.append(field)
    for concept, note in entries("notes", dict, MAX_NOTES).items():
        field = f"notes.{concept}"
        if (checked := check(field, _id_then, concept, text, note)) is not None:
            if concepts is None or concept in concepts:
                doc["notes"][concept] = checked
            else:
                dropped.append(field)
    for k, entry in enumerate(entries("retro", list, MAX_RETRO)):
        if (checked := check(f"retro[{k}]", _retro, entry, text)) is not None:
            doc["retro"].append(checked)
    doc["retro"].sort(key=lambda e: e["date"])
    return doc, dropped


def _id_then(key, make, value, field: str):
    if not (isinstance(key, str) and ID.fullmatch(key)):
        raise BadImportError("bad_field", field)
    return make(value, field)


def _retro(entry, text, field: str) -> dict:
    if not isinstance(entry, dict) or set(entry) != {"date", "text"}:
        raise BadImportError("bad_field", field)
    return {"date": _date(entry["date"], f"{field}.date"), "text": text(entry["text"], f"{field}.text")}


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # json.loads would otherwise accept NaN and Infinity


def _int(value, field: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:  # type(): True is an int, but not a count
        raise BadImportError("bad_field", field)
    return value


def _date(value, field: str) -> str:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise BadImportError("bad_field", field)


def _text(value, field: str) -> str:
    if not isinstance(value, str):
        raise BadImportError("bad_field", field)
    if len(value) > MAX_TEXT:
        raise BadImportError("too_long", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate ("\ud800"): valid JSON, but no text
        raise BadImportError("bad_text", field) from e
    return value


def _repaired_text(value, field: str) -> str:
    """Stored text, cut to MAX_TEXT, lone surrogates replaced by U+FFFD (pairs joined)."""
    if not isinstance(value, str):
        raise BadImportError("bad_field", field)
    return value[:MAX_TEXT].encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _card_or_none(card) -> dict | None:
    try:
        return _card(card, "card")
    except BadImportError:
        return None


def _leitner_card(card, field: str) -> dict:
    keys = {"box", "due", "right", "wrong", "last"}
    if not isinstance(card, dict) or set(card) != keys:
        raise BadImportError("bad_field", field)
    return {"box": _int(card["box"], f"{field}.box", 1, len(LEITNER_INTERVALS)),
            "due": _date(card["due"], f"{field}.due"),
            "right": _int(card["right"], f"{field}.right", 0, 10**9),
            "wrong": _int(card["wrong"], f"{field}.wrong", 0, 10**9),
            "last": None if card["last"] is None else _date(card["last"], f"{field}.last")}


def _from_leitner_card(card, field: str) -> dict:
    """A version-1 (Leitner) card checked, then converted to an FSRS card."""
    return from_leitner(_leitner_card(card, field))


def _number(value, field: str, low: float, high: float) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or not low <= value <= high:
        raise BadImportError("bad_field", field)  # json reads 1e999 as inf
    return float(value)


def _datetime(value, field: str) -> str:
    """An ISO date and time with its time zone, as fsrs writes them (UTC)."""
    if isinstance(value, str) and len(value) <= 40:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if when.tzinfo is not None:
                return when.isoformat()
    raise BadImportError("bad_field", field)


def _card(card, field: str) -> dict:
    """An FSRS card (core/review.py): fsrs.Card.to_dict() with the learner's counts. The memory
    state must fit the learning state, or fsrs could not review it: a card in review has no
    step, a card being learned or relearned has one, and only a new card lacks stability."""
    if not isinstance(card, dict) or set(card) != {"fsrs", "right", "wrong"}:
        raise BadImportError("bad_field", field)
    f, where = card["fsrs"], f"{field}.fsrs"
    if not isinstance(f, dict) or set(f) != {"card_id", "state", "step", "stability", "difficulty", "due",
                                             "last_review"}:
        raise BadImportError("bad_field", where)
    state = _int(f["state"], f"{where}.state", LEARNING, RELEARNING)
    step = None if f["step"] is None else _int(f["step"], f"{where}.step", 0, 100)
    new = f["stability"] is None and f["difficulty"] is None
    if (step is None) != (state == REVIEW) or (new and state != LEARNING):
        raise BadImportError("bad_field", where)
    return {"fsrs": {"card_id": _int(f["card_id"], f"{where}.card_id", 0, 2**63),
                     "state": state, "step": step,
                     "stability": None if new else _number(f["stability"], f"{where}.stability", 0.001, 36500.0),
                     "difficulty": None if new else _number(f["difficulty"], f"{where}.difficulty", 1.0, 10.0),
                     "due": _datetime(f["due"], f"{where}.due"),
                     "last_review": None if f["last_review"] is None else _datetime(f["last_review"],
                                                                                    f"{where}.last_review")},
            "right": _int(card["right"], f"{field}.right", 0, 10**9),
            "wrong": _int(card["wrong"], f"{field}.wrong", 0, 10**9)}
