"""The store's tables (SQLAlchemy 2 declarative models).

A proposal is one engine edit of one document plus the decision about it. Its
``status`` is what a person decided (``pending`` until someone does); ``auto`` is
what the engine's policy did. The final text of a document applies the accepted
proposals and the pending ones the policy applied; a rejected proposal never applies.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"
STATUSES = (PENDING, ACCEPTED, REJECTED)


def utc_now() -> datetime:
    """Timestamps are stored in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A moment in UTC, read back with its time zone from either database (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    """Base of every table; alembic's migrations are written against this metadata."""


class Collection(Base):
    """A corpus whose documents serve as each other's witnesses."""

    __tablename__ = "collection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: fingerprint of the engine config the proposals were last computed with (None: never)
    config_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    #: what the witness index of the collection was built with (`jiaokan.store.witness_index.index_parameters`:
    #: the n-gram size, the sampling and the discovery settings; None: not built)
    witness_index: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)
    #: keys (letters, digits, Han) of all its documents' views: the sampling depends on it
    witness_keys: Mapped[int] = mapped_column(BigInteger, default=0)

    documents: Mapped[list["Document"]] = relationship(back_populates="collection", cascade="all, delete-orphan")


class Document(Base):
    """One stored text, exactly as it arrived; corrections live in its proposals."""

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("collection_id", "name", name="uq_document_collection_name"),
        Index("ix_document_collection_stale", "collection_id", "stale"),  # the stale ones, without reading the rest
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(1024))
    original: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: where other documents read this one otherwise and nothing changed (`jiaokan.edits.Variant.to_dict`
    #: of each, from the last run over the collection; None before any)
    variants: Mapped[list | None] = mapped_column(JSON, nullable=True, default=None)
    #: the witness index's record of the document (`jiaokan.store.witness_index`): its content view's
    #: units, how many of them are keys (letters, digits, Han), its estimated reliability (None: no
    #: witness), and whether its proposals wait for a refresh (a witness's reliability or a confirmed
    #: term changed since they were computed)
    units: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    keys: Mapped[int] = mapped_column(Integer, default=0)
    reliability: Mapped[float | None] = mapped_column(Float, nullable=True, default=None)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)

    collection: Mapped[Collection] = relationship(back_populates="documents")
    proposals: Mapped[list["Proposal"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Proposal.start"
    )


class Proposal(Base):
    """An edit the engine proposed for a document, and what a person decided about it."""

    __tablename__ = "proposal"
    __table_args__ = (Index("ix_proposal_document_status", "document_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    original: Mapped[str] = mapped_column(Text)
    replacement: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50))
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the engine's policy applied this edit without review
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)
    #: bumped on every decision: PATCH with a stale version is refused (optimistic concurrency)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: the reviewer's own reading of the span (typed in), which the final text takes instead of
    #: ``replacement``; None: the engine's replacement
    reading: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    #: the reviewer's comment on the latest decision
    comment: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)

    document: Mapped[Document] = relationship(back_populates="proposals")
    decisions: Mapped[list["Decision"]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="Decision.id", passive_deletes=True
    )

    @property
    def applied_replacement(self) -> str:
        """What the final text reads at the span when this proposal applies (`applied_replacement`)."""
        return applied_replacement(self)

    @property
    def applies(self) -> bool:
        """Whether this proposal is part of the document's final text."""
        return self.status == ACCEPTED or (self.status == PENDING and self.auto)

    @property
    def match_key(self) -> tuple[int, int, str, str]:
        """What identifies 'the same proposal' across recomputations."""
        return (self.start, self.end, self.replacement, self.rule)


def applied_replacement(proposal) -> str:
    """What the final text reads at a proposal's span when it applies: the reviewer's reading if
    one was typed, else the engine's replacement (``proposal``: a `Proposal` or a row of its table)."""
    return proposal.replacement if proposal.reading is None else proposal.reading


class Decision(Base):
    """One decision taken on a proposal (its history), with what it replaced so it can be undone;
    the decisions of one bulk action share a ``batch``."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reading: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    previous_status: Mapped[str] = mapped_column(String(16))
    previous_reading: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    batch: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None, index=True)

    proposal: Mapped[Proposal] = relationship(back_populates="decisions")


class WitnessGram(Base):
    """One sampled n-gram of a document's content view that occurs once in it (the witness index:
    `jiaokan.witnesses.sample_grams` gives them; ``hash`` is its 64-bit hash as a signed integer)."""

    __tablename__ = "witness_gram"
    __table_args__ = (Index("ix_witness_gram_collection_hash", "collection_id", "hash"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(Integer)
    hash: Mapped[int] = mapped_column(BigInteger)


class WitnessPassage(Base):
    """A passage two documents share (`jiaokan.witnesses.SharedPassage`: view units of each;
    ``first`` is the document whose name sorts first)."""

    __tablename__ = "witness_passage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(Integer, index=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    first_start: Mapped[int] = mapped_column(Integer)
    first_end: Mapped[int] = mapped_column(Integer)
    second_start: Mapped[int] = mapped_column(Integer)
    second_end: Mapped[int] = mapped_column(Integer)
    anchors: Mapped[int] = mapped_column(Integer)
    first_keys: Mapped[int] = mapped_column(Integer)
    sampling: Mapped[int] = mapped_column(Integer)


class WitnessTerm(Base):
    """A term a document's copies confirmed where it reads ``variant`` (`jiaokan.consensus.ConfirmedTerm`):
    the corpus's confirmed terms apply in every document."""

    __tablename__ = "witness_term"
    __table_args__ = (Index("ix_witness_term_collection_variant", "collection_id", "variant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    variant: Mapped[str] = mapped_column(String(200))
    term: Mapped[str] = mapped_column(String(200))
    copies: Mapped[int] = mapped_column(Integer)


class Term(Base):
    """A domain term of the service's lexicon, passed to the engine as an extra term."""

    __tablename__ = "term"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


#: the one row of `LexiconVersion`
LEXICON_VERSION_ROW = 1


class LexiconVersion(Base):
    """A number that grows with every change of the lexicon's terms (one row).

    `repository.add_term` and `repository.remove_term` bump it in the transaction that changes
    the terms, so a process that cached the terms can tell, by reading one number, whether they
    are still current (`jiaokan.store.lexicon_cache`).
    """

    __tablename__ = "lexicon_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
