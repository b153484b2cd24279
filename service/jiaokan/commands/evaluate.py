"""`jiaokan eval GOLD PRED`: character error rate of texts against a gold standard.

A thin wrapper over `jiaokan.evaluation.evaluate.evaluate`. Prints a summary (or, with
``--json``, one JSON object whose top-level ``"cer"`` is the overall rate), optionally writes
an HTML report, and with ``--edits`` and ``--noisy`` judges a run's edits. Bad input (missing
files, unmatched paths, text that is not UTF-8) is one line on stderr and exit code 2.
"""
from __future__ import annotations

import json
from pathlib import Path


def add_arguments(parser) -> None:
    """GOLD, PRED and the options."""
    parser.add_argument("gold", metavar="GOLD", type=Path, help="gold text: a file or a folder")
    parser.add_argument("predicted", metavar="PRED", type=Path, help="texts to measure: a file or a folder matched by relative path")
    parser.add_argument("--json", action="store_true", help="print one JSON object (top-level \"cer\")")
    parser.add_argument("--html", metavar="REPORT", type=Path, help="write an HTML report (per-file table, side-by-side diffs)")
    parser.add_argument("--edits", metavar="EDITS", type=Path,
                        help="a run's edit records: OUTPUT, OUTPUT/.jiaokan/edits or one .jsonl; needs --noisy")
    parser.add_argument("--noisy", metavar="NOISY", type=Path, help="the input the edits were made on (file or folder)")
    parser.add_argument("--no-fold-width", dest="fold_width", action="store_false",
                        help="count ，/, and other full-/half-width pairs (and 。/.) as errors")
    parser.add_argument("--no-fold-whitespace", dest="fold_whitespace", action="store_false",
                        help="count spaces and line breaks as characters")
    parser.add_argument("--top", type=int, default=20, help="confusion pairs to show (default 20)")


def run(arguments) -> int:
    """Evaluate, print, report."""
    from jiaokan.evaluation.evaluate import evaluate

    evaluation = evaluate(
        arguments.gold, arguments.predicted,
        fold_width=arguments.fold_width, fold_whitespace=arguments.fold_whitespace,
        edits=arguments.edits, noisy=arguments.noisy,
    )
    if arguments.html:
        from jiaokan.evaluation.report import write_report

        write_report(evaluation, arguments.html, top=arguments.top)
    if arguments.json:
        print(json.dumps(evaluation.to_dict(arguments.top), ensure_ascii=False))
    else:
        print(format_summary(evaluation, arguments.top))
    return 0


def format_summary(evaluation, top: int) -> str:
    """The human-readable summary."""
    total = evaluation.total
    lines = []
    if len(evaluation.files) > 1:
        width = max(len(result.name) for result in evaluation.files)
        for result in evaluation.files:
            lines.append(f"{result.name:<{width}}  CER {result.errors.cer:7.3%}  "
                         f"({result.errors.distance} / {result.errors.reference_length})")
    lines.append(f"CER {total.cer:.3%} ({total.distance} errors / {total.reference_length} gold characters): "
                 f"{total.substitutions} substitutions, {total.deletions} deletions, {total.insertions} insertions")
    confusions = total.top_confusions(top)
    if confusions:
        lines.append("most frequent confusions (gold -> predicted): " + ", ".join(
            f"{gold or '∅'}->{predicted or '∅'} ×{count}" for gold, predicted, count in confusions))
    for scope, counts in evaluation.edit_totals().items():
        lines.append(f"edits ({scope}): {counts.edits} made, {counts.correct} correct, {counts.wrong} wrong "
                     f"({counts.on_correct_text} on text that was already correct), {counts.neutral} neutral; "
                     f"precision {counts.precision:.1%}, recall {counts.recall:.1%} "
                     f"({counts.errors_fixed} of {counts.errors_present} errors fixed)")
    return "\n".join(lines)
