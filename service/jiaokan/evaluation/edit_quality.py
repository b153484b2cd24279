"""Precision and recall of a run's edits, judged against gold text.

An edit's offsets point into the noisy input. The noisy input is aligned with the gold text
(RapidFuzz opcodes), so every noisy offset has a gold offset. An edit is judged on a window
around it (``CONTEXT`` characters either side, mapped to gold): applying it alone must bring
that window closer to gold (folded as the CER is folded).

- correct: the window's distance to gold goes down;
- wrong: it goes up (a wrong edit on a window that had no error is also a false correction);
- neutral: no change once folded (e.g. ，→, width or whitespace fixes) — not counted in precision.

precision = correct / (correct + wrong); errors present = distance(gold, noisy); errors fixed =
distance(gold, noisy) - distance(gold, noisy with the correct edits applied); recall = fixed / present.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from jiaokan.edits import Edit, apply_edits
from jiaokan.errors import InputError
from jiaokan.evaluation.cer import measure

#: characters of context either side of an edit when judging it
CONTEXT = 6


@dataclass
class EditCounts:
    """How the edits of one document (or several, summed) fared."""

    edits: int = 0
    correct: int = 0
    wrong: int = 0
    neutral: int = 0
    on_correct_text: int = 0
    errors_present: int = 0
    errors_fixed: int = 0
    wrong_examples: list = field(default_factory=list)

    def __add__(self, other: "EditCounts") -> "EditCounts":
        return EditCounts(
            self.edits + other.edits, self.correct + other.correct, self.wrong + other.wrong,
            self.neutral + other.neutral, self.on_correct_text + other.on_correct_text,
            self.errors_present + other.errors_present, self.errors_fixed + other.errors_fixed,
            (self.wrong_examples + other.wrong_examples)[:20],
        )

    @property
    def precision(self) -> float:
        judged = self.correct + self.wrong
        return self.correct / judged if judged else 1.0

    @property
    def recall(self) -> float:
        return self.errors_fixed / self.errors_present if self.errors_present else 1.0

    def to_dict(self) -> dict:
        return {
            "edits": self.edits, "correct": self.correct, "wrong": self.wrong, "neutral": self.neutral,
            "on_correct_text": self.on_correct_text, "errors_present": self.errors_present,
            "errors_fixed": self.errors_fixed, "precision": self.precision, "recall": self.recall,
            "wrong_examples": self.wrong_examples,
        }


def noisy_to_gold_offsets(noisy: str, gold: str) -> list[int]:
    """For every offset 0..len(noisy) of the noisy text, the matching offset in gold."""
    from rapidfuzz.distance import Levenshtein

    mapping = [0] * (len(noisy) + 1)
    for tag, noisy_start, noisy_end, gold_start, gold_end in Levenshtein.opcodes(noisy, gold):
        for offset in range(noisy_start, noisy_end):
            if tag in ("equal", "replace"):
                mapping[offset] = min(gold_start + (offset - noisy_start), gold_end)
            else:  # deleted from noisy: maps to where gold resumes
                mapping[offset] = gold_start
    mapping[len(noisy)] = len(gold)
    return mapping


def judge_edits(gold: str, noisy: str, edits: Sequence[Edit], *, fold_width: bool = True,
                fold_whitespace: bool = True) -> EditCounts:
    """Judge each edit alone, then measure what the correct ones fix together."""
    options = {"fold_width": fold_width, "fold_whitespace": fold_whitespace}
    mapping = noisy_to_gold_offsets(noisy, gold)
    counts = EditCounts(edits=len(edits))
    correct_edits = []
    for edit in edits:
        window_start = max(0, edit.start - CONTEXT)
        window_end = min(len(noisy), edit.end + CONTEXT)
        gold_window = gold[mapping[window_start]:mapping[window_end]]
        before = noisy[window_start:window_end]
        after = noisy[window_start:edit.start] + edit.replacement + noisy[edit.end:window_end]
        distance_before = measure(gold_window, before, **options).distance
        distance_after = measure(gold_window, after, **options).distance
        if distance_after < distance_before:
            counts.correct += 1
            correct_edits.append(edit)
        elif distance_after > distance_before:
            counts.wrong += 1
            if distance_before == 0:
                counts.on_correct_text += 1
            if len(counts.wrong_examples) < 20:
                counts.wrong_examples.append({"start": edit.start, "original": edit.original,
                                              "replacement": edit.replacement, "rule": edit.rule,
                                              "gold": gold_window, "noisy": before})
        else:
            counts.neutral += 1
    counts.errors_present = measure(gold, noisy, **options).distance
    fixed_text = apply_edits(noisy, correct_edits)
    counts.errors_fixed = max(0, counts.errors_present - measure(gold, fixed_text, **options).distance)
    return counts


def read_edit_records(lines: Iterable[str]) -> list[tuple[Edit, str]]:
    """(edit, status) from JSON lines as the batch writes them (``Edit.to_dict()`` + ``status``)."""
    import json

    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            records.append((Edit.from_dict(data), str(data.get("status", "applied"))))
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"edit record on line {number} is not an edit: {error}") from error
    return records
