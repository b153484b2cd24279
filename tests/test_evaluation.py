"""jiaokan eval: CER over grapheme clusters, folding, kinds, edit judging, HTML report, CLI exit codes."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from jiaokan.cli import main
from jiaokan.edits import Edit
from jiaokan.errors import InputError
from jiaokan.evaluation.cer import measure, measure_parts
from jiaokan.evaluation.edit_quality import judge_edits
from jiaokan.evaluation.evaluate import evaluate, evaluate_texts
from jiaokan.evaluation.report import render_report


def test_gold_against_itself_is_zero():
    text = "今天天气很好，我们去公园散步。\n\n第二段……"
    errors = measure(text, text)
    assert errors.cer == 0.0 and errors.distance == 0 and errors.reference_length == len(text.replace("\n", ""))


def test_hand_counted_example():
    # gold has 10 characters; the prediction reads 民 as 名 (1 substitution), doubles 国
    # (1 insertion) and drops the final 了 (1 deletion): 3 errors / 10
    errors = measure("中华人民共和国成立了", "中华人名共和国国成立")
    assert (errors.substitutions, errors.insertions, errors.deletions) == (1, 1, 1)
    assert errors.reference_length == 10
    assert errors.cer == pytest.approx(0.3)
    assert errors.confusions[("民", "名")] == 1
    assert errors.confusions[("了", "")] == 1
    assert errors.confusions[("", "国")] == 1


def test_grapheme_clusters_count_once():
    # thumbs up + skin tone modifier is one cluster of two code points
    errors = measure("a\U0001F44D\U0001F3FDb", "a\U0001F44Db")
    assert errors.reference_length == 3
    assert errors.distance == 1 and errors.substitutions == 1


def test_nfc_makes_composed_and_decomposed_equal():
    assert measure("caf\u00e9", "cafe\u0301").distance == 0


@pytest.mark.parametrize(
    ("fold_width", "fold_whitespace", "distance", "length"),
    [(True, True, 0, 8), (False, True, 2, 8), (True, False, 1, 9), (False, False, 3, 9)],
)
def test_folding_switches(fold_width, fold_whitespace, distance, length):
    gold, predicted = "你好，世界。\n再见", "你好,世界.再见"
    errors = measure(gold, predicted, fold_width=fold_width, fold_whitespace=fold_whitespace)
    assert (errors.distance, errors.reference_length) == (distance, length)


def test_enumeration_comma_is_not_folded():
    # 、 read as , is an OCR error, not a width variant
    assert measure("甲、乙", "甲,乙").substitutions == 1


def test_parts_add_up_to_the_page():
    parts = ["第一篇文章的正文。", "第二篇。", "第三篇文章在这里结束了。"]
    predicted = "第一篇文章的正文。\n\n第二二篇。\n\n第三篇文在这里结束了."
    scored = measure_parts(parts, predicted)
    assert sum(part.distance for part in scored) == measure("\n\n".join(parts), predicted).distance
    assert [part.distance for part in scored] == [0, 1, 1]  # 。 vs . is folded


def test_edit_judging():
    gold = "建档立卡脱贫人口全部实现了稳定脱贫。"
    noisy = "建档立卡卡脱贫人口全部实现了稳定脱贫。"
    right = Edit(4, 5, "卡", "", rule="remove_doubled_character", kind="repair", confidence=0.9)
    wrong = Edit(15, 16, "脱", "说", rule="fix_lookalike", kind="repair", confidence=0.5)
    width = Edit(18, 19, "。", ".", rule="narrow", kind="normalisation", confidence=1.0)
    counts = judge_edits(gold, noisy, [right, wrong, width])
    assert (counts.correct, counts.wrong, counts.neutral) == (1, 1, 1)
    assert counts.on_correct_text == 1
    assert counts.precision == pytest.approx(0.5)
    assert (counts.errors_present, counts.errors_fixed) == (1, 1)
    assert counts.recall == 1.0


def test_report_names_files_and_escapes(tmp_path):
    evaluation = evaluate_texts({
        "page-001.txt": ("正文<script>alert(1)</script>", "正文<script>alert(2)</script>"),
        "page-002.txt": ("另一篇", "另一篇"),
    })
    report = render_report(evaluation)
    assert "page-001.txt" in report and "page-002.txt" in report
    assert "<script>" not in report
    assert "&lt;script&gt;" in report
    assert 'class="sub"' in report


@pytest.fixture()
def folders(tmp_path):
    gold, predicted = tmp_path / "gold", tmp_path / "pred"
    (gold / "sub").mkdir(parents=True)
    (predicted / "sub").mkdir(parents=True)
    (gold / "a.txt").write_text("中华人民共和国成立了", encoding="utf-8")
    (predicted / "a.txt").write_text("中华人名共和国国成立", encoding="utf-8")
    (gold / "sub" / "b.txt").write_text("你好，世界。", encoding="utf-8")
    (predicted / "sub" / "b.txt").write_text("你好,世界.", encoding="utf-8")
    (predicted / ".jiaokan").mkdir()
    (predicted / ".jiaokan" / "state.json").write_text("{}", encoding="utf-8")  # hidden: ignored
    return gold, predicted


def test_evaluate_folders_by_relative_path(folders):
    gold, predicted = folders
    evaluation = evaluate(gold, predicted)
    assert [result.name for result in evaluation.files] == ["a.txt", "sub/b.txt"]
    assert evaluation.total.distance == 3 and evaluation.total.reference_length == 16


def test_unmatched_paths_are_an_input_error(folders):
    gold, predicted = folders
    (gold / "c.txt").write_text("多出来的", encoding="utf-8")
    with pytest.raises(InputError, match="c.txt"):
        evaluate(gold, predicted)


def test_cli_json_and_exit_codes(folders, tmp_path, capsys):
    gold, predicted = folders
    assert main(["eval", str(gold), str(gold), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cer"] == 0.0
    report = tmp_path / "report.html"
    assert main(["eval", str(gold), str(predicted), "--json", "--html", str(report)]) == 0
    assert json.loads(capsys.readouterr().out)["cer"] == pytest.approx(3 / 16)
    assert "sub/b.txt" in report.read_text(encoding="utf-8")
    assert main(["eval", str(gold), str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    (predicted / "a.txt").write_bytes(b"\xff\xfe\x00bad")
    assert main(["eval", str(gold), str(predicted)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["eval", str(gold), str(gold), "--edits", str(gold)]) == 2


def test_cli_judges_edit_records(tmp_path, capsys):
    gold, noisy, output = tmp_path / "gold.txt", tmp_path / "noisy.txt", tmp_path / "out.txt"
    gold.write_text("建档立卡脱贫人口", encoding="utf-8")
    noisy.write_text("建档立卡卡脱贫人口", encoding="utf-8")
    output.write_text("建档立卡脱贫人口", encoding="utf-8")
    records = tmp_path / "edits.jsonl"
    edit = Edit(4, 5, "卡", "", rule="remove_doubled_character", kind="repair", confidence=0.9)
    records.write_text(json.dumps(edit.to_dict() | {"status": "applied"}) + "\n", encoding="utf-8")
    assert main(["eval", str(gold), str(output), "--json", "--edits", str(records), "--noisy", str(noisy)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cer"] == 0.0
    assert data["edits"]["applied"]["precision"] == 1.0 and data["edits"]["applied"]["recall"] == 1.0


pieces = st.sampled_from(list("中华人民共和国，。、 \n,.ab") + ["\U0001F44D\U0001F3FD", "e\u0301"])
texts = st.lists(pieces, max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_property_text_against_itself_is_zero(text):
    assert measure(text, text).cer == 0.0


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_property_counts_are_symmetric(first, second):
    # the distance is symmetric; which kinds make it up is not unique (2 substitutions or an
    # insertion and a deletion), but insertions - deletions is always the length difference
    forward, backward = measure(first, second), measure(second, first)
    assert forward.distance == backward.distance
    assert forward.reference_length == backward.prediction_length
    assert forward.insertions - forward.deletions == forward.prediction_length - forward.reference_length
