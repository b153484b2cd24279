"""Collation: deciding each disputed stretch of a document from its witnesses' readings.

Positions where every covering copy agrees are settled. Each maximal run of disputed
positions (a *window*) is decided as a whole, so a swap (调联 / 联调) or a replaced
sentence is one event, not several. Each candidate reading of the window (every
copy's, plus the position-by-position majority) gets

- a vote score: each copy that reads otherwise costs the log-odds of that copy making
  an error there (its reliability, estimated from how well it agrees with the others);
- a lexical score: a domain-lexicon term it forms where the majority forms none, and the
  difference of word-segmentation probability (capped, so a dictionary alone breaks
  ties but never outvotes two copies).

The best candidate wins; its posterior probability among the candidates is the edit's
confidence. Each window becomes one edit on the document's original text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from jiaokan.alignment import Reading
from jiaokan.edits import CONSENSUS, Edit
from jiaokan.resources import Resources
from jiaokan.textview import TextView, display

#: readings an erring copy could have produced instead (spreads the error probability)
ALTERNATIVES = 8
#: log-odds bonus for forming a domain-lexicon term the other reading does not form
DOMAIN_TERM_BONUS = 10.0
#: word-segmentation differences count this much, at most `WORD_SCORE_CAP` either way
WORD_SCORE_CAP = 4.0
#: disputed stretches at least this long are replaced blocks (reviewed, not trusted blindly)
BLOCK_LENGTH = 6
#: disputed runs this close together are decided as one window, and count as one error event
JOIN_GAP = 2
#: a reading that only a lexicon or the word model supports may replace at most this many units
LEXICAL_WINDOW = 4
#: characters of context either side when scoring words
CONTEXT = 4
#: a text-only insertion this long that is not a repeat of its neighbourhood is left for review
BLOCK_CONFIDENCE_CAP = 0.85


@dataclass(frozen=True)
class ConfirmedTerm:
    """A word that several copies agree on, where one copy misread it as ``variant``."""

    variant: str
    term: str
    document: str
    copies: int


@dataclass
class Collation:
    """Consensus edits for one document and the terms its copies confirmed."""

    edits: list[Edit] = field(default_factory=list)
    confirmed_terms: list[ConfirmedTerm] = field(default_factory=list)
    covered: int = 0


def collate(
    name: str,
    view: TextView,
    readings: Sequence[Reading],
    reliability: Mapping[str, float],
    resources: Resources,
    enabled: Mapping[str, bool],
) -> Collation:
    """Decide every disputed window of ``name`` from its ``readings``."""
    collation = Collation()
    if not readings or not view.units:
        return collation
    disputed, coverage = _disputed_positions(view.units, readings)
    collation.covered = coverage
    for start, end in _windows(disputed):
        voters = [reading for reading in readings if reading.start <= start and end <= reading.end]
        if not voters:
            continue
        decision = _decide(name, view, start, end, voters, reliability, resources)
        if decision is None:
            continue
        winner, confidence, rule, supporters = decision
        if not enabled.get(rule, True):
            continue
        edit = _edit_for_window(view, start, end, winner, rule, confidence, _evidence(name, view, start, end, voters, winner, rule, resources))
        if edit is None:
            continue
        collation.edits.append(edit)
        term = _confirmed_term(name, view, start, end, winner, supporters, resources)
        if term is not None:
            collation.confirmed_terms.append(term)
    return collation


def _disputed_positions(units: str, readings: Sequence[Reading]) -> tuple[list[bool], int]:
    disputed = [False] * len(units)
    covered = [False] * len(units)
    for reading in readings:
        for offset, unit in enumerate(reading.units):
            position = reading.start + offset
            covered[position] = True
            if unit != units[position]:
                disputed[position] = True
    return disputed, sum(covered)


def _windows(disputed: list[bool]) -> list[tuple[int, int]]:
    """Runs of disputed positions; runs at most `JOIN_GAP` apart are one window (a swap
    aligns as an insertion and a deletion with an agreeing unit between)."""
    windows: list[tuple[int, int]] = []
    start = None
    for position, flag in enumerate(disputed + [False]):
        if flag and start is None:
            start = position
        elif not flag and start is not None:
            if windows and start - windows[-1][1] <= JOIN_GAP:
                windows[-1] = (windows[-1][0], position)
            else:
                windows.append((start, position))
            start = None
    return windows


def _decide(name, view, start, end, voters, reliability, resources):
    """The winning reading of ``[start, end)``, or None when the document's own stands."""
    own = tuple(view.units[start:end])
    votes = {name: own} | {reading.witness: tuple(reading.units[start - reading.start:end - reading.start]) for reading in voters}
    candidates = sorted(set(votes.values()) | {_positionwise_majority(votes, reliability)})
    left = _context(view.units, start - CONTEXT, start)
    right = _context(view.units, end, end + CONTEXT)
    scores = {}
    for candidate in candidates:
        scores[candidate] = _vote_score(candidate, votes, reliability) + _lexical_score(candidate, own, left, right, resources)
    ranked = sorted(candidates, key=lambda candidate: (-scores[candidate], candidate != own, candidate))
    winner = ranked[0]
    if winner == own:
        return None
    total = sum(math.exp(score - scores[winner]) for score in scores.values())
    confidence = 1.0 / total
    supporters = [voter for voter, reading in votes.items() if reading == winner]
    own_score_without_lexicon = _vote_score(own, votes, reliability)
    outvoted = _vote_score(winner, votes, reliability) > own_score_without_lexicon
    if not outvoted:
        if end - start > LEXICAL_WINDOW:
            return None
        rule = "lexicon_reading"
    elif end - start >= BLOCK_LENGTH or sum(len(unit) for unit in winner) - (end - start) >= BLOCK_LENGTH or (end - start) - sum(len(unit) for unit in winner) >= BLOCK_LENGTH:
        rule = "replaced_block"
        if not _is_repeat_removal(view.units, start, end, winner):
            confidence = min(confidence, BLOCK_CONFIDENCE_CAP) if len(supporters) < 2 else confidence
    else:
        rule = "majority_reading"
    return winner, round(confidence, 4), rule, supporters


def _positionwise_majority(votes: Mapping[str, tuple[str, ...]], reliability: Mapping[str, float]) -> tuple[str, ...]:
    length = len(next(iter(votes.values())))
    result = []
    for position in range(length):
        weights: dict[str, float] = {}
        for voter, reading in votes.items():
            weights[reading[position]] = weights.get(reading[position], 0.0) + _log_odds(reliability.get(voter, 0.95))
        result.append(max(sorted(weights), key=lambda unit: weights[unit]))
    return tuple(result)


def _log_odds(accuracy: float) -> float:
    accuracy = min(max(accuracy, 0.6), 0.999)
    return math.log(accuracy) - math.log((1.0 - accuracy) / ALTERNATIVES)


def _vote_score(candidate: tuple[str, ...], votes: Mapping[str, tuple[str, ...]], reliability: Mapping[str, float]) -> float:
    """Minus the cost of every copy that reads otherwise: a run of differing units is one
    error event, and each differing unit adds a tenth more."""
    score = 0.0
    for voter, reading in votes.items():
        events = differing = 0
        last_difference = None
        for position, (mine, theirs) in enumerate(zip(candidate, reading)):
            if mine != theirs:
                differing += 1
                if last_difference is None or position - last_difference > JOIN_GAP + 1:
                    events += 1
                last_difference = position
        score -= _log_odds(reliability.get(voter, 0.95)) * (events + 0.1 * differing)
    return score


def _context(units: str, start: int, end: int) -> str:
    return units[max(start, 0):max(end, 0)]


def _lexical_score(candidate, own, left, right, resources: Resources) -> float:
    text = left + "".join(candidate) + right
    reference = left + "".join(own) + right
    score = DOMAIN_TERM_BONUS if _forms_domain_term(text, len(left), len(text) - len(right), resources) else 0.0
    candidate_words = _segmentation_per_character(text, resources) * len(reference)
    own_words = _segmentation_per_character(reference, resources) * len(reference)
    return score + max(-WORD_SCORE_CAP, min(WORD_SCORE_CAP, candidate_words - own_words))


def _forms_domain_term(text: str, start: int, end: int, resources: Resources) -> bool:
    """A domain term in ``text`` overlapping ``[start, end)`` (an empty range: spanning that point)."""
    longest = resources.lexicon.longest
    for term_start in range(max(0, start - longest + 1), min(end, len(text)) + 1):
        for term_end in range(max(term_start + 2, start + 1 if end == start else start + 1), min(len(text), term_start + longest) + 1):
            if term_start < max(end, start + 1) and text[term_start:term_end] in resources.lexicon:
                return True
    return False


def _segmentation_per_character(text: str, resources: Resources) -> float:
    if not text:
        return 0.0
    return resources.words.segmentation_score(text) / len(text)


def _is_repeat_removal(units: str, start: int, end: int, winner: tuple[str, ...]) -> bool:
    """Whether the winner only drops a stretch that repeats the text right before it."""
    if "".join(winner):
        return False
    removed = units[start:end]
    return units[max(0, start - len(removed)):start] == removed or units[end:end + len(removed)] == removed


def _edit_for_window(view: TextView, start: int, end: int, winner, rule, confidence, evidence) -> Edit | None:
    """One edit replacing the window's units in the original, keeping the layout between them."""
    original = view.original
    span_start, span_end = view.starts[start], view.ends[end - 1]
    pieces = []
    for position in range(start, end):
        if position > start and winner[position - start] and winner[position - 1 - start]:
            pieces.append(original[view.ends[position - 1]:view.starts[position]])  # layout between kept units stays
        unit_text = original[view.starts[position]:view.ends[position]]
        reading = winner[position - start]
        pieces.append(unit_text if reading == view.units[position] else _written(reading, view.units[position], unit_text))
    replacement = "".join(pieces)
    return _trimmed_edit(original, span_start, span_end, replacement, rule, confidence, evidence)


def _written(reading: str, own_unit: str, own_text: str) -> str:
    """The reading as text, keeping the document's own spelling of a unit it still contains."""
    if own_unit and reading.startswith(own_unit):
        return own_text + display(reading[len(own_unit):])
    if own_unit and reading.endswith(own_unit):
        return display(reading[:-len(own_unit)]) + own_text
    return display(reading)


def _trimmed_edit(original: str, start: int, end: int, replacement: str, rule: str, confidence: float, evidence) -> Edit | None:
    current = original[start:end]
    if current == replacement:
        return None
    prefix = 0
    while prefix < min(len(current), len(replacement)) and current[prefix] == replacement[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(current), len(replacement)) - prefix and current[len(current) - 1 - suffix] == replacement[len(replacement) - 1 - suffix]:
        suffix += 1
    new_start, new_end = start + prefix, end - suffix
    return Edit(new_start, new_end, original[new_start:new_end], replacement[prefix:len(replacement) - suffix], rule, CONSENSUS, confidence, evidence)


def _evidence(name, view, start, end, voters, winner, rule, resources) -> dict:
    readings = [{"document": name, "reading": display(view.units[start:end]), "self": True}]
    for reading in voters:
        readings.append({"document": reading.witness, "reading": display("".join(reading.units[start - reading.start:end - reading.start]))})
    context_left = _context(view.units, start - CONTEXT, start)
    context_right = _context(view.units, end, end + CONTEXT)
    text = context_left + "".join(winner) + context_right
    terms = sorted(
        {text[a:b] for a in range(len(text)) for b in range(a + 2, min(len(text), a + resources.lexicon.longest) + 1) if text[a:b] in resources.lexicon and a < len(context_left) + max(len("".join(winner)), 1) and b > len(context_left)}
    )
    evidence = {"rule": rule, "readings": readings, "chosen": display("".join(winner)), "context": display(context_left) + "[" + display("".join(winner)) + "]" + display(context_right)}
    if terms:
        evidence["lexicon"] = [{"term": term, "source": resources.lexicon.source(term)} for term in terms]
    return evidence


def _confirmed_term(name, view, start, end, winner, supporters, resources: Resources) -> ConfirmedTerm | None:
    """The word the winning reading forms, when at least two copies agree on it."""
    if len(supporters) < 2:
        return None
    left = _context(view.units, start - CONTEXT, start)
    right = _context(view.units, end, end + CONTEXT)
    chosen = "".join(winner)
    text = left + chosen + right
    _, words = resources.words.segment(text)
    position = 0
    covering = []
    for word in words:
        word_start, word_end = position, position + len(word)
        position = word_end
        if word_end > len(left) and word_start < len(left) + max(len(chosen), 1):
            covering.append((word_start, word_end, word))
    if not covering or any(len(word) < 2 or not resources.is_known_word(word) for _, _, word in covering):
        return None
    term_start, term_end = covering[0][0], covering[-1][1]
    term = text[term_start:term_end]
    own_text = left + view.units[start:end] + right
    variant = own_text[term_start:term_end - len(chosen) + (end - start)]
    if len(term) != len(variant) or len(term) < 2 or variant == term or resources.is_known_word(variant) or not term.isalnum() or not variant.isalnum():
        return None
    if not all(mine == theirs or resources.lookalikes.similarity(mine, theirs) > 0 for mine, theirs in zip(variant, term)):
        return None  # only misreadings of shape carry over to other documents
    return ConfirmedTerm(variant=variant, term=term, document=name, copies=len(supporters))
