"""The floor: a one-slider page, the baseline every page's timings are divided by.

Plain Streamlit and nothing else. It used to freeze the objects alive at its first run, guarded by
`gc.get_freeze_count()`; but that call walks the whole permanent generation (~90,000 objects on a
server, ~6 ms), so the guard made every run of the floor ~6 ms slower, and every page look cheaper
next to it. The app's config turns Streamlit's collection after every run off (runner.postScriptGC),
so a plain page pays no full collection either way."""

import streamlit as st

x = st.slider("x", 0, 100, 50, key="x")
st.write(x * 2)
