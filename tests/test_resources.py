"""The engine's resources: one per set of terms, `WordModel.segment` against the plain
maximum-probability segmentation it shortcuts, and `Lexicon.could_form` against every way
of spelling text from a few characters.

The segmentation stops reading from a character once the text read so far begins no word
(`WordModel.lattice`); the plain form tries every span up to the longest word."""
import itertools
import math
import random
from pathlib import Path

import pytest

from jiaokan.resources import Lexicon, load_resources

ALPHABET = "中华人民共和国国家发展改革委员会选择数据文档入住人住宅小学生活动力量的了是在，。 A1"


@pytest.fixture(scope="module")
def words():
    return load_resources(()).words


def test_one_resources_object_per_set_of_terms():
    """The rules that load resources themselves share the pipeline's (a second object would copy the word model)."""
    assert load_resources() is load_resources(()) is load_resources(extra_terms=())
    assert load_resources(("某某术语",)) is not load_resources()


def segment_directly(text: str, words) -> tuple[float, list[str]]:
    best = [0.0] + [-math.inf] * len(text)
    back = [0] * (len(text) + 1)
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + words.longest) + 1):
            count = words.frequency(text[start:end])
            if count <= 0 and end - start > 1:
                continue
            score = best[start] + (math.log(count / words.total) if count > 0 else math.log(0.5 / words.total))
            if score > best[end]:
                best[end], back[end] = score, start
    pieces, end = [], len(text)
    while end > 0:
        pieces.append(text[back[end]:end])
        end = back[end]
    return best[len(text)], pieces[::-1]


def test_segmentation_is_the_most_probable_one(words):
    rng = random.Random(5)
    prose = (Path(__file__).resolve().parents[1] / "seeds").glob("*")
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(500)]
    for path in sorted(prose):
        source = path.read_text(encoding="utf-8")
        texts += [source[start:start + 20] for start in range(0, len(source) - 20, 37)]
    for text in texts:
        assert words.segment(text) == segment_directly(text, words), text


def test_a_lexicon_could_form_a_term_only_from_every_character_of_one():
    lexicon = Lexicon(frozenset({"光联调", "数据中心", "中子"}))
    assert lexicon.could_form("调光联", "联")
    assert lexicon.could_form("数据中心了", "心")
    assert not lexicon.could_form("数据中", "中")  # 心 is missing, and 子 for 中子
    assert not lexicon.could_form("光联调", "的")  # touching no character of it
    assert lexicon.could_form("中子", "中子")
    # the quick test never says no where some spelling from those characters holds a term
    rng = random.Random(2)
    characters = "光联调数据中心子的"
    for _ in range(300):
        available = "".join(rng.sample(characters, rng.randint(1, 5)))
        touching = "".join(rng.sample(available, rng.randint(1, len(available))))
        spellable = any(
            term in "".join(spelling) and any(character in touching for character in term)
            for term in lexicon.terms
            for spelling in itertools.permutations(available * 2, len(term))
        )
        assert lexicon.could_form(available, touching) == spellable, (available, touching)
