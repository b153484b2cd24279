"""Service settings: read from JIAOKAN_* variables, unsafe or unusable values refused."""
from __future__ import annotations

import pytest

from jiaokan.errors import ConfigError
from jiaokan.settings import load_settings


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("JIAOKAN_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("JIAOKAN_MAX_BODY_BYTES", "65536")
    monkeypatch.setenv("JIAOKAN_ENGINE_OPTIONS", '{"auto_apply_threshold": 0.95}')
    settings = load_settings()
    assert settings.database_url == "sqlite:///elsewhere.db" and settings.max_body_bytes == 65536
    assert settings.engine_config(("子午工程",)).auto_apply_threshold == 0.95
    assert settings.engine_config(("子午工程",)).extra_terms == ("子午工程",)


def test_default_store_is_a_sqlite_file_in_the_working_directory(monkeypatch):
    monkeypatch.delenv("JIAOKAN_DATABASE_URL", raising=False)
    assert load_settings().database_url == "sqlite:///jiaokan.db"


@pytest.mark.parametrize("overrides", [
    {"database_url": "mysql://root@db/x"},
    {"database_url": "jiaokan.db"},
    {"database_url": "postgresql+psycopg://jiaokan:changethis@db.example.org/jiaokan"},
    {"database_url": "postgresql+psycopg://jiaokan@db.example.org/jiaokan"},
    {"max_body_bytes": 10},
    {"max_body_bytes": 10**12},
    {"engine_options": {"no_such_option": 1}},
    {"engine_options": {"auto_apply_threshold": 7}},
    {"engine_options": {"ngram_size": "eight"}},
])
def test_unsafe_or_unusable_settings_are_refused(overrides):
    with pytest.raises(ConfigError):
        load_settings(**overrides)


def test_local_postgresql_without_password_is_fine():
    assert load_settings(database_url="postgresql+psycopg://postgres@127.0.0.1:5432/test").database_url.startswith("postgresql")


def test_serve_refuses_bad_settings_with_a_message(monkeypatch, capsys):
    from jiaokan.cli import main

    monkeypatch.setenv("JIAOKAN_DATABASE_URL", "mysql://nope")
    assert main(["serve", "--port", "1"]) == 2
    assert "database_url" in capsys.readouterr().err


def test_engine_options_that_are_not_json_are_refused(monkeypatch):
    monkeypatch.setenv("JIAOKAN_ENGINE_OPTIONS", "{not json")
    with pytest.raises(ConfigError):
        load_settings()
