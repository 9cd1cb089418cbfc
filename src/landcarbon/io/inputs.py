"""One loader per input kind: class schemes, zones, control lines (and the land-use maps and plan
tables the commands share).

Every command and the spec-driven runner resolve these inputs here, so a zones file means the same
thing everywhere: a vector layer (GeoPackage, Shapefile with a GBK or UTF-8 .dbf, GeoJSON …) or an
integer raster on the map's grid. Errors name the input key (``scheme``, ``zones``, ``zone_field``,
``lines.<name>``), never a command-line flag: the interface that called us adds its own spelling.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.classes import BUILTIN_SCHEMES, ClassScheme
from ..core.errors import EmptyInputError, InputFileError, InputValidationError
from ..core.grid import ensure_aligned, grid_of
from ..core.spec import Issue

__all__ = ["check_vector", "load_lines", "load_maps", "load_scheme", "load_zones", "plan_path", "read_plan"]

#: file suffixes read as vector layers; anything else is read as a raster
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml", ".gml", ".tab", ".mif")
#: file suffixes read as class-scheme tables
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".xlsm")

PathLike = str | os.PathLike


def _fail(key: str, message: str) -> InputValidationError:
    return InputValidationError([Issue(key, message)])


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
        close = [next(c for c in choices if c.lower() == close[0])] if close else []
    return f"; did you mean {close[0]!r}?" if close else ""


def _resolve(value: Any, base: PathLike | None) -> Any:
    if base is None or not isinstance(value, str | os.PathLike):
        return value
    p = Path(value)
    return p if p.is_absolute() else Path(base) / p


def _is_vector(p: Path) -> bool:
    return p.suffix.lower() in VECTOR_SUFFIXES


# --------------------------------------------------------------------------------------------------
# plan files (TOML) and their relative paths
def read_plan(path: PathLike | None, section: str) -> tuple[dict[str, Any], Path]:
    """The ``[section]`` table of a TOML plan (empty when no plan), and the folder its paths are relative to."""
    if path is None:
        return {}, Path.cwd()
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"plan: file {p} does not exist; check the path")
    try:
        with p.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise _fail("plan", f"{p.name} is not valid TOML ({err}); fix the line named") from None
    return dict(data.get(section, {})), p.parent


def plan_path(value: Any, base: PathLike | None) -> Path:
    """``value`` as a path; relative paths are taken relative to ``base`` (a plan file's folder)."""
    return Path(_resolve(str(value) if not isinstance(value, os.PathLike) else value, base))


# --------------------------------------------------------------------------------------------------
# class schemes
def load_scheme(value: PathLike | ClassScheme | None, *, default: str | None = None,
                base: PathLike | None = None) -> ClassScheme:
    """A class scheme: a built-in name (``national6``, ``clcd``, ``globeland30``, ``modis_igbp``) or a
    CSV/XLSX table (``code, group`` and optionally ``key, name_zh, name_en, colour``).

    ``default`` is used when ``value`` is None; with neither, the error says what to give. An unknown
    name gets the list of built-in schemes and a did-you-mean. Relative table paths are taken
    relative to ``base`` when given.
    """
    if isinstance(value, ClassScheme):
        return value
    if value is None:
        value = default
    if value is None:
        raise _fail("scheme", f"no class scheme was given; expected a built-in name "
                              f"({', '.join(sorted(BUILTIN_SCHEMES))}) or a CSV/XLSX table with columns code, group")
    text = os.fspath(value)
    p = Path(text)
    looks_like_file = (isinstance(value, os.PathLike) or p.suffix.lower() in TABLE_SUFFIXES
                       or os.sep in text or "/" in text)
    if not looks_like_file and text.lower() in BUILTIN_SCHEMES:
        return BUILTIN_SCHEMES[text.lower()]
    rp = Path(_resolve(text, base))
    if rp.exists() or looks_like_file:
        from .schemes import read_scheme

        try:
            return read_scheme(rp)
        except InputFileError as err:
            raise InputFileError(f"scheme: {err}") from None
        except InputValidationError as err:
            raise _fail("scheme", str(err)) from None
    names = sorted(BUILTIN_SCHEMES)
    raise _fail("scheme", f"found {text!r}, which is neither a built-in scheme nor an existing file; expected one of "
                          f"{', '.join(names)}, or a CSV/XLSX table (code, group){_did_you_mean(text, names)}")


# --------------------------------------------------------------------------------------------------
# vectors: the cheap check
def check_vector(path: PathLike, *, field: str | None = None, layer: str | None = None) -> list[str]:
    """Problems with a vector input, found without reading its features (``pyogrio.read_info``).

    Returns one string per problem: the file is missing or unreadable, the layer is not found (the
    layers are listed), the field is not found (the fields are listed, with a did-you-mean), the
    layer has no CRS or no features. An empty list means the input looks usable.
    """
    import pyogrio

    from .vectors import _shapefile_encoding

    p = Path(path)
    if not p.exists():
        return [f"file {p} does not exist; check the path"]
    try:
        layers = [str(r[0]) for r in pyogrio.list_layers(p)]
    except Exception as err:
        return [f"file {p} cannot be read as a vector layer ({err}); expected a GeoPackage, a Shapefile with its "
                f".shx/.dbf/.prj beside it, or GeoJSON"]
    if layer is not None and layer not in layers:
        return [f"layer {layer!r} is not in {p.name}; its layers are {layers}{_did_you_mean(layer, layers)}"]
    kw: dict[str, Any] = {}
    if p.suffix.lower() == ".shp":
        enc = _shapefile_encoding(p)
        if enc:
            kw["encoding"] = enc
    try:
        info = pyogrio.read_info(p, layer=layer, **kw)
    except Exception as err:
        return [f"file {p} cannot be read ({err}); check that it is a valid vector file"]
    problems = []
    fields = [str(f) for f in info.get("fields", [])]
    if field is not None and field not in fields:
        problems.append(f"field {field!r} is not in {p.name}{'' if layer is None else f' layer {layer!r}'}; its "
                        f"fields are {fields}{_did_you_mean(field, fields)}")
    if info.get("crs") is None:
        problems.append(f"{p.name} has no CRS (.prj missing?); define its CRS (e.g. EPSG:4490 for CGCS2000) "
                        f"and save it again")
    if info.get("features", -1) == 0:
        problems.append(f"{p.name}{'' if layer is None else f' layer {layer!r}'} has no features")
    return problems


def _read_checked_vector(p: Path, key: str, *, field: str | None, layer: str | None, field_key: str):
    from .vectors import read_vector

    problems = check_vector(p, field=field, layer=layer)
    if problems:
        issues = [Issue(field_key if m.startswith("field ") else key, m) for m in problems]
        if any(m.startswith("file ") and "does not exist" in m for m in problems):
            raise InputFileError(f"{key}: {problems[0]}")
        raise InputValidationError(issues)
    try:
        return read_vector(p, layer=layer)
    except (InputFileError, InputValidationError) as err:
        raise type(err)(f"{key}: {err}") from None


def _chunk_of(like: xr.DataArray) -> int | None:
    data = like.data
    return int(data.chunksize[0]) if hasattr(data, "dask") else None


def _on_grid(data: Any, like: xr.DataArray, name: str, nodata: Any = None) -> xr.DataArray:
    da = xr.DataArray(data, dims=like.dims[-2:], coords={d: like.coords[d] for d in like.dims[-2:] if d in like.coords},
                      name=name)
    da = da.rio.write_crs(like.rio.crs).rio.write_transform(like.rio.transform(recalc=False))
    return da.rio.write_nodata(nodata, encoded=False) if nodata is not None else da


def _raster_input(value: Any, like: xr.DataArray, key: str, *, categorical: bool, align: bool,
                  base: PathLike | None) -> xr.DataArray:
    from .rasters import align_to, read_raster

    if isinstance(value, xr.DataArray):
        r = value
    else:
        p = Path(_resolve(value, base))
        try:
            r = read_raster(p, chunks="auto" if _chunk_of(like) else None, categorical=categorical, name=key)
        except (InputFileError, InputValidationError) as err:
            raise type(err)(f"{key}: {err}") from None
    if align and grid_of(r) != grid_of(like):
        nd = r.rio.nodata
        r = align_to(r, like, categorical=True)
        if nd is not None:
            r = r.rio.write_nodata(nd, encoded=False)
    ensure_aligned(landuse=like, **{key: r})
    return r


# --------------------------------------------------------------------------------------------------
# zones
def _renumber_block(block: np.ndarray, ids: np.ndarray, nodata: Any) -> np.ndarray:
    v = np.asarray(block)
    inside = v != 0
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        inside &= v != nodata
    if v.dtype.kind == "f":
        inside &= np.isfinite(v)
    out = np.zeros(v.shape, np.int32)
    if ids.size:
        pos = np.searchsorted(ids, v[inside].astype(np.int64))
        out[inside] = pos.astype(np.int32) + 1
    return out


def load_zones(value: Any, *, field: str | None = None, layer: str | None = None, like: xr.DataArray,
               align: bool = False, base: PathLike | None = None) -> tuple[xr.DataArray, list[str]]:
    """Zones on the grid of ``like``: ``(zone raster, names)``.

    ``value`` is a vector file (GeoPackage, Shapefile — GBK or UTF-8 text, honouring its .cpg —,
    GeoJSON …; ``field`` names the zone column, ``layer`` the layer; reprojected and burnt onto the
    grid) or an integer raster of zone ids on the same grid (a path or a DataArray; 0 and nodata are
    outside; with ``align`` a raster on another grid is resampled onto it by nearest neighbour).

    The returned int32 raster holds 1..n (0 = outside every zone) and ``names[i - 1]`` is the name of
    zone ``i``: the field's values in layer order (the feature numbers when no field), or the
    raster's zone ids as strings in ascending order. ``raster.attrs["zone_ids"]`` keeps the zone id
    of each name (the raster's own values, or 1..n for a vector). With a dask-backed ``like`` the
    raster is dask-backed too.
    """
    if value is None:
        if field is not None:
            raise _fail("zone_field", f"found {field!r} but no zones were given; give the zones too, or drop "
                                      f"zone_field")
        raise _fail("zones", "no zones were given; expected a vector file (GeoPackage, Shapefile) or an integer "
                             "raster of zone ids on the map's grid")
    if not isinstance(value, xr.DataArray) and _is_vector(Path(str(value))):
        from .vectors import rasterize_zones

        p = Path(_resolve(value, base))
        gdf = _read_checked_vector(p, "zones", field=field, layer=layer, field_key="zone_field")
        try:
            ids, table = rasterize_zones(gdf, grid_of(like), field, chunks=_chunk_of(like))
        except EmptyInputError as err:
            raise EmptyInputError(f"zones: {err}") from None
        names = [str(n) for n in table.sort_values("zone_id")["zone"]]
        z = _on_grid(ids, like, "zones", nodata=0)
        z.attrs["zone_ids"] = list(range(1, len(names) + 1))
        return z, names
    if field is not None:
        raise _fail("zone_field", f"found {field!r}, but zones is a raster of zone ids, which has no fields; drop "
                                  f"zone_field, or give the zones as a vector file")
    r = _raster_input(value, like, "zones", categorical=True, align=align, base=base)
    if r.dtype.kind not in "iu":
        raise _fail("zones", f"the zones raster has data type {r.dtype}; expected integer zone ids (0 or nodata "
                             f"outside)")
    nd = r.rio.nodata
    data = r.data
    if hasattr(data, "dask"):
        import dask.array as dsa

        u = np.asarray(dsa.unique(data).compute())
    else:
        u = np.unique(np.asarray(data))
    u = u[(u != 0) & ((u != nd) if nd is not None else True)]
    if (u < 0).any():
        raise _fail("zones", f"the zones raster holds negative values {sorted(int(v) for v in u[u < 0])[:10]}; "
                             f"expected positive zone ids, with 0 or nodata outside every zone")
    if u.size == 0:
        raise EmptyInputError("zones: the zones raster holds no zone id (every cell is 0 or nodata); check the "
                              "file and its nodata value")
    ids = u.astype(np.int64)
    if hasattr(data, "dask"):
        out = data.map_blocks(_renumber_block, ids, nd, dtype=np.int32)
    else:
        out = _renumber_block(np.asarray(data), ids, nd)
    z = _on_grid(out, like, "zones", nodata=0)
    z.attrs["zone_ids"] = [int(i) for i in ids]
    return z, [str(int(i)) for i in ids]


# --------------------------------------------------------------------------------------------------
# control lines
def _mask_of(r: xr.DataArray) -> Any:
    """Inside = valid and non-zero."""
    data = r.data
    if r.dtype == bool:
        return data
    nd = r.rio.nodata
    m = data != 0
    if nd is not None and not (isinstance(nd, float) and np.isnan(nd)):
        m = m & (data != nd)
    if r.dtype.kind == "f":
        m = m & ~(data != data)
    return m


def load_lines(values: Mapping[str, Any], *, like: xr.DataArray, align: bool = False,
               base: PathLike | None = None) -> dict[str, xr.DataArray]:
    """Control lines (``eco_redline``, ``basic_farmland``, ``urban_boundary`` or any name) as boolean
    masks on the grid of ``like``.

    Each value is a vector file (every feature is inside; reprojected and burnt onto the grid), or a
    raster on the same grid (a path or a DataArray; inside = valid and non-zero; with ``align`` a
    raster on another grid is resampled onto it by nearest neighbour).
    """
    out: dict[str, xr.DataArray] = {}
    for name, value in values.items():
        key = f"lines.{name}"
        if not isinstance(value, xr.DataArray) and _is_vector(Path(str(value))):
            from .vectors import rasterize_zones

            p = Path(_resolve(value, base))
            gdf = _read_checked_vector(p, key, field=None, layer=None, field_key=key)
            try:
                ids, _ = rasterize_zones(gdf, grid_of(like), None, chunks=_chunk_of(like))
            except EmptyInputError as err:
                raise EmptyInputError(f"{key}: {err}") from None
            out[name] = _on_grid(ids > 0, like, name)
        else:
            r = _raster_input(value, like, name, categorical=False, align=align, base=base)
            out[name] = _on_grid(_mask_of(r), like, name)
    return out


# --------------------------------------------------------------------------------------------------
# land-use maps
def load_maps(paths: Sequence[PathLike], *, align: bool = False, roles: Sequence[str] | None = None,
              chunks: Any = "auto") -> list[xr.DataArray]:
    """Read class maps; with ``align`` maps on other grids are resampled onto the first (nearest
    neighbour), otherwise they are returned as read (the models raise GridMismatchError)."""
    from .rasters import align_to, read_raster

    roles = list(roles or [f"map{i + 1}" for i in range(len(paths))])
    das = [read_raster(p, categorical=True, name=r, chunks=chunks) for p, r in zip(paths, roles)]
    if align and len(das) > 1:
        ref = grid_of(das[0])
        out = [das[0]]
        for d in das[1:]:
            if grid_of(d) != ref:
                nd = d.rio.nodata
                d = align_to(d, das[0], categorical=True)
                if nd is not None:
                    d = d.rio.write_nodata(nd, encoded=False)
            out.append(d)
        das = out
    return das
