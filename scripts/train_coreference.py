"""Train the self-attention page's model: what does "it" refer to? Writes data/coref_transformer.npz.

    python scripts/train_coreference.py            # the shipped weights (seed 0), under a minute
    python scripts/train_coreference.py --seed 3 --out /tmp/coref.npz

core.coreference generates the sentences ("The animal didn't cross the street because it was
too tired / wide", many nouns, verbs and adjectives) and trains core.transformer's encoder on
their GloVe vectors with Adam; rerunning with the same arguments gives the same weights.

The file holds every parameter under its PyTorch name, the Config, the training loss, and what
the weights do on sentences never seen in training (held-out accuracy; the mean attention
weight from "it" to the referent and to the other noun, per layer and head). The page shows
those numbers; tests/test_coreference.py checks the accuracies again from the weights.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

# Small matrices: one BLAS thread is faster here, and kinder to a shared machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core.coreference import CHASE, attention_to_referent, evaluate, sentences, split_words, train  # noqa: E402
from core.transformer import Config  # noqa: E402

CONFIG = Config(d_in=50, d_model=32, num_heads=2, d_ff=64, num_layers=2, positional="sinusoidal", attn_bias=False)
STEPS = 1500
HELD_OUT = 2000  # sentences per held-out set
SEEDS = {"same_words": 101, "new_words": 102}  # the held-out sentences' generators


def held_out_sets(seed: int) -> dict:
    """Held-out sentences: training words in sentences never trained on (the training batches are
    drawn from another generator, and any sentence also drawn in training is removed), and
    sentences of held-out words only."""
    words = split_words(seed)
    trained = {" ".join(s[0]) for s in training_sentences(seed)}
    same = [s for s in sentences(words["train"], HELD_OUT, SEEDS["same_words"]) if " ".join(s[0]) not in trained]
    return {"same_words": same, "new_words": sentences(words["test"], HELD_OUT, SEEDS["new_words"])}


@lru_cache(maxsize=2)
def training_sentences(seed: int) -> tuple:
    """Every sentence the training run sees (replays train's generator), to keep them out of the held-out set."""
    from core.coreference import TEMPLATES

    words = split_words(seed)["train"]
    data = np.random.default_rng([seed, 2])
    seen = []
    for _ in range(STEPS):
        template = int(data.integers(len(TEMPLATES)))
        seen += sentences(words, 64, data, template=template)
    return tuple(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "coref_transformer.npz")
    args = parser.parse_args()
    start = time.perf_counter()
    result = train(CONFIG, args.seed, args.steps,
                   callback=lambda step, loss: print(f"step {step}: loss {loss:.4f}", flush=True)
                   if step % 100 == 0 else None)
    params = result["params"]
    tests = {f"{name}/{family}": [s for s in items if (s[4] in CHASE) == (family == "chase")]
             for name, items in held_out_sets(args.seed).items() for family in ("street", "chase")}
    attention = {name: attention_to_referent(CONFIG, params, items) for name, items in tests.items()}
    focus = attention["same_words/street"][..., 0] - attention["same_words/street"][..., 1]  # (L, H)
    meta = {
        "config": asdict(CONFIG), "seed": args.seed, "steps": args.steps,
        "seconds": round(time.perf_counter() - start, 1),
        "accuracy": {name: evaluate(CONFIG, params, items) for name, items in tests.items()},
        "held_out_sizes": {name: len(items) for name, items in tests.items()},
        # (L, H, 2): mean weight from "it" to the referent / to the other noun, on held-out sentences
        "attention": {name: a.tolist() for name, a in attention.items()},
        # the head the page shows: the one whose attention from "it" favours the referent most, on held-out
        # sentences of training words (street family); every head's numbers are kept beside it
        "head": [int(i) for i in np.unravel_index(np.argmax(focus), focus.shape)],
        "words": split_words(args.seed),
    }
    print(json.dumps({k: meta[k] for k in ("accuracy", "attention", "head", "seconds")}, indent=1))
    np.savez_compressed(args.out, meta=json.dumps(meta), loss=result["loss"], **params)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
