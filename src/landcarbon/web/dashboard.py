"""The dashboard page, our own static files, the JavaScript libraries from npm, a route list at /docs,
and the health and readiness probes.

The libraries (Leaflet, ECharts) are installed by ``npm ci`` from ``web/frontend/package-lock.json``
into ``web/frontend/node_modules`` (``make install`` does it); only their ``dist`` folders are
served, under ``/vendor/``. ``LANDCARBON_WEB_ASSETS`` may name another ``node_modules`` folder.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from .api import _json

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
#: served name -> folder inside node_modules
VENDOR = {"leaflet": "leaflet/dist", "echarts": "echarts/dist"}
#: the files the dashboard loads, by served path
VENDOR_FILES = ("leaflet/leaflet.js", "leaflet/leaflet.css", "echarts/echarts.min.js")

router = APIRouter()


def node_modules() -> Path:
    env = os.environ.get("LANDCARBON_WEB_ASSETS")
    return Path(env).expanduser().resolve() if env else HERE / "frontend" / "node_modules"


def missing_assets() -> list[str]:
    nm = node_modules()
    out = []
    for f in VENDOR_FILES:
        name, _, rest = f.partition("/")
        if not (nm / VENDOR[name] / rest).is_file():
            out.append(f)
    return out


class _Static(StaticFiles):
    """Static files with a cache lifetime (and StaticFiles' own ETag / Last-Modified / 304)."""

    def __init__(self, *a: Any, max_age: int = 0, **kw: Any):
        super().__init__(*a, **kw)
        self.max_age = max_age

    def file_response(self, *a: Any, **kw: Any) -> Response:
        resp = super().file_response(*a, **kw)
        resp.headers["cache-control"] = f"public, max-age={self.max_age}" if self.max_age else "no-cache"
        return resp


def mount(app: FastAPI) -> None:
    app.mount("/static", _Static(directory=STATIC, max_age=0), name="static")
    nm = node_modules()
    for name, sub in VENDOR.items():
        folder = nm / sub
        if folder.is_dir():
            app.mount(f"/vendor/{name}", _Static(directory=folder, max_age=86400), name=f"vendor-{name}")


_ASSETS_MISSING = """<!doctype html><meta charset="utf-8"><title>landcarbon</title>
<h1>landcarbon</h1><p>The dashboard's JavaScript libraries are not installed: {missing}.</p>
<p>Run <code>make install</code> (or <code>npm ci --ignore-scripts</code> in <code>{folder}</code>) and restart.
The data API works without them: <a href="/api">/api</a>, <a href="/docs">/docs</a>.</p>"""


@router.get("/", include_in_schema=False)
async def index() -> Response:
    missing = missing_assets()
    if missing:
        return HTMLResponse(_ASSETS_MISSING.format(missing=html.escape(", ".join(missing)),
                                                   folder=html.escape(str(HERE / "frontend"))), status_code=503)
    page = (STATIC / "index.html").read_bytes()
    return Response(page, media_type="text/html; charset=utf-8", headers={"cache-control": "no-cache"})


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> Response:
    spec = request.app.openapi()
    rows = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{html.escape(op.get('summary', ''))}</td>"
                        f"<td>{'🔒' if op.get('security') or method != 'get' and 'write' in op.get('tags', []) else ''}</td></tr>")
    body = (f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(spec['info']['title'])}</title>"
            "<link rel='stylesheet' href='/static/dashboard.css'><body class='docs'>"
            f"<h1>{html.escape(spec['info']['title'])} {html.escape(spec['info']['version'])}</h1>"
            "<p>The machine-readable schema: <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3). 🔒 = needs "
            "<code>Authorization: Bearer &lt;token&gt;</code>. Dashboard: <a href='/'>/</a>.</p>"
            "<table><thead><tr><th>method</th><th>path</th><th>what</th><th></th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></body></html>")
    return HTMLResponse(body, headers={"cache-control": "no-cache"})


@router.get("/health", summary="Liveness: the process answers", tags=["meta"])
async def health(request: Request) -> Response:
    from importlib.metadata import version

    s = request.app.state.service
    return _json({"status": "ok", "version": version("landcarbon"), "pid": os.getpid(),
                  "uptime_s": round(time.time() - s.started, 1)}, headers={"cache-control": "no-store"})


@router.get("/ready", summary="Readiness: the catalog answers (503 while it does not)", tags=["meta"],
            responses={503: {"description": "the catalog does not answer"}})
async def ready(request: Request) -> Response:
    s = request.app.state.service
    t0 = time.perf_counter()
    try:
        n = len(await run_in_threadpool(s.catalog.studies))
    except Exception as err:
        return Response(_json_bytes({"status": "unavailable", "catalog": s.catalog.url,
                                     "detail": f"the catalog does not answer ({type(err).__name__})"}),
                        status_code=503, media_type="application/json", headers={"cache-control": "no-store"})
    missing = missing_assets()
    return _json({"status": "ready", "catalog": s.catalog.url, "studies": n,
                  "catalog_ms": round((time.perf_counter() - t0) * 1000, 1),
                  "dashboard": "ok" if not missing else f"JavaScript libraries missing: {', '.join(missing)}",
                  "writes": s.token is not None}, headers={"cache-control": "no-store"})


def _json_bytes(obj: Any) -> bytes:
    import json

    return json.dumps(obj, ensure_ascii=False).encode()


__all__ = ["missing_assets", "mount", "node_modules", "router"]
