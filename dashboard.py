"""Home: what the dashboard is for, the path through the concepts, and where to start."""

import streamlit as st

from ui import review, storage
from ui.layout import concept_pages, page, t

lang = page("home.title", "🎓")
st.title(t("home.title"))
st.markdown(t("home.intro"))

path, start = st.columns([2, 3], gap="large")
with path:
    st.subheader(t("home.path_title"))
    # Plain text, not a Mermaid diagram: laying one out took the browser ~1 s on every visit
    # to the landing page (bench/bench_browser.py's profile), for a straight chain of five steps.
    with st.container(border=True):
        st.markdown(t("home.path_steps"))
    st.caption(t("home.path_caption"))

    st.subheader(t("home.review_title"))
    progress, problem = storage.read_progress()
    if problem:
        st.warning(t("home.progress_problem"), icon=":material/database_off:")
        st.text(problem)
    if progress["cards"]:
        review.mastery_bars(progress)
        st.caption(t("home.review_due", due=review.due_count(progress, storage.today()),
                     total=len(review.questions())))
        st.page_link("pages/7_review.py", label=t("home.review_continue"), icon=":material/quiz:",
                     query_params={"lang": lang})
    else:
        st.page_link("pages/7_review.py", label=t("home.review_invite"), icon=":material/quiz:",
                     query_params={"lang": lang})
        st.caption(t("home.review_invite_text"))

with start:
    st.subheader(t("home.start_title"))
    for script, key, icon in concept_pages():
        with st.container(border=True):
            st.page_link(script, label=t(f"nav.{key}"), icon=icon, query_params={"lang": lang})
            st.markdown(t(f"home.blurb_{key}"))

    st.subheader(t("home.notes_title"))
    st.markdown(t("home.notes_intro"))
    for concept in ("rnn", "lstm", "gru", "attention", "self_attention", "steps"):
        with st.expander(t(f"home.notes_{concept}_title")):
            st.markdown(t(f"home.notes_{concept}"))
