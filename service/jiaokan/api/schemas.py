"""Request and response bodies of the API, one schema per direction (``XCreate``, ``XPublic``).

Request schemas forbid unknown fields and refuse values the store cannot hold, so
mistakes come back as a 422 naming the field instead of being ignored.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

Status = Literal["pending", "accepted", "rejected"]
#: the largest number a version or id may be (fits every database's integer)
MAX_INT = 2**31 - 1
#: a stored object's id in a path (beyond the range an id can have is a 422, not a database error)
IdPath = Annotated[int, Path(ge=1, le=MAX_INT)]

EXAMPLE_TEXT = "出现返贫风险的建档立卡卡脱贫人口继续实施就业帮扶。"
EXAMPLE_EVIDENCE = {"readings": {"text": "卡卡"}, "why": "a doubled character that is not a reduplicated word"}


def _no_surrogates(value: str) -> str:
    # JSON may carry "\\ud800": such a string cannot be stored or sent back as UTF-8
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"contains a lone surrogate at position {error.start}") from error
    return value


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class CorrectRequest(RequestModel):
    """A text to correct, with other copies of it (witnesses) and engine options."""

    text: StrictStr = Field(description="the text to correct; edit offsets index it")
    witnesses: list[StrictStr] = Field(default_factory=list, description="other copies (whole texts) of the same matter")
    options: dict[str, Any] | None = Field(
        default=None, description="engine options, e.g. {\"rules\": {\"fix_lookalike\": false}, \"auto_apply_threshold\": 0.95}"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": EXAMPLE_TEXT, "witnesses": [], "options": {"auto_apply_threshold": 0.9}}]},
    )

    @field_validator("text")
    @classmethod
    def _check_text(cls, value: str) -> str:
        return _no_surrogates(value)

    @field_validator("witnesses")
    @classmethod
    def _check_witnesses(cls, value: list[str]) -> list[str]:
        return [_no_surrogates(witness) for witness in value]


class EditPublic(BaseModel):
    """One edit of the posted text."""

    start: int
    end: int
    original: str
    replacement: str
    rule: str
    kind: str
    confidence: float
    evidence: dict[str, Any]
    status: Literal["applied", "proposed"]


class ReadingPublic(BaseModel):
    """What one document reads at a variant."""

    document: str
    reading: str


class VariantPublic(BaseModel):
    """Where a witness reads the posted text otherwise and nothing was changed: an edition's own
    reading, or a difference too doubtful to call a misreading (never applied)."""

    start: int
    end: int
    original: str
    readings: list[ReadingPublic]
    reason: str
    evidence: dict[str, Any]


class CorrectResponse(BaseModel):
    """The corrected text (the posted one with the applied edits), every edit, and the variants."""

    text: str
    edits: list[EditPublic]
    variants: list[VariantPublic] = []

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "出现返贫风险的建档立卡脱贫人口继续实施就业帮扶。",
                    "edits": [
                        {
                            "start": 11,
                            "end": 12,
                            "original": "卡",
                            "replacement": "",
                            "rule": "remove_doubled_character",
                            "kind": "repair",
                            "confidence": 0.95,
                            "evidence": EXAMPLE_EVIDENCE,
                            "status": "applied",
                        }
                    ],
                }
            ]
        }
    )


class DocumentCreate(RequestModel):
    """A document for the corpus: its name is a relative path, unique in its collection."""

    name: StrictStr = Field(min_length=1, max_length=1024)
    text: StrictStr
    collection: StrictStr | None = Field(default=None, min_length=1, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "2025/xinhua-001.txt", "text": EXAMPLE_TEXT, "collection": "default"}]},
    )

    @field_validator("name", "text", "collection")
    @classmethod
    def _check_strings(cls, value: str | None) -> str | None:
        return None if value is None else _no_surrogates(value)


class ProposalCounts(BaseModel):
    """A document's proposals by status; ``auto`` counts pending proposals the policy applied."""

    pending: int
    accepted: int
    rejected: int
    auto: int
    total: int


class DocumentPublic(BaseModel):
    """A stored document without its text."""

    id: int
    name: str
    collection: str
    sha256: str
    length: int
    created_at: datetime
    counts: ProposalCounts


class DocumentDetail(DocumentPublic):
    """A stored document with its original text."""

    original: str


class DocumentCreated(DocumentDetail):
    """A stored document and what storing it did: ``created``, or ``unchanged`` for a re-post."""

    outcome: Literal["created", "unchanged"]
    proposals_merged: dict[str, int] = Field(description="counts of the merge into the collection's proposals")


class DocumentsPage(BaseModel):
    """A page of documents."""

    items: list[DocumentPublic]
    total: int
    offset: int
    limit: int


class ProposalPublic(BaseModel):
    """A proposed edit of a stored document and the decision about it."""

    id: int
    document_id: int
    start: int
    end: int
    original: str
    replacement: str
    rule: str
    kind: str
    confidence: float
    evidence: dict[str, Any]
    auto: bool = Field(description="the engine's policy applied it (it counts in the text while pending)")
    status: Status
    applies: bool = Field(description="part of the final text: accepted, or pending and auto")
    decided_at: datetime | None
    decided_by: str | None
    version: int = Field(description="send it back with a decision to refuse it if someone decided meanwhile")


class ProposalDecision(RequestModel):
    """A decision on one proposal; ``pending`` takes a decision back."""

    status: Status
    version: int | None = Field(default=None, ge=1, le=MAX_INT, description="expected current version (409 if stale)")
    decided_by: StrictStr | None = Field(default=None, max_length=200)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "accepted", "version": 1}]})


class BulkDecision(RequestModel):
    """Decide every proposal matching a filter (by default only pending ones)."""

    status: Status
    collection: StrictStr | None = Field(default=None, max_length=200)
    document_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    rule: StrictStr | None = Field(default=None, max_length=100)
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    max_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    current_status: Status | None = Field(default="pending", description="only proposals in this status (null: any)")
    decided_by: StrictStr | None = Field(default=None, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "accepted", "document_id": 1, "rule": "majority_reading", "min_confidence": 0.8}]
        },
    )


class BulkDecisionResult(BaseModel):
    """How many proposals changed."""

    updated: int


class DocumentText(BaseModel):
    """A document's final text: accepted edits and pending ones the policy applied."""

    text: str


class CollectionPublic(BaseModel):
    """A collection and its size."""

    name: str
    documents: int
    created_at: datetime
    #: documents whose proposals wait to be brought up to date (a change elsewhere in the collection reached them)
    stale: int = 0


class MergeResult(BaseModel):
    """Counts of a recomputation's merge into stored proposals."""

    added: int
    updated: int
    removed: int
    kept_decided: int
    skipped_overlapping: int


class TermCreate(RequestModel):
    """A domain term for the lexicon."""

    term: StrictStr = Field(min_length=1, max_length=200)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"term": "钍基熔盐堆"}]})

    @field_validator("term")
    @classmethod
    def _check_term(cls, value: str) -> str:
        return _no_surrogates(value)


class TermPublic(BaseModel):
    """A lexicon term."""

    term: str
    created_at: datetime


class Health(BaseModel):
    """Liveness and database reachability."""

    status: Literal["ok"]
    database: Literal["ok"]
    version: str
