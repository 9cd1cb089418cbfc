"""Resolve a model's file inputs once per run: check them cheaply, open them once, hash them once.

``Resolver.check(spec, values)`` returns every file problem as an ``Issue`` (missing file, a
folder where a file is expected, a raster that does not open or is not integer where classes
are expected, a table with no data rows or without a required column, a workbook whose data is
on another sheet, a vector layer or field that is absent, rasters on different grids). It reads
headers only, except tables, which are small and are kept for the run. ``Resolver.table(...)``,
``.raster(...)`` and ``.vector(...)`` return the cached objects afterwards, so a run opens each
input once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputFileError, LandcarbonError
from ..core.grid import GridSpec
from ..core.spec import Column, Input, Issue, ModelSpec
from ..core.validation import did_you_mean
from .atomic import sha256_file

_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")
_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
_VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml")


def is_raster_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in _RASTER_SUFFIXES


def _norm(c: Any) -> str:
    return str(c).strip().lower()


def find_column(columns: Any, col: Column) -> str | None:
    """The actual column of a table that stands for ``col`` (name or alias, case-insensitive)."""
    cols = {_norm(c): c for c in columns}
    for n in (col.name, *col.aliases):
        if _norm(n) in cols:
            return cols[_norm(n)]
    return None


class Resolver:
    """Opens and checks the file inputs of one run; every input is opened and hashed once."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, Any], Any] = {}
        self._rasters: dict[tuple[str, bool], Any] = {}
        self._grids: dict[str, GridSpec] = {}
        self._hashes: dict[str, str] = {}

    # -- cached readers ---------------------------------------------------------------------------
    def table(self, path: str | os.PathLike, *, sheet: str | int | None = 0) -> Any:
        from .tables import read_table

        key = (str(Path(path).resolve()), sheet)
        if key not in self._tables:
            self._tables[key] = read_table(path, sheet=sheet)
        return self._tables[key].copy()

    def raster(self, path: str | os.PathLike, *, categorical: bool = False, name: str | None = None,
               chunks: Any = "auto") -> Any:
        from .rasters import read_raster

        key = (str(Path(path).resolve()), categorical)
        if key not in self._rasters:
            self._rasters[key] = read_raster(path, categorical=categorical, name=name, chunks=chunks)
        return self._rasters[key]

    def grid(self, path: str | os.PathLike) -> GridSpec:
        import rasterio

        key = str(Path(path).resolve())
        if key not in self._grids:
            with rasterio.open(path) as src:
                self._grids[key] = GridSpec(shape=(src.height, src.width), transform=src.transform,
                                            crs=src.crs.to_wkt() if src.crs else None)
        return self._grids[key]

    def sha256(self, path: str | os.PathLike) -> str | None:
        p = Path(path)
        if not p.is_file():
            return None
        key = str(p.resolve())
        if key not in self._hashes:
            self._hashes[key] = sha256_file(p)
        return self._hashes[key]

    # -- checks -----------------------------------------------------------------------------------
    def check(self, spec: ModelSpec, values: dict[str, Any]) -> list[Issue]:
        """Every file problem of ``values`` (already coerced by ``core.validation.validate``)."""
        issues: list[Issue] = []
        grids: list[tuple[str, str, GridSpec]] = []
        for inp in spec.inputs:
            v = values.get(inp.name)
            if v is None or (isinstance(v, list) and not v) or inp.kind in ("number", "integer", "year", "choice",
                                                                             "flag", "text", "pair"):
                continue
            items = v if inp.multiple else [v]
            if inp.kind == "lines":
                items = [p for _, p in items]
            for item in items:
                if isinstance(item, str | os.PathLike):
                    issues += self._check_one(spec, inp, str(item), values, grids)
        align = bool(values.get("align"))
        if grids and not align:
            ref_key, ref_path, ref = grids[0]
            for key, path, g in grids[1:]:
                if g != ref:
                    hint = " or set ⟨align⟩ to resample onto the first map" if spec.has_input("align") else ""
                    issues.append(Issue(key, f"{Path(path).name} grid {g} differs from {Path(ref_path).name} "
                                             f"(⟨{ref_key}⟩) grid {ref}; expected one grid: resample it onto "
                                             f"that grid (e.g. gdalwarp -tr/-te or landcarbon.io.align_to){hint}"))
        return issues

    def _check_one(self, spec: ModelSpec, inp: Input, item: str, values: dict[str, Any],
                   grids: list[tuple[str, str, GridSpec]]) -> list[Issue]:
        kind = inp.kind
        if kind in ("scheme", "reference") and not _looks_like_path(item):
            return []  # a built-in name: checked by its loader
        p = Path(item)
        if not p.exists():
            near = did_you_mean(p.name, [q.name for q in p.parent.glob("*")] if p.parent.is_dir() else [])
            return [Issue(inp.name, f"file {item} does not exist{near}; check the path")]
        if p.is_dir() and p.suffix.lower() not in (".gdb",):
            return [Issue(inp.name, f"{item} is a folder; expected a file")]
        if kind in ("landuse", "raster") or (kind in ("zones", "lines") and is_raster_path(p)):
            return self._check_raster(inp, p, grids, categorical=kind in ("landuse", "zones"))
        if kind in ("zones", "vector", "lines"):
            return self._check_vector(spec, inp, p, values)
        if kind in ("table", "scheme", "reference"):
            return self._check_table(spec, inp, p, values)
        return []

    def _check_raster(self, inp: Input, p: Path, grids: list, *, categorical: bool) -> list[Issue]:
        import rasterio
        from rasterio.errors import RasterioError

        try:
            with rasterio.open(p) as src:
                dtype = np.dtype(src.dtypes[0])
                h, w = src.height, src.width
                g = GridSpec(shape=(h, w), transform=src.transform, crs=src.crs.to_wkt() if src.crs else None)
                if h == 0 or w == 0:
                    return [Issue(inp.name, f"raster {p.name} has no cells; expected a non-empty map")]
        except (RasterioError, OSError) as err:
            return [Issue(inp.name, f"{p.name} cannot be opened as a raster ({err}); expected a GeoTIFF: "
                                    f"re-export or re-download it")]
        if categorical and not np.issubdtype(dtype, np.integer):
            return [Issue(inp.name, f"{p.name} has data type {dtype}; expected integer class codes: convert it "
                                    f"(e.g. gdal_translate -ot Int16) or reclassify it first")]
        self._grids[str(p.resolve())] = g
        if inp.kind in ("landuse", "raster", "zones", "lines"):
            grids.append((inp.name, str(p), g))
        return []

    def _check_vector(self, spec: ModelSpec, inp: Input, p: Path, values: dict[str, Any]) -> list[Issue]:
        field = None
        layer = values.get(f"{inp.name.removesuffix('s')}_layer") or values.get(f"{inp.name}_layer")
        for other in spec.inputs:
            if other.field_of == inp.name and values.get(other.name):
                field = values.get(other.name)
                field_key = other.name
                break
        else:
            field_key = None
        try:
            from .inputs import check_vector
        except ImportError:  # pragma: no cover - io.inputs is part of the package
            return []
        problems = check_vector(p, field=field, layer=layer)
        out = []
        for msg in problems:
            key = field_key if (field_key and "field" in msg.lower()) else inp.name
            out.append(Issue(key, msg))
        return out

    def _check_table(self, spec: ModelSpec, inp: Input, p: Path, values: dict[str, Any]) -> list[Issue]:
        sheet_key = f"{inp.name}_sheet"
        sheet = values.get(sheet_key) if spec.has_input(sheet_key) else None
        try:
            df = self.table(p, sheet=sheet if sheet is not None else 0)
        except LandcarbonError as err:
            return [Issue(inp.name, str(err))]
        except ValueError as err:  # e.g. a sheet that does not exist
            if sheet is not None:
                names = _sheet_names(p)
                return [Issue(sheet_key, f"{p.name} has no sheet {sheet!r}{did_you_mean(str(sheet), names)}; its "
                                         f"sheets are {', '.join(names) or 'unreadable'}: choose one of them")]
            return [Issue(inp.name, f"{p.name}: {err}")]
        df = df.dropna(how="all")
        if df.empty:
            return [Issue(inp.name, f"{p.name} has a header but no data rows; expected one row per record")]
        required = [c for c in inp.columns if c.required]
        missing = [c for c in required if find_column(df.columns, c) is None]
        if not missing:
            return []
        found = [str(c) for c in df.columns]
        if p.suffix.lower() in (".xlsx", ".xlsm", ".xls") and sheet is None:
            other = _sheets_with(p, [c for c in required])
            if other:
                opt = f" with ⟨{sheet_key}⟩" if spec.has_input(sheet_key) else ""
                return [Issue(inp.name, f"{p.name}: the first sheet lacks columns "
                                        f"{', '.join(c.name for c in missing)}; sheet(s) {', '.join(other)} hold "
                                        f"them: choose the sheet{opt}")]
        msgs = []
        for c in missing:
            alias = f" (or {', '.join(c.aliases)})" if c.aliases else ""
            unit = f" in {c.units}" if c.units else ""
            msgs.append(f"{c.name}{alias}{unit}{did_you_mean(c.name, found)}")
        return [Issue(inp.name, f"{p.name} lacks column(s) {'; '.join(msgs)}; its columns are {', '.join(found)}: "
                                f"add or rename them")]

    def hash_inputs(self, spec: ModelSpec, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Manifest rows (role, path, sha256) for every file input, each file hashed once."""
        rows = []
        for inp in spec.inputs:
            v = values.get(inp.name)
            if v is None or inp.kind not in ("landuse", "raster", "zones", "vector", "lines", "table", "scheme",
                                             "reference", "path"):
                continue
            items = v if inp.multiple else [v]
            for item in items:
                path = item[1] if isinstance(item, tuple | list) else item
                if not isinstance(path, str | os.PathLike) or not Path(str(path)).is_file():
                    continue
                rows.append({"role": inp.name if not isinstance(item, tuple | list) else f"{inp.name}:{item[0]}",
                             "path": str(path), "sha256": self.sha256(path)})
        return rows


def _looks_like_path(s: str) -> bool:
    return any(ch in s for ch in "/\\") or Path(s).suffix.lower() in (*_TABLE_SUFFIXES, *_RASTER_SUFFIXES)


def _sheet_names(p: Path) -> list[str]:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(p, read_only=True)
    except Exception:  # noqa: BLE001 - a workbook openpyxl cannot read has no sheets to offer
        return []
    try:
        return [ws.title for ws in wb.worksheets]
    finally:
        wb.close()


def _sheets_with(p: Path, cols: list[Column]) -> list[str]:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(p, read_only=True)
    except Exception:  # noqa: BLE001 - a workbook openpyxl cannot read has no sheets to offer
        return []
    out = []
    try:
        for ws in wb.worksheets:
            header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            hdr = [h for h in header if h is not None]
            if all(find_column(hdr, c) is not None for c in cols):
                out.append(ws.title)
    finally:
        wb.close()
    return out


def file_error_key(err: InputFileError) -> str | None:
    return getattr(err, "key", None)


__all__ = ["Resolver", "find_column", "is_raster_path"]
