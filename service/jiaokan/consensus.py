"""Collation: deciding each disputed stretch of a document from its witnesses' readings.

Positions where every covering copy agrees are settled. Each run of disputed positions
(a *window*; runs two units apart join) is decided as a whole, reading against reading as
text, so a swap (调联 / 联调) or a replaced sentence is one event however the alignment
split it. The candidates are every copy's reading, the position-by-position majority,
that majority with 、 where some copy reads 、, and a reading merged difference by difference
(each taken from the copy the votes favour, or, the votes being even, the word model and the
OCR error types: two copies each misreading a different character of one window). Each gets

- a vote score: minus, for every copy, the number of OCR errors (optimal string alignment
  distance: a swap counts once) that copy would have made if the candidate were right,
  weighted by the log-odds of the copy's reliability;
- evidence besides the votes: a domain-lexicon term it forms (enough to beat two copies
  against one), the word model's segmentation probability and English word counts (capped,
  so they break ties but never outvote two copies), and OCR error-type priors (characters
  are dropped and doubled more than invented; 、 is read as ， more than the reverse).

The best candidate wins. Whether it becomes an edit is decided apart from the votes: the
window is judged on the OCR channel, the language and word models and what the copies say
(`jiaokan.evidence`), and its calibrated confidence (`jiaokan.calibration`) must reach the
proposal threshold. A difference no OCR engine plausibly makes (a word for an unrelated word,
a figure; below the calibration's variant floor) is never an edit, however many copies read
otherwise: it is reported as a *variant* — an edition's own reading — and so is a doubtful one.
Each window that becomes an edit is one edit on the document's original text, keeping the
layout between the units it keeps.

Where the copies outvote a long stretch of the document's own (a replaced block), the
document's block has no say in what replaces it: the copies' readings are merged difference
by difference (votes first, the word model between two even copies). Votes alone never remove
a block: it must show damage — it repeats text of the document (beside it or further on), it
reads as garbled, it breaks the sentence at its edges, or it is moved text: another
document's text from another passage, printed where every copy reads something unrelated.
Without such a sign it is an edition's own text (a law and the decision amending it share
passages), reported as a variant. A document that shares only the window's text, not the
passage around it, is not a copy: it does not vote, and shows that the block is that
document's text pasted in.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from jiaokan.alignment import Reading
from jiaokan.config import EngineConfig
from jiaokan.edits import CONSENSUS, Edit, Variant, common_ends
from jiaokan.evidence import judged, page_evidence, readings_evidence
from jiaokan.language_model import to_symbols
from jiaokan.resources import Resources
from jiaokan.script import HAN_PATTERN, figures
from jiaokan.textview import TextView, display

#: readings an erring copy could have produced instead (spreads the error probability)
ALTERNATIVES = 8
#: log-odds bonus for forming a domain-lexicon term the other reading does not form
DOMAIN_TERM_BONUS = 12.0
#: word-segmentation differences count this much, at most `WORD_SCORE_CAP` either way
WORD_SCORE_CAP = 4.0
#: log-odds for 、 over ， where copies disagree (、 is misread as a comma, seldom the reverse)
ENUMERATION_COMMA_PRIOR = 8.0
#: log-odds for the reading an OCR error type explains better (a dropped or a doubled character)
ERROR_TYPE_PRIOR = 2.5
#: disputed stretches at least this long are replaced blocks (reviewed, not trusted blindly)
BLOCK_LENGTH = 6
#: support (log-odds) this close counts as a tie between readings of one position
TIE_TOLERANCE = 1.0
#: disputed runs this close together are decided as one window, and count as one error event
JOIN_GAP = 2
#: a reading that only a lexicon or the word model supports may change at most this many units
LEXICAL_WINDOW = 4
#: the most the lexicon and word evidence can add; readings further behind are not scored
LEXICAL_REACH = DOMAIN_TERM_BONUS + 2 * WORD_SCORE_CAP + ERROR_TYPE_PRIOR + ENUMERATION_COMMA_PRIOR
#: characters of context either side when scoring words
CONTEXT = 4
#: a dropped stretch this similar (0-100) to its neighbourhood is a repeat
REPEAT_SIMILARITY = 85
#: the shortest stretch (units) that counts as printed again
MINIMUM_REPEAT = 4
#: a document whose shared passage begins and ends this close (units) around a block-size
#: window shares only that block: it is not a copy of the passage (an anchor n-gram's length)
BLOCK_WITNESS_MARGIN = 8
#: a copy reads a block's replacement if it differs from it by one error in this many units or fewer
NEARLY_SAME_SPACING = 8


@dataclass(frozen=True)
class ConfirmedTerm:
    """A word that several copies agree on, where one copy misread it as ``variant``."""

    variant: str
    term: str
    document: str
    copies: int


@dataclass
class Collation:
    """Consensus edits for one document, the terms its copies confirmed, and the variants:
    where copies read otherwise and nothing changed."""

    edits: list[Edit] = field(default_factory=list)
    confirmed_terms: list[ConfirmedTerm] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)


@dataclass(frozen=True)
class _Decision:
    """What the copies' votes and the lexical evidence chose for a window."""

    units: tuple[str, ...]  # the chosen reading, unit by unit
    rule: str
    supporters: list[str]  # the copies reading exactly that
    posterior: float  # its probability among the readings scored (votes, words, lexicon)
    votes: float  # its vote total less the document's own reading's
    damage: Mapping[str, float] | None = None  # a replaced block's signs of damage


def collate(
    name: str,
    view: TextView,
    readings: Sequence[Reading],
    reliability: Mapping[str, float],
    resources: Resources,
    config: EngineConfig,
) -> Collation:
    """Decide every disputed window of ``name`` from its ``readings``. Where the copies'
    votes and the lexical evidence choose another reading than the document's, it becomes an
    edit if the evidence makes an OCR error of the document's reading likely enough (its
    calibrated confidence at least the config's proposal threshold), else, where the readings
    differ in content, a variant."""
    collation = Collation()
    if not readings or not view.units:
        return collation
    weights = VoteWeights(reliability)
    decided = []
    for start, end in _windows(_disputed_positions(readings)):
        elsewhere = _sharing_only_the_window(readings, start, end)
        voters = [reading for reading in readings if reading.start <= start and end <= reading.end and reading not in elsewhere]
        if not voters:
            continue
        found_in = sorted({reading.witness for reading in elsewhere})
        decision = _decide(name, view, start, end, voters, weights, resources, found_in)
        if decision is not None and config.enabled(decision.rule):  # (else the document's reading stands)
            decided.append((start, end, voters, decision, found_in))
    questions = [(view.units[start:end], "".join(decision.units), _context(view.units, start - CONTEXT, start), _context(view.units, end, end + CONTEXT))
                 for start, end, _, decision, _ in decided]
    page = page_evidence(view.original, view.units) if decided else {}
    for (start, end, voters, decision, found_in), measured in zip(decided, readings_evidence(resources, questions)):
        measured.update(page)
        variant = _judge_window(collation, name, view, start, end, voters, decision, measured, resources, config, found_in, reliability)
        if variant is not None:
            collation.variants.append(variant)
    return collation


def _judge_window(collation, name, view, start, end, voters, decision: _Decision, measured: dict, resources, config, found_in,
                  reliability: Mapping[str, float]) -> Variant | None:
    """Add the window's edit to ``collation`` if the evidence holds it to be an OCR error;
    else the variant to report (None when the readings differ only in punctuation).
    ``measured``: the reading's evidence (`jiaokan.evidence.reading_evidence`). Both carry each
    copy's estimated reliability (``reliability``: document -> share of its characters read
    right), for the reviewer to weigh the copies by."""
    own = view.units[start:end]
    chosen = "".join(decision.units)
    measured = _window_evidence(view, start, end, own, chosen, voters, decision, measured, resources)
    confidence = judged(resources, decision.rule, measured, config)
    reason = _variant_reason(decision.rule, measured, resources)
    if reason is None and confidence < config.proposal_threshold:
        reason = "too doubtful to call a misreading"
    copies = {document: round(reliability.get(document, DEFAULT_RELIABILITY), 3) for document in [name, *(voter.witness for voter in voters)]}
    if reason is not None and config.proposal_threshold > 0:
        return _variant(name, view, start, end, voters, reason, measured | {"confidence": confidence, "reliability": copies})
    evidence = _evidence(name, view, start, end, voters, decision.units, decision.rule, resources) | measured | {"reliability": copies}
    if reason is not None:  # every candidate is proposed (what the calibration fit looks at); a variant never applies
        evidence["variant"] = reason
        confidence = 0.0
    if found_in and decision.rule == "replaced_block":
        evidence["found_in"] = list(found_in)
    lost = _lost_line_text(own, chosen, _lost_line_sides(view, start, end))
    if lost is not None:
        edit = _line_restored(view, start, end, *lost, decision.rule, confidence, evidence)
    else:
        edit = _edit_for_window(view, start, end, decision.units, decision.rule, confidence, evidence)
    if edit is not None:
        collation.edits.append(edit)
        if config.applies_automatically(decision.rule, confidence, evidence):
            term = _confirmed_term(name, view, start, end, decision.units, decision.supporters, resources)
            if term is not None:
                collation.confirmed_terms.append(term)
    return None


def _window_evidence(view, start, end, own: str, chosen: str, voters, decision: _Decision, measured: dict, resources: Resources) -> dict:
    """The numbers a window's decision is judged on: the reading's evidence (``measured``) and
    what the copies and the place say."""
    left, right = _context(view.units, start - CONTEXT, start), _context(view.units, end, end + CONTEXT)
    lost_line = _lost_line_text(own, chosen, _lost_line_sides(view, start, end)) is not None
    if lost_line:
        measured["channel"] = measured["weakest"] = round(resources.channel.line_lost, 3)
    measured["lost_line"] = float(lost_line)
    read = ["".join(reading.units[start - reading.start:end - reading.start]) for reading in voters]
    measured.update(
        votes=round(decision.votes, 3),
        posterior=decision.posterior,
        copies=len(voters),
        copies_for=sum(text == chosen for text in read),
        copies_against=sum(text == own for text in read),
        length=len(chosen) - len(own),
        marks_only=float(not _content(own) and not _content(chosen) or _content(own) == _content(chosen)),
        digits=float(figures(own) != figures(chosen)),
        tie=float(abs(decision.votes) <= TIE_TOLERANCE),
        spaced=float(_between_spaces(view, start, end)),
        own_printed=round(math.log1p(_printed_elsewhere(view.units, start, end)), 3),
        domain_term=float(forms_domain_term(left + chosen + right, len(left), len(left) + len(chosen), resources)
                          and not forms_domain_term(left + own + right, len(left), len(left) + len(own), resources)),
    )
    if decision.damage is not None:
        measured.update(decision.damage)
    return measured


def _between_spaces(view: TextView, start: int, end: int) -> bool:
    """Whether the document's reading of ``[start, end)`` stands between spaces inside a line
    ("小月 5 你去"): what an engine does with a speck or a mark it cannot read."""
    original = view.original
    before, after = view.starts[start] - 1, view.ends[end - 1]
    return 0 <= before and after < len(original) and original[before] in " \u3000\t" and original[after] in " \u3000\t"


def _printed_elsewhere(units: str, start: int, end: int) -> int:
    """How often the document prints its own reading of ``[start, end)`` elsewhere, with a
    character of context on one side (a name or a word it uses: OCR seldom repeats a misreading)."""
    own = units[start:end]
    if not _content(own):
        return 0
    left, right = units[max(0, start - 1):start] + own, own + units[end:end + 1]
    return max(units.count(left) - 1 if len(left) > len(own) else 0, units.count(right) - 1 if len(right) > len(own) else 0)


def _variant_reason(rule: str, measured: Mapping[str, float], resources: Resources) -> str | None:
    """Why a window's difference is not an OCR error whatever the votes, or None: a replaced
    block with no sign of damage (no repeat, not moved, not garbled, no broken edges; a block is
    damage or an edition's text, never a misreading, so only its damage counts) or whose copies
    do not read one text there (up to OCR noise, no more of them reading it than reading another
    text: copies of two editions), or a mistake
    no engine plausibly makes (less likely than the calibration's variant floor)."""
    calibration = resources.calibration
    if rule == "replaced_block":
        if not measured.get("copies_agree", 1.0):
            return "the copies read the block's place differently beyond OCR noise, as many one way as the other (editions): what stood there is not known"
        if (measured["repeat"] or measured["moved"] or measured["garbled"] >= calibration.garbled_rate
                or measured["edges"] >= calibration.edge_margin):
            return None
        return "a block the copies do not read, with no sign of damage (a repeat, moved or garbled text, broken edges)"
    if measured["weakest"] < calibration.variant_floor:
        return "no OCR engine plausibly reads one for the other"
    return None


def _variant(name, view: TextView, start: int, end: int, voters, reason: str, measured) -> Variant | None:
    """The window as a variant: each document's reading (None when they differ only in punctuation)."""
    own = view.units[start:end]
    readings = [(name, own)] + [(reading.witness, "".join(reading.units[start - reading.start:end - reading.start])) for reading in voters]
    if len({_content(text) for _, text in readings}) < 2:
        return None
    span_start, span_end = view.starts[start], view.ends[end - 1]
    return Variant(span_start, span_end, view.original[span_start:span_end], tuple((document, display(text)) for document, text in readings), reason, dict(measured))


def _content(text: str) -> str:
    """The letters, digits and Han characters of ``text`` (what a variant must differ in)."""
    return "".join(character for character in text if character.isalnum())




def _disputed_positions(readings: Sequence[Reading]) -> list[int]:
    """The units some witness reads otherwise, in order."""
    return sorted({reading.start + offset for reading in readings for offset in reading.differences})


def _windows(disputed: Sequence[int]) -> list[tuple[int, int]]:
    """Runs of the ``disputed`` positions (sorted); runs at most `JOIN_GAP` apart are one
    window (a swap aligns as an insertion and a deletion with an agreeing unit between)."""
    windows: list[tuple[int, int]] = []
    for position in disputed:
        if windows and position - windows[-1][1] <= JOIN_GAP:
            windows[-1] = (windows[-1][0], position + 1)
        else:
            windows.append((position, position + 1))
    return windows


def _sharing_only_the_window(readings: Sequence[Reading], start: int, end: int) -> list[Reading]:
    """Readings of documents that share this block-size window's text but not the text around
    it: their passage begins and ends within `BLOCK_WITNESS_MARGIN` units of the window and
    covers at least half of it. They are not copies of the passage (they do not vote on it);
    they show that the document's text here is also another document's text."""
    if end - start < BLOCK_LENGTH:
        return []
    return [
        reading for reading in readings
        if start - BLOCK_WITNESS_MARGIN <= reading.start and reading.end <= end + BLOCK_WITNESS_MARGIN
        and 2 * (min(end, reading.end) - max(start, reading.start)) >= end - start
    ]


def _decide(name, view, start, end, voters, vote_weights: VoteWeights, resources, found_in=()) -> _Decision | None:
    """The reading of ``[start, end)`` the votes and the lexical evidence choose, or None
    when it is the document's own. Readings are compared as text, so copies whose alignment
    placed the same deletion differently agree."""
    own_text = view.units[start:end]
    votes = {name: own_text}
    for reading in voters:
        votes[reading.witness] = "".join(reading.units[start - reading.start:end - reading.start])
    weights = {voter: vote_weights[voter] for voter in votes}
    if found_in and all(_is_block(text, own_text) for voter, text in votes.items() if voter != name):
        # the document's text here is another document's: it has no say in what this passage reads
        copies = {voter: text for voter, text in votes.items() if voter != name}
        totals = {text: _vote_total(text, copies, weights) for text in {own_text, *copies.values()}}
        candidates = _candidates(tuple(own_text), _unit_votes(name, own_text, voters, start, end), weights)
        return _decide_block(name, view, start, end, votes, weights, totals, candidates, resources, found_in)
    left = _context(view.units, start - CONTEXT, start)
    right = _context(view.units, end, end + CONTEXT)
    if _outvotes_every_reading(own_text, votes, weights, left, right, resources):
        return None
    candidates = _candidates(tuple(own_text), _unit_votes(name, own_text, voters, start, end), weights)
    votes_for = {text: _vote_total(text, votes, weights) for text in candidates}
    refined = _refine(max(sorted(candidates), key=votes_for.__getitem__), votes, weights)
    if refined not in candidates:
        candidates[refined] = _as_units(refined, candidates)
        votes_for[refined] = _vote_total(refined, votes, weights)
    if _readings_can_combine(list(candidates)):
        merged = _merged_reading(votes, weights, left, right, resources)
        if merged not in candidates:
            candidates[merged] = _as_units(merged, candidates)
            votes_for[merged] = _vote_total(merged, votes, weights)
    best_vote = max(votes_for.values())
    scored = [text for text in candidates if votes_for[text] >= best_vote - LEXICAL_REACH]  # others cannot reach the top
    if scored == [own_text] or _own_reading_holds(scored, own_text, votes_for, left, right, resources):
        return None
    lost = _lost_line_sides(view, start, end)
    if best_vote <= votes_for[own_text] + TIE_TOLERANCE:
        # the copies are even (one against one): the OCR channel and the language model decide
        totals = {text: score * LN_10 for text, score in _noisy_channel_scores(scored, name, votes, lost, left, right, resources).items()}
    else:
        words = _word_scores(scored, own_text, left, right, resources)
        totals = {text: votes_for[text] + words[text] + _lexical_score(text, own_text, left, right, resources) for text in scored}
    winner = max(sorted(totals), key=lambda text: (totals[text], text == own_text))
    if winner == own_text or _same_characters(winner, own_text):
        return None  # (another form of the same characters is the script rules' business)
    confidence = 1.0 / sum(math.exp(total - totals[winner]) for total in totals.values())
    outvoted = votes_for[winner] > votes_for[own_text] + TIE_TOLERANCE  # copies of about equal reliability split evenly do not outvote
    if outvoted:
        rule = "majority_reading"
    else:
        if _changed_length(winner, own_text) > LEXICAL_WINDOW and _lost_line_text(own_text, winner, lost) is None:
            return None
        rule = "lexicon_reading"
    if outvoted and _is_block(winner, own_text):
        return _decide_block(name, view, start, end, votes, weights, totals, candidates, resources, found_in)
    supporters = [voter for voter, text in votes.items() if text == winner]
    return _Decision(candidates[winner], rule, supporters, round(confidence, 4), votes_for[winner] - votes_for[own_text])


LN_10 = math.log(10)


def _noisy_channel_scores(candidates, name: str, votes: Mapping[str, str], lost: tuple[bool, bool], left: str, right: str,
                          resources: Resources) -> dict[str, float]:
    """For each candidate, log10 of how likely it is the text (the language model, in its
    context) and each copy's reading a reading of it (the OCR channel, against the copy having
    read right; the document's own reading may have lost a whole line where its layout has an
    empty one, ``lost``: `_lost_line_sides`)."""
    channel = resources.channel
    before, after = left[-1:], right[:1]  # a character read twice is a repeat only beside its twin
    languages = resources.language.preferences([(left, candidate, "", right) for candidate in candidates])
    return {
        candidate: language + sum(
            channel.line_lost if voter == name and _lost_line_text(reading, candidate, lost) is not None
            else channel.log_likelihood_ratio(before + reading + after, before + candidate + after)
            for voter, reading in votes.items()
        )
        for candidate, language in zip(candidates, languages)
    }


#: an empty line: what a line an engine read nothing of leaves in a file of one line per unit
_EMPTY_LINE = re.compile(r"\n[ \t\u3000]*\n")


#: pieces of a block looked for elsewhere in the document: this long, this far apart
BLOCK_PIECE = 8
#: the block is printed elsewhere when at least this share of its pieces is
BLOCK_PIECES_FOUND = 0.5


def _printed_elsewhere_in_part(units: str, start: int, end: int) -> bool:
    """Whether most of the document's block ``[start, end)`` is printed elsewhere in it, as
    pieces of `BLOCK_PIECE` units (a running title dropped into the text, a sentence pasted in
    from a later paragraph: each with its own OCR noise, so not necessarily all of it alike).

    Not beside it (within the block's length before or after): a sentence printed twice in a
    row is damage the copies' reading shows only when it reads the window without the repeat
    (`_is_repeat_removal`); when the copies read other text there besides (an edition that
    leaves out the passage after it), the repeat says nothing about that text."""
    block = units[start:end]
    if len(block) < BLOCK_PIECE:
        return False
    before_end, after_start = max(0, start - len(block)), end + len(block)
    pieces = [block[offset:offset + BLOCK_PIECE] for offset in range(0, len(block) - BLOCK_PIECE + 1, BLOCK_PIECE // 2)]
    found = sum(units.find(piece, 0, before_end) >= 0 or units.find(piece, after_start) >= 0 for piece in pieces)
    return found >= BLOCK_PIECES_FOUND * len(pieces)


def _lost_line_sides(view: TextView, start: int, end: int) -> tuple[bool, bool]:
    """Whether the original has an empty line right before ``[start, end)`` and right after it."""
    original = view.original
    before = original[view.ends[start - 1] if start else 0:view.starts[start]]
    after = original[view.ends[end - 1]:view.starts[end] if end < len(view.units) else len(original)]
    return bool(_EMPTY_LINE.search(before)), bool(_EMPTY_LINE.search(after))


def _lost_line_text(own: str, candidate: str, lost: tuple[bool, bool]) -> tuple[bool, str] | None:
    """(whether it goes after the window, the text) when ``candidate`` is the document's reading
    with a whole line more at an end where the document has an empty line: a line it lost."""
    lost_before, lost_after = lost
    if len(candidate) <= len(own):
        return None
    if lost_after and candidate.startswith(own):
        return True, candidate[len(own):]
    if lost_before and candidate.endswith(own):
        return False, candidate[:len(candidate) - len(own)]
    return None


def _same_characters(first: str, second: str) -> bool:
    """The same characters, up to their forms (著/着, 妳/你: opencc t2s)."""
    from jiaokan.normalise import simplified

    return len(first) == len(second) and simplified(first) == simplified(second)


def _unit_votes(name: str, own_text: str, voters: Sequence[Reading], start: int, end: int) -> dict[str, tuple[str, ...]]:
    """What the document and each copy read over ``[start, end)``, unit by unit."""
    return {name: tuple(own_text)} | {reading.witness: reading.units[start - reading.start:end - reading.start] for reading in voters}


def _outvotes_every_reading(own_text: str, votes: Mapping[str, str], weights: Mapping[str, float], left: str, right: str, resources: Resources) -> bool:
    """`_own_reading_holds` for every reading the candidates could be, checked before they
    are built (most windows of a passage with several copies: the others outvote one copy's
    misreading). Any reading other than the document's own costs each copy that agrees with
    it at least one error, and gains at most what each other copy's error costs now; to that
    is added the most the word model and the lexical evidence could give (a domain term only
    if some term could be spelled from the readings and their context, a 、 only if some copy
    reads one)."""
    agreeing = sum(weights[voter] for voter, text in votes.items() if text == own_text)
    gain = sum(weights[voter] * OSA.distance(own_text, text) for voter, text in votes.items() if text != own_text)
    bound = gain - agreeing + WORD_SCORE_CAP + ERROR_TYPE_PRIOR
    if bound >= -1e-6:
        return False  # (the evidence below only adds to it)
    readings = set(votes.values())
    if any("、" in text for text in readings):
        bound += ENUMERATION_COMMA_PRIOR * own_text.count("，")
    if any(_LATIN_WORD.search(text) for text in readings):
        bound += WORD_SCORE_CAP  # the English score's cap
    # every candidate is spelled from the readings' characters (and 、): a term it forms that
    # touches the window holds one of them (or, a deletion, spans it: both edges of the context)
    read = "".join(readings) + "、"
    if resources.lexicon.could_form(left + read + right, read + left[-1:] + right[:1]):
        bound += DOMAIN_TERM_BONUS
    return bound < -1e-6


def _own_reading_holds(scored, own_text: str, votes_for: Mapping[str, float], left: str, right: str, resources: Resources) -> bool:
    """Whether no reading could beat the document's own even with the most the word model and
    the lexical evidence could give it (an upper bound, so skipping the scoring changes no
    decision): the copies' other misreadings, outvoted by several copies, are settled here."""
    for text in scored:
        if text == own_text:
            continue
        bound = votes_for[text] - votes_for[own_text] + WORD_SCORE_CAP  # word scores lie in [-cap, 0]
        bound += max(0.0, _punctuation_prior(text, own_text))
        if _LATIN_WORD.search(text) or _LATIN_WORD.search(own_text):
            bound += WORD_SCORE_CAP  # the English score's cap
        if not _comparable_by_words(text, own_text):
            bound += ERROR_TYPE_PRIOR
        if bound > -1e-9:
            return False
        if bound + DOMAIN_TERM_BONUS > -1e-9 and forms_domain_term(left + text + right, len(left), len(left) + len(text), resources):
            return False
    return True


def _decide_block(name, view, start, end, votes, weights, totals, candidates, resources, found_in) -> _Decision:
    """A window where this document's own reading is a block the copies do not read (they
    outvote it, or it is another document's text): what they read instead (decided among
    them, the block having no say in it), how unlikely the document's own reading is, and
    the signs that its block is damage rather than an edition's own text (`_block_damage`)."""
    own_text = votes[name]
    copies = {voter: text for voter, text in votes.items() if voter != name}
    left = _context(view.units, start - CONTEXT, start)
    right = _context(view.units, end, end + CONTEXT)
    replacement = _merged_reading(copies, weights, left, right, resources)
    supporters = [voter for voter, text in copies.items() if _reads_nearly(text, replacement)]
    units = candidates[replacement] if replacement in candidates else _as_units(replacement, candidates)
    damage = _block_damage(view.units, start, end, replacement, found_in, resources)
    editorial = sum(_differ_editorially(text, replacement, resources) for text in copies.values())
    damage["copies_agree"] = float(editorial < len(copies) - editorial)  # (a copy with damage of its own there is outvoted)
    votes_gained = _vote_total(replacement, votes, weights) - _vote_total(own_text, votes, weights)
    return _Decision(units, "replaced_block", supporters, round(_probability_wrong(own_text, totals), 4), votes_gained, damage)


def _differ_editorially(first: str, second: str, resources: Resources) -> bool:
    """Whether two copies' readings differ somewhere by more than an engine plausibly misreads:
    a stretch of differences (`JOIN_GAP` apart at most) less likely as OCR mistakes, all
    together, than the calibration's variant floor (a word for an unrelated word, 年龄 for 形成时代,
    where a misread character, a swap or a dropped one are likelier)."""
    floor = resources.calibration.variant_floor
    return any(resources.channel.judge(first[first_start:first_end], second[second_start:second_end])[0] < floor
               for first_start, first_end, second_start, second_end, _ in _joined_differences(first, second))


#: characters of a block's edges whose reading the language model compares
EDGE = 3


def _block_damage(units: str, start: int, end: int, replacement: str, found_in, resources: Resources) -> dict[str, float]:
    """Signs that the document's block is damage: it repeats text of this document, beside it
    or further on (``repeat``: a sentence printed twice, a running title, a sentence pasted in
    from a later paragraph); it reads worse than the replacement per character (``garbled``:
    the language model's log10 per symbol); it breaks the sentence at its edges (``edges``:
    how much better the replacement joins its neighbours, log10); it is moved text (``moved``:
    `_is_moved`). That another document prints it (``found_elsewhere``) is no damage by itself:
    reports quote each other, and an edition inserts a quotation where its earlier one had none."""
    own = units[start:end]
    left, right = _context(units, start - CONTEXT, start), _context(units, end, end + CONTEXT)
    language = resources.language
    per_symbol = (
        language.log_probability(to_symbols(left + replacement + right), len(to_symbols(left))) / max(len(replacement) + len(right), 1)
        - language.log_probability(to_symbols(left + own + right), len(to_symbols(left))) / max(len(own) + len(right), 1)
    )
    edges = (language.preference(left, replacement[:EDGE], own[:EDGE], "") + language.preference("", replacement[-EDGE:], own[-EDGE:], right)
             if replacement else language.preference(left, "", own[:EDGE], right[:EDGE]))
    return {
        "repeat": float(_is_repeat_removal(units, start, end, replacement) or _printed_elsewhere_in_part(units, start, end)),
        "found_elsewhere": float(bool(found_in)),
        "moved": float(_is_moved(own, replacement, found_in)),
        "garbled": round(per_symbol, 3),
        "edges": round(edges, 3),
    }


#: a block and what the copies read instead are unrelated below this normalised similarity
#: (an edition's rewritten sentence keeps much of the sentence it rewrites)
UNRELATED_SIMILARITY = 0.3


def _is_moved(own: str, replacement: str, found_in) -> bool:
    """A block moved in from elsewhere: another document prints it in another passage
    (``found_in``), and it stands where the copies read other text it does not resemble — not
    an insertion (an edition's quotation, where the copies read nothing) and not a rewrite
    (which keeps much of what it rewrites)."""
    if not found_in or len(replacement) < BLOCK_PIECE:
        return False
    return Levenshtein.normalized_similarity(own, replacement) < UNRELATED_SIMILARITY


def _probability_wrong(own_text: str, totals: Mapping[str, float]) -> float:
    """One minus the posterior of the document's own reading (1 when it was too far behind to be scored)."""
    if own_text not in totals:
        return 1.0
    best = max(totals.values())
    return 1.0 - math.exp(totals[own_text] - best) / sum(math.exp(total - best) for total in totals.values())


def _reads_nearly(reading: str, text: str) -> bool:
    """A copy reads ``text`` up to OCR noise: at most one error in `NEARLY_SAME_SPACING` units."""
    return OSA.distance(reading, text) <= len(text) // NEARLY_SAME_SPACING


def _merged_reading(copies: Mapping[str, str], weights: Mapping[str, float], left: str, right: str, resources: Resources) -> str:
    """What ``copies`` (copy -> reading) read, from the best-voted reading: each stretch where
    another copy reads otherwise is taken from it when the votes favour it, or, the votes being
    even (two copies), when the word model and the OCR error types do. Single differences are
    weighed first, then differences close together as one (a swap)."""
    readings = sorted(set(copies.values()))
    scores = {text: _vote_total(text, copies, weights) for text in readings}
    reading = max(readings, key=lambda text: (scores[text], text))
    score = scores[reading]
    for joined in (False, True):
        for other in readings:
            for reading_start, reading_end, other_start, other_end in reversed(_differing_stretches(reading, other, joined)):
                candidate = reading[:reading_start] + other[other_start:other_end] + reading[reading_end:]
                candidate_score = _vote_total(candidate, copies, weights)
                change = (reading_start, reading_end, other_end - other_start)
                if _better_reading(candidate_score - score, candidate, reading, change, left, right, resources):
                    reading, score = candidate, candidate_score
    return reading


def _readings_can_combine(readings: Sequence[str]) -> bool:
    """Whether taking some differences from one reading and some from another could give a
    reading none of them is: not when they all differ from the first in one same place."""
    if max(len(reading) for reading in readings) <= 1:
        return False
    base = readings[0]
    places = set()
    for other in readings[1:]:
        stretches = _differing_stretches(base, other, joined=False)
        if len(stretches) > 1:
            return True
        places.update((first_start, first_end) for first_start, first_end, _, _ in stretches)
    return len(places) > 1


def _differing_stretches(first: str, second: str, joined: bool) -> list[tuple[int, int, int, int]]:
    """Where two readings differ, as (first_start, first_end, second_start, second_end); when
    ``joined``, only the stretches that join several differences at most `JOIN_GAP` apart
    (a swap is one)."""
    if not joined:
        return [(first_start, first_end, second_start, second_end) for tag, first_start, first_end, second_start, second_end
                in Levenshtein.opcodes(first, second) if tag != "equal"]
    return [tuple(stretch[:4]) for stretch in _joined_differences(first, second) if stretch[4] > 1]


def _joined_differences(first: str, second: str) -> list[list[int]]:
    """Where two readings differ, differences at most `JOIN_GAP` apart joined, as [first_start,
    first_end, second_start, second_end, how many differences]."""
    stretches: list[list[int]] = []
    for tag, first_start, first_end, second_start, second_end in Levenshtein.opcodes(first, second):
        if tag == "equal":
            continue
        if stretches and first_start - stretches[-1][1] <= JOIN_GAP:
            stretches[-1][1], stretches[-1][3] = first_end, second_end
            stretches[-1][4] += 1
        else:
            stretches.append([first_start, first_end, second_start, second_end, 1])
    return stretches


def _better_reading(gain: float, candidate: str, reading: str, change, left: str, right: str, resources: Resources) -> bool:
    """Whether ``candidate`` (``reading`` with ``change``: its span and new length) is better
    supported: by the votes (it gains ``gain``), or, when they are even, by the evidence
    around the change."""
    if abs(gain) > TIE_TOLERANCE:
        return gain > 0
    change_start, change_end, new_length = change
    before, after = left + reading, left + candidate
    offset = len(left) + change_start
    local_left = after[max(0, offset - CONTEXT):offset]
    local_right = (reading + right)[change_end:change_end + CONTEXT]
    mine = after[offset:offset + new_length]
    theirs = before[offset:len(left) + change_end]
    return _evidence_difference(mine, theirs, local_left, local_right, resources) > 0


def _evidence_difference(candidate: str, reference: str, left: str, right: str, resources: Resources) -> float:
    """Word-model and lexical evidence for ``candidate`` over ``reference`` in one context."""
    words = _word_scores([candidate, reference], reference, left, right, resources)
    lexical = _lexical_score(candidate, reference, left, right, resources) - _lexical_score(reference, reference, left, right, resources)
    return words[candidate] - words[reference] + lexical


def _changed_length(reading: str, own: str) -> int:
    """How many units of ``own`` (or of ``reading``, if more) lie between the two readings'
    common beginning and common end: what choosing ``reading`` replaces."""
    prefix, suffix = common_ends(reading, own)
    return max(len(reading), len(own)) - prefix - suffix


def _candidates(own: tuple[str, ...], unit_votes: Mapping[str, tuple[str, ...]], weights: Mapping[str, float]) -> dict[str, tuple[str, ...]]:
    """Every reading worth scoring, as text -> units: each copy's, the position-by-position
    majority, and that majority with 、 wherever some copy reads 、 for its ，."""
    total_weight = sum(weights.values())
    majority = tuple(_position_winner(_position_scores(unit_votes, weights, total_weight, offset), unit) for offset, unit in enumerate(own))
    with_enumeration_commas = majority
    if any("、" in units for units in unit_votes.values()):
        with_enumeration_commas = tuple(
            "、" if unit == "，" and any(units[offset] == "、" for units in unit_votes.values()) else unit
            for offset, unit in enumerate(majority)
        )
    candidates: dict[str, tuple[str, ...]] = {"".join(own): own}
    for _, units in sorted(unit_votes.items()):
        candidates.setdefault("".join(units), units)
    candidates.setdefault("".join(majority), majority)
    candidates.setdefault("".join(with_enumeration_commas), with_enumeration_commas)
    return candidates


#: readings this long or with this few distinct copies are not refined by local search
REFINE_LENGTH = 24
REFINE_ROUNDS = 4


def _refine(text: str, votes: Mapping[str, str], weights: Mapping[str, float]) -> str:
    """Local search from the best-voted reading: apply single edits that move it toward some
    copy while lowering the total error cost (three copies each wrong somewhere different:
    识 / 别 / 识别, 格式关 / 格式有关…MM)."""
    distinct = set(votes.values())
    if len(distinct) < 3 or max(len(reading) for reading in distinct) > REFINE_LENGTH:
        return text
    best_score = _vote_total(text, votes, weights)
    for _ in range(REFINE_ROUNDS):
        improved = None
        for reading in sorted(distinct - {text}):
            for operation in Levenshtein.editops(text, reading):
                candidate = _apply_operation(text, reading, operation)
                score = _vote_total(candidate, votes, weights)
                if score > best_score + 1e-9 and (improved is None or score > improved[1]):
                    improved = (candidate, score)
        if improved is None:
            return text
        text, best_score = improved
    return text


def _apply_operation(text: str, reading: str, operation) -> str:
    if operation.tag == "replace":
        return text[:operation.src_pos] + reading[operation.dest_pos] + text[operation.src_pos + 1:]
    if operation.tag == "insert":
        return text[:operation.src_pos] + reading[operation.dest_pos] + text[operation.src_pos:]
    return text[:operation.src_pos] + text[operation.src_pos + 1:]


def _as_units(text: str, candidates: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """A refined reading as units of the window: its text on the first unit, nothing on the
    others (the edit is built from the joined text between kept layout)."""
    length = len(next(iter(candidates.values())))
    return (text,) + ("",) * (length - 1) if length else ()


def _position_winner(scores: Mapping[str, float], own_unit: str) -> str:
    """The best-supported unit; copies of nearly equal reliability split evenly keep the
    document's own reading (a reliability estimate is no tie-breaker)."""
    best = max(scores.values())
    tied = sorted(unit for unit, score in scores.items() if score >= best - TIE_TOLERANCE)
    return own_unit if own_unit in tied else max(tied, key=lambda unit: (scores[unit], unit))


def _is_block(winner: str, own: str) -> bool:
    """A long stretch replaced, inserted or dropped."""
    return OSA.distance(winner, own) >= BLOCK_LENGTH


def _vote_total(candidate: str, votes: Mapping[str, str], weights: Mapping[str, float]) -> float:
    """Minus the cost of the errors each copy would have made if ``candidate`` were right:
    edits of the text, two neighbours read in swapped order counting as one (带光联调 ->
    带光调联), each weighted by the copy's reliability."""
    return -sum(weights[voter] * OSA.distance(candidate, reading) for voter, reading in votes.items())


def _position_scores(votes, weights, total: float, offset: int) -> dict[str, float]:
    """Each reading at one position, scored minus the weight (of ``total``) of every copy reading otherwise."""
    support: dict[str, float] = {}
    for voter, reading in votes.items():
        support[reading[offset]] = support.get(reading[offset], 0.0) + weights[voter]
    return {unit: weight - total for unit, weight in support.items()}


def _log_odds(accuracy: float) -> float:
    accuracy = min(max(accuracy, 0.6), 0.999)
    return math.log(accuracy) - math.log((1.0 - accuracy) / ALTERNATIVES)


#: the accuracy assumed for a copy whose reliability was not estimated
DEFAULT_RELIABILITY = 0.95


class VoteWeights(dict):
    """Each copy's vote weight: the log-odds of its reliability (computed once per document)."""

    def __init__(self, reliability: Mapping[str, float]) -> None:
        super().__init__((voter, _log_odds(accuracy)) for voter, accuracy in reliability.items())

    def __missing__(self, voter: str) -> float:
        return _log_odds(DEFAULT_RELIABILITY)


def _context(units: str, start: int, end: int) -> str:
    return units[max(start, 0):max(end, 0)]


def _lexical_score(candidate: str, own: str, left: str, right: str, resources: Resources) -> float:
    """Evidence besides the votes: a domain term formed, the 、 prior, English words, the
    OCR error-type prior (the word model is `_word_scores`)."""
    text = left + candidate + right
    reference = left + own + right
    score = DOMAIN_TERM_BONUS if forms_domain_term(text, len(left), len(text) - len(right), resources) else 0.0
    score += _punctuation_prior(candidate, own) + _english_score(text, reference, len(left), resources)
    if not _comparable_by_words(candidate, own):
        score += _error_type_prior(text, reference)
    return score


def _word_scores(candidates: list[str], own: str, left: str, right: str, resources: Resources) -> dict[str, float]:
    """Word-model evidence: among readings the unigram model can compare with the document's
    own (same length, Han differences), the most probable gets 0 and the others lose the
    difference, at most `WORD_SCORE_CAP`; the model has nothing to say about the rest (0)."""
    comparable = sorted({own} | {text for text in candidates if _comparable_by_words(text, own)})
    probability = {text: resources.words.segmentation_score(left + text + right) for text in comparable}
    best = max(probability.values())
    scores = {text: max(-WORD_SCORE_CAP, probability[text] - best) for text in comparable}
    return {text: scores.get(text, 0.0) for text in candidates}


def _punctuation_prior(candidate: str, own: str) -> float:
    """OCR reads the enumeration comma 、 as a comma far more often than the reverse."""
    if len(candidate) != len(own):
        return 0.0
    favoured = sum(1 for mine, theirs in zip(candidate, own) if mine == "、" and theirs == "，")
    disfavoured = sum(1 for mine, theirs in zip(candidate, own) if mine == "，" and theirs == "、")
    return ENUMERATION_COMMA_PRIOR * (favoured - disfavoured)


_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _english_score(text: str, reference: str, window_start: int, resources: Resources) -> float:
    """For a Latin word in Chinese text (LibreOffice Writer, shell): how much more frequent the
    candidate's English words are than the document's own, capped like the Chinese word score."""
    if text == reference or not (_LATIN_WORD.search(text) or _LATIN_WORD.search(reference)):
        return 0.0
    difference = _english_log_probability(text, resources) - _english_log_probability(reference, resources)
    return max(-WORD_SCORE_CAP, min(WORD_SCORE_CAP, difference))


def _english_log_probability(text: str, resources: Resources) -> float:
    english = resources.english
    return sum(math.log(english.get(word.lower(), 0) + 0.5) - math.log(1e6) for word in _LATIN_WORD.findall(text))


def _error_type_prior(candidate: str, own: str) -> float:
    """OCR drops characters and doubles them, but seldom invents one: between two readings one
    character apart, favour the longer unless its extra character doubles a neighbour."""
    if abs(len(candidate) - len(own)) != 1:
        return 0.0
    longer, shorter = (candidate, own) if len(candidate) > len(own) else (own, candidate)
    for index in range(len(longer)):
        if longer[:index] + longer[index + 1:] == shorter:
            doubled = longer[index] in (longer[index - 1:index] + longer[index + 1:index + 2])
            favours_longer = not doubled and longer[index].isalnum()
            return ERROR_TYPE_PRIOR if (longer is candidate) == favours_longer else -ERROR_TYPE_PRIOR
    return 0.0


def _comparable_by_words(first: str, second: str) -> bool:
    """A unigram word model compares readings of equal length whose differences are Han;
    it would favour any deletion and knows nothing of Latin letters or digits."""
    if len(first) != len(second):
        return False
    return all(a == b or (HAN_PATTERN.match(a) and HAN_PATTERN.match(b)) for a, b in zip(first, second))


def forms_domain_term(text: str, start: int, end: int, resources: Resources) -> bool:
    """A domain term in ``text`` overlapping ``[start, end)`` (an empty range: spanning that point)."""
    inside = text[start:end] if end > start else text[max(start - 1, 0):start + 1]
    if resources.lexicon.characters.isdisjoint(inside):
        return False  # a term there would hold one of these characters
    for term_start, term_end, _ in resources.lexicon.find(text):
        if (term_start < end and start < term_end) if end > start else term_start < start < term_end:
            return True
    return False


def _is_repeat_removal(units: str, start: int, end: int, replacement: str) -> bool:
    """Whether ``replacement`` reads the window without a stretch that repeats text right
    beside it (a sentence printed two or three times), besides fixing the noise of the rest
    (at most one error in `NEARLY_SAME_SPACING` units)."""
    surplus = (end - start) - len(replacement)
    if surplus < MINIMUM_REPEAT:
        return False
    for cut in range(start, end - surplus + 1):
        rest = units[start:cut] + units[cut + surplus:end]
        if OSA.distance(rest, replacement) <= 1 + len(replacement) // NEARLY_SAME_SPACING and _repeats_beside(units, cut, cut + surplus):
            return True
    return False


def _repeats_beside(units: str, start: int, end: int) -> bool:
    """Whether ``units[start:end]`` repeats the text right before or after it, once or more."""
    removed = units[start:end]
    for period in range(MINIMUM_REPEAT, len(removed) + 1):
        for unit in (units[max(0, start - period):start], units[end:end + period]):
            if len(unit) == period and fuzz.ratio(removed, (unit * (len(removed) // period + 1))[:len(removed)]) >= REPEAT_SIMILARITY:
                return True
    return False


def _line_restored(view: TextView, start: int, end: int, after: bool, text: str, rule, confidence, evidence) -> Edit:
    """The text of a line the document lost, written into its empty line (so the file keeps its lines)."""
    original = view.original
    gap_start = view.ends[end - 1] if after else (view.ends[start - 1] if start else 0)
    gap_end = (view.starts[end] if end < len(view.units) else len(original)) if after else view.starts[start]
    empty = _EMPTY_LINE.search(original, gap_start, gap_end)
    point = empty.start() + 1
    return Edit(point, point, "", display(text), rule, CONSENSUS, confidence, evidence)


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
    prefix, suffix = common_ends(current, replacement)
    new_start, new_end = start + prefix, end - suffix
    return Edit(new_start, new_end, original[new_start:new_end], replacement[prefix:len(replacement) - suffix], rule, CONSENSUS, confidence, evidence)


def _evidence(name, view, start, end, voters, winner, rule, resources) -> dict:
    readings = [{"document": name, "reading": display(view.units[start:end]), "self": True}]
    for reading in voters:
        readings.append({"document": reading.witness, "reading": display("".join(reading.units[start - reading.start:end - reading.start]))})
    context_left = _context(view.units, start - CONTEXT, start)
    context_right = _context(view.units, end, end + CONTEXT)
    text = context_left + "".join(winner) + context_right
    chosen_end = len(context_left) + max(len("".join(winner)), 1)
    terms = sorted({term for start_at, end_at, term in resources.lexicon.find(text) if start_at < chosen_end and end_at > len(context_left)})
    evidence = {"rule": rule, "readings": readings, "chosen": display("".join(winner)), "context": display(context_left) + "[" + display("".join(winner)) + "]" + display(context_right)}
    if terms:
        evidence["lexicon"] = [{"term": term, "source": resources.lexicon.source(term)} for term in terms]
    return evidence


def _confirmed_term(name, view, start, end, winner, supporters, resources: Resources) -> ConfirmedTerm | None:
    """The word the winning reading forms, when at least two copies agree on it."""
    chosen = "".join(winner)
    if len(supporters) < 2 or not _lookalike_reading(view.units[start:end], chosen, resources):
        return None
    left = _context(view.units, start - CONTEXT, start)
    right = _context(view.units, end, end + CONTEXT)
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


def _lookalike_reading(own: str, chosen: str, resources: Resources) -> bool:
    """Whether ``chosen`` differs from ``own`` only by look-alike characters, place for place
    (what `_confirmed_term` requires of the variant and the term it confirms)."""
    return len(own) == len(chosen) and all(mine == theirs or resources.lookalikes.similarity(mine, theirs) > 0 for mine, theirs in zip(own, chosen))
