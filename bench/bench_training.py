"""Benchmark the memory lab's training: steps per second per model against PyTorch, and the default experiment.

    python bench/bench_training.py            # print the table
    python bench/bench_training.py --readme   # also write it into README.md

A step is what core.training.train does per step, as the lab runs it (in float32): draw a batch
of memory_task, forward, backward, clip, Adam, and a look inside every 50 steps. The
PyTorch column (when torch is installed; it is not a requirement) runs the same model on the
same batches with the same step: torch.nn.RNN / LSTM / GRU, or an input nn.Linear + sinusoidal
positions + nn.TransformerEncoderLayer (one head, d_ff = 4·hidden, dropout 0) read at the cue,
then nn.Linear, cross-entropy, clip_grad_norm_, torch.optim.Adam; PyTorch's default float32 on
the CPU, one thread (as NumPy's BLAS here). Both are timed in CPU seconds of this process
(time.process_time, fastest of several stretches, the two libraries taking turns), so another
job on a shared machine slows neither; hidden 32, batch 32, at lags 20 and 80.

The default experiment is the one the lab page opens on, run once from scratch, against its
target of one minute: its CPU time (what it takes on an idle core; the target is checked on it)
and its wall time on this shared machine, with the load average beside it.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.readme import machine, write_section  # noqa: E402
from core.training import memory_task  # noqa: E402
from ui import lab  # noqa: E402  (sets one BLAS thread, as the app does)

try:
    import torch
except ImportError:  # the benchmark runs without it, leaving the PyTorch column out
    torch = None

TARGET_SECONDS = 60.0
TARGET_RATIO = 2.0
LAGS = (20, 80)
STEPS = 60  # per timed stretch
REPEATS = 4


def numpy_stretch(kind: str, lag: int, seed: int) -> float:
    """CPU seconds per step of the lab's own training (ui.lab.train_run, its looks inside included),
    from the end of step 1 to the end of step STEPS + 1 (not the set-up and final evaluation)."""
    clock = {}

    def tick(step, loss):
        clock[step] = time.process_time()

    lab.train_run(lab.Experiment(steps=STEPS + 1), lag, kind, seed, callback=tick)
    return (clock[STEPS + 1] - clock[1]) / STEPS


def torch_model(kind: str, hidden: int, input_size: int, classes: int):
    """The same model in PyTorch: a function from X (T, batch, input) to logits, and its parameters."""
    if kind == "attention":
        project = torch.nn.Linear(input_size, hidden)
        layer = torch.nn.TransformerEncoderLayer(hidden, 1, 4 * hidden, dropout=0.0, batch_first=True)
        head = torch.nn.Linear(hidden, classes)
        modules = (project, layer, head)

        def run(X):
            T = X.shape[0]
            pos = torch.arange(T)[:, None]
            freq = 10000.0 ** (-torch.arange(0, hidden, 2) / hidden)
            P = torch.zeros(T, hidden)
            P[:, 0::2], P[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
            return head(layer(project(X.transpose(0, 1)) + P)[:, -1])
    else:
        cell = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](input_size, hidden)
        head = torch.nn.Linear(hidden, classes)
        modules = (cell, head)

        def run(X):
            return head(cell(X)[0][-1])
    return run, [p for m in modules for p in m.parameters()]


def torch_stretch(kind: str, lag: int, seed: int) -> float:
    """CPU seconds per step of the same training in PyTorch (float32, one thread), over STEPS steps."""
    torch.manual_seed(seed)
    run, params = torch_model(kind, lab.Experiment().hidden, lab.NUM_SYMBOLS + 2, lab.NUM_SYMBOLS)
    optimiser = torch.optim.Adam(params, lr=lab.LR)
    data = np.random.default_rng([seed, 2])
    start = time.process_time()
    for _ in range(STEPS):
        X, y = memory_task(lag, lab.BATCH, lab.NUM_SYMBOLS, lab.NOISE, seed=data)
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(run(torch.from_numpy(X.astype(np.float32))), torch.from_numpy(y))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, lab.CLIP)
        optimiser.step()
    return (time.process_time() - start) / STEPS


def step_seconds(kind: str, lag: int) -> tuple[float, float | None]:
    """Fastest seconds per step of NumPy and of PyTorch (None without torch), taking turns."""
    ours, theirs = math.inf, math.inf
    for seed in range(REPEATS):
        ours = min(ours, numpy_stretch(kind, lag, seed))
        if torch is not None:
            theirs = min(theirs, torch_stretch(kind, lag, seed))
    return ours, theirs if torch is not None else None


def default_experiment_seconds() -> tuple[float, float]:
    """The default experiment from scratch: (wall seconds, CPU seconds of this process)."""
    experiment = lab.Experiment()
    start, cpu = time.perf_counter(), time.process_time()
    for lag, kind, seed in experiment.plan():
        lab.train_run(experiment, lag, kind, seed)
    return time.perf_counter() - start, time.process_time() - cpu


def table() -> str:
    if torch is not None:
        torch.set_num_threads(1)
    d = lab.Experiment()
    header = "| model | " + " | ".join(
        f"steps/s at lag {lag}" + (f" | PyTorch float32 at lag {lag} | × PyTorch's time" if torch else "")
        for lag in LAGS) + " |"
    rows = [header, "|---|" + ("---:|" * (3 if torch else 1)) * len(LAGS)]
    for kind in lab.KINDS:
        cells = []
        for lag in LAGS:
            ours, theirs = step_seconds(kind, lag)
            cells.append(f"{1 / ours:,.0f}")
            if theirs is not None:
                ratio = ours / theirs
                cells += [f"{1 / theirs:,.0f}", f"{ratio:.2f} {'✓' if ratio <= TARGET_RATIO else '⚠'}"]
        rows.append(f"| {lab.label(kind)} | " + " | ".join(cells) + " |")
    seconds, cpu = default_experiment_seconds()
    flag = "✓" if cpu <= TARGET_SECONDS else "⚠"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows += ["", f"Default experiment ({len(d.plan())} runs: {', '.join(map(lab.label, d.kinds))} × lags "
                 f"{', '.join(map(str, d.lags))} × {d.runs} seeds, up to {d.steps} steps each (a run ends once "
                 f"solved), hidden {d.hidden}, batch {lab.BATCH}): **{cpu:.1f} s of CPU time** {flag} (target "
                 f"≤ {TARGET_SECONDS:.0f} s); {seconds:.1f} s of wall time on this shared machine (load average "
                 f"{load:.1f} on {os.cpu_count()} cores at the end).", "",
             f"Measured by `python bench/bench_training.py --readme` on {machine()}"
             + (f", PyTorch {torch.__version__}" if torch else " (PyTorch not installed: no PyTorch column)")
             + f"; steps/s in CPU time, fastest of {REPEATS} stretches of {STEPS} steps. "
             f"Target: every model within {TARGET_RATIO:.0f}× PyTorch's time per step."]
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument("--no-experiment", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.no_experiment:
        default_experiment_seconds = lambda: (float("nan"), float("nan"))  # noqa: E731  (the step rows only)
    result = table()
    print(result)
    if args.readme:
        write_section("bench-training", result)
