"""Benchmark the seq2seq page's training: steps per second per model, and the default run's wall time.

    python bench/bench_seq2seq.py            # print the table
    python bench/bench_seq2seq.py --readme   # also write it into README.md

Steps per second are the fastest of a few timed stretches at the page's default hidden size
and batch (64 dates). The baseline, measured in the same run, is the memory lab's GRU step at
lag 20 (ui.lab's defaults): the ratio says what a translator step costs against a step the lab
already takes, and holds up on a busy machine where the milliseconds do not. The default run is
the page's Train with its default settings (the shipped additive model), once from scratch,
against its target of one minute on this 2-core machine; its CPU seconds are beside the wall
time, since other work on a shared machine only adds to the wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.readme import machine, write_section  # noqa: E402
from core.translator import CONTEXTS  # noqa: E402
from ui import lab  # noqa: E402  (sets one BLAS thread, as the app does)
from ui import translator as models  # noqa: E402

TARGET_SECONDS = 60.0
STEPS = 40


def translator_steps_per_second(context: str, repeats: int = 3) -> float:
    run = models.Run(context=context, steps=STEPS)
    return max(STEPS / models.train_run(run)["seconds"] for _ in range(repeats))


def lab_steps_per_second(repeats: int = 3) -> float:
    experiment = lab.Experiment(steps=100)
    return max(100 / lab.train_run(experiment, 20, "gru", seed)["seconds"] for seed in range(repeats))


def table() -> str:
    baseline = lab_steps_per_second()
    rows = ["| model | steps/s | × the lab's GRU step (lag 20, batch 32) |", "|---|---:|---:|",
            f"| memory lab GRU (baseline) | {baseline:,.0f} | 1.0 |"]
    for context in CONTEXTS:
        speed = translator_steps_per_second(context)
        rows.append(f"| {context} | {speed:,.1f} | {speed / baseline:.2f} |")
    run = models.SHIPPED_RUNS["additive"]
    wall, cpu = time.perf_counter(), time.process_time()
    models.train_run(run)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    flag = "✓" if wall <= TARGET_SECONDS else "⚠"
    rows += ["", f"Default training (the page's Train as it opens: {run.context}, hidden {run.hidden}, {run.steps} "
                 f"steps, batch {models.BATCH}, then {models.HELD_OUT_SIZE} held-out dates scored): **{wall:.1f} s** "
                 f"wall, {cpu:.1f} s CPU {flag} (target ≤ {TARGET_SECONDS:.0f} s).", "",
             f"Measured by `python bench/bench_seq2seq.py --readme` on {machine()}; the machine's 1-minute load "
             f"average at the end, other work included: {os.getloadavg()[0]:.1f}. On a shared machine read the "
             "ratios, not the milliseconds."]
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    result = table()
    print(result)
    if args.readme:
        write_section("bench-seq2seq", result)
