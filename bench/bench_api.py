"""API latency: ``POST /v1/correct`` with a 2 KB text against a real uvicorn on loopback.

Starts ``jiaokan serve`` (a separate process, temporary SQLite store, free port), waits for
``/healthz`` (the engine is warmed up before it answers), sends warm-up requests, then a
bounded number of requests at concurrency 1 and 16 from a minimal asyncio HTTP/1.1 client
(keep-alive connections, so the client costs little of the 2 cores it shares with the
server). Reports median, p99 and requests per second for each concurrency.

    python -m bench.bench_api                       # 300 requests at c=1, 1600 at c=16
    python -m bench.bench_api --quick               # 60 and 320
    python -m bench.bench_api --workers 2           # two server processes
    python -m bench.bench_api --rounds 1            # one round of each concurrency

Targets (issue 3): p99 < 50 ms at concurrency 1; >= 300 requests/s at concurrency 16.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = "004"  # the noisiest copy: the engine has real work to do
TEXT_BYTES = 2048


def sample_text(size: int = TEXT_BYTES) -> str:
    """The first ``size`` bytes of a seed page, cut at a character boundary."""
    (path,) = (ROOT / "seeds").glob(f"{SEED}_*.txt")
    return path.read_bytes()[:size].decode("utf-8", "ignore")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int, folder: Path, database_url: str | None = None) -> subprocess.Popen:
    """``jiaokan serve`` on ``port`` with a temporary store (or ``database_url``); returns when /healthz answers."""
    environment = os.environ | {"JIAOKAN_DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.db'}"}
    command = [sys.executable, "-m", "jiaokan.cli", "serve", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=folder, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {server.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            status, _ = asyncio.run(_one_request(port, "GET", "/healthz", b""))
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not answer /healthz within 120 s")


async def _one_request(port: int, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await _exchange(reader, writer, _request_bytes(method, path, body))
    finally:
        writer.close()


def _request_bytes(method: str, path: str, body: bytes) -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + body


async def _exchange(reader, writer, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length)


async def _drive(port: int, body: bytes, concurrency: int, requests: int) -> tuple[list[float], float, int]:
    """``requests`` POSTs spread over ``concurrency`` keep-alive connections; latencies in seconds."""
    request = _request_bytes("POST", "/v1/correct", body)
    latencies: list[float] = []
    failures = 0
    remaining = requests

    async def client() -> None:
        nonlocal remaining, failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                status, _ = await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - started)
                failures += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, failures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(port: int, body: bytes, concurrency: int, requests: int) -> dict:
    latencies, elapsed, failures = asyncio.run(_drive(port, body, concurrency, requests))
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "failures": failures,
        "median_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "rps": round(len(latencies) / elapsed, 1),
    }


def _median_round(measured: list[dict]) -> dict:
    """The round whose requests/s is the median (the lower middle for an even count)."""
    ordered = sorted(measured, key=lambda row: row["rps"])
    return ordered[(len(ordered) - 1) // 2]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--requests", type=int, help="requests at concurrency 1 (16x... see --quick)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each concurrency; the round with the median requests/s is reported (default 5)")
    arguments = parser.parse_args(argv)
    single = arguments.requests or (60 if arguments.quick else 300)
    plan = [(1, single), (16, single * 16 // 3)]
    text = sample_text()
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    port = free_port()
    command = f"python -m bench.bench_api{' --quick' if arguments.quick else ''}" + (
        f" --workers {arguments.workers}" if arguments.workers != 1 else "")
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(port, arguments.workers, Path(folder))
        try:
            status, response = asyncio.run(_one_request(port, "POST", "/v1/correct", body))
            if status != 200:
                raise RuntimeError(f"POST /v1/correct answered {status}: {response[:300]!r}")
            edits = len(json.loads(response)["edits"])
            measure(port, body, 4, 20)  # warm-up: code paths, caches, connections
            rounds = {concurrency: [measure(port, body, concurrency, count) for _ in range(max(1, arguments.rounds))] for concurrency, count in plan}
            rows = [_median_round(rounds[concurrency]) for concurrency, _ in plan]
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    figures = {
        "command": command,
        "text_bytes": len(text.encode()),
        "text_characters": len(text),
        "edits_per_response": edits,
        "workers": arguments.workers,
        "cpus": os.cpu_count(),
        "results": rows,
        "rounds": {str(concurrency): [row["rps"] for row in measured] for concurrency, measured in rounds.items()},
        "targets": {"p99_ms_at_1": 50, "rps_at_16": 300},
    }
    lines = [
        f"`{command}` — POST /v1/correct, {figures['text_bytes']} bytes ({len(text)} characters, {edits} edits), "
        f"{arguments.workers} worker(s), {os.cpu_count()} CPUs",
        "",
        f"Each concurrency ran {max(1, arguments.rounds)} rounds; the row is the round with the median requests/s (all rounds' requests/s in brackets): the client shares the 2 cores, so single rounds vary.",
        "",
        "| concurrency | requests per round | median ms | p99 ms | requests/s | failures |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        every = ", ".join(str(value) for value in sorted(row["rps"] for row in rounds[row["concurrency"]]))
        lines.append(f"| {row['concurrency']} | {row['requests']} | {row['median_ms']} | {row['p99_ms']} | {row['rps']} ({every}) | {row['failures']} |")
    at_one, at_sixteen = rows
    lines += ["", f"targets: p99 at c=1 {at_one['p99_ms']} ms (< 50: {'met' if at_one['p99_ms'] < 50 else 'missed'}); "
              f"c=16 {at_sixteen['rps']} requests/s (>= 300: {'met' if at_sixteen['rps'] >= 300 else 'missed'})"]
    figures["markdown"] = "\n".join(lines)
    print(figures["markdown"])
    return figures


if __name__ == "__main__":
    main()
