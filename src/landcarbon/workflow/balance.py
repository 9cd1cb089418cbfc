"""The `balance` step: carbon balance, compensation zoning and value per zone and year (methods.md §4).

Outputs (``models.balance.SPEC``): balance_by_zone.csv, balance_totals.csv (with the price and the basis of
the value), compensation_transfers.csv and, with zones, zoning.gpkg (the zones with the indicators and
zoning of ``map_year``, default the latest year). The command draws the choropleths from the staged run
(report layer). The runner resolves, validates, hashes and stages; this module keeps what is the model's.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.spec import Issue
from ..io import read_table, read_vector, write_gpkg
from ..io.resolve import is_raster_path
from ..models import balance as _bal
from ..models import compensation as _comp
from ..models.prices import CarbonPrice, basis_key, carbon_price
from ..models.weights import Problems, bad_input, input_refs
from .runner import RunContext, run_model

PathLike = str | os.PathLike


def _names(ctx: RunContext) -> list[str]:
    return [i.name for i in ctx.spec.inputs]


def _price(ctx: RunContext) -> CarbonPrice:
    """The price given as a number with its unit, or the named basis (its own unit)."""
    if ctx.given("price"):
        return carbon_price(ctx["price"], ctx.get("price_unit"))
    return carbon_price(ctx["price_basis"])


def _is_raster_zones(v: Any) -> bool:
    import xarray as xr

    return isinstance(v, xr.DataArray) or (isinstance(v, str | os.PathLike) and is_raster_path(v))


def _vector_fields(path: Any, layer: str | None) -> list[str]:
    import pyogrio

    try:
        return [str(f) for f in pyogrio.read_info(path, layer=layer).get("fields", [])]
    except Exception:  # noqa: BLE001 - the resolver has already reported an unreadable file
        return []


def _value_column(pearl: bool) -> str:
    return "value_pearl_CNY" if pearl else "value_allowance_CNY"


def _sinks(ctx: RunContext, em: pd.DataFrame) -> pd.DataFrame:
    """The stock-change sinks, checked against the zones of the emissions table."""
    sk = _bal.sinks_from_stock_change(ctx.table("stock_change"))
    extra = sorted(set(sk["zone"]) ^ set(em["zone"]))
    if extra:
        raise bad_input("stock_change", f"zones differ from the emissions zones: {extra[:20]}; expected one row "
                                        f"per zone of the emissions table: make the zone names match")
    return sk.set_index("zone")


def check(ctx: RunContext) -> list[Issue]:
    """Cheap checks, all reported at once: the price and its unit, both tables (units, duplicates, every zone in
    every year, GDP and population > 0, plausibility), map_year among the table's years, the zone options."""
    pr = Problems(_names(ctx))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # execute states the warnings once
        pr.run(lambda: _price(ctx), "price")
        em = pr.run(lambda: _bal.prepare_emissions(ctx.table("emissions")), "emissions")
        se = pr.run(lambda: _bal.prepare_socioeconomic(ctx.table("socioeconomic")), "socioeconomic")
    if em is not None:
        years = sorted(int(y) for y in em["year"].unique())
        if ctx.given("map_year") and ctx["map_year"] not in years:
            pr.add("map_year", f"year {ctx['map_year']} is not in the emissions table, whose years are {years}; "
                               f"choose one of them (default: the latest, {years[-1]})")
        elif ctx.given("map_year") and not ctx.given("zones"):
            pr.add("map_year", "is given but no zones are: it only chooses the year of zoning.gpkg and the maps; "
                               "give ⟨zones⟩ too, or leave it out")
        if se is not None:
            pr.run(lambda: _bal.merge_balance_inputs(em, se, allowance_share=ctx["allowance_share"],
                                                     pearl=bool(ctx["pearl"]),
                                                     allow_implausible=bool(ctx["allow_implausible"])))
        if ctx.given("stock_change"):
            pr.run(lambda: _sinks(ctx, em), "stock_change")
    if ctx.given("price_unit") and not ctx.given("price"):
        pr.add("price_unit", "is given but no price is: a named price basis carries its own unit; give ⟨price⟩ "
                             "too, or leave it out")
    zones = ctx.get("zones")
    if zones is None:
        for k in ("zone_field", "zone_layer"):
            if ctx.given(k):
                pr.add(k, "is given but no zones are; give ⟨zones⟩ too, or leave it out")
    elif _is_raster_zones(zones):
        for k in ("zone_field", "zone_layer"):
            if ctx.given(k):
                pr.add(k, "is given but the zones are a raster of zone ids, which has no fields or layers; leave it "
                          "out (the zone ids are the zone names), or give the zones as a vector file")
    elif not ctx.given("zone_field") and isinstance(zones, str | os.PathLike):
        fields = _vector_fields(zones, ctx.get("zone_layer"))
        pr.add("zone_field", f"is required with a vector zones layer: name the field that holds the zone names of "
                             f"the emissions table (the fields of {Path(zones).name}: {fields})")
    return pr.issues


def _zone_polygons(ctx: RunContext) -> Any:
    """The zones as polygons with a ``zone`` column: the vector layer, or the zone raster polygonised."""
    import geopandas as gpd

    v = ctx["zones"]
    if isinstance(v, gpd.GeoDataFrame):
        gdf = v
    elif not _is_raster_zones(v):
        gdf = read_vector(v, layer=ctx.get("zone_layer"))
    else:
        from rasterio.features import shapes
        from shapely.geometry import shape

        from ..io.inputs import load_zones

        like = ctx.raster("zones")
        z, names = load_zones(like, like=like)
        arr = np.asarray(z.values, dtype=np.int32)
        parts = [(shape(g), names[int(i) - 1]) for g, i in shapes(arr, mask=arr > 0, transform=z.rio.transform())]
        gdf = gpd.GeoDataFrame({"zone": [n for _, n in parts]}, geometry=[g for g, _ in parts], crs=z.rio.crs)
        return gdf.dissolve(by="zone", as_index=False, sort=False)
    field = ctx["zone_field"]
    out = gdf[[field, gdf.geometry.name]].rename(columns={field: "zone"})
    out["zone"] = out["zone"].astype(str)
    return out


def execute(ctx: RunContext) -> dict[str, Any]:
    names = _names(ctx)
    m = ctx.manifest
    with input_refs(names):
        em = _bal.prepare_emissions(ctx.table("emissions"))
        se = _bal.prepare_socioeconomic(ctx.table("socioeconomic"))
        cp = _price(ctx)
    years = sorted(int(y) for y in em["year"].unique())
    year = int(ctx.get("map_year", years[-1]))
    notes: list[str] = []
    if ctx.given("stock_change"):
        with input_refs(names, "stock_change"):
            sk = _sinks(ctx, em)
        em["absorption_tCO2"] = em["zone"].map(sk["absorption_tCO2"]).to_numpy()
        em["emission_tCO2e"] = em["emission_tCO2e"] + em["zone"].map(sk["stock_loss_tCO2"]).to_numpy()
        notes.append("sinks from the carbon-stock change (annualised, applied to every year); coefficient sinks "
                     "replaced; stock losses added to emissions")
    layer = None
    if ctx.given("zones"):
        layer = _zone_polygons(ctx)
        from ..models.emissions import check_zones

        with input_refs(names, "zones"):
            check_zones(em["zone"].unique(), layer["zone"].unique(), "the emissions table")
    pearl = bool(ctx["pearl"])
    share = ctx["allowance_share"]
    with input_refs(names):
        bal = _bal.carbon_balance(em, se, price_cny_per_tco2=cp.per_tco2, band=ctx["band"], value_z=ctx["value_z"],
                                  allowance_share=share, pearl=pearl, allow_implausible=bool(ctx["allow_implausible"]))
    value_col = _value_column(pearl)
    basis = (f"NCE (t CO2e/a) × {cp.per_tco2:.6g} CNY/t CO2 ({cp.basis}; {cp.conversion}); allowance form shared by "
             f"{share}" + ("; Pearl willingness-to-pay factor applied" if pearl else "") + f"; transfers from {value_col}")
    tot = _bal.balance_totals(bal)
    tot["price_CNY_per_tCO2"] = cp.per_tco2
    tot["value_basis"] = basis
    tr = _comp.transfers_by_year(bal, value_col=value_col)
    tr["value_form"] = value_col
    ff = "%.12g"  # 12 significant digits: exact for every input, ~2x faster than repr on 10^5 rows
    ctx.run.write_table(bal, "balance_by_zone.csv", float_format=ff)
    ctx.run.write_table(tot, "balance_totals.csv", float_format=ff)
    ctx.run.write_table(tr, "compensation_transfers.csv", float_format=ff)
    outputs = ["balance_by_zone.csv", "balance_totals.csv", "compensation_transfers.csv"]
    if layer is not None:
        sub = bal[bal["year"] == year].set_index("zone")
        write_gpkg(layer.join(sub, on="zone"), ctx.run.path("zoning.gpkg"), layer=f"zoning_{year}")
        outputs.append("zoning.gpkg")
    m.parameters.update(price_value=cp.value, price_unit_used=cp.unit, price_CNY_per_tCO2=cp.per_tco2,
                        price_CNY_per_tC=cp.per_tc, price_conversion=cp.conversion, price_basis_used=cp.basis,
                        sinks="stock change" if ctx.given("stock_change") else "coefficient method")
    if cp.flagged and cp.flagged not in m.notes:
        m.notes.append(cp.flagged)
    m.notes.extend(n for n in notes if n not in m.notes)
    t = tot.set_index("year").loc[year]
    pay_col = "payments_pearl_CNY" if pearl else "payments_allowance_CNY"
    return {
        "headline": [
            {"label": "zones", "value": int(bal["zone"].nunique()), "unit": ""},
            {"label": "years", "value": f"{years[0]}-{years[-1]}" if len(years) > 1 else years[0], "unit": ""},
            {"label": "carbon price", "value": cp.per_tco2, "unit": "CNY/t CO2"},
            {"label": f"net emission {year}", "value": float(t["NCE_tCO2e"]), "unit": "t CO2e/a"},
            {"label": f"regional compensation rate CCR {year}", "value": float(t["CCR_region"]), "unit": ""},
            {"label": f"compensation paid {year}", "value": float(t[pay_col]), "unit": "CNY/a"},
        ],
        "main_outputs": outputs, "methods": "methods.md §4", "years": years, "map_year": year,
        "n_zones": int(bal["zone"].nunique()), "price": cp.to_dict(), "price_CNY_per_tCO2": cp.per_tco2,
        "zoning": {"balance3_band": ctx["band"], "quadrant": "ECC >= 1 / ESC >= 1"}, "value_basis": basis,
        "totals": tot.to_dict(orient="records"), "notes": notes,
        "zoning_layer": "zoning.gpkg" if layer is not None else None,
    }


def run_balance(*, out: PathLike, emissions: Any, socioeconomic: Any, zones: Any = None,
                zone_field: str | None = None, zone_layer: str | None = None, price: float | str | None = None,
                price_unit: str | None = None, band: float = 0.2, allowance_share: str = "gdp", pearl: bool = False,
                stock_change: Any = None, map_year: int | None = None, overwrite: bool = True,
                allow_implausible: bool = False, price_basis: str | None = None, value_z: float = 0.5,
                emissions_sheet: str | None = None, socioeconomic_sheet: str | None = None) -> dict[str, Any]:
    """Balance, zoning and compensation value from an emissions table and a socio-economic table (the model
    ``balance`` through the runner; paths or in-memory tables).

    ``price``: a number with its ``price_unit`` (CNY/t CO2 or CNY/t C: required with a number), or the name of
    a basis of reference/carbon_prices.csv (also ``price_basis``); default the CEA 2023 year-end close,
    79.42 CNY/t CO2. The price is recorded in both units with the conversion applied. ``stock_change``: sinks
    from the carbon-stock model instead of the coefficient sinks (zone, delta_MgC, t1, t2), never both.
    ``map_year``: a year of the emissions table (with zones). ``allow_implausible``: accept a per-capita GDP
    outside the plausible range (otherwise refused as a suspected unit error).
    """
    if isinstance(price, str):
        try:
            price = float(price)
        except ValueError:
            price, price_basis = None, basis_key(price)  # a named basis
    values = dict(emissions=emissions, socioeconomic=socioeconomic, zones=zones, zone_field=zone_field,
                  zone_layer=zone_layer, price=price, price_unit=price_unit, price_basis=price_basis, band=band,
                  value_z=value_z, allowance_share=allowance_share, pearl=pearl, stock_change=stock_change,
                  map_year=map_year, allow_implausible=allow_implausible, emissions_sheet=emissions_sheet,
                  socioeconomic_sheet=socioeconomic_sheet)
    return run_model("balance", {k: v for k, v in values.items() if v is not None}, out=out, overwrite=overwrite)


def zoning_frame(run_dir: PathLike) -> pd.DataFrame:
    """The balance table of a finished run (for reports)."""
    return read_table(Path(run_dir) / "balance_by_zone.csv")
