"""The measures of `python -m bench.real`, kept apart from the harness so fitting scripts reuse them.

Texts are compared after `jiaokan.evaluation.cer.fold` (width and whitespace folded). Content
characters are what is left of a folded text once punctuation and symbols are dropped: letters,
digits and Han characters (Unicode categories L* and N*). OCR engines and the reference disagree
on punctuation by convention, so content characters are the headline; the folded text with its
punctuation is the second figure. Distances are Levenshtein distances over code points (RapidFuzz).

- `score_unit`: errors before and after, made worse or better, and the changed characters of a
  line or document whose input, output and gold have content of one length (right where the
  output reads the gold's character);
- `label_edit`: an edit is right when applying it alone strictly lowers the content distance
  to the gold (on clean text, where gold is the input, no content edit can be right);
- `calibration_table`: content edits by confidence band against the share that was right, and
  the expected calibration error;
- `content_span` and `map_span`: where a stretch of one text reads in another, for the editions'
  change sites;
- `content_errors_by_part`: a page's content errors attributed to the articles on it.
"""
from __future__ import annotations

import bisect
import unicodedata
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Iterable, Sequence

from rapidfuzz.distance import OSA, Indel, Levenshtein

from jiaokan.edits import Edit, apply_edits
from jiaokan.evaluation.cer import fold

#: confidence bands of the calibration table: [low, high), the last one closed
CONFIDENCE_BANDS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 0.98), (0.98, 1.0))


@lru_cache(maxsize=None)
def _content_of_character(character: str) -> str:
    """What one character leaves of a text's content (folded character by character, so each content
    character keeps the offset it came from; Chinese text has no combining marks for NFC to join)."""
    return "".join(folded for folded in fold(character) if unicodedata.category(folded)[0] in "LN")


def content(text: str) -> str:
    """The content characters of ``text``: folded, then letters, digits and Han only."""
    return "".join(map(_content_of_character, text))


def content_with_offsets(text: str) -> tuple[str, list[int]]:
    """`content` of ``text`` and, for each of its characters, the offset in ``text`` it came from."""
    characters, offsets = [], []
    for offset, character in enumerate(text):
        for kept in _content_of_character(character):
            characters.append(kept)
            offsets.append(offset)
    return "".join(characters), offsets


def content_distance(first: str, second: str) -> int:
    """Levenshtein distance between the content characters of two texts."""
    return Levenshtein.distance(content(first), content(second))


# ---------------------------------------------------------------- lines and documents


@dataclass
class Tally:
    """Sums over lines or documents (units); add two with ``+``."""

    units: int = 0
    #: gold content characters, and content errors of the input and of the output
    characters: int = 0
    errors_before: int = 0
    errors_after: int = 0
    #: the same over folded text with punctuation
    folded_characters: int = 0
    folded_errors_before: int = 0
    folded_errors_after: int = 0
    worse: int = 0
    better: int = 0
    #: units whose input, output and gold content are of one length, and their changed characters
    length_matched_units: int = 0
    changed_characters: int = 0
    changed_characters_right: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(**{item.name: getattr(self, item.name) + getattr(other, item.name) for item in fields(self)})

    def summary(self) -> dict:
        """The counts and the rates derived from them."""
        return asdict(self) | {
            "cer_before": _ratio(self.errors_before, self.characters),
            "cer_after": _ratio(self.errors_after, self.characters),
            "folded_cer_before": _ratio(self.folded_errors_before, self.folded_characters),
            "folded_cer_after": _ratio(self.folded_errors_after, self.folded_characters),
            "errors_removed": _ratio(self.errors_before - self.errors_after, self.errors_before),
            "folded_errors_removed": _ratio(self.folded_errors_before - self.folded_errors_after,
                                            self.folded_errors_before),
            "changed_characters_precision": _ratio(self.changed_characters_right, self.changed_characters),
        }


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def score_unit(text: str, output: str, gold: str) -> Tally:
    """The tally of one line or document: ``text`` went in, ``output`` came out, ``gold`` is right."""
    text_content, output_content, gold_content = content(text), content(output), content(gold)
    before = Levenshtein.distance(text_content, gold_content)
    after = Levenshtein.distance(output_content, gold_content)
    folded_gold = fold(gold)
    tally = Tally(
        units=1, characters=len(gold_content), errors_before=before, errors_after=after,
        folded_characters=len(folded_gold),
        folded_errors_before=Levenshtein.distance(fold(text), folded_gold),
        folded_errors_after=Levenshtein.distance(fold(output), folded_gold),
        worse=int(after > before), better=int(after < before),
    )
    if len(text_content) == len(output_content) == len(gold_content):
        changed = [index for index, (read, written) in enumerate(zip(text_content, output_content)) if read != written]
        tally.length_matched_units = 1
        tally.changed_characters = len(changed)
        tally.changed_characters_right = sum(output_content[index] == gold_content[index] for index in changed)
    return tally


# ---------------------------------------------------------------- edits


def is_content_edit(edit: Edit) -> bool:
    """Does the edit change content characters (not only width, spaces, punctuation or layout)?"""
    return content(edit.original) != content(edit.replacement)


def label_edit(noisy: str, gold: str, edit: Edit) -> bool:
    """Is ``edit`` right: does applying it alone to ``noisy`` strictly lower the content distance to
    ``gold``? Where the content distance stays the same, errors can trade places: a swap counts
    two there (风险险化强 against 风险强化: removing the doubled 险 leaves 化强 for 强化, still two),
    so the distance that counts a swap once decides (OSA, as the OCR channel does); then the
    distance of the whole text, marks included (改，具具有 against 改革，具有: the doubled 具 stands
    where 革 was dropped, which only the comma shows)."""
    gold_content = content(gold)
    corrected = apply_edits(noisy, [edit])
    noisy_content, corrected_content = content(noisy), content(corrected)
    for distance, (before_text, after_text, target) in (
            (Levenshtein.distance, (noisy_content, corrected_content, gold_content)),
            (OSA.distance, (noisy_content, corrected_content, gold_content)),
            (Levenshtein.distance, (noisy, corrected, gold))):
        before, after = distance(before_text, target), distance(after_text, target)
        if after != before:
            return after < before
    return False


def confidence_band(confidence: float) -> int:
    """The index of the band of `CONFIDENCE_BANDS` that holds ``confidence``."""
    for index, (_, high) in enumerate(CONFIDENCE_BANDS[:-1]):
        if confidence < high:
            return index
    return len(CONFIDENCE_BANDS) - 1


def calibration_table(labelled: Iterable[tuple[float, bool]]) -> dict:
    """Bands of (confidence, right) pairs: count, mean confidence, share right; and the ECE.

    ECE = Σ n_b / N · |share right_b − mean confidence_b| over the bands that hold edits.
    """
    counts = [0] * len(CONFIDENCE_BANDS)
    confidence_sums = [0.0] * len(CONFIDENCE_BANDS)
    right_counts = [0] * len(CONFIDENCE_BANDS)
    for confidence, right in labelled:
        band = confidence_band(confidence)
        counts[band] += 1
        confidence_sums[band] += confidence
        right_counts[band] += int(right)
    total = sum(counts)
    bands, error = [], 0.0
    for (low, high), count, confidence_sum, right_count in zip(CONFIDENCE_BANDS, counts, confidence_sums, right_counts):
        mean_confidence = _ratio(confidence_sum, count)
        share_right = _ratio(right_count, count)
        if count:
            error += count / total * abs(share_right - mean_confidence)
        bands.append({"low": low, "high": high, "count": count, "right": right_count,
                      "mean_confidence": mean_confidence, "share_right": share_right})
    return {"edits": total, "right": sum(right_counts), "bands": bands,
            "expected_calibration_error": error if total else None}


# ---------------------------------------------------------------- where a stretch reads in another text


def content_span(offsets: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """The content positions of the text offsets [start, end) (from `content_with_offsets`);
    an empty stretch maps to the point before the first content character at or after ``start``."""
    return bisect.bisect_left(offsets, start), bisect.bisect_left(offsets, end)


def map_span(source: str, target: str, start: int, end: int) -> tuple[int, int]:
    """Where ``source[start:end]`` reads in ``target``, by their alignment of longest common
    subsequence (RapidFuzz Indel opcodes: a Levenshtein alignment pairs an insertion with a
    deletion nearby as substitutions, which moves an inserted sentence onto a dropped one).

    What ``target`` inserts at either edge of the stretch counts as read there: an empty stretch
    reads as what ``target`` inserted at that point, or nothing.
    """
    first = [len(target)] * (len(source) + 1)   # the leftmost target position of each source boundary
    last = [0] * (len(source) + 1)              # the rightmost
    for tag, source_start, source_end, target_start, target_end in Indel.opcodes(source, target):
        for boundary in range(source_start, source_end + 1):
            if tag == "equal":
                low = high = target_start + boundary - source_start
            else:  # a deletion lands on one point; an insertion spans what it inserts
                low, high = target_start, target_end
            first[boundary] = min(first[boundary], low)
            last[boundary] = max(last[boundary], high)
    return first[start], max(first[start], last[end])


def content_errors_by_part(gold_parts: Sequence[str], predicted: str) -> list[int]:
    """Content errors of ``predicted`` against the gold parts read one after another, each error
    given to the part its gold position falls in (an insertion to the part before it)."""
    gold_characters: list[str] = []
    owner: list[int] = []
    for index, part in enumerate(gold_parts):
        part_content = content(part)
        gold_characters.append(part_content)
        owner.extend([index] * len(part_content))
    errors = [0] * len(gold_parts)
    if not gold_parts:
        return errors
    for operation in Levenshtein.editops("".join(gold_characters), content(predicted)):
        position = operation.src_pos - 1 if operation.tag == "insert" else operation.src_pos
        errors[owner[max(position, 0)] if owner else 0] += 1
    return errors
