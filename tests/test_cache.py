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
