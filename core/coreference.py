"""What does "it" refer to? The Illustrated Transformer's sentence as a task, and a model that learns it.

    "The animal didn't cross the street because it was too tired"   it = the animal
    "The animal didn't cross the street because it was too wide"    it = the street

Sentences are generated from templates with many animals, places, verbs and adjectives; the
adjective alone decides the referent (tired, hungry, scared … describe the animal; wide, busy,
icy … the place). Some templates name the place first, so the position of a noun does not give
the answer away.

The model is core.transformer's encoder on the tokens' GloVe vectors, read out at "it" as a
pointer over the sentence's own words:

    z = encoder(X)[it]                          (d_model,)   the output at the "it" position
    u = z W_rᵀ                                  (d_in,)      W_r (d_in, d_model), nn.Linear's layout
    logits_j = u · x_j                          (T,)         one score per word of the sentence
    loss = cross-entropy(logits, position of the referent)

The answer is a word of the sentence, so the output at "it" must carry which word it is: the
natural way is for attention at "it" to fetch that word. Whether training found that way is
for the trained weights to show (attention_to_referent measures it), not for this code to force.

Held out: sentences of training words never seen in training, and sentences whose animal,
place and adjective all come from word lists never seen in training (split_words).
"""

from __future__ import annotations

import math

import numpy as np

from .attention import _check_positive_int
from .embeddings import embed, plain_tokenize
from .training import adam_init, adam_step, clip_by_global_norm, cross_entropy
from .transformer import Config, backward, forward, init_params

__all__ = [
    "ANIMALS", "ANIMAL_ADJECTIVES", "CHASE", "CHASE_VERBS", "CHASED_ADJECTIVES", "CHASER_ADJECTIVES", "NOUNS",
    "PLACES", "PLACE_ADJECTIVES", "TEMPLATES", "VERBS", "attention_to_referent", "candidates", "evaluate",
    "match_pattern", "predict", "readout_forward", "sentences", "split_words", "train",
]

ANIMALS = (
    "animal", "creature", "cat", "dog", "horse", "cow", "sheep", "goat", "pig", "rabbit", "fox", "wolf", "bear",
    "deer", "lion", "tiger", "elephant", "monkey", "mouse", "rat", "duck", "chicken", "turtle", "snake", "frog",
    "camel", "owl", "eagle", "bird", "pony", "lamb", "calf", "goose", "swan", "crow", "beaver", "moose", "buffalo",
    "bull", "leopard", "panda",
)
PLACES = (
    "street", "road", "river", "bridge", "field", "wall", "fence", "hill", "highway", "lake", "canal", "valley",
    "stream", "creek", "lane", "path", "track", "railway", "desert", "bay", "ditch", "mountain", "ridge", "pond",
    "square", "avenue", "yard", "trench", "border", "park", "runway",
)
VERBS = ("cross", "climb", "jump", "reach", "enter", "pass", "swim", "walk", "clear", "leap")
ANIMAL_ADJECTIVES = (
    "tired", "sleepy", "scared", "weak", "slow", "hungry", "lazy", "sick", "exhausted", "afraid", "nervous",
    "injured", "frightened", "weary", "cautious", "ill", "frail", "wounded", "shy", "fat",
)
PLACE_ADJECTIVES = (
    "wide", "long", "busy", "steep", "dangerous", "icy", "crowded", "muddy", "deep", "noisy", "slippery", "flooded",
    "high", "tall", "dark", "rough", "rocky", "narrow", "far", "windy",
)
# The chase templates: two animals, and the adjective says which one failed (the chaser) or
# which one got away (the chased): here the kind of noun gives nothing away.
CHASE_VERBS = ("catch", "overtake", "follow", "reach", "chase")
CHASER_ADJECTIVES = ("slow", "tired", "lazy", "weak", "sleepy", "exhausted", "hungry", "sick")
CHASED_ADJECTIVES = ("fast", "quick", "swift", "clever", "speedy")
# Slots: A animal, V verb, P place, J adjective; in the chase templates B a second animal and
# C a chase verb. Each filler is one token.
TEMPLATES = (
    "the A didn't V the P because it was too J",
    "the A did not V the P because it was too J",
    "the A couldn't V the P because it was so J",
    "the A would not V the P since it was too J",
    "the A refused to V the P because it was very J",
    "the A did not want to V the P as it was too J",
    "the P was hard for the A to V because it was too J",
    "the P was not easy for the A to V since it was so J",
    "the A couldn't C the B because it was too J",
    "the A did not C the B since it was so J",
    "the A failed to C the B because it was too J",
)
SLOTS = ("A", "B", "C", "P", "V", "J")
CHASE = tuple(k for k, t in enumerate(TEMPLATES) if " B " in t)  # the chase templates' indices
# Each template as the page's tokenizer splits it (didn't -> did, n't): a filled template is a sentence's tokens.
TEMPLATE_SLOTS = tuple(tuple(plain_tokenize(t)) for t in TEMPLATES)
ALWAYS_TRAIN = ("animal", "cat", "street", "tired", "wide")  # the page's examples use them


def split_words(seed: int = 0, held_out: float = 0.2) -> dict[str, dict[str, tuple[str, ...]]]:
    """Split each word list into training words and held-out words (ALWAYS_TRAIN stay in training).

    Returns:
        {"train": {"A", "P", "V", "C", "J_animal", "J_place", "J_chaser", "J_chased"}, "test": {same keys}},
        each a tuple of words; verbs are shared (no verb decides the answer).
    """
    rng = np.random.default_rng([seed, 7])
    split = {"train": {"V": VERBS, "C": CHASE_VERBS}, "test": {"V": VERBS, "C": CHASE_VERBS}}
    for key, words in (("A", ANIMALS), ("P", PLACES), ("J_animal", ANIMAL_ADJECTIVES), ("J_place", PLACE_ADJECTIVES),
                       ("J_chaser", CHASER_ADJECTIVES), ("J_chased", CHASED_ADJECTIVES)):
        candidates = [w for w in words if w not in ALWAYS_TRAIN]
        n_test = max(1, round(held_out * len(words)))
        test = set(rng.choice(candidates, size=n_test, replace=False).tolist())
        split["train"][key] = tuple(w for w in words if w not in test)
        split["test"][key] = tuple(w for w in words if w in test)
    return split


def sentences(words: dict, count: int, seed, template: int | None = None):
    """`count` sentences from the templates with random fillers from `words` (split_words' halves).

    Args:
        words: one half of split_words; count: >= 1;
        seed: an int or np.random.Generator; template: index into TEMPLATES, or None for random ones.
    Returns:
        list of (tokens, it, referent, other, template): tokens a list of str, it the position of
        "it", referent the position of the noun "it" refers to, other the position of the other
        noun, template the index into TEMPLATES.
    """
    count = _check_positive_int("count", count)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        k = int(rng.integers(len(TEMPLATES))) if template is None else template
        slots = TEMPLATE_SLOTS[k]
        first = bool(rng.integers(2))  # the animal A is the referent (else the place P, or the chased B)
        if "B" in slots:
            A, B = rng.choice(words["A"], size=2, replace=False)
            fill = {"A": A, "B": B, "C": rng.choice(words["C"]),
                    "J": rng.choice(words["J_chaser"] if first else words["J_chased"])}
            other = "B"
        else:
            fill = {"A": rng.choice(words["A"]), "P": rng.choice(words["P"]), "V": rng.choice(words["V"]),
                    "J": rng.choice(words["J_animal"] if first else words["J_place"])}
            other = "P"
        tokens = [str(fill.get(s, s)) for s in slots]
        a, b = slots.index("A"), slots.index(other)
        out.append((tokens, slots.index("it"), a if first else b, b if first else a, k))
    return out


def match_pattern(tokens: list[str]) -> dict | None:
    """Does a sentence fit one of the TEMPLATES (any word in the slots; case and a final "." ignored)?

    Returns:
        None, or {"template": k, "it", "first", "second", "adjective": positions (first and second
        the two nouns), "expected": the position of the noun the adjective points to, or None when
        the adjective is in none of the lists}.
    """
    words = [w.lower() for w in tokens]
    while words and words[-1] in (".", "!"):
        words = words[:-1]
    for k, slots in enumerate(TEMPLATE_SLOTS):
        if len(slots) != len(words):
            continue
        if all(s in SLOTS or s == w for s, w in zip(slots, words, strict=True)):
            J, first = slots.index("J"), slots.index("A")
            second = slots.index("B" if "B" in slots else "P")
            to_first, to_second = ((CHASER_ADJECTIVES, CHASED_ADJECTIVES) if "B" in slots
                                   else (ANIMAL_ADJECTIVES, PLACE_ADJECTIVES))
            expected = first if words[J] in to_first else second if words[J] in to_second else None
            return {"template": k, "it": slots.index("it"), "first": first, "second": second,
                    "adjective": J, "expected": expected}
    return None


# --- the readout ----------------------------------------------------------------------------

NOUNS = ANIMALS + PLACES  # the answers the readout chooses from


def candidates(words: tuple[str, ...] = NOUNS) -> np.ndarray:
    """The GloVe vectors of the candidate answers, G (C, d_in), one row per word."""
    return embed(list(words)).X


def readout_forward(z: np.ndarray, G: np.ndarray, W_r: np.ndarray) -> np.ndarray:
    """Scores of the candidate answers: logits_c = (z W_rᵀ) · g_c, g_c the GloVe vector of word c.

    Args:
        z: (B, d_model) the outputs at "it"; G: (C, d_in) candidates' vectors; W_r: (d_in, d_model).
    Returns:
        logits (B, C).
    """
    u = z @ W_r.T  # (B, d_model) x (d_model, d_in) -> (B, d_in)
    return u @ G.T  # (B, d_in) x (d_in, C) -> (B, C)


def _loss_and_grads(cfg: Config, params: dict, X: np.ndarray, it: int, G: np.ndarray, y: np.ndarray):
    """Cross-entropy of the readout at position `it` and its gradient for every parameter."""
    trace = forward(cfg, params, X)
    z = trace["output"][:, it]  # (B, d_model)
    logits = readout_forward(z, G, params["readout.weight"])
    loss, dlogits = cross_entropy(logits, y)  # dlogits (B, C)
    du = dlogits @ G  # (B, C) x (C, d_in) -> (B, d_in)
    d_output = np.zeros_like(trace["output"])
    d_output[:, it] = du @ params["readout.weight"]  # (B, d_in) x (d_in, d_model) -> (B, d_model)
    grads = backward(cfg, {k: v for k, v in params.items() if k != "readout.weight"}, trace, d_output)
    grads["readout.weight"] = du.T @ z  # (d_in, B) x (B, d_model) -> (d_in, d_model)
    return loss, grads


def _batch(items, nouns: tuple[str, ...]):
    """Same-template sentences as arrays: X (B, T, 50), it (int), the referent's index in `nouns`
    (B,), the referent's and the other noun's positions (B,), (B,)."""
    X = np.stack([embed(item[0]).X for item in items])  # (B, T, d_in)
    answer = np.array([nouns.index(item[0][item[2]]) for item in items])
    return X, items[0][1], answer, np.array([item[2] for item in items]), np.array([item[3] for item in items])


def _by_template(items):
    """The items grouped by template (each group has one length and one "it" position)."""
    groups: dict[int, list] = {}
    for item in items:
        groups.setdefault(item[4], []).append(item)
    return groups.values()


def predict(cfg: Config, params: dict, tokens: list[str], it: int,
            nouns: tuple[str, ...] = NOUNS) -> tuple[dict, np.ndarray]:
    """The model on one sentence: (the encoder's trace, softmax of the readout over `nouns` (C,))."""
    X = embed(tokens).X[None]  # (1, T, d_in)
    trace = forward(cfg, params, X)
    logits = readout_forward(trace["output"][:, it], candidates(nouns), params["readout.weight"])[0]  # (C,)
    p = np.exp(logits - logits.max())
    return trace, p / p.sum()


def evaluate(cfg: Config, params: dict, items) -> dict[str, float]:
    """Held-out accuracy, two ways:

        named: the top answer among all NOUNS is the referent (the model names the word);
        pair:  the readout scores the referent above the sentence's other noun (it tells which of the two).

    Returns:
        {"named": fraction, "pair": fraction} over `items`.
    """
    named = pair = 0
    G = candidates()
    for group in _by_template(items):
        X, it, answer, _, _ = _batch(group, NOUNS)
        other = np.array([NOUNS.index(item[0][item[3]]) for item in group])
        trace = forward(cfg, params, X)
        logits = readout_forward(trace["output"][:, it], G, params["readout.weight"])  # (B, C)
        rows = np.arange(len(group))
        named += int(np.sum(logits.argmax(axis=1) == answer))
        pair += int(np.sum(logits[rows, answer] > logits[rows, other]))
    return {"named": named / len(items), "pair": pair / len(items)}


def attention_to_referent(cfg: Config, params: dict, items) -> np.ndarray:
    """Mean attention weight from "it" to the referent and to the other noun, per layer and head.

    Returns:
        (L, H, 2) float64: [..., 0] to the referent, [..., 1] to the other noun.
    """
    total = np.zeros((cfg.num_layers, cfg.num_heads, 2))
    for group in _by_template(items):
        X, it, _, y, other = _batch(group, NOUNS)
        trace = forward(cfg, params, X)
        rows = np.arange(len(group))
        for layer, tr in enumerate(trace["layers"]):
            w = tr["weights"][:, :, it, :]  # (B, H, T)
            total[layer, :, 0] += w[rows, :, y].sum(axis=0)
            total[layer, :, 1] += w[rows, :, other].sum(axis=0)
    return total / len(items)


def train(cfg: Config, seed: int, steps: int, batch: int = 64, lr: float = 3e-3, clip: float = 1.0,
          callback=None) -> dict:
    """Train encoder + pointer readout with Adam and global-norm clipping (core.training's).

    Deterministic from `seed`: the weights from init_params(cfg, seed) and readout from
    np.random.default_rng([seed, 1]); each step a batch of one template from the training words,
    drawn from np.random.default_rng([seed, 2]).

    Returns:
        dict: params (with "readout.weight" (d_in, d_model)), loss (steps,) the training loss per step.
    """
    steps = _check_positive_int("steps", steps)
    words = split_words(seed)["train"]
    params = init_params(cfg, seed)
    s = 1.0 / math.sqrt(cfg.d_model)
    params["readout.weight"] = np.random.default_rng([seed, 1]).uniform(-s, s, (cfg.d_in, cfg.d_model))
    nouns = words["A"] + words["P"]  # training answers: the training nouns only
    G = candidates(nouns)
    state = adam_init(params)
    data = np.random.default_rng([seed, 2])
    losses = []
    for step in range(1, steps + 1):
        template = int(data.integers(len(TEMPLATES)))
        X, it, answer, _, _ = _batch(sentences(words, batch, data, template=template), nouns)
        loss, grads = _loss_and_grads(cfg, params, X, it, G, answer)
        grads, _ = clip_by_global_norm(grads, clip)
        params, state = adam_step(params, grads, state, lr)
        losses.append(loss)
        if callback is not None:
            callback(step, loss)
    return {"params": params, "loss": np.array(losses)}
