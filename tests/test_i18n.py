"""The text catalog: both languages complete, placeholders aligned, no text in page code."""

import ast
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import read_number
from ui.i18n import LANGS, MINUS, catalog, language_from_locale, number

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py"))]


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_key_exists_in_both_languages():
    en, ko = set(catalog("en")), set(catalog("ko"))
    assert not en - ko, f"keys only in English: {sorted(en - ko)}"
    assert not ko - en, f"keys only in Korean: {sorted(ko - en)}"


def test_placeholders_match_between_languages():
    en, ko = catalog("en"), catalog("ko")
    mismatched = {k: (placeholders(en[k]), placeholders(ko[k])) for k in en
                  if placeholders(en[k]) != placeholders(ko[k])}
    assert not mismatched


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_is_empty(lang):
    empty = [k for k, v in catalog(lang).items() if not str(v).strip()]
    assert not empty


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_shows_raw_latex_outside_math(lang):
    """Subscripts and superscripts in prose are written h_(t−1) or ρ^n: `_{`, `^{` or a LaTeX command outside
    $…$ (or a code span) would reach the learner as raw markup. A {placeholder} is filled in before it shows."""
    raw = {}
    for key, template in catalog(lang).items():
        shown = re.sub(r"\{\w+(:[^{}]*)?\}", "", template)  # a placeholder such as {k} or {p:.0%}, left out
        prose = re.sub(r"\$[^$]*\$|`[^`]*`", "", shown)
        if re.search(r"[_^]\{|\\(frac|sqrt|mathrm|top|cdot|tilde|prod|sum)\b", prose):
            raw[key] = prose
    assert not raw


def test_a_korean_particle_after_a_bracket_or_percent_sign_is_bound_to_it():
    """"100%입니다" and "(표준편차 {noise})를" never break between the sign and the particle: a WORD JOINER."""
    from ui.i18n import WORD_JOINER

    ko = catalog("ko")
    loose = {key: value for key, value in ko.items() if re.search(r"(%\}?|[)\]])[가-힣]", value)}
    assert not loose
    assert sum(value.count(WORD_JOINER) for value in ko.values()) > 100  # there are many: each one bound
    assert not any(WORD_JOINER in value for value in catalog("en").values())
    in_math = [key for key, value in ko.items()
               if any(WORD_JOINER in span for span in re.findall(r"\$[^$]*\$|`[^`]*`", value))]
    assert not in_math  # KaTeX and code spans would show or choke on it: none lands there


@pytest.mark.parametrize("lang", LANGS)
def test_a_line_never_breaks_beside_a_sign_of_a_formula(lang):
    """"f ≈ 1, i ≈ 0" and "h_t = (1 − z) ⊙ n" keep their signs with their terms: the spaces around a sign
    are no-break spaces in every text, outside math and code spans (left as written)."""
    from ui.i18n import NO_BREAK_SPACE

    texts = catalog(lang)
    prose = {key: re.sub(r"\$[^$]*\$|`[^`]*`", "", value) for key, value in texts.items()}
    loose = {key: value for key, value in prose.items()
             if re.search(r" [=≈−⊙×≤≥+→] | [=≈−⊙×≤≥+→]\u00a0|\u00a0[=≈−⊙×≤≥+→] ", value)}
    assert not loose
    assert texts["gru.cell_explain"].count(f"{NO_BREAK_SPACE}⊙{NO_BREAK_SPACE}") == 2  # h_t = (1 − z) ⊙ n + z ⊙ h
    in_spans = [key for key, value in texts.items()
                if any(NO_BREAK_SPACE in span for span in re.findall(r"\$[^$]*\$|`[^`]*`", value))]
    assert not in_spans


def test_korean_texts_are_written_in_korean():
    # A key copied over untranslated would read the same in both catalogs.
    en, ko = catalog("en"), catalog("ko")
    hangul = [k for k, v in ko.items() if any("\uac00" <= ch <= "\ud7a3" for ch in v)]
    # Technical terms Korean learners read in English, and formulas, may stay the same.
    same_on_purpose = {
        "nav.section_attention", "home.notes_rnn_title", "home.notes_lstm_title", "home.notes_gru_title",
        "home.notes_attention_title", "home.notes_self_attention_title", "sa.seed", "sa.causal",
        "sa.temperature", "sa.score", "sa.why_scaled", "sa.head", "sa.step5.title",
        "s2s.score_dot", "s2s.score_general", "s2s.score_additive", "cmp.col_attention",
        "rnn.axis_unit", "lstm.series_rnn", "gru.series_gru", "rv.mastery_bar",
        "lab.axis_time", "lab.hidden", "s2s.hidden", "s2s.seed",
        "lab.finding_item", "lab.col_cell", "lab.col_lag", "lab.loss_lag",
        "tf.value_concat", "tf.value_residual", "tf.value_ffn",  # formulas
        *(f"lstm.row_{k}" for k in "figoCH"), *(f"gru.row_{k}" for k in "rzn"),
    }
    same = [k for k in en if en[k] == ko[k] and k not in same_on_purpose]
    assert not same, f"untranslated: {same}"
    assert len(hangul) > 0.7 * len(ko)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("ko-KR", "ko"), ("ko", "ko"), ("en-US", "en"), ("fr-FR", "en"), (None, "en"), ("", "en"), ("KO_kr", "ko")],
)
def test_browser_locale_picks_the_language(locale, expected):
    assert language_from_locale(locale) == expected


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_hold_no_display_text(path):
    # Display text lives in the catalogs: a page may pass short technical labels
    # (d_k, Q, z) but no sentences of its own to Streamlit.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    prose = []
    for call in calls:
        for arg in call.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                words = arg.value.split()
                is_formula = "\\" in arg.value  # LaTeX is notation, the same in every language
                if len(words) >= 3 and not is_formula and not arg.value.startswith(("pages/", ":material")):
                    prose.append(arg.value)
    assert not prose, f"{path.name} has display text outside the catalog: {prose}"



@pytest.mark.parametrize(("x", "digits", "written"), [
    (8.94e-5, 3, "8.94 × 10⁻⁵"),
    (6e-5, 3, "6.00 × 10⁻⁵"),  # its zeros kept, beside 8.94 × 10⁻⁵ (Python's .3g writes 6e-05)
    (0.0153, 3, "0.0153"),
    (12.34, 3, "12.3"),
    (0.5, 2, "0.50"),
    (9.996, 3, "10.0"),  # rounds up to the next power of ten: still three digits
    (1234.5, 3, "1,234"),  # a whole number as it is, not 1,230
    (2400.0, 2, "2,400"),
    (7.4e12, 2, "7.4 × 10¹²"),
    (-0.31, 2, MINUS + "0.31"),
    (-3.2e-9, 3, MINUS + "3.20 × 10⁻⁹"),
    (0.0, 3, "0"),
    (float("inf"), 3, "∞"),
    (float("nan"), 3, "–"),
])
def test_numbers_are_written_as_a_learner_reads_them(x, digits, written):
    assert number(x, digits) == written


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e30, max_value=1e30, allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-30),
       st.integers(min_value=2, max_value=4))
def test_a_written_number_reads_back_within_its_digits(x, digits):
    written = number(x, digits)
    assert "e" not in written and "-" not in written  # never Python's 8.94e-05, never a hyphen for minus
    assert read_number(written) == pytest.approx(x, rel=0.5 * 10.0 ** (1 - digits) * 1.0001, abs=0)
