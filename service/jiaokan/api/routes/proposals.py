"""Proposals of stored documents: list and filter, decide one, decide many."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from jiaokan.api.dependencies import SessionDep
from jiaokan.api.schemas import BulkDecision, IdPath, BulkDecisionResult, ProposalDecision, ProposalPublic
from jiaokan.store import repository

router = APIRouter(prefix="/v1", tags=["proposals"])


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


@router.patch(
    "/proposals/{proposal_id}",
    operation_id="decide_proposal",
    response_model=ProposalPublic,
    responses={404: {"description": "no such proposal"}, 409: {"description": "the version is stale"}},
)
def decide_proposal(proposal_id: IdPath, body: ProposalDecision, session: SessionDep) -> dict:
    """Accept, reject or reset one proposal. With ``version``, a decision someone else took
    meanwhile makes this one fail with 409 instead of silently replacing it."""
    with repository.write_transaction(session):
        proposal = repository.decide_proposal(
            session, proposal_id, body.status, expected_version=body.version, decided_by=body.decided_by
        )
    return repository.proposal_record(proposal)


@router.post(
    "/proposals/decisions",
    operation_id="decide_proposals",
    response_model=BulkDecisionResult,
    responses={404: {"description": "no such document or collection"}},
)
def decide_proposals(body: BulkDecision, session: SessionDep) -> dict:
    """Decide every proposal matching the filter, e.g. accept one rule's proposals above a
    confidence. Only pending proposals change unless ``current_status`` says otherwise."""
    with repository.write_transaction(session):
        updated = repository.decide_many(
            session,
            body.status,
            collection=body.collection,
            document_id=body.document_id,
            rule=body.rule,
            min_confidence=body.min_confidence,
            max_confidence=body.max_confidence,
            current_status=body.current_status,
            decided_by=body.decided_by,
        )
    return {"updated": updated}
