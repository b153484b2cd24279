"""The engine's knowledge: word frequencies, the domain lexicon, the look-alike table, and
(each in its own module) the OCR channel, the character language model and the calibration.

All of it is loaded lazily, on first use, and cached per process:
- word frequencies: pycorrector's shipped ``word_freq.txt`` (584k words; jieba's dictionary
  with more entries), read straight from the installed package's data folder without
  importing pycorrector (its import takes ~10 s);
- the domain lexicon: ``lexicons/domain.txt`` plus terms a service or a caller adds;
- look-alike characters: ``lexicons/lookalike.tsv`` (built from glyph shapes by
  ``scripts/build_lookalikes.py``) and pycorrector's ``same_stroke.txt`` groups.
"""
from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from jiaokan.errors import ResourceError

#: domain terms count as words this frequent (they are what the user says is right)
DOMAIN_TERM_FREQUENCY = 2000
#: memoised segmentation scores kept at most (then the memo starts afresh)
SCORE_CACHE_SIZE = 200_000
#: score of a pair that only pycorrector's hand-made same_stroke groups give
SAME_STROKE_SIMILARITY = 0.6


def lexicon_directory() -> Path:
    """``JIAOKAN_LEXICON_DIR``, else the repository's ``lexicons/``."""
    configured = os.environ.get("JIAOKAN_LEXICON_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "lexicons"


def package_data_directory(package: str) -> Path:
    """The data folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ResourceError(f"the package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True, eq=False)
class WordModel:
    """Unigram word frequencies with a maximum-probability segmentation (as jieba does)."""

    frequencies: Mapping[str, int]
    total: int
    longest: int
    scores: dict[str, float] = field(default_factory=dict, repr=False)
    #: the domain terms added to the word list (`load_word_frequencies`) to make the
    #: frequencies, for tables derived from them to be kept in `jiaokan.cache`; None: never kept
    table_key: tuple[str, ...] | None = None

    def frequency(self, word: str) -> int:
        """How often ``word`` occurs in the frequency list (0 if never)."""
        return self.frequencies.get(word, 0)

    def is_word(self, text: str) -> bool:
        """A dictionary word of two or more characters."""
        return len(text) >= 2 and text in self.frequencies

    def segmentation_score(self, text: str) -> float:
        """log P of the most probable segmentation of ``text`` into words (memoised: the copies
        of a passage ask about the same stretches)."""
        score = self.scores.get(text)
        if score is None:
            if len(self.scores) >= SCORE_CACHE_SIZE:
                self.scores.clear()
            score = self.scores[text] = self.segment(text)[0]
        return score

    def segment(self, text: str) -> tuple[float, list[str]]:
        """The most probable segmentation and its log probability (forward over the word
        graph: from each character only as long as the text read so far begins some word,
        as jieba's prefix dictionary does; one lookup in `lattice` tells which)."""
        length = len(text)
        scored, heads, unseen = self.lattice.get, self.heads.get, self.unseen_score
        best = [0.0] + [-math.inf] * length
        back = [0] * (length + 1)
        for start, character in enumerate(text):
            base = best[start]
            single, reach = heads(character) or (scored(character, unseen), 1)
            score = base + single
            if score > best[start + 1]:
                best[start + 1], back[start + 1] = score, start
            for end in range(start + 2, min(length, start + reach) + 1):
                word_score = scored(text[start:end])
                if word_score is None:
                    break  # no word of the model begins with it
                score = base + word_score  # -inf, never better, where it only begins one
                if score > best[end]:
                    best[end], back[end] = score, start
        words = []
        end = length
        while end > 0:
            words.append(text[back[end]:end])
            end = back[end]
        return best[length], words[::-1]

    @cached_property
    def lattice(self) -> dict[str, float]:
        """What `segment` looks up: word -> log P(word) for every word seen, and -inf for every
        beginning of two or more characters of a longer word (seen, at most `longest` long)
        that is no word itself. One lookup tells whether a piece is a word, could still become
        one (read on), or neither (stop); a separate set of beginnings cost a second lookup."""
        total, log = self.total, math.log
        lattice = dict.fromkeys(self._beginnings(), -math.inf)
        lattice.update((word, log(count / total)) for word, count in self.frequencies.items() if count > 0)
        return lattice

    def _beginnings(self) -> list[str]:
        """The beginnings `lattice` holds (words among them too: the words then replace them).
        When ``table_key`` names the terms added to the word list, the word list's own come
        from `jiaokan.cache` (the same for every lexicon) and the terms' are added here."""
        if self.table_key is None:
            return _word_beginnings(self.frequencies, self.longest)
        from jiaokan.cache import cached_table

        listed = cached_table("word-beginnings", lambda: _word_beginnings(load_word_frequencies(), self.longest), [str(self.longest)])
        return listed + _word_beginnings(dict.fromkeys(self.table_key, 1), self.longest)

    @cached_property
    def unseen_score(self) -> float:
        """log P of a character never seen: a count of 0.5."""
        return math.log(0.5 / self.total)

    @cached_property
    def heads(self) -> dict[str, tuple[float, int]]:
        """character -> (its log P as a word of its own, as `segment` scores it, and the length
        of the longest word it starts, at most `longest`), for every character that starts a
        word of two or more: what `segment` asks of each character, in one lookup."""
        longest, lattice, unseen = self.longest, self.lattice, self.unseen_score
        return {character: (lattice.get(character, unseen), min(length, longest)) for character, length in self.first_character_reach.items()}

    @cached_property
    def first_character_reach(self) -> dict[str, int]:
        """character -> length of the longest word it starts, where that is two or more
        (uncapped; `heads` and `Resources.known_reach` cap it, from one pass over the words)."""
        reach: dict[str, int] = {}
        get = reach.get
        for word in self.frequencies:
            if len(word) > get(word[0], 1):
                reach[word[0]] = len(word)
        return reach

    def words_around(self, text: str, index: int, *, minimum: int = 2) -> list[tuple[int, int]]:
        """Spans of dictionary words in ``text`` that contain position ``index``."""
        spans = []
        for start in range(max(0, index - self.longest + 1), index + 1):
            for end in range(max(index + 1, start + minimum), min(len(text), start + self.longest) + 1):
                if text[start:end] in self.frequencies:
                    spans.append((start, end))
        return spans


def _word_beginnings(frequencies: Mapping[str, int], longest: int) -> list[str]:
    """Every beginning of two or more characters of a word seen, at most ``longest`` long."""
    return sorted({word[:end] for word, count in frequencies.items() if count > 0 and len(word) <= longest for end in range(2, len(word))})


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Domain terms: words the user says are right, with the file they came from."""

    terms: frozenset[str]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, term: str) -> bool:
        return term in self.terms

    @cached_property
    def longest(self) -> int:
        """Length of the longest term."""
        return max((len(term) for term in self.terms), default=0)

    @cached_property
    def characters(self) -> frozenset[str]:
        """Every character some term holds."""
        return frozenset("".join(self.terms))

    def could_form(self, available: str, touching: str) -> bool:
        """Whether some term could be spelled from characters of ``available`` alone, one of
        them in ``touching``: what a text of those characters needs to hold a term that
        touches them (a quick test before a search)."""
        present = set(available)
        return any(needed <= present for character in self.characters.intersection(touching) for needed in self.character_sets[character])

    @cached_property
    def character_sets(self) -> dict[str, list[frozenset[str]]]:
        """character -> the character sets of the terms that hold it."""
        sets: dict[str, list[frozenset[str]]] = {}
        for term in sorted(self.terms):
            for character in set(term):
                sets.setdefault(character, []).append(frozenset(term))
        return sets

    def source(self, term: str) -> str:
        """Where ``term`` came from (a file name or "user")."""
        return self.sources.get(term, "user")

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Every occurrence of a term in ``text`` as (start, end, term), by end."""
        if self.characters.isdisjoint(text):
            return []  # (most short texts: the index is not consulted)
        return [(start, start + len(term), term) for start, term, _ in self._index.find(text)]

    @cached_property
    def _index(self):
        from jiaokan.matching import StringIndex  # lazy: numpy

        return StringIndex((term, None) for term in sorted(self.terms))


@dataclass(frozen=True, eq=False)
class Lookalikes:
    """Characters that OCR confuses because they look alike, with a similarity 0..1."""

    similar: Mapping[str, Mapping[str, float]]

    def of(self, character: str) -> Mapping[str, float]:
        """Look-alikes of ``character`` (empty if none)."""
        return self.similar.get(character, {})

    def similarity(self, first: str, second: str) -> float:
        """How alike two characters look (0 when the table does not pair them)."""
        return self.similar.get(first, {}).get(second, 0.0)


@dataclass(frozen=True, eq=False)
class Resources:
    """Everything the stages consult; compared and hashed by identity, so caches can key on it."""

    words: WordModel
    lexicon: Lexicon
    lookalikes: Lookalikes

    @cached_property
    def channel(self):
        """The OCR channel fitted on real pairs (`jiaokan.channel`), over this look-alike table."""
        from jiaokan.channel import Channel

        return Channel.load(self.lookalikes)

    @property
    def language(self):
        """The character language model of real prose (`jiaokan.language_model`)."""
        from jiaokan.language_model import load_language_model

        return load_language_model()

    @property
    def calibration(self):
        """The fitted confidence models (`jiaokan.calibration`)."""
        from jiaokan.calibration import load_calibration

        return load_calibration()

    @property
    def english(self) -> Mapping[str, int]:
        """English word frequencies (lower case), for Latin words inside Chinese text."""
        return load_english_frequencies()

    def is_known_word(self, text: str) -> bool:
        """A domain term or a dictionary word of two or more characters."""
        return text in self.lexicon or self.words.is_word(text)

    @property
    def longest_known(self) -> int:
        """The longest known word the rules look for (dictionary words up to the model's limit, any term)."""
        return max(self.words.longest, self.lexicon.longest)

    @cached_property
    def known_reach(self) -> dict[str, int]:
        """character -> length of the longest known word it starts (at most `longest_known`):
        a scan for known words need not look further from that character."""
        limit = self.longest_known
        reach = {character: min(length, limit) for character, length in self.words.first_character_reach.items()}
        for term in self.lexicon.terms:
            reach[term[0]] = max(reach.get(term[0], 1), min(len(term), limit))
        return reach


def _read_lines(path: Path) -> Iterable[str]:
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line and not line.startswith("#"):
                    yield line
    except OSError as error:
        raise ResourceError(f"cannot read {path}: {error}") from error


def word_frequency_file() -> Path:
    """pycorrector's word_freq.txt."""
    return package_data_directory("pycorrector") / "data" / "word_freq.txt"


@lru_cache(maxsize=1)
def load_word_frequencies() -> dict[str, int]:
    """pycorrector's word_freq.txt (``word count [tag]`` per line), parsed once per machine
    (`jiaokan.cache`)."""
    from jiaokan.cache import cached_table

    return cached_table("word-frequencies", _parse_word_frequencies)


def _parse_word_frequencies() -> dict[str, int]:
    path = word_frequency_file()
    frequencies: dict[str, int] = {}
    for line in _read_lines(path):
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            frequencies[parts[0]] = frequencies.get(parts[0], 0) + int(parts[1])
    if not frequencies:
        raise ResourceError(f"no word frequencies in {path}")
    return frequencies


@lru_cache(maxsize=1)
def load_english_frequencies() -> dict[str, int]:
    """pycorrector's en.json.gz: 120k English words with counts."""
    import gzip
    import json

    path = package_data_directory("pycorrector") / "data" / "en.json.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return {word: int(count) for word, count in json.load(handle).items()}
    except (OSError, ValueError) as error:
        raise ResourceError(f"cannot read {path}: {error}") from error


@lru_cache(maxsize=8)
def load_lexicon(extra_terms: tuple[str, ...] = ()) -> Lexicon:
    """Terms of every ``*.txt`` in the lexicon directory (one per line) plus ``extra_terms``."""
    sources: dict[str, str] = {}
    directory = lexicon_directory()
    for path in sorted(directory.glob("*.txt")) if directory.is_dir() else []:
        for line in _read_lines(path):
            term = line.split("\t")[0].strip()
            if len(term) >= 2:
                sources.setdefault(term, path.name)
    for term in extra_terms:
        if len(term) >= 2:
            sources.setdefault(term, "user")
    return Lexicon(frozenset(sources), sources)


@lru_cache(maxsize=1)
def load_lookalikes() -> Lookalikes:
    """The glyph-shape table, completed by pycorrector's same_stroke groups."""
    similar: dict[str, dict[str, float]] = {}
    table = lexicon_directory() / "lookalike.tsv"
    if table.exists():
        for line in _read_lines(table):
            parts = line.split("\t")
            if len(parts) == 3:
                similar.setdefault(parts[0], {})[parts[1]] = float(parts[2])
    same_stroke = package_data_directory("pycorrector") / "data" / "same_stroke.txt"
    for line in _read_lines(same_stroke):
        group = [character for character in line.split() if len(character) == 1]
        for first in group:
            for second in group:
                if first != second:
                    similar.setdefault(first, {}).setdefault(second, SAME_STROKE_SIMILARITY)
    return Lookalikes(similar)


def load_resources(extra_terms: tuple[str, ...] = ()) -> Resources:
    """Word model with the domain terms added, lexicon and look-alikes: one per process for
    each set of extra terms (``load_resources()`` and ``load_resources(())`` are the same
    object; a second would copy the 584k-word model)."""
    return _resources(tuple(extra_terms))


@lru_cache(maxsize=8)
def _resources(extra_terms: tuple[str, ...]) -> Resources:
    """`load_resources`, cached by the terms as a tuple."""
    lexicon = load_lexicon(extra_terms)
    frequencies = load_word_frequencies()
    if lexicon.terms:
        frequencies = dict(frequencies)
        for term in lexicon.terms:
            frequencies[term] = max(frequencies.get(term, 0), DOMAIN_TERM_FREQUENCY)
    total = sum(frequencies.values())
    longest = min(max(map(len, frequencies)), 8)
    return Resources(WordModel(frequencies, total, longest, table_key=tuple(sorted(lexicon.terms))), lexicon, load_lookalikes())
