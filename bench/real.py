"""Benchmark on real data: `python -m bench.real`.

Runs the engine as users do — ``jiaokan clean IN -o OUT --workers N`` on folders, as a
subprocess — then reads OUT/<path> and OUT/.jiaokan/edits/<path>.jsonl and measures with
`bench.real_metrics` (content characters, width folded; see there). Each set is measured on its
tune part and its report part (`bench.real_data` holds the split rules, printed with the result).

Sets (folder layouts; every "correct side" is the gold cleaned in the same layout, where every
content edit is wrong):

- ``subtitle-ocr``: FASPell's real subtitle OCR, one line a file; correct side: each gold line once.
- ``scene-text``: OCRMT30K's real scene-text OCR, one line a file; correct side likewise.
- ``two-engine``: Google Lens and PaddleOCR on the same films, ``<film>/lens.txt`` and
  ``<film>/paddle.txt`` (one cue a line) in one folder so each witnesses the other, compared line
  by line with the reference (through the edits where the engine joined lines: `line_outputs`);
  also the oracle (cue by cue, the engine line closer to the reference) and whether every file
  keeps its number of lines. Correct side: ``<film>/reference.txt`` alone (two identical copies
  would leave nothing in doubt).
- ``editions``: `bench.editions` cases, ``<case>/{e1-a,e1-b,e2}.txt``: the share of the later
  edition's changes still read after cleaning, and E1 copies rewritten towards E2.
- ``clean-prose``: do-no-harm only: People's Daily documents of 1,000–3,000 characters, and the
  traditional news of clean-news (documents of 20 lines) that must stay traditional.
- ``news-copies``: People's Daily articles with 1, 2, 3 and 5 noisy copies among fillers
  (`jiaokan.evaluation.noise.build_witness_set`, as bench/quality.py over its corpus); errors
  removed on the subject articles, pages made worse.
- ``seeds``: the five pages of seeds/ as one folder, no gold: the applied content edits, the
  fixes of `bench/seeds_baseline.json` still made, and 风清气正, 联合会会长, 王悦阳 kept.

Every content edit (applied or proposed, noisy and correct side) is labelled right or wrong
(`bench.real_metrics.label_edit`) for the calibration table; `collect_labelled_edits` gives
them to a fitting script.

The seeds baseline (``bench/seeds_baseline.json``) was made at commit cdab0dd, before the
engine's next changes, by ``python -m bench.real --sets seeds --write-seeds-baseline``: every
applied consensus and repair edit of that run (file, original, replacement, eight characters of
the input either side) except the three known wrong ones (those touching a protected string).

    python -m bench.real                          # every set, both parts (a few minutes on 2 cores)
    python -m bench.real --quick                  # small samples: checks the harness, not the figures
    python -m bench.real --sets subtitle-ocr,seeds --parts report --json /tmp/real.json --keep /tmp/real
"""
from __future__ import annotations

import argparse
import bisect
import contextlib
import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Sequence

from bench import write_json
from bench.editions import (EARLIER_COPIES, LATER_COPY, OTHER, OWN, build_cases, earlier_site_rewritten,
                            later_site_outcome)
from bench.quality import split_corpus
from bench.real_data import (CLEAN_NEWS_SOURCES, PARTS, SPLIT_RULES, FilmCue, LinePair, clean_news_documents,
                             film_cues, films, people_daily_documents, people_daily_text, scene_text_pairs,
                             subtitle_ocr_pairs)
from bench.real_metrics import (Tally, calibration_table, content_distance, content_errors_by_part, is_content_edit,
                                label_edit, score_unit)
from jiaokan.edits import Edit, apply_edits
from jiaokan.evaluation.noise import build_witness_set

ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIRECTORY = ROOT / "seeds"
SEEDS_BASELINE = Path(__file__).resolve().with_name("seeds_baseline.json")
#: strings of the seeds that known wrong edits used to change; each must survive cleaning
PROTECTED_STRINGS = ("风清气正", "联合会会长", "王悦阳")
#: characters of the input either side of a seeds fix that identify it
FIX_CONTEXT = 8
SETS = ("subtitle-ocr", "scene-text", "two-engine", "editions", "clean-prose", "news-copies", "seeds")
COPY_COUNTS = (1, 2, 3, 5)
PER_10K = 10_000


@dataclass(frozen=True)
class Sizes:
    """How much of each set a run takes (None: all of it)."""

    line_pairs: int | None
    cues_per_film: int | None
    edition_cases: int | None
    prose_documents: int | None
    news_subjects: int


FULL = Sizes(line_pairs=None, cues_per_film=None, edition_cases=None, prose_documents=None, news_subjects=30)
QUICK = Sizes(line_pairs=120, cues_per_film=150, edition_cases=3, prose_documents=4, news_subjects=2)


# ---------------------------------------------------------------- documents and engine runs


@dataclass(frozen=True)
class Document:
    """One file of a folder the engine cleans: its relative path, what goes in, what it should read
    (None: no gold), and whether input and gold match line by line."""

    path: str
    text: str
    gold: str | None
    line_aligned: bool = False


@dataclass(frozen=True)
class Cleaned:
    """A document after the engine: its output and its edits (with whether each was applied)."""

    document: Document
    output: str
    edits: tuple[Edit, ...]
    applied: tuple[bool, ...]


class LabelledEdit(NamedTuple):
    """A content edit (its JSON form, with "status"), whether it was right, the set it came from,
    the document (its path in the set's folder) and the SHA-1 of the gold it was judged against
    (the line, in a line-aligned document: `bench.real_data.fitting_half` splits by it)."""

    edit: dict
    right: bool
    set_name: str
    document: str = ""
    gold_sha1: str = ""


@dataclass
class Harness:
    """Where folders go and how the engine runs."""

    workdir: Path
    workers: int
    sizes: Sizes
    seed: int = 1
    #: more options for ``jiaokan clean`` (a fitting script proposes every candidate: ``--propose-from 0``)
    clean_options: tuple[str, ...] = ()

    def clean(self, documents: Sequence[Document], *folder: str) -> list[Cleaned]:
        """Write ``documents`` under workdir/<folder>/input, run ``jiaokan clean`` into .../output, read it back."""
        base = self.workdir.joinpath(*folder)
        source, output = base / "input", base / "output"
        shutil.rmtree(base, ignore_errors=True)
        for document in documents:
            path = source / document.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(document.text, encoding="utf-8")
        command = [str(jiaokan_command()), "clean", str(source), "-o", str(output), "--workers", str(self.workers),
                   "--force", "--no-progress", "--quiet", *self.clean_options]
        finished = subprocess.run(command, capture_output=True, text=True)
        if finished.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {finished.returncode}: {finished.stderr.strip()[-2000:]}")
        return [read_cleaned(document, output) for document in documents]


def jiaokan_command() -> Path:
    """The ``jiaokan`` script of this interpreter's environment (the project's .venv)."""
    beside = Path(sys.executable).with_name("jiaokan")
    found = beside if beside.exists() else shutil.which("jiaokan")
    if not found:
        raise FileNotFoundError("no jiaokan command: run from the project's .venv (pip install -e .)")
    return Path(found)


def read_cleaned(document: Document, output: Path) -> Cleaned:
    """A document's output text and edits from a ``jiaokan clean`` output folder."""
    text_path = output / document.path
    if not text_path.exists():
        raise RuntimeError(f"jiaokan clean wrote no output for {document.path}")
    edits_path = output / ".jiaokan" / "edits" / f"{document.path}.jsonl"
    records = [json.loads(line) for line in edits_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return Cleaned(document, text_path.read_text(encoding="utf-8"),
                   tuple(Edit.from_dict(record) for record in records),
                   tuple(record["status"] == "applied" for record in records))


def lines_file(lines: Sequence[str]) -> str:
    """One line each, LF, a final line break."""
    return "".join(f"{line}\n" for line in lines)


# ---------------------------------------------------------------- measuring a folder


def units(cleaned: Cleaned) -> list[tuple[str, str, str]]:
    """(input, output, gold) of each line of a line-aligned document (see `line_outputs`), else of
    the whole document."""
    document = cleaned.document
    outputs = line_outputs(cleaned) if document.line_aligned else None
    if outputs is None:
        return [(document.text, cleaned.output, document.gold)]
    return list(zip(document.text.splitlines(), outputs, document.gold.splitlines()))


def line_outputs(cleaned: Cleaned) -> list[str] | None:
    """Each input line with the applied edits inside it: what the engine made of that line even
    where it joined lines (an edit across a line break that changes no content leaves every
    line's content as it was). None when an applied edit across a line break changes content."""
    text = cleaned.document.text
    lines = text.splitlines()
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    edits_by_line: list[list[Edit]] = [[] for _ in lines]
    for edit, applied in zip(cleaned.edits, cleaned.applied):
        if not applied:
            continue
        if "\n" in text[edit.start:edit.end]:
            if is_content_edit(edit):
                return None
            continue
        line_number = bisect.bisect_right(starts, edit.start) - 1
        offset = starts[line_number]
        edits_by_line[line_number].append(dataclasses.replace(edit, start=edit.start - offset, end=edit.end - offset))
    return [apply_edits(line, edits) for line, edits in zip(lines, edits_by_line)]


def edit_scope(document: Document, edit: Edit) -> tuple[str, str, Edit]:
    """Where to judge ``edit``: when input and gold match line by line and the edit lies inside one
    line, that line against its gold line, as the measures compare it (`line_outputs`: an insertion
    at a line break belongs to the line it ends); else the whole document."""
    text = document.text
    if not document.line_aligned or "\n" in text[edit.start:edit.end]:
        return text, document.gold, edit
    line_start = text.rfind("\n", 0, edit.start) + 1
    line_end = text.find("\n", edit.end)
    line_end = len(text) if line_end < 0 else line_end
    line_number = text.count("\n", 0, line_start)
    shifted = dataclasses.replace(edit, start=edit.start - line_start, end=edit.end - line_start)
    return text[line_start:line_end], document.gold.splitlines()[line_number], shifted


def labelled_edits(cleaned_documents: Sequence[Cleaned], set_name: str) -> list[LabelledEdit]:
    """Every content edit of documents with a gold, labelled right or wrong."""
    labelled = []
    for cleaned in cleaned_documents:
        if cleaned.document.gold is None:
            continue
        for edit, applied in zip(cleaned.edits, cleaned.applied):
            if is_content_edit(edit):
                text, gold, scoped = edit_scope(cleaned.document, edit)
                right = label_edit(text, gold, scoped)
                record = edit.to_dict() | {"status": "applied" if applied else "proposed"}
                labelled.append(LabelledEdit(record, right, set_name, cleaned.document.path, hashlib.sha1(gold.encode("utf-8")).hexdigest()))
    return labelled


def line_count_changes(cleaned_documents: Sequence[Cleaned]) -> list[dict]:
    """Files whose output has another number of lines than their input."""
    changed = []
    for cleaned in cleaned_documents:
        before, after = len(cleaned.document.text.splitlines()), len(cleaned.output.splitlines())
        if before != after:
            changed.append({"path": cleaned.document.path, "lines_in": before, "lines_out": after})
    return changed


def edit_counts(cleaned_documents: Sequence[Cleaned]) -> dict:
    """Input characters; applied and proposed edits by rule; applied content edits and their rate."""
    applied, proposed = Counter(), Counter()
    content_applied = content_proposed = 0
    for cleaned in cleaned_documents:
        for edit, is_applied in zip(cleaned.edits, cleaned.applied):
            (applied if is_applied else proposed)[edit.rule] += 1
            if is_content_edit(edit):
                content_applied += is_applied
                content_proposed += not is_applied
    characters = sum(len(cleaned.document.text) for cleaned in cleaned_documents)
    rate = PER_10K / characters if characters else 0.0
    return {
        "files": len(cleaned_documents), "characters": characters,
        "content_applied": content_applied, "content_proposed": content_proposed,
        "content_applied_per_10k": content_applied * rate, "content_proposed_per_10k": content_proposed * rate,
        "applied_per_10k": sum(applied.values()) * rate,
        "applied_per_10k_by_rule": {rule: count * rate for rule, count in sorted(applied.items())},
        "applied_by_rule": dict(sorted(applied.items())), "proposed_by_rule": dict(sorted(proposed.items())),
    }


def content_edit_examples(cleaned_documents: Sequence[Cleaned], limit: int | None = 12, *,
                          wrong_only: bool = False) -> list[dict]:
    """Applied content edits with their context (the first ``limit``, None: all; wrong ones only if asked)."""
    examples = []
    for cleaned in cleaned_documents:
        text = cleaned.document.text
        for edit, applied in zip(cleaned.edits, cleaned.applied):
            if not applied or not is_content_edit(edit):
                continue
            if wrong_only and label_edit(*edit_scope(cleaned.document, edit)):
                continue
            examples.append({"path": cleaned.document.path, "rule": edit.rule, "original": edit.original,
                             "replacement": edit.replacement, "confidence": edit.confidence,
                             "context": text[max(0, edit.start - FIX_CONTEXT):edit.end + FIX_CONTEXT]})
            if len(examples) == limit:
                return examples
    return examples


def measure_side(cleaned_documents: Sequence[Cleaned]) -> dict:
    """The figures of one folder run against its gold."""
    tally = Tally()
    for cleaned in cleaned_documents:
        for unit in units(cleaned):
            tally += score_unit(*unit)
    changed_lines = line_count_changes(cleaned_documents)
    return tally.summary() | edit_counts(cleaned_documents) | {
        "files_changing_line_count": len(changed_lines), "line_count_changes": changed_lines[:10],
        "wrong_applied_examples": content_edit_examples(cleaned_documents, wrong_only=True),
    }


def calibration(labelled: Sequence[LabelledEdit]) -> dict:
    """The calibration table of all content edits, and the precision of the applied ones."""
    applied = [item for item in labelled if item.edit["status"] == "applied"]
    wrong_by_rule = Counter(item.edit["rule"] for item in applied if not item.right)
    return {
        "table": calibration_table((item.edit["confidence"], item.right) for item in labelled),
        "applied_content_edits": len(applied),
        "applied_right": sum(item.right for item in applied),
        "applied_precision": sum(item.right for item in applied) / len(applied) if applied else None,
        "applied_wrong_by_rule": dict(wrong_by_rule.most_common()),
    }


@dataclass
class PartResult:
    """One set on one part: its figures and its labelled content edits."""

    figures: dict
    labelled: list[LabelledEdit]


def noisy_and_correct(harness: Harness, set_name: str, part: str, noisy: list[Document],
                      correct: list[Document]) -> tuple[PartResult, list[Cleaned], list[Cleaned]]:
    """Clean both sides, measure them, label their content edits; the cleaned documents for extras."""
    noisy_cleaned = harness.clean(noisy, set_name, part, "noisy")
    correct_cleaned = harness.clean(correct, set_name, part, "correct")
    labelled = labelled_edits(noisy_cleaned, set_name) + labelled_edits(correct_cleaned, set_name)
    figures = {"noisy": measure_side(noisy_cleaned), "correct": measure_side(correct_cleaned),
               "calibration": calibration(labelled)}
    return PartResult(figures, labelled), noisy_cleaned, correct_cleaned


# ---------------------------------------------------------------- the sets


def line_pair_documents(pairs: Sequence[LinePair]) -> tuple[list[Document], list[Document]]:
    """One line a file: the OCR lines against their gold, and each gold line once (the correct side)."""
    noisy = [Document(f"{index:05d}.txt", lines_file([pair.ocr]), lines_file([pair.gold]), line_aligned=True)
             for index, pair in enumerate(pairs)]
    golds = list(dict.fromkeys(pair.gold for pair in pairs))
    correct = [Document(f"{index:05d}.txt", lines_file([gold]), lines_file([gold]), line_aligned=True)
               for index, gold in enumerate(golds)]
    return noisy, correct


def run_line_pairs(reader: Callable[[str], list[LinePair]]) -> Callable[[Harness, str, str], PartResult]:
    """The runner of a set of line pairs read by ``reader``."""
    def run(harness: Harness, set_name: str, part: str) -> PartResult:
        pairs = reader(part)[:harness.sizes.line_pairs]
        result, _, _ = noisy_and_correct(harness, set_name, part, *line_pair_documents(pairs))
        return result
    return run


def run_two_engine(harness: Harness, set_name: str, part: str) -> PartResult:
    """Both engines' lines of each film in one folder; per film figures and the oracle."""
    noisy, correct, cues_by_film = [], [], {}
    for film in films(part):
        cues = film_cues(film)[:harness.sizes.cues_per_film]
        cues_by_film[film] = cues
        reference = lines_file([cue.reference for cue in cues])
        for engine in ("lens", "paddle"):
            noisy.append(Document(f"{film}/{engine}.txt", lines_file([getattr(cue, engine) for cue in cues]),
                                  reference, line_aligned=True))
        correct.append(Document(f"{film}/reference.txt", reference, reference, line_aligned=True))
    result, noisy_cleaned, _ = noisy_and_correct(harness, set_name, part, noisy, correct)
    result.figures["films"] = {film: film_figures(cues, [cleaned for cleaned in noisy_cleaned
                                                         if cleaned.document.path.startswith(f"{film}/")])
                               for film, cues in cues_by_film.items()}
    return result


def film_figures(cues: Sequence[FilmCue], cleaned_documents: Sequence[Cleaned]) -> dict:
    """One film: content errors of both engines' lines before and after, and the oracle's."""
    tally = Tally()
    for cleaned in cleaned_documents:
        for unit in units(cleaned):
            tally += score_unit(*unit)
    oracle = sum(min(content_distance(cue.lens, cue.reference), content_distance(cue.paddle, cue.reference))
                 for cue in cues)
    before = tally.errors_before
    return {
        "cues": len(cues), "errors_before": before, "errors_after": tally.errors_after,
        "errors_removed": tally.summary()["errors_removed"],
        # the oracle puts the closer line in both files
        "oracle_errors": 2 * oracle, "oracle_errors_removed": (before - 2 * oracle) / before if before else None,
        "files_changing_line_count": len(line_count_changes(cleaned_documents)),
    }


def run_editions(harness: Harness, set_name: str, part: str) -> PartResult:
    """Editions cases, each a folder; the later edition's changes kept, the earlier copies left alone."""
    cases = build_cases(part, harness.sizes.edition_cases, harness.seed)
    noisy, correct = [], []
    for case in cases:
        for name, text in case.copies.items():
            noisy.append(Document(f"{case.name}/{name}", text, case.gold(name)))
            correct.append(Document(f"{case.name}/{name}", case.gold(name), case.gold(name)))
    result, noisy_cleaned, _ = noisy_and_correct(harness, set_name, part, noisy, correct)
    outputs = {cleaned.document.path: cleaned.output for cleaned in noisy_cleaned}
    by_kind: dict[str, Counter] = {}
    rewritten = rewritten_before = 0
    for case in cases:
        for change in case.changes:
            counts = by_kind.setdefault(change.kind, Counter())
            counts["changes"] += 1
            counts["kept_before_cleaning"] += later_site_outcome(case, change, case.copies[LATER_COPY]) == OWN
            outcome = later_site_outcome(case, change, outputs[f"{case.name}/{LATER_COPY}"])
            counts["kept"] += outcome == OWN
            counts["reverted"] += outcome == OTHER
            for name in EARLIER_COPIES:
                # a site the noise already made read E2 (a sentence replaced, a digit lost) is not the engine's doing
                already = earlier_site_rewritten(case, change, case.copies[name])
                rewritten_before += already
                rewritten += not already and earlier_site_rewritten(case, change, outputs[f"{case.name}/{name}"])
    total = Counter()
    for counts in by_kind.values():
        total.update(counts)  # keeps the kinds of outcome no change had (adding Counters drops zeros)
    result.figures["cases"] = len(cases)
    result.figures["changes"] = {"by_kind": {kind: dict(counts) for kind, counts in sorted(by_kind.items())},
                                 **dict(total), "kept_share": _share(total["kept"], total["changes"]),
                                 "kept_share_before_cleaning": _share(total["kept_before_cleaning"], total["changes"]),
                                 "earlier_sites": total["changes"] * len(EARLIER_COPIES),
                                 "earlier_rewritten": rewritten, "earlier_rewritten_before_cleaning": rewritten_before}
    result.figures["by_role"] = {
        role: measure_side([cleaned for cleaned in noisy_cleaned if cleaned.document.path.endswith(names)])
        for role, names in (("earlier copies", EARLIER_COPIES), ("later copy", (LATER_COPY,)))}
    return result


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def run_clean_prose(harness: Harness, set_name: str, part: str) -> PartResult:
    """Clean prose only (no noisy side): People's Daily and traditional news, measured by source."""
    documents = [Document(f"people-daily/{number:04d}.txt", text, text)
                 for number, text in enumerate(people_daily_text(lines)
                                               for lines in people_daily_documents(part, 1000, 3000))]
    documents = documents[:harness.sizes.prose_documents]
    for source in CLEAN_NEWS_SOURCES:
        news = list(clean_news_documents(source, part).items())[:harness.sizes.prose_documents]
        documents += [Document(f"{source}/{name}.txt", text, text) for name, text in news]
    cleaned = harness.clean(documents, set_name, part, "correct")
    labelled = labelled_edits(cleaned, set_name)
    figures = {"correct": measure_side(cleaned), "calibration": calibration(labelled), "sources": {}}
    for source in ("people-daily", *CLEAN_NEWS_SOURCES):
        of_source = [item for item in cleaned if item.document.path.startswith(f"{source}/")]
        figures["sources"][source] = measure_side(of_source) | traditional_conversions(of_source)
    return PartResult(figures, labelled)


def traditional_conversions(cleaned_documents: Sequence[Cleaned]) -> dict:
    """Characters that convert_traditional edits turned simplified (applied) or offered to (proposed)."""
    applied = proposed = 0
    for cleaned in cleaned_documents:
        for edit, is_applied in zip(cleaned.edits, cleaned.applied):
            if edit.rule == "convert_traditional":
                changed = sum(old != new for old, new in zip(edit.original, edit.replacement))
                applied += changed if is_applied else 0
                proposed += 0 if is_applied else changed
    return {"converted_characters": applied, "proposed_conversions": proposed}


def run_news_copies(harness: Harness, set_name: str, part: str) -> PartResult:
    """Subject articles with k noisy copies among noisy fillers, for each k; errors removed on subjects."""
    articles = {f"pd{number:04d}": people_daily_text(lines)
                for number, lines in enumerate(people_daily_documents(part, 600, 2000))}
    subjects, fillers, _ = split_corpus(articles, harness.sizes.news_subjects, 0, harness.seed)
    figures: dict = {"subjects": len(subjects), "fillers": len(fillers), "copies": {}}
    labelled: list[LabelledEdit] = []
    for copies in COPY_COUNTS:
        pages = build_witness_set(subjects, fillers, copies, seed=harness.seed * 100 + copies)
        noisy = [Document(f"{page.name}.txt", page.noisy, page.gold) for page in pages]
        correct = [Document(f"{page.name}.txt", page.gold, page.gold) for page in pages]
        result, noisy_cleaned, _ = noisy_and_correct(harness, set_name, part, noisy, correct)
        outputs = {cleaned.document.path: cleaned.output for cleaned in noisy_cleaned}
        before = after = 0
        for page in pages:
            subject = page.parts.index(page.subject)
            before += content_errors_by_part(page.gold_parts, page.noisy)[subject]
            after += content_errors_by_part(page.gold_parts, outputs[f"{page.name}.txt"])[subject]
        result.figures["subject"] = {"errors_before": before, "errors_after": after,
                                     "errors_removed": _share(before - after, before)}
        figures["copies"][str(copies)] = result.figures
        labelled += result.labelled
    figures["calibration"] = calibration(labelled)
    return PartResult(figures, labelled)


def seed_documents() -> list[Document]:
    """The pages of seeds/, no gold; text with LF line endings as the engine reads it."""
    return [Document(path.name, path.read_text(encoding="utf-8-sig").replace("\r\n", "\n"), None)
            for path in sorted(SEEDS_DIRECTORY.glob("*.txt"))]


def run_seeds(harness: Harness, set_name: str, part: str) -> PartResult:
    """The seeds folder: applied content edits, the baseline's fixes, the protected strings."""
    cleaned = harness.clean(seed_documents(), set_name, part)
    fixes = seeds_fixes(cleaned)
    baseline = json.loads(SEEDS_BASELINE.read_text(encoding="utf-8")) if SEEDS_BASELINE.exists() else None
    made = {fix_key(fix) for fix in fixes}
    figures = {
        "applied_content_edits": content_edit_examples(cleaned, limit=None),
        "edits": edit_counts(cleaned),
        "protected_strings": protected_strings(cleaned),
        "fixes": fixes,
    }
    if baseline is not None:
        lost = [fix for fix in baseline["fixes"] if fix_key(fix) not in made]
        figures["baseline"] = {"made_at": baseline["made_at"], "fixes": len(baseline["fixes"]),
                               "still_made": len(baseline["fixes"]) - len(lost), "lost": lost}
    return PartResult(figures, [])


def seeds_fixes(cleaned_documents: Sequence[Cleaned]) -> list[dict]:
    """Applied consensus and repair edits with context, except those touching a protected string."""
    fixes = []
    for cleaned in cleaned_documents:
        text = cleaned.document.text
        protected = [(start, start + len(string)) for string in PROTECTED_STRINGS
                     for start in _occurrences(text, string)]
        for edit, applied in zip(cleaned.edits, cleaned.applied):
            if not applied or edit.kind not in ("consensus", "repair"):
                continue
            if any(edit.start < end and start < max(edit.end, edit.start + 1) for start, end in protected):
                continue
            fixes.append({"file": cleaned.document.path, "rule": edit.rule, "original": edit.original,
                          "replacement": edit.replacement,
                          "before": text[max(0, edit.start - FIX_CONTEXT):edit.start],
                          "after": text[edit.end:edit.end + FIX_CONTEXT]})
    return fixes


def fix_key(fix: dict) -> tuple[str, str, str, str, str]:
    """What identifies a seeds fix across engine versions (not its rule, which may change)."""
    return fix["file"], fix["original"], fix["replacement"], fix["before"], fix["after"]


def _occurrences(text: str, string: str) -> list[int]:
    starts, start = [], text.find(string)
    while start >= 0:
        starts.append(start)
        start = text.find(string, start + 1)
    return starts


def protected_strings(cleaned_documents: Sequence[Cleaned]) -> dict:
    """For each protected string: occurrences in the inputs and in the outputs, and whether every
    file still prints it at least as often as its input did."""
    figures = {}
    for string in PROTECTED_STRINGS:
        counts = [(len(_occurrences(item.document.text, string)), len(_occurrences(item.output, string)))
                  for item in cleaned_documents]
        figures[string] = {"input": sum(before for before, _ in counts), "output": sum(after for _, after in counts),
                           "kept": all(after >= before for before, after in counts)}
    return figures


RUNNERS: dict[str, Callable[[Harness, str, str], PartResult]] = {
    "subtitle-ocr": run_line_pairs(subtitle_ocr_pairs),
    "scene-text": run_line_pairs(scene_text_pairs),
    "two-engine": run_two_engine,
    "editions": run_editions,
    "clean-prose": run_clean_prose,
    "news-copies": run_news_copies,
    "seeds": run_seeds,
}
#: the seeds have no gold and no split: they run once, as part "all"
UNSPLIT_SETS = {"seeds": "all"}


def collect_labelled_edits(set_name: str, part: str, workdir: Path, *, workers: int = 2,
                           quick: bool = False, seed: int = 1, clean_options: Sequence[str] = ()) -> list[LabelledEdit]:
    """Every content edit the engine makes on ``set_name``'s ``part`` (both sides), labelled right
    or wrong: for a script that fits the engine's confidences on the tune part (``clean_options``:
    more options for ``jiaokan clean``)."""
    harness = Harness(Path(workdir), workers, QUICK if quick else FULL, seed, tuple(clean_options))
    return RUNNERS[set_name](harness, set_name, part).labelled


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One figure the issue asks for: where it is in a part's figures, and the bar it must clear."""

    label: str
    path: tuple[str, ...]
    bar: float
    at_least: bool = True
    percent: bool = True

    def value(self, figures: dict):
        """The figure at `path` in a part's figures, or None when the run has none."""
        for key in self.path:
            if not isinstance(figures, dict) or key not in figures:
                return None
            figures = figures[key]
        return figures

    def met(self, figures: dict) -> bool | None:
        """Does the figure clear the bar (None: no figure)?"""
        value = self.value(figures)
        if value is None:
            return None
        return value >= self.bar if self.at_least else value <= self.bar

    def describe(self) -> str:
        """The bar as text: "≥ 10%", "≤ 5"."""
        bar = f"{self.bar:.0%}" if self.percent else f"{self.bar:g}"
        return f"{'≥' if self.at_least else '≤'} {bar}"


def at_most(label: str, path: tuple[str, ...], bar: float) -> Target:
    """A target that is a count or a rate not to exceed."""
    return Target(label, path, bar, at_least=False, percent=False)


APPLIED_RIGHT = Target("applied content edits right", ("calibration", "applied_precision"), 0.98)
TARGETS: dict[str, list[Target]] = {
    "subtitle-ocr": [
        Target("errors removed", ("noisy", "errors_removed"), 0.10),
        Target("changed characters right", ("noisy", "changed_characters_precision"), 0.90),
        at_most("content edits per 10k, correct lines", ("correct", "content_applied_per_10k"), 5),
        APPLIED_RIGHT,
    ],
    "scene-text": [
        Target("errors removed", ("noisy", "errors_removed"), 0.03),
        Target("lines made better per line made worse", ("noisy", "better_per_worse"), 3, percent=False),
        APPLIED_RIGHT,
    ],
    "two-engine": [
        Target("errors removed", ("noisy", "errors_removed"), 0.25),
        at_most("files changing their line count", ("noisy", "files_changing_line_count"), 0),
        APPLIED_RIGHT,
    ],
    "editions": [
        Target("later edition's changes kept", ("changes", "kept_share"), 0.95),
        at_most("earlier copies' sites rewritten towards the later edition", ("changes", "earlier_rewritten"), 0),
        APPLIED_RIGHT,
    ],
    "clean-prose": [
        at_most("content edits per 10k, People's Daily", ("sources", "people-daily", "content_applied_per_10k"), 1),
        at_most("content edits per 10k, traditional news", ("sources", "traditional", "content_applied_per_10k"), 1),
        at_most("characters converted to simplified", ("sources", "traditional", "converted_characters"), 0),
    ],
    "news-copies": [
        *(Target(f"{copies} cop{'y' if copies == 1 else 'ies'}: subject errors removed",
                 ("copies", str(copies), "subject", "errors_removed"), bar)
          for copies, bar in ((1, 0.15), (2, 0.40), (3, 0.85), (5, 0.95))),
        at_most("pages made worse", ("pages_made_worse",), 0),
        at_most("content edits per 10k, clean pages", ("clean_content_applied_per_10k",), 1),
        APPLIED_RIGHT,
    ],
    "seeds": [
        at_most("baseline fixes lost", ("baseline", "lost_count"), 0),
        at_most("protected strings lost", ("protected_lost",), 0),
    ],
}


def add_summary_figures(set_name: str, figures: dict) -> None:
    """Figures the targets read that combine others (added in place)."""
    if "noisy" in figures:
        noisy = figures["noisy"]
        noisy["better_per_worse"] = noisy["better"] / noisy["worse"] if noisy["worse"] else None
    if set_name == "clean-prose":
        sources = figures["sources"]
        characters = sum(sources[source]["characters"] for source in CLEAN_NEWS_SOURCES)
        edits = sum(sources[source]["content_applied"] for source in CLEAN_NEWS_SOURCES)
        sources["traditional"] = {
            "characters": characters, "content_applied": edits,
            "content_applied_per_10k": edits * PER_10K / characters if characters else None,
            "converted_characters": sum(sources[source]["converted_characters"] for source in CLEAN_NEWS_SOURCES)}
    if set_name == "news-copies":
        by_copies = figures["copies"].values()
        characters = sum(item["correct"]["characters"] for item in by_copies)
        figures["pages_made_worse"] = sum(item["noisy"]["worse"] for item in by_copies)
        edits = sum(item["correct"]["content_applied"] for item in by_copies)
        figures["clean_content_applied_per_10k"] = edits * PER_10K / characters if characters else None
    if set_name == "seeds":
        if "baseline" in figures:
            figures["baseline"]["lost_count"] = len(figures["baseline"]["lost"])
        figures["protected_lost"] = sum(not item["kept"] for item in figures["protected_strings"].values())


# ---------------------------------------------------------------- running and reporting


def run(arguments) -> dict:
    """Every chosen set on every chosen part: {"sets": {set: {part: figures}}, "settings": ...}."""
    sizes = QUICK if arguments.quick else FULL
    results: dict = {"settings": {"quick": arguments.quick, "workers": arguments.workers, "seed": arguments.seed,
                                  "sizes": dataclasses.asdict(sizes), "split_rules": SPLIT_RULES},
                     "sets": {}}
    with working_folder(arguments.keep) as workdir:
        harness = Harness(workdir, arguments.workers, sizes, arguments.seed)
        for set_name in arguments.sets:
            parts = [UNSPLIT_SETS[set_name]] if set_name in UNSPLIT_SETS else arguments.parts
            for part in parts:
                started = time.perf_counter()
                figures = RUNNERS[set_name](harness, set_name, part).figures
                add_summary_figures(set_name, figures)
                figures["seconds"] = time.perf_counter() - started
                figures["targets"] = [{"label": target.label, "target": target.describe(),
                                       "value": target.value(figures), "met": target.met(figures)}
                                      for target in TARGETS[set_name]]
                results["sets"].setdefault(set_name, {})[part] = figures
                print(f"  {set_name} {part}: {figures['seconds']:.0f} s", file=sys.stderr)
    return results


@contextlib.contextmanager
def working_folder(keep: Path | None) -> Iterator[Path]:
    """``--keep DIR`` (created and kept), else a temporary folder removed at the end."""
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="jiaokan-real-") as name:
        yield Path(name)


def write_seeds_baseline(results: dict) -> None:
    """bench/seeds_baseline.json from this run's seeds fixes, marked with the commit checked out."""
    from bench.run_all import machine

    commit = machine()["commit"]
    fixes = results["sets"]["seeds"]["all"]["fixes"]
    baseline = {"made_at": commit, "command": "python -m bench.real --sets seeds --write-seeds-baseline",
                "rule": "applied consensus and repair edits, except those touching "
                        + ", ".join(PROTECTED_STRINGS) + f"; context: {FIX_CONTEXT} input characters either side",
                "fixes": fixes}
    SEEDS_BASELINE.write_text(json.dumps(baseline, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SEEDS_BASELINE} ({len(fixes)} fixes at {commit})")


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description="jiaokan on real data (../shared/data and People's Daily 1998)")
    parser.add_argument("--sets", type=_names(SETS), default=list(SETS), help=f"comma-separated, of {','.join(SETS)}")
    parser.add_argument("--parts", type=_names(PARTS), default=list(PARTS), help="tune,report (default both)")
    parser.add_argument("--quick", action="store_true", help="small samples of each set: checks the harness")
    parser.add_argument("--workers", type=int, default=2, help="jiaokan clean --workers (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the editions and news-copies noise (default 1)")
    parser.add_argument("--keep", type=Path, help="keep the input and output folders here")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file ('-' for stdout)")
    parser.add_argument("--write-seeds-baseline", action="store_true",
                        help="write bench/seeds_baseline.json from this run's seeds fixes (needs --sets seeds)")
    return parser.parse_args(argv)


def _names(known: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown: {', '.join(unknown)}; known: {', '.join(known)}")
        return names
    return parse


def main(argv: list[str] | None = None) -> dict:
    """Run, print the tables (and the JSON if asked), return the figures with their markdown."""
    from bench.real_report import format_markdown, format_tables  # it reads this module's targets

    arguments = parse_arguments(argv)
    if arguments.write_seeds_baseline and "seeds" not in arguments.sets:
        raise SystemExit("--write-seeds-baseline needs the seeds set (--sets seeds)")
    started = time.perf_counter()
    results = run(arguments)
    results["seconds"] = time.perf_counter() - started
    if arguments.write_seeds_baseline:
        write_seeds_baseline(results)
    print(format_tables(results))
    command = "python -m bench.real" + (" " + " ".join(argv) if argv else "")
    results["markdown"] = format_markdown(results, command)
    if arguments.json:
        write_json(results, arguments.json)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
