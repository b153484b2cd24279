"""Run every benchmark and write docs/benchmarks.md: `python -m bench.run_all` (or `make bench`).

Convention: a benchmark is a module ``bench/<name>.py`` with ``main(argv: list[str] | None) -> dict``
that prints a human table and returns its figures (JSON-ready). Those in `BENCHMARKS` that exist
are run in order with their arguments; a missing module is noted, a failing one is reported
in the document and the others still run. A returned dict may carry a ``"markdown"`` string,
which goes into the document as is; otherwise the printed table does.

    python -m bench.run_all                    # full size (minutes)
    python -m bench.run_all --quick            # small sizes, to check the harness
    python -m bench.run_all --only quality,peers --output /tmp/benchmarks.md
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import importlib.util
import io
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: name -> (title, arguments, arguments with --quick)
BENCHMARKS = {
    "real": ("Real data: OCR, two engines, editions, clean prose, news copies, seeds", [], ["--quick"]),
    "quality": ("Quality: synthetic multi-witness set and clean text", [], ["--articles", "4", "--clean", "8"]),
    "peers": ("Peers: pycorrector and plain majority vote on the same text", [],
              ["--articles", "2", "--clean", "2", "--copies", "3"]),
    "bench_engine": ("Engine speed and scale", ["--discovery-sizes", "100,300,1000,3000,10000"], ["--quick"]),
    "bench_batch": ("Batch runs", ["--repeat", "3"], ["--pages", "300", "--megabytes", "1"]),
    "bench_api": ("API latency", ["--workers", "2"], ["--quick"]),
    "bench_review": ("Review page speed", [], ["--rounds", "10"]),
    "bench_documents": ("Stored corpus: POST /v1/documents against 1,000 and 10,000 stored pages, SQLite and PostgreSQL",
                        ["--pages", "1000", "10000", "--database", "sqlite", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_documents",
                         "--keep", "/tmp/jiaokan-bench-documents"],
                        ["--pages", "200", "400", "--posts", "8"]),
    "bench_linear": ("Linear time: every engine path as its input doubles", ["--no-witnesses"], ["--quick"]),
    "bench_lexicon_change": ("A correction right after a lexicon change", [], []),
}


def machine() -> dict:
    """What the figures were measured on."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kilobytes = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kilobytes / 1024 / 1024:.0f} GiB"
    commit = "uncommitted"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        if result.returncode == 0:
            commit = result.stdout.strip()
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "memory": memory, "python": platform.python_version(),
        "platform": platform.platform(), "commit": commit,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run_benchmark(name: str, argv: list[str]) -> dict:
    """Run one benchmark; its figures, its printed output, its time, or its error."""
    if importlib.util.find_spec(f"bench.{name}") is None:
        return {"status": "missing"}
    output = io.StringIO()
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        with contextlib.redirect_stdout(output):
            figures = _call_main(module.main, name, argv)
        status = "ok"
    except (Exception, SystemExit) as error:  # noqa: BLE001 - one broken benchmark must not stop the others
        figures = {}
        status = f"failed: {type(error).__name__}: {error}"
        output.write(traceback.format_exc(limit=3))
    seconds = time.perf_counter() - started
    sys.stderr.write(f"bench.{name}: {status} in {seconds:.0f} s\n")
    return {"status": status, "figures": figures, "printed": output.getvalue(), "seconds": seconds}


def _call_main(main_function, name: str, argv: list[str]):
    """``main(argv)``; a ``main()`` without parameters gets its arguments through ``sys.argv``."""
    import inspect

    if inspect.signature(main_function).parameters:
        return main_function(argv)
    saved = sys.argv
    sys.argv = [f"bench/{name}.py", *argv]
    try:
        return main_function()
    finally:
        sys.argv = saved


def quality_svg(quality: dict, peers: dict | None) -> str:
    """A bar chart of errors removed by copy count: jiaokan, majority vote, target."""
    copies = list(quality.get("copies", {}))
    series = [("jiaokan", "#2b6cb0", [quality["copies"][k]["subject"]["errors_removed"] for k in copies])]
    if peers and peers.get("multi_witness"):
        vote = peers["multi_witness"]
        series.append(("majority vote (given the passages)", "#dd6b20",
                       [vote[k]["majority_vote"]["subject_errors_removed"] if k in vote else None for k in copies]))
    series.append(("target", "#a0aec0", [quality["copies"][k].get("target_errors_removed") for k in copies]))
    width, height, left, bottom, top = 640, 300, 50, 40, 20
    plot_height = height - bottom - top
    group = (width - left - 20) / max(len(copies), 1)
    bar = group / (len(series) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 24 * len(series)}" '
             f'font-family="sans-serif" font-size="12">']
    for tick in range(0, 101, 25):
        y = top + plot_height * (1 - tick / 100)
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}%</text>')
    for index, k in enumerate(copies):
        x0 = left + index * group + bar / 2
        parts.append(f'<text x="{x0 + bar * len(series) / 2:.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{k} cop{"y" if k == "1" else "ies"}</text>')
        for position, (_, colour, values) in enumerate(series):
            value = values[index]
            if value is None:
                continue
            clipped = max(0.0, min(1.0, value))
            bar_height = plot_height * clipped
            x = x0 + position * bar
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_height - bar_height:.1f}" width="{bar * 0.9:.1f}" '
                         f'height="{bar_height:.1f}" fill="{colour}"><title>{value:.1%}</title></rect>')
    for position, (label, colour, _) in enumerate(series):
        y = height + 6 + 24 * position
        parts.append(f'<rect x="{left}" y="{y}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{left + 18}" y="{y + 10}">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _earlier_results(path: Path) -> dict:
    """The benchmarks of the last run (its JSON), marked as earlier, for sections --only skips."""
    try:
        benchmarks = json.loads(path.read_text(encoding="utf-8"))["benchmarks"]
    except (OSError, ValueError, KeyError):
        return {}
    return {name: result | {"earlier": True} for name, result in benchmarks.items() if result.get("status") == "ok" and "printed" in result}


def earlier_sections(path: Path) -> dict[str, str]:
    """The sections of the document at ``path`` by title (``## title`` to the next one): what
    ``--only`` keeps of benchmarks it does not run when the last run's JSON is not at hand (a
    fresh checkout: bench/results is not committed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    sections = {}
    for block in text.split("\n## ")[1:]:
        title, _, body = block.partition("\n")
        sections[title.strip()] = body.strip("\n")
    return sections


def render_markdown(results: dict, command: str, machine_facts: dict, plot_name: str | None,
                    json_name: str = "bench/results/benchmarks.json", kept_sections: dict[str, str] | None = None) -> str:
    """docs/benchmarks.md."""
    lines = [
        "# Benchmarks", "",
        f"Written by `{command}` on {machine_facts['date']} (commit {machine_facts['commit']}). "
        "Quality figures are deterministic for the seed; speeds are single runs unless a benchmark says "
        "it reports medians.", "",
        "## Machine", "",
        f"- CPUs: {machine_facts['cpus']} ({machine_facts['cpu']}), memory {machine_facts['memory']}",
        f"- Python {machine_facts['python']} on {machine_facts['platform']}", "",
    ]
    for name, (title, _, _) in BENCHMARKS.items():
        result = results[name]
        lines += [f"## {title}", ""]
        if result["status"] == "missing":
            lines += [f"`bench/{name}.py` is not written yet.", ""]
            continue
        if result["status"] == "skipped":
            kept = (kept_sections or {}).get(title)
            lines += [kept, ""] if kept else [f"Not run by this command (`python -m bench.run_all --only {name}` runs it).", ""]
            continue
        invocation = " ".join([f"python -m bench.{name}", *result["argv"]])
        earlier = " — figures from an earlier run of `python -m bench.run_all`" if result.get("earlier") else ""
        lines += [f"Command: `{invocation}` ({result['seconds']:.0f} s){earlier}", ""]
        if result["status"] != "ok":
            lines += [f"**{result['status']}**", ""]
        markdown = result["figures"].get("markdown") if isinstance(result["figures"], dict) else None
        if markdown:
            lines += [markdown, ""]
        elif result["printed"].strip():
            lines += ["```", result["printed"].rstrip(), "```", ""]
        if name == "quality" and plot_name:
            lines += [f"![errors removed by copy count]({plot_name})", ""]
        if name == "quality" and result["status"] == "ok":
            lines += _quality_notes(result["figures"])
    lines += ["## Figures as JSON", "", f"Every benchmark's returned figures: `{json_name}`.", ""]
    return "\n".join(lines)


def _quality_notes(figures: dict) -> list[str]:
    settings = figures.get("settings", {})
    return [
        f"Noise: {settings.get('character_error_rate', 0):.0%} character errors plus layout and punctuation noise "
        f"(look-alikes from {settings.get('lookalike_file')}); {settings.get('articles')} subject articles, "
        f"{settings.get('fillers')} fillers, {settings.get('clean_articles')} clean articles, seed {settings.get('seed')}. "
        "CER over grapheme clusters with width and whitespace folded; 'subject' is the article that has k copies, "
        "'page' includes the single-copy fillers. Targets: 1 copy ≥15%, 2 ≥40%, 3 ≥85%, 5 ≥95% of errors removed; "
        "≤ 2 edits per 10,000 characters of clean text.", "",
    ]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="run every benchmark and write docs/benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the harness, not the figures")
    parser.add_argument("--only", help="comma-separated benchmark names")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "benchmarks.json")
    arguments = parser.parse_args(argv)
    chosen = arguments.only.split(",") if arguments.only else list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    results = {}
    earlier = _earlier_results(arguments.json) if arguments.only else {}
    for name, (_, full, quick) in BENCHMARKS.items():
        benchmark_argv = quick if arguments.quick else full
        if name in chosen:
            result = run_benchmark(name, list(benchmark_argv)) | {"argv": list(benchmark_argv)}
        else:  # --only refreshes some sections and keeps the others from the last run
            result = earlier.get(name) or {"status": "skipped", "argv": list(benchmark_argv)}
        results[name] = result
    facts = machine()
    plot_name = None
    if results["quality"].get("status") == "ok":
        plot_name = arguments.output.with_suffix("").name + "-quality.svg"
        peers = results["peers"].get("figures") if results["peers"].get("status") == "ok" else None
        (arguments.output.parent / plot_name).parent.mkdir(parents=True, exist_ok=True)
        (arguments.output.parent / plot_name).write_text(quality_svg(results["quality"]["figures"], peers),
                                                         encoding="utf-8")
    command = "python -m bench.run_all" + (" " + " ".join(argv) if argv else "")
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    json_name = (arguments.json.resolve().relative_to(ROOT).as_posix()
                 if arguments.json.resolve().is_relative_to(ROOT) else str(arguments.json))
    kept_sections = earlier_sections(arguments.output) if arguments.only else {}
    arguments.output.write_text(render_markdown(results, command, facts, plot_name, json_name, kept_sections), encoding="utf-8")
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    summary = {"machine": facts, "benchmarks": results}
    arguments.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {arguments.output} and {arguments.json}")
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
