"""The text catalog: every word a learner reads, one folder of TOML files per language.

`locales/<lang>/<section>.toml` holds one top-level section (`sa.toml` holds `[sa]`,
`[sa.step1]`, ...), so a page's texts sit in a file of their own. Keys are dotted
(`sa.step3.title`): the TOML section, then the key. Page code asks for a key with
`t("sa.title")` and never holds display text itself. Every key exists in both languages
(tests/test_i18n.py); values are Markdown unless a page shows them as plain text, and
`{name}` placeholders are filled in by the page.
"""

from __future__ import annotations

import math
import re
import tomllib
from functools import cache
from pathlib import Path

LANGS = ("en", "ko")
LANG_NAMES = {"en": "English", "ko": "한국어"}
DEFAULT_LANG = "en"
LOCALES = Path(__file__).parent / "locales"
# A particle written after a closing bracket or a percent sign ("(;로 구분)에", "100%입니다") belongs
# to it, but browsers break a line there even under `word-break: keep-all` (ui/layout.py): a WORD
# JOINER (U+2060, invisible) binds them. After `%}` too, a placeholder formatted as a percentage.
WORD_JOINER = "\u2060"
_ENDING_AFTER_SIGN = re.compile(r"(?<=[%)\]])(?=[가-힣])|(?<=%\})(?=[가-힣])")
# Nor should a line break beside a sign of a formula in the text, in any language ("f ≈ 1, i ≈ | 0이면",
# "c_t = f ⊙ c_(t−1) | + i ⊙ c̃"): the spaces around one become no-break spaces (outside $…$ and `…`,
# which KaTeX and code keep).
NO_BREAK_SPACE = "\u00a0"
_SPACE_BY_SIGN = re.compile(r" (?=[=≈−⊙×≤≥+→] )|(?<= [=≈−⊙×≤≥+→]) ")
_MATH_OR_CODE = re.compile(r"(\$[^$]*\$|`[^`]*`)")


def _bind(value: str, korean: bool) -> str:
    """A text with its formulas' signs bound to their terms and, in Korean, its particles to a closing sign."""
    parts = _MATH_OR_CODE.split(value)  # odd parts: math or code spans, kept as written
    return "".join(part if i % 2 else _SPACE_BY_SIGN.sub(
        NO_BREAK_SPACE, _ENDING_AFTER_SIGN.sub(WORD_JOINER, part) if korean else part) for i, part in enumerate(parts))


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


@cache
def catalog(lang: str) -> dict[str, str]:
    """All texts of one language, keyed by dotted name."""
    texts: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.toml")):
        with open(path, "rb") as f:
            table = _flatten(tomllib.load(f))
        if clash := texts.keys() & table.keys():
            raise ValueError(f"{path.name} repeats keys defined in another file: {sorted(clash)}")
        texts.update(table)
    return {key: _bind(value, korean=lang == "ko") for key, value in texts.items()}


def text(lang: str, key: str, **values) -> str:
    """The text `key` in `lang`, with `{placeholders}` filled from `values`."""
    template = catalog(lang)[key]
    return template.format(**values) if values else template


def language_from_locale(locale: str | None) -> str:
    """Map a browser language tag such as "ko-KR" to one of LANGS."""
    primary = (locale or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGS else DEFAULT_LANG


# Numbers as a learner reads them, in both languages: never Python's "8.94e-05" or "6e-05".
SUPERSCRIPT_MINUS, SUPERSCRIPT_DIGITS = "⁻", "⁰¹²³⁴⁵⁶⁷⁸⁹"  # 10⁻⁵: the power of a number and of a log axis
_SUPERSCRIPT = str.maketrans("-0123456789", SUPERSCRIPT_MINUS + SUPERSCRIPT_DIGITS)
MINUS = "\u2212"  # the minus sign, not the hyphen "-"
PLAIN_RANGE = (1e-3, 1e6)  # magnitudes written out in full; beyond, as a power of ten


def number(x: float, digits: int = 3) -> str:
    """`x` to `digits` significant digits in PLAIN_RANGE (0.0153, 12.3; a whole number as it is,
    1,235), else as a power of ten, 8.94 × 10⁻⁵, its zeros kept (6.00 × 10⁻⁵ beside it, not 6e-05);
    a minus sign, not a hyphen."""
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return ("" if x > 0 else MINUS) + "∞"
    if x == 0:
        return "0"
    exponent = math.floor(math.log10(abs(x)))
    mantissa = round(abs(x) / 10.0**exponent, digits - 1)
    if mantissa >= 10:  # 9.996 rounds up to the next power of ten
        mantissa, exponent = mantissa / 10, exponent + 1
    sign = MINUS if x < 0 else ""
    if PLAIN_RANGE[0] <= mantissa * 10.0**exponent < PLAIN_RANGE[1]:
        plain = abs(x) if exponent >= digits - 1 else mantissa * 10.0**exponent
        return sign + f"{plain:,.{max(digits - 1 - exponent, 0)}f}"
    return sign + f"{mantissa:.{digits - 1}f} × 10" + str(exponent).translate(_SUPERSCRIPT)


def fixed(x: float, decimals: int = 2) -> str:
    """`x` with `decimals` decimals and a minus sign, not a hyphen: −0.31."""
    return f"{x:.{decimals}f}".replace("-", MINUS)
