"""三区三线: control-line masks, area statistics, conflict checks and the simulation rule table
(methods.md §10.6, §8.5).

Lines are boolean masks on the land-use grid: ``eco_redline`` (生态保护红线), ``basic_farmland``
(永久基本农田), ``urban_boundary`` (城镇开发边界), plus any other named line. Rasters on another
grid are refused (GridMismatchError with the fix); vectors are reprojected and burnt by the
workflow before they reach this module.

Conflict checks (each a bit of the conflict raster, a row per zone in the table):

=====  ========================  ==========================================================
bit    check                     cells
=====  ========================  ==========================================================
1      pbf_in_redline            永久基本农田 inside 生态保护红线 (overlap of the two lines)
2      cropland_in_redline       current cropland inside 生态保护红线
4      builtup_outside_boundary  current built-up land outside 城镇开发边界
8      pbf_in_boundary           永久基本农田 inside 城镇开发边界 (overlap)
16     redline_in_boundary       生态保护红线 inside 城镇开发边界 (overlap)
32     pbf_on_steep_slope        永久基本农田 on slopes > ``steep_slope_deg`` (25° [L], 退耕还林)
=====  ========================  ==========================================================

The rule table is written in the format that :mod:`landcarbon.models.simulate.rules` reads
(``line, applies, from, to, action``), so ``landcarbon simulate --rules`` consumes it as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ...core.classes import GROUP_NAMES_ZH, GROUPS
from ...core.errors import EmptyInputError
from ...core.grid import ensure_aligned, grid_of, row_areas_ha
from ...core.spec import Column, Input, ModelSpec, NumberIn, Output, Present, RasterOut, TableOut
from ..simulate.rules import DEFAULT_RULES, REDLINE_SOFT, RULE_COLUMNS, check_rules
from ..weights import bad_input, did_you_mean
from .common import ALIGN, CHARTS, LANG, SCHEME_DOC, ZONE_INPUTS, scheme_input

LINES = ("eco_redline", "basic_farmland", "urban_boundary")
LINE_NAMES_ZH = {"eco_redline": "生态保护红线", "basic_farmland": "永久基本农田", "urban_boundary": "城镇开发边界"}

#: steep-slope limit for farmland (°): 25° [L: 退耕还林 policy, methods.md §10.3]
STEEP_SLOPE_DEG = 25.0

SPEC = ModelSpec(
    id="control_lines", version="2", title_en="Three zones, three lines: statistics and conflicts",
    title_zh="三区三线统计与冲突检查", methods_ref="methods.md §10.6, §8.5",
    doc="Areas by line, zone and national group, six conflict checks (table and bit-flag raster), and the rule "
        "table the simulation reads (line, applies, from, to, action).",
    examples=("landcarbon evaluate control-lines --landuse lu2020.tif --scheme national6 \\",
              "    --lines eco_redline=redline.gpkg basic_farmland=pbf.shp urban_boundary=ub.tif \\",
              "    --dem dem.tif --out control_lines/"),
    inputs=(
        Input("landuse", kind="landuse", required=True, label_zh="土地利用图", metavar="TIF",
              doc="Land-use map (integer class codes)"),
        scheme_input(True, SCHEME_DOC + "; tells which codes are cropland and built-up"),
        Input("lines", kind="lines", multiple=True, required=True, label_zh="控制线", aliases=("--line",),
              doc="Control lines NAME=PATH (vector file, or a raster on the map's grid: inside = non-zero): "
                  "eco_redline (生态保护红线), basic_farmland (永久基本农田), urban_boundary (城镇开发边界); other "
                  "names are counted as extra lines, a name close to one of the three is refused"),
        Input("dem", kind="raster", units="m", label_zh="数字高程模型", metavar="TIF",
              doc="DEM (m) for the steep-slope farmland check (pbf_on_steep_slope)"),
        *ZONE_INPUTS,
        NumberIn("steep_slope_deg", units="degree", default=STEEP_SLOPE_DEG, minimum=0, maximum=90,
                 exclusive_minimum=True, exclusive_maximum=True, label_zh="陡坡阈值", aliases=("--steep-slope",),
                 doc="Slope above which basic farmland is flagged (needs dem; 25° [L], 退耕还林)"),
        Input("redline", kind="choice", choices=("strict", "soft"), default="strict", label_zh="红线规则",
              doc="Red-line rule of the simulation's rule table: strict (every change forbidden inside) or soft "
                  "(only changes to built-up and cropland)"),
        Input("freeze_pbf", kind="flag", default=False, label_zh="冻结永久基本农田",
              doc="Also freeze non-cropland cells inside basic farmland in the rule table (needs that line)"),
        ALIGN, CHARTS, LANG,
    ),
    outputs=(
        TableOut("line_stats.csv", doc="Area and cells of each national group inside and outside each line, by zone",
                 doc_zh="各控制线内外各地类面积（按分区）",
                 columns=(Column("line"), Column("zone"), Column("group"), Column("cells", "cells"),
                          Column("area_ha", "ha"))),
        TableOut("conflicts.csv", doc="Cells and area of each conflict check by zone (a check whose inputs are "
                 "missing is listed in summary 'skipped_checks')", doc_zh="控制线冲突检查（按分区）",
                 columns=(Column("check"), Column("zone"), Column("cells", "cells"), Column("area_ha", "ha"))),
        RasterOut("conflicts.tif", dtype="uint16", units="bit flags",
                  doc="Conflict bit flags per cell: 1 pbf_in_redline, 2 cropland_in_redline, 4 builtup_outside_"
                      "boundary, 8 pbf_in_boundary, 16 redline_in_boundary, 32 pbf_on_steep_slope",
                  doc_zh="冲突位标志栅格"),
        TableOut("rules.csv", doc="The simulation's rule table for these lines (line, applies, from, to, action)",
                 doc_zh="模拟用控制线规则表",
                 columns=(Column("line"), Column("applies"), Column("from"), Column("to"), Column("action"))),
        Output("conflicts.png", kind="figure", when=Present("charts"), doc="Map of the conflicts (PNG)",
               doc_zh="冲突分布图（PNG）"),
        Output("conflicts.svg", kind="figure", when=Present("charts"), doc="Map of the conflicts (SVG)",
               doc_zh="冲突分布图（SVG）"),
    ),
)

CONFLICTS: tuple[tuple[int, str, str], ...] = (
    (1, "pbf_in_redline", "永久基本农田位于生态保护红线内 basic farmland inside the ecological red line"),
    (2, "cropland_in_redline", "耕地位于生态保护红线内 cropland inside the ecological red line"),
    (4, "builtup_outside_boundary", "城镇开发边界外的现状建设用地 built-up land outside the development boundary"),
    (8, "pbf_in_boundary", "永久基本农田与城镇开发边界重叠 basic farmland inside the development boundary"),
    (16, "redline_in_boundary", "生态保护红线与城镇开发边界重叠 red line inside the development boundary"),
    (32, "pbf_on_steep_slope", "坡度大于阈值的永久基本农田 basic farmland on steep slopes"),
)


def line_mask(da: xr.DataArray, name: str = "line") -> xr.DataArray:
    """Boolean mask from a line raster: inside = valid and non-zero."""
    nd = da.rio.nodata
    m = da != 0
    if nd is not None and not (isinstance(nd, float) and np.isnan(nd)):
        m = m & (da != nd)
    if da.dtype.kind == "f":
        m = m & da.notnull()
    m.name = name
    return m


def _groups_arr(landuse: xr.DataArray, groups: Mapping[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Group index (0…5, −1 = nodata/unknown) of each cell, and the valid mask."""
    lu = np.asarray(landuse.data)
    valid = _valid(landuse, lu)
    codes = np.unique(lu[valid])
    frac = [float(c) for c in codes if float(c) != int(c)]
    if frac:
        raise bad_input("landuse", f"the land-use map holds non-integer values {frac[:5]}; expected integer class "
                                   f"codes: give the categorical map, not a continuous raster")
    unknown = [int(c) for c in codes if int(c) not in groups]
    if unknown:
        from ...core.errors import MissingClassError

        raise MissingClassError(f"land-use codes {unknown} have no national group; give a class scheme that "
                                f"lists them (code,group)", unknown)
    if codes.size == 0:
        raise EmptyInputError("the land-use map has no valid cell")
    off = int(codes.min())
    lut = np.full(int(codes.max()) - off + 1, -1, np.int16)
    for c in codes:
        lut[int(c) - off] = GROUPS.index(groups[int(c)])
    gi = np.full(lu.shape, -1, np.int16)
    gi[valid] = lut[lu[valid].astype(np.int64) - off]
    return gi, valid


def _valid(landuse: xr.DataArray, lu: np.ndarray) -> np.ndarray:
    """Valid cells: not nodata (a NaN nodata or NaN cells of a float map included)."""
    nd = landuse.rio.nodata
    valid = np.ones(lu.shape, bool)
    if lu.dtype.kind == "f":
        valid &= ~np.isnan(lu)
    if nd is not None and not (isinstance(nd, float) and np.isnan(nd)):
        valid &= lu != nd
    return valid


def _zones(zones: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if zones is None:
        return np.ones(shape, np.int32)
    z = np.asarray(zones)
    if z.shape != shape:
        raise bad_input("zones", f"the zone raster has shape {z.shape} but the land-use map {shape}; expected the "
                                 f"land-use grid: rasterise the zones on it")
    return z


def _masks(lines: Mapping[str, xr.DataArray], landuse: xr.DataArray) -> dict[str, np.ndarray]:
    ensure_aligned(landuse=landuse, **lines)
    return {k: np.asarray(line_mask(v, k).data if v.dtype != bool else v.data, dtype=bool) for k, v in lines.items()}


def line_stats(landuse: xr.DataArray, lines: Mapping[str, xr.DataArray], groups: Mapping[int, str], *,
               zones: np.ndarray | None = None, zone_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Area (ha) of each land-use group inside and outside each line, by zone."""
    masks = _masks(lines, landuse)
    gi, valid = _groups_arr(landuse, groups)
    ra = row_areas_ha(grid_of(landuse))[:, None]
    z = _zones(zones, gi.shape)
    zids = np.unique(z[valid & (z > 0)])
    rows = []
    for name, m in masks.items():
        for zid in zids:
            inz = valid & (z == zid)
            for where, sel in (("inside", m), ("outside", ~m)):
                for k, g in enumerate(GROUPS):
                    c = inz & sel & (gi == k)
                    rows.append({"line": name, "line_zh": LINE_NAMES_ZH.get(name, name), "zone_id": int(zid),
                                 "where": where, "group": g, "group_zh": GROUP_NAMES_ZH[g],
                                 "cells": int(c.sum()), "area_ha": float((c * ra).sum())})
    df = pd.DataFrame(rows)
    return _with_zone(df, zone_table)


def _with_zone(df: pd.DataFrame, zone_table: pd.DataFrame | None) -> pd.DataFrame:
    if len(df) == 0:
        return df
    if zone_table is not None:
        return df.merge(zone_table[["zone_id", "zone"]], on="zone_id", how="left")
    df["zone"] = "all"
    return df


@dataclass
class ConflictResult:
    table: pd.DataFrame
    raster: xr.DataArray  # uint16 bit flags (0 = no conflict)
    skipped: list[str]


def conflicts(landuse: xr.DataArray, lines: Mapping[str, xr.DataArray], groups: Mapping[int, str], *,
              slope: xr.DataArray | None = None, steep_slope_deg: float = STEEP_SLOPE_DEG,
              zones: np.ndarray | None = None, zone_table: pd.DataFrame | None = None) -> ConflictResult:
    """The conflict checks of the module docstring as a table (zone × check: cells, area_ha) and a
    bit-flag raster. A check whose inputs are missing is listed in ``skipped``."""
    masks = _masks(lines, landuse)
    if slope is not None:
        ensure_aligned(landuse=landuse, slope=slope)
    try:
        steep = float(steep_slope_deg)
    except (TypeError, ValueError):
        steep = float("nan")
    if not 0 < steep < 90:
        raise bad_input("steep_slope_deg", f"found {steep_slope_deg!r}; expected an angle in degrees between 0 and "
                                           f"90 (default {STEEP_SLOPE_DEG:g}°)")
    gi, valid = _groups_arr(landuse, groups)
    red, pbf, ub = (masks.get(n) for n in LINES)
    sl = None if slope is None else np.asarray(slope.data, dtype=float)
    crop, built = GROUPS.index("cropland"), GROUPS.index("built_up")
    checks = {
        "pbf_in_redline": (pbf, red, lambda: pbf & red),
        "cropland_in_redline": (red, True, lambda: red & (gi == crop)),
        "builtup_outside_boundary": (ub, True, lambda: ~ub & (gi == built)),
        "pbf_in_boundary": (pbf, ub, lambda: pbf & ub),
        "redline_in_boundary": (red, ub, lambda: red & ub),
        "pbf_on_steep_slope": (pbf, sl, lambda: pbf & (np.nan_to_num(sl, nan=-1.0) > steep)),
    }
    flags = np.zeros(gi.shape, np.uint16)
    ra = row_areas_ha(grid_of(landuse))[:, None]
    z = _zones(zones, gi.shape)
    zids = np.unique(z[valid & (z > 0)])
    if zids.size == 0:
        raise EmptyInputError("no valid land-use cell lies inside a zone; check the zones and the map")
    rows, skipped = [], []
    for bit, key, label in CONFLICTS:
        a, b, fn = checks[key]
        if a is None or b is None:
            need = [n for n, v in (("eco_redline", red), ("basic_farmland", pbf), ("urban_boundary", ub),
                                   ("slope", sl)) if v is None and key_needs(key, n)]
            skipped.append(f"{key}: needs {', '.join(need)}")
            continue
        hit = fn() & valid
        flags[hit] |= bit
        for zid in zids:
            c = hit & (z == zid)
            rows.append({"check": key, "description": label, "bit": bit, "zone_id": int(zid),
                         "cells": int(c.sum()), "area_ha": float((c * ra).sum())})
    table = _with_zone(pd.DataFrame(rows, columns=["check", "description", "bit", "zone_id", "cells", "area_ha"]),
                       zone_table)
    raster = xr.DataArray(flags, dims=landuse.dims, coords=landuse.coords, name="control_line_conflicts")
    raster = raster.rio.write_crs(landuse.rio.crs).rio.write_transform(landuse.rio.transform(recalc=False))
    return ConflictResult(table, raster, skipped)


def key_needs(key: str, name: str) -> bool:
    need = {"pbf_in_redline": ("basic_farmland", "eco_redline"), "cropland_in_redline": ("eco_redline",),
            "builtup_outside_boundary": ("urban_boundary",), "pbf_in_boundary": ("basic_farmland", "urban_boundary"),
            "redline_in_boundary": ("eco_redline", "urban_boundary"),
            "pbf_on_steep_slope": ("basic_farmland", "slope")}
    return name in need[key]


def rule_table(*, redline: str = "strict", freeze_pbf: bool = False, develop_inside_boundary: bool = True,
               extra: pd.DataFrame | None = None, lines: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The rule table the simulation consumes (methods.md §8.5; format of ``models.simulate.rules``).

    ``redline``: "strict" (every change forbidden inside) or "soft" (only → built-up and → cropland).
    ``freeze_pbf``: also freeze non-cropland cells inside 永久基本农田 (R = 0).
    ``extra``: more rows (line, applies, from, to, action), e.g. nature reserves frozen.
    ``lines``: keep only rules of these lines (those given to the run).
    """
    if redline not in ("strict", "soft"):
        raise bad_input("redline", f"redline rule {redline!r}; expected 'strict' or 'soft'"
                                   f"{did_you_mean(redline, ('strict', 'soft'))}")
    df = (DEFAULT_RULES if redline == "strict" else REDLINE_SOFT).copy()
    if not develop_inside_boundary:
        df = df[df["action"] != "develop"]
    if freeze_pbf:
        df = pd.concat([df, pd.DataFrame([("basic_farmland", "inside", "any", "any", "freeze")],
                                         columns=list(RULE_COLUMNS))])
    if extra is not None and len(extra):
        df = pd.concat([df, check_rules(extra)[list(RULE_COLUMNS)]])
    if lines is not None:
        df = df[df["line"].isin(lines)]
    return check_rules(df.reset_index(drop=True))[list(RULE_COLUMNS)]


def line_areas(lines: Mapping[str, xr.DataArray], landuse: xr.DataArray) -> dict[str, float]:
    """Area (ha) of the valid map inside each line (for the optimisation constraints)."""
    masks = _masks(lines, landuse)
    lu = np.asarray(landuse.data)
    valid = _valid(landuse, lu)
    ra = row_areas_ha(grid_of(landuse))[:, None]
    return {k: float(((m & valid) * ra).sum()) for k, m in masks.items()}
