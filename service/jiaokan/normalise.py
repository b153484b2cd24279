"""Normalisation: named rules that fix layout and typography, each change an `Edit`.

Each rule is a small function ``rule(text) -> list[Edit]`` over the original text,
registered under its name in `RULES`; the name is its switch in `EngineConfig.rules`
and the tag on its edits. Rules only touch whitespace, markup and punctuation (and,
for documents that are simplified overall, stray traditional characters), so running
the rules again on their own output proposes nothing (idempotence is tested).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from typing import Callable

from jiaokan.config import NORMALISATION_RULES, EngineConfig
from jiaokan.edits import NORMALISATION, Edit, apply_edits, compose_edits, resolve_overlaps
from jiaokan.script import (
    COMPARISON_FOLD,
    HAN,
    SENTENCE_PUNCTUATION,
    TERMINAL_PUNCTUATION,
    WIDE_PUNCTUATION,
    han_count,
    has_han,
    is_chinese_context,
    is_han,
    search_from_starts,
)

Rule = Callable[[str], list[Edit]]
RULES: dict[str, Rule] = {}


def rule(function: Rule) -> Rule:
    """Register ``function`` under its own name."""
    RULES[function.__name__] = function
    return function


def _edit(text: str, start: int, end: int, replacement: str, rule_name: str, confidence: float, **evidence) -> Edit:
    return Edit(start, end, text[start:end], replacement, rule_name, NORMALISATION, confidence, {"rule": rule_name, **evidence})


# ---------------------------------------------------------------- markup residue

_HEADING_MARK = re.compile(r"^[ \t]*((?:#{1,6}[ \t]+)+)", re.MULTILINE)
_EMPHASIS_MARK = re.compile(r"\*{2,3}|(?<![A-Za-z0-9_])_{2,3}(?![A-Za-z0-9_])")
_LIST_BULLET = re.compile(r"^[ \t]*([*+][ \t]+)(?=" + HAN + ")", re.MULTILINE)


@rule
def strip_markup(text: str) -> list[Edit]:
    """Remove markdown residue: heading marks (##), emphasis (**), bullets before Chinese."""
    if "#" not in text and "*" not in text and "+" not in text and "__" not in text:
        return []  # (checked first: the patterns open with assertions, which regular expressions scan slowly)
    edits = [
        _edit(text, match.start(1), match.end(1), "", "strip_markup", 0.97, markup=match.group(1).strip())
        for pattern in (_HEADING_MARK, _LIST_BULLET)
        for match in pattern.finditer(text)
    ]
    edits += [_edit(text, match.start(), match.end(), "", "strip_markup", 0.97, markup=match.group()) for match in _EMPHASIS_MARK.finditer(text)]
    return edits


# ---------------------------------------------------------------- spaces

_TRAILING_SPACE = re.compile(r"[ \t\u00a0\u3000]+(?=(?:(?:\*{2,3}|#{1,6})[ \t\u00a0\u3000]*)*$)", re.MULTILINE)


@rule
def strip_trailing_spaces(text: str) -> list[Edit]:
    """Remove spaces at the end of a line (column wrap, markdown hard breaks)."""
    return [_edit(text, match.start(), match.end(), "", "strip_trailing_spaces", 0.98) for match in _TRAILING_SPACE.finditer(text)]


_SPACE_RUN = re.compile(r"[ \u00a0\u3000]+")


def _inner_spaces(text: str):
    """Each run of spaces between two characters that are not whitespace, as (start, end)
    (markup beside it is looked through later). The runs are found whole and their
    neighbours read after: a pattern that looks ahead past a run from each of its spaces
    takes time quadratic in a row of spaces."""
    for run in _SPACE_RUN.finditer(text):
        start, end = run.span()
        if start > 0 and end < len(text) and not text[start - 1].isspace() and not text[end].isspace():
            yield start, end


def _matches_after(pattern: re.Pattern, text: str, accepts_before: Callable[[str], bool], starts: re.Pattern | None = None):
    """``pattern``'s matches in ``text``, as `re.finditer` would give them were the pattern
    to open with a lookbehind for a character ``accepts_before`` accepts ("" at the start of
    the text); ``starts``: the class of the characters a match can start with, for a pattern
    that opens with a choice among groups (`jiaokan.script.search_from_starts`)."""
    position = 0
    while (match := search_from_starts(pattern, text, position, starts)) is not None:
        if accepts_before(text[match.start() - 1] if match.start() else ""):
            yield match
            position = max(match.end(), match.start() + 1)
        else:
            position = match.start() + 1


#: Chinese marks that never take a space on either side (opening brackets and quotes may: "电 《")
_SPACE_FREE_MARKS = "，。、；：！？）》”’"
_NUMBERED_HEADING = re.compile(r"第[一二三四五六七八九十百千零〇\d]+[条章节款篇部]$")
#: how far before a space a numbered heading (第八条) is looked for
_HEADING_REACH = 40


@rule
def remove_stray_spaces(text: str) -> list[Edit]:
    """Remove a space that splits a word in prose ("科学论 坛") or sits beside Chinese punctuation.

    Only in lines that read as prose (they carry sentence punctuation), and only where
    the characters either side form a word, so the spaces of bylines, headlines and
    "第八条 党的..." stay. A half-width mark counts as Chinese punctuation exactly when
    widen_punctuation widens it, so the two rules agree on every pass.
    """
    if _SPACE_RUN.search(text) is None:
        return []
    widening = widen_punctuation(text)
    widened = {edit.start for edit in widening}
    taken = {position for edit in widening for position in range(edit.start + 1, edit.end)}
    edits = []
    content = None
    for start, end in _inner_spaces(text):
        if start in taken:
            continue
        content = content if content is not None else _ContentCharacters(text)
        if not _is_prose(content.around(start, end)):
            continue  # a widened mark took this space; headlines and bylines keep theirs
        if _is_stray_space(text, start, end, widened):
            edits.append(_edit(text, start, end, "", "remove_stray_spaces", 0.95))
    return edits


_MARKUP = "*#_`"
_CONTENT_CHARACTER = re.compile(r"[^\s*#_`]")
#: non-layout characters either side of a space that decide whether it sits in prose
_SURROUNDINGS = 16


class _ContentCharacters:
    """The characters of a text that are not layout (whitespace, markup), with their
    positions, found once: the surroundings of every space are read from them (widening a
    window until it held enough was quadratic in a text of layout)."""

    def __init__(self, text: str) -> None:
        found = list(_CONTENT_CHARACTER.finditer(text))
        self.positions = [match.start() for match in found]
        self.characters = "".join(match.group() for match in found)

    def around(self, start: int, end: int) -> str:
        """Up to `_SURROUNDINGS` characters either side of ``[start, end)``, skipping layout, so
        joining lines or removing markup elsewhere never changes them."""
        before, after = bisect_left(self.positions, start), bisect_left(self.positions, end)
        return self.characters[max(0, before - _SURROUNDINGS):before] + self.characters[after:after + _SURROUNDINGS]


def _chinese_mark(text: str, index: int, widened: set[int]) -> bool:
    """A full-width mark that takes no space, or a half-width one about to become one."""
    character = text[index]
    if index in widened:
        character = character.translate(COMPARISON_FOLD)
    return character in _SPACE_FREE_MARKS


def _is_stray_space(text: str, start: int, end: int, widened: set[int]) -> bool:
    before_index, after_index = start - 1, end
    while before_index > 0 and text[before_index] in _MARKUP:
        before_index -= 1
    while after_index < len(text) - 1 and text[after_index] in _MARKUP:
        after_index += 1
    before, after = text[before_index], text[after_index]
    if before.isspace() or after.isspace():
        return False
    if _chinese_mark(text, before_index, widened) or _chinese_mark(text, after_index, widened):
        return (is_chinese_context(before) or before_index in widened) and (is_chinese_context(after) or after_index in widened)
    line_start = max(text.rfind("\n", max(0, start - _HEADING_REACH), start) + 1, start - _HEADING_REACH)
    if not (is_han(before) and is_han(after)) or _NUMBERED_HEADING.search(text, line_start, start):
        return False
    return _forms_word(_tail(text[max(0, start - _TAIL_REACH):start]), _head(text[end:end + _TAIL_REACH]))


def _is_prose(surroundings: str) -> bool:
    folded = surroundings.translate(COMPARISON_FOLD)
    return han_count(surroundings) >= 8 and any(mark in folded for mark in SENTENCE_PUNCTUATION)


#: the characters `_tail` and `_head` read at most (three for each of their four Han characters)
_TAIL_REACH = 12


def _tail(text: str, size: int = 4) -> str:
    """The last Han characters before a break (markup and spaces ignored)."""
    return "".join(re.findall(HAN, text[-size * 3:]))[-size:]


def _head(text: str, size: int = 4) -> str:
    """The first Han characters after a break."""
    return "".join(re.findall(HAN, text[:size * 3]))[:size]


def _forms_word(left: str, right: str) -> bool:
    """Whether a dictionary word or domain term spans the junction of ``left`` and ``right``."""
    from jiaokan.resources import load_resources  # lazy: the word list is big

    resources = load_resources()
    joined = left + right
    return any(
        start < len(left) < end and resources.is_known_word(joined[start:end])
        for start in range(len(left))
        for end in range(len(left) + 1, len(joined) + 1)
    )


# ---------------------------------------------------------------- paragraphs

#: a paragraph break from its first line break on (`_paragraph_breaks` adds the blanks before it)
_BREAK_FROM_NEWLINE = re.compile(r"\n(?:[ \t\u3000]*\n)*[ \t\u3000]*")
_BLANK = " \t\u3000"


def _paragraph_breaks(text: str):
    """Each paragraph break (blanks, line breaks and the blanks among and after them) as
    (start, end): what ``re.finditer(r"[ \\t\\u3000]*\\n(?:[ \\t\\u3000]*\\n)*[ \\t\\u3000]*", text)``
    finds, found from each line break and widened back over the blanks before it (that
    pattern, tried from every blank of a row of them, takes time quadratic in the row)."""
    previous_end = 0
    for match in _BREAK_FROM_NEWLINE.finditer(text):
        start = match.start()
        while start > previous_end and text[start - 1] in _BLANK:
            start -= 1
        previous_end = match.end()
        yield start, previous_end


#: a continuation that ends its sentence within this many characters is the rest of the one before
_FRAGMENT_LENGTH = 40


@rule
def join_broken_paragraphs(text: str) -> list[Edit]:
    """Join a paragraph broken mid-sentence ("工\\n\\n业领域").

    What comes before the break must read as an unfinished sentence of prose; and either
    it ends with ，、, or a word spans the break, or what follows finishes the sentence
    within a few characters. Headlines and bylines (no sentence punctuation) never join.
    The decision looks only at text up to the last finished sentence and ignores layout,
    so joining never changes what the next break looks like (the rule is idempotent).
    In a file of lines of their own (most breaks single: subtitles, signs) a line joins the
    next only where the layout shows a column's wrap (`_column_wrapped`), and an empty line is
    a line nothing was read on, never joined over.
    """
    lines_are_units = _lines_are_units(text)
    return [
        _edit(text, start, end, "", "join_broken_paragraphs", 0.92, joined=text[start - 1] + text[end])
        for start, end in _paragraph_breaks(text)
        if 0 < start and end < len(text) and not (lines_are_units and text.count("\n", start, end) > 1)
        and _is_broken(text, start, end)
    ]


def _lines_are_units(text: str) -> bool:
    """Whether most line breaks of ``text`` are single (a line per unit: subtitles, signs,
    verse), so that an empty line is a line with nothing read on it, not the end of a
    paragraph (a text of paragraphs parted by empty lines has an empty line for every two breaks;
    a quarter leaves room for a column's wraps)."""
    breaks = text.count("\n")
    return breaks > 0 and 4 * len(_EMPTY_LINES.findall(text)) < breaks


_EMPTY_LINES = re.compile(r"\n[ \t\u3000]*(?=\n)")


_FINISHED_LINE = re.compile("[" + re.escape(TERMINAL_PUNCTUATION) + r".!?:;)\]][ \t\u3000]*\n")
_WHITESPACE = re.compile(r"\s+")
_LAYOUT = re.compile(r"[\s#*]+")
_SENTENCE_END = re.compile("[。！？!?]")
#: how far back an unfinished sentence is looked at
_LOOKBACK = 400


def _is_broken(text: str, start: int, end: int) -> bool:
    before, after = text[start - 1].translate(COMPARISON_FOLD), _folded_neighbour(text, end, 1)
    if before in TERMINAL_PUNCTUATION or before in "\"'*#])":
        return False
    if text.count("\n", start, end) == 1 and not _column_wrapped(text, start, end):
        return False  # a line of its own (a subtitle, a sign, a verse): lines are units
    window_start = max(0, start - _LOOKBACK)
    boundaries = [match.end() for match in _FINISHED_LINE.finditer(text, window_start, start)]
    unfinished = _LAYOUT.sub("", text[boundaries[-1] if boundaries else window_start:start])
    if not _reads_as_prose(unfinished):
        return False
    if before in "，、,":
        return is_han(after) or after.isdigit() or after in "“"
    if not (is_han(before) or before.isdigit()) or not (is_han(after) or after.isdigit()):
        return False
    rest = _LAYOUT.sub("", text[end:end + 3 * _FRAGMENT_LENGTH]).translate(COMPARISON_FOLD)
    sentence_end = _SENTENCE_END.search(rest)
    finishes_soon = sentence_end is not None and sentence_end.start() < _FRAGMENT_LENGTH
    return finishes_soon or _forms_word(_tail(unfinished), _head(rest))


#: lines either side a column's width is measured on
_COLUMN_NEIGHBOURS = 4
#: a column line is at least this long, and at most this much shorter than the block's widest
_COLUMN_MINIMUM = 12
_COLUMN_SLACK = 1


def _column_wrapped(text: str, start: int, end: int) -> bool:
    """Whether a single line break at ``[start, end)`` is a column's wrap: the line before it
    ends in spaces (a column's padding), or it is as wide as the widest of its neighbouring
    lines and so are two thirds of them (the block's lines fill a column). A file of short
    lines of their own (subtitles, signs) has neither: its lines stay."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:end].split("\n", 1)[0] != text[line_start:start].rstrip(" \t\u3000"):
        return True  # spaces before the break
    before = text[max(0, line_start - 1) - 400:max(0, line_start - 1)].split("\n")[-_COLUMN_NEIGHBOURS:] if line_start else []
    after = text[end:end + 400].split("\n")[:_COLUMN_NEIGHBOURS + 1]
    width = len(text[line_start:start])
    neighbours = [len(line.strip()) for line in before + after if line.strip()]
    widest = max(neighbours + [width])
    full = sum(length >= widest - _COLUMN_SLACK for length in neighbours)
    return width >= _COLUMN_MINIMUM and width >= widest - _COLUMN_SLACK and full >= 1 and 3 * full >= 2 * len(neighbours)


def _reads_as_prose(unfinished: str) -> bool:
    """An unfinished sentence has clause punctuation; headlines and bylines have none
    (a colon is no sign: headlines use it, "马克龙：法中肩负共同责任")."""
    return any(mark in unfinished for mark in "，、；,;") and has_han(unfinished, 4)


# ---------------------------------------------------------------- punctuation

def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest character from ``index`` in direction ``step`` that is not a space or markup."""
    while 0 <= index < len(text):
        if text[index] not in " \t\u00a0*#_`":
            return text[index]
        index += step
    return ""


def _folded_neighbour(text: str, index: int, step: int) -> str:
    """The neighbour with its width folded: what it reads as once widened (keeps rules idempotent)."""
    return _neighbour(text, index, step).translate(COMPARISON_FOLD)


#: a run of half-width marks (and the spaces among them) is judged as one piece, so widening
#: one mark never changes the context of the next (idempotence)
_HALF_WIDTH_RUN = re.compile(r"[,:;!?.()](?:[ \t]*[,:;!?.()])*")


@rule
@lru_cache(maxsize=4)  # remove_stray_spaces asks for the same text's widening
def widen_punctuation(text: str) -> list[Edit]:
    """Half-width , : ; ! ? ( ) and sentence-final . in Chinese text become full-width;
    3.5, 1,000, 12:30, G60, dpkg(8), English and code stay as they are."""
    edits = []
    for run in _HALF_WIDTH_RUN.finditer(text):
        before, after = _folded_neighbour(text, run.start() - 1, -1), _folded_neighbour(text, run.end(), 1)
        marks = [index for index in range(run.start(), run.end()) if text[index] not in " \t"]
        if len({text[index] for index in marks} - set("().")) > 1 and not (is_chinese_context(before) and is_chinese_context(after)):
            continue  # "!!, !event", "?:" — a mix of marks outside plain Chinese is code
        for index in marks:
            replacement = _wide_form(text, index, _folded_neighbour(text, index - 1, -1), _folded_neighbour(text, index + 1, 1))
            if replacement is None:
                continue
            end = index + 1
            while end < len(text) and text[end] == " " and text[index] not in "(":
                end += 1  # "， " : the space after an ASCII comma goes with it
            if end >= len(text) or text[end] in "\n" + _MARKUP:
                end = index + 1  # spaces ending a line (or before markup) are other rules' business
            edits.append(_edit(text, index, end, replacement, "widen_punctuation", 0.97))
    return edits


def _wide_form(text: str, index: int, before: str, after: str) -> str | None:
    """The full-width form of the mark at ``index`` if its run sits in Chinese context."""
    character = text[index]
    if before.isdigit() and after.isdigit():
        return None  # 3.5, 1,000, 12:30
    if character == ".":
        before, after = _folded_neighbour(text, index - 1, -1), _folded_neighbour(text, index + 1, 1)
        if _neighbour(text, index + 1, 1) in _DOTS or _neighbour(text, index - 1, -1) in _DOTS:
            return None  # part of an ellipsis: unify_ellipsis's business
        if is_han(before) or (before and before in "”’）"):
            return "。" if not (after.isascii() and after.isalnum()) else None
        if before.isascii() and before.isalnum() and is_han(after) and text[index - 1:index] == before:
            return "。"  # "进入shell.更多", "A1:C1.如果": a Latin word or a number ends a Chinese sentence
        return None
    if character in "()":
        return WIDE_PUNCTUATION[character] if _chinese_parenthesis(text, index) else None
    if is_chinese_context(before) or (is_chinese_context(after) and not (before.isascii() and before.isalnum())):
        return WIDE_PUNCTUATION[character]
    return None


def _chinese_parenthesis(text: str, index: int) -> bool:
    """A parenthesis pair in Chinese text: Chinese inside (and no Latin word glued before it),
    or Chinese on both sides ("光源(HEPS)正式"); "dpkg(8)" and "f(x)" stay. The pair is
    looked for within `_PARENTHESIS_REACH` characters, across line breaks (joining lines must
    not change the answer)."""
    if text[index] == "(":
        closes = [position for position in (text.find(")", index, index + _PARENTHESIS_REACH), text.find("）", index, index + _PARENTHESIS_REACH)) if position >= 0]
        if not closes:
            return False
        open_index, close_index = index, min(closes)
    else:
        low = max(0, index - _PARENTHESIS_REACH)
        open_index = max(text.rfind("(", low, index), text.rfind("（", low, index))
        if open_index < 0:
            return False
        close_index = index
    before = text[open_index - 1] if open_index > 0 else ""
    outside_before = _folded_neighbour(text, open_index - 1, -1)
    outside_after = _folded_neighbour(text, close_index + 1, 1)
    if han_count(text[open_index + 1:close_index]) > 0:
        return not (before.isascii() and before.isalnum())
    return is_chinese_context(outside_before) and (is_chinese_context(outside_after) or outside_after in ("", "\n"))


_PARENTHESIS_REACH = 200


_DOT_RUN = re.compile(r"[.。．…⋯](?:[*_#`]*[.。．…⋯])*")  # markup inside a run is strip_markup's
_DOTS = (".", "。", "．", "…", "⋯")


@rule
def unify_ellipsis(text: str) -> list[Edit]:
    """"....." "…………" "。。。" "…" (and mixes of them) in Chinese text become ……."""
    edits = []
    for match in _DOT_RUN.finditer(text):
        if match.end() - match.start() == 1 and match.group() in ".。．":
            continue  # one full stop
        run = re.sub(r"[*_#`]", "", match.group())
        if run == "……" or not ("…" in run or "⋯" in run or len(run) >= 3):
            continue
        before, after = _folded_neighbour(text, match.start() - 1, -1), _folded_neighbour(text, match.end(), 1)
        if is_chinese_context(before) or is_chinese_context(after):
            edits += _ellipsis_edits(text, match.start(), match.end())
    return edits


def _ellipsis_edits(text: str, start: int, end: int) -> list[Edit]:
    """The dots of ``[start, end)`` become one ……; markup among them is left to strip_markup."""
    if not re.search(r"[*_#`]", text[start:end]):
        return [_edit(text, start, end, "……", "unify_ellipsis", 0.96)]
    dots = [index for index in range(start, end) if text[index] in _DOTS]
    return [_edit(text, index, index + 1, "……" if index == dots[0] else "", "unify_ellipsis", 0.96) for index in dots]


#: a dash variant not beside a longer dash (`_matches_after` checks the character before)
_DASH_VARIANT = re.compile(r"(?:—|―{1,2}|－{2}|-{2,3})(?![—―])")
_DASH_START = re.compile(r"[—―－-]")


def _is_not_long_dash(character: str) -> bool:
    return not character or character not in "—―"


@rule
def unify_dash(text: str) -> list[Edit]:
    """A lone — or doubled hyphens between Chinese characters become the Chinese dash ——."""
    edits = []
    for match in _matches_after(_DASH_VARIANT, text, _is_not_long_dash, _DASH_START):
        before, after = _folded_neighbour(text, match.start() - 1, -1), _folded_neighbour(text, match.end(), 1)
        if (is_han(before) or (before and before in "”」")) and (is_han(after) or (after and after in "“「")) or (match.start() == 0 or text[match.start() - 1] == "\n") and is_han(after):
            edits.append(_edit(text, match.start(), match.end(), "——", "unify_dash", 0.93))
    return edits


# ---------------------------------------------------------------- traditional -> simplified

#: a document with more traditional-only characters than this share is traditional, left alone
TRADITIONAL_SHARE_LIMIT = 0.05


@lru_cache(maxsize=1)
def _converter():
    import opencc  # lazy: only documents with Han text need it

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` in simplified characters (opencc t2s)."""
    return _converter().convert(text)


@rule
def convert_traditional(text: str) -> list[Edit]:
    """Stray traditional characters in a simplified document become simplified (opencc t2s)."""
    converted = simplified(text)
    if converted == text or len(converted) != len(text):
        return []
    changed = [index for index, (old, new) in enumerate(zip(text, converted)) if old != new]
    if len(changed) > TRADITIONAL_SHARE_LIMIT * max(han_count(text), 1):
        return []
    return [_edit(text, index, index + 1, converted[index], "convert_traditional", 0.95, converter="opencc t2s") for index in changed]


# ---------------------------------------------------------------- running the rules

#: passes at most: one rule's change can give another rule its context (a dash at a line's
#: start once markup before it goes, a comma between Chinese once the line break goes)
MAXIMUM_PASSES = 4


def normalise(text: str, config: EngineConfig) -> list[Edit]:
    """Every enabled normalisation rule's edits over ``text``, run again over their result
    until nothing changes, so normalising normalised text changes nothing (idempotent).
    Within a pass, where two rules touch the same characters, the earlier in
    `NORMALISATION_RULES` wins; a later pass's change to what an earlier one wrote is
    folded into that edit (`jiaokan.edits.compose_edits`)."""
    edits = _one_pass(text, config)
    for _ in range(MAXIMUM_PASSES - 1):
        if not edits:
            break
        current = apply_edits(text, edits)
        more = _one_pass(current, config)
        if not more:
            break
        edits = compose_edits(text, edits, more)
    return edits


def _one_pass(text: str, config: EngineConfig) -> list[Edit]:
    order = {name: position for position, name in enumerate(NORMALISATION_RULES)}
    edits = [edit for name in NORMALISATION_RULES if config.enabled(name) for edit in RULES[name](text)]
    return resolve_overlaps(edits, lambda edit: order[edit.rule])
