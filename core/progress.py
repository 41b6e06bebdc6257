"""The learner's progress and notes: an SQLite file on their own computer, or a plain dict.

What is kept, as one JSON-able document (the export format, too):

    {"app": APP, "version": VERSION,
     "cards": {card id: {"box", "due", "right", "wrong", "last"}},   # core/review.py's cards
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
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Collection
from contextlib import closing
from datetime import date
from pathlib import Path

from core.review import BOXES

APP = "seq-models-dashboard"
VERSION = 1
DB_NAME = "progress.db"
MAX_IMPORT_BYTES = 1_000_000
MAX_TEXT = 20_000  # characters in one note or retrospective entry
MAX_CARDS = 500
MAX_NOTES = 100
MAX_RETRO = 2_000
ID = re.compile(r"[a-z0-9_]{1,64}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (id TEXT PRIMARY KEY, box INTEGER NOT NULL, due TEXT NOT NULL,
                                  right INTEGER NOT NULL, wrong INTEGER NOT NULL, last TEXT);
CREATE TABLE IF NOT EXISTS notes (concept TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS retro (id INTEGER PRIMARY KEY AUTOINCREMENT, date TEXT NOT NULL,
                                  text TEXT NOT NULL);
"""


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


class SqliteProgress:
    """Progress in an SQLite file, created (with its folder, readable by its owner only) on first use."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        new = not self.path.exists()
        with self._transaction() as con:
            con.executescript(SCHEMA)  # also fails here, not later, if the file is not a database
        if new:  # a file that exists keeps the permissions its owner gave it (read-only, say)
            os.chmod(self.path, 0o600)

    def _transaction(self):
        # `with con:` commits at the end of the block, or rolls back if it raised
        con = sqlite3.connect(self.path, timeout=10)
        # bytes that are not UTF-8 (a damaged page, another program's write) read as U+FFFD
        # instead of raising: `clean` then judges the value like any other
        con.text_factory = lambda b: b.decode("utf-8", "replace")
        return _Transaction(con)

    def load(self) -> dict:
        doc = empty()
        with self._transaction() as con:
            for card_id, box, due, right, wrong, last in con.execute(
                    "SELECT id, box, due, right, wrong, last FROM cards"):
                doc["cards"][card_id] = {"box": box, "due": due, "right": right, "wrong": wrong, "last": last}
            doc["notes"] = dict(con.execute("SELECT concept, text FROM notes"))
            doc["retro"] = [{"date": d, "text": text}
                            for d, text in con.execute("SELECT date, text FROM retro ORDER BY date, id")]
        return doc

    def put_card(self, card_id: str, card: dict) -> None:
        with self._transaction() as con:
            con.execute("INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?, ?)",
                        (card_id, card["box"], card["due"], card["right"], card["wrong"], card["last"]))

    def update_card(self, card_id: str, change: Callable[[dict | None], dict]) -> dict:
        """Read a card, `change(card or None)` it and write the result, in one transaction.

        BEGIN IMMEDIATE takes the write lock before the read, so two writers on one card (two
        tabs, two threads) run one after the other and no answer is lost. A stored card that
        breaks `_card`'s rules counts as never answered."""
        with self._transaction() as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute("SELECT box, due, right, wrong, last FROM cards WHERE id = ?", (card_id,)).fetchone()
            card = change(None if row is None else _card_or_none(dict(zip(CARD_FIELDS, row, strict=True))))
            con.execute("INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?, ?)",
                        (card_id, card["box"], card["due"], card["right"], card["wrong"], card["last"]))
        return card

    def put_note(self, concept: str, text: str) -> None:
        with self._transaction() as con:
            con.execute("INSERT OR REPLACE INTO notes VALUES (?, ?)", (concept, text[:MAX_TEXT]))

    def add_retro(self, day: date, text: str) -> None:
        with self._transaction() as con:
            con.execute("INSERT INTO retro (date, text) VALUES (?, ?)", (day.isoformat(), text[:MAX_TEXT]))

    def delete_retro(self, entry: dict) -> None:
        """Delete one entry equal to `entry` (the newest of equal ones)."""
        with self._transaction() as con:
            con.execute("DELETE FROM retro WHERE id = (SELECT max(id) FROM retro WHERE date = ? AND text = ?)",
                        (entry["date"], entry["text"]))

    def replace(self, doc: dict) -> None:
        """Replace everything with a checked document (parse_import's), all or nothing."""
        with self._transaction() as con:
            con.execute("DELETE FROM cards")
            con.execute("DELETE FROM notes")
            con.execute("DELETE FROM retro")
            con.executemany("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?)",
                            [(i, c["box"], c["due"], c["right"], c["wrong"], c["last"])
                             for i, c in doc["cards"].items()])
            con.executemany("INSERT INTO notes VALUES (?, ?)", list(doc["notes"].items()))
            con.executemany("INSERT INTO retro (date, text) VALUES (?, ?)",
                            [(e["date"], e["text"]) for e in doc["retro"]])


class _Transaction:
    """`with _Transaction(con) as con:` one transaction on a connection closed afterwards."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        return self.con.__enter__()

    def __exit__(self, *exc) -> None:
        with closing(self.con):
            self.con.__exit__(*exc)


class MemoryProgress:
    """Progress in a dict owned by the caller (e.g. a browser session's state), changed in place."""

    def __init__(self, doc: dict):
        self.doc = doc

    def load(self) -> dict:
        return json.loads(json.dumps(self.doc))  # a copy: callers cannot change the store by accident

    def put_card(self, card_id: str, card: dict) -> None:
        self.doc["cards"][card_id] = dict(card)

    def update_card(self, card_id: str, change: Callable[[dict | None], dict]) -> dict:
        """`change` the card (None if never answered, or if it breaks `_card`'s rules) and keep the result."""
        card = self.doc["cards"].get(card_id)
        card = self.doc["cards"][card_id] = dict(change(None if card is None else _card_or_none(card)))
        return card

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
    if type(data.get("version")) is not int or data["version"] != VERSION:
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
        if (checked := check(field, _id_then, card_id, _card, card)) is not None:
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


CARD_FIELDS = ("box", "due", "right", "wrong", "last")  # the cards table's columns after the id


def _card_or_none(card) -> dict | None:
    try:
        return _card(card, "card")
    except BadImportError:
        return None


def _card(card, field: str) -> dict:
    """A card checked field by field (core/review.py's shape), or BadImportError naming the field."""
    keys = set(CARD_FIELDS)
    if not isinstance(card, dict) or set(card) != keys:
        raise BadImportError("bad_field", field)
    return {"box": _int(card["box"], f"{field}.box", 1, BOXES), "due": _date(card["due"], f"{field}.due"),
            "right": _int(card["right"], f"{field}.right", 0, 10**9),
            "wrong": _int(card["wrong"], f"{field}.wrong", 0, 10**9),
            "last": None if card["last"] is None else _date(card["last"], f"{field}.last")}
