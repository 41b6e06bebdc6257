"""A GRU encoder-decoder with attention, trained by hand, and its fixed-context baseline.

    encoder     H_e = GRU_enc(x_1 … x_n)           core.recurrent.gru_forward, x_j = onehot(source char j)
    decoder     s_0 = a learned vector with attention, h_e,n (the encoder's last state) with the
                fixed context; at each output step i = 1..m:
        q_i       = s_{i-1}                          the query: the decoder's state before it predicts y_i
        score_ij  = score(q_i, h_e,j)                dot, general or additive; padding scores −inf
        a_i       = softmax_j(score_ij)              the weights over the source characters
        c_i       = Σ_j a_ij h_e,j                   the context vector
        s_i       = GRU_dec([onehot(y_{i-1}); c_i], s_{i-1})
        p_i       = softmax(W_out [s_i; c_i] + b_out)   the next token's distribution
    fixed context (Cho et al. 2014's encoder-decoder): c_i = h_e,n at every step, nothing scored.

The query is the previous decoder state, as in Bahdanau et al. 2015 and d2l's Bahdanau decoder
(the context enters the recurrence); the output layer reads [s_i; c_i] as Luong et al. 2015's
does. The attention decoder starts from a learned state s_0, the same for every input, so that
all it knows of the input it reads through attention, and its first query is a learned question
("where is the weekday?"). Started from h_e,n (as d2l's is), it predicts the weekday, the last
thing the encoder read, from its initial state without looking (an earlier version of this
model did, its first step attending to a digit of the year); started from zeros, the dot and
general scores of the first step are all 0, so its first weights are uniform. A one-hot input times W_ih is an
embedding lookup: the columns of W_ih for the tokens are PyTorch's nn.Embedding and the GRU's
input weights folded into one matrix.

Score functions on a batch (the same numbers as core.seq2seq's dot_score, general_score and
additive_score, one sequence at a time; a test checks it):
    dot       qᵀ h_e
    general   qᵀ W_a h_e               W_a (hidden, hidden)
    additive  vᵀ tanh(W_1 h_e + W_2 q)  W_1, W_2 (hidden, hidden), v (hidden,)

Parameters are a dict of arrays in PyTorch's layouts (GRU weights as torch.nn.GRU, gates r, z, n;
W_out as torch.nn.Linear): enc_W_ih (3h, V_src), enc_W_hh (3h, h), enc_b_ih, enc_b_hh (3h,);
dec_W_ih (3h, V_tgt + h), dec_W_hh (3h, h), dec_b_ih, dec_b_hh (3h,); W_out (V_tgt, 2h),
b_out (V_tgt,); with attention s_0 (h,); and the score's W_a, or W_1, W_2, v. Gradients: a dict with the same keys.

Vectorised over the batch; only time is a Python loop. Shapes:
    batch   sequences side by side      n   source length (characters, left-padded)
    m       output steps                h   hidden size
    V_src, V_tgt   vocabulary sizes (core.dates.SOURCE_VOCAB, TARGET_VOCAB)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import dates
from .attention import softmax
from .recurrent import gru_cell, gru_forward, init_weights
from .training import adam_init, adam_step, clip_by_global_norm, cross_entropy, gru_backward, gru_step_backward

__all__ = ["CONTEXTS", "SCORES", "evaluate", "forward", "greedy", "init_params", "loss_and_grads", "train",
           "translate"]

SCORES = ("dot", "general", "additive")
CONTEXTS = SCORES + ("fixed",)  # how the decoder gets its context: one of the scores, or the fixed one
ENC, DEC = ("enc_W_ih", "enc_W_hh", "enc_b_ih", "enc_b_hh"), ("dec_W_ih", "dec_W_hh", "dec_b_ih", "dec_b_hh")
SCORE_KEYS = {"dot": (), "general": ("W_a",), "additive": ("W_1", "W_2", "v"), "fixed": ()}
V_SRC, V_TGT = len(dates.SOURCE_VOCAB), len(dates.TARGET_VOCAB)


def _check_context(context: str) -> str:
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(map(repr, CONTEXTS))}, got {context!r}")
    return context


def init_params(context: str, hidden: int, seed: int) -> dict:
    """PyTorch's default initialisation (every entry U(−1/√fan, 1/√fan)), from np.random.default_rng(seed):

        GRUs as core.recurrent.init_weights (fan = hidden), W_out and b_out as nn.Linear (fan = 2·hidden),
        W_a, W_1, W_2, v and s_0 as nn.Linear (fan = hidden).
    """
    _check_context(context)
    rng = np.random.default_rng([seed, 7])
    enc = init_weights("gru", V_SRC, hidden, seed)
    dec = init_weights("gru", V_TGT + hidden, hidden, seed + 1)
    s_h, s_o = 1.0 / math.sqrt(hidden), 1.0 / math.sqrt(2 * hidden)
    params = {f"enc_{k}": v for k, v in enc.items()} | {f"dec_{k}": v for k, v in dec.items()}
    params["W_out"] = rng.uniform(-s_o, s_o, size=(V_TGT, 2 * hidden))
    params["b_out"] = rng.uniform(-s_o, s_o, size=V_TGT)
    for key in SCORE_KEYS[context]:
        params[key] = rng.uniform(-s_h, s_h, size=(hidden,) if key == "v" else (hidden, hidden))
    if context != "fixed":
        params["s_0"] = rng.uniform(-s_h, s_h, size=hidden)  # the decoder's learned initial state
    return params


# --- one decoder step, shared by teacher forcing and greedy decoding -----------------------


def _encode(params: dict, context: str, S: np.ndarray):
    """Run the encoder over source ids S (batch, n): its trace, K (batch, n, h) and what the score precomputes."""
    X = np.eye(V_SRC)[S.T]  # (n, batch, V_src) one-hot, time-major as gru_forward wants
    # Padding carries the state over (h stays 0 through the left padding), so a sequence's states
    # are the same in any batch as alone.
    trace = gru_forward(X, None, *(params[k] for k in ENC), mask=S.T != dates.PAD_ID)
    K = trace["H"].swapaxes(0, 1)  # (batch, n, h): the keys and values
    keys = K @ params["W_1"].T if context == "additive" else None  # (batch, n, h): W_1 h_e,j, once per sequence
    return trace, K, keys


def _step(params: dict, context: str, s: np.ndarray, xw_tok: np.ndarray, K: np.ndarray, keys, mask: np.ndarray):
    """One decoder step from state s = s_{i-1} (batch, h) and the token part of its input,
    xw_tok = onehot(y_{i-1}) W_tokᵀ (batch, 3h). Returns the step's dict (see forward)."""
    W_c = params["dec_W_ih"][:, V_TGT:]  # (3h, h): the context's columns of the decoder's input weights
    out = {"query": s}
    if context == "fixed":
        c = K[:, -1]  # (batch, h): the encoder's last state (left padding puts every sequence's last char there)
    else:
        if context == "dot":
            scores = (K @ s[:, :, None])[..., 0]  # (batch, n, h) x (batch, h, 1) -> (batch, n)
        elif context == "general":
            u = s @ params["W_a"]  # (batch, h): qᵀ W_a
            scores = (K @ u[:, :, None])[..., 0]  # (batch, n)
            out["u"] = u
        else:
            Z = np.tanh(keys + (s @ params["W_2"].T)[:, None, :])  # (batch, n, h) + (batch, 1, h)
            scores = Z @ params["v"]  # (batch, n, h) x (h,) -> (batch, n)
            out["Z"] = Z
        scores = np.where(mask, scores, -np.inf)  # padding is never attended to
        weights = softmax(scores, axis=-1)  # (batch, n), each row sums to 1
        c = (weights[:, None, :] @ K)[:, 0]  # (batch, 1, n) x (batch, n, h) -> (batch, h)
        out["scores"], out["weights"] = scores, weights
    xw = xw_tok + c @ W_c.T + params["dec_b_ih"]  # (batch, 3h)
    state, r, z, n = gru_cell(xw, s, params["dec_W_hh"], params["dec_b_hh"])
    logits = np.concatenate([state, c], axis=1) @ params["W_out"].T + params["b_out"]  # (batch, 2h) -> (batch, V)
    out.update(context=c, state=state, r=r, z=z, n=n, logits=logits)
    return out


def _initial_state(context: str, params: dict, K: np.ndarray) -> np.ndarray:
    """s_0 (batch, h): the encoder's last state for the fixed context, the learned s_0 with attention."""
    return K[:, -1] if context == "fixed" else np.broadcast_to(params["s_0"], K[:, -1].shape)


def _stack(steps: list[dict]) -> dict:
    return {k: np.stack([st[k] for st in steps]) for k in steps[0]}  # each (m, batch, ...)


def forward(context: str, params: dict, S: np.ndarray, Y_in: np.ndarray) -> dict:
    """Teacher forcing: the decoder is fed the correct previous tokens Y_in (batch, m).

    Returns a dict, every step stacked on axis 0:
        query (m, batch, h) = s_{i-1};  scores, weights (m, batch, n) (not for "fixed");
        context (m, batch, h);  state (m, batch, h) = s_i;  r, z, n the decoder's gates;
        logits (m, batch, V_tgt);  probs (m, batch, V_tgt);  enc: the encoder's trace; K (batch, n, h).
    """
    _check_context(context)
    trace, K, keys = _encode(params, context, S)
    mask = S != dates.PAD_ID  # (batch, n)
    XW_tok = params["dec_W_ih"][:, :V_TGT].T[Y_in.T]  # (m, batch, 3h): onehot(y_{i-1}) W_tokᵀ, a row lookup
    s, steps = _initial_state(context, params, K), []
    for i in range(Y_in.shape[1]):
        steps.append(_step(params, context, s, XW_tok[i], K, keys, mask))
        s = steps[-1]["state"]
    out = _stack(steps)
    out.update(enc=trace, K=K, keys=keys, mask=mask, probs=softmax(out["logits"], axis=-1))
    return out


# --- the loss and its gradients ------------------------------------------------------------


def loss_and_grads(context: str, params: dict, S: np.ndarray, Y_in: np.ndarray,
                   Y_out: np.ndarray) -> tuple[float, dict]:
    """Mean cross-entropy over the real target tokens (Y_out ≠ PAD) and its gradient for every parameter.

    Backward, step i = m..1, with δs = ∂loss/∂s_i from step i+1 (0 at i = m):
        logits = W_out [s_i; c_i] + b      δ[s; c] = δlogits W_out,  δW_out += δlogitsᵀ [s; c]
        s_i = GRU(x_i, s_{i-1})            core.training.gru_step_backward: δa_x, δa_h, δs_{i-1}
        x_i = [onehot(y_{i-1}); c_i]       δc += δa_x W_c
        c_i = Σ_j a_ij h_e,j               δa_ij = δc · h_e,j,  δh_e,j += a_ij δc
        a_i = softmax(score_i)             δscore_ij = a_ij (δa_ij − Σ_k a_ik δa_ik)
        score → q_i = s_{i-1} and h_e,j   per score function (below); δs_{i-1} += δq
    then the encoder by core.training.gru_backward, from every δh_e,j the attention sent. Fixed
    context: δc goes to h_e,n at every step, and δs_0 too (s_0 = h_e,n); with attention δs_0
    is the learned s_0's gradient.

    Returns:
        (loss as a float, grads: dict with params' keys and shapes).
    """
    _check_context(context)
    f = forward(context, params, S, Y_in)
    K = f["K"]
    m, batch, V = f["logits"].shape
    h = K.shape[2]
    y = Y_out.T.reshape(-1)  # (m·batch,), step-major like the logits
    real = y != dates.PAD_ID
    loss, dreal = cross_entropy(f["logits"].reshape(-1, V)[real], y[real])
    dlogits = np.zeros((m * batch, V))
    dlogits[real] = dreal
    dlogits = dlogits.reshape(m, batch, V)

    W_hh, W_c, W_out = params["dec_W_hh"], params["dec_W_ih"][:, V_TGT:], params["W_out"]
    b_hn = params["dec_b_hh"][2 * h:]
    Q, C = f["query"], f["context"]  # (m, batch, h): s_{i-1} and c_i
    SC = np.concatenate([f["state"], C], axis=2)  # (m, batch, 2h): what the output layer reads, [s_i; c_i]
    grads = {"W_out": dlogits.reshape(-1, V).T @ SC.reshape(-1, 2 * h), "b_out": dlogits.sum(axis=(0, 1))}
    dO = dlogits @ W_out  # (m, batch, V) x (V, 2h) -> (m, batch, 2h)
    dA_x, dA_h = np.empty((m, batch, 3 * h)), np.empty((m, batch, 3 * h))
    dK = np.zeros_like(K)  # (batch, n, h)
    dkeys = np.zeros_like(K) if context == "additive" else None
    for key in SCORE_KEYS[context]:
        grads[key] = np.zeros_like(params[key])
    ds = np.zeros((batch, h))
    for i in range(m - 1, -1, -1):
        ds = ds + dO[i, :, :h]
        M = Q[i] @ W_hh[2 * h:].T + b_hn  # (batch, h): s_{i-1} W_hnᵀ + b_hn, inside the reset product
        dA_x[i], dA_h[i], ds = gru_step_backward(ds, f["r"][i], f["z"][i], f["n"][i], Q[i], M, W_hh)
        dc = dO[i, :, h:] + dA_x[i] @ W_c  # (batch, h): from the output layer and the decoder's input
        if context == "fixed":
            dK[:, -1] += dc
            continue
        a = f["weights"][i]  # (batch, n)
        da = (K @ dc[:, :, None])[..., 0]  # (batch, n): δa_ij = δc_i · h_e,j
        dK += a[:, :, None] * dc[:, None, :]  # through the values
        dscore = a * (da - (a * da).sum(axis=1, keepdims=True))  # softmax backward; padding has a = 0
        if context == "dot":  # score_ij = q · h_e,j
            dq = (dscore[:, None, :] @ K)[:, 0]  # (batch, h)
            dK += dscore[:, :, None] * Q[i][:, None, :]
        elif context == "general":  # score_ij = u · h_e,j, u = q W_a
            du = (dscore[:, None, :] @ K)[:, 0]  # (batch, h)
            dK += dscore[:, :, None] * f["u"][i][:, None, :]
            grads["W_a"] += Q[i].T @ du
            dq = du @ params["W_a"].T
        else:  # score_ij = v · tanh(W_1 h_e,j + W_2 q)
            Z = f["Z"][i]  # (batch, n, h)
            grads["v"] += np.einsum("bn,bnk->k", dscore, Z)
            dP = dscore[:, :, None] * params["v"] * (1.0 - Z**2)  # (batch, n, h): before the tanh
            dkeys += dP
            dqW2 = dP.sum(axis=1)  # (batch, h)
            grads["W_2"] += dqW2.T @ Q[i]
            dq = dqW2 @ params["W_2"]
        ds = ds + dq  # the query is s_{i-1}
    if context == "additive":
        grads["W_1"] = dkeys.reshape(-1, h).T @ K.reshape(-1, h)  # Σ δkeysᵀ h_e
        dK += dkeys @ params["W_1"]
    # The decoder's weights, every step at once: its input is [onehot(y_{i-1}); c_i], its state s_{i-1}.
    flat_x, flat_h = dA_x.reshape(-1, 3 * h), dA_h.reshape(-1, 3 * h)
    onehot = np.eye(V_TGT)[Y_in.T.reshape(-1)]  # (m·batch, V_tgt)
    grads["dec_W_ih"] = np.concatenate([flat_x.T @ onehot, flat_x.T @ C.reshape(-1, h)], axis=1)
    grads["dec_W_hh"] = flat_h.T @ Q.reshape(-1, h)
    grads["dec_b_ih"], grads["dec_b_hh"] = flat_x.sum(axis=0), flat_h.sum(axis=0)
    # The encoder: every h_e,j what the attention (or fixed context) sent; with the fixed context,
    # h_e,n also received ds, as s_0. With attention, ds is the learned s_0's, summed over the batch.
    if context == "fixed":
        dh_last = ds
    else:
        grads["s_0"], dh_last = ds.sum(axis=0), np.zeros_like(ds)
    enc = gru_backward(f["enc"], {k[4:]: params[k] for k in ENC}, dh_last, dH=dK.swapaxes(0, 1))
    grads.update({f"enc_{k}": v for k, v in enc.items()})
    return loss, grads


# --- decoding ---------------------------------------------------------------------------------


def greedy(context: str, params: dict, S: np.ndarray, max_len: int) -> dict:
    """Greedy decoding: feed back the most likely token, stop at EOS or after max_len tokens.

    Returns forward's per-step arrays (m ≤ max_len steps) and tokens (batch, m) int, the argmax
    at each step (EOS, then whatever follows it, for a sequence that has finished).
    """
    _check_context(context)
    _, K, keys = _encode(params, context, S)
    mask = S != dates.PAD_ID
    W_tok = params["dec_W_ih"][:, :V_TGT].T  # (V_tgt, 3h)
    y = np.full(S.shape[0], dates.BOS_ID)
    s, steps, done = _initial_state(context, params, K), [], np.zeros(S.shape[0], dtype=bool)
    for _ in range(max_len):
        steps.append(_step(params, context, s, W_tok[y], K, keys, mask))
        s, y = steps[-1]["state"], steps[-1]["logits"].argmax(axis=1)
        steps[-1]["token"] = y
        done |= y == dates.EOS_ID
        if done.all():
            break
    out = _stack(steps)
    out["tokens"] = out.pop("token").T  # (batch, m)
    out.update(K=K, probs=softmax(out["logits"], axis=-1))
    return out


def tokens_until_eos(ids) -> list[str]:
    """Token ids as words, up to (not including) the first EOS; None at the end if there was no EOS."""
    words = []
    for i in ids:
        if i == dates.EOS_ID:
            return words
        words.append(dates.TARGET_VOCAB[int(i)])
    return words + [None]


def translate(context: str, params: dict, texts: list[str], max_len: int | None = None) -> list[list[str]]:
    """Greedy translations of Korean texts (characters in SOURCE_VOCAB), each a token list up to EOS
    (ending in None if no EOS came within max_len, default 2 + the text's length).

    Texts are decoded in groups of one length, so no text is padded: each translation is the
    one the text gets alone (as on the page), whatever else is in the list.
    """
    out: list = [None] * len(texts)
    by_length: dict = {}
    for b, text in enumerate(texts):
        by_length.setdefault(len("".join(text.split())), []).append(b)
    for n, group in by_length.items():
        S = dates.encode_source([texts[b] for b in group])  # (len(group), n), no padding
        for b, row in zip(group, greedy(context, params, S, max_len or n + 2)["tokens"], strict=True):
            out[b] = tokens_until_eos(row)
    return out


def evaluate(context: str, params: dict, sources: list[str], targets: list[list[str]]) -> float:
    """Exact match: the share of sources whose greedy translation equals the target token for token."""
    cap = max(len(t) for t in targets) + 1
    got = translate(context, params, sources, cap)
    return float(np.mean([g == w for g, w in zip(got, targets, strict=True)]))


# --- training ---------------------------------------------------------------------------------


def train(context: str, hidden: int, steps: int, seed: int, batch: int = 64, lr: float = 0.01, clip: float = 1.0,
          dates_per_example=1, callback: Callable[[int, float, dict], bool | None] | None = None) -> dict:
    """Train on fresh batches of core.dates pairs (training days only) with Adam and global-norm
    clipping (core.training's), the learning rate falling linearly to a tenth by the last step.

    Deterministic: the weights come from init_params(context, hidden, seed), the batches from
    np.random.default_rng([seed, 2]). callback(step, loss, params) after every step (from 1);
    returning True stops training there.

    Returns:
        dict: params, loss (steps_done,) the training loss per step, steps (steps done).
    """
    params = init_params(context, hidden, seed)
    state = adam_init(params)
    train_days, _ = dates.split()
    rng = np.random.default_rng([seed, 2])
    losses = []
    for step in range(1, steps + 1):
        sources, targets = dates.sample(batch, rng, train_days, dates_per_example)
        S, (Y_in, Y_out) = dates.encode_source(sources), dates.encode_target(targets)
        loss, grads = loss_and_grads(context, params, S, Y_in, Y_out)
        grads, _ = clip_by_global_norm(grads, clip)
        params, state = adam_step(params, grads, state, lr * (1.0 - 0.9 * (step - 1) / steps))
        losses.append(loss)
        if callback is not None and callback(step, loss, params):
            break
    return {"params": params, "loss": np.array(losses), "steps": len(losses)}
