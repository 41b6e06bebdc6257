"""Whose progress it is on a hosted app, as learners meet it: a private progress key, a signed-in
account, two learners on one database, the tab-only warning, and a database that is down or
read-only (AppTest against a real PostgreSQL server; ui/identity.py, ui/database.py, ui/storage.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from test_app_review import PAGE, answer_current, open_tab, rate

from conftest import open_page
from core.progress import export_json
from ui import identity, storage
from ui.i18n import catalog

EN, KO = catalog("en"), catalog("ko")
HOSTED = "https://class.example.org/review"


def hosted(url: str, lang: str | None = None):
    """A learner's new session of the hosted app (its progress database at `url`)."""
    return open_page(PAGE, url=HOSTED, lang=lang, secrets={"connections": {"progress": {"url": url}}})


def warnings_of(at) -> list[str]:
    return [w.value for w in at.warning]


def rows(url: str, sql: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            return [tuple(r) for r in con.execute(sa.text(sql))]
    finally:
        engine.dispose()


def create_key(at) -> str:
    at.button(key="rv_key_create").click().run()
    assert not at.exception
    key = at.session_state[identity.SHOWN_KEY]
    assert key in [c.value for c in at.code]
    at.button(key="rv_key_kept").click().run()
    return key


def open_key(at, key: str):
    at.text_input(key="rv_key_input").input(key)
    at.button[[b.label for b in at.button].index(EN["rv.key_open"] if at.session_state["lang"] == "en"
                                                 else KO["rv.key_open"])].click().run()
    assert not at.exception
    return at


def every_text(at) -> str:
    """Everything the page shows as text, and its link's parameters."""
    shown = [e.value for kind in ("markdown", "caption", "code", "text", "info", "success", "warning", "error")
             for e in getattr(at, kind)]
    return json.dumps([shown, dict(at.query_params)], ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_before_a_key_the_page_says_a_reload_loses_the_tab_and_a_key_keeps_it(postgres_url, lang):
    texts = catalog(lang)
    at = hosted(postgres_url, lang)
    assert texts["rv.tab_only_key"] in warnings_of(at)  # said before the first question is answered
    assert at.session_state["rv_log"] == []
    card = answer_current(at, right=True)
    at.tabs[2].text_area(key="rv_note_rnn").input("before the key").run()
    key = create_key(at)
    assert len(key) >= 32 and texts["rv.tab_only_key"] not in warnings_of(at)
    assert texts["rv.key_saved"] in [c.value for c in at.caption]
    # what the tab held moved under the key; the database holds the key's digest, never the key
    (learner,), = rows(postgres_url, "SELECT DISTINCT learner FROM learner_cards")
    assert learner == "key:" + identity.digest(key)
    assert rows(postgres_url, "SELECT digest FROM learner_keys") == [(identity.digest(key),)]
    assert key not in json.dumps(rows(postgres_url, "SELECT * FROM learner_keys"))
    assert card in dict(rows(postgres_url, "SELECT id, card FROM learner_cards"))
    assert rows(postgres_url, "SELECT text FROM learner_notes") == [("before the key",)]
    assert key not in every_text(open_tab(at, "rv.tab_backup"))  # gone from the page and never in the link
    assert texts["rv.mode_database"] in [i.value for i in at.info]


def test_a_learner_never_sees_another_learners_progress_and_a_key_opens_it_anywhere(postgres_url):
    alice = hosted(postgres_url)
    alice_key = create_key(alice)
    alice_card = answer_current(alice, right=True)
    rate(alice)
    alice.tabs[2].text_area(key="rv_note_gru").input("alice's private note").run()

    bob = hosted(postgres_url)  # another browser: nothing of alice's
    assert bob.session_state["rv_log"] == [] and alice_card in bob.session_state["rv_queue"]
    assert bob.tabs[2].text_area(key="rv_note_gru").value == ""
    open_key(bob, "not-alices-key")
    assert [e.value for e in bob.error] == [EN["rv.key_unknown"]]
    create_key(bob)
    assert bob.tabs[2].text_area(key="rv_note_gru").value == ""
    assert alice_card in bob.session_state["rv_queue"]  # still new for bob

    again = open_key(hosted(postgres_url), alice_key)  # alice on another device
    assert EN["rv.key_opened"] in [s.value for s in again.success]
    assert again.tabs[2].text_area(key="rv_note_gru").value == "alice's private note"
    assert alice_card not in again.session_state["rv_queue"]  # answered: not due for days
    assert alice_key not in every_text(again) and again.text_input(key="rv_key_input").value == "" \
        if again.get("text_input") else True
    assert len(rows(postgres_url, "SELECT DISTINCT learner FROM learner_cards")) == 1  # bob answered nothing


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_closing_the_key_leaves_nothing_of_its_progress_on_the_tab(postgres_url, lang):
    at = hosted(postgres_url, lang)
    key = create_key(at)
    answer_current(at, right=True)
    assert at.button(key="rv_key_forget").label == catalog(lang)["rv.key_forget"]
    at.button(key="rv_key_forget").click().run()
    assert catalog(lang)["rv.tab_only_key"] in warnings_of(at)
    assert open_key(at, key).session_state[storage.STATE_KEY]["cards"]  # and the key opens it again
    at.button(key="rv_key_forget").click().run()
    assert at.session_state["rv_log"] == [] and at.session_state[storage.STATE_KEY]["cards"] == {}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_with_sign_in_configured_progress_follows_the_account(postgres_url, monkeypatch, lang):
    texts = catalog(lang)
    monkeypatch.setattr(identity, "auth_configured", lambda: True)
    monkeypatch.setattr(identity, "account", lambda: None)
    at = hosted(postgres_url, lang)
    assert texts["rv.tab_only_login"] in warnings_of(at)
    assert at.button(key="rv_login").label == texts["rv.login"]
    assert not at.get("text_input") or all(t.key != "rv_key_input" for t in at.text_input)  # no key offered
    alice = {"iss": "https://accounts.google.com", "sub": "1001", "name": "Alice", "email": "a@example.org"}
    monkeypatch.setattr(identity, "account", lambda: alice)
    at = hosted(postgres_url, lang)
    assert texts["rv.account_saved"].format(name="Alice") in [c.value for c in at.caption]
    card = answer_current(at, right=True)
    monkeypatch.setattr(identity, "account", lambda: {**alice, "sub": "1002", "name": "Bob"})
    bob = hosted(postgres_url, lang)
    assert card in bob.session_state["rv_queue"] and bob.session_state["rv_log"] == []
    monkeypatch.setattr(identity, "account", lambda: alice)
    assert card not in hosted(postgres_url, lang).session_state["rv_queue"]  # alice's, on a new device


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_hosted_app_without_a_database_warns_that_a_reload_loses_the_tab(lang):
    at = open_page(PAGE, url=HOSTED, lang=lang)
    assert catalog(lang)["rv.tab_only"].format(backup=catalog(lang)["rv.tab_backup"]) in warnings_of(at)
    assert not at.get("button") or all(b.key != "rv_key_create" for b in at.button)


def test_an_unreachable_database_says_so_and_keeps_the_answers_for_export(postgres_cluster):
    down = postgres_cluster.url.rsplit(":", 1)[0] + ":1/seqdash"  # nothing listens on port 1
    at = hosted(down)
    assert EN["rv.db_problem_hosted"].format(backup=EN["rv.tab_backup"]) in warnings_of(at)
    assert any("OperationalError" in t.value for t in at.text)
    card = answer_current(at, right=True)
    exported = json.loads(export_json(at.session_state[storage.STATE_KEY], date.today()))
    assert card in exported["cards"]


def test_a_read_only_database_keeps_new_answers_in_the_tab_and_changes_nothing(postgres_url):
    at = hosted(postgres_url)
    create_key(at)
    answer_current(at, right=True)
    before = rows(postgres_url, "SELECT learner, id, card FROM learner_cards")
    name = postgres_url.rsplit("/", 1)[1]
    admin = sa.create_engine(postgres_url.rsplit("/", 1)[0] + "/seqdash", isolation_level="AUTOCOMMIT")
    with admin.connect() as con:  # read-only from now on, for every connection (the pool's too)
        con.execute(sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        con.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": name})
    admin.dispose()
    rate(at)
    card = answer_current(at, right=False)
    assert EN["rv.db_problem_hosted"].format(backup=EN["rv.tab_backup"]) in warnings_of(at)
    assert any("read-only" in t.value for t in at.text)
    assert card in at.session_state[storage.STATE_KEY]["cards"]
    assert rows(postgres_url, "SELECT learner, id, card FROM learner_cards") == before


def test_hostile_text_in_the_key_box_is_an_unknown_key_and_never_shown(postgres_url):
    from corpus import CORPUS

    at = hosted(postgres_url)
    for name, text in CORPUS.items():
        open_key(at, text[:200])  # the box takes 200 characters
        assert [e.value for e in at.error] == [EN["rv.key_unknown"]], name
        assert text[:200] not in every_text(at) or not text.strip(), name
    assert rows(postgres_url, "SELECT count(*) FROM learner_cards") == [(0,)]


def test_a_leitner_versions_sqlite_file_moves_to_the_hosted_database_whole(postgres_url, tmp_path):
    import shutil

    from test_app_review import LEITNER_EXPORT

    from core.progress import SqliteProgress
    from scripts.copy_progress import copy

    old = tmp_path / "progress.db"  # written by the Leitner version (tests/data/leitner_v1)
    shutil.copy(LEITNER_EXPORT.with_name("progress.db"), old)
    key, doc = copy(old, postgres_url)
    assert doc == SqliteProgress(old).load() and doc["cards"]  # everything the file holds
    at = open_key(hosted(postgres_url), key)
    assert at.session_state[storage.STATE_KEY]["cards"] == doc["cards"]
    assert at.tabs[2].text_area(key="rv_note_gru").value == doc["notes"].get("gru", "")


def test_a_leitner_versions_export_imports_into_a_key(postgres_url):
    from test_app_review import LEITNER_EXPORT, upload

    at = hosted(postgres_url)
    key = create_key(at)
    upload(at, LEITNER_EXPORT.read_bytes())
    at.tabs[3].button[0].click().run()
    assert EN["rv.import_done"] in [s.value for s in at.success]
    again = open_key(hosted(postgres_url), key)
    cards = again.session_state[storage.STATE_KEY]["cards"]
    assert cards["multi_head"]["right"] == 6 and cards["multi_head"]["fsrs"]["stability"] == 14.0
    assert len(cards) == 8


def test_the_home_page_shows_the_keys_progress_and_opens_while_the_database_is_down(postgres_url, postgres_cluster):
    at = hosted(postgres_url)
    create_key(at)
    answer_current(at, right=True)
    at.switch_page("dashboard.py").run()  # the same session, on the home page
    assert not at.exception and at.get("progress")  # the mastery bars: there is progress to show
    home = open_page(url=HOSTED, secrets={"connections": {"progress": {
        "url": postgres_cluster.url.rsplit(":", 1)[0] + ":1/seqdash"}}})
    assert not home.exception
