"""The floor: a one-slider page, the baseline every page's timings are divided by."""

import streamlit as st

x = st.slider("x", 0, 100, 50)
st.write(x * 2)
