"""A page that fails as a full disk once made the review page fail: an uncaught sqlite3 error
whose message names a server path. Served by tests/e2e/test_error_details.py with the app's own
.streamlit/config.toml, to see what a viewer is shown."""

import sqlite3
from pathlib import Path

import streamlit as st

st.title("Before the failure")
raise sqlite3.OperationalError(f"database or disk is full: {Path(__file__).resolve()}")
