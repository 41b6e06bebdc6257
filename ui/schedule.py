"""FSRS scheduling through the `fsrs` package (py-fsrs 6, the implementation Anki's FSRS comes
from): a review, what each rating would do, retrievability, and the forecast. No Streamlit.

Cards are core/review.py's plain dicts; `card["fsrs"]` is `fsrs.Card.to_dict()`. Every time is
passed in and given to fsrs in UTC, as it requires.

Settings, and why:
* one learning step and one relearning step of 10 minutes (fsrs's default is 1 and 10 minutes
  for learning): a missed question comes back once in the same round, and a first right answer
  ("Good") already schedules it days ahead, so that mastery moves from the first right answer;
* no fuzzing: the interval shown on a rating button is the one the card gets.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from fsrs import Card, Rating, Scheduler, State

from core.review import RATINGS, REVIEW

STEPS = (timedelta(minutes=10),)
RETENTION_CHOICES = (0.8, 0.85, 0.9, 0.95)  # Anki's guidance: 0.8-0.95; 0.9 is fsrs's default
DEFAULT_RETENTION = 0.9


@lru_cache(maxsize=len(RETENTION_CHOICES))
def scheduler(retention: float) -> Scheduler:
    return Scheduler(desired_retention=retention, learning_steps=STEPS, relearning_steps=STEPS,
                     enable_fuzzing=False)


def _fsrs_card(card: dict | None, card_id: str, now: datetime) -> Card:
    if card is None:  # due and card_id given: Card() would read the clock for both
        return Card(card_id=zlib.crc32(card_id.encode()), due=now.astimezone(UTC))
    return Card.from_dict(card["fsrs"])


def review(card: dict | None, card_id: str, correct: bool, rating: str, now: datetime, retention: float) -> dict:
    """The card after an answer at `now` rated `rating` (one of RATINGS), its counts updated."""
    fsrs_card, _ = scheduler(retention).review_card(_fsrs_card(card, card_id, now), Rating[rating.capitalize()],
                                                    now.astimezone(UTC))
    right, wrong = (card["right"], card["wrong"]) if card else (0, 0)
    return {"fsrs": fsrs_card.to_dict(), "right": right + bool(correct), "wrong": wrong + (not correct)}


def preview(card: dict | None, card_id: str, now: datetime, retention: float) -> dict[str, timedelta]:
    """{rating: how long until the card is due again}, for each of the four ratings at `now`."""
    utc = now.astimezone(UTC)
    base = _fsrs_card(card, card_id, now)
    return {r: scheduler(retention).review_card(base, Rating[r.capitalize()], utc)[0].due - utc for r in RATINGS}


def retrievability(card: dict, now: datetime) -> float:
    """FSRS's predicted chance of recalling the card at `now`, for a card in review; 0 for a card
    still being learned (new, or missed and not yet right again)."""
    if card["fsrs"]["state"] != REVIEW:
        return 0.0
    return scheduler(DEFAULT_RETENTION).get_card_retrievability(Card.from_dict(card["fsrs"]),
                                                                now.astimezone(UTC))


def recall(cards: dict[str, dict], now: datetime) -> dict[str, float]:
    """{card id: retrievability at `now`} for the cards in review."""
    return {i: retrievability(c, now) for i, c in cards.items() if c["fsrs"]["state"] == REVIEW}


def forecast(cards: dict[str, dict], now: datetime, days: int) -> list[float]:
    """The mean retrievability of the cards in review on each of the next `days` days if none
    were reviewed again (today first): how memory fades without practice."""
    learned = [Card.from_dict(c["fsrs"]) for c in cards.values() if c["fsrs"]["state"] == REVIEW]
    if not learned:
        return []
    s, utc = scheduler(DEFAULT_RETENTION), now.astimezone(UTC)
    return [sum(s.get_card_retrievability(c, utc + timedelta(days=k)) for c in learned) / len(learned)
            for k in range(days)]


def state_name(card: dict | None) -> str:
    """"new", "learning", "review" or "relearning"."""
    return "new" if card is None else State(card["fsrs"]["state"]).name.lower()
