"""The review page's parts: the question set, a card on screen, and the answers' callbacks.

Question definitions (ids, concept, kind, correct option, link) live in data/questions.toml,
their texts in the catalogs under `rv.q.<id>`; scheduling in core/review.py, numbers in
core/exercises.py, storage in ui/storage.py.
"""

from __future__ import annotations

import random
import tomllib
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core import review
from core.exercises import is_right, make_exercise
from ui.layout import NAV, t

QUESTIONS_FILE = Path(__file__).resolve().parents[1] / "data" / "questions.toml"
CONCEPTS = ("rnn", "lstm", "gru", "attention", "self_attention")


@cache
def questions() -> dict[str, dict]:
    """{id: definition}, in the file's order."""
    with open(QUESTIONS_FILE, "rb") as f:
        return {q["id"]: q for q in tomllib.load(f)["question"]}


def concept_of() -> dict[str, str]:
    return {i: q["concept"] for i, q in questions().items()}


def concept_label(concept: str) -> str:
    return t(f"home.notes_{concept}_title")


def page_of(script: str) -> tuple[str, str]:
    """(label, icon) of a page in the menu."""
    return next((t(f"nav.{key}"), icon) for _, links in NAV for s, key, icon in links if s == script)


def options(card_id: str, seed: int) -> list[str]:
    """A choice question's options in the order shown: shuffled by the seed, so the right one is
    not always in the same place."""
    shown = list(questions()[card_id]["options"])
    random.Random(seed).shuffle(shown)
    return shown


def exercise(card_id: str, seed: int) -> dict:
    return make_exercise(questions()[card_id]["exercise"], seed)


def _num(x: float) -> str:
    return f"{x:g}"


def _matrix(M) -> str:
    return r"\begin{bmatrix}" + r"\\".join(" & ".join(_num(x) for x in row) for row in M) + r"\end{bmatrix}"


def _vector(v, digits: int = 3) -> str:
    return r"\left(" + ",\\ ".join(f"{x:.{digits}f}" for x in v) + r"\right)"


def prompt_values(card_id: str, ex: dict) -> dict:
    """The numbers a numeric question's texts fill in (1-based positions for the learner)."""
    kind = questions()[card_id]["exercise"]
    if kind == "softmax":
        s = ex["scores"]
        return {"s1": _num(s[0]), "s2": _num(s[1]), "s3": _num(s[2]), "k": ex["index"] + 1}
    if kind == "attention_weight":
        return {"d_k": ex["d_k"], "i": ex["i"] + 1, "j": ex["j"] + 1}
    return {"x": ex["input"], "h": ex["hidden"]}


def data_latex(card_id: str, ex: dict) -> str | None:
    """The numbers of a numeric question as a formula, or None when the prompt says it all."""
    if questions()[card_id]["exercise"] != "attention_weight":
        return None
    return rf"Q = {_matrix(ex['Q'])},\qquad K = {_matrix(ex['K'])},\qquad d_k = {ex['d_k']}"


def how_latex(card_id: str, ex: dict) -> str:
    """How the answer is computed, with the question's own numbers."""
    kind = questions()[card_id]["exercise"]
    if kind == "softmax":
        k = ex["index"]
        terms = " + ".join(f"e^{{{_num(s)}}}" for s in ex["scores"])
        values = " + ".join(f"{e:.3f}" for e in ex["exps"])
        return (rf"a_{k + 1} = \frac{{e^{{{_num(ex['scores'][k])}}}}}{{{terms}}}"
                rf" = \frac{{{ex['exps'][k]:.3f}}}{{{values}}} = {ex['answer']:.4f}")
    if kind == "attention_weight":
        i, j = ex["i"] + 1, ex["j"] + 1
        return (rf"q_{i} K^\top = {_vector(ex['scores'], 0)},\quad"
                rf" \frac{{q_{i} K^\top}}{{\sqrt{{{ex['d_k']}}}}} = {_vector(ex['scaled'])},\quad"
                rf" \mathrm{{softmax}} = {_vector(ex['weights'])},\quad a_{{{i}{j}}} = {ex['answer']:.4f}")
    x, h = ex["input"], ex["hidden"]
    return (rf"3 \cdot {h} \cdot ({x} + {h}) + 2 \cdot 3 \cdot {h} = {ex['weights']:,} + {ex['biases']:,}"
            rf" = {ex['answer']:,}").replace(",", "{,}")


def answer_text(card_id: str, ex: dict) -> str:
    return f"{ex['answer']:,}" if ex["tolerance"] == 0 else f"{ex['answer']:.4f}"


# --- what answering does: callbacks, run before the page redraws -----------------------------

def check(store, card_id: str, seed: int, step: int, today) -> None:
    """Grade the answer in the current card's widget, move the card between boxes and save it."""
    q = questions()[card_id]
    if q["kind"] == "choice":
        given = st.session_state.get(f"rv_choice_{step}")
        correct = given == q["correct"]
    else:
        given = st.session_state.get(f"rv_number_{step}")
        correct = is_right(exercise(card_id, seed), given)
    if given is None:
        st.session_state.rv_missing = True
        return
    # read, change and write the card in one transaction: two tabs answering it lose no answer
    store.update_card(card_id, lambda card: review.answer(card, correct, today))
    st.session_state.rv_log.append((card_id, correct))
    st.session_state.rv_feedback = {"id": card_id, "correct": correct, "given": given}


def advance() -> None:
    """On to the next card: the answered one leaves the round, or goes to its end if missed."""
    feedback = st.session_state.rv_feedback
    st.session_state.rv_queue = review.requeue(st.session_state.rv_queue, feedback["id"], feedback["correct"])
    st.session_state.rv_feedback = None
    st.session_state.rv_step += 1


def practise_all() -> None:
    st.session_state.rv_queue = list(questions())


def save_note(store, concept: str) -> None:
    store.put_note(concept, st.session_state[f"rv_note_{concept}"])


def add_retro(store) -> None:
    text = st.session_state.rv_retro_text
    if text.strip():
        store.add_retro(st.session_state.rv_retro_date, text)
    else:
        st.session_state.rv_retro_blank = True


def delete_retro(store, entries: list[dict]) -> None:
    chosen = st.session_state.get("rv_retro_delete")
    if chosen is not None:
        store.delete_retro(entries[chosen])


def replace_all(store, doc: dict) -> None:
    """Import: replace everything, then start the round and the note boxes afresh from it."""
    store.replace(doc)
    for key in [k for k in st.session_state if str(k).startswith("rv_note_")]:
        del st.session_state[key]
    st.session_state.rv_queue = None
    st.session_state.rv_feedback = None
    st.session_state.rv_upload_n = st.session_state.get("rv_upload_n", 0) + 1
    st.session_state.rv_imported = True


# --- shared with the home page -----------------------------------------------------------------

def mastery_bars(doc: dict) -> None:
    """One bar per concept: the share of its cards in the top boxes."""
    shares = review.mastery(doc["cards"], concept_of())
    for concept in CONCEPTS:
        st.progress(shares[concept], text=t("rv.mastery_bar", concept=concept_label(concept),
                                             share=shares[concept]))


def cards_table(doc: dict) -> pd.DataFrame:
    """Every question with its box, next due date and counts, for st.dataframe (plain text)."""
    rows = []
    for card_id, q in questions().items():
        card = doc["cards"].get(card_id)
        rows.append({t("rv.col_question"): t(f"rv.q.{card_id}.title"),
                     t("rv.col_concept"): concept_label(q["concept"]),
                     t("rv.col_box"): card["box"] if card else 1,
                     t("rv.col_due"): card["due"] if card else t("rv.now"),
                     t("rv.col_right"): card["right"] if card else 0,
                     t("rv.col_wrong"): card["wrong"] if card else 0})
    return pd.DataFrame(rows)


def due_count(doc: dict, today) -> int:
    return len(review.due_queue(doc["cards"], list(questions()), today))


def new_seed() -> int:
    return int(np.random.default_rng().integers(2**31))


def question_card(store, doc: dict, card_id: str, seed: int, step: int, feedback: dict | None, today) -> None:
    """The card on screen: the question, the answer box, then (once checked) right or wrong,
    why, a link to the page that shows it live, and when it comes back."""
    q = questions()[card_id]
    st.session_state.rv_current = {"id": card_id, "seed": seed}
    card = doc["cards"].get(card_id)
    with st.container(border=True):
        st.caption(t("rv.card_meta", concept=concept_label(q["concept"]), box=card["box"] if card else 1))
        st.subheader(t(f"rv.q.{card_id}.title"))
        if q["kind"] == "choice":
            st.markdown(t(f"rv.q.{card_id}.prompt"))
            labels = {o: t(f"rv.q.{card_id}.opt_{o}") for o in options(card_id, seed)}
            st.radio(t("rv.your_choice"), list(labels), index=None, key=f"rv_choice_{step}",
                     format_func=labels.get, disabled=feedback is not None)
        else:
            ex = exercise(card_id, seed)
            st.markdown(t(f"rv.q.{card_id}.prompt", **prompt_values(card_id, ex)))
            if (data := data_latex(card_id, ex)) is not None:
                st.latex(data)
            whole = ex["tolerance"] == 0
            st.number_input(t("rv.your_number"), value=None, step=1 if whole else 0.01,
                            format="%d" if whole else "%.4f", key=f"rv_number_{step}",
                            disabled=feedback is not None)
        if feedback is None:
            if st.session_state.pop("rv_missing", False):
                st.warning(t("rv.pick_first"), icon=":material/touch_app:")
            st.button(t("rv.check"), type="primary", key=f"rv_check_{step}", on_click=check,
                      args=(store, card_id, seed, step, today))
        else:
            if q["kind"] == "choice":
                answer = t(f"rv.q.{card_id}.opt_{q['correct']}")
                if feedback["correct"]:
                    st.success(t("rv.right"), icon=":material/check_circle:")
                else:
                    st.error(t("rv.wrong_choice", answer=answer), icon=":material/cancel:")
                st.markdown(t(f"rv.q.{card_id}.explain"))
            else:
                answer = answer_text(card_id, ex)
                if feedback["correct"]:
                    st.success(t("rv.right_number", answer=answer), icon=":material/check_circle:")
                else:
                    st.error(t("rv.wrong_number", given=f"{feedback['given']:g}", answer=answer),
                             icon=":material/cancel:")
                st.markdown(t(f"rv.q.{card_id}.how", **prompt_values(card_id, ex)))
                st.latex(how_latex(card_id, ex))
            label, icon = page_of(q["link"])
            st.page_link(q["link"], label=t("rv.see_live", page=label), icon=icon,
                         query_params={"lang": st.session_state.lang})
            st.caption(t("rv.comes_back_again") if not feedback["correct"] else
                       t("rv.comes_back", date=doc["cards"][card_id]["due"]))
            st.button(t("rv.next"), type="primary", key=f"rv_next_{step}", on_click=advance)
