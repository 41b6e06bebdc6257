"""N app processes behind nginx (deploy/nginx.conf, scripts/workers.py): a browser stays on one
worker for its HTTP requests and its websocket, new browsers spread over the workers, and the
learners' work through it has no errors (the load test's learners, a few seconds)."""

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
