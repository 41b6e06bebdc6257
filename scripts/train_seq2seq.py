"""Make the seq2seq page's shipped models and its precomputed experiment, reproducibly from seeds.

    python scripts/train_seq2seq.py               # the four shipped models -> data/s2s_dates.npz
    python scripts/train_seq2seq.py --only fixed  # retrain one, keep the others
    python scripts/train_seq2seq.py --experiment  # attention vs fixed context by input length
                                                  #   -> data/s2s_experiment.json

Every run is deterministic (core.translator.train: weights and batches from the run's seed), so
rerunning either gives the same weights and numbers; only the seconds differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui import translator as models  # noqa: E402  (sets one BLAS thread, as the app does)


def shipped(only: list[str] | None) -> None:
    # --only retrains some models and keeps the others' saved runs (each run is deterministic)
    results = {c: r for c, r in models.load_shipped().items() if c not in only} if only else {}
    for context, run in models.SHIPPED_RUNS.items():
        if context in results:
            continue
        results[context] = models.train_run(run)
        r = results[context]
        print(f"{context:9s} hidden {run.hidden}, {run.steps} steps: held-out exact match {r['accuracy']:.2%}, "
              f"{r['seconds']:.1f} s ({run.steps / r['seconds']:.0f} steps/s)", flush=True)
    models.save_shipped({c: results[c] for c in models.SHIPPED_RUNS})
    print(f"wrote {models.SHIPPED.relative_to(models.DATA.parent)} ({models.SHIPPED.stat().st_size / 1e3:.0f} kB)")


def experiment() -> None:
    setup, runs = models.Experiment(), {}
    for run in setup.plan():
        runs[run] = models.experiment_run(run)
        r = runs[run]
        print(f"{run.context:9s} seed {run.seed}: whole {[f'{a:.0%}' for a in r['whole']]}, "
              f"first date {[f'{a:.0%}' for a in r['first']]}, {r['seconds']:.0f} s", flush=True)
    models.save_experiment(setup, runs)
    print(f"wrote {models.EXPERIMENT.relative_to(models.DATA.parent)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", action="store_true", help="run the length experiment instead")
    parser.add_argument("--only", nargs="*", choices=models.SHIPPED_RUNS, help="retrain only these shipped models")
    args = parser.parse_args()
    experiment() if args.experiment else shipped(args.only)
