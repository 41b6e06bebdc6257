"""Ten charts of the kinds the pages draw, redrawn by one slider that changes only their data.

bench/bench_pages.py times its rerun against the one-slider page: the charts' own cost per rerun
(building the data, the spec, sending both), with none of the pages' other elements. It uses only
ui/charts.py's public functions, so the same script times any version of them.
"""

import numpy as np
import streamlit as st

from ui import charts
from ui.layout import start_run

start_run("bench")  # as every page's page() does, without its menu
n, d = 12, 8
scale = st.slider("scale", 0.1, 5.0, 1.0, step=0.1)
rng = np.random.default_rng(0)
tokens = charts.token_labels("the animal did not cross the street because it was too tired".split())
S = rng.normal(size=(n, n)) * scale  # scores: signed
A = np.exp(S - S.max(axis=1, keepdims=True))
A /= A.sum(axis=1, keepdims=True)  # weights: in [0, 1]
V = rng.normal(size=(n, d))
dims = [str(j) for j in range(d)]
for M, cols, title, diverging in ((S, tokens, "score", True), (S / np.sqrt(d), tokens, "scaled score", True),
                                  (A, tokens, "weight", False), (A[:, :d] @ V[:d], dims, "output", True),
                                  (V, dims, "value", True), (A[3:4].T * V, dims, "weighted value", True)):
    charts.heatmap(M, tokens, cols, x_title="key", y_title="query", value_title=title, diverging=diverging,
                   highlight_row=3, title=f"for {tokens[3]}")
charts.bar_chart(tokens, A[3], x_title="key", y_title="weight", title=f"for {tokens[3]}")
charts.bar_chart(dims, (A @ V)[3], x_title="dimension", y_title="z", diverging=True, title=f"for {tokens[3]}")
charts.line_chart(charts.curves("distance", np.arange(1, n + 1), "norm", {"RNN": scale ** -np.arange(n),
                                                                            "trend": 0.9 ** np.arange(n)}),
                  x="distance", y="norm", series="series", x_title="distance", y_title="norm", log_y=True,
                  rule_at=3)
charts.heatmap_grid(np.stack([A, A.T]), tokens, x_title="key", y_title="query", value_title="weight",
                    panel_title="head", highlight_row=3)
