"""`StringIndex` against a brute-force search: every occurrence, in Aho-Corasick order."""
import random

from hypothesis import given, settings, strategies as st

from jiaokan.matching import SHORT_TEXT, StringIndex, gram_hashes, text_codes

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
    index = StringIndex({string: position for position, string in enumerate(strings)})
    found = index.find(text)
    assert [(start, string) for start, string, _ in found] == brute_force(set(strings), text)
    assert all(value == index.values[string] for _, string, value in found)


def test_a_large_index_finds_what_a_set_holds_and_nothing_else():
    rng = random.Random(3)
    han = [chr(code) for code in range(0x4E00, 0x4E00 + 3000)]
    strings = {"".join(rng.choice(han) for _ in range(rng.choice((2, 3, 4)))) for _ in range(200_000)}
    text = "".join(rng.choice(han) for _ in range(5000))
    index = StringIndex((string, None) for string in strings)
    expected = [(start, text[start:start + length]) for start in range(len(text)) for length in (4, 3, 2) if text[start:start + length] in strings and start + length <= len(text)]
    expected.sort(key=lambda hit: (hit[0] + len(hit[1]), -len(hit[1])))
    assert [(start, string) for start, string, _ in index.find(text)] == expected


def test_gram_hashes_match_across_lengths_and_texts():
    codes = text_codes("国家发展改革委员会国家发展")
    for size in (1, 2, 4, 8):
        hashes = gram_hashes(codes, size).tolist()
        assert hashes[0] == hashes[9] if size <= 4 else hashes[0] != hashes[1]
        assert len(hashes) == len(codes) - size + 1
    assert len(gram_hashes(codes, 20)) == 0
