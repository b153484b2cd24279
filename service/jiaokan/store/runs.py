"""Batch runs and the store: load a run's results for review, write final texts back out.

`load_run` is what ``jiaokan clean`` calls to put its results in front of reviewers;
`load_folder` is what ``jiaokan serve --load`` does with a folder of texts; and
`write_final_texts` is ``jiaokan apply``. All three are idempotent and never lose a
decision a person took.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence, Union

from jiaokan.errors import InputError
from jiaokan.store import repository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from jiaokan.config import EngineConfig
    from jiaokan.result import Correction

#: what a run gives for one document: a Correction, its ``to_dict()``, or a list of edit dicts
RunResult = Union["Correction", Mapping[str, Any], Sequence[Mapping[str, Any]]]


@dataclass
class LoadSummary:
    """What loading did: documents by outcome and the proposal merge counts."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    merge: repository.MergeStats = field(default_factory=repository.MergeStats)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
            "proposals": vars(self.merge).copy(),
        }


@contextlib.contextmanager
def session_scope(session_or_url: "Session | str") -> Iterator["Session"]:
    """A session in a write transaction: a given session is used and left for its owner to
    commit; a URL opens (and migrates) the store and commits at the end."""
    if not isinstance(session_or_url, str):
        yield session_or_url
        session_or_url.flush()
        return
    from jiaokan.store.database import open_store

    engine, session_factory = open_store(session_or_url)
    try:
        with session_factory() as session, repository.write_transaction(session):
            yield session
    finally:
        engine.dispose()


def edits_of(result: RunResult) -> list[tuple[Any, bool]]:
    """(Edit, auto-applied) pairs from any of the shapes a run may give."""
    from jiaokan.edits import Edit

    if hasattr(result, "edits") and hasattr(result, "applied"):
        return list(zip(result.edits, result.applied))
    records = result.get("edits", []) if isinstance(result, Mapping) else result
    pairs = []
    for record in records:
        try:
            edit = Edit.from_dict(record)
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"not an edit record: {record!r} ({error})") from error
        pairs.append((edit, record.get("status", "proposed") == "applied"))
    return pairs


def load_run(
    session_or_url: "Session | str",
    documents: Iterable[tuple[str, str, RunResult]],
    collection: str = "default",
    config: "EngineConfig | None" = None,
) -> LoadSummary:
    """Store a batch run's documents and their edits as proposals in ``collection``.

    ``documents`` yields ``(name, original_text, result)``; ``result`` is a `Correction`,
    a ``Correction.to_dict()`` or a list of edit dicts (``status: "applied"`` marks the
    ones the policy applied). Loading the same run again changes nothing; a re-run's new
    edits are merged without touching decided proposals. A document whose text changed
    since it was stored is replaced, and its old proposals (offsets into the old text)
    are dropped with their decisions. Every edit is checked against its text first.
    The collection's witness index is built again with ``config``'s discovery settings (the
    engine's defaults without one), so documents posted later find these as witnesses.
    """
    from jiaokan.config import EngineConfig
    from jiaokan.edits import check_edits
    from jiaokan.store import witness_index

    summary = LoadSummary()
    with session_scope(session_or_url) as session:
        stored_collection = repository.get_or_create_collection(session, collection)
        for name, text, result in documents:
            pairs = edits_of(result)
            try:
                check_edits(text, [edit for edit, _ in pairs])
            except Exception as error:  # EditConflictError: the run does not match its text
                raise InputError(f"edits of {name!r} do not fit its text: {error}") from error
            document, outcome = repository.add_document(
                session, name=name, text=text, collection=stored_collection, replace=True
            )
            getattr(summary, outcome).append(name)
            summary.merge += repository.merge_proposals(session, document, pairs)
        witness_index.rebuild(session, stored_collection, config or EngineConfig())
        # proposals were computed by someone else's config: a later `serve --load` recomputes them
        stored_collection.config_fingerprint = None
    return summary


def read_text_file(path: Path) -> str:
    """A text file as str: UTF-8 (with or without BOM), else the encoding charset-normalizer finds."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise InputError(f"{path}: not text in any encoding we know") from None
        return str(best)


def load_folder(
    session: "Session", folder: Path, *, collection: str, config: "EngineConfig", pattern: str = "*.txt"
) -> LoadSummary:
    """Store the folder's text files (names relative to it) and compute their proposals.

    The engine runs only when something is new or the config changed since the last run,
    so starting the service again on the same folder is quick and changes nothing.
    """
    from jiaokan.store import witness_index

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    summary = LoadSummary()
    stored_collection = repository.get_or_create_collection(session, collection)
    for path in sorted(folder.rglob(pattern)):
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        _, outcome = repository.add_document(
            session, name=name, text=read_text_file(path), collection=stored_collection, replace=False
        )
        getattr(summary, outcome).append(name)
    if summary.created or stored_collection.config_fingerprint != config.fingerprint():
        witness_index.rebuild(session, stored_collection, config)
        summary.merge = witness_index.refresh_all(session, stored_collection, config)
    return summary


def output_path(output: Path, name: str) -> Path:
    """Where ``jiaokan apply`` writes document ``name``: inside ``output``, never outside it."""
    repository.check_document_name(name)
    target = (output / name).resolve()
    if not target.is_relative_to(output.resolve()):
        raise InputError(f"document name {name!r} points outside {output}")
    return target


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 through a temporary file and ``os.replace``: readers see the old
    file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_final_texts(session: "Session", collection: str, output: Path) -> list[Path]:
    """Write each document's final text (accepted and auto-applied pending edits; never a
    rejected one) to ``output/<name>``; returns the paths written."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from jiaokan.store.models import Document

    stored_collection = repository.find_collection(session, collection)
    output = Path(output)
    written = []
    query = (
        select(Document)
        .where(Document.collection_id == stored_collection.id)
        .order_by(Document.name)
        .options(selectinload(Document.proposals))
    )
    for document in session.scalars(query):
        target = output_path(output, document.name)
        write_atomically(target, repository.final_text(document))
        written.append(target)
    return written
