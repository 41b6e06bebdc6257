"""The review page's parts: the question bank, a card on screen for every kind, the answers'
callbacks, and the progress it shows.

Question definitions (ids, concept, kind, correct option, link) live in data/questions.toml,
their texts in the catalogs under `rv.q.<id>`; which card is due in core/review.py, FSRS in
ui/schedule.py, numbers and live charts in core/exercises.py, storage in ui/storage.py.
"""

from __future__ import annotations

import random
import tomllib
from datetime import datetime, timedelta
from functools import cache
from itertools import chain, zip_longest
from pathlib import Path

import numpy as np
import streamlit as st

from core import review
from core.exercises import is_right, make_exercise, most_weight_exercise, parse_number, vanishing_exercise
from core.progress import MAX_IMPORT_BYTES, BadImportError, export_json, read_import
from ui import charts, schedule, storage
from ui.layout import NAV, lang, t
from ui.widgets import examples

QUESTIONS_FILE = Path(__file__).resolve().parents[1] / "data" / "questions.toml"
CONCEPTS = ("rnn", "lstm", "gru", "attention", "self_attention")
OTHER_COLUMN = {"attention": "self", "self": "attention"}
CMP_ROWS = ("qkv", "time_steps", "long_term", "query", "path", "cost", "parallel", "masks")  # the comparison page's
SUGGESTED = {True: "good", False: "again"}  # the rating a right or wrong answer is saved with


@cache
def questions() -> dict[str, dict]:
    """{id: definition}, in the file's order (grouped by concept)."""
    with open(QUESTIONS_FILE, "rb") as f:
        return {q["id"]: q for q in tomllib.load(f)["question"]}


@cache
def new_order() -> tuple[str, ...]:
    """The order new questions are asked in: one concept after another, round robin, so a first
    round of NEW_PER_ROUND covers the whole week."""
    by_concept = [[i for i, q in questions().items() if q["concept"] == c] for c in CONCEPTS]
    return tuple(i for i in chain.from_iterable(zip_longest(*by_concept)) if i is not None)


def in_bank(doc: dict) -> dict:
    """The progress document with only the cards of questions in the bank: a card of a question
    since removed stays stored (nothing saved is lost) but is neither asked nor counted."""
    return {**doc, "cards": {i: c for i, c in doc["cards"].items() if i in questions()}}


def concept_of() -> dict[str, str]:
    return {i: q["concept"] for i, q in questions().items()}


def concept_label(concept: str) -> str:
    return t(f"home.notes_{concept}_title")


def page_of(script: str) -> tuple[str, str]:
    """(label, icon) of a page in the menu."""
    return next((t(f"nav.{key}"), icon) for _, links in NAV for s, key, icon in links if s == script)


def option_text(card_id: str, option: str) -> str:
    """The text of one option of a choice, table or order question."""
    q = questions()[card_id]
    if q["kind"] == "table" and option in ("cell", "swap"):
        column = q["column"] if option == "cell" else OTHER_COLUMN[q["column"]]
        return t(f"cmp.row_{q['row']}_{column}")
    if q["kind"] == "order":
        return t(f"rv.q.{card_id}.step_{option}")
    return t(f"rv.q.{card_id}.opt_{option}")


def options(card_id: str, seed: int) -> list[str]:
    """A question's options (or steps) in the order shown: shuffled by the seed, so the right one
    is not always in the same place."""
    q = questions()[card_id]
    shown = list(q["steps"] if q["kind"] == "order" else q["options"])
    random.Random(seed).shuffle(shown)
    return shown


# --- numbers and live charts -----------------------------------------------------------------

def exercise(card_id: str, seed: int) -> dict:
    return make_exercise(questions()[card_id]["exercise"], seed)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def live_chart(kind: str, seed: int, language: str) -> dict:
    """A live-chart exercise on the pages' own example sentences in the learner's language."""
    if kind == "most_weight":
        return most_weight_exercise(seed, examples()[language])
    return vanishing_exercise(seed, examples()["long"][language])


def chart_of(card_id: str, seed: int) -> dict:
    return live_chart(questions()[card_id]["chart"], seed, lang())


RANDOM_MARK = "*"  # a token GloVe lacks, with a random vector


def key_label(ex: dict, k: int) -> str:
    """A token of a live chart as the learner reads it: its position, and * for a random vector."""
    return f"{k + 1} · {charts.short(ex['tokens'][k])}" + (RANDOM_MARK if ex["random"][k] else "")


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
    if kind in ("gru_params", "lstm_params"):
        return {"x": ex["input"], "h": ex["hidden"]}
    return {k: _num(v) for k, v in ex.items() if isinstance(v, float)}


def data_latex(card_id: str, ex: dict) -> str | None:
    """The numbers of a numeric question as a formula, or None when the prompt says it all."""
    if questions()[card_id]["exercise"] != "attention_weight":
        return None
    return rf"Q = {_matrix(ex['Q'])},\qquad K = {_matrix(ex['K'])},\qquad d_k = {ex['d_k']}"


def how_latex(card_id: str, ex: dict) -> str:
    """How the answer is computed, with the question's own numbers."""
    kind = questions()[card_id]["exercise"]
    a = f"{ex['answer']:.4f}"
    if kind == "softmax":
        k = ex["index"]
        terms = " + ".join(f"e^{{{_num(s)}}}" for s in ex["scores"])
        values = " + ".join(f"{e:.3f}" for e in ex["exps"])
        return (rf"a_{k + 1} = \frac{{e^{{{_num(ex['scores'][k])}}}}}{{{terms}}}"
                rf" = \frac{{{ex['exps'][k]:.3f}}}{{{values}}} = {a}")
    if kind == "attention_weight":
        i, j = ex["i"] + 1, ex["j"] + 1
        return (rf"q_{i} K^\top = {_vector(ex['scores'], 0)},\quad"
                rf" \frac{{q_{i} K^\top}}{{\sqrt{{{ex['d_k']}}}}} = {_vector(ex['scaled'])},\quad"
                rf" \mathrm{{softmax}} = {_vector(ex['weights'])},\quad a_{{{i}{j}}} = {a}")
    if kind == "forget_gate":
        return (rf"w_x x + w_h h + b = {_num(ex['w_x'])} \cdot ({_num(ex['x'])}) + {_num(ex['w_h'])} \cdot"
                rf" ({_num(ex['h'])}) + ({_num(ex['b'])}) = {_num(ex['a'])},\quad"
                rf" f = \frac{{1}}{{1 + e^{{-({_num(ex['a'])})}}}} = {a}")
    if kind == "lstm_cell":
        return (rf"c_t = {_num(ex['f'])} \cdot ({_num(ex['c_prev'])}) + {_num(ex['i'])} \cdot ({_num(ex['c_tilde'])})"
                rf" = {ex['kept']:.4f} + ({ex['written']:.4f}) = {a}")
    if kind == "gru_state":
        return (rf"h_t = (1 - {_num(ex['z'])}) \cdot ({_num(ex['n'])}) + {_num(ex['z'])} \cdot ({_num(ex['h_prev'])})"
                rf" = {a}")
    x, h, blocks = ex["input"], ex["hidden"], 3 if kind == "gru_params" else 4
    return (rf"{blocks} \cdot {h} \cdot ({x} + {h}) + 2 \cdot {blocks} \cdot {h} = {ex['weights']:,} + {ex['biases']:,}"
            rf" = {ex['answer']:,}").replace(",", "{,}")


def answer_text(ex: dict) -> str:
    return f"{ex['answer']:,}" if ex["tolerance"] == 0 else f"{ex['answer']:.4f}"


def right_option(card_id: str, seed: int):
    """The right answer of a question drawn from `seed`: an option, the steps' order, or a number."""
    q = questions()[card_id]
    if q["kind"] in ("choice", "table"):
        return q["correct"]
    if q["kind"] == "order":
        return list(q["steps"])
    if q["kind"] == "chart":
        return chart_of(card_id, seed)["answer"]
    return exercise(card_id, seed)["answer"]


# --- what answering does: callbacks, run before the page redraws -----------------------------

def check(store, card_id: str, seed: int, step: int, now: datetime, retention: float) -> None:
    """Grade the answer in the current card's widget and save the card, reviewed by FSRS with the
    rating the answer suggests (Good if right, Again if wrong); the learner may change it next."""
    kind = questions()[card_id]["kind"]
    given = st.session_state.get(f"rv_answer_{step}")
    if kind == "numeric":
        text = given or ""
        given = parse_number(text)
        if given is None:
            st.session_state.rv_missing = "not_a_number" if text.strip() else "pick_first"
            return
        correct = is_right(exercise(card_id, seed), given)
    elif kind == "order":
        if not given or len(given) < len(questions()[card_id]["steps"]):
            st.session_state.rv_missing = "order_incomplete"
            return
        correct = list(given) == right_option(card_id, seed)
    else:
        if given is None:
            st.session_state.rv_missing = "pick_first"
            return
        correct = given == right_option(card_id, seed)
    rating, seen = SUGGESTED[correct], []

    def answered(card):  # read, change and write in one transaction: two tabs lose no answer
        seen.append(card)
        return schedule.review(card, card_id, correct, rating, now, retention)

    store.update_card(card_id, answered)
    st.session_state.rv_log.append((card_id, correct, rating))
    st.session_state.rv_feedback = {"id": card_id, "correct": correct, "given": given, "before": seen[-1],
                                    "rating": rating}


def rate(store, rating: str, now: datetime, retention: float) -> None:
    """The learner's rating: reschedule from the card as it was before this answer if it differs
    from the one it was saved with, then on to the next card."""
    feedback = st.session_state.rv_feedback
    card_id = feedback["id"]
    if rating != feedback["rating"]:  # this answer's review again, from the card as it was before it
        card = store.update_card(card_id, lambda _: schedule.review(feedback["before"], card_id, feedback["correct"],
                                                                     rating, now, retention))
    else:
        card = store.load()["cards"][card_id]
    st.session_state.rv_log[-1] = (card_id, feedback["correct"], rating)
    st.session_state.rv_queue = review.requeue(st.session_state.rv_queue, card_id, card, now)
    st.session_state.rv_feedback = None
    st.session_state.rv_step += 1


def practise_all() -> None:
    st.session_state.rv_queue = list(new_order())


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


# --- progress: shared with the home page -----------------------------------------------------

def mastery(doc: dict, now: datetime) -> dict[str, float]:
    return review.mastery(schedule.recall(doc["cards"], now), concept_of())


def mastery_bars(doc: dict, now: datetime) -> None:
    """One bar per concept: the mean FSRS retrievability of its questions (unlearned count 0)."""
    shares = mastery(doc, now)
    for concept in CONCEPTS:
        st.progress(shares[concept], text=t("rv.mastery_bar", concept=concept_label(concept),
                                             share=shares[concept]))


def due_today(doc: dict, now: datetime) -> tuple[int, int]:
    """(reviews due now, new questions the next round asks)."""
    queue = review.due_queue(doc["cards"], list(new_order()), now)
    new = sum(1 for i in queue if i not in doc["cards"])
    return len(queue) - new, new


def interval_text(delta: timedelta) -> str:
    """A wait as a learner reads it: minutes under an hour, hours under a day, then days."""
    minutes = max(round(delta.total_seconds() / 60), 1)
    if minutes < 60:
        return t("rv.in_minutes", n=minutes)
    if minutes < 24 * 60:
        return t("rv.in_hours", n=round(minutes / 60))
    return t("rv.in_days", n=round(minutes / (24 * 60)))


def when_text(card: dict | None, now: datetime) -> str:
    """When a card is due, in the learner's time zone: now, a time today, or a date."""
    if card is None or review.is_due(card, now):
        return t("rv.now")
    due = review.due_at(card).astimezone(now.tzinfo)
    return due.strftime("%H:%M") if due.date() == now.date() else due.date().isoformat()


def cards_table(doc: dict, now: datetime):
    """Every question with its FSRS state, next due, interval, stability, recall and counts, as an
    Arrow table for st.dataframe (plain text; 5x cheaper to send than a DataFrame of 61 rows)."""
    cols = {k: [] for k in ("question", "concept", "state", "due", "interval", "stability", "recall", "right", "wrong")}
    for card_id, q in questions().items():
        card = doc["cards"].get(card_id)
        f = card["fsrs"] if card else None
        last = datetime.fromisoformat(f["last_review"]) if f and f["last_review"] else None
        cols["question"].append(t(f"rv.q.{card_id}.title"))
        cols["concept"].append(concept_label(q["concept"]))
        cols["state"].append(t(f"rv.state_{schedule.state_name(card)}"))
        cols["due"].append(when_text(card, now))
        cols["interval"].append(interval_text(review.due_at(card) - last) if last else "")
        cols["stability"].append(round(f["stability"], 1) if f and f["stability"] else np.nan)
        cols["recall"].append(round(100 * schedule.retrievability(card, now)) if card else 0)
        cols["right"].append(card["right"] if card else 0)
        cols["wrong"].append(card["wrong"] if card else 0)
    return charts.table(**{t(f"rv.col_{k}"): v for k, v in cols.items()})


FORECAST_DAYS = 30
DUE_DAYS = 14


def progress_charts(doc: dict, now: datetime, retention: float) -> None:
    """Reviews due on each of the next days, and how recall fades without reviewing."""
    st.subheader(t("rv.due_chart_title"))
    counts = review.due_per_day(doc["cards"], now, DUE_DAYS)
    days = [t("rv.today")] + [(now.date() + timedelta(days=k)).strftime("%m-%d") for k in range(1, DUE_DAYS)]
    charts.bar_chart(days, counts, x_title=t("rv.col_date"), y_title=t("rv.col_count"))
    new = due_today(doc, now)[1]
    st.caption(t("rv.due_chart_caption") + (" " + t("rv.due_chart_new", new=new) if new else ""))
    st.subheader(t("rv.retention_title"))
    fading = schedule.forecast(doc["cards"], now, FORECAST_DAYS)
    if not fading:
        st.caption(t("rv.retention_empty"))
        return
    frame = charts.curves(t("rv.days_ahead"), np.arange(FORECAST_DAYS), t("rv.recall"),
                          {t("rv.retention_series"): np.asarray(fading)})
    charts.line_chart(frame, x=t("rv.days_ahead"), y=t("rv.recall"), series="series", x_title=t("rv.days_ahead"),
                      y_title=t("rv.recall"), y_rule_at=retention, points=False, percent=True)
    st.caption(t("rv.retention_caption", n=len([c for c in doc["cards"].values()
                                                if c["fsrs"]["state"] == review.REVIEW]),
                 retention=retention))


def overall(shares: dict[str, float]) -> float:
    """The mean over every question of the per-concept mastery: the whole week's."""
    n = {c: sum(1 for q in questions().values() if q["concept"] == c) for c in shares}
    return sum(shares[c] * n[c] for c in shares) / sum(n.values())


def session_report(summary: dict, start: dict[str, float], end: dict[str, float]) -> None:
    """The round's summary: answers, the ratings given, and mastery before and after."""
    st.markdown(t("rv.summary_answers", answered=summary["answered"], right=summary["right"],
                  share=summary["right"] / summary["answered"]))
    st.markdown(t("rv.summary_ratings", **{r: summary["ratings"][r] for r in review.RATINGS}))
    st.markdown(t("rv.summary_mastery", before=overall(start), after=overall(end)))


def progress_tab(doc: dict, now: datetime, retention: float) -> None:
    """Mastery, what is due, how recall fades, the retention setting, and every card's schedule."""
    st.subheader(t("rv.mastery_title"))
    st.caption(t("rv.mastery_explain"))
    mastery_bars(doc, now)
    progress_charts(doc, now, retention)
    # Its own key, not the remembered one: this tab runs only when open, and Streamlit resets a
    # widget's state on the run after one that did not draw it. `value` redraws it as it was.
    st.select_slider(t("rv.retention_setting"), schedule.RETENTION_CHOICES, value=retention,
                     key="rv_retention_pick", on_change=_set_retention, format_func=lambda r: f"{r:.0%}",
                     help=t("rv.retention_help"))
    st.subheader(t("rv.cards_title"))
    st.caption(t("rv.cards_explain"))
    st.dataframe(cards_table(doc, now), hide_index=True, width="stretch")


def _set_retention() -> None:
    st.session_state.rv_retention = st.session_state.rv_retention_pick  # remember() keeps it and puts it in the URL


def backup_tab(store, mode: str, today) -> None:
    """Where progress is kept, export, and import with a check before anything is replaced."""
    if mode == "local":
        st.info(t("rv.mode_local"), icon=":material/save:")
        st.code(str(storage.db_path()), language=None)
    elif mode == "database":
        st.info(t("rv.mode_database"), icon=":material/cloud_done:")
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
            incoming, dropped = read_import(upload.read(MAX_IMPORT_BYTES + 1), questions(), CONCEPTS)
        except BadImportError as e:
            st.error(t(f"rv.import_{e.code}", field=e.detail), icon=":material/block:")
        else:
            st.success(t("rv.import_ready", cards=len(incoming["cards"]), notes=len(incoming["notes"]),
                         retro=len(incoming["retro"])), icon=":material/fact_check:")
            if dropped:
                st.info(t("rv.import_dropped", count=len(dropped)), icon=":material/filter_alt:")
                st.text(", ".join(dropped))
            st.button(t("rv.import_confirm"), on_click=replace_all, args=(store, incoming))


def new_seed() -> int:
    return int(np.random.default_rng().integers(2**31))
