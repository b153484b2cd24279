"""Engine speed and scale: characters per second of each stage, and how the work grows.

Every text is real prose from bench/corpus/clean with synthetic OCR noise
(`jiaokan.evaluation.noise`, default profile: 3% character errors plus punctuation, spacing,
paragraph and markup noise). A "document with k witnesses" is k + 1 noisy copies of one
article of the given length (corpus articles joined, in a seeded order).

- cold start: ``import jiaokan``, `load_resources`, the first single-copy repair (its tables
  are built on first use), the first and second `correct_text` call; each in a fresh process.
- throughput: normalisation, single-copy repair (resources loaded and warm) and the whole
  `correct_corpus` on a document of ``--length`` characters with 3 witnesses, in characters
  per second; the corpus run split into its stages (views, discovery, reliability, alignment,
  decision, repair + normalisation).
- targets: a document of 20,000 characters with 3 witnesses aligned and decided
  (`collect_readings` + `collate` for that document) in under 0.5 s; single-copy repair at
  100,000 characters per second or more on one core.
- alignment (and decision) time against witness count (2-10, at ``--length``) and against
  length (1k-100k characters, 3 witnesses), with the log-log slope against length.
- witness discovery (`find_shared_passages` on prepared views) against corpus size, on
  archive-like pages of ~2,000 characters: each story appears on 1-5 pages (independent
  noise on each) among single-copy fillers; the log-log slope must stay clearly below 2.
  Each size runs in a fresh process, which also reports its peak memory (VmHWM from /proc,
  reset before discovery; getrusage maxrss is kept across exec, so it would show the parent's).
  To have unique text for 10,000 pages, articles are reused under seeded permutations of
  their letters (the same statistics, n-grams no other variant shares).

Timings are medians of ``--repeat`` runs (3 when a single run takes over 2 s).

    python -m bench.bench_engine                      # full size (a few minutes)
    python -m bench.bench_engine --quick              # small sizes: checks the harness
    python -m bench.bench_engine --discovery-sizes 100,300,1000,3000,10000 --json /tmp/engine.json
    python -m bench.bench_engine --profile            # also cProfile repair and the consensus path
"""
from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping


from bench import write_json
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ is a folder of the repository, not of the installed package

#: the engine issue's targets
ALIGN_AND_DECIDE_TARGET_SECONDS = 0.5
TARGET_LENGTH = 20_000
REPAIR_TARGET_CHARACTERS_PER_SECOND = 100_000
PYCORRECTOR_KENLM_CHARACTERS_PER_SECOND = 100  # the figure for pycorrector's kenlm corrector
DISCOVERY_EXPONENT_LIMIT = 2.0
#: a timing whose first run takes longer than this is repeated at most 3 times
LONG_RUN_SECONDS = 2.0
#: archive pages: characters per page, and the most characters a shared story keeps
PAGE_LENGTH = 2_000
STORY_LENGTH = 1_200


# ---------------------------------------------------------------- timing


def timed(function: Callable[[], object], repeat: int) -> dict:
    """Median and every run's seconds of ``function()``; long functions run at most 3 times."""
    runs = []
    for index in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
        if index == 0 and runs[0] > LONG_RUN_SECONDS:
            repeat = min(repeat, 3)
        if len(runs) >= repeat:
            break
    return {"median": statistics.median(runs), "runs": [round(run, 4) for run in runs]}


def loglog_slope(sizes: list[float], seconds: list[float]) -> float | None:
    """Least-squares slope of log(seconds) against log(size): the growth exponent."""
    points = [(math.log(size), math.log(value)) for size, value in zip(sizes, seconds) if size > 0 and value > 0]
    if len(points) < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


# ---------------------------------------------------------------- text


def load_articles() -> list[str]:
    """Every clean corpus article, in name order."""
    from bench.quality import load_corpus

    corpus = load_corpus()
    return [corpus[name] for name in sorted(corpus)]


def article_of_length(articles: list[str], length: int, seed: int) -> str:
    """Corpus articles in a seeded order, joined by blank lines, cut to ``length`` characters
    (at a sentence end when one is near)."""
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    pieces, total = [], 0
    for index in order * (length // 100_000 + 2):
        if total >= length:
            break
        pieces.append(articles[index])
        total += len(articles[index]) + 2
    text = "\n\n".join(pieces)[:length]
    sentence_end = text.rfind("。")
    return text[:sentence_end + 1] if sentence_end > length * 0.95 else text


def noisy_set(text: str, copies: int, seed: int, lookalikes) -> list[str]:
    """``copies`` independently noisy copies of ``text``."""
    from jiaokan.evaluation.noise import NoiseProfile, noisy_copies

    return noisy_copies(text, copies, random.Random(seed), NoiseProfile(), lookalikes=lookalikes)


def witness_documents(copies: list[str], witnesses: int) -> dict[str, str]:
    """The document (first copy) and ``witnesses`` further copies, named for `correct_corpus`."""
    documents = {"document": copies[0]}
    documents.update({f"witness-{index:02d}": copies[index] for index in range(1, witnesses + 1)})
    return documents


# ---------------------------------------------------------------- archive pages (discovery)


class _UniqueArticles:
    """An endless supply of articles no other one shares n-grams with: the corpus, then the
    corpus under seeded permutations of its letters, digits and Han characters."""

    def __init__(self, articles: list[str], seed: int):
        self.articles = articles
        self.letters = sorted({character for article in articles for character in article if character.isalnum()})
        self.seed = seed
        self.index = 0
        self.tables: dict[int, dict[int, str]] = {}

    def next(self) -> str:
        variant, position = divmod(self.index, len(self.articles))
        self.index += 1
        text = self.articles[position]
        return text if variant == 0 else text.translate(self._table(variant))

    def _table(self, variant: int) -> dict[int, str]:
        if variant not in self.tables:
            shuffled = list(self.letters)
            random.Random(self.seed * 1_000_003 + variant).shuffle(shuffled)
            self.tables[variant] = str.maketrans(dict(zip(self.letters, shuffled)))
        return self.tables[variant]


def archive_pages(articles: list[str], count: int, seed: int, lookalikes=None) -> dict[str, str]:
    """``count`` pages of about `PAGE_LENGTH` characters: one story each (a story appears on
    1-5 pages, each copy with its own noise) before, after or between unique fillers."""
    from jiaokan.evaluation.noise import NoiseProfile, add_noise

    rng = random.Random(seed)
    supply = _UniqueArticles(articles, seed)
    profile = NoiseProfile()
    stories: list[str] = []
    slots: list[int] = []
    while len(slots) < count:
        stories.append(supply.next()[:STORY_LENGTH])
        slots += [len(stories) - 1] * rng.randint(1, 5)
    slots = slots[:count]
    rng.shuffle(slots)
    pages = {}
    for page_index, story_index in enumerate(slots):
        story = add_noise(stories[story_index], rng, profile, lookalikes=lookalikes)
        fillers, total = [], len(story)
        while total < PAGE_LENGTH:
            filler = supply.next()[:PAGE_LENGTH - total]
            fillers.append(filler)
            total += len(filler) + 2
        position = rng.randint(0, len(fillers))
        pages[f"page-{page_index:05d}"] = "\n\n".join(fillers[:position] + [story] + fillers[position:])
    return pages


# ---------------------------------------------------------------- engine stages
# These are the pipeline's own steps (jiaokan.runners.local.run_corpus), called one by one so
# each can be timed; they are internals, so every call to them is kept in this section.


@dataclass
class Prepared:
    """A corpus taken through discovery: views, shared passages, witness spans, reliability."""

    documents: Mapping[str, str]
    views: dict
    passages: list
    spans: dict
    reliability: dict


def build_views(documents: Mapping[str, str]) -> dict:
    from jiaokan.textview import build_view

    return {name: build_view(text) for name, text in sorted(documents.items())}


def discover(views: Mapping, config) -> list:
    from jiaokan.witnesses import find_shared_passages

    return find_shared_passages({name: view.units for name, view in views.items()}, config)


def prepare(documents: Mapping[str, str], config) -> Prepared:
    from jiaokan.engine.stages import estimate_reliability
    from jiaokan.witnesses import witnesses_by_document

    views = build_views(documents)
    passages = discover(views, config)
    return Prepared(documents, views, passages, witnesses_by_document(passages),
                    estimate_reliability(passages, config))


def align_document(prepared: Prepared, name: str) -> list:
    """The readings of every witness of ``name`` (what `jiaokan.engine.stages.collect_readings` aligns)."""
    from jiaokan.engine.stages import collect_readings

    spans = prepared.spans.get(name, [])
    witness_units = {span.witness: prepared.views[span.witness].units for span in spans}
    return collect_readings(prepared.views[name], witness_units, spans)


def decide_document(prepared: Prepared, name: str, readings: list, resources, config):
    from jiaokan.consensus import collate

    return collate(name, prepared.views[name], readings, prepared.reliability, resources, config)


def finish_documents(prepared: Prepared, collations: Mapping, resources, config) -> None:
    """Single-copy repair and normalisation of every document (`jiaokan.engine.stages.finish_document`)."""
    from jiaokan.consensus import Collation
    from jiaokan.engine.stages import finish_document, gather_confirmed_terms

    confirmed = gather_confirmed_terms(collations.values())
    for name, text in sorted(prepared.documents.items()):
        finish_document(name, text, collations.get(name) or Collation(), confirmed, resources, config)


# ---------------------------------------------------------------- cold start

_COLD_START_CHILD = r"""
import json, sys, time
documents = json.loads(sys.stdin.read())
started = time.perf_counter()
import jiaokan
figures = {"import": time.perf_counter() - started}
if sys.argv[1] == "stages":
    from jiaokan.resources import load_resources
    from jiaokan.repair import repair
    started = time.perf_counter()
    resources = load_resources()
    figures["load_resources"] = time.perf_counter() - started
    started = time.perf_counter()
    repair("document", documents[0], resources, jiaokan.DEFAULT_CONFIG, {})
    figures["first_repair"] = time.perf_counter() - started
    started = time.perf_counter()
    repair("document", documents[0], resources, jiaokan.DEFAULT_CONFIG, {})
    figures["second_repair"] = time.perf_counter() - started
else:
    for label in ("first_correct_text", "second_correct_text"):
        started = time.perf_counter()
        jiaokan.correct_text(documents[0], witnesses=documents[1:])
        figures[label] = time.perf_counter() - started
print(json.dumps(figures))
"""


def cold_start(copies: list[str], repeat: int) -> dict:
    """Medians over fresh processes: import, resources, first repair, first correct_text."""
    runs: dict[str, list[float]] = {}
    for mode in ("stages", "correct_text"):
        for _ in range(repeat):
            completed = subprocess.run([sys.executable, "-c", _COLD_START_CHILD, mode], input=json.dumps(copies),
                                       capture_output=True, text=True, cwd=ROOT, check=False)
            if completed.returncode != 0:
                raise RuntimeError(f"cold-start child ({mode}) failed: {completed.stderr.strip()[-2000:]}")
            for label, seconds in json.loads(completed.stdout).items():
                runs.setdefault(label, []).append(seconds)
    figures = {label: {"median": statistics.median(values), "runs": [round(value, 4) for value in values]}
               for label, values in runs.items()}
    figures["characters"] = len(copies[0])
    figures["witnesses"] = len(copies) - 1
    return figures


# ---------------------------------------------------------------- throughput and targets


def throughput(copies: list[str], resources, config, repeat: int) -> dict:
    """Characters per second of normalisation, repair and the whole corpus run, and the stage split."""
    import jiaokan
    from jiaokan.normalise import normalise
    from jiaokan.repair import repair

    document = copies[0]
    documents = witness_documents(copies, 3)
    corpus_characters = sum(len(text) for text in documents.values())
    repair("document", document, resources, config, {})  # warm: repair builds its tables on first use
    figures = {
        "normalise": timed(lambda: normalise(document, config), repeat) | {"characters": len(document)},
        "repair": timed(lambda: repair("document", document, resources, config, {}), repeat) | {"characters": len(document)},
        "correct_corpus": timed(lambda: jiaokan.correct_corpus(documents, config=config), repeat)
        | {"characters": corpus_characters, "documents": len(documents)},
    }
    for figure in figures.values():
        figure["characters_per_second"] = figure["characters"] / figure["median"]
    figures["stages"] = corpus_stages(documents, resources, config, repeat)
    return figures


def corpus_stages(documents: Mapping[str, str], resources, config, repeat: int) -> dict:
    """Median seconds of each pipeline stage over the whole corpus (every document)."""
    prepared = prepare(documents, config)
    names = sorted(prepared.spans)
    readings = {name: align_document(prepared, name) for name in names}
    collations = {name: decide_document(prepared, name, readings[name], resources, config) for name in names}
    from jiaokan.engine.stages import estimate_reliability

    stages = {
        "views": timed(lambda: build_views(documents), repeat),
        "discovery": timed(lambda: discover(prepared.views, config), repeat),
        "reliability": timed(lambda: estimate_reliability(prepared.passages, config), repeat),
        "alignment": timed(lambda: [align_document(prepared, name) for name in names], repeat),
        "decision": timed(lambda: [decide_document(prepared, name, readings[name], resources, config) for name in names], repeat),
        "repair_and_normalise": timed(lambda: finish_documents(prepared, collations, resources, config), repeat),
    }
    return {name: figure["median"] for name, figure in stages.items()} | {
        "passages": len(prepared.passages), "documents_collated": len(names)}


def align_and_decide(copies: list[str], witnesses: int, resources, config, repeat: int) -> dict:
    """One document with ``witnesses`` copies: median alignment and decision seconds for it alone."""
    documents = witness_documents(copies, witnesses)
    prepared = prepare(documents, config)
    readings = align_document(prepared, "document")
    alignment = timed(lambda: align_document(prepared, "document"), repeat)
    decision = timed(lambda: decide_document(prepared, "document", readings, resources, config), repeat)
    return {
        "witnesses": witnesses, "characters": len(copies[0]), "readings": len(readings),
        "alignment": alignment["median"], "decision": decision["median"],
        "total": alignment["median"] + decision["median"],
        "runs": {"alignment": alignment["runs"], "decision": decision["runs"]},
    }


def target_align_and_decide(copies: list[str], resources, config, repeat: int) -> dict:
    """The issue's target, timed as one step: collect_readings + collate of the document."""
    prepared = prepare(witness_documents(copies, 3), config)

    def align_then_decide():
        decide_document(prepared, "document", align_document(prepared, "document"), resources, config)

    figure = timed(align_then_decide, repeat)
    full_size = len(copies[0]) >= TARGET_LENGTH * 0.95
    return {"seconds": figure["median"], "runs": figure["runs"], "characters": len(copies[0]), "witnesses": 3,
            "target_seconds": ALIGN_AND_DECIDE_TARGET_SECONDS,
            # a shorter document (--quick, --length) says nothing about the 20,000-character target
            "met": figure["median"] < ALIGN_AND_DECIDE_TARGET_SECONDS if full_size else None}


# ---------------------------------------------------------------- discovery against corpus size


def discovery_run(size: int, seed: int, repeat: int) -> dict:
    """Build ``size`` archive pages and time discovery on them; run in a fresh process, so the
    memory figures are this size's own."""
    from jiaokan import DEFAULT_CONFIG
    from jiaokan.evaluation.noise import default_lookalikes
    from jiaokan.witnesses import sampling_rate

    pages = archive_pages(load_articles(), size, seed, default_lookalikes())
    views = build_views(pages)
    resident_before = memory_megabytes("VmRSS")
    building_peak = memory_megabytes("VmHWM")
    peak_reset = reset_peak_memory()
    passages = discover(views, DEFAULT_CONFIG)
    figure = timed(lambda: discover(views, DEFAULT_CONFIG), repeat)
    keys = sum(sum(1 for unit in view.units if unit.isalnum()) for view in views.values())
    return {
        "documents": size, "characters": sum(len(text) for text in pages.values()), "seconds": figure["median"],
        "runs": figure["runs"], "passages": len(passages), "sampling": sampling_rate(keys, DEFAULT_CONFIG),
        "resident_before_discovery_mb": resident_before,
        "building_peak_memory_mb": building_peak,
        # the peak since the reset: views resident plus what discovery allocates; without a
        # reset (not Linux >= 4.0), the peak of the whole process
        "peak_memory_mb": memory_megabytes("VmHWM"),
        "peak_memory_scope": "discovery" if peak_reset else "process",
        "maxrss_mb": _maxrss_megabytes(),
    }


def memory_megabytes(field: str) -> float | None:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def reset_peak_memory() -> bool:
    """Reset this process's peak resident size (Linux >= 4.0), so the next peak is discovery's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _maxrss_megabytes() -> float:
    """getrusage maxrss: kept across exec, so a spawned child also reports its parent's peak."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def discovery_scaling(sizes: list[int], seed: int, repeat: int) -> dict:
    """Discovery time per corpus size (each in a fresh process) and the growth exponent."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    rows = []
    for size in sizes:
        with context.Pool(1) as pool:
            rows.append(pool.apply(discovery_run, (size, seed, repeat if size < 3000 else min(repeat, 3))))
        print(f"  discovery: {size} documents, {rows[-1]['seconds']:.2f} s", file=sys.stderr)
    exponent = loglog_slope([row["documents"] for row in rows], [row["seconds"] for row in rows])
    sampled = [row for row in rows if row["sampling"] == rows[-1]["sampling"]] if rows else []
    exponent_same_sampling = loglog_slope([row["documents"] for row in sampled], [row["seconds"] for row in sampled])
    return {
        "sizes": rows, "exponent": exponent, "exponent_same_sampling": exponent_same_sampling,
        "exponent_limit": DISCOVERY_EXPONENT_LIMIT,
        "met": exponent is not None and exponent < DISCOVERY_EXPONENT_LIMIT
        and (exponent_same_sampling is None or exponent_same_sampling < DISCOVERY_EXPONENT_LIMIT),
        "peak_memory_mb": rows[-1]["peak_memory_mb"] if rows else None,
    }


# ---------------------------------------------------------------- profiles


def profile_hotspots(function: Callable[[], object], top: int) -> list[dict]:
    """The ``top`` functions by own time under cProfile, with their share of the total."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values()) or 1e-9
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():
        location = f"{Path(filename).name}:{line}({name})" if line else name
        rows.append({"function": location, "calls": calls, "own_share": own / total, "cumulative_share": cumulative / total,
                     "own_seconds": own, "cumulative_seconds": cumulative})
    rows.sort(key=lambda row: -row["own_seconds"])
    return rows[:top]


def profiles(copies: list[str], resources, config, top: int = 12) -> dict:
    """cProfile of single-copy repair (warm) and of `correct_corpus` on a document with 3 witnesses."""
    import jiaokan
    from jiaokan.repair import repair

    documents = witness_documents(copies, 3)
    repair("document", copies[0], resources, config, {})
    return {
        "repair": profile_hotspots(lambda: [repair("document", copies[0], resources, config, {}) for _ in range(3)], top),
        "correct_corpus": profile_hotspots(lambda: jiaokan.correct_corpus(documents, config=config), top),
    }


# ---------------------------------------------------------------- the whole benchmark


def run(arguments) -> dict:
    """Every measurement, as a JSON-ready dict."""
    from jiaokan import DEFAULT_CONFIG
    from jiaokan.evaluation.noise import default_lookalikes
    from jiaokan.resources import load_resources

    config = DEFAULT_CONFIG
    lookalikes = default_lookalikes()
    articles = load_articles()
    results: dict = {"settings": {
        "length": arguments.length, "witness_counts": arguments.witnesses, "lengths": arguments.lengths,
        "discovery_sizes": arguments.discovery_sizes, "repeat": arguments.repeat, "seed": arguments.seed,
        "noise": "jiaokan.evaluation.noise default profile (3% character errors + layout noise)",
    }}
    text = article_of_length(articles, arguments.length, arguments.seed)
    copies = noisy_set(text, max(arguments.witnesses + [3]) + 1, arguments.seed, lookalikes)
    print("  cold start", file=sys.stderr)
    sample = noisy_set(article_of_length(articles, 2_000, arguments.seed + 1), 2, arguments.seed, lookalikes)
    results["cold_start"] = cold_start(sample, arguments.cold_repeat)
    resources = load_resources()
    print("  throughput", file=sys.stderr)
    results["throughput"] = throughput(copies, resources, config, arguments.repeat)
    results["targets"] = {
        "align_and_decide": target_align_and_decide(copies, resources, config, arguments.repeat),
        "repair": {"characters_per_second": results["throughput"]["repair"]["characters_per_second"],
                   "target": REPAIR_TARGET_CHARACTERS_PER_SECOND,
                   "met": results["throughput"]["repair"]["characters_per_second"] >= REPAIR_TARGET_CHARACTERS_PER_SECOND,
                   "pycorrector_kenlm": PYCORRECTOR_KENLM_CHARACTERS_PER_SECOND},
    }
    print("  alignment by witness count", file=sys.stderr)
    results["by_witnesses"] = [align_and_decide(copies, count, resources, config, arguments.repeat)
                               for count in arguments.witnesses]
    print("  alignment by length", file=sys.stderr)
    results["by_length"] = []
    for length in arguments.lengths:
        length_copies = noisy_set(article_of_length(articles, length, arguments.seed), 4, arguments.seed, lookalikes)
        results["by_length"].append(align_and_decide(length_copies, 3, resources, config, arguments.repeat))
    lengths = [row["characters"] for row in results["by_length"]]
    results["length_exponent"] = {
        "alignment": loglog_slope(lengths, [row["alignment"] for row in results["by_length"]]),
        "decision": loglog_slope(lengths, [row["decision"] for row in results["by_length"]]),
    }
    print("  discovery by corpus size", file=sys.stderr)
    results["discovery"] = discovery_scaling(arguments.discovery_sizes, arguments.seed, arguments.repeat)
    if arguments.profile:
        print("  profiles", file=sys.stderr)
        results["profiles"] = profiles(copies, resources, config)
    return results


def format_markdown(results: dict, command: str) -> str:
    """The section for docs/benchmarks.md."""
    cold, flow, targets = results["cold_start"], results["throughput"], results["targets"]
    target = targets["align_and_decide"]
    length = results["settings"]["length"]
    yes_no = lambda met: "not judged at this size" if met is None else "**met**" if met else "**not met**"  # noqa: E731
    lines = [
        f"Medians of {results['settings']['repeat']} runs (at most 3 for runs over 2 s), one process on one core; "
        "corpus prose (bench/corpus/clean) with synthetic OCR noise (jiaokan.evaluation.noise, default profile). "
        f"Measured by `{command}`.", "",
        "### Targets", "",
        "| target | measured | |", "|---|---|---|",
        f"| 3 witnesses of {target['characters']:,} characters aligned and decided < {target['target_seconds']} s "
        f"| {target['seconds']:.3f} s | {yes_no(target['met'])} |",
        f"| single-copy repair ≥ {targets['repair']['target']:,} characters/s "
        f"| {targets['repair']['characters_per_second']:,.0f} characters/s "
        f"({targets['repair']['characters_per_second'] / targets['repair']['pycorrector_kenlm']:,.0f}× pycorrector kenlm's ~100) "
        f"| {yes_no(targets['repair']['met'])} |",
        f"| witness discovery growth exponent < {results['discovery']['exponent_limit']:.0f} "
        f"| {_number(results['discovery']['exponent'])} (same sampling: {_number(results['discovery']['exponent_same_sampling'])}) "
        f"| {yes_no(results['discovery']['met'])} |", "",
        f"### Throughput (a {length:,}-character document; the corpus run has 3 witnesses)", "",
        "| stage | characters | median s | characters/s |", "|---|---:|---:|---:|",
    ]
    for label, key in (("normalisation", "normalise"), ("single-copy repair", "repair"),
                       ("correct_corpus (document + 3 witnesses)", "correct_corpus")):
        figure = flow[key]
        lines.append(f"| {label} | {figure['characters']:,} | {figure['median']:.3f} | {figure['characters_per_second']:,.0f} |")
    stages = flow["stages"]
    lines += ["", f"Corpus run by stage (all {flow['correct_corpus']['documents']} documents; "
              f"{stages['passages']} shared passages, {stages['documents_collated']} documents collated), median s:", "",
              "| views | discovery | reliability | alignment | decision | repair + normalisation |",
              "|---:|---:|---:|---:|---:|---:|",
              "| " + " | ".join(f"{stages[key]:.3f}" for key in
                                ("views", "discovery", "reliability", "alignment", "decision", "repair_and_normalise")) + " |",
              "", "### Cold start (fresh process, medians)", "",
              "| step | seconds |", "|---|---:|"]
    for label, key in (("`import jiaokan`", "import"), ("`load_resources()`", "load_resources"),
                       ("first repair call (builds its variant tables)", "first_repair"),
                       ("second repair call", "second_repair"),
                       (f"first `correct_text` ({cold['characters']:,} characters, {cold['witnesses']} witness)", "first_correct_text"),
                       ("second `correct_text`, same input", "second_correct_text")):
        if key in cold:
            lines.append(f"| {label} | {cold[key]['median']:.3f} |")
    lines += ["", f"### Alignment and decision against witness count ({length:,} characters), one document", "",
              "| witnesses | alignment s | decision s | total s | ratio to 2 witnesses |", "|---:|---:|---:|---:|---:|"]
    base = results["by_witnesses"][0]["total"] if results["by_witnesses"] else None
    for row in results["by_witnesses"]:
        lines.append(f"| {row['witnesses']} | {row['alignment']:.3f} | {row['decision']:.3f} | {row['total']:.3f} | {row['total'] / base:.2f} |")
    exponents = results["length_exponent"]
    lines += ["", "### Alignment and decision against length (3 witnesses), one document", "",
              "| characters | alignment s | decision s | total s | characters/s |", "|---:|---:|---:|---:|---:|"]
    for row in results["by_length"]:
        lines.append(f"| {row['characters']:,} | {row['alignment']:.3f} | {row['decision']:.3f} | {row['total']:.3f} "
                     f"| {row['characters'] / row['total']:,.0f} |")
    lines += ["", f"Growth exponent (log-log slope) against length: alignment {_number(exponents['alignment'])}, "
              f"decision {_number(exponents['decision'])}.", "",
              f"### Witness discovery against corpus size (pages of ~{PAGE_LENGTH:,} characters, each story on 1–5 pages)", "",
              "| documents | characters | sampling | passages | median s | ratio to previous | MB before | peak MB |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    previous = None
    for row in results["discovery"]["sizes"]:
        ratio = f"{row['seconds'] / previous['seconds']:.2f} (×{row['documents'] / previous['documents']:.1f} documents)" if previous else "–"
        lines.append(f"| {row['documents']:,} | {row['characters']:,} | 1/{row['sampling']} | {row['passages']:,} "
                     f"| {row['seconds']:.3f} | {ratio} | {_number(row['resident_before_discovery_mb'], 0)} "
                     f"| {_number(row['peak_memory_mb'], 0)} |")
        previous = row
    lines += ["", f"Growth exponent (log-log slope): {_number(results['discovery']['exponent'])} over all sizes, "
              f"{_number(results['discovery']['exponent_same_sampling'])} over the sizes indexed at the largest one's "
              "sampling (corpora under 200,000 characters keep every n-gram). Each size runs in a fresh process; "
              "'MB before' is its resident size with pages and views built, 'peak MB' the peak resident size "
              "during discovery (VmHWM, reset before discovery)."]
    if "profiles" in results:
        for label, rows in results["profiles"].items():
            lines += ["", f"### Profile: {label} (cProfile, top functions by own time)", "",
                      "| function | calls | own | cumulative |", "|---|---:|---:|---:|"]
            lines += [f"| `{row['function']}` | {row['calls']:,} | {row['own_share']:.1%} | {row['cumulative_share']:.1%} |"
                      for row in rows]
    return "\n".join(lines)


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _integers(text: str) -> list[int]:
    return [int(item.replace("_", "")) for item in text.split(",") if item.strip()]


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description="jiaokan engine speed and scale benchmark")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds): checks the harness, not the figures")
    parser.add_argument("--length", type=int, help="characters of the document for throughput and witness counts (default 20000)")
    parser.add_argument("--witnesses", type=_integers, help="witness counts (default 2,3,4,5,6,8,10)")
    parser.add_argument("--lengths", type=_integers, help="document lengths at 3 witnesses (default 1000,3000,10000,30000,100000)")
    parser.add_argument("--discovery-sizes", type=_integers, help="corpus sizes in documents (default 100,300,1000,3000)")
    parser.add_argument("--repeat", type=int, help="runs per timing (default 5; 3 for runs over 2 s)")
    parser.add_argument("--cold-repeat", type=int, help="fresh processes per cold-start figure (default 3)")
    parser.add_argument("--profile", action="store_true", help="also cProfile single-copy repair and the corpus run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file ('-' for stdout)")
    arguments = parser.parse_args(argv)
    quick = arguments.quick
    defaults = {
        "length": 5_000 if quick else 20_000,
        "witnesses": [2, 3, 5] if quick else [2, 3, 4, 5, 6, 8, 10],
        "lengths": [1_000, 3_000, 10_000] if quick else [1_000, 3_000, 10_000, 30_000, 100_000],
        "discovery_sizes": [100, 300, 1_000] if quick else [100, 300, 1_000, 3_000],
        "repeat": 3 if quick else 5,
        "cold_repeat": 1 if quick else 3,
    }
    for name, value in defaults.items():
        if getattr(arguments, name) is None:
            setattr(arguments, name, value)
    if arguments.repeat < 1 or arguments.cold_repeat < 1 or not arguments.witnesses or not arguments.lengths:
        parser.error("--repeat and --cold-repeat must be at least 1; --witnesses and --lengths need a value")
    return arguments


def main(argv: list[str] | None = None) -> dict:
    """Run, print the section (and the JSON if asked), return the figures with their markdown."""
    argv = list(sys.argv[1:] if argv is None else argv)
    arguments = parse_arguments(argv)
    command = " ".join(["python -m bench.bench_engine", *argv])
    print(command)
    results = run(arguments)
    results["command"] = command
    results["markdown"] = format_markdown(results, command)
    print(results["markdown"])
    if arguments.json:
        write_json(results, arguments.json)
    return results


if __name__ == "__main__":
    main()
