"""A review session's logic around FSRS cards: what is due, in which order, what mastery means.

The scheduling itself (stability, difficulty, the next due time) is FSRS, computed by the `fsrs`
package in ui/schedule.py; this module never schedules. It works on plain values, so it runs
and tests without that package:

    card = {"fsrs": {"card_id", "state", "step", "stability", "difficulty", "due", "last_review"},
            "right": int, "wrong": int}

`card["fsrs"]` is exactly `fsrs.Card.to_dict()` (state 1 learning, 2 review, 3 relearning; ISO
datetimes in UTC); `right` and `wrong` count the learner's answers. Cards travel to JSON and
SQLite as they are. The time is always passed in (`now`, a timezone-aware datetime in the
learner's time zone, so "today" is their day); nothing here reads the clock.

A round asks the cards due now: a card being learned (after a miss: due in minutes) when its
due time is within LEARN_AHEAD, a card in review (due in days) on its due day; the reviews
first, then up to NEW_PER_ROUND questions never asked, in the bank's order.

Progress saved by the Leitner version (a card was {"box", "due", "right", "wrong", "last"})
becomes an FSRS card with `from_leitner`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

LEARNING, REVIEW, RELEARNING = 1, 2, 3  # fsrs.State
RATINGS = ("again", "hard", "good", "easy")  # fsrs.Rating 1..4
LEARN_AHEAD = timedelta(minutes=20)  # Anki's default: a card due this soon comes back in this round
NEW_PER_ROUND = 20  # Anki's default of new cards a day

# The Leitner version: a card in box b came back INTERVALS[b - 1] days after its last answer.
LEITNER_INTERVALS = (0, 1, 3, 7, 14)
# FSRS-6's initial difficulty after a first "Good" with the default parameters, D0(3) = w4 - e^(2 w5) + 1
# (tests/test_review.py checks it against fsrs itself).
LEITNER_DIFFICULTY = 2.118103970459016


def _utc(day: str) -> str:
    return datetime.combine(date.fromisoformat(day), time(), UTC).isoformat()


def from_leitner(card: dict, card_id: int = 0) -> dict:
    """A Leitner card as an FSRS card, keeping its due date and its counts.

    Box 1 (never right, or missed last time) is a card still being learned: no memory state yet,
    due when it was. Box b >= 2 is a card in review whose stability is its Leitner interval:
    FSRS's stability S is, by definition, the number of days after which the chance of recalling
    drops to 90%, and the boxes brought a card back after 1, 3, 7 or 14 days. A due date becomes
    midnight UTC of that day.
    """
    learned = card["box"] >= 2
    fsrs = {"card_id": card_id, "state": REVIEW if learned else LEARNING, "step": None if learned else 0,
            "stability": float(LEITNER_INTERVALS[card["box"] - 1]) if learned else None,
            "difficulty": LEITNER_DIFFICULTY if learned else None,
            "due": _utc(card["due"]), "last_review": _utc(card["last"]) if card["last"] else None}
    return {"fsrs": fsrs, "right": card["right"], "wrong": card["wrong"]}


def due_at(card: dict) -> datetime:
    return datetime.fromisoformat(card["fsrs"]["due"])


def is_due(card: dict | None, now: datetime) -> bool:
    """A card never asked is due; a card in review on its due day (in the learner's time zone);
    a card being learned when its due time is at most LEARN_AHEAD away."""
    if card is None:
        return True
    due = due_at(card)
    if card["fsrs"]["state"] == REVIEW:
        return due.astimezone(now.tzinfo).date() <= now.date()
    return due <= now + LEARN_AHEAD


def due_queue(cards: dict[str, dict], ids: list[str], now: datetime, new_limit: int = NEW_PER_ROUND) -> list[str]:
    """The round: the cards of `ids` due now, earliest due first, then at most `new_limit` never
    asked, in the order of `ids`."""
    due = sorted((i for i in ids if i in cards and is_due(cards[i], now)), key=lambda i: due_at(cards[i]))
    return due + [i for i in ids if i not in cards][:new_limit]


def requeue(queue: list[str], card_id: str, card: dict, now: datetime) -> list[str]:
    """The round after answering its first card: the card goes to its end if FSRS wants it back
    within LEARN_AHEAD (a miss), and leaves the round otherwise."""
    rest = [i for i in queue if i != card_id]
    return [*rest, card_id] if due_at(card) <= now + LEARN_AHEAD else rest


def upcoming(cards: dict[str, dict], now: datetime, limit: int = 5) -> list[tuple[str, list[str]]]:
    """What comes back after this round: [(day, [card ids])] for the `limit` first days (ISO, in the
    learner's time zone) with cards not due now."""
    by_day: dict[str, list[str]] = {}
    for card_id, card in cards.items():
        if not is_due(card, now):
            by_day.setdefault(due_at(card).astimezone(now.tzinfo).date().isoformat(), []).append(card_id)
    return [(day, sorted(by_day[day])) for day in sorted(by_day)[:limit]]


def due_per_day(cards: dict[str, dict], now: datetime, days: int) -> list[int]:
    """How many of `cards` fall due on each of the next `days` days (in the learner's time zone),
    today first; today also counts what is overdue."""
    counts = [0] * days
    for card in cards.values():
        k = max((due_at(card).astimezone(now.tzinfo).date() - now.date()).days, 0)
        if k < days:
            counts[k] += 1
    return counts


def mastery(recall: dict[str, float], concept_of: dict[str, str]) -> dict[str, float]:
    """Per concept, the mean over its questions of `recall` (FSRS's retrievability: the
    predicted chance of recalling the answer now), a question not learned yet counting 0.

    `recall` holds the questions in review; cards not in `concept_of` (from an older question
    set) are ignored.
    """
    total = Counter(concept_of.values())
    got = Counter()
    for card_id, r in recall.items():
        if card_id in concept_of:
            got[concept_of[card_id]] += r
    return {concept: got[concept] / n for concept, n in total.items()}


def session_summary(log: list[tuple[str, bool, str]]) -> dict:
    """A session's answers [(card id, correct, rating)] as counts: answered, right, wrong, the
    ratings given, and the cards answered wrong at least once."""
    right = sum(1 for _, ok, _ in log if ok)
    ratings = Counter(rating for _, _, rating in log)
    return {"answered": len(log), "right": right, "wrong": len(log) - right,
            "ratings": {r: ratings[r] for r in RATINGS},
            "missed": sorted({card_id for card_id, ok, _ in log if not ok})}
