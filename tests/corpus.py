"""The odd and hostile texts every text box must take, shared by the AppTest and browser tests.

A test that feeds them asserts the app neither breaks nor renders the text as markup.
"""

import re

# Every text box of every page: (page key as in ui.layout.NAV, the boxes' widget keys).
TEXT_BOXES = [
    ("self_attention", ["sa_text"]),
    ("seq2seq_attention", ["s2s_date"]),
    ("rnn", ["rnn_text"]),
    ("lstm", ["lstm_text"]),
    ("gru", ["gru_text"]),
    ("attention_vs_self_attention", ["cmp_date", "cmp_text"]),
    ("review", ["rv_note_rnn", "rv_retro_text"]),
]

CORPUS = {
    "empty": "",
    "blank": " \t\n\u3000 ",
    "5,000 words": " ".join(["attention"] * 5000),
    "a 20,000-character word": "W" * 20_000,
    "Korean": "고양이가 피곤해서 매트 위에 앉았다",
    "code-switched Korean": "RNN은 Short-Term dependency를 잘 잡지만, Long-Term dependency는 잘 못잡는다.",
    "Korean around markup": "<b>굵게</b> 쓴 **단어**를 $x$로 :blue[바꾼다] 👍🏽했다",
    "Hangul letters, jamo and fillers": "ㅋㅋㅋ ㅜㅜ ᄒᆞᆫ글 \u3164\u115f 가\u0301나 ㄱ",
    "long Korean": "노트의 문장을 여러 번 붙여 넣었습니다. " * 150,
    "mixed scripts": "Self-attention은 単語 と word를 섞는다 Ωμέγα",
    "emoji and ZWJ": "👩‍👩‍👧 👍🏽 ❤️ 🇰🇷 1️⃣ 🐈‍⬛",
    "right to left": "مرحبا بالعالم שלום עולם",
    # Each payload, if it ran, would open a dialog or set window.__pwned (the browser tests check both).
    "HTML and JavaScript": ('<script>window.__pwned=1;alert(1)</script><img src=x onerror="window.__pwned=1;alert(2)">'
                            '<svg onload="window.__pwned=1"></svg><a href="javascript:alert(3)">x</a>'),
    "Markdown and LaTeX": "**bold** _it_ `code` # head [l](http://x) $x^2$ $$\\frac{1}{0}$$ :red[x] \\ ~~s~~ | a | b |",
    "digits only": "0 1 2 3 4 5 6 7 8 9 3.14 1,000",
    "control characters": "a\x00b\x01c\x1b[31m\x7f\u200b\u200e\u202e\ufeff",
}
# Pieces of the corpus that would mean it was rendered as markup if they vanished or rendered.
MARKUP = ("<script>", "onerror=", "**bold**", ":red[", "$x^2$", "javascript:")
NOT_A_NUMBER = re.compile(r"\b(nan|inf|-inf)\b", re.IGNORECASE)
