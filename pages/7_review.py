"""Review: questions from the notes and exercises computed by core, scheduled in Leitner boxes."""

import streamlit as st

from core import review
from core.progress import MAX_IMPORT_BYTES, MAX_TEXT, BadImportError, export_json, read_import
from ui import review as rv
from ui import storage
from ui.layout import page, t

page("rv.title", "📝")
st.title(t("rv.title"))
st.markdown(t("rv.intro"))

store, mode, problem = storage.open_store()
today = storage.today()
doc = store.load()
ids = list(rv.questions())
for key, default in (("rv_log", []), ("rv_step", 0), ("rv_feedback", None), ("rv_queue", None)):
    st.session_state.setdefault(key, default)
st.session_state.setdefault("rv_seed", rv.new_seed())
if st.session_state.rv_queue is None:
    st.session_state.rv_queue = review.due_queue(doc["cards"], ids, today)
queue, feedback, step = st.session_state.rv_queue, st.session_state.rv_feedback, st.session_state.rv_step
# the round as it stands once the answer on screen counts (the card leaves it when answered right)
remaining = review.requeue(queue, feedback["id"], feedback["correct"]) if feedback else queue
if problem:
    st.warning(t("rv.db_problem"), icon=":material/database_off:")
    st.text(problem)
if store.skipped:  # stored entries the checks left out: named as plain text, never as markup
    st.warning(t("rv.skipped", count=len(store.skipped)), icon=":material/report:")
    st.text(", ".join(store.skipped[:20]) + (" …" if len(store.skipped) > 20 else ""))
if st.session_state.pop(storage.FULL_KEY, False):
    st.warning(t("rv.storage_full", limit=MAX_IMPORT_BYTES // 1_000_000), icon=":material/save:")

ask, progress, notes, backup = st.tabs([t("rv.tab_review"), t("rv.tab_progress"), t("rv.tab_notes"),
                                        t("rv.tab_backup")])
with ask:
    summary = review.session_summary(st.session_state.rv_log)
    cols = st.columns(4)
    cols[0].metric(t("rv.answered"), summary["answered"])
    cols[1].metric(t("rv.right_count"), summary["right"])
    cols[2].metric(t("rv.wrong_count"), summary["wrong"])
    cols[3].metric(t("rv.left"), len(remaining))
    if queue:
        card_id = queue[0]
        rv.question_card(store, doc, card_id, st.session_state.rv_seed + step, step, feedback, today)
    else:
        st.success(t("rv.done"), icon=":material/celebration:")
        st.button(t("rv.practise_all"), help=t("rv.practise_help"), on_click=rv.practise_all)
    if summary["missed"]:
        st.caption(t("rv.missed", titles=", ".join(t(f"rv.q.{i}.title") for i in summary["missed"])))
    st.subheader(t("rv.next_title"))
    coming = [(t("rv.this_round"), list(dict.fromkeys(remaining)))] if remaining else []
    coming += review.upcoming(doc["cards"], today)
    if coming:
        st.dataframe({t("rv.col_date"): [day for day, _ in coming], t("rv.col_count"): [len(due) for _, due in coming],
                      t("rv.col_questions"): [", ".join(t(f"rv.q.{i}.title") for i in due) for _, due in coming]},
                     hide_index=True, width="stretch")
    else:
        st.caption(t("rv.upcoming_empty"))

with progress:
    st.subheader(t("rv.mastery_title"))
    st.caption(t("rv.mastery_explain"))
    rv.mastery_bars(doc)
    st.subheader(t("rv.boxes_title"))
    st.caption(t("rv.boxes_explain"))
    st.dataframe(rv.cards_table(doc), hide_index=True, width="stretch")

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
        st.dataframe({t("rv.col_date"): [e["date"] for e in entries], t("rv.retro_text"): [e["text"] for e in entries]},
                     hide_index=True, width="stretch")
        with st.expander(t("rv.retro_delete_title")):
            st.selectbox(t("rv.retro_delete"), range(len(entries)), index=None, key="rv_retro_delete",
                         format_func=lambda k: f"{entries[k]['date']} · {entries[k]['text'][:40]}")
            st.button(t("rv.retro_delete_button"), on_click=rv.delete_retro, args=(store, entries))
    else:
        st.caption(t("rv.retro_none"))

with backup:
    if mode == "local":
        st.info(t("rv.mode_local"), icon=":material/save:")
        st.code(str(storage.db_path()), language=None)
    else:
        st.info(t("rv.mode_session"), icon=":material/lock:")
    st.subheader(t("rv.export_title"))
    st.download_button(t("rv.export"), lambda: export_json(store.load(), today), on_click="ignore",
                       file_name=f"seq-models-progress-{today.isoformat()}.json", mime="application/json",
                       icon=":material/download:", key="rv_export")
    st.subheader(t("rv.import_title"))
    st.caption(t("rv.import_explain"))
    if st.session_state.pop("rv_imported", False):
        st.success(t("rv.import_done"), icon=":material/check_circle:")
    upload = st.file_uploader(t("rv.import_file"), type=["json"], max_upload_size=1,
                              key=f"rv_upload_{st.session_state.get('rv_upload_n', 0)}")
    if upload is not None:
        try:
            incoming, dropped = read_import(upload.read(MAX_IMPORT_BYTES + 1), rv.questions(), rv.CONCEPTS)
        except BadImportError as e:
            st.error(t(f"rv.import_{e.code}", field=e.detail), icon=":material/block:")
        else:
            st.success(t("rv.import_ready", cards=len(incoming["cards"]), notes=len(incoming["notes"]),
                         retro=len(incoming["retro"])), icon=":material/fact_check:")
            if dropped:
                st.info(t("rv.import_dropped", count=len(dropped)), icon=":material/filter_alt:")
                st.text(", ".join(dropped))
            st.button(t("rv.import_confirm"), on_click=rv.replace_all, args=(store, incoming))
