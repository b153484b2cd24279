"""Issue 19's checks from outside: a real `jiaokan serve` process, probed as a careless user and
an attacker would.

    .venv/bin/python -m bench.bench_hardening [--repeat 3] [--json]

Starts `jiaokan serve` on a free loopback port with a temporary SQLite store (a time budget of
5 s, a body timeout of 3 s and a shutdown timeout of 3 s, so the bounded waits show quickly)
and measures, each a median over ``--repeat`` runs:

- 64,000 unpunctuated characters to ``POST /v1/correct`` (answered, or refused with 413), and
  300,000 repeated characters: the status and the seconds to the answer;
- ``/healthz`` latency (median and worst) while a correction of half the synchronous limit runs,
  and one at the limit (answered, or a 503 past the budget);
- a cross-site form POST to a write route (expected 403), an unknown document id (404);
- a body announced longer than sent (408 after the body timeout) and how long the server waited;
- how long the server takes to stop on SIGTERM while a correction runs.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SERVER_ENVIRONMENT = {"JIAOKAN_CORRECT_TIME_BUDGET": "5", "JIAOKAN_BODY_TIMEOUT": "3", "JIAOKAN_SHUTDOWN_TIMEOUT": "3"}


def unpunctuated_text(length: int) -> str:
    """``length`` characters of the seeds' Chinese, every mark and line break removed."""
    seeds = "".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").glob("*.txt")))
    han = re.sub(r"[^\u4e00-\u9fff]", "", seeds)
    return (han * (length // len(han) + 1))[:length]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """`jiaokan serve` on a free port; returns the process and its base URL once /healthz answers."""
    port = free_port()
    environment = os.environ | SERVER_ENVIRONMENT | {"JIAOKAN_DATABASE_URL": f"sqlite:///{folder / 'store.db'}"}
    command = [sys.executable, "-c", "from jiaokan.cli import console; console()", "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start within 180 s")


def timed_post(base: str, path: str, payload: dict) -> tuple[int, float]:
    started = time.perf_counter()
    response = httpx.post(f"{base}{path}", json=payload, timeout=120)
    return response.status_code, time.perf_counter() - started


def median_of(repeat: int, measure) -> tuple[int, float]:
    """The status of the runs (all equal, else the list) and the median seconds."""
    runs = [measure() for _ in range(repeat)]
    statuses = sorted({status for status, _ in runs})
    return (statuses[0] if len(statuses) == 1 else statuses), statistics.median(seconds for _, seconds in runs)


def health_while(base: str, work) -> dict:
    """``/healthz`` latencies (ms) while ``work()`` runs in a thread; and what the work returned."""
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("work", work()))
    worker.start()
    time.sleep(0.2)
    latencies = []
    with httpx.Client(timeout=10) as client:
        while worker.is_alive():
            started = time.perf_counter()
            client.get(f"{base}/healthz")
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.1)
    worker.join()
    return {"health_calls": len(latencies), "health_median_ms": round(statistics.median(latencies), 1) if latencies else None,
            "health_worst_ms": round(max(latencies), 1) if latencies else None, "work": outcome["work"]}


def partial_body_wait(base: str) -> tuple[int, float]:
    """Announce 1,000 bytes, send 10: the status the server answers and the seconds it waited."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as connection:
        started = time.perf_counter()
        connection.sendall(b"POST /v1/correct HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 1000\r\n\r\n{\"text\": \"")
        answer = connection.recv(4096)
        waited = time.perf_counter() - started
    return int(answer.split(b" ", 2)[1]), waited


def shutdown_seconds(server: subprocess.Popen, base: str, text: str) -> float:
    """Seconds from SIGTERM to exit while a correction runs."""
    threading.Thread(target=lambda: _ignore_errors(lambda: httpx.post(f"{base}/v1/correct", json={"text": text}, timeout=60)), daemon=True).start()
    time.sleep(0.5)
    started = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    return time.perf_counter() - started


def _ignore_errors(call) -> None:
    try:
        call()
    except httpx.HTTPError:
        pass


def measure(repeat: int) -> dict:
    """Every check of the module docstring."""
    from jiaokan.settings import Settings

    limit = Settings(_env_file=None).max_correct_characters
    results: dict = {"max_correct_characters": limit, "repeat": repeat} | {key.lower(): value for key, value in SERVER_ENVIRONMENT.items()}
    with tempfile.TemporaryDirectory(prefix="jiaokan-bench-hardening-") as folder:
        server, base = start_server(Path(folder))
        try:
            long_text = unpunctuated_text(64_000)
            results["unpunctuated_64000"] = median_of(repeat, lambda: timed_post(base, "/v1/correct", {"text": long_text}))
            results["repeated_300000"] = median_of(repeat, lambda: timed_post(base, "/v1/correct", {"text": "啊" * 300_000}))
            half = unpunctuated_text(limit // 2)
            results["half_the_limit"] = health_while(base, lambda: timed_post(base, "/v1/correct", {"text": half}))
            at_limit = unpunctuated_text(limit)
            results["at_limit"] = health_while(base, lambda: timed_post(base, "/v1/correct", {"text": at_limit}))
            form = httpx.post(f"{base}/v1/collections/default/recompute", content=b"x=1", timeout=10,
                              headers={"origin": "https://evil.example", "content-type": "application/x-www-form-urlencoded"})
            results["cross_site_form_post"] = form.status_code
            results["unknown_document"] = httpx.get(f"{base}/v1/documents/does-not-exist", timeout=10).status_code
            results["partial_body"] = partial_body_wait(base)
            results["shutdown_seconds_with_a_correction_running"] = round(shutdown_seconds(server, base, at_limit), 2)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    return results


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args(arguments)
    results = measure(options.repeat)
    if options.json:
        print(json.dumps(results, indent=2))
    else:
        for name, value in results.items():
            print(f"{name:45} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
