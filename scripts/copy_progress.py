"""Move a learner's progress from their own SQLite file into the class's hosted database.

    python -m scripts.copy_progress ~/.local/share/seq-models-dashboard/progress.db \
        postgresql+psycopg://user:password@host/dbname

Reads the file as the app does (any earlier version's tables adopted, Leitner cards converted,
every entry checked by core.progress.clean), creates a new progress key in the database and
stores everything under it, in one transaction per table group; prints the key, which the learner
then opens on the hosted review page. The file is only read. (A learner can do the same alone:
export on their computer, create a key on the hosted app, import the file there.)
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from core import schema  # noqa: E402
from core.progress import SqliteProgress, SqlProgress, clean  # noqa: E402


def copy(path: Path, url: str) -> tuple[str, dict]:
    """(the new key, the document stored under it)."""
    import secrets

    from ui.database import EngineDatabase
    from ui.identity import KEY_BYTES, digest

    doc = clean(SqliteProgress(path).load())[0]
    engine = sa.create_engine(url)
    try:
        db = EngineDatabase(engine)
        db.migrate()
        key = secrets.token_urlsafe(KEY_BYTES)
        with db.transaction() as run:
            run(schema.ADD_KEY, {"digest": digest(key), "created": datetime.now(UTC).isoformat()})
        SqlProgress(db, "key:" + digest(key)).replace(doc)
    finally:
        engine.dispose()
    return key, doc


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    key, doc = copy(Path(sys.argv[1]), sys.argv[2])
    print(f"copied {len(doc['cards'])} cards, {len(doc['notes'])} notes, {len(doc['retro'])} retrospective entries")
    print(f"the learner's progress key (shown once; only its hash is stored): {key}")
