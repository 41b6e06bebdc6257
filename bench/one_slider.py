"""The floor: a one-slider page, the baseline every page's timings are divided by.

It freezes the objects alive at its first run (gc.freeze), as every page of the app does
(ui/layout.py): else Streamlit's full collection after each run, which scans them, would
make the floor ~25 ms on a server, and every page would look cheap next to it."""

import gc

import streamlit as st

if not gc.get_freeze_count():
    gc.freeze()
x = st.slider("x", 0, 100, 50, key="x")
st.write(x * 2)
