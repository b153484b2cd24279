"""Review page speed: a document with 2,000 proposals opens in under 300 ms, and a decision's
round trip (PATCH, the stored decision and its history row, the answer) takes under 100 ms.

Stores one document of 2,000 proposals (a consensus edit with three copies' readings every
tenth, so the apparatus has its witnesses to look up; one in 40 to review, the rest applied,
as the engine leaves a long clean page) in a temporary SQLite store, serves it with a real
uvicorn on loopback (a thread of this process), and measures with keep-alive httpx requests:

- ``page``: ``GET /review/documents/{id}``, the whole HTML (the server's render of the text
  and of every proposal's outline), sent gzipped as to a browser;
- ``decision``: ``PATCH /v1/proposals/{id}`` alternating accepted and pending;
- ``open in chromium`` (when /usr/bin/chromium and playwright are there): a fresh navigation
  to the page until it is open, which here means all of: the load event has ended, the page's
  script has run (its ``jiaokan-review-ready`` mark: the keys and the apparatus work), and the
  first frame after that is drawn (its ``jiaokan-review-painted`` mark, set from a task queued
  in the next animation frame: the text with its marked proposals is on screen). Measured
  from the navigation's start, so it holds the server, the network and the page's own work
  (the script and style sheet come as the browser's cache keeps them, as when a reviewer goes
  from one document to the next); the median of each step (first byte, last byte, DOM parsed,
  script ran, painted) is printed beside it to show where the time goes.

Medians over ``--rounds`` requests (after two warm-up requests), and over a third as many
opens in chromium, at least 5 (after two warm-up opens).

    python -m bench.bench_review                 # 2,000 proposals, 30 rounds
    python -m bench.bench_review --proposals 5000 --rounds 10
    python -m bench.bench_review --review-every 1    # all 2,000 wait for a person

Targets (issue 18): page open < 300 ms, decision round trip < 100 ms.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

UNIT = "午午工程带光调联，建档立卡脱贫人口继续实施就业帮扶。"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stored_document(database_url: str, proposals: int, review_every: int = 40) -> int:
    """A document with ``proposals`` proposals (and its two witnesses), stored; its id. Every
    ``review_every``-th proposal waits for a person, the others are applied."""
    from jiaokan.edits import Edit
    from jiaokan.store.runs import load_run

    text = UNIT * proposals
    records = []
    for index in range(proposals):
        start = len(UNIT) * index
        if index % 10 == 0:
            evidence = {"rule": "majority_reading", "chosen": "子午", "context": "[子午]工程",
                        "readings": [{"document": "page.txt", "reading": "午午", "self": True},
                                     {"document": "copy-1.txt", "reading": "子午"}, {"document": "copy-2.txt", "reading": "子午"}],
                        "channel": 1.2, "language": 2.5, "words": 3.1, "weakest": -1.4, "copies": 2, "copies_for": 2,
                        "votes": 6.2, "reliability": {"page.txt": 0.97, "copy-1.txt": 0.99, "copy-2.txt": 0.98}}
            edit = Edit(start, start + 1, "午", "子", "majority_reading", "consensus", 0.8 + (index % 7) / 50, evidence)
        else:
            comma = start + UNIT.index("，")
            edit = Edit(comma, comma + 1, "，", ",", "widen_punctuation", "normalisation", 0.97, {"rule": "widen_punctuation"})
        status = "proposed" if index % review_every == 0 else "applied"
        records.append(edit.to_dict() | {"status": status})
    witness = (UNIT * proposals).replace("午午", "子午")
    load_run(database_url, [("page.txt", text, records), ("copy-1.txt", witness, []), ("copy-2.txt", witness, [])], "bench")
    from sqlalchemy import select

    from jiaokan.store.database import open_store
    from jiaokan.store.models import Document

    engine, session_factory = open_store(database_url)
    with session_factory() as session:
        document_id = session.scalar(select(Document.id).where(Document.name == "page.txt"))
    engine.dispose()
    return document_id


def serve(database_url: str):
    """The app under uvicorn in a thread; returns (base URL, stop function)."""
    import uvicorn

    from jiaokan.api.app import create_app
    from jiaokan.settings import Settings

    app = create_app(Settings(_env_file=None, database_url=database_url, warm_up=False))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()

    return f"http://127.0.0.1:{port}", stop


def timed(function, rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each of ``rounds`` calls, after two warm-up calls: wall-clock time, and
    this process's CPU time (server and client together; on a machine shared with other work
    it tells the cost apart from the wait for a core)."""
    for _ in range(2):
        function()
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
    return wall, cpu


#: the open's steps, from the Navigation Timing entry and the page's own marks (ms after the start)
OPEN_STEPS = """(() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const mark = (name) => { const entry = performance.getEntriesByName(name)[0]; return entry ? entry.startTime : NaN; };
  const since = (time) => time - navigation.startTime;
  const steps = {first_byte: since(navigation.responseStart), last_byte: since(navigation.responseEnd),
                 parsed: since(navigation.domInteractive), ready: since(mark('jiaokan-review-ready')),
                 painted: since(mark('jiaokan-review-painted')), load_end: since(navigation.loadEventEnd)};
  steps.open = Math.max(steps.load_end, steps.ready, steps.painted);
  return steps;
})()"""


def browser_open_times(url: str, rounds: int) -> list[dict[str, float]] | None:
    """The steps of ``rounds`` fresh opens of ``url`` in Debian's chromium (after two warm-up
    opens), each as `OPEN_STEPS`; None without chromium or playwright."""
    if not os.path.exists(CHROMIUM):
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    opens = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for round_number in range(rounds + 2):
            page.goto(url, wait_until="load")
            page.wait_for_function("performance.getEntriesByName('jiaokan-review-painted').length > 0")
            steps = page.evaluate(OPEN_STEPS)
            if round_number >= 2:
                opens.append(steps)
        browser.close()
    return opens


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--review-every", type=int, default=40, help="every Nth proposal waits for a person (1: all of them)")
    arguments = parser.parse_args(argv)
    import httpx

    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        document_id = stored_document(database_url, arguments.proposals, arguments.review_every)
        base, stop = serve(database_url)
        try:
            with httpx.Client(base_url=base) as client:
                page_url = f"/review/documents/{document_id}"
                first = client.get(page_url)
                size, sent = len(first.content), int(first.headers.get("content-length", len(first.content)))
                page = timed(lambda: client.get(page_url).raise_for_status(), arguments.rounds)
                proposal_id = client.get(f"/v1/documents/{document_id}/proposals", params={"status": "pending"}).json()[0]["id"]
                statuses = iter(["accepted", "pending"] * (arguments.rounds + 2))
                decision = timed(lambda: client.patch(f"/v1/proposals/{proposal_id}", json={"status": next(statuses), "decided_by": "bench"}).raise_for_status(),
                                 arguments.rounds)
            opened = browser_open_times(base + page_url, max(arguments.rounds // 3, 5))
        finally:
            stop()
    results = {"page_ms": statistics.median(page[0]), "page_cpu_ms": statistics.median(page[1]),
               "decision_ms": statistics.median(decision[0]), "decision_cpu_ms": statistics.median(decision[1])}
    print(f"document with {arguments.proposals} proposals ({len(range(0, arguments.proposals, arguments.review_every))} to review), page {size / 1e6:.2f} MB ({sent / 1e3:.0f} kB sent); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"page GET median {results['page_ms']:.1f} ms wall, {results['page_cpu_ms']:.1f} ms CPU (target < 300)")
    print(f"decision round trip median {results['decision_ms']:.1f} ms wall, {results['decision_cpu_ms']:.1f} ms CPU (target < 100)")
    if opened:
        steps = {name: statistics.median(item[name] for item in opened) for name in opened[0]}
        results["browser_open_ms"] = steps["open"]
        print(f"open in chromium (to loaded, script run and painted) median {steps['open']:.1f} ms over {len(opened)} opens (target < 300);"
              f" steps: " + ", ".join(f"{name.replace('_', ' ')} {value:.0f}" for name, value in steps.items() if name != "open"))
    return results


if __name__ == "__main__":
    main()
