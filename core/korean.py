"""Korean text as Korean NLP splits it: morphemes from an analyser, everything else as before.

A Korean word (어절) is a stem with particles and endings glued on: "dependency를" is the
English word "dependency" and the object particle "를"; "활용하여" is the noun "활용" (use),
the suffix "하" that makes it a verb, and the connective ending "어". Split on spaces, none of
these pieces meets a dictionary. A morphological analyser (kiwipiepy in this app, injected by
the caller: this module imports none) returns each morpheme with its part-of-speech tag
(Sejong tag set: NNG common noun, VV verb, VA adjective, JKO object particle, EC connective
ending, ...) and its lemma (a verb's or adjective's stem + 다: "높" -> "높다").

`split` keeps only the analyser's Korean morphemes; every other stretch of the text (English,
digits, punctuation, emoji, other scripts) goes through the caller's plain tokenizer exactly
as it would without Korean in it, so "it's" or "👩‍👩‍👧" come out as they always did.

Analyser contract: analyse(text) -> iterable of (form, tag, start, length, lemma), with start
and length in code points of `text`, in order. kiwipiepy's Token has all five fields.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

__all__ = ["Morpheme", "has_hangul", "is_function_tag", "split", "display_form", "Analyser"]

Analyser = Callable[[str], Iterable[tuple[str, str, int, int, str]]]

# Hangul syllables, Jamo, compatibility Jamo, Jamo extended A and B.
_HANGUL = ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))

# Tags of Korean morphemes (Sejong tags, as kiwi uses them; kiwi adds "-R"/"-I" to verbs for
# regular/irregular conjugation). S* (symbols, SL foreign word, SN number, SH hanja),
# W_* (emoji, URL, ...) and UN (unknown) are not Korean morphemes: they take the plain path.
_CONTENT_PREFIXES = ("NN", "NP", "NR", "VV", "VA", "VX", "MM", "MA", "IC", "XR")
# Particles (J*), endings (E*), derivational affixes (XPN, XSN, XSV, XSA, XSM), the copula
# (VCP 이다, VCN 아니다) and kiwi's added coda/siot (Z_*): grammar, not vocabulary.
_FUNCTION_PREFIXES = ("J", "E", "XP", "XS", "VC", "Z_")

# A final consonant written alone (conjoining jongseong, as kiwi writes the endings "ᆫ", "ᆸ니다")
# shown as the compatibility letter Korean grammar books write ("-ㄴ", "-ㅂ니다").
_CODA_TO_LETTER = {0x11A8: "ㄱ", 0x11AB: "ㄴ", 0x11AF: "ㄹ", 0x11B7: "ㅁ", 0x11B8: "ㅂ", 0x11BA: "ㅅ",
                   0x11BB: "ㅆ", 0x11BC: "ㅇ"}


class Morpheme(str):
    """A Korean morpheme: the str is its form as shown; `.tag` its Sejong tag, `.lemma` the word
    a dictionary lists it under (stem + 다 for verbs and adjectives), `.function` True for
    particles, endings and affixes."""

    tag: str
    lemma: str

    def __new__(cls, form: str, tag: str, lemma: str | None = None):
        self = super().__new__(cls, form)
        self.tag = tag
        self.lemma = lemma or form
        return self

    @property
    def function(self) -> bool:
        return is_function_tag(self.tag)

    def __reduce__(self):  # pickled by st.cache_data: keep the tag and lemma
        return (Morpheme, (str(self), self.tag, self.lemma))

    def __repr__(self) -> str:
        return f"Morpheme({str(self)!r}, {self.tag!r}, {self.lemma!r})"


def has_hangul(text: str) -> bool:
    """True when any character of `text` is Hangul (a syllable or a letter)."""
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _HANGUL)


def is_function_tag(tag: str) -> bool:
    """True for particles, endings, affixes and the copula; False for content words."""
    return tag.startswith(_FUNCTION_PREFIXES)


def _is_korean_tag(tag: str) -> bool:
    return tag.startswith(_CONTENT_PREFIXES) or is_function_tag(tag)


def display_form(form: str) -> str:
    """The form as a grammar book writes it: a lone final consonant as its letter ("ᆫ" -> "ㄴ")."""
    return "".join(_CODA_TO_LETTER.get(ord(ch), ch) for ch in form)


def _for_analyser(text: str) -> str:
    """`text` with every control, format, surrogate or unassigned character replaced by a space:
    the same length (so the analyser's positions are positions in `text`), nothing it can choke
    on (a lone surrogate cannot even be encoded for it)."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch for ch in text)


# A particle written straight after an English word ("dependency를") is that particle, whatever
# the analyser makes of it: kiwipiepy 0.24 reads "dependency를 잡는다" as 르/NNG + ᆯ/JKO.
_PARTICLES_AFTER_LATIN = {"를": "JKO", "을": "JKO", "은": "JX", "는": "JX", "이": "JKS", "가": "JKS",
                          "의": "JKG", "에": "JKB", "로": "JKB", "으로": "JKB", "와": "JKB", "과": "JKB",
                          "도": "JX", "만": "JX", "에서": "JKB"}


def _particles_after_latin(text: str, morphemes: list) -> list:
    """The analyser's morphemes with every particle that follows a foreign word (SL) and ends its
    word taken as the particle it is written as, not as the analyser split it."""
    out, i = [], 0
    while i < len(morphemes):
        out.append(morphemes[i])
        form, tag, start, length, _ = morphemes[i]
        end = start + length
        word_end = end
        while word_end < len(text) and has_hangul(text[word_end]):
            word_end += 1
        written = text[end:word_end]
        if tag == "SL" and written in _PARTICLES_AFTER_LATIN:
            j = i + 1
            while j < len(morphemes) and morphemes[j][2] < word_end:
                j += 1
            if [m[0] for m in morphemes[i + 1:j]] != [written]:
                out.append((written, _PARTICLES_AFTER_LATIN[written], end, len(written), written))
                i = j
                continue
        i += 1
    return out


def split(text: str, analyse: Analyser, plain: Callable[[str], list[str]]) -> list[str]:
    """Split NFC `text` into Korean morphemes (by `analyse`) and plain tokens (by `plain`).

    Args:
        text: NFC-normalised text that contains Hangul.
        analyse: the morphological analyser (contract in the module docstring).
        plain: the tokenizer for the stretches between Korean morphemes.
    Returns:
        tokens in text order: Morpheme for each Korean morpheme, str for every other token.
    """
    tokens: list[str] = []
    done = 0  # text[:done] is tokenized
    for form, tag, start, length, lemma in _particles_after_latin(text, list(analyse(_for_analyser(text)))):
        tag = tag.split("-")[0]  # "VV-R" -> "VV": regular/irregular is not needed here
        if not _is_korean_tag(tag) or not form:
            continue
        if start > done:
            tokens += plain(text[done:start])
        # Two morphemes can share a syllable ("했" = 하 + 었): the second starts before `done`.
        done = max(done, start + length)
        tokens.append(Morpheme(display_form(form), tag, display_form(lemma) if lemma else None))
    tokens += plain(text[done:])
    return tokens
