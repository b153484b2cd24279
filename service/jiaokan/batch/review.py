"""Handing a finished run to the review store (``jiaokan clean --review``).

The store (`jiaokan.store.runs.load_run`) takes ``(name, original text, edit records)``
per document; the records are read back from ``OUTPUT/.jiaokan/edits`` so reviewers see
exactly what the run wrote. Loading is idempotent in the store, and decisions people
already took are kept when a folder is cleaned and loaded again.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Mapping

from jiaokan.batch.layout import OutputLayout
from jiaokan.errors import JiaokanError


class ReviewStoreError(JiaokanError):
    """The run is written but could not be loaded into the review store."""


def store_available() -> bool:
    """Whether this installation has the review store."""
    import importlib.util

    return importlib.util.find_spec("jiaokan.store.runs") is not None


def review_database_url(database_url: str | None) -> str:
    """The database to load into: the one given, else the service's (``JIAOKAN_DATABASE_URL``);
    raises ConfigError for a URL the service would refuse."""
    from jiaokan.settings import load_settings

    return load_settings(**({"database_url": database_url} if database_url else {})).database_url


def default_collection() -> str:
    """The collection documents join when none is named (the service's setting)."""
    from jiaokan.settings import load_settings

    return load_settings().default_collection


def run_documents(output: Path, originals: Mapping[str, str]) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """``(relative path, original text, edit records)`` of every finished file, in path order."""
    layout = OutputLayout(output)
    for name in sorted(originals):
        lines = layout.edits(name).read_text(encoding="utf-8").splitlines()
        yield name, originals[name], [json.loads(line) for line in lines if line]


def load_for_review(output: Path, originals: Mapping[str, str], *, database_url: str, collection: str) -> dict[str, Any]:
    """Load the run into the store at ``database_url``; what loading did (documents by outcome, proposal counts)."""
    from sqlalchemy.exc import SQLAlchemyError

    from jiaokan.store.runs import load_run

    try:
        summary = load_run(database_url, run_documents(output, originals), collection)
    except (SQLAlchemyError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ReviewStoreError(f"cannot load the run into the review store: {first_line}") from error
    return summary.to_dict()
