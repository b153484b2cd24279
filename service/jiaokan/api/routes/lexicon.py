"""The service's lexicon of domain terms; the engine sees changes at the next request."""
from __future__ import annotations

from fastapi import APIRouter, Response

from jiaokan.api.dependencies import SessionDep
from jiaokan.api.schemas import TermCreate, TermPublic
from jiaokan.store import repository

router = APIRouter(prefix="/v1/lexicon", tags=["lexicon"])


@router.get("/terms", operation_id="list_terms", response_model=list[TermPublic])
def list_terms(session: SessionDep) -> list[dict]:
    """Every term, sorted."""
    return [{"term": term.term, "created_at": term.created_at} for term in repository.list_terms(session)]


@router.post(
    "/terms",
    operation_id="add_term",
    status_code=201,
    response_model=TermPublic,
    responses={200: {"description": "the term was there already"}},
)
def add_term(body: TermCreate, response: Response, session: SessionDep) -> dict:
    """Add a term; it takes effect at the next correction (stored documents: recompute their collection)."""
    with repository.write_transaction(session):
        term, created = repository.add_term(session, body.term)
    if not created:
        response.status_code = 200
    return {"term": term.term, "created_at": term.created_at}


@router.delete("/terms/{term}", operation_id="remove_term", status_code=204, responses={404: {"description": "no such term"}})
def remove_term(term: str, session: SessionDep) -> Response:
    """Remove a term."""
    with repository.write_transaction(session):
        repository.remove_term(session, term)
    return Response(status_code=204)
