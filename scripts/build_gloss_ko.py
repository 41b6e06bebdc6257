"""Build data/gloss_ko.json, the Korean -> English lexicon, from data/gloss_ko_source.tsv, and check it.

    python scripts/build_gloss_ko.py            # check, then write data/gloss_ko.json
    python scripts/build_gloss_ko.py --missing 60   # also list the most frequent lemmas without a gloss

The glosses are written by hand (the source file says how). This script refuses the file, naming
the line, when:
  - a lemma is not NFC Hangul, or is listed twice with different glosses;
  - a gloss is not one lowercase word of the shipped GloVe subset (data/glove_50d_top20k.npz);
  - a "lemma/TAG" key (one sense of a homonym: 개/NNB the counter, 개 dog) has no upper-case tag;
  - kiwipiepy would never look the lemma up: analysed alone ("연결하다" is 연결 + 하 + 다, so the
    noun 연결 is the key), the lemma must come out as one content morpheme with that lemma.
    A lemma kiwi gives only in context ("비슷하다" in "비슷하지만") goes after "@context".

It then reports how much of Korean text the lexicon covers: the share of the frequency mass of
wordfreq's 20,000 most frequent Korean words (analysed by kiwi, content morphemes only) whose
lemma has a gloss. wordfreq and kiwipiepy are needed here only, at build time.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.embeddings import load_glove  # noqa: E402
from core.korean import has_hangul, is_function_tag  # noqa: E402

SOURCE = ROOT / "data" / "gloss_ko_source.tsv"
TARGET = ROOT / "data" / "gloss_ko.json"


def read_source(path: Path = SOURCE):
    """[(line number, lemma, gloss, context_only)] of the source file, comments skipped."""
    entries, context_only = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line == "@context":
            context_only = True
        elif line:
            parts = line.split()
            if len(parts) != 2:
                raise SystemExit(f"{path.name}:{number}: expected 'lemma gloss', got {line!r}")
            entries.append((number, parts[0], parts[1], context_only))
    return entries


def content_lemmas(kiwi, text: str) -> list[tuple[str, str]]:
    """(lemma, tag) of each Korean content morpheme of `text`."""
    return [(tok.lemma, tok.tag.split("-")[0]) for tok in kiwi.tokenize(text)
            if has_hangul(tok.form) and not is_function_tag(tok.tag.split("-")[0])
            and not tok.tag.startswith(("S", "W", "UN"))]


def check(entries, kiwi) -> tuple[dict[str, str], list[str]]:
    glove = load_glove()
    lexicon: dict[str, str] = {}
    first_line: dict[str, int] = {}
    errors = []
    for number, lemma, gloss, context_only in entries:
        where = f"{SOURCE.name}:{number}: {lemma} -> {gloss}"
        lemma, _, tag = lemma.partition("/")  # "개/NNB": the counter 개, not 개 "dog"
        if unicodedata.normalize("NFC", lemma) != lemma or not all(has_hangul(ch) for ch in lemma):
            errors.append(f"{where}: the lemma is not NFC Hangul")
        if tag:
            if [(lm, tg) for lm, tg in content_lemmas(kiwi, lemma)][:1] != [(lemma, tag[:2])] and not tag.isupper():
                errors.append(f"{where}: {tag!r} is not a Sejong tag")
            lemma = f"{lemma}/{tag}"
            context_only = True
        if gloss not in glove.index or gloss != gloss.lower() or not gloss.isalpha():
            errors.append(f"{where}: the gloss is not a lowercase word GloVe's subset has")
        if lemma in lexicon and lexicon[lemma] != gloss:
            errors.append(f"{where}: already glossed {lexicon[lemma]!r} on line {first_line[lemma]}"
                          " (one gloss a lemma: keep the commonest sense)")
            continue
        # A verb or adjective alone can read as something else ("자다" as 자 + 다): try it before 고.
        alone = [lm for lm, _ in content_lemmas(kiwi, lemma)] == [lemma]
        framed = lemma.endswith("다") and content_lemmas(kiwi, lemma[:-1] + "고")[:1] == [(lemma, "VV")] or \
            lemma.endswith("다") and [lm for lm, _ in content_lemmas(kiwi, lemma[:-1] + "고")][:1] == [lemma]
        if not context_only and not (alone or framed):
            errors.append(f"{where}: kiwi never looks this up (alone it is "
                          f"{[t.form + '/' + t.tag for t in kiwi.tokenize(lemma)]})")
        lexicon.setdefault(lemma, gloss)
        first_line.setdefault(lemma, number)
    return lexicon, errors


def coverage(lexicon: dict[str, str], kiwi, missing: int) -> float:
    from wordfreq import get_frequency_dict

    freq = get_frequency_dict("ko")
    mass = Counter()
    for word in sorted(freq, key=freq.get, reverse=True)[:20_000]:
        for lemma, _ in content_lemmas(kiwi, word):
            mass[lemma] += freq[word]
    total = sum(mass.values())
    covered = sum(f for lemma, f in mass.items() if lemma in lexicon)
    if missing:
        print(f"most frequent lemmas without a gloss (of {len(mass):,}):")
        print(" ".join(lemma for lemma, _ in [kv for kv in mass.most_common() if kv[0] not in lexicon][:missing]))
    return covered / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", type=int, default=0, help="list this many frequent unglossed lemmas")
    args = parser.parse_args()
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    lexicon, errors = check(read_source(), kiwi)
    if errors:
        raise SystemExit("\n".join(errors) + f"\n{len(errors)} problems: nothing written")
    TARGET.write_text(json.dumps(dict(sorted(lexicon.items())), ensure_ascii=False, indent=0) + "\n",
                      encoding="utf-8")
    share = coverage(lexicon, kiwi, args.missing)
    print(f"{TARGET.relative_to(ROOT)}: {len(lexicon):,} lemmas; they cover {share:.1%} of the content-word "
          "frequency of wordfreq's 20,000 most frequent Korean words")


if __name__ == "__main__":
    main()
