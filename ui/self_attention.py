"""The self-attention page's sections beyond the seven steps: the trained head's verdict, the rest of
the Transformer layer, word order, and the two experiments (√d_k, heads) that were on the page."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.coreference import CHASE
from ui import charts, compute
from ui.compute import D_MODEL, SATURATION_TRIALS, SEEDS
from ui.i18n import number
from ui.layout import remember, t
from ui.widgets import matrix_download, section_tabs, step_header

HEAD_CHOICES = (1, 2, 5, 10, 25)  # the divisors of d_model a head count can take
BLOCK_STEPS = ("concat", "residual", "norm", "ffn", "output")
BEYOND = ("layer", "order", "scale", "heads")  # the tabs past the seven steps (sa.tab_<id>)
FOCUSED = 0.5  # a head "picks" the referent when it gives it at least this much more weight than the other noun


def trained_head() -> tuple[int, int, dict]:
    """(layer, head) of the page's trained head, 0-based, and the model's metadata."""
    _, _, meta = compute.coref_model()
    layer, head = meta["head"]
    return layer, head, meta


def follow_it(labels: list[str]) -> None:
    """On switching to the trained head, follow the sentence's first "it" (what the head was trained on)."""
    if st.session_state.get("sa_projection") == "trained":
        it = next((label for label in labels if label.split(" ", 1)[1].lower() == "it"), None)
        if it is not None:
            st.session_state.sa_query = it


def mechanics_note(projection: str) -> None:
    """Identity and random projections compute the steps faithfully but have learned nothing."""
    st.info(t(f"tf.mechanics_{projection}"), icon=":material/settings:")


def trained_verdict(tokens: list[str], labels: list[str], r: dict, info: dict) -> None:
    """What the trained model says about this sentence, how often it is right, and how sharp its head is."""
    layer, head, meta = trained_head()
    match, it = info["match"], info["it"]
    acc = meta["accuracy"]
    pattern = "chase" if match is not None and match["template"] in CHASE else "street"  # the sentence's, else street
    same, new = f"same_words/{pattern}", f"new_words/{pattern}"
    att = np.asarray(meta["attention"][same])[layer, head]  # (2,): to the referent, to the other noun
    att_new = np.asarray(meta["attention"][new])[layer, head]
    cfg = compute.coref_model()[0]
    st.markdown(t("tf.trained_intro", layer=layer + 1, head=head + 1, d_head=r["d_k"], layers=cfg.num_layers,
                  heads=cfg.num_heads))
    if it is None:
        st.warning(t("tf.no_it"), icon=":material/help:")
    elif match is None:
        st.warning(t("tf.outside"), icon=":material/block:")
    shown = []  # (label, value, delta, help) of each metric, side by side
    if info["answer"] is not None:
        word, p, own = info["answer"]
        shown.append((t("tf.answer"), word, f"{p:.0%}", None))
        w = r["weights"][it]
        top = int(np.argmax(w))
        shown.append((t("tf.it_looks_at"), labels[top], f"{w[top]:.0%}", None))
    if match is not None:
        expected = match["expected"]
        shown.append((t("tf.expected"), tokens[expected] if expected is not None else t("tf.unknown_adjective"),
                      None, None))
    shown.append((t("tf.accuracy"), f"{acc[same]['pair']:.1%}",
                  t("tf.accuracy_delta", named=f"{acc[same]['named']:.1%}"), t("tf.accuracy_help")))
    for col, (label, value, delta, why) in zip(st.columns(4), shown, strict=False):
        col.metric(label, value, delta, delta_color="off", delta_arrow="off", help=why)
    if match is not None and match["expected"] is None:
        st.caption(t("tf.adjective_unknown"))
    if info["answer"] is not None and own and word not in dict(own):  # a noun that is not in the sentence
        (first, p_first), (second, p_second) = own
        unseen = set(meta["words"]["test"]["A"]) | set(meta["words"]["test"]["P"])  # nouns held out of training
        held = t("tf.answer_held_out", held=len(unseen)) if word in unseen else ""
        st.caption(t("tf.answer_outside", word=word, count=len(compute.NOUNS), first=first, second=second,
                     p_first=f"{p_first:.0%}", p_second=f"{p_second:.0%}", held=held))
    focus = "tf.focus_sharp" if att[0] - att[1] >= FOCUSED else "tf.focus_diffuse"
    st.caption(t(focus, ref=f"{att[0]:.0%}", other=f"{att[1]:.0%}", ref_new=f"{att_new[0]:.0%}",
                 other_new=f"{att_new[1]:.0%}", n=meta["held_out_sizes"][same], pattern=t(f"tf.pattern_{pattern}"),
                 new_pair=f"{acc[new]['pair']:.0%}", new_named=f"{acc[new]['named']:.0%}"))


def downloads(r: dict, labels: list[str], weighted, identity: bool) -> None:
    """Every step's matrix, as CSV."""
    dims = [str(i) for i in range(r["X"].shape[1])]
    k_dims = [str(i) for i in range(r["d_k"])]
    st.subheader(t("sa.download_title"))
    items = [(1, "X", r["X"], dims, "X")]
    if not identity:
        items += [(2, name, r[name], k_dims, name) for name in "QKV"]
    items += [(3, "S", r["scores"], labels, "scores"), (4, "S̃", r["scaled_scores"], labels, "scaled_scores"),
              (5, "A", r["weights"], labels, "weights"), (6, "a·v", weighted, k_dims, "weighted_values"),
              (7, "Z", r["output"], k_dims, "output")]
    matrix_download("sa_download", {
        f'{t("common.step", number=i, title=t(f"sa.step{i}.title"))} ({symbol})':
            (M, labels, columns, f"step{i}_{name}")
        for i, symbol, M, columns, name in items
    })


# --- the rest of the layer ---------------------------------------------------------------------

BLOCK_FORMULAS = {
    "concat": r"\mathrm{MultiHead}(x) = [z^{(1)}, \dots, z^{(H)}]\, W_o^\top",  # trained without attention biases
    "residual": r"r = x + \mathrm{MultiHead}(x)",
    "norm": r"y = \frac{r - \mu(r)}{\sqrt{\sigma^2(r) + \epsilon}} \odot \gamma + \beta",
    "ffn": r"f = \max(0,\, y W_1^\top + b_1)\, W_2^\top + b_2",
    "output": r"x' = \mathrm{LayerNorm}(y + f)",
}


@st.fragment
def beyond_the_steps(tokens: tuple, labels: list[str], query: int, projection: str, seed: int, causal: bool,
                     d_k: int) -> None:
    """Four sections past the seven steps, as tabs: only the open one runs and draws. A fragment, so
    a click on a tab reruns this section alone."""
    st.subheader(t("sa.beyond_title"))
    shown, tab = section_tabs("sa_more", {section: t(f"sa.tab_{section}") for section in BEYOND})
    with tab:
        if shown == "layer":
            rest_of_layer(tokens, labels, query, projection == "trained")
        elif shown == "order":
            word_order(tokens, labels, query)
        elif shown == "scale":
            why_scale(max(len(tokens), 2), d_k)
        else:
            many_heads(tokens, projection, seed, causal, query)


@st.fragment
def rest_of_layer(tokens: tuple, labels: list[str], query: int, trained: bool) -> None:
    """After the seven steps: W_o, the residual, layer norm and the feed-forward layer, one at a time."""
    layer, head, _ = trained_head()
    cfg, _, _ = compute.coref_model()
    st.subheader(t("tf.block_title"))
    st.markdown(t("tf.block_explain", layer=layer + 1, heads=cfg.num_heads, d_model=cfg.d_model, d_ff=cfg.d_ff,
                  glove=D_MODEL))
    if not trained:
        st.caption(t("tf.block_from_trained"))
    if remember("sa_block_step", BLOCK_STEPS[0], options=BLOCK_STEPS) not in BLOCK_STEPS:
        st.session_state.sa_block_step = BLOCK_STEPS[0]  # a kept None (see below)
    step = st.segmented_control(t("tf.block_step"), BLOCK_STEPS, key="sa_block_step", required=True,
                                format_func=lambda s: t(f"tf.block_{s}"))
    if step not in BLOCK_STEPS:  # a browser can send None for a moment (a click on the chosen option)
        step = BLOCK_STEPS[0]
    L = compute.coref_trace(tokens)["layers"][layer]
    number = 8 + BLOCK_STEPS.index(step)
    step_header(number, f"tf.step_{step}", BLOCK_FORMULAS[step])
    d = [str(i) for i in range(cfg.d_model)]
    shown = {"concat": (L["attn"], d), "residual": (L["resid1"], d), "norm": (L["norm1"], d),
             "ffn": (L["ffn_hidden"], [str(i) for i in range(cfg.d_ff)]), "output": (L["output"], d)}
    M, cols = shown[step]
    M = M[0]  # (n, width): the batch of one
    charts.heatmap(M, labels, cols, x_title=t("sa.axis_dim"), y_title=t("sa.axis_token"),
                   value_title=t(f"tf.value_{step}"), diverging=True, highlight_row=query, name=t("tf.block_title"))
    row = query
    if step == "concat":
        st.caption(t("tf.concat_caption" if trained else "tf.concat_caption_untrained", heads=cfg.num_heads,
                     d_head=cfg.d_head, head=head + 1))
        if picks := shared_focus(L["weights"][0]):
            st.caption(t("tf.concat_alike", picks=", ".join(labels[k] for k in picks)))
    elif step == "residual":
        ratio = np.linalg.norm(L["attn"][0, row]) / max(np.linalg.norm(L["input"][0, row]), 1e-12)
        st.caption(t("tf.residual_caption", ratio=f"{ratio:.2f}", token=labels[row]))
    elif step == "norm":
        r1 = L["resid1"][0, row]
        st.caption(t("tf.norm_caption", token=labels[row], mean=f"{r1.mean():.3f}", std=f"{r1.std():.3f}"))
    elif step == "ffn":
        active = float(np.mean(L["ffn_hidden"][0] > 0))
        st.caption(t("tf.ffn_caption", active=f"{active:.0%}", d_ff=cfg.d_ff))
    else:
        st.caption(t("tf.output_caption", layers=cfg.num_layers, layer=layer + 1))


def shared_focus(weights: np.ndarray, share: float = 0.9) -> list[int]:
    """The key each head gives every query most of its weight to, when every head does (weights: (heads,
    n, n), rows summing to 1): one key per head, in head order (a head may repeat another's); else [],
    and [] for a single token, whose one row has nothing to be alike."""
    if weights.shape[-1] < 2:
        return []
    picks = []
    for head in weights:
        top = head.argmax(axis=1)
        if len(set(top)) != 1 or head[np.arange(len(head)), top].mean() < share:
            return []
        picks.append(int(top[0]))
    return list(dict.fromkeys(picks))


# --- word order -------------------------------------------------------------------------------


@st.fragment
def word_order(tokens: tuple, labels: list[str], query: int) -> None:
    """Without positions a shuffle only shuffles the outputs; an RNN's last state changes; what P adds."""
    st.subheader(t("tf.order_title"))
    st.markdown(t("tf.order_explain"))
    remember("sa_shuffle", 1, bounds=SEEDS)
    shuffle = st.number_input(t("tf.shuffle_seed"), *SEEDS, key="sa_shuffle", help=t("tf.shuffle_help"))
    w = compute.word_order(tokens, int(shuffle))
    st.text(t("tf.shuffled", sentence=" ".join(tokens[i] for i in w["perm"])))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("tf.order_none"), number(w['no_positions'], 2), help=t("tf.order_none_help"))
    c2.metric(t("tf.order_sinusoidal"), number(w['positions'], 2), help=t("tf.order_sinusoidal_help"))
    c3.metric(t("tf.order_rnn"), number(w['rnn'], 2), help=t("tf.order_rnn_help"))
    if len(tokens) < 2:
        st.caption(t("tf.order_one_token"))
    st.caption(t("tf.order_caption"))

    st.markdown(t("tf.pe_explain"))
    st.latex(r"P_{pos,\,2i} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right),\quad "
             r"P_{pos,\,2i+1} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right)")
    P = w["P"]
    charts.heatmap(P, [str(i) for i in range(len(P))], [str(i) for i in range(P.shape[1])],
                   x_title=t("sa.axis_dim"), y_title=t("tf.axis_position"), value_title="P", diverging=True,
                   name=f'{t("tf.order_title")} (P)')
    layer, head, _ = trained_head()
    rows = [t("tf.with_positions"), t("tf.without_positions")]
    charts.heatmap(np.stack([w["with_p"][query], w["without_p"][query]]), rows, labels,
                   x_title=t("sa.axis_key"), y_title="", value_title=t("sa.weight"),
                   title=t("sa.for_query", token=labels[query]), name=f'{t("tf.order_title")} (a_i)')
    st.caption(t("tf.pe_caption", layer=layer + 1, head=head + 1))


# --- the two experiments that were on the page -----------------------------------------------


@st.fragment
def why_scale(n_keys: int, d_k: int) -> None:
    """Why divide by the square root of d_k: its own control, so it reruns alone."""
    st.subheader(t("sa.why_title"))
    st.markdown(t("sa.why_explain"))
    metric = st.radio(t("sa.why_metric"), ["max_weight", "entropy"], horizontal=True,
                      key="sa_why_metric", format_func=lambda m: t(f"sa.why_{m}"))
    sat = compute.saturation(n_keys)
    curves = charts.table(
        d_k=np.tile(sat["d_k"], 2),
        value=np.concatenate([sat[f"{metric}_unscaled"], sat[f"{metric}_scaled"]]),
        series=[t("sa.why_unscaled")] * len(sat["d_k"]) + [t("sa.why_scaled")] * len(sat["d_k"]),
    )
    charts.line_chart(curves, x="d_k", y="value", series="series", x_title="d_k",
                      y_title=t(f"sa.why_{metric}"), log_x=True, rule_at=d_k, name=t("sa.why_title"),
                      colors=charts.model_colors({t("sa.why_unscaled"): "reference",
                                                  t("sa.why_scaled"): "self_attention"}))
    st.caption(t("sa.why_caption", n=n_keys, trials=SATURATION_TRIALS))


@st.fragment
def many_heads(tokens: tuple, projection: str, seed: int, causal: bool, query: int) -> None:
    """Multi-head attention: its own slider, so moving it reruns only this section."""
    st.subheader(t("sa.heads_title"))
    st.markdown(t("sa.heads_explain", d_model=compute.coref_model()[0].d_model if projection == "trained" else D_MODEL))
    labels = charts.token_labels(tokens)
    if projection == "trained":  # the trained model's own heads, in the layer the steps above come from
        layer, _, _ = trained_head()
        weights = compute.coref_trace(tokens)["layers"][layer]["weights"][0]  # (H, n, n)
        st.caption(t("tf.heads_trained", layer=layer + 1, h=len(weights)))
        charts.heatmap_grid(weights, labels, x_title=t("sa.axis_key"), y_title=t("sa.axis_query"),
                            value_title=t("sa.weight"), panel_title=t("sa.head"), highlight_row=query,
                        name=t("sa.heads_title"))
        return
    remember("sa_heads", 2, options=HEAD_CHOICES)
    heads = st.select_slider(t("sa.heads"), HEAD_CHOICES, key="sa_heads")
    _, weights = compute.heads(tokens, heads, projection, seed, causal)
    st.caption(t("sa.heads_shapes", h=heads, d_head=D_MODEL // heads, n=len(tokens),
                 d_model=D_MODEL))
    charts.heatmap_grid(weights, labels, x_title=t("sa.axis_key"), y_title=t("sa.axis_query"),
                        value_title=t("sa.weight"), panel_title=t("sa.head"), highlight_row=query,
                        name=t("sa.heads_title"))
