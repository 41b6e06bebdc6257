"""Server memory after many distinct long inputs: does any cache or stream grow without bound?

    python bench/memory_test.py                 # 100 distinct links, print the row
    python bench/memory_test.py --links 300     # more of them
    python bench/memory_test.py --gc none       # the same with no collection but Python's own
    python bench/memory_test.py --readme        # all three ways to collect, also written into README.md

One `streamlit run dashboard.py` on 127.0.0.1 (the repository's .streamlit/config.toml). After a
warm-up visit (imports loaded, the GloVe table read) the server's RSS is the idle figure. Then
`--links` visitors, one after another, each open the self-attention page from a link of their own:
`?sa_text=` a different ~300-word sentence (cut to the page's 256 tokens: the largest matrices the
page draws), and each moves the temperature slider and the heads slider to 25 heads once (the
largest `heads` result), over Streamlit's websocket protocol like bench/load_test.py's learners.
The server's RSS is read again after every tenth visitor, and once more after the last has left.
The server drops a visitor's session SESSION_TTL seconds after it left (Streamlit's
`server.disconnectedSessionTTL`, 120 s by default, kept for reconnecting tabs), so the figure is
what the caches and the process keep, not sessions still open: bench/load_test.py measures the
memory per learner.
Target: no more than a few hundred MB above idle however many links (TARGET_MB), and the
growth flattening out rather than rising with every link.

Three ways to collect the garbage (GC): as configured (ui/layout.py's full collection at the start
of a page's run, at most every 0.5 s); Streamlit's `runner.postScriptGC` (a full collection after
every run); and none but Python's own.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.load_test import Learner, Tally  # noqa: E402
from bench.readme import machine, write_section  # noqa: E402
from scripts.appserver import rss_mb, running_app  # noqa: E402

TARGET_MB = 300  # above the idle server, after any number of distinct long links
WORDS = 300
PAGE = "self_attention"
SESSION_TTL = 5  # seconds


def sentence(seed: int, vocabulary: list[str]) -> str:
    """A ~300-word sentence of GloVe words and a few unknown ones (random vectors), different per seed."""
    rng = random.Random(seed)
    return " ".join(rng.choice(vocabulary) if rng.random() < 0.95 else f"zq{rng.randrange(10**6)}"
                    for _ in range(WORDS))


def glove_words() -> list[str]:
    import numpy as np

    with np.load(ROOT / "data" / "glove_50d_top20k.npz") as data:
        return [str(w) for w in data["words"][:5000]]


async def visit(url: str, text: str, tally: Tally, seed: int) -> None:
    """One visitor: open the page from its link, move the temperature and the heads sliders, leave."""
    learner = Learner(url, seed=seed, tally=tally)
    learner.query = f"lang=en&sa_more=heads&sa_text={urllib.parse.quote(text)}"  # the heads' tab open
    if await learner.arrive(PAGE):
        await learner.move()  # sa_temperature
        await learner.move("sa_heads")  # in its fragment, as the browser asks
    await learner.leave()


# how the garbage is collected -> (what the table calls it, the server's environment)
MODES = {
    "configured": ("as configured (a full collection at most every 0.5 s, ui/layout.py)", {}),
    "every-run": ("a full collection after every run (Streamlit's `runner.postScriptGC`)",
                  {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true", "SEQDASH_GC_EVERY": "0"}),
    "none": ("none but Python's own", {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "false", "SEQDASH_GC_EVERY": "0"}),
}


def measure(links: int, mode: str) -> dict:
    """The idle RSS, the RSS after every ten links and after the last, with the garbage collected as `mode` says."""
    log = Path(tempfile.mkstemp(prefix="memory-server-", suffix=".log")[1])
    env = {**MODES[mode][1], "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL)}
    vocabulary = glove_words()
    tally = Tally()
    with running_app(log=log, env=env) as server:
        pid = server.process.pid
        asyncio.run(visit(server.url, "the cat sat on the mat", tally, seed=0))  # warm-up
        idle = rss_mb(pid)
        steps = [(0, idle)]
        for i in range(links):
            asyncio.run(visit(server.url, sentence(i + 1, vocabulary), tally, seed=i + 1))
            if (i + 1) % 10 == 0 or i + 1 == links:
                steps.append((i + 1, rss_mb(pid)))
        time.sleep(SESSION_TTL + 5)  # the last sessions dropped
        after = rss_mb(pid)
    return {"idle": idle, "steps": steps, "after": after, "tally": tally, "log": log}


HEADER = ["| server | idle | after the links | above idle | × idle | peak above idle | target |",
          "|---|---:|---:|---:|---:|---:|---|"]


def row(result: dict, links: int, mode: str) -> str:
    idle, peak = result["idle"], max(mb for _, mb in result["steps"])
    above = result["after"] - idle
    mark = "✓" if peak - idle <= TARGET_MB else "⚠"
    return (f"| {links} distinct {WORDS}-word `?sa_text=` links; GC: {MODES[mode][0]} "
            f"| {idle:.0f} MB | {result['after']:.0f} MB | {above:+.0f} MB | {result['after'] / idle:.2f} "
            f"| {peak - idle:+.0f} MB | ≤ {TARGET_MB} MB {mark} |")


def note(result: dict, mode: str) -> str:
    runs, errors = len(result["tally"].runs), sum(result["tally"].errors.values())
    return (f"GC {mode}: {runs} reruns, {errors} errors; RSS after every ten links: "
            + ", ".join(f"{n}: {mb:.0f} MB" for n, mb in result["steps"]) + ".")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=100, help="distinct long links opened (default 100)")
    parser.add_argument("--gc", choices=MODES, default="configured", help="how the garbage is collected")
    parser.add_argument("--readme", action="store_true", help="measure every --gc and write them into README.md")
    args = parser.parse_args()
    if not 1 <= args.links <= 1000:
        parser.error("bounded on purpose: 1-1000 links")
    modes = tuple(MODES) if args.readme else (args.gc,)
    results = {mode: measure(args.links, mode) for mode in modes}
    text = "\n".join([*HEADER, *(row(results[mode], args.links, mode) for mode in modes), "",
                      " ".join(note(results[mode], mode) for mode in modes)
                      + f" Sessions dropped {SESSION_TTL} s after their visitor left. Measured by "
                      f"`python bench/memory_test.py --links {args.links}"
                      f"{' --readme' if args.readme else f' --gc {args.gc}'}` on {machine()}."])
    print(text)
    for mode, result in results.items():
        for error, count in result["tally"].errors.most_common():
            print(f"  error x{count} (GC {mode}): {error}")
        print(f"server log: {result['log']}")
    if args.readme:
        write_section("memory", text)
