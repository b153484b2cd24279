"""The stage functions of `jiaokan.engine.stages` against the whole-corpus path: witness
discovery split as a shuffle splits it (n-grams by hash, anchors by pair) finds the chains
`jiaokan.witnesses.find_shared_passages` hands to the extension, in the same order."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_pages import write_pages  # noqa: E402
from jiaokan.batch.encoding import decode_bytes  # noqa: E402
from jiaokan.config import DEFAULT_CONFIG  # noqa: E402
from jiaokan.engine.stages import ANCHOR_COLUMNS, anchor_table, chain_jobs, view_documents  # noqa: E402
from jiaokan.witnesses import find_shared_passages, sample_grams  # noqa: E402


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("pages")
    write_pages(root, pages=60, megabytes=0.25, seed=7)
    texts = {path.relative_to(root).as_posix(): decode_bytes(path.read_bytes()).text for path in sorted(root.rglob("*.txt"))}
    viewed = view_documents([texts[name] for name in sorted(texts)], DEFAULT_CONFIG, None)
    return {name: view.units for name, view in zip(sorted(texts), viewed.views)}


def whole_corpus_jobs(units: dict[str, str], grams) -> list:
    """The extension jobs `find_shared_passages` makes over the whole corpus, in its order."""
    jobs = []

    def record(batch):
        jobs.extend(batch)
        return [[] for _ in batch]

    find_shared_passages(units, DEFAULT_CONFIG, record, grams)
    return jobs


def split(table: dict[str, np.ndarray], parts: np.ndarray, count: int) -> list[dict[str, np.ndarray]]:
    return [{column: values[parts == part] for column, values in table.items()} for part in range(count)]


@pytest.mark.parametrize("hash_parts, pair_parts", [(1, 1), (3, 2), (7, 5)])
def test_discovery_in_parts_finds_the_whole_corpus_chains_in_order(units, hash_parts, pair_parts):
    names = sorted(units)
    config = DEFAULT_CONFIG
    grams = sample_grams([units[name] for name in names], config)  # at the rate the corpus's size asks for
    rows = {"hash": grams.hashes, "document": grams.documents, "position": grams.positions, "start": grams.starts, "end": grams.ends}
    # shuffle 1: by hash; each part's anchor table
    anchor_parts = [
        anchor_table(part["hash"], part["document"], part["position"], part["start"], part["end"], config.max_ngram_documents)
        for part in split(rows, (grams.hashes % np.uint64(hash_parts)).astype(np.int64), hash_parts)
    ]
    anchors = {column: np.concatenate([part[column] for part in anchor_parts]) for column in ANCHOR_COLUMNS}
    assert len(anchors["first"]) > 0
    # shuffle 2: by pair; each part's chains, pairs put back in order
    pair_key = (anchors["first"].astype(np.int64) * 7919 + anchors["second"]) % pair_parts
    jobs = sorted(job for part in split(anchors, pair_key, pair_parts) for job in chain_jobs(part, config, grams.sampling))
    expected = whole_corpus_jobs(units, grams)
    assert len(expected) > 5, "the pages share passages"
    assert [(names[first], names[second], chains) for first, second, chains in jobs] == [
        (first, second, chains) for first, second, chains, _ in expected
    ]
