"""The engine config of a correction request: the service's engine options with the lexicon's
current terms (built once per lexicon version in each process), then the request's options.

A lexicon change is prepared off the request path: a background thread loads the new terms'
resources and builds the tables that depend on them (`prepare_engine`), while the config of
the lexicon before keeps serving, so a correction right after a change costs what any other
does. Corrections see the new terms once they are ready (eventually consistent: seconds
later, `EngineConfigs.serving_version` tells which lexicon version serves). Only the first
lexicon a process serves is prepared on the request path: there is nothing older to serve.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping

from jiaokan.errors import ConfigError

if TYPE_CHECKING:
    from jiaokan.config import EngineConfig
    from jiaokan.settings import Settings
    from jiaokan.store.lexicon_cache import LexiconCache, LexiconSnapshot

logger = logging.getLogger(__name__)


def prepare_engine(config: "EngineConfig") -> None:
    """Load the resources of ``config``'s terms and build every table the engine consults
    (the tables no term reaches come from `jiaokan.cache`, the same for every lexicon)."""
    from jiaokan.engine.stages import warm_up
    from jiaokan.resources import load_resources

    warm_up(load_resources(config.extra_terms), config)


class EngineConfigs:
    """Engine configs for requests, on top of the lexicon as it is stored now (or, while a
    change is being prepared, as it was: see the module's docstring)."""

    def __init__(self, settings: "Settings", lexicon: "LexiconCache", prepare: Callable[["EngineConfig"], None] | None = None) -> None:
        self._settings = settings
        self._lexicon = lexicon
        self._prepare = prepare
        self._serving: tuple["LexiconSnapshot", "EngineConfig"] | None = None
        self._preparing: threading.Thread | None = None
        self._lock = threading.Lock()

    def base(self) -> "EngineConfig":
        """The service's config with the lexicon's terms: the current ones once they are
        prepared, those before until then."""
        snapshot = self._lexicon.current()
        serving = self._serving
        if serving is not None and serving[0].version == snapshot.version:
            return serving[1]
        if serving is None:
            return self._prepared(snapshot)  # the first lexicon: nothing older to serve
        self._prepare_in_background(snapshot)
        return serving[1]

    @property
    def serving_version(self) -> int | None:
        """The version of the lexicon whose terms corrections get now (None before the first)."""
        serving = self._serving
        return serving[0].version if serving is not None else None

    def for_request(self, options: Mapping[str, Any] | None) -> "EngineConfig":
        """The base config with a request's ``options`` on top; ``extra_terms`` add to the lexicon's."""
        return with_options(self.base(), options)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the change being prepared, if any (tests; a server never waits)."""
        preparing = self._preparing
        if preparing is not None:
            preparing.join(timeout)

    def _prepared(self, snapshot: "LexiconSnapshot") -> "EngineConfig":
        config = self._settings.engine_config(snapshot.terms)
        (self._prepare or prepare_engine)(config)
        self._serving = (snapshot, config)
        return config

    def _prepare_in_background(self, snapshot: "LexiconSnapshot") -> None:
        """Start preparing ``snapshot`` unless a change is being prepared already (when that
        one is ready, the next request sees the lexicon moved on, and starts the next)."""
        with self._lock:
            if self._preparing is not None:
                return
            self._preparing = threading.Thread(target=self._prepare_then_serve, args=(snapshot,), name="jiaokan-lexicon", daemon=True)
            self._preparing.start()

    def _prepare_then_serve(self, snapshot: "LexiconSnapshot") -> None:
        try:
            self._prepared(snapshot)
        except Exception:  # the lexicon before keeps serving; the next request tries again
            logger.exception("preparing lexicon version %s failed", snapshot.version)
        finally:
            with self._lock:
                self._preparing = None


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
