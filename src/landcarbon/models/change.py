"""Land-use change analysis: transition matrix, gains/losses, dynamic degree (methods.md §7.1–7.2).

Orientation everywhere: **rows = class at t1 (from), columns = class at t2 (to)**, computed on the
common valid mask of the two maps. Any integer class codes are accepted (they need not be
consecutive); each map keeps its own nodata value and dtype.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme
from ..core.errors import (
    EmptyInputError,
    GridMismatchError,
    InputValidationError,
    LandcarbonWarning,
    MissingClassError,
)
from ..core.grid import GridSpec, ensure_aligned, grid_of, row_areas_ha
from ..core.spec import (
    AnyOf,
    Column,
    Input,
    Issue,
    ModelSpec,
    Output,
    Present,
    RasterIn,
    TableOut,
)
from ..ops import transitions as _tr

# --------------------------------------------------------------------------------------------
# inputs shared by change, demand and validate (one definition, one meaning)
# --------------------------------------------------------------------------------------------
#: plausible calendar years of a land-use map or a target (a typo such as 20300 is refused)
YEAR_MIN, YEAR_MAX = 1800, 2200


def zone_inputs(zones_cls: type[Input] = Input) -> tuple[Input, ...]:
    """zones (vector or raster, read by ``io.inputs.load_zones``), zone_field and zone_layer."""
    return (
        zones_cls("zones", kind="zones", label_zh="分区", required=AnyOf((Present("zone_field"), Present("zone_layer"))),
                  doc="Zones for results by zone: a vector file (GeoPackage, Shapefile; with zone_field) or an "
                      "integer raster of zone ids on the maps' grid (0 or nodata = outside)"),
        Input("zone_field", kind="text", field_of="zones", label_zh="分区名称字段",
              doc="Zone name field of a vector zones file (default: the feature numbers)"),
        Input("zone_layer", kind="text", label_zh="分区图层", doc="Layer of a multi-layer vector zones file"),
    )


ZONE_INPUTS = zone_inputs()
SCHEME = Input("scheme", kind="scheme", label_zh="分类体系", metavar="NAME|CSV",
               doc="Class scheme: a built-in name (national6, clcd, globeland30, modis_igbp) or a CSV/XLSX with "
                   "code, group, name_zh, name_en, colour (class names and colours; groups for rules)")
ALIGN = Input("align", kind="flag", default=False, label_zh="重采样对齐",
              doc="Resample rasters on other grids onto the grid of the first map (nearest neighbour)")
LANG = Input("lang", kind="choice", choices=("en", "zh"), default="en", label_zh="语言",
             doc="Language of class names in tables and charts")
SCHEDULER = Input("scheduler", kind="text", envvar="LANDCARBON_SCHEDULER", label_zh="Dask 调度器", advanced=True, metavar="ADDRESS",
                  doc="Address of a Dask distributed scheduler (default: local threads)")


def year_from_name(name: str) -> int | None:
    """The last 4-digit year (1800–2199) in a file name, e.g. wh2010_refy.tif -> 2010."""
    m = re.findall(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)", str(name))
    return int(m[-1]) if m else None


def name_order_issue(key: str, names: Sequence[str | None], years: Sequence[int] = ()) -> tuple[Issue | None,
                                                                                                 str | None]:
    """(error, warning) about maps given out of time order, judged by the years in their file names.

    Years in the names that decrease are an error (the maps are probably reversed, which flips every
    gain and loss); names whose years differ from ``years`` given are a warning.
    """
    found = [year_from_name(n) if n else None for n in names]
    if len(found) < 2 or any(y is None for y in found):
        return None, None
    ys = [int(y) for y in found if y is not None]
    listed = ", ".join(f"{n} → {y}" for n, y in zip(names, ys))
    if any(b < a for a, b in zip(ys[:-1], ys[1:])):
        return Issue(key, f"the file names say {listed}: the maps are not oldest first; expected them in time order "
                          f"(t1 first): give them in that order"), None
    if years and list(years) != ys:
        return None, (f"the years given ({', '.join(map(str, years))}) differ from those in the file names "
                      f"({listed}); the years given are used")
    return None, None


def issues_of(fn: Any, *args: Any, **kw: Any) -> list[Issue]:
    """The problems an ``InputValidationError`` raised by ``fn(*args, **kw)`` carries (none when it passes):
    a step's check runs a loader for its checks and keeps collecting the other problems."""
    try:
        fn(*args, **kw)
    except InputValidationError as err:
        return [i if isinstance(i, Issue) else Issue("", str(i)) for i in err.issues]
    return []


def years_input(doc: str, *, required: bool | Any = False, name: str = "years",
                aliases: tuple[str, ...] = ()) -> Input:
    """A list of calendar years, oldest first (reversed or repeated years are an error)."""
    return Input(name, kind="year", multiple=True, order="strictly_increasing", minimum=YEAR_MIN,
                 maximum=YEAR_MAX, required=required, label_zh="年份" if name == "years" else "目标年份",
                 doc=doc, aliases=aliases)


SPEC = ModelSpec(
    id="change", version="2", title_en="Land-use change analysis", title_zh="土地利用变化分析",
    methods_ref="methods.md §7.1, §7.2",
    doc="Transition matrix (cells, ha, km²), gains/losses/net/swap, single and comprehensive dynamic "
        "degree (单一/综合土地利用动态度), by zone too, and a transition Sankey chart.",
    examples=("landcarbon change --landuse lu2005.tif lu2010.tif --years 2005 2010 \\",
              "    --zones districts.gpkg --zone-field name --out change_2005_2010/"),
    inputs=(
        RasterIn("landuse", required=True, multiple=True, label_zh="土地利用图", metavar="TIF",
                 doc="The two land-use maps, t1 then t2 (GeoTIFF, integer class codes; any codes), on one grid "
                     "(or set align)", aliases=("--from@0", "--to@1")),
        years_input("Years of the two maps, oldest first (needed for the dynamic degrees): 2005 2010"),
        *ZONE_INPUTS,
        SCHEME,
        Input("lc_count", kind="choice", choices=("loss", "gross"), default="loss", label_zh="综合动态度计数",
              doc="Comprehensive dynamic degree: losses only (as printed by 李亚丽 et al.) or gains + losses "
                  "(twice the former)"),
        ALIGN,
        Input("sankey", kind="flag", default=True, label_zh="桑基图",
              doc="Draw the transition Sankey chart (sankey.png and a self-contained sankey.html)"),
        LANG,
        SCHEDULER,
    ),
    outputs=(
        TableOut("transition_matrix_cells.csv", doc="Transition matrix N_jk in cells: rows = from (t1), columns = "
                 "to (t2), with a total_t1 column and a total_t2 row", doc_zh="土地利用转移矩阵（像元数；行 = 期初，列 = 期末）",
                 columns=(Column("total_t1", "cells"),)),
        TableOut("transition_matrix_ha.csv", doc="Transition matrix in ha (rows = from, columns = to, with totals)",
                 doc_zh="土地利用转移矩阵（公顷）", columns=(Column("total_t1", "ha"),)),
        TableOut("transition_matrix_km2.csv", doc="Transition matrix in km² (rows = from, columns = to, with totals)",
                 doc_zh="土地利用转移矩阵（平方千米）", columns=(Column("total_t1", "km2"),)),
        TableOut("transitions_long.csv", doc="One row per unit ((all), each zone, (outside zones)) and (from, to) "
                 "pair", doc_zh="逐分区、逐转移类型的面积（长表）",
                 columns={"zone": "", "from_code": "", "to_code": "", "cells": "cells", "area_ha": "ha",
                          "area_km2": "km2"}),
        TableOut("class_change.csv", doc="Per unit and class: areas at t1 and t2, gain, loss, net, swap, single "
                 "dynamic degree K (NaN and flagged for new classes; flagged below 0.5 % of the area)",
                 doc_zh="各地类面积变化、转入转出与单一土地利用动态度",
                 columns={"zone": "", "code": "", "area_t1_ha": "ha", "area_t2_ha": "ha", "gain_ha": "ha",
                          "loss_ha": "ha", "net_ha": "ha", "swap_ha": "ha", "K_pct_per_year": "%/a"}),
        TableOut("dynamic_degree.csv", doc="Per unit: area, changed area and share, comprehensive dynamic degree LC",
                 doc_zh="综合土地利用动态度",
                 columns={"zone": "", "area_ha": "ha", "changed_ha": "ha", "changed_share": "-",
                          "LC_pct_per_year": "%/a"}),
        Output("sankey.png", kind="figure", when=Present("sankey"), doc="Transition Sankey chart (PNG)",
               doc_zh="土地利用转移桑基图（PNG）"),
        Output("sankey.svg", kind="figure", when=Present("sankey"), doc="Transition Sankey chart (SVG, beside the "
               "PNG, for print)", doc_zh="土地利用转移桑基图（SVG 矢量图）"),
        Output("sankey.html", kind="html", when=Present("sankey"),
               doc="Transition Sankey chart, a self-contained page that opens offline",
               doc_zh="土地利用转移桑基图（离线网页）"),
    ),
)

#: a class below this share of the area gets its single dynamic degree flagged [D]
SMALL_CLASS_SHARE = 0.005
OUTSIDE = "(outside zones)"
ALL = "(all)"


# --------------------------------------------------------------------------------------------
# map handling shared by change, demand and validate
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapIn:
    """A class map as the kernels need it: raw data (numpy or dask), nodata, grid (or None)."""

    name: str
    data: Any
    nodata: Any
    grid: GridSpec | None


def as_map(x: Any, name: str, nodata: Any = "auto") -> MapIn:
    """Accept a rioxarray DataArray (nodata from ``x.rio.nodata``) or a plain 2-D integer array."""
    if isinstance(nodata, str) and nodata == "auto":
        nodata = None
        if hasattr(x, "rio"):
            try:
                nodata = x.rio.nodata
            except Exception:  # pragma: no cover - DataArray without spatial dims
                nodata = None
    grid = None
    data = x
    if hasattr(x, "dims") and hasattr(x, "data"):
        data = x.data
        try:
            grid = grid_of(x) if (x.rio.crs is not None or "x" in x.dims) else None
        except Exception:
            grid = None
    if getattr(data, "ndim", None) != 2:
        raise InputValidationError(f"{name}: found an array with shape {getattr(data, 'shape', None)}; "
                                   f"expected a 2-D class map (rows, cols)")
    dt = np.dtype(data.dtype)
    if not (np.issubdtype(dt, np.integer) or np.issubdtype(dt, np.bool_)):
        raise InputValidationError(f"{name}: data type {dt}; expected integer class codes. Convert the map "
                                   f"to an integer raster or reclassify continuous values first")
    return MapIn(name, data, nodata, grid)


def check_grids(maps: Sequence[MapIn], zones: Any = None) -> GridSpec | None:
    """Same grid for every map (GridMismatchError otherwise); returns it (None for plain arrays)."""
    shapes = {m.name: tuple(m.data.shape) for m in maps}
    if zones is not None:
        shapes["zones"] = tuple(getattr(zones, "shape", ()))
    grids = {m.name: m.grid for m in maps if m.grid is not None}
    if len(grids) == len(maps) and grids:
        ensure_aligned(**grids)
    ref = next(iter(shapes.items()))
    for nm, sh in shapes.items():
        if sh != ref[1]:
            raise GridMismatchError(f"{nm} has {sh[0]}x{sh[1]} cells but {ref[0]} has {ref[1][0]}x{ref[1][1]}; "
                                    f"resample {nm} onto the {ref[0]} grid (landcarbon.io.align_to(), or --align)")
    return maps[0].grid if maps[0].grid is not None else None


def row_weights(grid: GridSpec | None, rows: int) -> np.ndarray:
    """Cell area (ha) per row; NaN when the map carries no georeferencing."""
    if grid is None:
        return np.full(rows, np.nan)
    return row_areas_ha(grid)


def find_codes(maps: Sequence[MapIn], codes: Sequence[int] | None = None) -> tuple[int, ...]:
    """The class codes to tabulate: given ones (checked against the maps later) or the union of
    the codes present in the maps, sorted. Any integer codes are fine."""
    if codes is not None:
        out = tuple(int(c) for c in codes)
        if len(set(out)) != len(out):
            raise InputValidationError(f"codes {list(out)} contain duplicates; list each class once")
        return out
    import dask

    # a map without a nodata value (e.g. a plain array from a simulation) may hold fill values where
    # the other maps are nodata: take the codes from the maps that declare nodata, if any do
    declared = [m for m in maps if _tr._nd(m.nodata, m.data)[1]]
    parts = [_tr.present_codes(m.data, m.nodata) for m in (declared or maps)]
    parts = list(dask.compute(*parts))
    allc = np.unique(np.concatenate([np.asarray(p, dtype=np.int64) for p in parts]))
    if allc.size == 0:
        raise EmptyInputError(f"{', '.join(m.name for m in maps)} hold no valid cells (every cell is "
                              f"nodata); check the nodata value and the files")
    if allc.size > 255:
        raise InputValidationError(f"the maps hold {allc.size} distinct codes; expected a land-use map with "
                                   f"at most 255 classes (is this a continuous raster?)")
    return tuple(int(c) for c in allc)


def zone_setup(zones: Any, zone_names: Sequence[str] | pd.DataFrame | None) -> tuple[Any, int, tuple[str, ...]]:
    """(zone index data, number of buckets, names of zones 1..n). Bucket 0 = outside every zone."""
    if zones is None:
        return None, 1, ()
    data = zones.data if hasattr(zones, "dims") else zones
    if isinstance(zone_names, pd.DataFrame):
        tbl = zone_names.sort_values("zone_id")
        if list(tbl["zone_id"]) != list(range(1, len(tbl) + 1)):
            raise InputValidationError("zone table: zone_id must run 1 .. n (as from landcarbon.io.rasterize_zones)")
        names = tuple(str(v) for v in tbl["zone"])
    elif zone_names is not None:
        names = tuple(str(v) for v in zone_names)
    else:
        if hasattr(data, "dask"):
            raise InputValidationError("zones given as a dask array need zone_names (the zone table)")
        n = int(np.max(data)) if np.size(data) else 0
        names = tuple(str(i) for i in range(1, n + 1))
    if not np.issubdtype(np.dtype(data.dtype), np.integer):
        raise InputValidationError(f"zones: data type {data.dtype}; expected integer zone ids (1..n, 0 = outside)")
    return data, len(names) + 1, names


def excluded_dict(ex: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    reasons = {"nodata_a": f"nodata in {names[0]}", "nodata_b": f"nodata in {names[1]}",
               "nodata_c": f"nodata in {names[2]}" if len(names) > 2 else None,
               "unknown_code": "code not in the class list", "outside_zones": "bad zone id",
               "not_sampled": "left out by sampling"}
    out = {}
    for r, v in zip(_tr.EXCLUDED_REASONS, np.asarray(ex).tolist()):
        label = reasons[r]
        if label is not None and (v or r.startswith("nodata")):
            out[label] = int(v)
    return out


def check_unknown(ex: np.ndarray, codes: Sequence[int], names: Sequence[str]) -> None:
    n = int(np.asarray(ex)[3])
    if n:
        raise MissingClassError(f"{n} valid cells of {', '.join(names)} hold codes outside the class list "
                                f"{list(codes)}; add those codes (or leave codes unset to take them from "
                                f"the maps)", [])


def class_label(code: int, scheme: ClassScheme | None, lang: str = "en") -> str:
    if scheme is not None and code in scheme:
        return scheme[code].name(lang)
    return str(code)


# --------------------------------------------------------------------------------------------
# transition matrix
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransitionTable:
    """Transition counts and areas between two maps, overall and per zone.

    ``counts``/``area_ha`` have shape (B, K, K): bucket 0 = cells outside every zone (the whole map
    when there are no zones), buckets 1..n = zones; axis 1 = class at t1, axis 2 = class at t2.
    """

    codes: tuple[int, ...]
    counts: np.ndarray
    area_ha: np.ndarray
    zone_names: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    excluded: dict[str, int] = field(default_factory=dict)
    scheme: ClassScheme | None = None

    # -- selections ------------------------------------------------------------------------------
    def units(self) -> list[str]:
        """Names of the reporting units: '(all)' first, then each zone."""
        return [ALL, *self.zone_names] + ([OUTSIDE] if self.zone_names and self.counts[0].sum() else [])

    def _sel(self, zone: str | None, what: str) -> np.ndarray:
        arr = self.counts if what == "cells" else self.area_ha
        if zone in (None, ALL):
            return arr.sum(axis=0)
        if zone == OUTSIDE:
            return arr[0]
        try:
            i = self.zone_names.index(zone)
        except ValueError:
            raise InputValidationError(f"zone {zone!r} is not one of {list(self.zone_names)}") from None
        return arr[i + 1]

    def matrix(self, unit: str = "cells", zone: str | None = None, *, totals: bool = True,
               lang: str = "en") -> pd.DataFrame:
        """Wide matrix (rows = from t1, columns = to t2) in ``cells``, ``ha`` or ``km2``."""
        if unit not in ("cells", "ha", "km2"):
            raise InputValidationError(f"unit {unit!r}; expected 'cells', 'ha' or 'km2'")
        m = self._sel(zone, "cells" if unit == "cells" else "ha").astype(np.float64)
        if unit == "km2":
            m = m / 100.0
        if unit == "cells":
            m = m.astype(np.int64)
        labels = [class_label(c, self.scheme, lang) for c in self.codes]
        df = pd.DataFrame(m, index=pd.Index(labels, name="from \\ to"), columns=labels)
        if totals:
            df["total_t1"] = df.sum(axis=1)
            df.loc["total_t2"] = df.sum(axis=0)
        return df

    def long(self, lang: str = "en") -> pd.DataFrame:
        """One row per (unit, from, to) with cells, area_ha and area_km2 (all pairs, zeros kept)."""
        k = len(self.codes)
        rows = []
        codes = np.asarray(self.codes)
        fr = np.repeat(codes, k)
        to = np.tile(codes, k)
        for unit in self.units():
            c = self._sel(unit, "cells").ravel()
            a = self._sel(unit, "ha").ravel()
            rows.append(pd.DataFrame({
                "zone": unit, "from_code": fr, "to_code": to,
                "from_name": [class_label(x, self.scheme, lang) for x in fr],
                "to_name": [class_label(x, self.scheme, lang) for x in to],
                "cells": c.astype(np.int64), "area_ha": a, "area_km2": a / 100.0,
                "changed": fr != to}))
        return pd.concat(rows, ignore_index=True)

    @property
    def total_cells(self) -> int:
        return int(self.counts.sum())


def transition_matrix(map1: Any, map2: Any, *, codes: Sequence[int] | None = None, nodata: Any = "auto",
                      zones: Any = None, zone_names: Sequence[str] | pd.DataFrame | None = None,
                      years: tuple[int, int] | None = None, scheme: ClassScheme | None = None) -> TransitionTable:
    """Transition matrix N_jk (cells and ha) from ``map1`` (t1) to ``map2`` (t2), methods.md §7.1.

    ``nodata``: "auto" (each map's own ``rio.nodata``), one value for both, or a pair.
    ``zones``: integer zone ids on the same grid (1..n, 0 = outside; e.g. from
    ``landcarbon.io.rasterize_zones``) with ``zone_names`` (sequence or its zone table).
    """
    nd1, nd2 = _pair(nodata, 2)
    m1, m2 = as_map(map1, "map1", nd1), as_map(map2, "map2", nd2)
    grid = check_grids([m1, m2], zones)
    zdata, nb, names = zone_setup(zones, zone_names)
    codes_t = find_codes([m1, m2], codes)
    rows = row_weights(grid, m1.data.shape[0])
    import dask

    res = _tr.cross_tab(m1.data, m2.data, codes_t, rows, nodata_a=m1.nodata, nodata_b=m2.nodata,
                        zones=zdata, n_zones=nb)
    counts, area, ex = dask.compute(res["counts"], res["area_ha"], res["excluded"])
    check_unknown(ex, codes_t, ["map1", "map2"])
    if counts.sum() == 0:
        raise EmptyInputError("map1 and map2 share no valid cell (their valid areas do not overlap); "
                              "check the nodata values and that both maps cover the same region")
    if years is not None:
        years = (int(years[0]), int(years[1]))
    return TransitionTable(codes_t, counts, area, names, years, excluded_dict(ex, ["map1", "map2"]), scheme)


def _pair(nodata: Any, n: int) -> tuple[Any, ...]:
    if isinstance(nodata, list | tuple):
        if len(nodata) != n:
            raise InputValidationError(f"nodata: found {len(nodata)} values; expected 1 or {n}")
        return tuple(nodata)
    return (nodata,) * n


# --------------------------------------------------------------------------------------------
# gains, losses, dynamic degree
# --------------------------------------------------------------------------------------------
def class_change(tt: TransitionTable, *, years: tuple[int, int] | None = None, lang: str = "en") -> pd.DataFrame:
    """Per unit and class: areas at t1/t2, gain, loss, net, swap, total change and the single
    dynamic degree K_k (%/a; methods.md §7.1–7.2).

    K_k is NaN with flag "new class" where the t1 area is 0, and flagged "small class" where the
    class covers less than 0.5 % of the area at t1 [D].
    """
    years = years or tt.years
    span = _span(years)
    out = []
    for unit in tt.units():
        m = tt._sel(unit, "ha")
        c = tt._sel(unit, "cells")
        if not np.isfinite(m).all():  # plain arrays without georeferencing: use cells as area
            m = c.astype(np.float64)
        t1, t2 = m.sum(axis=1), m.sum(axis=0)
        diag = np.diag(m)
        gain, loss = t2 - diag, t1 - diag
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(t1 > 0, (t2 - t1) / t1 / span * 100.0, np.nan) if span else np.full(t1.shape, np.nan)
        tot = t1.sum()
        flags = np.where(t1 == 0, "new class",
                         np.where(t1 < SMALL_CLASS_SHARE * tot, "small class (<0.5 % of area)", ""))
        out.append(pd.DataFrame({
            "zone": unit, "code": list(tt.codes),
            "name": [class_label(x, tt.scheme, lang) for x in tt.codes],
            "cells_t1": c.sum(axis=1), "cells_t2": c.sum(axis=0),
            "area_t1_ha": t1, "area_t2_ha": t2, "persistence_ha": diag,
            "gain_ha": gain, "loss_ha": loss, "net_ha": gain - loss,
            "swap_ha": 2 * np.minimum(gain, loss), "total_change_ha": gain + loss,
            "K_pct_per_year": k, "K_flag": flags}))
    return pd.concat(out, ignore_index=True)


def dynamic_degree(tt: TransitionTable, *, years: tuple[int, int] | None = None,
                   lc_count: str = "loss") -> pd.DataFrame:
    """Comprehensive dynamic degree LC (%/a) per unit (methods.md §7.2).

    ``lc_count="loss"`` (default, as printed by 李亚丽 et al.): ΔLU_k = loss of class k, so
    LC = Σ loss / (2 Σ area) / T × 100. ``lc_count="gross"``: ΔLU_k = gain + loss (twice the former).
    """
    if lc_count not in ("loss", "gross"):
        raise InputValidationError(f"lc_count {lc_count!r}; expected 'loss' (default) or 'gross'")
    years = years or tt.years
    span = _span(years)
    rows = []
    for unit in tt.units():
        m = tt._sel(unit, "ha")
        if not np.isfinite(m).all():
            m = tt._sel(unit, "cells").astype(np.float64)
        tot = m.sum()
        changed = tot - np.trace(m)
        dlu = changed if lc_count == "loss" else 2 * changed
        lc = dlu / (2 * tot) / span * 100.0 if (span and tot > 0) else np.nan
        rows.append({"zone": unit, "years": None if years is None else f"{years[0]}-{years[1]}",
                     "area_ha": tot, "changed_ha": changed, "changed_share": changed / tot if tot else np.nan,
                     "LC_pct_per_year": lc, "lc_count": lc_count})
    return pd.DataFrame(rows)


def _span(years: tuple[int, int] | None) -> float | None:
    if years is None:
        return None
    t = int(years[1]) - int(years[0])
    if t <= 0:
        raise InputValidationError(f"years {tuple(years)}: the second year must be later than the first")
    return float(t)


def warn_small(df: pd.DataFrame) -> None:
    small = df[df["K_flag"] != ""]
    if len(small):
        warnings.warn(f"single dynamic degree is unstable for {len(small)} small or new class entries "
                      f"(flagged in K_flag)", LandcarbonWarning, stacklevel=2)


def left_out(excluded: dict[str, int], n_cells: int, compared: int, names: Sequence[str]) -> dict[str, int]:
    """Cells valid in one map but left out of the comparison (nodata in another map), per map name.

    ``excluded`` is the ``excluded`` dict of a table (``nodata in <name>`` keys), ``n_cells`` the cells
    of the grid and ``compared`` the cells on the common valid mask (sampled-out cells included).
    """
    out = {}
    for nm in names:
        n = int(n_cells) - int(excluded.get(f"nodata in {nm}", 0)) - int(compared)
        if n > 0:
            out[nm] = n
    return out
