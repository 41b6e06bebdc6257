"""N app processes behind nginx (deploy/nginx.conf, scripts/workers.py): a browser stays on one
worker for its HTTP requests and its websocket, new browsers spread over the workers, the
learners' work through it has no errors (the load test's learners, a few seconds), and a worker
killed (-9) while an answer is in flight loses at most that answer."""

from __future__ import annotations

import asyncio
import urllib.request
from collections import defaultdict

import pytest

from bench.load_test import classroom, server_problems
from scripts.workers import running_cluster


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    log = tmp_path_factory.mktemp("workers") / "server.log"
    with running_cluster(2, log=log) as running:
        running.log = log
        yield running


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Set-Cookie")


def upstreams(workers) -> dict[str, set[str]]:
    """Worker key -> the workers nginx sent its requests to, from nginx's access log."""
    seen = defaultdict(set)
    for line in (workers.prefix / "access.log").read_text().splitlines():
        key, upstream, _ = line.split(" ", 2)
        seen[key].add(upstream)
    return seen


def test_a_browser_stays_on_one_worker_and_new_browsers_spread_over_both(workers):
    cookies = [get(workers.url + "/").split(";", 1)[0] for _ in range(16)]  # 16 new browsers
    assert all(c.startswith("seqdash_worker=") for c in cookies) and len(set(cookies)) == 16
    for cookie in cookies:
        for path in ("/", "/_stcore/health", "/review", "/_stcore/host-config"):
            get(workers.url + path, cookie)
    seen = upstreams(workers)
    keys = [c.split("=", 1)[1] for c in cookies]
    assert all(len(seen[key]) == 1 for key in keys)  # every request of a browser: one worker
    assert {next(iter(seen[key])) for key in keys} == {u.removeprefix("http://") for u in workers.worker_urls}


def test_learners_through_nginx_work_without_errors_and_spread_over_the_workers(workers):
    tally = asyncio.run(classroom(workers.url, sessions=4, seconds=6, seed=3, sticky=True))
    assert not tally.errors, tally.errors
    assert tally.seconds("move") and tally.seconds("open")
    assert server_problems(workers.log) == []


class Clicker:
    """A learner (bench/load_test.py's) who also presses buttons, as the frontend does (a trigger)."""

    def __init__(self, url: str):
        from bench.load_test import Learner, Tally

        self.tally = Tally()
        self.learner = Learner(url, seed=5, tally=self.tally)
        read = self.learner.read

        def read_buttons(msg):  # the load test's learner keeps sliders and radios; buttons too here
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                kind = element.WhichOneof("type")
                if kind in ("button", "text_input", "multiselect"):
                    proto = getattr(element, kind)
                    self.learner.widgets[proto.id.split("-", 2)[-1]] = (kind, proto, msg.delta.fragment_id)
            return read(msg)

        self.learner.read = read_buttons

    def state(self, key: str, **value):
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        return WidgetState(id=self.learner.widgets[key][1].id, **value)

    async def send(self, *states, wait: bool = True):
        from streamlit.proto.BackMsg_pb2 import BackMsg

        learner = self.learner
        page_hash = learner.hashes.get(learner.paths[learner.page], "")
        if wait:
            assert await learner.rerun("click", learner.client_state(page_hash=page_hash, widgets=states))
            return
        msg = BackMsg()  # sent, not waited for: the answer in flight
        msg.rerun_script.CopyFrom(learner.client_state(page_hash=page_hash, widgets=states))
        await learner.ws.send(msg.SerializeToString())

    async def answer(self, wait: bool = True):
        """Give an answer to the question on screen (right or wrong) and press Check."""
        step = next(k for k in self.learner.widgets if k.startswith("rv_answer_"))
        kind, proto, _ = self.learner.widgets[step]
        if kind == "multiselect":  # put the steps in order: every step, in the order offered
            given = self.state(step)
            given.string_array_value.data.extend(proto.options)
        else:
            given = self.state(step, string_value=proto.options[0] if kind == "radio" else "1")
        await self.send(given, self.state(step.replace("answer", "check"), trigger_value=True), wait=wait)


def answers_saved(url: str) -> tuple[int, list[str]]:
    """(answers counted in every stored card, fields `clean` had to leave out) in the database."""
    import json

    import sqlalchemy as sa

    from core.progress import clean

    engine = sa.create_engine(url)
    with engine.connect() as con:
        rows = list(con.execute(sa.text("SELECT learner, id, card FROM learner_cards")))
    engine.dispose()
    saved, skipped = 0, []
    for learner in {row[0] for row in rows}:
        doc, left_out = clean({"cards": {i: json.loads(c) for who, i, c in rows if who == learner}})
        saved += sum(c["right"] + c["wrong"] for c in doc["cards"].values())
        skipped += left_out
    return saved, skipped


def test_a_worker_killed_mid_answer_loses_at_most_that_answer():
    # three learners, each with a key of their own: two answers saved, the third in flight at kill -9
    async def study(running) -> None:
        for k in range(3):
            clicker = Clicker(running.worker_urls[0])
            assert await clicker.learner.arrive("review")
            await clicker.send(clicker.state("rv_key_create", trigger_value=True))  # progress in the database
            if k < 2:
                await clicker.answer()
                assert answers_saved(running.database_url) == (k + 1, [])
                assert not clicker.tally.errors, clicker.tally.errors
                continue
            await clicker.answer(wait=False)  # in flight when the worker dies
            await asyncio.sleep(0.01)
            running.processes[0].kill()  # kill -9
            running.processes[0].wait(timeout=20)

    with running_cluster(1) as running:
        asyncio.run(study(running))
        saved, skipped = answers_saved(running.database_url)
    assert saved in (2, 3) and skipped == []  # the two before it, whole; the third, whole or not at all
