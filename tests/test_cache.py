"""The engine's table cache: built once, loaded after; a damaged file or a read-only folder only costs a rebuild."""
import os

import pytest

from jiaokan.cache import KEPT_PER_NAME, cached_table


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("JIAOKAN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_table_is_built_once_then_loaded(cache_folder):
    builds = []

    def build():
        builds.append(1)
        return {"词": 3}

    assert cached_table("table", build, ["a"]) == {"词": 3}
    assert cached_table("table", build, ["a"]) == {"词": 3}
    assert len(builds) == 1
    assert cached_table("table", build, ["b"]) == {"词": 3}  # other inputs, another table
    assert len(builds) == 2


def test_a_damaged_file_is_built_again(cache_folder):
    cached_table("table", lambda: [1, 2], ["x"])
    (stored,) = cache_folder.glob("table-*.pickle")
    stored.write_bytes(b"not a pickle")
    assert cached_table("table", lambda: [3], ["x"]) == [3]
    assert cached_table("table", lambda: [4], ["x"]) == [3]


def test_an_unwritable_folder_or_none_only_means_building(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("JIAOKAN_CACHE_DIR", str(blocker / "cache"))  # a folder under a file: cannot exist
    assert cached_table("table", lambda: "built") == "built"
    monkeypatch.setenv("JIAOKAN_CACHE_DIR", "")
    assert cached_table("table", lambda: "built again") == "built again"


def test_old_tables_of_a_name_are_pruned(cache_folder):
    for index in range(KEPT_PER_NAME + 3):
        cached_table("table", lambda: index, [str(index)])
        latest = max(cache_folder.glob("table-*.pickle"), key=os.path.getmtime)
        os.utime(latest, (index, index))  # distinct ages, oldest first
    assert len(list(cache_folder.glob("table-*.pickle"))) == KEPT_PER_NAME


def test_the_engine_loads_its_tables_from_the_cache(cache_folder):
    from jiaokan.resources import _parse_word_frequencies, load_word_frequencies

    load_word_frequencies.cache_clear()
    try:
        first = load_word_frequencies()
        assert list(cache_folder.glob("word-frequencies-*.pickle"))
        load_word_frequencies.cache_clear()
        assert load_word_frequencies() == first == _parse_word_frequencies()
    finally:
        load_word_frequencies.cache_clear()


def test_the_folder_stays_under_its_size_bound_least_recently_used_first(cache_folder, monkeypatch):
    from jiaokan import cache

    monkeypatch.setattr(cache, "MAXIMUM_BYTES", 3500)
    for index in range(5):
        cached_table(f"table{index}", lambda: b"x" * 1000)
        (latest,) = cache_folder.glob(f"table{index}-*.pickle")
        os.utime(latest, (index, index))  # distinct ages, oldest first
        if index == 2:
            assert cached_table("table0", lambda: b"never built") == b"x" * 1000  # loaded again: used now, kept
            (first,) = cache_folder.glob("table0-*.pickle")
            os.utime(first, (2.5, 2.5))
    kept = sorted(path.name.split("-")[0] for path in cache_folder.glob("*.pickle"))
    assert kept == ["table0", "table3", "table4"]
    assert sum(path.stat().st_size for path in cache_folder.glob("*.pickle")) <= 3500


def test_a_lexicon_of_long_terms_reuses_every_table_of_the_word_list(cache_folder):
    """Tables of two-character words, and of the misreadings of words up to four characters,
    meet no longer term: a lexicon that adds only longer terms builds none of them again."""
    from jiaokan.repair import build_tables
    from jiaokan.resources import Lexicon, Resources, WordModel, load_lookalikes, load_word_frequencies

    def resources_with(terms):
        frequencies = dict(load_word_frequencies()) | dict.fromkeys(terms, 2000)
        model = WordModel(frequencies, sum(frequencies.values()), 8, table_key=tuple(sorted(terms)))
        return Resources(model, Lexicon(frozenset(terms)), load_lookalikes())

    build_tables(resources_with(["墨子巡天望远镜"]))
    model = resources_with(["钍基熔盐堆实验"]).words
    model.lattice
    stored = set(cache_folder.glob("*.pickle"))
    build_tables(resources_with(["钍基熔盐堆实验"]))
    assert set(cache_folder.glob("*.pickle")) == stored
    assert "钍基熔盐堆" in model.lattice and model.lattice["钍基熔盐堆"] == float("-inf")  # a term's beginnings are added
