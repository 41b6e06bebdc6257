"""Chart builders shared by the pages: Altair templates, compiled once, fed new data on every rerun.

Each chart is a small Altair template (`alt.Chart(alt.NamedData("cells")).mark_rect().encode(...)`) whose
parameters are only what the chart means (its titles, its colour rule, its size in rows), never
the numbers it draws. It is compiled to a Vega-Lite dict once per set of parameters (an
lru_cache; Altair takes ~20 ms to build and serialise a chart, so never per rerun) and validated
against the Vega-Lite schema by the tests, not at run time. The numbers travel as an Arrow table
built straight from NumPy (~0.1 ms a chart, a pandas DataFrame ~0.8 ms). So when a slider moves,
the spec Streamlit sends is byte-identical and only the data changes: the browser then swaps the
data into the Vega view it has instead of building a new one. What used to move with a slider
inside a spec now lives in the data: the outlined row, a rule's position, a log axis' floor, and a
title naming the chosen word (a text mark drawn from the data's `title` column: plain text).

Every chart drawn is also kept for `save_menu()`, which saves it as PNG, SVG (vl-convert, what
Altair's own `save` uses) or the CSV of its numbers, rendering nothing until a button is clicked.
"""

from __future__ import annotations

import copy
import gc
import json
import re
import threading
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import streamlit as st

from core.embeddings import token_sources
from ui.i18n import SUPERSCRIPT_DIGITS, SUPERSCRIPT_MINUS
from ui.layout import current_page, current_run, t
from ui.widgets import matrix_csv

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
# ... so their cells carry no ARIA description: a canvas has no node per cell to put one on, yet
# Vega-Lite would build that string for every cell on every redraw. The tooltip keeps every
# cell's exact value.
NO_ARIA = {"aria": False}
TINY = 1e-12  # joins a signed scale's domain: far below any value a chart shows
# A log axis labels its powers of ten only, with a grid line at every tick between them: Vega ticks a
# span of a few decades at 1…9 times each power, and its overlap rule then kept an uneven few of those
# labels (1e+0, 3e+0, 2e+1, 1e+2, 3e+2). `nice` puts a power of ten at both ends. A label is written
# as the pages write numbers (ui.i18n.number), 10⁻⁵, not d3's 1e-5.
_POWER = "round(log(datum.value) / LN10)"
_DIGITS = "[" + ", ".join(f"'{d}'" for d in SUPERSCRIPT_DIGITS) + "]"
# The colour domain of values tanh bounds (a hidden state, a candidate, a gate times either): its range,
# the one the cell diagrams colour them over (ui/diagrams.py), so that a shade means one value on both.
# Fixed, so the chart's spec stays put while a slider moves the values.
TANH = (-1.0, 1.0)
LOG_AXIS = {"labelExpr": f"abs(log(datum.value) / LN10 - {_POWER}) > 1e-6 ? ''"
                         f" : '10' + ({_POWER} < 0 ? '{SUPERSCRIPT_MINUS}' : '')"
                         f" + (abs({_POWER}) >= 10 ? {_DIGITS}[floor(abs({_POWER}) / 10)] : '')"
                         f" + {_DIGITS}[abs({_POWER}) % 10]"}
# Show every token label rather than dropping alternate ones when they crowd...
# and centre each on its row or column: the browser's Vega drew a band axis's first label flush with
# the axis end, ~4 px off its row, where it touched the next one on a 32-row heatmap.
# A heatmap writes its column labels level when there are this few and each is short (the lab's time
# steps); more would run into each other, so they are turned.
UPRIGHT_COLUMNS = 16
TOKEN_AXIS = {"labelOverlap": False, "labelLimit": 160, "labelFlush": False}
# ... up to this many; past it they would be written over each other, so every other one goes.
MAX_AXIS_LABELS = 64
# A bar chart across the page names every token bar up to this many (the RNN page's longest sentence,
# a Korean one of ~37 morphemes among them): its labels stand at −60°, parallel, ≥ 15 px apart; Vega's
# overlap rule, which compares their upright boxes, dropped every other one past 32 (narrower charts still do).
TOKEN_BARS_LABELLED = 48

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
# (interpolated in RGB, as ui/diagrams.py colours the same values)
SIGNED = {"type": "linear", "domainMid": 0, "range": [NEGATIVE, ZERO, POSITIVE], "interpolate": "rgb"}
# Quantities in [0, 1] (gates, attention weights): one sequential scale, white to dark purple, over
# the whole of [0, 1] so that a colour means the same value on every chart; other non-negative
# quantities use the same colours from 0 to their maximum.
LOW, HIGH = "#fcfbfd", "#3f007d"
COLOUR_SCALE = "color"  # the name Vega-Lite gives the colour scale it compiles (in a layer or a facet alike)
UNIT = {"type": "linear", "domain": [0, 1], "range": [LOW, HIGH], "interpolate": "rgb"}
SEQUENTIAL = {"type": "linear", "zero": True, "range": [LOW, HIGH], "interpolate": "rgb"}
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


# How a token's label says where its vector came from, on every chart, table and picker that
# shows tokens (the pages' notices say what the marks mean: common.marks_fallback / _function).
FALLBACK_MARK = "†"  # after the token: a random vector (no GloVe vector, no gloss)
FUNCTION_MARK = "-"  # before it, as grammar books write them: a particle or ending ("-를", "-지만")


def mark(token: str, source: str, limit: int = MAX_LABEL) -> str:
    """A token as a label shows it: cut to `limit`, "-를" for a particle or ending, "xyz†" for a
    token with a random vector; the marks are never cut off."""
    if source == "fallback":
        return short(token, limit) + FALLBACK_MARK
    if source == "function":
        return FUNCTION_MARK + short(token, limit)
    return short(token, limit)


def marked(tokens, sources=None) -> list[str]:
    """Every token as `mark` shows it (`sources` as core.embeddings.token_sources gives them, looked
    up when not given): the words of a diagram, unnumbered."""
    sources = token_sources(list(tokens)) if sources is None else sources
    return [mark(tok, source) for tok, source in zip(tokens, sources, strict=True)]


def token_labels(tokens, sources=None) -> list[str]:
    """Unique axis labels for tokens, numbered from 1 so repeated words stay apart, and marked
    by where their vectors come from (`marked`)."""
    return numbered(marked(tokens, sources))


def numbered(tokens) -> list[str]:
    """Unique axis labels numbered from 1, unmarked: for a model with a vocabulary and embeddings
    of its own (the date translator), where GloVe's marks say nothing. A token without a letter is
    quoted, so that the 3rd character "2" reads 3 ‘2’, never 3 2 (thirty-two), and a comma 2 ‘,’."""
    return [f"{i + 1} {tok}" if any(c.isalpha() for c in tok) else f"{i + 1} ‘{tok}’" for i, tok in enumerate(tokens)]


def table(**columns) -> pa.Table:
    """An Arrow table from NumPy arrays, lists or Arrow arrays (kept as they are); NaN and ±inf become
    missing values."""
    arrays = {}
    for name, values in columns.items():
        if isinstance(values, pa.Array):
            arrays[name] = values
            continue
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
    padded = M
    if (R * b, C * b) != M.shape:  # a ragged edge: pad with missing cells
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


# ---------------------------------------------------------------------------------------------
# Templates: Altair charts over a named, empty data source, compiled to a Vega-Lite dict once.

CELLS = "cells"  # the named data every template reads: the Arrow table sent beside its spec
GREY_VIEW = {"fill": "#e8e8e8", "stroke": None}  # what a masked (missing) cell shows
OUTLINE = "#111111"
SCALES = {"signed": SIGNED, "unit": UNIT, "sequential": SEQUENTIAL}
HELPER_COLUMNS = {"r", "c", "h", "i", "outline", "floor", "color", "dash", "rule_x", "rule_y", "title"}  # not numbers
TEMPLATES = 256  # compiled specs kept: titles × languages × sizes in rows, far fewer in practice


def _altair():
    """Altair, imported on the first chart compiled, not at startup: the import takes ~0.45 s and the
    home page, where a cold start lands, draws no chart.

    Its objects (~33,000, with what its first chart imports) then join those layout.freeze_startup_objects
    froze at start-up (gc.freeze, once per process): else Streamlit's full collection after every
    run scans them again, ~9 ms a run."""
    import altair

    if not _altair_frozen.is_set():
        _altair_frozen.set()
        altair.Chart().mark_point().to_dict(validate=False)  # what a first chart imports lazily
        gc.freeze()
    return altair


_altair_frozen = threading.Event()


def compile_spec(chart) -> dict:
    """An Altair chart as the Vega-Lite dict Streamlit sends. Not validated here (the tests validate
    every template against the schema); the named data source is dropped, since the data goes
    beside the spec as Arrow."""
    spec = chart.to_dict(validate=False)
    spec.pop("data", None)
    if not spec.get("datasets", True):  # an empty one, as Altair writes for layers: Streamlit would convert it
        del spec["datasets"]
    assert '"data"' not in json.dumps(spec), "only the top-level view may name the data (Streamlit sends it unnamed)"
    return spec


def _title_layer(alt):
    """The chart's title, drawn by Vega from the data's `title` column (set on its first row only):
    plain text, never markup, and data, so a title naming the chosen word leaves the spec unchanged."""
    return alt.Chart().mark_text(align="left", baseline="bottom", fontSize=13, fontWeight="bold").encode(
        x=alt.value(0), y=alt.value(-12), text=alt.Text("title:N")).transform_filter("isValid(datum.title)")


def _symmetric_ends(alt, colour):
    """Two invisible cells at ±max|value|, which join the signed colour scale's domain: the scale is
    symmetric about 0, so +2 is as red as −2 is blue (as in the diagrams). With `domainMid` alone, each
    end was the data's own extreme, and a score of −1 was as dark a blue as +25 was a red. Computed by
    Vega from the data (min and max, no expression per cell), so the spec stays the same as the values
    move and a slider's move redraws in place."""
    return (alt.Chart().mark_rect(**NO_ARIA, opacity=0, width=0, height=0)  # a rect, as the cells: one gradient legend
            .transform_aggregate(low="min(value)", high="max(value)")
            .transform_calculate(peak="max(abs(datum.low), abs(datum.high))")
            .transform_filter("isFinite(datum.peak)")  # no values yet (a chart drawn before its data): no ends
            .transform_calculate(floor="-datum.peak")
            .transform_fold(["peak", "floor"], as_=["end", "value"])
            .encode(x=alt.value(0), y=alt.value(0), color=colour))


def _axis(thin: bool, **extra) -> dict:
    return {**TOKEN_AXIS, "labelOverlap": "parity" if thin else False, **extra}


def _scale_kind(values, diverging: bool) -> str:
    scale = value_scale(values, diverging)
    return next(kind for kind, known in SCALES.items() if known is scale)


@lru_cache(maxsize=TEMPLATES)
def heatmap_spec(x_title: str, y_title: str, value_title: str, scale: str, outline: bool, thin_y: bool,
                 height: int | None = None, side: int | None = None, panel_title: str | None = None,
                 columns: int = 5, titled: bool = False, domain: tuple[float, float] | None = None,
                 upright_x: bool = False, reach: float = TINY) -> dict:
    """heatmap_template() at a size: a size is a shallow copy of the compiled template, microseconds,
    so a sentence of another length does not compile the chart again."""
    spec = heatmap_template(x_title, y_title, value_title, scale, outline, thin_y, panel_title, columns, titled, domain,
                            upright_x, reach)
    if panel_title is None:
        return {**spec, "height": height}
    return {**spec, "spec": {**spec["spec"], "width": side, "height": side}}


@lru_cache(maxsize=TEMPLATES)
def heatmap_template(x_title: str, y_title: str, value_title: str, scale: str, outline: bool, thin_y: bool,
                     panel_title: str | None = None, columns: int = 5, titled: bool = False,
                     domain: tuple[float, float] | None = None, upright_x: bool = False, reach: float = TINY) -> dict:
    """A heatmap's spec: coloured cells with their exact value on hover, over a grey view that masked
    cells (which draw nothing) show; an outline around the rows whose `outline` is true.

    The grey is the view's fill, not a layer of grey cells under the coloured ones, which would
    double the marks the browser draws. With `panel_title` the heatmap is faceted into small
    panels (one per `panel` value, `side` px square, sharing one colour scale). `domain` fixes the
    colour scale's range (a part of the template, so the colours stay put while the values move).
    `upright_x` writes the column labels level (a few short ones, such as time steps), not turned.
    `reach`: a signed scale without a fixed domain spans at least ±reach, further when the values do."""
    alt = _altair()
    tooltip = [alt.Tooltip("row:N", title=y_title), alt.Tooltip("col:N", title=x_title),
               alt.Tooltip("value:Q", title=value_title, format=".4f")]
    if panel_title is not None:
        tooltip.insert(0, alt.Tooltip("panel:N", title=panel_title))
    colours = SCALES[scale]
    if domain is not None:
        colours = {**{k: v for k, v in colours.items() if k != "zero"}, "domain": list(domain)}
    elif scale == "signed":  # never an empty domain, even before the data arrives (Vega's gradient legend fails on one)
        colours = {**colours, "domain": {"unionWith": [-reach, reach]}}
    base = alt.Chart()
    # A masked cell's value is null: Vega-Lite leaves it out by itself (its `invalid` default, "filter",
    # compiles to the filter `isValid(datum["value"]) && isFinite(+datum["value"])`), so the grey shows.
    # A signed scale's legend labels its two ends and 0 (its domain, read by Vega as the values move):
    # Vega's own ticks labelled ±3.808 at its ends but ±27 as "−20, 0, 20", hiding how far it reaches.
    ends = {"values": alt.ExprRef(f"domain('{COLOUR_SCALE}')")} if scale == "signed" else {}
    colour = alt.Color("value:Q", title=value_title, scale=alt.Scale(**colours),
                       legend=alt.Legend(format=".3~f", gradientLength=120, **ends))
    cells = base.mark_rect(**NO_ARIA).encode(color=colour, tooltip=tooltip)
    layers = [cells]
    if scale == "signed" and domain is None:
        layers.append(_symmetric_ends(alt, colour))
    if outline:
        outline_mark = base.mark_rect(**NO_ARIA, fill=None, stroke=OUTLINE, strokeWidth=2)
        layers.append(outline_mark.transform_filter("datum.outline"))
    if titled:
        layers.append(_title_layer(alt))
    chart = alt.layer(*layers, data=alt.NamedData(CELLS)).encode(
        x=alt.X("col:O", sort=alt.EncodingSortField("c", op="min"), title=x_title,
                axis=alt.Axis(labelAngle=0) if upright_x else alt.Undefined),
        y=alt.Y("row:O", sort=alt.EncodingSortField("r", op="min"), title=y_title, axis=alt.Axis(**_axis(thin_y))),
    )
    if panel_title is None:
        chart = chart.properties(height=CELL_PX, autosize=FIT_WIDTH)  # the height is set per size
    else:
        chart = chart.properties(width=CELL_PX, height=CELL_PX).facet(
            facet=alt.Facet("panel:N", title=None, sort=alt.EncodingSortField("h", op="min")), columns=columns)
    return compile_spec(chart.properties(usermeta=CANVAS).configure_view(**GREY_VIEW))


@lru_cache(maxsize=TEMPLATES)
def bar_spec(x_title: str, y_title: str, color: str, log_y: bool, thin: bool, titled: bool = False) -> dict:
    """Bars in the given order with the exact value on hover. `color`: "signed" (by sign, the ends
    of the diverging scale), "unit" (by value, the [0, 1] scale of the heatmaps, each bar outlined in the
    scale's dark end: a weight near 0 is near white, and would vanish on the white page) or "plain"."""
    alt = _altair()
    colors = {
        "signed": alt.condition("datum.value < 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
        "unit": alt.Color("value:Q", scale=alt.Scale(**UNIT), legend=None),
        "plain": alt.value(HIGH),
    }
    y = alt.Y("value:Q", title=y_title)
    if log_y:  # a log scale has no 0 to grow from: bars start at a floor sent with the data
        y = alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log"), axis=alt.Axis(**LOG_AXIS))
    outline = {"stroke": HIGH, "strokeWidth": 1} if color == "unit" else {}
    chart = alt.Chart().mark_bar(**outline).encode(
        x=alt.X("label:O", sort=alt.EncodingSortField("i", op="min"), title=x_title,
                axis=alt.Axis(**_axis(thin, labelAngle=-60))),
        y=y,
        color=colors[color],
        tooltip=[alt.Tooltip("label:N", title=x_title),
                 alt.Tooltip("value:Q", title=y_title, format=".3e" if log_y else ".4f")],
    )
    if log_y:
        chart = chart.encode(y2="floor:Q")
    chart = alt.layer(chart, _title_layer(alt), data=alt.NamedData(CELLS)) if titled else chart.properties(
        data=alt.NamedData(CELLS))
    return compile_spec(chart.properties(height=200, autosize=FIT_WIDTH))


@lru_cache(maxsize=TEMPLATES)
def line_spec(x: str, y: str, series: str, x_title: str, y_title: str, log_x: bool, log_y: bool,
              rule_x: bool, rule_y: bool, points: bool, height: int, titled: bool = False,
              legend_columns: int | None = None, x_integer: bool = False, percent: bool = False) -> dict:
    """One line per `series` value, coloured by the data's `color` column (a model's colour), dashed
    where `dash` says so (references); dashed rules at the data's `rule_x` / `rule_y`; a legend of
    `legend_columns` entries a row; x ticked at whole numbers only when `x_integer`; y (a fraction)
    written as a percentage when `percent`, as the captions beside such a chart write it."""
    alt = _altair()
    # a linear x ends at the data's last point (not "nice": a distance axis ran on to 40 after 36)
    x_enc = alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(type="log", base=2) if log_x else alt.Scale(nice=False),
                  axis=alt.Axis(tickMinStep=1, format="d") if x_integer else alt.Undefined)
    y_axis = alt.Axis(**LOG_AXIS) if log_y else alt.Axis(format=".0%") if percent else alt.Undefined
    y_enc = alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Undefined, axis=y_axis)
    lines = alt.Chart().mark_line(point=points).encode(
        x=x_enc, y=y_enc,
        color=alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=alt.FieldRange("color")),
                        legend=alt.Legend(orient="bottom", labelLimit=400,
                                          columns=legend_columns if legend_columns else alt.Undefined)),
        strokeDash=alt.StrokeDash("dash:N", scale=alt.Scale(domain=["solid", "dashed"], range=[[1, 0], [5, 4]]),
                                  legend=None),
        tooltip=[alt.Tooltip(f"{series}:N"), alt.Tooltip(f"{x}:Q", title=x_title),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=".3g" if log_y else ".1%" if percent else ".3f")],
    )
    layers = [lines]
    rule = alt.Chart().mark_rule(strokeDash=[4, 4], color=REFERENCE)
    if rule_x:
        layers.append(rule.encode(x=alt.X("min(rule_x):Q", title=x_title)))
    if rule_y:
        layers.append(rule.encode(y=alt.Y("min(rule_y):Q", title=y_title)))
    if titled:
        layers.append(_title_layer(alt))
    chart = alt.layer(*layers, data=alt.NamedData(CELLS))
    return compile_spec(chart.properties(height=height, autosize=FIT_WIDTH))


# ---------------------------------------------------------------------------------------------
# Drawing: the cached spec and the data (with its title); and the chart kept for saving.

def titled(data: pa.Table, title: str | None) -> pa.Table:
    """The chart's data with its title in a `title` column, on the first row only (the title layer
    draws one text); each distinct string is sent once."""
    if not title:
        return data
    first = np.arange(data.num_rows) > 0  # True: no title on that row
    return data.append_column("title", pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(data.num_rows, np.int32), mask=first), pa.array([title], pa.string())))


def _draw(spec: dict, data: pa.Table, *, title: str | None, label: str, width: str = "stretch") -> None:
    """Draw a compiled spec with its data (and title), and keep both for save_menu()."""
    data = titled(data, title)
    st.vega_lite_chart(data, spec, width=width)
    _keep(label, spec, data)


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
    name: str | None = None,
    domain: tuple[float, float] | None = None,
    reach: float | None = None,
) -> None:
    """Draw a matrix as a heatmap: rows down, columns across, exact values on hover.

    Missing cells (masked) are drawn grey; `highlight_row` gets a dark outline. Colours follow
    the app's rule: `diverging` for signed values, else the [0, 1] scale when every value lies in
    it. A matrix of more than MAX_CELLS cells is drawn as block averages (blocks), and its legend
    says so. A `title` is shown as plain text above the chart, so it may hold the learner's words.
    `name` labels the chart in the page's save menu (default: the title, else the legend's title).
    `domain` fixes the colour scale's range (default: the values' own; [0, 1] for values in it), e.g.
    attention weights while a model trains, so a near-uniform start looks uniform. `reach`, for signed values
    that mostly lie within ±reach but may exceed it (an LSTM's cell state): the scale spans at least that,
    and further when the values do.
    """
    label = name or title or value_title
    M, row_labels, col_labels, b = blocks(M, row_labels, col_labels)
    if b > 1:
        value_title = t("common.block_mean", title=value_title, b=b)
        highlight_row = None if highlight_row is None else highlight_row // b
    frame = matrix_frame(M, row_labels, col_labels)
    if highlight_row is not None:
        frame = frame.append_column("outline", outline_rows(frame, highlight_row))
    if domain is None:
        kind = _scale_kind(M, diverging)
    else:  # the scale follows the fixed range, never the values, so the spec stays put while they move
        domain = (float(domain[0]), float(domain[1]))
        kind = "signed" if diverging else "unit" if domain == (0.0, 1.0) else "sequential"
    spec = heatmap_spec(x_title, y_title, value_title, kind, highlight_row is not None,
                        len(row_labels) > MAX_AXIS_LABELS,
                        height or int(np.clip(CELL_PX * len(row_labels), 120, 800)), titled=bool(title),
                        domain=None if kind == "unit" else domain,
                        upright_x=len(col_labels) <= UPRIGHT_COLUMNS and all(len(str(c)) <= 3 for c in col_labels),
                        reach=TINY if reach is None else float(reach))
    _draw(spec, frame, title=title, label=label)


def outline_rows(frame: pa.Table, row: int) -> pa.Array:
    """Which cells the outline layer draws: those of `row`. NumPy, not pyarrow.compute, whose first
    call on a thread costs ~0.2 ms (and every script run is a new thread)."""
    return pa.array(frame["r"].to_numpy() == int(row))


def series_style(frame: pa.Table, series: str, colors: dict | None) -> tuple[pa.Array, pa.Array]:
    """Each row's line colour and dash: a series' colour from `colors` ({name: colour}), else the
    next of OTHER_SERIES; a series in the reference grey is dashed. A dictionary-encoded series column
    (series_column: each name once, in order) is read without a Python loop over its rows."""
    column = frame[series].combine_chunks()
    if pa.types.is_dictionary(column.type):
        names, index = column.dictionary.to_pylist(), column.indices.to_numpy()
    else:
        values = column.to_pylist()
        names = list(dict.fromkeys(values))  # in order of appearance
        position = {name: i for i, name in enumerate(names)}
        index = np.array([position[v] for v in values], dtype=np.int32)
    palette = {name: (colors or {}).get(name) or OTHER_SERIES[i % len(OTHER_SERIES)] for i, name in enumerate(names)}
    styles = {"color": [palette[n] for n in names],
              "dash": ["dashed" if palette[n] == REFERENCE else "solid" for n in names]}
    return tuple(_per_row(values, index) for values in styles.values())


def _per_row(per_series: list, index: np.ndarray) -> pa.DictionaryArray:
    """A value per series spread to the rows (index: each row's series), each distinct value sent once."""
    distinct = list(dict.fromkeys(per_series))
    return _labels(distinct, np.array([distinct.index(v) for v in per_series])[index])


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
    title: str | None = None,
    name: str | None = None,
    legend_columns: int | None = None,
    x_integer: bool = False,
    percent: bool = False,
) -> None:
    """Draw one line per `series` value, with points, hover values and optional markers.

    `rule_at` marks an x value, `y_rule_at` a y value (a dashed line); `colors` fixes each
    series' colour ({name: colour}, see model_colors), so that a model keeps its colour from
    chart to chart; a series in the reference grey is drawn dashed. The markers travel in the
    data, so moving them does not change the chart's spec. `legend_columns` lays a long legend
    out in rows of that many entries; `x_integer` ticks x at whole numbers only (a count, such as
    dates in a row); `percent` writes y, a fraction (an accuracy, a chance), as a percentage."""
    color, dash = series_style(frame, series, colors)
    frame = frame.append_column("color", color).append_column("dash", dash)
    for column, at in (("rule_x", rule_at), ("rule_y", y_rule_at)):
        if at is not None:
            frame = frame.append_column(column, pa.array(np.full(frame.num_rows, float(at))))
    spec = line_spec(x, y, series, x_title, y_title, log_x, log_y, rule_at is not None, y_rule_at is not None,
                     points, height, titled=bool(title), legend_columns=legend_columns, x_integer=x_integer,
                     percent=percent)
    _draw(spec, frame, title=title, label=name or title or y_title)


def _log_floor(values) -> float:
    """The power of ten just below the smallest positive value: where bars on a log scale start
    (a log scale has no 0 for them to grow from)."""
    values = np.asarray(values, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    return float(10.0 ** np.floor(np.log10(positive.min()))) if positive.size else 1.0


def bar_chart(labels, values, *, x_title: str, y_title: str, diverging: bool = False,
              title: str | None = None, log_y: bool = False, name: str | None = None, wide: bool = False) -> None:
    """Draw one bar per label, in the given order, with the exact value on hover (`log_y`: a log scale).
    `wide`: the chart spans the page, so every token bar keeps its label up to TOKEN_BARS_LABELLED.

    Signed bars (`diverging`) take the diverging scale's colours by sign; bars of values in [0, 1]
    are coloured by value like the same value on a heatmap."""
    labels = list(labels)
    values = np.asarray(values, dtype=float)
    kind = _scale_kind(values, diverging)
    columns = {"i": np.arange(len(labels), dtype=np.int32), "label": labels, "value": values}
    if log_y:
        columns["floor"] = np.full(len(labels), _log_floor(values))
    # Token labels all stay up to a limit; numbered dimensions (0, 1, 2, …) may drop every other one
    # where they would overlap (a narrow column), which Vega does only if they do.
    labelled = TOKEN_BARS_LABELLED if wide else MAX_AXIS_LABELS // 2
    thin = len(labels) > labelled or all(str(label).isdigit() for label in labels)
    spec = bar_spec(x_title, y_title, {"signed": "signed", "unit": "unit"}.get(kind, "plain"), log_y,
                    thin, titled=bool(title))
    _draw(spec, table(**columns), title=title, label=name or title or y_title)


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
    name: str | None = None,
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
    frame = pa.table({"panel": _labels(panels, h), "h": h.astype(np.int32), "r": r.astype(np.int32),
                      "c": c.astype(np.int32), "row": _labels(labels, r), "col": _labels(labels, c),
                      "value": pa.array(np.where(np.isfinite(stack), stack, np.nan).ravel(), from_pandas=True)})
    if highlight_row is not None:
        frame = frame.append_column("outline", outline_rows(frame, highlight_row))
    side = max(6, min(CELL_PX, 360 // n)) * n
    spec = heatmap_spec(x_title, y_title, value_title, _scale_kind(stack, False), highlight_row is not None,
                        n > MAX_AXIS_LABELS, side=side, panel_title=panel_title, columns=columns)
    _draw(spec, frame, title=None, label=name or value_title, width="content")


# ---------------------------------------------------------------------------------------------
# Saving: every chart a page draws, as PNG, SVG or CSV, rendered only when a button is clicked.

def _kept() -> dict:
    """This session's charts, per page: {page: {"charts": {label: (spec, data)}, "fresh": the
    labels drawn in this run, "run": which run}}.

    Bounded: a chart drawn again replaces itself (same label), and save_menu() drops the charts
    its page did not draw in this run (a fragment's rerun counts as part of the run before it)."""
    run = (current_page(), current_run())
    cached = getattr(_this_run, "kept", None)
    if cached is not None and cached[0] == run:  # a session-state lookup costs ~0.1 ms: once a run
        return cached[1]
    pages = st.session_state.setdefault("_charts_kept", {})
    kept = pages.setdefault(run[0], {"charts": {}, "fresh": set(), "run": None})
    if kept["run"] != run[1]:
        kept["fresh"], kept["run"] = set(), run[1]
    _this_run.kept = (run, kept)
    return kept


_this_run = threading.local()  # each run of a session's script runs on a thread of its own


def _keep(label: str, spec: dict, data: pa.Table) -> None:
    """Keep a chart for the save menu under its label (charts of one page need labels of their own)."""
    kept = _kept()
    kept["charts"][label] = (spec, data)
    kept["fresh"].add(label)


def export_spec(spec: dict, data: pa.Table, width: int = 720) -> dict:
    """A chart's spec with its data inlined (its title is in the data), for rendering outside the browser."""
    spec = copy.deepcopy(spec)
    spec["data"] = {"values": data.to_pylist()}
    if "facet" not in spec:
        spec["width"] = width
    return spec


def chart_png(spec: dict, data: pa.Table) -> bytes:
    """The chart as a PNG at twice the screen's resolution (vl-convert renders Vega-Lite in Rust)."""
    import vl_convert as vlc  # imported on first use: a save is rare, and the import costs ~40 ms

    return vlc.vegalite_to_png(export_spec(spec, data), scale=2)


def chart_svg(spec: dict, data: pa.Table) -> str:
    """The chart as SVG (Vega's SVG renderer escapes every text it draws)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(export_spec(spec, data))


def chart_csv(data: pa.Table) -> bytes:
    """The numbers a chart draws, as CSV: a heatmap as its matrix (a header of column labels, a line
    per row led by its label, empty where masked), any other chart as its data without the columns
    that only place and style marks."""
    if {"r", "c", "row", "col", "value"} <= set(data.column_names) and "panel" not in data.column_names:
        r, c = data["r"].to_numpy(), data["c"].to_numpy()
        M = np.full((r.max() + 1, c.max() + 1), np.nan)
        M[r, c] = data["value"].to_numpy(zero_copy_only=False)
        rows, cols = (data[name].combine_chunks().dictionary.to_pylist() for name in ("row", "col"))
        return matrix_csv(M, rows, cols).encode()
    shown = data.select([c for c in data.column_names if c not in HELPER_COLUMNS])
    shown = shown.cast(pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                                  for f in shown.schema]))
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(shown, sink)
    return sink.getvalue().to_pybytes()


def file_stem(page: str, label: str) -> str:
    """A file name for a chart, after its page and its label: letters and digits of any script, `_` between."""
    words = re.sub(r"\W+", "_", label.lower()).strip("_")[:60].rstrip("_")
    return f"{page}_{words}" if words else page


@st.fragment
def save_menu() -> None:
    """Save any chart of this page: pick it, then PNG, SVG or the CSV of its numbers.

    Call it last on a page. Each button's data is a callable that Streamlit runs only when the
    button is clicked, on the chart as last drawn (a fragment may have redrawn it since); nothing
    is rendered on a rerun. A fragment itself, so opening it or picking a chart reruns only the
    menu; closed (as it starts) it is one toggle, so a page's reruns carry nothing more."""
    kept = _kept()
    for label in set(kept["charts"]) - kept["fresh"]:  # charts this page no longer draws
        del kept["charts"][label]
    charts = kept["charts"]
    if not charts:
        return
    key = f"_{current_page()}_save_chart"
    if not st.toggle(t("common.save_title"), key=f"{key}_open", help=t("common.save_help")):
        return
    if st.session_state.get(key) not in charts:
        st.session_state[key] = next(iter(charts))
    which = st.selectbox(t("common.save_which"), list(charts), key=key)
    stem = file_stem(current_page(), which)
    buttons = st.columns(3, width=480)
    for column, kind, mime, render in (
        (buttons[0], "png", "image/png", lambda: chart_png(*charts[which])),
        (buttons[1], "svg", "image/svg+xml", lambda: chart_svg(*charts[which])),
        (buttons[2], "csv", "text/csv", lambda: chart_csv(charts[which][1])),
    ):
        column.download_button(kind.upper(), render, file_name=f"{stem}.{kind}", mime=mime, on_click="ignore",
                               icon=":material/download:", key=f"{key}_{kind}")


def series_column(names, lengths) -> pa.DictionaryArray:
    """The series column of curves in long form: each name over its curve's length, each sent once."""
    return _labels(names, np.repeat(np.arange(len(names)), lengths))


def curves(x_name: str, x, y_name: str, lines: dict, series: str = "series") -> pa.Table:
    """Several curves over the same x in long form, for line_chart: {line name: y values}."""
    return curves_each(x_name, y_name, {name: (x, y) for name, y in lines.items()}, series)


def curves_each(x_name: str, y_name: str, lines: dict, series: str = "series") -> pa.Table:
    """Curves each over x values of its own, in long form, for line_chart: {line name: (xs, ys)}."""
    xs = [np.asarray(x) for x, _ in lines.values()]
    return table(**{
        x_name: np.concatenate(xs),
        y_name: np.concatenate([np.asarray(y, dtype=float) for _, y in lines.values()]),
        series: series_column(list(lines), [len(x) for x in xs]),
    })
