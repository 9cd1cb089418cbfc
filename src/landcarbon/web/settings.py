"""What one server process is told: the catalog, the folders it may serve, the token, CORS, limits.

A :class:`Settings` travels to uvicorn worker processes as JSON in ``LANDCARBON_WEB_SETTINGS``
(``--workers N`` starts N processes that each build the app from it).
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ENV = "LANDCARBON_WEB_SETTINGS"

#: the study runner started by ``POST /api/runs``: {plan} the uploaded plan, {out} the study folder,
#: {catalog} the served catalog; ``python -m landcarbon.cli.main`` is the ``landcarbon`` command
DEFAULT_RUN_COMMAND = "{python} -m landcarbon.cli.main run {plan} --out {out} --catalog {catalog}"


@dataclass(frozen=True)
class Settings:
    """Settings of the service.

    ``catalog``: a path (SQLite) or ``postgresql://`` URL, as ``Catalog.open`` takes it.
    ``root``: the folder the study folders live in (output files, tiles, uploads and runs); default
    the folder of a SQLite catalog; a PostgreSQL catalog serves no files without it. A study's
    files are under ``root/<study>/`` when that folder exists, else under ``root`` itself.
    ``token_file``: a file holding the bearer token of the write routes (none: write routes off).
    ``cors_origins``: origins allowed to call the API from a browser (``*`` for any).
    """

    catalog: str
    schema: str | None = None
    root: str | None = None
    token_file: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_upload_bytes: int = 1 << 20
    run_command: str = DEFAULT_RUN_COMMAND
    cache_entries: int = 2048          # responses kept per process (0: no response cache)
    fingerprint_s: float = 1.0         # how often a PostgreSQL catalog is asked whether it changed
    log_level: str = "info"
    extra: dict[str, Any] = field(default_factory=dict)

    def root_path(self) -> Path | None:
        if self.root:
            return Path(self.root).expanduser().resolve()
        text = str(self.catalog)
        if "://" in text and not text.startswith("sqlite"):
            return None
        if text.startswith("sqlite:///"):
            text = text[len("sqlite:///"):]
        p = Path(text).expanduser()
        return (p if p.is_dir() else p.parent).resolve()

    def run_argv(self, **values: str) -> list[str]:
        import sys

        return [part.format(python=sys.executable, **values) for part in shlex.split(self.run_command)]

    def to_env(self) -> str:
        d = asdict(self)
        d["cors_origins"] = list(self.cors_origins)
        return json.dumps(d)

    @classmethod
    def from_env(cls, text: str | None = None) -> Settings:
        raw = text if text is not None else os.environ.get(ENV)
        if not raw:
            raise RuntimeError(f"{ENV} is not set; start the service with `landcarbon serve --catalog PATH_OR_URL`")
        d = json.loads(raw)
        d["cors_origins"] = tuple(d.get("cors_origins") or ())
        return cls(**d)


__all__ = ["DEFAULT_RUN_COMMAND", "ENV", "Settings"]
