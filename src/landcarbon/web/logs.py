"""Structured logs: one JSON object per line on stderr (time, level, logger, message and fields)."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

_STD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """``{"ts": ..., "level": ..., "logger": ..., "msg": ..., "pid": ..., <extra fields>}``; an exception
    adds ``exc`` (its type and message) and ``trace`` (the traceback) — in the log only, never in a response."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": os.getpid(),
        }
        for k, v in vars(record).items():
            if k not in _STD and not k.startswith("_"):
                out[k] = v
        if record.exc_info and record.exc_info[0] is not None:
            out["exc"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
            out["trace"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service and uvicorn: JSON lines on stderr; uvicorn's
    own access log is off (the service logs every request itself, with its timing)."""
    lvl = level.upper()
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "landcarbon.web.logs.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "landcarbon.web": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def setup(level: str = "info") -> None:
    """Install :func:`log_config` (for an app made outside ``landcarbon serve``)."""
    import logging.config

    logging.config.dictConfig(log_config(level))


def get(name: str = "landcarbon.web") -> logging.Logger:
    return logging.getLogger(name)


__all__ = ["JsonFormatter", "get", "log_config", "setup"]
