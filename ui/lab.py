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

from core.attention import softmax
from core.training import forward, memory_task, train
from ui.i18n import text

# The lab's matrices are small (hidden 32, batch 32): OpenBLAS's worker threads cost more than
# they give there (training ran 3-4x slower with them on 2 shared cores), and a hosted app's
# sessions already share the cores. One BLAS thread for the whole process.
threadpool_limits(1, user_api="blas")

PRECOMPUTED = Path(__file__).resolve().parents[1] / "data" / "lab_default.json"
MODELS_FILE = PRECOMPUTED.with_name("lab_models.npz")  # the default experiment's trained models, first seed
KINDS = ("rnn", "lstm", "gru", "attention")
LAG_CHOICES = (0, 2, 5, 10, 20, 30, 40, 60, 80, 120)
HIDDEN_CHOICES = (1, 2, 4, 8, 16, 32, 64)
STEP_CHOICES = (50, 100, 200, 400, 600, 800, 1000, 1500, 2000)
MAX_RUNS = 3  # seeds per setting
# How the recurrent cells start (core.training.init_params' init, and a memory-gate bias), the
# same for every cell; the page explains each. Attention always starts from PyTorch's initialisation.
PROTOCOLS = {"chrono": ("chrono", None), "bias1": ("orthogonal", 1.0), "pytorch": ("pytorch", None)}
# Their names, technical terms written the same in every language (the page adds a translated caption).
PROTOCOL_NAMES = {"chrono": "chrono + orthogonal W_hh", "bias1": "bias 1 + orthogonal W_hh",
                  "pytorch": "PyTorch default"}
# Fixed for every experiment, and said on the page: the task and the optimiser (Adam at one
# constant learning rate for every model, gradients clipped to global norm 1), float32 training.
NUM_SYMBOLS, NOISE, BATCH, LR, CLIP = 4, 1.0, 32, 0.01, 1.0
DTYPE = "float32"
PROBE_EVERY = 50  # steps between looks inside a model during training (core.training.probe)
# A run ends once it has solved the task: training loss below SOLVED, averaged over the last 50
# steps (a probability of ~99% on the right symbol). Every model has the same budget of steps.
SOLVED = 0.01
# Stop an experiment after this many seconds, so one learner's run never holds a shared
# server for long; SEQDASH_LAB_SECONDS changes it (0: no cap, for your own machine).
TIME_CAP = float(os.environ.get("SEQDASH_LAB_SECONDS", "120"))


@dataclass(frozen=True)
class Experiment:
    """What the learner chooses. The defaults are the experiment the page opens on."""

    kinds: tuple = KINDS
    lags: tuple = (5, 10, 20, 40, 80)
    hidden: int = 32
    steps: int = 1000
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
                NUM_SYMBOLS, NOISE, BATCH, LR, CLIP, DTYPE, PROBE_EVERY, SOLVED)


def train_run(experiment: Experiment, lag: int, kind: str, seed: int, callback=None, keep_params=False) -> dict:
    """Train one model at one lag: {"accuracy", "loss" (per step), "grad_norm" (per step),
    "probes" (core.training.probe every PROBE_EVERY steps, and after the last), "steps" (done),
    "stopped" (None, "solved" or "callback"), "seconds"}, and "params" if keep_params.

    `callback(step, loss)` is core.training.train's: returning True stops the run early.
    """
    init, gate_bias = PROTOCOLS[experiment.protocol] if kind != "attention" else ("pytorch", None)
    start = time.perf_counter()
    result = train(kind, lag, experiment.hidden, experiment.steps, seed, batch=BATCH, lr=LR, clip=CLIP,
                   num_symbols=NUM_SYMBOLS, noise=NOISE, callback=callback, init=init, gate_bias=gate_bias,
                   dtype=DTYPE, probe_every=PROBE_EVERY, solved_below=SOLVED)
    run = {"accuracy": result["accuracy"], "loss": result["loss"], "grad_norm": result["grad_norm"],
           "probes": result["probes"], "steps": result["steps"], "stopped": result["stopped"],
           "seconds": time.perf_counter() - start}
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
# The trained weights of each setting's first seed, for the look inside: up to ~50 kB a model,
# so far fewer of them are kept than results.
MODELS = Results(limit=64)


def label(kind: str, lang: str = "en") -> str:
    """A model's name as the pages write it: RNN, LSTM, GRU, and self-attention's as the catalog spells
    it in `lang` (Self-attention; Self-Attention in Korean, the glossary's)."""
    return text(lang, "lab.model_attention") if kind == "attention" else kind.upper()


def smooth(values, window: int) -> np.ndarray:
    """Moving average over `window` steps (fewer at the start), as long as `values`."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, values.size + 1), window)
    return (sums[1:] - sums[np.arange(values.size) + 1 - counts]) / counts


def seeds(experiment: Experiment) -> range:
    return range(experiment.seed, experiment.seed + experiment.runs)


def missing(experiment: Experiment) -> list:
    """The runs of `experiment` that training would still have to do, in plan order."""
    return [run for run in experiment.plan() if RESULTS.get(experiment.key(*run)) is None]


def done(experiment: Experiment) -> dict:
    """The finished runs of `experiment` that the page shows: {(lag, kind, seed): run}, for every
    (lag, model) whose seeds have ALL finished. A setting with only some seeds done shows nowhere
    (not in the chart, the table, the curves or the speeds) until the rest are trained."""
    found = {run: RESULTS.get(experiment.key(*run)) for run in experiment.plan()}
    complete = {(lag, kind) for lag, kind, _ in found
                if all(found[(lag, kind, s)] is not None for s in seeds(experiment))}
    return {run: result for run, result in found.items() if run[:2] in complete}


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


def seed_label(kind: str, seed: int, lang: str = "en") -> str:
    """A run's name in the charts that draw each seed: "GRU · seed 1"."""
    return f"{label(kind, lang)} · seed {seed}"


def loss_curves(experiment: Experiment, runs: dict, lag: int, lang: str = "en") -> dict:
    """{seed_label: the training loss per step} at one lag, one curve per seed, each as long as its run."""
    return {seed_label(kind, s, lang): runs[(lag, kind, s)]["loss"]
            for kind in experiment.kinds for s in seeds(experiment) if (lag, kind, s) in runs}


def worst_probe(experiment: Experiment, runs: dict, lag: int, kind: str) -> dict:
    """core.training.probe after training, of the seed that ended least accurate: {name: value} ({} if no run)."""
    found = [runs[(lag, kind, s)] for s in seeds(experiment) if (lag, kind, s) in runs]
    return dict(min(found, key=lambda r: r["accuracy"])["probes"][-1][1]) if found else {}


def probe_curves(experiment: Experiment, runs: dict, lag: int, name: str, lang: str = "en") -> dict:
    """{seed_label: (steps, value of probe `name` at those steps)} for the runs whose model has it."""
    return {seed_label(kind, s, lang): (np.array([step for step, _ in probes]), np.array([p[name] for _, p in probes]))
            for kind in experiment.kinds for s in seeds(experiment)
            if (lag, kind, s) in runs and name in (probes := runs[(lag, kind, s)]["probes"])[0][1]}


def inside(kind: str, params: dict, lag: int, example: int) -> dict:
    """A trained model on one example sequence of the task (memory_task(lag, 1, seed=example)):
    {"X" (T, input), "symbol", "prediction", "p" (probabilities)} and what the model did inside:
    RNN "H"; LSTM "i", "f", "H"; GRU "z", "H", each (T, hidden); attention "weights" (T,), the cue's row."""
    X, y = memory_task(lag, 1, NUM_SYMBOLS, NOISE, seed=example)  # (T, 1, input), (1,)
    trace, logits = forward(kind, params, X)
    out = {"X": X[:, 0], "symbol": int(y[0]), "prediction": int(logits[0].argmax()), "p": softmax(logits[0])}
    if kind == "attention":
        return out | {"weights": trace["layers"][0]["weights"][0, 0, -1]}  # (T,): the cue's attention
    return out | {k: trace[k][:, 0] for k in ("H", "i", "f", "z") if k in trace}


def steps_per_second(runs: dict) -> dict:
    """{kind: training steps per second over its finished runs}."""
    totals: dict = {}
    for (_, kind, _), run in runs.items():
        steps, seconds = totals.get(kind, (0, 0.0))
        totals[kind] = (steps + run["steps"], seconds + run["seconds"])
    return {kind: steps / seconds for kind, (steps, seconds) in totals.items() if seconds > 0}


# --- the results a first visit opens on -----------------------------------------------------


def save_precomputed(experiment: Experiment, runs: dict, path: Path = PRECOMPUTED, models: Path = MODELS_FILE) -> None:
    """Write the experiment's runs as JSON (losses to 6 decimals, gradient norms and looks inside to 4
    significant digits), with the settings that made them, and the first seed's trained models as .npz."""
    data = {"experiment": asdict(experiment), "fixed": fixed_settings(),
            "runs": [{"lag": lag, "kind": kind, "seed": seed, "accuracy": r["accuracy"], "steps": r["steps"],
                      "stopped": r["stopped"], "seconds": round(r["seconds"], 3),
                      "loss": [round(float(v), 6) for v in r["loss"]],
                      "grad_norm": [float(f"{v:.4g}") for v in r["grad_norm"]],
                      "probes": [[step, {k: float(f"{v:.4g}") for k, v in probe.items()}]
                                 for step, probe in r["probes"]]}
                     for (lag, kind, seed), r in runs.items()]}
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    arrays = {f"{kind}/{lag}/{name}": value.astype(np.float32)  # trained in float32: nothing lost
              for (lag, kind, seed), r in runs.items() if seed == experiment.seed
              for name, value in r["params"].items()}
    np.savez_compressed(models, **arrays)


def fixed_settings() -> dict:
    """What every experiment shares (saved with the precomputed runs, and checked against them)."""
    return {"num_symbols": NUM_SYMBOLS, "noise": NOISE, "batch": BATCH, "lr": LR, "clip": CLIP, "dtype": DTYPE,
            "probe_every": PROBE_EVERY, "solved": SOLVED}


def load_precomputed(path: Path = PRECOMPUTED) -> tuple[Experiment, dict]:
    """The saved experiment and its runs, also put into RESULTS so that a rerun of them is instant
    (and their first seed's trained models into MODELS)."""
    experiment, runs = _read(path)
    for (lag, kind, seed), run in runs.items():
        RESULTS.put(experiment.key(lag, kind, seed), run)
    for (lag, kind), params in _read_models(MODELS_FILE).items():
        MODELS.put(experiment.key(lag, kind, experiment.seed), params)
    return experiment, runs


@lru_cache(maxsize=2)
def _read(path: Path) -> tuple[Experiment, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    experiment = Experiment(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["experiment"].items()})
    runs = {(r["lag"], r["kind"], r["seed"]): {"accuracy": r["accuracy"], "loss": np.array(r["loss"]),
                                               "grad_norm": np.array(r["grad_norm"]),
                                               "probes": [(step, probe) for step, probe in r["probes"]],
                                               "steps": r["steps"], "stopped": r["stopped"],
                                               "seconds": r["seconds"]}
            for r in data["runs"]}
    return experiment, runs


@lru_cache(maxsize=1)
def _read_models(path: Path) -> dict:
    """{(lag, kind): params} from the .npz save_precomputed writes."""
    models: dict = {}
    with np.load(path) as data:
        for name in data.files:
            kind, lag, key = name.split("/", 2)
            models.setdefault((int(lag), kind), {})[key] = data[name]
    return models
