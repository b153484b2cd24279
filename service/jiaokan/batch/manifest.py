"""The run manifest: which files are finished, so a restarted run does only the rest.

``OUTPUT/.jiaokan/manifest.jsonl`` holds one JSON object per finished file (see
`FinishedFile`). A line is appended only after the outputs of the file are in place,
in one ``write`` to a file opened for appending, so a process killed at any moment
leaves whole lines. A torn last line (possible only on a power cut) is ignored.

A record counts as finished on the next run only if it still describes the same
work — same input bytes, same engine configuration, same corpus (witnesses come from
the whole folder, so a changed folder can change any file's result) — and the outputs
on disk still have the bytes it names. That last check also means outputs need not be
fsync'ed one by one: an output lost in a power cut fails the check and is redone.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from jiaokan.batch.atomic import write_atomically


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False)  # (records hold no cycles)


def canonical_json(value: Any) -> str:
    """JSON that is the same bytes for the same value: sorted keys, UTF-8 kept, no spaces."""
    return _CANONICAL.encode(value)


@dataclass(frozen=True)
class FinishedFile:
    """One finished file: what it was made from, and what was written."""

    relative_path: str
    input_sha256: str
    config_fingerprint: str
    corpus_fingerprint: str
    encoding: str
    characters: int
    output_characters: int
    text_sha256: str
    edits_sha256: str
    #: rule -> {"applied": count, "proposed": count}
    edits_by_rule: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: the variants file's digest; "" when the file has no variants (and no variants file)
    variants_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (one manifest line)."""
        return {
            "relative_path": self.relative_path,
            "input_sha256": self.input_sha256,
            "config_fingerprint": self.config_fingerprint,
            "corpus_fingerprint": self.corpus_fingerprint,
            "encoding": self.encoding,
            "characters": self.characters,
            "output_characters": self.output_characters,
            "text_sha256": self.text_sha256,
            "edits_sha256": self.edits_sha256,
            "edits_by_rule": {rule: dict(counts) for rule, counts in self.edits_by_rule.items()},
            "variants_sha256": self.variants_sha256,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FinishedFile":
        """The inverse of `to_dict`; raises KeyError/TypeError/ValueError on a malformed record."""
        return cls(
            relative_path=str(data["relative_path"]),
            input_sha256=str(data["input_sha256"]),
            config_fingerprint=str(data["config_fingerprint"]),
            corpus_fingerprint=str(data["corpus_fingerprint"]),
            encoding=str(data["encoding"]),
            characters=int(data["characters"]),
            output_characters=int(data["output_characters"]),
            text_sha256=str(data["text_sha256"]),
            edits_sha256=str(data["edits_sha256"]),
            edits_by_rule={
                str(rule): {"applied": int(counts["applied"]), "proposed": int(counts["proposed"])}
                for rule, counts in dict(data.get("edits_by_rule") or {}).items()
            },
            variants_sha256=str(data.get("variants_sha256", "")),
        )


class Manifest:
    """The manifest file of one output folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None
        #: the line each record appended this run was written as, by path (the rewrite at the
        #: run's end reuses it instead of encoding 10,000 records again)
        self._appended: dict[str, tuple[FinishedFile, bytes]] = {}

    def load(self) -> dict[str, FinishedFile]:
        """The records by relative path (the last line for a path wins); malformed lines are ignored."""
        records: dict[str, FinishedFile] = {}
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return records
        for line in content.split(b"\n"):
            record = _parse_line(line)
            if record is not None:
                records[record.relative_path] = record
        return records

    def rewrite(self, records: Iterable[FinishedFile]) -> None:
        """Replace the manifest with ``records``, sorted, atomically (drops stale and torn lines)."""
        ordered = sorted(records, key=lambda record: record.relative_path)
        data = b"".join(map(self._line, ordered))
        self.close()  # an open descriptor would append to the replaced file
        write_atomically(self.path, data, durable=False)

    def append(self, record: FinishedFile) -> None:
        """Add one record with a single append (whole lines survive a kill)."""
        line = _encoded(record)
        self._appended[record.relative_path] = (record, line)
        if self._descriptor is None:
            self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        written = os.write(self._descriptor, line)
        while written < len(line):  # only on unusual file systems; keep the line whole anyway
            written += os.write(self._descriptor, line[written:])

    def _line(self, record: FinishedFile) -> bytes:
        appended, line = self._appended.get(record.relative_path, (None, b""))
        return line if appended is record else _encoded(record)

    def close(self) -> None:
        """Close the file appended to (reopened on the next append)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def _encoded(record: FinishedFile) -> bytes:
    """A record's line in the manifest."""
    return (canonical_json(record.to_dict()) + "\n").encode("utf-8")


def _parse_line(line: bytes) -> FinishedFile | None:
    if not line.strip():
        return None
    try:
        return FinishedFile.from_dict(json.loads(line))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
