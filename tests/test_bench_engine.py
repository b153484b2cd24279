"""The engine benchmark's helpers (growth fit, timing, synthetic archive) and a run at a tiny size."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ is a top-level folder of the repository, not part of the installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_engine  # noqa: E402


def test_loglog_slope_recovers_the_exponent():
    sizes = [100, 300, 1000, 3000]
    assert bench_engine.loglog_slope(sizes, [3 * size for size in sizes]) == pytest.approx(1.0)
    assert bench_engine.loglog_slope(sizes, [size ** 2 / 7 for size in sizes]) == pytest.approx(2.0)
    assert bench_engine.loglog_slope([100], [1.0]) is None


def test_timed_reports_the_median_and_caps_long_runs(monkeypatch):
    figure = bench_engine.timed(lambda: None, 5)
    assert len(figure["runs"]) == 5 and figure["median"] >= 0
    monkeypatch.setattr(bench_engine, "LONG_RUN_SECONDS", 0.0)  # every run counts as long
    assert len(bench_engine.timed(lambda: sum(range(1000)), 5)["runs"]) == 3


def test_article_of_length_is_close_to_the_length_asked():
    articles = bench_engine.load_articles()
    for length in (1_000, 20_000):
        text = bench_engine.article_of_length(articles, length, seed=1)
        assert length * 0.95 <= len(text) <= length


def _eight_grams(text: str) -> set[str]:
    keys = "".join(character for character in text if character.isalnum())
    return {keys[index:index + 8] for index in range(len(keys) - 7)}


def test_permuted_articles_share_no_ngrams_with_the_originals():
    articles = bench_engine.load_articles()[:20]
    supply = bench_engine._UniqueArticles(articles, seed=3)
    originals = [supply.next() for _ in articles]
    variants = [supply.next() for _ in articles]
    assert originals == articles
    shared = _eight_grams("".join(originals)) & _eight_grams("".join(variants))
    assert len(shared) < 0.01 * len(_eight_grams("".join(variants)))


def test_archive_pages_repeat_stories_that_discovery_finds():
    from jiaokan import DEFAULT_CONFIG

    articles = bench_engine.load_articles()
    pages = bench_engine.archive_pages(articles, 30, seed=2)
    assert len(pages) == 30
    assert all(bench_engine.PAGE_LENGTH * 0.8 <= len(text) <= bench_engine.PAGE_LENGTH * 1.2 for text in pages.values())
    assert bench_engine.archive_pages(articles, 30, seed=2) == pages
    passages = bench_engine.discover(bench_engine.build_views(pages), DEFAULT_CONFIG)
    assert passages, "pages sharing a story must yield shared passages"
    assert len({passage.first for passage in passages} | {passage.second for passage in passages}) < 30


@pytest.mark.slow
def test_tiny_run_returns_figures_and_markdown(tmp_path):
    output = tmp_path / "engine.json"
    figures = bench_engine.main(["--length", "1500", "--witnesses", "2,3", "--lengths", "1000,2000",
                                 "--discovery-sizes", "20,40", "--repeat", "1", "--cold-repeat", "1",
                                 "--json", str(output)])
    assert output.exists()
    assert figures["throughput"]["repair"]["characters_per_second"] > 0
    assert [row["witnesses"] for row in figures["by_witnesses"]] == [2, 3]
    assert [row["documents"] for row in figures["discovery"]["sizes"]] == [20, 40]
    assert "### Targets" in figures["markdown"] and "python -m bench.bench_engine" in figures["markdown"]
