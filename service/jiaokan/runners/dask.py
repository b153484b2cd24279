"""The Dask runner: the engine's stages (`jiaokan.engine.stages`) on a Dask distributed cluster.

The same phases as `jiaokan.runners.local`, as Dask work on the cluster's workers, with the
same results to the byte whatever the number of workers:

1. views and sampled n-grams, a task per batch of documents (the texts go with the task, so
   a worker lost mid-run is replaced by recomputing what it held);
2. witness discovery as two shuffles of a `dask.dataframe`: the sampled n-grams by hash
   (each part finds the anchor pairs of its hashes: `anchor_table`), then the anchors by
   pair of documents (each part chains its pairs' anchors: `chain_jobs`); the chains come
   back here, and each is extended in a task holding the two batches of views it joins;
   the passages and each document's reliability are gathered here (they are small);
3. collation, a task per batch of witnessed documents, holding the batches of its witnesses;
4. the confirmed terms, merged in a task;
5. finishing, a task per batch of documents asked for, making what ``prepare`` keeps of
   each (the output files' bytes for ``jiaokan clean``); they come back as they finish.

Heavy imports (dask, distributed, pandas) happen here only, when a run asks for a cluster.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping, Sequence

import numpy as np

from jiaokan.config import EngineConfig
from jiaokan.consensus import Collation, ConfirmedTerm
from jiaokan.engine.stages import (
    ANCHOR_COLUMNS, FinishingInput, ViewedBatch, anchor_table, chain_jobs, collate_document, collation_voters, estimate_reliability,
    extend_pair, finish_documents, gather_confirmed_terms, view_documents,
)
from jiaokan.errors import ConfigError
from jiaokan.resources import load_resources
from jiaokan.result import Correction
from jiaokan.runners.local import check_targets
from jiaokan.witnesses import SampledGrams, SharedPassage, WitnessSpan, sample_grams, sampling_rate, witnesses_by_document

#: documents per task (views, collation, finishing), at most: a task's inputs and results
#: stay well under a megabyte, and 10,000 pages make 79 tasks a phase
BATCH = 128
#: the columns of the chains table (`_chain_frame`), after `ANCHOR_COLUMNS`'s pair
CHAIN_COLUMNS = ("first", "second", "rank", "first_start", "first_end", "second_start", "second_end", "anchors")


@dataclass
class ClusterRunFacts:
    """What a cluster run measured, for the caller who asks (`run_corpus_on_cluster`'s ``facts``)."""

    #: bytes of the sampled n-grams shuffled by hash, and of the anchors shuffled by pair
    grams_shuffled: int = 0
    anchors_shuffled: int = 0
    passages: int = 0
    #: the scheduler's dashboard, if it has one
    dashboard: str | None = None
    #: seconds of each phase, as seen from here
    seconds: dict[str, float] = field(default_factory=dict)


def run_corpus_on_cluster(
    documents: Mapping[str, str],
    scheduler: Any,
    *,
    config: EngineConfig,
    only: Collection[str] | None = None,
    progress: Callable[[str, Any], None] | None = None,
    prepare: Callable[[Correction], Any] | None = None,
    facts: ClusterRunFacts | None = None,
) -> dict[str, Any]:
    """See `jiaokan.engine.correct_corpus` (``scheduler``: an address or a `distributed.Client`)."""
    import time

    names = sorted(documents)
    targets = check_targets(documents, only)
    facts = facts if facts is not None else ClusterRunFacts()
    if not targets:
        return {}
    client, owned = _client(scheduler)
    facts.dashboard = _dashboard(client)
    clock = time.perf_counter()
    try:
        size = _batch_size(len(names), len(client.scheduler_info()["workers"]))
        batches = [names[start:start + size] for start in range(0, len(names), size)]
        offsets = list(np.cumsum([0] + [len(batch) for batch in batches])[:-1].tolist())
        sampling = sampling_rate(sum(map(len, documents.values())), config) if len(names) > 1 else None
        viewed = [
            client.submit(view_documents, [documents[name] for name in batch], config, sampling, key=f"jiaokan-view-{index}-{_token(batch, config)}")
            for index, batch in enumerate(batches)
        ]
        facts.seconds["submitted"] = time.perf_counter() - clock
        passages = _discover(client, viewed, batches, offsets, names, sampling, config, facts) if sampling is not None else []
        facts.seconds["discovery"] = time.perf_counter() - clock
        facts.passages = len(passages)
        spans = witnesses_by_document(passages)
        reliability = estimate_reliability(passages, config)
        collated = _collate(client, viewed, batches, spans, reliability, config)
        confirmed = client.submit(_merged_confirmed_terms, [collated[index] for index in sorted(collated)], key=f"jiaokan-confirmed-{_token(names, config)}")
        results = _finish(client, viewed, batches, collated, confirmed, set(targets), config, prepare, progress)
        facts.seconds["finished"] = time.perf_counter() - clock
        return {name: results[name] for name in targets}
    finally:
        if owned:
            client.close()


def _batch_size(documents: int, workers: int) -> int:
    """Documents per task: `BATCH`, or fewer so that each worker has four tasks a phase
    (the results do not depend on it)."""
    return max(1, min(BATCH, math.ceil(documents / (4 * max(workers, 1)))))


def connect(address: str, timeout: str = "10s"):
    """A `distributed.Client` of the scheduler at ``address``; `ConfigError` when dask is not
    installed or the scheduler cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("a cluster run needs dask and distributed: pip install 'jiaokan[cluster]'") from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def _client(scheduler):
    """A `distributed.Client` for ``scheduler`` (an address, or a client given by the caller),
    and whether this run made it (and so closes it)."""
    if isinstance(scheduler, str):
        return connect(scheduler), True
    return scheduler, False


def _dashboard(client) -> str | None:
    try:
        return client.dashboard_link
    except Exception:  # noqa: BLE001 (no dashboard: bokeh missing, or the scheduler has none)
        return None


def _token(items: Sequence[str], config: EngineConfig) -> str:
    """A short digest naming a run's tasks (the same inputs give the same keys)."""
    import hashlib

    digest = hashlib.sha256(config.fingerprint().encode())
    for item in items:
        digest.update(item.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:12]


# -- 2. witness discovery ----------------------------------------------------------------------

def _discover(client, viewed, batches, offsets, names, sampling, config, facts) -> list[SharedPassage]:
    """The corpus's shared passages, in the order `jiaokan.witnesses.find_shared_passages` gives them."""
    import dask
    import dask.dataframe as dataframe

    keys = sum(client.gather([client.submit(_key_count, part) for part in viewed]))
    if sampling_rate(keys, config) != sampling:  # the characters' count said otherwise than the keys': sample again
        sampling = sampling_rate(keys, config)
        grams = [client.submit(_resampled, part, config, sampling) for part in viewed]
    else:
        grams = viewed
    frames = dataframe.from_delayed(
        [dask.delayed(_grams_frame)(part, offset) for part, offset in zip(grams, offsets)], meta=_grams_frame(None, 0), verify_meta=False,
    )
    partitions = max(1, len(batches))
    anchors = frames.shuffle(on="hash", npartitions=partitions).map_partitions(_anchor_frame, config.max_ngram_documents, meta=_empty_anchors())
    chains = anchors.shuffle(on=["first", "second"], npartitions=partitions).map_partitions(_chain_frame, config, sampling, meta=_empty_chains())
    table, grams_bytes, anchor_bytes = dask.compute(chains, frames.map_partitions(_frame_bytes).sum(), anchors.map_partitions(_frame_bytes).sum())
    facts.grams_shuffled, facts.anchors_shuffled = int(grams_bytes), int(anchor_bytes)
    return _extend(client, viewed, batches, offsets, names, table, sampling, config)


def _key_count(part: ViewedBatch) -> int:
    return part.grams.keys if part.grams is not None else 0


def _resampled(part: ViewedBatch, config: EngineConfig, sampling: int) -> ViewedBatch:
    return ViewedBatch(part.views, sample_grams([view.units for view in part.views], config, sampling))


def _grams_frame(part: ViewedBatch | None, offset: int):
    """A batch's sampled n-grams as a table, documents numbered corpus-wide."""
    import pandas

    grams = part.grams if part is not None else None
    if grams is None:
        grams = SampledGrams(*(np.zeros(0, dtype=dtype) for dtype in (np.uint64, np.int32, np.int32, np.int32, np.int32, np.int32)), 0, 1)
    return pandas.DataFrame({
        "hash": grams.hashes, "document": (grams.documents + np.int32(offset)).astype(np.int32),
        "position": grams.positions, "start": grams.starts, "end": grams.ends,
    })


def _anchor_frame(frame, max_documents: int):
    import pandas

    table = anchor_table(
        frame["hash"].to_numpy(), frame["document"].to_numpy(), frame["position"].to_numpy(),
        frame["start"].to_numpy(), frame["end"].to_numpy(), max_documents,
    )
    return pandas.DataFrame({column: table[column].astype(np.int32) for column in ANCHOR_COLUMNS})


def _empty_anchors():
    import pandas

    return pandas.DataFrame({column: np.zeros(0, dtype=np.int32) for column in ANCHOR_COLUMNS})


def _chain_frame(frame, config: EngineConfig, sampling: int):
    """The chains of the pairs of documents in this part of the shuffle (each pair's anchors are all here)."""
    import pandas

    rows = [
        (first, second, rank, *chain)
        for first, second, chains in chain_jobs({column: frame[column].to_numpy() for column in ANCHOR_COLUMNS}, config, sampling)
        for rank, chain in enumerate(chains)
    ]
    if not rows:
        return _empty_chains()
    columns = np.array(rows, dtype=np.int64).T
    return pandas.DataFrame({column: values for column, values in zip(CHAIN_COLUMNS, columns)})


def _empty_chains():
    import pandas

    return pandas.DataFrame({column: np.zeros(0, dtype=np.int64) for column in CHAIN_COLUMNS})


def _frame_bytes(frame) -> int:
    import pandas

    return pandas.Series([int(frame.memory_usage(index=False).sum())])


def _extend(client, viewed, batches, offsets, names, table, sampling, config) -> list[SharedPassage]:
    """Each chain grown into a passage, in a task per pair of batches holding the two
    documents' views; passages in pair order, then chain order (as found over the whole corpus)."""
    table = table.sort_values(["first", "second", "rank"], kind="stable")
    batch_of = np.repeat(np.arange(len(batches)), [len(batch) for batch in batches])
    jobs: dict[tuple[int, int], list] = defaultdict(list)
    pair_chains: dict[tuple[int, int], list] = defaultdict(list)
    for row in table[list(CHAIN_COLUMNS)].itertuples(index=False, name=None):
        first, second, _, *chain = row
        pair_chains[(first, second)].append(tuple(chain))
    for (first, second), chains in pair_chains.items():
        jobs[(int(batch_of[first]), int(batch_of[second]))].append((names[first], names[second], chains, config.min_passage_length))
    futures = {
        (first_batch, second_batch): client.submit(
            _extend_jobs, viewed[first_batch], viewed[second_batch], batches[first_batch], batches[second_batch], batch_jobs,
        )
        for (first_batch, second_batch), batch_jobs in jobs.items()
    }
    extended: dict[tuple[str, str], list] = {}
    for (first_batch, second_batch), results in zip(futures, client.gather(list(futures.values()))):
        for job, passages in zip(jobs[(first_batch, second_batch)], results):
            extended[(job[0], job[1])] = passages
    passages = []
    for first, second in pair_chains:  # pair order: the order of document numbers, which is name order
        passages += [
            SharedPassage(names[first], first_start, first_end, names[second], second_start, second_end, count, keys, sampling)
            for first_start, first_end, second_start, second_end, count, keys in extended[(names[first], names[second])]
        ]
    return passages


def _extend_jobs(first_part: ViewedBatch, second_part: ViewedBatch, first_names: list[str], second_names: list[str], jobs) -> list:
    units = {name: view.units for name, view in zip(first_names, first_part.views)}
    units.update((name, view.units) for name, view in zip(second_names, second_part.views))
    return [extend_pair(units[job[0]], units[job[1]], job) for job in jobs]


# -- 3, 4. collation and confirmed terms -------------------------------------------------------

def _collate(client, viewed, batches, spans: Mapping[str, list[WitnessSpan]], reliability, config) -> dict[int, Any]:
    """A task per batch with witnessed documents: their collations, by name."""
    batch_of = {name: index for index, batch in enumerate(batches) for name in batch}
    collated = {}
    for index, batch in enumerate(batches):
        jobs = [(name, spans[name], collation_voters(name, spans[name], reliability)) for name in batch if name in spans]
        if not jobs:
            continue
        witness_batches = sorted({batch_of[span.witness] for _, document_spans, _ in jobs for span in document_spans})
        collated[index] = client.submit(
            _collate_batch, viewed[index], batch, jobs, config, witness_batches,
            *[viewed[witness] for witness in witness_batches], *[batches[witness] for witness in witness_batches],
        )
    return collated


def _collate_batch(part: ViewedBatch, names: list[str], jobs, config: EngineConfig, witness_batches: list[int], *witnesses) -> dict[str, tuple[Collation, bytes]]:
    parts, witness_names = witnesses[:len(witness_batches)], witnesses[len(witness_batches):]
    units = {name: view.units for batch_part, batch_names in zip(parts, witness_names) for name, view in zip(batch_names, batch_part.views)}
    views = dict(zip(names, part.views))
    resources = load_resources(config.extra_terms)  # once per worker process: it caches them
    collations = {}
    for name, document_spans, voters in jobs:
        witness_units = {span.witness: units[span.witness] for span in document_spans}
        collations[name] = collate_document(name, views[name], document_spans, witness_units, voters, resources, config)
    return collations


def _merged_confirmed_terms(collated: list[dict[str, tuple[Collation, bytes]]]) -> dict[str, ConfirmedTerm]:
    """`gather_confirmed_terms` over every collation, in name order (batches in order, names in order within)."""
    return gather_confirmed_terms(collation for collations in collated for _, (collation, _) in sorted(collations.items()))


# -- 5. finishing ------------------------------------------------------------------------------

def _finish(client, viewed, batches, collated, confirmed, targets: set[str], config, prepare, progress) -> dict[str, Any]:
    """A task per batch with documents asked for; their results as the tasks finish."""
    from distributed import as_completed

    futures = {}
    for index, batch in enumerate(batches):
        wanted = [position for position, name in enumerate(batch) if name in targets]
        if wanted:
            future = client.submit(_finish_batch, viewed[index], batch, wanted, collated.get(index), confirmed, config, prepare)
            futures[future] = [batch[position] for position in wanted]
    results: dict[str, Any] = {}
    for future, finished in as_completed(futures, with_results=True):
        for name, result in zip(futures[future], finished):
            results[name] = result
            if progress is not None:
                progress(name, result)
    return results


def _finish_batch(part: ViewedBatch, names: list[str], wanted: list[int], collations, confirmed, config: EngineConfig, prepare) -> list:
    collations = collations or {}
    documents = [
        FinishingInput(names[position], part.views[position].original, part.views[position], collations.get(names[position]))
        for position in wanted
    ]
    return finish_documents(documents, confirmed, load_resources(config.extra_terms), config, prepare)

