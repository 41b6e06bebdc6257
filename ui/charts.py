"""Chart builders shared by the pages: Vega-Lite specs written as plain dicts.

Plain dicts, not Altair objects, because the pages redraw on every slider move and
Altair's validation costs ~25 ms a chart; a dict costs microseconds. Data travels
as an Arrow table built straight from NumPy (a pandas DataFrame would cost ~0.8 ms
a chart to build and convert; this ~0.1 ms), never inside the spec.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import streamlit as st

from ui.layout import t

MAX_LABEL = 14
CELL_PX = 22
# Past this many cells a heatmap shows block averages instead: Vega draws each cell as a mark,
# and past ~10,000 marks a chart takes seconds to draw (256 tokens make 65,536 attention cells).
MAX_CELLS = 4096
# Fit the width to the page but keep the height for the plot itself: with Streamlit's
# default ("fit"), rotated axis labels eat into the height and rows lose their labels.
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}
# Heatmaps are drawn on a canvas, not as SVG: one SVG node per cell made the browser's redraw
# of a page of heatmaps about twice as slow (bench/bench_browser.py's profile).
CANVAS = {"embedOptions": {"renderer": "canvas"}}
# Show every token label rather than dropping alternate ones when they crowd...
TOKEN_AXIS = {"labelOverlap": False, "labelLimit": 160}
# ... up to this many; past it they would be written over each other, so every other one goes.
MAX_AXIS_LABELS = 64

# One colour language for the whole app, stated here once and used by every chart of every page.
# A model keeps its colour wherever it is drawn (lines, legends, diagrams):
MODEL_COLORS = {
    "rnn": "#e6550d",             # orange
    "lstm": "#31a354",            # green
    "gru": "#17a2b8",             # teal
    "self_attention": "#c51b7d",  # magenta
    "attention": "#8c564b",       # brown
    "fixed_context": "#7f7f7f",   # grey
}
REFERENCE = "#555555"  # a trend or reference curve that is no model's output: dark grey, dashed
# Signed values (states, scores, vectors): one diverging rule on heatmaps and bars alike,
# negative blue, zero white, positive red; the same sign is always the same colour.
NEGATIVE, ZERO, POSITIVE = "#2166ac", "#f7f7f7", "#b2182b"
SIGNED = {"type": "linear", "domainMid": 0, "range": [NEGATIVE, ZERO, POSITIVE]}
# Quantities in [0, 1] (gates, attention weights): one sequential scale, white to dark purple, over
# the whole of [0, 1] so that a colour means the same value on every chart; other non-negative
# quantities use the same colours from 0 to their maximum.
LOW, HIGH = "#fcfbfd", "#3f007d"
UNIT = {"type": "linear", "domain": [0, 1], "range": [LOW, HIGH]}
SEQUENTIAL = {"type": "linear", "zero": True, "range": [LOW, HIGH]}
# Series that are neither a model nor a reference, in the order they come
OTHER_SERIES = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"]


def model_colors(series: dict) -> dict:
    """{series name: model key} to {series name: colour} for line_chart; a key that names no model
    (e.g. "reference") gets the reference grey."""
    return {name: MODEL_COLORS.get(model, REFERENCE) for name, model in series.items()}


def value_scale(values, diverging: bool) -> dict:
    """The colour scale for these values: SIGNED when `diverging`, UNIT when every finite value
    lies in [0, 1], else SEQUENTIAL from 0."""
    if diverging:
        return SIGNED
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return UNIT if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1) else SEQUENTIAL


def token_axis(labels, limit: int = MAX_AXIS_LABELS, **extra) -> dict:
    """An axis that shows every label of a list of up to `limit`, and as many as fit of a longer one."""
    overlap = False if len(labels) <= limit else "parity"
    return {**TOKEN_AXIS, "labelOverlap": overlap, **extra}


def short(label: str, limit: int = MAX_LABEL) -> str:
    """A label cut to fit an axis, marked with an ellipsis when cut."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def token_labels(tokens) -> list[str]:
    """Unique axis labels for tokens, numbered from 1 so repeated words stay apart."""
    return [f"{i + 1} {short(tok)}" for i, tok in enumerate(tokens)]


def table(**columns) -> pa.Table:
    """An Arrow table from NumPy arrays or lists; NaN and ±inf become missing values."""
    arrays = {}
    for name, values in columns.items():
        values = np.asarray(values)
        if values.dtype.kind == "f":
            values = np.where(np.isfinite(values), values, np.nan)
            arrays[name] = pa.array(values, from_pandas=True)  # NaN -> null
        elif values.dtype.kind in "iub":
            arrays[name] = pa.array(values)
        else:
            arrays[name] = pa.array(values.astype(object), pa.string())
    return pa.table(arrays)


def _labels(labels, index: np.ndarray) -> pa.DictionaryArray:
    """Labels per cell, dictionary-encoded: each distinct string sent once, not once a cell."""
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)),
                                          pa.array([str(x) for x in labels], pa.string()))


def blocks(M, row_labels, col_labels, max_cells: int = MAX_CELLS):
    """M averaged over square blocks of b×b cells, b the smallest that leaves at most `max_cells`.

    A block's value is the mean of its finite cells (NaN if it has none: all masked); its label
    names the first and last row (column) it covers. Returns (M, row labels, column labels, b);
    b = 1 (M unchanged) when M is small enough.
    """
    M = np.asarray(M, dtype=float)
    rows, cols = M.shape
    b = 1
    while -(-rows // b) * -(-cols // b) > max_cells:
        b += 1
    if b == 1:
        return M, list(row_labels), list(col_labels), 1
    R, C = -(-rows // b), -(-cols // b)
    padded = np.full((R * b, C * b), np.nan)
    padded[:rows, :cols] = M
    cells = padded.reshape(R, b, C, b)
    finite = np.isfinite(cells)
    count = finite.sum(axis=(1, 3))
    total = np.where(finite, cells, 0.0).sum(axis=(1, 3))
    means = np.divide(total, count, out=np.full((R, C), np.nan), where=count > 0)
    return means, _block_labels(row_labels, b), _block_labels(col_labels, b), b


def _block_labels(labels, b: int) -> list[str]:
    labels = [str(x) for x in labels]
    return [labels[i] if min(i + b, len(labels)) - i == 1 else
            f"{short(labels[i], 10)} – {short(labels[min(i + b, len(labels)) - 1], 10)}"
            for i in range(0, len(labels), b)]


def matrix_frame(M, row_labels, col_labels) -> pa.Table:
    """A matrix in long form: one row per cell, with its row/column index and label.

    Entries that are not finite (-inf from a mask) become missing values.
    """
    M = np.asarray(M, dtype=float)
    n_rows, n_cols = M.shape
    r, c = np.divmod(np.arange(n_rows * n_cols, dtype=np.int32), n_cols)  # row-major, like M.ravel()
    values = np.where(np.isfinite(M), M, np.nan).ravel()
    return pa.table({"r": r, "c": c, "row": _labels(row_labels, r), "col": _labels(col_labels, c),
                     "value": pa.array(values, from_pandas=True)})


def _cells(values, row_labels, col_labels, *, x_title: str, y_title: str, value_title: str,
           diverging: bool, highlight_row: int | None, tooltip_first=()) -> dict:
    """The encoding, layers and view every heatmap shares: coloured cells with their exact value
    on hover over a grey view (masked cells, which draw nothing, show it), a legend marking the
    exact value range, and an outline around `highlight_row`.

    The grey is the view's fill, not a layer of grey cells under the coloured ones: that
    would double the marks the browser draws (Vega's time grows with them)."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    scale = value_scale(values, diverging)
    legend_marks = sorted({lo, hi} | ({0.0} if diverging and lo < 0 < hi else set()))
    layers = [
        {
            "mark": {"type": "rect"},
            "transform": [{"filter": "isValid(datum.value) && isFinite(datum.value)"}],
            "encoding": {
                "color": {"field": "value", "type": "quantitative", "title": value_title, "scale": scale,
                          "legend": {"values": legend_marks, "format": ".3~f", "gradientLength": 120}},
                "tooltip": [
                    *tooltip_first,
                    {"field": "row", "title": y_title},
                    {"field": "col", "title": x_title},
                    {"field": "value", "title": value_title, "format": ".4f"},
                ],
            },
        },
    ]
    if highlight_row is not None:
        layers.append({
            "mark": {"type": "rect", "fill": None, "stroke": "#111", "strokeWidth": 2},
            "transform": [{"filter": f"datum.r == {int(highlight_row)}"}],
        })
    return {
        "encoding": {
            "x": {"field": "col", "type": "ordinal", "sort": list(col_labels), "title": x_title},
            "y": {"field": "row", "type": "ordinal", "sort": list(row_labels), "title": y_title,
                  "axis": token_axis(row_labels)},
        },
        "layer": layers,
        "config": {"view": {"fill": "#e8e8e8", "stroke": None}},
    }


def heatmap(
    M,
    row_labels,
    col_labels,
    *,
    x_title: str,
    y_title: str,
    value_title: str,
    highlight_row: int | None = None,
    diverging: bool = False,
    height: int | None = None,
    title: str | None = None,
) -> None:
    """Draw a matrix as a heatmap: rows down, columns across, exact values on hover.

    Missing cells (masked) are drawn grey; `highlight_row` gets a dark outline. A matrix
    of more than MAX_CELLS cells is drawn as block averages (blocks), and its legend says so.
    A `title` is drawn by Vega as plain text, so it may hold the learner's words.
    """
    M, row_labels, col_labels, b = blocks(M, row_labels, col_labels)
    if b > 1:
        value_title = t("common.block_mean", title=value_title, b=b)
        highlight_row = None if highlight_row is None else highlight_row // b
    spec = {
        "usermeta": CANVAS,
        "title": title or "",
        "height": height or int(np.clip(CELL_PX * len(row_labels), 120, 800)),
        "autosize": FIT_WIDTH,
        **_cells(M, row_labels, col_labels, x_title=x_title, y_title=y_title,
                 value_title=value_title, diverging=diverging, highlight_row=highlight_row),
    }
    st.vega_lite_chart(matrix_frame(M, row_labels, col_labels), spec, width="stretch")


def line_chart(
    frame: pa.Table,
    *,
    x: str,
    y: str,
    series: str,
    x_title: str,
    y_title: str,
    log_x: bool = False,
    log_y: bool = False,
    rule_at: float | None = None,
    y_rule_at: float | None = None,
    colors: dict | None = None,
    points: bool = True,
    height: int = 260,
) -> None:
    """Draw one line per `series` value, with points, hover values and optional markers.

    `rule_at` marks an x value, `y_rule_at` a y value (a dashed line); `colors` fixes each
    series' colour ({name: colour}), so that a cell keeps its colour from chart to chart."""
    x_enc = {"field": x, "type": "quantitative", "title": x_title}
    if log_x:
        x_enc["scale"] = {"type": "log", "base": 2}
    y_enc = {"field": y, "type": "quantitative", "title": y_title}
    if log_y:
        y_enc["scale"] = {"type": "log"}
        y_enc["axis"] = {"format": ".0e"}
    layers = [
        {
            "mark": {"type": "line", "point": points},
            "encoding": {
                "x": x_enc,
                "y": y_enc,
                "color": {"field": series, "type": "nominal", "title": None,
                          "scale": {"domain": list(colors), "range": list(colors.values())} if colors
                          else {"range": OTHER_SERIES},
                          "legend": {"orient": "bottom", "labelLimit": 400}},
                "tooltip": [
                    {"field": series, "type": "nominal"},
                    {"field": x, "type": "quantitative", "title": x_title},
                    {"field": y, "type": "quantitative", "title": y_title, "format": ".3g" if log_y else ".3f"},
                ],
            },
        }
    ]
    if rule_at is not None:
        layers.append(
            {
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": REFERENCE},
                "encoding": {"x": {"datum": float(rule_at), "type": "quantitative"}},
            }
        )
    if y_rule_at is not None:
        layers.append(
            {
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": REFERENCE},
                "encoding": {"y": {"datum": float(y_rule_at), "type": "quantitative"}},
            }
        )
    spec = {"height": height, "autosize": FIT_WIDTH, "layer": layers}
    st.vega_lite_chart(frame, spec, width="stretch")


def _log_floor(values) -> float:
    """The power of ten just below the smallest positive value: where bars on a log scale start
    (a log scale has no 0 for them to grow from)."""
    values = np.asarray(values, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    return float(10.0 ** np.floor(np.log10(positive.min()))) if positive.size else 1.0


def bar_chart(labels, values, *, x_title: str, y_title: str, diverging: bool = False,
              title: str | None = None, log_y: bool = False) -> None:
    """Draw one bar per label, in the given order, with the exact value on hover (`log_y`: a log scale)."""
    labels = list(labels)
    frame = table(label=labels, value=np.asarray(values, dtype=float))
    color = {"value": HIGH}
    if value_scale(values, diverging) is UNIT:  # weights and gates: the colour of the same value on a heatmap
        color = {"field": "value", "type": "quantitative", "scale": UNIT, "legend": None}
    elif diverging:
        color = {"condition": {"test": "datum.value < 0", "value": NEGATIVE}, "value": POSITIVE}
    spec = {
        "title": title or "",
        "height": 200,
        "autosize": FIT_WIDTH,
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "label", "type": "ordinal", "sort": labels, "title": x_title,
                  "axis": token_axis(labels, limit=MAX_AXIS_LABELS // 2, labelAngle=-60)},
            "y": {"field": "value", "type": "quantitative", "title": y_title,
                  **({"scale": {"type": "log"}, "axis": {"format": ".0e"}} if log_y else {})},
            **({"y2": {"datum": _log_floor(values)}} if log_y else {}),
            "color": color,
            "tooltip": [
                {"field": "label", "title": x_title},
                {"field": "value", "title": y_title, "format": ".3e" if log_y else ".4f"},
            ],
        },
    }
    st.vega_lite_chart(frame, spec, width="stretch")


def heatmap_grid(
    stack,
    labels,
    *,
    x_title: str,
    y_title: str,
    value_title: str,
    panel_title: str,
    highlight_row: int | None = None,
    columns: int = 5,
) -> None:
    """Draw a stack of square matrices (one per head) as small heatmaps sharing a colour scale."""
    stack = np.asarray(stack, dtype=float)
    num_panels = stack.shape[0]
    budget = max(64, MAX_CELLS // num_panels)  # the same cell budget as one heatmap, over all panels
    averaged = [blocks(panel, labels, labels, budget) for panel in stack]
    b = averaged[0][3]
    if b > 1:
        stack, labels = np.stack([m for m, *_ in averaged]), averaged[0][1]
        value_title = t("common.block_mean", title=value_title, b=b)
        highlight_row = None if highlight_row is None else highlight_row // b
    n = stack.shape[1]
    panels = [f"{panel_title} {h + 1}" for h in range(num_panels)]
    h, r, c = np.unravel_index(np.arange(stack.size, dtype=np.int32), stack.shape)  # like stack.ravel()
    frame = pa.table({"panel": _labels(panels, h), "r": r.astype(np.int32), "c": c.astype(np.int32),
                      "row": _labels(labels, r), "col": _labels(labels, c), "value": stack.ravel()})
    side = max(6, min(CELL_PX, 360 // n)) * n
    cells = _cells(stack, labels, labels, x_title=x_title, y_title=y_title, value_title=value_title,
                   diverging=False, highlight_row=highlight_row,
                   tooltip_first=[{"field": "panel", "title": panel_title}])
    config = cells.pop("config")  # Vega-Lite takes a config at the top only, not in a facet's spec
    spec = {
        "facet": {"field": "panel", "type": "nominal", "title": None, "sort": panels},
        "columns": columns,
        "spec": {"width": side, "height": side, **cells},
        "config": config,
        "usermeta": CANVAS,
    }
    st.vega_lite_chart(frame, spec, width="content")


def curves(x_name: str, x, y_name: str, lines: dict, series: str = "series") -> pa.Table:
    """Several curves over the same x in long form, for line_chart: {line name: y values}."""
    x = np.asarray(x)
    return table(**{
        x_name: np.tile(x, len(lines)),
        y_name: np.concatenate([np.asarray(y, dtype=float) for y in lines.values()]),
        series: [name for name in lines for _ in range(len(x))],
    })
