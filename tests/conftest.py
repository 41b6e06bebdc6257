"""Shared fixtures: the repository root on sys.path, and AppTest sessions of the app."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import ui.korean  # noqa: E402, F401  (Korean is split by kiwipiepy in every test, as in the app)
from ui.i18n import MINUS, SUPERSCRIPT_DIGITS, SUPERSCRIPT_MINUS  # noqa: E402

SELF_ATTENTION = "pages/1_self_attention.py"


def open_page(page: str | None = None, *, lang: str | None = None, locale: str | None = None,
              url: str | None = None, params: dict | None = None, secrets: dict | None = None):
    """An AppTest session of the app, on `page` (the home page when None), already run.

    `url` is the browser's address (st.context.url); without one the review keeps its progress
    in the session, never on disk (ui/storage.py). `params` are the link's query parameters;
    `secrets` the app's secrets (e.g. a hosted progress database, ui/database.py)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for name, value in (secrets or {}).items():
        at.secrets[name] = value
    at.query_params.update(params or {})
    if lang:
        at.query_params["lang"] = lang
    if locale:
        at.context["locale"] = locale
    if url:
        at.context["url"] = url
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at):
    """(spec, data) of every chart on the page: its Vega-Lite spec, and its data decoded from Arrow.

    A chart's title travels in its data (a `title` column on the first row, drawn by a text mark),
    so the spec stays the same when the title names another word; this puts it back as
    spec["title"] and leaves the column out of the data."""
    drawn = []
    for el in at.get("vega_lite_chart"):
        spec, data = json.loads(el.proto.spec), pa.ipc.open_stream(el.proto.data.data).read_all().to_pandas()
        if "title" in data:
            spec["title"] = str(data["title"].dropna().iloc[0])
            data = data.drop(columns="title")
        drawn.append((spec, data))
    return drawn


def chart_specs(at):
    """The raw spec text of every chart on the page, exactly as sent to the browser."""
    return [el.proto.spec for el in at.get("vega_lite_chart")]


def diagrams(at):
    """The SVG diagrams on the page (ui/diagrams.py: st.image of an SVG travels as a data URL), as SVG text."""
    return [base64.b64decode(img.url.split(",", 1)[1]).decode() for el in at.get("image") for img in el.proto.imgs
            if img.url.startswith("data:image/svg+xml;base64,")]


def mermaid_diagrams(at):
    """The Mermaid diagrams on the page (st.mermaid_chart travels as a fenced ```mermaid block): none
    should be left, their layout cost the browser 100–480 ms a visit."""
    return [m.value for m in at.markdown if m.value.lstrip("`").startswith("mermaid")]


def heatmap(at, legend):
    """The heatmap whose colour legend is titled `legend`: (matrix, the indices of its outlined rows).

    Cells the chart leaves empty (masked) are NaN in the matrix.
    """
    for spec, data in charts(at):
        colors = [layer["encoding"]["color"].get("title") for layer in spec.get("layer", [])
                  if "color" in layer.get("encoding", {})]
        if colors and set(colors) == {legend} and "r" in data:  # a signed heatmap's ends share the cells' legend
            M = np.full((data["r"].max() + 1, data["c"].max() + 1), np.nan)
            M[data["r"], data["c"]] = data["value"]
            outline = sorted(set(data["r"][data["outline"]])) if "outline" in data else []
            return M, outline
    raise AssertionError(f"no heatmap of {legend!r}")


def metric(at, label):
    """The metric whose label is `label`."""
    return next(m for m in at.metric if m.label == label)


def plain(text: str) -> str:
    """A text as read, its no-break spaces (ui.i18n binds a formula's signs to their terms) as spaces."""
    return text.replace("\u00a0", " ")


def read_power(superscript: str) -> int:
    """The exponent written in superscript, "⁻¹²" -> -12 (ui.i18n's digits)."""
    return int(superscript.translate(str.maketrans(SUPERSCRIPT_MINUS + SUPERSCRIPT_DIGITS, "-0123456789")))


def read_number(written: str) -> float:
    """A number as ui.i18n.number() writes it, read back: its minus sign, commas and × 10ⁿ undone."""
    plain = written.replace(MINUS, "-").replace(",", "")
    if " × 10" not in plain:
        return float(plain)
    mantissa, power = plain.split(" × 10")
    return float(mantissa) * 10.0 ** read_power(power)


def open_tab(at, key: str, section: str):
    """Open the tab `section` of the tabs ui.widgets.section_tabs(key, ...) draws, and rerun. AppTest cannot
    click a tab: this sets what the click's callback sets (and checks that the tab's label is then open)."""
    at.session_state[key] = section
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[f"{key}_tabs"] in [tab.label for tab in at.tabs]
    return at


def type_text(at, key: str, text: str):
    """Type `text` into the text area `key` and rerun, as a learner would."""
    at.text_area(key=key).input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# What Markdown would turn into something else: its syntax characters, an underscore at a word's edge (one
# inside a word, "d_k", stays plain in CommonMark), and a line that starts a list or a quote
MARKDOWN_SYNTAX = re.compile(r"[*`#\[\]<>$~|\\]|(?<!\w)_|_(?!\w)|^\s*[-+>]|^\s*\d+\.")


def with_markdown(texts) -> list[str]:
    """The texts Markdown would not show as written (st.table, in Streamlit 1.67, renders cells as Markdown)."""
    return [text for text in texts if MARKDOWN_SYNTAX.search(text)]


def central_differences(f, x, eps=1e-6):
    """∂f/∂x at x by central differences in float64: column m is (f(x + eps·e_m) − f(x − eps·e_m)) / 2eps."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([(f(x + e) - f(x - e)) / (2 * eps) for e in np.eye(x.size) * eps], axis=-1)


@pytest.fixture
def app():
    return open_page


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    """No test reads or writes the learner's real progress: the data folder is the test's own,
    and the storage mode is left to detection unless a test sets it."""
    monkeypatch.setenv("SEQDASH_DATA_DIR", str(tmp_path / "seqdash"))
    monkeypatch.delenv("SEQDASH_STORAGE", raising=False)
    return tmp_path / "seqdash"


# --- progress databases: SQLite files and a real PostgreSQL server (no mock of either) ---------

@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL server for the whole test run (scripts/pg_cluster.py: Debian's binaries,
    installed by scripts/install_servers.sh, a temporary cluster on a free loopback port)."""
    from scripts.pg_cluster import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster, request):
    """The URL of a fresh, empty database of its own on the real server, dropped afterwards."""
    import sqlalchemy as sa

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:40] + f"_{id(request):x}"
    admin = sa.create_engine(postgres_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield postgres_cluster.url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as con:
        con.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def make_store(request, tmp_path):
    """make_store(kind, learner="") -> a progress store: "sqlite" (one file per test), "postgresql"
    (one database per test on the real server, through SQLAlchemy as the hosted app reaches it)
    or "memory" (one dict per test). Every call opens the same database anew, as a tab does."""
    from core.progress import MemoryProgress, SqliteDatabase, SqlProgress, empty

    engines, shared = [], empty()

    def make(kind: str, learner: str = ""):
        if kind == "sqlite":
            return SqlProgress(SqliteDatabase(tmp_path / "progress.db"), learner)
        if kind == "postgresql":
            import sqlalchemy as sa

            from ui.database import EngineDatabase

            engines.append(sa.create_engine(request.getfixturevalue("postgres_url")))
            return SqlProgress(EngineDatabase(engines[-1]), learner)
        assert kind == "memory"
        return MemoryProgress(shared)

    yield make
    for engine in engines:
        engine.dispose()
