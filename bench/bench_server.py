"""Script side on a real server: a control moved over Streamlit's websocket protocol, against a one-slider page.

    python bench/bench_server.py            # print the table
    python bench/bench_server.py --readme   # also write it into README.md

AppTest (bench/bench_pages.py) reruns a page's whole script for every move. A server reruns what
the browser asks for: the whole page, or only the fragment the moved control sits in (a fragment's
widget sends its fragment's id), and a page draws only the open one of its stateful tabs. This
benchmark asks as the browser does (bench/load_test.py's Learner, one at a time, no browser): it
opens each page by its URL, moves one control again and again, and times each move from the
BackMsg sent to `script_finished` received; the server's CPU time per move is read from /proc.
The baseline, bench/one_slider.py, runs on a server of its own, timed the same way in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.load_test import Learner, Tally  # noqa: E402
from bench.readme import machine, write_section  # noqa: E402
from scripts.appserver import cpu_seconds, running_app  # noqa: E402

TARGET = 5.0  # a move's rerun within 5x the one-slider page's
PAUSE = 0.15  # seconds between moves: the server finishes its work after script_finished (its GC, the next flush)
SENTENCE = "the cat sat on the mat because it was tired and then the dog barked at the bird".split()


def words(n: int) -> dict:
    """A link's parameters for the self-attention page with an n-token sentence."""
    return {"sa_text": " ".join((SENTENCE * (n // len(SENTENCE) + 1))[:n])}


# (name, page key (ui.layout.NAV), the control's key[, the link's parameters]); the rows "at N tokens"
# show how a page grows with the sentence, and have no target. The same rows as bench/bench_pages.py.
ROWS = [
    ("home: language", "home", "lang_choice"),
    ("self-attention: temperature slider", "self_attention", "sa_temperature"),
    ("self-attention: query token", "self_attention", "sa_query"),
    ("self-attention: heads slider", "self_attention", "sa_heads", {"sa_more": "heads"}),
    ("self-attention, trained head: temperature slider", "self_attention", "sa_temperature",
     {"sa_projection": "trained"}),
    ("self-attention: step of the layer", "self_attention", "sa_block_step"),
    ("self-attention: word-order shuffle", "self_attention", "sa_shuffle", {"sa_more": "order"}),
    ("seq2seq attention: decoder step", "seq2seq_attention", "s2s_step"),
    ("seq2seq attention: model", "seq2seq_attention", "s2s_model"),
    ("attention vs self-attention: spectral radius", "attention_vs_self_attention", "cmp_radius"),
    ("attention vs self-attention: row 2's longest n", "attention_vs_self_attention", "cmp_time_n"),
    ("RNN: spectral radius", "rnn", "rnn_radius"),
    ("LSTM: forget-gate bias", "lstm", "lstm_forget_bias"),
    ("GRU: update-gate bias", "gru", "gru_update_bias"),
    ("memory lab: loss curves' lag", "memory_lab", "lab_loss_lag"),
    ("memory lab: look inside, lag", "memory_lab", "lab_inside_lag"),
    ("review: choosing an answer", "review", "rv_answer_"),
    ("self-attention at 16 tokens: temperature", "self_attention", "sa_temperature", words(16)),
    ("self-attention at 64 tokens: temperature", "self_attention", "sa_temperature", words(64)),
    ("self-attention at 256 tokens: temperature", "self_attention", "sa_temperature", words(256)),
]


async def moves(url: str, pid: int, page: str, key: str, params: dict, repeats: int) -> dict:
    """Open `page` with `params` in a fresh session, move `key` `repeats` times (after two to warm up)."""
    tally = Tally()
    learner = Learner(url, seed=0, tally=tally)
    learner.locale, learner.query = "en-US", urllib.parse.urlencode({"lang": "en", **params})
    if not await learner.arrive(page):
        raise SystemExit(f"{page}: {dict(tally.errors)}")
    fragment = ""
    for i in range(repeats + 2):
        if i == 2:
            tally.runs.clear()
            start = cpu_seconds(pid)
        await learner.move(key)
        fragment = fragment or next((f for k, (_, _, f) in learner.widgets.items() if k.startswith(key)), "")
        await asyncio.sleep(PAUSE)
    cpu = (cpu_seconds(pid) - start) / repeats
    await learner.leave()
    if tally.errors:
        raise SystemExit(f"{page} {key}: {dict(tally.errors)}")
    seconds = tally.seconds("move")
    return {"fastest": min(seconds), "median": statistics.median(seconds), "cpu": cpu, "fragment": bool(fragment)}


def measure(repeats: int, only: list[str] | None) -> tuple[dict, list]:
    with running_app("bench/one_slider.py") as server:  # served at the root, where "home" is
        base = asyncio.run(moves(server.url, server.process.pid, "home", "x", {}, repeats * 3))
    rows = [row for row in ROWS if not only or any(o in row[0] for o in only)]
    results = []
    with running_app() as server:
        for name, page, key, *params in rows:
            results.append((name, asyncio.run(moves(server.url, server.process.pid, page, key,
                                                    params[0] if params else {}, repeats))))
    return base, results


def table(repeats: int, only: list[str] | None = None) -> str:
    base, results = measure(repeats, only)
    rows = ["| page: control moved | reruns | fastest | × floor | median | CPU per move | × floor |",
            "|---|---|---:|---:|---:|---:|---:|",
            f"| one-slider page (baseline) | the page | {base['fastest'] * 1e3:.1f} ms | 1.0 "
            f"| {base['median'] * 1e3:.1f} ms | {base['cpu'] * 1e3:.1f} ms | 1.0 |"]
    for name, r in results:
        ratio, cpu_ratio = r["fastest"] / base["fastest"], r["cpu"] / base["cpu"]
        flag = "" if " tokens" in name or ratio <= TARGET else " ⚠"
        rows.append(f"| {name} | {'its fragment' if r['fragment'] else 'the page'} | {r['fastest'] * 1e3:.1f} ms "
                    f"| {ratio:.1f}{flag} | {r['median'] * 1e3:.1f} ms | {r['cpu'] * 1e3:.1f} ms | {cpu_ratio:.1f} |")
    rows.append("")
    rows.append(f"Measured by `python bench/bench_server.py --readme` on {machine()}: `streamlit run` on "
                f"127.0.0.1 and one learner speaking its websocket protocol (bench/load_test.py), {repeats} moves "
                f"of each control ({3 * repeats} of the baseline's) in a fresh session, {PAUSE:.2f} s apart; a move "
                "is timed from the BackMsg sent to `script_finished` received; CPU per move: the server process's "
                "user and system time over the moves, divided by their number. *Reruns*: what the browser asks the "
                "server to rerun for that control. Target: every move within "
                f"{TARGET:.0f}× the one-slider page (fastest); the token rows show how the self-attention page "
                "grows with the sentence.")
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument("--only", nargs="*", help="only the rows whose name holds one of these (and the baseline)")
    args = parser.parse_args()
    result = table(args.repeats, args.only)
    print(result)
    if args.readme:
        write_section("bench-server", result)
