"""Where a run writes what, under OUTPUT.

::

    OUTPUT/<relative path>                        the cleaned text: UTF-8, no BOM, LF line endings
    OUTPUT/.jiaokan/edits/<relative path>.jsonl   that file's edits, one JSON object per line:
                                                  Edit.to_dict() plus "status" ("applied" | "proposed");
                                                  offsets are into the decoded input with LF line endings
    OUTPUT/.jiaokan/variants/<relative path>.jsonl  only for a file with variants: where other copies read
                                                  otherwise and nothing changed, Variant.to_dict() per line
    OUTPUT/.jiaokan/manifest.jsonl                the finished files (what makes a run resumable)
    OUTPUT/.jiaokan/summary.json                  the summary of the last run
    OUTPUT/.jiaokan/lock                          held while a run writes (two runs cannot share OUTPUT)

Only text files get outputs; skipped and failed files are named in the summary.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: the folder under OUTPUT with everything that is not a cleaned text (hidden, like .git)
STATE_DIRECTORY = ".jiaokan"


@dataclass(frozen=True)
class OutputLayout:
    """The paths of one output folder."""

    root: Path

    @property
    def state(self) -> Path:
        return self.root / STATE_DIRECTORY

    @property
    def manifest(self) -> Path:
        return self.state / "manifest.jsonl"

    @property
    def summary(self) -> Path:
        return self.state / "summary.json"

    @property
    def lock(self) -> Path:
        return self.state / "lock"

    def text(self, relative_path: str) -> Path:
        """Where the cleaned text of ``relative_path`` goes."""
        return Path(self.text_file(relative_path))

    def edits(self, relative_path: str) -> Path:
        """Where the edits of ``relative_path`` go."""
        return Path(self.edits_file(relative_path))

    def text_file(self, relative_path: str) -> str:
        """`text` as a string (the writer's path for each document: no path objects)."""
        return os.path.join(self.root, *relative_path.split("/"))

    def edits_file(self, relative_path: str) -> str:
        """`edits` as a string."""
        return self._record_file("edits", relative_path)

    def variants(self, relative_path: str) -> Path:
        """Where the variants of ``relative_path`` go (written only when there are some)."""
        return Path(self.variants_file(relative_path))

    def variants_file(self, relative_path: str) -> str:
        """`variants` as a string."""
        return self._record_file("variants", relative_path)

    def _record_file(self, kind: str, relative_path: str) -> str:
        parts = relative_path.split("/")
        return os.path.join(self.root, STATE_DIRECTORY, kind, *parts[:-1], parts[-1] + ".jsonl")
