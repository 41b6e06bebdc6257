"""Benchmark every page against a one-slider page measured in the same run.

    python bench/bench_pages.py            # print the table
    python bench/bench_pages.py --readme   # also write it into README.md
    python bench/bench_pages.py --only RNN LSTM --cpu   # only these rows (and the baseline), with CPU time

Each figure is the fastest of several AppTest runs (as `timeit` advises: noise on a shared
machine only ever adds time): the first run of a fresh session, and a rerun after one
slider move. The table reports ratios to the one-slider page timed the same way, in the
same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import streamlit.testing.v1.app_test as app_test
import streamlit.testing.v1.local_script_runner as local_script_runner
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest

# A server compiles each script once and keeps the bytecode (ScriptCache); AppTest makes a
# new cache for every run, so every rerun would recompile the page (~2 ms for a long page,
# ~0.1 ms for the baseline). One cache for the whole benchmark measures what a server does.
_SCRIPT_CACHE = ScriptCache()
app_test.ScriptCache = local_script_runner.ScriptCache = lambda: _SCRIPT_CACHE

ROOT = Path(__file__).resolve().parents[1]
os.environ["SEQDASH_STORAGE"] = "session"  # answering review questions here never touches a learner's progress
sys.path.insert(0, str(ROOT))
from bench.readme import machine, write_section  # noqa: E402

TARGET = 5.0  # a slider rerun within 5x of the one-slider page

SENTENCE = "the cat sat on the mat because it was tired and then the dog barked at the bird".split()


def words(n: int) -> dict:
    """A link's parameters for the self-attention page with an n-token sentence."""
    return {"sa_text": " ".join((SENTENCE * (n // len(SENTENCE) + 1))[:n])}


def temperature(at, i):
    at.slider(key="sa_temperature").set_value(0.5 + (i % 20) / 10)


# (name, page to open, how to move its slider from one value to another[, the link's parameters]);
# the rows "at N tokens" show how a page grows with the sentence, and have no target
PAGES = [
    ("one-slider page (baseline)", None, lambda at, i: at.slider[0].set_value(i % 100)),
    ("ten charts alone, only their data changing (bench/charts_page.py)", "bench/charts_page.py",
        lambda at, i: at.slider[0].set_value(0.1 + (i % 40) / 10)),
    ("home", "dashboard.py", lambda at, i: at.segmented_control(key="lang_choice")
        .set_value("ko" if i % 2 else "en")),
    ("self-attention: temperature slider", "pages/1_self_attention.py", temperature),
    ("self-attention: query token", "pages/1_self_attention.py",
        lambda at, i: at.selectbox(key="sa_query").set_value(at.selectbox(key="sa_query").options[i % 9])),
    ("self-attention: heads slider", "pages/1_self_attention.py",
        lambda at, i: at.select_slider(key="sa_heads").set_value((1, 2, 5, 10, 25)[i % 5]), {"sa_more": "heads"}),
    ("self-attention, trained head: temperature slider", "pages/1_self_attention.py",
        lambda at, i: (at.radio(key="sa_projection").set_value("trained"), temperature(at, i))),
    ("self-attention: step of the layer", "pages/1_self_attention.py",
        lambda at, i: at.segmented_control(key="sa_block_step").set_value(
            ("concat", "residual", "norm", "ffn", "output")[i % 5])),
    ("self-attention: word-order shuffle", "pages/1_self_attention.py",
        lambda at, i: at.number_input(key="sa_shuffle").set_value(i % 50), {"sa_more": "order"}),
    ("seq2seq attention: decoder step", "pages/2_seq2seq_attention.py",
        lambda at, i: at.select_slider(key="s2s_step").set_value(at.select_slider(key="s2s_step").options[i % 4])),
    ("seq2seq attention: model", "pages/2_seq2seq_attention.py",
        lambda at, i: at.radio(key="s2s_model").set_value(("dot", "general", "additive", "fixed")[i % 4])),
    ("attention vs self-attention: spectral radius", "pages/6_attention_vs_self_attention.py",
        lambda at, i: at.slider(key="cmp_radius").set_value(0.5 + (i % 20) / 20)),
    ("attention vs self-attention: row 2's longest n", "pages/6_attention_vs_self_attention.py",
        lambda at, i: at.select_slider(key="cmp_time_n").set_value((64, 128, 256, 512, 1024)[i % 5])),
    ("RNN: spectral radius", "pages/3_rnn.py",
        lambda at, i: at.slider(key="rnn_radius").set_value(0.5 + (i % 20) / 20)),
    ("LSTM: forget-gate bias", "pages/4_lstm.py",
        lambda at, i: at.slider(key="lstm_forget_bias").set_value(-3.0 + (i % 18) / 2)),
    ("GRU: update-gate bias", "pages/5_gru.py",
        lambda at, i: at.slider(key="gru_update_bias").set_value(-3.0 + (i % 18) / 2)),
    ("memory lab: loss curves' lag", "pages/8_memory_lab.py",
        lambda at, i: at.segmented_control(key="lab_loss_lag").set_value((5, 10, 20, 40)[i % 4])),
    ("review: choosing an answer", "pages/7_review.py", lambda at, i: choose_answer(at, i)),
    # Scale: the same slider with longer sentences (past 4,096 cells heatmaps draw block averages)
    ("self-attention at 16 tokens: temperature", "pages/1_self_attention.py", temperature, words(16)),
    ("self-attention at 64 tokens: temperature", "pages/1_self_attention.py", temperature, words(64)),
    ("self-attention at 256 tokens: temperature", "pages/1_self_attention.py", temperature, words(256)),
]


def choose_answer(at: AppTest, i: int) -> None:
    """Pick one of the options of the question on screen (the first card is multiple choice)."""
    from ui.review import questions

    options = questions()[at.session_state["rv_current"]["id"]]["options"]
    at.radio(key=f"rv_answer_{at.session_state['rv_step']}").set_value(options[i % len(options)])


def session(page: str | None, params: dict | None = None) -> AppTest:
    if page is None or page.startswith("bench/"):
        return AppTest.from_file(str(ROOT / (page or "bench/one_slider.py")), default_timeout=60)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update(params or {})
    if page != "dashboard.py":
        at.switch_page(page)
    return at


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(page, move, repeats: int, params: dict | None = None) -> tuple[float, float, float]:
    """Fastest seconds of a first run and of a rerun after a slider move, and the median CPU seconds
    of a rerun (CPU, not wall time, is what caps a server's learners)."""
    session(page, params).run()  # warm imports and caches, as a server would be
    first = [timed(session(page, params).run) for _ in range(repeats)]
    at = session(page, params).run()
    rerun, cpu = [], []
    for i in range(1, 2 * repeats + 1):
        move(at, i)
        start = time.process_time()  # the whole process: AppTest runs the script on a thread of its own
        rerun.append(timed(at.run))
        cpu.append(time.process_time() - start)
        assert not at.exception, at.exception
    return min(first), min(rerun), sorted(cpu)[len(cpu) // 2]


def table(repeats: int, only: list[str] | None = None, show_cpu: bool = False) -> str:
    chosen = [row for i, row in enumerate(PAGES) if i == 0 or not only or any(o in row[0] for o in only)]
    # the baseline's rerun is ~2 ms, and one collection by Python's GC doubles it: more tries for its fastest
    results = [(name, *measure(page, move, repeats * (5 if i == 0 else 1), *params), " tokens" in name)
               for i, (name, page, move, *params) in enumerate(chosen)]
    base_first, base_rerun = results[0][1], results[0][2]
    rows = [
        "| page | first run | × floor | slider rerun | × floor |" + (" CPU per rerun |" if show_cpu else ""),
        "|---|---:|---:|---:|---:|" + ("---:|" if show_cpu else ""),
    ]
    for name, first, rerun, cpu, scale in results:
        flag = "" if scale or rerun / base_rerun <= TARGET else " ⚠"  # scale rows show growth, not a target
        rows.append(f"| {name} | {first * 1e3:.1f} ms | {first / base_first:.1f} "
                    f"| {rerun * 1e3:.1f} ms | {rerun / base_rerun:.1f}{flag} |"
                    + (f" {cpu * 1e3:.1f} ms |" if show_cpu else ""))
    rows.append("")
    rows.append(f"Measured by `python bench/bench_pages.py --readme` on {machine()}; "
                f"fastest of {repeats} first runs and of {2 * repeats} reruns (AppTest). "
                f"Target: every slider rerun within {TARGET:.0f}× the one-slider page; the token rows "
                "show how the self-attention page grows with the sentence.")
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument("--only", nargs="*", help="only the rows whose name holds one of these (and the baseline)")
    parser.add_argument("--cpu", action="store_true", help="add a column: the median CPU time of a rerun")
    args = parser.parse_args()
    result = table(args.repeats, args.only, args.cpu)
    print(result)
    if args.readme:
        write_section("bench", result)
