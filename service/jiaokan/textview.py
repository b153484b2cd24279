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

from jiaokan.script import COMPARISON_FOLD

#: what is not a plain one-to-one unit: skipped layout, ellipsis and dash runs, marks to fold
_SPECIAL = re.compile(
    r"(?P<skip>\s+|\*+|#+|_{2,}|`+)"
    r"|(?P<ellipsis>[.．。…]{3,}|…{1,2}|⋯+)"
    r"|(?P<dash>—+|―+|－{2,})"
    r"|(?P<char>[,:;!?()．｡﹐.，])"
)
#: the characters a `_SPECIAL` match can start with: regular expressions scan fast for a
#: character class, slowly for a choice among groups, so matches are looked for where these are
_SPECIAL_START = re.compile(r"[\s*#_`.．。…⋯—―－,:;!?()｡﹐，]")
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
    while (start := _SPECIAL_START.search(text, position)) is not None:
        match = _SPECIAL.match(text, start.start())
        if match is None:
            position = start.start() + 1
        else:
            yield match
            position = match.end()


def build_view(text: str) -> TextView:
    """The content view of ``text``."""
    units: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for match in _special_matches(text):
        if match.start() > cursor:  # plain characters: one unit each, as they are
            units.append(text[cursor:match.start()])
            starts.extend(range(cursor, match.start()))
            ends.extend(range(cursor + 1, match.start() + 1))
        cursor = match.end()
        group = match.lastgroup
        if group == "skip":
            continue
        if group == "ellipsis":
            symbol = ELLIPSIS
        elif group == "dash":
            symbol = DASH
        elif match.group() == "." and match.start() > 0 and text[match.start() - 1].isascii() and text[match.start() - 1].isalnum():
            symbol = "."  # 3.5, v1.2: a decimal point, not a full stop
        else:
            symbol = match.group().translate(COMPARISON_FOLD)
        units.append(symbol)
        starts.append(match.start())
        ends.append(match.end())
    if cursor < len(text):
        units.append(text[cursor:])
        starts.extend(range(cursor, len(text)))
        ends.extend(range(cursor + 1, len(text) + 1))
    return TextView(text, "".join(units), array("i", starts), array("i", ends))
