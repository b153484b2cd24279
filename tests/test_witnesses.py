"""Witness discovery: shared passages among other text, under noise; alignment against a naive reference."""
import random

from hypothesis import given, settings, strategies as st

from jiaokan.alignment import align
from jiaokan.config import EngineConfig
from jiaokan.witnesses import find_shared_passages

ALPHABET = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def random_text(rng, length):
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def noisy(rng, text, rate):
    characters = list(text)
    for index in range(len(characters)):
        if rng.random() < rate:
            characters[index] = rng.choice(ALPHABET)
    return "".join(characters)


def test_finds_a_passage_among_other_articles_under_noise():
    rng = random.Random(1)
    passage = random_text(rng, 600)
    documents = {
        "a": random_text(rng, 800) + passage[:300] + random_text(rng, 200) + passage[300:] + random_text(rng, 500),
        "b": random_text(rng, 100) + noisy(rng, passage, 0.03) + random_text(rng, 900),
        "c": random_text(rng, 2000),
    }
    passages = find_shared_passages(documents, EngineConfig())
    pairs = {(p.first, p.second) for p in passages}
    assert pairs == {("a", "b")}
    covered = sum(p.second_end - p.second_start for p in passages)
    assert covered >= 0.9 * len(passage)
    for p in passages:  # every passage found is really the shared text
        assert p.first_start >= 800 - 10


def test_no_passages_between_unrelated_texts():
    rng = random.Random(2)
    documents = {str(index): random_text(rng, 3000) for index in range(20)}
    assert find_shared_passages(documents, EngineConfig()) == []


def naive_levenshtein(first, second):
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i]
        for j, b in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="甲乙丙丁戊", max_size=25), st.text(alphabet="甲乙丙丁戊", max_size=25))
def test_alignment_readings_rebuild_the_witness_and_count_matches(document, witness):
    readings, matches = align(document, witness)
    assert len(readings) == len(document)
    if document:
        assert "".join(readings) == witness
    distance = naive_levenshtein(document, witness)
    # an optimal alignment: every unit not matched costs at most one edit, and matches are not over-counted
    assert max(len(document), len(witness)) - matches <= distance <= len(document) + len(witness) - 2 * matches


def test_an_opening_printed_again_before_a_passage_joins_it_and_the_vote_drops_it():
    """The first sentence of an article printed three times at the top of a page: its n-grams
    are no anchors (not unique in that page), but the passage grows back over the copies, and
    the other copies' vote proposes removing the two extra ones (a repeat: a sign of damage)."""
    from jiaokan import apply_edits, correct_corpus

    rng = random.Random(3)
    opening = random_text(rng, 60) + "。"
    article = opening + random_text(rng, 500) + "。"
    documents = {
        "repeated": opening + opening + article + "\n\n" + random_text(rng, 300),
        "b": random_text(rng, 200) + "。" + article,
        "c": random_text(rng, 150) + "。" + article + random_text(rng, 100),
    }
    passages = [p for p in find_shared_passages(documents, EngineConfig()) if "repeated" in (p.first, p.second)]
    assert passages and all((p.first_start if p.first == "repeated" else p.second_start) == 0 for p in passages)
    correction = correct_corpus(documents)["repeated"]
    blocks = [edit for edit in correction.edits if edit.rule == "replaced_block"]
    assert blocks and blocks[0].evidence["repeat"] == 1.0  # the sign of damage: the copies may remove it
    assert apply_edits(correction.original, blocks).startswith(article)


def test_a_passage_start_stays_where_nothing_before_it_repeats_it():
    from jiaokan.witnesses import _repeats_before

    rng = random.Random(4)
    text = random_text(rng, 200)
    assert _repeats_before(text, 100) == 100
    assert _repeats_before(text[100:160] + text[100:], 60) == 0  # printed twice: the start moves back over the copy
