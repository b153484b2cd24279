"""jiaokan's exceptions as HTTP responses: a status and a JSON ``detail``, never a traceback."""
from __future__ import annotations

from jiaokan.errors import ConfigError, ConflictError, EditConflictError, InputError, JiaokanError, NotFoundError, ResourceError

#: exception type -> HTTP status (checked in order; the first match wins)
STATUS_BY_ERROR: tuple[tuple[type[JiaokanError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (EditConflictError, 409),
    (InputError, 422),
    (ConfigError, 422),
    (ResourceError, 503),
)


def status_for(error: JiaokanError) -> int:
    """The HTTP status of a jiaokan error."""
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 400


def validation_details(errors) -> list[dict]:
    """FastAPI's validation errors without the offending input: echoing it back could be
    megabytes, and a lone surrogate or a NaN in it cannot even be encoded as JSON."""
    return [
        {
            "type": str(error.get("type", "")),
            "loc": [part if isinstance(part, int) else _printable(str(part)) for part in error.get("loc", ())],
            "msg": _printable(str(error.get("msg", ""))),
        }
        for error in errors
    ]


def _printable(value: str) -> str:
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def install_error_handlers(app) -> None:
    """Map `JiaokanError` (and its subclasses) and validation errors to JSON responses."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    async def handle_jiaokan_error(_request, error: JiaokanError):
        return JSONResponse(status_code=status_for(error), content={"detail": _printable(str(error))})

    async def handle_validation_error(_request, error: RequestValidationError):
        return JSONResponse(status_code=422, content={"detail": validation_details(error.errors())})

    app.add_exception_handler(JiaokanError, handle_jiaokan_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
