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


#: paths whose errors are pages for people (the review page), not JSON
HTML_ERROR_PREFIX = "/review"


def install_error_handlers(app) -> None:
    """Map `JiaokanError` (and its subclasses), validation errors and unknown routes to JSON
    responses; under ``/review`` to an HTML page instead, when the app has a page renderer
    (``app.state.render_error_page(request, status, message)``, set by the review page)."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    def respond(request, status: int, detail, message: str, headers=None):
        renderer = getattr(request.app.state, "render_error_page", None)
        if renderer is not None and request.url.path.startswith(HTML_ERROR_PREFIX) and "/static/" not in request.url.path:
            return renderer(request, status, message)
        return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)

    async def handle_jiaokan_error(request, error: JiaokanError):
        message = _printable(str(error))
        return respond(request, status_for(error), message, message)

    async def handle_validation_error(request, error: RequestValidationError):
        details = validation_details(error.errors())
        message = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in details)
        return respond(request, 422, details, message)

    async def handle_http_error(request, error: HTTPException):
        return respond(request, error.status_code, error.detail, str(error.detail), getattr(error, "headers", None))

    app.add_exception_handler(JiaokanError, handle_jiaokan_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(HTTPException, handle_http_error)
