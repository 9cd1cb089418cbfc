"""Model specifications: the contract every caller reads (style.md habit 1, design.md "model contract").

A spec is data. Validation (``core.validation``), the command-line options (``cli.specgen``),
``landcarbon spec --json``, plan-file keys, web forms, report labels and the QGIS provider all
read it. Conditions are typed predicates (``Present("zones")``), never strings.

An input has a ``kind`` that says how a value is read and checked:

=============  =============================================================================
kind           value
=============  =============================================================================
landuse        path of an integer land-use GeoTIFF (class codes)
raster         path of a GeoTIFF (continuous or categorical)
zones          zones: a vector file (GeoPackage/Shapefile; with a field) or an integer raster
vector         path of a vector file
lines          control lines, NAME=PATH, each a vector file or a raster
table          path of a CSV/XLSX table (``columns`` say what it holds, with units)
scheme         a built-in class scheme name or a scheme table
reference      a packaged reference set name or a table path
path           any other input file (a plan file, a JSON file)
number         a real number (``units``, bounds)
integer        an integer (bounds)
year           a calendar year (integer)
choice         one of ``choices``
flag           true / false
text           free text (a field name, a region name)
pair           KEY=VALUE text (``multiple`` for several)
=============  =============================================================================
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any

# --------------------------------------------------------------------------------------------------
# predicates (typed, JSON-serialisable)


class Predicate(ABC):
    """A condition over the values of a model's inputs."""

    @abstractmethod
    def __call__(self, values: dict[str, Any]) -> bool: ...

    @abstractmethod
    def to_json(self) -> dict[str, Any]: ...

    @abstractmethod
    def describe(self) -> str: ...


def _given(v: Any) -> bool:
    if v is None or v is False:
        return False
    if isinstance(v, list | tuple | dict | str) and len(v) == 0:
        return False
    return True


@dataclass(frozen=True)
class Present(Predicate):
    """True when the named input was given (a flag counts only when set)."""

    name: str

    def __call__(self, values: dict[str, Any]) -> bool:
        return _given(values.get(self.name))

    def to_json(self) -> dict[str, Any]:
        return {"present": self.name}

    def describe(self) -> str:
        return f"⟨{self.name}⟩ is given"


@dataclass(frozen=True)
class Absent(Predicate):
    name: str

    def __call__(self, values: dict[str, Any]) -> bool:
        return not _given(values.get(self.name))

    def to_json(self) -> dict[str, Any]:
        return {"absent": self.name}

    def describe(self) -> str:
        return f"⟨{self.name}⟩ is not given"


@dataclass(frozen=True)
class Equals(Predicate):
    """True when input ``name`` equals ``value`` (or is one of ``value`` when a tuple)."""

    name: str
    value: Any

    def __call__(self, values: dict[str, Any]) -> bool:
        v = values.get(self.name)
        return v in self.value if isinstance(self.value, tuple) else v == self.value

    def to_json(self) -> dict[str, Any]:
        return {"equals": [self.name, list(self.value) if isinstance(self.value, tuple) else self.value]}

    def describe(self) -> str:
        if isinstance(self.value, tuple):
            return f"⟨{self.name}⟩ is one of {', '.join(map(str, self.value))}"
        return f"⟨{self.name}⟩ is {self.value}"


@dataclass(frozen=True)
class AllOf(Predicate):
    parts: tuple[Predicate, ...]

    def __call__(self, values: dict[str, Any]) -> bool:
        return all(p(values) for p in self.parts)

    def to_json(self) -> dict[str, Any]:
        return {"all": [p.to_json() for p in self.parts]}

    def describe(self) -> str:
        return " and ".join(p.describe() for p in self.parts)


@dataclass(frozen=True)
class AnyOf(Predicate):
    parts: tuple[Predicate, ...]

    def __call__(self, values: dict[str, Any]) -> bool:
        return any(p(values) for p in self.parts)

    def to_json(self) -> dict[str, Any]:
        return {"any": [p.to_json() for p in self.parts]}

    def describe(self) -> str:
        return " or ".join(p.describe() for p in self.parts)


# --------------------------------------------------------------------------------------------------
# table columns


@dataclass(frozen=True)
class Column:
    """A column of a table input: its name, unit, accepted aliases and whether it must be present."""

    name: str
    units: str = ""
    aliases: tuple[str, ...] = ()
    required: bool = True
    doc: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "units": self.units, "aliases": list(self.aliases),
                "required": self.required, "doc": self.doc}


# --------------------------------------------------------------------------------------------------
# inputs

INPUT_KINDS = ("landuse", "raster", "zones", "vector", "lines", "table", "scheme", "reference", "path",
               "number", "integer", "year", "choice", "flag", "text", "pair")
FILE_KINDS = ("landuse", "raster", "zones", "vector", "table", "path")


@dataclass(frozen=True)
class Input:
    """One input of a model.

    ``name`` is the key (snake_case) used by the Python API, plan files and web forms; the
    command line spells it ``--name-with-dashes`` unless ``flag`` says otherwise. ``aliases`` are
    old command-line spellings, kept hidden and deprecated. ``required`` may be a predicate over
    the other values. ``excludes`` lists inputs that may not be given together with this one.
    """

    name: str
    doc: str = ""
    units: str | None = None
    required: bool | Predicate = False
    kind: str = "text"
    default: Any = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    multiple: bool = False
    order: str | None = None  # "increasing" | "strictly_increasing" for multiple numbers/years
    columns: tuple[Column, ...] = ()
    label_en: str = ""
    label_zh: str = ""
    help_zh: str = ""
    flag: str | None = None
    aliases: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    metavar: str | None = None
    advanced: bool = False
    field_of: str | None = None  # this text input names a field of that vector input
    grid: str | None = None  # name of the raster input whose grid this raster must share
    plausible_max: float | None = None  # above this the unit is suspected (override: allow_implausible)
    envvar: str | None = None  # environment variable that gives the value on the command line

    def is_required(self, values: dict[str, Any]) -> bool:
        r = self.required
        return bool(r(values)) if isinstance(r, Predicate) else bool(r)

    @property
    def option(self) -> str:
        """The command-line option of this input."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        return self.label_en or self.name.replace("_", " ")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "required":
                v = v.to_json() if isinstance(v, Predicate) else bool(v)
            elif f.name == "columns":
                v = [c.to_json() for c in v]
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        out["option"] = self.option
        out["label_en"] = self.label
        out["help_en"] = self.doc
        return out


@dataclass(frozen=True)
class RasterIn(Input):
    """A raster input: ``kind`` "landuse" (class codes) or "raster"; ``role`` categorical/continuous."""

    role: str = "categorical"

    def __post_init__(self) -> None:
        if self.kind == "text":
            object.__setattr__(self, "kind", "landuse" if self.role == "categorical" else "raster")


@dataclass(frozen=True)
class TableIn(Input):
    index: str = ""

    def __post_init__(self) -> None:
        if self.kind == "text":
            object.__setattr__(self, "kind", "table")
        cols = self.columns
        if isinstance(cols, dict):  # {name: unit} shorthand
            object.__setattr__(self, "columns", tuple(Column(k, u) for k, u in cols.items()))


@dataclass(frozen=True)
class VectorIn(Input):
    def __post_init__(self) -> None:
        if self.kind == "text":
            object.__setattr__(self, "kind", "zones")


@dataclass(frozen=True)
class NumberIn(Input):
    def __post_init__(self) -> None:
        if self.kind == "text":
            object.__setattr__(self, "kind", "number")


# --------------------------------------------------------------------------------------------------
# outputs


@dataclass(frozen=True)
class Output:
    """One output: ``name`` is the file (relative to the run folder; ``*`` for a family of files)."""

    name: str
    doc: str = ""
    units: str | None = None
    kind: str = "file"  # raster | table | vector | json | figure | html | file
    doc_zh: str = ""
    when: Predicate | None = None  # written only when this holds
    columns: tuple[Column, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "units": self.units, "doc_en": self.doc,
                "doc_zh": self.doc_zh, "when": self.when.to_json() if self.when else None,
                "columns": [c.to_json() for c in self.columns]}


@dataclass(frozen=True)
class RasterOut(Output):
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.kind == "file":
            object.__setattr__(self, "kind", "raster")


@dataclass(frozen=True)
class TableOut(Output):
    def __post_init__(self) -> None:
        if self.kind == "file":
            object.__setattr__(self, "kind", "table")
        if isinstance(self.columns, dict):
            object.__setattr__(self, "columns", tuple(Column(k, u) for k, u in self.columns.items()))


# --------------------------------------------------------------------------------------------------
# the spec


@dataclass(frozen=True)
class ModelSpec:
    id: str
    version: str
    title_en: str
    title_zh: str
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()
    methods_ref: str = ""
    doc: str = ""
    examples: tuple[str, ...] = ()

    def input(self, name: str) -> Input:
        for i in self.inputs:
            if i.name == name:
                return i
        raise KeyError(name)

    def has_input(self, name: str) -> bool:
        return any(i.name == name for i in self.inputs)

    def output(self, name: str) -> Output:
        for o in self.outputs:
            if o.name == name:
                return o
        raise KeyError(name)

    def units_of(self, name: str) -> str | None:
        for x in (*self.inputs, *self.outputs):
            if x.name == name:
                return x.units
        return None

    def defaults(self) -> dict[str, Any]:
        return {i.name: i.default for i in self.inputs}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "title_en": self.title_en, "title_zh": self.title_zh,
                "methods": self.methods_ref, "doc": self.doc,
                "inputs": [i.to_json() for i in self.inputs],
                "outputs": [o.to_json() for o in self.outputs], "examples": list(self.examples)}


@dataclass(frozen=True)
class Issue:
    """One validation problem: which input (its key), and a found/expected/fix message.

    The message never names an interface (no ``--option``): the CLI, a plan file or a web
    form turn ``key`` into their own name for the input.
    """

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


def validate(spec: ModelSpec, values: dict[str, Any]) -> list[Issue]:
    """Every problem of ``values`` against ``spec`` (see ``core.validation.validate``)."""
    from .validation import validate as _validate

    return _validate(spec, values)[1]


__all__ = ["INPUT_KINDS", "FILE_KINDS", "AllOf", "Absent", "AnyOf", "Column", "Equals", "Input", "Issue",
           "ModelSpec", "NumberIn", "Output", "Predicate", "Present", "RasterIn", "RasterOut", "TableIn",
           "TableOut", "VectorIn", "validate"]
