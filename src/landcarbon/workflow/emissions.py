"""`landcarbon emissions`: read inputs, account emissions by zone and year, write the run folder.

Outputs (units in the column names): emissions_by_zone.csv (one row per zone × year), direct_by_group.csv,
energy_by_fuel.csv and energy_by_zone_year.csv (when an energy table is given), agri_by_input.csv,
non_co2.csv, coefficients.csv (the coefficient set used, with citations), summary.json, manifest.json.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme, get_scheme
from ..core.errors import InputValidationError
from ..core.grid import row_areas_ha
from ..io import rasterize_zones, read_raster, read_table, read_vector
from ..io.rasters import AUTO_CHUNK_CELLS
from ..io.windows import RasterWindowReader, plan_windows, window_size
from ..kernels import lookup as _lookup
from ..models import coefficients as _coef
from ..models import emissions as _em
from ..ops.zonal import zone_class_sums
from . import engine
from .common import RunFolder, dask_client

PathLike = str | os.PathLike


def load_scheme(scheme: str | ClassScheme, scheme_table: PathLike | None = None) -> ClassScheme:
    if scheme_table is not None:
        return ClassScheme.from_frame(read_table(scheme_table), name=Path(scheme_table).stem)
    return get_scheme(scheme)


def load_coefficients(coefficients: str | PathLike = "cn_common_A", overrides: dict[str, float] | None = None
                      ) -> _coef.LanduseCoefficients:
    """A named set (cn_common_A, cn_common_B, guangdong_2018) or a user CSV (group, coef_tC_per_ha_yr)."""
    c = str(coefficients)
    if c in _coef.landuse_set_ids():
        coefs = _coef.load_landuse_coefficients(c)
    elif Path(c).suffix.lower() in (".csv", ".xlsx", ".xls"):
        coefs = _coef.coefficients_from_frame(read_table(c), name=Path(c).stem)
    else:
        raise InputValidationError(f"coefficients {c!r}: not a shipped set ({_coef.landuse_set_ids()}) nor a table "
                                   f"file (.csv/.xlsx with group, coef_tC_per_ha_yr)")
    if overrides:
        coefs = coefs.with_overrides(overrides)
    return coefs


def _energy_frame(path: PathLike, sheet) -> pd.DataFrame:
    return read_table(path, sheet=sheet if sheet is not None else 0)


def run_emissions(*, out: PathLike, landuse: PathLike | None = None, year: int | None = None,
                  scheme: str = "national6", scheme_table: PathLike | None = None,
                  coefficients: str = "cn_common_A", coef_overrides: dict[str, float] | None = None,
                  zones: PathLike | None = None, zone_field: str | None = None, zone_layer: str | None = None,
                  energy: PathLike | None = None, energy_sheet: str | int | None = None, region: str | None = None,
                  grid_factor: float | None = None, scope: str = "consumption", convention: str = "B",
                  natural_gas: str = "gas_field", energy_weight: str | None = None,
                  socioeconomic: PathLike | None = None,
                  agri: PathLike | None = None, ploughing_unit: str = "per_km2",
                  non_co2: PathLike | None = None, gwp: str = "AR5", hold_landuse: bool = False,
                  area_method: str = "nominal", chunks: Any = "auto", scheduler: str | None = None,
                  overwrite: bool = True) -> dict[str, Any]:
    """Run the emissions account (methods.md §3) and write the run folder ``out``; returns the summary."""
    if landuse is None and energy is None:
        raise InputValidationError("give a land-use map (--landuse) and/or an energy table (--energy)")
    with RunFolder(out, "emissions", overwrite=overwrite) as run, dask_client(scheduler) as client:
        m = run.manifest
        m.model, m.model_version = _em.SPEC.id, _em.SPEC.version
        for role, p in (("landuse", landuse), ("zones", zones), ("energy", energy), ("agri_inputs", agri),
                        ("non_co2", non_co2), ("socioeconomic", socioeconomic), ("scheme", scheme_table)):
            run.add_input(role, p)
        m.parameters.update(dict(year=year, scheme=scheme, coefficients=str(coefficients),
                                 coef_overrides=coef_overrides or {}, zone_field=zone_field, region=region,
                                 grid_factor_kgCO2_per_kWh=grid_factor, scope=scope, convention=convention,
                                 natural_gas=natural_gas, energy_weight=energy_weight,
                                 ploughing_unit=ploughing_unit, gwp=gwp, hold_landuse=hold_landuse,
                                 area_method=area_method))
        areas = coefs = None
        zone_names: list[str] | None = None
        excluded: dict[str, float] = {}
        if landuse is not None:
            with m.timed("read"):
                read_raster(landuse, chunks=None, categorical=True, name="landuse").close()   # header checks
                reader = RasterWindowReader(landuse, name="landuse")
                win = _zonal_window(reader, chunks)
                sch = load_scheme(scheme, scheme_table)
                coefs = load_coefficients(coefficients, coef_overrides)
                zmap = None
                if zones is not None:
                    gdf = read_vector(zones, layer=zone_layer)
                    big = reader.shape[0] * reader.shape[1] > AUTO_CHUNK_CELLS
                    ch = (win if isinstance(win, int) else max(win)) if big else None   # burnt window by window
                    zmap, ztab = rasterize_zones(gdf, reader.grid, zone_field, chunks=ch)
                    zone_names = [str(z) for z in ztab["zone"]]
            m.parameters["window"] = win
            with m.timed("zonal_areas"):
                la = zonal_areas(reader, sch, zones=zmap, zone_names=zone_names, area_method=area_method,
                                 window=win, client=client)
                reader.close()
            areas, excluded = la.areas, la.excluded_cells
            if zones is not None:
                empty = [z for z, a in la.areas.sum(axis=1).items() if a <= 0]
                if empty:
                    warnings.warn(f"zones {empty} contain no valid land-use cell", stacklevel=2)
        en_df = None
        if energy is not None:
            en_df = _energy_frame(energy, energy_sheet)
            cols = {str(c).strip().lower() for c in en_df.columns}
            if not cols & {"zone", "区县", "地区", "name", "zone_name"}:
                en_df = _attribute(en_df, areas, energy_weight, socioeconomic)
        if zones is None and areas is not None and en_df is not None:
            # one zone (the whole map): take the table's single zone name if it has exactly one
            zcol = next(c for c in en_df.columns if str(c).strip().lower() in ("zone", "区县", "地区", "name",
                                                                               "zone_name"))
            names = en_df[zcol].astype(str).str.strip().unique()
            if len(names) == 1:
                areas = areas.rename(index={areas.index[0]: names[0]})
        ag_df = read_table(agri) if agri is not None else None
        nc_df = read_table(non_co2) if non_co2 is not None else None
        energy_options = dict(convention=convention, scope=scope, region=region,
                              grid_factor_kgCO2_per_kWh=grid_factor, natural_gas=natural_gas)
        with m.timed("account"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = _em.emissions_by_zone(areas, coefs, year=year, energy=en_df, energy_options=energy_options,
                                        agri=ag_df, ploughing_unit=ploughing_unit, non_co2=nc_df, gwp_set=gwp,
                                        hold_landuse=hold_landuse)
        for w in caught:
            m.notes.append(str(w.message))
            warnings.warn(w.message, stacklevel=2)
        run.write_table(res["emissions_by_zone"], "emissions_by_zone.csv")
        if "direct_by_group" in res:
            run.write_table(res["direct_by_group"], "direct_by_group.csv")
        if coefs is not None:
            run.write_table(coefs.to_frame(), "coefficients.csv")
        if "energy_by_fuel" in res:
            ef = res["energy_by_fuel"]
            run.write_table(ef, "energy_by_fuel.csv")
            ezy = ef.groupby(["zone", "year"], as_index=False)[["emission_tCO2", "emission_tC"]].sum()
            run.write_table(ezy.rename(columns={"emission_tCO2": "energy_tCO2", "emission_tC": "energy_tC"}),
                            "energy_by_zone_year.csv")
        if "agri_by_input" in res:
            run.write_table(res["agri_by_input"], "agri_by_input.csv")
        if "non_co2" in res:
            run.write_table(res["non_co2"], "non_co2.csv")
        ez = res["emissions_by_zone"]
        tot = ez.groupby("year")[["emission_tC", "absorption_tC", "net_tC", "emission_tCO2e", "absorption_tCO2",
                                  "net_tCO2e"]].sum()
        run.summary = {
            "command": "emissions", "methods": "methods.md §3",
            "coefficient_set": coefs.set_id if coefs else None,
            "coefficient_citation": coefs.citation if coefs else None,
            "energy": None if en_df is None else {"convention": convention, "scope": scope, "region": region,
                                                  "natural_gas": natural_gas},
            "gwp_set": gwp if nc_df is not None else None,
            "n_zones": int(ez["zone"].nunique()), "years": sorted(int(y) for y in ez["year"].unique()),
            "units": {"carbon": "t C/a", "co2": "t CO2/a", "co2e": "t CO2e/a",
                      "absorption": "magnitude of sinks (≥ 0)"},
            "totals_by_year": {int(y): {k: float(v) for k, v in r.items()} for y, r in tot.iterrows()},
            "cell_counts": excluded, "hold_landuse": hold_landuse, "notes": list(m.notes),
        }
        return run.summary


#: window edge of the zonal pass (cells; aligned to the map's tiles): one zone-class bincount per window
ZONAL_WINDOW = 2048


def _zonal_window(reader: RasterWindowReader, chunks: Any) -> int | tuple[int, int]:
    """The zonal pass's window: ``chunks`` cells when given as a number (or {"y": …, "x": …}), the whole
    map for ``None``, else ZONAL_WINDOW aligned to the map's tiles."""
    if chunks is None:
        return reader.shape
    if isinstance(chunks, int):
        return int(chunks)
    if isinstance(chunks, dict):
        return (int(chunks.get("y", ZONAL_WINDOW)), int(chunks.get("x", ZONAL_WINDOW)))
    return window_size([reader.block_shape], ZONAL_WINDOW)


class _ZonalKernel:
    """One window → (Σ area per zone and class, code counts) (picklable for a distributed run)."""

    def __init__(self, codes, row_area, nodata, n_zones: int, code_range, has_zones: bool):
        self.codes, self.row_area, self.nodata = list(codes), row_area, nodata
        self.n_zones, self.code_range, self.has_zones = n_zones, code_range, has_zones

    def __call__(self, block: engine.Block) -> tuple[np.ndarray, np.ndarray]:
        lu = block["landuse"]
        w = block.window
        sums = zone_class_sums(lu, self.codes, self.row_area[w.r0:w.r1], nodata=self.nodata,
                               zones=block["zones"] if self.has_zones else None, n_zones=self.n_zones)
        if self.code_range is None:                    # wide integer types: the distinct codes
            return sums, np.unique(lu)
        lo, hi = self.code_range
        has = self.nodata is not None
        c, outside, nd = _lookup.code_counts(lu, self.nodata if has else 0, has, lo, hi)
        return sums, np.concatenate([c, np.array([outside, nd], dtype=np.int64)])


def zonal_areas(reader: RasterWindowReader, scheme: ClassScheme, *, zones: Any = None,
                zone_names: list[str] | None = None, area_method: str = "nominal",
                window: int | tuple[int, int] = ZONAL_WINDOW, client: Any = None,
                threads: int | None = None) -> _em.LanduseAreas:
    """Area (ha) per zone and national group of the land-use map read by ``reader``, window by window
    on the windowed engine (bounded memory; sums added in window order). ``zones``: 1-based zone index
    (numpy, or dask burnt window by window)."""
    nz = len(zone_names) if zone_names is not None else 1
    row = row_areas_ha(reader.grid, area_method=area_method)
    info = np.iinfo(reader.dtype)
    code_range = None if info.max - info.min > 65535 else (int(info.min), int(info.max))
    kernel = _ZonalKernel(scheme.codes, row, reader.nodata, nz, code_range, zones is not None)
    sources: dict[str, Any] = {"landuse": reader}
    if zones is not None:
        sources["zones"] = engine.ArraySource(zones, name="zones")

    def add(acc, part):
        sums = acc[0] + part[0]
        counts = acc[1] + part[1] if code_range is not None else np.union1d(acc[1], part[1])
        return sums, counts

    sums, counts = engine.run_windows(kernel, plan_windows(reader.shape, window), sources=sources, reduce=add,
                                      client=client, threads=threads)
    spec = ("unique", counts) if code_range is None else ("counts", code_range[0], counts)
    return _em.finish_areas(sums, spec, scheme, zone_names, reader.nodata)


def _attribute(en_df: pd.DataFrame, areas: pd.DataFrame | None, weight: str | None,
               socioeconomic: PathLike | None) -> pd.DataFrame:
    """An energy table without a zone column: a region total down-scaled to zones by an explicit weight."""
    if areas is None or len(areas) == 1:
        d = en_df.copy()
        d["zone"] = areas.index[0] if areas is not None else "all"
        return d
    if weight is None:
        raise InputValidationError(
            "the energy table has no zone column but there are several zones; choose how to attribute the region "
            "total to zones with --energy-weight construction_area | gdp (methods.md §3.3 names no default)")
    if weight == "construction_area":
        return _em.attribute_energy(en_df, areas["built_up"], weight_name="construction land area")
    if weight == "gdp":
        if socioeconomic is None:
            raise InputValidationError("--energy-weight gdp needs --socioeconomic (zone, year, gdp_1e4CNY …)")
        from ..models.balance import prepare_socioeconomic

        se = prepare_socioeconomic(read_table(socioeconomic))
        parts = []
        ycol = next(c for c in en_df.columns if str(c).strip().lower() in ("year", "年份", "年"))
        for y, g in en_df.groupby(ycol):
            w = se[se["year"] == int(y)].set_index("zone")["gdp_1e4CNY"]
            if w.empty:
                raise InputValidationError(f"--energy-weight gdp: no GDP rows for {y}")
            parts.append(_em.attribute_energy(g, w, weight_name="GDP"))
        return pd.concat(parts, ignore_index=True)
    raise InputValidationError(f"--energy-weight {weight!r}; expected construction_area or gdp")


def demo_step(out_dir: PathLike, *, lang: str = "en") -> dict[str, Any]:
    """Emissions, balance and peak on the synthetic districts dataset, for `landcarbon demo`.

    Writes ``out_dir/inputs`` (synthetic inputs), ``out_dir/emissions``, ``out_dir/balance`` (with
    zoning.gpkg) and ``out_dir/peak``. Charts are rendered from these folders by
    ``landcarbon.report.charts_carbon.render_carbon_charts(out_dir)`` (report sits above workflow).
    Returns the three summaries and the folder paths.
    """
    from ..datasets import districts
    from .balance import run_balance
    from .peak import run_peak

    base = Path(out_dir)
    paths = districts.write_districts(base / "inputs")
    s_em = run_emissions(out=base / "emissions", landuse=paths["landuse"], year=2022, zones=paths["zones"],
                         zone_field="name", energy=paths["energy"], region=districts.REGION, hold_landuse=True)
    s_bal = run_balance(out=base / "balance", emissions=base / "emissions" / "emissions_by_zone.csv",
                        socioeconomic=paths["socioeconomic"], zones=paths["zones"], zone_field="name", pearl=True)
    s_peak = run_peak(out=base / "peak", history=paths["history"], scenarios=paths["scenarios"], n_boot=200, seed=1)
    return {"emissions": s_em, "balance": s_bal, "peak": s_peak,
            "folders": {k: str(base / k) for k in ("inputs", "emissions", "balance", "peak")},
            "note": districts.SYNTHETIC_NOTE}
