"""`jiaokan clean INPUT... -o OUTPUT`: clean a folder (or files) of OCR text as one corpus.

A thin wrapper over `jiaokan.batch.clean_folder`; see `jiaokan.batch` for the layout of
OUTPUT. Exit codes: 0 all files cleaned (skipped non-text files do not count as
failures), 1 some file failed (named in the summary) or the outputs could not be written
(a full disk, a read-only folder: one line on stderr, the summary of what finished on
stdout; running again finishes the rest), 2 a usage error (missing INPUT, OUTPUT inside
INPUT, unknown rule, bad threshold, an unreachable Dask scheduler).

``--scheduler tcp://HOST:8786`` (or ``JIAOKAN_DASK_SCHEDULER``) runs the same job on a Dask
distributed cluster (`jiaokan.runners.dask`; INPUT and OUTPUT stay on this machine, the
texts and results travel with the tasks); the outputs are the same to the byte.
"""
from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

EXIT_OK = 0
EXIT_FILES_FAILED = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `jiaokan clean`."""
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="folders or files of OCR text (read only)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTPUT", help="folder for the results (outside every INPUT)")
    parser.add_argument("--workers", type=int, default=None, metavar="N", help="processes for the engine (default: all cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on a Dask distributed cluster, e.g. tcp://HOST:8786 (default: $JIAOKAN_DASK_SCHEDULER, else here)")
    parser.add_argument("--threshold", type=float, default=None, metavar="CONFIDENCE",
                        help="apply edits at or above this confidence automatically; the rest are left for review")
    parser.add_argument("--propose-from", type=float, default=None, metavar="CONFIDENCE",
                        help="propose content edits down to this confidence (default 0.5; 0 proposes every candidate)")
    parser.add_argument("--disable", action="append", default=[], metavar="RULE", help="turn a rule off (repeatable)")
    parser.add_argument("--force", action="store_true", help="redo every file, even those an earlier run finished")
    parser.add_argument("--fsync", action="store_true", help="fsync every output as it is written (slower; the run always ends with a sync)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    parser.add_argument("--quiet", action="store_true", help="do not print the summary table")
    parser.add_argument("--review", nargs="?", const="", default=None, metavar="DATABASE_URL",
                        help="load the run's proposals into the review store (default: the service's JIAOKAN_DATABASE_URL)")
    parser.add_argument("--collection", default=None, metavar="NAME", help="review-store collection for --review (default: the service's)")


def run(arguments: argparse.Namespace) -> int:
    """Clean, print the summary table, optionally load the proposals for review; the exit code."""
    from jiaokan.batch import CleanRequest, clean_folder
    from jiaokan.batch.discovery import check_locations
    from jiaokan.batch.faults import FaultInjection
    from jiaokan.batch.progress import terminal_attached
    from jiaokan.batch.summary import format_table
    from jiaokan.commands.output import print_output
    from jiaokan.errors import OutputError

    # everything that can be refused is checked before hours of work, not after
    review = _review_target(arguments) if arguments.review is not None else None
    config, workers = engine_config(arguments), _workers(arguments.workers)
    check_locations(tuple(arguments.inputs), arguments.output)  # before a cluster is asked for anything
    with _cluster(arguments) as scheduler:
        request = CleanRequest(
            inputs=tuple(arguments.inputs),
            output=arguments.output,
            config=config,
            workers=workers,
            force=arguments.force,
            show_progress=not arguments.no_progress and terminal_attached(),
            fsync_each_file=arguments.fsync,
            faults=FaultInjection.from_environment(),
            scheduler=scheduler,
        )
        try:
            result = clean_folder(request)
        except OutputError as error:
            print(f"jiaokan clean: {error}; nothing was cleaned", file=sys.stderr)
            return EXIT_FILES_FAILED
    if not arguments.quiet:
        print_output(format_table(result.summary, str(result.summary_path or "not written")))
    if result.stopped is not None:
        files = result.summary["files"]
        print(f"jiaokan clean: {result.stopped}; stopped with {files['cleaned']:,} files cleaned and "
              f"{files['failed']:,} not (run it again to finish them)", file=sys.stderr)
        return EXIT_FILES_FAILED
    exit_code = EXIT_FILES_FAILED if result.failed else EXIT_OK
    if review is not None:
        exit_code = max(exit_code, _load_for_review(arguments, result, *review))
    return exit_code


@contextmanager
def _cluster(arguments: argparse.Namespace):
    """A client of the Dask scheduler ``--scheduler`` or ``JIAOKAN_DASK_SCHEDULER`` names
    (closed when the run ends), its dashboard printed on stderr; None without either."""
    address = arguments.scheduler or os.environ.get("JIAOKAN_DASK_SCHEDULER") or None
    if address is None:
        yield None
        return
    from jiaokan.runners.dask import connect

    client = connect(address)
    try:
        if not arguments.quiet:
            print(f"jiaokan clean: running on the Dask cluster at {address}; dashboard: {client.dashboard_link}", file=sys.stderr)
        yield client
    finally:
        client.close()


def engine_config(arguments: argparse.Namespace):
    """`EngineConfig` from ``--threshold`` and ``--disable`` (raises ConfigError on bad values)."""
    from jiaokan.config import EngineConfig

    options: dict = {}
    if arguments.threshold is not None:
        options["auto_apply_threshold"] = arguments.threshold
    if arguments.propose_from is not None:
        options["proposal_threshold"] = arguments.propose_from
    if arguments.disable:
        options["rules"] = {rule: False for rule in arguments.disable}
    return EngineConfig.from_options(options)


def _workers(requested: int | None) -> int:
    from jiaokan.errors import ConfigError

    if requested is None:
        return os.cpu_count() or 1
    if requested < 1:
        raise ConfigError(f"--workers must be at least 1, got {requested}")
    return requested


def _review_target(arguments: argparse.Namespace) -> tuple[str, str]:
    """(database URL, collection) for ``--review``; refuses a missing store or a bad URL."""
    from jiaokan.batch.review import default_collection, review_database_url, store_available
    from jiaokan.errors import ConfigError

    if not store_available():
        raise ConfigError("--review needs the review store, which this installation of jiaokan does not have")
    return review_database_url(arguments.review or None), arguments.collection or default_collection()


def _load_for_review(arguments: argparse.Namespace, result, database_url: str, collection: str) -> int:
    """Load the finished files' proposals; a store failure is reported, the outputs stay."""
    from jiaokan.batch.review import ReviewStoreError, load_for_review

    try:
        loaded = load_for_review(arguments.output, result.originals, database_url=database_url, collection=collection)
    except ReviewStoreError as error:
        print(f"jiaokan clean: {error}; the outputs are written, run again with --review to load them", file=sys.stderr)
        return EXIT_FILES_FAILED
    if not arguments.quiet:
        from jiaokan.commands.output import print_output

        proposals = loaded["proposals"]
        print_output(
            f"review      collection {collection!r}: {len(loaded['created']):,} documents added, "
            f"{len(loaded['replaced']):,} replaced, {len(loaded['unchanged']):,} unchanged; proposals "
            + ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in proposals.items())
        )
    return EXIT_OK
