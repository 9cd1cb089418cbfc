"""The ``emissions`` step (``landcarbon emissions``): emissions by zone and year (methods.md §3).

The runner resolves, validates and hashes the inputs (``models.emissions.SPEC``) and stages the run folder;
:func:`check` adds the model's cheap checks, all at once, before the map is read: the class scheme, the
coefficient set and its overrides, user emission factors, every table turned into emissions (fuel names,
units, amounts), the zones of the tables against the zones layer, the map year in the tables, and options
that would do nothing. :func:`execute` sums the land-use areas per zone and national group in one windowed
pass (``workflow.engine``) and assembles the account; the tables checked are not computed again.

Outputs (units in the column names): emissions_by_zone.csv (one row per zone × year), direct_by_group.csv,
coefficients.csv (the set used, with citations), energy_by_fuel.csv and energy_by_zone_year.csv,
agri_by_input.csv, non_co2.csv.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme
from ..core.errors import InputValidationError, LandcarbonWarning
from ..core.grid import row_areas_ha
from ..core.spec import Issue
from ..io.inputs import load_scheme, load_zones
from ..io.rasters import AUTO_CHUNK_CELLS
from ..io.resolve import is_raster_path
from ..io.windows import RasterWindowReader, plan_windows, window_size
from ..kernels import lookup as _lookup
from ..models import coefficients as _coef
from ..models import emissions as _em
from ..models.weights import Problems, bad_input, did_you_mean, input_refs
from ..ops.zonal import zone_class_sums
from . import engine
from .runner import RunContext, run_model

PathLike = str | os.PathLike

__all__ = ["ZONAL_WINDOW", "check", "execute", "run_emissions", "zonal_areas"]

_ZONE_NAMES = ("zone", "区县", "地区", "name", "zone_name")
#: inputs that only act on the land-use map, the energy table, the agricultural or the non-CO2 table
_WITH = {"landuse": ("year", "scheme", "coefficients", "coefficients_sheet", "coef", "coef_role", "zones",
                     "zone_field", "zone_layer", "align", "area_method", "hold_landuse", "window"),
         "energy": ("energy_sheet", "region", "grid_factor", "heat_factor", "fuel_factor", "scope", "convention",
                    "natural_gas", "energy_weight"),
         "agri": ("agri_sheet", "ploughing_unit"), "non_co2": ("non_co2_sheet", "gwp")}


def __getattr__(name: str) -> Any:
    # the demo's accounts step moved to workflow.demo_accounts (it runs balance and peak after emissions);
    # importable from here as before, without this module importing its sibling steps
    if name == "demo_step":
        return importlib.import_module("landcarbon.workflow.demo_accounts").demo_step
    raise AttributeError(name)


# -- what a run reads and checks once (shared by check and execute through the run's resolver) -----------
_MEMO: WeakKeyDictionary = WeakKeyDictionary()


def _memo(ctx: RunContext, key: str, fn: Callable[[], Any]) -> Any:
    d = _MEMO.setdefault(ctx.resolver, {})
    if key not in d:
        d[key] = fn()
    return d[key]


def _names(ctx: RunContext) -> list[str]:
    return [i.name for i in ctx.spec.inputs]


def _scheme(ctx: RunContext) -> ClassScheme:
    return _memo(ctx, "scheme", lambda: load_scheme(ctx.get("scheme"), default="national6"))


def _numbers(ctx: RunContext, key: str, unit: str) -> dict[str, float]:
    out, issues = {}, []
    for k, v in ctx.get(key) or []:
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            issues.append(Issue(key, f"{k}={v}: the value is not a number; expected {k}=NUMBER ({unit})"))
    if issues:
        raise InputValidationError(issues)
    return out


def _coefs(ctx: RunContext) -> _coef.LanduseCoefficients:
    def resolve() -> _coef.LanduseCoefficients:
        c = ctx.get("coefficients", "cn_common_A")
        allow = bool(ctx.get("allow_implausible"))
        if isinstance(c, _coef.LanduseCoefficients):
            coefs = c
        elif isinstance(c, pd.DataFrame) or (isinstance(c, str | os.PathLike) and (
                Path(c).suffix.lower() in (".csv", ".txt", ".xlsx", ".xls", ".xlsm") or os.sep in str(c))):
            name = "user" if isinstance(c, pd.DataFrame) else Path(c).stem
            coefs = _coef.coefficients_from_frame(ctx.table("coefficients"), name=name, allow_implausible=allow)
        else:
            coefs = _coef.load_landuse_coefficients(str(c))     # an unknown name: the shipped sets, did-you-mean
        overrides = _numbers(ctx, "coef", "t C/(ha·a), + = source, − = sink")
        roles = dict(ctx.get("coef_role") or [])
        if overrides or roles:
            coefs = coefs.with_overrides(overrides, roles=roles, allow_implausible=allow, key="coef")
        return coefs

    return _memo(ctx, "coefficients", resolve)


def _zone_col(df: pd.DataFrame) -> str | None:
    return next((c for c in df.columns if str(c).strip().lower() in _ZONE_NAMES), None)


def _energy_options(ctx: RunContext) -> dict[str, Any]:
    heat = ctx.get("heat_factor")
    return dict(convention=ctx.get("convention", "B"), scope=ctx.get("scope", "consumption"), region=ctx.get("region"),
                grid_factor_kgCO2_per_kWh=ctx.get("grid_factor"), natural_gas=ctx.get("natural_gas", "gas_field"),
                heat_tCO2_per_GJ=_coef.HEAT_TCO2_PER_GJ if heat is None else heat,
                factor_overrides=_numbers(ctx, "fuel_factor", "t CO2 per kg or m3") or None,
                allow_implausible=bool(ctx.get("allow_implausible")))


def _energy_rows(ctx: RunContext, table: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The energy table turned into emissions, and the warnings that came with it (stated by execute).
    ``table``: an attributed region table (computed each time); default the energy input (once per run)."""
    def compute(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        if _zone_col(df) is None:
            df = df.assign(zone="all")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LandcarbonWarning)
            rows = _em.energy_emissions(df, **_energy_options(ctx))
        notes = [str(w.message) for w in caught if issubclass(w.category, LandcarbonWarning)]
        elec = rows["fuel_key"].eq("electricity").any()
        if elec and ctx.get("region") is None and ctx.get("grid_factor") is None:
            notes.append("electricity is valued with the national average grid factor (no region or grid_factor "
                         "was given): give the province or regional grid, or an explicit factor, if that is not "
                         "what you mean")
        return rows, list(dict.fromkeys(notes))

    if table is not None:
        return compute(table)
    return _memo(ctx, "energy", lambda: compute(ctx.table("energy")))


def _agri_rows(ctx: RunContext) -> pd.DataFrame:
    return _memo(ctx, "agri", lambda: _em.agri_input_emissions(ctx.table("agri"),
                                                               ploughing_unit=ctx.get("ploughing_unit", "per_km2")))


def _non_co2_rows(ctx: RunContext) -> pd.DataFrame:
    return _memo(ctx, "non_co2", lambda: _em.non_co2_emissions(ctx.table("non_co2"), gwp_set=ctx.get("gwp", "AR5")))


def _is_raster_zones(v: Any) -> bool:
    import xarray as xr

    return isinstance(v, xr.DataArray) or (isinstance(v, str | os.PathLike) and is_raster_path(v))


def _layer_names(ctx: RunContext) -> list[str] | None:
    """Zone names of a vector zones file, read without the geometries (None when not cheap to know)."""
    v = ctx.get("zones")
    if v is None or _is_raster_zones(v) or not isinstance(v, str | os.PathLike):
        return None
    import pyogrio

    field = ctx.get("zone_field")
    try:
        if field is None:
            n = int(pyogrio.read_info(v, layer=ctx.get("zone_layer"))["features"])
            return [str(i + 1) for i in range(n)]
        df = pyogrio.read_dataframe(v, layer=ctx.get("zone_layer"), columns=[field], read_geometry=False)
    except Exception:  # noqa: BLE001 - the resolver has reported an unreadable layer
        return None
    return list(dict.fromkeys(df[field].astype(str).str.strip()))


# -- check --------------------------------------------------------------------------------------------
def check(ctx: RunContext) -> list[Issue]:
    """Every problem found without reading the map (see the module docstring)."""
    pr = Problems(_names(ctx))
    for base, keys in _WITH.items():
        if ctx.get(base) is None:
            for k in keys:
                if ctx.given(k):
                    pr.add(k, f"is given but no ⟨{base}⟩ is: it only applies to the "
                              f"{'land-use map' if base == 'landuse' else base.replace('_', '-') + ' table'}; give "
                              f"⟨{base}⟩ too, or leave it out")
    zones = ctx.get("zones")
    if zones is None:
        for k in ("zone_field", "zone_layer"):
            if ctx.given(k) and ctx.get("landuse") is not None:
                pr.add(k, "is given but no zones are; give ⟨zones⟩ too, or leave it out")
    elif _is_raster_zones(zones):
        for k in ("zone_field", "zone_layer"):
            if ctx.given(k):
                pr.add(k, "is given but the zones are a raster of zone ids, which has no fields or layers; leave it "
                          "out (the zone ids are the zone names), or give the zones as a vector file")
    has_lu = ctx.get("landuse") is not None
    if has_lu:
        pr.run(lambda: _scheme(ctx), "scheme")
        pr.run(lambda: _coefs(ctx), "coefficients")
        if ctx.given("hold_landuse") and all(ctx.get(k) is None for k in ("energy", "agri", "non_co2")):
            pr.add("hold_landuse", "is given but there is no energy, agricultural or non-CO2 table whose years it "
                                   "would apply the map to; leave it out")
    tables: list[tuple[str, pd.DataFrame]] = []
    if ctx.get("energy") is not None:
        got = pr.run(lambda: _energy_rows(ctx), "energy")
        raw = pr.run(lambda: ctx.table("energy"), "energy")
        if got is not None and raw is not None:
            rows = got[0]
            _check_energy_options(ctx, pr, rows, zoned=_zone_col(raw) is not None)
            if _zone_col(raw) is not None:
                tables.append(("the energy table", rows))
    elif ctx.given("socioeconomic"):
        pr.add("socioeconomic", "is given but no ⟨energy⟩ table is: it only weights a region energy table; leave it "
                                "out")
    if ctx.get("agri") is not None:
        ag = pr.run(lambda: _agri_rows(ctx), "agri")
        if ag is not None:
            tables.append(("the agricultural-input table", ag))
    if ctx.get("non_co2") is not None:
        nc = pr.run(lambda: _non_co2_rows(ctx), "non_co2")
        if nc is not None:
            tables.append(("the non-CO2 table", nc))
    if has_lu:
        names = _layer_names(ctx)
        for what, t in tables:
            if names is not None:
                pr.run(lambda t=t, what=what: _em.check_zones(t["zone"].unique(), names, what), "zones")
            year = ctx.get("year")
            if year is not None and not ctx.get("hold_landuse") and int(year) not in set(t["year"]):
                pr.add("year", f"{what} has years {sorted(int(y) for y in set(t['year']))} but not the map year "
                               f"{year}; give the map year's data, or set ⟨hold_landuse⟩ (the hold-landuse "
                               f"assumption: the map's areas applied to every table year)")
    return pr.issues


def _check_energy_options(ctx: RunContext, pr: Problems, rows: pd.DataFrame, *, zoned: bool) -> None:
    """Energy options that would do nothing with this table, and a region table without its weight."""
    keys = set(rows["fuel_key"])
    for k in ("region", "grid_factor"):
        if ctx.given(k) and "electricity" not in keys:
            pr.add(k, "is given but the energy table has no electricity (电力) rows: it would do nothing; leave it "
                      "out")
    if ctx.given("heat_factor") and "heat" not in keys:
        pr.add("heat_factor", "is given but the energy table has no heat (热力) rows: it would do nothing; leave it out")
    for fuel in _coef.check_factor_overrides(_numbers(ctx, "fuel_factor", "t CO2 per kg or m3") or None,
                                             key="fuel_factor", allow_implausible=True):
        if fuel not in keys:
            pr.add("fuel_factor", f"{fuel} is given but the energy table has no {fuel} rows (its fuels: "
                                  f"{', '.join(sorted(keys))}){did_you_mean(fuel, keys)}: it would do nothing")
    if zoned:
        for k in ("energy_weight", "socioeconomic"):
            if ctx.given(k):
                pr.add(k, "is given but the energy table has a zone column: it only attributes a region total to "
                          "zones; leave it out")
        return
    if ctx.get("zones") is not None and ctx.get("landuse") is not None and not ctx.given("energy_weight"):
        pr.add("energy_weight", "is required: the energy table has no zone column (a region total) and there are "
                                "several zones; choose how to attribute it: construction_area or gdp (methods.md "
                                "§3.3 names no default)")
    if ctx.given("socioeconomic") and ctx.get("energy_weight") != "gdp":
        pr.add("socioeconomic", "is given but ⟨energy_weight⟩ is not gdp: it would do nothing; leave it out")


# -- execute ------------------------------------------------------------------------------------------
def execute(ctx: RunContext) -> dict[str, Any]:
    m = ctx.manifest
    names = _names(ctx)
    year, hold = ctx.get("year"), bool(ctx.get("hold_landuse"))
    areas = coefs = None
    zone_names: list[str] | None = None
    excluded: dict[str, float] = {}
    if ctx.get("landuse") is not None:
        with m.timed("read"):
            reader = RasterWindowReader(ctx["landuse"], name="landuse")
            win = int(ctx["window"]) if ctx.get("window") else window_size([reader.block_shape], ZONAL_WINDOW)
            sch, coefs = _scheme(ctx), _coefs(ctx)
            zmap, zone_names = _zones(ctx, reader, win)
        m.parameters.update(window=win, scheme_used=sch.name, coefficient_set=coefs.set_id)
        with m.timed("zonal_areas"), engine_client(ctx) as client, \
                ctx.progress.step("land-use areas", total=len(plan_windows(reader.shape, win))) as advance:
            la = zonal_areas(reader, sch, zones=zmap, zone_names=zone_names, area_method=ctx.get("area_method",
                             "nominal"), window=win, client=client, progress=lambda d, t: advance(1))
            reader.close()
        areas, excluded = la.areas, dict(la.excluded_cells)
        if la.outside_zones_ha > 0:
            excluded["area_outside_zones_ha"] = la.outside_zones_ha
            ctx.warn("cells of the land-use map outside every zone are left out of the account",
                     area_ha=la.outside_zones_ha)
        if zone_names is not None:
            empty = [z for z, a in la.areas.sum(axis=1).items() if a <= 0]
            if empty:
                ctx.warn(f"zones {empty} contain no valid land-use cell (their land-use emissions are 0)")
    en = None
    if ctx.get("energy") is not None:
        rows, notes = _energy_rows(ctx)
        raw = ctx.table("energy")
        if _zone_col(raw) is None:
            with input_refs(names, "energy"):
                rows, notes = _energy_rows(ctx, _attribute(ctx, raw, areas))
        for n in notes:
            ctx.warn(n)
        en = rows
        if areas is not None and ctx.get("zones") is None:
            # one zone (the whole map): take the table's single zone name if it has exactly one
            zn = en["zone"].astype(str).str.strip().unique()
            if len(zn) == 1:
                areas = areas.rename(index={areas.index[0]: zn[0]})
    ag = _agri_rows(ctx) if ctx.get("agri") is not None else None
    nc = _non_co2_rows(ctx) if ctx.get("non_co2") is not None else None
    with m.timed("account"), input_refs(names):
        res = _em.emissions_by_zone(areas, coefs, year=year, energy_rows=en, agri_rows=ag, non_co2_rows=nc,
                                    gwp_set=ctx.get("gwp", "AR5"), hold_landuse=hold)
    outputs = ["emissions_by_zone.csv"]
    ctx.run.write_table(res["emissions_by_zone"], "emissions_by_zone.csv")
    if "direct_by_group" in res:
        ctx.run.write_table(res["direct_by_group"], "direct_by_group.csv")
        outputs.append("direct_by_group.csv")
    if coefs is not None:
        ctx.run.write_table(coefs.to_frame(), "coefficients.csv")
        outputs.append("coefficients.csv")
    if "energy_by_fuel" in res:
        ef = res["energy_by_fuel"]
        ctx.run.write_table(ef, "energy_by_fuel.csv")
        ezy = ef.groupby(["zone", "year"], as_index=False)[["emission_tCO2", "emission_tC"]].sum()
        ctx.run.write_table(ezy.rename(columns={"emission_tCO2": "energy_tCO2", "emission_tC": "energy_tC"}),
                            "energy_by_zone_year.csv")
        outputs += ["energy_by_fuel.csv", "energy_by_zone_year.csv"]
    for key, name in (("agri_by_input", "agri_by_input.csv"), ("non_co2", "non_co2.csv")):
        if key in res:
            ctx.run.write_table(res[key], name)
            outputs.append(name)
    ez = res["emissions_by_zone"]
    tot = ez.groupby("year")[["emission_tC", "absorption_tC", "net_tC", "emission_tCO2e", "absorption_tCO2",
                              "net_tCO2e"]].sum()
    n_zones = int(ez["zone"].nunique())
    last = int(tot.index.max())
    opts = _energy_options(ctx) if en is not None else None
    return {
        "headline": [{"label": "zones", "value": n_zones, "unit": ""},
                     {"label": "years", "value": f"{int(tot.index.min())}-{last}" if len(tot) > 1 else last,
                      "unit": ""},
                     {"label": f"emission {last}", "value": float(tot.loc[last, "emission_tCO2e"]), "unit": "t CO2e/a"},
                     {"label": f"absorption {last}", "value": float(tot.loc[last, "absorption_tCO2"]),
                      "unit": "t CO2/a"},
                     {"label": f"net emission {last}", "value": float(tot.loc[last, "net_tCO2e"]), "unit": "t CO2e/a"}],
        "main_outputs": outputs, "methods": "methods.md §3",
        "coefficient_set": coefs.set_id if coefs else None, "coefficient_citation": coefs.citation if coefs else None,
        "energy": None if opts is None else {k: opts[k] for k in ("convention", "scope", "region", "natural_gas")},
        "gwp_set": ctx.get("gwp", "AR5") if nc is not None else None,
        "n_zones": n_zones, "zones": n_zones, "years": sorted(int(y) for y in ez["year"].unique()),
        "units": {"carbon": "t C/a", "co2": "t CO2/a", "co2e": "t CO2e/a", "absorption": "magnitude of sinks (≥ 0)"},
        "totals_by_year": {int(y): {k: float(v) for k, v in r.items()} for y, r in tot.iterrows()},
        "cell_counts": excluded, "hold_landuse": hold,
    }


def engine_client(ctx: RunContext) -> Any:
    """The runner's Dask client (``run_model(scheduler=…)``), or one for a scheduler given as a value only."""
    from contextlib import contextmanager

    from .common import dask_client

    @contextmanager
    def client():
        if ctx.scheduler:
            from distributed import get_client

            yield get_client()
            return
        with dask_client(ctx.get("scheduler")) as c:
            yield c

    return client()


def _zones(ctx: RunContext, reader: RasterWindowReader, win: int) -> tuple[Any, list[str] | None]:
    """The zone index on the map's grid (1..n, 0 outside; dask burnt window by window on large maps)."""
    v = ctx.get("zones")
    if v is None:
        return None, None
    big = reader.shape[0] * reader.shape[1] > AUTO_CHUNK_CELLS
    if hasattr(v, "geometry"):                             # an in-memory GeoDataFrame (Python API)
        from ..io import rasterize_zones

        arr, table = rasterize_zones(v, reader.grid, ctx.get("zone_field"), chunks=win if big else None)
        return arr, [str(z) for z in table["zone"]]
    z, names = load_zones(v, field=ctx.get("zone_field"), layer=ctx.get("zone_layer"),
                          like=engine.grid_like(reader.grid, win if big else None), align=bool(ctx.get("align")))
    return z.data, names


def _attribute(ctx: RunContext, en_df: pd.DataFrame, areas: pd.DataFrame | None) -> pd.DataFrame:
    """An energy table without a zone column: a region total down-scaled to zones by an explicit weight."""
    if areas is None or len(areas) == 1:
        return en_df.assign(zone=areas.index[0] if areas is not None else "all")
    weight = ctx.get("energy_weight")
    if weight is None:
        raise bad_input("energy_weight", "the energy table has no zone column but there are several zones; choose "
                                         "how to attribute the region total: construction_area or gdp (methods.md "
                                         "§3.3 names no default)")
    if weight == "construction_area":
        return _em.attribute_energy(en_df, areas["built_up"], weight_name="construction land area")
    from ..models.balance import prepare_socioeconomic

    se = prepare_socioeconomic(ctx.table("socioeconomic"))
    ycol = next(c for c in en_df.columns if str(c).strip().lower() in ("year", "年份", "年"))
    parts = []
    for y, g in en_df.groupby(ycol):
        w = se[se["year"] == int(y)].set_index("zone")["gdp_1e4CNY"]
        if w.empty:
            raise bad_input("socioeconomic", f"has no GDP rows for {y}, a year of the energy table; add them")
        parts.append(_em.attribute_energy(g, w, weight_name="GDP"))
    return pd.concat(parts, ignore_index=True)


#: window edge of the zonal pass (cells; aligned to the map's tiles): one zone-class bincount per window
ZONAL_WINDOW = 2048


class _ZonalKernel:
    """One window → (Σ area per zone and class, code counts) (picklable for a distributed run). With zones,
    zone 1 of the sums is the outside of every zone (the zone index + 1), so its area is known too."""

    def __init__(self, codes, row_area, nodata, n_zones: int, code_range, has_zones: bool):
        self.codes, self.row_area, self.nodata = list(codes), row_area, nodata
        self.n_zones, self.code_range, self.has_zones = n_zones, code_range, has_zones

    def __call__(self, block: engine.Block) -> tuple[np.ndarray, np.ndarray]:
        lu = block["landuse"]
        w = block.window
        zones = block["zones"].astype(np.int32) + 1 if self.has_zones else None
        sums = zone_class_sums(lu, self.codes, self.row_area[w.r0:w.r1], nodata=self.nodata, zones=zones,
                               n_zones=self.n_zones)
        if self.code_range is None:                    # wide integer types: the distinct codes
            return sums, np.unique(lu)
        lo, hi = self.code_range
        has = self.nodata is not None
        c, outside, nd = _lookup.code_counts(lu, self.nodata if has else 0, has, lo, hi)
        return sums, np.concatenate([c, np.array([outside, nd], dtype=np.int64)])


def zonal_areas(reader: RasterWindowReader, scheme: ClassScheme, *, zones: Any = None,
                zone_names: list[str] | None = None, area_method: str = "nominal",
                window: int | tuple[int, int] = ZONAL_WINDOW, client: Any = None,
                threads: int | None = None, progress: Callable[[int, int], None] | None = None) -> _em.LanduseAreas:
    """Area (ha) per zone and national group of the land-use map read by ``reader``, window by window
    on the windowed engine (bounded memory; sums added in window order). ``zones``: 1-based zone index
    (numpy, or dask burnt window by window); the valid area outside every zone is
    ``outside_zones_ha``."""
    nz = len(zone_names) if zone_names is not None else 1
    row = row_areas_ha(reader.grid, area_method=area_method)
    info = np.iinfo(reader.dtype)
    code_range = None if info.max - info.min > 65535 else (int(info.min), int(info.max))
    has_z = zones is not None
    kernel = _ZonalKernel(scheme.codes, row, reader.nodata, nz + has_z, code_range, has_z)
    sources: dict[str, Any] = {"landuse": reader}
    if has_z:
        sources["zones"] = engine.ArraySource(zones, name="zones")

    def add(acc, part):
        sums = acc[0] + part[0]
        counts = acc[1] + part[1] if code_range is not None else np.union1d(acc[1], part[1])
        return sums, counts

    sums, counts = engine.run_windows(kernel, plan_windows(reader.shape, window), sources=sources, reduce=add,
                                      client=client, threads=threads, progress=progress)
    sums = np.asarray(sums)
    outside = float(sums[1, 0].sum()) if has_z else 0.0
    spec = ("unique", counts) if code_range is None else ("counts", code_range[0], counts)
    la = _em.finish_areas(sums[:, 1:] if has_z else sums, spec, scheme, zone_names, reader.nodata)
    la.outside_zones_ha = outside
    return la


# -- the Python API -----------------------------------------------------------------------------------
def run_emissions(*, out: PathLike, landuse: PathLike | None = None, year: int | None = None,
                  scheme: str | ClassScheme = "national6", scheme_table: PathLike | None = None,
                  coefficients: str = "cn_common_A", coef_overrides: dict[str, float] | None = None,
                  zones: Any = None, zone_field: str | None = None, zone_layer: str | None = None,
                  energy: Any = None, energy_sheet: str | int | None = None, region: str | None = None,
                  grid_factor: float | None = None, scope: str = "consumption", convention: str = "B",
                  natural_gas: str = "gas_field", energy_weight: str | None = None, socioeconomic: Any = None,
                  agri: Any = None, ploughing_unit: str = "per_km2", non_co2: Any = None, gwp: str = "AR5",
                  hold_landuse: bool = False, area_method: str = "nominal", chunks: Any = "auto",
                  scheduler: str | None = None, overwrite: bool = True, heat_factor: float | None = None,
                  fuel_factors: dict[str, float] | None = None, coef_roles: dict[str, str] | None = None,
                  allow_implausible: bool = False, align: bool = False) -> dict[str, Any]:
    """Run the emissions account (methods.md §3; the model ``emissions`` through the runner) into the run
    folder ``out``; returns the summary. Tables may be paths or DataFrames; ``chunks`` (cells) sets the
    window edge of the zonal pass."""
    values = dict(landuse=landuse, year=year, scheme=scheme_table if scheme_table is not None else scheme,
                  coefficients=coefficients,
                  coef=[(k, str(v)) for k, v in (coef_overrides or {}).items()] or None,
                  coef_role=list((coef_roles or {}).items()) or None, zones=zones, zone_field=zone_field,
                  zone_layer=zone_layer, energy=energy, energy_sheet=energy_sheet, region=region,
                  grid_factor=grid_factor, heat_factor=heat_factor,
                  fuel_factor=[(k, str(v)) for k, v in (fuel_factors or {}).items()] or None, scope=scope,
                  convention=convention, natural_gas=natural_gas, energy_weight=energy_weight,
                  socioeconomic=socioeconomic, agri=agri, ploughing_unit=ploughing_unit, non_co2=non_co2, gwp=gwp,
                  hold_landuse=hold_landuse, area_method=area_method, scheduler=scheduler,
                  window=chunks if isinstance(chunks, int) else None, allow_implausible=allow_implausible,
                  align=align)
    return run_model("emissions", {k: v for k, v in values.items() if v is not None}, out=out, overwrite=overwrite,
                     scheduler=scheduler)
