"""The model registry: model id -> (spec, compute, command, workflow step).

Everything that calls a model reads this: the runner, the CLI (options are generated from the
spec), ``landcarbon spec --json``, plan-file steps, the web service and the QGIS provider. Entries
name their modules as strings and load them on first use, so ``import landcarbon`` stays fast and
this module imports nothing above ``models``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..core.spec import ModelSpec


@dataclass(frozen=True)
class Model:
    """One registered model.

    ``spec``: "module:NAME" of the frozen ModelSpec. ``compute``: "module:function" of the
    in-memory model (xarray / pandas in, xarray / pandas out). ``command``: the command-line words
    (``("evaluate", "suitability")``). ``step``: the workflow module whose ``execute(ctx)`` reads the
    resolved inputs, calls ``compute`` and writes the spec's outputs (it may define ``check(ctx)``
    for model-specific checks that run before any expensive step).
    """

    id: str
    spec_ref: str
    compute_ref: str
    command: tuple[str, ...]
    step: str

    @property
    def spec(self) -> ModelSpec:
        return _load(self.spec_ref)

    @property
    def compute(self) -> Any:
        return _load(self.compute_ref)

    @property
    def command_line(self) -> str:
        return "landcarbon " + " ".join(self.command)


@cache
def _load(ref: str) -> Any:
    mod, _, name = ref.partition(":")
    return getattr(importlib.import_module(mod), name)


_M = "landcarbon.models."
_W = "landcarbon.workflow."

MODELS: dict[str, Model] = {m.id: m for m in (
    Model("carbon_stock", _M + "carbon_stock:SPEC", _M + "carbon_stock:compute", ("stock",), _W + "stock"),
    Model("change", _M + "change:SPEC", _M + "change:transition_matrix", ("change",), _W + "change"),
    Model("demand", _M + "demand:SPEC", _M + "demand:markov", ("demand",), _W + "demand"),
    Model("simulate", _M + "simulate.spec:SPEC", _M + "simulate:simulate", ("simulate",), _W + "simulate"),
    Model("validate", _M + "validate:SPEC", _M + "validate:compare", ("validate",), _W + "validate"),
    Model("emissions", _M + "emissions:SPEC", _M + "emissions:emissions_by_zone", ("emissions",),
          _W + "emissions"),
    Model("balance", _M + "balance:SPEC", _M + "balance:carbon_balance", ("balance",), _W + "balance"),
    Model("peak", _M + "peak:SPEC", _M + "peak:fit_stirpat", ("peak",), _W + "peak"),
    Model("allocation", _M + "allocation:SPEC", _M + "allocation:allocate", ("allocate",), _W + "allocate"),
    Model("suitability", _M + "evaluate.suitability_spec:SPEC", _M + "evaluate.suitability:evaluate_suitability",
          ("evaluate", "suitability"), _W + "evaluate"),
    Model("mce", _M + "evaluate.mce:SPEC", _M + "evaluate.mce:weighted_overlay", ("evaluate", "mce"), _W + "evaluate"),
    Model("control_lines", _M + "evaluate.control_lines:SPEC", _M + "evaluate.control_lines:line_stats",
          ("evaluate", "control-lines"), _W + "evaluate"),
    Model("intensive", _M + "evaluate.intensive:SPEC", _M + "evaluate.intensive:evaluate_intensive",
          ("evaluate", "intensive"), _W + "evaluate"),
    Model("esv", _M + "evaluate.esv:SPEC", _M + "evaluate.esv:esv", ("evaluate", "esv"),
          _W + "evaluate"),
    Model("optimize", _M + "optimize.spec:SPEC", _M + "optimize.lp:solve_lp", ("optimize",), _W + "optimize"),
    Model("indicators", _M + "indicators:SPEC", _M + "indicators:compute", ("indicators",), _W + "indicators"),
)}


def get(model_id: str) -> Model:
    """The registered model ``model_id``; unknown ids get a did-you-mean."""
    try:
        return MODELS[model_id]
    except KeyError:
        from ..core.errors import InputValidationError
        from ..core.validation import did_you_mean

        by_cmd = {" ".join(m.command): m for m in MODELS.values()}
        if model_id in by_cmd:
            return by_cmd[model_id]
        raise InputValidationError(
            f"model {model_id!r} is not registered{did_you_mean(model_id, [*MODELS, *by_cmd])}; the models are "
            f"{', '.join(MODELS)}") from None


def spec(model_id: str) -> ModelSpec:
    return get(model_id).spec


def by_command(words: tuple[str, ...]) -> Model | None:
    for m in MODELS.values():
        if m.command == tuple(words):
            return m
    return None


__all__ = ["MODELS", "Model", "by_command", "get", "spec"]
