"""The engine end to end: seeds, witnesses beating noise, do-no-harm, determinism."""
import os
import random

from jiaokan import EngineConfig, apply_edits, correct_corpus, correct_text
from jiaokan.textview import build_view

SHARED_ARTICLE = ("002_9ebead79375e84cd.txt", "003_5417d37bc9da2a03.txt", "004_931bd066818f0e97.txt")
#: every candidate the rules find, however doubtful (what the calibration fit sees)
EVERY_CANDIDATE = EngineConfig.from_options({"proposal_threshold": 0.0})


def test_applied_edits_replay_to_the_text(seed_corrections):
    for correction in seed_corrections.values():
        applied = [edit for edit, on in zip(correction.edits, correction.applied) if on]
        assert apply_edits(correction.original, applied) == correction.text
        assert apply_edits(correction.original, correction.edits)  # all of them together fit too


def test_seed_copies_agree_after_cleaning_but_where_they_report_variants(seed_corrections):
    """The three printings of the shared article read nearly the same once cleaned: what still
    differs is where a variant is reported (a word one printing has and two lack, which no OCR
    engine makes: an edition's, for all the engine can tell) or a proposal awaits a reader."""
    from rapidfuzz.distance import Levenshtein

    bodies, open_characters = [], 0
    for name in SHARED_ARTICLE:
        correction = seed_corrections[name]
        units = build_view(correction.text).units
        start = units.index("全球最大综合孔径射电望远镜")
        end = units.index("新华社北京12月6日电", start)
        bodies.append(units[start:end])
        proposed = [edit for edit, applied in zip(correction.edits, correction.applied) if not applied and edit.kind != "normalisation"]
        open_characters += sum(max(len(variant.original), *(len(reading) for _, reading in variant.readings)) for variant in correction.variants)
        open_characters += sum(max(len(edit.original), len(edit.replacement)) for edit in proposed)
    assert min(len(body) for body in bodies) > 3000
    before = [build_view(seed_corrections[name].original).units for name in SHARED_ARTICLE]
    for index, body in enumerate(bodies):
        for other_index in range(index + 1, len(bodies)):
            after = Levenshtein.distance(body, bodies[other_index])
            assert after <= 2 + open_characters
            assert after < Levenshtein.distance(before[index], before[other_index])


def test_seed_slips_fixed(seed_corrections):
    texts = {name: correction.text for name, correction in seed_corrections.items()}
    fourth = texts["004_931bd066818f0e97.txt"]
    assert "钎" not in fourth and "钍基熔盐实验堆" in fourth
    assert "子午工程二期" in fourth and "午午工程" not in fourth
    for name in SHARED_ARTICLE:
        assert "带光联调" in texts[name], name
    # real reduplications, word boundaries, idioms and names survive
    assert "缓缓驶下" in texts["002_9ebead79375e84cd.txt"]
    assert "务会会议" in fourth
    assert "实实在在" in texts["001_3fa1046521e36f31.txt"]
    assert "风清气正" in fourth and "联合会会长" in texts["002_9ebead79375e84cd.txt"] and "王悦阳" in texts["002_9ebead79375e84cd.txt"]


def test_seed_doublings_a_single_copy_shows_are_proposed(seed_corrections):
    """建档立卡卡, 中小小学: one printing, no witness; in real OCR a doubled character is far
    rarer than a real one (悦悦, 呐呐), so the calibrated rule proposes these for review."""
    first = seed_corrections["000_bcb46cb50cc0bcb5.txt"]
    proposed = {(edit.original, edit.replacement) for edit in first.edits if edit.rule == "remove_doubled_character"}
    assert {("卡卡", "卡"), ("小小", "小")} <= proposed


def test_edits_carry_evidence(seed_corrections):
    fourth = seed_corrections["004_931bd066818f0e97.txt"]
    thorium = [edit for edit in fourth.edits if edit.original == "钎" and edit.replacement == "钍"]
    assert thorium
    readings = thorium[0].evidence["readings"]
    assert {reading["document"] for reading in readings} >= {"002_9ebead79375e84cd.txt", "003_5417d37bc9da2a03.txt"}
    assert all(0.0 <= edit.confidence <= 1.0 for edit in fourth.edits)


def test_same_output_whatever_the_order(seed_texts):
    names = list(seed_texts)
    random.Random(7).shuffle(names)
    shuffled = {name: seed_texts[name] for name in names}
    first = correct_corpus(seed_texts)
    second = correct_corpus(shuffled)
    assert {name: c.to_dict() for name, c in first.items()} == {name: c.to_dict() for name, c in second.items()}


def test_only_gives_the_same_result_as_the_whole(seed_texts, seed_corrections):
    name = "004_931bd066818f0e97.txt"
    alone = correct_corpus(seed_texts, only=[name])
    assert alone[name].to_dict() == seed_corrections[name].to_dict()


def test_parallel_workers_give_the_same_result(seed_texts, seed_corrections):
    parallel = correct_corpus(seed_texts, workers=2)
    assert {name: c.to_dict() for name, c in parallel.items()} == {name: c.to_dict() for name, c in seed_corrections.items()}


def _prepared(correction):
    return os.getpid(), correction.name, correction.to_dict()


def test_prepare_runs_where_each_document_is_finished_and_its_result_is_returned(seed_texts, seed_corrections):
    expected = {name: correction.to_dict() for name, correction in seed_corrections.items()}
    for workers in (1, 2):
        reported = {}
        results = correct_corpus(seed_texts, workers=workers, prepare=_prepared, progress=reported.__setitem__)
        assert results == reported
        assert {name: (name_seen, record) for name, (_, name_seen, record) in results.items()} == {name: (name, record) for name, record in expected.items()}
        where = {pid for pid, _, _ in results.values()}
        assert (where == {os.getpid()}) if workers == 1 else (os.getpid() not in where)


def test_identical_copies_change_nothing_but_layout(seed_texts):
    text = seed_texts["001_3fa1046521e36f31.txt"]
    correction = correct_text(text, [text, text])
    assert all(edit.kind != "consensus" for edit in correction.edits)


def test_lexicon_word_beats_a_wrong_majority():
    """The domain lexicon is the user's word: a reading that forms a term by a mistake an engine
    plausibly makes applies with the config's lexicon confidence, even against two copies."""
    right = "高能同步辐射光源正式启动带光联调，建设进入冲刺阶段，多个国家重大科技基础设施通过国家验收。"
    wrong = right.replace("带光联调", "带光调联")
    correction = correct_text(wrong, [wrong, right])
    assert "带光联调" in correction.text
    (edit,) = [edit for edit in correction.edits if edit.replacement == "联调"]
    assert edit.confidence == EngineConfig().lexicon_confidence and edit.evidence["domain_term"] == 1.0
    assert "calibrated" in edit.evidence  # what the data alone would have said
    trusting_data = EngineConfig.from_options({"lexicon_confidence": 0})
    assert "带光调联" in correct_text(wrong, [wrong, right], config=trusting_data).text


def test_a_single_copy_misreading_of_a_lexicon_term_applies_by_default():
    """Whatever threshold the calibration fitted for look-alike fixes, a fix that forms the
    user's term by a plausible misreading applies (the lexicon's confidence is above them all)."""
    config = EngineConfig(extra_terms=("长征火箭",))
    correction = correct_text("会上介绍了长怔火箭的进展。", config=config)
    assert correction.text == "会上介绍了长征火箭的进展。"
    (edit,) = correction.edits
    assert edit.confidence == config.lexicon_confidence >= config.threshold(edit.rule)


def test_majority_fixes_a_lookalike_and_a_dropped_character():
    right = "位于甘肃民勤的液态燃料钍基熔盐实验堆已成功实现国际首次钍铀核燃料转换，成为目前唯一运行的熔盐堆。"
    noisy = right.replace("钍基", "钎基").replace("钍铀", "钍")
    correction = correct_text(noisy, [right, right])
    assert correction.text == right


def test_single_copy_doubled_character_and_reduplication():
    doubled = correct_text("对出现返贫风险的建档立卡卡脱贫人口继续实施帮扶。", config=EVERY_CANDIDATE)
    assert [(edit.original, edit.replacement) for edit in doubled.edits] == [("卡卡", "卡")] and doubled.text.count("卡卡") == 1  # a candidate
    for sentence in ("小米汽车缓缓驶下生产线。", "正实实在在给企业生产带来效益。", "一批批有国际影响力的成果涌现。", "社会工作部部长杨朔说。",
                     "以创新为目的的探索。", "张张笑脸洋溢着喜悦。", "你像小悦悦这样的事。"):
        assert correct_text(sentence).text == sentence, sentence


def test_character_rules_leave_text_the_copies_confirm():
    """A doubling both copies print is what the copies say; alone, the rule finds it; with one
    copy that lacks it, the copies propose their reading."""
    sentence = "对出现返贫风险的建档立卡卡脱贫人口继续实施帮扶，各地要落实好监测对象的帮扶措施。"
    alone = correct_text(sentence, config=EVERY_CANDIDATE)
    assert [edit.rule for edit in alone.edits] == ["remove_doubled_character"]  # a candidate
    confirmed = correct_text(sentence, [sentence], config=EVERY_CANDIDATE)
    assert confirmed.edits == ()
    disputed = correct_text(sentence, [sentence.replace("卡卡", "卡")], config=EVERY_CANDIDATE)  # one copy without it: the copies decide
    assert apply_edits(sentence, [edit for edit in disputed.edits if edit.kind == "consensus"]) == sentence.replace("卡卡", "卡")


def test_rule_switch_turns_a_rule_off():
    text = "对出现返贫风险的建档立卡卡脱贫人口继续实施帮扶。"
    config = EngineConfig(rules={"remove_doubled_character": False})
    assert correct_text(text, config=config).text == text


def test_clean_text_comes_through_untouched(seed_corrections):
    """Cleaned output run again proposes no content change."""
    for name, correction in seed_corrections.items():
        again = correct_text(correction.text)
        assert [edit for edit in again.edits if edit.kind != "normalisation" and again.applied[again.edits.index(edit)]] == [], name


def test_a_name_between_a_title_and_a_verb_of_saying_is_left():
    from jiaokan.repair import _person_name_around

    sentence = "山东一家纺织公司办公室主任唐凤宇说，如今小单比重持续攀升。"
    correction = correct_text(sentence)
    assert correction.text == sentence
    assert all(edit.evidence.get("name") == 1.0 for edit in correction.edits if edit.rule == "fix_lookalike")
    assert _person_name_around("记者王明说", 3) == "王明"
    assert _person_name_around("记者王明说", 2) is None  # the surname is not what is fixed
    assert _person_name_around("他们说起学说", 4) is None  # no title before: not a name


def test_a_rare_character_misread_for_a_most_frequent_one_is_proposed_but_not_inside_a_word():
    misread = "这是我们酌工作重点，也是今年酌主要任务。"
    proposed = correct_text(misread, config=EVERY_CANDIDATE).edits
    assert apply_edits(misread, proposed) == "这是我们的工作重点，也是今年的主要任务。"
    for sentence in ("请大家再斟酌一下这个方案。", "他酌情处理了这件事。"):  # 斟酌, 酌情 are words
        assert correct_text(sentence, config=EVERY_CANDIDATE).edits == (), sentence


def test_a_rare_character_closer_to_another_look_alike_is_left_and_a_term_wins():
    sentence = "新建的墨子巡夭望远镜性能优良。"  # 夭 looks most like 天, not like the frequent 人
    assert correct_text(sentence).edits == ()
    with_term = correct_text(sentence, config=EngineConfig.from_options({"extra_terms": ["墨子巡天望远镜"]}))
    assert with_term.text == "新建的墨子巡天望远镜性能优良。"
