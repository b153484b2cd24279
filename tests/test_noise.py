"""The synthetic OCR noise of the benchmarks: seeded, near the requested rate, gold recoverable."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from jiaokan.evaluation.cer import measure, measure_parts
from jiaokan.evaluation.noise import (
    DEFAULT_PROFILE,
    NoiseProfile,
    add_noise,
    build_witness_set,
    noisy_copies,
    parse_lookalikes,
    prepare_lookalikes,
)

CORPUS = Path(__file__).resolve().parents[1] / "bench" / "corpus" / "clean"


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    texts = {path.stem: path.read_text(encoding="utf-8").strip() for path in sorted(CORPUS.glob("*.txt"))[:40]}
    assert len(texts) == 40
    return texts


def test_same_seed_same_noise(corpus):
    text = next(iter(corpus.values()))
    assert add_noise(text, random.Random(7)) == add_noise(text, random.Random(7))
    assert add_noise(text, random.Random(7)) != add_noise(text, random.Random(8))


@pytest.mark.parametrize("rate", [0.01, 0.03, 0.08])
def test_character_noise_hits_the_requested_rate(corpus, rate):
    text = "\n\n".join(list(corpus.values())[:20])
    profile = NoiseProfile(character_error_rate=rate).without_layout()
    noisy = add_noise(text, random.Random(1), profile)
    content = sum(1 for character in text if character.isalnum())
    measured = measure(text, noisy).distance / content
    # a swap counts as two edits and a look-alike may be missing: within a third of the target
    assert rate * 0.67 <= measured <= rate * 1.33


def test_no_noise_leaves_text_alone(corpus):
    text = next(iter(corpus.values()))
    profile = NoiseProfile(character_error_rate=0.0).without_layout()
    assert add_noise(text, random.Random(3), profile) == text


def test_layout_noise_is_folded_away():
    text = "第一段话，说的是一件事。\n\n第二段话；说的是另一件事。"
    profile = NoiseProfile(character_error_rate=0.0, punctuation_rate=1.0, stray_space_rate=0.5,
                           broken_paragraph_probability=1.0, ellipsis_rate=0.0, markdown_probability=0.0,
                           repeated_sentence_probability=0.0, replaced_block_probability=0.0)
    noisy = add_noise(text, random.Random(2), profile)
    assert noisy != text
    assert measure(text, noisy).distance == 0
    assert measure(text, noisy, fold_width=False, fold_whitespace=False).distance > 0


def test_lookalike_table_drives_substitutions():
    table = prepare_lookalikes(parse_lookalikes(["钍\t钎\t0.9", "子 午"]))
    profile = NoiseProfile(character_error_rate=1.0, operation_weights={"substitute": 1.0},
                           random_substitution_share=0.0).without_layout()
    assert add_noise("钍子", random.Random(0), profile, lookalikes=table) == "钎午"


def test_correlated_copies_share_errors(corpus):
    text = "\n\n".join(list(corpus.values())[:5])
    profile = DEFAULT_PROFILE.without_layout()

    def shared(correlation):
        first, second = noisy_copies(text, 2, random.Random(5), profile, correlation=correlation)
        return measure(first, second).distance

    # copies with shared errors differ less from each other than independent copies
    assert shared(0.9) < shared(0.0)


@pytest.mark.parametrize("copies", [1, 3])
def test_witness_set_keeps_gold_per_page(corpus, copies):
    names = sorted(corpus)
    subjects = {name: corpus[name] for name in names[:3]}
    fillers = {name: corpus[name] for name in names[3:]}
    pages = build_witness_set(subjects, fillers, copies, seed=4)
    assert len(pages) == 3 * copies
    assert len({page.name for page in pages}) == len(pages)
    for page in pages:
        assert page.gold == "\n\n".join(page.gold_parts)
        assert page.gold_parts == tuple(corpus[name] for name in page.parts)
        assert page.subject in page.parts and len(page.parts) >= 2
        assert page.noisy != page.gold
        scored = measure_parts(list(page.gold_parts), page.noisy)
        assert sum(part.distance for part in scored) == measure(page.gold, page.noisy).distance
    layouts = {page.parts.index(page.subject) == 0 for page in pages} | {
        page.parts.index(page.subject) == len(page.parts) - 1 for page in pages}
    if copies == 3:
        assert layouts == {True, False}  # subjects before and after fillers
    again = build_witness_set(subjects, fillers, copies, seed=4)
    assert [page.noisy for page in again] == [page.noisy for page in pages]
