"""The character language model: symbols, hashes, back-off queries, and what it prefers."""
from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from jiaokan.language_model import DIGIT, LETTER, LanguageModel, load_language_model, ngram_hash, to_symbols

ROOT = Path(__file__).resolve().parents[1]


def test_symbols_fold_width_digits_letters_marks_and_traditional_characters():
    assert to_symbols("１９98年ABc") == DIGIT * 4 + "年" + LETTER * 3
    assert to_symbols("你好，世界。") == to_symbols("你好,世界.")
    assert to_symbols("這個說話") == "这个说话"  # traditional folded to simplified, one character at a time
    assert to_symbols("今 天\n好") == "今天好"


@given(st.text(alphabet="的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年０１２ＡＢ,，。", max_size=30))
@settings(max_examples=200, deadline=None)
def test_symbols_keep_one_symbol_per_character(text):
    assert len(to_symbols(text)) == len("".join(text.split()))


def test_the_build_script_hashes_as_the_query_does():
    spec = importlib.util.spec_from_file_location("build_language_model", ROOT / "scripts" / "build_language_model.py")
    if importlib.util.find_spec("snownlp") is None:
        pytest.skip("snownlp is not installed (the bench extra): the build script cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_language_model"] = module
    spec.loader.exec_module(module)
    text = "^今天天气很好$^我们去公园$"
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    for length in (1, 2, 4):
        hashes, valid = module.gram_hashes(codes, length)
        for start in range(len(text) - length + 1):
            gram = text[start:start + length]
            assert int(hashes[start]) == ngram_hash(gram)
            # no n-gram runs on past a line end or back before a line start
            assert valid[start] == ("$" not in gram[:-1] and "^" not in gram[1:])


def test_a_model_backs_off_as_the_arpa_format_says():
    # a toy model: unigrams a, b; bigram "ab"; back-off weight of "a" is log10 0.5
    grams = {"a": (-0.5, math.log10(0.5)), "b": (-0.7, 0.0), "ab": (-0.1, 0.0)}
    keys = np.array(sorted(ngram_hash(gram) for gram in grams), dtype=np.uint64)
    by_hash = {ngram_hash(gram): value for gram, value in grams.items()}
    model = LanguageModel(keys, np.array([by_hash[int(key)][0] for key in keys], dtype=np.float32),
                          np.array([by_hash[int(key)][1] for key in keys], dtype=np.float32), order=2, unknown=-5.0)
    assert model.log_probability("ab", 1) == pytest.approx(-0.1)  # seen bigram
    assert model.log_probability("aa", 1) == pytest.approx(math.log10(0.5) - 0.5)  # back-off weight of "a", then P(a)
    assert model.log_probability("ba", 1) == pytest.approx(-0.5)  # "b" has no back-off weight stored: 0
    assert model.log_probability("bz", 1) == pytest.approx(-5.0)  # an unknown symbol
    assert model.log_probability("ab") == pytest.approx(-0.5 - 0.1)


def test_the_model_prefers_real_prose_to_misreadings():
    model = load_language_model()
    assert model.preference("这条路凝聚了畹町", "人", "入", "民的爱国") > 1  # 人民, not 入民
    assert abs(model.preference("实验堆实现", "钍", "钎", "燃料")) < 1  # two rare characters: the model cannot tell
    assert model.preference("以经济建设", "为", "力", "中心") > 1
    assert model.preference("", "今天", "今天", "") == 0


def test_the_shipped_model_is_the_one_its_header_describes():
    model = load_language_model()
    assert model.order == 4
    assert model.size > 500_000
    assert np.all(np.diff(model.keys.astype(np.uint64)) > 0)  # sorted, distinct: one search finds a key


def test_a_full_memo_is_emptied_without_losing_what_the_question_needs(monkeypatch):
    """When the remembered probabilities reach `MEMO_SIZE` the memo starts again; the question
    that filled it still gets every probability it asked for (it once raised KeyError)."""
    import jiaokan.language_model

    model = load_language_model()
    question = ("对出现返贫风险的", "建档立卡", "建档立下", "脱贫人口")
    expected = model.preferences([question])
    monkeypatch.setattr(jiaokan.language_model, "MEMO_SIZE", 10)  # the memo holds the question's histories, and more
    assert model.preferences([question, ("我们", "学习", "学刁", "文化")])[0] == pytest.approx(expected[0])
