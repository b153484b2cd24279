"""Cluster benchmark of ``jiaokan clean --scheduler``: the Dask runner against the local one.

Generates ``--pages`` synthetic pages (default 10,000, ~18 MB; `synthetic_pages`), then:

1. runs ``jiaokan clean --workers 2`` (the local runner) as a subprocess: the reference
   bytes and time;
2. for each of ``--cluster-workers`` (default 2, 4, 8), starts a `distributed.LocalCluster`
   of that many single-threaded worker processes on this machine, runs ``jiaokan clean
   --scheduler ADDRESS`` as a subprocess, and reports its wall time, the ratio to the
   local run, each worker's peak resident memory (``ru_maxrss``, read on the workers at the
   end), the workers' CPU seconds, the seconds the cluster spent in each stage (task stream: compute time summed by
   task name) and whether every output (texts, edits, variants, manifest) is the local
   run's, byte for byte;
3. on a fresh cluster of 2 workers, the bytes the two shuffles of witness discovery move
   (sampled n-grams by hash, anchors by pair: ``ClusterRunFacts``), from a run of the
   engine in this process that finishes one document;
4. one more cluster run of 2 workers in which a worker process is SIGKILLed after
   ``--kill-at`` of the 2-worker run's time (the nanny starts another; Dask recomputes what
   the dead one held), and whether its outputs are still the local run's.

Every worker shares the machine's cores with the others and with the command (which reads
the inputs and writes the outputs): on 2 cores, 4 and 8 workers show the cost of the
coordination, not a speed-up.

    python -m bench.bench_cluster                    # 10,000 pages, 2/4/8 workers, a kill
    python -m bench.bench_cluster --pages 1000 --megabytes 2 --cluster-workers 2
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_pages import write_pages  # noqa: E402


def outputs_digest(root: Path) -> dict[str, str]:
    """Every file of OUTPUT but the summary (it has timestamps), by its SHA-256."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file() and path.name != "summary.json"
    }


def clean(inputs: Path, output: Path, *options: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (the command and the processes it waited for) of one
    ``jiaokan clean`` subprocess (which must succeed)."""
    command = [sys.executable, "-m", "jiaokan.cli", "clean", str(inputs), "-o", str(output), "--quiet", "--no-progress", *options]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise SystemExit(f"jiaokan clean failed ({finished.returncode}): {finished.stderr[-2000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def worker_peak_megabytes(client) -> list[int]:
    """Each worker process's peak resident size so far (Linux: ``ru_maxrss`` in kilobytes)."""
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return sorted(round(kilobytes * 1024 / 1e6) for kilobytes in peaks.values())


def worker_cpu_seconds(client) -> float:
    """CPU seconds (user + system) the worker processes have used so far, summed: less
    disturbed by other load on the machine than the wall time of their tasks."""
    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    return round(sum(client.run(used).values()), 1)


def stage_seconds(stream: list[dict]) -> dict[str, float]:
    """Compute seconds summed by task name (a task's key prefix: the stage function's runner
    name, ``shuffle-transfer``...), largest first."""
    from dask.utils import key_split

    seconds: dict[str, float] = defaultdict(float)
    for task in stream:
        for part in task.get("startstops", ()):
            if part["action"] == "compute":
                seconds[key_split(task["key"])] += part["stop"] - part["start"]
    return {name: round(value, 2) for name, value in sorted(seconds.items(), key=lambda item: -item[1])}


def cluster_run(inputs: Path, output: Path, workers: int, kill_after: float | None = None) -> dict:
    """One ``jiaokan clean --scheduler`` run on a fresh LocalCluster of ``workers`` processes."""
    from distributed import Client, LocalCluster, get_task_stream

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, Client(cluster) as client:
        client.run(lambda: __import__("jiaokan.runners.dask"))  # as a long-lived cluster would have: imports done
        killer = None
        if kill_after is not None:
            pids = client.run(os.getpid)
            victim = pids[sorted(pids)[0]]
            killer = threading.Timer(kill_after, os.kill, (victim, signal.SIGKILL))
            killer.start()
        with get_task_stream(client) as stream:
            seconds, command_cpu = clean(inputs, output, "--scheduler", cluster.scheduler_address)
        if killer is not None:
            killer.join()
        return {"workers": workers, "seconds": round(seconds, 2), "worker_peak_megabytes": worker_peak_megabytes(client),
                "worker_cpu_seconds": worker_cpu_seconds(client), "command_cpu_seconds": round(command_cpu, 1),
                "stage_compute_seconds": stage_seconds(stream.data)}


def shuffle_bytes(inputs: Path, workers: int) -> dict:
    """The bytes witness discovery shuffles, from an engine run in this process (one document finished)."""
    from distributed import Client, LocalCluster

    from jiaokan.batch.encoding import decode_bytes
    from jiaokan.config import DEFAULT_CONFIG
    from jiaokan.runners.dask import ClusterRunFacts, run_corpus_on_cluster

    documents = {path.relative_to(inputs).as_posix(): decode_bytes(path.read_bytes()).text for path in sorted(inputs.rglob("*.txt"))}
    facts = ClusterRunFacts()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, Client(cluster) as client:
        run_corpus_on_cluster(documents, client, config=DEFAULT_CONFIG, only=sorted(documents)[:1], facts=facts)
    pages = len(documents)
    return {
        "grams_bytes": facts.grams_shuffled, "anchors_bytes": facts.anchors_shuffled, "passages": facts.passages,
        "bytes_per_page": round((facts.grams_shuffled + facts.anchors_shuffled) / pages),
        "grams_bytes_per_page": round(facts.grams_shuffled / pages), "anchors_bytes_per_page": round(facts.anchors_shuffled / pages),
        "passages_per_page": round(facts.passages / pages, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--cluster-workers", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--kill-at", type=float, default=0.4, help="kill a worker after this share of the 2-worker run's time (0: no kill run)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jiaokan-bench-cluster-") as scratch:
        inputs = Path(scratch) / "pages"
        size = write_pages(inputs, pages=arguments.pages, megabytes=arguments.megabytes)
        local_seconds, local_cpu = clean(inputs, Path(scratch) / "local", "--workers", "2")
        reference = outputs_digest(Path(scratch) / "local")
        runs = []
        for workers in arguments.cluster_workers:
            output = Path(scratch) / f"cluster-{workers}"
            run = cluster_run(inputs, output, workers)
            run["ratio_to_local"] = round(run["seconds"] / local_seconds, 2)
            run["megabytes_per_second"] = round(size / 1e6 / run["seconds"], 3)
            run["outputs_identical"] = outputs_digest(output) == reference
            runs.append(run)
            print(json.dumps(run), file=sys.stderr)
        shuffled = shuffle_bytes(inputs, 2)
        killed = None
        if arguments.kill_at > 0:
            two = next((run["seconds"] for run in runs if run["workers"] == 2), local_seconds)
            output = Path(scratch) / "cluster-killed"
            killed = cluster_run(inputs, output, 2, kill_after=arguments.kill_at * two)
            killed["killed_after_seconds"] = round(arguments.kill_at * two, 1)
            killed["outputs_identical"] = outputs_digest(output) == reference
    result = {
        "command": " ".join(["python -m bench.bench_cluster", *sys.argv[1:]]),
        "pages": arguments.pages,
        "input_megabytes": round(size / 1e6, 2),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        "local": {"workers": 2, "seconds": round(local_seconds, 2), "cpu_seconds": round(local_cpu, 1), "megabytes_per_second": round(size / 1e6 / local_seconds, 3)},
        "cluster": runs,
        "shuffle": shuffled,
        "killed_worker_run": killed,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
