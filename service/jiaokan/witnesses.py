"""Finding witnesses: the passages two documents share, however much else each page carries.

Every document's content view is cut into character n-grams (letters, digits and Han
only, so punctuation noise does not break them). One n-gram in ``ngram_sampling`` is
kept, chosen by its hash, so every copy of a passage keeps the same ones. An n-gram
that occurs once in each of two to ``max_ngram_documents`` documents is an anchor
between them; anchors that follow each other on roughly the same diagonal form a
chain, and a chain long enough is a shared passage (as passim does, with character
n-grams because Chinese has no spaces). The work grows with the number of shared
n-grams, not with the square of the number of documents.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from jiaokan.config import EngineConfig
from jiaokan.matching import code_points, gram_hashes



@dataclass(frozen=True)
class SharedPassage:
    """View units ``[first_start, first_end)`` of ``first`` match ``[second_start, second_end)`` of ``second``."""

    first: str
    first_start: int
    first_end: int
    second: str
    second_start: int
    second_end: int
    anchors: int
    #: letters, digits and Han among the first document's units of the passage
    first_keys: int
    #: one n-gram in this many was indexed when the anchors were counted
    sampling: int = 1

    def seen_from(self, name: str) -> "WitnessSpan":
        """This passage as a witness of document ``name``."""
        if name == self.first:
            return WitnessSpan(self.first_start, self.first_end, self.second, self.second_start, self.second_end)
        return WitnessSpan(self.second_start, self.second_end, self.first, self.first_start, self.first_end)


class WitnessSpan(NamedTuple):
    """Units ``[start, end)`` of a document are witnessed by ``[witness_start, witness_end)`` of
    ``witness`` (a named tuple: tens of thousands are made while the workers wait for them)."""

    start: int
    end: int
    witness: str
    witness_start: int
    witness_end: int


@dataclass
class _KeyedView:
    """The letters-and-Han projection of a view, with each key's index in the view."""

    keys: str
    positions: np.ndarray


@cache
def _key_table() -> np.ndarray:
    """For every code point of the Basic Multilingual Plane, whether it is a key (``str.isalnum``)."""
    return np.array([chr(code).isalnum() for code in range(0x10000)], dtype=bool)


def key_mask(units: str) -> np.ndarray:
    """Whether each unit is a key: a letter, digit or Han (a table lookup in numpy, not a
    Python loop: this runs over the whole corpus)."""
    codes = np.frombuffer(units.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # JSON may carry lone surrogates
    mask = _key_table()[np.minimum(codes, 0xFFFF)]
    beyond = np.flatnonzero(codes > 0xFFFF)
    if len(beyond):  # rare characters outside the BMP (CJK extension B and later)
        mask[beyond] = [units[index].isalnum() for index in beyond.tolist()]
    return mask


def _keyed(units: str) -> _KeyedView:
    """Letters, digits and Han of ``units`` with their positions."""
    mask = key_mask(units)
    codes = np.frombuffer(units.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _KeyedView(codes[mask].tobytes().decode("utf-32-le"), np.flatnonzero(mask))


#: corpora smaller than this many characters keep every n-gram (short texts need every anchor)
FULL_SAMPLING_LIMIT = 200_000


def sampling_rate(total_characters: int, config: EngineConfig) -> int:
    """One n-gram in how many is kept for a corpus of this size."""
    return 1 if total_characters < FULL_SAMPLING_LIMIT else config.ngram_sampling


def _sampled_anchors(keys: Sequence[str], config: EngineConfig, sampling: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hashes, documents and key positions of the sampled n-grams that occur once in their
    document, document by document, and their order by hash (stable: within a hash, in
    document order): all the documents hashed at once, in numpy."""
    size = config.ngram_size
    lengths = np.array([len(text) for text in keys], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    hashes = gram_hashes(code_points("".join(keys)), size)
    documents = np.repeat(np.arange(len(keys)), lengths)[:len(hashes)]
    positions = np.arange(len(hashes)) - offsets[documents]
    keep = (positions + size <= lengths[documents]) & ((hashes >> np.uint64(40)) % np.uint64(sampling) == 0)  # not across documents
    hashes, documents, positions = hashes[keep], documents[keep], positions[keep]
    if len(hashes) == 0:
        return hashes, documents, positions, np.zeros(0, dtype=np.int64)
    order = np.argsort(hashes, kind="stable")  # stable: within an n-gram, in document order
    repeated = (hashes[order][1:] == hashes[order][:-1]) & (documents[order][1:] == documents[order][:-1])
    once = ~(np.concatenate(([False], repeated)) | np.concatenate((repeated, [False])))
    kept = np.sort(order[once])  # back in document order
    return hashes[kept], documents[kept], positions[kept], np.searchsorted(kept, order[once])


@dataclass(frozen=True)
class SampledGrams:
    """The sampled n-grams of some documents that occur once in their document, in document
    order, then key order: the part of discovery each document gives alone (`sample_grams`,
    in any process, for any batch of documents; `join_grams` puts batches together)."""

    hashes: np.ndarray  # uint64
    documents: np.ndarray  # the document's index among those sampled (int32)
    positions: np.ndarray  # the n-gram's first key, as an index among its document's keys (int32)
    starts: np.ndarray  # the view unit of its first key (int32)
    ends: np.ndarray  # one past the view unit of its last key (int32)
    #: the grams in order of hash (stable: within a hash, in document order), batch by batch:
    #: joined batches give sorted runs, which `by_hash` merges
    hash_runs: np.ndarray
    keys: int  # keys in all the documents sampled (`sampling_rate` depends on it)
    sampling: int  # one n-gram in this many was kept

    def by_hash(self) -> np.ndarray:
        """The grams' order by hash, stable (numpy's stable sort, a timsort, merges the
        batches' sorted runs at a fraction of sorting the hashes afresh)."""
        return self.hash_runs[np.argsort(self.hashes[self.hash_runs], kind="stable")]


def sample_grams(views: Sequence[str], config: EngineConfig, sampling: int | None = None) -> SampledGrams:
    """`SampledGrams` of ``views`` (view units), one n-gram in ``sampling`` kept (None: as
    many as the size of ``views``, the whole corpus, asks for: `sampling_rate`)."""
    keyed = [_keyed(units) for units in views]
    key_counts = np.array([len(view.keys) for view in keyed], dtype=np.int64)
    sampling = sampling_rate(int(key_counts.sum()), config) if sampling is None else sampling
    hashes, documents, positions, by_hash = _sampled_anchors([view.keys for view in keyed], config, sampling)
    key_offsets = np.concatenate(([0], np.cumsum(key_counts)))
    view_positions = np.concatenate([view.positions for view in keyed]) if keyed else np.zeros(0, dtype=np.int64)
    first_keys = key_offsets[documents] + positions
    return SampledGrams(
        hashes, documents.astype(np.int32), positions.astype(np.int32),
        view_positions[first_keys].astype(np.int32), (view_positions[first_keys + config.ngram_size - 1] + 1).astype(np.int32),
        by_hash.astype(np.int32), int(key_counts.sum()), sampling,
    )


def join_grams(parts: Sequence[SampledGrams], counts: Sequence[int]) -> SampledGrams:
    """The `SampledGrams` of consecutive batches of documents as one (``counts``: how many
    documents each batch sampled; all at the same sampling)."""
    offsets = np.concatenate(([0], np.cumsum(counts)))[:-1]
    firsts = np.concatenate(([0], np.cumsum([len(part.hashes) for part in parts])))[:-1]  # where each batch's grams begin
    return SampledGrams(
        np.concatenate([part.hashes for part in parts]),
        np.concatenate([part.documents + np.int32(offset) for part, offset in zip(parts, offsets)]),
        np.concatenate([part.positions for part in parts]),
        np.concatenate([part.starts for part in parts]),
        np.concatenate([part.ends for part in parts]),
        np.concatenate([part.hash_runs + np.int32(first) for part, first in zip(parts, firsts)]),
        sum(part.keys for part in parts),
        parts[0].sampling,
    )


def find_shared_passages(
    views: Mapping[str, str], config: EngineConfig, mapper: Mapper | None = None, grams: SampledGrams | None = None,
) -> list[SharedPassage]:
    """Every passage shared by two documents of ``views`` (name -> view units).

    ``mapper(jobs)`` runs `extend_chains` on each job (a pair of documents, by name) where the
    caller wants (worker processes that hold the views; by default here, in order): it is
    most of the work and needs two texts only. ``grams``, if given, are the views'
    `SampledGrams` in name order, made beforehand (by worker processes, batch by batch);
    they are used when sampled as the corpus's size asks (`sampling_rate`), else made again.
    """
    names = sorted(views)
    if grams is None or grams.sampling != sampling_rate(grams.keys, config):
        grams = sample_grams([views[name] for name in names], config)
    sampling = grams.sampling
    anchors = _anchor_pairs(grams.hashes, grams.documents, grams.positions, config.max_ngram_documents, grams.by_hash())
    chains = list(_pair_chains(anchors, config, sampling))
    chains_by_pair: dict[tuple[int, int], list[tuple[int, int, int, int, int]]] = defaultdict(list)
    for (first, second, (_, _, count)), edges in zip(chains, _chain_edges(grams, chains)):
        chains_by_pair[(first, second)].append((*edges, count))
    pairs = list(chains_by_pair)
    jobs = [(names[first], names[second], chains_by_pair[(first, second)], config.min_passage_length) for first, second in pairs]
    if mapper is None:
        mapper = lambda jobs: [extend_chains(views, job) for job in jobs]  # noqa: E731
    passages = []
    for (first, second), extended in zip(pairs, mapper(jobs)):
        passages += [
            SharedPassage(names[first], first_start, first_end, names[second], second_start, second_end, count, keys, sampling)
            for first_start, first_end, second_start, second_end, count, keys in extended
        ]
    return passages


def _chain_edges(grams: SampledGrams, chains: list[tuple[int, int, tuple[tuple[int, int], tuple[int, int], int]]]) -> list[tuple[int, int, int, int]]:
    """For each (first document, second document, chain), the view units its anchors span in
    each document: from the first anchor's first key to one past the last anchor's last key
    (looked up among the grams, which are in document order, then key order)."""
    if not chains:
        return []
    located = (grams.documents.astype(np.int64) << 32) | grams.positions.astype(np.int64)

    def index(documents: list[int], positions: list[int]) -> np.ndarray:
        return np.searchsorted(located, (np.array(documents, dtype=np.int64) << 32) | np.array(positions, dtype=np.int64))

    firsts, seconds = [first for first, _, _ in chains], [second for _, second, _ in chains]
    edges = (
        grams.starts[index(firsts, [head[0] for _, _, (head, _, _) in chains])],
        grams.ends[index(firsts, [tail[0] for _, _, (_, tail, _) in chains])],
        grams.starts[index(seconds, [head[1] for _, _, (head, _, _) in chains])],
        grams.ends[index(seconds, [tail[1] for _, _, (_, tail, _) in chains])],
    )
    return list(zip(*(edge.tolist() for edge in edges)))


#: runs `extend_chains` over a list of jobs, giving the results in order
Mapper = Callable[[list], Iterable]


def extend_chains(views: Mapping[str, str], job) -> list[tuple[int, int, int, int, int, int]]:
    """The passages of one pair of documents (``job``: their names, their chains, the shortest
    passage): each chain's anchored stretch grown to where the copies stop agreeing, as
    (first start, first end, second start, second end, anchors, keys in the first's stretch)."""
    first, second, chains, minimum_length = job
    first_units, second_units = views[first], views[second]
    passages = []
    for first_start, first_end, second_start, second_end, count in chains:
        edges = _extended_edges(first_units, second_units, first_start, first_end, second_start, second_end)
        if min(edges[1] - edges[0], edges[3] - edges[2]) >= minimum_length:
            passages.append((*edges, count, int(np.count_nonzero(key_mask(first_units[edges[0]:edges[1]])))))
    return passages


@dataclass(frozen=True)
class _Anchors:
    """Anchor pairs sorted by (first document, second document, first position): an n-gram
    at ``first_positions[i]`` of document ``first_documents[i]`` and at ``second_positions[i]``
    of ``second_documents[i]`` (first document < second document)."""

    first_documents: np.ndarray
    second_documents: np.ndarray
    first_positions: np.ndarray
    second_positions: np.ndarray


def _anchor_pairs(hashes: np.ndarray, documents: np.ndarray, positions: np.ndarray, max_documents: int, order: np.ndarray | None = None) -> _Anchors:
    """Every pair of occurrences of an n-gram found in 2 to ``max_documents`` documents, in
    numpy: no loop over n-grams. The occurrences come document by document, in document
    order, and each n-gram occurs at most once per document (as `_sampled_anchors` gives them);
    ``order``, if known, is their order by hash, stable."""
    if order is None:
        order = np.argsort(hashes, kind="stable")  # stable: within an n-gram, documents stay in order
    hashes, documents, positions = hashes[order], documents[order], positions[order]
    group_starts = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1]))) if len(hashes) else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.concatenate((group_starts, [len(hashes)])))
    wanted = (sizes >= 2) & (sizes <= max_documents)
    kept = np.repeat(wanted, sizes)
    documents, positions = documents[kept], positions[kept]
    kept_sizes = sizes[wanted]
    following = np.repeat(np.cumsum(kept_sizes), kept_sizes) - np.arange(len(documents)) - 1  # later occurrences of the same n-gram
    firsts, seconds = [], []
    index, distance = np.flatnonzero(following >= 1), 1
    while len(index):  # each occurrence with the one ``distance`` after it, while the n-gram has one
        firsts.append(index)
        seconds.append(index + distance)
        distance += 1
        index = index[following[index] >= distance]
    first = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)
    second = np.concatenate(seconds) if seconds else np.zeros(0, dtype=np.int64)
    pair_order = _pair_order(documents[first], documents[second], positions[first], positions[second])
    first, second = first[pair_order], second[pair_order]
    return _Anchors(documents[first], documents[second], positions[first], positions[second])


def _pair_order(first_documents, second_documents, first_positions, second_positions) -> np.ndarray:
    """The order of anchor pairs by (first document, second document, first position, second
    position): one 64-bit key when it fits (a single sort), else lexsort."""
    if len(first_documents) == 0:
        return np.zeros(0, dtype=np.int64)
    documents = int(max(first_documents.max(), second_documents.max())) + 1
    first_span, second_span = int(first_positions.max()) + 1, int(second_positions.max()) + 1
    if documents * documents * first_span * second_span < 2**62:
        key = ((first_documents.astype(np.int64) * documents + second_documents) * first_span + first_positions) * second_span + second_positions
        return np.argsort(key)
    return np.lexsort((second_positions, first_positions, second_documents, first_documents))


def _pair_chains(anchors: _Anchors, config: EngineConfig, sampling: int):
    """(first document, second document, chain) for every chain of anchors, pair by pair, each
    chain as its first anchor, its last and how many it holds.

    Most pairs share one passage whose anchors advance together from first to last: those
    are recognised in numpy as a whole and become one chain without a Python loop; the
    rest go through `_chains`."""
    count = len(anchors.first_documents)
    if count == 0:
        return
    new_pair = np.concatenate(([True], (anchors.first_documents[1:] != anchors.first_documents[:-1]) | (anchors.second_documents[1:] != anchors.second_documents[:-1])))
    starts = np.flatnonzero(new_pair)
    ends = np.concatenate((starts[1:], [count]))
    first_step = np.diff(anchors.first_positions)
    second_step = np.diff(anchors.second_positions)
    gap = config.max_anchor_gap
    follows = (first_step > 0) & (first_step <= gap) & (second_step > 0) & (second_step <= gap) & (np.abs(second_step - first_step) <= np.maximum(8, first_step // 4))
    breaks = np.concatenate(([0], np.cumsum(~follows & ~new_pair[1:])))  # breaks[i]: non-following steps up to anchor i
    simple = breaks[ends - 1] == breaks[starts]
    minimum = config.min_anchors * max(config.ngram_sampling // sampling, 1)  # the same evidence at any sampling
    first_positions, second_positions = anchors.first_positions.tolist(), anchors.second_positions.tolist()
    for start, end, is_simple, first, second in zip(starts.tolist(), ends.tolist(), simple.tolist(), anchors.first_documents[starts].tolist(), anchors.second_documents[starts].tolist()):
        if is_simple:  # one chain of all the pair's anchors: no need to list them
            if end - start >= minimum:
                yield first, second, ((first_positions[start], second_positions[start]), (first_positions[end - 1], second_positions[end - 1]), end - start)
            continue
        for chain in _chains(list(zip(first_positions[start:end], second_positions[start:end])), config, sampling):
            yield first, second, (chain[0], chain[-1], len(chain))


def _chains(anchors: list[tuple[int, int]], config: EngineConfig, sampling: int) -> list[list[tuple[int, int]]]:
    """Group anchors into chains that advance together in both documents."""
    anchors.sort()
    open_chains: list[list[tuple[int, int]]] = []
    finished: list[list[tuple[int, int]]] = []
    gap = config.max_anchor_gap
    for first, second in anchors:
        best, best_drift = None, None
        still_open = []
        for chain in open_chains:
            last_first, last_second = chain[-1]
            if first - last_first > gap:
                finished.append(chain)
                continue
            still_open.append(chain)
            step = first - last_first
            if step <= 0 or not 0 < second - last_second <= gap:
                continue
            drift = abs((second - last_second) - step)
            if drift <= max(8, step // 4) and (best_drift is None or drift < best_drift):
                best, best_drift = chain, drift
        open_chains = still_open
        if best is None:
            open_chains.append([(first, second)])
        else:
            best.append((first, second))
    finished.extend(open_chains)
    minimum = config.min_anchors * max(config.ngram_sampling // sampling, 1)  # the same evidence at any sampling
    return _merge_neighbours([chain for chain in finished if len(chain) >= minimum], 2 * gap)


def _merge_neighbours(chains: list[list[tuple[int, int]]], gap: int) -> list[list[tuple[int, int]]]:
    """Join chains that follow each other in both documents with a short gap between:
    the gap is a replaced block, an inserted running title or a repeated sentence,
    which the vote should see rather than a passage boundary. A chain matching
    elsewhere (the same title printed at the top of the other page) may sit between."""
    merged: list[list[tuple[int, int]]] = []
    for chain in sorted(chains):
        first, second = chain[0]
        end_first, end_second = chain[-1]
        for candidate in reversed(merged):
            last_first, last_second = candidate[-1]
            # the next chain may restart a little behind in one document: that one printed a
            # stretch twice, which the alignment will show as an insertion
            follows = -gap <= first - last_first <= gap and -gap <= second - last_second <= gap
            if follows and end_first > last_first and end_second > last_second and (first > last_first or second > last_second):
                candidate.extend(chain)
                break
        else:
            merged.append(list(chain))
    return merged


def _extended_edges(first_units: str, second_units: str, first_start: int, first_end: int, second_start: int, second_end: int) -> tuple[int, int, int, int]:
    first_start, second_start = _extend(first_units, second_units, first_start, second_start, -1)
    first_end, second_end = _extend(first_units, second_units, first_end, second_end, 1)
    first_start, second_start = _extend_by_alignment(first_units, second_units, first_start, second_start, -1)
    first_end, second_end = _extend_by_alignment(first_units, second_units, first_end, second_end, 1)
    new_first, new_second = _repeats_before(first_units, first_start), _repeats_before(second_units, second_start)
    if new_first != first_start and new_second == second_start:
        new_second = _skip_marks(second_units, second_start)  # the other copy's passage opens where the repeated text does
    elif new_second != second_start and new_first == first_start:
        new_first = _skip_marks(first_units, first_start)
    return new_first, first_end, new_second, second_end


def _skip_marks(units: str, start: int) -> int:
    """``start`` moved past up to two marks (the end of the sentence before a passage)."""
    for _ in range(2):
        if start < len(units) and not units[start].isalnum():
            start += 1
    return start


#: a passage's opening printed again right before it: found by its first units (exactly) within
#: this reach, and as alike as this (0-100) over the whole repeated stretch
_REPEAT_PROBE = 8
_REPEAT_REACH = 300
_REPEAT_SIMILARITY = 90


def _repeats_before(units: str, start: int) -> int:
    """A passage start moved back over copies of its opening printed right before it (an
    article's first sentence printed two or three times): the other copies' alignment then
    shows them as text this document has twice, which the vote removes. Anchors cannot
    reach them, since their n-grams are not unique in the document."""
    while True:
        opening = _skip_marks(units, start)  # the probe starts at a letter, digit or Han (the mark before may differ)
        probe = units[opening:opening + _REPEAT_PROBE]
        if len(probe) < _REPEAT_PROBE:
            return start
        earlier = units.rfind(probe, max(0, opening - _REPEAT_REACH), opening)
        length = opening - earlier
        if earlier < 0 or length < _REPEAT_PROBE or fuzz.ratio(units[earlier:opening], units[opening:opening + length]) < _REPEAT_SIMILARITY:
            return start
        marks = units[start:opening]
        start = earlier - len(marks) if earlier >= len(marks) and units[earlier - len(marks):earlier] == marks else earlier


#: how far past its outermost anchor a passage may grow, and how many matches must follow a mismatch
_EXTENSION_LIMIT = 400
_RESYNC = 3


def _extend(first: str, second: str, first_edge: int, second_edge: int, step: int) -> tuple[int, int]:
    """Grow a passage edge outward over matching units, across isolated substitutions,
    insertions and deletions (each must be followed by a few matches)."""
    reach = _EXTENSION_LIMIT + _RESYNC + 2
    second_reach = 2 * reach  # skipped insertions can take the second text further than the first
    if step > 0:
        ahead_first, ahead_second = first[first_edge:first_edge + reach], second[second_edge:second_edge + second_reach]
    else:
        ahead_first = first[max(0, first_edge - reach):first_edge][::-1]
        ahead_second = second[max(0, second_edge - second_reach):second_edge][::-1]
    good_a, good_b = _matched_run(ahead_first, ahead_second)
    return (first_edge + good_a, second_edge + good_b) if step > 0 else (first_edge - good_a, second_edge - good_b)


def _matched_run(first: str, second: str) -> tuple[int, int]:
    """How far ``first`` and ``second`` run on together from their starts (up to
    `_EXTENSION_LIMIT` units of ``first``), ending on a match."""

    def resynchronises(a: int, b: int) -> bool:
        piece = first[a:a + _RESYNC]
        return len(piece) == _RESYNC and piece == second[b:b + _RESYNC]

    a = b = 0
    good_a = good_b = 0
    while a < _EXTENSION_LIMIT and a < len(first) and b < len(second):
        same = _common_prefix_length(first, second, a, b)
        if same:
            a, b = a + same, b + same
            good_a, good_b = a, b
            continue
        for skip_a, skip_b in ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2)):
            if resynchronises(a + skip_a, b + skip_b):
                a, b = a + skip_a, b + skip_b
                break
        else:
            break
    if good_a > _EXTENSION_LIMIT:  # the last run crossed the limit: stop where the limit is
        good_b -= good_a - _EXTENSION_LIMIT
        good_a = _EXTENSION_LIMIT
    return good_a, good_b


def _common_prefix_length(first: str, second: str, a: int, b: int) -> int:
    """Length of the common prefix of ``first[a:]`` and ``second[b:]`` (slice comparisons
    in a binary search: C speed on long matching runs)."""
    low, high = 0, min(len(first) - a, len(second) - b)
    while low < high:
        middle = (low + high + 1) // 2
        if first[a:a + middle] == second[b:b + middle]:
            low = middle
        else:
            high = middle - 1
    return low


#: how far an edge is searched by alignment, and how alike the stretch must be to join the passage
_ALIGNMENT_REACH = 80
_ALIGNMENT_AGREEMENT = 0.7


def _extend_by_alignment(first: str, second: str, first_edge: int, second_edge: int, step: int) -> tuple[int, int]:
    """Grow an edge over a stretch too noisy for `_extend` (several errors close together):
    align the next units of both documents and keep the longest stretch that ends in a
    match and agrees on at least 70% of its units. Unrelated text agrees on a few percent."""
    while True:
        if step > 0:
            first_piece = first[first_edge:first_edge + _ALIGNMENT_REACH]
            second_piece = second[second_edge:second_edge + _ALIGNMENT_REACH]
        else:
            first_piece = first[max(0, first_edge - _ALIGNMENT_REACH):first_edge][::-1]
            second_piece = second[max(0, second_edge - _ALIGNMENT_REACH):second_edge][::-1]
        if not first_piece or not second_piece:
            return first_edge, second_edge
        best = (0, 0)
        matched = 0
        for operation in Levenshtein.opcodes(first_piece, second_piece):
            if operation.tag != "equal":
                continue
            matched += operation.src_end - operation.src_start
            if matched >= 3 and matched >= _ALIGNMENT_AGREEMENT * max(operation.src_end, operation.dest_end):
                best = (operation.src_end, operation.dest_end)
        if best == (0, 0):
            return first_edge, second_edge
        first_edge, second_edge = first_edge + step * best[0], second_edge + step * best[1]


def witnesses_by_document(passages: Sequence[SharedPassage]) -> dict[str, list[WitnessSpan]]:
    """For each document, the spans its witnesses cover, sorted."""
    by_document: dict[str, list[WitnessSpan]] = defaultdict(list)
    for passage in passages:
        by_document[passage.first].append(passage.seen_from(passage.first))
        by_document[passage.second].append(passage.seen_from(passage.second))
    for spans in by_document.values():
        spans.sort(key=itemgetter(0, 2, 3))  # start, witness, witness start
    return dict(by_document)
