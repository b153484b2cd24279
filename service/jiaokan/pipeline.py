"""Running the stages over a corpus: witnesses, collation, single-copy repair, normalisation.

Collation runs for every document that has witnesses, whatever ``only`` asks for, so
the terms the corpus confirms (and so every result) do not depend on which documents
are requested: a resumed batch run gives the same bytes as an uninterrupted one.
"""
from __future__ import annotations

import math
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Collection, Mapping

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
    passages = find_shared_passages({name: view.units for name, view in views.items()}, config)
    spans = witnesses_by_document(passages)
    reliability = estimate_reliability(passages, views, config)
    collations = _collate_all(views, spans, reliability, resources, config, workers)
    confirmed = gather_confirmed_terms(collations.values())
    results: dict[str, Correction] = {}
    for name in targets:
        collation = collations.get(name) or Collation()
        results[name] = finish_document(name, documents[name], collation, confirmed, resources, config, views[name])
        if progress is not None:
            progress(name, results[name])
    return results


def estimate_reliability(passages: list[SharedPassage], views: Mapping[str, TextView], config: EngineConfig) -> dict[str, float]:
    """Each document's accuracy, from how many sampled n-grams survive in its shared passages.

    A passage of L key characters should yield about (L - n + 1) / sampling anchors; the
    share that survives is about (a1 * a2) ** n for copies of accuracy a1, a2.
    """
    logs: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for passage in passages:
        keys = sum(1 for unit in views[passage.first].units[passage.first_start:passage.first_end] if unit.isalnum())
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


def _collate_all(views, spans, reliability, resources, config, workers) -> dict[str, Collation]:
    witnessed = sorted(spans)
    enabled = dict(config.rules)
    jobs = [(name, views[name], _witness_views(views, spans[name]), spans[name], reliability) for name in witnessed]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_collate_job, jobs, [config] * len(jobs), chunksize=max(1, len(jobs) // (workers * 4))))
    else:
        outcomes = [_collate_job(job, config, resources) for job in jobs]
    return dict(zip(witnessed, outcomes))


def _witness_views(views: Mapping[str, TextView], spans: list[WitnessSpan]) -> dict[str, str]:
    return {span.witness: views[span.witness].units for span in spans}


def _collate_job(job, config: EngineConfig, resources: Resources | None = None) -> Collation:
    name, view, witness_units, spans, reliability = job
    resources = resources or load_resources(config.extra_terms)
    readings = collect_readings(view, witness_units, spans)
    return collate(name, view, readings, reliability, resources, config.rules)


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


def gather_confirmed_terms(collations) -> dict[str, ConfirmedTerm]:
    """variant -> the term several copies confirmed instead (the most supported, then first by name)."""
    confirmed: dict[str, ConfirmedTerm] = {}
    for collation in collations:
        for term in collation.confirmed_terms:
            current = confirmed.get(term.variant)
            if current is None or (term.copies, current.document, current.term) > (current.copies, term.document, term.term):
                confirmed[term.variant] = term
    return confirmed


def finish_document(name: str, text: str, collation: Collation, confirmed: Mapping[str, ConfirmedTerm], resources: Resources, config: EngineConfig, view: TextView | None = None) -> Correction:
    """Consensus edits, then single-copy repairs and normalisation where consensus left the text alone."""
    edits: list[Edit] = list(collation.edits)
    edits += repair(name, text, resources, config, confirmed, view)
    edits += normalise(text, config)
    kept = resolve_overlaps(edits, lambda edit: STAGE_RANK[edit.kind])
    return Correction.from_edits(name, text, kept, config)
