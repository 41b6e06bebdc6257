"""Review: questions from the whole week, scheduled by FSRS, some checked against live computations."""

import streamlit as st

from core import review
from core.progress import MAX_IMPORT_BYTES, MAX_TEXT
from ui import charts, identity, schedule, storage
from ui import review as rv
from ui.layout import page, remember, t
from ui.review_card import question_card

TITLES_JOIN = " · "  # between questions' titles, some of which hold commas ("Q, K and V in self-attention")

page("rv.title", "📝")
st.title(t("rv.title"))
st.markdown(t("rv.intro", n=len(rv.questions())))

store, mode, problem = storage.open_store()
now, today = storage.now(), storage.today()
retention = remember("rv_retention", schedule.DEFAULT_RETENTION, options=schedule.RETENTION_CHOICES)
doc = rv.in_bank(store.load())
for key, default in (("rv_log", []), ("rv_step", 0), ("rv_feedback", None), ("rv_queue", None)):
    st.session_state.setdefault(key, default)
st.session_state.setdefault("rv_seed", rv.new_seed())
st.session_state.setdefault("rv_mastery_start", rv.mastery(doc, now))
if st.session_state.rv_queue is None:
    st.session_state.rv_queue = review.due_queue(doc["cards"], list(rv.new_order()), now)
queue, feedback, step = st.session_state.rv_queue, st.session_state.rv_feedback, st.session_state.rv_step
# the round as it stands once the answer on screen counts (it stays only if FSRS wants it back soon)
remaining = review.requeue(queue, feedback["id"], doc["cards"][feedback["id"]], now) if feedback else queue
if problem:
    st.warning(t("rv.db_problem_hosted" if storage.current_mode() == "database" else "rv.db_problem",
                 backup=t("rv.tab_backup")),
               icon=":material/database_off:")
    st.text(problem)
if store.skipped:  # stored entries the checks left out: named as plain text, never as markup
    st.warning(t("rv.skipped", count=len(store.skipped)), icon=":material/report:")
    st.text(", ".join(store.skipped[:20]) + (" …" if len(store.skipped) > 20 else ""))
if st.session_state.pop(storage.FULL_KEY, False):
    st.warning(t("rv.storage_full", limit=MAX_IMPORT_BYTES // 1_000_000), icon=":material/save:")

identity.panel(store, storage.current_mode(), storage.hosted_database)

# Progress and backup run only when open (their charts and table are most of a rerun's cost);
# the notes always, so that a note being typed is never dropped from the page.
ask, progress, notes, backup = st.tabs([t("rv.tab_review"), t("rv.tab_progress"), t("rv.tab_notes"),
                                        t("rv.tab_backup")], key="rv_tab", on_change="rerun")
with ask:
    summary = review.session_summary(st.session_state.rv_log)
    cols = st.columns(4)
    cols[0].metric(t("rv.answered"), summary["answered"])
    cols[1].metric(t("rv.right_count"), summary["right"])
    cols[2].metric(t("rv.wrong_count"), summary["wrong"])
    cols[3].metric(t("rv.left"), len(remaining))
    if queue:
        question_card(store, doc, queue[0], st.session_state.rv_seed + step, step, feedback, now, retention)
    else:
        st.success(t("rv.done"), icon=":material/celebration:")
        if summary["answered"]:
            rv.session_report(summary, st.session_state.rv_mastery_start, rv.mastery(doc, now))
        st.button(t("rv.practise_all"), help=t("rv.practise_help"), on_click=rv.practise_all)
    if summary["missed"]:
        st.caption(t("rv.missed", titles=TITLES_JOIN.join(t(f"rv.q.{i}.title") for i in summary["missed"])))
    st.subheader(t("rv.next_title"))
    coming = [(t("rv.this_round"), list(dict.fromkeys(remaining)))] if remaining else []
    coming += review.upcoming({i: c for i, c in doc["cards"].items() if i not in remaining}, now)
    if coming:
        st.table(charts.table(**{  # a static table, wrapped: dates, counts and the questions' titles
            t("rv.col_date"): [day for day, _ in coming], t("rv.col_count"): [len(due) for _, due in coming],
            t("rv.col_questions"): [TITLES_JOIN.join(t(f"rv.q.{i}.title") for i in due) for _, due in coming]}),
            hide_index=True, width="content")  # as wide as its columns: Streamlit caps one at 25rem
    else:
        st.caption(t("rv.upcoming_empty"))

with progress:
    if progress.open:
        rv.progress_tab(doc, now, retention)

with notes:
    st.subheader(t("rv.notes_title"))
    st.caption(t("rv.notes_explain"))
    for concept in rv.CONCEPTS:
        st.session_state.setdefault(f"rv_note_{concept}", doc["notes"].get(concept, ""))
        st.text_area(rv.concept_label(concept), key=f"rv_note_{concept}", max_chars=MAX_TEXT,
                     placeholder=t("rv.note_placeholder"), on_change=rv.save_note, args=(store, concept))
    st.subheader(t("rv.retro_title"))
    st.caption(t("rv.retro_explain"))
    with st.form("rv_retro_form", clear_on_submit=True):
        st.date_input(t("rv.col_date"), value=today, key="rv_retro_date")
        st.text_area(t("rv.retro_text"), key="rv_retro_text", max_chars=MAX_TEXT)
        st.form_submit_button(t("rv.retro_add"), on_click=rv.add_retro, args=(store,))
    if st.session_state.pop("rv_retro_blank", False):
        st.warning(t("rv.retro_blank"), icon=":material/edit_note:")
    entries = doc["retro"][::-1]  # newest first
    if entries:
        st.dataframe(charts.table(**{t("rv.col_date"): [e["date"] for e in entries],
                                     t("rv.retro_text"): [e["text"] for e in entries]}),
                     hide_index=True, width="stretch")
        with st.expander(t("rv.retro_delete_title")):
            st.selectbox(t("rv.retro_delete"), range(len(entries)), index=None, key="rv_retro_delete",
                         format_func=lambda k: f"{entries[k]['date']} · {entries[k]['text'][:40]}")
            st.button(t("rv.retro_delete_button"), on_click=rv.delete_retro, args=(store, entries))
    else:
        st.caption(t("rv.retro_none"))

with backup:
    if backup.open:
        rv.backup_tab(store, mode, today)
