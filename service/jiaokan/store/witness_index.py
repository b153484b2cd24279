"""The witness index: a stored collection whose proposals stay current document by document.

What `jiaokan.runners.local.run_corpus` finds over a whole corpus is kept per document and per
pair (migration 0005): each document's content view units and sampled n-grams
(`jiaokan.witnesses.sample_grams`, the keys the batch's discovery uses: ``witness_gram``),
the passages each pair of documents shares (``witness_passage``), each document's
reliability and the terms its copies confirmed (``witness_term``). A new document finds its
witnesses by looking its n-grams up in the index (`add_document`): its passages, and the
reliability of it and of the documents sharing passages with it, are found at once, and its
own proposals computed. Only the documents whose result that changes are collated and
finished again, by `refresh_stale` (the service runs it right after answering): the documents
sharing passages with it (a new witness), those they witness (a witness's reliability weighs
its vote), and those reading a variant whose confirmed term changed (the corpus's confirmed
terms apply everywhere). Each such document is marked ``stale`` until then; once none is,
every proposal is what a run over the whole collection gives (a test compares them).
Decisions a person took are kept as `repository.merge_proposals` keeps them.

An n-gram found in more than ``max_ngram_documents`` documents is no anchor: a document that
brings one over that limit (or takes one back under it) changes the passages of the documents
holding it, whose discovery is then run again. The sampling depends on the collection's size
(`jiaokan.witnesses.sampling_rate`); when it changes, the index is built again (`rebuild`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from jiaokan.store import repository
from jiaokan.store.models import Collection, Document, Proposal, WitnessGram, WitnessPassage, WitnessTerm

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from jiaokan.config import EngineConfig
    from jiaokan.textview import TextView
    from jiaokan.witnesses import SampledGrams, SharedPassage

#: documents recomputed per transaction by `refresh_stale` (a POST in another worker may wait for one batch)
REFRESH_BATCH = 8


def index_parameters(config: "EngineConfig", sampling: int) -> str:
    """What the stored n-grams and passages depend on: rebuilt when it changes."""
    return (f"ngram_size={config.ngram_size} sampling={sampling} max_ngram_documents={config.max_ngram_documents} "
            f"min_anchors={config.min_anchors} ngram_sampling={config.ngram_sampling} "
            f"min_passage_length={config.min_passage_length} max_anchor_gap={config.max_anchor_gap}")


# --- entry points -------------------------------------------------------------------------------


def add_document(session: "Session", collection: Collection, document: Document, config: "EngineConfig") -> repository.MergeStats:
    """Index a newly stored ``document`` and compute its proposals; the documents sharing passages
    with it (and any whose anchors it takes over the limit) become stale, for `refresh_stale`.
    What the index learns on the way (the new document's n-gram counts, its partners' units,
    the passages and reliability it wrote) is used again, not read back."""
    from sqlalchemy.orm.attributes import set_committed_value

    from jiaokan.textview import build_view
    from jiaokan.witnesses import key_mask

    _lock(session, collection)
    view = build_view(document.original)
    document.units = view.units
    document.keys = int(np.count_nonzero(key_mask(document.units)))
    set_committed_value(document, "proposals", [])  # a document stored in this transaction has none: no need to ask
    collection.witness_keys += document.keys
    session.flush()
    if _needs_rebuild(session, collection, config):
        rebuild(session, collection, config)
        return update_neighbourhood(session, collection, {document.id}, config)
    _mark_all_stale_if_config_changed(session, collection, config)
    grams = _grams(document.units, config, _sampling(collection))
    _insert_grams(session, collection.id, np.full(len(grams.hashes), document.id), grams.positions, grams.hashes)
    counts = _gram_counts(session, collection.id, grams.hashes)
    disturbed = _crossing_documents(session, collection.id, counts, config.max_ngram_documents + 1) - {document.id}
    new = _NewDocument(document.id, document.name, document.units, grams, counts)
    neighbourhood = _rediscover(session, collection, {document.id} | disturbed, config, new=new)
    _mark_stale(session, neighbourhood.touched - {document.id})
    return _merge_neighbourhood(session, collection, neighbourhood.around([document], {document.name: view}), config)


def remove_document(session: "Session", collection: Collection, document: Document, config: "EngineConfig") -> None:
    """Delete ``document`` with its index entries; the documents it witnessed (and any whose
    anchors it held back) become stale, for `refresh_stale` to bring their proposals up to date."""
    from sqlalchemy import delete, select

    _lock(session, collection)
    if collection.witness_index is None:
        repository.delete_document(session, document.id)
        return
    hashes = np.array(session.scalars(select(WitnessGram.hash).where(WitnessGram.document_id == document.id)).all(), dtype=np.int64)
    counts = _gram_counts(session, collection.id, hashes.view(np.uint64))
    disturbed = _crossing_documents(session, collection.id, counts, config.max_ngram_documents + 1) - {document.id}
    partners = _passage_partners(session, [document.id]) - {document.id}
    collection.witness_keys -= document.keys
    variants = set(session.scalars(select(WitnessTerm.variant).where(WitnessTerm.document_id == document.id)))
    before = _winners(session, collection.id, variants)
    for table in (WitnessGram, WitnessTerm):  # the database cascades too; said here for clarity
        session.execute(delete(table).where(table.document_id == document.id))
    session.execute(delete(WitnessPassage).where((WitnessPassage.first_id == document.id) | (WitnessPassage.second_id == document.id)))
    repository.delete_document(session, document.id)
    _mark_changed_winners(session, collection.id, variants, before, set())
    if _needs_rebuild(session, collection, config):
        rebuild(session, collection, config)
        return
    changed = _rediscover(session, collection, disturbed, config).touched if disturbed else set()
    _, _, witnessed = _update_reliability(session, collection.id, partners, config)
    _mark_stale(session, partners | changed | witnessed)


def refresh_stale(session: "Session", collection: Collection, config: "EngineConfig", *, limit: int = REFRESH_BATCH) -> repository.MergeStats | None:
    """Recompute up to ``limit`` stale documents of ``collection`` (None: none was stale, every
    proposal is current)."""
    from sqlalchemy import select

    _lock(session, collection)
    batch = session.scalars(
        select(Document.id).where(Document.collection_id == collection.id, Document.stale).order_by(Document.id).limit(limit)
    ).all()
    return update_neighbourhood(session, collection, set(batch), config) if batch else None


def refresh_all(session: "Session", collection: Collection, config: "EngineConfig") -> repository.MergeStats:
    """Recompute every stale document of ``collection`` in this session's transaction."""
    stats = repository.MergeStats()
    while (refreshed := refresh_stale(session, collection, config)) is not None:
        stats += refreshed
    return stats


def refresh_collection(session_factory, collection_name: str, config: "EngineConfig") -> repository.MergeStats:
    """Recompute every stale document of the collection, a batch per transaction (so writers
    wait for one batch at most); what the service runs after answering a change."""
    stats = repository.MergeStats()
    while True:
        with session_factory() as session, repository.write_transaction(session):
            refreshed = refresh_stale(session, repository.find_collection(session, collection_name), config)
        if refreshed is None:
            return stats
        stats += refreshed


def stale_count(session: "Session", collection: Collection) -> int:
    """How many documents of ``collection`` wait for `refresh_stale`."""
    from sqlalchemy import func, select

    return session.scalar(select(func.count(Document.id)).where(Document.collection_id == collection.id, Document.stale)) or 0


def rebuild(session: "Session", collection: Collection, config: "EngineConfig") -> None:
    """Index every document of ``collection`` from scratch (n-grams, passages, reliability: what
    `run_corpus`'s discovery finds) and mark them all stale: their proposals are recomputed
    by `refresh_stale`."""
    from sqlalchemy import delete, select, text, update

    from jiaokan.engine.stages import estimate_reliability
    from jiaokan.textview import build_view
    from jiaokan.witnesses import find_shared_passages, key_mask, sample_grams, sampling_rate

    documents = session.execute(
        select(Document.id, Document.name, Document.original).where(Document.collection_id == collection.id).order_by(Document.name)
    ).all()
    units = [build_view(original).units for _, _, original in documents]
    keys = [int(np.count_nonzero(key_mask(text))) for text in units]
    sampling = sampling_rate(sum(keys), config)
    for table in (WitnessGram, WitnessPassage):
        session.execute(delete(table).where(table.collection_id == collection.id))
    ids = [document_id for document_id, *_ in documents]
    session.execute(update(Document), [{"id": i, "units": u, "keys": k, "stale": True} for i, u, k in zip(ids, units, keys)])
    if documents:
        grams = sample_grams(units, config, sampling)
        _insert_grams(session, collection.id, np.array(ids)[grams.documents], grams.positions, grams.hashes)
        names = {name: document_id for document_id, name, *_ in documents}
        passages = find_shared_passages({name: text for (_, name, *_), text in zip(documents, units)}, config, grams=grams)
        _insert_passages(session, collection.id, names, passages)
        reliability = estimate_reliability(passages, config)
        session.execute(update(Document), [{"id": names[name], "reliability": value} for name, value in reliability.items()])
    if session.get_bind().dialect.name == "postgresql":  # the planner learns the tables' new sizes now, not at autovacuum's next round
        session.execute(text("ANALYZE witness_gram, witness_passage, document"))
    collection.witness_index = index_parameters(config, sampling)
    collection.witness_keys = sum(keys)
    collection.config_fingerprint = config.fingerprint()
    session.flush()


# --- discovery ------------------------------------------------------------------------------------


def _lock(session: "Session", collection: Collection) -> None:
    """One writer of a collection's index at a time (PostgreSQL: a row lock, then the row read
    again, as the writer before may have changed it; SQLite's writers are serialised by
    `repository.write_transaction` already). FOR NO KEY UPDATE: a writer that has inserted a
    document holds a key-share lock on its collection's row (the foreign key), which FOR UPDATE
    would wait on while the other waits on it — two concurrent posts would deadlock."""
    session.refresh(collection, with_for_update={"key_share": True})


def _sampling(collection: Collection) -> int:
    return int(collection.witness_index.split("sampling=")[1].split()[0])


def _needs_rebuild(session: "Session", collection: Collection, config: "EngineConfig") -> bool:
    from jiaokan.witnesses import sampling_rate

    return collection.witness_index != index_parameters(config, sampling_rate(collection.witness_keys, config))


def _mark_all_stale_if_config_changed(session: "Session", collection: Collection, config: "EngineConfig") -> None:
    """Another engine config (the lexicon's terms changed, say): every proposal is recomputed."""
    from sqlalchemy import update

    fingerprint = config.fingerprint()
    if collection.config_fingerprint != fingerprint:
        session.execute(update(Document).where(Document.collection_id == collection.id).values(stale=True))
        collection.config_fingerprint = fingerprint


def _grams(units: str, config: "EngineConfig", sampling: int) -> "SampledGrams":
    from jiaokan.witnesses import sample_grams

    return sample_grams([units], config, sampling)


def _grams_of(units: dict[int, tuple[str, str]], config: "EngineConfig", sampling: int) -> dict[int, "SampledGrams"]:
    """Each document's `SampledGrams` (id -> (name, view units) given), sampled in one pass."""
    from dataclasses import replace

    from jiaokan.witnesses import sample_grams

    ids = list(units)
    if not ids:
        return {}
    grams = sample_grams([units[document_id][1] for document_id in ids], config, sampling)
    bounds = np.searchsorted(grams.documents, np.arange(len(ids) + 1))
    return {
        document_id: replace(grams, **{column: getattr(grams, column)[start:end] for column in ("hashes", "documents", "positions", "starts", "ends")})
        for document_id, start, end in zip(ids, bounds[:-1].tolist(), bounds[1:].tolist())
    }


def _insert_grams(session: "Session", collection_id: int, documents: np.ndarray, positions: np.ndarray, hashes: np.ndarray,
                  chunk: int = 100_000) -> None:
    """Store sampled n-grams: each one's document id, position and hash (uint64). On PostgreSQL
    an INSERT ... SELECT from unnest() of three arrays, one statement per chunk, where an
    executemany sends the rows one by one (a POST's 100-230 took 9-24 ms at a load average of
    8); on SQLite, in process, an executemany."""
    from sqlalchemy import BigInteger, Integer, bindparam, func, insert, literal, select
    from sqlalchemy.dialects.postgresql import ARRAY

    signed = hashes.view(np.int64)
    if session.get_bind().dialect.name != "postgresql":
        _insert_rows(session, WitnessGram, [
            {"document_id": document_id, "position": position, "collection_id": collection_id, "hash": value}
            for document_id, position, value in zip(documents.tolist(), positions.tolist(), signed.tolist())
        ])
        return
    arrays = [bindparam(name, type_=ARRAY(kind)) for name, kind in (("documents", Integer), ("positions", Integer), ("hashes", BigInteger))]
    rows = func.unnest(*arrays).table_valued("document_id", "position", "hash").render_derived(name="gram")
    statement = insert(WitnessGram.__table__).from_select(  # Core: the parameters are the arrays, not rows
        ["document_id", "position", "collection_id", "hash"], select(rows.c.document_id, rows.c.position, literal(collection_id), rows.c.hash))
    for start in range(0, len(signed), chunk):
        part = slice(start, start + chunk)
        session.execute(statement, {"documents": documents[part].tolist(), "positions": positions[part].tolist(), "hashes": signed[part].tolist()})


def _insert_rows(session: "Session", table, rows: list[dict], chunk: int = 50_000) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), chunk):
        session.execute(insert(table), rows[start:start + chunk])


def _one_of(session: "Session", column, values: Sequence[int]):
    """``column`` is one of ``values`` (64-bit integers), the list passed as one parameter: an
    array on PostgreSQL, JSON on SQLite. The statement's text does not change with the list's
    length, so it is compiled (and, by psycopg, prepared) once, where an IN list of a few
    hundred parameters was rendered, converted and planned afresh on every POST."""
    import json

    from sqlalchemy import BigInteger, any_, bindparam, func, literal_column, select

    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam("values", list(values), type_=ARRAY(BigInteger)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam("values", json.dumps(list(values))))))


def _gram_counts(session: "Session", collection_id: int, hashes: np.ndarray) -> dict[int, int]:
    """How many documents of the collection hold each of ``hashes`` (uint64) once."""
    from sqlalchemy import func, select

    if len(hashes) == 0:
        return {}
    query = (select(WitnessGram.hash, func.count())
             .where(WitnessGram.collection_id == collection_id, _one_of(session, WitnessGram.hash, hashes.view(np.int64).tolist()))
             .group_by(WitnessGram.hash))
    return dict(session.execute(query).all())


def _holders(session: "Session", collection_id: int, hashes: Sequence[int]) -> dict[int, list[int]]:
    """The documents holding each of ``hashes`` (signed)."""
    from sqlalchemy import select

    holders: dict[int, list[int]] = defaultdict(list)
    if hashes:
        query = select(WitnessGram.hash, WitnessGram.document_id).where(
            WitnessGram.collection_id == collection_id, _one_of(session, WitnessGram.hash, hashes))
        for value, document_id in session.execute(query):
            holders[value].append(document_id)
    return holders


def _crossing_documents(session: "Session", collection_id: int, counts: dict[int, int], count: int) -> set[int]:
    """The documents holding an n-gram that ``count`` documents hold (one more than an anchor may
    have; ``counts``: `_gram_counts` of the n-grams of the document coming or going): it moves
    the n-gram across the limit."""
    crossing = [value for value, found in counts.items() if found == count]
    return {document_id for holders in _holders(session, collection_id, crossing).values() for document_id in holders}


@dataclass
class _NewDocument:
    """A document stored in this transaction, as the index saw it when adding it: what
    `_rediscover` would otherwise read (it has no passage yet)."""

    id: int
    name: str
    units: str
    grams: "SampledGrams"
    counts: dict[int, int]  # `_gram_counts` of its n-grams, itself counted


@dataclass
class Neighbourhood:
    """What collating and finishing ``documents`` needs: them (their proposals loaded), every
    stored passage of any of them, the view units (by name) and reliability of them and their
    witnesses, and their content views. ``new``: stored in this transaction, so without
    proposals or confirmed terms yet."""

    documents: list[Document]
    passages: list["SharedPassage"]
    units: dict[str, str]
    reliability: dict[str, float]
    views: dict[str, "TextView"]
    new: bool = False


@dataclass
class _Discovery:
    """What `_rediscover` found and wrote: the documents whose passages it touched, every stored
    passage of any of them, the view units (by name) of the documents it read and the
    reliability of the touched ones."""

    touched: set[int]
    passages: list["SharedPassage"]
    units: dict[str, str]
    reliability: dict[str, float]

    def around(self, documents: list[Document], views: dict[str, "TextView"]) -> Neighbourhood:
        """The neighbourhood of new ``documents`` among the touched ones (each of its witnesses
        shares a passage with it, so was read and touched)."""
        names = {document.name for document in documents}
        passages = [passage for passage in self.passages if passage.first in names or passage.second in names]
        return Neighbourhood(documents, passages, self.units, self.reliability, views, new=True)


def _rediscover(
    session: "Session", collection: Collection, documents: set[int], config: "EngineConfig", *, new: _NewDocument | None = None,
) -> _Discovery:
    """Find every passage of each of ``documents`` again (by index look-up) and store them in
    place of its old ones; the documents whose passages were touched, with what was read and
    estimated on the way. ``new``: one of ``documents`` stored in this transaction."""
    from sqlalchemy import delete

    sampling = _sampling(collection)
    fresh = {new.id} if new is not None else set()
    touched = set(documents) | _passage_partners(session, documents - fresh)  # a new document has no stored passage yet
    units = _units(session, documents - fresh)
    grams = _grams_of(units, config, sampling)
    if new is not None:
        units[new.id], grams[new.id] = (new.name, new.units), new.grams
    partners_of: dict[int, set[int]] = {}
    anchors_of: dict[int, np.ndarray] = {}
    for document_id in documents:
        counts = new.counts if document_id in fresh else _gram_counts(session, collection.id, grams[document_id].hashes)
        anchors = [value for value, count in counts.items() if 2 <= count <= config.max_ngram_documents]
        anchors_of[document_id] = np.array(anchors, dtype=np.int64).view(np.uint64)
        shared = defaultdict(int)
        for holders in _holders(session, collection.id, anchors).values():
            for holder in holders:
                shared[holder] += 1
        # a chain needs this many anchors (`jiaokan.witnesses._chains`): fewer shared n-grams make no passage
        minimum = config.min_anchors * max(config.ngram_sampling // sampling, 1)
        partners_of[document_id] = {holder for holder, count in shared.items() if count >= minimum} - {document_id}
    partners = _units(session, set().union(*partners_of.values()) - set(units))
    units.update(partners)
    grams.update(_grams_of(partners, config, sampling))
    found: dict[tuple[int, int], list["SharedPassage"]] = {}
    for document_id in documents:
        for partner in partners_of[document_id]:
            pair = (min(document_id, partner), max(document_id, partner))
            if pair not in found:
                found[pair] = _pair_passages(document_id, partner, units, grams, anchors_of[document_id], config)
    if documents - fresh:
        session.execute(delete(WitnessPassage).where(WitnessPassage.first_id.in_(documents) | WitnessPassage.second_id.in_(documents)))
    names = {name: document_id for document_id, (name, _) in units.items()}
    _insert_passages(session, collection.id, names, [passage for passages in found.values() for passage in passages])
    touched |= {document_id for pair, passages in found.items() if passages for document_id in pair}
    passages, reliability, witnessed = _update_reliability(session, collection.id, touched, config)
    return _Discovery(touched | witnessed, passages, {name: text for name, text in units.values()}, reliability)


def _pair_passages(first: int, second: int, units, grams, anchors: np.ndarray, config: "EngineConfig") -> list["SharedPassage"]:
    from jiaokan.neighbourhood import pair_passages

    return pair_passages((*units[first], grams[first]), (*units[second], grams[second]), anchors, config)


def _units(session: "Session", documents: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id -> (name, view units) of ``documents``."""
    from sqlalchemy import select

    documents = list(documents)
    if not documents:
        return {}
    rows = session.execute(select(Document.id, Document.name, Document.units).where(Document.id.in_(documents)))
    return {document_id: (name, units) for document_id, name, units in rows}


def _insert_passages(session: "Session", collection_id: int, ids: dict[str, int], passages: Iterable["SharedPassage"]) -> None:
    _insert_rows(session, WitnessPassage, [
        {"collection_id": collection_id, "first_id": ids[passage.first], "second_id": ids[passage.second],
         "first_start": passage.first_start, "first_end": passage.first_end, "second_start": passage.second_start,
         "second_end": passage.second_end, "anchors": passage.anchors, "first_keys": passage.first_keys, "sampling": passage.sampling}
        for passage in passages
    ])


def _passage_rows(session: "Session", documents: Iterable[int], *, names: bool = False) -> list[tuple]:
    """The stored passages of any of ``documents``: (id, first id, second id, then the
    `SharedPassage` numbers, then with ``names`` the first's and the second's name), by id (one
    query, by the index of either end)."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    documents = list(documents)
    if not documents:
        return []
    columns = [getattr(WitnessPassage, name) for name in (
        "id", "first_id", "second_id", "first_start", "first_end", "second_start", "second_end", "anchors", "first_keys", "sampling")]
    query = select(*columns).where(WitnessPassage.first_id.in_(documents) | WitnessPassage.second_id.in_(documents))
    if names:
        first, second = aliased(Document), aliased(Document)
        query = (query.add_columns(first.name, second.name)
                 .join(first, first.id == WitnessPassage.first_id).join(second, second.id == WitnessPassage.second_id))
    return [tuple(row) for row in session.execute(query.order_by(WitnessPassage.id))]


def _passage_partners(session: "Session", documents: Iterable[int]) -> set[int]:
    """The documents sharing a passage with any of ``documents``."""
    documents = set(documents)
    return {document_id for _, first, second, *_ in _passage_rows(session, documents) for document_id in (first, second)} - documents


def _stored_passages(session: "Session", documents: Iterable[int]) -> tuple[list["SharedPassage"], dict[int, str]]:
    """Every stored passage of any of ``documents``, as `SharedPassage` (names, not ids), in
    the order a whole-corpus run lists them (by the pair's names, then along the first); and
    the names of the documents they join, by id."""
    from jiaokan.witnesses import SharedPassage

    rows = _passage_rows(session, documents, names=True)
    names = {document_id: name for row in rows for document_id, name in ((row[1], row[-2]), (row[2], row[-1]))}
    passages = sorted((first_name, second_name, passage_id, numbers)
                      for passage_id, _, _, *numbers, first_name, second_name in rows)
    return [SharedPassage(first, numbers[0], numbers[1], second, *numbers[2:]) for first, second, _, numbers in passages], names


def _update_reliability(
    session: "Session", collection_id: int, documents: set[int], config: "EngineConfig",
) -> tuple[list["SharedPassage"], dict[str, float], set[int]]:
    """Estimate the reliability of ``documents`` again from their stored passages and store it;
    returns the passages, the reliability by name (None left out) and the other documents they
    witness where it changed (their proposals, whose votes it weighs, are then stale)."""
    from sqlalchemy import select, update

    from jiaokan.engine.stages import estimate_reliability

    if not documents:
        return [], {}, set()
    rows = session.execute(select(Document.id, Document.name, Document.reliability).where(Document.id.in_(documents))).all()
    passages, names = _stored_passages(session, documents)
    estimated = estimate_reliability(passages, config)
    reliability = {name: value for name, value in estimated.items() if value is not None}
    changed = {name: document_id for document_id, name, old in rows if estimated.get(name) != old}
    if changed:
        session.execute(update(Document), [{"id": document_id, "reliability": estimated.get(name)} for name, document_id in changed.items()])
        ids = {name: document_id for document_id, name in names.items()}
        witnessed = {ids[passage.second if passage.first in changed else passage.first]
                     for passage in passages if passage.first in changed or passage.second in changed}
        return passages, reliability, witnessed - documents
    return passages, reliability, set()


def _mark_stale(session: "Session", documents: set[int]) -> None:
    from sqlalchemy import update

    if documents:
        session.execute(update(Document).where(Document.id.in_(documents)).values(stale=True).execution_options(synchronize_session=False))


# --- collation and finishing ----------------------------------------------------------------------


def update_neighbourhood(session: "Session", collection: Collection, documents: set[int], config: "EngineConfig") -> repository.MergeStats:
    """Collate ``documents`` from the stored passages and reliability, store the terms their
    copies confirmed (marking stale the documents a changed confirmed term reaches), finish
    them and merge their proposals."""
    if not documents:
        return repository.MergeStats()
    return _merge_neighbourhood(session, collection, _read_neighbourhood(session, documents), config)


def _read_neighbourhood(session: "Session", documents: set[int]) -> Neighbourhood:
    """The stored ``documents`` (their proposals locked, see `_lock_proposals`), their passages
    and their witnesses' units and reliability."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from jiaokan.textview import build_view

    _lock_proposals(session, documents)
    stored = session.scalars(select(Document).where(Document.id.in_(documents)).order_by(Document.name)
                             .options(selectinload(Document.proposals)).execution_options(populate_existing=True)).all()
    passages, names = _stored_passages(session, documents)
    witnesses = session.execute(select(Document.name, Document.units, Document.reliability).where(Document.id.in_(set(names) - documents))).all()
    units = {name: units for name, units, _ in witnesses} | {document.name: document.units for document in stored}
    reliability = {name: value for name, _, value in witnesses if value is not None}
    reliability.update((document.name, document.reliability) for document in stored if document.reliability is not None)
    views = {document.name: build_view(document.original) for document in stored}
    return Neighbourhood(list(stored), passages, units, reliability, views)


def _merge_neighbourhood(session: "Session", collection: Collection, neighbourhood: Neighbourhood, config: "EngineConfig") -> repository.MergeStats:
    """Collate and finish the neighbourhood's documents, store the terms their copies confirmed
    (marking stale the documents a changed confirmed term reaches) and merge their proposals;
    each document's variants and its ``stale = false`` go in one UPDATE."""
    from sqlalchemy import delete, select
    from sqlalchemy.orm.attributes import flag_modified

    from jiaokan.neighbourhood import collate_document, finish_documents
    from jiaokan.resources import load_resources

    stats = repository.MergeStats()
    resources = load_resources(config.extra_terms)
    by_name = {document.name: document for document in neighbourhood.documents}
    documents = {document.id for document in neighbourhood.documents}
    views, passages = neighbourhood.views, neighbourhood.passages
    collations = {
        name: collate_document(name, views[name], [p for p in passages if name in (p.first, p.second)],
                               neighbourhood.units, neighbourhood.reliability, resources, config)
        for name in by_name
    }
    new_terms = [(by_name[name].id, term) for name, collation in collations.items() if collation for term in collation[0].confirmed_terms]
    variants = {term.variant for _, term in new_terms}
    if not neighbourhood.new:  # a new document has no stored terms
        variants |= set(session.scalars(select(WitnessTerm.variant).where(WitnessTerm.document_id.in_(documents))))
    before = _winners(session, collection.id, variants)
    if not neighbourhood.new:
        session.execute(delete(WitnessTerm).where(WitnessTerm.document_id.in_(documents)))
    _insert_rows(session, WitnessTerm, [
        {"collection_id": collection.id, "document_id": document_id, "variant": term.variant, "term": term.term, "copies": term.copies}
        for document_id, term in new_terms
    ])
    _mark_changed_winners(session, collection.id, variants, before, documents)
    confirmed = _confirmed_in(session, collection.id, [document.units for document in neighbourhood.documents])
    corrections = finish_documents([(name, by_name[name].original, views[name], collations[name]) for name in by_name], confirmed, resources, config)
    for correction in corrections:
        document = by_name[correction.name]
        stats += repository.merge_proposals(session, document, zip(correction.edits, correction.applied))
        repository.store_variants(document, correction.variants)
        document.stale = False
        flag_modified(document, "stale")  # written even where the session holds False: a bulk UPDATE may have set it
    session.flush()
    return stats


def _lock_proposals(session: "Session", documents: set[int]) -> None:
    """Read the documents' proposals afresh and lock them (PostgreSQL) until the merge commits:
    a decision taken meanwhile waits, and is then applied to what the merge kept."""
    from sqlalchemy import select

    session.scalars(select(Proposal).where(Proposal.document_id.in_(documents)).with_for_update()
                    .execution_options(populate_existing=True)).all()


def _term_rows(session: "Session", collection_id: int, variants: Iterable[str] | None):
    from sqlalchemy import select

    from jiaokan.consensus import ConfirmedTerm

    query = (select(WitnessTerm.variant, WitnessTerm.term, Document.name, WitnessTerm.copies)
             .join(Document, Document.id == WitnessTerm.document_id).where(WitnessTerm.collection_id == collection_id))
    if variants is not None:
        query = query.where(WitnessTerm.variant.in_(list(variants)))
    return [ConfirmedTerm(*row) for row in session.execute(query.order_by(Document.name, WitnessTerm.id))]


def _winners(session: "Session", collection_id: int, variants: set[str]) -> dict:
    from jiaokan.neighbourhood import confirmed_terms

    return confirmed_terms(_term_rows(session, collection_id, variants)) if variants else {}


def _confirmed_in(session: "Session", collection_id: int, texts: Sequence[str]) -> dict:
    """The collection's confirmed terms whose variant one of ``texts`` reads (the only ones
    single-copy repair of these documents looks for)."""
    from sqlalchemy import select

    variants = {variant for variant in session.scalars(select(WitnessTerm.variant).where(WitnessTerm.collection_id == collection_id).distinct())
                if any(variant in text for text in texts)}
    return _winners(session, collection_id, variants)


def _mark_changed_winners(session: "Session", collection_id: int, variants: set[str], before: dict, exclude: set[int]) -> None:
    """Mark stale the documents (but ``exclude``) reading one of ``variants`` whose confirmed
    term changed (``before``: the confirmed terms of ``variants`` before the change)."""
    from sqlalchemy import update

    after = _winners(session, collection_id, variants)
    changed = sorted(variant for variant in variants if before.get(variant) != after.get(variant))
    for variant in changed:
        statement = update(Document).where(Document.collection_id == collection_id, Document.units.contains(variant, autoescape=True))
        if exclude:
            statement = statement.where(Document.id.not_in(exclude))
        session.execute(statement.values(stale=True))
