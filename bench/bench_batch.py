"""Scale benchmark of ``jiaokan clean``: synthetic pages through the command, end to end.

Generates ``--pages`` pages (``--megabytes`` in total; default 10,000 pages, ~20 MB, with
passages repeated across pages) into a temporary folder, runs ``jiaokan clean`` on them as
a subprocess with ``--workers`` processes, and reports throughput (MB of input per second
of wall time) and peak memory: the largest single process (getrusage RUSAGE_CHILDREN
maxrss) and the whole process tree (main process + engine workers, sampled from /proc),
both as each process's resident size summed (pages the forked workers share with the main
process counted once per process; every 0.1 s) and as proportional set sizes summed (each
shared page split among the processes sharing it: the memory the run really holds; read
when the resident sum reaches a new high, and every 2 s). The proportional sizes are read
in one more run after the timed ones, not timed: the kernel walks every page of a process
to sum them, and in a timed run that took 1.3 CPU-s from the two cores the run was using.
Targets (issue 4): >= 1 MB/s and < 2 GB on 2 cores. Also reported: the CPU seconds of the
command and its workers (user and system; per MB of input, a figure other load on the
machine disturbs less than wall time), what creating one file costs in the benchmark's
temporary folder (each page gives two outputs), and how fast the machine runs a fixed piece
of Python (`interpreter_milliseconds`), both probed before the runs and after.

On ext4 without a journal (this project's VMs), creating a file first skips every inode freed
in the last minute, or up to six while its inode table is not yet written back (the kernel's
``recently_deleted`` check), so a run started right after many files were deleted pays for
each: deleting a previous run's 20,000 outputs just before a run made creating a file cost
about 600 microseconds of system time instead of about 30, and the run 10 s longer. The
probe before the runs shows it; leave a few minutes after deleting a large output folder.

``--layer-only`` replaces the engine with one that returns every text unchanged, so the
numbers measure the batch layer alone (reading, decoding, writing, manifest, summary).

    python bench/bench_batch.py                       # the full benchmark
    python bench/bench_batch.py --pages 500 --megabytes 1 --repeat 3
    python bench/bench_batch.py --layer-only
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_pages import write_pages  # noqa: E402

#: the child command for --layer-only: the real CLI with an engine that changes nothing
LAYER_ONLY_CHILD = """
import sys
import jiaokan
from jiaokan.result import Correction

def unchanged(documents, *, config, only=None, workers=1, progress=None, prepare=None, scheduler=None):
    results = {}
    for name in sorted(only if only is not None else documents):
        results[name] = Correction.from_edits(name, documents[name], [], config)
        if prepare is not None:
            results[name] = prepare(results[name])
        if progress:
            progress(name, results[name])
    return results

jiaokan.correct_corpus = unchanged
from jiaokan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def clean_command(inputs: Path, output: Path, workers: int, layer_only: bool) -> list[str]:
    arguments = ["clean", str(inputs), "-o", str(output), "--workers", str(workers), "--quiet", "--no-progress"]
    if layer_only:
        return [sys.executable, "-c", LAYER_ONLY_CHILD, *arguments]
    return [sys.executable, "-m", "jiaokan.cli", *arguments]


def process_tree(root_pid: int) -> tuple[list[int], int]:
    """The process ``root_pid`` and all its descendants (Linux /proc), and their resident
    bytes summed as each process reports them (a page forked workers share with the main
    process counts once per process). Cheap: each process's children are read from the
    kernel's list of them (``/proc/PID/task/TID/children``), not from all of /proc."""
    tree, stack, resident = [], [root_pid], 0
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/stat", "rb") as stream:
                fields = stream.read().rsplit(b")", 1)[1].split()
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # it has just ended
        tree.append(pid)
        resident += int(fields[21]) * PAGE_SIZE
        for thread in threads:  # a process started by any thread is that thread's child
            try:
                with open(f"/proc/{pid}/task/{thread}/children", "rb") as stream:
                    stack.extend(int(child) for child in stream.read().split())
            except OSError:
                continue
    return tree, resident


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def proportional_set_size(pid: int) -> int:
    """PSS bytes of one process (0 if it is gone or the kernel does not say)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as stream:
            for line in stream:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children_cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of every child process waited for so far, with theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


def file_creation_microseconds(folder: Path, count: int = 2000) -> float:
    """Wall microseconds to write a new 2 KB file and rename it, in a new folder under
    ``folder`` (what each output costs the file system; on some virtual disks creating
    files in fresh directories is far dearer than elsewhere)."""
    target = folder
    started = time.perf_counter()
    for index in range(count):
        directory = target / f"{index // 50:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{index}.part"
        temporary.write_bytes(b"x" * 2048)
        os.replace(temporary, directory / f"{index}.txt")
    return (time.perf_counter() - started) / count * 1e6


def interpreter_milliseconds(repeats: int = 7) -> float:
    """Median milliseconds of a fixed pure-Python workload (slicing a string and looking the
    pieces up in a dict, as the engine does most): how fast this machine runs Python at the
    moment. The VMs here drift by a third within minutes and differ by twice between days;
    a run's figures are comparable with another's only as far as their probes agree."""
    words = {f"{number:x}": number for number in range(1 << 16)}
    text = "".join(f"{number:x}" for number in range(1 << 16))
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        total = 0
        for start in range(len(text) - 4):
            total += words.get(text[start:start + 4], 0)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


#: resident sizes are sampled this often (seconds); proportional set sizes only when the summed
#: resident size reaches a new high by `PSS_RISE`, or `PSS_INTERVAL` seconds after the last:
#: reading a process's smaps_rollup walks its page tables (about 30 ms for a 1 GB process),
#: and doing that ten times a second cost the sampler 6-8 CPU seconds per run on the 2 cores
#: the run needs (wall time within noise: 31.1 and 32.9 s against 31.3 and 31.9 s without it)
SAMPLE_INTERVAL = 0.1
PSS_RISE = 1.02
PSS_INTERVAL = 2.0


def timed_run(command: list[str], proportional: bool = False) -> tuple[float, tuple[int, int], int]:
    """(wall seconds, peak tree bytes as (summed RSS, summed PSS or 0), exit code) of one run.
    The proportional sizes are read only when asked for: the kernel walks every page of a
    process to sum them (about 14 ms for one of the engine's processes), 1.3 CPU-s in a run
    of 10,000 pages, taken from the run measured on the same two cores."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = (0, 0)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        measured_at, measured_rss = 0.0, 0
        while not stop.is_set():
            tree, rss = process_tree(process.pid)
            now = time.perf_counter()
            summed = peak[1]
            if proportional and (rss > measured_rss * PSS_RISE or now - measured_at >= PSS_INTERVAL):
                summed = max(summed, sum(proportional_set_size(pid) for pid in tree))
                measured_at, measured_rss = now, max(measured_rss, rss)
            peak = (max(peak[0], rss), summed)
            stop.wait(SAMPLE_INTERVAL)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    if process.returncode != 0:
        sys.stderr.write(errors.decode("utf-8", "replace"))
    return seconds, peak, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs (each into a fresh OUTPUT); medians are reported")
    parser.add_argument("--layer-only", action="store_true", help="an engine that changes nothing: measure the batch layer alone")
    parser.add_argument("--json", type=Path, help="also write the results here")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jiaokan-bench-") as scratch:
        inputs = Path(scratch) / "pages"
        generated = time.perf_counter()
        size = write_pages(inputs, pages=arguments.pages, megabytes=arguments.megabytes)
        generated = time.perf_counter() - generated
        creation_before = file_creation_microseconds(Path(scratch) / "file-creation-probe-before")
        interpreter_before = interpreter_milliseconds()
        runs = []
        for index in range(arguments.repeat):
            output = Path(scratch) / f"out-{index}"
            command = clean_command(inputs, output, arguments.workers, arguments.layer_only)
            user_before, system_before = children_cpu()
            seconds, tree_peak, exit_code = timed_run(command)
            user_after, system_after = children_cpu()
            summary = json.loads((output / ".jiaokan/summary.json").read_text(encoding="utf-8")) if exit_code in (0, 1) else {}
            runs.append({"seconds": seconds, "tree_peak_bytes": tree_peak, "exit_code": exit_code, "files": summary.get("files"),
                         "user": user_after - user_before, "system": system_after - system_before})
        creation_after = file_creation_microseconds(Path(scratch) / "file-creation-probe-after")
        interpreter_after = interpreter_milliseconds()
        # memory: one more run, untimed, whose proportional sizes are read as it goes
        _, (memory_rss, memory_pss), _ = timed_run(clean_command(inputs, Path(scratch) / "out-memory", arguments.workers, arguments.layer_only), proportional=True)
        largest_process = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: kilobytes
    seconds = statistics.median(run["seconds"] for run in runs)
    tree_peak = max([memory_rss, *(run["tree_peak_bytes"][0] for run in runs)])
    result = {
        "command": " ".join(["python bench/bench_batch.py", *sys.argv[1:]]),
        "engine": "unchanged-text stand-in (batch layer only)" if arguments.layer_only else "jiaokan engine",
        "pages": arguments.pages,
        "input_megabytes": round(size / 1e6, 2),
        "workers": arguments.workers,
        "cpu_count": os.cpu_count(),
        "runs": len(runs),
        "median_seconds": round(seconds, 2),
        "seconds": [round(run["seconds"], 2) for run in runs],
        "megabytes_per_second": round(size / 1e6 / seconds, 3),
        # CPU of the command and its workers (median run): less sensitive to other load than wall time
        "cpu_seconds": {
            "user": round(statistics.median(run["user"] for run in runs), 1),
            "system": round(statistics.median(run["system"] for run in runs), 1),
        },
        "cpu_seconds_per_megabyte": round(statistics.median(run["user"] + run["system"] for run in runs) / (size / 1e6), 2),
        "file_creation_microseconds": {"before_runs": round(creation_before), "after_runs": round(creation_after)},
        "interpreter_probe_milliseconds": {"before_runs": round(interpreter_before, 1), "after_runs": round(interpreter_after, 1)},
        "peak_memory_megabytes": {
            "largest_process": round(largest_process / 1e6),
            "process_tree": round(tree_peak / 1e6),  # each process's RSS summed: shared pages counted in each
            "process_tree_proportional": round(memory_pss / 1e6),  # PSS summed (in the memory run): what the tree holds
        },
        "generation_seconds": round(generated, 1),
        "exit_codes": [run["exit_code"] for run in runs],
        "files": runs[-1]["files"],
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
