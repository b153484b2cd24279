"""The OCR channel: how likely an engine turns one reading into another.

An engine reading a true text makes a few kinds of mistakes, each with a probability that
``scripts/fit_channel.py`` learns from real pairs of OCR output and human-corrected text
(the tune parts of ``../shared/data``) and stores in ``lexicons/channel.json``:

- substituting a character: by how alike the two look (`lexicons/lookalike.tsv` similarity
  bands), another form of the same character (著/着), a punctuation mark for another (、 read
  as ，), a digit for a digit, a letter for a letter, or anything else for anything else;
- dropping a character (by class), or a repeat of its neighbour;
- inserting a character: a repeat of a neighbour (doubling) or any other;
- reading two neighbours in swapped order;
- losing a whole line (`Channel.line_lost`).

`Channel.events` aligns a true reading with what was read and names each mistake with its
log10 probability; `Channel.log_likelihood_ratio` says how much likelier the observed text is
under "the engine misread the true text" than under "the engine read it right" — the OCR
evidence that the stages weigh against the language model and the copies' votes. A difference
no engine would plausibly make (全国/全省, a sentence added) has a very low ratio, and its
least likely mistake (`Channel.weakest`) tells such an editorial variant from a misreading.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Mapping

from rapidfuzz.distance import OSA, Levenshtein

from jiaokan.script import HAN_PATTERN

#: character classes the channel counts separately
HAN, DIGIT, LETTER, PUNCTUATION, OTHER = "han", "digit", "letter", "punctuation", "other"
CLASSES = (HAN, DIGIT, LETTER, PUNCTUATION, OTHER)
#: look-alike similarity bands (lower edges), best first
SIMILARITY_BANDS = (0.9, 0.8, 0.7, 0.6)
#: kinds of event
SUBSTITUTION, DELETION, INSERTION, SWAP = "substitution", "deletion", "insertion", "swap"

def character_class(character: str) -> str:
    """The class of one character (full-width digits and letters count as digits and letters)."""
    if HAN_PATTERN.match(character):
        return HAN
    folded = _half_width(character)
    if folded.isascii() and folded.isdigit():
        return DIGIT
    if folded.isascii() and folded.isalpha():
        return LETTER
    if character.isalnum():
        return OTHER
    return PUNCTUATION


def _half_width(character: str) -> str:
    code = ord(character)
    return chr(code - 0xFEE0) if 0xFF01 <= code <= 0xFF5E else character


#: marks that differ only by width or by a typesetting convention (one engine prints “, another
#: ", a reference ⋯ for …): the channel reads them as one mark
MARK_FOLDING = str.maketrans({
    "。": ".", "．": ".", "｡": ".", "、": "、", "⋯": "…", "“": '"', "”": '"', "〝": '"', "〞": '"', "″": '"', "＂": '"',
    "‘": "'", "’": "'", "＇": "'", "－": "-", "―": "—",
})


def fold_mark(character: str) -> str:
    """A character as the channel compares it: width and typesetting conventions folded."""
    return _half_width(character).translate(MARK_FOLDING)


def fold_marks(text: str) -> str:
    """`fold_mark` of every character (the length stays)."""
    return "".join(map(fold_mark, text))


@dataclass(frozen=True)
class Event:
    """One mistake of the channel: its ``kind``, a ``name`` the fitted table knows (a band, a
    class, a pair of marks), what was true and what was read, and its log10 probability."""

    kind: str
    name: str
    true: str
    observed: str
    position: int
    log_probability: float = 0.0


def align_events(observed: str, true: str, similarity) -> list[Event]:
    """The mistakes that turn ``true`` into ``observed`` (fewest edits; two neighbours read in
    swapped order are one swap), named but not yet scored. ``similarity(a, b)`` is the
    look-alike similarity of two characters (0 when the table does not pair them)."""
    events: list[Event] = []
    true, observed = fold_marks(true), fold_marks(observed)
    for tag, true_position, observed_position in _operations(true, observed):
        if tag == SWAP:
            events.append(Event(SWAP, SWAP, true[true_position:true_position + 2], observed[observed_position:observed_position + 2], true_position))
        elif tag == "replace":
            events.append(_substitution(true[true_position], observed[observed_position], true_position, similarity))
        elif tag == "delete":
            character = true[true_position]
            repeat = character in true[max(0, true_position - 1):true_position] + true[true_position + 1:true_position + 2]
            events.append(Event(DELETION, "repeat" if repeat else character_class(character), character, "", true_position))
        else:
            character = observed[observed_position]
            neighbours = true[max(0, true_position - 1):true_position + 1]
            events.append(Event(INSERTION, "repeat" if character in neighbours else character_class(character), "", character, true_position))
    return events


#: readings up to this long are aligned with swaps as one operation (optimal string alignment);
#: longer ones by rapidfuzz's Levenshtein operations, a swap found where two substitutions cross
EXACT_ALIGNMENT_LENGTH = 40


def _operations(true: str, observed: str) -> list[tuple[str, int, int]]:
    """(tag, position in ``true``, position in ``observed``) of the fewest edits: replace,
    delete, insert or swap (two neighbours in the other order)."""
    if max(len(true), len(observed)) <= EXACT_ALIGNMENT_LENGTH and OSA.distance(true, observed) < Levenshtein.distance(true, observed):
        return _optimal_string_alignment(true, observed)  # a swap makes the alignment shorter: find it
    operations = [(operation.tag, operation.src_pos, operation.dest_pos) for operation in Levenshtein.editops(true, observed)]
    merged: list[tuple[str, int, int]] = []
    for operation in operations:
        if merged and merged[-1][0] == operation[0] == "replace" and operation[1:] == (merged[-1][1] + 1, merged[-1][2] + 1):
            _, true_position, observed_position = merged[-1]
            if true[true_position] == observed[observed_position + 1] and true[true_position + 1] == observed[observed_position]:
                merged[-1] = (SWAP, true_position, observed_position)
                continue
        merged.append(operation)
    return merged


def _optimal_string_alignment(true: str, observed: str) -> list[tuple[str, int, int]]:
    """The operations of an optimal string alignment (Levenshtein with adjacent swaps), traced
    back through its table; of equal paths, matches and substitutions are preferred."""
    rows, columns = len(true) + 1, len(observed) + 1
    cost = [[0] * columns for _ in range(rows)]
    for row in range(rows):
        cost[row][0] = row
    for column in range(columns):
        cost[0][column] = column
    for row in range(1, rows):
        for column in range(1, columns):
            different = true[row - 1] != observed[column - 1]
            best = min(cost[row - 1][column - 1] + different, cost[row - 1][column] + 1, cost[row][column - 1] + 1)
            if (row > 1 and column > 1 and true[row - 1] == observed[column - 2] and true[row - 2] == observed[column - 1] and different):
                best = min(best, cost[row - 2][column - 2] + 1)
            cost[row][column] = best
    operations: list[tuple[str, int, int]] = []
    row, column = rows - 1, columns - 1
    while row or column:
        here = cost[row][column]
        if row and column and true[row - 1] == observed[column - 1] and cost[row - 1][column - 1] == here:
            row, column = row - 1, column - 1
        elif row and column and cost[row - 1][column - 1] + 1 == here:
            operations.append(("replace", row - 1, column - 1))
            row, column = row - 1, column - 1
        elif (row > 1 and column > 1 and true[row - 1] == observed[column - 2] and true[row - 2] == observed[column - 1]
              and cost[row - 2][column - 2] + 1 == here):
            operations.append((SWAP, row - 2, column - 2))
            row, column = row - 2, column - 2
        elif row and cost[row - 1][column] + 1 == here:
            operations.append(("delete", row - 1, column))
            row -= 1
        else:
            operations.append(("insert", row, column - 1))
            column -= 1
    return operations[::-1]


def _substitution(true: str, observed: str, position: int, similarity) -> Event:
    true_class, observed_class = character_class(true), character_class(observed)
    if true_class == PUNCTUATION and observed_class == PUNCTUATION:
        name = f"mark {true}{observed}"
    elif true_class != observed_class:
        name = "class"
    elif true_class == HAN:
        name = _han_substitution_name(true, observed, similarity)
    else:
        name = true_class
    return Event(SUBSTITUTION, name, true, observed, position)


def _han_substitution_name(true: str, observed: str, similarity) -> str:
    from jiaokan.normalise import simplified

    if simplified(true) == simplified(observed):
        return "form"  # 著/着, 說/说: one character in another script or form
    score = similarity(true, observed)
    for band in SIMILARITY_BANDS:
        if score >= band:
            return f"lookalike {band:.1f}"
    return "han"


#: judgements remembered at most (then the memo starts afresh)
JUDGED_KEPT = 200_000
#: how many readings of a character its band's probability counts for, when what was seen of
#: a specific confusion is mixed with it (a pair seen once in 20 readings is not read 1 time in 20)
CONFUSION_PRIOR_STRENGTH = 20


class Channel:
    """The fitted channel: log10 probabilities of each event and of reading right, and the
    confusions of Han characters seen in the real pairs."""

    def __init__(self, parameters: Mapping, lookalikes) -> None:
        self.parameters = parameters
        self.lookalikes = lookalikes
        self.event_log_probabilities: Mapping[str, float] = parameters["events"]
        self.correct_log_probabilities: Mapping[str, float] = parameters["correct"]
        #: true + observed -> (times an engine read so, times the true character was read)
        self.confusions: Mapping[str, tuple[int, int]] = {pair: tuple(counts) for pair, counts in parameters.get("confusions", {}).items()}
        #: event key -> character -> log10 P of that event reading exactly that character
        self.observed: Mapping[str, Mapping[str, float]] = parameters.get("observed", {})
        self._judged: dict[tuple[str, str], tuple[float, float]] = {}
        self._misreadings: dict[tuple[str, float], dict[str, float]] = {}

    @classmethod
    def load(cls, lookalikes, path: Path | None = None) -> "Channel":
        """The channel stored at ``path`` (default ``lexicons/channel.json``)."""
        from jiaokan.errors import ResourceError
        from jiaokan.resources import lexicon_directory

        path = path or lexicon_directory() / "channel.json"
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")), lookalikes)
        except (OSError, ValueError, KeyError) as error:
            raise ResourceError(f"cannot read the OCR channel {path}: {error}") from error

    def event_key(self, event: Event) -> str:
        """The table entry of an event (a mark pair the table lacks counts as any mark pair)."""
        key = f"{event.kind} {event.name}"
        if key not in self.event_log_probabilities and event.name.startswith("mark "):
            return f"{event.kind} mark other"
        return key

    def event_log_probability(self, event: Event) -> float:
        """log10 P of one event: its kind's; for a character read out of nothing or out of another
        class, that character's fitted share; for two Han characters whose confusion the real
        pairs show, what was seen mixed with the kind's (`CONFUSION_PRIOR_STRENGTH`)."""
        key = self.event_key(event)
        general = self.event_log_probabilities[key]
        garbage = self.observed.get(key)
        if garbage is not None and event.observed in garbage:
            return garbage[event.observed]
        seen = self.confusions.get(event.true + event.observed) if event.kind == SUBSTITUTION else None
        if seen is None:
            return general
        count, readings = seen
        return math.log10((count + CONFUSION_PRIOR_STRENGTH * 10 ** general) / (readings + CONFUSION_PRIOR_STRENGTH))

    def events(self, observed: str, true: str) -> list[Event]:
        """The mistakes that turn ``true`` into ``observed``, scored."""
        return [
            Event(event.kind, event.name, event.true, event.observed, event.position, self.event_log_probability(event))
            for event in align_events(observed, true, self.lookalikes.similarity)
        ]

    def log_likelihood_ratio(self, observed: str, true: str) -> float:
        """log10 P(the engine reads ``observed`` | ``true``) − log10 P(it reads ``observed`` |
        ``observed``): how well a misreading of ``true`` explains what was read, against the
        text being what was read (characters read right in both cancel; a character the event
        consumes no longer counts as read right)."""
        return self.judge(observed, true)[0]

    def judge(self, observed: str, true: str) -> tuple[float, float, int]:
        """(`log_likelihood_ratio`, `weakest`, how many mistakes) from one alignment
        (remembered: the same readings recur, page after page)."""
        judged = self._judged.get((observed, true))
        if judged is None:
            if len(self._judged) >= JUDGED_KEPT:
                self._judged.clear()
            judged = self._judged[observed, true] = self._judge(observed, true)
        return judged

    def _judge(self, observed: str, true: str) -> tuple[float, float, int]:
        events = self.events(observed, true)
        ratio = sum(event.log_probability for event in events)
        for event in events:
            for character in event.observed:  # what "read right" says of these characters
                ratio -= self.correct_log_probabilities[character_class(character)]
        return ratio, min((event.log_probability for event in events), default=0.0), len(events)

    @property
    def line_lost(self) -> float:
        """log10 P that an engine reads nothing of a whole line."""
        return self.event_log_probabilities[f"{DELETION} line"]

    def weakest(self, observed: str, true: str) -> float:
        """The log10 probability of the least likely mistake between the two (0 if none)."""
        return min((event.log_probability for event in self.events(observed, true)), default=0.0)

    def misreadings(self, true: str, minimum_similarity: float) -> dict[str, float]:
        """What an engine may read for the Han character ``true``: its look-alikes at least
        ``minimum_similarity`` alike and the characters the real pairs show read for it,
        each with the log10 probability of that substitution (remembered per character: the
        tables of misread words ask for every character of 400,000 words)."""
        key = (true, minimum_similarity)
        if key not in self._misreadings:
            found = {observed for observed, similarity in self.lookalikes.of(true).items() if similarity >= minimum_similarity}
            found.update(pair[1] for pair in self._confused_for.get(true, ()))
            self._misreadings[key] = {
                observed: self.event_log_probability(_substitution(true, observed, 0, self.lookalikes.similarity)) for observed in sorted(found)
            }
        return self._misreadings[key]

    @cached_property
    def _confused_for(self) -> dict[str, list[str]]:
        by_true: dict[str, list[str]] = {}
        for pair in self.confusions:
            by_true.setdefault(pair[0], []).append(pair)
        return by_true


@lru_cache(maxsize=1)
def load_channel() -> Channel:
    """The engine's channel, loaded once per process."""
    from jiaokan.resources import load_lookalikes

    return Channel.load(load_lookalikes())
