"""``POST /v1/correct``: correct one text with its witnesses; stateless (nothing is stored).

The route is cheap around the engine: it reads the lexicon from a per-process cache (one
version number per request, `jiaokan.store.lexicon_cache`), runs the lexicon check, the engine
and the JSON encoding together, and encodes the response once: the edits come from the
engine, so validating them again against `CorrectResponse` would only repeat work
(``response_model`` still documents it).

Where the engine runs: the engine holds the interpreter lock for most of a request, so
threads running it side by side only take turns, and lose to the switching. On this
project's 2-core benchmark machine a 2 KB text cost 4.6 ms of CPU run after run, and 9.8 ms
each with eight threads at once. So a small request (`INLINE_CHARACTERS`, a few to a few
dozen milliseconds of work) runs right in the event loop, where handing it to a thread
would cost more than it saves; a larger one runs in the app's engine lane, one thread, so
the event loop stays free for other connections meanwhile. More throughput comes from more
worker processes (``jiaokan serve --workers``).
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from jiaokan.api.dependencies import SettingsDep
from jiaokan.api.schemas import CorrectRequest, CorrectResponse
from jiaokan.errors import InputError

if TYPE_CHECKING:
    from jiaokan.api.engine_configs import EngineConfigs

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
    responses={422: {"description": "bad text or engine options"}, 413: {"description": "body too large"}},
)
async def correct(body: CorrectRequest, settings: SettingsDep, request: Request) -> Response:
    """Correct ``text`` against its ``witnesses``; offsets of the edits index the posted text.

    The lexicon's terms (``/v1/lexicon/terms``) take part, as do ``options``
    (see `EngineConfig.from_options`; a bad option is a 422).
    """
    if len(body.witnesses) > settings.max_witnesses:
        raise InputError(f"at most {settings.max_witnesses} witnesses per request")
    engine_configs = request.app.state.engine_configs
    if len(body.text) + sum(map(len, body.witnesses)) <= INLINE_CHARACTERS:
        encoded = correct_to_json(engine_configs, body)
    else:
        encoded = await asyncio.get_running_loop().run_in_executor(request.app.state.engine_lane, correct_to_json, engine_configs, body)
    return Response(content=encoded, media_type=JSON_MEDIA_TYPE)


def correct_to_json(engine_configs: "EngineConfigs", body: CorrectRequest) -> bytes:
    """The correction of ``body`` as the JSON of a `CorrectResponse` (UTF-8)."""
    from pydantic_core import to_json

    from jiaokan import correct_text

    config = engine_configs.for_request(body.options)
    correction = correct_text(body.text, body.witnesses, config=config)
    return to_json({"text": correction.text, "edits": correction.edit_records(), "variants": [variant.to_dict() for variant in correction.variants]})
