"""Request and response bodies of the API, one schema per direction (``XCreate``, ``XPublic``).

Request schemas forbid unknown fields and refuse values the store cannot hold, so
mistakes come back as a 422 naming the field instead of being ignored.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, field_validator

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


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL in text; refusing it here answers alike on both databases
    if "\x00" in value:
        raise ValueError(f"contains a NUL character at position {value.index(chr(0))}")
    return _no_surrogates(value)


#: a string the store keeps or looks up: no lone surrogates, no NUL (a field with a pattern of its
#: own, which replaces this one's, excludes NUL in it: `StoredStr` is the alias without a pattern)
StoredStr = Annotated[StrictStr, AfterValidator(_storable)]
NO_NUL = r"^[^\x00]*$"
#: the pattern comes before the validator, so the schema shows it (clients and schemathesis see it)
StoredText = Annotated[StrictStr, Field(pattern=NO_NUL), AfterValidator(_storable)]


class ErrorMessage(BaseModel):
    """An error: what went wrong, in words."""

    detail: str


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


#: a rule's name (`jiaokan.config.ALL_RULES`)
RuleName = Literal[
    "strip_markup", "join_broken_paragraphs", "strip_trailing_spaces", "remove_stray_spaces", "widen_punctuation",
    "unify_ellipsis", "unify_dash", "convert_traditional", "majority_reading", "lexicon_reading", "replaced_block",
    "drop_repeated_sentence", "remove_doubled_character", "fix_swapped_characters", "match_domain_term", "fix_lookalike",
]
#: a confidence threshold (a little above 1 turns automatic application off)
Threshold = Annotated[float, Field(ge=0.0, le=1.01)]


class EngineOptions(RequestModel):
    """Engine options of one request (`jiaokan.config.EngineConfig`); an option left out keeps
    the service's value."""

    rules: dict[RuleName, bool] = Field(default=None, description="switch rules on or off by name")
    auto_apply_threshold: Threshold | None = Field(default=None, description="one threshold for every rule (null: each rule's fitted one)")
    rule_thresholds: dict[RuleName, Threshold] = Field(default=None, description="a threshold per rule")
    normalisation_threshold: Threshold = Field(default=None, description="threshold of the normalisation rules")
    proposal_threshold: Threshold = Field(default=None, description="below it an edit is not even proposed")
    lexicon_confidence: Threshold = Field(default=None, description="confidence of a reading that forms a lexicon term")
    extra_terms: list[StoredText] = Field(default=None, max_length=10_000, description="domain terms besides the lexicon's")
    ngram_size: int = Field(default=None, ge=3, le=64, description="characters per n-gram when finding witnesses")
    ngram_sampling: int = Field(default=None, ge=1, le=64, description="one n-gram in this many is kept")
    max_ngram_documents: int = Field(default=None, ge=2, le=100_000, description="an n-gram in more documents is no anchor")
    min_anchors: int = Field(default=None, ge=1, le=10_000, description="anchors a shared passage needs")
    min_passage_length: int = Field(default=None, ge=1, le=1_000_000, description="characters a shared passage needs")
    max_anchor_gap: int = Field(default=None, ge=0, le=1_000_000, description="characters between anchors of one chain")

    def given(self) -> dict[str, Any]:
        """The options the request named (`EngineConfig.from_options` takes them)."""
        return self.model_dump(exclude_unset=True)


class CorrectRequest(RequestModel):
    """A text to correct, with other copies of it (witnesses) and engine options."""

    text: StrictStr = Field(description="the text to correct; edit offsets index it")
    witnesses: list[StrictStr] = Field(default_factory=list, description="other copies (whole texts) of the same matter")
    options: EngineOptions | None = Field(
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


def _path_part(excluded: str = "") -> str:
    # one part of a relative path: no separator or control character, not "." or ".."
    other = f"/\\\\\\x00-\\x1f{excluded}"
    return rf"(?:[^.{other}][^{other}]*|\.[^.{other}][^{other}]*|\.\.[^{other}]+)"


#: a relative path: parts as `_path_part` joined by / or \; the first without a drive's colon
RELATIVE_PATH = rf"^{_path_part(':')}(?:[/\\\\]{_path_part()})*$"


class DocumentCreate(RequestModel):
    """A document for the corpus: its name is a relative path, unique in its collection."""

    name: StoredStr = Field(min_length=1, max_length=1024, pattern=RELATIVE_PATH, description="a relative path, e.g. 2025/a.txt")
    text: StoredText
    collection: StoredText | None = Field(default=None, min_length=1, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "2025/xinhua-001.txt", "text": EXAMPLE_TEXT, "collection": "default"}]},
    )


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
    reading: str | None = Field(default=None, description="the reviewer's own reading of the span (the final text takes it)")
    comment: str | None = Field(default=None, description="the reviewer's comment on the latest decision")
    version: int = Field(description="send it back with a decision to refuse it if someone decided meanwhile")


class DecisionPublic(BaseModel):
    """One decision taken on a proposal (its history)."""

    status: Status
    reading: str | None
    comment: str | None
    decided_by: str | None
    decided_at: datetime | None
    previous_status: Status
    batch: str | None = Field(description="the bulk decision it was part of (undo it as one step)")


class ProposalDecision(RequestModel):
    """A decision on one proposal; ``pending`` takes a decision back."""

    status: Status
    version: int | None = Field(default=None, ge=1, le=MAX_INT, description="expected current version (409 if stale)")
    decided_by: StoredText | None = Field(
        default=None, max_length=200, description="the reviewer (else the X-Jiaokan-Reviewer header, else JIAOKAN_REVIEWER)"
    )
    reading: StoredText | None = Field(
        default=None, max_length=10_000, description="the right reading of the span, typed by the reviewer (with 'accepted')"
    )
    comment: StoredText | None = Field(default=None, max_length=2_000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "accepted", "version": 1}, {"status": "accepted", "reading": "子午", "comment": "per the 1998 edition"}],
            # a typed reading goes with "accepted" (the store refuses it otherwise)
            "if": {"properties": {"status": {"not": {"const": "accepted"}}}},
            "then": {"properties": {"reading": {"type": "null"}}},
        },
    )


class ReviewerCorrection(RequestModel):
    """The right reading of a span where the engine proposed nothing, typed by a reviewer."""

    start: int = Field(ge=0, le=MAX_INT)
    end: int = Field(ge=0, le=MAX_INT)
    original: StoredText = Field(max_length=10_000, description="what the text reads there (409 if it does not)")
    reading: StoredText = Field(max_length=10_000)
    comment: StoredText | None = Field(default=None, max_length=2_000)
    decided_by: StoredText | None = Field(default=None, max_length=200)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"start": 12, "end": 14, "original": "末来", "reading": "未来"}]})


class BulkDecision(RequestModel):
    """Decide every proposal matching a filter (by default only pending ones)."""

    status: Status
    collection: StoredText | None = Field(default=None, max_length=200)
    document_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    rule: StoredText | None = Field(default=None, max_length=100)
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    max_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    current_status: Status | None = Field(default="pending", description="only proposals in this status (null: any)")
    decided_by: StoredText | None = Field(default=None, max_length=200)
    preview: bool = Field(default=False, description="only count what would change")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "accepted", "document_id": 1, "rule": "majority_reading", "min_confidence": 0.8}]
        },
    )


class BulkDecisionResult(BaseModel):
    """How many proposals changed (or would, for a preview), and the batch that undoes them."""

    updated: int
    batch: str | None = Field(default=None, description="POST /v1/proposals/decisions/{batch}/undo takes them back")


class BulkUndoResult(BaseModel):
    """How many proposals a bulk undo restored (one decided again since keeps that decision)."""

    restored: int


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


#: what `str.isspace` calls whitespace, spelt out (regex engines disagree on ``\s``)
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: one word: no whitespace inside (around it is stripped), no NUL
ONE_WORD = rf"^[{WHITESPACE}]*[^\x00{WHITESPACE}]+[{WHITESPACE}]*$"


class TermCreate(RequestModel):
    """A domain term for the lexicon."""

    term: StoredStr = Field(min_length=1, max_length=200, pattern=ONE_WORD, description="one word: no whitespace inside it")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"term": "钍基熔盐堆"}]})


class RecomputeRequest(RequestModel):
    """A recomputation (nothing to say yet: the body is ``{}``, sent as JSON like every change)."""


class UndoRequest(RequestModel):
    """Taking a bulk decision back (nothing to say: the body is ``{}``, sent as JSON like every change)."""


class TermPublic(BaseModel):
    """A lexicon term."""

    term: str
    created_at: datetime


class Health(BaseModel):
    """Liveness and database reachability."""

    status: Literal["ok"]
    database: Literal["ok"]
    version: str
