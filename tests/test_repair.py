"""Single-copy repair rules one by one: what each fixes, and what it must leave alone."""
import pytest

from jiaokan import EngineConfig, apply_edits, correct_text

#: every candidate the rules find, however doubtful (what the calibration fit sees)
EVERY_CANDIDATE = EngineConfig.from_options({"proposal_threshold": 0.0})


def content_edits(text: str) -> list[tuple[str, str, str]]:
    """(original, replacement, rule) of every repair or consensus edit ``text`` gets alone."""
    return [(edit.original, edit.replacement, edit.rule) for edit in correct_text(text).edits if edit.kind != "normalisation"]


@pytest.mark.parametrize("noisy, right", [
    ("请编写一个程序序。这个程序很小。", "请编写一个程序。这个程序很小。"),    # the second copy stands alone before a mark
    ("把对象的相对坐坐标发送到窗口。", "把对象的相对坐标发送到窗口。"),      # the first copy stands alone before a word
    ("它支持多种不同的的形式。", "它支持多种不同的形式。"),                  # both copies stand alone
    ("形成覆盖中小小学全学段的招生体系。", "形成覆盖中小学全学段的招生体系。"),  # one word spans the repaired stretch
])
def test_a_doubled_character_that_stands_alone_is_a_candidate_not_applied(noisy, right):
    """One doubling in one sentence: the rule finds it, and the calibrated model, which has seen
    real OCR double a character far less often than real text repeats one, does not apply it."""
    correction = correct_text(noisy, config=EVERY_CANDIDATE)
    (edit,) = [edit for edit in correction.edits if edit.rule == "remove_doubled_character"]
    assert apply_edits(noisy, [edit]) == right
    assert not correct_text(noisy).applied or not any(correct_text(noisy).applied)


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


@pytest.mark.parametrize("noisy, right", [
    ("请先选择数据区域，然后点击确定。".replace("择数", "数择"), "请先选择数据区域，然后点击确定。"),  # 数择: no frequent word 择数
    ("它会自动创建一个新文件。".replace("建一", "一建"), "它会自动创建一个新文件。"),  # of 创一 and 一建, the better swap
])
def test_swapped_neighbours_are_candidates_not_applied(noisy, right):
    """Real OCR pairs show no swapped neighbours (channel.json): a swap is a doubtful candidate."""
    candidates = correct_text(noisy, config=EVERY_CANDIDATE)
    assert apply_edits(noisy, [edit for edit in candidates.edits if edit.rule == "fix_swapped_characters"]) == right
    assert correct_text(noisy).text == noisy


@pytest.mark.parametrize("sentence", [
    "绘制不受45度角限制的多边形。",  # a number and its unit: 度角 is no misread 角度
    "X轴主网格处于隐藏状态。",        # a run that starts after a Latin letter
    "然后按向左或向右方向键。",
])
def test_a_swap_the_text_does_not_need_is_left(sentence):
    assert [edit for edit in content_edits(sentence) if edit[2] == "fix_swapped_characters"] == []


def test_a_word_the_document_prints_elsewhere_is_evidence_for_its_look_alike():
    """人住 -> 入住: the page prints 入住 elsewhere (a cache language model's log ratio, ``printed``);
    what the page prints again as read is evidence the other way (``own_printed``)."""
    from jiaokan.repair import _place_evidence
    from jiaokan.resources import load_resources

    resources = load_resources()
    elsewhere = "鼓励务工人员、青年人才等入住。兴趣社团……人住快三年了，我认识了很多朋友。"
    alone = "兴趣社团……人住快三年了，我认识了很多朋友。"
    start = elsewhere.index("人住快")
    assert _place_evidence(elsewhere, start, "人住", "入住", start, [start], resources)["printed"] > 0
    start = alone.index("人住")
    assert _place_evidence(alone, start, "人住", "入住", start, [start], resources)["printed"] == 0
    again = alone + "他人住在这里。"
    assert _place_evidence(again, start, "人住", "入住", start, [start], resources)["own_printed"] > 0


def test_without_the_document_s_word_a_weak_look_alike_is_left():
    assert content_edits("兴趣社团……人住快三年了，我认识了很多朋友。") == []


def test_a_look_alike_fix_more_often_wrong_than_right_is_not_even_proposed():
    """值 is a frequent word by itself: 值是 -> 但是 would be a false alarm on clean text."""
    assert [edit for edit in content_edits("该笔贷款的现金值是多少？") if edit[2] == "fix_lookalike"] == []


def test_a_swap_the_page_prints_again_is_left():
    """A pair printed the same way twice is what the text means (OCR seldom repeats a
    misreading); once, it is put back (see above)."""
    sentence = "请先选数择据区域。也可以选数择据列表。"
    assert [edit for edit in content_edits(sentence) if edit[2] == "fix_swapped_characters"] == []


def test_a_swap_into_a_rare_word_is_left():
    """普惠 (inclusive) is missing from the word list, and 惠普 is too rare there to trust."""
    assert [edit for edit in content_edits("开展普惠算力行动。") if edit[2] == "fix_swapped_characters"] == []


def test_a_doubling_edit_spans_both_copies_so_a_consensus_edit_on_either_wins():
    """Copies that delete the first 称 of 名称称 and this rule the second would leave 名: the
    rule's edit covers both copies, so the pipeline's overlap resolution keeps one of them."""
    from jiaokan.edits import CONSENSUS, Edit, apply_edits, resolve_overlaps
    from jiaokan.repair import remove_doubled_character
    from jiaokan.resources import load_resources
    from jiaokan.textview import build_view

    noisy = "请右击工作表的名称称标签。"
    (edit,) = remove_doubled_character(build_view(noisy), load_resources(), threshold=0.0)
    assert (edit.original, edit.replacement) == ("称称", "称")
    first = noisy.index("称")
    consensus = Edit(first, first + 1, "称", "", "majority_reading", CONSENSUS, 0.9, {})
    kept = resolve_overlaps([consensus, edit], lambda candidate: candidate.kind != CONSENSUS)
    assert apply_edits(noisy, kept) == "请右击工作表的名称标签。"


@pytest.mark.parametrize("noisy, right", [
    ("只萝您选择了数据库，就可以开始。", "只要您选择了数据库，就可以开始。"),          # 萝/要 0.614
    ("单元格的格式取决于该粗体格戎。", "单元格的格式取决于该粗体格式。"),            # 戎/式 0.644
])
def test_a_look_alike_from_the_table_s_lower_band_is_a_candidate_where_the_words_say_so(noisy, right):
    correction = correct_text(noisy, config=EVERY_CANDIDATE)
    assert any(apply_edits(noisy, [edit]) == right for edit in correction.edits if edit.rule == "fix_lookalike")


def test_a_doubling_is_left_where_the_copies_confirm_either_copy():
    """Where other copies read one copy of 在在 alike, the copies decide (the consensus
    removes a spurious copy itself); the rule acts only where no copy settles either."""
    from jiaokan.repair import remove_doubled_character
    from jiaokan.resources import load_resources
    from jiaokan.textview import build_view

    view = build_view("这些功能清楚地排列在在一个选择窗口中。")
    first = view.units.index("在在")
    assert remove_doubled_character(view, load_resources(), threshold=0.0)  # alone: a candidate
    for settled_copy in (first, first + 1):
        settled = bytearray(len(view.units))
        settled[settled_copy] = 1
        assert remove_doubled_character(view, load_resources(), bytes(settled), threshold=0.0) == []


def test_sentences_are_found_in_time_linear_in_the_text():
    """The sentence scan behind drop_repeated_sentence takes time proportional to the text, even
    for text without a sentence end (a pattern that looked ahead for one from every position
    took 5.8 s for 32k characters and 22.8 s for 64k)."""
    import time

    from jiaokan.repair import _sentences

    def seconds(size: int) -> float:
        text = "人工智能技术突破" * (size // 8)
        started = time.perf_counter()
        _sentences(text)
        _sentences(text + "。" + text)
        return time.perf_counter() - started

    seconds(1000)  # warm up
    small, large = seconds(50_000), seconds(400_000)
    assert large < 16 * small + 0.05  # eight times the text: at most about eight times the time (not 64)
    assert _sentences("今天。明天好！\n后天？") == [(0, 3), (3, 7), (8, 11)]
