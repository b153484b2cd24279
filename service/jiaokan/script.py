"""Character classes of Chinese text, shared by every stage (Han, Chinese punctuation, widths)."""
from __future__ import annotations

import re

#: code point ranges of CJK ideographs (unified, extension A, compatibility, extensions B-F)
HAN_CODE_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2EBEF))
HAN_RANGES = "".join(f"{chr(low)}-{chr(high)}" for low, high in HAN_CODE_RANGES)
HAN = f"[{HAN_RANGES}]"
#: full-width punctuation that marks Chinese context
CHINESE_PUNCTUATION = "，。、；：！？（）《》〈〉“”‘’「」『』【】……——·～"
SENTENCE_PUNCTUATION = "，。；：！？"
TERMINAL_PUNCTUATION = "。！？；：”’」』）》…—"
#: half-width -> full-width for punctuation that has a Chinese form
WIDE_PUNCTUATION = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
#: for comparing copies only: forms that mean the same mark
COMPARISON_FOLD = str.maketrans({**WIDE_PUNCTUATION, ".": "。", "．": "。", "｡": "。", "﹐": "，", "，": "，"})

HAN_PATTERN = re.compile(HAN)
#: Chinese numerals: they repeat in numbers (一零零, 二二), and a figure written out is a figure
NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿两")


def figures(text: str) -> str:
    """The figures of ``text``: its digits and Chinese numerals (嫦娥八号 and 嫦娥六号 are two craft,
    1991 and 1995 two years: changing a figure is an edition's business, never a misreading's)."""
    return "".join(character for character in text if character.isdigit() or character in NUMERALS)


def search_from_starts(pattern: re.Pattern, text: str, position: int, starts: re.Pattern | None) -> re.Match | None:
    """``pattern.search(text, position)``, trying ``pattern`` only where ``starts`` (the class
    of the characters a match can start with) finds one; every position without it. Regular
    expressions scan fast for a pattern that opens with a character class, slowly for one that
    opens with an assertion or a choice among groups."""
    if starts is None:
        return pattern.search(text, position)
    while (start := starts.search(text, position)) is not None:
        match = pattern.match(text, start.start())
        if match is not None:
            return match
        position = start.start() + 1
    return None


def is_han(character: str) -> bool:
    """Whether ``character`` is a CJK ideograph."""
    return bool(HAN_PATTERN.match(character))


def is_chinese_context(character: str) -> bool:
    """Han or full-width Chinese punctuation: what a half-width mark beside it should match."""
    return bool(character) and (is_han(character) or character in CHINESE_PUNCTUATION)


def han_count(text: str) -> int:
    """How many Han characters ``text`` holds."""
    return len(HAN_PATTERN.findall(text))


def has_han(text: str, at_least: int) -> bool:
    """Whether ``text`` holds at least ``at_least`` Han characters (stops counting there)."""
    for found, _ in enumerate(HAN_PATTERN.finditer(text), 1):
        if found >= at_least:
            return True
    return at_least <= 0


def han_code_mask(codes):
    """For an array of code points (numpy), whether each is a Han character (`HAN_CODE_RANGES`)."""
    mask = (codes >= HAN_CODE_RANGES[0][0]) & (codes <= HAN_CODE_RANGES[0][1])
    for low, high in HAN_CODE_RANGES[1:]:
        mask |= (codes >= low) & (codes <= high)
    return mask
