"""Synthetic OCR noise for benchmarks: noisy copies of clean text, and multi-witness page sets.

`add_noise` turns a clean article into one OCR-like copy, seeded by a `random.Random`:
character errors at a given rate (look-alike substitutions, dropped, doubled and swapped
characters), punctuation read half-width, ellipsis variants, stray spaces inside words,
paragraphs broken mid-sentence, markdown residue, a sentence printed again, a block replaced
with text from elsewhere. Several copies of one article get independent noise, or partly
shared noise (``correlation``): real OCR errors correlate, since copies share a typeface.

`build_witness_set` places ``copies`` noisy copies of each subject article on pages among
unrelated filler articles (before, after, between them) and keeps each page's gold text, so
the character error rate of every page can be measured before and after correction.

The look-alike table is ``lexicons/lookalike.tsv`` when it exists, else pycorrector's
``same_stroke.txt`` groups (read from the installed package's data folder, not imported).
A share of substitutions (``random_substitution_share``) picks any character of the text
instead, so the benchmark also has errors no look-alike table predicts.
"""
from __future__ import annotations

import bisect
import importlib.util
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

#: character operations, with their share of character errors
SUBSTITUTE = "substitute"
DELETE = "delete"
DOUBLE = "double"
SWAP = "swap"

#: Chinese punctuation and the half-width forms OCR reads for them
HALF_WIDTH_READINGS = {
    "，": ",", "、": ",", "。": ".", "；": ";", "：": ":", "？": "?", "！": "!", "（": "(", "）": ")",
}
ELLIPSIS_VARIANTS = ("....", ".....", "......", "…", "…………", "。。。")
MARKDOWN_PREFIXES = ("# ", "## ", "**", "> ", "- ")
SENTENCE = re.compile(r"[^。！？\n]+[。！？]?")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class NoiseProfile:
    """How noisy a copy is. Rates are per character; probabilities are per article or paragraph."""

    #: share of content characters hit by a character error (substitution, deletion, doubling, swap)
    character_error_rate: float = 0.03
    #: relative weights of the character operations
    operation_weights: Mapping[str, float] = field(
        default_factory=lambda: {SUBSTITUTE: 0.55, DELETE: 0.2, DOUBLE: 0.15, SWAP: 0.1}
    )
    #: share of substitutions that take any character of the text rather than a look-alike
    random_substitution_share: float = 0.15
    #: chance that a Chinese punctuation mark is read half-width (，→, 、→, 。→. ...)
    punctuation_rate: float = 0.3
    #: chance that an ellipsis …… is read as dots or a wrong number of marks
    ellipsis_rate: float = 0.5
    #: chance of a stray space between two Chinese characters
    stray_space_rate: float = 0.003
    #: chance that a paragraph is broken mid-sentence (a blank line, or a column wrap with spaces)
    broken_paragraph_probability: float = 0.15
    #: chance that an article carries markdown residue (# heading marks, ** ...)
    markdown_probability: float = 0.1
    #: chance that an article prints one sentence two or three times in a row
    repeated_sentence_probability: float = 0.05
    #: chance that an article has a sentence replaced by a sentence from elsewhere
    replaced_block_probability: float = 0.05

    def without_layout(self) -> "NoiseProfile":
        """Only character errors: no punctuation, spacing, paragraph, markup or sentence noise."""
        return NoiseProfile(
            character_error_rate=self.character_error_rate,
            operation_weights=self.operation_weights,
            random_substitution_share=self.random_substitution_share,
            punctuation_rate=0.0, ellipsis_rate=0.0, stray_space_rate=0.0, broken_paragraph_probability=0.0,
            markdown_probability=0.0, repeated_sentence_probability=0.0, replaced_block_probability=0.0,
        )


DEFAULT_PROFILE = NoiseProfile()


# ---------------------------------------------------------------- look-alikes


def _lexicon_directory() -> Path:
    return Path(__file__).resolve().parents[3] / "lexicons"


def _pycorrector_same_stroke() -> Path | None:
    spec = importlib.util.find_spec("pycorrector")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "same_stroke.txt"
    return path if path.exists() else None


def parse_lookalikes(lines: Sequence[str]) -> dict[str, dict[str, float]]:
    """``a<TAB>b<TAB>score`` pairs, or whitespace-separated groups of characters that look alike."""
    similar: dict[str, dict[str, float]] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 3 and len(parts[0]) == 1 and len(parts[1]) == 1:
            try:
                score = float(parts[2])
            except ValueError:
                continue
            similar.setdefault(parts[0], {})[parts[1]] = score
            continue
        group = [character for character in line.split() if len(character) == 1]
        for first in group:
            for second in group:
                if first != second:
                    similar.setdefault(first, {}).setdefault(second, 0.6)
    return similar


#: where look-alike substitutions come from: "table" is lexicons/lookalike.tsv (pycorrector's
#: same_stroke.txt when it is missing); "same-stroke" is pycorrector's hand-made groups only,
#: independent of the table the engine repairs with
LOOKALIKE_SOURCES = ("table", "same-stroke")


def lookalike_path(source: str = "table") -> Path | None:
    """The file a look-alike source reads."""
    if source not in LOOKALIKE_SOURCES:
        raise ValueError(f"unknown look-alike source {source!r}; known: {', '.join(LOOKALIKE_SOURCES)}")
    table = _lexicon_directory() / "lookalike.tsv"
    if source == "table" and table.exists():
        return table
    return _pycorrector_same_stroke()


@lru_cache(maxsize=2)
def default_lookalikes(source: str = "table") -> Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]]:
    """character -> (look-alikes, cumulative weights), from ``source`` (see `LOOKALIKE_SOURCES`)."""
    path = lookalike_path(source)
    lines = path.read_text(encoding="utf-8").splitlines() if path else []
    return prepare_lookalikes(parse_lookalikes(lines))


def prepare_lookalikes(similar: Mapping[str, Mapping[str, float]]) -> dict[str, tuple[tuple[str, ...], tuple[float, ...]]]:
    """Sorted candidates with cumulative weights, so a seeded draw does not depend on dict order."""
    prepared = {}
    for character, others in similar.items():
        candidates = sorted((other, weight) for other, weight in others.items() if weight > 0)
        if candidates:
            cumulative, total = [], 0.0
            for _, weight in candidates:
                total += weight
                cumulative.append(total)
            prepared[character] = (tuple(other for other, _ in candidates), tuple(cumulative))
    return prepared


# ---------------------------------------------------------------- character errors


@dataclass(frozen=True)
class CharacterError:
    """One planned error at ``position`` of the clean text."""

    position: int
    operation: str
    replacement: str = ""


def plan_character_errors(
    text: str,
    rng: random.Random,
    profile: NoiseProfile = DEFAULT_PROFILE,
    lookalikes: Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]] | None = None,
    rate: float | None = None,
) -> list[CharacterError]:
    """Errors on the content characters of ``text`` (Han characters, letters, digits), at ``rate``."""
    lookalikes = default_lookalikes() if lookalikes is None else lookalikes
    rate = profile.character_error_rate if rate is None else rate
    operations = sorted(profile.operation_weights)
    weights = [profile.operation_weights[name] for name in operations]
    han_characters = [character for character in text if HAN.match(character)] or ["的"]
    plan = []
    for position, character in enumerate(text):
        if not character.isalnum() or rng.random() >= rate:
            continue
        operation = rng.choices(operations, weights)[0]
        replacement = ""
        if operation == SUBSTITUTE:
            replacement = _substitute(character, rng, profile, lookalikes, han_characters)
            if not replacement:
                operation = DELETE
        if operation == SWAP and not (position + 1 < len(text) and text[position + 1].isalnum()
                                      and text[position + 1] != character):
            operation = DOUBLE
        plan.append(CharacterError(position, operation, replacement))
    return plan


def _substitute(character, rng, profile, lookalikes, han_characters) -> str:
    entry = lookalikes.get(character)
    if entry and rng.random() >= profile.random_substitution_share:
        candidates, cumulative = entry
        return candidates[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]
    if HAN.match(character):
        other = rng.choice(han_characters)
        return other if other != character else ""
    return ""


def apply_character_errors(text: str, plan: Sequence[CharacterError]) -> str:
    """``text`` with the planned errors; a swap takes the next character along."""
    by_position = {error.position: error for error in plan}
    pieces: list[str] = []
    position = 0
    while position < len(text):
        character = text[position]
        error = by_position.get(position)
        if error is None:
            pieces.append(character)
        elif error.operation == SUBSTITUTE:
            pieces.append(error.replacement)
        elif error.operation == DOUBLE:
            pieces.append(character * 2)
        elif error.operation == SWAP and position + 1 < len(text):
            pieces.append(text[position + 1] + character)
            position += 1
        elif error.operation != DELETE:
            pieces.append(character)
        position += 1
    return "".join(pieces)


def mix_plans(shared: Sequence[CharacterError], own: Sequence[CharacterError], correlation: float,
              rng: random.Random) -> list[CharacterError]:
    """A copy's plan: each shared error kept with probability ``correlation``, plus its own errors."""
    kept = {error.position: error for error in shared if rng.random() < correlation}
    for error in own:
        kept.setdefault(error.position, error)
    return [kept[position] for position in sorted(kept)]


# ---------------------------------------------------------------- layout and sentence noise


def misread_punctuation(text: str, rng: random.Random, rate: float) -> str:
    """Chinese punctuation read half-width, each mark with probability ``rate``."""
    if rate <= 0:
        return text
    return "".join(
        HALF_WIDTH_READINGS[character] if character in HALF_WIDTH_READINGS and rng.random() < rate else character
        for character in text
    )


def vary_ellipses(text: str, rng: random.Random, rate: float) -> str:
    """…… printed as dots or with a wrong number of marks."""
    if rate <= 0:
        return text
    return re.sub("……", lambda match: rng.choice(ELLIPSIS_VARIANTS) if rng.random() < rate else match.group(), text)


def insert_stray_spaces(text: str, rng: random.Random, rate: float) -> str:
    """A space between two Han characters now and then ("科学论 坛")."""
    if rate <= 0:
        return text
    pieces = []
    for index, character in enumerate(text):
        pieces.append(character)
        following = text[index + 1] if index + 1 < len(text) else ""
        if HAN.match(character) and following and HAN.match(following) and rng.random() < rate:
            pieces.append(" ")
    return "".join(pieces)


def break_paragraphs(text: str, rng: random.Random, probability: float) -> str:
    """Paragraphs broken mid-sentence: a blank line ("工\\n\\n业领域") or a column wrap with trailing spaces."""
    if probability <= 0:
        return text
    paragraphs = text.split("\n\n")
    broken = []
    for paragraph in paragraphs:
        if len(paragraph) > 20 and rng.random() < probability:
            cut = rng.randrange(5, len(paragraph) - 5)
            separator = rng.choice(("\n\n", "\n", "  \n"))
            paragraph = paragraph[:cut] + separator + paragraph[cut:]
        broken.append(paragraph)
    return "\n\n".join(broken)


def add_markdown_residue(text: str, rng: random.Random, probability: float) -> str:
    """A paragraph that starts with ``#``, ``**`` or ``>`` left over from a markdown export."""
    if probability <= 0 or rng.random() >= probability:
        return text
    paragraphs = text.split("\n\n")
    index = rng.randrange(len(paragraphs))
    prefix = rng.choice(MARKDOWN_PREFIXES)
    paragraphs[index] = prefix + paragraphs[index] + ("**" if prefix == "**" else "")
    return "\n\n".join(paragraphs)


def repeat_sentence(text: str, rng: random.Random, probability: float) -> str:
    """One sentence printed two or three times in a row."""
    if probability <= 0 or rng.random() >= probability:
        return text
    sentences = [match for match in SENTENCE.finditer(text) if len(match.group()) >= 8]
    if not sentences:
        return text
    chosen = rng.choice(sentences)
    times = rng.choice((1, 2))
    return text[:chosen.end()] + chosen.group() * times + text[chosen.end():]


def replace_block(text: str, rng: random.Random, probability: float, elsewhere: str = "") -> str:
    """A sentence replaced by a sentence from elsewhere (later in the text, or ``elsewhere``)."""
    if probability <= 0 or rng.random() >= probability:
        return text
    sentences = [match for match in SENTENCE.finditer(text) if len(match.group()) >= 8]
    donors = [match.group() for match in SENTENCE.finditer(elsewhere or text) if len(match.group()) >= 8]
    if len(sentences) < 2 or not donors:
        return text
    chosen = rng.choice(sentences[:-1])
    donor = rng.choice([sentence for sentence in donors if sentence != chosen.group()] or donors)
    return text[:chosen.start()] + donor + text[chosen.end():]


# ---------------------------------------------------------------- copies


def add_noise(
    text: str,
    rng: random.Random,
    profile: NoiseProfile = DEFAULT_PROFILE,
    *,
    lookalikes: Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]] | None = None,
    shared_plan: Sequence[CharacterError] = (),
    correlation: float = 0.0,
    elsewhere: str = "",
) -> str:
    """One noisy copy of ``text``. With ``shared_plan`` and ``correlation`` > 0, a part of its
    character errors is the article's shared plan (the same error in several copies)."""
    own_rate = profile.character_error_rate * (1.0 - correlation) if shared_plan else profile.character_error_rate
    plan = plan_character_errors(text, rng, profile, lookalikes, rate=own_rate)
    if shared_plan:
        plan = mix_plans(shared_plan, plan, correlation, rng)
    noisy = apply_character_errors(text, plan)
    noisy = replace_block(noisy, rng, profile.replaced_block_probability, elsewhere)
    noisy = repeat_sentence(noisy, rng, profile.repeated_sentence_probability)
    noisy = vary_ellipses(noisy, rng, profile.ellipsis_rate)
    noisy = misread_punctuation(noisy, rng, profile.punctuation_rate)
    noisy = insert_stray_spaces(noisy, rng, profile.stray_space_rate)
    noisy = break_paragraphs(noisy, rng, profile.broken_paragraph_probability)
    return add_markdown_residue(noisy, rng, profile.markdown_probability)


def noisy_copies(
    text: str,
    copies: int,
    rng: random.Random,
    profile: NoiseProfile = DEFAULT_PROFILE,
    *,
    correlation: float = 0.0,
    lookalikes: Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]] | None = None,
    elsewhere: str = "",
) -> list[str]:
    """``copies`` noisy copies of ``text``; ``correlation`` is the chance a copy shares an article-level error."""
    shared = plan_character_errors(text, rng, profile, lookalikes) if correlation > 0 else []
    return [
        add_noise(text, rng, profile, lookalikes=lookalikes, shared_plan=shared, correlation=correlation,
                  elsewhere=elsewhere)
        for _ in range(copies)
    ]


# ---------------------------------------------------------------- pages with witnesses


@dataclass(frozen=True)
class Page:
    """A noisy page and its gold text; ``parts`` names the articles on it, in order, and
    ``gold_parts`` holds their clean texts (``gold`` is them joined by a blank line)."""

    name: str
    noisy: str
    gold: str
    subject: str
    copy: int
    parts: tuple[str, ...]
    gold_parts: tuple[str, ...]
    noisy_parts: tuple[str, ...] = ()


PAGE_SEPARATOR = "\n\n"
LAYOUTS = ("before", "after", "between")


def build_witness_set(
    subjects: Mapping[str, str],
    fillers: Mapping[str, str],
    copies: int,
    *,
    seed: int = 0,
    profile: NoiseProfile = DEFAULT_PROFILE,
    correlation: float = 0.0,
    lookalikes: Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]] | None = None,
) -> list[Page]:
    """``copies`` noisy copies of every subject article, each on its own page among filler articles.

    The subject stands before, after or between one or two fillers (each layout in turn);
    fillers are noised independently and used in a seeded rotation, so a filler repeats only
    when the pages need more fillers than there are. Page names sort by subject then copy.
    """
    if copies < 1:
        raise ValueError("copies must be at least 1")
    if not fillers:
        raise ValueError("a witness set needs filler articles")
    rng = random.Random(seed)
    filler_names = sorted(fillers)
    rng.shuffle(filler_names)
    filler_cursor = 0
    pages: list[Page] = []
    for subject_index, subject in enumerate(sorted(subjects)):
        text = subjects[subject]
        donor = fillers[filler_names[subject_index % len(filler_names)]]
        for copy_index, noisy in enumerate(noisy_copies(text, copies, rng, profile, correlation=correlation,
                                                        lookalikes=lookalikes, elsewhere=donor)):
            layout = LAYOUTS[(subject_index + copy_index) % len(LAYOUTS)]
            count = 2 if layout == "between" else rng.choice((1, 2))
            chosen = [filler_names[(filler_cursor + offset) % len(filler_names)] for offset in range(count)]
            filler_cursor += count
            if layout == "before":
                order = [subject, *chosen]
            elif layout == "after":
                order = [*chosen, subject]
            else:
                order = [chosen[0], subject, *chosen[1:]]
            gold_parts, noisy_parts = [], []
            for name in order:
                if name == subject:
                    gold_parts.append(text)
                    noisy_parts.append(noisy)
                else:
                    gold_parts.append(fillers[name])
                    noisy_parts.append(add_noise(fillers[name], rng, profile, lookalikes=lookalikes))
            pages.append(Page(
                name=f"{subject}.copy{copy_index + 1}",
                noisy=PAGE_SEPARATOR.join(noisy_parts),
                gold=PAGE_SEPARATOR.join(gold_parts),
                subject=subject,
                copy=copy_index + 1,
                parts=tuple(order),
                gold_parts=tuple(gold_parts),
                noisy_parts=tuple(noisy_parts),
            ))
    return pages
