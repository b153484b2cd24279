"""Running the stages over a corpus: witnesses, collation, single-copy repair, normalisation.

Collation runs for every document that has witnesses, whatever ``only`` asks for, so
the terms the corpus confirms (and so every result) do not depend on which documents
are requested: a resumed batch run gives the same bytes as an uninterrupted one.
"""
from __future__ import annotations

import itertools
import math
import multiprocessing
import threading
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Collection, Mapping, Sequence

from jiaokan.alignment import Reading, read_witness
from jiaokan.config import EngineConfig
from jiaokan.consensus import Collation, ConfirmedTerm, collate
from jiaokan.edits import CONSENSUS, NORMALISATION, REPAIR, Edit, resolve_overlaps
from jiaokan.errors import InputError
from jiaokan.normalise import normalise
from jiaokan.repair import repair
from jiaokan.resources import Resources, load_resources
from jiaokan.result import Correction
from jiaokan.textview import TextView, build_view
from jiaokan.witnesses import SharedPassage, WitnessSpan, find_shared_passages, witnesses_by_document

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
    progress: Callable[[str, Correction], None] | None = None,
) -> dict[str, Correction]:
    """See `jiaokan.engine.correct_corpus`."""
    names = sorted(documents)
    targets = sorted(set(only)) if only is not None else names
    missing = [name for name in targets if name not in documents]
    if missing:
        raise InputError(f"unknown document(s): {', '.join(missing[:5])}")
    resources = load_resources(config.extra_terms)
    views = {name: build_view(documents[name]) for name in names}
    passages = find_shared_passages({name: view.units for name, view in views.items()}, config) if len(names) > 1 else []
    spans = witnesses_by_document(passages)
    reliability = estimate_reliability(passages, views, config)
    witnessed = sorted(spans)
    work = {"documents": documents, "views": views, "spans": spans, "reliability": reliability, "resources": resources, "config": config}
    if workers > 1 and len(names) > 1:
        warm_up(resources, config)  # build lazy tables once, before the workers fork
        with _POOL_LOCK:
            _WORK.update(work)
            try:
                with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=_die_with_parent) as pool:
                    return _run_stages(targets, witnessed, progress, lambda function, items: pool.map(function, items, chunksize=_chunk(len(items), workers)))
            finally:
                _WORK.clear()
    return _run_stages(targets, witnessed, progress, lambda function, items: [function(item, work) for item in items])


#: what a parallel run's stages share: worker processes inherit it when they fork, so jobs
#: carry document names instead of pickled texts; one parallel run at a time per process
_WORK: dict = {}
_POOL_LOCK = threading.Lock()


def _run_stages(targets, witnessed, progress, mapper) -> dict[str, Correction]:
    collated = dict(zip(witnessed, mapper(_collate_named, witnessed)))
    confirmed = gather_confirmed_terms(collation for collation, _ in collated.values())
    jobs = [(name, *collated.get(name, (Collation(), None)), confirmed) for name in targets]
    results: dict[str, Correction] = {}
    for name, correction in zip(targets, mapper(_finish_named, jobs)):
        results[name] = correction
        if progress is not None:
            progress(name, correction)
    return results


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
    repair("warm-up", "建档立卡卡脱贫人口，档文。", resources, config, {})
    resources.lexicon.find("")


def _collate_named(name: str, work: dict | None = None) -> tuple[Collation, bytes]:
    work = work or _WORK
    views, spans = work["views"], work["spans"][name]
    readings = collect_readings(views[name], {span.witness: views[span.witness].units for span in spans}, spans)
    collation = collate(name, views[name], readings, work["reliability"], work["resources"], work["config"].rules)
    return collation, settled_units(len(views[name]), readings)


def _finish_named(job, work: dict | None = None) -> Correction:
    name, collation, settled, confirmed = job
    work = work or _WORK
    return finish_document(name, work["documents"][name], collation, confirmed, work["resources"], work["config"], work["views"][name], settled)


def estimate_reliability(passages: list[SharedPassage], views: Mapping[str, TextView], config: EngineConfig) -> dict[str, float]:
    """Each document's accuracy, from how many sampled n-grams survive in its shared passages.

    A passage of L key characters should yield about (L - n + 1) / sampling anchors; the
    share that survives is about (a1 * a2) ** n for copies of accuracy a1, a2.
    """
    logs: dict[str, list[tuple[float, int]]] = defaultdict(list)
    key_counts: dict[str, list[int]] = {}
    for passage in passages:
        if passage.first not in key_counts:  # running count of letters, digits and Han
            key_counts[passage.first] = list(itertools.accumulate(map(str.isalnum, views[passage.first].units), initial=0))
        counts = key_counts[passage.first]
        keys = counts[passage.first_end] - counts[passage.first_start]
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


def finish_document(
    name: str,
    text: str,
    collation: Collation,
    confirmed: Mapping[str, ConfirmedTerm],
    resources: Resources,
    config: EngineConfig,
    view: TextView | None = None,
    settled: bytes | None = None,
) -> Correction:
    """Consensus edits, then single-copy repairs (outside the `settled_units`) and
    normalisation where consensus left the text alone."""
    edits: list[Edit] = list(collation.edits)
    edits += repair(name, text, resources, config, confirmed, view, settled)
    edits += normalise(text, config)
    kept = resolve_overlaps(edits, lambda edit: STAGE_RANK[edit.kind])
    return Correction.from_edits(name, text, kept, config)
