"""``/review``: the document list, the review queue across documents, and the document view
where a person decides proposals.

The document page is rendered on the server and reads as the final text at once: each
proposal that needs a decision is a span holding both readings, every other (applied,
accepted, rejected) is a bare span of its final reading, dressed with both readings by
``static/review.js`` only when it is shown. The page carries an outline of every proposal
(where, which rule, which status) and the full details (evidence, the copies' places,
history) of the first hundred to review; the details of the others come from
``/review/proposals/{id}/details`` when one is opened (the next to review is fetched ahead).
So a document with thousands of applied edits opens fast. ``review.js`` adds the keyboard, the apparatus (the copies'
readings lined up, the evidence in words) and the decisions (through the JSON API). Jinja2
autoescapes everything and the text is escaped where it is built: OCR text is untrusted.
Errors under ``/review`` are HTML pages (`render_error_page`), not JSON.
"""
from __future__ import annotations

from collections import namedtuple
from functools import cached_property
from html import escape
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from jiaokan.api.dependencies import SessionDep
from jiaokan.api.schemas import IdPath
from jiaokan.store import repository
from jiaokan.store.models import ACCEPTED, PENDING, applied_replacement

HERE = Path(__file__).parent
PAGE_SIZE = 200
QUEUE_PAGE_SIZE = 100
#: characters of a witness's text before its reading that locate the reading in it
PLACE_CONTEXT = 4
#: what the document page knows of every proposal from the start, in this order (``outline``)
OUTLINE_FIELDS = ("id", "start", "end", "rule", "kind", "confidence", "status", "auto", "version",
                  "original", "replacement", "reading", "decided_by")
#: what `proposal_details` reads of a proposal
DETAIL_FIELDS = ("id", "evidence", "comment")
#: the proposals to review whose details the page carries (the first in the text); the script
#: fetches the others' as the reviewer reaches them, one ahead
EMBEDDED_DETAILS = 100
#: a proposal's outline (a plain tuple: the page reads a field of thousands of them several times)
ProposalOutline = namedtuple("ProposalOutline", OUTLINE_FIELDS)

router = APIRouter(prefix="/review", tags=["review"], include_in_schema=False)


def mount_review(app) -> None:
    """Add the review routes, their templates, static files and HTML error pages to ``app``."""
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["visible_whitespace"] = visible_whitespace
    # the page's data as compact JSON (a long document's outline is most of the page); tojson
    # still escapes what could end the script element
    templates.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False, "separators": (",", ":")}
    app.state.templates = templates
    app.state.render_error_page = render_error_page
    app.mount("/review/static", StaticFiles(directory=str(HERE / "static")), name="review-static")
    app.include_router(router)
    app.add_middleware(CompressReviewPages)


#: gzip level for the review's pages: a long document's page shrinks to a tenth or less (most
#: of it is markup and data that repeat) in a few milliseconds; level 9 costs twice that for 3%
REVIEW_COMPRESSION_LEVEL = 5


class CompressReviewPages:
    """Gzip under ``/review`` (pages, their script, the details a page fetches) for a browser
    that accepts it: a reviewer's browser is often across a network from the service. The
    JSON API is left as it is (its clients and their timings are not the page's)."""

    def __init__(self, app) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app = app
        self.compressed = GZipMiddleware(app, minimum_size=1000, compresslevel=REVIEW_COMPRESSION_LEVEL)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/review"):
            await self.compressed(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def render_error_page(request: Request, status: int, message: str):
    """An error of a review route as a page a person can read and leave."""
    return request.app.state.templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


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


@router.get("/queue", response_class=HTMLResponse, name="review_queue")
def review_queue(
    request: Request,
    session: SessionDep,
    collection: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["review", "pending", "accepted", "rejected", "any"] = "review",
    rule: Annotated[str | None, Query(max_length=100)] = None,
    min_confidence: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    max_confidence: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
):
    """Proposals across the collection, what most needs a person first (lowest confidence,
    then the largest change), filtered by rule, status, confidence and text."""
    entries, total = repository.review_queue(
        session,
        collection=collection or None,
        status=None if status == "any" else status,
        rule=rule or None,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
        text=text or None,
        offset=offset,
        limit=QUEUE_PAGE_SIZE,
    )
    filters = {"collection": collection or "", "status": status, "rule": rule or "", "text": text or "",
               "min_confidence": "" if min_confidence is None else min_confidence,
               "max_confidence": "" if max_confidence is None else max_confidence}
    return request.app.state.templates.TemplateResponse(
        request,
        "queue.html",
        {
            "entries": entries,
            "total": total,
            "offset": offset,
            "page_size": QUEUE_PAGE_SIZE,
            "filters": filters,
            "query": {name: value for name, value in filters.items() if value != ""},
            "collections": repository.list_collections(session),
            "rules": repository.known_rules(session),
        },
    )


@router.get("/documents/{document_id}", response_class=HTMLResponse, name="review_document")
def review_document(
    request: Request,
    document_id: IdPath,
    session: SessionDep,
    at: Annotated[str | None, Query(max_length=40, pattern=r"^\d+-\d+$", description="a place to mark: START-END")] = None,
):
    """One document: the final text with what needs a decision marked, the apparatus, the keys."""
    document = repository.get_document(session, document_id)
    proposals = [ProposalOutline._make(row) for row in repository.proposal_rows(session, document.id, OUTLINE_FIELDS)]
    variants = repository.document_variants(document)
    place = _place(at, len(document.original))
    segments = text_segments(document.original, proposals, variants, place)
    counts = repository.proposal_counts(session, [document.id])[document.id]
    detailed = repository.proposal_rows(session, document.id, DETAIL_FIELDS, to_review=True, limit=EMBEDDED_DETAILS)
    history = repository.decision_history(session, [proposal.id for proposal in detailed])
    witnesses = _witness_texts(session, document, detailed, variants)
    rules: dict[str, int] = {}
    for proposal in proposals:
        rules[proposal.rule] = rules.get(proposal.rule, 0) + 1
    neighbours = _neighbours(session, document)
    next_with_work = repository.next_document_with_work(session, document)
    return request.app.state.templates.TemplateResponse(
        request,
        "document.html",
        {
            "document": document,
            "text_html": Markup(text_html(segments)),
            "counts": counts,
            "rules": sorted(rules.items()),
            "variants": variants,
            "outline": {"fields": OUTLINE_FIELDS, "rows": [list(proposal) for proposal in proposals]},
            "proposal_details": {
                str(proposal.id): proposal_details(proposal, history[proposal.id], witnesses) for proposal in detailed
            },
            "variant_data": [_variant_view(variant, witnesses) for variant in variants],
            "thresholds": auto_apply_thresholds(request.app.state.settings, rules),
            "previous_document": neighbours[0],
            "next_document": neighbours[1],
            "next_with_work": next_with_work,
            "place": place,
        },
    )


def auto_apply_thresholds(settings, rules) -> dict[str, float]:
    """Each rule's auto-apply threshold under the service's engine options. From the config
    alone: a threshold does not depend on the lexicon's terms, so the page never waits for the
    engine to be prepared (seconds, in a process that has not corrected anything yet)."""
    config = settings.engine_config()
    return {rule: config.threshold(rule) for rule in rules}


@router.get("/proposals/{proposal_id}/details", name="review_proposal_details")
def review_proposal_details(proposal_id: IdPath, session: SessionDep) -> dict[str, Any]:
    """What the apparatus shows of one proposal beyond the page's outline (its evidence, the
    links to each copy's place, its history, the comment): the document page asks for it when
    a proposal that did not need review is opened."""
    proposal = repository.get_proposal(session, proposal_id)
    history = repository.decision_history(session, [proposal.id])[proposal.id]
    return proposal_details(proposal, history, _witness_texts(session, proposal.document, [proposal], ()))


def text_html(segments: list[dict[str, Any]]) -> str:
    """The document's text as HTML: plain runs, each proposal as a span (`_proposal_html`),
    variants and the marked place. Built here rather than in the template: a document can hold thousands of
    proposals, and this is the page's one long loop. Everything is escaped."""
    pieces: list[str] = []
    for segment in segments:
        proposal = segment.get("proposal")
        if proposal is not None:
            pieces.append(_proposal_html(proposal))
        elif "variant" in segment:
            index = segment["variant_index"]
            pieces.append(f'<span class="variant" tabindex="-1" role="button" id="v{index}" data-variant-index="{index}" '
                          f'aria-label="variant: the copies read this otherwise">{escape(segment["variant"]["original"])}</span>')
        elif segment.get("place"):
            pieces.append(f'<mark class="place" id="place" tabindex="-1">{escape(segment["text"])}</mark>')
        else:
            pieces.append(escape(segment["text"]))
    return "".join(pieces)


def _proposal_html(proposal) -> str:
    """One proposal's span. One that needs a decision holds both readings, is a button in the
    tab order with a spoken label; any other is a bare span of its final reading (a screen
    reader hears the final text), which the page's script gives both readings when it is shown."""
    if proposal.status != PENDING or proposal.auto:
        return f'<span class="proposal" tabindex="-1" data-proposal-id="{proposal.id}">{escape(final_reading(proposal))}</span>'
    spoken = escape(f"{proposal.rule}: {proposal.original} → {proposal.replacement}, to review")
    return (f'<span class="proposal status-pending kind-{escape(proposal.kind)} needs-review" tabindex="0" id="p{proposal.id}" '
            f'data-proposal-id="{proposal.id}" data-rule="{escape(proposal.rule)}" role="button" aria-label="{spoken}">'
            f'<del>{escape(visible_whitespace(proposal.original))}</del><ins>{escape(applied_replacement(proposal))}</ins></span>')


def final_reading(proposal) -> str:
    """What the final text reads at a proposal's span: its replacement (or the reviewer's
    reading) when it applies, else the original."""
    applies = proposal.status == ACCEPTED or (proposal.status == PENDING and proposal.auto)
    return applied_replacement(proposal) if applies else proposal.original


#: how whitespace inside a proposal is shown, so a removed line break or space can be seen
WHITESPACE_SYMBOLS = str.maketrans({"\n": "↵", "\r": "", " ": "·", "\t": "⇥", "\u3000": "□"})


def visible_whitespace(value: str) -> str:
    """``value`` with whitespace drawn as symbols (only inside proposals; the text keeps its layout)."""
    return value.translate(WHITESPACE_SYMBOLS)


def text_segments(original: str, proposals, variants: Iterable[dict] = (), place: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The text cut into plain runs, proposals and variants, in order. A proposal overlapping
    an earlier one (the store never makes such, but be safe) is left out of the text; so is a
    variant overlapping a proposal. ``place``: a span of plain text to mark (a link from
    another document's apparatus)."""
    marked: list[tuple[int, int, dict[str, Any]]] = []
    cursor = 0
    for proposal in proposals:
        if proposal.start < cursor or (proposal.start == proposal.end and marked and marked[-1][2].get("point") == cursor):
            continue
        marked.append((proposal.start, proposal.end, {"proposal": proposal, "point": proposal.start if proposal.start == proposal.end else None}))
        cursor = proposal.end
    taken = [(start, end) for start, end, _ in marked]
    for index, variant in enumerate(variants):
        span = (variant["start"], variant["end"])
        if variant["end"] > variant["start"] and not any(repository.spans_overlap(span, other) for other in taken):
            marked.append((variant["start"], variant["end"], {"variant": variant, "variant_index": index}))
    marked.sort(key=lambda item: (item[0], item[1]))
    segments: list[dict[str, Any]] = []
    cursor = 0
    for start, end, segment in marked:
        if start < cursor:
            continue
        segments.extend(_plain(original, cursor, start, place))
        segments.append(segment)
        cursor = end
    segments.extend(_plain(original, cursor, len(original), place))
    return segments


def _plain(original: str, start: int, end: int, place: tuple[int, int] | None) -> list[dict[str, Any]]:
    """Plain text ``[start, end)``, with the part inside ``place`` marked."""
    if start >= end:
        return []
    if place is None or place[1] <= start or place[0] >= end:
        return [{"text": original[start:end]}]
    inside_start, inside_end = max(start, place[0]), min(end, place[1])
    pieces = [{"text": original[start:inside_start]}, {"text": original[inside_start:inside_end], "place": True},
              {"text": original[inside_end:end]}]
    return [piece for piece in pieces if piece["text"]]


def _place(at: str | None, length: int) -> tuple[int, int] | None:
    if at is None:
        return None
    start, end = (int(part) for part in at.split("-"))
    return (start, end) if 0 <= start < end <= length else None


def proposal_details(proposal, history: list[dict], witnesses: dict[str, WitnessText]) -> dict[str, Any]:
    """What the page's script shows of a proposal beyond its outline (`OUTLINE_FIELDS`): the
    evidence, the links to each copy's place, the history and the comment (empty ones left out)."""
    evidence = proposal.evidence or {}
    details = {
        "evidence": evidence,
        "comment": proposal.comment,
        "history": history,
        "places": _places(evidence.get("readings"), evidence.get("context"), witnesses),
    }
    return {name: value for name, value in details.items() if value is not None and value != []}


def _variant_view(variant: dict, witnesses: dict[str, WitnessText]) -> dict[str, Any]:
    return variant | {"places": _places(variant.get("readings"), None, witnesses)}


class WitnessText:
    """A stored copy the readings name: its id and text, and where a reading stands in it."""

    def __init__(self, document_id: int, text: str) -> None:
        self.document_id = document_id
        self.text = text

    @cached_property
    def content(self) -> tuple[str, list[int]]:
        """The text's letters, digits and Han, and where each stands in the text (a reading is
        shown with its marks normalised; the text keeps its own)."""
        positions = [index for index, character in enumerate(self.text) if character.isalnum()]
        return "".join(self.text[index] for index in positions), positions

    def locate(self, reading: str, left: str = "") -> tuple[int, int] | None:
        """Where ``reading`` (after ``left``, if it is found so) stands in the text; None if absent.
        The text as it is first; then its content, marks aside."""
        for before in (left, ""):
            found = self.text.find(before + reading) if reading else -1
            if found >= 0:
                return found + len(before), found + len(before) + len(reading)
        wanted = "".join(character for character in reading if character.isalnum())
        if not wanted:
            return None
        letters, positions = self.content
        before = "".join(character for character in left if character.isalnum())
        found = letters.find(before + wanted) if before else -1
        found = found + len(before) if found >= 0 else letters.find(wanted)
        if found < 0:
            return None
        return positions[found], positions[found + len(wanted) - 1] + 1


def _places(readings, context: str | None, witnesses: dict[str, WitnessText]) -> list[str | None]:
    """For each copy's reading, the link to that place in the copy (None: not stored here)."""
    if not isinstance(readings, list):
        return []
    left = context.split("[", 1)[0][-PLACE_CONTEXT:] if isinstance(context, str) else ""
    places: list[str | None] = []
    for item in readings:
        witness = witnesses.get(item.get("document")) if isinstance(item, dict) else None
        if witness is None:
            places.append(None)
            continue
        span = witness.locate(str(item.get("reading", "")), left)
        places.append(f"/review/documents/{witness.document_id}" + (f"?at={span[0]}-{span[1]}#place" if span else ""))
    return places


def _witness_texts(session, document, proposals, variants) -> dict[str, WitnessText]:
    """The id and text of every stored document of the collection that the readings name."""
    from sqlalchemy import select

    from jiaokan.store.models import Document

    names: set[str] = set()
    for evidence in [proposal.evidence or {} for proposal in proposals] + list(variants):
        for item in evidence.get("readings") or ():
            if isinstance(item, dict) and isinstance(item.get("document"), str):
                names.add(item["document"])
    if not names:
        return {}
    rows = session.execute(
        select(Document.name, Document.id, Document.original).where(
            Document.collection_id == document.collection_id, Document.name.in_(sorted(names))
        )
    ).all()
    return {name: WitnessText(document_id, original) for name, document_id, original in rows}


def _neighbours(session, document):
    from sqlalchemy import select

    from jiaokan.store.models import Document

    same = select(Document.id, Document.name).where(Document.collection_id == document.collection_id)
    previous = session.execute(same.where(Document.name < document.name).order_by(Document.name.desc()).limit(1)).first()
    following = session.execute(same.where(Document.name > document.name).order_by(Document.name).limit(1)).first()
    return previous, following
