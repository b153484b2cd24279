"""Writing files so that a reader (or a restarted run) sees either the old bytes or the new, never a part.

Every output goes to a temporary file in the same directory (so the rename stays on one
file system), is flushed and fsync'ed, then renamed over its final name with
`os.replace`, which is atomic on POSIX. A run killed between the two steps leaves a
temporary file behind; its name starts with `TEMPORARY_PREFIX`, and
`remove_stale_temporaries` deletes those at the start of the next run.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Callable

#: every temporary file jiaokan writes starts with this (a dot, so listings hide it)
TEMPORARY_PREFIX = ".jiaokan-tmp-"
TEMPORARY_SUFFIX = ".part"


def write_atomically(
    path: str | os.PathLike,
    data: bytes,
    *,
    durable: bool = True,
    before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Write ``data`` to ``path`` atomically; with ``durable`` it also survives a power cut.

    ``before_replace`` is called with the finished temporary file just before the
    rename (the fault-injection tests kill the process there). Paths are handled as
    strings: a run writes 20,000 files, and path objects cost more than the names.
    """
    path = os.fspath(path)
    descriptor, temporary = _create_temporary(path)
    try:
        try:
            _write_all(descriptor, data)
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if before_replace is not None:
            before_replace(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _write_all(descriptor: int, data: bytes) -> None:
    """Write all of ``data`` to a file descriptor (plain system calls: a file object's
    buffering and its fstat, ioctl and lseek on opening cost more than the write, 20,000
    files a run)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def sync_directory(path: Path) -> None:
    """fsync a directory so the renames inside it are durable (no-op where unsupported)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def is_temporary(name: str) -> bool:
    """Whether a file name is one of our temporary files."""
    return name.startswith(TEMPORARY_PREFIX) and name.endswith(TEMPORARY_SUFFIX)


def remove_stale_temporaries(root: Path) -> list[Path]:
    """Delete the temporary files an interrupted run left under ``root``; returns them."""
    removed = []
    if not root.is_dir():
        return removed
    for directory, _subdirectories, names in os.walk(root):
        for name in names:
            if is_temporary(name):
                stale = Path(directory, name)
                stale.unlink(missing_ok=True)
                removed.append(stale)
    return sorted(removed)


def _create_temporary(path: str) -> tuple[int, str]:
    """A new temporary file next to ``path``, with the permissions a normal file gets (0666 less the umask)."""
    try:
        return _open_new(path)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return _open_new(path)


#: temporary names: this process's id and a counter (O_EXCL makes a clash with a file left
#: by another process a retry, not a loss)
_NAMES = itertools.count()


def _open_new(path: str) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    folder = os.path.dirname(path)
    while True:
        temporary = os.path.join(folder, f"{TEMPORARY_PREFIX}{os.getpid()}-{next(_NAMES)}{TEMPORARY_SUFFIX}")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
