"""Finding the input files of a run and the relative path each one keeps in the output.

With one directory as INPUT, paths are relative to it (``INPUT/a/b.txt`` -> ``a/b.txt``).
With several INPUTs, or a file, each input keeps its own name (``pages/a/b.txt``,
``note.txt``); two inputs with the same name are refused. Relative paths use ``/``
whatever the platform, and sort the same everywhere, so a run does not depend on the
order the file system lists entries in.

Walked recursively; skipped, each with its reason in the summary (never silently):
hidden files and directories (name starting with a dot; not descended into), symbolic
links to directories (not followed, so no loops), things that are not regular files,
and names that are not valid UTF-8. Symbolic links to files are read.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from jiaokan.errors import InputError


@dataclass(frozen=True, order=True)
class InputFile:
    """A file to clean: where it is, and where its outputs go (relative, POSIX separators)."""

    relative_path: str
    path: str = field(compare=False)  # (a plain string: a Path each costs more than reading a small file)


@dataclass(frozen=True, order=True)
class SkippedFile:
    """An input entry that is not cleaned, and why."""

    relative_path: str
    reason: str


@dataclass(frozen=True)
class Discovery:
    """Everything found under the inputs, sorted by relative path."""

    files: tuple[InputFile, ...]
    skipped: tuple[SkippedFile, ...]


def check_locations(inputs: Sequence[Path], output: Path) -> None:
    """Refuse missing inputs and an output that overlaps an input (outputs must never be read as inputs)."""
    if not inputs:
        raise InputError("no INPUT given")
    resolved_output = output.resolve()
    for given in inputs:
        if not given.exists():
            raise InputError(f"INPUT not found: {given}")
        resolved_input = given.resolve()
        if resolved_output == resolved_input:
            raise InputError(f"OUTPUT {output} is the same as INPUT {given}; choose another folder")
        if resolved_output.is_relative_to(resolved_input):
            raise InputError(f"OUTPUT {output} is inside INPUT {given}; choose a folder outside it")
        if resolved_input.is_relative_to(resolved_output):
            raise InputError(f"INPUT {given} is inside OUTPUT {output}; choose a folder outside it")
    if output.exists() and not output.is_dir():
        raise InputError(f"OUTPUT {output} exists and is not a folder")


def discover_inputs(inputs: Sequence[Path]) -> Discovery:
    """Every input file and every skipped entry, by relative path."""
    files: dict[str, InputFile] = {}
    skipped: list[SkippedFile] = []
    keep_own_name = len(inputs) > 1 or not inputs[0].is_dir()
    for given in inputs:
        prefix = _input_name(given) if keep_own_name else ""
        for entry in _walk(given, prefix, skipped):
            if entry.relative_path in files:
                raise InputError(f"two inputs give the same path {entry.relative_path!r}; rename one of them")
            files[entry.relative_path] = entry
    return Discovery(files=tuple(sorted(files.values())), skipped=tuple(sorted(skipped)))


def _input_name(given: Path) -> str:
    # "." or "../x/" have no useful name of their own: use the folder's real name
    return given.name or given.resolve().name


def _walk(given: Path, prefix: str, skipped: list[SkippedFile]) -> Iterable[InputFile]:
    if not given.is_dir():
        if _is_regular_file(os.fspath(given)):
            yield InputFile(prefix, os.fspath(given))
        else:
            skipped.append(SkippedFile(prefix, "not a regular file"))
        return
    for directory, subdirectories, names in os.walk(given, followlinks=False):
        relative_directory = Path(directory).relative_to(given).as_posix()
        base = "/".join(part for part in (prefix, relative_directory) if part and part != ".")
        kept_subdirectories = []
        for name in sorted(subdirectories):
            relative = _join(base, name)
            reason = _directory_skip_reason(Path(directory, name), name)
            if reason:
                skipped.append(SkippedFile(_printable(relative), reason))
            else:
                kept_subdirectories.append(name)
        subdirectories[:] = kept_subdirectories  # os.walk descends only into what stays in the list
        for name in sorted(names):
            relative = _join(base, name)
            path = os.path.join(directory, name)
            reason = _file_skip_reason(path, name)
            if reason:
                skipped.append(SkippedFile(_printable(relative), reason))
            else:
                yield InputFile(relative, path)


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def _directory_skip_reason(path: Path, name: str) -> str | None:
    if not _is_utf8(name):
        return "directory name is not valid UTF-8"
    if name.startswith("."):
        return "hidden directory (not searched)"
    if path.is_symlink():
        return "symbolic link to a directory (not followed)"
    return None


def _file_skip_reason(path: str, name: str) -> str | None:
    if not _is_utf8(name):
        return "file name is not valid UTF-8"
    if name.startswith("."):
        return "hidden file"
    if not _is_regular_file(path):
        return "not a regular file (or a broken link)"
    return None


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _is_utf8(name: str) -> bool:
    # os.walk gives undecodable bytes of a name as lone surrogates
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(relative: str) -> str:
    return relative.encode("utf-8", "backslashreplace").decode("utf-8")
