"""The seq2seq page's trained date translators: the shipped models, live runs, the length experiment.

No Streamlit here: the page and `scripts/train_seq2seq.py` (which makes the shipped weights and
the experiment's saved results) train through the same functions, so both give the same numbers.
Finished runs go into one results cache shared by every session (ui.lab.Results).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core import dates, translator
from core.translator import CONTEXTS
from ui.lab import TIME_CAP, Results  # noqa: F401  (importing ui.lab also sets one BLAS thread)

DATA = Path(__file__).resolve().parents[1] / "data"
SHIPPED, EXPERIMENT = DATA / "s2s_dates.npz", DATA / "s2s_experiment.json"
HIDDEN_CHOICES = (8, 16, 32, 48, 64)
STEP_CHOICES = (100, 200, 300, 400, 600, 800, 1000, 1500, 2000)
MAX_DATES = 4  # the experiment's longest input: this many dates in a row
# Fixed for every run, and said on the page: the optimiser and the data.
BATCH, LR, CLIP = 64, 0.01, 1.0
HELD_OUT_SIZE = 1_000  # held-out dates a run is scored on (exact match)
EXPERIMENT_HELD_OUT = 200  # held-out examples per input length in the experiment


@dataclass(frozen=True)
class Run:
    """One training run's settings. The defaults, one per context, are the shipped models."""

    context: str = "additive"
    hidden: int = 32
    steps: int = 600
    seed: int = 0
    dates: int = 1  # train on 1..dates dates in a row (the experiment); 1 for the shipped models

    def key(self) -> tuple:
        """Everything the run's result depends on."""
        return (*asdict(self).values(), BATCH, LR, CLIP)


DEFAULT_STEPS = {"dot": 600, "general": 1000, "additive": 600, "fixed": 1500}
SHIPPED_RUNS = {c: Run(context=c, steps=DEFAULT_STEPS[c]) for c in CONTEXTS}
RESULTS = Results(limit=48)  # a run keeps its weights (~150 kB at hidden 32): the cache stays small


@lru_cache(maxsize=4)
def held_out(n: int = HELD_OUT_SIZE, dates_in_a_row: int = 1, seed: int = 1) -> tuple[list[str], list[list[str]]]:
    """Held-out pairs (days never drawn for training), half with the weekday: (Korean texts, English tokens)."""
    _, test = dates.split()
    return dates.sample(n, np.random.default_rng([seed, dates_in_a_row]), test, dates_in_a_row)


def train_run(run: Run, callback=None) -> dict:
    """Train one model: {"params", "loss" (per step), "steps", "seconds", "accuracy" (held-out exact match)}.

    `callback(step, loss, params)` is core.translator.train's: returning True stops the run early
    (the accuracy is then None: a cut run is not a result).
    """
    start = time.perf_counter()
    result = translator.train(run.context, run.hidden, run.steps, run.seed, batch=BATCH, lr=LR, clip=CLIP,
                              dates_per_example=tuple(range(1, run.dates + 1)), callback=callback)
    seconds = time.perf_counter() - start
    finished = result["steps"] == run.steps
    accuracy = translator.evaluate(run.context, result["params"], *held_out()) if finished else None
    return {**result, "seconds": seconds, "accuracy": accuracy}


def finished(run: Run) -> dict | None:
    return RESULTS.get(run.key())


# --- the shipped models ----------------------------------------------------------------------


def save_shipped(results: dict, path: Path = SHIPPED) -> None:
    """Write each context's weights (float32: half the bytes, the same translations; the test
    checks the loaded weights) with its settings, held-out accuracy and loss curve."""
    arrays = {f"{c}/{k}": v.astype(np.float32) for c, r in results.items() for k, v in r["params"].items()}
    meta = {c: {"run": asdict(SHIPPED_RUNS[c]), "accuracy": r["accuracy"], "seconds": round(r["seconds"], 2),
                "loss": [round(float(v), 5) for v in r["loss"]]} for c, r in results.items()}
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)


@lru_cache(maxsize=1)
def _read_shipped(path: Path) -> dict:
    with np.load(path) as npz:
        meta = json.loads(str(npz["meta"]))
        out = {}
        for c, m in meta.items():
            params = {k.split("/", 1)[1]: npz[k].astype(np.float64) for k in npz.files if k.startswith(f"{c}/")}
            out[c] = {"params": params, "loss": np.array(m["loss"]), "steps": len(m["loss"]),
                      "seconds": m["seconds"], "accuracy": m["accuracy"]}
    return out


def load_shipped(path: Path = SHIPPED) -> dict:
    """{context: run result} of the shipped models, also put into RESULTS so that Train with their
    settings is instant."""
    shipped = _read_shipped(path)
    for c, result in shipped.items():
        RESULTS.put(SHIPPED_RUNS[c].key(), result)
    return shipped


# --- explaining one translation --------------------------------------------------------------


def explain(context: str, params: dict, text: str) -> dict:
    """The greedy translation of one readable Korean date, every step kept:

        chars (n,) the source characters; tokens (m,) the output tokens (EOS last when it came);
        query, context, state (m, h); scores, weights (m, n) (None for "fixed"); probs (m, V_tgt);
        keys (n, h) the encoder states h_e,j.
    """
    chars = [c for c in text if not c.isspace()]
    out = translator.greedy(context, params, dates.encode_source([text]), max_len=len(chars) + 2)
    tokens = [dates.TARGET_VOCAB[i] for i in out["tokens"][0]]
    one = {k: out[k][:, 0] for k in ("query", "context", "state", "probs")}
    for k in ("scores", "weights"):
        one[k] = out[k][:, 0] if k in out else None
    return {"chars": chars, "tokens": tokens, "keys": out["K"][0], **one}


def top_tokens(probs: np.ndarray, k: int = 5) -> tuple[list[str], np.ndarray]:
    """The k most likely tokens of one step's distribution, most likely first, and their probabilities."""
    order = np.argsort(-probs, kind="stable")[:k]
    return [dates.TARGET_VOCAB[i] for i in order], probs[order]


# --- the experiment: attention against a fixed context as the input grows -----------------


@dataclass(frozen=True)
class Experiment:
    """Attention and the fixed context, the same hidden size, steps and seeds, trained on 1..MAX_DATES dates
    in a row; exact match by how many dates the input holds."""

    contexts: tuple = ("additive", "fixed")
    hidden: int = 32
    steps: int = 1500
    seed: int = 0
    runs: int = 2

    def plan(self) -> list[Run]:
        return [Run(context=c, hidden=self.hidden, steps=self.steps, seed=s, dates=MAX_DATES)
                for s in range(self.seed, self.seed + self.runs) for c in self.contexts]


def by_length(run: Run, params: dict) -> dict:
    """{"whole": exact match of the whole output, "first": of the first date alone}, each over 1..MAX_DATES dates."""
    whole, first = [], []
    for k in range(1, MAX_DATES + 1):
        sources, targets = held_out(EXPERIMENT_HELD_OUT, k)
        got = translator.translate(run.context, params, sources, max_len=max(map(len, targets)) + 1)
        pairs = list(zip(got, targets, strict=True))
        whole.append(float(np.mean([g == w for g, w in pairs])))
        first.append(float(np.mean([_first_date(g) == _first_date(w) for g, w in pairs])))
    return {"whole": whole, "first": first}


def _first_date(tokens: list) -> list:
    return tokens[:tokens.index(dates.SEP)] if dates.SEP in tokens else tokens


def experiment_run(run: Run, callback=None) -> dict | None:
    """Train one of the experiment's runs and score it by input length; None if the callback stopped it."""
    result = train_run(run, callback)
    if result["accuracy"] is None:
        return None
    return {"loss": result["loss"], "steps": result["steps"], "seconds": result["seconds"],
            **by_length(run, result["params"])}


def save_experiment(experiment: Experiment, runs: dict, path: Path = EXPERIMENT) -> None:
    data = {"experiment": asdict(experiment), "fixed": {"batch": BATCH, "lr": LR, "clip": CLIP,
                                                       "held_out": EXPERIMENT_HELD_OUT, "max_dates": MAX_DATES},
            "runs": [{"run": asdict(run), "whole": r["whole"], "first": r["first"], "seconds": round(r["seconds"], 2),
                      "loss": [round(float(v), 5) for v in r["loss"][::10]]} for run, r in runs.items()]}
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def _read_experiment(path: Path) -> tuple[Experiment, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    experiment = Experiment(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["experiment"].items()})
    runs = {Run(**r["run"]): {"whole": r["whole"], "first": r["first"], "seconds": r["seconds"],
                              "loss": np.array(r["loss"]), "steps": r["run"]["steps"]} for r in data["runs"]}
    return experiment, runs


EXPERIMENT_RESULTS = Results(limit=200)  # no weights kept: accuracies and a thinned loss curve


def load_experiment(path: Path = EXPERIMENT) -> tuple[Experiment, dict]:
    """The saved experiment and its runs, also put into EXPERIMENT_RESULTS (a rerun of them is instant)."""
    experiment, runs = _read_experiment(path)
    for run, result in runs.items():
        EXPERIMENT_RESULTS.put(run.key(), result)
    return experiment, runs


def experiment_done(experiment: Experiment) -> dict:
    """{run: result} of the experiment's finished runs."""
    found = {run: EXPERIMENT_RESULTS.get(run.key()) for run in experiment.plan()}
    return {run: r for run, r in found.items() if r is not None}


def mean_by_length(experiment: Experiment, runs: dict, measure: str = "whole") -> dict:
    """{context: mean accuracy over the finished seeds at 1..MAX_DATES dates} for contexts with every seed done."""
    out = {}
    for c in experiment.contexts:
        rows = [runs[r][measure] for r in experiment.plan() if r.context == c and r in runs]
        if len(rows) == experiment.runs:
            out[c] = np.mean(rows, axis=0)
    return out
