"""Pure-ASGI layers around the routes: request ids and the access log, refusal of control characters,
and ETag / Cache-Control / 304 with a per-process response cache keyed by the catalog fingerprint."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from typing import Any
from urllib.parse import unquote_to_bytes

from . import logs
from .service import Service

log = logs.get("landcarbon.web.access")

#: GET routes whose answers follow the catalog (cached and tagged); anything else passes through
_CACHED_PREFIXES = ("/api/",)
#: ... except these: run state lives outside the catalog; files stream from disk with their own tags
_UNCACHED_PREFIXES = ("/api/runs", "/api/plans")
_UNCACHED_PARTS = ("/files/",)
DEFAULT_CACHE_CONTROL = "no-cache"  # revalidate every time: the ETag makes that a cheap 304


def _json(status: int, body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]},
            data)


def _has_control(raw: bytes) -> bool:
    return any(b < 32 or b == 127 for b in raw)


class AccessLog:
    """Gives each request an id (``X-Request-Id``), refuses control characters in the path or query
    (400), and logs one JSON line per request: method, path, status, ms, bytes, request id, client."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        info = {"status": 500, "bytes": 0}

        async def _send(msg: dict) -> None:
            if msg["type"] == "http.response.start":
                info["status"] = msg["status"]
                msg.setdefault("headers", [])
                msg["headers"] = [*msg["headers"], (b"x-request-id", rid.encode()), (b"x-worker", str(os.getpid()).encode())]
            elif msg["type"] == "http.response.body":
                info["bytes"] += len(msg.get("body", b""))
            await send(msg)

        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        try:
            if _has_control(unquote_to_bytes(raw_path)) or _has_control(unquote_to_bytes(scope.get("query_string", b""))):
                start, body = _json(400, {"error": "bad_request", "detail": "control characters in the path or "
                                          "query; expected printable text", "request_id": rid})
                await _send(start)
                await _send({"type": "http.response.body", "body": body})
                return
            await self.app(scope, receive, _send)
        finally:
            if log.isEnabledFor(20):
                log.info("request", extra={
                    "method": scope["method"], "path": scope["path"], "status": info["status"],
                    "ms": round((time.perf_counter() - t0) * 1000, 2), "bytes": info["bytes"], "request_id": rid,
                    "client": (scope.get("client") or ("", 0))[0]})


class CacheAndTags:
    """For GET/HEAD under ``/api/``: a strong ETag (hash of the body) on every 200, ``304 Not Modified``
    when ``If-None-Match`` matches, ``Cache-Control`` (the route's, else ``no-cache``), and a response
    cache per process that is valid while the catalog fingerprint is unchanged."""

    def __init__(self, app: Any, service: Service):
        self.app = app
        self.svc = service

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or not path.startswith(_CACHED_PREFIXES) or path.startswith(_UNCACHED_PREFIXES)
                or any(p in path for p in _UNCACHED_PARTS)):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        inm = headers.get(b"if-none-match")
        fp = self.svc.fingerprint.current()
        key = (path, scope.get("query_string", b""))
        hit = self.svc.responses.get(key)
        if hit is not None and hit[0] == fp:
            return await _answer(send, hit[1], hit[2], hit[3], inm, scope["method"])

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def _capture(msg: dict) -> None:
            if msg["type"] == "http.response.start":
                start.update(msg)
            elif msg["type"] == "http.response.body":
                chunks.append(msg.get("body", b""))

        await self.app({**scope, "method": "GET"}, receive, _capture)  # HEAD: the GET answer, no body
        body = b"".join(chunks)
        status = int(start.get("status", 500))
        hdrs = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length",)]
        names = {k.lower() for k, _ in hdrs}
        if status == 200:
            if b"etag" not in names:
                hdrs.append((b"etag", b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'))
            if b"cache-control" not in names:
                hdrs.append((b"cache-control", DEFAULT_CACHE_CONTROL.encode()))
            store = not any(k.lower() == b"cache-control" and b"no-store" in v for k, v in hdrs)
            if store:
                self.svc.responses.put(key, (fp, status, hdrs, body))
        await _answer(send, status, hdrs, body, inm if status == 200 else None, scope["method"])


async def _answer(send: Any, status: int, headers: list, body: bytes, inm: bytes | None, method: str) -> None:
    if inm is not None and status == 200:
        etag = next((v for k, v in headers if k == b"etag"), None)
        if etag is not None and (inm.strip() == b"*" or etag in [t.strip().removeprefix(b"W/") for t in inm.split(b",")]):
            keep = [(k, v) for k, v in headers if k in (b"etag", b"cache-control", b"vary")]
            await send({"type": "http.response.start", "status": 304, "headers": keep})
            await send({"type": "http.response.body", "body": b""})
            return
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


__all__ = ["AccessLog", "CacheAndTags", "DEFAULT_CACHE_CONTROL"]
