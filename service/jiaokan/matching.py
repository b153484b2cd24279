"""Finding every occurrence of a large set of strings in a text, fast.

The single-copy rules look for hundreds of thousands of strings at once (misreadings of
frequent words, swapped pairs, variants of domain terms). An Aho-Corasick automaton
does this in one pass, but pyahocorasick's nodes keep their children in a list, and at
a root with thousands of Han children a pass costs about a microsecond per character.
Here every string has a 64-bit hash of its characters and its length, all in one sorted
array: a text's n-grams of every length the index holds are hashed in numpy and looked
up together, with one `searchsorted` (a page of text costs a dozen numpy calls, whatever
the lengths), and only the hits are compared as strings (so a hash collision costs time,
never a wrong match). Strings of one character are found by a table of code points, so
that the n-grams of the others are looked up only where the text has the first two
characters of one.
Short texts (a window and its context) are scanned with set lookups instead, where the
index is small enough to keep its strings in a dict as well. The hashes
wrap around modulo 2**64 as intended: numpy checks integer overflow only in arithmetic on
scalars, never on arrays, so every product here is taken on arrays (no ``np.errstate``,
which costs a few microseconds each time, dozens of times a page).

`IntegerTable` is the lookup underneath: sorted integers behind a presence filter, so
an integer that is not there (most of a text's n-grams) costs one cache miss, not a
binary search's dozen. The single-copy rules also use it for character pairs, two code
points packed into one integer (`pair_codes`).
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
#: an index of more strings than this scans short texts by hashes too (it keeps no dict)
SHORT_SCAN_LIMIT = 50_000
#: most bits of a presence filter: integers whose slot holds no entry's are dropped before
#: the binary search (one bit per slot, at most 4 MiB per table; at 400,000 strings about one
#: n-gram in eighty gets through: the binary search, a cache miss a step, is what a scan
#: costs most)
FILTER_BITS = 25
#: a filter has at least this many slots per entry (fewer bits for a small table)
FILTER_SLOTS_PER_ENTRY = 64
#: `IntegerTable.contains` searches this many values or fewer without the filter
DIRECT_SEARCH = 64
#: bits of a code point: two of them make one integer (`pair_codes`)
CODE_POINT_BITS = 21


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` as 64-bit integers (a lone surrogate is a code point too)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def text_codes(text: str) -> np.ndarray:
    """`code_points` of a page the single-copy rules scan (read-only: the last text's are
    kept, since the rules scan a page in turn; a whole corpus or an index's strings, asked
    about once, go to `code_points` and are not kept)."""
    return _last_text_arrays(text, with_pairs=False)[0]


def text_pairs(text: str) -> np.ndarray:
    """Each two neighbouring characters of ``text`` as one integer (`pair_codes`; read-only, as `text_codes`)."""
    return _last_text_arrays(text, with_pairs=True)[1]


#: the text `text_codes` or `text_pairs` was last asked about, and its arrays (pairs: None until asked for)
_last_text: tuple[str, np.ndarray, np.ndarray | None] = ("", np.zeros(0, dtype=np.uint64), None)


def _last_text_arrays(text: str, with_pairs: bool) -> tuple[np.ndarray, np.ndarray | None]:
    global _last_text
    last, codes, pairs = _last_text  # one read: another thread may replace it, never change it
    if last is not text:
        codes = code_points(text)
        codes.flags.writeable = False
        pairs = None
        _last_text = (text, codes, pairs)
    if with_pairs and pairs is None:
        pairs = pair_codes(codes[:-1], codes[1:])
        pairs.flags.writeable = False
        _last_text = (text, codes, pairs)
    return codes, pairs


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
    for length in range(1, min(longest, len(codes)) + 1):
        polynomial = polynomial[:len(codes) - length + 1] * _BASE + codes[length - 1:]
        yield length, polynomial


def _keyed(hashes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A string's key: its hash with its length mixed in, so strings of every length share one table."""
    return hashes + lengths * _MULTIPLIER


def _mix(polynomial: np.ndarray) -> np.ndarray:
    hashes = polynomial * _MULTIPLIER
    hashes ^= hashes >> np.uint64(29)
    return hashes


class StringIndex(Generic[Value]):
    """A fixed set of non-empty strings, each with a value, to find in texts.

    The strings of two characters or more are kept as numpy arrays in the order of their
    keys, with their characters in one joined string and their values by number: no Python
    object per string, so the 680,000 misreadings of frequent words load from the disk cache
    in milliseconds rather than a second, and forked workers share them without writing to
    their pages. Only an index of at most `SHORT_SCAN_LIMIT` strings also keeps them in a
    dict, to scan short texts with set lookups."""

    def __init__(self, entries: Mapping[str, Value] | Iterable[tuple[str, Value]]) -> None:
        items = entries.items() if isinstance(entries, Mapping) else entries
        table: dict[str, Value] = {}
        for string, value in items:
            if string:
                table[string] = value
        self._size = len(table)
        by_length: dict[int, list[str]] = defaultdict(list)
        for string in table:
            by_length[len(string)].append(string)
        self.lengths = sorted(by_length)
        #: for each code point up to the highest of them, whether it is one of the strings of
        #: one character (found by a lookup in this table, not hashed)
        singles = by_length.pop(1, [])
        single_codes = [ord(string) for string in singles]
        self._singles = np.zeros(max(single_codes, default=-1) + 1, dtype=bool)
        self._singles[single_codes] = True
        self._single_values = {string: table[string] for string in singles}
        #: the lengths hashed: two characters and more
        self._hashed_lengths = sorted(by_length)
        strings = [string for length in self._hashed_lengths for string in by_length[length]]
        keys = np.concatenate([_string_keys(by_length[length], length) for length in self._hashed_lengths]) if strings else np.zeros(0, dtype=np.uint64)
        order = np.argsort(keys, kind="stable").tolist()
        #: every string's key (hash and length), in ascending order (the arrays below follow it)
        self._keys = IntegerTable(keys[order] if strings else keys)
        ordered = [strings[position] for position in order]
        #: the strings in key order, joined, and where each begins in the join
        self._joined = "".join(ordered)
        self._offsets = np.cumsum([0] + [len(string) for string in ordered], dtype=np.int64)
        #: each string's value, as a number in `_values` (values shared by many strings are kept once)
        numbers: dict[int, int] = {}
        self._values: list[Value] = []
        value_numbers = []
        for string in ordered:
            value = table[string]
            number = numbers.get(id(value))
            if number is None:
                number = numbers[id(value)] = len(self._values)
                self._values.append(value)
            value_numbers.append(number)
        self._value_numbers = np.array(value_numbers, dtype=np.int64)
        openings = {string[:2] for string in strings}
        #: with some strings longer than two characters, the openings as pair integers: an
        #: n-gram is looked up only where the text has one (a domain lexicon's variants, three
        #: to eleven characters long, open at a few places of a page; one n-gram in eight of a
        #: page opens one of the 680,000 misreadings of frequent words)
        self._opening_pairs = None
        if self._hashed_lengths and self._hashed_lengths[-1] > 2:
            self._opening_pairs = IntegerTable(np.unique(np.array([pair_integer(opening) for opening in openings], dtype=np.uint64)))
        #: for a short scan (small indexes only): the strings, first character -> length of the
        #: longest string it starts, the openings, and a pattern for the first characters
        self._short: dict[str, Value] | None = table if self._size <= SHORT_SCAN_LIMIT else None
        if self._short is not None:
            self._reach: dict[str, int] = {}
            for string in table:
                self._reach[string[0]] = max(self._reach.get(string[0], 0), len(string))
            self._openings = openings
            self._first_character = re.compile("[" + "".join(map(re.escape, sorted(self._reach))) + "]" if self._reach else "(?!)")

    def find(self, text: str, within: np.ndarray | None = None) -> list[tuple[int, str, Value]]:
        """Every occurrence as (start, string, value), by end, then longest first (as an
        Aho-Corasick pass reports them). With ``within`` (a boolean per character of
        ``text``), only the occurrences that hold at least one marked character."""
        if not self._size or not text or (within is not None and not within.any()):
            return []
        if len(text) < SHORT_TEXT and self._short is not None:
            found = self._scan_short(text)
            if within is not None:
                found = [hit for hit in found if within[hit[0]:hit[0] + len(hit[1])].any()]
        else:
            found = self._scan_hashed(text, within)
        found.sort(key=lambda hit: (hit[0] + len(hit[1]), -len(hit[1])))
        return found

    def _scan_short(self, text: str) -> list[tuple[int, str, Value]]:
        values, reach, openings = self._short, self._reach, self._openings
        return [
            (start, text[start:end], values[text[start:end]])
            for start in [match.start() for match in self._first_character.finditer(text)]
            if text[start:start + 2] in openings or text[start] in values
            for end in range(start + 1, min(len(text), start + reach[text[start]]) + 1)
            if text[start:end] in values
        ]

    def _scan_hashed(self, text: str, within: np.ndarray | None = None) -> list[tuple[int, str, Value]]:
        """All lengths at once: the n-grams' polynomials of every indexed length, one after
        another, keyed, filtered and looked up together (with ``within``, only the n-grams
        holding a marked character, and with openings, only those beginning with one: a
        lookup is what a scan costs most)."""
        codes = text_codes(text)
        singles = self._single_hits(text, codes, within)
        if not self._hashed_lengths:
            return singles
        wanted = set(self._hashed_lengths)
        marked = None if within is None else np.concatenate(([0], np.cumsum(within, dtype=np.intp)))
        opening = None if self._opening_pairs is None else self._opening_pairs.contains(text_pairs(text))
        if opening is not None and not opening.any():
            return singles
        subset = marked is not None or opening is not None
        polynomials, starts, lengths = [], [], []
        for length, polynomial in _growing_polynomials(codes, self._hashed_lengths[-1]):
            if length not in wanted:
                continue
            if not subset:
                polynomials.append(polynomial)
                starts.append(None)
            else:
                keep = np.ones(len(polynomial), dtype=bool) if opening is None else opening[:len(polynomial)].copy()
                if marked is not None:
                    keep &= marked[length:] > marked[:-length]
                kept = np.flatnonzero(keep)
                polynomials.append(polynomial[kept])
                starts.append(kept)
            lengths.append(length)
        if not polynomials:
            return singles
        sizes = [len(polynomial) for polynomial in polynomials]
        keys = _keyed(_mix(np.concatenate(polynomials)), np.repeat(np.array(lengths, dtype=np.uint64), sizes))
        candidates, rows = self._keys.rows(keys)
        firsts = np.concatenate(([0], np.cumsum(sizes)))  # which length's n-grams each hit is among, and where it starts
        groups = np.searchsorted(firsts, candidates, side="right") - 1
        positions = np.concatenate(starts)[candidates] if subset else candidates - firsts[groups]
        hits = zip(positions.tolist(), np.array(lengths)[groups].tolist(), self._offsets[rows].tolist(), self._value_numbers[rows].tolist())
        joined, values = self._joined, self._values
        return singles + [
            (start, text[start:start + length], values[number])
            for start, length, offset, number in hits
            if text[start:start + length] == joined[offset:offset + length]  # a hash collision is dropped here
        ]

    def _single_hits(self, text: str, codes: np.ndarray, within: np.ndarray | None) -> list[tuple[int, str, Value]]:
        """The one-character strings in ``text`` (at marked characters, with ``within``)."""
        if not len(self._singles):
            return []
        found = self._singles[np.minimum(codes, len(self._singles) - 1)] & (codes < len(self._singles))
        if within is not None:
            found &= within
        values = self._single_values
        return [(start, text[start], values[text[start]]) for start in np.flatnonzero(found).tolist()]


def _string_keys(strings: list[str], length: int) -> np.ndarray:
    """The keys of ``strings``, all of ``length`` characters (as `StringIndex` keys a text's n-grams)."""
    joined = code_points("".join(strings)).reshape(len(strings), length)
    polynomial = np.zeros(len(strings), dtype=np.uint64)
    for offset in range(length):
        polynomial = polynomial * _BASE + joined[:, offset]
    return _keyed(_mix(polynomial), np.full(len(strings), length, dtype=np.uint64))


class IntegerTable:
    """A fixed sorted array of 64-bit integers (repeats allowed: rows of a one-to-many table)
    behind a presence filter, to look many integers up at once."""

    def __init__(self, keys: np.ndarray) -> None:
        """``keys``: unsigned 64-bit integers in ascending order."""
        self.keys = np.ascontiguousarray(keys, dtype=np.uint64)
        #: no value held twice: `rows` finds a value's one row with a single search
        self._distinct = bool(len(self.keys) < 2 or (self.keys[1:] != self.keys[:-1]).all())
        self._bits = int(min(FILTER_BITS, max(6, np.ceil(np.log2(max(1, len(self.keys)) * FILTER_SLOTS_PER_ENTRY)))))
        self._present = np.zeros(1 << (self._bits - 3), dtype=np.uint8)
        slots = self._slots(self.keys)
        np.bitwise_or.at(self._present, slots >> 3, (1 << (slots & 7)).astype(np.uint8))

    def __len__(self) -> int:
        return len(self.keys)

    def _slots(self, values: np.ndarray) -> np.ndarray:
        """Where each value falls in the presence filter (multiplied, so its top bits are mixed)."""
        return ((values * _MULTIPLIER) >> np.uint64(64 - self._bits)).astype(np.intp)

    def _passing(self, values: np.ndarray) -> np.ndarray:
        """The positions of ``values`` the filter lets through (all that are present, and a few more)."""
        slots = self._slots(values)
        return np.flatnonzero((self._present[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1)

    def contains(self, values: np.ndarray) -> np.ndarray:
        """For each of ``values``, whether the table holds it (a few values are searched for
        directly: the filter's dozen numpy calls would cost more than it saves)."""
        if len(self.keys) == 0 or len(values) == 0:
            return np.zeros(len(values), dtype=bool)
        if len(values) <= DIRECT_SEARCH:
            return self._held(values)
        found = np.zeros(len(values), dtype=bool)
        candidates = self._passing(values)
        found[candidates[self._held(values[candidates])]] = True
        return found

    def _held(self, values: np.ndarray) -> np.ndarray:
        """For each of ``values``, whether the sorted keys hold it (a binary search each)."""
        return self.keys[np.minimum(self.keys.searchsorted(values), len(self.keys) - 1)] == values

    def rows(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions, rows): for each value the table holds, its position in ``values`` with
        each row of the table that holds it (a value held twice gives two pairs)."""
        candidates = self._passing(values) if len(self.keys) else np.zeros(0, dtype=np.intp)
        wanted = values[candidates]
        if self._distinct:
            low = np.minimum(self.keys.searchsorted(wanted), max(len(self.keys) - 1, 0))
            held = self.keys[low] == wanted if len(self.keys) else np.zeros(0, dtype=bool)
            return candidates[held], low[held]
        low, high = np.searchsorted(self.keys, wanted), np.searchsorted(self.keys, wanted, side="right")
        counts = high - low
        present = np.flatnonzero(counts)
        counts = counts[present]
        offsets = np.cumsum(counts) - counts  # where each value's rows begin in the result
        rows = np.repeat(low[present] - offsets, counts) + np.arange(counts.sum())
        return np.repeat(candidates[present], counts), rows


def pair_codes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Two code points as one integer each (first << 21 | second): distinct pairs, distinct integers."""
    return (first << np.uint64(CODE_POINT_BITS)) | second


def pair_integer(pair: str) -> int:
    """A two-character string as one integer (`pair_codes`)."""
    return ord(pair[0]) << CODE_POINT_BITS | ord(pair[1])


def pair_text(code: int) -> str:
    """The two characters of a pair integer (`pair_codes`)."""
    return chr(code >> CODE_POINT_BITS) + chr(code & ((1 << CODE_POINT_BITS) - 1))
