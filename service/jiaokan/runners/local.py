"""The local runner: the engine's stages (`jiaokan.engine.stages`) on this machine's cores.

The phases run on ``workers`` processes forked from the run's process. What the stages
share (the texts, their views, the collations) is in a `_Corpus` the workers inherit when
they fork, so a job carries names and its result only what is new; each job looks up the
explicit inputs of its stage function there. A fresh set of workers is forked for each
phase, once the phase before has added what it needs. These speed tricks (fork
inheritance, a frozen collector) live here only: the stage functions read nothing but
their arguments, and `jiaokan.runners.dask` runs the same ones on a cluster.
"""
from __future__ import annotations

import gc
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Collection, Mapping

from jiaokan.config import EngineConfig
from jiaokan.consensus import Collation, ConfirmedTerm
from jiaokan.edits import Edit
from jiaokan.engine.stages import (
    FinishingInput, collate_document, collation_voters, estimate_reliability, finish_documents, gather_confirmed_terms,
    view_documents, warm_up,
)
from jiaokan.errors import InputError
from jiaokan.normalise import normalise
from jiaokan.resources import Resources, load_resources
from jiaokan.result import Correction
from jiaokan.textview import TextView
from jiaokan.witnesses import extend_chains, find_shared_passages, join_grams, sampling_rate, witnesses_by_document


def check_targets(names: Collection[str], only: Collection[str] | None) -> list[str]:
    """The documents asked for, sorted (all of them when ``only`` is None); unknown names refused."""
    targets = sorted(set(only)) if only is not None else sorted(names)
    missing = [name for name in targets if name not in names]
    if missing:
        raise InputError(f"unknown document(s): {', '.join(missing[:5])}")
    return targets


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

    The per-document stages (views, normalisation, collation, finishing) run on ``workers``
    processes; witness discovery, which needs the whole corpus, runs here while the workers
    normalise, from n-grams the workers sampled with the views, batch by batch.
    """
    names = sorted(documents)
    targets = check_targets(documents, only)
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
        viewing = runner.start(_view_job, [(batch, sampling) for batch in batches])  # views need no resources: load them meanwhile
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
        normalisation = runner.start(_normalisation_job, targets)
        passages = find_shared_passages(corpus.units, config, partial(runner.map, _extend_job), grams) if grams is not None else []
        del grams
        spans = witnesses_by_document(passages)
        reliability = estimate_reliability(passages, config)
        witnessed = sorted(spans)
        jobs = [(name, spans[name], collation_voters(name, spans[name], reliability)) for name in witnessed]
        corpus.collations = dict(zip(witnessed, runner.map(_collate_job, jobs)))
        corpus.normalisation = dict(zip(targets, normalisation()))
    corpus.confirmed = gather_confirmed_terms(collation for collation, _ in corpus.collations.values())
    results: dict[str, Any] = {}
    batches = _finish_batches(targets, workers)
    with _stage_runner(workers, corpus) as runner:
        for batch, finished_batch in zip(batches, runner.map(_finish_job, batches, chunk=1)):
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


# -- each phase's job: a stage function, its inputs looked up in the inherited `_Corpus` ------

def _view_job(corpus: _Corpus, job):
    """Each view's units and offsets (the worker does not send the text back) and the batch's sampled n-grams."""
    names, sampling = job
    viewed = view_documents([corpus.documents[name] for name in names], corpus.config, sampling)
    return [(view.units, view.starts, view.ends) for view in viewed.views], viewed.grams


def _normalisation_job(corpus: _Corpus, name: str) -> list[Edit]:
    return normalise(corpus.documents[name], corpus.config)


def _extend_job(corpus: _Corpus, job):
    return extend_chains(corpus.units, job)


def _collate_job(corpus: _Corpus, job) -> tuple[Collation, bytes]:
    name, spans, voters = job
    witness_units = {span.witness: corpus.units[span.witness] for span in spans}
    return collate_document(name, corpus.views[name], spans, witness_units, voters, corpus.resources, corpus.config)


def _finish_job(corpus: _Corpus, names: list[str]) -> list:
    """Each document's edits, which apply and its variants (the caller has the text), or what
    the run's ``prepare`` makes of its `Correction`."""
    documents = [
        FinishingInput(name, corpus.documents[name], corpus.views[name], corpus.collations.get(name), corpus.normalisation[name])
        for name in names
    ]
    finished = finish_documents(documents, corpus.confirmed, corpus.resources, corpus.config, corpus.prepare)
    if corpus.prepare is not None:
        return finished
    return [(correction.edits, correction.applied, correction.variants) for correction in finished]


# -- the workers -----------------------------------------------------------------------------

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


#: documents per job of the views phase (their n-grams are hashed and sampled together, in numpy)
VIEW_BATCH = 64


def _view_batches(names: list[str], workers: int) -> list[list[str]]:
    """The views phase's jobs: all the documents at once here, batches for worker processes."""
    if workers <= 1:
        return [names]
    return [names[start:start + VIEW_BATCH] for start in range(0, len(names), VIEW_BATCH)]


#: documents per job of the finishing phase, at most (their pages are scanned together)
FINISH_BATCH = 64


def _finish_batches(names: list[str], workers: int) -> list[list[str]]:
    """The finishing phase's jobs: batches of up to `FINISH_BATCH` documents, at least four
    per worker when there are fewer documents (so that none waits long for the last)."""
    size = max(1, min(FINISH_BATCH, math.ceil(len(names) / (4 * max(workers, 1)))))
    return [names[start:start + size] for start in range(0, len(names), size)]
