"""`jiaokan serve`: run the HTTP API and the review page with uvicorn.

``--load FOLDER`` first stores the folder's text files in the default collection and
computes their proposals (``make run`` does this with ``seeds/``). Loading is idempotent:
a second start adds nothing and keeps every decision.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to listen, what to load first, how many worker processes."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--load", type=Path, metavar="FOLDER", help="store FOLDER's *.txt files before serving")
    parser.add_argument("--collection", help="collection --load stores into (default: JIAOKAN_DEFAULT_COLLECTION)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default: %(default)s)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def run(arguments: argparse.Namespace) -> int:
    """Migrate the store, load the folder if asked, then serve until interrupted."""
    import uvicorn

    from jiaokan.errors import InputError
    from jiaokan.settings import load_settings
    from jiaokan.store.database import open_store

    if not 0 < arguments.port < 65536 or arguments.workers < 1:
        raise InputError("--port must be 1..65535 and --workers at least 1")
    settings = load_settings()
    engine, session_factory = open_store(settings.database_url)
    try:
        if arguments.load is not None:
            load_seed_folder(session_factory, settings, arguments.load, arguments.collection or settings.default_collection)
    finally:
        engine.dispose()
    print(f"jiaokan: review page at http://{arguments.host}:{arguments.port}/review", file=sys.stderr)
    if arguments.workers == 1:
        from jiaokan.api.app import create_app

        uvicorn.run(create_app(settings), host=arguments.host, port=arguments.port, log_level=arguments.log_level)
    else:
        # worker processes build their own app from the environment; migrations already ran above
        os.environ["JIAOKAN_MIGRATE_ON_START"] = "false"
        uvicorn.run(
            "jiaokan.api.app:create_app_from_environment",
            factory=True,
            host=arguments.host,
            port=arguments.port,
            workers=arguments.workers,
            log_level=arguments.log_level,
        )
    return 0


def load_seed_folder(session_factory, settings, folder: Path, collection: str) -> None:
    """Store ``folder`` in ``collection`` and report what changed."""
    from jiaokan.store import repository
    from jiaokan.store.runs import load_folder

    with session_factory() as session, repository.write_transaction(session):
        config = settings.engine_config(repository.term_strings(session))
        summary = load_folder(session, folder, collection=collection, config=config)
    merged = summary.merge
    print(
        f"jiaokan: loaded {folder} into {collection!r}: {len(summary.created)} new, {len(summary.unchanged)} unchanged "
        f"documents; proposals {merged.added} added, {merged.updated} updated, {merged.removed} removed, "
        f"{merged.kept_decided} decided kept",
        file=sys.stderr,
    )
