"""``POST /v1/correct``: correct one text with its witnesses; stateless (nothing is stored).

The route is cheap around the engine: it reads the lexicon from a per-process cache (one
version number per request, `jiaokan.store.lexicon_cache`), runs the lexicon check, the engine
and the JSON encoding together, and encodes the response once: the edits come from the
engine, so validating them again against `CorrectResponse` would only repeat work
(``response_model`` still documents it).

Where the engine runs: the engine holds the interpreter lock for most of a request, so
threads running it side by side only take turns. A small request (`INLINE_CHARACTERS`, a few
to a few dozen milliseconds of work) runs right in the event loop, where handing it elsewhere
would cost more than it saves; a larger one runs in the app's engine lane
(`jiaokan.api.engine_lane`): a worker process, within the time budget
(``JIAOKAN_CORRECT_TIME_BUDGET``; past it a 503 and the process is stopped), so the event loop
stays free for other connections meanwhile. Beyond ``JIAOKAN_MAX_CORRECT_CHARACTERS`` (text plus
witnesses) the request is refused with a 413 that points to the stored documents and to
``jiaokan clean``. More throughput comes from more worker processes (``jiaokan serve --workers``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from jiaokan.api.dependencies import SettingsDep
from jiaokan.api.schemas import CorrectRequest, CorrectResponse
from jiaokan.errors import InputError, TooLargeError

if TYPE_CHECKING:
    from jiaokan.config import EngineConfig

router = APIRouter(prefix="/v1", tags=["correct"])
JSON_MEDIA_TYPE = "application/json"
#: requests with at most this many characters (text and witnesses) are corrected in the
#: event loop: measured 12 ms for 2,048 noisy characters alone, 34 ms for three copies of
#: 690 (collation costs more per character); larger ones go to the engine lane
INLINE_CHARACTERS = 2048


@router.post(
    "/correct",
    operation_id="correct_text",
    response_model=CorrectResponse,
    responses={
        413: {"description": "body or text too large: more characters than a synchronous correction takes"},
        422: {"description": "bad text or engine options"},
        503: {"description": "the correction ran out of its time budget and was stopped"},
    },
)
async def correct(body: CorrectRequest, settings: SettingsDep, request: Request) -> Response:
    """Correct ``text`` against its ``witnesses``; offsets of the edits index the posted text.

    The lexicon's terms (``/v1/lexicon/terms``) take part, as do ``options``
    (see `EngineConfig.from_options`; a bad option is a 422). At most
    ``JIAOKAN_MAX_CORRECT_CHARACTERS`` characters, text and witnesses together (default 20,000):
    longer texts go to ``POST /v1/documents`` or ``jiaokan clean``.
    """
    if len(body.witnesses) > settings.max_witnesses:
        raise InputError(f"at most {settings.max_witnesses} witnesses per request")
    characters = len(body.text) + sum(map(len, body.witnesses))
    if characters > settings.max_correct_characters:
        raise TooLargeError(
            f"{characters} characters (text and witnesses) is more than a synchronous correction takes "
            f"({settings.max_correct_characters}): store long texts with POST /v1/documents or correct "
            "folders with `jiaokan clean`"
        )
    config = request.app.state.engine_configs.for_request(body.options.given() if body.options else None)
    if characters <= INLINE_CHARACTERS:
        encoded = correct_to_json(config, body)
    else:
        configs = request.app.state.engine_configs
        encoded = await request.app.state.engine_lane.run(correct_to_json, config, body, generation=configs.serving_version)
    return Response(content=encoded, media_type=JSON_MEDIA_TYPE)


def correct_to_json(config: "EngineConfig", body: CorrectRequest) -> bytes:
    """The correction of ``body`` with ``config`` as the JSON of a `CorrectResponse` (UTF-8)."""
    from pydantic_core import to_json

    from jiaokan import correct_text

    correction = correct_text(body.text, body.witnesses, config=config)
    return to_json({"text": correction.text, "edits": correction.edit_records(), "variants": [variant.to_dict() for variant in correction.variants]})
