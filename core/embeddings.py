"""From text to vectors: split a sentence into tokens and give each token a 50-number vector.

Text with Hangul in it is split into morphemes by a Korean morphological analyser, injected
by the caller (`tokenize(text, korean=...)`, or once for the process with
`set_korean_analyser`; the app installs kiwipiepy's in ui/korean.py): "dependency를" becomes
"dependency" and the particle "를" (core/korean.py). Other text is split into words, marks
and emoji, with English clitics split off as GloVe's corpus was ("didn't" -> "did", "n't";
`plain_tokenize`).

Every token gets a row of X, found in this order:
    1. "glove":    the lowercased token is one of GloVe's 20,000 most frequent words;
    2. "gloss":    a Korean word, looked up by lemma (a verb's stem + 다) in the Korean ->
                   English lexicon, takes the GloVe vector of its English gloss (GloVe itself
                   is English only);
    3. "function": a Korean particle or ending (를, 은, -었-, -지만, ...) carries grammar, not a
                   word's meaning. One with a plain English counterpart takes that word's
                   vector (FUNCTION_GLOSS: 의 -> "of", 도 -> "also", 지만 -> "but", ...); every
                   other one the function-morpheme vector, FUNCTION_VECTOR_WORDS' mean GloVe
                   vector (a fixed, named choice: never random);
    4. "fallback": otherwise a fixed random vector derived from the token's own bytes,
                   identical in every process and on every machine.

Data (built by scripts/build_glove_subset.py, GloVe 6B vectors, PDDL-1.0, by Pennington,
Socher and Manning, Stanford NLP; and scripts/build_gloss_ko.py, which checks every gloss):
    data/glove_50d_top20k.npz   words (20000,) str, vectors (20000, 50) float32
    data/gloss_ko.json          {"고양이": "cat", "높다": "high", "개/NNB": "piece", ...}
                                (lemma, or lemma/tag for one sense of a homonym -> English word)
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .korean import Analyser, Morpheme, has_hangul, is_function_tag, split

__all__ = ["GloVe", "Embedding", "tokenize", "load_glove", "load_gloss", "fallback_vector", "embed",
           "token_sources", "set_korean_analyser", "function_vector", "FUNCTION_GLOSS", "SOURCES"]

SOURCES = ("glove", "gloss", "function", "fallback")

DATA = Path(__file__).resolve().parent.parent / "data"
GLOVE_PATH = DATA / "glove_50d_top20k.npz"
GLOSS_PATH = DATA / "gloss_ko.json"

# Standard deviation of all entries of the shipped subset's vectors, computed once
# (tests/test_embeddings.py recomputes it). A fallback vector drawn at this scale looks,
# to the attention scores, like a typical GloVe vector rather than an outlier.
GLOVE_STD = 0.6947

# --- tokenizer ------------------------------------------------------------------------

_ZWJ = "\u200d"  # zero width joiner: glues emoji into one picture (👩‍👩‍👧)
_ZWSP = "\u200b"  # zero width space: an invisible word break (Thai, Khmer), so a separator
_APOSTROPHES = "'\u2019"  # kept inside a word: rock'n'roll, o'clock (an English clitic is split off: _clitic)
# English clitics as GloVe's corpus was tokenized (Stanford's PTB tokenizer): "didn't" -> "did" + "n't",
# "can't" -> "ca" + "n't", "it's" -> "it" + "'s". GloVe has a vector for each part, none for the whole.
_CLITICS = ("n't", "'s", "'re", "'ll", "'d", "'m", "'ve")
_SKIN_TONES = range(0x1F3FB, 0x1F400)  # 👍🏽 = 👍 + 🏽
_REGIONAL = range(0x1F1E6, 0x1F200)  # two of these make a flag: 🇰🇷 = 🇰 + 🇷
_TAGS = range(0xE0020, 0xE0080)  # spell subdivision flags: 🏴󠁧󠁢󠁳󠁣󠁴󠁿 = 🏴 + tags "gbsct" + cancel tag


# Unicode's Default_Ignorable_Code_Point list: characters that render as nothing (soft
# hyphen, bidi marks, Hangul fillers, variation selectors, ...). A token of them looks blank.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)


def _is_invisible(ch: str, category: str) -> bool:
    """Format, surrogate and default-ignorable characters: never the start of a token."""
    cp = ord(ch)
    return category in ("Cf", "Cs") or any(lo <= cp <= hi for lo, hi in _IGNORABLE)


_korean: Analyser | None = None  # the analyser `tokenize` uses when none is passed


def set_korean_analyser(analyse: Analyser | None) -> None:
    """Install the Korean analyser `tokenize` uses by default (None: split Korean on spaces)."""
    global _korean
    _korean = analyse


def tokenize(text: str, korean: Analyser | None = None) -> list[str]:
    """Split text into tokens: Korean morphemes where it has Hangul, else words, marks, emoji.

    With Hangul in `text` and an analyser (`korean`, else the one `set_korean_analyser`
    installed), Korean stretches become core.korean.Morpheme tokens (str with .tag and .lemma)
    and the rest is split as below ("RNN은" -> "RNN", "은"). Without an analyser, and for all
    other text, `plain_tokenize`.
    """
    text = unicodedata.normalize("NFC", text)
    analyse = korean or _korean
    if analyse is not None and has_hangul(text):
        return split(text, analyse, plain_tokenize)
    return plain_tokenize(text)


def plain_tokenize(text: str) -> list[str]:
    """Split text into words, punctuation marks and emoji.

    - a word is a run of letters and digits in any script (Hangul included), with
      apostrophes kept inside it ("rock'n'roll"), except that an English clitic is split off
      as GloVe's corpus was ("didn't" -> "did", "n't"; "it's" -> "it", "'s"; ’ as ');
    - every other visible character is a token of its own ("Hello," -> "Hello", ",");
    - an emoji stays whole with its skin tone, variation selector, ZWJ sequence, flag pair
      or tag sequence ("👩‍👩‍👧", "👍🏽", "❤️", "🇰🇷"); a keycap "1️⃣" likewise;
    - whitespace (tabs, newlines, no-break spaces), control characters and zero-width
      characters separate or vanish; they never become a token.

    Args:
        text: any str.
    Returns:
        list of non-empty tokens, in order; [] for empty or blank text. Tokens are
        substrings of the NFC-normalised text, minus the characters that vanish.
    """
    text = unicodedata.normalize("NFC", text)
    tokens: list[str] = []
    current: list[str] = []  # the characters of the token being built
    kind = ""  # what `current` is: "word", "emoji", "symbol", or "" when there is none

    def close() -> None:
        nonlocal kind
        if current:
            tokens.extend(_clitic("".join(current)) if kind == "word" else ["".join(current)])
            current.clear()
        kind = ""

    for i, ch in enumerate(text):
        cp, category = ord(ch), unicodedata.category(ch)
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch.isspace() or category == "Cc" or ch == _ZWSP:
            close()
        elif kind == "emoji" and (
            cp in _SKIN_TONES
            or cp in _TAGS
            or (ch == _ZWJ and after and unicodedata.category(after) == "So")
            or (current[-1] == _ZWJ and category == "So")
            or (cp in _REGIONAL and len(current) == 1 and ord(current[0]) in _REGIONAL)
        ):
            current.append(ch)
        elif category[0] == "M" and kind:
            # A combining mark or variation selector (❤️ = ❤ + U+FE0F) belongs to the
            # character before it;
            # an enclosing keycap (U+20E3) makes "1️⃣" a symbol, not the start of a word.
            current.append(ch)
            if category == "Me":
                kind = "symbol"
        elif _is_invisible(ch, category):
            pass  # zero-width on its own: dropped, without breaking the word ("soft\xadware")
        elif category[0] in "LN":
            if kind != "word":
                close()
                kind = "word"
            current.append(ch)
        elif ch in _APOSTROPHES and kind == "word" and after and unicodedata.category(after)[0] in "LN":
            current.append(ch)
        else:
            close()
            current.append(ch)
            kind = "emoji" if category == "So" or cp in _SKIN_TONES else "symbol"
    close()
    return tokens


def _clitic(word: str) -> list[str]:
    """A word with an English clitic at its end, as two tokens ("didn't" -> "did", "n't"; the
    apostrophe kept as typed); any other word as it is."""
    plain = word.replace("\u2019", "'").lower()
    for clitic in _CLITICS:
        if plain.endswith(clitic) and len(plain) > len(clitic) and plain[-len(clitic) - 1].isalpha():
            return [word[:-len(clitic)], word[-len(clitic):]]
    return [word]


# --- vectors ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GloVe:
    """Pretrained word vectors: row i of `vectors` (N, dim) float32 is the vector of words[i]."""

    words: tuple[str, ...]
    vectors: np.ndarray
    index: dict[str, int]

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


@dataclass(frozen=True, eq=False)
class Embedding:
    """Vectors for a token sequence: X (n, dim) float64, one row per token.

    sources[i] is "glove", "gloss", "function" or "fallback" (module docstring); glosses[i] is
    the English word whose GloVe vector row i is, for "gloss" tokens and for "function" tokens
    with an English counterpart, else None.
    """

    X: np.ndarray
    tokens: list[str]
    sources: list[str]
    glosses: list[str | None]


@lru_cache(maxsize=4)
def load_glove(path: str | Path | None = None) -> GloVe:
    """Load the GloVe subset once per process.

    Args:
        path: an .npz with `words` (N,) str and `vectors` (N, dim); default data/glove_50d_top20k.npz.
    Returns:
        GloVe with read-only float32 vectors (N, dim), shared by every caller.
    """
    with np.load(GLOVE_PATH if path is None else path) as data:
        words = tuple(data["words"].tolist())
        vectors = np.ascontiguousarray(data["vectors"], dtype=np.float32)
    vectors.flags.writeable = False  # cached and shared: nobody may change it in place
    return GloVe(words=words, vectors=vectors, index={w: i for i, w in enumerate(words)})


@lru_cache(maxsize=4)
def load_gloss(path: str | Path | None = None) -> dict[str, str]:
    """Load the Korean -> English gloss lexicon once per process.

    Args:
        path: a JSON object of NFC Korean lemma -> English word; default data/gloss_ko.json.
    Returns:
        dict[str, str]; keys NFC-normalised (the file's are already; this guards hand edits).
    """
    raw = json.loads(Path(GLOSS_PATH if path is None else path).read_text(encoding="utf-8"))
    return {unicodedata.normalize("NFC", k): v for k, v in raw.items()}


@lru_cache(maxsize=4096)
def fallback_vector(token: str, dim: int = 50, scale: float = GLOVE_STD) -> np.ndarray:
    """A fixed random vector for a token GloVe does not know.

    The seed is the first 8 bytes of blake2b(NFC token as UTF-8), not Python's hash(),
    which changes from process to process: the same token gets the same vector everywhere.

    Args:
        token: any str.
        dim: vector length.
        scale: standard deviation of the entries; default that of GloVe's entries.
    Returns:
        (dim,) float64, read-only (cached; copy it to modify).
    """
    # surrogatepass: a lone surrogate cannot be encoded as UTF-8 but still needs a seed.
    data = unicodedata.normalize("NFC", token).encode("utf-8", "surrogatepass")
    seed = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
    vector = np.random.default_rng(seed).standard_normal(dim) * scale
    vector.flags.writeable = False
    return vector


# Korean particles and endings with a plain English counterpart, (form, Sejong tag) -> word.
# Only one-to-one cases: 를 (object), 은/는 (topic), -다 (sentence end) have none, and take the
# function-morpheme vector. The tag tells the particle 와 "and" (JC) from 와 "with" (JKB).
FUNCTION_GLOSS = {
    ("의", "JKG"): "of", ("도", "JX"): "also", ("만", "JX"): "only", ("부터", "JX"): "from",
    ("까지", "JX"): "until", ("마다", "JX"): "every", ("보다", "JKB"): "than", ("처럼", "JKB"): "like",
    ("에게", "JKB"): "to", ("한테", "JKB"): "to", ("께", "JKB"): "to", ("에", "JKB"): "at",
    ("에서", "JKB"): "at", ("와", "JC"): "and", ("과", "JC"): "and", ("하고", "JC"): "and",
    ("랑", "JC"): "and", ("이랑", "JC"): "and", ("와", "JKB"): "with", ("과", "JKB"): "with",
    ("하고", "JKB"): "with", ("랑", "JKB"): "with", ("이랑", "JKB"): "with", ("이나", "JC"): "or",
    ("나", "JC"): "or", ("지만", "EC"): "but", ("면", "EC"): "if", ("으면", "EC"): "if",
    ("니까", "EC"): "because", ("으니까", "EC"): "because", ("겠", "EP"): "will",
    ("이", "VCP"): "is", ("아니", "VCN"): "not",
}
# The function-morpheme vector: the mean GloVe vector of these English function words, scaled to
# their mean length (a plain mean is shorter than any of them and would score low everywhere).
FUNCTION_VECTOR_WORDS = ("the", "of", "to", "and", "a", "in", "for", "that", "on", "is", "with", "as",
                         "by", "at", "from")


@lru_cache(maxsize=4)
def function_vector(glove: GloVe | None = None) -> np.ndarray:
    """The vector of a Korean particle or ending without an English counterpart: (dim,) float64.

    mean of GloVe(w) for w in FUNCTION_VECTOR_WORDS, rescaled to the mean of their norms.
    """
    glove = load_glove() if glove is None else glove
    V = glove.vectors[[glove.index[w] for w in FUNCTION_VECTOR_WORDS]].astype(np.float64)  # (15, dim)
    mean = V.mean(axis=0)
    vector = mean * (np.linalg.norm(V, axis=1).mean() / np.linalg.norm(mean))
    vector.flags.writeable = False
    return vector


def _lookup(token: str, glove: GloVe, gloss: dict[str, str]) -> tuple[str, int | None, str | None]:
    """(source, GloVe row or None, English gloss or None) of one token."""
    nfc = unicodedata.normalize("NFC", token)
    if isinstance(token, Morpheme):
        if is_function_tag(token.tag):
            english = FUNCTION_GLOSS.get((nfc, token.tag))
            row = glove.index.get(english) if english else None
            return "function", row, english if row is not None else None
        lemma = unicodedata.normalize("NFC", token.lemma)
        # "개/NNB" (the counter) before "개" (dog): a key with a tag names one sense of a homonym.
        for key in (f"{lemma}/{token.tag}", lemma, nfc):
            english = gloss.get(key)
            if english is not None and (row := glove.index.get(english)) is not None:
                return "gloss", row, english
        return "fallback", None, None
    if (row := glove.index.get(nfc.lower().replace("\u2019", "'"))) is not None:  # don’t: GloVe's n't
        return "glove", row, None
    english = gloss.get(nfc)
    if english is not None and (row := glove.index.get(english)) is not None:
        return "gloss", row, english
    return "fallback", None, None


def token_sources(tokens: list[str], glove: GloVe | None = None, gloss: dict[str, str] | None = None) -> list[str]:
    """Where each token's vector comes from ("glove", "gloss", "function", "fallback"),
    without building the vectors: what a chart label needs to mark a random vector."""
    glove = load_glove() if glove is None else glove
    gloss = load_gloss() if gloss is None else gloss
    return [_lookup(token, glove, gloss)[0] for token in tokens]


def embed(tokens: list[str], glove: GloVe | None = None, gloss: dict[str, str] | None = None) -> Embedding:
    """Give every token its vector: GloVe, the GloVe of its Korean gloss, a particle's or
    ending's function vector, else a fallback (module docstring).

    Args:
        tokens: n tokens (from `tokenize`, or any strs; Korean morphemes as core.korean.Morpheme).
        glove: word vectors; default `load_glove()`.
        gloss: Korean lemma -> English lexicon; default `load_gloss()`.
    Returns:
        Embedding with X (n, glove.dim) float64; X is (0, dim) when n = 0.
    """
    glove = load_glove() if glove is None else glove
    gloss = load_gloss() if gloss is None else gloss
    tokens = list(tokens)
    rows = np.zeros(len(tokens), dtype=np.intp)  # GloVe row of each token; the others fixed below
    sources: list[str] = []
    glosses: list[str | None] = []
    for i, token in enumerate(tokens):
        source, row, english = _lookup(token, glove, gloss)
        sources.append(source)
        glosses.append(english)
        rows[i] = 0 if row is None else row

    # One fancy-indexing gather for all GloVe rows, then overwrite the few rows without one.
    X = glove.vectors[rows].astype(np.float64)
    for i, (source, english) in enumerate(zip(sources, glosses, strict=True)):
        if source == "fallback":
            X[i] = fallback_vector(tokens[i], glove.dim)
        elif source == "function" and english is None:
            X[i] = function_vector(glove)
    return Embedding(X=X, tokens=tokens, sources=sources, glosses=glosses)
