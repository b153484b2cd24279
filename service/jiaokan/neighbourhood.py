"""The corpus stages over one neighbourhood of a stored corpus, the rest of the corpus given.

`jiaokan.runners.local.run_corpus` computes everything from the whole corpus at once. A store
(`jiaokan.store.witness_index`) keeps what that computation finds per document and per pair
— each document's sampled n-grams (`jiaokan.witnesses.sample_grams`: the same keys), the
passages each pair shares, each document's reliability and the terms its copies confirmed —
and, when a document comes or goes, recomputes only what that changes with these functions:
the passages of the pairs it is part of, then the collation and the finishing of the
documents whose witnesses changed. Each takes what it needs of the corpus as arguments (which
n-grams are anchors corpus-wide, the witnesses' units and reliability, the confirmed terms),
so the results are those `run_corpus` gives over the whole corpus (a test compares them).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from jiaokan.config import EngineConfig
from jiaokan.consensus import Collation, ConfirmedTerm, collate
from jiaokan.engine.stages import collation_voters, collect_readings, finish_document, gather_confirmed_terms, settled_units
from jiaokan.repair import scan_pages
from jiaokan.resources import Resources
from jiaokan.result import Correction
from jiaokan.textview import TextView
from jiaokan.witnesses import (
    SampledGrams, SharedPassage, _anchor_pairs, _chain_edges, _pair_chains, extend_chains, witnesses_by_document,
)


def pair_passages(
    first: tuple[str, str, SampledGrams], second: tuple[str, str, SampledGrams], anchors: np.ndarray, config: EngineConfig,
) -> list[SharedPassage]:
    """The passages two documents share, each given as (name, view units, its `SampledGrams`),
    as `jiaokan.witnesses.find_shared_passages` finds them in a corpus where the n-grams
    whose hashes are in ``anchors`` are those found in 2 to ``max_ngram_documents`` documents."""
    (first_name, first_units, first_grams), (second_name, second_units, second_grams) = sorted((first, second), key=lambda item: item[0])
    sampling = first_grams.sampling
    kept = [np.isin(grams.hashes, anchors) for grams in (first_grams, second_grams)]
    pair = SampledGrams(
        np.concatenate([first_grams.hashes[kept[0]], second_grams.hashes[kept[1]]]),
        np.repeat(np.array([0, 1], dtype=np.int32), [int(kept[0].sum()), int(kept[1].sum())]),
        *(np.concatenate([getattr(first_grams, column)[kept[0]], getattr(second_grams, column)[kept[1]]])
          for column in ("positions", "starts", "ends")),
        np.zeros(0, dtype=np.int32), 0, sampling,
    )
    chains = list(_pair_chains(_anchor_pairs(pair.hashes, pair.documents, pair.positions, 2), config, sampling))
    job_chains = [(*edges, count) for (_, _, (_, _, count)), edges in zip(chains, _chain_edges(pair, chains))]
    if not job_chains:
        return []
    units = {first_name: first_units, second_name: second_units}
    extended = extend_chains(units, (first_name, second_name, job_chains, config.min_passage_length))
    return [
        SharedPassage(first_name, first_start, first_end, second_name, second_start, second_end, count, keys, sampling)
        for first_start, first_end, second_start, second_end, count, keys in extended
    ]


def collate_document(
    name: str, view: TextView, passages: Sequence[SharedPassage], witness_units: Mapping[str, str],
    reliability: Mapping[str, float], resources: Resources, config: EngineConfig,
) -> tuple[Collation, bytes] | None:
    """The collation of ``name`` and its settled units (as `run_corpus` makes them) from every
    passage it shares (``passages``), its witnesses' units and the reliability of it and them;
    None without a witness."""
    spans = witnesses_by_document(passages).get(name)
    if not spans:
        return None
    voters = collation_voters(name, spans, reliability)
    readings = collect_readings(view, witness_units, spans)
    return collate(name, view, readings, voters, resources, config), settled_units(len(view), readings)


def confirmed_terms(terms: Sequence[ConfirmedTerm]) -> dict[str, ConfirmedTerm]:
    """variant -> the term the corpus confirmed (`jiaokan.engine.stages.gather_confirmed_terms` over
    the stored terms of every document)."""
    return gather_confirmed_terms([Collation(confirmed_terms=list(terms))])


def finish_documents(
    documents: Sequence[tuple[str, str, TextView, tuple[Collation, bytes] | None]],
    confirmed: Mapping[str, ConfirmedTerm], resources: Resources, config: EngineConfig,
) -> list[Correction]:
    """Each document's `Correction` from its (name, text, view, collation and settled units or
    None), the corpus's confirmed terms applied; the pages scanned together."""
    collated = [collation or (Collation(), None) for _, _, _, collation in documents]
    scans = scan_pages([(view.units, settled) for (_, _, view, _), (_, settled) in zip(documents, collated)], resources, config)
    return [
        finish_document(name, text, collation, confirmed, resources, config, view, settled, None, found)
        for (name, text, view, _), (collation, settled), found in zip(documents, collated, scans)
    ]
