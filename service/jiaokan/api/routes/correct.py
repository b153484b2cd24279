"""``POST /v1/correct``: correct one text with its witnesses; stateless (nothing is stored)."""
from __future__ import annotations

from fastapi import APIRouter

from jiaokan.api.dependencies import SessionDep, SettingsDep
from jiaokan.api.schemas import CorrectRequest, CorrectResponse
from jiaokan.errors import ConfigError, InputError
from jiaokan.store import repository

router = APIRouter(prefix="/v1", tags=["correct"])


@router.post(
    "/correct",
    operation_id="correct_text",
    response_model=CorrectResponse,
    responses={422: {"description": "bad text or engine options"}, 413: {"description": "body too large"}},
)
def correct(request: CorrectRequest, settings: SettingsDep, session: SessionDep) -> dict:
    """Correct ``text`` against its ``witnesses``; offsets of the edits index the posted text.

    The lexicon's terms (``/v1/lexicon/terms``) take part, as do ``options``
    (see `EngineConfig.from_options`; a bad option is a 422).
    """
    from jiaokan import correct_text

    if len(request.witnesses) > settings.max_witnesses:
        raise InputError(f"at most {settings.max_witnesses} witnesses per request")
    config = engine_config(settings, repository.term_strings(session), request.options)
    session.close()  # the engine may take a while: do not hold a connection meanwhile
    correction = correct_text(request.text, request.witnesses, config=config)
    return {"text": correction.text, "edits": correction.edit_records()}


def engine_config(settings, terms: tuple[str, ...], options: dict | None):
    """The service's config with the lexicon's terms, then the request's options on top."""
    from jiaokan.config import EngineConfig

    base = settings.engine_config(terms)
    if not options:
        return base
    options = dict(options)
    extra = options.pop("extra_terms", None)
    try:
        config = EngineConfig.from_options(options, base=base)
        if extra is not None:
            config = EngineConfig.from_options({"extra_terms": list(terms) + list(_term_list(extra))}, base=config)
    except (TypeError, ValueError) as error:  # e.g. a string where a number belongs
        raise ConfigError(f"bad engine option: {error}") from error
    return config


def _term_list(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError("option extra_terms must be a list of strings")
    return value
