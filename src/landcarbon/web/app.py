"""The FastAPI application: ``create_app(settings)``; ``app_from_env()`` for uvicorn worker processes.

Layers, outside in: CORS (only with ``cors_origins``), the access log and request ids, ETag /
Cache-Control / 304 and the response cache, then the routes (api, tiles, write, dashboard). Errors
are JSON (``errors.install``). On shutdown the runs this process started are stopped and the
catalog is closed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI

from . import api, dashboard, errors, logs, tiles, write
from .middleware import AccessLog, CacheAndTags
from .service import Service
from .settings import Settings

log = logs.get("landcarbon.web")

DESCRIPTION = """The open data of landcarbon studies: studies, scenarios, years, zones (GeoJSON), indicators with
status (JSON or CSV in UTF-8 with BOM), variables, time series, balance zoning, model specs, map tiles of the
study's rasters with legends, and report downloads. Read routes are open; write routes (plans, runs, deletion)
need `Authorization: Bearer <token>`. Every GET answer carries an ETag (send `If-None-Match` for a 304) and
`Cache-Control`. Errors are JSON: `{"error", "detail", "request_id"}`."""


def create_app(settings: Settings, *, service: Service | None = None) -> FastAPI:
    """The service over ``settings.catalog``. ``service``: an already opened :class:`Service` (tests)."""
    svc = service or Service.open(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm_imports()
        log.info("service ready", extra={"catalog": svc.catalog.url, "root": str(svc.root or ""),
                                         "writes": svc.token is not None})
        try:
            yield
        finally:
            runs = getattr(svc, "_runs", None)
            if runs is not None:
                runs.stop_mine()
            svc.close()
            log.info("service stopped")

    app = FastAPI(title="landcarbon open-data API", version=version("landcarbon"), description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan)
    app.state.service = svc
    errors.install(app)
    app.include_router(api.router)
    app.include_router(tiles.router)
    app.include_router(write.router)
    app.include_router(dashboard.router)
    dashboard.mount(app)
    app.add_middleware(CacheAndTags, service=svc)
    app.add_middleware(AccessLog)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "If-None-Match"],
                           expose_headers=["ETag", "Link", "X-Total-Count", "X-Request-Id"], max_age=600)
    return app


#: modules the routes import lazily, loaded once before the first request: importing them first from
#: several threads at once can fail (rio_tiler's packages import each other)
WARM = ("rio_tiler.io", "rio_tiler.utils", "rio_tiler.errors", "rasterio.warp", "landcarbon.report.style",
        "landcarbon.models.indicators", "landcarbon.core.classes", "landcarbon.io.tables", "landcarbon.io.plan")


def warm_imports() -> None:
    import importlib

    for name in WARM:
        importlib.import_module(name)


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory``: the settings come as JSON in ``LANDCARBON_WEB_SETTINGS``."""
    settings = Settings.from_env()
    return create_app(settings)


__all__ = ["WARM", "app_from_env", "create_app", "warm_imports"]
