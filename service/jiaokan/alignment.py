"""Aligning a document with one witness: what the witness reads for each unit of the document.

rapidfuzz gives the Levenshtein opcodes of the two view strings (any alphabet; 20k
characters in ~40 ms). From them every unit of the document gets the witness's
reading: the same unit, another, nothing (the witness lacks it), or more than one
unit (the witness has text the document lacks, attached to the unit before it).
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


@dataclass(frozen=True)
class Reading:
    """What one witness reads over ``[start, end)`` of a document's view, unit by unit."""

    witness: str
    start: int
    end: int
    units: tuple[str, ...]
    matches: int
    #: offsets (from ``start``) of the units the witness reads otherwise
    differences: tuple[int, ...] = ()

    def agreement(self) -> float:
        """Share of the document's units the witness reads the same."""
        return self.matches / max(self.end - self.start, 1)


def align(document_units: str, witness_units: str) -> tuple[list[str], int]:
    """The witness's reading of every unit of ``document_units`` and how many are equal."""
    readings, matches, _ = align_with_differences(document_units, witness_units)
    return readings, matches


def align_with_differences(document_units: str, witness_units: str) -> tuple[list[str], int, list[int]]:
    """`align`, plus the offsets of the units the witness reads otherwise (from the opcodes,
    so finding disputes costs the number of differences, not the length)."""
    readings = list(document_units)  # where the copies agree, the witness reads the document's units
    matches = 0
    leading = ""
    differences: list[int] = []
    # the hint (copies differ on a few percent of units) lets rapidfuzz skip most of the matrix;
    # it doubles the hint itself when the copies differ more
    hint = max(8, max(len(document_units), len(witness_units)) // 16)
    for tag, document_start, document_end, witness_start, witness_end in Levenshtein.opcodes(document_units, witness_units, score_hint=hint):
        if tag == "equal":
            matches += document_end - document_start
        elif tag == "replace":
            _distribute(readings, document_start, document_end, witness_units[witness_start:witness_end])
            differences.extend(range(document_start, document_end))
        elif tag == "insert":
            extra = witness_units[witness_start:witness_end]
            if document_start == 0:
                leading += extra
            else:
                readings[document_start - 1] += extra
            differences.append(max(document_start - 1, 0))
        else:  # "delete": the witness reads nothing for these units
            readings[document_start:document_end] = [""] * (document_end - document_start)
            differences.extend(range(document_start, document_end))
    if leading and readings:
        readings[0] = leading + readings[0]
    return readings, matches, sorted(set(differences))


def _distribute(readings: list[str], start: int, end: int, replacement: str) -> None:
    """Spread a replaced block unit by unit; the longer side's rest goes to the last unit."""
    length = end - start
    for offset in range(length):
        if offset < length - 1:
            readings[start + offset] = replacement[offset:offset + 1]
        else:
            readings[start + offset] = replacement[offset:]


def read_witness(document_units: str, start: int, end: int, witness: str, witness_units: str, witness_start: int, witness_end: int) -> Reading:
    """The witness's reading of the document's units ``[start, end)``."""
    units, matches, differences = align_with_differences(document_units[start:end], witness_units[witness_start:witness_end])
    return Reading(witness, start, end, tuple(units), matches, tuple(differences))
