"""The long-term dependency lab: an experiment's settings, its runs, and one results cache for every session.

No Streamlit here: the lab page and `scripts/lab_results.py` (which makes the results a first
visit opens on) run experiments through the same functions, so both give the same numbers.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from core.training import train

# The lab's matrices are small (hidden 32, batch 32): OpenBLAS's worker threads cost more than
# they give there (training ran 3-4x slower with them on 2 shared cores), and a hosted app's
# sessions already share the cores. One BLAS thread for the whole process.
threadpool_limits(1, user_api="blas")

PRECOMPUTED = Path(__file__).resolve().parents[1] / "data" / "lab_default.json"
KINDS = ("rnn", "lstm", "gru", "attention")
LAG_CHOICES = (0, 2, 5, 10, 20, 30, 40, 60, 80, 120)
HIDDEN_CHOICES = (1, 2, 4, 8, 16, 32, 64)
STEP_CHOICES = (50, 100, 200, 400, 600, 800, 1000, 1500, 2000)
MAX_RUNS = 3  # seeds per setting
# How the recurrent cells start (core.training.init_params' init, and a memory-gate bias), the
# same for every cell; the page explains each. Attention always starts from PyTorch's initialisation.
PROTOCOLS = {"chrono": ("chrono", None), "bias1": ("orthogonal", 1.0), "pytorch": ("pytorch", None)}
# Fixed for every experiment, and said on the page: the task and the optimiser (Adam at one
# constant learning rate for every model, gradients clipped to global norm 1), float32 training.
NUM_SYMBOLS, NOISE, BATCH, LR, CLIP = 4, 1.0, 32, 0.01, 1.0
DTYPE = "float32"
PROBE_EVERY = 50  # steps between looks inside a model during training (core.training.probe)
# Stop an experiment after this many seconds, so one learner's run never holds a shared
# server for long; SEQDASH_LAB_SECONDS changes it (0: no cap, for your own machine).
TIME_CAP = float(os.environ.get("SEQDASH_LAB_SECONDS", "120"))


@dataclass(frozen=True)
class Experiment:
    """What the learner chooses. The defaults are the experiment the page opens on."""

    kinds: tuple = KINDS
    lags: tuple = (5, 10, 20, 40, 80)
    hidden: int = 32
    steps: int = 600
    seed: int = 0
    runs: int = 2
    protocol: str = "chrono"

    def plan(self) -> list[tuple[int, str, int]]:
        """Every run, (lag, kind, seed), shortest lag first so that the chart fills from the left."""
        return [(lag, kind, seed) for lag in sorted(self.lags) for kind in self.kinds
                for seed in range(self.seed, self.seed + self.runs)]

    def key(self, lag: int, kind: str, seed: int) -> tuple:
        """Everything a run's result depends on."""
        return (kind, lag, self.hidden, self.steps, seed, self.protocol if kind != "attention" else None,
                NUM_SYMBOLS, NOISE, BATCH, LR, CLIP, DTYPE)


def train_run(experiment: Experiment, lag: int, kind: str, seed: int, callback=None, keep_params=False) -> dict:
    """Train one model at one lag: {"accuracy", "loss" (per step), "grad_norm" (per step),
    "probes" (core.training.probe every PROBE_EVERY steps), "steps", "seconds"}, and "params" if keep_params.

    `callback(step, loss)` is core.training.train's: returning True stops the run early.
    """
    init, gate_bias = PROTOCOLS[experiment.protocol] if kind != "attention" else ("pytorch", None)
    start = time.perf_counter()
    result = train(kind, lag, experiment.hidden, experiment.steps, seed, batch=BATCH, lr=LR, clip=CLIP,
                   num_symbols=NUM_SYMBOLS, noise=NOISE, callback=callback, init=init, gate_bias=gate_bias,
                   dtype=DTYPE, probe_every=PROBE_EVERY)
    run = {"accuracy": result["accuracy"], "loss": result["loss"], "grad_norm": result["grad_norm"],
           "probes": result["probes"], "steps": result["steps"], "seconds": time.perf_counter() - start}
    return run | ({"params": result["params"]} if keep_params else {})


class Results:
    """Finished runs by key, shared by every session of the server (a run is deterministic, so a
    classmate's run is as good as your own), least recently used dropped past `limit`."""

    def __init__(self, limit: int = 2_000):
        self._runs: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.limit = limit

    def get(self, key):
        with self._lock:
            if key in self._runs:
                self._runs.move_to_end(key)
            return self._runs.get(key)

    def put(self, key, run: dict) -> None:
        with self._lock:
            self._runs[key] = run
            self._runs.move_to_end(key)
            while len(self._runs) > self.limit:
                self._runs.popitem(last=False)


RESULTS = Results()


def label(kind: str) -> str:
    """A model's name as the pages write it, the same in every language: RNN, LSTM, GRU, Self-attention."""
    return "Self-attention" if kind == "attention" else kind.upper()


def smooth(values, window: int) -> np.ndarray:
    """Moving average over `window` steps (fewer at the start), as long as `values`."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, values.size + 1), window)
    return (sums[1:] - sums[np.arange(values.size) + 1 - counts]) / counts


def done(experiment: Experiment) -> dict:
    """The runs of `experiment` already finished: {(lag, kind, seed): run}."""
    found = {run: RESULTS.get(experiment.key(*run)) for run in experiment.plan()}
    return {run: result for run, result in found.items() if result is not None}


def accuracy_by_lag(experiment: Experiment, runs: dict) -> dict:
    """{kind: (lags with every seed finished, their mean accuracy, their lowest, their highest)}."""
    out = {}
    for kind in experiment.kinds:
        lags, mean, low, high = [], [], [], []
        for lag in sorted(experiment.lags):
            seeds = [runs.get((lag, kind, s)) for s in range(experiment.seed, experiment.seed + experiment.runs)]
            if all(seeds):
                accuracies = [r["accuracy"] for r in seeds]
                lags.append(lag)
                mean.append(float(np.mean(accuracies)))
                low.append(min(accuracies))
                high.append(max(accuracies))
        out[kind] = (lags, mean, low, high)
    return out


def mean_loss(experiment: Experiment, runs: dict, lag: int, kind: str) -> np.ndarray | None:
    """The training loss per step at one lag, averaged over the finished seeds (None if none)."""
    curves = [runs[(lag, kind, s)]["loss"] for s in range(experiment.seed, experiment.seed + experiment.runs)
              if (lag, kind, s) in runs]
    if not curves:
        return None
    n = min(len(c) for c in curves)
    return np.mean([c[:n] for c in curves], axis=0)


def steps_per_second(runs: dict) -> dict:
    """{kind: training steps per second over its finished runs}."""
    totals: dict = {}
    for (_, kind, _), run in runs.items():
        steps, seconds = totals.get(kind, (0, 0.0))
        totals[kind] = (steps + run["steps"], seconds + run["seconds"])
    return {kind: steps / seconds for kind, (steps, seconds) in totals.items() if seconds > 0}


# --- the results a first visit opens on -----------------------------------------------------


def save_precomputed(experiment: Experiment, runs: dict, path: Path = PRECOMPUTED) -> None:
    """Write the experiment's runs as JSON (losses to 6 decimals), with the settings that made them."""
    data = {"experiment": asdict(experiment), "fixed": {"num_symbols": NUM_SYMBOLS, "noise": NOISE, "batch": BATCH,
                                                       "lr": LR, "clip": CLIP},
            "runs": [{"lag": lag, "kind": kind, "seed": seed, "accuracy": r["accuracy"], "steps": r["steps"],
                      "seconds": round(r["seconds"], 3), "loss": [round(float(v), 6) for v in r["loss"]]}
                     for (lag, kind, seed), r in runs.items()]}
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


def load_precomputed(path: Path = PRECOMPUTED) -> tuple[Experiment, dict]:
    """The saved experiment and its runs, also put into RESULTS so that a rerun of them is instant."""
    experiment, runs = _read(path)
    for (lag, kind, seed), run in runs.items():
        RESULTS.put(experiment.key(lag, kind, seed), run)
    return experiment, runs


@lru_cache(maxsize=2)
def _read(path: Path) -> tuple[Experiment, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    experiment = Experiment(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["experiment"].items()})
    runs = {(r["lag"], r["kind"], r["seed"]): {"accuracy": r["accuracy"], "loss": np.array(r["loss"]),
                                               "steps": r["steps"], "seconds": r["seconds"]}
            for r in data["runs"]}
    return experiment, runs
