"""The engine config of a correction request: the service's engine options with the lexicon's
current terms (built once per lexicon version in each process), then the request's options."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from jiaokan.errors import ConfigError

if TYPE_CHECKING:
    from jiaokan.config import EngineConfig
    from jiaokan.settings import Settings
    from jiaokan.store.lexicon_cache import LexiconCache, LexiconSnapshot


class EngineConfigs:
    """Engine configs for requests, on top of the lexicon as it is stored now."""

    def __init__(self, settings: "Settings", lexicon: "LexiconCache") -> None:
        self._settings = settings
        self._lexicon = lexicon
        self._built: tuple["LexiconSnapshot", "EngineConfig"] | None = None

    def base(self) -> "EngineConfig":
        """The service's config with the lexicon's current terms (rebuilt when they change)."""
        snapshot = self._lexicon.current()
        built = self._built
        if built is None or built[0] is not snapshot:
            built = (snapshot, self._settings.engine_config(snapshot.terms))
            self._built = built
        return built[1]

    def for_request(self, options: Mapping[str, Any] | None) -> "EngineConfig":
        """The base config with a request's ``options`` on top; ``extra_terms`` add to the lexicon's."""
        return with_options(self.base(), options)


def with_options(base: "EngineConfig", options: Mapping[str, Any] | None) -> "EngineConfig":
    """``base`` changed by ``options`` (`EngineConfig.from_options`); a bad option is a `ConfigError`."""
    from jiaokan.config import EngineConfig

    if not options:
        return base
    options = dict(options)
    extra = options.pop("extra_terms", None)
    try:
        config = EngineConfig.from_options(options, base=base)
        if extra is not None:
            config = EngineConfig.from_options({"extra_terms": list(base.extra_terms) + term_list(extra)}, base=config)
    except (TypeError, ValueError) as error:  # e.g. a string where a number belongs
        raise ConfigError(f"bad engine option: {error}") from error
    return config


def term_list(value: Any) -> list[str]:
    """``value`` if it is a list of strings, else a `ConfigError`."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError("option extra_terms must be a list of strings")
    return value
