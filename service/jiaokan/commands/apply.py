"""`jiaokan apply`: write each stored document's final text, with the decisions people took.

The final text applies accepted proposals and the pending ones the engine's policy
applied; a rejected proposal never applies. Each file is written atomically at
``OUTPUT/<name>`` (document names are relative paths).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Which store, which collection, where to write."""
    parser.add_argument("--database", metavar="URL", help="store URL (default: JIAOKAN_DATABASE_URL or ./jiaokan.db)")
    parser.add_argument("--collection", help="collection to write (default: JIAOKAN_DEFAULT_COLLECTION, 'default')")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT", help="folder to write the texts in")


def run(arguments: argparse.Namespace) -> int:
    """Write the texts and say how many."""
    from jiaokan.settings import load_settings
    from jiaokan.store.database import open_store
    from jiaokan.store.runs import write_final_texts

    overrides = {"database_url": arguments.database} if arguments.database else {}
    settings = load_settings(**overrides)
    collection = arguments.collection or settings.default_collection
    engine, session_factory = open_store(settings.database_url)
    try:
        with session_factory() as session:
            written = write_final_texts(session, collection, arguments.output)
    finally:
        engine.dispose()
    print(f"jiaokan apply: wrote {len(written)} texts of {collection!r} to {arguments.output}", file=sys.stderr)
    return 0
