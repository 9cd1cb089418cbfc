"""`landcarbon emissions`: land-use (direct coefficient) and energy emissions by zone and year."""

from __future__ import annotations

import json

import click

from . import options


def _overrides(values: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r}; expected GROUP=VALUE (t C/ha/yr, + = source), e.g. built_up=0.5",
                                     param_hint="--coef")
        k, x = v.split("=", 1)
        try:
            out[k.strip()] = float(x)
        except ValueError:
            raise click.BadParameter(f"{v!r}: {x!r} is not a number", param_hint="--coef") from None
    return out


@click.command("emissions")
@click.option("--landuse", type=click.Path(dir_okay=False), help="Land-use map (GeoTIFF of class codes).")
@click.option("--year", type=int, help="Year of the land-use map.")
@click.option("--scheme", default="national6", show_default=True,
              help="Class scheme of the map: national6, clcd, globeland30, modis_igbp.")
@click.option("--scheme-table", type=click.Path(dir_okay=False), help="Own class scheme CSV (code, group …).")
@click.option("--coefficients", default="cn_common_A", show_default=True,
              help="Direct coefficient set (cn_common_A, cn_common_B, guangdong_2018) or a CSV "
                   "(group, coef_tC_per_ha_yr).")
@click.option("--coef", "coef", multiple=True, metavar="GROUP=VALUE",
              help="Override one group's coefficient (t C/ha/yr, + = source); repeatable.")
@click.option("--zones", type=click.Path(dir_okay=False), help="Zones layer (GeoPackage / Shapefile).")
@click.option("--zone-field", help="Zone name field of the zones layer.")
@click.option("--zone-layer", help="Layer of a multi-layer GeoPackage.")
@click.option("--energy", type=click.Path(dir_okay=False),
              help="Fuel consumption table (CSV/XLSX): zone, year, fuel, amount, unit.")
@click.option("--energy-sheet", help="Sheet of an XLSX energy table (name or 0-based index).")
@click.option("--region", help="Province or regional grid for the electricity factor (e.g. 湖北).")
@click.option("--grid-factor", type=float, help="Explicit electricity factor, kg CO2/kWh (overrides --region).")
@click.option("--scope", type=click.Choice(["consumption", "territorial"]), default="consumption", show_default=True,
              help="consumption: final fuels + electricity x grid factor; territorial: all fuel burned, no "
                   "electricity rows.")
@click.option("--convention", type=click.Choice(["B", "A", "C"]), default="B", show_default=True,
              help="Fuel factors: B provincial inventory, A IPCC per tce, C IPCC default EF (methods.md §3.3).")
@click.option("--natural-gas", type=click.Choice(["gas_field", "oil_field"]), default="gas_field",
              show_default=True, help="What plain 天然气 / natural gas means.")
@click.option("--energy-weight", type=click.Choice(["construction_area", "gdp"]),
              help="Attribute a region energy table (no zone column) to zones by this weight.")
@click.option("--socioeconomic", type=click.Path(dir_okay=False), help="Socio-economic table (for --energy-weight gdp).")
@click.option("--agri", type=click.Path(dir_okay=False),
              help="Agricultural inputs (zone, year, input, amount, unit); replaces the cropland coefficient.")
@click.option("--ploughing-unit", type=click.Choice(["per_km2", "per_ha_as_printed"]), default="per_km2",
              show_default=True, help="Reading of the 312.6 ploughing coefficient (methods.md §13.3).")
@click.option("--non-co2", type=click.Path(dir_okay=False), help="CH4/N2O table (zone, year, gas, amount, unit).")
@click.option("--gwp", type=click.Choice(["AR5", "AR4", "AR6", "AR6_fossil", "SAR"]), default="AR5",
              show_default=True, help="GWP100 set for CH4/N2O.")
@click.option("--hold-landuse", is_flag=True,
              help="Apply the map's areas to every year of the tables (an explicit assumption).")
@click.option("--area-method", type=click.Choice(["nominal", "geodesic"]), default="nominal", show_default=True)
@options.scheduler
@options.out_dir
@options.overwrite
def cli(landuse, year, scheme, scheme_table, coefficients, coef, zones, zone_field, zone_layer, energy,
        energy_sheet, region, grid_factor, scope, convention, natural_gas, energy_weight, socioeconomic, agri,
        ploughing_unit, non_co2, gwp, hold_landuse, area_method, scheduler, out, overwrite):
    """Carbon emissions from land use and energy, by zone and year (t C, t CO2, t CO2e).

    Example: landcarbon emissions --landuse lu.tif --year 2020 --coefficients cn_common_A --zones z.gpkg
    --zone-field name --energy energy.xlsx --region 湖北 --out DIR
    """
    from ..workflow.emissions import run_emissions

    sheet = int(energy_sheet) if energy_sheet is not None and energy_sheet.isdigit() else energy_sheet
    s = run_emissions(out=out, landuse=landuse, year=year, scheme=scheme, scheme_table=scheme_table,
                      coefficients=coefficients, coef_overrides=_overrides(coef), zones=zones, zone_field=zone_field,
                      zone_layer=zone_layer, energy=energy, energy_sheet=sheet, region=region,
                      grid_factor=grid_factor, scope=scope, convention=convention, natural_gas=natural_gas,
                      energy_weight=energy_weight, socioeconomic=socioeconomic, agri=agri,
                      ploughing_unit=ploughing_unit, non_co2=non_co2, gwp=gwp, hold_landuse=hold_landuse,
                      area_method=area_method, scheduler=scheduler, overwrite=overwrite)
    click.echo(json.dumps({"out": out, "zones": s["n_zones"], "years": s["years"],
                           "coefficient_set": s["coefficient_set"]}, ensure_ascii=False))
