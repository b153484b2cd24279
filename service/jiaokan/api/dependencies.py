"""FastAPI dependencies as ``Annotated`` aliases: the settings and a store session per request."""
from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from jiaokan.settings import Settings


async def get_settings(request: Request) -> Settings:
    """The app's settings (given to `create_app`); async, so FastAPI calls it without a thread."""
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for this request, closed afterwards; routes that write use
    `jiaokan.store.repository.write_transaction`."""
    with request.app.state.session_factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
