"""`create_app(settings)`: the FastAPI app with its store, routes, review page and guards.

Nothing is created at import time: each call opens its own database engine (running
the migrations first, so an existing database upgrades) and keeps it in ``app.state``, with
the engine configs of corrections (`EngineConfigs`, over this app's `LexiconCache`) and the
engine lane, the worker processes that run large corrections (`jiaokan.api.engine_lane`).
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from jiaokan.settings import Settings, load_settings

DESCRIPTION = """Post raw OCR text and get it back corrected, with every change an explained edit;
keep a corpus whose copies strengthen each other; review the proposed corrections.

Errors are JSON `{"detail": ...}`: 400 (unknown Host, body not UTF-8), 401 (a change without a
valid access token, when the server has tokens), 403 (a change sent from another site), 404
(unknown id), 405 (method not taken here; `Allow` lists those that are), 408 (body not sent in
time), 409 (conflict: what clashed), 413 (body too large, or a text too long to correct while you
wait), 415 (not JSON: every POST, PUT and PATCH under /v1/ says `Content-Type: application/json`,
even with an empty body), 422 (invalid JSON, wrong types, bad options: `detail` is a list of
`{type, loc, msg}`), 503 (a correction out of its time budget, or the database out of reach)."""


def common_responses() -> dict:
    """The error answers any operation can give, for the OpenAPI document."""
    from jiaokan.api.schemas import ErrorMessage

    described = {
        400: "unknown Host (JIAOKAN_ALLOWED_HOSTS), or a body that is not UTF-8",
        401: "a change without a valid access token (when JIAOKAN_ACCESS_TOKENS is set)",
        403: "a change sent from another site or origin",
        404: "no such object",
        405: "method not taken at this path (Allow lists those that are)",
        408: "the body was not sent in time",
        413: "the body is over JIAOKAN_MAX_BODY_BYTES",
        415: "not JSON (a POST, PUT or PATCH under /v1/ needs Content-Type: application/json)",
        503: "out of time budget, or the database is out of reach",
    }
    return {status: {"model": ErrorMessage, "description": description} for status, description in described.items()}


def create_app(settings: Settings | None = None):
    """The app for ``settings`` (default: read from the ``JIAOKAN_*`` environment)."""
    from fastapi import FastAPI

    from jiaokan.api.docs import mount_docs
    from jiaokan.api.engine_configs import EngineConfigs
    from jiaokan.api.engine_lane import EngineLane
    from jiaokan.api.errors import install_error_handlers
    from jiaokan.api.middleware import BodyGuard
    from jiaokan.api.security import RequestGuard
    from jiaokan.api.routes import correct, documents, health, lexicon, proposals
    from jiaokan.review.routes import mount_review
    from jiaokan.store.database import open_store
    from jiaokan.store.lexicon_cache import LexiconCache

    settings = settings or load_settings()
    engine, session_factory = open_store(settings.database_url, migrate=settings.migrate_on_start)

    @asynccontextmanager
    async def lifespan(_app):
        if settings.warm_up:
            warm_up_engine()
        yield
        app.state.engine_lane.close()
        engine.dispose()

    app = FastAPI(title="jiaokan", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, responses=common_responses(),
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.engine_configs = EngineConfigs(settings, LexiconCache(engine, session_factory))
    app.state.engine_lane = EngineLane(processes=settings.engine_processes, budget=settings.correct_time_budget)
    install_error_handlers(app)
    for module in (health, correct, documents, proposals, lexicon):
        app.include_router(module.router)
    mount_review(app)
    mount_docs(app)
    app.add_middleware(BodyGuard, max_body_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout)
    app.add_middleware(RequestGuard, allowed_hosts=settings.allowed_hosts, access_tokens=settings.access_tokens)
    return app


def warm_up_engine() -> None:
    """Load the engine's lexicons and tables now, so /healthz means ready and no request waits;
    then keep them out of the collector's way."""
    import gc

    from jiaokan import DEFAULT_CONFIG, correct_text
    from jiaokan.engine.stages import warm_up
    from jiaokan.resources import load_resources

    correct_text("预热：建档立卡卡脱贫人口，子午工程二期。", ["预热：建档立卡脱贫人口，子午工程二期。"])
    warm_up(load_resources(DEFAULT_CONFIG.extra_terms), DEFAULT_CONFIG)
    # what is loaded now lives as long as the process: the collector leaves it alone, or each full
    # collection walks it again (70-100 ms in the middle of a request: 5 in 16 POSTs with their
    # refreshes, at 10,000 stored pages)
    gc.freeze()


def create_app_from_environment():
    """Factory for ``uvicorn --factory`` (and for worker processes of ``jiaokan serve``)."""
    return create_app(load_settings())
