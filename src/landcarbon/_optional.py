"""Optional dependencies: checked with find_spec, imported lazily, with the extra to install."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .core.errors import OptionalDependencyError


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def require(module: str, *, extra: str) -> ModuleType:
    if not have(module):
        raise OptionalDependencyError(
            f"{module} is needed for this step but is not installed; pip install \"landcarbon[{extra}]\"")
    return importlib.import_module(module)
