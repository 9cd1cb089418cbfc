"""Class schemes and crosswalks from user tables (CSV in UTF-8/BOM/GBK, or XLSX)."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.classes import ClassScheme, Crosswalk, crosswalk_from_frame
from ..core.errors import InputValidationError
from .tables import read_table


def read_scheme(path: str | os.PathLike, *, name: str | None = None, citation: str = "",
                sheet: str | int | None = 0) -> ClassScheme:
    """A ClassScheme from a table with columns ``code, key, name_zh, name_en, colour, group``.

    Only ``code`` and ``group`` are required; ``group`` is one of the six national groups
    (cropland, forest, grassland, water, built_up, unused) or its Chinese name (耕地 …).
    The scheme is named after the file unless ``name`` is given.
    """
    p = Path(path)
    df = read_table(p, sheet=sheet)
    df = df.dropna(how="all")
    if df.empty:
        raise InputValidationError(f"class scheme table {p} has no rows; expected one row per class code")
    try:
        return ClassScheme.from_frame(df, name=name or p.stem, citation=citation)
    except (TypeError, ValueError) as err:
        if isinstance(err, InputValidationError):
            raise InputValidationError(f"{p.name}: {err}") from None
        raise InputValidationError(
            f"class scheme table {p.name} holds a value that is not a class code ({err}); "
            f"the 'code' column must hold integers") from None


def read_crosswalk(path: str | os.PathLike, *, source: str = "user", target: str = "user",
                   sheet: str | int | None = 0) -> Crosswalk:
    """A Crosswalk from a table with columns ``from`` and ``to`` (class codes)."""
    p = Path(path)
    df = read_table(p, sheet=sheet).dropna(how="all")
    try:
        return crosswalk_from_frame(df, source=source, target=target)
    except (TypeError, ValueError) as err:
        if isinstance(err, InputValidationError):
            raise InputValidationError(f"{p.name}: {err}") from None
        raise InputValidationError(
            f"crosswalk table {p.name} holds a value that is not a class code ({err}); "
            f"'from' and 'to' must hold integers") from None
