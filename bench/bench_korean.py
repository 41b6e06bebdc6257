"""Benchmark the Korean morphological analysers: memory, time to the first result, speed, coverage.

    python bench/bench_korean.py            # print the table
    python bench/bench_korean.py --readme   # also write it into README.md

Each analyser runs in a fresh Python process, as a server meets it: resident memory (RSS) before
the import and after the first sentence, the time from the import to the first sentence's
morphemes, then the time to split every sentence of tests/data/korean_sentences.txt (fastest of
5 passes), against the plain tokenizer's time on the same sentences in the same process (the
baseline: what the app did before). Coverage is the share of non-punctuation tokens of that
corpus that get a real vector (not a random one) through core.embeddings with that analyser.

kiwipiepy is the app's; python-mecab-ko (MeCab with mecab-ko-dic) is the usual alternative
(`pip install python-mecab-ko` to include it). MeCab gives no lemma: its adapter here rebuilds
one (stem + 다) from MeCab's own decomposition of inflected forms ("갔" = 가/VV + 았/EP).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.readme import machine, write_section  # noqa: E402

ANALYSERS = {
    "kiwipiepy 0.24 as the app loads it (without its extra dictionaries)": "kiwi_lean",
    "kiwipiepy 0.24, every dictionary (its default)": "kiwi",
    "python-mecab-ko (MeCab, mecab-ko-dic)": "mecab",
}

CHILD = r'''
import json, sys, time, unicodedata
sys.path.insert(0, ROOT)

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

from core.embeddings import embed, plain_tokenize, tokenize  # numpy and the lexicons: not the analyser's cost
from ui.korean import KIWI_OPTIONS  # (and Streamlit, which it imports: not the analyser's cost either)
embed(["warm", "up"])
sentences = [line.strip() for line in open(CORPUS, encoding="utf-8") if line.strip() and not line.startswith("#")]
before = rss_mb()
start = time.perf_counter()
if KIND.startswith("kiwi"):
    from kiwipiepy import Kiwi
    kiwi = Kiwi() if KIND == "kiwi" else Kiwi(**KIWI_OPTIONS)
    def analyse(text):
        return [(t.form, t.tag, t.start, t.len, t.lemma) for t in kiwi.tokenize(text)]
else:
    from mecab import MeCab
    mecab = MeCab()
    def analyse(text):
        out = []
        for m in mecab.parse(text):
            start, end = m.span.start, m.span.end
            parts = ([p.split("/")[:2] for p in m.feature.expression.split("+")]
                     if m.feature.type == "Inflect" and m.feature.expression else [[m.surface, m.feature.pos]])
            for form, tag in parts:
                tag = tag.split("+")[0]
                lemma = form + "다" if tag in ("VV", "VA", "VX") else form
                out.append((form, tag, start, end - start, lemma))
        return out
analyse(sentences[0])
first = time.perf_counter() - start
after = rss_mb()

def best(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for s in sentences:
            fn(s)
        times.append(time.perf_counter() - t0)
    return min(times)

analysed = best(lambda s: tokenize(s, korean=analyse))
plain = best(lambda s: plain_tokenize(s))
total = real = 0
for s in sentences:
    tokens = tokenize(s, korean=analyse)
    for token, source in zip(tokens, embed(tokens).sources):
        if not all(unicodedata.category(ch)[0] in "PS" for ch in token):
            total += 1
            real += source != "fallback"
print(json.dumps({"rss": after - before, "first": first, "per_sentence": analysed / len(sentences),
                  "plain": plain / len(sentences), "coverage": real / total, "n": len(sentences)}))
'''


def measure(kind: str) -> dict | None:
    code = f"ROOT = {str(ROOT)!r}\nCORPUS = {str(ROOT / 'tests' / 'data' / 'korean_sentences.txt')!r}\n" \
           f"KIND = {kind!r}\n" + CHILD
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False)
    if result.returncode:
        print(f"{kind}: not measured ({result.stderr.strip().splitlines()[-1]})", file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def table() -> str:
    rows = ["| analyser | memory (RSS) | import → first result | per sentence | × plain tokenizer | "
            "tokens with a real vector |", "|---|---:|---:|---:|---:|---:|"]
    n = 0
    for name, kind in ANALYSERS.items():
        if (m := measure(kind)) is None:
            rows.append(f"| {name} | not installed | | | | |")
            continue
        n = m["n"]
        rows.append(f"| {name} | {m['rss']:.0f} MB | {m['first']:.2f} s | {m['per_sentence'] * 1e3:.2f} ms | "
                    f"{m['per_sentence'] / m['plain']:.0f} | {m['coverage']:.1%} |")
    rows += ["", f"Measured by `python bench/bench_korean.py --readme` on {machine()}: each analyser in a fresh "
                 f"process; per sentence: fastest of 5 passes over the {n} sentences of "
                 "tests/data/korean_sentences.txt, against the plain (space and punctuation) tokenizer "
                 "in the same process."]
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    text = table()
    print(text)
    if args.readme:
        write_section("bench-korean", text)
