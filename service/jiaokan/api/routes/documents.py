"""Documents of the corpus: store, list, read, delete, their final text; collections and export."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import PlainTextResponse

from jiaokan.api.dependencies import SessionDep, SettingsDep
from jiaokan.api.schemas import (
    MAX_INT,
    CollectionPublic,
    DocumentCreate,
    DocumentCreated,
    DocumentDetail,
    DocumentsPage,
    DocumentText,
    IdPath,
    MergeResult,
    RecomputeRequest,
    VariantPublic,
)
from jiaokan.store import repository, witness_index

router = APIRouter(prefix="/v1", tags=["documents"])

DocumentId = IdPath
NOT_FOUND = {404: {"description": "no such document"}}


def document_public(document, counts: repository.DocumentCounts, *, with_text: bool = False) -> dict:
    """A document as the API shows it."""
    record = {
        "id": document.id,
        "name": document.name,
        "collection": document.collection.name,
        "sha256": document.sha256,
        "length": len(document.original),
        "created_at": document.created_at,
        "counts": vars(counts) | {"total": counts.total},
    }
    if with_text:
        record["original"] = document.original
    return record


@router.post(
    "/documents",
    operation_id="create_document",
    status_code=201,
    response_model=DocumentCreated,
    responses={200: {"description": "the same name and text were stored before: nothing changed"},
               409: {"description": "the name is taken by a different text"}},
)
def create_document(
    body: DocumentCreate, request: Request, response: Response, background: BackgroundTasks, settings: SettingsDep, session: SessionDep
) -> dict:
    """Store a document and match it against its collection.

    It finds its witnesses in the collection's witness index; it and the stored documents
    that share passages with it get new or updated proposals before the answer, documents
    further away whose proposals it changes (through a witness's reliability or a confirmed
    term) right after it; a decision a person took is never overwritten. Posting the same
    name and text again changes nothing (200).
    """
    collection_name = body.collection or settings.default_collection
    stats = repository.MergeStats()
    with repository.write_transaction(session):
        collection = repository.get_or_create_collection(session, collection_name)
        document, outcome = repository.add_document(session, name=body.name, text=body.text, collection=collection)
        if outcome == "created":
            config = settings.engine_config(repository.term_strings(session))
            stats = witness_index.add_document(session, collection, document, config)
    if outcome == "created":
        background.add_task(witness_index.refresh_collection, request.app.state.session_factory, collection_name, config)
        counts = repository.counts_of(document.proposals)  # as the merge left them: not read back
    else:
        response.status_code = 200
        counts = repository.proposal_counts(session, [document.id])[document.id]
    return document_public(document, counts, with_text=True) | {"outcome": outcome, "proposals_merged": vars(stats)}


@router.get("/documents", operation_id="list_documents", response_model=DocumentsPage)
def list_documents(
    session: SessionDep,
    settings: SettingsDep,
    collection: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
) -> dict:
    """Documents by collection and name, with their proposal counts."""
    limit = min(limit, settings.max_page_size)
    summaries, total = repository.list_documents(session, collection=collection, offset=offset, limit=limit)
    items = [document_public(summary.document, summary.counts) for summary in summaries]
    return {"items": items, "total": total, "offset": offset, "limit": limit}


@router.get("/documents/{document_id}", operation_id="read_document", response_model=DocumentDetail, responses=NOT_FOUND)
def read_document(document_id: DocumentId, session: SessionDep) -> dict:
    """A document with its original text and proposal counts."""
    document = repository.get_document(session, document_id)
    counts = repository.proposal_counts(session, [document.id])[document.id]
    return document_public(document, counts, with_text=True)


@router.delete("/documents/{document_id}", operation_id="delete_document", status_code=204, responses=NOT_FOUND)
def delete_document(
    document_id: DocumentId, request: Request, background: BackgroundTasks, settings: SettingsDep, session: SessionDep
) -> Response:
    """Remove a document with its proposals and decisions; the documents it witnessed get their
    proposals again without its copy (decisions kept)."""
    with repository.write_transaction(session):
        document = repository.get_document(session, document_id)
        collection = document.collection
        config = settings.engine_config(repository.term_strings(session))
        witness_index.remove_document(session, collection, document, config)
    background.add_task(witness_index.refresh_collection, request.app.state.session_factory, collection.name, config)
    return Response(status_code=204)


@router.get(
    "/documents/{document_id}/variants", operation_id="read_document_variants", response_model=list[VariantPublic], responses=NOT_FOUND
)
def read_document_variants(document_id: DocumentId, session: SessionDep) -> list[dict]:
    """Where other documents of the collection read this one otherwise and nothing changed (an
    edition's reading, or a difference too doubtful to call a misreading): each document's
    reading, the reason, the evidence. Never applied, nothing to decide."""
    return repository.document_variants(repository.get_document(session, document_id))


@router.get(
    "/documents/{document_id}/text", operation_id="read_document_text", response_model=DocumentText, responses=NOT_FOUND
)
def read_document_text(document_id: DocumentId, session: SessionDep) -> dict:
    """The final text: accepted edits and the pending ones the policy applied; never a rejected one."""
    return {"text": repository.final_text(repository.get_document(session, document_id))}


@router.get("/collections", operation_id="list_collections", response_model=list[CollectionPublic])
def list_collections(session: SessionDep) -> list[dict]:
    """Every collection, its number of documents and how many wait for their proposals to be
    brought up to date after a change elsewhere in the collection."""
    return [
        {"name": collection.name, "documents": count, "created_at": collection.created_at,
         "stale": witness_index.stale_count(session, collection)}
        for collection, count in repository.list_collections(session)
    ]


@router.get(
    "/collections/{collection}/export",
    operation_id="export_collection",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"application/x-ndjson": {"example": '{"name": "a.txt", "original": "...", "text": "...", "proposals": []}\n'}},
            "description": "one JSON object per line: name, original, final text and every proposal with its decision",
        },
        404: {"description": "no such collection"},
    },
)
def export_collection(collection: str, session: SessionDep) -> Response:
    """The collection as JSON Lines: each document's texts plus every proposal and decision."""
    lines = [json.dumps(record, ensure_ascii=False) + "\n" for record in repository.export_collection(session, collection)]
    return Response(
        content="".join(lines),
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{_safe_filename(collection)}.jsonl"'},
    )


@router.post(
    "/collections/{collection}/recompute",
    operation_id="recompute_collection",
    response_model=MergeResult,
    responses={404: {"description": "no such collection"}},
)
def recompute_collection(
    collection: str, body: RecomputeRequest, request: Request, settings: SettingsDep, session: SessionDep
) -> dict:
    """Build the collection's witness index again and recompute every proposal (e.g. after lexicon
    changes), a batch of documents per transaction; decisions are kept."""
    with repository.write_transaction(session):
        config = settings.engine_config(repository.term_strings(session))
        witness_index.rebuild(session, repository.find_collection(session, collection), config)
    return vars(witness_index.refresh_collection(request.app.state.session_factory, collection, config))


def _safe_filename(name: str) -> str:
    return "".join(character if character.isascii() and character.isalnum() else "_" for character in name) or "collection"
