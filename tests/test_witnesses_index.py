"""The witness index's fast paths against plain reference implementations: key projection,
anchor pairs, edge extension, one passage found in many documents at once, and n-grams
sampled batch by batch (as worker processes do) against the whole corpus at once."""
import random
import re

import numpy as np
from hypothesis import given, settings, strategies as st

from jiaokan.config import EngineConfig
from jiaokan.witnesses import (
    _anchor_pairs, _extend, _EXTENSION_LIMIT, _keyed, _RESYNC, find_shared_passages, join_grams, sample_grams,
)

from test_witnesses import noisy, random_text

#: Han, ASCII letters and digits, punctuation, a lone surrogate (JSON can carry one) and
#: characters beyond the Basic Multilingual Plane (one a letter, one not)
CHARACTERS = st.sampled_from(list("中文字，。、 a1_.\n") + ["\ud800", "\U00020000", "\U0001F600"])


@given(st.text(CHARACTERS, max_size=60))
def test_keys_are_the_letters_digits_and_han_of_the_view(units):
    keyed = _keyed(units)
    expected = [index for index, character in enumerate(units) if re.fullmatch(r"[^\W_]", character)]
    assert keyed.positions.tolist() == expected
    assert keyed.keys == "".join(units[index] for index in expected)


def reference_pairs(hashes, documents, positions, max_documents):
    """Every pair of occurrences of one hash in 2..max_documents documents, first document first."""
    groups = {}
    for value, document, position in zip(hashes.tolist(), documents.tolist(), positions.tolist()):
        groups.setdefault(value, []).append((document, position))
    pairs = []
    for members in groups.values():
        if 2 <= len(members) <= max_documents:
            members.sort()
            for index, (first_document, first_position) in enumerate(members):
                for second_document, second_position in members[index + 1:]:
                    pairs.append((first_document, second_document, first_position, second_position))
    return sorted(pairs)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 9)), unique_by=lambda item: item, max_size=80), st.integers(2, 6))
def test_anchor_pairs_are_every_pair_of_documents_sharing_an_ngram(occurrences, max_documents):
    # (hash, document): each n-gram at most once per document, document by document, as the index keeps them
    occurrences = sorted(occurrences, key=lambda item: item[1])
    rng = random.Random(len(occurrences))
    hashes = np.array([value for value, _ in occurrences], dtype=np.uint64)
    documents = np.array([document for _, document in occurrences], dtype=np.int64)
    positions = np.array([rng.randrange(1000) for _ in occurrences], dtype=np.int64)
    anchors = _anchor_pairs(hashes, documents, positions, max_documents)
    found = list(zip(anchors.first_documents.tolist(), anchors.second_documents.tolist(), anchors.first_positions.tolist(), anchors.second_positions.tolist()))
    assert found == reference_pairs(hashes, documents, positions, max_documents)


def reference_extend(first, second, first_edge, second_edge, step):
    """Unit by unit, as written first (the fast version compares slices)."""

    def unit(text, edge, offset):
        index = edge + offset if step > 0 else edge - 1 - offset
        return text[index] if 0 <= index < len(text) else None

    def matches_after(a, b):
        return all(unit(first, first_edge, a + k) is not None and unit(first, first_edge, a + k) == unit(second, second_edge, b + k) for k in range(_RESYNC))

    a = b = good_a = good_b = 0
    while a < _EXTENSION_LIMIT:
        here_first, here_second = unit(first, first_edge, a), unit(second, second_edge, b)
        if here_first is None or here_second is None:
            break
        if here_first == here_second:
            a, b = a + 1, b + 1
            good_a, good_b = a, b
            continue
        for skip_a, skip_b in ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2)):
            if matches_after(a + skip_a, b + skip_b):
                a, b = a + skip_a, b + skip_b
                break
        else:
            break
    return (first_edge + good_a, second_edge + good_b) if step > 0 else (first_edge - good_a, second_edge - good_b)


@settings(max_examples=300)
@given(st.integers(0, 10_000), st.sampled_from([0.0, 0.02, 0.1, 0.3]), st.integers(1, 900), st.sampled_from([1, -1]))
def test_edge_extension_matches_the_unit_by_unit_reference(seed, rate, length, step):
    rng = random.Random(seed)
    shared = random_text(rng, length)
    first = random_text(rng, rng.randrange(0, 30)) + shared + random_text(rng, rng.randrange(0, 30))
    second = random_text(rng, rng.randrange(0, 30)) + _with_gaps(rng, noisy(rng, shared, rate), rate) + random_text(rng, rng.randrange(0, 30))
    first_edge, second_edge = rng.randrange(len(first) + 1), rng.randrange(len(second) + 1)
    assert _extend(first, second, first_edge, second_edge, step) == reference_extend(first, second, first_edge, second_edge, step)


def _with_gaps(rng, text, rate):
    """Drop and insert characters too, so the extension has to resynchronise."""
    pieces = []
    for character in text:
        roll = rng.random()
        if roll < rate / 2:
            continue
        pieces.append(character)
        if roll > 1 - rate / 2:
            pieces.append(random_text(rng, rng.randrange(1, 3)))
    return "".join(pieces)


def test_a_passage_printed_in_many_documents_pairs_every_copy():
    rng = random.Random(7)
    passage = random_text(rng, 400)
    documents = {f"page-{index:02d}": random_text(rng, 300) + noisy(rng, passage, 0.02) + random_text(rng, 300) for index in range(12)}
    pairs = {(p.first, p.second) for p in find_shared_passages(documents, EngineConfig())}
    names = sorted(documents)
    assert pairs == {(first, second) for index, first in enumerate(names) for second in names[index + 1:]}


def test_documents_shorter_than_an_ngram_share_nothing():
    assert find_shared_passages({"a": "第一版", "b": "第一版", "c": ""}, EngineConfig()) == []
    assert find_shared_passages({"a": "", "b": ""}, EngineConfig()) == []


def test_grams_sampled_batch_by_batch_find_what_the_whole_corpus_sampled_at_once_finds():
    rng = random.Random(11)
    passages = [random_text(rng, 300) for _ in range(3)]
    documents = {
        f"page-{index:02d}": random_text(rng, 200) + noisy(rng, passages[index % 3], 0.03) + "，" + random_text(rng, 150)
        for index in range(10)
    }
    names = sorted(documents)
    config = EngineConfig()
    whole = sample_grams([documents[name] for name in names], config)
    batches = [names[:3], names[3:4], names[4:]]
    joined = join_grams([sample_grams([documents[name] for name in batch], config, whole.sampling) for batch in batches], [len(batch) for batch in batches])
    for field in ("hashes", "documents", "positions", "starts", "ends"):
        assert getattr(joined, field).tolist() == getattr(whole, field).tolist(), field
    assert (joined.keys, joined.sampling) == (whole.keys, whole.sampling)
    assert joined.by_hash().tolist() == whole.by_hash().tolist() == np.argsort(whole.hashes, kind="stable").tolist()
    # each gram spans its n-gram's keys in the view: from its first key to one past its last
    for document, start, end in zip(whole.documents.tolist(), whole.starts.tolist(), whole.ends.tolist()):
        keys = [character for character in documents[names[document]][start:end] if character.isalnum()]
        assert len(keys) == config.ngram_size and documents[names[document]][end - 1].isalnum()
    expected = find_shared_passages(documents, config)
    assert len({(p.first, p.second) for p in expected}) >= 3
    assert find_shared_passages(documents, config, grams=joined) == expected
    # grams sampled more sparsely than a corpus this small asks for are made again, not used
    sparse = sample_grams([documents[name] for name in names], config, 4)
    assert whole.sampling == 1 and len(sparse.hashes) < len(whole.hashes)
    assert find_shared_passages(documents, config, grams=sparse) == expected
