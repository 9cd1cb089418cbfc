"""Model specifications: typed inputs and outputs with units (style.md habit 1).

A spec is data: validation, CLI help, report labels and docs read it. Conditions are typed
predicates (``Present("zones")``), never strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Present:
    """Predicate: true when the named input was given."""

    name: str

    def __call__(self, values: dict[str, Any]) -> bool:
        return values.get(self.name) is not None


@dataclass(frozen=True)
class Input:
    name: str
    doc: str = ""
    units: str | None = None
    required: bool | Present = True

    def is_required(self, values: dict[str, Any]) -> bool:
        return self.required(values) if callable(self.required) else bool(self.required)


@dataclass(frozen=True)
class RasterIn(Input):
    kind: Literal["categorical", "continuous"] = "categorical"


@dataclass(frozen=True)
class TableIn(Input):
    index: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # column -> unit


@dataclass(frozen=True)
class VectorIn(Input):
    field: str | None = None


@dataclass(frozen=True)
class NumberIn(Input):
    minimum: float | None = None
    maximum: float | None = None
    default: float | None = None


@dataclass(frozen=True)
class Output:
    name: str
    doc: str = ""
    units: str | None = None


@dataclass(frozen=True)
class RasterOut(Output):
    dtype: str = "float32"


@dataclass(frozen=True)
class TableOut(Output):
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    id: str
    version: str
    title_en: str
    title_zh: str
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()
    methods_ref: str = ""

    def input(self, name: str) -> Input:
        for i in self.inputs:
            if i.name == name:
                return i
        raise KeyError(name)

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


@dataclass(frozen=True)
class Issue:
    """One validation problem: which input, and a found/expected/fix message."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def validate(spec: ModelSpec, values: dict[str, Any]) -> list[Issue]:
    """Presence and range checks driven by the spec; models add their own domain checks."""
    issues: list[Issue] = []
    for inp in spec.inputs:
        v = values.get(inp.name)
        if v is None:
            if inp.is_required(values):
                issues.append(Issue(inp.name, "is required but was not given"))
            continue
        if isinstance(inp, NumberIn):
            try:
                x = float(v)
            except (TypeError, ValueError):
                issues.append(Issue(inp.name, f"found {v!r}; expected a number"))
                continue
            if inp.minimum is not None and x < inp.minimum:
                issues.append(Issue(inp.name, f"found {x:g}; expected at least {inp.minimum:g}"))
            if inp.maximum is not None and x > inp.maximum:
                issues.append(Issue(inp.name, f"found {x:g}; expected at most {inp.maximum:g}"))
    return issues
