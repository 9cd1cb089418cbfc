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

import pandas as pd

from ..core.classes import ClassScheme, get_scheme
from ..core.errors import InputValidationError
from ..core.grid import grid_of
from ..io import rasterize_zones, read_raster, read_table, read_vector
from ..models import coefficients as _coef
from ..models import emissions as _em
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
    with RunFolder(out, "emissions", overwrite=overwrite) as run, dask_client(scheduler):
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
                lulc = read_raster(landuse, chunks=chunks, categorical=True, name="landuse")
                sch = load_scheme(scheme, scheme_table)
                coefs = load_coefficients(coefficients, coef_overrides)
                zmap = None
                if zones is not None:
                    gdf = read_vector(zones, layer=zone_layer)
                    ch = max(lulc.data.chunksize) if hasattr(lulc.data, "dask") else None
                    zmap, ztab = rasterize_zones(gdf, grid_of(lulc), zone_field, chunks=ch)
                    zone_names = [str(z) for z in ztab["zone"]]
            with m.timed("zonal_areas"):
                la = _em.landuse_areas(lulc, sch, zones=zmap, zone_names=zone_names, area_method=area_method)
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
