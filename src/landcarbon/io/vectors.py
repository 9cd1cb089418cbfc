"""Vectors: zones and control lines from GeoPackage / Shapefile (honouring .cpg; GBK text)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core.errors import EmptyInputError, InputFileError, InputValidationError
from ..core.grid import GridSpec
from ..core.spec import Issue
from .atomic import atomic_path

_CPG_ALIASES = {"936": "gbk", "cp936": "gbk", "gb2312": "gbk", "65001": "utf-8", "utf8": "utf-8",
                "ansi 936": "gbk", "1252": "cp1252", "ansi 1252": "cp1252", "system": None}


def _shapefile_encoding(p: Path) -> str | None:
    """The encoding a Shapefile's attributes are in: its .cpg if present, else sniffed (UTF-8 or GBK)."""
    cpg = p.with_suffix(".cpg")
    if not cpg.exists():
        cpg = p.with_suffix(".CPG")
    if cpg.exists():
        raw = cpg.read_text(encoding="ascii", errors="ignore").strip().lower()
        return _CPG_ALIASES.get(raw, raw or None)
    dbf = p.with_suffix(".dbf")
    if not dbf.exists():
        return None
    data = dbf.read_bytes()
    # sniff the records only: the binary header (counts, lengths) is not text
    header_len = int.from_bytes(data[8:10], "little") if len(data) >= 10 else 0
    data = data[header_len:]
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gbk"


def read_vector(path: str | os.PathLike, *, layer: str | None = None, encoding: str | None = None,
                to_crs: Any = None) -> gpd.GeoDataFrame:
    """Read a GeoPackage / Shapefile / GeoJSON layer. Shapefile text is decoded with its .cpg,
    or sniffed as UTF-8 or GBK when there is none. ``to_crs`` reprojects."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"vector file {p} does not exist; check the path")
    kw: dict[str, Any] = {}
    if layer is not None:
        kw["layer"] = layer
    if p.suffix.lower() == ".shp":
        enc = encoding or _shapefile_encoding(p)
        if enc:
            kw["encoding"] = enc
    elif encoding:
        kw["encoding"] = encoding
    try:
        gdf = gpd.read_file(p, engine="pyogrio", **kw)
    except Exception as err:
        raise InputFileError(f"vector file {p} cannot be read ({err}); check that it is a valid "
                             f"GeoPackage or Shapefile with its .shx/.dbf/.prj beside it") from None
    if gdf.crs is None:
        raise InputValidationError(f"vector file {p} has no CRS (.prj missing?); define its CRS, e.g. "
                                   f"EPSG:4490 for CGCS2000, and save it again")
    if to_crs is not None and gdf.crs != to_crs:
        gdf = gdf.to_crs(to_crs)
    return gdf


def write_gpkg(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str | None = None) -> Path:
    with atomic_path(path) as tmp:
        gdf.to_file(tmp, driver="GPKG", layer=layer or Path(path).stem, engine="pyogrio")
    return Path(path)


def rasterize_zones(gdf: gpd.GeoDataFrame, grid: GridSpec, field: str | None = None, *,
                    chunks: int | None = None, all_touched: bool = False):
    """Burn zones onto a grid: an int32 array of 1-based zone indices (0 = outside every zone)
    and a table (``zone_id`` = index, ``zone`` = the field's value).

    Zones are reprojected to the grid's CRS. With ``chunks`` the result is a dask array burnt
    window by window, so a grid larger than memory stays bounded.
    """
    if field is not None and field not in gdf.columns:
        cols = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        close = difflib.get_close_matches(str(field), cols, n=1)
        raise InputValidationError([Issue(
            "zone_field", f"found {field!r}, which is not a column of the zones layer; expected one of {cols}"
                          + (f"; did you mean {close[0]!r}?" if close else ""))])
    if grid.crs is not None and gdf.crs is not None and gdf.crs != grid.crs:
        gdf = gdf.to_crs(grid.crs)
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]
    names = gdf[field].astype(str).to_numpy() if field else np.array([str(i + 1) for i in range(len(gdf))])
    # keep first-appearance order so zone ids follow the layer
    if field:
        order = pd.unique(names)
        idx = {n: i + 1 for i, n in enumerate(order)}
        ids = np.array([idx[n] for n in names], dtype=np.int32)
        table = pd.DataFrame({"zone_id": np.arange(1, len(order) + 1), "zone": order})
    else:
        ids = np.arange(1, len(names) + 1, dtype=np.int32)  # one zone per feature, in layer order
        table = pd.DataFrame({"zone_id": ids, "zone": names})
    x0, y0, x1, y1 = grid.bounds
    tb = gdf.total_bounds
    if len(gdf) == 0 or tb[0] > x1 or tb[2] < x0 or tb[1] > y1 or tb[3] < y0:
        raise EmptyInputError(
            f"the zones ({len(gdf)} features, bounds {tuple(round(v, 3) for v in tb)}) do not overlap the map "
            f"(bounds {tuple(round(v, 3) for v in grid.bounds)} in {grid.crs}); check that both cover the same "
            f"region and that the zones' CRS is declared correctly")
    shapes = list(zip(gdf.geometry.to_numpy(), ids))
    if chunks is None:
        return _burn(shapes, grid.shape, grid.transform, all_touched), table
    import dask
    import dask.array as dsa

    rows, cols = grid.shape
    blocks = []
    for r0 in range(0, rows, chunks):
        row_blocks = []
        for c0 in range(0, cols, chunks):
            h, w = min(chunks, rows - r0), min(chunks, cols - c0)
            t = grid.transform * grid.transform.translation(c0, r0)
            row_blocks.append(dsa.from_delayed(dask.delayed(_burn)(shapes, (h, w), t, all_touched),
                                               shape=(h, w), dtype=np.int32))
        blocks.append(row_blocks)
    return dsa.block(blocks), table


def _burn(shapes, shape, transform, all_touched) -> np.ndarray:
    from rasterio import features

    return features.rasterize(shapes, out_shape=shape, transform=transform, fill=0, dtype="int32",
                              all_touched=all_touched)
