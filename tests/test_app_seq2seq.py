"""The seq2seq attention page as a learner drives it: pick a pair, move the decoder step."""


import numpy as np
import pytest

from conftest import charts, open_page
from core.embeddings import tokenize
from core.seq2seq import alignment, decoder_states, encoder_states, load_pairs
from ui.i18n import catalog

PAGE = "pages/2_seq2seq_attention.py"
EN, KO = catalog("en"), catalog("ko")


def alignment_chart(at, texts=EN):
    """The alignment heatmap as (matrix, outlined row)."""
    for spec, data in charts(at):
        if spec.get("encoding", {}).get("y", {}).get("title") == texts["s2s.axis_target"]:
            M = np.zeros((data["r"].max() + 1, data["c"].max() + 1))
            M[data["r"], data["c"]] = data["value"]
            outline = sorted(set(data["r"][data["outline"]])) if "outline" in data else []
            return M, outline
    raise AssertionError("no alignment heatmap")


def step_to(at, i):
    step = at.select_slider(key="s2s_step")
    return step.set_value(step.options[i]).run()


def type_pair(at, source, target):
    at.text_input(key="s2s_source").input(source)
    at.text_input(key="s2s_target").input(target).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_opens_on_a_korean_english_pair_with_its_alignment(lang):
    at = open_page(PAGE, lang=lang)
    texts = catalog(lang)
    assert at.title[0].value == texts["s2s.title"]
    pair = load_pairs()[0]
    assert at.text_input(key="s2s_source").value == pair["source"]
    expected = alignment(decoder_states(pair["target"]), encoder_states(pair["source"]), temperature=0.1)
    M, outline = alignment_chart(at, texts)
    np.testing.assert_allclose(M, expected["weights"], atol=1e-12)
    assert outline == [0]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_moving_the_decoder_step_moves_the_highlight_and_the_numbers(lang):
    at = open_page(PAGE, lang=lang)
    at.selectbox(key="s2s_pair").set_value(1).run()  # 고양이가 생선을 먹었다 -> The cat ate the fish
    assert at.text_input(key="s2s_target").value == "The cat ate the fish"
    tops = {}
    for i in range(5):
        step_to(at, i)
        _, outline = alignment_chart(at, catalog(lang))
        assert outline == [i]
        tops[at.select_slider(key="s2s_step").value] = at.metric[0].value
    # each English word looks at its Korean counterpart: the alignment crosses (SOV vs SVO)
    assert tops["2 cat"] == "1 고양이가"
    assert tops["3 ate"] == "3 먹었다"
    assert tops["5 fish"] == "2 생선을"


def test_titles_follow_the_step():
    at = step_to(open_page(PAGE), 3)
    titles = [spec.get("title") for spec, _ in charts(at)]
    assert EN["s2s.at_step"].format(token="4 school") in titles


@pytest.mark.parametrize("score", ["general", "additive"])
def test_other_score_functions_say_what_their_parameters_are(score):
    at = open_page(PAGE)
    at.radio(key="s2s_score").set_value(score).run()
    assert EN[f"s2s.params_{score}"] in [c.value for c in at.caption]
    assert any(score in latex.value or "tanh" in latex.value or "W" in latex.value for latex in at.latex)
    assert bool(at.get("number_input")) == (score == "additive")  # the seed, only where it matters


def test_general_with_the_identity_equals_dot():
    at = open_page(PAGE)
    dot, _ = alignment_chart(at)
    at.radio(key="s2s_score").set_value("general").run()
    general, _ = alignment_chart(at)
    np.testing.assert_allclose(general, dot, atol=1e-12)


def test_temperature_sharpens_the_alignment():
    at = open_page(PAGE)
    at.slider(key="s2s_temperature").set_value(1.0).run()
    soft, _ = alignment_chart(at)
    at.slider(key="s2s_temperature").set_value(0.04).run()
    sharp, _ = alignment_chart(at)
    assert sharp.max(axis=1).mean() > soft.max(axis=1).mean()
    np.testing.assert_array_equal(sharp.argmax(axis=1), soft.argmax(axis=1))


def test_a_typed_pair_aligns_and_names_unknown_words():
    at = type_pair(open_page(PAGE), "고양이가 zzqxv 먹었다", "the cat ate")
    assert at.select_slider(key="s2s_step").options == ["1 the", "2 cat", "3 ate"]
    assert EN["s2s.unknown"].format(count=1) in [w.value for w in at.warning]
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["zzqxv"]


@pytest.mark.parametrize(("source", "target"), [("", "the cat"), ("고양이가", "   "), ("", "")])
def test_a_missing_side_gets_a_clear_message(source, target):
    at = type_pair(open_page(PAGE), source, target)
    assert [w.value for w in at.warning] == [EN["s2s.empty"]]
    assert not at.get("vega_lite_chart")


def test_long_sentences_are_cut_with_a_notice():
    at = type_pair(open_page(PAGE), " ".join(["cat"] * 40), "the cat")
    assert EN["s2s.cut"].format(side=EN["common.source"], n=40, limit=32) in [i.value for i in at.info]
    M, _ = alignment_chart(at)
    assert M.shape == (2, 32)


def test_step_beyond_a_shorter_target_falls_back_to_the_first_word():
    at = step_to(open_page(PAGE), 3)
    type_pair(at, "나는 학교에 간다", "I go")
    assert at.select_slider(key="s2s_step").value == "1 I"


def test_markup_in_a_typed_pair_is_shown_literally():
    at = type_pair(open_page(PAGE), "<script>alert(1)</script>", "**bold** :red[x]")
    rendered = "\n".join(el.value for kind in ("markdown", "caption", "info", "warning") for el in at.get(kind))
    assert "<script>" not in rendered and "**bold**" not in rendered and ":red[" not in rendered
    assert tokenize("**bold** :red[x]")[:2] == ["*", "*"]


def test_each_step_shows_its_query_and_its_context():
    at = step_to(open_page(PAGE), 3)  # "school"
    pair = load_pairs()[0]
    H_e, H_d = encoder_states(pair["source"]), decoder_states(pair["target"])
    expected = alignment(H_d, H_e, temperature=0.1)
    bars = {spec.get("title"): data["value"].to_numpy() for spec, data in charts(at) if "label" in data}
    np.testing.assert_allclose(bars[EN["s2s.query_title"].format(token="4 school")], H_d[3])
    np.testing.assert_allclose(bars[EN["s2s.context_title"].format(token="4 school")], expected["contexts"][3])
