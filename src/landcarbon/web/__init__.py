"""landcarbon.web: the open-data API and monitoring dashboard over a results catalog (docs/web.md).

``landcarbon serve --catalog PATH_OR_URL`` runs it; in Python, ``create_app(Settings(catalog=...))``
gives the FastAPI application. FastAPI, uvicorn and rio-tiler are the ``web`` extra; they load only
when the service is created.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
