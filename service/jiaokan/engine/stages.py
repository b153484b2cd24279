"""The engine's stages over a corpus, each a plain function of explicit inputs.

A corpus run is five phases; every function here reads nothing but its arguments, so
the same function runs in the run's process, in a forked worker (`jiaokan.runners.local`)
or on a Dask worker on another machine (`jiaokan.runners.dask`):

1. `view_documents`: for a batch of documents, each content view and the batch's sampled
   n-grams (`jiaokan.witnesses.sample_grams`);
2. witness discovery: the n-grams shared by several documents become anchors, anchors
   chains, chains passages (`jiaokan.witnesses.find_shared_passages` over the whole corpus;
   `anchor_table` and `chain_jobs` over the parts of a shuffle, then `extend_pair`);
   `estimate_reliability` from the passages;
3. `collate_document`: one document against its witness spans (`jiaokan.consensus`);
4. `gather_confirmed_terms`: the terms several copies confirmed, corpus-wide;
5. `finish_documents`: consensus, single-copy repair and normalisation of a batch of
   documents, and what the caller keeps of each (``prepare``).

Collation runs for every document that has witnesses, whatever the caller asks for, so
the terms the corpus confirms (and so every result) do not depend on which documents are
requested: a resumed batch run gives the same bytes as an uninterrupted one.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from jiaokan.alignment import Reading, read_witness
from jiaokan.config import EngineConfig
from jiaokan.consensus import Collation, ConfirmedTerm, collate
from jiaokan.edits import CONSENSUS, NORMALISATION, REPAIR, Edit, resolve_overlaps
from jiaokan.normalise import normalise
from jiaokan.repair import PageScans, build_tables as build_repair_tables, repair, scan_pages
from jiaokan.resources import Resources
from jiaokan.result import Correction
from jiaokan.textview import TextView, build_view
from jiaokan.witnesses import (
    SampledGrams, SharedPassage, WitnessSpan, _anchor_pairs, _Anchors, _chain_edges, _pair_chains, extend_chains, sample_grams,
)

#: readings that agree with the document on fewer units than this are not copies of it
MINIMUM_AGREEMENT = 0.75
#: when edits of two stages touch the same characters, the stage ranked first wins
STAGE_RANK = {CONSENSUS: 0, REPAIR: 1, NORMALISATION: 2}


# -- 1. views and sampled n-grams ------------------------------------------------------------

@dataclass(frozen=True)
class ViewedBatch:
    """A batch of documents' content views and, where witnesses are looked for, the batch's
    sampled n-grams (documents numbered within the batch)."""

    views: list[TextView]
    grams: SampledGrams | None


def view_documents(texts: Sequence[str], config: EngineConfig, sampling: int | None) -> ViewedBatch:
    """Each text's view and, unless ``sampling`` is None, the batch's n-grams, one in ``sampling`` kept."""
    views = [build_view(text) for text in texts]
    grams = None if sampling is None else sample_grams([view.units for view in views], config, sampling)
    return ViewedBatch(views, grams)


# -- 2. witness discovery --------------------------------------------------------------------

def extend_pair(first_units: str, second_units: str, job) -> list[tuple[int, int, int, int, int, int]]:
    """`jiaokan.witnesses.extend_chains` for one pair of documents given by their units."""
    first, second = job[0], job[1]
    return extend_chains({first: first_units, second: second_units}, job)


#: the columns of an anchor table (`anchor_table`): two documents (corpus-wide numbers, first <
#: second), the n-gram's first key in each and the view units it spans in each
ANCHOR_COLUMNS = ("first", "second", "first_position", "second_position", "first_start", "first_end", "second_start", "second_end")


def anchor_table(
    hashes: np.ndarray, documents: np.ndarray, positions: np.ndarray, starts: np.ndarray, ends: np.ndarray, max_documents: int,
) -> dict[str, np.ndarray]:
    """The anchor pairs among sampled n-grams that hold *every* occurrence of their hashes
    (one part of a shuffle by hash), as `ANCHOR_COLUMNS`: the pairs and their order are
    those `jiaokan.witnesses.find_shared_passages` finds over the whole corpus."""
    order = np.lexsort((positions, documents))  # document order, then key order (`SampledGrams`)
    grams = _grams_table(documents[order], positions[order], starts[order], ends[order])
    anchors = _anchor_pairs(hashes[order], grams.documents, grams.positions, max_documents)
    first = _locate(grams, anchors.first_documents, anchors.first_positions)
    second = _locate(grams, anchors.second_documents, anchors.second_positions)
    return {
        "first": anchors.first_documents, "second": anchors.second_documents,
        "first_position": anchors.first_positions, "second_position": anchors.second_positions,
        "first_start": grams.starts[first], "first_end": grams.ends[first],
        "second_start": grams.starts[second], "second_end": grams.ends[second],
    }


def chain_jobs(table: Mapping[str, np.ndarray], config: EngineConfig, sampling: int) -> list[tuple[int, int, list[tuple[int, int, int, int, int]]]]:
    """For the anchors of some pairs of documents (an `anchor_table` holding every anchor of
    those pairs: one part of a shuffle by pair), each pair's chains as (first, second,
    [(first start, first end, second start, second end, anchors)]), pairs in order: what
    `jiaokan.witnesses.find_shared_passages` hands `extend_chains`."""
    order = np.lexsort(tuple(table[column] for column in ("second_position", "first_position", "second", "first")))
    column = {name: np.asarray(values)[order] for name, values in table.items()}
    anchors = _Anchors(column["first"], column["second"], column["first_position"], column["second_position"])
    chains = list(_pair_chains(anchors, config, sampling))
    if not chains:
        return []
    located = _grams_table(
        np.concatenate((column["first"], column["second"])), np.concatenate((column["first_position"], column["second_position"])),
        np.concatenate((column["first_start"], column["second_start"])), np.concatenate((column["first_end"], column["second_end"])),
    )
    jobs: dict[tuple[int, int], list] = {}
    for (first, second, (_, _, count)), edges in zip(chains, _chain_edges(located, chains)):
        jobs.setdefault((first, second), []).append((*edges, count))
    return [(first, second, pair_chains) for (first, second), pair_chains in jobs.items()]


def _grams_table(documents: np.ndarray, positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> SampledGrams:
    """A `SampledGrams` holding only where each (document, key position) lies in the view,
    sorted and without repeats, for `_chain_edges` and `_locate`."""
    located = (documents.astype(np.int64) << 32) | positions.astype(np.int64)
    located, first = np.unique(located, return_index=True)
    empty = np.zeros(0, dtype=np.int32)
    return SampledGrams(empty.astype(np.uint64), documents[first], positions[first], starts[first], ends[first], empty, 0, 1)


def _locate(grams: SampledGrams, documents: np.ndarray, positions: np.ndarray) -> np.ndarray:
    located = (grams.documents.astype(np.int64) << 32) | grams.positions.astype(np.int64)
    return np.searchsorted(located, (documents.astype(np.int64) << 32) | positions.astype(np.int64))


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


# -- 3. collation ----------------------------------------------------------------------------

def collation_voters(name: str, spans: Sequence[WitnessSpan], reliability: Mapping[str, float]) -> dict[str, float]:
    """The reliability of ``name`` and of its witnesses (what collating it needs of the corpus's)."""
    voters = [name, *sorted({span.witness for span in spans})]
    return {voter: reliability[voter] for voter in voters if voter in reliability}


def collate_document(
    name: str, view: TextView, spans: Sequence[WitnessSpan], witness_units: Mapping[str, str],
    voters: Mapping[str, float], resources: Resources, config: EngineConfig,
) -> tuple[Collation, bytes]:
    """The collation of ``name`` against its witness spans (``witness_units``: each witness's
    view units; ``voters``: `collation_voters`) and its `settled_units`."""
    readings = collect_readings(view, witness_units, list(spans))
    return collate(name, view, readings, voters, resources, config), settled_units(len(view), readings)


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


# -- 4. confirmed terms ----------------------------------------------------------------------

def gather_confirmed_terms(collations) -> dict[str, ConfirmedTerm]:
    """variant -> the term several copies confirmed instead (the most supported, then first by name)."""
    confirmed: dict[str, ConfirmedTerm] = {}
    for collation in collations:
        for term in collation.confirmed_terms:
            current = confirmed.get(term.variant)
            if current is None or (term.copies, current.document, current.term) > (current.copies, term.document, term.term):
                confirmed[term.variant] = term
    return confirmed


# -- 5. finishing ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FinishingInput:
    """What finishing one document needs of the earlier phases."""

    name: str
    text: str
    view: TextView
    #: its collation and settled units (None: it has no witness)
    collation: tuple[Collation, bytes] | None
    #: its normalisation edits, if already made (None: made while finishing)
    normalisation: list[Edit] | None = None


def finish_documents(
    documents: Sequence[FinishingInput], confirmed: Mapping[str, ConfirmedTerm], resources: Resources, config: EngineConfig,
    prepare: Callable[[Correction], Any] | None = None,
) -> list:
    """Each document's `Correction`, or what ``prepare`` makes of it; the batch's pages are
    scanned together for what two single-copy rules look for (`jiaokan.repair.scan_pages`)."""
    collated = [document.collation or (Collation(), None) for document in documents]
    scans = scan_pages([(document.view.units, settled) for document, (_, settled) in zip(documents, collated)], resources, config)
    finished = []
    for document, (collation, settled), found in zip(documents, collated, scans):
        correction = finish_document(
            document.name, document.text, collation, confirmed, resources, config, document.view, settled, document.normalisation, found,
        )
        finished.append(prepare(correction) if prepare is not None else correction)
    return finished


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


def warm_up(resources: Resources, config: EngineConfig) -> None:
    """Build every lazily built table now (worker processes forked afterwards share them)."""
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
