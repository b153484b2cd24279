"""``POST /v1/correct``: correct one text with its witnesses; stateless (nothing is stored)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from jiaokan.api.dependencies import SettingsDep
from jiaokan.api.schemas import CorrectRequest, CorrectResponse
from jiaokan.errors import InputError

router = APIRouter(prefix="/v1", tags=["correct"])


@router.post(
    "/correct",
    operation_id="correct_text",
    response_model=CorrectResponse,
    responses={422: {"description": "bad text or engine options"}, 413: {"description": "body too large"}},
)
def correct(body: CorrectRequest, settings: SettingsDep, request: Request) -> dict:
    """Correct ``text`` against its ``witnesses``; offsets of the edits index the posted text.

    The lexicon's terms (``/v1/lexicon/terms``) take part, as do ``options``
    (see `EngineConfig.from_options`; a bad option is a 422).
    """
    from jiaokan import correct_text

    if len(body.witnesses) > settings.max_witnesses:
        raise InputError(f"at most {settings.max_witnesses} witnesses per request")
    config = request.app.state.engine_configs.for_request(body.options)
    correction = correct_text(body.text, body.witnesses, config=config)
    return {"text": correction.text, "edits": correction.edit_records()}
