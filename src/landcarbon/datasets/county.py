"""A deterministic SYNTHETIC county for examples, docs, the demo study and tests.

Everything is invented (no real place, no real statistics). The four districts of
``landcarbon.datasets.districts`` (城关区, 新港区, 青山县, 稻香县) on a 200 × 200 grid of 100 m cells
(1 ha each, EPSG:32650), with land-use maps for 2010, 2015 and 2020 in the six national groups whose
change has a spatial logic a simulation can learn (towns grow outwards along a road, cropland is lost
near them, slopes are reforested), drivers (DEM, distance to the road, population density), the three
control lines (生态保护红线, 永久基本农田, 城镇开发边界) as rasters and the urban boundary also as a
GeoPackage, a carbon-pools table, and the energy, socio-economic, history and scenario tables of the
districts dataset. The same call always writes the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import districts as _d

SYNTHETIC_NOTE = "SYNTHETIC example county (landcarbon.datasets.county); not a real place, not real statistics"
SHAPE = _d.SHAPE
CELL = _d.CELL
CRS = _d.CRS
ORIGIN = _d.ORIGIN
YEARS = (2010, 2015, 2020)
SEED = 20_261_202
#: town centres (row, col), radius in cells in 2010 and growth per 5 years
TOWNS = [((50, 50), 22.0, 4.5), ((50, 150), 15.0, 4.0), ((150, 60), 5.0, 1.0), ((150, 150), 6.0, 1.5)]

#: illustrative densities of the six national groups (Mg C/ha; synthetic, not a cited set)
POOLS = pd.DataFrame({
    "lucode": [1, 2, 3, 4, 5, 6],
    "lulc_name": ["cropland", "forest", "grassland", "water", "built_up", "unused"],
    "c_above": [5.0, 60.0, 4.0, 0.0, 1.0, 0.5],
    "c_below": [1.0, 15.0, 8.0, 0.0, 0.5, 0.2],
    "c_soil": [90.0, 120.0, 95.0, 0.0, 40.0, 20.0],
    "c_dead": [0.0, 6.0, 1.0, 0.0, 0.0, 0.0],
})


def _smooth(rng: np.random.Generator, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(SHAPE), sigma)
    return (f - f.mean()) / f.std()


def _fields() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    rows, cols = SHAPE
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    # hills in the south-west (forest county), a plain elsewhere
    dem = 40.0 + 380.0 * np.exp(-(((yy - 160) / 45) ** 2 + ((xx - 45) / 40) ** 2)) + 25.0 * _smooth(rng, 6)
    dem = np.maximum(dem, 5.0)
    # a road from west to east through the towns, bending south
    road_row = 50 + 100 * np.clip((xx[0] - 100) / 100, 0, 1) ** 2
    dist_road = np.abs(yy - road_row[None, :]) * CELL
    # a river from north to south, and a lake
    river_col = 100 + 12 * np.sin(yy[:, 0] / 17)
    river = np.abs(xx - river_col[:, None]) < 1.6
    lake = ((yy - 110) / 9) ** 2 + ((xx - 170) / 14) ** 2 < 1
    return {"dem": dem, "dist_road": dist_road, "water": river | lake, "noise": _smooth(rng, 2.5),
            "noise2": _smooth(rng, 1.5), "yy": yy, "xx": xx}


def landuse(year: int, f: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The national-6 map of ``year`` (2010–2020; 0 = nodata on a 2-cell border), deterministic."""
    f = f or _fields()
    k = (year - YEARS[0]) / 5.0
    dem, noise, noise2 = f["dem"], f["noise"], f["noise2"]
    lu = np.full(SHAPE, 1, dtype=np.int16)  # cropland
    lu[(dem > 150) & (noise > -1.0)] = 3  # grassland on the foothills
    forest_line = 190 - 12 * k  # slopes reforested over time
    lu[(dem > forest_line) | ((dem > 120) & (noise > 1.2))] = 2
    lu[(dem > 380) & (noise2 > 1.4)] = 6  # bare summits
    lu[f["water"]] = 4
    built = np.zeros(SHAPE, bool)
    for (r, c), r0, g in TOWNS:
        rad = r0 + g * k
        d = np.hypot(f["yy"] - r, f["xx"] - c)
        # towns stretch along the road (growth where the road is near)
        stretch = 1.0 + 0.8 * np.exp(-f["dist_road"] / 800.0)
        built |= d < rad * stretch * (1 + 0.12 * noise)
    built |= (f["dist_road"] < 150) & (noise2 > 1.9 - 0.15 * k)  # ribbon development
    lu[built & ~f["water"]] = 5
    lu[:2, :] = 0
    lu[-2:, :] = 0
    lu[:, :2] = 0
    lu[:, -2:] = 0
    return lu


def control_lines(f: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The three control lines as boolean masks (drawn on the 2020 map)."""
    f = f or _fields()
    lu20 = landuse(2020, f)
    eco = (f["dem"] > 230) | f["water"]
    ub = np.zeros(SHAPE, bool)
    for (r, c), r0, g in TOWNS:
        ub |= np.hypot(f["yy"] - r, f["xx"] - c) < (r0 + g * 4.0) * 1.1
    bf = (lu20 == 1) & (f["dem"] < 120) & ~ub & (f["noise"] < 0.8)
    border = lu20 == 0
    return {"eco_redline": eco & ~border, "basic_farmland": bf & ~border, "urban_boundary": ub & ~border}


def energy_table(years=tuple(range(2010, 2024))) -> pd.DataFrame:
    return _d.energy_table(years)


def socioeconomic_table(years=tuple(range(2010, 2024))) -> pd.DataFrame:
    df = _d.socioeconomic_table(years)
    df["green_building_pct"] = np.round(np.clip(5 + 4.5 * (df["year"] - years[0]), 0, 100), 1)
    return df


def write_county(folder: str | os.PathLike) -> dict[str, Path]:
    """Write every file of the synthetic county into ``folder``; returns the paths by role."""
    import geopandas as gpd
    from affine import Affine
    from shapely.geometry import Point

    from ..core.grid import GridSpec
    from ..io import atomic_write_text, write_csv, write_gpkg, write_raster

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    grid = GridSpec(SHAPE, Affine(CELL, 0, ORIGIN[0], 0, -CELL, ORIGIN[1]), CRS)
    f = _fields()
    paths: dict[str, Path] = {}
    for y in YEARS:
        paths[f"landuse_{y}"] = write_raster(landuse(y, f), d / f"landuse_{y}.tif", grid, nodata=0, dtype="int16")
    paths["dem"] = write_raster(f["dem"].astype("float32"), d / "dem.tif", grid)
    paths["dist_road"] = write_raster(f["dist_road"].astype("float32"), d / "dist_road.tif", grid)
    pop = 50 + 4000 * np.exp(-f["dist_road"] / 1500) * (landuse(2020, f) == 5) + 30 * (f["noise"] + 3)
    paths["pop_density"] = write_raster(pop.astype("float32"), d / "pop_density.tif", grid)
    for name, mask in control_lines(f).items():
        paths[name] = write_raster(mask.astype("uint8"), d / f"{name}.tif", grid, nodata=255, dtype="uint8")
    x0, y0 = ORIGIN
    circles = [Point(x0 + (c + 0.5) * CELL, y0 - (r + 0.5) * CELL).buffer((r0 + g * 4.0) * 1.1 * CELL)
               for (r, c), r0, g in TOWNS]
    paths["urban_boundary_gpkg"] = write_gpkg(
        gpd.GeoDataFrame({"name": ["城关镇", "新港镇", "青山镇", "稻香镇"]}, geometry=circles, crs=CRS),
        d / "urban_boundary.gpkg")
    paths["zones"] = write_gpkg(_d.districts_layer(), d / "districts.gpkg")
    zid = np.zeros(SHAPE, dtype="int16")
    half = SHAPE[0] // 2, SHAPE[1] // 2
    zid[: half[0], : half[1]], zid[: half[0], half[1]:] = 1, 2
    zid[half[0]:, : half[1]], zid[half[0]:, half[1]:] = 3, 4
    zid[landuse(2020, f) == 0] = 0
    paths["zones_raster"] = write_raster(zid, d / "zones.tif", grid, nodata=0, dtype="int16")
    paths["pools"] = write_csv(POOLS, d / "pools.csv")
    paths["energy"] = write_csv(energy_table(), d / "energy.csv")
    paths["socioeconomic"] = write_csv(socioeconomic_table(), d / "socioeconomic.csv")
    paths["history"] = write_csv(_d.history_table(), d / "history.csv")
    paths["scenarios"] = write_csv(_d.scenarios_table(), d / "scenarios.csv")
    atomic_write_text(d / "README.txt", SYNTHETIC_NOTE + "\n")
    return paths


__all__ = ["CRS", "POOLS", "SHAPE", "SYNTHETIC_NOTE", "YEARS", "control_lines", "landuse", "write_county"]
