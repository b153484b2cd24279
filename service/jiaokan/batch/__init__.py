"""Folder runs (``jiaokan clean``): read a tree of OCR text, clean it as one corpus, write results.

Layout of OUTPUT (see `jiaokan.batch.layout`)::

    OUTPUT/<relative path>                        the cleaned text: UTF-8, no BOM, LF line endings
    OUTPUT/.jiaokan/edits/<relative path>.jsonl   that file's edits, one JSON object per line:
                                                  Edit.to_dict() plus "status" ("applied" | "proposed")
    OUTPUT/.jiaokan/manifest.jsonl                finished files: path, input sha256, config and corpus
                                                  fingerprints, output hashes, edit counts (for resume)
    OUTPUT/.jiaokan/summary.json                  the last run's summary (the only file with timestamps)

Modules: `discovery` (which files, which relative paths), `encoding` (bytes to text),
`atomic` (temporary file + rename), `manifest` (what is finished), `summary` (JSON and
table), `progress` (tqdm bars on a terminal), `faults` (kill/delay hooks for tests),
`runner` (`clean_folder`, the whole run).
"""
from jiaokan.batch.runner import CleanRequest, CleanResult, clean_folder

__all__ = ["CleanRequest", "CleanResult", "clean_folder"]
