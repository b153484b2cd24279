"""jiaokan's exceptions as HTTP responses: a status and a JSON ``detail``, never a traceback.

The one place errors become answers: jiaokan's own exceptions, the database's refusals
(through `jiaokan.store.database.storage_error`, so SQLite and PostgreSQL answer alike),
validation errors (a 422 whose ``detail`` is a list, as the schema says; an id in a path that
cannot exist is a 404), and a method a path does not take (405 with every method it does take
in ``Allow``; OPTIONS is answered with that ``Allow``).
"""
from __future__ import annotations

from jiaokan.errors import (
    ConfigError,
    ConflictError,
    EditConflictError,
    InputError,
    JiaokanError,
    NotFoundError,
    OverloadedError,
    ResourceError,
    TooLargeError,
)

#: exception type -> HTTP status (checked in order; the first match wins)
STATUS_BY_ERROR: tuple[tuple[type[JiaokanError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (EditConflictError, 409),
    (TooLargeError, 413),
    (InputError, 422),
    (ConfigError, 422),
    (ResourceError, 503),
    (OverloadedError, 503),
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


def error_content(status: int, message: str) -> dict:
    """The JSON of an error: ``{"detail": message}``, or for a 422 a list as validation errors have."""
    message = _printable(message)
    if status == 422:
        return {"detail": [{"type": "value_error", "loc": [], "msg": message}]}
    return {"detail": message}


#: the methods `allowed_methods` asks the routes about
HTTP_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(app, scope) -> list[str]:
    """Every method some route takes at this path (Starlette's 405 names only the first route's):
    each is tried against the routes as the router would match it."""
    from starlette.routing import Match

    def taken(method: str) -> bool:
        probe = dict(scope, method=method)
        return any(route.matches(probe)[0] == Match.FULL for route in app.router.routes)

    return sorted({"OPTIONS", *filter(taken, HTTP_METHODS)})


#: paths whose errors are pages for people (the review page), not JSON
HTML_ERROR_PREFIX = "/review"


def install_error_handlers(app) -> None:
    """Map `JiaokanError` (and its subclasses), database refusals, validation errors and
    methods a path does not take to JSON responses; under ``/review`` to an HTML page instead,
    when the app has a page renderer (``app.state.render_error_page(request, status, message)``,
    set by the review page)."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from sqlalchemy.exc import DBAPIError
    from starlette.exceptions import HTTPException

    from jiaokan.store.database import storage_error

    def respond(request, status: int, content: dict, message: str, headers=None):
        renderer = getattr(request.app.state, "render_error_page", None)
        if renderer is not None and request.url.path.startswith(HTML_ERROR_PREFIX) and "/static/" not in request.url.path:
            return renderer(request, status, message)
        return JSONResponse(status_code=status, content=content, headers=headers)

    async def handle_jiaokan_error(request, error: JiaokanError):
        status = status_for(error)
        return respond(request, status, error_content(status, str(error)), _printable(str(error)))

    async def handle_database_error(request, error: DBAPIError):
        translated = storage_error(error)
        if translated is None:
            raise error
        return await handle_jiaokan_error(request, translated)

    async def handle_validation_error(request, error: RequestValidationError):
        errors = error.errors()
        if errors and all(tuple(item.get("loc", ()))[:1] == ("path",) for item in errors):
            message = f"nothing at {_printable(request.url.path)}: no such id"
            return respond(request, 404, {"detail": message}, message)
        details = validation_details(errors)
        message = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in details)
        return respond(request, 422, {"detail": details}, message)

    async def handle_http_error(request, error: HTTPException):
        if error.status_code != 405:
            return respond(request, error.status_code, {"detail": error.detail}, str(error.detail), error.headers)
        allow = {"allow": ", ".join(allowed_methods(request.app, request.scope))}
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=allow)
        message = f"{request.method} is not allowed here"
        return respond(request, 405, {"detail": message}, message, allow)

    app.add_exception_handler(JiaokanError, handle_jiaokan_error)
    app.add_exception_handler(DBAPIError, handle_database_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(HTTPException, handle_http_error)
