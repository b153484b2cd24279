"""Normalisation rules: golden cases as data, idempotence, switches, edits that replay."""
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from jiaokan.config import NORMALISATION_RULES, EngineConfig
from jiaokan.edits import apply_edits
from jiaokan.normalise import _DASH_START, _DASH_VARIANT, RULES, _inner_spaces, _paragraph_breaks, _is_not_long_dash, _matches_after, normalise
from jiaokan.textview import _SPECIAL, _special_matches

CASES = json.loads((Path(__file__).parent / "cases" / "normalise.json").read_text(encoding="utf-8"))
CONFIG = EngineConfig()


@pytest.mark.parametrize("case", CASES["changes"], ids=lambda case: case["name"])
def test_normalisation_fixes(case):
    assert apply_edits(case["input"], normalise(case["input"], CONFIG)) == case["output"]


@pytest.mark.parametrize("case", CASES["unchanged"], ids=lambda case: case["name"])
def test_normalisation_leaves_alone(case):
    assert normalise(case["input"], CONFIG) == []


@pytest.mark.parametrize("case", CASES["changes"], ids=lambda case: case["name"])
def test_normalisation_is_idempotent_on_cases(case):
    once = apply_edits(case["input"], normalise(case["input"], CONFIG))
    assert normalise(once, CONFIG) == []


def test_seed_pages_normalise_idempotently(seed_texts):
    for name, text in seed_texts.items():
        once = apply_edits(text, normalise(text, CONFIG))
        assert normalise(once, CONFIG) == [], name


def test_every_rule_is_registered_and_switchable():
    assert set(RULES) == set(NORMALISATION_RULES)
    text = "今年以来,各地各部门立足实际。"
    off = EngineConfig(rules={"widen_punctuation": False})
    assert normalise(text, off) == []
    assert [edit.rule for edit in normalise(text, CONFIG)] == ["widen_punctuation"]


def test_edits_name_their_rule_and_match_the_text():
    text = "## 标题\n\n推动工\n\n业领域设备更新,提升效率.....好"
    for edit in normalise(text, CONFIG):
        assert edit.rule in NORMALISATION_RULES and edit.kind == "normalisation"
        assert text[edit.start:edit.end] == edit.original


_chinese_noise = st.lists(st.sampled_from(list("科技创新发展产业工人入子午卡 ,.:;()…—-\n#*。，、") + ["  ", "\n\n", "论坛", "，"]), max_size=60).map("".join)


@settings(max_examples=200, deadline=None)
@given(_chinese_noise)
@example("# —产展科人.")  # the dash is at a line's start only once the markup goes
@example("—科展技发\n, \n业")  # the comma is between Chinese only once the line break goes
@example("子科:卡展;,, \n创")
@example("科……**")
def test_normalisation_is_idempotent(text):
    once = apply_edits(text, normalise(text, CONFIG))
    assert apply_edits(once, normalise(once, CONFIG)) == once


_layout_noise = st.lists(st.sampled_from(list("科技 \u3000\u00a0\t\n—―－-。")), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_layout_noise)
@example("—科")  # a dash at the text's start has nothing before it: the lookbehind accepts
@example(" 科")  # a space at the start has nothing before it: it is not between characters
def test_matches_after_gives_what_a_leading_lookbehind_would(text):
    expected = [match.span() for match in re.finditer(r"(?<![—―])" + _DASH_VARIANT.pattern, text)]
    assert [match.span() for match in _matches_after(_DASH_VARIANT, text, _is_not_long_dash)] == expected
    assert [match.span() for match in _matches_after(_DASH_VARIANT, text, _is_not_long_dash, _DASH_START)] == expected  # (where a match can start)
    # the spaces between characters: runs found whole, as the pattern with both assertions finds them
    assert list(_inner_spaces(text)) == [match.span() for match in re.finditer(r"(?<=\S)[ \u00a0\u3000]+(?=\S)", text)]
    # the paragraph breaks: found from each line break, as the pattern that opens with the blanks finds them
    assert list(_paragraph_breaks(text)) == [match.span() for match in re.finditer(r"[ \t\u3000]*\n(?:[ \t\u3000]*\n)*[ \t\u3000]*", text)]


_view_noise = st.lists(st.sampled_from(list("科技 \t\n*#_`.．。…⋯—―－-,:;!?()｡﹐，a1") + ["__", "...", "——"]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_view_noise)
def test_view_special_runs_are_looked_for_only_where_they_can_start(text):
    """`textview._SPECIAL_START` must list every character a `_SPECIAL` match can open with."""
    assert [match.span() for match in _special_matches(text)] == [match.span() for match in _SPECIAL.finditer(text)]

