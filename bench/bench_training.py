"""Benchmark the memory lab's training: steps per second per cell, and the default experiment's wall time.

    python bench/bench_training.py            # print the table
    python bench/bench_training.py --readme   # also write it into README.md

Steps per second are the fastest of a few timed stretches of training at the lab's default
hidden size and batch, at two lags (a step costs time in proportion to lag + 2). The default
experiment is the one the lab page opens on, run once from scratch, against its target of
one minute on this 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.readme import machine, write_section  # noqa: E402
from ui import lab  # noqa: E402  (sets one BLAS thread, as the app does)

TARGET_SECONDS = 60.0
LAGS = (5, 20)
STEPS = 100


def steps_per_second(kind: str, lag: int, repeats: int = 3) -> float:
    experiment = lab.Experiment(steps=STEPS)
    return max(STEPS / lab.train_run(experiment, lag, kind, seed)["seconds"] for seed in range(repeats))


def default_experiment_seconds() -> float:
    experiment = lab.Experiment()
    start = time.perf_counter()
    for lag, kind, seed in experiment.plan():
        lab.train_run(experiment, lag, kind, seed)
    return time.perf_counter() - start


def table() -> str:
    d = lab.Experiment()
    rows = ["| cell | " + " | ".join(f"steps/s at lag {lag}" for lag in LAGS) + " |",
            "|---|" + "---:|" * len(LAGS)]
    for kind in lab.KINDS:
        speeds = [f"{steps_per_second(kind, lag):,.0f}" for lag in LAGS]
        rows.append(f"| {lab.label(kind)} | " + " | ".join(speeds) + " |")
    seconds = default_experiment_seconds()
    flag = "✓" if seconds <= TARGET_SECONDS else "⚠"
    rows += ["", f"Default experiment ({len(d.plan())} runs: {', '.join(map(lab.label, d.kinds))} × lags "
                 f"{', '.join(map(str, d.lags))} × {d.runs} seeds, {d.steps} steps each, hidden {d.hidden}, "
                 f"batch {lab.BATCH}): **{seconds:.1f} s** {flag} (target ≤ {TARGET_SECONDS:.0f} s).", "",
             f"Measured by `python bench/bench_training.py --readme` on {machine()}."]
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    result = table()
    print(result)
    if args.readme:
        write_section("bench-training", result)
