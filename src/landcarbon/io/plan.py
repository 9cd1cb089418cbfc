"""Plan files (TOML) with the line of every key, so each problem names its place in the file.

``read_plan_file(path) -> Plan``: the parsed tables (``tomllib``), the folder paths in it are
relative to, and ``plan.line(("scenarios", "low_carbon", "demand"))`` → 27. A syntax error is an
``InputValidationError`` naming the file, line and column.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InputFileError, InputValidationError
from ..core.spec import Issue

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_INLINE_KEY = re.compile(r"""(?:[{,]\s*)((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))\s*=""")


def _split_key(s: str) -> tuple[str, ...]:
    parts = re.findall(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""", s)
    return tuple(a or b or c for a, b, c in parts)


@dataclass
class Plan:
    """A parsed plan file: ``data`` (dict), ``path``, ``base`` (its folder) and key → line numbers."""

    data: dict[str, Any]
    path: Path
    text: str = ""
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return self.path.parent

    def line(self, key: tuple[str, ...] | str) -> int | None:
        """The line of ``key`` (a tuple path), or of its nearest enclosing table."""
        k = tuple(key.split(".")) if isinstance(key, str) else tuple(key)
        while k:
            if k in self.lines:
                return self.lines[k]
            k = k[:-1]
        return None

    def where(self, key: tuple[str, ...] | str) -> str:
        """``plan.toml:12 [scenarios.low_carbon] demand`` for messages."""
        k = tuple(key.split(".")) if isinstance(key, str) else tuple(key)
        ln = self.line(k)
        loc = f"{self.path.name}:{ln}" if ln else self.path.name
        if len(k) > 1:
            return f"{loc} [{'.'.join(k[:-1])}] {k[-1]}"
        return f"{loc} {k[0]}" if k else loc

    def resolve(self, value: str | os.PathLike) -> Path:
        """A path written in the plan, relative to the plan's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base / p)

    def issue(self, key: tuple[str, ...] | str, message: str) -> Issue:
        return Issue(self.where(key), message)


def locate_keys(text: str) -> dict[tuple[str, ...], int]:
    """Line numbers (1-based) of every table header and key of a TOML text."""
    out: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if '"' not in raw and "'" not in raw else raw
        m = _HEADER.match(line)
        if m and not _KEY.match(line):
            table = _split_key(m.group(2))
            if m.group(1) == "[[":
                idx = arrays.get(table, -1) + 1
                arrays[table] = idx
                out.setdefault(table, n)
                table = (*table, str(idx))
            out.setdefault(table, n)
            continue
        m = _KEY.match(line)
        if m:
            key = (*table, *_split_key(m.group(1)))
            out.setdefault(key, n)
            rest = line[m.end():]
            for im in _INLINE_KEY.finditer(rest):
                out.setdefault((*key, *_split_key(im.group(1))), n)
    return out


def read_plan_file(path: str | os.PathLike) -> Plan:
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"plan file {p} does not exist; check the path (landcarbon init writes an example)")
    if p.is_dir():
        raise InputValidationError([Issue("plan", f"{p} is a folder; expected a plan file (TOML)")])
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputValidationError([Issue("plan", f"{p.name} is not UTF-8 text; save the plan as UTF-8")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"{p.name}:{m.group(1)}" if m else p.name
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise InputValidationError([Issue(where, f"the plan is not valid TOML ({reason}); fix the syntax there "
                                                 f"(strings need quotes, tables [name], lists [a, b])")]) from None
    return Plan(data=data, path=p.resolve(), text=text, lines=locate_keys(text))


__all__ = ["Plan", "locate_keys", "read_plan_file"]
