"""The edit model: every change jiaokan proposes is an `Edit` over the original text.

An edit replaces ``original[start:end]`` with ``replacement`` and says why (``rule``,
``kind``, ``confidence``, ``evidence``). Edits of one result never overlap, so any
subset of them can be applied and the text derived again: `apply_edits` is the one
place that does it. Where copies differ and nothing is changed (an edition's own
reading), the result records a `Variant` instead.
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


@dataclass(frozen=True, order=True)
class Variant:
    """Where other copies read ``[start, end)`` of the input otherwise and jiaokan changed
    nothing: an edition's own reading, or a difference too doubtful to call an OCR error.
    Never applied; reported as a critical apparatus reports readings (``readings``: each
    document's reading, this one's first), with ``reason`` and the ``evidence`` weighed."""

    start: int
    end: int
    original: str
    readings: tuple[tuple[str, str], ...] = field(compare=False)
    reason: str = field(compare=False)
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the wire and file format of a variant)."""
        return {
            "start": self.start,
            "end": self.end,
            "original": self.original,
            "readings": [{"document": document, "reading": reading} for document, reading in self.readings],
            "reason": self.reason,
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Variant":
        """The inverse of `to_dict`."""
        return cls(
            start=int(data["start"]),
            end=int(data["end"]),
            original=str(data["original"]),
            readings=tuple((str(item["document"]), str(item["reading"])) for item in data.get("readings") or ()),
            reason=str(data.get("reason", "")),
            evidence=dict(data.get("evidence") or {}),
        )


def edit_sort_key(edit: Edit) -> tuple[int, int, str, str]:
    """Insertions at a point sort before a replacement starting there."""
    return (edit.start, edit.end, edit.rule, edit.replacement)


def common_ends(first: str, second: str) -> tuple[int, int]:
    """How many characters ``first`` and ``second`` share at the start, then at the end
    (not counting the start again): what an edit between them need not touch."""
    shortest = min(len(first), len(second))
    prefix = 0
    while prefix < shortest and first[prefix] == second[prefix]:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and first[-1 - suffix] == second[-1 - suffix]:
        suffix += 1
    return prefix, suffix


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
    kept_spans: list[tuple[int, int]] = []
    kept: list[Edit] = []
    for candidate in sorted(edits, key=lambda edit: (rank(edit), edit_sort_key(edit))):
        span = (candidate.start, candidate.end)
        position = bisect.bisect_left(kept_spans, span)
        # kept edits do not overlap, so only these can overlap the candidate: the two before
        # (an insertion and a replacement may share a start) and the ones starting at or after it
        neighbours = kept[max(position - 2, 0):position + 2]
        if not any(_overlaps(candidate, other) for other in neighbours):
            kept_spans.insert(position, span)
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


def compose_edits(original: str, first: Iterable[Edit], second: Iterable[Edit]) -> list[Edit]:
    """Edits over ``original`` equal to applying ``first``, then ``second`` (edits over the
    text ``first`` gives): ``apply_edits(original, compose_edits(original, first, second)) ==
    apply_edits(apply_edits(original, first), second)``.

    A second edit touching text a first edit wrote (or the point where one deleted) is
    merged with it into one edit over the original, named after the earlier rule, with
    every rule listed in its evidence under ``rules`` and the lowest confidence.
    """
    first = check_edits(original, first)
    intermediate = apply_edits(original, first)
    second = check_edits(intermediate, second)
    if not second:
        return first
    written = _written_spans(first)  # where each first edit's replacement sits in the intermediate text
    span_ends = [end for _, end in written]
    shifts = list(_running_shifts(first))
    parents = list(range(len(first) + len(second)))

    def root(index: int) -> int:
        while parents[index] != index:
            parents[index] = parents[parents[index]]
            index = parents[index]
        return index

    for position, edit in enumerate(second):
        for index in range(bisect.bisect_left(span_ends, edit.start), len(first)):
            start, end = written[index]
            if start > edit.end:
                break
            parents[root(len(first) + position)] = root(index)  # they touch or overlap: one edit
    groups: dict[int, list[int]] = {}
    for index in range(len(first) + len(second)):
        groups.setdefault(root(index), []).append(index)
    composed = []
    for members in groups.values():
        firsts = [first[index] for index in members if index < len(first)]
        seconds = [second[index - len(first)] for index in members if index >= len(first)]
        if not seconds:
            composed.extend(firsts)
            continue
        composed += _merged(original, intermediate, firsts, seconds, [written[index] for index in members if index < len(first)], span_ends, shifts)
    return sorted(composed, key=edit_sort_key)


def _written_spans(edits: list[Edit]) -> list[tuple[int, int]]:
    spans, shift = [], 0
    for edit in edits:
        start = edit.start + shift
        spans.append((start, start + len(edit.replacement)))
        shift += len(edit.replacement) - (edit.end - edit.start)
    return spans


def _running_shifts(edits: list[Edit]):
    shift = 0
    for edit in edits:
        shift += len(edit.replacement) - (edit.end - edit.start)
        yield shift


def _merged(original, intermediate, firsts, seconds, spans, span_ends, shifts) -> list[Edit]:
    """One edit over ``original`` for a group of touching first and second edits."""

    def to_original(position: int) -> int:  # a position of the intermediate text outside the group's first edits
        before = bisect.bisect_right(span_ends, position)  # first edits written wholly before it
        return position - (shifts[before - 1] if before else 0)

    def outside_firsts(position: int) -> bool:  # inside a first edit's text, that edit's bounds hold
        return not any(span_start <= position <= span_end for span_start, span_end in spans)

    low = min([start for start, _ in spans] + [edit.start for edit in seconds])
    high = max([end for _, end in spans] + [edit.end for edit in seconds])
    start = min([edit.start for edit in firsts] + [to_original(edit.start) for edit in seconds if outside_firsts(edit.start)])
    end = max([edit.end for edit in firsts] + [to_original(edit.end) for edit in seconds if outside_firsts(edit.end)])
    pieces, cursor = [], low
    for edit in seconds:
        pieces += [intermediate[cursor:edit.start], edit.replacement]
        cursor = edit.end
    pieces.append(intermediate[cursor:high])
    replacement = "".join(pieces)
    if original[start:end] == replacement:
        return []  # the second pass undid the first
    members = sorted(firsts + seconds, key=lambda edit: edit.confidence)
    named = firsts[0] if firsts else seconds[0]
    evidence = {**named.evidence, "rules": sorted({edit.rule for edit in members})}
    return [Edit(start, end, original[start:end], replacement, named.rule, named.kind, members[0].confidence, evidence)]
