"""A lexicon change is prepared off the request path: the lexicon before serves corrections
until the new terms' tables are built, then the new terms do (eventually consistent)."""
from __future__ import annotations

import threading

import pytest

from jiaokan.api.engine_configs import EngineConfigs
from jiaokan.settings import load_settings
from jiaokan.store.lexicon_cache import LexiconSnapshot


class StoredLexicon:
    """Stands in for `LexiconCache`: the snapshot a test sets is the stored lexicon."""

    def __init__(self, *terms: str) -> None:
        self.snapshot = LexiconSnapshot(version=1, terms=terms)

    def change(self, *terms: str) -> None:
        self.snapshot = LexiconSnapshot(version=self.snapshot.version + 1, terms=terms)

    def current(self) -> LexiconSnapshot:
        return self.snapshot


class HeldPreparation:
    """A preparation that waits until the test lets it finish (or fails when told to)."""

    def __init__(self) -> None:
        self.prepared: list[tuple[str, ...]] = []
        self.release = threading.Event()
        self.fail = False

    def __call__(self, config) -> None:
        if self.prepared:  # the first lexicon is prepared on the request path: never held
            self.release.wait(30)
        if self.fail:
            raise RuntimeError("no tables")
        self.prepared.append(config.extra_terms)


@pytest.fixture
def configs():
    lexicon, preparation = StoredLexicon("子午工程"), HeldPreparation()
    return EngineConfigs(load_settings(), lexicon, prepare=preparation), lexicon, preparation


def test_the_lexicon_before_serves_until_the_change_is_prepared(configs):
    engine_configs, lexicon, preparation = configs
    assert engine_configs.base().extra_terms == ("子午工程",) and engine_configs.serving_version == 1
    lexicon.change("子午工程", "墨子巡天望远镜")
    for _ in range(3):  # asked again and again while the change is prepared: one preparation, the old terms
        assert engine_configs.base().extra_terms == ("子午工程",)
    assert engine_configs.serving_version == 1
    preparation.release.set()
    engine_configs.wait(30)
    assert engine_configs.base().extra_terms == ("墨子巡天望远镜", "子午工程") and engine_configs.serving_version == 2
    assert preparation.prepared == [("子午工程",), ("墨子巡天望远镜", "子午工程")]


def test_a_failed_preparation_leaves_the_lexicon_before_serving_and_is_tried_again(configs):
    engine_configs, lexicon, preparation = configs
    engine_configs.base()
    lexicon.change("墨子巡天望远镜")
    preparation.fail = True
    preparation.release.set()
    assert engine_configs.base().extra_terms == ("子午工程",)
    engine_configs.wait(30)
    assert engine_configs.base().extra_terms == ("子午工程",)  # and it starts again
    preparation.fail = False
    engine_configs.wait(30)
    engine_configs.base()
    engine_configs.wait(30)
    assert engine_configs.base().extra_terms == ("墨子巡天望远镜",)


def test_a_term_added_through_the_api_corrects_once_prepared(client):
    """The real engine: right after the change the correction still answers (the lexicon
    before serves it); once the change is prepared the new term corrects its look-alike."""
    text = "新建的墨子巡夭望远镜性能优良。"
    assert client.post("/v1/correct", json={"text": text}).json()["text"] == text
    assert client.post("/v1/lexicon/terms", json={"term": "墨子巡天望远镜"}).status_code == 201
    right_after = client.post("/v1/correct", json={"text": text})
    assert right_after.status_code == 200
    client.app.state.engine_configs.wait(300)
    assert client.post("/v1/correct", json={"text": text}).json()["text"] == "新建的墨子巡天望远镜性能优良。"
