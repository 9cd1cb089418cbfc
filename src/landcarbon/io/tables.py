"""Tables: CSV (UTF-8, UTF-8 with BOM or GBK) and XLSX in; CSV with BOM (opens right in Excel) out."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputFileError
from .atomic import atomic_path

_ENCODINGS = ("utf-8-sig", "gb18030")


def read_table(path: str | os.PathLike, *, sheet: str | int | None = 0, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV (UTF-8/BOM or GBK text) or an Excel workbook sheet into a DataFrame."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"table {p} does not exist; check the path")
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            return pd.read_excel(p, sheet_name=sheet, **kwargs)
        except Exception as err:
            raise InputFileError(f"could not read workbook {p}: {err}; save it as .xlsx or CSV") from None
    last: Exception | None = None
    for enc in _ENCODINGS:
        try:
            df = pd.read_csv(p, encoding=enc, **kwargs)
            df.columns = [str(c).strip() for c in df.columns]
            return df
        except UnicodeDecodeError as err:
            last = err
        except pd.errors.EmptyDataError:
            raise InputFileError(f"table {p} is empty; expected a header row and data rows") from None
        except pd.errors.ParserError as err:
            raise InputFileError(f"table {p} is not a readable CSV ({err}); check its delimiters") from None
    raise InputFileError(f"table {p} is neither UTF-8 nor GBK text ({last}); save it as UTF-8 CSV")


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, index: bool = False,
              float_format: str | None = None) -> Path:
    """Write UTF-8 with BOM (Excel shows Chinese right), atomically. ``float_format`` (e.g. "%.12g")
    trades the shortest round-trip repr for speed on large tables."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=index, encoding="utf-8-sig", lineterminator="\n", float_format=float_format)
    return Path(path)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not math.isfinite(float(o)) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def _clean(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    return o


def json_text(obj: Any, *, indent: int | None = None) -> str:
    """Strict JSON (NaN and infinities as null, numpy scalars as numbers), UTF-8 text kept as is."""
    return json.dumps(_clean(obj), ensure_ascii=False, indent=indent, default=_json_default, allow_nan=False)


def write_json(obj: Any, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_clean(obj), ensure_ascii=False, indent=2, default=_json_default),
                       encoding="utf-8")
    return Path(path)
