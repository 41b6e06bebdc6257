"""Whose progress it is on a hosted app: a signed-in account, or a private progress key.

* With Streamlit's built-in authentication configured (an `[auth]` section in the secrets:
  OpenID Connect, e.g. Google), the learner logs in (`st.login`) and their progress is keyed to
  the account (`st.user`'s issuer and subject, hashed): the same progress on every device.
* Without it, the learner may create a **progress key**: `secrets.token_urlsafe(24)`, 192 random
  bits, shown once. The database keeps only its SHA-256 digest, so nobody (not the host, not
  someone with a copy of the database) can turn the stored value back into the key; typing the
  key on any device opens the progress again. Losing it loses access to that progress for good.
  The key lives in this session's state only: never in the URL, a link or a page's text after
  it was shown (tests/test_app_identity.py).
* Until one of these, the progress lives in the browser tab, and the review page says so
  before the learner starts.

Learner ids (core/schema.py's `learner` column): "user:<sha256>" or "key:<sha256>".
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime

import streamlit as st

from core import schema
from core.progress import SqlProgress
from ui.layout import t

LEARNER_KEY = "rv_learner"  # this session's learner id, once known
SHOWN_KEY = "rv_key_shown"  # the new key, until the learner says they have kept it
KEY_BYTES = 24


def digest(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def auth_configured() -> bool:
    """Whether the host configured Streamlit's authentication ([auth] in the secrets)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, ValueError):
        return False


def account() -> dict | None:
    """The signed-in account's claims ({"iss", "sub", "name", ...}), or None."""
    return st.user.to_dict() if st.user.is_logged_in else None


def learner() -> str | None:
    """This session's learner id: the account's when signed in, else the key's, else None (the tab)."""
    if auth_configured():
        claims = account()
        if not claims:
            return None
        who = f"{claims.get('iss', '')}|{claims.get('sub') or claims.get('email', '')}"
        return "user:" + hashlib.sha256(who.encode("utf-8")).hexdigest()
    return st.session_state.get(LEARNER_KEY)


def _guarded(action):
    """A key's callback, whose database failure is reported like any other (ui/storage.py's Store)."""
    def run(*args) -> None:
        from ui import storage  # (imports this module)

        try:
            action(*args)
        except storage.STORAGE_ERRORS as e:
            st.session_state[storage.FAILED_KEY] = f"{type(e).__name__}: {e}"
    return run


def create_key(db, tab: dict) -> None:
    """A new progress key: its digest stored, what this tab holds (`tab`, a checked document) moved
    under it, in one transaction; the key shown once."""
    key = secrets.token_urlsafe(KEY_BYTES)
    who = "key:" + digest(key)
    with db.transaction() as run:
        run(schema.ADD_KEY, {"digest": digest(key), "created": datetime.now(UTC).isoformat()})
    SqlProgress(db, who).replace(tab)
    st.session_state[LEARNER_KEY] = who
    st.session_state[SHOWN_KEY] = key


def open_key(db, tab: dict) -> None:
    """The key typed in the box: open its progress, adding what this tab holds that it lacks (a
    card or note it has not, every retrospective entry); or say the key is unknown (nothing changes)."""
    typed = st.session_state.get("rv_key_input") or ""  # the form clears the box after this
    with db.transaction() as run:
        known = bool(typed.strip()) and run(schema.HAS_KEY, {"digest": digest(typed)})
    if not known:
        st.session_state.rv_key_unknown = True
        return
    who = "key:" + digest(typed)
    store = SqlProgress(db, who)
    stored = store.load()
    for card_id, card in tab["cards"].items():
        if card_id not in stored["cards"]:
            store.put_card(card_id, card)
    for concept, text in tab["notes"].items():
        if concept not in stored["notes"]:
            store.put_note(concept, text)
    for entry in tab["retro"]:
        store.add_retro(date.fromisoformat(entry["date"]), entry["text"])
    st.session_state[LEARNER_KEY] = who
    st.session_state.rv_key_opened = True
    restart()


def restart() -> None:
    """A new round and note boxes from the progress now open (as after an import)."""
    st.session_state.rv_queue = None
    st.session_state.rv_feedback = None
    for k in [k for k in st.session_state if str(k).startswith("rv_note_")]:
        del st.session_state[k]


def forget() -> None:
    """Leave the key's progress on this tab (it stays in the database)."""
    # the tab starts empty: nothing of the key's progress (not even this visit's tally) is left on it
    for k in (LEARNER_KEY, SHOWN_KEY, "rv_progress", "rv_log", "rv_mastery_start"):
        st.session_state.pop(k, None)
    restart()


# --- on the review page, above its tabs -----------------------------------------------------

def panel(store, mode: str, hosted) -> None:
    """Where this learner's progress goes, said before they start: the tab (and that a reload loses
    it), their account, or their key; and the controls to change it. `hosted()` is the database."""
    if mode == "local" or store.problem:  # a failure has its own message above
        return
    if mode == "session":
        st.warning(t("rv.tab_only", backup=t("rv.tab_backup")), icon=":material/tab:")
        return
    if auth_configured():
        claims = account()
        if claims:
            cols = st.columns([4, 1])
            cols[0].caption(t("rv.account_saved", name=str(claims.get("name") or claims.get("email") or "")))
            if cols[1].button(t("rv.logout"), key="rv_logout", icon=":material/logout:"):
                st.logout()
        else:
            st.warning(t("rv.tab_only_login"), icon=":material/tab:")
            if st.button(t("rv.login"), key="rv_login", type="primary", icon=":material/login:"):
                st.login()
        return
    if st.session_state.pop("rv_key_opened", False):
        st.success(t("rv.key_opened"), icon=":material/key:")
    if SHOWN_KEY in st.session_state:
        with st.container(border=True):
            st.markdown(t("rv.key_new"))
            st.code(st.session_state[SHOWN_KEY], language=None)
            st.caption(t("rv.key_lose", backup=t("rv.tab_backup")))
            st.button(t("rv.key_kept"), key="rv_key_kept", on_click=st.session_state.pop, args=(SHOWN_KEY, None))
        return
    if st.session_state.get(LEARNER_KEY):
        cols = st.columns([4, 1])
        cols[0].caption(t("rv.key_saved"))
        cols[1].button(t("rv.key_forget"), key="rv_key_forget", help=t("rv.key_forget_help"), on_click=forget)
        return
    st.warning(t("rv.tab_only_key"), icon=":material/tab:")
    db = hosted()
    if db is None:
        return
    new, have = st.columns(2)
    with new:
        st.caption(t("rv.key_create_explain"))
        st.button(t("rv.key_create"), key="rv_key_create", type="primary", icon=":material/key:",
                  on_click=_guarded(create_key), args=(db, store.load()))
    with have:
        with st.form("rv_key_form", clear_on_submit=True, border=False):
            st.text_input(t("rv.key_input"), key="rv_key_input", type="password", max_chars=200,
                          autocomplete="off")
            st.form_submit_button(t("rv.key_open"), on_click=_guarded(open_key), args=(db, store.load()))
        if st.session_state.pop("rv_key_unknown", False):
            st.error(t("rv.key_unknown"), icon=":material/key_off:")
