"""`StringIndex` against a brute-force search: every occurrence, in Aho-Corasick order."""
import random

import numpy as np
from hypothesis import given, settings, strategies as st

from jiaokan.matching import DIRECT_SEARCH, SHORT_SCAN_LIMIT, SHORT_TEXT, StringIndex, gram_hashes, text_codes

ALPHABET = "中文字词人入子午卡，。a1\ud800\U00020000"


def brute_force(strings, text):
    hits = [(start, string) for string in strings for start in range(len(text) - len(string) + 1) if text.startswith(string, start)]
    return sorted(hits, key=lambda hit: (hit[0] + len(hit[1]), -len(hit[1])))


@settings(max_examples=300)
@given(
    st.lists(st.text(st.sampled_from(ALPHABET), min_size=1, max_size=7), max_size=40),
    st.text(st.sampled_from(ALPHABET), max_size=3 * SHORT_TEXT),  # both the short scan and the hashed one
)
def test_finds_every_occurrence_in_order(strings, text):
    values = {string: position for position, string in enumerate(strings)}
    index = StringIndex(values)
    found = index.find(text)
    assert [(start, string) for start, string, _ in found] == brute_force(set(strings), text)
    assert all(value == values[string] for _, string, value in found)


@settings(max_examples=300)
@given(
    st.lists(st.text(st.sampled_from(ALPHABET), min_size=2, max_size=7), min_size=1, max_size=40),
    st.text(st.sampled_from(ALPHABET), min_size=SHORT_TEXT, max_size=3 * SHORT_TEXT),
)
def test_strings_of_two_characters_or_more_are_found_where_their_openings_are(strings, text):
    """Such an index looks n-grams up only where the text has one of its strings' first two characters."""
    index = StringIndex({string: None for string in strings + ["中文字"]})
    assert [(start, string) for start, string, _ in index.find(text)] == brute_force(set(strings + ["中文字"]), text)


@settings(max_examples=300)
@given(
    st.lists(st.text(st.sampled_from(ALPHABET), min_size=1, max_size=7), max_size=40),
    st.text(st.sampled_from(ALPHABET), max_size=3 * SHORT_TEXT),
    st.randoms(use_true_random=False),
)
def test_find_within_keeps_the_occurrences_holding_a_marked_character(strings, text, rng):
    index = StringIndex({string: position for position, string in enumerate(strings)})
    within = np.array([rng.random() < 0.2 for _ in text], dtype=bool)
    expected = [hit for hit in index.find(text) if within[hit[0]:hit[0] + len(hit[1])].any()]
    assert index.find(text, within) == expected
    longer = {string * 2 for string in strings}  # openings and within together
    expected = [hit for hit in brute_force(longer, text) if within[hit[0]:hit[0] + len(hit[1])].any()]
    assert [(start, string) for start, string, _ in StringIndex({string: None for string in longer}).find(text, within)] == expected


def test_a_large_index_finds_what_a_set_holds_and_nothing_else_in_long_texts_and_short():
    rng = random.Random(3)
    han = [chr(code) for code in range(0x4E00, 0x4E00 + 3000)]
    strings = {"".join(rng.choice(han) for _ in range(rng.choice((2, 3, 4)))) for _ in range(200_000)}
    text = "".join(rng.choice(han) for _ in range(5000))
    values = {string: number for number, string in enumerate(sorted(strings))}
    index = StringIndex(values)
    assert len(values) > SHORT_SCAN_LIMIT  # so short texts are scanned by hashes too
    for piece in (text, *(text[start:start + SHORT_TEXT - 1] for start in range(0, 1000, 97))):
        expected = [(start, piece[start:start + length]) for start in range(len(piece)) for length in (4, 3, 2) if piece[start:start + length] in strings and start + length <= len(piece)]
        expected.sort(key=lambda hit: (hit[0] + len(hit[1]), -len(hit[1])))
        found = index.find(piece)
        assert [(start, string) for start, string, _ in found] == expected
        assert all(value == values[string] for _, string, value in found)


def test_gram_hashes_match_across_lengths_and_texts():
    codes = text_codes("国家发展改革委员会国家发展")
    for size in (1, 2, 4, 8):
        hashes = gram_hashes(codes, size).tolist()
        assert hashes[0] == hashes[9] if size <= 4 else hashes[0] != hashes[1]
        assert len(hashes) == len(codes) - size + 1
    assert len(gram_hashes(codes, 20)) == 0


@settings(max_examples=200)
@given(
    st.lists(st.integers(0, 2**42), max_size=300),
    st.lists(st.integers(0, 2**42), max_size=300),
)
def test_integer_table_finds_what_it_holds_and_every_row_of_it(held, asked):
    import numpy as np

    from jiaokan.matching import IntegerTable

    asked = asked + held[::3]  # some that are there
    table = IntegerTable(np.array(sorted(held), dtype=np.uint64))
    values = np.array(asked, dtype=np.uint64)
    assert table.contains(values).tolist() == [value in held for value in asked]
    for size in (DIRECT_SEARCH, DIRECT_SEARCH + 1):  # searched directly, and through the filter
        repeated = np.resize(values, size) if len(values) else values
        assert table.contains(repeated).tolist() == [value in held for value in repeated.tolist()]
    for keys in (sorted(held + held[::2]), sorted(set(held))):  # values held twice, and each once (one search finds it)
        table = IntegerTable(np.array(keys, dtype=np.uint64))
        positions, rows = table.rows(values)
        expected = [(position, row) for position, value in enumerate(asked) for row, key in enumerate(keys) if key == value]
        assert sorted(zip(positions.tolist(), rows.tolist())) == expected


def test_pair_integers_are_exact_and_read_back():
    import numpy as np

    from jiaokan.matching import pair_codes, pair_integer, pair_text

    pairs = ["入住", "人住", "\U00020000字", "a\ud800"]
    codes = [text_codes(pair) for pair in pairs]
    assert [int(pair_codes(code[:1], code[1:])[0]) for code in codes] == [pair_integer(pair) for pair in pairs]
    assert [pair_text(pair_integer(pair)) for pair in pairs] == pairs
    assert len({pair_integer(pair) for pair in pairs}) == len(pairs)
    assert pair_codes(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64)).shape == (0,)
