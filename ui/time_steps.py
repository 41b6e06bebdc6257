"""The comparison page's row 2 ("time steps"), measured: an RNN's n dependent steps against
self-attention's one product over all positions, as the sentence grows."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st
from threadpoolctl import threadpool_limits

from core.attention import random_projections, scaled_dot_product_attention
from core.recurrent import init_weights, rnn_forward
from ui import charts
from ui.compute import CACHE_TTL, D_MODEL
from ui.layout import remember, t

LENGTHS = (64, 128, 256, 512, 1024)  # the slider's stops: the longest sequence measured
REPEATS = 7  # the fastest of this many runs (noise on a shared machine only ever adds time)


def _fastest(runs: list) -> np.ndarray:
    """The fastest of REPEATS timings of each run, taken in rounds over all of them, so that a
    burst of load on the machine slows one round of every length rather than one length."""
    best = np.full(len(runs), np.inf)
    with threadpool_limits(1, user_api="blas"):  # one core for both: the same hardware, no parallel help
        for _ in range(REPEATS):
            for i, run in enumerate(runs):
                start = time.perf_counter()
                run()
                best[i] = min(best[i], time.perf_counter() - start)
    return best


@st.cache_data(max_entries=len(LENGTHS), ttl=CACHE_TTL, show_spinner=False)
def measure(n_max: int) -> dict:
    """Dependent steps and measured seconds for n = 4, 8, …, n_max tokens (random 50-d inputs, seed 0).

    RNN: a tanh cell of hidden size 50 (PyTorch's initialisation): h_t needs h_{t-1}, so n steps run
    one after another. Self-attention: d_k = 50 random projections: Q Kᵀ scores every pair in one
    product, softmax, then A V; three operations whatever n is, none waiting for another position.
    Returns dict of (len,) arrays: n, rnn_steps, attention_steps, rnn_seconds, attention_seconds.
    """
    ns = 2 ** np.arange(2, int(np.log2(n_max)) + 1)
    X = np.random.default_rng(0).standard_normal((int(ns[-1]), D_MODEL))
    w = init_weights("rnn", D_MODEL, D_MODEL, 0)
    W_q, W_k, W_v = random_projections(D_MODEL, D_MODEL, 0)
    seconds = _fastest([lambda n=n: rnn_forward(X[:n], None, **w) for n in ns]
                       + [lambda n=n: scaled_dot_product_attention(X[:n] @ W_q, X[:n] @ W_k, X[:n] @ W_v) for n in ns])
    return {"n": ns, "rnn_steps": ns.astype(float), "attention_steps": np.ones(len(ns)),
            "rnn_seconds": seconds[:len(ns)], "attention_seconds": seconds[len(ns):]}


def section() -> None:
    """Row 2 of the notes' table as a measurement, with its own slider (a fragment: it reruns alone)."""
    st.subheader(t("cmp_time.title"))
    st.markdown(t("cmp_time.explain"))
    _measured()


@st.fragment
def _measured() -> None:
    remember("cmp_time_n", 256, options=LENGTHS)
    n_max = st.select_slider(t("cmp_time.n_max"), LENGTHS, key="cmp_time_n")
    m = measure(int(n_max))
    rnn, attn = t("cmp.series_rnn"), t("cmp.series_self")
    colors = charts.model_colors({rnn: "rnn", attn: "self_attention"})  # the app's colour for each model
    left, right = st.columns(2)
    with left:
        charts.line_chart(charts.curves("n", m["n"], "steps", {rnn: m["rnn_steps"], attn: m["attention_steps"]}),
                          x="n", y="steps", series="series", x_title=t("cmp_time.axis_n"),
                          y_title=t("cmp_time.axis_steps"), log_x=True, log_y=True, colors=colors,
                          legend_columns=1,  # half the page wide: one entry a row, never cut
                          title=t("cmp_time.chart_steps"))
    with right:
        ms = {rnn: m["rnn_seconds"] * 1e3, attn: m["attention_seconds"] * 1e3}
        charts.line_chart(charts.curves("n", m["n"], "ms", ms), x="n", y="ms", series="series",
                          x_title=t("cmp_time.axis_n"), y_title=t("cmp_time.axis_ms"), log_x=True, log_y=True,
                          colors=colors, legend_columns=1, title=t("cmp_time.chart_ms"))
    c1, c2, c3 = st.columns(3)
    n = int(m["n"][-1])
    c1.metric(t("cmp_time.rnn_steps", n=n), f"{n:,}")
    c2.metric(t("cmp_time.attention_steps", n=n), "1")
    c3.metric(t("cmp_time.per_step", n=n), f"{m['rnn_seconds'][-1] / n * 1e6:.1f} µs")
    st.caption(t("cmp_time.caption", repeats=REPEATS, rnn_ms=f"{m['rnn_seconds'][-1] * 1e3:.2f}",
                 attention_ms=f"{m['attention_seconds'][-1] * 1e3:.2f}", n=n))
