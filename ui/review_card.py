"""The question card on the review page: the question of any kind, its answer box, then (once
checked) right or wrong, why, a link to the live page, and the four FSRS ratings with the
interval each would give."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import streamlit as st

from core.exercises import EXPLODE, KEEP, VANISH
from ui import charts, schedule
from ui import review as rv
from ui.i18n import number
from ui.layout import t

CHART_OPTIONS = (VANISH, KEEP, EXPLODE)  # the vanishing question's three answers


def _table(card_id: str) -> None:
    """The comparison page's table with the asked row blank: "?" in the asked column."""
    q = rv.questions()[card_id]
    column = {"attention": t("cmp.col_attention"), "self": t("cmp.col_self")}
    rows = {t("cmp.col_aspect"): [], column["attention"]: [], column["self"]: []}
    for r in rv.CMP_ROWS:
        rows[t("cmp.col_aspect")].append(t(f"cmp.row_{r}"))
        for c in ("attention", "self"):
            rows[column[c]].append(("?" if c == q["column"] else "…") if r == q["row"] else t(f"cmp.row_{r}_{c}"))
    st.table(charts.table(**rows))  # as on the comparison page, wrapped


def _random_notice(ex: dict) -> None:
    if count := sum(ex["random"]):
        st.caption(t("rv.chart_random", count=count, mark="\\" + rv.RANDOM_MARK))  # escaped: not a Markdown list


def _chart(card_id: str, seed: int) -> tuple[list, dict]:
    """Draw a live-chart question's chart; returns its options and their labels."""
    ex = rv.chart_of(card_id, seed)
    if rv.questions()[card_id]["chart"] == "most_weight":
        labels = [rv.key_label(ex, k) for k in range(len(ex["tokens"]))]
        charts.bar_chart(labels, ex["scaled"], x_title=t("rv.chart_keys"), y_title=t("rv.chart_scaled"),
                         diverging=True)
        _random_notice(ex)
        return ex["options"], {k: labels[k] for k in ex["options"]}
    frame = charts.curves(t("rv.chart_distance"), ex["distance"], t("rv.chart_norm"),
                          {t("rv.chart_series", radius=ex["radius"]): ex["norms"]})
    charts.line_chart(frame, x=t("rv.chart_distance"), y=t("rv.chart_norm"), series="series",
                      x_title=t("rv.chart_distance"), y_title=t("rv.chart_norm"), log_y=True)
    st.caption(t("rv.chart_sentence", n=len(ex["tokens"]), seed=ex["seed_weights"]))
    st.text(" ".join(tok + (rv.RANDOM_MARK if r else "") for tok, r in zip(ex["tokens"], ex["random"], strict=True)))
    _random_notice(ex)
    return list(CHART_OPTIONS), {o: t(f"rv.vanish_{o}") for o in CHART_OPTIONS}


def _prompt_values(card_id: str, seed: int) -> dict:
    q = rv.questions()[card_id]
    if q["kind"] == "numeric":
        return rv.prompt_values(card_id, rv.exercise(card_id, seed))
    if q["kind"] == "chart":
        ex = rv.chart_of(card_id, seed)
        if q["chart"] == "most_weight":
            return {"query": rv.key_label(ex, ex["query"])}
        return {"radius": f"{ex['radius']:g}"}
    return {}


def _answer_box(card_id: str, seed: int, step: int, done: bool) -> None:
    """What the question shows to answer from (its data, table or chart), then the learner's answer."""
    q, key = rv.questions()[card_id], f"rv_answer_{step}"
    if q["kind"] == "numeric":
        ex = rv.exercise(card_id, seed)
        if (data := rv.data_latex(card_id, ex)) is not None:
            st.latex(data)
        # In the page, not a fragment: a typed number is sent when the box loses focus, which the click on
        # Check does; a fragment rerun started by that same click lost the click
        # (seen in Chromium: "Choose or type an answer first" never came, no grade either).
        st.text_input(t("rv.your_number"), key=key, max_chars=40, disabled=done,
                      placeholder=t("rv.number_placeholder" if ex["tolerance"] else "rv.whole_placeholder"))
        return
    if q["kind"] == "order":
        labels = {s: rv.option_text(card_id, s) for s in rv.options(card_id, seed)}
        shown = list(labels)
    elif q["kind"] == "chart":
        shown, labels = _chart(card_id, seed)
    else:
        if q["kind"] == "table":
            _table(card_id)
        shown = rv.options(card_id, seed)
        labels = {o: rv.option_text(card_id, o) for o in shown}
    _choice(q["kind"] == "order", key, shown, labels, done)


@st.fragment
def _choice(ordered: bool, key: str, shown: list, labels: dict, done: bool) -> None:
    """The learner's choice alone: choosing reruns only this, not the page (Check, outside it, grades
    the answer and reruns the page)."""
    if ordered:
        st.multiselect(t("rv.your_order"), shown, key=key, format_func=labels.get, disabled=done,
                       placeholder=t("rv.order_placeholder"))
    else:
        st.radio(t("rv.your_choice"), shown, index=None, key=key, format_func=labels.get, disabled=done)


def _answer_shown(card_id: str, seed: int) -> str:
    """The right answer as text, for the feedback after a miss."""
    q, right = rv.questions()[card_id], rv.right_option(card_id, seed)
    if q["kind"] == "order":
        return " → ".join(rv.option_text(card_id, s) for s in right)
    if q["kind"] == "chart":
        ex = rv.chart_of(card_id, seed)
        return rv.key_label(ex, right) if q["chart"] == "most_weight" else t(f"rv.vanish_{right}")
    return rv.option_text(card_id, right)


def _explain(card_id: str, seed: int) -> None:
    q = rv.questions()[card_id]
    if q["kind"] == "numeric":
        ex = rv.exercise(card_id, seed)
        st.markdown(t(f"rv.q.{card_id}.how", **rv.prompt_values(card_id, ex)))
        st.latex(rv.how_latex(card_id, ex))
        return
    values = {}
    if q["kind"] == "chart":
        ex = rv.chart_of(card_id, seed)
        values = ({"answer": rv.key_label(ex, ex["answer"])} if q["chart"] == "most_weight"
                  else {"ratio": number(ex['ratio'], 2)})
    st.markdown(t(f"rv.q.{card_id}.explain", **values))
    if q["kind"] == "chart" and q["chart"] == "most_weight":
        labels = [rv.key_label(ex, k) for k in range(len(ex["tokens"]))]
        charts.bar_chart(labels, np.asarray(ex["weights"]), x_title=t("rv.chart_keys"), y_title=t("rv.chart_weight"))


def _feedback(card_id: str, seed: int, feedback: dict) -> None:
    q = rv.questions()[card_id]
    number = rv.answer_text(rv.exercise(card_id, seed)) if q["kind"] == "numeric" else None
    if feedback["correct"]:
        st.success(t("rv.right_number", answer=number) if number else t("rv.right"), icon=":material/check_circle:")
    elif number:
        st.error(t("rv.wrong_number", given=f"{feedback['given']:g}", answer=number), icon=":material/cancel:")
    else:
        st.error(t("rv.wrong_choice", answer=_answer_shown(card_id, seed)), icon=":material/cancel:")
    _explain(card_id, seed)
    label, icon = rv.page_of(q["link"])
    st.page_link(q["link"], label=t("rv.see_live", page=label), icon=icon, query_params={"lang": st.session_state.lang})


def _ratings(store, card_id: str, feedback: dict, step: int, now: datetime, retention: float) -> None:
    """The four FSRS ratings, each with the wait it gives; after a miss only Again."""
    waits = schedule.preview(feedback["before"], card_id, now, retention)
    st.markdown(t("rv.rate_prompt"))
    for col, rating in zip(st.columns(4), waits, strict=True):
        col.button(t(f"rv.rate_{rating}", wait=rv.interval_text(waits[rating])), key=f"rv_rate_{rating}_{step}",
                   type="primary" if rating == feedback["rating"] else "secondary",
                   disabled=not feedback["correct"] and rating != "again", width="stretch",
                   on_click=rv.rate, args=(store, rating, now, retention))
    st.caption(t("rv.rate_help") if feedback["correct"] else t("rv.rate_missed"))


def question_card(store, doc: dict, card_id: str, seed: int, step: int, feedback: dict | None,
                  now: datetime, retention: float) -> None:
    """The card on screen, as its kind asks."""
    q = rv.questions()[card_id]
    st.session_state.rv_current = {"id": card_id, "seed": seed}
    card = doc["cards"].get(card_id) if feedback is None else feedback["before"]
    with st.container(border=True):
        st.caption(t("rv.card_meta", concept=rv.concept_label(q["concept"]), kind=t(f"rv.kind_{q['kind']}"),
                     state=t(f"rv.state_{schedule.state_name(card)}")))
        st.subheader(t(f"rv.q.{card_id}.title"))
        st.markdown(t(f"rv.q.{card_id}.prompt", **_prompt_values(card_id, seed)))
        _answer_box(card_id, seed, step, feedback is not None)
        if feedback is None:
            if missing := st.session_state.pop("rv_missing", None):
                st.warning(t(f"rv.{missing}"), icon=":material/touch_app:")
            st.button(t("rv.check"), type="primary", key=f"rv_check_{step}", on_click=rv.check,
                      args=(store, card_id, seed, step, now, retention))
        else:
            _feedback(card_id, seed, feedback)
            _ratings(store, card_id, feedback, step, now, retention)
