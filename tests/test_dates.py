"""The date task: Korean dates character by character, English tokens, and what the model cannot read."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import dates

DAY = dt.date(2023, 3, 23)  # a Thursday (checked on a calendar)


def test_the_issue_s_example_both_ways():
    assert dates.korean(DAY) == "2023년 3월 23일 목요일"
    assert dates.english_tokens(DAY) == ["Thursday", ",", "March", "2", "3", ",", "2", "0", "2", "3"]
    assert dates.to_text(dates.english_tokens(DAY)) == "Thursday, March 23, 2023"
    assert dates.to_text(dates.english_tokens(DAY, weekday=False)) == "March 23, 2023"
    assert dates.korean(dt.date(1900, 1, 1)) == "1900년 1월 1일 월요일"  # 1 January 1900 was a Monday


@settings(max_examples=30, deadline=None)
@given(st.dates(dates.FIRST, dates.LAST), st.booleans())
def test_every_date_of_the_range_reads_back_as_itself(day, weekday):
    parsed = dates.parse(dates.korean(day, weekday))
    assert parsed["ok"] and parsed["date"] == day and parsed["weekday_matches"]
    assert parsed["weekday_given"] == weekday
    assert dates.to_text(dates.english_tokens(day, weekday)) == day.strftime(
        ("%A, " if weekday else "") + "%B ") + f"{day.day}, {day.year}"


@pytest.mark.parametrize(("text", "reason", "detail"), [
    ("", "empty", ""), (" \u3000\n", "empty", ""),
    ("2023.3.23.", "characters", "."), ("March 23, 2023", "characters", "M a r c h ,"),
    ("2023년 3월 23일; 2023년 3월 24일", "characters", ";"), ("<script>", "characters", "< s c r i p t >"),
    ("3월 23일", "format", ""), ("2023년 3월", "format", ""), ("2023년 03월 23일", "format", ""),
    ("2023년 3월 23일 목", "format", ""), ("23일 3월 2023년", "format", ""),
    ("1899년 12월 31일", "range", "1899"), ("2100년 1월 1일", "range", "2100"), ("0999년 1월 1일", "range", "0999"),
    ("2023년 2월 29일", "calendar", ""), ("2023년 13월 1일", "calendar", ""), ("2023년 4월 31일", "calendar", ""),
])
def test_what_the_model_cannot_read_says_why(text, reason, detail):
    assert dates.parse(text) == {"ok": False, "reason": reason, "detail": detail}


def test_spaces_do_not_matter_and_a_wrong_weekday_is_flagged_not_refused():
    assert dates.parse("2023년3월23일목요일")["text"] == "2023년 3월 23일 목요일"
    wrong = dates.parse("2023년 3월 23일 월요일")
    assert wrong["ok"] and not wrong["weekday_matches"] and wrong["text"].endswith("월요일")
    assert dates.parse("2024년 2월 29일")["ok"]  # a leap year


def test_the_held_out_days_are_a_tenth_and_never_drawn_for_training():
    train, test = dates.split()
    assert len(train) + len(test) == (dates.LAST - dates.FIRST).days + 1 == 73_049
    assert 0.09 < len(test) / 73_049 < 0.11
    assert not np.intersect1d(train, test).size
    drawn = dates.random_days(5_000, np.random.default_rng(0), train)
    assert not set(d.toordinal() for d in drawn) & set(test.tolist())


def test_sources_are_left_padded_characters_and_targets_end_with_eos():
    S = dates.encode_source(["2023년 3월 23일", "1999년 12월 31일 금요일"])
    assert S.shape == (2, 14) and (S[0, :4] == dates.PAD_ID).all() and (S[1] != dates.PAD_ID).all()
    assert [dates.SOURCE_VOCAB[i] for i in S[0, 4:]] == list("2023년3월23일")
    Y_in, Y_out = dates.encode_target([["March", "2", "3"], ["May", "1"]])
    assert Y_in.shape == Y_out.shape == (2, 4)
    assert [dates.TARGET_VOCAB[i] for i in Y_in[0]] == [dates.BOS, "March", "2", "3"]
    assert [dates.TARGET_VOCAB[i] for i in Y_out[1]] == ["May", "1", dates.EOS, dates.PAD]


def test_several_dates_in_a_row_are_joined_on_both_sides():
    sources, targets = dates.sample(8, np.random.default_rng(1), dates_per_example=3)
    for source, target in zip(sources, targets, strict=True):
        assert source.count(";") == 2 and target.count(";") == 2
        for part, tokens in zip(source.split(";"), " ".join(target).split(";"), strict=True):
            parsed = dates.parse(part)
            assert parsed["ok"] and dates.english_tokens(parsed["date"], parsed["weekday_given"]) == tokens.split()
    assert dates.sample(8, np.random.default_rng(1), dates_per_example=3) == (sources, targets)
