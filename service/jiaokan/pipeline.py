"""Running the stages over a corpus: witnesses, collation, single-copy repair, normalisation.

Collation runs for every document that has witnesses, whatever ``only`` asks for, so
the terms the corpus confirms (and so every result) do not depend on which documents
are requested: a resumed batch run gives the same bytes as an uninterrupted one.
"""
from __future__ import annotations

import gc
import math
import multiprocessing
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Collection, Mapping, Sequence

from jiaokan.alignment import Reading, read_witness
from jiaokan.config import EngineConfig
from jiaokan.consensus import Collation, ConfirmedTerm, collate
from jiaokan.edits import CONSENSUS, NORMALISATION, REPAIR, Edit, resolve_overlaps
from jiaokan.errors import InputError
from jiaokan.normalise import normalise
from jiaokan.repair import PageScans, build_tables as build_repair_tables, repair, scan_pages
from jiaokan.resources import Resources, load_resources
from jiaokan.result import Correction
from jiaokan.textview import TextView, build_view
from jiaokan.witnesses import (
    SharedPassage, WitnessSpan, extend_chains, find_shared_passages, join_grams, sample_grams, sampling_rate, witnesses_by_document,
)

#: readings that agree with the document on fewer units than this are not copies of it
MINIMUM_AGREEMENT = 0.75
#: when edits of two stages touch the same characters, the stage ranked first wins
STAGE_RANK = {CONSENSUS: 0, REPAIR: 1, NORMALISATION: 2}


def run_corpus(
    documents: Mapping[str, str],
    *,
    config: EngineConfig,
    only: Collection[str] | None = None,
    workers: int = 1,
    progress: Callable[[str, Any], None] | None = None,
    prepare: Callable[[Correction], Any] | None = None,
) -> dict[str, Any]:
    """See `jiaokan.engine.correct_corpus`.

    The per-document stages (views, normalisation, collation, repair) run on ``workers``
    processes; witness discovery, which needs the whole corpus, runs here while the workers
    normalise, from n-grams the workers sampled with the views, batch by batch.
    What the stages share (the texts, their views, the collations) is in a `_Corpus` the
    workers inherit when they fork, so jobs carry names and their results carry only what
    is new: a fresh set of workers is forked for each phase, once the phase before has
    added what it needs.
    """
    names = sorted(documents)
    targets = sorted(set(only)) if only is not None else names
    missing = [name for name in targets if name not in documents]
    if missing:
        raise InputError(f"unknown document(s): {', '.join(missing[:5])}")
    corpus = _Corpus(documents, config, None, prepare=prepare)
    workers = workers if len(names) > 1 else 1
    try:
        return _run_stages(corpus, names, targets, workers, progress)
    finally:
        if workers > 1:
            gc.unfreeze()  # what the phases froze (`_stage_runner`) is the collector's again


def _run_stages(corpus: _Corpus, names: list[str], targets: list[str], workers: int, progress) -> dict[str, Any]:
    """`run_corpus`'s phases, each on its own workers (`_stage_runner`)."""
    documents, config, prepare = corpus.documents, corpus.config, corpus.prepare
    batches = _view_batches(names, workers)
    sampling = sampling_rate(sum(map(len, documents.values())), config) if len(names) > 1 else None  # as the views' size will ask, almost always
    with _stage_runner(workers, corpus) as runner:
        viewing = runner.start(_view_batch, [(batch, sampling) for batch in batches])  # views need no resources: load them meanwhile
        corpus.resources = load_resources(config.extra_terms)
        if workers > 1:
            warm_up(corpus.resources, config)  # build lazy tables once, before the next workers fork: they share them
        viewed = viewing()
    for batch, (view_parts, _) in zip(batches, viewed):
        corpus.views.update((name, TextView(documents[name], *parts)) for name, parts in zip(batch, view_parts))
    corpus.units = {name: view.units for name, view in corpus.views.items()}
    grams = join_grams([grams for _, grams in viewed], list(map(len, batches))) if sampling is not None else None
    del viewed
    with _stage_runner(workers, corpus) as runner:
        normalisation = runner.start(_normalisation_edits, targets)
        passages = find_shared_passages(corpus.units, config, partial(runner.map, _extend_job), grams) if grams is not None else []
        del grams
        spans = witnesses_by_document(passages)
        reliability = estimate_reliability(passages, config)
        witnessed = sorted(spans)
        corpus.collations = dict(zip(witnessed, runner.map(_collate_job, [_collation_job(name, spans[name], reliability) for name in witnessed])))
        corpus.normalisation = dict(zip(targets, normalisation()))
    corpus.confirmed = gather_confirmed_terms(collation for collation, _ in corpus.collations.values())
    results: dict[str, Any] = {}
    batches = _finish_batches(targets, workers)
    with _stage_runner(workers, corpus) as runner:
        for batch, finished_batch in zip(batches, runner.map(_finish_batch, batches, chunk=1)):
            for name, finished in zip(batch, finished_batch):
                results[name] = finished if prepare is not None else Correction(name, documents[name], *finished)
                if progress is not None:
                    progress(name, results[name])
    return results


@dataclass
class _Corpus:
    """What the stages of one run share, filled in phase by phase. Worker processes inherit
    it when they fork (it is never sent to them), so each phase forks its own workers."""

    documents: Mapping[str, str]
    config: EngineConfig
    resources: Resources | None  # loaded while the views are built
    views: dict[str, TextView] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # each view's units
    normalisation: dict[str, list[Edit]] = field(default_factory=dict)
    collations: dict[str, tuple[Collation, bytes]] = field(default_factory=dict)
    confirmed: dict[str, ConfirmedTerm] = field(default_factory=dict)
    #: what the caller keeps of each finished document, made where it was finished
    prepare: Callable[[Correction], Any] | None = None


class _InProcess:
    """Runs the stages here, one job after another."""

    def __init__(self, corpus: _Corpus) -> None:
        self.corpus = corpus

    def map(self, function, items, chunk: int | None = None):
        return [function(self.corpus, item) for item in items]

    def start(self, function, items) -> Callable[[], list]:
        """The jobs' results, computed when asked for."""
        return lambda: self.map(function, items)


class _ProcessPool:
    """Runs the stages on worker processes forked with the run's `_Corpus`."""

    def __init__(self, pool: ProcessPoolExecutor, workers: int) -> None:
        self.pool = pool
        self.workers = workers

    def map(self, function, items, chunk: int | None = None):
        items = list(items)
        return self.pool.map(partial(_with_worker_corpus, function), items, chunksize=chunk or _chunk(len(items), self.workers))

    def start(self, function, items) -> Callable[[], list]:
        """Queue the jobs now, an equal share for each worker; calling the result waits for
        them. All of them are queued at once: the executor hands its workers more only when
        its thread in this process gets the interpreter lock, which this process's own work
        meanwhile (loading the resources, a second or so of unpickling) holds, leaving the
        workers idle between small chunks."""
        items = list(items)
        pending = self.map(function, items, chunk=max(1, math.ceil(len(items) / self.workers)))
        return lambda: list(pending)


#: the run's `_Corpus` in a worker process (set when the worker starts, inherited by fork)
_worker_corpus: _Corpus | None = None


def _start_worker(corpus: _Corpus, collecting: bool) -> None:
    global _worker_corpus
    _worker_corpus = corpus
    if collecting:
        gc.enable()  # paused in the run's process only (`_stage_runner`)
    _die_with_parent()


def _with_worker_corpus(function, item):
    return function(_worker_corpus, item)


@contextmanager
def _stage_runner(workers: int, corpus: _Corpus):
    if workers <= 1:
        yield _InProcess(corpus)
        return
    context = multiprocessing.get_context("fork")  # the workers inherit ``corpus``: it is not pickled
    gc.freeze()  # the collector leaves the inherited objects alone: it would write to them, copying every page
    # and, in this process, pauses while the phase runs: the results it receives hold no
    # reference cycles, and each full collection would scan all received so far again
    # (about 1 CPU-s over 10,000 pages, taken from the workers)
    collecting = gc.isenabled()
    gc.disable()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(corpus, collecting)) as pool:
            try:
                yield _ProcessPool(pool, workers)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # the run is abandoned (its caller stopped it): no more jobs
                raise
    finally:
        # what the phase received is frozen too (`run_corpus` thaws everything at its end):
        # it was allocated while the collector paused, and its first pass when resumed would
        # walk all of it as young objects (0.16 s after the collation of 10,000 pages)
        gc.freeze()
        if collecting:
            gc.enable()


def _die_with_parent() -> None:
    """Worker processes end when the run's process does, even by SIGKILL (Linux): an orphaned
    worker would otherwise wait forever, holding the run's pipes open."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: a killed run may leave workers behind until their queue closes


def _chunk(count: int, workers: int) -> int:
    return max(1, min(64, count // (workers * 8)))


def warm_up(resources: Resources, config: EngineConfig) -> None:
    """Build every lazily built table now (worker processes then share them)."""
    build_repair_tables(resources)
    repair("warm-up", "建档立卡卡脱贫人口，档文。", resources, config, {})
    resources.lexicon.find("")
    resources.lexicon.characters
    resources.lexicon.character_sets
    resources.known_reach
    resources.words.lattice
    resources.words.heads
    resources.english
    normalise("", config)


#: documents per job of the views phase (their n-grams are hashed and sampled together, in numpy)
VIEW_BATCH = 64


def _view_batches(names: list[str], workers: int) -> list[list[str]]:
    """The views phase's jobs: all the documents at once here, batches for worker processes."""
    if workers <= 1:
        return [names]
    return [names[start:start + VIEW_BATCH] for start in range(0, len(names), VIEW_BATCH)]


def _view_batch(corpus: _Corpus, job):
    """For a batch of documents, each view's units and offsets (the worker does not send the
    text back) and, where witnesses will be looked for, the batch's part of that search
    (`jiaokan.witnesses.sample_grams`, made here so that the run's process only joins them)."""
    names, sampling = job
    views = [build_view(corpus.documents[name]) for name in names]
    grams = None if sampling is None else sample_grams([view.units for view in views], corpus.config, sampling)
    return [(view.units, view.starts, view.ends) for view in views], grams


def _normalisation_edits(corpus: _Corpus, name: str) -> list[Edit]:
    return normalise(corpus.documents[name], corpus.config)


def _extend_job(corpus: _Corpus, job):
    return extend_chains(corpus.units, job)


def _collation_job(name: str, spans: list[WitnessSpan], reliability: Mapping[str, float]):
    """What collating ``name`` needs besides the views: its witness spans and the reliability
    of it and its witnesses."""
    voters = [name, *sorted({span.witness for span in spans})]
    return name, spans, {voter: reliability[voter] for voter in voters if voter in reliability}


def _collate_job(corpus: _Corpus, job) -> tuple[Collation, bytes]:
    name, spans, reliability = job
    view = corpus.views[name]
    readings = collect_readings(view, corpus.units, spans)
    collation = collate(name, view, readings, reliability, corpus.resources, corpus.config)
    return collation, settled_units(len(view), readings)


#: documents per job of the finishing phase, at most (their pages are scanned together)
FINISH_BATCH = 64


def _finish_batches(names: list[str], workers: int) -> list[list[str]]:
    """The finishing phase's jobs: batches of up to `FINISH_BATCH` documents, at least four
    per worker when there are fewer documents (so that none waits long for the last)."""
    size = max(1, min(FINISH_BATCH, math.ceil(len(names) / (4 * max(workers, 1)))))
    return [names[start:start + size] for start in range(0, len(names), size)]


def _finish_batch(corpus: _Corpus, names: list[str]) -> list:
    """Each document's edits, which apply and its variants (the caller has the text), or what the run's
    ``prepare`` makes of its `Correction`; the batch's pages are scanned together for what
    two single-copy rules look for (`jiaokan.repair.scan_pages`)."""
    collated = [corpus.collations.get(name, (Collation(), None)) for name in names]
    scans = scan_pages([(corpus.views[name].units, settled) for name, (_, settled) in zip(names, collated)], corpus.resources, corpus.config)
    finished = []
    for name, (collation, settled), found in zip(names, collated, scans):
        correction = finish_document(
            name, corpus.documents[name], collation, corpus.confirmed, corpus.resources, corpus.config,
            corpus.views[name], settled, corpus.normalisation[name], found,
        )
        finished.append(corpus.prepare(correction) if corpus.prepare is not None else (correction.edits, correction.applied, correction.variants))
    return finished


def estimate_reliability(passages: list[SharedPassage], config: EngineConfig) -> dict[str, float]:
    """Each document's accuracy, from how many sampled n-grams survive in its shared passages.

    A passage of L key characters should yield about (L - n + 1) / sampling anchors; the
    share that survives is about (a1 * a2) ** n for copies of accuracy a1, a2.
    """
    logs: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for passage in passages:
        keys = passage.first_keys
        expected = max((keys - config.ngram_size + 1) / passage.sampling, 1.0)
        survival = min(max(passage.anchors / expected, 0.02), 1.0)
        pair_log_accuracy = math.log(survival) / config.ngram_size
        for name in (passage.first, passage.second):
            logs[name].append((pair_log_accuracy / 2, keys))
    reliability = {}
    for name, values in logs.items():
        weight = sum(keys for _, keys in values)
        reliability[name] = round(min(max(math.exp(sum(value * keys for value, keys in values) / weight), 0.6), 0.995), 4)
    return reliability


def collect_readings(view: TextView, witness_units: Mapping[str, str], spans: list[WitnessSpan]) -> list[Reading]:
    """Align the document with each witness span; drop spans that turn out not to be copies."""
    readings: list[Reading] = []
    for span in sorted(spans, key=lambda span: (-(span.end - span.start), span.witness, span.start)):
        if any(other.witness == span.witness and other.start < span.end and span.start < other.end for other in readings):
            continue  # one reading per witness and position: the longer passage says where it belongs
        reading = read_witness(view.units, span.start, span.end, span.witness, witness_units[span.witness], span.witness_start, span.witness_end)
        if reading.agreement() >= MINIMUM_AGREEMENT:
            readings.append(reading)
    return sorted(readings, key=lambda reading: (reading.start, reading.witness))


def settled_units(length: int, readings: Sequence[Reading]) -> bytes:
    """For each view unit, 1 where some copy covers it and every copy covering it reads it
    the same: text the copies confirm, which single-copy rules leave alone."""
    settled = bytearray(length)
    for reading in readings:
        settled[reading.start:reading.end] = b"\x01" * (reading.end - reading.start)
    for reading in readings:
        for offset in reading.differences:
            settled[reading.start + offset] = 0
    return bytes(settled)


def gather_confirmed_terms(collations) -> dict[str, ConfirmedTerm]:
    """variant -> the term several copies confirmed instead (the most supported, then first by name)."""
    confirmed: dict[str, ConfirmedTerm] = {}
    for collation in collations:
        for term in collation.confirmed_terms:
            current = confirmed.get(term.variant)
            if current is None or (term.copies, current.document, current.term) > (current.copies, term.document, term.term):
                confirmed[term.variant] = term
    return confirmed


def _precedence(edit: Edit) -> tuple:
    """Which of two overlapping edits stays: the earlier stage; within repair a domain term
    (the user's own word) first; then the more confident."""
    return (STAGE_RANK[edit.kind], edit.rule != "match_domain_term", -edit.confidence)


def finish_document(
    name: str,
    text: str,
    collation: Collation,
    confirmed: Mapping[str, ConfirmedTerm],
    resources: Resources,
    config: EngineConfig,
    view: TextView | None = None,
    settled: bytes | None = None,
    normalisation: list[Edit] | None = None,
    scans: PageScans | None = None,
) -> Correction:
    """Consensus edits, then single-copy repairs (outside the `settled_units`; ``scans`` as
    `jiaokan.repair.repair` takes them) and normalisation (``normalisation``, if already made)
    where consensus left the text alone."""
    edits: list[Edit] = list(collation.edits)
    edits += repair(name, text, resources, config, confirmed, view, settled, scans)
    edits += normalise(text, config) if normalisation is None else normalisation
    kept = resolve_overlaps(edits, _precedence)
    return Correction.from_edits(name, text, kept, config, collation.variants)
