"""``GET /healthz``: the compose healthcheck; also proves the database answers."""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from jiaokan.api.dependencies import SessionDep
from jiaokan.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="health", response_model=Health)
def health(session: SessionDep) -> Health:
    """The service is up and its database answers."""
    from importlib.metadata import PackageNotFoundError, version

    session.execute(text("SELECT 1"))
    try:
        package_version = version("jiaokan")
    except PackageNotFoundError:  # running from a source tree without installing
        package_version = "unknown"
    return Health(status="ok", database="ok", version=package_version)
