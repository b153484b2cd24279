"""A stored corpus that stays fast: ``POST /v1/documents`` against 1,000 and 10,000 stored pages.

Builds a collection of synthetic OCR pages of about 2 KB (`bench.synthetic_pages`: passages
shared by several pages, with noise) in a store — SQLite file or PostgreSQL database —
through the repository and the witness index (`jiaokan.store.witness_index.rebuild`, then
every proposal computed by `refresh_all`, as ``POST /v1/collections/{name}/recompute``
does), then starts ``jiaokan serve`` (one worker, a separate process) on it and posts new
pages one at a time, each sharing passages with stored pages as the stored pages do with each
other. After each post it waits until no document of the collection is stale (the documents
further away that the post reached, refreshed after the answer) before the next. Reports the
median and p90 of the POST's latency and of the time until the collection was settled, the
service's CPU time for each (what it spent, whatever else the machine runs) and, with
PostgreSQL on this machine, the database server's CPU time for the POST (the processes serving
the service's connections: SQLite's work is the service's own), the load average before and after, and how long building the stored state took; then, for each database, the
medians at each size and the ratio of the largest size's to the smallest's (flat: about 1).

    python -m bench.bench_documents                                         # 1,000 and 10,000 pages, SQLite
    python -m bench.bench_documents --pages 1000 10000 --database sqlite postgresql+psycopg://postgres@127.0.0.1:5432/bench_documents --keep /tmp/bench-documents
    python -m bench.bench_documents --pages 10000 --index-only              # stored pages without proposals: builds in minutes

A PostgreSQL URL names a server and a database prefix: the run with PAGES stored pages uses the
database PREFIX_PAGES, dropped and created again (a server out of reach is reported, the other
runs go on). With ``--keep FOLDER`` the built SQLite store is kept as FOLDER/stored-PAGES.db
(a PostgreSQL database as PREFIX_PAGES_stored, a template) and copied for later runs instead of
built again; a PostgreSQL run copies the rows of a kept SQLite store of the same pages if
there is one.

Target (issue 17): median POST ≤ 100 ms, flat from 1,000 to 10,000 stored pages.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_api import _one_request, free_port, start_server
from bench.synthetic_pages import _placements, add_noise

#: about 2 KB of UTF-8 per page (three bytes a character)
PAGE_CHARACTERS = 680
COLLECTION = "bench"
#: posts that warm the server up, left out of the figures
WARM_UP_POSTS = 3
#: pages drawn to be posted (a run posts the first of them)
POST_POOL = 200


def corpus(pages: int, posts: int, seed: int = 17) -> tuple[dict[str, str], dict[str, str]]:
    """(stored pages, pages to post): one corpus, the posted pages drawn from it at random. The
    stored pages do not depend on ``posts`` (the first ``posts`` of `POST_POOL` drawn pages are
    posted, the rest left out), so a kept store serves runs with any number of posts."""
    if posts > POST_POOL:
        raise SystemExit(f"bench_documents: at most {POST_POOL} posts")
    generator = random.Random(seed)
    placements = _placements(pages + POST_POOL, PAGE_CHARACTERS, generator)
    texts = {f"page-{index:06d}.txt": "\n\n".join(add_noise(passage, generator) for passage in placed) + "\n"
             for index, placed in enumerate(placements)}
    drawn = generator.sample(sorted(texts), POST_POOL)
    return ({name: text for name, text in texts.items() if name not in set(drawn)},
            {name: texts[name] for name in drawn[:posts]})


def database_url(argument: str, folder: Path, pages: int) -> str:
    """The store of one run: a SQLite file in ``folder``, or the database PREFIX_PAGES on the server."""
    if argument == "sqlite":
        return f"sqlite:///{folder / f'store-{pages}.db'}"
    server, prefix = argument.rsplit("/", 1)
    return f"{server}/{prefix}_{pages}"


def build_store(url: str, pages: dict[str, str], *, proposals: bool = True) -> dict[str, float]:
    """Store ``pages`` with their witness index and proposals; seconds each step took. Without
    ``proposals`` the stored pages get none (nor confirmed terms): only the index, which is all a
    POST reads of them (what it changes in them is computed in the refresh after the answer)."""
    from sqlalchemy import insert, update

    from jiaokan.settings import load_settings
    from jiaokan.store import repository, witness_index
    from jiaokan.store.database import open_store
    from jiaokan.store.models import Document, utc_now

    config = load_settings(database_url=url).engine_config(())  # what the server will use
    engine, session_factory = open_store(url)
    timings = {}
    try:
        with session_factory() as session, repository.write_transaction(session):
            started = time.perf_counter()
            collection = repository.get_or_create_collection(session, COLLECTION)
            session.execute(insert(Document), [
                {"collection_id": collection.id, "name": name, "original": text, "sha256": repository.text_digest(text), "created_at": utc_now()}
                for name, text in pages.items()
            ])
            timings["insert documents"] = time.perf_counter() - started
            started = time.perf_counter()
            witness_index.rebuild(session, collection, config)
            timings["index (n-grams, passages, reliability)"] = time.perf_counter() - started
            started = time.perf_counter()
            if proposals:
                witness_index.refresh_all(session, collection, config)
                timings["proposals of every page"] = time.perf_counter() - started
            else:
                session.execute(update(Document).where(Document.collection_id == collection.id).values(stale=False))
    finally:
        engine.dispose()
    return timings


def kept_store(url: str, pages: int, keep: Path | None, stored: dict[str, str], proposals: bool = True) -> dict[str, float]:
    """Build the store at ``url`` (a PostgreSQL database is created afresh), or copy the one
    kept from an earlier run; keep it when asked."""
    import shutil

    postgres = not url.startswith("sqlite")
    if postgres:
        server, database = url.rsplit("/", 1)
        _postgres(server, f'DROP DATABASE IF EXISTS "{database}"', f'CREATE DATABASE "{database}"')
    if keep is None or not proposals:
        return build_store(url, stored, proposals=proposals)
    keep.mkdir(parents=True, exist_ok=True)
    built = keep / f"stored-{pages}.db"
    if not postgres:
        target = Path(url.removeprefix("sqlite:///"))
        if built.exists():
            shutil.copy(built, target)
            return {"copied from the kept store": 0.0}
        timings = build_store(url, stored)
        shutil.copy(target, built)  # the builder's engine is disposed: the WAL is checkpointed into the file
        return timings
    template = f"{database}_stored"
    if _postgres(server, f"SELECT 1 FROM pg_database WHERE datname = '{template}'"):
        _postgres(server, f'DROP DATABASE "{database}"', f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        return {"copied from the kept store": 0.0}
    if built.exists():  # the same pages, built on SQLite: copied row by row
        started = time.perf_counter()
        copy_store(f"sqlite:///{built}", url)
        timings = {"copied from the SQLite store built before": time.perf_counter() - started}
    else:
        timings = build_store(url, stored)
    _postgres(server, f'CREATE DATABASE "{template}" TEMPLATE "{database}"')
    return timings


def copy_store(source_url: str, target_url: str) -> None:
    """Every row of the store at ``source_url`` into the empty store at ``target_url`` (its
    schema made by the migrations; PostgreSQL's id sequences moved past the copied ids)."""
    from sqlalchemy import insert, select, text

    from jiaokan.store.database import create_database_engine, upgrade_database
    from jiaokan.store.models import Base

    source, target = create_database_engine(source_url), create_database_engine(target_url)
    upgrade_database(target)
    try:
        with source.connect() as reading, target.begin() as writing:
            for table in Base.metadata.sorted_tables:
                writing.execute(table.delete())
                rows = reading.execute(select(table)).mappings()
                while chunk := rows.fetchmany(20_000):
                    writing.execute(insert(table), [dict(row) for row in chunk])
                if target.dialect.name == "postgresql" and "id" in table.c:
                    writing.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT coalesce(max(id), 1) FROM {table.name}))"))
            if target.dialect.name == "postgresql":
                writing.execute(text("ANALYZE"))  # as `witness_index.rebuild` does after a bulk load
    finally:
        source.dispose()
        target.dispose()


def _postgres(server: str, *statements: str) -> list:
    """Run ``statements`` on the server's maintenance database (autocommit); the last one's rows."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                result = connection.execute(text(statement))
            return result.fetchall() if result.returns_rows else []
    finally:
        engine.dispose()


def collection_stale(port: int) -> int:
    _, body = asyncio.run(_one_request(port, "GET", "/v1/collections", b""))
    return next(item["stale"] for item in json.loads(body) if item["name"] == COLLECTION)


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of process ``pid`` so far (Linux schedstat, nanoseconds): what the
    server spent, whatever else the machine runs."""
    return sum(int(path.read_text().split()[0]) for path in Path(f"/proc/{pid}/task").glob("*/schedstat")) / 1e9


@contextlib.contextmanager
def database_cpu(url: str):
    """For a PostgreSQL store on this machine: a function giving the CPU seconds so far of the
    server processes serving its database (the service's connections, this one left out);
    a function giving 0 for SQLite (its work is the service's own CPU) or a server elsewhere."""
    if url.startswith("sqlite"):
        yield lambda: 0.0
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    try:
        with engine.connect() as connection:
            def seconds() -> float:
                try:
                    return sum(int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) for pid in connection.scalars(query)) / 1e9
                except OSError:  # not a process of this machine (or it just ended)
                    return 0.0
            yield seconds
    finally:
        engine.dispose()


def post_pages(port: int, pages: dict[str, str], server_pid: int, database_seconds=lambda: 0.0) -> list[dict[str, float]]:
    """For each page, posted in turn: the POST's latency, the seconds until no document is
    stale, and the server's CPU seconds for each, and the database server's for the POST (the
    CPU figures upper bounds: the refresh after the answer may have begun when they are read)."""
    measured = []
    for name, text in pages.items():
        body = json.dumps({"name": name, "text": text, "collection": COLLECTION}, ensure_ascii=False).encode()
        database = database_seconds()
        cpu, started = cpu_seconds(server_pid), time.perf_counter()
        status, answer = asyncio.run(_one_request(port, "POST", "/v1/documents", body))
        answered, answered_cpu = time.perf_counter() - started, cpu_seconds(server_pid) - cpu
        answered_database = database_seconds() - database
        if status != 201:
            raise RuntimeError(f"POST {name}: {status} {answer[:300]!r}")
        while collection_stale(port):
            time.sleep(0.05)
        settled, settled_cpu = time.perf_counter() - started, cpu_seconds(server_pid) - cpu
        measured.append({"post": answered, "post_cpu": answered_cpu, "post_database_cpu": answered_database,
                         "post_both_cpu": answered_cpu + answered_database,
                         "settled": settled, "settled_cpu": settled_cpu})
    return measured


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def database_label(database: str) -> str:
    """'sqlite', or the PostgreSQL server's URL (without the database prefix)."""
    return database if database == "sqlite" else database.rsplit("/", 1)[0]


def measure(database: str, pages: int, arguments: argparse.Namespace, folder: Path) -> dict:
    """One run: ``pages`` stored pages in ``database``, ``arguments.posts`` posted; its figures."""
    stored, posted = corpus(pages, arguments.posts)
    url = database_url(database, folder, pages)
    print(f"{url.split(':')[0]}: {len(stored)} stored pages, {sum(map(len, stored.values())) / len(stored):.0f} characters each on average", flush=True)
    timings = kept_store(url, pages, arguments.keep, stored, proposals=not arguments.index_only)
    for step, seconds in timings.items():
        print(f"  built: {step} {seconds:.1f} s", flush=True)
    port = free_port()
    server = start_server(port, 1, folder, database_url=url)
    load_before = os.getloadavg()[0]
    try:
        with database_cpu(url) as database_seconds:
            measured = post_pages(port, posted, server.pid, database_seconds)[WARM_UP_POSTS:]
    finally:
        server.terminate()
        server.wait()
    report = {"stored_pages": len(stored), "database": database_label(database), "posts": len(measured),
              "stored_proposals": not arguments.index_only}
    for figure in ("post", "post_cpu", "post_database_cpu", "post_both_cpu", "settled", "settled_cpu"):
        values = [item[figure] * 1000 for item in measured]
        report |= {f"{figure}_median_ms": round(statistics.median(values), 1), f"{figure}_p90_ms": round(percentile(values, 0.9), 1)}
    report |= {"load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
               "build_seconds": {step: round(seconds, 1) for step, seconds in timings.items()}}
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return report


def flatness(runs: list[dict]) -> list[dict]:
    """Per database: the POST's median (wall and server CPU) at each size and the ratio of the
    largest size's to the smallest's."""
    rows = []
    for database in dict.fromkeys(run["database"] for run in runs):
        sizes = sorted((run for run in runs if run["database"] == database and "post_median_ms" in run), key=lambda run: run["stored_pages"])
        if len(sizes) < 2:
            continue
        smallest, largest = sizes[0], sizes[-1]
        rows.append({"database": database, "pages": [smallest["stored_pages"], largest["stored_pages"]]}
                    | {f"{figure}_ratio": round(largest[f"{figure}_median_ms"] / smallest[f"{figure}_median_ms"], 2)
                       for figure in ("post", "post_cpu", "post_both_cpu")})
    return rows


def markdown_table(runs: list[dict], ratios: list[dict]) -> str:
    lines = ["| database | stored pages | posts | POST median (p90) ms | CPU median ms: service, database server, both | settled median ms | load average before, after |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for run in runs:
        if "error" in run:
            lines.append(f"| {run['database']} | {run['stored_pages']:,} | — | {run['error']} | | | |")
            continue
        lines.append(f"| {run['database']} | {run['stored_pages']:,} | {run['posts']} | {run['post_median_ms']} ({run['post_p90_ms']}) | "
                     f"{run['post_cpu_median_ms']}, {run['post_database_cpu_median_ms']}, {run['post_both_cpu_median_ms']} | {run['settled_median_ms']} | {', '.join(map(str, run['load_average']))} |")
    for ratio in ratios:
        lines.append("")
        lines.append(f"{ratio['database']}: median POST at {ratio['pages'][1]:,} pages / at {ratio['pages'][0]:,} pages = "
                     f"{ratio['post_ratio']} wall, {ratio['post_cpu_ratio']} service CPU, {ratio['post_both_cpu_ratio']} service and database CPU "
                     "(flat: about 1; target: median ≤ 100 ms)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    from sqlalchemy.exc import OperationalError

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 10000], help="stored pages, one run per size")
    parser.add_argument("--posts", type=int, default=33, help=f"pages posted in each run (the first {WARM_UP_POSTS} warm the server up)")
    parser.add_argument("--database", nargs="+", default=["sqlite"],
                        help="'sqlite' (a temporary file) and/or PostgreSQL URLs (server and database prefix: PREFIX_PAGES is created)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the built stores here (and copy them in later runs)")
    parser.add_argument("--index-only", action="store_true", help="store the pages' index but not their proposals (quicker to build)")
    arguments = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="jiaokan-bench-documents-"))
    runs = []
    for database in arguments.database:
        for pages in arguments.pages:
            try:
                runs.append(measure(database, pages, arguments, folder))
            except OperationalError as error:  # no PostgreSQL server here: said, and the other runs go on
                reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
                print(f"{database.split(':')[0]} with {pages} pages: not run ({reason})", flush=True)
                runs.append({"database": database_label(database), "stored_pages": pages, "error": f"not run: {reason}"})
    ratios = flatness(runs)
    table = markdown_table(runs, ratios)
    print(table, flush=True)
    return {"runs": runs, "flatness": ratios, "markdown": table}


if __name__ == "__main__":
    sys.exit(0 if all("error" not in run for run in main()["runs"]) else 1)
