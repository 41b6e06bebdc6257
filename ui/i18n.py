"""The text catalog: every word a learner reads, one TOML file per language.

Keys are dotted (`sa.step3.title`): the TOML section, then the key. Page code asks
for a key with `t("sa.title")` and never holds display text itself.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGS = ("en", "ko")
LANG_NAMES = {"en": "English", "ko": "한국어"}
DEFAULT_LANG = "en"
LOCALES = Path(__file__).parent / "locales"


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
    with open(LOCALES / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


def text(lang: str, key: str, **values) -> str:
    """The text `key` in `lang`, with `{placeholders}` filled from `values`."""
    template = catalog(lang)[key]
    return template.format(**values) if values else template


def language_from_locale(locale: str | None) -> str:
    """Map a browser language tag such as "ko-KR" to one of LANGS."""
    primary = (locale or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGS else DEFAULT_LANG
