"""Seq2seq attention: at every output step the decoder looks back at the whole input sentence."""

import streamlit as st

from core.embeddings import tokenize
from ui import charts, compute
from ui.compute import ALIGNMENT_TEMPERATURE as TEMPERATURE
from ui.compute import D_MODEL, SEEDS
from ui.layout import page, remember, t
from ui.widgets import most_attended, pair_input

MAX_TOKENS = 32
FORMULAS = {
    "dot": r"\mathrm{score}(h_{d,i}, h_{e,j}) = h_{d,i}^\top h_{e,j}",
    "general": r"\mathrm{score}(h_{d,i}, h_{e,j}) = h_{d,i}^\top W\, h_{e,j}",
    "additive": r"\mathrm{score}(h_{d,i}, h_{e,j}) = v^\top \tanh(W_1 h_{e,j} + W_2 h_{d,i})",
}

page("s2s.title", "🧭")
st.title(t("s2s.title"))
st.markdown(t("s2s.intro"))

source_text, target_text = pair_input("s2s")
source, target = tokenize(source_text), tokenize(target_text)
if not source or not target:
    st.warning(t("s2s.empty"), icon=":material/edit_note:")
    st.stop()
for side, tokens in (("source", source), ("target", target)):
    if len(tokens) > MAX_TOKENS:
        st.info(t("s2s.cut", side=t(f"common.{side}"), n=len(tokens), limit=MAX_TOKENS),
                icon=":material/content_cut:")
source, target = source[:MAX_TOKENS], target[:MAX_TOKENS]
src_labels, tgt_labels = charts.token_labels(source), charts.token_labels(target)

with st.sidebar:
    st.header(t("sa.controls"))
    remember("s2s_score", "dot", options=FORMULAS)
    score = st.radio(t("s2s.score"), list(FORMULAS), key="s2s_score",
                     format_func=lambda s: t(f"s2s.score_{s}"), help=t("s2s.score_help"))
    remember("s2s_seed", 0, bounds=SEEDS)
    seed = st.number_input(t("sa.seed"), *SEEDS, key="s2s_seed") if score == "additive" else 0
    remember("s2s_temperature", 0.1, bounds=TEMPERATURE)
    temperature = st.slider(t("sa.temperature"), *TEMPERATURE, step=0.02, key="s2s_temperature",
                            help=t("s2s.temperature_help"))

H_e, H_d, aligned, src_sources, tgt_sources = compute.seq2seq(
    tuple(source), tuple(target), score, int(seed), float(temperature))
st.info(t("s2s.states_how"), icon=":material/info:")
unknown = [tok for tok, s in zip(source + target, src_sources + tgt_sources, strict=True) if s == "fallback"]
if unknown:
    st.warning(t("s2s.unknown", count=len(unknown)), icon=":material/casino:")
    st.dataframe(charts.table(**{t("sa.col_token"): unknown}), hide_index=True)
if score != "dot":
    st.caption(t(f"s2s.params_{score}"))

st.subheader(t("s2s.encoder_title"))
dims = [str(i) for i in range(D_MODEL)]
charts.heatmap(H_e, src_labels, dims, x_title=t("sa.axis_dim"), y_title=t("s2s.axis_source"),
               value_title="h_e", diverging=True, name=t("s2s.encoder_title"))

@st.fragment
def decoder_step() -> None:
    """One decoder step and the whole alignment it sits in: the step slider reruns only this section."""
    st.subheader(t("s2s.step_title"))
    if remember("s2s_step", tgt_labels[0]) not in tgt_labels:
        st.session_state.s2s_step = tgt_labels[0]
    i = tgt_labels.index(st.select_slider(t("s2s.step"), tgt_labels, key="s2s_step"))
    st.latex(FORMULAS[score] + r",\qquad a_i = \mathrm{softmax}(\mathrm{score}_i / \tau),\qquad"
             r" c_i = \textstyle\sum_j a_{ij}\, h_{e,j}")
    at_step = t("s2s.at_step", token=tgt_labels[i])
    scores_col, weights_col = st.columns(2)
    with scores_col:
        charts.bar_chart(src_labels, aligned["scores"][i], x_title=t("s2s.axis_source"),
                         y_title=t("sa.score"), diverging=True, title=at_step,
                         name=f'{t("s2s.step_title")} · {t("sa.score")}')
    with weights_col:
        charts.bar_chart(src_labels, aligned["weights"][i], x_title=t("s2s.axis_source"),
                         y_title=t("sa.weight"), title=at_step, name=f'{t("s2s.step_title")} · {t("sa.weight")}')
    most_attended(t("s2s.top_source"), src_labels, aligned["weights"][i])
    query_col, context_col = st.columns(2)
    with query_col:
        charts.bar_chart(dims, H_d[i], x_title=t("sa.axis_dim"), y_title="h_d", diverging=True,
                         title=t("s2s.query_title", token=tgt_labels[i]), name=f'{t("s2s.step_title")} · h_d')
    with context_col:
        charts.bar_chart(dims, aligned["contexts"][i], x_title=t("sa.axis_dim"), y_title="c",
                         diverging=True, title=t("s2s.context_title", token=tgt_labels[i]),
                         name=f'{t("s2s.step_title")} · c')

    st.subheader(t("s2s.alignment_title"))
    st.markdown(t("s2s.alignment_explain"))
    charts.heatmap(aligned["weights"], tgt_labels, src_labels, x_title=t("s2s.axis_source"),
                   y_title=t("s2s.axis_target"), value_title=t("sa.weight"), highlight_row=i,
                   name=t("s2s.alignment_title"))


decoder_step()
charts.save_menu()
