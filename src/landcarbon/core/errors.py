"""The landcarbon error tree.

Every error a user can cause inherits from :class:`LandcarbonError` *and* from the matching
builtin, so callers can catch what they expect (``except ValueError``). Messages say what was
found, what was expected and how to fix it. The CLI turns any ``LandcarbonError`` into one line
on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


class LandcarbonError(Exception):
    """Base of every user-facing landcarbon error."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else self.__class__.__name__


class InputValidationError(LandcarbonError, ValueError):
    """One or more inputs failed validation; ``.issues`` holds them all."""

    def __init__(self, issues: Sequence[Any] | str):
        if isinstance(issues, str):
            self.issues: list[Any] = [issues]
            msg = issues
        else:
            self.issues = list(issues)
            msg = "; ".join(str(i) for i in self.issues)
        super().__init__(msg)


class GridMismatchError(LandcarbonError, ValueError):
    """Two rasters that must share one grid do not."""


class MissingClassError(LandcarbonError, KeyError):
    """Class codes present in a map have no row in a lookup table; ``.missing`` lists them."""

    def __init__(self, message: str, missing: Iterable[Any] = ()):
        super().__init__(message)
        self.missing = sorted(missing)


class InputFileError(LandcarbonError, OSError):
    """A file is missing, unreadable, corrupt or truncated."""


class UnitError(LandcarbonError, ValueError):
    """A quantity is in a unit that cannot be (or was not) converted to the expected one."""


class EmptyInputError(LandcarbonError, ValueError):
    """An input holds no valid data (an empty map, zones that do not overlap, an empty zone)."""


class InfeasibleError(LandcarbonError, ValueError):
    """Constraints cannot all be met (demand larger than the allowed cells, an infeasible LP)."""


class BackendNotSupportedError(LandcarbonError, TypeError):
    """An operation has no implementation for the given array backend."""


class OptionalDependencyError(LandcarbonError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class LandcarbonWarning(UserWarning):
    """Base of landcarbon warnings (assumption-driven results, large corrections …)."""
