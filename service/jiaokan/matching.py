"""Finding every occurrence of a large set of strings in a text, fast.

The single-copy rules look for hundreds of thousands of strings at once (misreadings of
frequent words, swapped pairs, variants of domain terms). An Aho-Corasick automaton
does this in one pass, but pyahocorasick's nodes keep their children in a list, and at
a root with thousands of Han children a pass costs about a microsecond per character.
Here each string length has a sorted array of 64-bit n-gram hashes: a text's n-grams of
that length are hashed in numpy and looked up with one `searchsorted`, and only the
hits are compared as strings (so a hash collision costs time, never a wrong match).
Short texts (a window and its context) are scanned with set lookups instead.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Generic, Iterable, Mapping, TypeVar

import numpy as np

Value = TypeVar("Value")

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(1_000_003)
#: texts shorter than this are scanned in Python (numpy's per-call cost dominates there)
SHORT_TEXT = 48
#: bits of the presence filter: hashes whose top bits hit no entry's are dropped before the
#: binary search (4 MiB per index; at 400,000 strings about one n-gram in ten gets through)
FILTER_BITS = 22


def text_codes(text: str) -> np.ndarray:
    """The code points of ``text`` as 64-bit integers (a lone surrogate is a code point too)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def gram_hashes(codes: np.ndarray, size: int) -> np.ndarray:
    """A 64-bit hash of every ``size``-gram of ``codes`` (polynomial, then mixed)."""
    for length, polynomial in _growing_polynomials(codes, size):
        if length == size:
            return _mix(polynomial)
    return np.zeros(0, dtype=np.uint64)


def _growing_polynomials(codes: np.ndarray, longest: int):
    """(length, polynomial of every gram of that length) for lengths 1..``longest``: each
    length's extends the last one's by a character, so all of them cost what the longest
    alone would (`_mix` turns one into hashes)."""
    polynomial = np.zeros(len(codes), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for length in range(1, min(longest, len(codes)) + 1):
            polynomial = polynomial[:len(codes) - length + 1] * _BASE + codes[length - 1:]
            yield length, polynomial


def _mix(polynomial: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        hashes = polynomial * _MULTIPLIER
        hashes ^= hashes >> np.uint64(29)
    return hashes


class StringIndex(Generic[Value]):
    """A fixed set of non-empty strings, each with a value, to find in texts."""

    def __init__(self, entries: Mapping[str, Value] | Iterable[tuple[str, Value]]) -> None:
        items = entries.items() if isinstance(entries, Mapping) else entries
        self.values: dict[str, Value] = {}
        for string, value in items:
            if string:
                self.values[string] = value
        by_length: dict[int, list[str]] = defaultdict(list)
        for string in self.values:
            by_length[len(string)].append(string)
        self.lengths = sorted(by_length)
        #: first character -> length of the longest string it starts
        self._reach: dict[str, int] = {}
        for string in self.values:
            self._reach[string[0]] = max(self._reach.get(string[0], 0), len(string))
        #: the first two characters of every string longer than one
        self._openings = {string[:2] for string in self.values if len(string) > 1}
        self._first_character = re.compile("[" + "".join(map(re.escape, sorted(self._reach))) + "]" if self._reach else "(?!)")
        self._hashes: dict[int, np.ndarray] = {}
        self._present = np.zeros(1 << FILTER_BITS, dtype=bool)
        for length, strings in by_length.items():
            joined = text_codes("".join(strings)).reshape(len(strings), length)
            polynomial = np.zeros(len(strings), dtype=np.uint64)
            with np.errstate(over="ignore"):
                for offset in range(length):
                    polynomial = polynomial * _BASE + joined[:, offset]
            hashes = _mix(polynomial)
            self._hashes[length] = np.unique(hashes)
            self._present[self._filter_slots(hashes, length)] = True

    @staticmethod
    def _filter_slots(hashes: np.ndarray, length: int) -> np.ndarray:
        """Where each hash falls in the presence filter (the length mixed in, so the lengths share it)."""
        with np.errstate(over="ignore"):
            mixed = hashes + np.uint64(length) * _MULTIPLIER
        return (mixed >> np.uint64(64 - FILTER_BITS)).astype(np.intp)

    def find(self, text: str) -> list[tuple[int, str, Value]]:
        """Every occurrence as (start, string, value), by end, then longest first (as an
        Aho-Corasick pass reports them)."""
        if not self.values or not text:
            return []
        found = self._scan_short(text) if len(text) < SHORT_TEXT else self._scan_hashed(text)
        found.sort(key=lambda hit: (hit[0] + len(hit[1]), -len(hit[1])))
        return [(start, string, self.values[string]) for start, string in found]

    def _scan_short(self, text: str) -> list[tuple[int, str]]:
        values, reach, openings = self.values, self._reach, self._openings
        return [
            (start, text[start:end])
            for start in [match.start() for match in self._first_character.finditer(text)]
            if text[start:start + 2] in openings or text[start] in values
            for end in range(start + 1, min(len(text), start + reach[text[start]]) + 1)
            if text[start:end] in values
        ]

    def _scan_hashed(self, text: str) -> list[tuple[int, str]]:
        found = []
        for length, polynomial in _growing_polynomials(text_codes(text), self.lengths[-1]):
            if length not in self._hashes:
                continue
            hashes = _mix(polynomial)
            starts = np.flatnonzero(self._present[self._filter_slots(hashes, length)])
            hashes = hashes[starts]
            table = self._hashes[length]
            slots = np.minimum(np.searchsorted(table, hashes), len(table) - 1)
            for start in starts[table[slots] == hashes].tolist():
                string = text[start:start + length]
                if string in self.values:  # a hash collision is dropped here
                    found.append((start, string))
        return found
