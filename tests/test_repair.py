"""Single-copy repair rules one by one: what each fixes, and what it must leave alone."""
import pytest

from jiaokan import correct_text


def content_edits(text: str) -> list[tuple[str, str, str]]:
    """(original, replacement, rule) of every repair or consensus edit ``text`` gets alone."""
    return [(edit.original, edit.replacement, edit.rule) for edit in correct_text(text).edits if edit.kind != "normalisation"]


@pytest.mark.parametrize("noisy, right", [
    ("请编写一个程序序。这个程序很小。", "请编写一个程序。这个程序很小。"),    # the second copy stands alone before a mark
    ("把对象的相对坐坐标发送到窗口。", "把对象的相对坐标发送到窗口。"),      # the first copy stands alone before a word
    ("它支持多种不同的的形式。", "它支持多种不同的形式。"),                  # both copies stand alone
    ("形成覆盖中小小学全学段的招生体系。", "形成覆盖中小学全学段的招生体系。"),  # one word spans the repaired stretch
])
def test_a_doubled_character_that_stands_alone_is_removed(noisy, right):
    correction = correct_text(noisy)
    assert correction.text == right
    (edit,) = [edit for edit in correction.edits if edit.kind != "normalisation"]
    assert edit.rule == "remove_doubled_character" and correction.applied[correction.edits.index(edit)]


@pytest.mark.parametrize("sentence", [
    "中国外交部部长王毅说。",          # 外交部|部长: 外交部长 is a word too, but the gain is small
    "社会工作部部长杨朔说。",          # each copy in a word of its own
    "召开部（厅、委、室）务会会议。",  # a lone character after a mark: maybe an abbreviation
    "车队缓缓驶下生产线。",            # a reduplication that is a word
    "温度升到一百零零点五度。",        # numerals repeat
    "他们一个个走进会场。",            # 一个个
])
def test_a_doubling_that_words_explain_is_left(sentence):
    assert [edit for edit in content_edits(sentence) if edit[2] == "remove_doubled_character"] == []
