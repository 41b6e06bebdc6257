"""The load test's learners, three of them for a few seconds, so bench/load_test.py cannot silently rot."""

from __future__ import annotations

import asyncio

from bench.load_test import CONTROLS, Learner, Tally, classroom, server_problems, shared_controls
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


def test_controls_in_this_version_are_found_in_its_code():
    # --against keeps the pages whose control an older version's code names: this version names them all
    assert shared_controls("HEAD") == CONTROLS


def test_the_sliders_that_redraw_a_section_rerun_only_their_fragment():
    """The RNN's radius and the LSTM's and GRU's gate biases sit in a fragment with what they change:
    the browser then asks the server to rerun that fragment alone, not the page and its menu."""

    async def visit() -> dict:
        tally = Tally()
        learner = Learner(server.url, seed=0, tally=tally)
        found = {}
        for i, (page, key) in enumerate((("rnn", "rnn_radius"), ("lstm", "lstm_forget_bias"),
                                         ("gru", "gru_update_bias"))):
            assert await (learner.arrive(page) if i == 0 else learner.open(page)), tally.errors
            found[key] = learner.widgets[key][2]  # the id of the fragment that draws it
            assert await learner.move(key), tally.errors
        await learner.leave()
        return found

    with running_app() as server:
        fragments = asyncio.run(visit())
    assert all(fragments.values()), fragments
