"""The load test's learners, three of them for a few seconds, so bench/load_test.py cannot silently rot."""

from __future__ import annotations

import asyncio

from bench.load_test import CONTROLS, classroom, server_problems
from scripts.appserver import page_paths, running_app


def test_every_page_in_the_menu_has_a_control_for_the_load_test():
    # a new page joins the load test by naming the widget a learner moves there in CONTROLS
    assert set(CONTROLS) == set(page_paths())


def test_three_learners_open_pages_and_move_controls_without_errors(tmp_path):
    log = tmp_path / "server.log"
    with running_app(log=log) as server:
        tally = asyncio.run(classroom(server.url, sessions=3, seconds=5, seed=1))
    assert not tally.errors, tally.errors
    assert len(tally.seconds("arrive")) == 3
    assert tally.seconds("open") and len(tally.seconds("move")) >= 6
    assert not server_problems(log), server_problems(log)
