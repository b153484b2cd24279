"""The single-copy rules' numpy shortcuts against plain Python versions of what they compute.

`_swaps_forming_pairs` and `_document_word_variants` look up a whole text's character pairs
at once in integer tables; `_word_across` walks words outward from a boundary. Each is
checked here against the direct definition, on random texts over characters that form
many words, so any drift between the fast form and the meaning shows up.
"""
import random
import re

import numpy as np
import pytest

from jiaokan import repair
from jiaokan.resources import load_resources
from jiaokan.script import HAN

# characters of frequent words, look-alikes among them, marks and Latin letters
ALPHABET = "选择数据文档添加入住人住宅中小学生活动力量己已土士未末的了和是在有，。、 Ab12"


@pytest.fixture(scope="module")
def resources():
    return load_resources(())


def random_texts(count: int, seed: int):
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60))) for _ in range(count)]


def known(text: str, resources) -> bool:
    return resources.is_known_word(text)


def swaps_forming_pairs_directly(units: str, resources) -> list[tuple[int, int, int]]:
    """`repair._swaps_forming_pairs` one position at a time, as its docstring states it."""
    found = []
    for run in re.finditer(f"{HAN}+", units):
        run_start, run_end = run.span()
        if repair._touches_latin(units, run_start, run_end):
            continue
        for index in range(run_start, run_end - 1):
            first, second = units[index], units[index + 1]
            if known(first + second, resources):
                continue
            left_known = index > run_start and known(units[index - 1] + first, resources)
            right_known = index + 2 < run_end and known(second + units[index + 2], resources)
            if left_known and right_known:
                continue
            swapped = second + first
            if known(swapped, resources):
                if not repair._rare_word(swapped, resources):
                    found.append((index, run_start, run_end))
                continue
            before = index > run_start and known(units[index - 1] + second, resources)
            after = index + 2 < run_end and known(first + units[index + 2], resources)
            if before and after:
                found.append((index, run_start, run_end))
    return found


def document_word_variants_directly(units: str, resources) -> set[tuple[int, str, str]]:
    """`repair._document_word_variants`: each non-word pair of the text that an engine may read
    for a two-character word of the table's frequencies (one character misread, as the channel
    says), with that word."""
    misread_for: dict[str, set[str]] = {}  # what may be read -> the characters it may be read for
    for character in {character for word in repair._document_words(resources) for character in word}:
        for misreading in resources.channel.misreadings(character, repair.LOOKALIKE_SIMILARITY):
            misread_for.setdefault(misreading, set()).add(character)
    words = set(repair._document_words(resources))
    found = set()
    for start in range(len(units) - 1):
        pair = units[start:start + 2]
        if known(pair, resources):
            continue
        for position in range(2):
            for character in misread_for.get(pair[position], ()):
                word = pair[:position] + character + pair[position + 1:]
                if word in words:
                    found.add((start, pair, word))
    return found


def word_across_directly(units: str, edge: int, resources) -> bool:
    return any(known(units[start:end], resources)
               for start in range(max(0, edge - resources.longest_known + 1), edge)
               for end in range(edge + 1, min(len(units), start + resources.longest_known) + 1))


def test_swaps_forming_pairs_match_their_definition(resources):
    for units in random_texts(400, 1) + ["选数择据，档文", "普惠普惠", "A选数择据", "选数择据1"]:
        assert repair._swaps_forming_pairs(units, resources) == swaps_forming_pairs_directly(units, resources), units


def marked_units(units: str, seed: int):
    rng = random.Random(seed)
    return np.array([rng.random() < 0.3 for _ in units], dtype=bool)


def test_scans_within_marked_units_keep_what_holds_a_marked_unit(resources):
    """Where copies settle most of a text, the scans look only at pairs holding a unit in doubt:
    the same as scanning all of it and keeping those."""
    # 生人活动和量 with 活 alone in doubt: 人活 and 动和 are looked up as the neighbours of 活动
    named = [("生人活动和量", {2}), ("士人小学动和", {2}), ("选数择据，档文", {1, 5}), ("入住的人住进来", {3})]
    cases = [(units, marked_units(units, seed)) for seed, units in enumerate(random_texts(300, 4))]
    cases += [(units, np.array([position in marked for position in range(len(units))])) for units, marked in named]
    for units, within in cases:
        assert repair._swaps_forming_pairs(units, resources, within) == [
            found for found in repair._swaps_forming_pairs(units, resources) if within[found[0]:found[0] + 2].any()
        ], units
        assert set(repair._document_word_variants(units, resources, within)) == {
            found for found in repair._document_word_variants(units, resources) if within[found[0]:found[0] + 2].any()
        }, units
        assert repair._misread_swaps(units, resources, within) == [
            index for index in repair._misread_swaps(units, resources) if within[index:index + 2].any()
        ], units


def test_pages_scanned_together_find_what_each_page_s_own_scan_finds(resources):
    """Pages joined for one scan find what each page's own scans find, in their order, at its offsets."""
    from jiaokan.config import DEFAULT_CONFIG

    rng = random.Random(6)
    words, terms = repair._word_variant_index(resources), repair._lexicon_variant_index(resources)
    texts = random_texts(120, 6) + ["", "入住的人住进来", "人住", "住", "在一业孵化和鼻力网络里", "一帚一路"]  # term variants too
    texts += ["建档立卡档文。", "选数择据", "我们创一建个", "档文"]  # swaps, at a page's edges too
    found_somewhere = {"swaps": 0, "own words": 0}
    for size in (1, 2, 7, 64, len(texts)):
        pages = []
        for units in rng.sample(texts, min(size, len(texts))):
            kind = rng.choice(("none", "marked", "settled", "empty"))
            settled = None if kind == "none" else b"" if kind == "empty" else bytes(
                rng.random() < (0.7 if kind == "marked" else 1.0) for _ in units)
            pages.append((units, settled))
        scans = repair.scan_pages(pages, resources, DEFAULT_CONFIG)
        assert [scan.word_variants for scan in scans] == [
            words.find(units, repair._in_doubt(settled)) + repair._document_word_variants(units, resources, repair._in_doubt(settled))
            for units, settled in pages
        ]
        assert [scan.lexicon_variants for scan in scans] == [terms.find(units) for units, _ in pages]
        assert [scan.swaps for scan in scans] == [
            repair.SwapCandidates(repair._misread_swaps(units, resources, repair._in_doubt(settled)), repair._swaps_forming_pairs(units, resources, repair._in_doubt(settled)))
            for units, settled in pages
        ]
        found_somewhere["swaps"] += sum(bool(scan.swaps.misread or scan.swaps.forming_pairs) for scan in scans)
        found_somewhere["own words"] += sum(len(scan.word_variants) > len(words.find(units, repair._in_doubt(settled))) for scan, (units, settled) in zip(scans, pages))
    assert repair.scan_pages([], resources, DEFAULT_CONFIG) == []
    assert all(found_somewhere.values()), found_somewhere  # (the comparisons above compared something)


def test_misread_swaps_are_where_the_text_holds_a_pair_of_the_swap_table(resources):
    table = repair._swap_table(resources)
    texts = random_texts(300, 5) + ["档文选数择据", "文档", "添加加添", "据数"]
    texts += ["".join(random.Random(seed).choice(list(table)[:40])) * 3 for seed in range(20)]  # pairs of the table side by side
    for units in texts:
        assert repair._misread_swaps(units, resources) == [index for index in range(len(units) - 1) if units[index:index + 2] in table], units


def test_document_word_variants_match_their_definition(resources):
    texts = random_texts(300, 2) + ["入住的人住进来", "住宅人住宅", "人住"]
    assert any(document_word_variants_directly(units, resources) for units in texts)  # the test sees real hits
    for units in texts:
        assert set(repair._document_word_variants(units, resources)) == document_word_variants_directly(units, resources), units


def test_a_word_across_an_edge_is_found_as_the_definition_says(resources):
    # 门|广 in 天安门广场: only the whole word crosses it; terms and words longer than the word model reads
    longer = ["建设国家重大科技基础设施了", "综合孔径射电望远镜", "共一万一千五百二十颗星", "国家自主创新示范区"]
    for units in random_texts(200, 3) + ["中小学生活动", "在天安门广场上", "马克思主义者", *longer]:
        for edge in range(len(units) + 1):
            assert repair._word_across(units, edge, resources) == word_across_directly(units, edge, resources), (units, edge)
