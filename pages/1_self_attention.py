"""Self-attention, live: the notes' seven steps computed on the learner's own sentence."""

import numpy as np
import streamlit as st

from core.attention import weighted_values
from core.embeddings import tokenize
from ui import charts, compute
from ui import self_attention as sections
from ui.compute import D_MODEL, SEEDS
from ui.layout import page, remember, t
from ui.widgets import fallback_notice, most_attended, section_tabs, sentence_input, step_header

MAX_TOKENS = 256
PROJECTIONS = ("identity", "random", "trained")
TEMPERATURE = (0.1, 5.0)
TABLE_ROWS = 16  # the token table shows this many rows whole (a sentence of the notes' length); more scroll

page("sa.title", "🔍")
st.title(t("sa.title"))
st.markdown(t("sa.intro"))

tokens = tokenize(sentence_input("sa"))
if not tokens:
    st.warning(t("sa.empty"), icon=":material/edit_note:")
    st.stop()
if len(tokens) > MAX_TOKENS:
    st.info(t("sa.cut", n=len(tokens), limit=MAX_TOKENS), icon=":material/content_cut:")
    tokens = tokens[:MAX_TOKENS]
labels = charts.token_labels(tokens)
n = len(tokens)

with st.sidebar:
    st.header(t("sa.controls"))
    # The options are the labels themselves (numbered, so unique): with integer options
    # whose labels change under them, the browser kept showing the old sentence's label.
    if remember("sa_query", labels[0]) not in labels:
        st.session_state.sa_query = labels[0]
    query = labels.index(st.selectbox(t("sa.query"), labels, key="sa_query"))
    remember("sa_projection", "identity", options=PROJECTIONS)
    projection = st.radio(
        t("sa.projection"), PROJECTIONS, key="sa_projection", help=t("sa.projection_help"),
        on_change=sections.follow_it, args=(labels,),
        format_func=lambda p: t(f"sa.projection_{p}"),
    )
    identity, trained = projection == "identity", projection == "trained"
    remember("sa_dk", 8, bounds=(2, D_MODEL))
    d_k = D_MODEL if projection != "random" else st.slider("d_k", 2, D_MODEL, key="sa_dk")
    if identity:
        st.caption(t("sa.identity_dk", d=D_MODEL))
    remember("sa_seed", 0, bounds=SEEDS)
    seed = st.number_input(t("sa.seed"), *SEEDS, key="sa_seed") if projection == "random" else 0
    remember("sa_causal", False)
    causal = False if trained else st.toggle(t("sa.causal"), key="sa_causal", help=t("sa.causal_help"))
    if trained:
        st.caption(t("tf.trained_sidebar"))


def steps_at(temperature: float):
    """The seven steps at a temperature τ (steps 1-3 and the trained model's answer are those at τ = 1)."""
    if trained:
        return compute.trained_steps(tuple(tokens), temperature)
    return *compute.seven_steps(tuple(tokens), d_k, projection, int(seed), causal, temperature), None


emb, r, info = steps_at(1.0)
if trained:
    sections.trained_verdict(tokens, labels, r, info)
else:
    sections.mechanics_note(projection)
dims = [str(i) for i in range(r["X"].shape[1])]
k_dims = [str(i) for i in range(r["d_k"])]
axes = {"x_title": t("sa.axis_key"), "y_title": t("sa.axis_query")}
for_query = t("sa.for_query", token=labels[query])


def step_name(i: int, symbol: str) -> str:
    """A step's chart, as the save menu and the downloads name it: "Step 5 · Softmax (A)"."""
    return f'{t("common.step", number=i, title=t(f"sa.step{i}.title"))} ({symbol})'


before = sections.trained_head()[0] if trained else 0  # the layers that run before the trained head's


def step1_formula() -> str:
    """x_i: the GloVe vector itself, or, for the trained head, what its layer receives (core/transformer.py)."""
    if not trained:
        return r"x_i = \mathrm{GloVe}(w_i) \in \mathbb{R}^{50}"
    projected = r"W_{\mathrm{in}}\,\mathrm{GloVe}(w_i) + b_{\mathrm{in}} + p_i"
    if before:
        layers = "1" if before == 1 else f"1..{before}"
        projected = rf"\mathrm{{Layer}}_{{{layers}}}\!\left({projected}\right)"
    return rf"x_i = {projected} \in \mathbb{{R}}^{{{len(dims)}}}"


# Step 1: words to vectors
step_header(1, "sa.step1", step1_formula())
if trained:
    passed = t("tf.before_many", n=before) if before > 1 else t("tf.before_one" if before else "tf.before_none")
    st.markdown(t("tf.step1_trained", layer=before + 1, d_model=len(dims), before=passed))
sources = charts.table(**{
    "#": np.arange(1, n + 1),
    t("sa.col_token"): charts.marked(tokens, emb.sources),  # as the charts write them: -가, word†
    t("sa.col_source"): [t(f"sa.source_{s}" + ("_gloss" if s == "function" and g else ""))  # 에 -> "at"
                         for s, g in zip(emb.sources, emb.glosses, strict=True)],
    **({t("sa.col_gloss"): [g or "" for g in emb.glosses]} if any(emb.glosses) else {}),  # Korean words have one
})
fallback_notice(emb.sources.count("fallback"))
if "gloss" in emb.sources:
    st.info(t("sa.gloss_notice"), icon=":material/translate:")
st.dataframe(sources, width="stretch", height=35 * min(n, TABLE_ROWS) + 38, hide_index=True)
charts.heatmap(r["X"], labels, dims, x_title=t("sa.axis_dim"), y_title=t("sa.axis_token"),
               value_title="x", diverging=True, highlight_row=query, name=step_name(1, "X"))

# Step 2: queries, keys and values
step_header(2, "sa.step2", r"Q = XW_q,\quad K = XW_k,\quad V = XW_v")
st.caption(t("sa.shapes", n=n, d_model=len(dims), d_k=r["d_k"]))
if identity:  # Q = K = V = X: the matrix of step 1, not drawn twice
    st.info(t("sa.identity_qkv"), icon=":material/equal:")
else:  # one tab drawn at a time: the one open
    name, tab = section_tabs("sa_qkv", {"Q": "Q", "K": "K", "V": "V"})
    with tab:
        charts.heatmap(r[name], labels, k_dims, x_title=t("sa.axis_dim"), y_title=t("sa.axis_token"),
                       value_title=name, diverging=True, highlight_row=query, name=step_name(2, name))

# Step 3: scores
step_header(3, "sa.step3", r"\mathrm{score}_{ij} = q_i \cdot k_j \qquad S = QK^\top")
charts.heatmap(r["scores"], labels, labels, **axes, value_title=t("sa.score"),
               highlight_row=query, diverging=True, name=step_name(3, "S"))


@st.fragment
def scaled_steps() -> None:
    """Steps 4-7, with the temperature that divides the scores at step 4: a fragment, so moving it
    reruns these steps alone."""
    # Step 4: divide by the square root of d_k (and by τ)
    remember("sa_temperature", 1.0, bounds=TEMPERATURE)
    temperature = st.session_state.sa_temperature
    _, r, _ = steps_at(float(temperature))
    root_d_k = np.sqrt(r["d_k"])
    step_header(4, "sa.step4", rf"\tilde S = \frac{{QK^\top}}{{\sqrt{{d_k}}\,\tau}}"
                rf" = \frac{{QK^\top}}{{\sqrt{{{r['d_k']}}} \cdot {temperature:.1f}}}"
                rf" = \frac{{QK^\top}}{{{root_d_k * temperature:.3f}}}")
    st.slider(t("sa.temperature"), *TEMPERATURE, step=0.1, key="sa_temperature", help=t("sa.temperature_help"),
              width=480)
    if causal:
        st.caption(t("sa.mask_note"))
    charts.heatmap(r["scaled_scores"], labels, labels, **axes, value_title=t("sa.scaled_score"),
                   highlight_row=query, diverging=True, name=step_name(4, "S̃"))
    seen = np.isfinite(r["scaled_scores"])  # a causal mask's cells are no score
    st.caption(t("sa.step4.spread", raw=r["scores"][seen].std(), scaled=r["scaled_scores"][seen].std()))

    # Step 5: softmax
    step_header(5, "sa.step5", r"a_{ij} = \frac{e^{\tilde S_{ij}}}{\sum_{j'} e^{\tilde S_{ij'}}}")
    left, right = st.columns([3, 2])
    with left:
        charts.heatmap(r["weights"], labels, labels, **axes, value_title=t("sa.weight"),
                       highlight_row=query, name=step_name(5, "A"))
    with right:
        charts.bar_chart(labels, r["weights"][query], x_title=t("sa.axis_key"),
                         y_title=t("sa.weight"), title=for_query, name=step_name(5, "a_i"))
        most_attended(t("sa.top_key"), labels, r["weights"][query])
        st.caption(t("sa.row_sum", total=float(r["weights"][query].sum())))

    # Step 6: weight each value vector
    step_header(6, "sa.step6", r"a_{ij}\, v_j \qquad j = 1, \dots, n")
    weighted = weighted_values(r["weights"][query], r["V"])  # (n_keys, d_v): the chosen query's only
    charts.heatmap(weighted, labels, k_dims, x_title=t("sa.axis_dim"), y_title=t("sa.axis_key"),
                   value_title=t("sa.weighted_value"), diverging=True, title=for_query, name=step_name(6, "a·v"))

    # Step 7: sum
    step_header(7, "sa.step7", r"z_i = \sum_j a_{ij}\, v_j \qquad Z = AV")
    charts.bar_chart(k_dims, r["output"][query], x_title=t("sa.axis_dim"), y_title="z",
                     diverging=True, title=for_query, name=step_name(7, "z_i"))
    charts.heatmap(r["output"], labels, k_dims, x_title=t("sa.axis_dim"), y_title=t("sa.axis_token"),
                   value_title="z", highlight_row=query, diverging=True, name=step_name(7, "Z"))

    sections.downloads(r, labels, weighted, identity)


scaled_steps()
st.divider()
sections.beyond_the_steps(tuple(tokens), labels, query, projection, int(seed), causal, r["d_k"])
charts.save_menu()
