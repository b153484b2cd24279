"""Proposals of stored documents: list and filter, decide one, decide many."""
from __future__ import annotations

from typing import Annotated, Literal

from urllib.parse import unquote

from fastapi import APIRouter, Header, Path, Query

from jiaokan.api.dependencies import SessionDep, SettingsDep
from jiaokan.api.schemas import (
    BulkDecision,
    BulkDecisionResult,
    BulkUndoResult,
    DecisionPublic,
    IdPath,
    ProposalDecision,
    ProposalPublic,
    ReviewerCorrection,
    UndoRequest,
)
from jiaokan.errors import InputError
from jiaokan.store import repository

router = APIRouter(prefix="/v1", tags=["proposals"])

#: the reviewer, for clients that cannot put it in the body (percent-encoded UTF-8)
ReviewerHeader = Annotated[str | None, Header(alias="X-Jiaokan-Reviewer", max_length=600)]


def reviewer_name(given: str | None, header: str | None, setting: str | None) -> str | None:
    """Who decides: the body's ``decided_by``, else the header, else the service's setting."""
    if given:
        return given
    if header:
        try:
            name = unquote(header, errors="strict").strip()
        except UnicodeDecodeError as error:
            raise InputError("X-Jiaokan-Reviewer must be percent-encoded UTF-8") from error
        if len(name) > 200:
            raise InputError("the reviewer's name has at most 200 characters")
        return name or setting
    return setting


@router.get(
    "/documents/{document_id}/proposals",
    operation_id="list_proposals",
    response_model=list[ProposalPublic],
    responses={404: {"description": "no such document"}},
)
def list_proposals(
    document_id: IdPath,
    session: SessionDep,
    status: Literal["pending", "accepted", "rejected"] | None = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    min_confidence: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    max_confidence: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
) -> list[dict]:
    """The document's proposals in text order, filtered by status, rule and confidence."""
    proposals = repository.list_proposals(
        session, document_id, status=status, rule=rule, min_confidence=min_confidence, max_confidence=max_confidence
    )
    return [repository.proposal_record(proposal) for proposal in proposals]


@router.post(
    "/documents/{document_id}/corrections",
    operation_id="add_correction",
    status_code=201,
    response_model=ProposalPublic,
    responses={404: {"description": "no such document"}, 409: {"description": "the text reads otherwise there, or a proposal overlaps"}},
)
def add_correction(
    document_id: IdPath, body: ReviewerCorrection, session: SessionDep, settings: SettingsDep, reviewer: ReviewerHeader = None
) -> dict:
    """Type the right reading of a span where the engine proposed nothing: it becomes an accepted
    proposal of rule ``reviewer_reading``, in the final text and the export."""
    with repository.write_transaction(session):
        proposal = repository.add_correction(
            session, document_id, body.start, body.end, body.original, body.reading,
            decided_by=reviewer_name(body.decided_by, reviewer, settings.reviewer), comment=body.comment,
        )
    return repository.proposal_record(proposal)


@router.patch(
    "/proposals/{proposal_id}",
    operation_id="decide_proposal",
    response_model=ProposalPublic,
    responses={404: {"description": "no such proposal"}, 409: {"description": "the version is stale"}},
)
def decide_proposal(
    proposal_id: IdPath, body: ProposalDecision, session: SessionDep, settings: SettingsDep, reviewer: ReviewerHeader = None
) -> dict:
    """Accept, reject or reset one proposal, or accept it with the reviewer's own ``reading``
    of the span; an optional ``comment``. The reviewer is ``decided_by``, else the
    ``X-Jiaokan-Reviewer`` header (percent-encoded UTF-8), else the ``JIAOKAN_REVIEWER`` setting.
    With ``version``, a decision someone else took meanwhile makes this one fail with 409
    instead of silently replacing it. Every decision is kept in the proposal's history."""
    with repository.write_transaction(session):
        proposal = repository.decide_proposal(
            session,
            proposal_id,
            body.status,
            expected_version=body.version,
            decided_by=reviewer_name(body.decided_by, reviewer, settings.reviewer),
            reading=body.reading,
            comment=body.comment,
        )
    return repository.proposal_record(proposal)


@router.get(
    "/proposals/{proposal_id}/history",
    operation_id="proposal_history",
    response_model=list[DecisionPublic],
    responses={404: {"description": "no such proposal"}},
)
def proposal_history(proposal_id: IdPath, session: SessionDep) -> list[dict]:
    """Every decision taken on the proposal, oldest first: who, when, what, the comment."""
    repository.get_proposal(session, proposal_id)
    return repository.decision_history(session, [proposal_id])[proposal_id]


@router.post(
    "/proposals/decisions",
    operation_id="decide_proposals",
    response_model=BulkDecisionResult,
    responses={404: {"description": "no such document or collection"}},
)
def decide_proposals(body: BulkDecision, session: SessionDep, settings: SettingsDep, reviewer: ReviewerHeader = None) -> dict:
    """Decide every proposal matching the filter, e.g. accept one rule's proposals above a
    confidence. Only pending proposals change unless ``current_status`` says otherwise. With
    ``preview`` nothing changes: ``updated`` says how many would. The answer's ``batch``
    undoes the whole decision as one step."""
    with repository.write_transaction(session):
        result = repository.decide_many(
            session,
            body.status,
            collection=body.collection,
            document_id=body.document_id,
            rule=body.rule,
            min_confidence=body.min_confidence,
            max_confidence=body.max_confidence,
            current_status=body.current_status,
            decided_by=reviewer_name(body.decided_by, reviewer, settings.reviewer),
            preview=body.preview,
        )
    return {"updated": result.updated, "batch": result.batch}


@router.post(
    "/proposals/decisions/{batch}/undo",
    operation_id="undo_decisions",
    response_model=BulkUndoResult,
    responses={404: {"description": "no such bulk decision"}},
)
def undo_decisions(
    batch: Annotated[str, Path(min_length=1, max_length=32, pattern="^[0-9a-f]+$")],
    body: UndoRequest,
    session: SessionDep,
    settings: SettingsDep,
    reviewer: ReviewerHeader = None,
) -> dict:
    """Take a bulk decision back as one step: each of its proposals returns to what it was,
    unless someone decided it again since."""
    with repository.write_transaction(session):
        restored = repository.undo_batch(session, batch, decided_by=reviewer_name(None, reviewer, settings.reviewer))
    return {"restored": restored}
