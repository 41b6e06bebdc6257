"""A classroom under load: many learners on one server, over Streamlit's own websocket protocol.

    python bench/load_test.py                    # 30 learners for 60 s: print the table
    python bench/load_test.py --readme           # also write it into README.md
    python bench/load_test.py --sessions 10 --seconds 20
    python bench/load_test.py --sessions 60 --workers 2   # N processes behind nginx (scripts/workers.py)
    python bench/load_test.py --against 16c8e30 --sessions 15   # an older version, then this one

Each learner says to the server what a browser tab says, without the browser (30 Chromium
renderers on a 2-core machine would measure the browser, not the server). It opens
ws://127.0.0.1:PORT/_stcore/stream, sends the `rerun_script` BackMsgs the frontend sends (a
page opened by its URL, a page link followed, a widget moved) and reads the ForwardMsgs back.
It opens a random page, moves that page's control a few times with a short think time, opens
another page, and so on until its time is up. A rerun's latency runs from sending the BackMsg
to receiving `script_finished`. An error is an exception element, a run that does not finish
successfully, a page not found, a control missing from its page, a closed socket, or a run
slower than the timeout.

First one learner works alone (the baseline); then the learners arrive ten at a time, the
server's memory measured after each group, and all of them work at once for the set time.

With `--workers N` the server is scripts/workers.py's: N app processes behind nginx with sticky
sessions, progress in PostgreSQL; each learner first loads the page over HTTP as a browser does
(taking nginx's worker cookie) and opens its websocket with that cookie. Memory and CPU are then
the sum over the N workers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.readme import machine, write_section  # noqa: E402
from scripts.appserver import cpu_seconds as process_cpu  # noqa: E402
from scripts.appserver import page_paths, running_app  # noqa: E402
from scripts.appserver import rss_mb as process_rss  # noqa: E402
from scripts.workers import running_cluster  # noqa: E402

# What a learner moves on each page: the widget's key, or a key prefix ending in "_".
CONTROLS = {
    "home": "lang_choice",
    "rnn": "rnn_radius",
    "lstm": "lstm_forget_bias",
    "gru": "gru_update_bias",
    "seq2seq_attention": "s2s_model",
    "self_attention": "sa_temperature",
    "attention_vs_self_attention": "cmp_radius",
    "review": "rv_answer_",  # the answer to the question on screen
    # the loss curves' gap, outside the settings form; pressing Train (seconds of training per run)
    # is a different load from a classroom moving sliders, and is left out
    "memory_lab": "lab_loss_lag",
}
WIDGETS = ("slider", "button_group", "radio", "selectbox", "number_input")  # the element types a learner moves
THINK = (0.2, 1.0)  # seconds a learner looks at the page before the next move
MOVES = (2, 4)  # moves on a page before opening another
RUN_TIMEOUT = 30.0  # seconds; a run slower than this counts as an error
GROUP = 10  # learners arriving together
TARGET = 5.0  # p95 of a rerun under load within 5x one learner's alone
PROBLEM = re.compile(r"traceback|error|exception|warning", re.I)  # a server log line worth reporting
REDACTED = "This app has encountered an error"  # the start of an exception's message under showErrorDetails = false


@cache
def paths() -> dict[str, str]:
    """Page key -> URL path, from the menu (ui/layout.py NAV)."""
    return page_paths()


@dataclass
class Tally:
    """What the learners saw: (kind, page, seconds) for every finished run, and errors by kind."""

    runs: list[tuple[str, str, float]] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    def seconds(self, kind: str, page: str | None = None) -> list[float]:
        return [s for k, p, s in self.runs if k == kind and page in (None, p)]


class Learner:
    """One browser tab's conversation with the server."""

    def __init__(self, url: str, seed: int, tally: Tally, sticky: bool = False, controls: dict = CONTROLS):
        self.origin = url
        self.controls = controls  # page key -> what this learner moves there: the pages it visits
        self.sticky, self.cookie = sticky, None  # behind nginx: its worker cookie, from a first HTTP load
        self.ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.rng = random.Random(seed)
        self.tally = tally
        self.paths = paths()  # page key -> URL path
        self.locale = self.rng.choice(("en-US", "ko-KR"))
        self.query = f"lang={self.locale[:2]}"  # the address bar's query string, as the server last set it
        self.page = ""  # the page key on screen
        self.hashes: dict[str, str] = {}  # URL path -> page script hash, from the navigation message
        self.on_screen = ""  # the hash of the page the server ran last
        # user key -> (element type, proto, the id of the fragment drawing it or ""), from the last run
        self.widgets: dict[str, tuple[str, object, str]] = {}
        self.sent: dict[str, object] = {}  # user key -> the value this learner last gave it
        self.fragment_run = ""  # the fragment the run under way reruns ("": the whole page)
        self.cached: dict[str, str] = {}  # hash -> element type of the cacheable messages (the frontend's cache)
        self.ws = None

    async def arrive(self, page: str) -> bool:
        """Connect and open `page` by its URL, as a new tab does."""
        await self.leave()
        try:
            if self.sticky and self.cookie is None:  # the page's HTML first, as a browser loads it
                response = await asyncio.to_thread(urllib.request.urlopen, self.origin + "/", timeout=RUN_TIMEOUT)
                self.cookie = response.headers["Set-Cookie"].split(";", 1)[0]
            self.ws = await connect(self.ws_url, origin=self.origin, max_size=None, open_timeout=RUN_TIMEOUT,
                                    subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"],
                                    additional_headers={"Cookie": self.cookie} if self.cookie else None)
        except (OSError, TimeoutError, InvalidHandshake) as e:
            self.tally.errors[f"cannot connect ({type(e).__name__})"] += 1
            return False
        self.page = page
        return await self.rerun("arrive", self.client_state(page_name=self.paths[page]))

    async def open(self, page: str) -> bool:
        """Follow the menu's link to `page` (st.page_link: the page's hash, the language in the query)."""
        if self.ws is None:
            return await self.arrive(page)
        self.page = page
        self.query = f"lang={urllib.parse.parse_qs(self.query).get('lang', ['en'])[0]}"
        return await self.rerun("open", self.client_state(page_hash=self.hashes.get(self.paths[page], "")))

    async def move(self, wanted: str | None = None) -> bool:
        """Move the page's control (or the widget with user key `wanted`) to another value."""
        wanted = wanted or self.controls[self.page]
        found = [(key, *drawn) for key, drawn in self.widgets.items()
                 if key == wanted or (wanted.endswith("_") and key.startswith(wanted))]
        if not found:
            self.tally.errors[f"no {wanted} on {self.page}"] += 1
            return False
        key, kind, proto, fragment = found[0]
        state = self.moved(key, kind, proto)
        # a widget inside a fragment reruns only that fragment, as the frontend asks for it
        return await self.rerun("move", self.client_state(page_hash=self.hashes.get(self.paths[self.page], ""),
                                                          widgets=[state], fragment=fragment))

    def moved(self, key: str, kind: str, proto) -> WidgetState:
        """The widget's state with a new value, as the frontend sends it."""
        state = WidgetState(id=proto.id)
        if kind == "slider" and proto.options:  # st.select_slider: the options' labels
            current = self.sent.get(key, proto.options[int(proto.default[0])])
            value = self.rng.choice([o for o in proto.options if o != current] or list(proto.options))
            state.string_array_value.data.append(value)
        elif kind == "slider":
            steps = round((proto.max - proto.min) / proto.step)
            values = [round(proto.min + i * proto.step, 9) for i in range(steps + 1)]
            value = self.rng.choice([v for v in values if v != self.sent.get(key, proto.default[0])] or values)
            state.double_array_value.data.append(value)
        elif kind in ("radio", "selectbox"):
            value = self.rng.choice([o for o in proto.options if o != self.sent.get(key)] or list(proto.options))
            state.string_value = value
        elif kind == "number_input":  # a few values above its lowest
            value = float(self.rng.choice([v for v in range(int(proto.min), int(min(proto.max, proto.min + 20)) + 1)
                                           if v != self.sent.get(key, proto.default)]))
            state.double_value = value
        else:  # button_group (st.segmented_control): the options' labels
            current = set(proto.raw_values) if proto.set_value else {proto.options[i].content for i in proto.default}
            value = self.rng.choice([o.content for o in proto.options if o.content not in current]
                                    or [o.content for o in proto.options])
            state.string_array_value.data.append(value)
        self.sent[key] = value
        return state

    def client_state(self, page_hash: str = "", page_name: str = "", widgets=(), fragment: str = "") -> ClientState:
        state = ClientState(query_string=self.query, page_script_hash=page_hash, page_name=page_name,
                            fragment_id=fragment)
        state.widget_states.widgets.extend(widgets)
        state.cached_message_hashes.extend(self.cached)
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, self.locale
        info.url = f"{self.origin}/{self.paths[self.page]}?{self.query}"
        info.is_embedded, info.color_scheme = False, "light"
        return state

    async def rerun(self, kind: str, state: ClientState) -> bool:
        """Send one rerun request and read until its script_finished; record its latency or its error."""
        msg = BackMsg()
        msg.rerun_script.CopyFrom(state)
        self.fragment_run = state.fragment_id
        start = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
            async with asyncio.timeout(RUN_TIMEOUT):
                while (finished := self.read(ForwardMsg.FromString(await self.ws.recv()))) is None:
                    pass
        except TimeoutError:
            self.tally.errors[f"{kind} slower than {RUN_TIMEOUT:.0f} s"] += 1
            await self.leave()  # its messages would still arrive: start afresh on the next page
            return False
        except ConnectionClosed as e:
            self.tally.errors[f"socket closed ({e.rcvd.code if e.rcvd else 'no close frame'})"] += 1
            self.ws = None
            return False
        elapsed = time.perf_counter() - start
        if finished not in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            self.tally.errors[f"script_finished {ForwardMsg.ScriptFinishedStatus.Name(finished)}"] += 1
            return False
        if self.hashes and self.on_screen != self.hashes.get(self.paths[self.page]):  # (one page: no menu)
            self.tally.errors[f"{kind} {self.page}: another page ran"] += 1
            return False
        self.tally.runs.append((kind, self.page, elapsed))
        return True

    def read(self, msg: ForwardMsg):
        """Take in one ForwardMsg; its status if it is the run's script_finished, else None."""
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            return msg.script_finished
        if kind == "new_session":  # every run starts with one; a fragment's redraws only its own widgets
            self.widgets = {key: drawn for key, drawn in self.widgets.items()
                            if self.fragment_run and drawn[2] != self.fragment_run}
        elif kind == "navigation":  # the pages, as the pages/ folder's implicit st.navigation lists them
            self.hashes = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.on_screen = msg.navigation.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            kind = element.WhichOneof("type")
            if msg.metadata.cacheable:
                self.cached[msg.hash] = kind
            if kind in WIDGETS:
                proto = getattr(element, kind)
                self.widgets[proto.id.split("-", 2)[-1]] = (kind, proto, msg.delta.fragment_id)  # "$$ID-<hash>-<key>"
            elif kind == "exception":
                e = element.exception
                detail = "" if e.message.startswith(REDACTED) else f": {e.message[:80]}"
                self.tally.errors[f"exception on {self.page}: {e.type}{detail}"] += 1
        elif kind == "ref_hash":  # a message the frontend has cached, sent by reference
            cached = self.cached.get(msg.ref_hash)
            if cached is None:
                self.tally.errors["reference to a message never sent"] += 1
            elif cached == "exception":
                self.tally.errors[f"exception on {self.page} (cached)"] += 1
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.tally.errors[f"page not found: {msg.page_not_found.page_name}"] += 1
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            self.tally.errors[f"compile error on {self.page}"] += 1
        return None

    async def leave(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            await ws.close()

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*THINK))

    async def study(self, until: float) -> None:
        """Open a random other page, move its control a few times, repeat until `until` (monotonic)."""
        while time.monotonic() < until:
            await self.think()
            if not await self.open(self.rng.choice([p for p in self.controls if p != self.page])):
                continue
            for _ in range(self.rng.randint(*MOVES)):
                await self.think()
                if time.monotonic() >= until or not await self.move():
                    break


async def tour(url: str, tally: Tally, worker_urls: list[str] | None = None, controls: dict = CONTROLS) -> None:
    """One learner through every page, moving each control twice: imports and caches warmed (in
    every worker, each visited directly, when there are several)."""
    for origin in worker_urls or [url]:
        learner = Learner(origin, seed=0, tally=tally, controls=controls)
        for i, page in enumerate(controls):
            if await (learner.arrive(page) if i == 0 else learner.open(page)):
                for _ in range(2):
                    await learner.move()
        await learner.leave()


async def classroom(url: str, sessions: int, seconds: float, seed: int = 0, probe=None, sticky: bool = False,
                    controls: dict = CONTROLS) -> Tally:
    """`sessions` learners arrive GROUP at a time, then all study for `seconds`.

    `probe(event, learners)` is called after each group has arrived ("arrived") and once the time
    is up, before anyone leaves ("done")."""
    tally = Tally()
    learners = [Learner(url, seed=seed * 1000 + i, tally=tally, sticky=sticky, controls=controls)
                for i in range(sessions)]
    for start in range(0, sessions, GROUP):
        group = learners[start:start + GROUP]
        await asyncio.gather(*(learner.arrive(learner.rng.choice(list(controls))) for learner in group))
        if probe:
            await asyncio.sleep(1)  # let the server settle before measuring it
            probe("arrived", start + len(group))
    until = time.monotonic() + seconds
    await asyncio.gather(*(learner.study(until) for learner in learners))
    if probe:
        probe("done", sessions)
    await asyncio.gather(*(learner.leave() for learner in learners))
    return tally


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def server_problems(log: Path) -> list[str]:
    """The lines of the server's output that report an error, exception or warning."""
    return [line for line in log.read_text(errors="replace").splitlines() if PROBLEM.search(line)]


def measure(sessions: int, seconds: float, baseline_seconds: float, seed: int, workers: int = 0,
            env: dict | None = None, root: Path = ROOT, controls: dict = CONTROLS) -> dict:
    """Everything the table shows, from one server (or `workers` behind nginx), with `env` added to
    its environment, the app in `root`, the learners on the pages of `controls`: warm-up, one
    learner alone, then the classroom."""
    log = Path(tempfile.mkstemp(prefix="load-server-", suffix=".log")[1])
    with (running_app(log=log, env=env, root=root) if not workers else running_cluster(workers, log=log)) as server:
        pids = [server.process.pid] if not workers else server.pids
        sticky = bool(workers)

        def rss_mb(_pid=None) -> float:
            return sum(process_rss(p) for p in pids)

        def cpu_seconds(_pid=None) -> float:
            return sum(process_cpu(p) for p in pids)

        pid = pids[0]
        warm = Tally()
        asyncio.run(tour(server.url, warm, getattr(server, "worker_urls", None), controls))
        cpu_before = cpu_seconds(pid)
        alone = asyncio.run(classroom(server.url, 1, baseline_seconds, seed=seed + 1, sticky=sticky, controls=controls))
        cpu_alone = (cpu_seconds(pid) - cpu_before) / len(alone.runs)
        alone.errors.update(warm.errors)
        memory = [(0, rss_mb(pid))]
        cpu = {}

        def probe(event: str, learners: int) -> None:
            if event == "arrived":
                memory.append((learners, rss_mb(pid)))
            if event == "arrived" and learners == sessions or event == "done":
                cpu[event] = (time.perf_counter(), cpu_seconds(pid), time.process_time())

        crowd = asyncio.run(classroom(server.url, sessions, seconds, seed=seed + 2, probe=probe, sticky=sticky,
                                      controls=controls))
        after = rss_mb(pid)
        load = Path("/proc/loadavg").read_text().split()[0]  # the machine's other work, for the record
    (t0, s0, c0), (t1, s1, c1) = cpu["arrived"], cpu["done"]
    return {"alone": alone, "crowd": crowd, "memory": memory, "after": after, "load": load, "workers": workers,
            "log": log, "server_problems": server_problems(log),
            "cores": (s1 - s0) / (t1 - t0), "client_cores": (c1 - c0) / (t1 - t0),
            "cpu_per_run": (cpu_alone, (s1 - s0) / len(crowd.seconds("move") + crowd.seconds("open")))}


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms"


def table(result: dict, sessions: int, seconds: float, baseline_seconds: float) -> str:
    alone, crowd, memory = result["alone"], result["crowd"], result["memory"]
    rows = [f"| | one learner alone | {sessions} learners at once | × alone | target |",
            "|---|---:|---:|---:|---|"]
    for kind, what in (("move", "control moved (slider…)"), ("open", "page opened from the menu")):
        one, many = alone.seconds(kind), crowd.seconds(kind)
        rows.append(f"| reruns: {what} | {len(one)} | {len(many)} | | |")
        for q in (50, 95):
            ratio = percentile(many, q) / percentile(one, q)
            mark = f"≤ {TARGET:.0f}× {'✓' if ratio <= TARGET else '⚠'}" if q == 95 and kind == "move" else ""
            rows.append(f"| {what}: p{q} | {ms(percentile(one, q))} | {ms(percentile(many, q))} "
                        f"| {ratio:.1f} | {mark} |")
    arrive = crowd.seconds("arrive")
    rows.append(f"| first page, {min(GROUP, sessions)} arriving at once: p50 / p95 | | {ms(percentile(arrive, 50))} / "
                f"{ms(percentile(arrive, 95))} | | |")
    errors = sum(alone.errors.values()), sum(crowd.errors.values())
    rows.append(f"| errors | {errors[0]} | {errors[1]} | | 0 {'✓' if not any(errors) else '⚠'} |")
    problems = len(result["server_problems"])
    rows.append(f"| server log: errors, exceptions, warnings | {problems} lines (whole run) | | | "
                f"0 {'✓' if not problems else '⚠'} |")
    counts, rss = zip(*memory, strict=True)
    slope = np.polyfit(counts, rss, 1)[0]
    rows.append(f"| server memory (RSS) | {rss[0]:.0f} MB | {rss[-1]:.0f} MB on arrival, "
                f"{result['after']:.0f} MB after {seconds:.0f} s | | |")
    rows.append(f"| server memory per learner | | {slope:.1f} MB | | |")
    one, many = result["cpu_per_run"]
    rows.append(f"| server CPU time per rerun | {ms(one)} | {ms(many)} | {many / one:.1f} | |")
    rows.append(f"| CPU while all work: server / learners' process | | {result['cores']:.2f} / "
                f"{result['client_cores']:.2f} cores | | |")
    rows.append("")
    options = ", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("STREAMLIT_"))
    options = f"Server options from the environment: {options}. " if options else ""
    steps = ", ".join(f"{n}: {mb:.0f} MB" for n, mb in memory)
    server = ("one `streamlit run dashboard.py` on 127.0.0.1" if not result["workers"] else
              f"{result['workers']} `streamlit run dashboard.py` workers behind nginx (sticky sessions, progress in "
              f"PostgreSQL; `--workers {result['workers']}`, scripts/workers.py)")
    rows.append(f"Measured by `python bench/load_test.py --readme` on {machine()}: {server}, and learners "
                f"that speak Streamlit's websocket protocol (no browser) from one "
                f"asyncio process beside it. Each opens a random page, moves its control "
                f"{MOVES[0]}–{MOVES[1]} times ({', '.join(CONTROLS.values())}), with {THINK[0]}–{THINK[1]} s "
                f"of thinking before every step, and repeats: one learner alone for {baseline_seconds:.0f} s, "
                f"then {sessions} arriving {min(GROUP, sessions)} at a time and working at once for {seconds:.0f} s. "
                f"A rerun is timed from the BackMsg sent to `script_finished` received. Memory per learner is the "
                f"slope of the server's RSS against the learners connected ({steps}). The machine's 1-minute "
                f"load average at the end, other work included: {result['load']}. "
                f"{options}Targets: no errors; a moved "
                f"control's p95 within {TARGET:.0f}× one learner's alone.")
    return "\n".join(rows)


# --capacity: how many learners one process holds, the garbage collected one way or the other
EVERY_RUN = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true", "SEQDASH_GC_EVERY": "0"}  # as before (issue #19)
CAPACITY = (("a full collection after every run (Streamlit's `runner.postScriptGC`; before)", 1, EVERY_RUN),
            ("as configured: a full collection at most every 0.5 s (ui/layout.py)", 1, {}),
            ("as configured", 2, {}))


THROUGHPUT_HEADER = ("| learners | reruns a second | server CPU per rerun | server cores busy | control moved: p50 "
                     "| p95 | errors |")
THROUGHPUT_RULE = "|---|---:|---:|---:|---:|---:|---:|---:|"


def throughput_row(label: str, learners: int, result: dict, seconds: float) -> str:
    """One server's classroom (measure's result) as a row under THROUGHPUT_HEADER."""
    crowd, moved = result["crowd"], result["crowd"].seconds("move")
    done = len(moved) + len(crowd.seconds("open"))
    return (f"| {label} | {learners} | {done / seconds:.1f} | {ms(result['cpu_per_run'][1])} | {result['cores']:.2f} "
            f"| {ms(percentile(moved, 50))} | {ms(percentile(moved, 95))} | {sum(crowd.errors.values())} |")


def capacity(sessions: int, seconds: float, seed: int) -> str:
    """One server each: `sessions` learners with the collection after every run, `sessions` and twice as
    many as configured; what each completes and how long a moved control waits."""
    rows = [f"| garbage collection {THROUGHPUT_HEADER}", THROUGHPUT_RULE]
    for what, times, env in CAPACITY:
        rows.append(throughput_row(what, sessions * times, measure(sessions * times, seconds, 5, seed, env=env),
                                   seconds))
    rows += ["", f"Measured by `python bench/load_test.py --capacity --sessions {sessions} --readme` on {machine()}: "
             f"the same learners as "
             f"above ({THINK[0]}–{THINK[1]} s of thinking before every step), {seconds:.0f} s at once, one server "
             "each. A Streamlit server runs its scripts under one interpreter lock: it holds its learners while the "
             "reruns they ask for take less than one core."]
    return "\n".join(rows)


def shared_controls(rev: str) -> dict:
    """The pages whose control the app at git revision `rev` draws too (its key is in its code)."""
    def in_rev(key: str) -> bool:
        found = subprocess.run(["git", "grep", "-q", "-F", key, rev, "--", "dashboard.py", "pages", "ui"], cwd=ROOT)
        return found.returncode == 0
    return {page: key for page, key in CONTROLS.items() if in_rev(key)}


def against(rev: str, sessions: int, seconds: float, seed: int) -> str:
    """The app at git revision `rev` (a worktree) and this one, in turns, each with `sessions` and twice as
    many learners on the pages both have: server CPU per rerun, and what a moved control waits."""
    controls = shared_controls(rev)
    short = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.strip()
    tree = Path(tempfile.mkdtemp(prefix="load-against-")) / short
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True, capture_output=True)
    results = {}
    try:
        for times in (1, 2):
            for name, root in ((short, tree), ("now", ROOT)):
                results[name, times] = measure(sessions * times, seconds, 5, seed, root=root, controls=controls)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
        tree.parent.rmdir()  # the temporary folder the worktree was in
    rows = [f"| app {THROUGHPUT_HEADER}", THROUGHPUT_RULE]
    for (name, times), result in results.items():
        label = f"`{short}`" if name == short else "this version"
        rows.append(throughput_row(label, sessions * times, result, seconds))
    ratios = ", ".join(f"{results['now', times]['cpu_per_run'][1] / results[short, times]['cpu_per_run'][1]:.2f} "
                       f"at {sessions * times} learners" for times in (1, 2))
    rows += ["", f"Server CPU per rerun, this version against `{short}`: {ratios} (target: 0.5, issue #19).",
             "", f"Measured by `python bench/load_test.py --against {rev} --sessions {sessions} --readme` on "
             f"{machine()}: `{short}` checked out in a git worktree and served from it, then this version, in turns, "
             f"{seconds:.0f} s each, with the same learners ({THINK[0]}–{THINK[1]} s of thinking before every step) on "
             f"the pages whose control both versions draw ({', '.join(controls.values())}); both with the settings "
             "of their own `.streamlit/config.toml`."]
    return "\n".join(rows)


def breakdown(tally: Tally) -> str:
    """p50/p95 of each page's reruns, to see which page dominates (printed, not written to the README)."""
    lines = []
    for kind in ("move", "open"):
        for page in CONTROLS:
            values = tally.seconds(kind, page)
            if values:
                lines.append(f"  {kind:5} {page:28} n={len(values):4}  p50 {ms(percentile(values, 50)):>7}  "
                             f"p95 {ms(percentile(values, 95)):>7}  max {ms(max(values)):>7}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="learners at once (default 30)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they all work (default 60)")
    parser.add_argument("--baseline-seconds", type=float, default=30, help="how long one learner works alone")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0,
                        help="N app processes behind nginx, progress in PostgreSQL (default 0: one plain server)")
    parser.add_argument("--capacity", action="store_true",
                        help="--sessions learners with the collection after every run, then as configured, then twice "
                             "as many: the capacity table")
    parser.add_argument("--against", metavar="REV",
                        help="the app at git revision REV, then this one, with --sessions and twice as many learners")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 100 or not 0 < args.seconds <= 600:
        parser.error("bounded on purpose: 1-100 sessions, at most 600 s")
    if args.against:
        text = against(args.against, args.sessions, args.seconds, args.seed)
        print(text)
        if args.readme:
            write_section("against", text)
        sys.exit(0)
    if args.capacity:
        text = capacity(args.sessions, args.seconds, args.seed)
        print(text)
        if args.readme:
            write_section("capacity", text)
        sys.exit(0)
    result = measure(args.sessions, args.seconds, args.baseline_seconds, args.seed, args.workers)
    text = table(result, args.sessions, args.seconds, args.baseline_seconds)
    print(text)
    print(f"\nserver log: {result['log']}")
    for line in result["server_problems"][:20]:
        print(f"  {line}")
    for name in ("alone", "crowd"):
        print(f"\n{name}:\n{breakdown(result[name])}")
        for error, count in result[name].errors.most_common():
            print(f"  error x{count}: {error}")
    if args.readme:
        write_section("load", text)
