"""`jiaokan serve`: run the HTTP API and the review page with uvicorn.

``--load FOLDER`` first stores the folder's text files in the default collection and
computes their proposals (``make run`` does this with ``seeds/``). Loading is idempotent:
a second start adds nothing and keeps every decision.

Listening beyond this machine (a ``--host`` that is not a loopback address) needs access
tokens (``JIAOKAN_ACCESS_TOKENS``): without them anyone who reaches the port could change the
store, so `serve` refuses unless told ``--insecure``. Stopping waits at most
``JIAOKAN_SHUTDOWN_TIMEOUT`` seconds for requests in flight.
"""
from __future__ import annotations

import argparse
import logging
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
    parser.add_argument(
        "--insecure", action="store_true", help="listen on a non-loopback address without access tokens (anyone can write)"
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only listens on this machine."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, settings, insecure: bool) -> None:
    """Refuse to listen beyond this machine without access tokens, unless ``insecure``."""
    from jiaokan.errors import InputError

    if is_loopback(host) or settings.access_tokens or insecure:
        return
    raise InputError(
        f"refusing to listen on {host} without access tokens: anyone reaching it could change the store. "
        "Set JIAOKAN_ACCESS_TOKENS (and JIAOKAN_ALLOWED_HOSTS to the names clients use), or pass --insecure"
    )


def run(arguments: argparse.Namespace) -> int:
    """Migrate the store, load the folder if asked, then serve until interrupted."""
    import uvicorn

    from jiaokan.errors import InputError
    from jiaokan.settings import load_settings
    from jiaokan.store.database import open_store

    if not 0 < arguments.port < 65536 or arguments.workers < 1:
        raise InputError("--port must be 1..65535 and --workers at least 1")
    settings = load_settings()
    check_exposure(arguments.host, settings, arguments.insecure)
    if not is_loopback(arguments.host) and "*" not in settings.allowed_hosts and all(map(is_loopback, settings.allowed_hosts)):
        print("jiaokan: only loopback Host names are answered: set JIAOKAN_ALLOWED_HOSTS to the names clients use", file=sys.stderr)
    engine, session_factory = open_store(settings.database_url)
    try:
        if arguments.load is not None:
            load_seed_folder(session_factory, settings, arguments.load, arguments.collection or settings.default_collection)
    finally:
        engine.dispose()
    print(f"jiaokan: review page at http://{arguments.host}:{arguments.port}/review", file=sys.stderr)
    if arguments.workers == 1:
        from jiaokan.api.app import create_app

        uvicorn.run(create_app(settings), host=arguments.host, port=arguments.port, **server_options(settings, arguments.log_level))
    else:
        # worker processes build their own app from the environment; migrations already ran above
        os.environ["JIAOKAN_MIGRATE_ON_START"] = "false"
        serve_workers(arguments.host, arguments.port, arguments.workers, server_options(settings, arguments.log_level))
    return 0


def server_options(settings, log_level: str) -> dict:
    """uvicorn's options: the log level and a bounded graceful shutdown."""
    return {"log_level": log_level, "timeout_graceful_shutdown": settings.shutdown_timeout}


def serve_workers(host: str, port: int, workers: int, options: dict) -> None:
    """Run ``workers`` uvicorn worker processes, each with a listening socket of its own where
    the kernel balances connections over them (`jiaokan.api.listeners`), else sharing one."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from jiaokan.api.listeners import WorkerListener, balanced_listeners_supported, check_address_free
    from jiaokan.errors import InputError

    application = "jiaokan.api.app:create_app_from_environment"
    if not balanced_listeners_supported():
        uvicorn.run(application, factory=True, host=host, port=port, workers=workers, **options)
        return
    try:
        check_address_free(host, port)
    except OSError as error:
        raise InputError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    config = uvicorn.Config(application, factory=True, host=host, port=port, workers=workers, **options)
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://%s:%d with %d workers, one socket each", host, port, workers)
    try:
        Multiprocess(config, sockets=[WorkerListener(host, port)]).run()
    except KeyboardInterrupt:
        pass


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
