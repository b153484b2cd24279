"""The OCR channel: which mistakes turn a true reading into what was read, and how likely."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from rapidfuzz.distance import OSA

from jiaokan.channel import DELETION, INSERTION, SUBSTITUTION, SWAP, _optimal_string_alignment, align_events, character_class
from jiaokan.resources import load_resources


@pytest.fixture(scope="module")
def channel():
    return load_resources().channel


def names(events):
    return [(event.kind, event.name) for event in events]


def test_mistakes_are_named_by_kind_and_class(channel):
    assert names(channel.events("钎", "钍")) == [(SUBSTITUTION, "lookalike 0.7")]
    assert names(channel.events("建档立卡卡", "建档立卡")) == [(INSERTION, "repeat")]
    assert names(channel.events("联合会长", "联合会会长")) == [(DELETION, "repeat")]
    assert names(channel.events("带光调联", "带光联调")) == [(SWAP, SWAP)]
    assert names(channel.events("全省", "全国")) == [(SUBSTITUTION, "han")]
    assert names(channel.events("說", "说")) == [(SUBSTITUTION, "form")]
    assert names(channel.events("1995", "1991")) == [(SUBSTITUTION, "digit")]
    assert names(channel.events("，", "、")) == [(SUBSTITUTION, "mark 、,")]
    assert channel.events("你好,世界", "你好，世界") == []  # width is no mistake


def test_a_look_alike_is_a_likelier_misreading_than_an_unrelated_character(channel):
    assert channel.log_likelihood_ratio("钎", "钍") > channel.log_likelihood_ratio("全", "钍")
    assert channel.weakest("全省", "全国") < channel.weakest("钎", "钍") < 0
    assert channel.log_likelihood_ratio("今天", "今天") == 0


def test_misreadings_include_look_alikes_and_confusions_seen_in_real_pairs(channel):
    misread = channel.misreadings("台", 0.6)
    assert "合" in misread and all(value < 0 for value in misread.values())
    assert channel.misreadings("台", 0.99).keys() <= misread.keys()


@given(st.text(alphabet="甲乙丙丁戊", max_size=9), st.text(alphabet="甲乙丙丁戊", max_size=9))
@settings(max_examples=300, deadline=None)
def test_the_alignment_is_an_optimal_string_alignment(true, observed):
    operations = _optimal_string_alignment(true, observed)
    assert len(operations) == OSA.distance(true, observed)
    events = align_events(observed, true, lambda first, second: 0.0)
    assert len(events) == len(operations)


def test_character_classes():
    assert [character_class(character) for character in "钍7７aＡ，、。"] == ["han", "digit", "digit", "letter", "letter", "punctuation", "punctuation", "punctuation"]
