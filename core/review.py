"""Spaced repetition with Leitner boxes: which card to ask next, and when it comes back.

A card starts in box 1. A right answer moves it up one box, a wrong one sends it back to box 1.
A card in box b is due `INTERVALS[b - 1]` days after it was last answered:

    box        1  2  3  4   5
    interval   0  1  3  7  14   (days)

Box 1's interval is 0: a card answered wrong is due again the same day, so it comes back in the
same session (`requeue` puts it at the end of the session's queue). A card in the top boxes
(`MASTERED_FROM` and above) counts as mastered.

Pure logic on plain values: a card is a dict {"box", "due", "right", "wrong", "last"} with ISO
dates, so it goes to JSON and SQLite as it is. Today's date is always passed in; nothing here
reads the clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

INTERVALS = (0, 1, 3, 7, 14)  # days before a card in box 1..5 is due again
BOXES = len(INTERVALS)
MASTERED_FROM = 4  # boxes 4 and 5: the card has been right at least three times in a row


def new_card(today: date) -> dict:
    """A card never answered: box 1, due today."""
    return {"box": 1, "due": today.isoformat(), "right": 0, "wrong": 0, "last": None}


def answer(card: dict | None, correct: bool, today: date) -> dict:
    """The card after an answer given `today`: up one box (at most BOXES) if right, box 1 if wrong,
    due INTERVALS[box - 1] days later."""
    card = dict(card) if card else new_card(today)
    box = min(card["box"] + 1, BOXES) if correct else 1
    card.update(
        box=box,
        due=(today + timedelta(days=INTERVALS[box - 1])).isoformat(),
        right=card["right"] + bool(correct),
        wrong=card["wrong"] + (not correct),
        last=today.isoformat(),
    )
    return card


def is_due(card: dict | None, today: date) -> bool:
    """A card is due on or after its due date; a card never seen is due at once."""
    return card is None or date.fromisoformat(card["due"]) <= today


def due_queue(cards: dict[str, dict], ids: list[str], today: date) -> list[str]:
    """The cards of `ids` due today, in the order a session asks them: overdue first (the
    earliest due date), then lower boxes first, then never-seen cards, in the order of `ids`."""
    order = {card_id: i for i, card_id in enumerate(ids)}

    def rank(card_id):
        card = cards.get(card_id)
        if card is None:
            return (1, "", 0, order[card_id])
        return (0, card["due"], card["box"], order[card_id])

    return sorted((i for i in ids if is_due(cards.get(i), today)), key=rank)


def requeue(queue: list[str], card_id: str, correct: bool) -> list[str]:
    """The session's queue after answering its first card: the card leaves the queue if right,
    and goes to its end if wrong (box 1 is due again today: it comes back in this session)."""
    rest = [i for i in queue if i != card_id]
    return rest if correct else [*rest, card_id]


def upcoming(cards: dict[str, dict], today: date, limit: int = 5) -> list[tuple[str, list[str]]]:
    """What comes back next: [(due date, [card ids])] for the `limit` first due dates after today."""
    by_date = defaultdict(list)
    for card_id, card in cards.items():
        if date.fromisoformat(card["due"]) > today:
            by_date[card["due"]].append(card_id)
    return [(day, sorted(by_date[day])) for day in sorted(by_date)[:limit]]


def mastery(cards: dict[str, dict], concept_of: dict[str, str]) -> dict[str, float]:
    """Per concept, the share of its cards in the top boxes (box >= MASTERED_FROM), in [0, 1].

    Every card of `concept_of` counts, seen or not (a card never answered is not mastered);
    cards not in `concept_of` (from an older question set) are ignored.
    """
    total = Counter(concept_of.values())
    top = Counter(concept_of[i] for i, card in cards.items()
                  if i in concept_of and card["box"] >= MASTERED_FROM)
    return {concept: top[concept] / n for concept, n in total.items()}


def session_summary(log: list[tuple[str, bool]]) -> dict:
    """A session's answers [(card id, correct)] as counts: answered, right, wrong, and the cards
    answered wrong at least once."""
    right = sum(1 for _, ok in log if ok)
    return {"answered": len(log), "right": right, "wrong": len(log) - right,
            "missed": sorted({card_id for card_id, ok in log if not ok})}
