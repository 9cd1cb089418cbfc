"""From ``landcarbon spec --json`` to Processing parameters, and from parameter values to a command line.

Pure Python (no ``qgis`` import), so the mapping is tested without QGIS. ``algorithm.py`` turns each
:class:`ParamDef` into a ``QgsProcessingParameter*`` and calls :func:`command_line` with the values
the user gave.

Input kind (spec)            Processing parameter
---------------------------  -----------------------------------------------------------------
landuse, raster (one)        raster layer
landuse, raster (multiple)   multiple layers (rasters), in the order given
zones                        vector layer (polygons); a ``field_of`` text input becomes a field
vector                       vector layer (any geometry)
table, path                  file
number                       number (double) with the spec's bounds and default
integer, year (one)          number (integer)
integer, year (multiple)     text: values separated by spaces, commas or semicolons
choice (one / multiple)      enum (multiple selection for a multiple choice)
flag                         boolean (default from the spec)
lines, pair (multiple)       text, one NAME=VALUE a line (a bare path of a line: NAME = file stem)
scheme, reference, text      text (default from the spec)
=============================================================================================

Every model also gets ``out`` (a folder destination: the run folder) and ``overwrite``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

PROVIDER_ID = "landcarbon"
OUT = "out"
OVERWRITE = "overwrite"

#: QGIS parameter types used below
RASTER, RASTERS, VECTOR, FIELD, FILE, NUMBER, INTEGER, ENUM, BOOLEAN, STRING = (
    "raster", "rasters", "vector", "field", "file", "number", "integer", "enum", "boolean", "string")

_SPLIT_NUMBERS = re.compile(r"[\s,;]+")
_SPLIT_LINES = re.compile(r"[\n;]+")


def lang_of(locale: str | None) -> str:
    """"zh" for a Chinese QGIS locale (zh, zh_CN, zh-Hant, zh_TW …), else "en"."""
    s = (locale or "").strip().lower().replace("-", "_")
    return "zh" if s.startswith("zh") else "en"


def algorithm_name(model: dict[str, Any]) -> str:
    """The Processing name of a model: its command words (``stock``, ``evaluate_control_lines``)."""
    words = model.get("command") or [model["id"]]
    return "_".join(words).replace("-", "_").lower()


def display_name(model: dict[str, Any], lang: str) -> str:
    zh, en = model.get("title_zh") or "", model.get("title_en") or model["id"]
    return (zh or en) if lang == "zh" else en


def group_of(model: dict[str, Any], lang: str) -> tuple[str, str]:
    """``(group id, group name)``: the first command word of a sub-command (``evaluate``), else none."""
    words = model.get("command") or []
    if len(words) > 1:
        gid = words[0]
        names = {"evaluate": ("评价", "Evaluate")}
        zh, en = names.get(gid, (gid, gid))
        return gid, zh if lang == "zh" else en
    return "", ""


def label_of(inp: dict[str, Any], lang: str) -> str:
    en = inp.get("label_en") or inp["name"].replace("_", " ")
    zh = inp.get("label_zh") or ""
    units = inp.get("units")
    unit = f" [{units}]" if units and units not in ("-",) and inp.get("kind") in ("number", "integer") else ""
    return ((zh or en) if lang == "zh" else en) + unit


def help_of(inp: dict[str, Any], lang: str) -> str:
    en = inp.get("help_en") or inp.get("doc") or ""
    zh = inp.get("help_zh") or ""
    return (zh or en) if lang == "zh" else en


@dataclass
class ParamDef:
    """One Processing parameter of an algorithm."""

    name: str               # the spec key (plan files and qgis_process use it: landuse=..., zone_field=...)
    type: str               # RASTER, RASTERS, VECTOR, FIELD, FILE, NUMBER, INTEGER, ENUM, BOOLEAN, STRING
    label: str
    help: str
    optional: bool
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    options: list[str] = field(default_factory=list)   # enum choices
    multiple: bool = False
    parent: str | None = None                         # the layer parameter of a field
    geometry: str = "any"                             # vector: "polygon" for zones
    advanced: bool = False
    multiline: bool = False
    extensions: str = ""                              # file filter
    inp: dict[str, Any] = field(default_factory=dict)  # the spec input


def _num(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def param_defs(model: dict[str, Any], lang: str = "en") -> list[ParamDef]:
    """The parameters of one model, in the spec's order, then ``out`` and ``overwrite``."""
    out: list[ParamDef] = []
    for inp in model.get("inputs", []):
        kind, multiple = inp.get("kind", "text"), bool(inp.get("multiple"))
        optional = inp.get("required") is not True
        common = dict(name=inp["name"], label=label_of(inp, lang), help=help_of(inp, lang), optional=optional,
                      advanced=bool(inp.get("advanced")), inp=inp, multiple=multiple)
        default = inp.get("default")
        if kind in ("landuse", "raster", "categorical"):
            p = ParamDef(type=RASTERS if multiple else RASTER, **common)
        elif kind in ("zones", "vector"):
            p = ParamDef(type=VECTOR, geometry="polygon" if kind == "zones" else "any", **common)
        elif kind in ("table", "path"):
            ext = "CSV/XLSX (*.csv *.xlsx *.xls);;All files (*.*)" if kind == "table" else "All files (*.*)"
            p = ParamDef(type=FILE, extensions=ext, **common)
        elif kind == "number" and not multiple:
            p = ParamDef(type=NUMBER, default=_num(default), minimum=_num(inp.get("minimum")),
                         maximum=_num(inp.get("maximum")), **common)
        elif kind in ("integer", "year") and not multiple:
            p = ParamDef(type=INTEGER, default=None if default is None else int(default),
                         minimum=_num(inp.get("minimum")), maximum=_num(inp.get("maximum")), **common)
        elif kind == "choice" and inp.get("choices"):
            choices = [str(c) for c in inp["choices"]]
            if multiple:
                d = [choices.index(str(c)) for c in (default or []) if str(c) in choices] or None
            else:
                d = choices.index(str(default)) if default is not None and str(default) in choices else None
            p = ParamDef(type=ENUM, options=choices, default=d, **common)
        elif kind == "flag":
            p = ParamDef(type=BOOLEAN, default=bool(default), **common)
            p.optional = True
        elif kind == "text" and inp.get("field_of") and not multiple:
            p = ParamDef(type=FIELD, parent=inp["field_of"], **common)
        else:  # text, scheme, reference, pair, lines, multiple numbers/years/integers
            d = default
            if isinstance(d, list):
                d = "\n".join(map(str, d)) if kind in ("pair", "lines") else " ".join(map(str, d))
            p = ParamDef(type=STRING, default=None if d is None else str(d),
                         multiline=kind in ("pair", "lines") or (multiple and kind == "text"), **common)
        out.append(p)
    out.append(ParamDef(OUT, "folder", "输出目录（运行文件夹）" if lang == "zh" else "Run folder (outputs)",
                        "Run folder for the outputs", optional=False))
    out.append(ParamDef(OVERWRITE, BOOLEAN, "覆盖已有结果" if lang == "zh" else "Overwrite a finished run",
                        "Replace a finished run already in the run folder, as a whole", optional=True,
                        default=False))
    return out


def _flag_words(inp: dict[str, Any]) -> tuple[str, str]:
    """(on, off) spellings of a flag: ``--maps`` / ``--no-maps``."""
    opt = inp["option"]
    return opt, "--no-" + opt[2:]


def split_multi(kind: str, text: str) -> list[str]:
    """The values of a multiple input typed as text."""
    if kind in ("pair", "lines", "text", "scheme", "reference"):
        parts = _SPLIT_LINES.split(text)
    else:
        parts = _SPLIT_NUMBERS.split(text)
    return [p.strip() for p in parts if p.strip()]


def _line_value(v: str) -> str:
    """A control line NAME=PATH; a bare path gets its file stem as NAME."""
    if "=" in v.split("|")[0] and not re.match(r"^[A-Za-z]:[\\/]", v):
        return v
    stem = PurePath(v.split("|")[0]).stem
    return f"{stem}={v}"


def _fmt_number(v: Any) -> str:
    return repr(float(v))


def command_line(model: dict[str, Any], values: dict[str, Any], out: str, overwrite: bool = False) -> list[str]:
    """The landcarbon arguments (after the executable) of one run.

    ``values`` holds plain Python values by spec key, as ``algorithm.py`` reads them from the
    parameters: file paths (str), lists of paths, numbers, enum indices or lists of indices, bools,
    text. ``None`` / empty means "not given"; a flag at its spec default is left out, so the model's
    own default applies.
    """
    argv = list(model.get("command") or [model["id"]])
    for inp in model.get("inputs", []):
        name, kind, opt = inp["name"], inp.get("kind", "text"), inp["option"]
        v = values.get(name)
        if kind == "flag":
            if v is None:
                continue
            default = bool(inp.get("default"))
            if bool(v) == default:
                continue
            on, off = _flag_words(inp)
            argv.append(on if v else off)
            continue
        if v is None or v == "" or v == []:
            continue
        if kind == "choice" and inp.get("choices"):
            choices = [str(c) for c in inp["choices"]]
            idx = v if isinstance(v, list) else [v]
            items = [choices[int(i)] if isinstance(i, int) and not isinstance(i, bool) else str(i) for i in idx]
            if not inp.get("multiple"):
                if inp.get("default") is not None and items[0] == str(inp["default"]):
                    continue  # the spec's default: leave it to the model
                argv += [opt, items[0]]
            else:
                for it in items:
                    argv += [opt, it]
            continue
        if inp.get("multiple"):
            items = v if isinstance(v, list) else split_multi(kind, str(v))
            if kind == "lines":
                items = [_line_value(str(x)) for x in items]
            for it in items:
                argv += [opt, _fmt_number(it) if isinstance(it, float) else str(it)]
            continue
        if kind in ("integer", "year"):
            argv += [opt, str(int(v))]
        elif kind == "number":
            argv += [opt, _fmt_number(float(v))]
        else:
            argv += [opt, str(v)]
    argv += ["--out", out]
    if overwrite:
        argv.append("--overwrite")
    return argv


def split_source(source: str) -> tuple[str, str | None]:
    """A QGIS layer source ``path.gpkg|layername=zones`` → ``(path, "zones")``."""
    path, _, rest = source.partition("|")
    layer = None
    for part in rest.split("|"):
        k, _, val = part.partition("=")
        if k.strip().lower() == "layername" and val:
            layer = val
    return path, layer


# --------------------------------------------------------------------------------------------------
# messages


_ERROR = re.compile(r"^error:\s*(.*)$")
_WARNING = re.compile(r"^warning:\s*(.*)$")
_PROGRESS = re.compile(r"(\d+)\s*/\s*(\d+)|(\d{1,3}(?:\.\d+)?)\s*%")
_OPTION = re.compile(r"--[a-z][a-z0-9-]*")


def classify_line(line: str) -> tuple[str, str]:
    """``("error" | "warning" | "progress" | "info", text)`` for one stderr line of landcarbon."""
    s = line.strip()
    m = _ERROR.match(s)
    if m:
        return "error", m.group(1)
    m = _WARNING.match(s)
    if m:
        return "warning", m.group(1)
    if _PROGRESS.search(s):
        return "progress", s
    return "info", s


def progress_of(text: str) -> float | None:
    """A percentage from a progress line (``12/40`` or ``30%``), or None."""
    m = _PROGRESS.search(text)
    if not m:
        return None
    if m.group(3) is not None:
        return max(0.0, min(100.0, float(m.group(3))))
    done, total = int(m.group(1)), int(m.group(2))
    return 100.0 * done / total if total else None


def readable_error(model: dict[str, Any], messages: list[str], lang: str = "en") -> str:
    """landcarbon's ``error:`` lines as one message: each option named by its Processing label too
    (``--pools`` → ``碳密度表 (pools)``), one problem a line."""
    by_option = {i["option"]: i for i in model.get("inputs", [])}
    by_option["--out"] = {"name": OUT, "label_en": "Run folder", "label_zh": "输出目录"}
    by_option["--overwrite"] = {"name": OVERWRITE, "label_en": "Overwrite", "label_zh": "覆盖已有结果"}

    def name(m: re.Match) -> str:
        inp = by_option.get(m.group(0))
        if inp is None:
            return m.group(0)
        lab = (inp.get("label_zh") or inp.get("label_en")) if lang == "zh" else inp.get("label_en")
        lab = lab or inp["name"]
        return f"{lab} ({inp['name']})" if lab != inp["name"] else inp["name"]

    lines = [_OPTION.sub(name, m) for m in messages if m.strip()]
    return "\n".join(lines) if lines else "landcarbon failed"


__all__ = ["OUT", "OVERWRITE", "PROVIDER_ID", "ParamDef", "algorithm_name", "classify_line", "command_line",
           "display_name", "group_of", "help_of", "label_of", "lang_of", "param_defs", "progress_of",
           "readable_error", "split_multi", "split_source"]
