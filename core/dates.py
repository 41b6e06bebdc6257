"""The date task: Korean dates, character by character, to English date tokens.

    2023년 3월 23일 목요일   ->   Thursday , March 2 3 , 2 0 2 3

Korean writes year, month, day, weekday; English weekday, month, day, year. A decoder that
writes the English in order must look at the end of the Korean first (the weekday), then the
middle (month, day), then the start (the year): the alignment crosses, as a translation's does.

The tokens, and why:
    source  one token per character, spaces dropped: digits 0-9, 년 월 일, and the weekday
            characters 월 화 수 목 금 토 일 with 요 (the 일 of 23일 and of 일요일 are one token,
            the model tells them apart by position, as a reader does).
    target  a word where English has a word for what Korean writes in digits or characters
            (the weekday, the month's name: "March" looks at the month's digits), and one
            token per digit where both languages write digits (the day and the year), so that
            every output digit has exactly one source digit to read. The commas are tokens.
            Word tokens for numbers ("23", "2023") would leave one output token to read two to
            four characters at once, a blurrier alignment; and 2,000 year tokens to learn.

Source ids are left-padded (PAD first), so every sequence's last encoder state is its last
character: the fixed-context baseline reads that state. Targets end with EOS and are
right-padded; padding is masked out of the attention and the loss.

Dates from 1900-01-01 to 2099-12-31 (two centuries, 73,049 days), with and without the
weekday. `split` sets aside a held-out tenth of the days, never drawn for training.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

__all__ = [
    "EOS", "FIRST", "LAST", "PAD", "SOURCE_VOCAB", "TARGET_VOCAB", "english_tokens", "encode_source",
    "encode_target", "korean", "parse", "random_days", "sample", "split", "to_text",
]

FIRST, LAST = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
WEEKDAYS_KO = "월화수목금토일"  # Monday first, as date.weekday()
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
PAD, BOS, EOS, SEP = "<pad>", "<bos>", "<eos>", ";"
SOURCE_VOCAB = (PAD, *"0123456789", "년", "월", "일", "요", "화", "수", "목", "금", "토", SEP)
TARGET_VOCAB = (PAD, BOS, EOS, *"0123456789", ",", SEP, *WEEKDAYS_EN, *MONTHS_EN)
SOURCE_ID = {c: i for i, c in enumerate(SOURCE_VOCAB)}
TARGET_ID = {w: i for i, w in enumerate(TARGET_VOCAB)}
PAD_ID, BOS_ID, EOS_ID = 0, TARGET_ID[BOS], TARGET_ID[EOS]
HELD_OUT_SEED = 20230323
_DATE = re.compile(r"(\d{1,4})년(\d{1,2})월(\d{1,2})일(?:([월화수목금토일])요일)?")


def korean(day: dt.date, weekday: bool = True) -> str:
    """The Korean date as people write it: "2023년 3월 23일 목요일" (no leading zeros)."""
    text = f"{day.year}년 {day.month}월 {day.day}일"
    return f"{text} {WEEKDAYS_KO[day.weekday()]}요일" if weekday else text


def english_tokens(day: dt.date, weekday: bool = True) -> list[str]:
    """The English target's tokens: ["Thursday", ",", "March", "2", "3", ",", "2", "0", "2", "3"]."""
    tokens = [WEEKDAYS_EN[day.weekday()], ","] if weekday else []
    return tokens + [MONTHS_EN[day.month - 1], *str(day.day), ",", *str(day.year)]


def to_text(tokens: list[str]) -> str:
    """Tokens as an English reader writes them: "Thursday, March 23, 2023" (digits joined, ", " after commas)."""
    out = ""
    for prev, tok in zip([None, *tokens[:-1]], tokens, strict=True):
        if tok in (PAD, BOS, EOS):
            continue
        glue = prev is not None and (tok.isdigit() and prev.isdigit() or tok in (",", SEP))
        out += tok if glue or not out else " " + tok
    return out


def random_days(n: int, rng: np.random.Generator, days: np.ndarray | None = None) -> list[dt.date]:
    """n dates drawn uniformly from `days` (ordinals, default every day from FIRST to LAST)."""
    if days is None:
        ordinals = rng.integers(FIRST.toordinal(), LAST.toordinal() + 1, size=n)
    else:
        ordinals = days[rng.integers(0, len(days), size=n)]
    return [dt.date.fromordinal(int(o)) for o in ordinals]


def split(held_out: float = 0.1, seed: int = HELD_OUT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """The days for training and the days held out, as ordinals: a fixed random tenth is held out."""
    ordinals = np.arange(FIRST.toordinal(), LAST.toordinal() + 1)
    test = np.random.default_rng(seed).random(len(ordinals)) < held_out
    return ordinals[~test], ordinals[test]


def encode_source(texts: list[str]) -> np.ndarray:
    """Korean texts as left-padded character ids, spaces dropped: (batch, n) int64, PAD = 0 first.

    Every character must be in SOURCE_VOCAB (parse checks a learner's text first).
    """
    chars = [[c for c in text if not c.isspace()] for text in texts]
    n = max(len(c) for c in chars)
    ids = np.zeros((len(texts), n), dtype=np.int64)
    for b, c in enumerate(chars):
        ids[b, n - len(c):] = [SOURCE_ID[ch] for ch in c]
    return ids


def encode_target(token_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Targets as decoder input and output ids, (batch, m) each, m = longest + 1 (right-padded with PAD):

        Y_in  = BOS y_1 … y_k          what the decoder is fed (teacher forcing)
        Y_out = y_1 … y_k EOS          what it must predict; PAD (0) where nothing is to be predicted
    """
    m = max(len(t) for t in token_lists) + 1
    Y_in = np.zeros((len(token_lists), m), dtype=np.int64)
    Y_out = np.zeros((len(token_lists), m), dtype=np.int64)
    for b, tokens in enumerate(token_lists):
        ids = [TARGET_ID[w] for w in tokens]
        Y_in[b, :len(ids) + 1] = [BOS_ID, *ids]
        Y_out[b, :len(ids) + 1] = [*ids, EOS_ID]
    return Y_in, Y_out


def sample(batch: int, rng: np.random.Generator, days: np.ndarray | None = None, dates_per_example=1,
           weekday_share: float = 0.5) -> tuple[list[str], list[list[str]]]:
    """A batch of (Korean text, English tokens): `dates_per_example` dates in a row (an int, or a
    tuple to draw from per example), separated by ";" on both sides; each date keeps its weekday
    with probability weekday_share.
    """
    choices = dates_per_example if isinstance(dates_per_example, tuple) else (dates_per_example,)
    counts = rng.choice(choices, size=batch)
    sources, targets = [], []
    for k in counts:
        days_k = random_days(int(k), rng, days)
        with_weekday = rng.random(int(k)) < weekday_share
        sources.append(f" {SEP} ".join(korean(d, w) for d, w in zip(days_k, with_weekday, strict=True)))
        tokens = []
        for j, (d, w) in enumerate(zip(days_k, with_weekday, strict=True)):
            tokens += ([SEP] if j else []) + english_tokens(d, w)
        targets.append(tokens)
    return sources, targets


def parse(text: str) -> dict:
    """Read a learner's Korean date, or say why it cannot be read.

    Accepted: "2023년 3월 23일 목요일" and "2023년 3월 23일" (spaces anywhere, or none), a real
    calendar date from FIRST to LAST. Returns one of
        {"ok": True, "date": date, "text": the normalised Korean, "weekday_given": bool,
         "weekday_matches": bool (True when no weekday was given)}
        {"ok": False, "reason": "empty" | "characters" | "format" | "range" | "calendar", "detail": str}
    where detail holds the characters the model has no token for, or the year out of range.
    """
    compact = "".join(text.split())
    if not compact:
        return {"ok": False, "reason": "empty", "detail": ""}
    unknown = [c for c in dict.fromkeys(compact) if c not in SOURCE_ID or c == SEP]  # in order, once each
    if unknown:
        return {"ok": False, "reason": "characters", "detail": " ".join(unknown)}
    found = _DATE.fullmatch(compact)
    if not found:
        return {"ok": False, "reason": "format", "detail": ""}
    year, month, day_of_month = (int(g) for g in found.groups()[:3])
    if not FIRST.year <= year <= LAST.year or found.group(1).startswith("0"):
        return {"ok": False, "reason": "range", "detail": found.group(1)}
    try:
        day = dt.date(year, month, day_of_month)
    except ValueError:
        return {"ok": False, "reason": "calendar", "detail": ""}
    if found.group(2).startswith("0") or found.group(3).startswith("0"):
        return {"ok": False, "reason": "format", "detail": ""}  # the model never saw 03월
    given = found.group(4)
    return {"ok": True, "date": day, "text": korean(day, False) + (f" {given}요일" if given else ""),
            "weekday_given": given is not None,
            "weekday_matches": given is None or given == WEEKDAYS_KO[day.weekday()]}
