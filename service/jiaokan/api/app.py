"""`create_app(settings)`: the FastAPI app with its store, routes, review page and guards.

Nothing is created at import time: each call opens its own database engine (running
the migrations first, so an existing database upgrades) and keeps it in ``app.state``, with
the engine configs of corrections (`EngineConfigs`, over this app's `LexiconCache`) and the
engine lane, the one thread that runs corrections (`jiaokan.api.routes.correct`).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from jiaokan.settings import Settings, load_settings

DESCRIPTION = """Post raw OCR text and get it back corrected, with every change an explained edit;
keep a corpus whose copies strengthen each other; review the proposed corrections.

Errors are JSON `{"detail": ...}`: 400 (body not UTF-8), 404 (unknown id), 409 (conflict),
413 (body too large), 415 (not JSON), 422 (invalid JSON, wrong types, bad options)."""


def create_app(settings: Settings | None = None):
    """The app for ``settings`` (default: read from the ``JIAOKAN_*`` environment)."""
    from fastapi import FastAPI

    from jiaokan.api.docs import mount_docs
    from jiaokan.api.engine_configs import EngineConfigs
    from jiaokan.api.errors import install_error_handlers
    from jiaokan.api.middleware import BodyGuard
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
        app.state.engine_lane.shutdown(wait=True)
        engine.dispose()

    app = FastAPI(title="jiaokan", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.engine_configs = EngineConfigs(settings, LexiconCache(engine, session_factory))
    app.state.engine_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jiaokan-engine")
    install_error_handlers(app)
    for module in (health, correct, documents, proposals, lexicon):
        app.include_router(module.router)
    mount_review(app)
    mount_docs(app)
    app.add_middleware(BodyGuard, max_body_bytes=settings.max_body_bytes)
    return app


def warm_up_engine() -> None:
    """Load the engine's lexicons and tables now, so /healthz means ready and no request waits."""
    from jiaokan import DEFAULT_CONFIG, correct_text
    from jiaokan.pipeline import warm_up
    from jiaokan.resources import load_resources

    correct_text("预热：建档立卡卡脱贫人口，子午工程二期。", ["预热：建档立卡脱贫人口，子午工程二期。"])
    warm_up(load_resources(DEFAULT_CONFIG.extra_terms), DEFAULT_CONFIG)


def create_app_from_environment():
    """Factory for ``uvicorn --factory`` (and for worker processes of ``jiaokan serve``)."""
    return create_app(load_settings())
