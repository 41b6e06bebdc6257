"""The app's own Korean: the glossary's rules, checked over every Korean text of the catalog.

ui/locales/glossary.toml is the one list of terms as the app uses them; what can be checked
mechanically is checked here, and every failure names the key and the text to change.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from ui.i18n import LOCALES, catalog

GLOSSARY = tomllib.loads((LOCALES / "glossary.toml").read_text(encoding="utf-8"))
KO = catalog("ko")
HANGUL = "가-힣"

# Particles whose form depends on the final sound of the word before them.
PARTICLES = ("으로", "로", "을", "를", "은", "는", "이", "가", "과", "와", "이나", "나", "이랑", "랑")
# A particle stands alone when no Hangul follows it (else it starts a word: "{n}개", "{x}이상").
# Only str.format fields ({name}, {n:,}); a LaTeX group such as h_{t-1} is written, not filled in.
PLACEHOLDER_PARTICLE = re.compile(r"\{[A-Za-z_]\w*(?:[:!][^{}]*)?\}(" + "|".join(PARTICLES) + rf")(?![{HANGUL}])")
# 였 is 이었 contracted, after a vowel only ("0.60였고": 0.60 ends in 영): 이었 is right after either.
PLACEHOLDER_COPULA = re.compile(r"\{[A-Za-z_]\w*(?:[:!][^{}]*)?\}였")
# 해요체 statements and exclamations at the end of a sentence.
HAEYO = re.compile(rf"[{HANGUL}](아요|어요|여요|해요|에요|예요|네요|군요|죠|지요|거든요|래요|대요)(?=[\s.!,)\"”’]|$)")
# A request in 하십시오체 ("확인하십시오") beside the catalog's -세요 requests ("고르세요")
HASIPSIO = re.compile(rf"[{HANGUL}]십시오")


def failures(pattern_or_fn, texts=KO):
    found = []
    for key, value in texts.items():
        for match in (pattern_or_fn(value) if callable(pattern_or_fn) else pattern_or_fn.finditer(value)):
            start = max(0, match.start() - 20)
            found.append(f"{key}: …{value[start:match.end() + 10]}…")
    return found


def test_no_placeholder_is_followed_by_a_particle_that_depends_on_how_it_is_read():
    bad = failures(PLACEHOLDER_PARTICLE) + failures(PLACEHOLDER_COPULA)
    assert not bad, ("a filled-in value decides 으로/로, 을/를, 은/는, 이/가, 과/와 by how it is read "
                     "(1.00으로, √3으로): rephrase (값 {x}, {x}까지):\n" + "\n".join(bad))


def test_statements_are_hapnida_not_haeyo():
    bad = failures(HAEYO)
    assert not bad, "해요체 ending in a 합니다체 catalog (glossary.toml, Style):\n" + "\n".join(bad)


def test_requests_to_the_learner_are_seyo_not_hasipsio():
    bad = failures(HASIPSIO)
    assert not bad, "a request in 하십시오체: the catalog asks with -세요 (glossary.toml, Style):\n" + "\n".join(bad)


@pytest.mark.parametrize("avoid", GLOSSARY["avoid"], ids=lambda a: a["text"])
def test_glossary_phrases_to_avoid_do_not_appear(avoid):
    where = {key: value.lower().find(avoid["text"].lower()) for key, value in KO.items()}  # "Recurrence" too
    bad = [f"{key}: …{KO[key][max(0, at - 20):at + 20]}…" for key, at in where.items() if at >= 0]
    assert not bad, f"{avoid['text']!r} -> write {avoid['instead']!r} (glossary.toml):\n" + "\n".join(bad)


def test_self_attention_is_written_one_way_in_korean():
    """The glossary's one spelling, Self-Attention: the Korean texts mixed it with Self-attention."""
    spellings = {match for value in KO.values() for match in re.findall(r"self-attention", value, re.IGNORECASE)}
    wrong = spellings - {"Self-Attention"}
    assert not wrong, f"write Self-Attention (glossary.toml), not {wrong}"


def test_query_is_capitalised_in_korean_as_the_glossary_writes_it():
    """"Query가", "Query로": a lower-case query before a particle crept into five texts."""
    lower = [f"{key}: …{value[max(0, m.start() - 20):m.end() + 5]}…" for key, value in KO.items()
             for m in re.finditer(r"(?<![{_\w])query(?=[가-힣])", value)]
    assert not lower, "write Query (glossary.toml):\n" + "\n".join(lower)


def particle_mismatches(text: str):
    """English words of [reading] followed by the particle form of the other final sound."""
    reading = GLOSSARY["reading"]
    after_consonant = {"를": "을", "는": "은", "가": "이", "와": "과", "로": "으로"}
    after_vowel = {"을": "를", "은": "는", "이": "가", "과": "와", "으로": "로"}
    rules = [(reading["consonant"], after_consonant), (reading["vowel"], after_vowel),
             (reading["rieul"], {k: v for k, v in after_consonant.items() if k != "로"} | {"으로": "로"})]
    for words, wrong in rules:
        for word in words:
            for particle in sorted(wrong, key=len, reverse=True):
                pattern = rf"(?<![A-Za-z_]){re.escape(word)}{particle}(?![{HANGUL}])"
                if particle == "이":  # "이" also starts 이다, 입니다...: only before a space or mark
                    pattern = rf"(?<![A-Za-z_]){re.escape(word)}이(?=[\s,.)])"
                yield from re.finditer(pattern, text)


def test_english_terms_take_the_particle_their_korean_reading_needs():
    bad = failures(lambda text: list(particle_mismatches(text)))
    assert not bad, ("particle after an English term read the other way (lag은 랙: lag을; gate는 게이트: "
                     "gate를; glossary.toml [reading]):\n" + "\n".join(bad))


def test_the_checks_catch_what_they_are_for():
    # Each rule, on a text that breaks it (a check that cannot fail is no check).
    assert PLACEHOLDER_PARTICLE.search("ρ = {radius:.2f}로 다시") and PLACEHOLDER_PARTICLE.search("√{d_k}로 나눈")
    assert not PLACEHOLDER_PARTICLE.search("{count}개") and not PLACEHOLDER_PARTICLE.search("값 {x}까지")
    assert PLACEHOLDER_COPULA.search("radius는 {x:.2f}였고") and not PLACEHOLDER_COPULA.search("{day}이었습니다")
    assert HAEYO.search("이모지도 괜찮아요)") and HAEYO.search("아쉽네요. 정답") and not HAEYO.search("보세요.")
    assert list(particle_mismatches("lag를 고르세요")) and list(particle_mismatches("gate을 봅니다"))
    assert not list(particle_mismatches("lag을 고르고 gate를 봅니다, cell로"))


def test_every_glossary_term_names_its_korean_and_why():
    assert all(term["en"] and term["ko"] and "note" in term for term in GLOSSARY["term"])
    assert len(GLOSSARY["term"]) >= 15
