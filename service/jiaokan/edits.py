"""The edit model: every change jiaokan proposes is an `Edit` over the original text.

An edit replaces ``original[start:end]`` with ``replacement`` and says why (``rule``,
``kind``, ``confidence``, ``evidence``). Edits of one result never overlap, so any
subset of them can be applied and the text derived again: `apply_edits` is the one
place that does it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import bisect
from typing import Any, Callable, Iterable, Mapping

from jiaokan.errors import EditConflictError

#: kinds of edit, by the stage that proposes them
NORMALISATION = "normalisation"
CONSENSUS = "consensus"
REPAIR = "repair"
KINDS = (NORMALISATION, CONSENSUS, REPAIR)


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``original`` at ``[start, end)`` of the input with ``replacement``."""

    start: int
    end: int
    original: str
    replacement: str
    rule: str = field(compare=False)
    kind: str = field(compare=False)
    confidence: float = field(compare=False)
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the wire and file format of an edit)."""
        return {
            "start": self.start,
            "end": self.end,
            "original": self.original,
            "replacement": self.replacement,
            "rule": self.rule,
            "kind": self.kind,
            "confidence": self.confidence,
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Edit":
        """The inverse of `to_dict`; unknown keys (``status``, ``id``) are ignored."""
        return cls(
            start=int(data["start"]),
            end=int(data["end"]),
            original=str(data["original"]),
            replacement=str(data["replacement"]),
            rule=str(data["rule"]),
            kind=str(data["kind"]),
            confidence=float(data["confidence"]),
            evidence=dict(data.get("evidence") or {}),
        )


def edit_sort_key(edit: Edit) -> tuple[int, int, str, str]:
    """Insertions at a point sort before a replacement starting there."""
    return (edit.start, edit.end, edit.rule, edit.replacement)


def check_edits(original: str, edits: Iterable[Edit]) -> list[Edit]:
    """Sorted edits, after checking each matches ``original`` and none overlap."""
    ordered = sorted(edits, key=edit_sort_key)
    previous_end = 0
    previous_point = -1
    for edit in ordered:
        if not 0 <= edit.start <= edit.end <= len(original):
            raise EditConflictError(f"edit span {edit.start}..{edit.end} outside text of {len(original)} characters")
        if original[edit.start:edit.end] != edit.original:
            raise EditConflictError(
                f"edit at {edit.start}..{edit.end} expects {edit.original!r}, text has {original[edit.start:edit.end]!r}"
            )
        if edit.start < previous_end:
            raise EditConflictError(f"edit at {edit.start}..{edit.end} overlaps the previous edit")
        if edit.start == edit.end and edit.start == previous_point:
            raise EditConflictError(f"two insertions at {edit.start}")
        previous_end = edit.end
        previous_point = edit.start if edit.start == edit.end else -1
    return ordered


def apply_edits(original: str, edits: Iterable[Edit]) -> str:
    """The text with ``edits`` applied; raises `EditConflictError` if they do not fit."""
    pieces: list[str] = []
    cursor = 0
    for edit in check_edits(original, edits):
        pieces.append(original[cursor:edit.start])
        pieces.append(edit.replacement)
        cursor = edit.end
    pieces.append(original[cursor:])
    return "".join(pieces)


def resolve_overlaps(edits: Iterable[Edit], rank: Callable[[Edit], Any]) -> list[Edit]:
    """Keep a non-overlapping subset: on conflict the edit with the lower ``rank`` wins."""
    kept_starts: list[int] = []
    kept: list[Edit] = []
    for candidate in sorted(edits, key=lambda edit: (rank(edit), edit_sort_key(edit))):
        position = bisect.bisect_left(kept_starts, candidate.start)
        neighbours = kept[max(position - 1, 0):position + 2]
        if not any(_overlaps(candidate, other) for other in neighbours):
            kept_starts.insert(position, candidate.start)
            kept.insert(position, candidate)
    return sorted(kept, key=edit_sort_key)


def _overlaps(first: Edit, second: Edit) -> bool:
    if first.start == first.end or second.start == second.end:
        # an insertion conflicts with an edit strictly covering its point, or another insertion there
        point, other = (first, second) if first.start == first.end else (second, first)
        if other.start == other.end:
            return point.start == other.start
        return other.start < point.start < other.end
    return first.start < second.end and second.start < first.end
