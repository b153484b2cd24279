"""``POST /v1/correct``: correct one text with its witnesses; stateless (nothing is stored).

The route is cheap around the engine: it reads the lexicon from a per-process cache (one
version number per request, `jiaokan.store.lexicon_cache`), runs the lexicon check, the engine
and the JSON encoding in the app's engine lane (one thread: the event loop stays free for
other connections), and encodes the response once: the edits come from the engine, so
validating them again against `CorrectResponse` would only repeat work (``response_model``
still documents it).

One lane, not the shared thread pool: the engine holds the interpreter lock for most of a
request, so threads running it side by side only take turns, and lose to the switching. On
this project's 2-core benchmark machine a 2 KB text cost 4.6 ms of CPU run after run, and
9.8 ms each with eight threads at once; queued requests wait in the event loop instead, and
more throughput comes from more worker processes (``jiaokan serve --workers``).
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
    lane = request.app.state.engine_lane
    encoded = await asyncio.get_running_loop().run_in_executor(lane, correct_to_json, request.app.state.engine_configs, body)
    return Response(content=encoded, media_type=JSON_MEDIA_TYPE)


def correct_to_json(engine_configs: "EngineConfigs", body: CorrectRequest) -> bytes:
    """The correction of ``body`` as the JSON of a `CorrectResponse` (UTF-8)."""
    from pydantic_core import to_json

    from jiaokan import correct_text

    config = engine_configs.for_request(body.options)
    correction = correct_text(body.text, body.witnesses, config=config)
    return to_json({"text": correction.text, "edits": correction.edit_records()})
