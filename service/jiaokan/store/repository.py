"""Every read and write of the review store, as plain functions over a SQLAlchemy session.

The API routes, the review page and the commands call these; none of them touch the
tables directly. Write functions flush but never commit: the caller owns the
transaction (`write_transaction` opens one that takes the write lock up front).

Invariant: the proposals of a document never overlap, so any subset applies. The engine
guarantees it for one run; `merge_proposals` keeps it across runs by letting a decided
proposal win over a newly computed one that overlaps it.
"""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from jiaokan.errors import ConflictError, InputError, NotFoundError
from jiaokan.store.models import (
    ACCEPTED,
    LEXICON_VERSION_ROW,
    PENDING,
    REJECTED,
    STATUSES,
    Collection,
    Decision,
    Document,
    LexiconVersion,
    Proposal,
    Term,
    utc_now,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from jiaokan.edits import Edit, Variant

MAX_NAME_LENGTH = 1024
MAX_TERM_LENGTH = 200


@dataclass
class MergeStats:
    """What merging a new engine run into a document's stored proposals did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    kept_decided: int = 0
    skipped_overlapping: int = 0

    def __iadd__(self, other: "MergeStats") -> "MergeStats":
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@dataclass
class DocumentCounts:
    """Proposals of a document by status."""

    pending: int = 0
    accepted: int = 0
    rejected: int = 0
    auto: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.accepted + self.rejected


@dataclass
class DocumentSummary:
    """A document with its proposal counts (one row of the document list)."""

    document: Document
    counts: DocumentCounts = field(default_factory=DocumentCounts)


# --- transactions ---------------------------------------------------------------------------


@contextlib.contextmanager
def write_transaction(session: "Session") -> Iterator["Session"]:
    """Commit on success, roll back on error; on SQLite the write lock is taken at BEGIN."""
    if not session.in_transaction():
        session.connection(execution_options={"jiaokan_write": True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def create_if_absent(session: "Session", query, make) -> tuple[Any, bool]:
    """The row ``query`` finds, else ``make()`` added; returns it and whether it is new.

    Two requests may both find nothing and both insert (PostgreSQL lets them; SQLite's write
    lock does not): the insert runs in a savepoint, so the one that loses the unique index
    rolls back only that, reads the winner's row and answers as if it had been there.
    """
    from sqlalchemy.exc import IntegrityError

    existing = session.scalars(query).first()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            created = make()
            session.add(created)
    except IntegrityError:
        existing = session.scalars(query).first()
        if existing is None:  # a clash with something else than the row looked for
            raise
        return existing, False
    return created, True


def insert_if_absent(session: "Session", model, unique: list[str], **values):
    """Insert a ``model`` row of ``values`` unless one with the same ``unique`` columns exists
    (INSERT ... ON CONFLICT DO NOTHING: where two requests insert the same row, PostgreSQL has
    the second wait for the first and insert nothing); the new object, or None. One statement,
    where `create_if_absent`'s savepoint takes three."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=unique).returning(model)
    return session.scalars(statement).first()


# --- checks ---------------------------------------------------------------------------------


def check_text(value: str, what: str, *, allow_nul: bool = False) -> str:
    """Refuse strings the store cannot hold: lone surrogates (not encodable) and NUL (PostgreSQL)."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(f"{what} contains a lone surrogate at position {error.start}") from error
    if not allow_nul and "\x00" in value:
        raise InputError(f"{what} contains a NUL character")
    return value


def check_document_name(name: str) -> str:
    """A document name is a relative path (``jiaokan apply`` writes it under its output folder)."""
    check_text(name, "document name")
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InputError(f"a document name needs 1 to {MAX_NAME_LENGTH} characters")
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ":" in parts[0] or any(part in ("", ".", "..") for part in parts):
        raise InputError(f"document name {name!r} must be a relative path without '.', '..' or empty parts")
    if any(ord(character) < 32 for character in name):
        raise InputError("a document name cannot contain control characters")
    return name


def text_digest(text: str) -> str:
    """The sha256 of a text's UTF-8 bytes (how the store tells a re-post from a new version)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- collections and documents ----------------------------------------------------------------


def get_or_create_collection(session: "Session", name: str) -> Collection:
    """The collection called ``name``, created if missing."""
    from sqlalchemy import select

    check_text(name, "collection name")
    if not name or len(name) > 200:
        raise InputError("a collection name needs 1 to 200 characters")
    collection, _created = create_if_absent(
        session, select(Collection).where(Collection.name == name), lambda: Collection(name=name, created_at=utc_now())
    )
    return collection


def find_collection(session: "Session", name: str) -> Collection:
    """The collection called ``name``; `NotFoundError` if there is none."""
    from sqlalchemy import select

    collection = session.scalars(select(Collection).where(Collection.name == name)).first()
    if collection is None:
        raise NotFoundError(f"no collection named {name!r}")
    return collection


def list_collections(session: "Session") -> list[tuple[Collection, int]]:
    """Every collection with its number of documents."""
    from sqlalchemy import func, select

    rows = session.execute(
        select(Collection, func.count(Document.id))
        .outerjoin(Document, Document.collection_id == Collection.id)
        .group_by(Collection.id)
        .order_by(Collection.name)
    ).all()
    return [(collection, count) for collection, count in rows]


def add_document(session: "Session", *, name: str, text: str, collection: Collection, replace: bool = False) -> tuple[Document, str]:
    """Store a document; returns it and what happened: ``created``, ``unchanged`` or ``replaced``.

    Posting the same name with the same text again is a no-op. The same name with other
    text is a `ConflictError`, unless ``replace``: then the text is swapped and the old
    proposals (whose offsets point into the old text) are dropped with their decisions.
    """
    from sqlalchemy import select

    check_document_name(name)
    check_text(text, "text")
    digest = text_digest(text)
    query = select(Document).where(Document.collection_id == collection.id, Document.name == name)
    existing = session.scalars(query).first()
    if existing is None:
        created = insert_if_absent(session, Document, ["collection_id", "name"],
                                   collection_id=collection.id, name=name, original=text, sha256=digest, created_at=utc_now())
        if created is not None:
            return created, "created"
        existing = session.scalars(query).first()  # stored meanwhile by a concurrent request
    if existing is None:  # the other request's document was deleted in between
        raise ConflictError(f"a document named {name!r} was stored and deleted meanwhile; try again")
    if existing.sha256 == digest:
        return existing, "unchanged"
    if not replace:
        raise ConflictError(
            f"collection {collection.name!r} already has a different document named {name!r}; choose another name"
        )
    existing.proposals.clear()
    existing.original = text
    existing.sha256 = digest
    session.flush()
    return existing, "replaced"


def get_document(session: "Session", document_id: int) -> Document:
    """The document with ``document_id``; `NotFoundError` if there is none."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFoundError(f"no document with id {document_id}")
    return document


def delete_document(session: "Session", document_id: int) -> None:
    """Remove a document and its proposals (the database cascades); `NotFoundError` if there is
    none. One DELETE: of two concurrent deletions one removes it and the other finds nothing."""
    from sqlalchemy import delete

    deleted = session.execute(delete(Document).where(Document.id == document_id).execution_options(synchronize_session=False))
    if deleted.rowcount == 0:
        raise NotFoundError(f"no document with id {document_id}")


def list_documents(
    session: "Session", *, collection: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[DocumentSummary], int]:
    """A page of documents (by collection, then name) with their proposal counts, and the total."""
    from sqlalchemy import func, select

    query = select(Document).join(Collection)
    total_query = select(func.count(Document.id)).join(Collection)
    if collection is not None:
        query = query.where(Collection.name == collection)
        total_query = total_query.where(Collection.name == collection)
    documents = list(session.scalars(query.order_by(Collection.name, Document.name).offset(offset).limit(limit)))
    total = session.scalar(total_query) or 0
    counts = proposal_counts(session, [document.id for document in documents])
    return [DocumentSummary(document, counts.get(document.id, DocumentCounts())) for document in documents], total


def proposal_counts(session: "Session", document_ids: Sequence[int]) -> dict[int, DocumentCounts]:
    """Proposal counts by status for each of ``document_ids`` (one grouped query)."""
    from sqlalchemy import func, select

    result: dict[int, DocumentCounts] = {document_id: DocumentCounts() for document_id in document_ids}
    if not document_ids:
        return result
    rows = session.execute(
        select(Proposal.document_id, Proposal.status, Proposal.auto, func.count(Proposal.id))
        .where(Proposal.document_id.in_(document_ids))
        .group_by(Proposal.document_id, Proposal.status, Proposal.auto)
    ).all()
    for document_id, status, auto, count in rows:
        _tally(result[document_id], status, auto, count)
    return result


def counts_of(proposals: Iterable[Proposal]) -> DocumentCounts:
    """Counts by status of proposals in hand (a document's, as this transaction left them):
    what `proposal_counts` would read back."""
    counts = DocumentCounts()
    for proposal in proposals:
        _tally(counts, proposal.status, proposal.auto, 1)
    return counts


def _tally(counts: DocumentCounts, status: str, auto: bool, count: int) -> None:
    setattr(counts, status, getattr(counts, status) + count)
    if auto and status == PENDING:
        counts.auto += count


# --- proposals ------------------------------------------------------------------------------


def list_proposals(
    session: "Session",
    document_id: int,
    *,
    status: str | None = None,
    rule: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
) -> list[Proposal]:
    """The document's proposals in text order, filtered."""
    from sqlalchemy import select

    get_document(session, document_id)
    query = _filtered(select(Proposal).where(Proposal.document_id == document_id), status, rule, min_confidence, max_confidence)
    return list(session.scalars(query.order_by(Proposal.start, Proposal.end, Proposal.id)))


def proposal_rows(
    session: "Session", document_id: int, columns: Sequence[str], *, to_review: bool = False, limit: int | None = None
) -> list[Any]:
    """The document's proposals in text order as plain rows of ``columns`` (read-only): what a
    page of thousands of proposals reads, without building an ORM object for each or reading a
    column it does not show. ``to_review``: only those that need a person (pending, not applied
    by the policy); ``limit``: the first so many."""
    from sqlalchemy import select

    table = Proposal.__table__
    query = select(*(table.c[name] for name in columns)).where(table.c.document_id == document_id)
    if to_review:
        query = query.where(table.c.status == PENDING, table.c.auto.is_(False))
    return list(session.execute(query.order_by(table.c.start, table.c.end, table.c.id).limit(limit)))


def _filtered(query, status, rule, min_confidence, max_confidence):
    if status is not None:
        query = query.where(Proposal.status == status)
    if rule is not None:
        query = query.where(Proposal.rule == rule)
    if min_confidence is not None:
        query = query.where(Proposal.confidence >= min_confidence)
    if max_confidence is not None:
        query = query.where(Proposal.confidence <= max_confidence)
    return query


def get_proposal(session: "Session", proposal_id: int) -> Proposal:
    """The proposal with ``proposal_id``; `NotFoundError` if there is none."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFoundError(f"no proposal with id {proposal_id}")
    return proposal


MAX_READING_LENGTH = 10_000
MAX_COMMENT_LENGTH = 2_000


def decide_proposal(
    session: "Session",
    proposal_id: int,
    status: str,
    *,
    expected_version: int | None = None,
    decided_by: str | None = None,
    reading: str | None = None,
    comment: str | None = None,
) -> Proposal:
    """Record a decision in one atomic UPDATE, so concurrent decisions serialise cleanly, and
    keep it in the proposal's history (`Decision`).

    With ``expected_version`` the decision applies only if nobody decided in between
    (else `ConflictError`); without it the last decision wins. Either way the version
    counts every decision taken. ``pending`` takes a decision back. ``reading``: the
    reviewer's own text for the span (only with ``accepted``: the final text reads it).
    """
    from sqlalchemy import update

    _check_decision(status, decided_by, reading, comment)
    before = get_proposal(session, proposal_id)
    previous_status, previous_reading = before.status, before.reading
    statement = (
        update(Proposal)
        .where(Proposal.id == proposal_id)
        .values(
            status=status,
            version=Proposal.version + 1,
            decided_at=None if status == PENDING else utc_now(),
            decided_by=None if status == PENDING else decided_by,
            reading=reading if status == ACCEPTED else None,
            comment=comment,
        )
        .execution_options(synchronize_session=False)
    )
    if expected_version is not None:
        statement = statement.where(Proposal.version == expected_version)
    changed = session.execute(statement).rowcount
    proposal = get_proposal(session, proposal_id)
    session.refresh(proposal)
    if not changed:
        raise ConflictError(
            f"proposal {proposal_id} is at version {proposal.version}, not {expected_version}: someone decided it meanwhile"
        )
    session.add(Decision(
        proposal_id=proposal_id, status=status, reading=proposal.reading, comment=comment, decided_by=decided_by,
        decided_at=utc_now(), previous_status=previous_status, previous_reading=previous_reading,
    ))
    session.flush()
    return proposal


def _check_decision(status: str, decided_by: str | None, reading: str | None, comment: str | None) -> None:
    if status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}")
    if decided_by is not None:
        check_text(decided_by, "decided_by")
    if reading is not None:
        check_text(reading, "reading")
        if status != ACCEPTED:
            raise InputError("a typed reading goes with status 'accepted'")
        if len(reading) > MAX_READING_LENGTH:
            raise InputError(f"a reading has at most {MAX_READING_LENGTH} characters")
    if comment is not None:
        check_text(comment, "comment")
        if len(comment) > MAX_COMMENT_LENGTH:
            raise InputError(f"a comment has at most {MAX_COMMENT_LENGTH} characters")


#: the rule of a correction a reviewer typed where the engine proposed nothing
REVIEWER_RULE = "reviewer_reading"


def add_correction(
    session: "Session",
    document_id: int,
    start: int,
    end: int,
    original: str,
    reading: str,
    *,
    decided_by: str | None = None,
    comment: str | None = None,
) -> Proposal:
    """A reviewer's own reading of ``[start, end)`` where the engine proposed nothing: stored as an
    accepted proposal of rule `REVIEWER_RULE` (so the final text, the export and `jiaokan apply`
    take it, and a recomputation keeps it like any decision). ``original`` must be what the text
    reads there (`ConflictError` otherwise: the page was stale); a span overlapping a proposal is
    refused (decide that proposal, typing its reading, instead)."""
    document = get_document(session, document_id)
    _check_decision(ACCEPTED, decided_by, reading, comment)
    if not 0 <= start <= end <= len(document.original):
        raise InputError(f"the span {start}-{end} is outside the document (length {len(document.original)})")
    if document.original[start:end] != original:
        raise ConflictError(f"the document reads {document.original[start:end]!r} at {start}-{end}, not {original!r}")
    if reading == original:
        raise InputError("the reading is what the text already reads")
    for other in document.proposals:
        if spans_overlap((start, end), (other.start, other.end)):
            raise ConflictError(f"the span overlaps proposal {other.id} ({other.rule}): decide that one, typing its reading")
    now = utc_now()
    proposal = Proposal(
        start=start, end=end, original=original, replacement=reading, rule=REVIEWER_RULE, kind="review", confidence=1.0,
        evidence={"rule": REVIEWER_RULE}, auto=False, status=ACCEPTED, version=1, decided_at=now, decided_by=decided_by,
        comment=comment,
    )
    document.proposals.append(proposal)
    session.flush()
    session.add(Decision(proposal_id=proposal.id, status=ACCEPTED, reading=reading, comment=comment, decided_by=decided_by,
                         decided_at=now, previous_status=PENDING))
    session.flush()
    return proposal


@dataclass
class BulkResult:
    """What a bulk decision changed (or, for a preview, would change) and the batch that undoes it."""

    updated: int
    batch: str | None = None


def decide_many(
    session: "Session",
    status: str,
    *,
    collection: str | None = None,
    document_id: int | None = None,
    rule: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    current_status: str | None = PENDING,
    decided_by: str | None = None,
    preview: bool = False,
) -> BulkResult:
    """Decide every proposal matching the filter; by default only still-pending ones, so a
    bulk action never overrides a person's earlier decision. Returns how many changed and the
    batch its decisions share (`undo_batch` takes them back as one step); with ``preview``,
    only how many would change."""
    import uuid

    from sqlalchemy import select, update

    if status not in STATUSES or (current_status is not None and current_status not in STATUSES):
        raise InputError(f"status must be one of {', '.join(STATUSES)}")
    if decided_by is not None:
        check_text(decided_by, "decided_by")
    if document_id is not None:
        get_document(session, document_id)
    selection = _filtered(select(Proposal.id, Proposal.status, Proposal.reading), current_status, rule, min_confidence, max_confidence)
    selection = selection.where(Proposal.status != status)
    if document_id is not None:
        selection = selection.where(Proposal.document_id == document_id)
    if collection is not None:
        collection_id = find_collection(session, collection).id
        selection = selection.where(
            Proposal.document_id.in_(select(Document.id).where(Document.collection_id == collection_id))
        )
    rows = session.execute(selection.order_by(Proposal.id)).all()
    if preview or not rows:
        return BulkResult(len(rows))
    batch = uuid.uuid4().hex
    now = utc_now()
    for chunk in _chunks(rows, 500):
        session.execute(
            update(Proposal)
            .where(Proposal.id.in_([row.id for row in chunk]))
            .values(
                status=status,
                version=Proposal.version + 1,
                decided_at=None if status == PENDING else now,
                decided_by=None if status == PENDING else decided_by,
                reading=None,
                comment=None,
            )
            .execution_options(synchronize_session=False)
        )
    session.add_all(
        Decision(proposal_id=row.id, status=status, decided_by=decided_by, decided_at=now,
                 previous_status=row.status, previous_reading=row.reading, batch=batch)
        for row in rows
    )
    session.flush()
    session.expire_all()
    return BulkResult(len(rows), batch)


def undo_batch(session: "Session", batch: str, *, decided_by: str | None = None) -> int:
    """Take back a bulk decision as one step: every proposal of ``batch`` returns to the status
    (and reading) it had, unless someone decided it since (then it keeps that later decision).
    The undoing is itself recorded in each proposal's history. Returns how many were restored."""
    from sqlalchemy import func, select

    decisions = list(session.scalars(select(Decision).where(Decision.batch == batch).order_by(Decision.id)))
    if not decisions:
        raise NotFoundError(f"no bulk decision {batch!r}")
    proposal_ids = [decision.proposal_id for decision in decisions]
    latest = dict(session.execute(
        select(Decision.proposal_id, func.max(Decision.id)).where(Decision.proposal_id.in_(proposal_ids)).group_by(Decision.proposal_id)
    ).all())
    proposals = {proposal.id: proposal for proposal in session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)))}
    now = utc_now()
    restored = 0
    for decision in decisions:
        proposal = proposals.get(decision.proposal_id)
        if proposal is None or latest.get(decision.proposal_id) != decision.id:
            continue  # decided again since: that later decision stands
        proposal.status = decision.previous_status
        proposal.reading = decision.previous_reading
        proposal.version += 1
        proposal.decided_at = None if proposal.status == PENDING else now
        proposal.decided_by = None if proposal.status == PENDING else decided_by
        session.add(Decision(proposal_id=proposal.id, status=proposal.status, reading=proposal.reading, decided_by=decided_by,
                             decided_at=now, previous_status=decision.status, previous_reading=decision.reading,
                             comment=f"undo of bulk decision {batch}", batch=f"undo-{batch}"[:32]))
        restored += 1
    session.flush()
    return restored


def decision_history(session: "Session", proposal_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Every decision taken on each of ``proposal_ids``, oldest first (one query)."""
    from sqlalchemy import select

    history: dict[int, list[dict[str, Any]]] = {proposal_id: [] for proposal_id in proposal_ids}
    for chunk in _chunks(list(proposal_ids), 500):
        for decision in session.scalars(select(Decision).where(Decision.proposal_id.in_(chunk)).order_by(Decision.id)):
            history[decision.proposal_id].append(decision_record(decision))
    return history


def decision_record(decision: Decision) -> dict[str, Any]:
    """A decision as a JSON-ready dict (history, export)."""
    return {
        "status": decision.status,
        "reading": decision.reading,
        "comment": decision.comment,
        "decided_by": decision.decided_by,
        "decided_at": decision.decided_at.isoformat(),
        "previous_status": decision.previous_status,
        "batch": decision.batch,
    }


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for index in range(0, len(items), size):
        yield items[index:index + size]


# --- the review queue -----------------------------------------------------------------------

#: what the queue's ``status`` filter can say besides a status: pending and not applied by the policy
TO_REVIEW = "review"


@dataclass
class QueueEntry:
    """A proposal in the review queue with its document's name and collection."""

    proposal: Proposal
    document_name: str
    collection: str


def review_queue(
    session: "Session",
    *,
    collection: str | None = None,
    status: str | None = TO_REVIEW,
    rule: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    text: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[QueueEntry], int]:
    """Proposals across documents, what most needs a person first: the lowest confidence, then
    the largest change (the most text it touches); filtered by collection, status (``review``:
    pending and not applied by the policy), rule, confidence and text (in the proposal's
    original or replacement, or the document's name). Returns a page and the total."""
    from sqlalchemy import func, or_, select

    if status is not None and status != TO_REVIEW and status not in STATUSES:
        raise InputError(f"status must be {TO_REVIEW!r} or one of {', '.join(STATUSES)}")
    query = select(Proposal, Document.name, Collection.name).join(Document, Proposal.document_id == Document.id).join(Collection)
    if status == TO_REVIEW:
        query = query.where(Proposal.status == PENDING, Proposal.auto.is_(False))
        status = None
    query = _filtered(query, status, rule, min_confidence, max_confidence)
    if collection:
        query = query.where(Collection.name == collection)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(
            Proposal.original.like(pattern, escape="\\"),
            Proposal.replacement.like(pattern, escape="\\"),
            Proposal.reading.like(pattern, escape="\\"),
            Document.name.like(pattern, escape="\\"),
        ))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    impact = func.length(Proposal.original) + func.length(Proposal.replacement)
    rows = session.execute(
        query.order_by(Proposal.confidence, impact.desc(), Document.name, Proposal.start).offset(offset).limit(limit)
    ).all()
    return [QueueEntry(proposal, name, collection_name) for proposal, name, collection_name in rows], total


def known_rules(session: "Session") -> list[str]:
    """The rules the stored proposals carry, sorted (what a filter can choose from)."""
    from sqlalchemy import select

    return list(session.scalars(select(Proposal.rule).distinct().order_by(Proposal.rule)))


def next_document_with_work(session: "Session", document: Document) -> Document | None:
    """The next document of the collection (by name, wrapping round) that still has a proposal
    to review (pending and not applied by the policy); None when no other has."""
    from sqlalchemy import select

    with_work = (
        select(Document.id, Document.name)
        .where(Document.collection_id == document.collection_id, Document.id != document.id)
        .where(Document.id.in_(select(Proposal.document_id).where(Proposal.status == PENDING, Proposal.auto.is_(False))))
    )
    row = session.execute(with_work.where(Document.name > document.name).order_by(Document.name).limit(1)).first()
    if row is None:
        row = session.execute(with_work.order_by(Document.name).limit(1)).first()
    return None if row is None else session.get(Document, row.id)


def merge_proposals(session: "Session", document: Document, computed: Iterable[tuple["Edit", bool]]) -> MergeStats:
    """Merge a new engine run (edits with their auto-apply verdicts) into the stored proposals.

    A proposal is 'the same' when (start, end, replacement, rule) match. Decided proposals
    stay exactly as they are, even if the engine no longer proposes them, and a new edit
    that overlaps one of them is dropped: a person's decision always wins. Undecided
    proposals take the new run's confidence, evidence and verdict, or disappear if the
    engine no longer proposes them.
    """
    stats = MergeStats()
    decided = [proposal for proposal in document.proposals if proposal.status != PENDING]
    undecided = {proposal.match_key: proposal for proposal in document.proposals if proposal.status == PENDING}
    decided_keys = {proposal.match_key for proposal in decided}
    stats.kept_decided = len(decided)
    seen: set[tuple[int, int, str, str]] = set()
    for edit, auto in computed:
        key = (edit.start, edit.end, edit.replacement, edit.rule)
        if key in decided_keys or key in seen:
            continue
        if any(spans_overlap((edit.start, edit.end), (other.start, other.end)) for other in decided):
            stats.skipped_overlapping += 1
            continue
        seen.add(key)
        proposal = undecided.get(key)
        if proposal is None:
            document.proposals.append(_new_proposal(edit, auto))
            stats.added += 1
        else:
            _refresh_proposal(proposal, edit, auto)
            stats.updated += 1
    for key, proposal in undecided.items():
        if key not in seen:
            document.proposals.remove(proposal)
            stats.removed += 1
    session.flush()
    return stats


def store_variants(document: Document, variants: Iterable["Variant"]) -> None:
    """Keep a run's variants of ``document`` (the last run's replace the earlier ones: a variant
    records what the corpus reads now, and nobody decides it)."""
    document.variants = [variant.to_dict() for variant in variants]


def document_variants(document: Document) -> list[dict[str, Any]]:
    """The document's variants as JSON-ready dicts (none before a run)."""
    return list(document.variants or [])


def spans_overlap(first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two edit spans conflict (an insertion conflicts inside a span or at the same point)."""
    (first_start, first_end), (second_start, second_end) = first, second
    if first_start == first_end or second_start == second_end:
        point, (other_start, other_end) = (first_start, second) if first_start == first_end else (second_start, first)
        if other_start == other_end:
            return point == other_start
        return other_start < point < other_end
    return first_start < second_end and second_start < first_end


def _new_proposal(edit: "Edit", auto: bool) -> Proposal:
    return Proposal(
        start=edit.start,
        end=edit.end,
        original=edit.original,
        replacement=edit.replacement,
        rule=edit.rule,
        kind=edit.kind,
        confidence=float(edit.confidence),
        evidence=dict(edit.evidence),
        auto=bool(auto),
        status=PENDING,
        version=1,
    )


def _refresh_proposal(proposal: Proposal, edit: "Edit", auto: bool) -> None:
    proposal.original = edit.original
    proposal.kind = edit.kind
    proposal.confidence = float(edit.confidence)
    proposal.evidence = dict(edit.evidence)
    proposal.auto = bool(auto)


def proposal_edit(proposal: Proposal) -> "Edit":
    """The proposal as an engine `Edit`."""
    from jiaokan.edits import Edit

    return Edit(
        start=proposal.start,
        end=proposal.end,
        original=proposal.original,
        replacement=proposal.applied_replacement,
        rule=proposal.rule,
        kind=proposal.kind,
        confidence=proposal.confidence,
        evidence=proposal.evidence or {},
    )


def final_text(document: Document, proposals: Iterable[Proposal] | None = None) -> str:
    """The document with its accepted proposals and the pending ones the policy applied."""
    from jiaokan.edits import apply_edits

    chosen = [proposal for proposal in (document.proposals if proposals is None else proposals) if proposal.applies]
    # accepted first: should stored proposals ever overlap, a person's decision wins
    chosen.sort(key=lambda proposal: (proposal.status != ACCEPTED, -proposal.confidence, proposal.start))
    kept: list[Proposal] = []
    for candidate in chosen:
        if not any(spans_overlap((candidate.start, candidate.end), (other.start, other.end)) for other in kept):
            kept.append(candidate)
    return apply_edits(document.original, [proposal_edit(proposal) for proposal in kept])


# --- export ---------------------------------------------------------------------------------


def export_collection(session: "Session", collection: str) -> Iterator[dict[str, Any]]:
    """One JSON-ready record per document: name, original, final text and every proposal with its decision."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    found = find_collection(session, collection)
    query = (
        select(Document)
        .where(Document.collection_id == found.id)
        .order_by(Document.name)
        .options(selectinload(Document.proposals))
    )
    for document in session.scalars(query):
        history = decision_history(session, [proposal.id for proposal in document.proposals])
        yield {
            "id": document.id,
            "name": document.name,
            "collection": collection,
            "sha256": document.sha256,
            "original": document.original,
            "text": final_text(document),
            "proposals": [proposal_record(proposal) | {"history": history[proposal.id]} for proposal in document.proposals],
            "variants": document_variants(document),
        }


def proposal_record(proposal: Proposal) -> dict[str, Any]:
    """A proposal as a JSON-ready dict (API and export)."""
    return {
        "id": proposal.id,
        "document_id": proposal.document_id,
        "start": proposal.start,
        "end": proposal.end,
        "original": proposal.original,
        "replacement": proposal.replacement,
        "rule": proposal.rule,
        "kind": proposal.kind,
        "confidence": proposal.confidence,
        "evidence": proposal.evidence or {},
        "auto": proposal.auto,
        "status": proposal.status,
        "applies": proposal.applies,
        "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
        "decided_by": proposal.decided_by,
        "reading": proposal.reading,
        "comment": proposal.comment,
        "version": proposal.version,
    }


# --- lexicon --------------------------------------------------------------------------------


def list_terms(session: "Session") -> list[Term]:
    """The lexicon's terms, sorted."""
    from sqlalchemy import select

    return list(session.scalars(select(Term).order_by(Term.term)))


def term_strings(session: "Session") -> tuple[str, ...]:
    """The lexicon's terms as the engine takes them (`EngineConfig.extra_terms`)."""
    from sqlalchemy import select

    return tuple(session.scalars(select(Term.term).order_by(Term.term)))


def lexicon_version_query():
    """The query of the lexicon's version number (one row by primary key)."""
    from sqlalchemy import select

    return select(LexiconVersion.version).where(LexiconVersion.id == LEXICON_VERSION_ROW)


def lexicon_version(session: "Session") -> int:
    """The lexicon's version: every change of its terms makes it grow (0 before any version row)."""
    return session.scalar(lexicon_version_query()) or 0


def lexicon_snapshot(session: "Session") -> tuple[int, tuple[str, ...]]:
    """The lexicon's version and its terms.

    The version is read first: under READ COMMITTED (PostgreSQL) a change committed between the
    two reads then gives newer terms under an older version, which a cache reloads at its next
    check, never older terms under a newer version, which it would keep.
    """
    version = lexicon_version(session)
    return version, term_strings(session)


def _bump_lexicon_version(session: "Session") -> None:
    from sqlalchemy import update

    bumped = session.execute(
        update(LexiconVersion).where(LexiconVersion.id == LEXICON_VERSION_ROW).values(version=LexiconVersion.version + 1)
    )
    if bumped.rowcount == 0:  # the row the migration creates is gone: start again above any cached 0
        session.add(LexiconVersion(id=LEXICON_VERSION_ROW, version=1))


def add_term(session: "Session", term: str) -> tuple[Term, bool]:
    """Add a term (stripped); returns it and whether it is new. A new term bumps the lexicon's version."""
    from sqlalchemy import select

    check_text(term, "term")
    term = term.strip()
    if not term or len(term) > MAX_TERM_LENGTH or any(character.isspace() for character in term):
        raise InputError(f"a term needs 1 to {MAX_TERM_LENGTH} characters and no spaces")
    stored, created = create_if_absent(session, select(Term).where(Term.term == term), lambda: Term(term=term, created_at=utc_now()))
    if created:
        _bump_lexicon_version(session)
        session.flush()
    return stored, created


def remove_term(session: "Session", term: str) -> None:
    """Remove a term (bumping the lexicon's version); `NotFoundError` if it is not in the lexicon.
    One DELETE: of two concurrent removals one removes it and the other finds nothing."""
    from sqlalchemy import delete

    deleted = session.execute(delete(Term).where(Term.term == term).execution_options(synchronize_session=False))
    if deleted.rowcount == 0:
        raise NotFoundError(f"no term {term!r} in the lexicon")
    _bump_lexicon_version(session)
    session.flush()


__all__ = [
    "ACCEPTED",
    "PENDING",
    "REJECTED",
    "ConflictError",
    "DocumentCounts",
    "DocumentSummary",
    "MergeStats",
    "add_correction",
    "add_document",
    "counts_of",
    "add_term",
    "create_if_absent",
    "insert_if_absent",
    "decide_many",
    "decision_history",
    "known_rules",
    "proposal_rows",
    "next_document_with_work",
    "review_queue",
    "undo_batch",
    "decide_proposal",
    "export_collection",
    "final_text",
    "find_collection",
    "get_document",
    "get_or_create_collection",
    "get_proposal",
    "lexicon_snapshot",
    "lexicon_version",
    "lexicon_version_query",
    "list_collections",
    "list_documents",
    "list_proposals",
    "list_terms",
    "merge_proposals",
    "store_variants",
    "document_variants",
    "proposal_record",
    "remove_term",
    "term_strings",
    "write_transaction",
]
