"""`landcarbon balance`: carbon balance, compensation zoning and value per zone and year (methods.md §4).

Outputs: balance_by_zone.csv, balance_totals.csv, compensation_transfers.csv, zoning.gpkg (zones with the
indicators and zones of ``map_year``, default the latest year), summary.json, manifest.json.
Choropleths are drawn from the run folder by ``landcarbon.report.charts_carbon``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import read_table, read_vector, write_gpkg
from ..models import balance as _bal
from ..models import coefficients as _coef
from ..models import compensation as _comp
from ..models.weights import bad_input, did_you_mean
from .common import RunFolder

PathLike = str | os.PathLike


def run_balance(*, out: PathLike, emissions: PathLike, socioeconomic: PathLike, zones: PathLike | None = None,
                zone_field: str | None = None, zone_layer: str | None = None,
                price: float | str | None = None, price_unit: str | None = "CNY/t CO2", band: float = 0.2,
                allowance_share: str = "gdp", pearl: bool = False, stock_change: PathLike | None = None,
                map_year: int | None = None, overwrite: bool = True,
                allow_implausible: bool = False) -> dict[str, Any]:
    """Balance, zoning and compensation value from an emissions table and a socio-economic table.

    ``price``: number (with ``price_unit``, default CNY/t CO2) or a named basis of reference/carbon_prices.csv;
    default the CEA 2023 year-end close, 79.42 CNY/t CO2. The price is recorded in both units with the conversion
    applied. ``stock_change``: sinks from the carbon-stock model instead of the coefficient sinks (zone,
    delta_MgC, t1, t2) — never both (methods.md §4.1). ``map_year`` must be a year of the emissions table
    (checked before anything is computed). ``allow_implausible``: accept a per-capita GDP outside the plausible
    range (otherwise refused as a suspected unit error).
    """
    with RunFolder(out, "balance", overwrite=overwrite) as run:
        m = run.manifest
        m.model, m.model_version = _bal.SPEC.id, _bal.SPEC.version
        for role, p in (("emissions", emissions), ("socioeconomic", socioeconomic), ("zones", zones),
                        ("stock_change", stock_change)):
            run.add_input(role, p)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cp = _coef.carbon_price(price, price_unit)
        for w in caught:
            warnings.warn(w.message, stacklevel=2)
        if cp.flagged:
            m.notes.append(cp.flagged)
        m.parameters.update(dict(price_value=cp.value, price_unit=cp.unit, price_CNY_per_tCO2=cp.per_tco2,
                                 price_CNY_per_tC=cp.per_tc, price_conversion=cp.conversion,
                                 price_basis=cp.basis, band=band, allowance_share=allowance_share, pearl=pearl,
                                 sinks="stock change" if stock_change else "coefficient method",
                                 allow_implausible=allow_implausible))
        em = _bal.prepare_emissions(read_table(emissions))
        years = sorted(int(y) for y in em["year"].unique())
        if map_year is not None:
            try:
                year = int(map_year)
            except (TypeError, ValueError):
                raise bad_input("map_year", f"found {map_year!r}; expected one of the balance years {years}") from None
            if year != map_year and not (isinstance(map_year, str) and str(year) == map_year.strip()):
                raise bad_input("map_year", f"found {map_year!r}; expected an integer year among {years}")
            if year not in years:
                raise bad_input("map_year", f"year {year} is not in the emissions table, whose years are {years}; "
                                            f"choose one of them (default: the latest, {years[-1]})")
        else:
            year = years[-1]
        se = _bal.prepare_socioeconomic(read_table(socioeconomic))
        if stock_change is not None:
            sk = _bal.sinks_from_stock_change(read_table(stock_change))
            extra = sorted(set(sk["zone"]) ^ set(em["zone"]))
            if extra:
                raise bad_input("stock_change", f"zones differ from the emissions zones: {extra[:20]}; expected one "
                                                f"row per zone of the emissions table: make the zone names match")
            sk = sk.set_index("zone")
            em["absorption_tCO2"] = em["zone"].map(sk["absorption_tCO2"]).to_numpy()
            em["emission_tCO2e"] = em["emission_tCO2e"] + em["zone"].map(sk["stock_loss_tCO2"]).to_numpy()
            m.notes.append("sinks from the carbon-stock change (annualised); coefficient sinks replaced; stock "
                           "losses added to emissions")
        gdf = None
        if zones is not None:
            gdf = read_vector(zones, layer=zone_layer)
            if zone_field is None or zone_field not in gdf.columns:
                fields = [c for c in gdf.columns if c != gdf.geometry.name]
                raise bad_input("zone_field", f"{zone_field!r} is not a field of the zones layer"
                                              f"{did_you_mean(zone_field, fields) if zone_field else ''}; its fields "
                                              f"are {fields}: name the field that holds the zone names")
            from ..models.emissions import check_zones

            check_zones(em["zone"].unique(), gdf[zone_field].astype(str).unique(), "the emissions table")
        with m.timed("balance"):
            bal = _bal.carbon_balance(em, se, price_cny_per_tco2=cp.per_tco2, band=band,
                                      allowance_share=allowance_share, pearl=pearl,
                                      allow_implausible=allow_implausible)
            tot = _bal.balance_totals(bal)
            value_col = "value_pearl_CNY" if pearl else "value_allowance_CNY"
            tr = _comp.transfers_by_year(bal, value_col=value_col)
        ff = "%.12g"  # 12 significant digits: exact for every input, ~2x faster than repr on 10^5 rows
        run.write_table(bal, "balance_by_zone.csv", float_format=ff)
        run.write_table(tot, "balance_totals.csv", float_format=ff)
        run.write_table(tr, "compensation_transfers.csv", float_format=ff)
        if gdf is not None:
            sub = bal[bal["year"] == year].set_index("zone")
            g = gdf[[zone_field, gdf.geometry.name]].copy()
            g[zone_field] = g[zone_field].astype(str)
            g = g.rename(columns={zone_field: "zone"}).join(sub, on="zone")
            write_gpkg(g, run.path("zoning.gpkg"), layer=f"zoning_{year}")
        run.summary = {
            "command": "balance", "methods": "methods.md §4", "years": sorted(int(y) for y in bal["year"].unique()),
            "map_year": year, "n_zones": int(bal["zone"].nunique()),
            "price": cp.to_dict(),
            "zoning": {"balance3_band": band, "quadrant": "ECC >= 1 / ESC >= 1"},
            "value_basis": f"NCE (t CO2e) x {cp.per_tco2:.4g} CNY/t CO2; allowance share by {allowance_share}"
                           + ("; Pearl factor applied" if pearl else ""),
            "totals": tot.to_dict(orient="records"), "notes": list(m.notes),
            "zoning_layer": "zoning.gpkg" if gdf is not None else None,
        }
        return run.summary


def zoning_frame(run_dir: PathLike) -> pd.DataFrame:
    """The balance table of a finished run (for reports)."""
    return read_table(Path(run_dir) / "balance_by_zone.csv")
