"""Content views of a text: what copies are compared on, with a map back to original offsets.

A view drops whitespace and markup residue and folds punctuation variants (width,
ellipsis and dash runs) into one symbol each, so copies that differ only in layout
compare equal. Each view unit remembers the span of the original it came from, so a
decision about view units becomes an `Edit` on the original text.
"""
from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from jiaokan.script import COMPARISON_FOLD, search_from_starts

#: what is not one unit per character: skipped layout, ellipsis and dash runs, and the full
#: stop (a decimal point after a Latin letter or a digit); every other mark is one unit,
#: folded by `COMPARISON_FOLD`
_SPECIAL = re.compile(
    r"(?P<skip>\s+|\*+|#+|_{2,}|`+)"
    r"|(?P<ellipsis>[.．。…]{3,}|…{1,2}|⋯+)"
    r"|(?P<dash>—+|―+|－{2,})"
    r"|(?P<stop>\.)"
)
#: the characters a `_SPECIAL` match can start with: regular expressions scan fast for a
#: character class, slowly for a choice among groups, so matches are looked for where these are
_SPECIAL_START = re.compile(r"[\s*#_`.．。…⋯—―－]")
ELLIPSIS = "…"
DASH = "—"
#: how a view symbol is written back into text
DISPLAY = {ELLIPSIS: "……", DASH: "——"}


@dataclass(frozen=True)
class TextView:
    """``units[i]`` is the folded symbol of ``original[starts[i]:ends[i]]``."""

    original: str
    units: str
    starts: Sequence[int]  # array('i'): a view of a 20-million-character corpus stays small
    ends: Sequence[int]

    def __len__(self) -> int:
        return len(self.units)


def display(symbol_run: str) -> str:
    """Text for a run of view symbols (an ellipsis symbol becomes ……)."""
    return "".join(DISPLAY.get(symbol, symbol) for symbol in symbol_run)


def _special_matches(text: str):
    """``_SPECIAL.finditer(text)``, tried only where a match can start."""
    position = 0
    while (match := search_from_starts(_SPECIAL, text, position, _SPECIAL_START)) is not None:
        yield match
        position = match.end()


def build_view(text: str) -> TextView:
    """The content view of ``text``: a unit for each `_SPECIAL` match but skipped layout, and
    one for each character between them (`_folded`; their offsets are made in numpy: building
    a Python integer for each character of a corpus cost more than anything else here)."""
    folded = _folded(text)
    pieces: list[str] = []
    kept = np.ones(len(text), dtype=bool)  # the characters a unit starts at
    run_starts: list[int] = []  # units of more than one character: where they start and end
    run_ends: list[int] = []
    cursor = 0
    for match in _special_matches(text):
        start, end = match.span()
        if start > cursor:
            pieces.append(folded[cursor:start])
        cursor = end
        kept[start + 1:end] = False
        group = match.lastgroup
        if group == "skip":
            kept[start] = False
            continue
        if group == "ellipsis":
            symbol = ELLIPSIS
        elif group == "dash":
            symbol = DASH
        elif start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
            symbol = "."  # 3.5, v1.2: a decimal point, not a full stop
        else:
            symbol = match.group().translate(COMPARISON_FOLD)
        pieces.append(symbol)
        if end - start > 1:
            run_starts.append(start)
            run_ends.append(end)
    if cursor < len(text):
        pieces.append(folded[cursor:])
    starts = np.flatnonzero(kept).astype(np.int32)
    ends = starts + 1
    if run_starts:
        ends[np.searchsorted(starts, run_starts)] = run_ends
    return TextView(text, "".join(pieces), _integer_array(starts), _integer_array(ends))


#: what `COMPARISON_FOLD` changes but the full stop (a `_SPECIAL` match of its own)
_FOLDED_MARKS = [(chr(code), mark) for code, mark in COMPARISON_FOLD.items() if chr(code) not in (mark, ".")]


def _folded(text: str) -> str:
    """``text`` with every mark `COMPARISON_FOLD` folds folded, but the full stop (one
    `str.replace` for each mark the text holds: `str.translate` looks each character up)."""
    for mark, replacement in _FOLDED_MARKS:
        if mark in text:
            text = text.replace(mark, replacement)
    return text


def _integer_array(values: np.ndarray) -> array:
    """32-bit integers as an `array.array` (indexing it gives Python integers, never numpy's)."""
    result = array("i")
    result.frombytes(values.tobytes())
    return result
