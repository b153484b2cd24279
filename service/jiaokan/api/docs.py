"""The API's documentation pages, served offline: Swagger UI at ``/docs`` and ReDoc at
``/redoc`` load their scripts and styles from this server (the files ``fastapi-offline``
ships), never from a CDN, so they work on a machine without the internet; and the favicon."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request  # the routes' annotation (this module is imported only by create_app)

#: where the documentation pages' scripts and styles are served from
DOCS_STATIC_URL = "/docs-static"
#: the pages may load nothing from elsewhere: ReDoc's bundle shows its maker's logo from a CDN
#: (hidden when it cannot load), and a browser must not even ask for it
OFFLINE_POLICY = {"content-security-policy": "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'"}
FAVICON = Path(__file__).resolve().parent.parent / "review" / "static" / "favicon.ico"


def docs_static_directory() -> Path:
    """The folder of Swagger UI's and ReDoc's files in the installed ``fastapi_offline`` package."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def mount_docs(app) -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and ``/favicon.ico`` to ``app``
    (created with ``docs_url=None, redoc_url=None``)."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    app.mount(DOCS_STATIC_URL, StaticFiles(directory=str(docs_static_directory())), name="docs-static")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request):
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title} · Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{DOCS_STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}/favicon.ico",
        )
        page.headers.update(OFFLINE_POLICY)
        return page

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect():
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request):
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title} · ReDoc",
            redoc_js_url=f"{root}{DOCS_STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}/favicon.ico",
            with_google_fonts=False,
        )
        page.headers.update(OFFLINE_POLICY)
        return page

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return FileResponse(FAVICON, media_type="image/x-icon", headers={"cache-control": "public, max-age=86400"})

