"""Live cell diagrams: the RNN, LSTM and GRU cells drawn as SVG, in the style of Olah's
"Understanding LSTM Networks", with the chosen word's gates and states coloured in.

The memory path runs across the top in the model's colour (the LSTM's cell state, the GRU's and
RNN's hidden state), drawn thicker the more of the old state the step keeps; gates are boxes,
pointwise operations circles. Inside each box a strip shows the layer's hidden units, coloured
with the app's scales (ui/charts.py: gates on the [0, 1] scale, signed values on the diverging
one), and its mean. Every text is XML-escaped and stripped of characters XML cannot hold; the
SVG is shown by st.image, as an <img>, where no script can run.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import numpy as np

from ui.charts import HIGH, LOW, MODEL_COLORS, NEGATIVE, POSITIVE, ZERO, short
from ui.i18n import fixed, number

INK, FAINT, BOX, CELL = "#333333", "#9a9a9a", "#ffffff", "#f6f6f6"
FONT = "font-family='Source Sans Pro, Noto Sans CJK KR, Noto Sans, sans-serif'"
NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # XML 1.0 Char


def clean(text) -> str:
    """Text as SVG character data: escaped, and without the characters XML cannot hold (NUL, ESC…)."""
    return escape(NOT_XML.sub("", str(text)))


LEVELS = 256  # colours per scale: a value is drawn in the nearest of 256 steps (finer than the eye)


def _ramp(a: str, b: str) -> np.ndarray:
    """LEVELS colours from a to b, interpolated in RGB (as the charts' scales are)."""
    ca, cb = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float) for c in (a, b))
    rgb = np.rint(ca + (cb - ca) * np.linspace(0, 1, LEVELS)[:, None]).astype(int)
    return np.array([f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb])


UNIT_RAMP = _ramp(LOW, HIGH)  # [0, 1] -> white to dark purple
SIGNED_RAMP = np.concatenate([_ramp(ZERO, NEGATIVE)[::-1], _ramp(ZERO, POSITIVE)[1:]])  # [-1, 1], zero white


def unit_colors(values) -> np.ndarray:
    """Values in [0, 1] on the charts' sequential scale (clipped outside it)."""
    return UNIT_RAMP[np.rint(np.clip(np.asarray(values, dtype=float), 0, 1) * (LEVELS - 1)).astype(int)]


def signed_colors(values, limit: float = 1.0) -> np.ndarray:
    """Signed values on the charts' diverging scale over [-limit, limit] (clipped beyond)."""
    x = np.clip(np.asarray(values, dtype=float) / limit, -1, 1)
    return SIGNED_RAMP[np.rint(x * (LEVELS - 1)).astype(int) + LEVELS - 1]


def unit_color(v: float) -> str:
    """A value in [0, 1] on the charts' sequential scale."""
    return str(unit_colors([v])[0])


def signed_color(v: float, limit: float = 1.0) -> str:
    """A signed value on the charts' diverging scale, over [-limit, limit] (clipped beyond)."""
    return str(signed_colors([v], limit)[0])


class Svg:
    """A few SVG primitives, appended in drawing order."""

    def __init__(self, width: int, height: int, title: str, desc: str):
        self.width, self.height = width, height
        self.parts = [f"<title>{clean(title)}</title>", f"<desc>{clean(desc)}</desc>",
                      f"<rect width='{width}' height='{height}' fill='#ffffff'/>"]

    def line(self, points, color=INK, width=2.0, dash: str | None = None, arrow=False) -> None:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
        extra = (f" stroke-dasharray='{dash}'" if dash else "") + (" marker-end='url(#arrow)'" if arrow else "")
        self.parts.append(f"<path d='{path}' fill='none' stroke='{color}' stroke-width='{width:.1f}'"
                          f" stroke-linecap='round' stroke-linejoin='round'{extra}/>")

    def box(self, x, y, w, h, fill=BOX, stroke=INK, radius=6, width=1.5) -> None:
        self.parts.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{h:.1f}' rx='{radius}'"
                          f" fill='{fill}' stroke='{stroke}' stroke-width='{width}'/>")

    def op(self, x, y, symbol: str, r=13) -> None:
        """A pointwise operation: a circle with its symbol (×, +, 1−, tanh)."""
        self.parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r}' fill='{BOX}' stroke='{INK}' stroke-width='1.5'/>")
        self.text(x, y + 5, symbol, size=15 if len(symbol) == 1 else 11, anchor="middle")

    def text(self, x, y, text, size=13, anchor="start", color=INK, weight="normal") -> None:
        self.parts.append(f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}'"
                          f" fill='{color}' font-weight='{weight}' {FONT}>{clean(text)}</text>")

    def strip(self, x, y, w, h, values, signed: bool) -> None:
        """One small cell per hidden unit, coloured by its value."""
        values = np.asarray(values, dtype=float)
        limit = max(1.0, float(np.abs(values).max())) if signed else 1.0  # tanh outputs: ±1; a cell may exceed it
        fills = signed_colors(values, limit) if signed else unit_colors(values)
        step = w / len(values)
        tail = f"' y='{y:.0f}' width='{step + 0.4:.1f}' height='{h}' fill='"
        xs = (x + step * np.arange(len(values))).round(1).tolist()
        self.parts.append("".join(f"<rect x='{left}{tail}{fill}'/>"
                                  for left, fill in zip(xs, fills.tolist(), strict=True)))
        self.parts.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{h}' fill='none'"
                          f" stroke='{FAINT}' stroke-width='0.8'/>")

    def render(self) -> str:
        defs = ("<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='9' markerHeight='9'"
                f" markerUnits='userSpaceOnUse' orient='auto-start-reverse'>"
                f"<path d='M0,0 L10,5 L0,10 z' fill='{INK}'/></marker></defs>")
        return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}' height='{self.height}'"
                f" viewBox='0 0 {self.width} {self.height}' role='img'>{defs}{''.join(self.parts)}</svg>")


def gate_box(svg: Svg, cx, y, name: str, symbol: str, values, signed: bool, mean_label: str, w=118, h=62) -> None:
    """A layer as a box: its activation and name, its units as a strip, and their mean."""
    fill = signed_color(float(np.mean(values))) if signed else unit_color(float(np.mean(values)))
    svg.box(cx - w / 2, y, w, h, fill=BOX)
    svg.parts.append(f"<rect x='{cx - w / 2 + 1:.1f}' y='{y + 1:.1f}' width='6' height='{h - 2}' fill='{fill}'/>")
    svg.text(cx, y + 17, f"{symbol}  {name}", size=14, anchor="middle", weight="bold")
    svg.strip(cx - w / 2 + 12, y + 25, w - 20, 13, values, signed)
    svg.text(cx, y + 55, f"{mean_label} {fixed(float(np.mean(values)))}", size=11, anchor="middle", color=INK)


def state_label(svg: Svg, x, y, name: str, values, anchor="start", w=96) -> None:
    """A state's name over a strip of its units (signed values)."""
    left = x if anchor == "start" else x - w
    svg.text(x, y, name, size=14, anchor=anchor, weight="bold")
    svg.strip(left, y + 6, w, 11, values, signed=True)


def legend(svg: Svg, x, y, texts: dict, gates: bool = True) -> None:
    """The scales the diagram uses, as in the charts: gates 0 to 1 (a cell with gates), signed values −1 to +1."""
    scales = [(texts["gate"], "0", "1", unit_colors(np.linspace(0, 1, 20)))] if gates else []
    scales.append((texts["signed"], "−1", "+1", signed_colors(np.linspace(-1, 1, 20))))
    for dx, (label, low, high, ramp) in zip((0, 270), scales, strict=False):
        svg.text(x + dx + 80, y + 10, label, size=11, anchor="end")
        svg.text(x + dx + 96, y + 10, low, size=10, anchor="end")
        for k in range(20):
            svg.parts.append(f"<rect x='{x + dx + 100 + k * 4}' y='{y}' width='4.3' height='12' fill='{ramp[k]}'/>")
        svg.text(x + dx + 184, y + 10, high, size=10)


def memory_width(kept: float) -> float:
    """The memory path's stroke: 2 px when a step keeps nothing of the old state, 12 px when it keeps all."""
    return 2.0 + 10.0 * float(np.clip(kept, 0, 1))


def lstm_cell(trace: dict, step: int, word: str, texts: dict, carried: float) -> str:
    """The LSTM cell at `step` (Olah's layout): c_(t−1) → × f → + i ⊙ c̃ → c_t across the top,
    the four layers as boxes over the inputs h_(t−1) and x_t, and o ⊙ tanh(c_t) → h_t.

    trace: lstm_forward's arrays (T, hidden) for f, i, g, o, C, H; word: the word read (shown
    escaped); texts: the diagram's words; carried: ‖∂c_T/∂c_t‖ along the cell path (∏f)."""
    zeros = np.zeros_like(trace["C"][step])
    c_prev = trace["C"][step - 1] if step else zeros
    h_prev = trace["H"][step - 1] if step else zeros
    f, i, g, o, c, h = (trace[k][step] for k in ("f", "i", "g", "o", "C", "H"))
    svg = Svg(900, 400, texts["title"], texts["alt"])
    color = MODEL_COLORS["lstm"]
    svg.box(140, 40, 620, 290, fill=CELL, stroke=FAINT, radius=14)
    top, bus = 78, 300
    xf, xi, xg, xo, xh = 250, 380, 510, 640, 700
    # the memory path: the cell state, thicker the more of it this step keeps (mean f)
    svg.line([(120, top), (xf - 13, top)], color=color, width=memory_width(1.0))
    svg.line([(xf + 13, top), (xg - 13, top)], color=color, width=memory_width(float(f.mean())))
    svg.line([(xg + 13, top), (780, top)], color=color, width=memory_width(float(f.mean())), arrow=True)
    svg.text(450, 60, texts["memory"].format(value=number(carried)), size=12, anchor="middle", color=color)
    svg.op(xf, top, "×")
    svg.op(xg, top, "+")
    # inputs: h_(t−1) along the bottom, x_t from below, feeding every layer
    svg.line([(120, bus), (xo, bus)], width=2)
    svg.line([(190, 370), (190, bus)], width=2)
    for x in (xf, xi, xg, xo):
        svg.line([(x, bus), (x, 262)], width=2, arrow=True)
    gate_box(svg, xf, 200, "f", "σ", f, False, texts["mean"])
    gate_box(svg, xi, 200, "i", "σ", i, False, texts["mean"])
    gate_box(svg, xg, 200, "c̃", "tanh", g, True, texts["mean"])
    gate_box(svg, xo, 200, "o", "σ", o, False, texts["mean"])
    svg.line([(xf, 200), (xf, top + 13)], width=2, arrow=True)  # f scales the old cell
    svg.op((xi + xg) / 2, 150, "×")  # i ⊙ c̃, written into the cell
    svg.line([(xi, 200), (xi, 150), ((xi + xg) / 2 - 13, 150)], width=2)
    svg.line([(xg, 200), (xg, 172), ((xi + xg) / 2 + 9, 160)], width=2)
    svg.line([((xi + xg) / 2, 137), ((xi + xg) / 2, 112), (xg, 112), (xg, top + 13)], width=2, arrow=True)
    # the output: o ⊙ tanh(c_t)
    svg.line([(xh, top), (xh, 104)], width=2, arrow=True)
    svg.op(xh, 118, "tanh", r=16)
    svg.line([(xh, 134), (xh, 158)], width=2, arrow=True)
    svg.op(xh, 172, "×")
    svg.line([(xo + 59, 222), (xh, 222), (xh, 185)], width=2, arrow=True)
    svg.line([(xh + 13, 172), (780, 172)], width=2, arrow=True)
    # numbered as the RNN's chain numbers them: x_k is the k-th word, h_k and c_k the states after it
    state_label(svg, 16, top - 14, f"c_{step}", c_prev)
    state_label(svg, 884, top - 14, f"c_{step + 1}", c, anchor="end")
    state_label(svg, 884, 158, f"h_{step + 1}", h, anchor="end")
    state_label(svg, 16, bus - 14, f"h_{step}", h_prev)
    svg.text(190, 388, f"x_{step + 1}: {short(word, 24)}", size=13, anchor="middle", weight="bold")
    legend(svg, 330, 348, texts)
    return svg.render()


def gru_cell(trace: dict, step: int, word: str, texts: dict, carried: float) -> str:
    """The GRU cell at `step`: h_(t−1) → × z → + (1 − z) ⊙ n → h_t across the top (no separate cell
    state), the reset gate scaling h_(t−1) before the candidate n.

    trace: gru_forward's arrays (T, hidden) for r, z, n, H and h0; carried: ‖∂h_T/∂h_t‖."""
    h_prev = trace["H"][step - 1] if step else np.asarray(trace["h0"]).reshape(-1)
    r, z, n, h = (trace[k][step] for k in ("r", "z", "n", "H"))
    svg = Svg(900, 400, texts["title"], texts["alt"])
    color = MODEL_COLORS["gru"]
    svg.box(140, 40, 620, 290, fill=CELL, stroke=FAINT, radius=14)
    top, bus = 78, 300
    xr, xz, xn, xz_top, xadd = 250, 400, 580, 400, 580
    svg.line([(120, top), (xz_top - 13, top)], color=color, width=memory_width(1.0))
    svg.line([(xz_top + 13, top), (xadd - 13, top)], color=color, width=memory_width(float(z.mean())))
    svg.line([(xadd + 13, top), (780, top)], color=color, width=memory_width(float(z.mean())), arrow=True)
    # the memory path's value, over the middle of the cell's box
    svg.text(450, 60, texts["memory"].format(value=number(carried)), size=12, anchor="middle", color=color)
    svg.op(xz_top, top, "×")
    svg.op(xadd, top, "+")
    # inputs: h_(t−1) down to the bus beside x_t, which feeds both gates; the candidate reads x_t on a
    # line of its own (h_(t−1) reaches it only through the reset gate, dashed below)
    svg.line([(130, top), (130, bus), (xz, bus)], width=2)
    svg.line([(190, 370), (190, bus)], width=2)
    for x in (xr, xz):
        svg.line([(x, bus), (x, 262)], width=2, arrow=True)
    svg.line([(190, bus + 18), (xn, bus + 18), (xn, 262)], width=2, arrow=True)
    gate_box(svg, xr, 200, "r", "σ", r, False, texts["mean"])
    gate_box(svg, xz, 200, "z", "σ", z, False, texts["mean"])
    gate_box(svg, xn, 200, "n", "tanh", n, True, texts["mean"])
    svg.line([(xz, 200), (xz, top + 13)], width=2, arrow=True)  # z keeps the old state
    svg.op(490, 150, "1−", r=14)  # 1 − z lets the candidate in
    svg.line([(xz + 59, 222), (470, 222), (490, 164)], width=2, arrow=True)
    svg.op(xn, 150, "×")
    svg.line([(504, 150), (xn - 13, 150)], width=2, arrow=True)
    svg.line([(xn, 200), (xn, 163)], width=2, arrow=True)
    svg.line([(xn, 137), (xn, top + 13)], width=2, arrow=True)
    # the reset gate scales the old state's term in the candidate, r ⊙ (W_hn h_(t−1) + b_hn) as PyTorch computes it
    svg.op(xr + 75, 150, "×")
    svg.line([(130, 150), (xr + 62, 150)], width=1.5, dash="4 3", arrow=True)
    svg.line([(xr, 200), (xr, 168), (xr + 63, 156)], width=2, arrow=True)
    svg.line([(xr + 88, 150), (xr + 108, 150), (xn - 50, 196)], width=2, arrow=True)
    state_label(svg, 16, top - 14, f"h_{step}", h_prev)  # numbered as the RNN's chain and the LSTM's cell
    state_label(svg, 884, top - 14, f"h_{step + 1}", h, anchor="end")
    svg.text(190, 388, f"x_{step + 1}: {short(word, 24)}", size=13, anchor="middle", weight="bold")
    legend(svg, 330, 348, texts)
    return svg.render()


def rnn_chain(H, step: int, words: list, texts: dict, carried: float) -> str:
    """Three steps of the unrolled RNN (Olah's "repeating module"): the chosen word's cell in full,
    the words before and after faint. h runs from cell to cell through one tanh layer per step,
    which reads the step's word x_t from below.

    H: (T, hidden) hidden states; words: every word read (shown escaped); carried: ‖∂h_T/∂h_t‖."""
    T = len(words)
    svg = Svg(900, 350, texts["title"], texts["alt"])
    color = MODEL_COLORS["rnn"]
    h_prev = H[step - 1] if step else np.zeros_like(H[step])
    lane = 187
    cells = [(k, cx) for k, cx in ((step - 1, 150), (step, 450), (step + 1, 750)) if 0 <= k < T]
    for k, cx in cells:
        live = k == step
        svg.box(cx - 110, 90, 220, 180, fill=CELL if live else "#fbfbfb", stroke=INK if live else FAINT, radius=14)
    svg.line([(20 if step else 300, lane), (880 if step + 1 < T else 600, lane)], color=color, width=4, arrow=True)
    for k, cx in cells:
        live = k == step
        svg.line([(cx, 320), (cx, 218 if live else 207)], width=2 if live else 1.2, color=INK if live else FAINT,
                 arrow=True)
        svg.text(cx, 338, f"x_{k + 1}: {short(words[k], 24)}", size=13, anchor="middle",
                 color=INK if live else FAINT, weight="bold" if live else "normal")
        if live:
            gate_box(svg, cx, lane - 31, f"h_{k + 1}", "tanh", H[k], True, texts["mean"], w=150)
        else:
            svg.box(cx - 40, lane - 20, 80, 40, stroke=FAINT)
            svg.text(cx, lane + 5, "tanh", size=13, anchor="middle", color=FAINT)
    svg.text(450, 78, texts["memory"].format(value=number(carried)), size=12, anchor="middle", color=color)
    # numbered as the inputs are: x_t (word t) makes h_t from h_(t−1), and h_0 = 0 before the first word
    state_label(svg, 332, lane - 34, f"h_{step}" if step else "h_0 = 0", h_prev, anchor="end", w=64)
    state_label(svg, 568, lane - 34, f"h_{step + 1}", H[step], w=64)
    legend(svg, 385, 20, texts, gates=False)  # a plain RNN has no gate: only signed values
    return svg.render()


def texts(prefix: str) -> dict:
    """The diagram's words for a page, in the session's language."""
    from ui.layout import t

    return {"title": t(f"{prefix}.diagram_title"), "alt": t(f"{prefix}.diagram_alt"), "mean": t("common.diagram_mean"),
            "memory": t(f"{prefix}.diagram_memory"), "gate": t("common.diagram_gate"),
            "signed": t("common.diagram_signed")}


def carried(norms, step: int) -> float:
    """How much the last state still depends on the state this step writes: entry step + 1 of a
    gradient-norm curve (entry t is ‖∂h_T/∂h_t‖, t = 0..T−1), and 1 at the last step itself."""
    return float(norms[step + 1]) if step + 1 < len(norms) else 1.0


def show(svg: str) -> None:
    """Draw a diagram: as an image (an <img> of the SVG), where no script or link can run."""
    import streamlit as st

    st.image(svg, width="content")
