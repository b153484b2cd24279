"""Single-copy repair: what one copy's text, the lexicon and the word model can fix alone.

Precision first: each rule needs positive evidence that the text is wrong (a sentence
printed twice in a row; a doubled character that no word explains; a string one
look-alike character away from a domain term, a term the corpus confirmed, or a
frequent word, where the string itself is no word) and that the fix is right.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Mapping, Sequence

import numpy as np

from jiaokan.cache import cached_table
from jiaokan.config import EngineConfig
from jiaokan.consensus import ConfirmedTerm, forms_domain_term
from jiaokan.edits import REPAIR, Edit, common_ends, resolve_overlaps
from jiaokan.evidence import LOG10_E, judged, page_evidence, reading_evidence, readings_evidence
from jiaokan.matching import IntegerTable, StringIndex, pair_codes, pair_integer, pair_text, text_codes, text_pairs
from jiaokan.resources import Resources
from jiaokan.script import HAN, HAN_PATTERN, NUMERALS, figures, han_code_mask
from jiaokan.textview import TextView, build_view

#: look-alikes less similar than this are not variants of a domain term
MINIMUM_SIMILARITY = 0.5
#: frequent words whose look-alike variants are searched for (two-character words need more)
WORD_FREQUENCY_FLOOR = {1: 100_000, 2: 1000, 3: 50, 4: 50}
#: a character misread for one of the most frequent characters (的 read as 酌) must itself be this rare
RARE_MISREADING_FREQUENCY = 1000
#: look-alikes for word variants must be at least this similar: the table's lower edge and
#: pycorrector's same_stroke pairs (0.6); confusions the real OCR pairs show count too
#: (`jiaokan.channel.Channel.misreadings`), and the evidence judges each
LOOKALIKE_SIMILARITY = 0.6
#: characters of context either side for local word scoring
CONTEXT = 4
#: measure words after 一 that double ("一批批", "一个个")
_REPEATABLE_AFTER_ONE = re.compile(r"一(.)\1")
#: a Han character followed by itself (overlapping: 卡卡卡 gives two)
_DOUBLED = re.compile(f"({HAN})(?=\\1)")
#: a run of two or more of one character
_DOUBLED_RUN = re.compile(r"(.)\1+", re.DOTALL)
_SENTENCE_END = re.compile(r"[。！？!?]+[”’」』]?")


def repair(
    name: str,
    text: str,
    resources: Resources,
    config: EngineConfig,
    confirmed: Mapping[str, ConfirmedTerm],
    view: TextView | None = None,
    settled: bytes | None = None,
    scans: PageScans | None = None,
) -> list[Edit]:
    """Every enabled single-copy rule's edits over ``text`` (they may overlap; the pipeline resolves).

    ``settled`` marks the view units other copies confirm (`jiaokan.engine.stages.settled_units`):
    character rules leave those alone, since copies that agree outweigh what one copy's
    text suggests. Terms (the lexicon, the corpus's confirmed terms) still apply there.
    ``scans``: what `scan_pages` found in the view together with other pages (else it scans
    the view alone).
    """
    edits: list[Edit] = []
    view = view if view is not None else build_view(text)
    scans = scans if scans is not None else scan_pages([(view.units, settled)], resources, config)[0]
    if config.enabled("drop_repeated_sentence"):
        edits += [edit for edit in drop_repeated_sentence(text, resources, config.proposal_threshold) if not _all_settled(view, settled, edit.start, edit.end)]
    if config.enabled("remove_doubled_character"):
        edits += remove_doubled_character(view, resources, settled, config.proposal_threshold)
    if config.enabled("fix_swapped_characters"):
        edits += fix_swapped_characters(view, resources, settled, scans.swaps, config)
    if config.enabled("match_domain_term"):
        edits += match_domain_term(view, resources, confirmed, scans.lexicon_variants, config)
    if config.enabled("fix_lookalike"):
        edits += fix_lookalike(view, resources, settled, scans.word_variants, config.proposal_threshold)
    return edits


def build_tables(resources: Resources) -> None:
    """Build (or load from `jiaokan.cache`) every table the rules consult, so that worker
    processes forked afterwards share them and a first text costs what later ones do."""
    for table in (_two_character_words, _trusted_swap_words, _document_variant_table,
                  _swap_pairs, _word_variant_index, _lexicon_variant_index):
        table(resources)


def _in_doubt(settled: bytes | None) -> np.ndarray | None:
    """For each view unit, whether a character rule may change it: not `settled` (None when no
    copy covers the text: all of it)."""
    return None if not settled else np.frombuffer(settled, dtype=np.uint8) == 0


def _edit(text: str, start: int, end: int, replacement: str, rule: str, confidence: float, **evidence) -> Edit:
    return Edit(start, end, text[start:end], replacement, rule, REPAIR, round(confidence, 4), {"rule": rule, **evidence})


# ---------------------------------------------------------------- repeated sentences

def drop_repeated_sentence(text: str, resources: Resources, threshold: float = 0.5) -> list[Edit]:
    """A sentence printed again right after itself (OCR of a repeated block) is dropped, as the
    calibrated model judges its evidence (how long the sentence is, whether a line break
    parts the two); readings below ``threshold`` are not proposed."""
    edits = []
    previous = None
    for start, end in _sentences(text):
        sentence = text[start:end].strip()
        between = text[previous[1]:start] if previous is not None else ""
        if previous is not None and sentence == previous[0] and not between.strip():
            length = len(HAN_PATTERN.findall(sentence))
            if length >= 8:
                evidence = {"length": float(length), "separated": float("\n" in between)}
                confidence = judged(resources, "drop_repeated_sentence", evidence)
                if confidence >= threshold:
                    edits.append(_edit(text, previous[1], end, "", "drop_repeated_sentence", confidence, repeated=sentence, **evidence))
        previous = (sentence, end)
    return edits


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a run of characters, no line break among them, up to and
    with its closing marks (。！？ and a closing quote). Found in one pass over the marks (a
    pattern that looks ahead for the marks from every position takes time quadratic in a text
    without them)."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        body_start = max(start, text.rfind("\n", start, match.start()) + 1)
        if match.start() > body_start:
            spans.append((body_start, match.end()))
        start = match.end()
    return spans


def _all_settled(view: TextView, settled: bytes | None, start: int, end: int) -> bool:
    """Whether every view unit of the original's ``[start, end)`` is settled (other copies
    read it, and read it alike): a sentence they all print twice is printed twice, and where
    only this copy has it twice the vote removes the extra copy."""
    if not settled:
        return False
    first, last = bisect_left(view.starts, start), bisect_left(view.starts, end)
    return last > first and all(settled[first:last])


# ---------------------------------------------------------------- doubled characters

#: removing a spurious copy must raise the stretch's log-probability by this much (a copy
#: standing alone costs at least the log-probability of 的, about 4.6)
DOUBLING_MARGIN = 4.0
#: when each copy sits in a word of its own but one word spans the repaired stretch
#: (中小|小学 -> 中小学), the gain must be larger: 外交部|部长 -> 外交部长 gains 3.6
BRIDGING_MARGIN = 6.0
#: confidence of a removal at the margin; a larger gain adds a little
DOUBLING_CONFIDENCE = 0.9


def remove_doubled_character(view: TextView, resources: Resources, settled: bytes | None = None, threshold: float = 0.5) -> list[Edit]:
    """程序序, 坐坐标, 的的 -> 程序, 坐标, 的: one copy of a doubled character stands alone in
    the best segmentation of its stretch, and the stretch reads much better without it; the
    evidence (`jiaokan.evidence`: the channel's odds of a doubling, the language and word
    models; whether the pair is itself a word, whether it is part of a longer run: 悦悦,
    呐呐呐) is judged by the calibrated model, and readings below ``threshold`` are not
    proposed. Never 缓缓, 实实在在 (one word holds both copies), 部|部长 (each copy in a word
    of its own), 一批批 or 一零零."""
    units = view.units
    candidates = []
    for match in _DOUBLED.finditer(units):
        index = match.start() + 1
        if settled and (settled[index - 1] or settled[index]):
            continue  # copies that read either copy alike decide (and the consensus removes a spurious one)
        if units[index] in NUMERALS or _REPEATABLE_AFTER_ONE.fullmatch(units[max(0, index - 2):index + 1]):
            continue
        if _in_long_run(units, index):
            continue
        found = _doubling_evidence(units, index, resources)
        if found is not None:
            candidates.append((index, found[1]))
    edits = []
    page = page_evidence(view.original, units) if candidates else {}
    printed = _doubled_pair_counts(units) if candidates else {}
    for index, context in candidates:
        left, right = units[max(0, index - 1 - CONTEXT):index - 1], units[index + 1:index + 1 + CONTEXT]
        evidence = reading_evidence(resources, units[index - 1:index + 1], units[index], left, right)
        evidence["pair_word"] = float(resources.is_known_word(units[index - 1:index + 1]))
        evidence["own_printed"] = round(math.log1p(printed[units[index]] - 1), 3)
        evidence["run"] = float(units[index - 2:index - 1] == units[index] or units[index + 1:index + 2] == units[index])
        # a page with other doublings no word explains is a page whose engine doubles characters
        evidence["others"] = round(math.log1p(len(candidates) - 1), 3)
        evidence.update(page)
        confidence = judged(resources, "remove_doubled_character", evidence)
        if confidence < threshold:
            continue
        # the edit spans both copies, so that it conflicts with a consensus edit on either:
        # the copies deleting one and this rule the other would leave none
        start, end = view.starts[index - 1], view.ends[index]
        kept = view.original[start:view.starts[index]]
        edits.append(_edit(view.original, start, end, kept, "remove_doubled_character", confidence, context=context, **evidence))
    return edits


#: a character printed more than this many times in a row is no doubling an engine made
#: (哈哈哈哈, a row of 啊 or of garbage): none of its copies is a candidate
LONGEST_DOUBLED_RUN = 3


def _in_long_run(units: str, index: int) -> bool:
    """Whether the doubled character at ``index`` (a copy of ``index - 1``) belongs to a run of
    the same character longer than `LONGEST_DOUBLED_RUN` (looked at around it only: a page
    of one character repeated costs what a page of prose does)."""
    character = units[index]
    low = max(0, index - LONGEST_DOUBLED_RUN)
    window = units[low:index + LONGEST_DOUBLED_RUN + 1]
    return character * (LONGEST_DOUBLED_RUN + 1) in window


def _doubled_pair_counts(units: str) -> dict[str, int]:
    """character -> how many times the page prints it doubled (``units.count(character * 2)``
    for every character at once, in one pass: a run of n copies holds n // 2)."""
    counts: dict[str, int] = {}
    for match in _DOUBLED_RUN.finditer(units):
        character = match.group(1)
        counts[character] = counts.get(character, 0) + (match.end() - match.start()) // 2
    return counts


def _doubling_evidence(units: str, index: int, resources: Resources) -> tuple[float, str] | None:
    """(gain, segmented stretch) when the doubling at ``index`` (a copy of ``index - 1``) is
    spurious: in the best segmentation of the Han stretch around it one copy is a word of
    its own, and dropping a copy gains at least `DOUBLING_MARGIN`; else None."""
    start, end = _han_stretch(units, index - 1, index + 1)
    score, words = resources.words.segment(units[start:end])
    repaired_score, repaired_words = resources.words.segment(units[start:index] + units[index + 1:end])
    gain = repaired_score - score
    first_alone, second_alone = _stands_alone_in(words, index - 1 - start), _stands_alone_in(words, index - start)
    if first_alone and not second_alone and start == index - 2 and len(words[0]) == 1:
        return None  # )务会|会议: a lone character after a mark and the first copy may be an abbreviation
    if first_alone or second_alone:
        margin = DOUBLING_MARGIN
    elif _spans_both_neighbours(repaired_words, index - 1 - start):
        margin = BRIDGING_MARGIN  # 中小|小学 -> 中小学; but 外交部|部长 -> 外交部长 gains too
    else:
        return None
    if gain < margin:
        return None
    return gain, "/".join(words)


def _han_stretch(units: str, first: int, last: int, reach: int = CONTEXT) -> tuple[int, int]:
    """``[first, last)`` widened by up to ``reach`` Han characters on each side (a mark or a
    Latin letter ends a stretch: no word crosses it)."""
    low, high = max(0, first - reach), min(len(units), last + reach)
    start = first
    while start > low and HAN_PATTERN.match(units[start - 1]):
        start -= 1
    end = last
    while end < high and HAN_PATTERN.match(units[end]):
        end += 1
    return start, end


def _stands_alone_in(words: list[str], position: int) -> bool:
    """Whether the character at ``position`` of the segmented text is a word by itself."""
    offset = 0
    for word in words:
        if offset == position:
            return len(word) == 1
        if offset > position:
            return False
        offset += len(word)
    return False


def _spans_both_neighbours(words: list[str], position: int) -> bool:
    """Whether one word of the segmented text holds ``position`` and the characters either side of it."""
    offset = 0
    for word in words:
        if offset < position < offset + len(word) - 1:
            return True
        offset += len(word)
    return False


def _all_han(text: str) -> bool:
    return all(HAN_PATTERN.match(character) for character in text)


# ---------------------------------------------------------------- swapped characters

#: a swapped pair must read as a word this frequent once put back in order
SWAP_WORD_FREQUENCY = 200
#: and far more frequent than the pair as read (加添 is a word, but rare beside 添加)
SWAP_FREQUENCY_RATIO = 50
#: and the stretch around it must read this much better (log-probability)
SWAP_MARGIN = 6.0


#: a swap no frequent word predicts (选数择据 -> 选择数据) must read this much better
LONE_SWAP_MARGIN = 8.0


def fix_swapped_characters(view: TextView, resources: Resources, settled: bytes | None, swaps: SwapCandidates, config: EngineConfig) -> list[Edit]:
    """档文 -> 文档, 选数择据 -> 选择数据: two neighbours read in the wrong order (see
    `_swaps_into_frequent_words` and `_swaps_of_lone_characters`); where two candidates
    overlap, the one that reads better wins. ``swaps``: the text's candidates (`scan_pages`)."""
    edits = (_swaps_into_frequent_words(view, resources, settled, swaps.misread, config)
             + _swaps_of_lone_characters(view, resources, settled, swaps.forming_pairs, config))
    return resolve_overlaps(edits, lambda edit: -edit.confidence)


@dataclass(frozen=True)
class SwapCandidates:
    """Where a text may hold two neighbours read in the wrong order: misread pairs of the swap
    table (`_misread_swaps`) and pairs that form words once swapped (`_swaps_forming_pairs`)."""

    misread: list[int]
    forming_pairs: list[tuple[int, int, int]]


def _swaps_into_frequent_words(view: TextView, resources: Resources, settled: bytes | None, misread: list[int], config: EngineConfig) -> list[Edit]:
    """Two neighbours that form no word, where the pair in the other order is a frequent
    word and neither character belongs to a word with its outer neighbour (``misread``:
    where the text holds such a pair, `_misread_swaps`)."""
    units = view.units
    words = resources.words
    edits = []
    next_free = 0  # a fixed pair is not read again as part of the next one
    for index in misread:
        if index < next_free or (settled and settled[index] and settled[index + 1]):
            continue
        swapped = units[index + 1] + units[index]
        if _touches_latin(units, index, index + 2):
            continue  # 45度角: a number and its unit, not a misread 角度
        if not _stands_alone(units, index, index + 2) and not _word_crosses_edge(units, index, index + 2, resources):
            pair = units[index:index + 2]
            left = units[max(0, index - CONTEXT):index]
            right = units[index + 2:index + 2 + CONTEXT]
            gain = words.segmentation_score(left + swapped + right) - words.segmentation_score(left + pair + right)
            start, end = view.starts[index], view.ends[index + 1]
            if gain >= SWAP_MARGIN and end - start == 2:  # nothing between them in the original
                evidence = _swap_evidence(units, index, resources) | {"gain": round(gain * LOG10_E, 3), "lone": 0.0} | page_evidence(view.original, units)
                confidence = judged(resources, "fix_swapped_characters", evidence, config)
                if confidence >= config.proposal_threshold:
                    edits.append(_edit(view.original, start, end, swapped, "fix_swapped_characters", confidence, word=swapped, **evidence))
                    next_free = index + 2
    return edits


def _swaps_of_lone_characters(
    view: TextView, resources: Resources, settled: bytes | None, forming_pairs: list[tuple[int, int, int]], config: EngineConfig,
) -> list[Edit]:
    """Two neighbours, one of them a word by itself in the best segmentation of the Han
    stretch around them, that both land inside words once swapped, where the stretch then reads much
    better (`LONE_SWAP_MARGIN`). Of overlapping candidates the best is kept (创一建个:
    一建, not 创一). ``forming_pairs``: the text's candidates (`_swaps_forming_pairs`)."""
    units = view.units
    candidates = []
    for index, run_start, run_end in forming_pairs:
        if not (settled and settled[index] and settled[index + 1]):
            gain = _lone_swap_gain(units, index, run_start, run_end, resources)
            if gain is not None and gain >= LONE_SWAP_MARGIN:
                candidates.append((gain, index))
    edits = []
    taken: set[int] = set()
    for gain, index in sorted(candidates, key=lambda candidate: (-candidate[0], candidate[1])):
        start, end = view.starts[index], view.ends[index + 1]
        if index in taken or index + 1 in taken or end - start != 2:  # nothing between them in the original
            continue
        if _read_again_nearby(units, index, units[index:index + 2]):
            continue  # 普惠 three times on a page: a word the dictionary lacks, not a misreading
        swapped = units[index + 1] + units[index]
        evidence = _swap_evidence(units, index, resources) | {"gain": round(gain * LOG10_E, 3), "lone": 1.0} | page_evidence(view.original, units)
        confidence = judged(resources, "fix_swapped_characters", evidence, config)
        if confidence < config.proposal_threshold:
            continue
        taken.update((index, index + 1))
        edits.append(_edit(view.original, start, end, swapped, "fix_swapped_characters", confidence, swapped=swapped, **evidence))
    return edits


def _swap_evidence(units: str, index: int, resources: Resources) -> dict:
    """The evidence for reading ``units[index:index + 2]`` in the other order (`jiaokan.evidence`;
    ``domain_term``: the swap forms a domain term the text as read does not)."""
    pair, swapped = units[index:index + 2], units[index + 1] + units[index]
    left, right = units[max(0, index - CONTEXT):index], units[index + 2:index + 2 + CONTEXT]
    evidence = reading_evidence(resources, pair, swapped, left, right)
    forms = forms_domain_term(left + swapped + right, len(left), len(left) + 2, resources)
    evidence["domain_term"] = float(forms and not forms_domain_term(left + pair + right, len(left), len(left) + 2, resources))
    return evidence


def _read_again_nearby(units: str, start: int, found: str) -> bool:
    """Whether ``found`` occurs again within `DOCUMENT_WINDOW` characters: OCR noise seldom
    repeats the same misreading, so a string the text prints twice is what it means."""
    low, high = max(0, start - DOCUMENT_WINDOW), min(len(units), start + DOCUMENT_WINDOW)
    return units.count(found, low, high) >= 2


def _touches_latin(units: str, start: int, end: int) -> bool:
    """Whether a Latin letter or a digit sits right before or after ``[start, end)`` (X轴, 3D
    打印: such a run's edge may belong to a word the dictionary does not know)."""
    return any(0 <= position < len(units) and units[position].isascii() and units[position].isalnum() for position in (start - 1, end))


def _swaps_forming_pairs(units: str, resources: Resources, within: np.ndarray | None = None) -> list[tuple[int, int, int]]:
    """(index, run start, run end) for each ``index`` inside a run of Han characters that
    touches no Latin letter or digit (`_touches_latin`) where, as read, ``index`` and
    ``index + 1`` form no two-character word, one of them forms none with its other
    neighbour either, and once they are swapped each does (选数择据: 数 and 择 form none;
    选择, 数据 once swapped), or the swapped pair is itself a word not too rare to trust
    (普惠 -> 惠普 is not). A quick test before scoring, done for the whole text at once in
    numpy, two characters being one integer (`_pair_table`). With ``within`` (a boolean per
    unit), only the pairs holding a marked unit."""
    if len(units) < 2:
        return []
    words = _two_character_words(resources)
    codes = text_codes(units)
    han = han_code_mask(codes)
    edge = np.zeros(1, dtype=codes.dtype)
    padded_codes = np.concatenate((edge, codes, edge))  # padded_codes[i + 1] is codes[i]
    padded_han = np.concatenate(([False], han, [False]))
    pairs = text_pairs(units)
    han_pairs = han[:-1] & han[1:]
    wanted = np.ones(len(pairs), dtype=bool) if within is None else within[:-1] | within[1:]
    padded_wanted = np.concatenate(([False], wanted, [False]))
    looked_up = np.flatnonzero((padded_wanted[:-2] | wanted | padded_wanted[2:]) & han_pairs)  # and each one's neighbours
    known = np.zeros(len(pairs) + 2, dtype=bool)  # known[i + 1]: units[i:i + 2] is a known word
    known[looked_up + 1] = words.contains(pairs[looked_up])
    unknown = han_pairs & ~known[1:-1] & wanted
    # not when each already forms a word with its other neighbour
    unknown &= ~(padded_han[:-3] & known[:-2] & padded_han[3:] & known[2:])
    indices = np.flatnonzero(unknown)
    first, second = codes[indices], codes[indices + 1]
    swapped_known = words.contains(pair_codes(second, first))
    lone = indices[~swapped_known]  # no word swapped: both outer pairs must be words once swapped
    before = padded_han[lone] & words.contains(pair_codes(padded_codes[lone], padded_codes[lone + 2]))  # units[i - 1] + units[i + 1]
    after = padded_han[lone + 3] & words.contains(pair_codes(padded_codes[lone + 1], padded_codes[lone + 3]))  # units[i] + units[i + 2]
    trusted = _trusted_swap_words(resources).contains(pair_codes(second[swapped_known], first[swapped_known]))
    found = np.sort(np.concatenate((indices[swapped_known][trusted], lone[before & after])))
    run_starts, run_ends = _han_runs(han, found)
    return [(index, start, end) for index, start, end in zip(found.tolist(), run_starts, run_ends) if not _touches_latin(units, start, end)]


def _han_runs(han: np.ndarray, indices: np.ndarray) -> tuple[list[int], list[int]]:
    """The run of Han characters (``han``: a mask per unit) holding each of ``indices``, as
    (starts, ends): the runs found once for the whole text, so a page of one long run costs
    what a punctuated one does (widening from each index was quadratic in the run)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], han, [False])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    run = np.searchsorted(starts, indices, side="right") - 1
    return starts[run].tolist(), ends[run].tolist()


def _pair_table(pairs) -> IntegerTable:
    """Two-character strings as one integer each (`jiaokan.matching.pair_codes`), to look up."""
    return IntegerTable(np.unique(np.array([pair_integer(pair) for pair in pairs], dtype=np.uint64)))


def _known_two_character_words(resources: Resources) -> list[str]:
    """Every known two-character word: dictionary words and terms (`Resources.is_known_word`)."""
    return [word for word in resources.words.frequencies if len(word) == 2] + [term for term in resources.lexicon.terms if len(term) == 2]


@lru_cache(maxsize=2)
def _two_character_words(resources: Resources) -> IntegerTable:
    """Every known two-character word (`_pair_table`; built once per lexicon, `jiaokan.cache`)."""
    return cached_table("two-character-words", lambda: _pair_table(_known_two_character_words(resources)), _lexicon_key(resources, TWO_CHARACTERS))


@lru_cache(maxsize=2)
def _trusted_swap_words(resources: Resources) -> IntegerTable:
    """The known two-character words a lone swap may form: all but the rare ones (`_rare_word`)."""
    def build() -> IntegerTable:
        return _pair_table([word for word in _known_two_character_words(resources) if not _rare_word(word, resources)])

    return cached_table("trusted-swap-words", build, _lexicon_key(resources, TWO_CHARACTERS))


def _document_words(resources: Resources) -> list[str]:
    """The two-character words `_document_word_variants` looks for misread in a text: Han, from
    `DOCUMENT_WORD_FREQUENCY` to the variant table's floor (what `_document_variant_table` is built from)."""
    floor = WORD_FREQUENCY_FLOOR[2]
    return sorted(
        word for word, frequency in resources.words.frequencies.items()
        if len(word) == 2 and DOCUMENT_WORD_FREQUENCY <= frequency < floor and _all_han(word)
    )


def _rare_word(text: str, resources: Resources) -> bool:
    """A dictionary word less frequent than `SWAP_WORD_FREQUENCY` (and no domain term)."""
    return text not in resources.lexicon and 0 < resources.words.frequency(text) < SWAP_WORD_FREQUENCY


def _lone_swap_gain(units: str, index: int, run_start: int, run_end: int, resources: Resources) -> float | None:
    """How much better the stretch around ``index`` reads with ``index`` and ``index + 1``
    swapped, or None unless one of them is a word by itself as read and neither is once swapped."""
    start, end = max(run_start, index - CONTEXT), min(run_end, index + 2 + CONTEXT)
    score, words = resources.words.segment(units[start:end])
    if not _stands_alone_in(words, index - start) and not _stands_alone_in(words, index + 1 - start):
        return None
    swapped = units[start:index] + units[index + 1] + units[index] + units[index + 2:end]
    swapped_score, swapped_words = resources.words.segment(swapped)
    if _stands_alone_in(swapped_words, index - start) or _stands_alone_in(swapped_words, index + 1 - start):
        return None
    return swapped_score - score


def _misread_swaps(units: str, resources: Resources, within: np.ndarray | None = None) -> list[int]:
    """Where ``units`` holds a misread pair of `_swap_table` (a frequent word's characters in
    the other order), in order: the text's character pairs looked up at once (`_swap_pairs`);
    with ``within`` (a boolean per unit), only the pairs holding a marked unit."""
    pairs = text_pairs(units)
    looked_up = np.arange(len(pairs)) if within is None else np.flatnonzero(within[:-1] | within[1:])
    return looked_up[_swap_pairs(resources).contains(pairs[looked_up])].tolist()


@lru_cache(maxsize=2)
def _swap_pairs(resources: Resources) -> IntegerTable:
    """The misread pairs of `_swap_table` as pair integers (built once per lexicon, `jiaokan.cache`)."""
    return cached_table("swapped-pairs", lambda: _pair_table(_swap_table(resources)), _lexicon_key(resources, TWO_CHARACTERS))


#: the term lengths the tables of two-character words can meet, and those of `_word_variants`
#: (the lengths `WORD_FREQUENCY_FLOOR` names; a term is never one character)
TWO_CHARACTERS = range(2, 3)
WORD_VARIANT_LENGTHS = range(2, max(WORD_FREQUENCY_FLOOR) + 1)


def _lexicon_key(resources: Resources, lengths: range) -> list[str]:
    """What a table derived from the word model depends on besides the engine's data: the
    terms of ``lengths``, the only ones the table can meet (a table of two-character words
    never meets a longer term), so a lexicon change rebuilds, and adds to `jiaokan.cache`,
    only the tables its terms reach."""
    return sorted(term for term in resources.lexicon.terms if len(term) in lengths)


def _swap_table(resources: Resources) -> dict[str, str]:
    """misread pair -> frequent two-character word it is the swap of (加添 is a word, but rare beside 添加)."""
    words = resources.words
    table = {}
    for word, frequency in words.frequencies.items():
        if len(word) == 2 and frequency >= SWAP_WORD_FREQUENCY and word[0] != word[1] and _all_han(word):
            pair = word[::-1]
            if pair not in resources.lexicon and words.frequency(pair) * SWAP_FREQUENCY_RATIO < frequency:
                table[pair] = word
    return table


def _stands_alone(units: str, start: int, end: int) -> bool:
    """Whether ``[start, end)`` is a whole item between marks (京港澳、大广、二广): an
    abbreviation or a name, not a misread word."""
    before = units[start - 1] if start > 0 else ""
    after = units[end] if end < len(units) else ""
    return not HAN_PATTERN.match(before or "。") and not HAN_PATTERN.match(after or "。")


def _word_crosses_edge(units: str, start: int, end: int, resources: Resources) -> bool:
    """Whether a known word joins part of ``[start, end)`` with a character outside it (模式运行
    is no misread 试运行; 值班 holds 值, so 值 is no misreading on its own)."""
    return _word_across(units, start, resources) or _word_across(units, end, resources)


def _word_across(units: str, edge: int, resources: Resources) -> bool:
    """Whether a known word (two or more characters, `Resources.is_known_word`) holds both
    ``units[edge - 1]`` and ``units[edge]``; the nearest starts, the common case, are tried first."""
    frequencies, terms, reach = resources.words.frequencies, resources.lexicon.terms, resources.known_reach
    for start in range(edge - 1, max(-1, edge - resources.longest_known), -1):
        for end in range(edge + 1, min(start + reach.get(units[start], 1), len(units)) + 1):
            piece = units[start:end]  # two or more characters: a dictionary word is known
            if piece in frequencies or piece in terms:
                return True
    return False


# ---------------------------------------------------------------- domain terms

@dataclass(frozen=True)
class _Target:
    term: str
    source: str
    kind: str  # "confirmed" | "lookalike" | "dropped"
    similarity: float


def match_domain_term(
    view: TextView, resources: Resources, confirmed: Mapping[str, ConfirmedTerm], lexicon_variants: list[tuple[int, str, _Target]],
    config: EngineConfig,
) -> list[Edit]:
    """A string one look-alike away from a domain term, or a variant that several copies
    elsewhere in the corpus corrected, becomes the term, as the evidence judges it (the
    term is a word the word model knows well; ``confirmed``, ``dropped`` say how it was
    found; the user's lexicon decides, `jiaokan.evidence.judged`); readings below the
    config's proposal threshold are not proposed. ``lexicon_variants``: the terms' variants
    in the text (`scan_pages`)."""
    matches = [(start + len(variant) - 1, variant, target) for start, variant, target in lexicon_variants]
    for variant, term in sorted(confirmed.items()):
        target = _Target(term.term, f"confirmed by {term.copies} copies in {term.document}", "confirmed", 1.0)
        start = view.units.find(variant)
        while start >= 0:
            matches.append((start + len(variant) - 1, variant, target))
            start = view.units.find(variant, start + 1)
    edits = []
    for end_index, variant, target in sorted(matches, key=lambda match: (match[0], match[1])):
        start_index = end_index - len(variant) + 1
        if _word_crosses_edge(view.units, start_index, end_index + 1, resources) or _term_nearby(view.units, start_index, end_index + 1, target.term):
            continue
        edit = _term_edit(view, start_index, end_index + 1, target, resources, config)
        if edit is not None and edit.confidence >= config.proposal_threshold:
            edits.append(edit)
    return resolve_overlaps(edits, lambda edit: -edit.confidence)


@lru_cache(maxsize=4)
def _lexicon_variant_index(resources: Resources) -> StringIndex["_Target"]:
    """The variants of `_lexicon_variants`, to find in a text."""
    return StringIndex(_lexicon_variants(resources))


def _lexicon_variants(resources: Resources) -> dict[str, _Target]:
    """variant -> domain term, for look-alike substitutions and (long terms) dropped characters."""
    variants: dict[str, _Target] = {}
    for term in sorted(resources.lexicon.terms):
        if len(term) < 3 or not _all_han(term):
            continue
        source = resources.lexicon.source(term)
        for position, character in enumerate(term):
            for lookalike, similarity in resources.lookalikes.of(character).items():
                if similarity < MINIMUM_SIMILARITY:
                    continue
                variant = term[:position] + lookalike + term[position + 1:]
                if not resources.is_known_word(variant):
                    _keep_best(variants, variant, _Target(term, source, "lookalike", similarity))
            if len(term) >= 5 and 0 < position < len(term) - 1:
                variant = term[:position] + term[position + 1:]
                if not resources.is_known_word(variant):
                    _keep_best(variants, variant, _Target(term, source, "dropped", 0.0))
    return variants


def _keep_best(variants: dict[str, _Target], variant: str, target: _Target) -> None:
    current = variants.get(variant)
    if current is None or (target.similarity, target.term) > (current.similarity, current.term):
        variants[variant] = target


def _term_nearby(units: str, start: int, end: int, term: str) -> bool:
    """Whether the term itself is already there (a dropped-character variant is a substring of it)."""
    return term in units[max(0, start - len(term)):end + len(term)]


def _term_edit(view: TextView, start: int, end: int, target: _Target, resources: Resources, config: EngineConfig) -> Edit | None:
    found = view.units[start:end]
    term = target.term
    units = view.units
    evidence = reading_evidence(resources, found, term, units[max(0, start - CONTEXT):start], units[end:end + CONTEXT])
    evidence.update(domain_term=1.0, confirmed=float(target.kind == "confirmed"), dropped=float(target.kind == "dropped"),
                    digits=float(figures(found) != figures(term)), **page_evidence(view.original, units))
    confidence = judged(resources, "match_domain_term", evidence, config)
    # the smallest differing stretch, kept inside the view units so layout between them stays
    prefix, suffix = common_ends(found, term)
    first, last = start + prefix, end - suffix
    replacement = term[prefix:len(term) - suffix]
    if first < last:
        span_start, span_end = view.starts[first], view.ends[last - 1]
    else:
        span_start = span_end = view.ends[first - 1]
    return _edit(view.original, span_start, span_end, replacement, "match_domain_term", confidence, term=term, found=found, source=target.source,
                 match=target.kind, **evidence)


# ---------------------------------------------------------------- look-alike characters

def fix_lookalike(
    view: TextView, resources: Resources, settled: bytes | None, word_variants: list[tuple[int, str, str]], threshold: float,
) -> list[Edit]:
    """A character that forms no word, which an engine may have misread for one that forms a
    word with a neighbour (人住 -> 入住): each such reading is judged on its evidence
    (`jiaokan.evidence`: the OCR channel, the language and word models) and what the place
    says (`_place_evidence`); the calibrated confidence decides, and readings below
    ``threshold`` are not proposed. Of several readings of one character the most confident
    stays. ``word_variants``: the text's candidate misread words (`scan_pages`). Another form
    of the same character (著/着) is the business of the script rules, not a misreading."""
    units = view.units
    floor = resources.calibration.word_gain_floor if threshold > 0 else 0.0  # every candidate: what the fit sees
    candidates = []
    for start, found, word in sorted(set(word_variants), key=lambda match: (match[0], match[2])):
        position = next(offset for offset in range(len(found)) if found[offset] != word[offset])
        index = start + position
        if settled and settled[index]:
            continue  # copies confirm it
        if not _word_model_prefers(units, index, word[position], resources, floor) or _same_character(found[position], word[position]):
            continue  # (of the tests below, this one turns most candidates away: it comes first)
        if _word_crosses_edge(units, index, index + 1, resources):
            continue  # the character already belongs to a word
        candidates.append((index, start, found, word))
    places = sorted({index for index, *_ in candidates})
    page = page_evidence(view.original, units)
    questions = [(units[index], word[index - start], units[max(0, index - CONTEXT):index], units[index + 1:index + 1 + CONTEXT])
                 for index, start, _, word in candidates]
    best: dict[int, Edit] = {}
    printed: dict[str, int] = {}  # each string read is counted once, however many candidates read it
    for (index, start, found, word), evidence in zip(candidates, readings_evidence(resources, questions)):
        fix = word[index - start]
        if found not in printed:
            printed[found] = units.count(found)
        evidence.update(_place_evidence(units, start, found, word, index, places, resources, printed[found]), **page)
        confidence = judged(resources, "fix_lookalike", evidence)
        if confidence < threshold or (index in best and best[index].confidence >= confidence):
            continue
        best[index] = _edit(view.original, view.starts[index], view.ends[index], fix, "fix_lookalike", confidence, word=word, **evidence)
    return [best[index] for index in sorted(best)]


@lru_cache(maxsize=65536)
def _same_character(first: str, second: str) -> bool:
    """Two forms of one character (traditional and simplified, variants)."""
    from jiaokan.normalise import simplified

    return simplified(first) == simplified(second)


def _word_model_prefers(units: str, index: int, fix: str, resources: Resources, floor: float) -> bool:
    """Whether the word model reads the stretch around ``index`` at least ``floor`` (log10)
    better with ``fix`` there: the calibration's floor, below which no candidate of the tune
    sets was even proposed (most candidates fail this cheap test and are judged no further)."""
    left, right = units[max(0, index - CONTEXT):index], units[index + 1:index + 1 + CONTEXT]
    words = resources.words
    return (words.segmentation_score(left + fix + right) - words.segmentation_score(left + units[index] + right)) * LOG10_E >= floor


#: how far (units) other doubtful places are counted: a page with several is a noisy page
NEARBY = 100


def _place_evidence(
    units: str, start: int, found: str, word: str, index: int, places: Sequence[int], resources: Resources, found_count: int | None = None,
) -> dict:
    """What the place says of a misread word: the document prints the word elsewhere
    (``printed``, a cache language model's log ratio) or prints what was read again
    (``own_printed``; ``found_count``: how often the page prints ``found``, if counted already: OCR seldom
    repeats a misreading; a name is printed again); a person's
    name is there (``name``); how common the two characters are; how many other doubtful
    places are near (``nearby``: a page of clean prose has few)."""
    words = resources.words
    observed, fix = units[index], word[index - start]
    others = bisect_right(places, index + NEARBY) - bisect_left(places, index - NEARBY) - 1
    return {
        "printed": round(_document_word_bonus(units, start, word, resources), 3),
        "own_printed": round(math.log1p((units.count(found) if found_count is None else found_count) - 1), 3),
        "name": 1.0 if _person_name_around(units, index) is not None else 0.0,
        "observed_frequency": round(math.log10(words.frequency(observed) + 1), 3),
        "fix_frequency": round(math.log10(words.frequency(fix) + 1), 3),
        "nearby": round(math.log1p(others), 3),
    }


#: two-character words the text prints are searched for misread elsewhere in it from this
#: frequency on (rarer entries of the word list are mostly names and fragments)
DOCUMENT_WORD_FREQUENCY = 20


def _document_word_variants(units: str, resources: Resources, within: np.ndarray | None = None) -> list[tuple[int, str, str]]:
    """(start, misreading, word) for the two-character words too rare for the word-variant
    table (入住), where the text has a non-word an engine may read for one (人住). The text's
    pairs are looked up in numpy (`_document_variant_table`); with ``within`` (a boolean per
    unit), only the pairs holding a marked unit."""
    return [(start, units[start:start + 2], pair_text(word)) for start, word in _document_variant_candidates(units, resources, within)]


def _document_variant_candidates(units: str, resources: Resources, within: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(start, word as a pair integer) for each pair of ``units`` that `_document_variant_table` holds."""
    if len(units) < 2:
        return []
    pairs = text_pairs(units)
    looked_up = np.arange(len(pairs)) if within is None else np.flatnonzero(within[:-1] | within[1:])
    misreadings, words = _document_variant_table(resources)
    starts, rows = misreadings.rows(pairs[looked_up])
    return list(zip(looked_up[starts].tolist(), words[rows].tolist()))


@lru_cache(maxsize=2)
def _document_variant_table(resources: Resources) -> tuple[IntegerTable, np.ndarray]:
    """(misreadings, words): every non-word an engine may read for a word of `_document_words`
    (one character misread: `jiaokan.channel.Channel.misreadings`), and that word, as pair
    integers in rows sorted by misreading (about a million rows, 20 MB; built once per
    lexicon, `jiaokan.cache`)."""
    def build() -> tuple[IntegerTable, np.ndarray]:
        rows = set()
        for word in _document_words(resources):
            code = pair_integer(word)
            for position, character in enumerate(word):
                for misreading in resources.channel.misreadings(character, LOOKALIKE_SIMILARITY):
                    variant = word[:position] + misreading + word[position + 1:]
                    if not resources.is_known_word(variant):
                        rows.add((pair_integer(variant), code))
        table = np.array(sorted(rows), dtype=np.uint64).reshape(-1, 2)
        return IntegerTable(table[:, 0]), np.ascontiguousarray(table[:, 1])

    return cached_table("document-word-variants", build, _lexicon_key(resources, TWO_CHARACTERS))


#: what comes right before a person's name in news text (a title or role)
NAME_TITLES = (
    "主任", "经理", "总经理", "董事长", "总裁", "书记", "主席", "局长", "处长", "科长", "部长", "院长", "校长", "厂长",
    "所长", "站长", "队长", "社长", "会长", "理事长", "市长", "县长", "省长", "镇长", "乡长", "村长", "教授",
    "研究员", "工程师", "医生", "护士", "老师", "记者", "通讯员", "负责人", "创始人", "村民", "居民", "农民",
    "师傅", "先生", "女士", "同学", "代表", "委员", "专家", "店主", "党员", "干部", "民警", "法官", "律师",
)
#: what comes right after a person's name in news text (a verb of saying)
NAME_VERBS = ("说", "表示", "介绍", "指出", "认为", "告诉", "坦言", "透露", "回忆", "感慨", "笑着说", "强调")


def _person_name_around(units: str, index: int) -> str | None:
    """The 2-3 characters around ``index`` that sit between a title and a verb of saying
    (主任唐凤宇说), i.e. a person's name, or None. The character being fixed is not the
    name's first (a surname is no misreading of a word's character)."""
    for length in (3, 2):
        for start in range(max(0, index - length + 1), index):
            end = start + length
            name = units[start:end]
            if end <= len(units) and _all_han(name) and units.endswith(NAME_TITLES, 0, start) and units.startswith(NAME_VERBS, end):
                return name
    return None


@dataclass(frozen=True)
class PageScans:
    """What three rules look for in a page, found together with other pages by `scan_pages`:
    misread words where the copies leave the text in doubt (`fix_lookalike`: as
    `StringIndex.find` gives them, then `_document_word_variants`), variants of domain terms
    (`match_domain_term`) and neighbours that may be swapped (`fix_swapped_characters`);
    None for a rule the configuration turns off."""

    word_variants: list[tuple[int, str, str]] | None
    lexicon_variants: list[tuple[int, str, _Target]] | None
    swaps: SwapCandidates | None


def scan_pages(pages: Sequence[tuple[str, bytes | None]], resources: Resources, config: EngineConfig) -> list[PageScans]:
    """`PageScans` of each page (view units, `settled` units) for the rules ``config`` enables,
    the pages scanned at once: joined by line breaks, which are never in a view nor in a
    string the rules look for (nothing found spans two pages) and end a run of Han characters
    as a page's edge does. A scan costs numpy a dozen calls whatever the length: the misread
    words of 2,000 pages took 0.48 s page by page and 0.11 s 64 pages at a time."""
    if not pages:
        return []
    texts = [units for units, _ in pages]
    joined = _JoinedPages(texts, [_in_doubt(settled) for _, settled in pages])
    nothing: list = [None] * len(pages)
    word_variants, lexicon_variants, swaps = nothing, nothing, nothing
    if config.enabled("fix_lookalike"):
        frequent = joined.by_page(_word_variant_index(resources).find(joined.text, joined.within))
        own = joined.by_page(_document_variant_candidates(joined.text, resources, joined.within))
        word_variants = [found + [(start, text[start:start + 2], pair_text(word)) for start, word in candidates]
                         for text, found, candidates in zip(texts, frequent, own)]
    if config.enabled("match_domain_term"):
        lexicon_variants = joined.by_page(_lexicon_variant_index(resources).find(joined.text))
    if config.enabled("fix_swapped_characters"):
        misread = joined.positions_by_page(_misread_swaps(joined.text, resources, joined.within))
        forming_pairs = joined.by_page(_swaps_forming_pairs(joined.text, resources, joined.within), offsets=3)
        swaps = [SwapCandidates(*candidates) for candidates in zip(misread, forming_pairs)]
    return [PageScans(*scans) for scans in zip(word_variants, lexicon_variants, swaps)]


class _JoinedPages:
    """Pages as one text (joined by line breaks) and, where some page has units in doubt,
    one mask (a page without one is in doubt throughout; the breaks never are)."""

    def __init__(self, texts: Sequence[str], doubts: Sequence[np.ndarray | None]) -> None:
        self.text = "\n".join(texts)
        self.starts = list(accumulate((len(text) + 1 for text in texts[:-1]), initial=0))
        self.within = None
        if any(doubt is not None for doubt in doubts):
            pieces = [np.ones(len(text), dtype=bool) if doubt is None else doubt for text, doubt in zip(texts, doubts)]
            separator = np.zeros(1, dtype=bool)
            self.within = np.concatenate([part for piece in pieces for part in (piece, separator)][:-1])

    def by_page(self, found: Sequence[tuple], offsets: int = 1) -> list[list[tuple]]:
        """``found`` (tuples whose first ``offsets`` items are offsets into the joined text) for
        each page, in order, the offsets made the page's own."""
        pages: list[list[tuple]] = [[] for _ in self.starts]
        for item in found:
            page = bisect_right(self.starts, item[0]) - 1
            start = self.starts[page]
            pages[page].append((*(offset - start for offset in item[:offsets]), *item[offsets:]))
        return pages

    def positions_by_page(self, positions: Sequence[int]) -> list[list[int]]:
        """Offsets into the joined text as each page's own, page by page."""
        return [[position for position, in found] for found in self.by_page([(position,) for position in positions])]


@lru_cache(maxsize=2)
def _word_variant_index(resources: Resources) -> StringIndex[str]:
    """The misreadings of `_word_variants`, to find in a text (built once per lexicon, `jiaokan.cache`)."""
    return cached_table("word-variants", lambda: StringIndex(_word_variants(resources)), _lexicon_key(resources, WORD_VARIANT_LENGTHS))


def _word_variants(resources: Resources) -> dict[str, str]:
    """misreading -> frequent word an engine may misread so, one character misread
    (`jiaokan.channel.Channel.misreadings`; built once per process, ~1 s, with its index)."""
    best: dict[str, tuple[int, float, str]] = {}
    for word, frequency in resources.words.frequencies.items():
        floor = WORD_FREQUENCY_FLOOR.get(len(word))
        if floor is None or frequency < floor or not _all_han(word) or (len(word) == 1 and not _is_simplified(word)):
            continue
        for position, character in enumerate(word):
            for misreading, log_probability in resources.channel.misreadings(character, LOOKALIKE_SIMILARITY).items():
                variant = word[:position] + misreading + word[position + 1:]
                if len(word) == 1 and (resources.words.frequency(variant) >= RARE_MISREADING_FREQUENCY or not _closest_lookalike(resources, variant, word)):
                    continue  # only a rare character (酌 for 的) whose closest look-alike this is (夭 is closer to 天 than to 人)
                if len(word) > 1 and variant in resources.words.frequencies:
                    continue
                rank = (frequency, log_probability, word)
                if variant not in best or rank > best[variant]:
                    best[variant] = rank
    return {variant: rank[2] for variant, rank in best.items()}


def _closest_lookalike(resources: Resources, character: str, candidate: str) -> bool:
    """Whether no character looks more like ``character`` than ``candidate`` does."""
    similar = resources.lookalikes.of(character)
    return candidate in similar and similar[candidate] >= max(similar.values())


def _is_simplified(character: str) -> bool:
    """Whether a character is its own simplified form (the word list also counts 這, 爲, 說)."""
    from jiaokan.normalise import simplified

    return simplified(character) == character


#: characters either side of a fix in which the document's own use of a word is counted
DOCUMENT_WINDOW = 5000
#: the document's use of a word adds at most this much to a fix's gain
DOCUMENT_BONUS_CAP = 8.0


def _document_word_bonus(units: str, start: int, word: str, resources: Resources) -> float:
    """How much likelier ``word`` is in this document than in general, as a log ratio (a
    cache language model): 入住 is rare in the word list, but a page about housing that
    prints 入住 elsewhere makes 人住 -> 入住 likely. 0 when the nearby text never has it or
    uses it no more than the word list would predict (但是, 成)."""
    occurrences = units.count(word, max(0, start - DOCUMENT_WINDOW), start + DOCUMENT_WINDOW)
    frequency = resources.words.frequency(word)
    if not occurrences or not frequency:
        return 0.0
    # per a whole window's characters even when the text is shorter: a short text's one use is weak evidence
    ratio = (occurrences / (2 * DOCUMENT_WINDOW)) / (frequency / resources.words.total)
    return min(DOCUMENT_BONUS_CAP, max(0.0, math.log(ratio)))


