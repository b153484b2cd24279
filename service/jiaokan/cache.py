"""A disk cache for tables the engine derives from its data (word list, look-alike variants).

Building them takes seconds at every start (parsing 584k word frequencies, deriving
400k misreadings of frequent words); loading them back takes a fraction of that. Each
table is stored under a key that digests the engine's code and data
(`jiaokan.config.engine_fingerprint`) and whatever else it depends on (the lexicon's
terms), so a changed input never meets a stale table. The folder is
``JIAOKAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/jiaokan``, else ``~/.cache/jiaokan``
(jieba keeps its own dictionary cache the same way). A folder that cannot be written,
or a damaged file, only means the table is built again: the cache never fails a run.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Callable, Iterable, TypeVar

Table = TypeVar("Table")

#: tables of one name kept at most (a lexicon whose terms a table meets gives it its own
#: key); the least recently used beyond are removed
KEPT_PER_NAME = 4
#: and the whole folder is kept under this size (the tables of one lexicon take about 60 MB)
MAXIMUM_BYTES = 400 * 1024 * 1024


def cache_directory() -> Path | None:
    """Where tables are kept; None when caching is off (``JIAOKAN_CACHE_DIR`` set empty)."""
    configured = os.environ.get("JIAOKAN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jiaokan"


def cached_table(name: str, build: Callable[[], Table], depends_on: Iterable[str] = ()) -> Table:
    """The table ``name`` from the cache, or ``build()`` stored there for next time."""
    from jiaokan.config import engine_fingerprint

    directory = cache_directory()
    if directory is None:
        return build()
    digest = hashlib.sha256(engine_fingerprint().encode())
    for part in depends_on:
        digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    path = directory / f"{name}-{digest.hexdigest()[:24]}.pickle"
    try:
        with path.open("rb") as stream:
            table = pickle.load(stream)
    except Exception:  # missing, damaged or from another Python: build it again
        pass
    else:
        _touch(path)
        return table
    table = build()
    _store(path, table)
    return table


def _store(path: Path, table) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        with os.fdopen(descriptor, "wb") as stream:
            pickle.dump(table, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        return  # a read-only home, a full disk: run without the cache
    _prune(path)


def _touch(path: Path) -> None:
    """Mark a table used now (its modification time: pruning removes the least recently used)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _prune(kept: Path) -> None:
    """Remove the least recently used tables of the same name beyond `KEPT_PER_NAME`, then
    the least recently used of all until the folder is under `MAXIMUM_BYTES` (never ``kept``)."""
    prefix = kept.name.rsplit("-", 1)[0] + "-"
    try:
        tables = sorted(
            ((entry, entry.stat()) for entry in kept.parent.iterdir() if entry.suffix == ".pickle"),
            key=lambda pair: pair[1].st_mtime,
            reverse=True,
        )
        same_name = [entry for entry, _ in tables if entry.name.startswith(prefix)]
        removed = set(same_name[KEPT_PER_NAME:])
        size = sum(status.st_size for entry, status in tables if entry not in removed)
        for entry, status in reversed(tables):  # the least recently used first
            if size <= MAXIMUM_BYTES:
                break
            if entry != kept and entry not in removed:
                removed.add(entry)
                size -= status.st_size
        for stale in removed:
            stale.unlink(missing_ok=True)
    except OSError:
        pass
