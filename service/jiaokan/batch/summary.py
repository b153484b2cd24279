"""The run summary: a JSON document (``OUTPUT/.jiaokan/summary.json``) and a table for people.

Counts cover the whole output folder (files finished in an earlier, interrupted run
included); ``this_run`` parts and the timings describe this run only. The summary is
the one output with timestamps in it, so it is the one file that differs between two
runs over the same input.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from jiaokan.batch.discovery import SkippedFile
from jiaokan.batch.manifest import FinishedFile

#: how many skipped or failed files the table names before referring to the JSON
TABLE_LIST_LIMIT = 20


@dataclass(frozen=True)
class RunFacts:
    """What a run did, as the runner saw it."""

    inputs: tuple[str, ...]
    output: str
    finished: Mapping[str, FinishedFile]
    cleaned_this_run: frozenset[str]
    skipped: tuple[SkippedFile, ...]
    failed: tuple[SkippedFile, ...]
    config_fingerprint: str
    corpus_fingerprint: str
    workers: int
    stale_temporaries_removed: int
    bytes_this_run: int
    started_at: str
    finished_at: str
    seconds: Mapping[str, float]


def build_summary(facts: RunFacts) -> dict[str, Any]:
    """The summary document of a run."""
    records = [facts.finished[path] for path in sorted(facts.finished)]
    by_rule: dict[str, Counter] = {}
    for record in records:
        for rule, counts in record.edits_by_rule.items():
            by_rule.setdefault(rule, Counter()).update(counts)
    applied = sum(counts["applied"] for counts in by_rule.values())
    proposed = sum(counts["proposed"] for counts in by_rule.values())
    characters_this_run = sum(facts.finished[path].characters for path in facts.cleaned_this_run if path in facts.finished)
    total_seconds = facts.seconds.get("total", 0.0)
    return {
        "jiaokan_version": jiaokan_version(),
        "inputs": list(facts.inputs),
        "output": facts.output,
        "config_fingerprint": facts.config_fingerprint,
        "corpus_fingerprint": facts.corpus_fingerprint,
        "workers": facts.workers,
        "files": {
            "cleaned": len(records),
            "cleaned_this_run": len(facts.cleaned_this_run & set(facts.finished)),
            "reused": len(set(facts.finished) - facts.cleaned_this_run),
            "skipped": len(facts.skipped),
            "failed": len(facts.failed),
        },
        "characters": {
            "input": sum(record.characters for record in records),
            "output": sum(record.output_characters for record in records),
            "this_run": characters_this_run,
        },
        "encodings": dict(sorted(Counter(record.encoding for record in records).items())),
        "edits": {
            "total": applied + proposed,
            "applied": applied,
            "proposed": proposed,
            "by_rule": {rule: {"applied": counts["applied"], "proposed": counts["proposed"]} for rule, counts in sorted(by_rule.items())},
        },
        "skipped": [{"path": entry.relative_path, "reason": entry.reason} for entry in facts.skipped],
        "failed": [{"path": entry.relative_path, "reason": entry.reason} for entry in facts.failed],
        "stale_temporaries_removed": facts.stale_temporaries_removed,
        "timings": {
            "started_at": facts.started_at,
            "finished_at": facts.finished_at,
            "seconds": {name: round(value, 3) for name, value in sorted(facts.seconds.items())},
            "megabytes_per_second": round(facts.bytes_this_run / 1e6 / total_seconds, 3) if total_seconds > 0 else None,
            "characters_per_second": round(characters_this_run / total_seconds) if total_seconds > 0 else None,
        },
    }


def format_table(summary: Mapping[str, Any], summary_path: str = "") -> str:
    """The summary as a few aligned lines for a terminal."""
    files, characters, edits, timings = summary["files"], summary["characters"], summary["edits"], summary["timings"]
    lines = [
        f"files       {files['cleaned']:,} cleaned ({files['cleaned_this_run']:,} this run, "
        f"{files['reused']:,} kept from an earlier run), {files['skipped']:,} skipped, {files['failed']:,} failed",
        f"characters  {characters['input']:,} in, {characters['output']:,} out",
        f"edits       {edits['applied']:,} applied, {edits['proposed']:,} left for review",
    ]
    if edits["by_rule"]:
        width = max(len(rule) for rule in edits["by_rule"])
        lines.append(f"  {'rule'.ljust(width)}  {'applied':>8}  {'proposed':>8}")
        for rule, counts in edits["by_rule"].items():
            lines.append(f"  {rule.ljust(width)}  {counts['applied']:>8,}  {counts['proposed']:>8,}")
    if summary["encodings"]:
        lines.append("encodings   " + ", ".join(f"{name} {count:,}" for name, count in summary["encodings"].items()))
    lines.extend(_listing("skipped", summary["skipped"]))
    lines.extend(_listing("failed", summary["failed"]))
    seconds = timings["seconds"].get("total")
    rate = timings["megabytes_per_second"]
    if seconds is not None:
        lines.append(f"time        {seconds:.1f} s" + (f", {rate:.2f} MB/s" if rate else ""))
    if summary_path:
        lines.append(f"summary     {summary_path}")
    return "\n".join(lines)


def _listing(label: str, entries: Iterable[Mapping[str, str]]) -> list[str]:
    entries = list(entries)
    lines = [f"{label:<11} {entry['path']}: {entry['reason']}" for entry in entries[:TABLE_LIST_LIMIT]]
    if len(entries) > TABLE_LIST_LIMIT:
        lines.append(f"{label:<11} ... and {len(entries) - TABLE_LIST_LIMIT:,} more (see the summary file)")
    return lines


def jiaokan_version() -> str:
    """The installed version of jiaokan (part of the configuration fingerprint of a run)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jiaokan")
    except PackageNotFoundError:
        return "unknown"
