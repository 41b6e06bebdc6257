"""Run the memory lab's default experiment and save it as the results the lab page opens on.

    python scripts/lab_results.py            # writes data/lab_default.json and data/lab_models.npz

Deterministic: the weights, the training batches and the held-out batch all come from the
seeds, so rerunning this gives the same numbers (to floating-point rounding across machines).
Prints each run as it finishes, and the wall time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui.lab import PRECOMPUTED, Experiment, label, save_precomputed, train_run  # noqa: E402


def main() -> None:
    experiment = Experiment()
    runs = {}
    start = time.perf_counter()
    for lag, kind, seed in experiment.plan():
        runs[(lag, kind, seed)] = run = train_run(experiment, lag, kind, seed, keep_params=seed == experiment.seed)
        print(f"lag {lag:3d}  {label(kind):14s}  seed {seed}  accuracy {run['accuracy']:.3f}  "
              f"{run['steps'] / run['seconds']:7.0f} steps/s  inside at the end: {run['probes'][-1][1]}", flush=True)
    save_precomputed(experiment, runs)
    print(f"{len(runs)} runs in {time.perf_counter() - start:.1f} s -> {PRECOMPUTED}")


if __name__ == "__main__":
    main()
