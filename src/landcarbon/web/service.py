"""The state one server process keeps: the open catalog, its fingerprint, the study folders and caches.

The catalog is opened once per process and shared by its threads (``Catalog`` gives each thread its
own transaction). The *fingerprint* says whether the catalog changed since a response was cached:
the size and modification time of a SQLite file (and its WAL), or the WAL position of a PostgreSQL
server, asked at most every ``fingerprint_s`` seconds — so N workers over one database answer alike,
at most that long after a write.
"""

from __future__ import annotations

import hmac
import os
import re
import stat
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.catalog import Catalog
from . import logs
from .settings import Settings

log = logs.get("landcarbon.web")


class LRU:
    """A small thread-safe LRU map."""

    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key: Any, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


class Fingerprint:
    """A short text that changes whenever the catalog may have changed."""

    def __init__(self, catalog: Catalog, every_s: float):
        self.catalog = catalog
        self.every_s = every_s
        self._files: list[Path] = []
        self._last = (0.0, "")
        self._lock = threading.Lock()
        if catalog.dialect == "sqlite":
            import sqlalchemy as sa

            db = sa.make_url(catalog.url).database or ""
            self._files = [Path(db), Path(db + "-wal"), Path(db + "-journal")]

    def current(self) -> str:
        if self._files:
            parts = []
            for f in self._files:
                try:
                    st = os.stat(f)
                except OSError:
                    continue
                parts.append(f"{st.st_mtime_ns:x}.{st.st_size:x}")
            return "s:" + ":".join(parts)
        now = time.monotonic()
        t, fp = self._last
        if now - t < self.every_s and fp:
            return fp
        with self._lock:
            fp = self._ask()
            self._last = (time.monotonic(), fp)
        return fp

    def _ask(self) -> str:
        import sqlalchemy as sa

        try:
            with self.catalog._engine.connect() as conn:  # the WAL position moves with every commit
                return "p:" + str(conn.execute(sa.text("SELECT pg_current_wal_lsn()::text")).scalar())
        except Exception:  # no such function (or no rights): change every period instead
            return f"t:{int(time.time() // max(self.every_s, 0.1))}"


@dataclass
class Service:
    settings: Settings
    catalog: Catalog
    token: str | None
    fingerprint: Fingerprint
    responses: LRU      # whole GET answers, valid while the fingerprint holds (``cache_entries``)
    memo: LRU           # frames the routes reuse (studies, layers, balance tables), fingerprint-checked
    tiles: LRU          # rendered PNG tiles by content-addressed layer id (never stale)
    started: float

    @classmethod
    def open(cls, settings: Settings) -> Service:
        cat = Catalog.open(settings.catalog, schema=settings.schema)
        token = read_token(settings.token_file) if settings.token_file else None
        return cls(settings=settings, catalog=cat, token=token,
                   fingerprint=Fingerprint(cat, settings.fingerprint_s),
                   responses=LRU(settings.cache_entries), memo=LRU(256), tiles=LRU(4096), started=time.time())

    # ---- folders -----------------------------------------------------------------------------------

    @property
    def root(self) -> Path | None:
        return self.settings.root_path()

    def study_root(self, study: str) -> Path | None:
        """The folder the output paths of ``study`` are relative to (None: this server serves no files)."""
        root = self.root
        if root is None:
            return None
        if _STUDY_ID.fullmatch(study) and (root / study).is_dir():
            return root / study
        return root

    # ---- tokens ------------------------------------------------------------------------------------

    def token_ok(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def close(self) -> None:
        self.catalog.close()


_STUDY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")


def read_token(path: str | os.PathLike) -> str:
    """The bearer token in ``path`` (surrounding blank space dropped); at least 16 characters."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ValueError(f"cannot read the token file {p}: {err.strerror}; give a readable file") from None
    if len(text) < 16 or any(ch.isspace() for ch in text):
        raise ValueError(f"the token in {p} is {len(text)} characters or holds blanks; expected one word of at "
                         f"least 16 characters, e.g. `python -c \"import secrets; print(secrets.token_urlsafe())\"`")
    mode = p.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("token file is readable by other users", extra={"file": str(p), "fix": f"chmod 600 {p}"})
    return text


__all__ = ["LRU", "Fingerprint", "Service", "read_token"]
