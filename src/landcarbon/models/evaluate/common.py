"""What the planning models' specs share (zones, scheme, align, charts, language, option files), and
the key check of option files (a plan's ``[suitability]`` or ``[optimize]`` table).

An option file holds what does not fit on a command line (factor rasters, thresholds, constraints).
Its keys are checked against a schema: a misspelt key is an error naming the table, the line and
the closest known key, never silently ignored (issue 8: a misspelt ``[optimize]`` key made another
objective be optimised). Pure: the caller reads the file and passes its text for line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...core.spec import Input
from ..weights import did_you_mean

# --------------------------------------------------------------------------------------------------
# inputs with one meaning in every planning command (same words as the other commands)
ZONES = Input("zones", kind="zones", label_zh="分区", label_en="zones",
              doc="Zones for results by zone: a vector file (GeoPackage, Shapefile; with zone_field) or an integer "
                  "raster of zone ids on the map's grid (0 or nodata = outside)")
ZONE_FIELD = Input("zone_field", kind="text", field_of="zones", label_zh="分区名称字段",
                   doc="Zone name field of a vector zones file (default: the feature numbers)")
ZONE_LAYER = Input("zone_layer", kind="text", label_zh="分区图层", doc="Layer of a multi-layer vector zones file")
ZONE_INPUTS = (ZONES, ZONE_FIELD, ZONE_LAYER)
SCHEME_DOC = ("Class scheme: a built-in name (national6, clcd, globeland30, modis_igbp) or a CSV/XLSX table with "
              "code, group (the national group of each code)")
ALIGN = Input("align", kind="flag", default=False, label_zh="重采样对齐",
              doc="Resample rasters on other grids (maps, zones, lines) onto the first map's grid, nearest "
                  "neighbour; without it they must share one grid")
LANG = Input("lang", kind="choice", choices=("en", "zh"), default="en", label_zh="语言",
             doc="Language of chart titles and legends")
CHARTS = Input("charts", kind="flag", default=True, label_zh="绘制图件",
               doc="Draw PNG charts of the results into the run folder")


def scheme_input(required: bool = True, doc: str = SCHEME_DOC) -> Input:
    return Input("scheme", kind="scheme", required=required, label_zh="分类体系", metavar="NAME|CSV", doc=doc)


def plan_input(section: str) -> Input:
    return Input("plan", kind="path", metavar="TOML", label_zh="方案文件",
                 doc=f"TOML option file with a [{section}] table (keys are checked; paths in it are relative to "
                     f"the file's folder, paths on the command line to the working folder)")


# --------------------------------------------------------------------------------------------------
# option-file key check
@dataclass(frozen=True)
class Named:
    """A sub-table whose keys are names from ``names`` (any name when None, e.g. zone names), each value
    following the schema ``value`` (None: a leaf, not descended). ``what`` says what the names are."""

    names: Sequence[str] | None = None
    value: Any = None
    what: str = "key"
    #: extra names accepted by a test (e.g. ``service_<name>``); the did-you-mean still reads ``names``
    pattern: str | None = None


Schema = Mapping[str, Any] | Named | None


def unknown_keys(data: Mapping[str, Any], schema: Schema, path: tuple[str, ...] = ()
                 ) -> list[tuple[tuple[str, ...], str, str, list[str]]]:
    """Keys of ``data`` the schema does not know: ``(table path, key, what, known names)`` each."""
    out: list[tuple[tuple[str, ...], str, str, list[str]]] = []
    if schema is None or not isinstance(data, Mapping):
        return out
    if isinstance(schema, Named):
        for k, v in data.items():
            ok = schema.names is None or k in schema.names or (
                schema.pattern is not None and re.fullmatch(schema.pattern, str(k)) is not None)
            if not ok:
                out.append((path, str(k), schema.what, list(schema.names or ())))
            elif schema.value is not None:
                out += unknown_keys(v, schema.value, (*path, str(k)))
        return out
    for k, v in data.items():
        if k not in schema:
            out.append((path, str(k), "key", list(schema)))
        elif schema[k] is not None:
            out += unknown_keys(v, schema[k], (*path, str(k)))
    return out


_HEADER = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")
_PART = re.compile(r"""\s*("([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)""")


def _split_key(text: str) -> tuple[str, ...]:
    parts = []
    for m in _PART.finditer(text):
        parts.append(m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None else m.group(4))
    return tuple(p for p in parts if p is not None)


def key_line(text: str, table: tuple[str, ...], key: str) -> int | None:
    """The line (1-based) of ``key`` of table ``table`` in TOML ``text``, as a table header or a key."""
    target = (*table, key)
    current: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            current = _split_key(m.group(1))
            if current[:len(target)] == target:
                return n
            continue
        k = _KEY.match(line)
        if k and (*current, *_split_key(k.group(1)))[:len(target)] == target:
            return n
    return None


def option_key_messages(data: Mapping[str, Any], schema: Schema, *, section: str, file: str = "",
                        text: str | None = None) -> list[str]:
    """One found/expected/fix message per unknown key of the ``[section]`` table ``data``."""
    msgs = []
    for path, key, what, known in unknown_keys(data, schema):
        table = ".".join((section, *path))
        line = key_line(text, (section, *path), key) if text else None
        where = f"{file}{f' line {line}' if line else ''}: " if file else (f"line {line}: " if line else "")
        shown = ", ".join(known[:25]) + (" …" if len(known) > 25 else "")
        msgs.append(f"{where}[{table}] has the unknown {what} {key!r}{did_you_mean(key, known)}; expected one of "
                    f"{shown}: correct or remove it (a misspelt key is never ignored)")
    return msgs


__all__ = ["ALIGN", "CHARTS", "LANG", "Named", "SCHEME_DOC", "ZONES", "ZONE_FIELD", "ZONE_INPUTS", "ZONE_LAYER",
           "option_table_messages",
           "key_line", "option_key_messages", "plan_input", "scheme_input", "unknown_keys"]


def option_table_messages(data: Mapping[str, Any], schema: Schema, *, section: str, file: str,
                          read_text: Any) -> list[str]:
    """Messages for an option file's ``[section]`` table: absent (with the tables found), or unknown keys.
    ``read_text()`` returns the file's text (read only when there is something to report)."""
    if not data:
        import tomllib

        try:
            tables = [k for k, v in tomllib.loads(read_text()).items() if isinstance(v, Mapping)]
        except (OSError, ValueError):
            tables = []
        return [f"{file} has no [{section}] table{did_you_mean(section, tables)}; its tables are "
                f"{', '.join(tables) or 'none'}: add the [{section}] table or correct its name"]
    msgs = option_key_messages(data, schema, section=section, file=file, text=None)
    if msgs:
        msgs = option_key_messages(data, schema, section=section, file=file, text=read_text())
    return msgs
