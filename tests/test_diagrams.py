"""The live cell diagrams (ui/diagrams.py): the chosen word's numbers drawn in the charts' colours,
and any text the learner types drawn as text, never as markup."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from corpus import CORPUS

from core.embeddings import embed, tokenize
from core.recurrent import gru_forward, init_weights, lstm_forward, rnn_forward
from ui import charts, diagrams

SVG = "{http://www.w3.org/2000/svg}"
TEXTS = {"title": "<title>", "alt": "a & b", "mean": "mean", "memory": "path {value}", "gate": "gate",
         "signed": "signed"}


def test_the_colours_are_the_charts_scales_by_hand():
    assert diagrams.unit_color(0.0) == charts.LOW and diagrams.unit_color(1.0) == charts.HIGH
    assert diagrams.signed_color(-1.0) == charts.NEGATIVE and diagrams.signed_color(1.0) == charts.POSITIVE
    assert diagrams.signed_color(0.0) == charts.ZERO
    # 0.5 is drawn at the nearest of 256 levels, 128/255, from #fcfbfd to #3f007d in RGB:
    # 252 + (63 - 252)·128/255 = 157.1 -> 0x9d, 251·(1 - 128/255) = 125.0 -> 0x7d,
    # 253 + (125 - 253)·128/255 = 188.7 -> 0xbd
    assert diagrams.unit_color(0.5) == "#9d7dbd"
    assert diagrams.signed_color(2.0, limit=4.0) == diagrams.signed_color(0.5)  # scaled to the state's range
    assert diagrams.signed_color(-5.0) == charts.NEGATIVE  # clipped past the limit


def test_the_memory_path_is_thicker_the_more_the_step_keeps():
    assert diagrams.memory_width(0.0) == 2.0 and diagrams.memory_width(1.0) == 12.0
    assert diagrams.memory_width(0.25) < diagrams.memory_width(0.75)


def test_carried_is_the_gradient_to_the_state_this_step_writes():
    norms = np.array([0.1, 0.2, 0.5])  # entry t: ‖∂h_T/∂h_t‖, t = 0..T−1, with T = 3
    assert diagrams.carried(norms, 0) == 0.2 and diagrams.carried(norms, 1) == 0.5
    assert diagrams.carried(norms, 2) == 1.0  # the last state itself


def traces(words):
    X = embed(words).X
    return (rnn_forward(X, None, **init_weights("rnn", 50, 8, 0)),
            lstm_forward(X, None, None, **init_weights("lstm", 50, 8, 0)),
            gru_forward(X, None, **init_weights("gru", 50, 8, 0)))


@pytest.mark.parametrize("text", [t for t in CORPUS.values() if tokenize(t)], ids=[k for k, t in CORPUS.items()
                                                                                    if tokenize(t)])
def test_every_word_of_the_hostile_corpus_is_drawn_as_text(text):
    words = tokenize(text)[:32]
    rnn, lstm, gru = traces(words)
    step = len(words) // 2
    for svg in (diagrams.rnn_chain(rnn["H"], step, words, TEXTS, 0.5),
                diagrams.lstm_cell(lstm, step, words[step], TEXTS, 0.5),
                diagrams.gru_cell(gru, step, words[step], TEXTS, 0.5)):
        root = ET.fromstring(svg)  # well-formed: every text escaped, characters XML cannot hold dropped
        assert not [el for el in root.iter() if el.tag.split("}")[-1] in ("script", "foreignObject", "a", "image")]
        assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]
        drawn = [el.text or "" for el in root.iter(f"{SVG}text")]
        word = diagrams.NOT_XML.sub("", charts.short(words[step], 24))
        assert any(word in d for d in drawn)  # the word itself, literally
        assert root.find(f"{SVG}title").text == "<title>" and root.find(f"{SVG}desc").text == "a & b"


def test_the_lstm_diagram_draws_each_gate_strip_unit_by_unit():
    words = ["the", "cat", "sat"]
    _, lstm, _ = traces(words)
    root = ET.fromstring(diagrams.lstm_cell(lstm, 1, "cat", TEXTS, 0.5))
    strips = [el.get("fill") for el in root.iter(f"{SVG}rect") if el.get("height") == "13"]
    f_fills = strips[:8]  # the first box drawn is f: its 8 units on the [0, 1] scale
    assert f_fills == [diagrams.unit_color(v) for v in lstm["f"][1]]


def test_a_diagram_shows_the_gate_scale_only_for_a_cell_with_gates():
    rnn, lstm, gru = traces(tokenize("the cat sat on the mat"))

    def labels(svg):
        return [el.text for el in ET.fromstring(svg).iter(f"{SVG}text")]

    assert "gate" not in labels(diagrams.rnn_chain(rnn["H"], 2, tokenize("the cat sat on the mat"), TEXTS, 0.5))
    assert "signed" in labels(diagrams.rnn_chain(rnn["H"], 2, tokenize("the cat sat on the mat"), TEXTS, 0.5))
    for svg in (diagrams.lstm_cell(lstm, 2, "sat", TEXTS, 0.5), diagrams.gru_cell(gru, 2, "sat", TEXTS, 0.5)):
        assert {"gate", "signed"} <= set(labels(svg))


def _solid_paths(svg: str) -> list[list[tuple[float, float]]]:
    """Every solid line of a diagram as its points (a dashed line is a gated path, not a wire)."""
    paths = []
    for el in ET.fromstring(svg).iter(f"{SVG}path"):
        if el.get("fill") == "none" and not el.get("stroke-dasharray"):
            paths.append([tuple(float(v) for v in p[1:].split(",")) for p in el.get("d").split()])
    return paths


def _on(point, path, tol=0.5) -> bool:
    """Whether `point` lies on one of the path's straight segments."""
    x, y = point
    for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
        inside = min(x0, x1) - tol <= x <= max(x0, x1) + tol and min(y0, y1) - tol <= y <= max(y0, y1) + tol
        if inside and abs((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) <= tol * max(abs(x1 - x0), abs(y1 - y0), 1):
            return True
    return False


def test_the_grus_old_state_reaches_its_candidate_only_through_the_reset_gate():
    """n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_(t−1) + b_hn)): a wire from h_(t−1) into the candidate's box
    drew h_(t−1) reaching n unscaled by r. Follow the wires from the memory path (a wire flows into one that starts
    on it, or ends on one): they reach both gates, never the candidate, which x_t's own wire does."""
    *_, gru = traces(["the", "cat", "sat"])
    paths = _solid_paths(diagrams.gru_cell(gru, 1, "cat", TEXTS, 0.5))
    into_boxes = [p for p in paths if p[-1][1] == 262.0]  # the arrows up into the three layers' boxes
    candidate = max(into_boxes, key=lambda p: p[-1][0])  # tanh n, the rightmost

    def reach(start):
        seen, todo = {start}, [start]
        while todo:
            a = paths[todo.pop()]
            for j, b in enumerate(paths):
                if j not in seen and (_on(b[0], a) or _on(a[-1], b)):
                    seen.add(j)
                    todo.append(j)
        return seen

    memory = min(range(len(paths)), key=lambda j: (paths[j][0][1], paths[j][0][0]))  # the top line, leftmost
    x_wire = max(range(len(paths)), key=lambda j: paths[j][0][1])  # x_t, from the bottom
    from_memory = reach(memory)
    assert sum(paths.index(p) in from_memory for p in into_boxes) == 2  # r and z read h_(t−1)
    assert paths.index(candidate) not in from_memory
    assert paths.index(candidate) in reach(x_wire)
