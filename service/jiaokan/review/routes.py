"""``/review``: the document list and the document view where a person decides proposals.

The page is rendered on the server with every proposal in place, so it works at once and
stays fast with hundreds of proposals; ``static/review.js`` adds the keyboard, the
evidence popover and the decisions (through the JSON API). Jinja2 autoescapes everything:
OCR text is untrusted.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jiaokan.api.dependencies import SessionDep
from jiaokan.api.schemas import IdPath
from jiaokan.store import repository

HERE = Path(__file__).parent
PAGE_SIZE = 200

router = APIRouter(prefix="/review", tags=["review"], include_in_schema=False)


def mount_review(app) -> None:
    """Add the review routes, their templates and static files to ``app``."""
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["visible_whitespace"] = visible_whitespace
    app.state.templates = templates
    app.mount("/review/static", StaticFiles(directory=str(HERE / "static")), name="review-static")
    app.include_router(router)


@router.get("", response_class=HTMLResponse, name="review_index")
def review_index(
    request: Request,
    session: SessionDep,
    collection: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
):
    """Documents with their pending counts, the ones with most to review first in view."""
    summaries, total = repository.list_documents(session, collection=collection, offset=offset, limit=PAGE_SIZE)
    totals = repository.DocumentCounts()
    for summary in summaries:
        for name in ("pending", "accepted", "rejected", "auto"):
            setattr(totals, name, getattr(totals, name) + getattr(summary.counts, name))
    return request.app.state.templates.TemplateResponse(
        request,
        "index.html",
        {
            "summaries": summaries,
            "total": total,
            "totals": totals,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "collection": collection,
            "collections": repository.list_collections(session),
        },
    )


@router.get("/documents/{document_id}", response_class=HTMLResponse, name="review_document")
def review_document(request: Request, document_id: IdPath, session: SessionDep):
    """One document: its text with every proposal in place, the evidence panel and the keys."""
    document = repository.get_document(session, document_id)
    proposals = sorted(document.proposals, key=lambda proposal: (proposal.start, proposal.end, proposal.id))
    segments = text_segments(document.original, proposals)
    counts = repository.proposal_counts(session, [document.id])[document.id]
    neighbours = _neighbours(session, document)
    return request.app.state.templates.TemplateResponse(
        request,
        "document.html",
        {
            "document": document,
            "segments": segments,
            "counts": counts,
            "rules": sorted({proposal.rule for proposal in proposals}),
            "proposal_data": {str(proposal.id): _proposal_view(proposal) for proposal in proposals},
            "final_text": repository.final_text(document, proposals),
            "previous_document": neighbours[0],
            "next_document": neighbours[1],
        },
    )


#: how whitespace inside a proposal is shown, so a removed line break or space can be seen
WHITESPACE_SYMBOLS = str.maketrans({"\n": "↵", "\r": "", " ": "·", "\t": "⇥", "\u3000": "□"})


def visible_whitespace(value: str) -> str:
    """``value`` with whitespace drawn as symbols (only inside proposals; the text keeps its layout)."""
    return value.translate(WHITESPACE_SYMBOLS)


def text_segments(original: str, proposals) -> list[dict[str, Any]]:
    """The text cut into plain runs and proposals, in order; a proposal overlapping an
    earlier one (the store never makes such, but be safe) is left out of the text."""
    segments: list[dict[str, Any]] = []
    cursor = 0
    for proposal in proposals:
        if proposal.start < cursor or (proposal.start == proposal.end and segments and segments[-1].get("point") == cursor):
            continue
        if proposal.start > cursor:
            segments.append({"text": original[cursor:proposal.start]})
        segments.append({"proposal": proposal, "point": proposal.start if proposal.start == proposal.end else None})
        cursor = proposal.end
    if cursor < len(original):
        segments.append({"text": original[cursor:]})
    return segments


def _proposal_view(proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "rule": proposal.rule,
        "kind": proposal.kind,
        "confidence": proposal.confidence,
        "evidence": proposal.evidence or {},
        "auto": proposal.auto,
        "status": proposal.status,
        "version": proposal.version,
        "original": proposal.original,
        "replacement": proposal.replacement,
        "start": proposal.start,
        "end": proposal.end,
    }


def _neighbours(session, document):
    from sqlalchemy import select

    from jiaokan.store.models import Document

    same = select(Document.id, Document.name).where(Document.collection_id == document.collection_id)
    previous = session.execute(same.where(Document.name < document.name).order_by(Document.name.desc()).limit(1)).first()
    following = session.execute(same.where(Document.name > document.name).order_by(Document.name).limit(1)).first()
    return previous, following
