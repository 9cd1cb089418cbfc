"""`landcarbon balance`: carbon balance, compensation zoning and compensation value."""

from __future__ import annotations

import json

import click

from . import options


@click.command("balance")
@click.option("--emissions", required=True, type=click.Path(dir_okay=False),
              help="emissions_by_zone.csv of `landcarbon emissions`, or a table with zone, year, emission_tCO2e, "
                   "absorption_tCO2.")
@click.option("--socioeconomic", required=True, type=click.Path(dir_okay=False),
              help="zone, year, gdp_1e4CNY | gdp_1e8CNY | gdp_CNY, population | population_1e4 [, engel].")
@click.option("--zones", type=click.Path(dir_okay=False), help="Zones layer, for zoning.gpkg and the choropleth.")
@click.option("--zone-field", help="Zone name field of the zones layer.")
@click.option("--zone-layer", help="Layer of a multi-layer GeoPackage.")
@click.option("--price", default=None,
              help="Carbon price: a number (with --price-unit) or a named basis of reference/carbon_prices.csv; "
                   "default cea_2023_year_end_close = 79.42 CNY/t CO2.")
@click.option("--price-unit", default="CNY/t CO2", show_default=True, help="'CNY/t CO2' or 'CNY/t C'.")
@click.option("--band", type=float, default=0.2, show_default=True, help="balance3 band b around CCR_R.")
@click.option("--allowance-share", type=click.Choice(["gdp", "population", "area"]), default="gdp",
              show_default=True, help="How the regional net emission is shared in the allowance form.")
@click.option("--pearl", is_flag=True, help="Apply the Pearl willingness-to-pay factor (needs an engel column).")
@click.option("--stock-change", type=click.Path(dir_okay=False),
              help="Sinks from the carbon-stock change (zone, delta_MgC, t1, t2) instead of the coefficient sinks.")
@click.option("--map-year", type=int, help="Year shown in zoning.gpkg and the maps (default: latest).")
@options.lang
@options.out_dir
@options.overwrite
def cli(emissions, socioeconomic, zones, zone_field, zone_layer, price, price_unit, band, allowance_share, pearl,
        stock_change, map_year, lang, out, overwrite):
    """Carbon balance (NCE, CCR, ECC, ESC), compensation zoning and value per zone and year."""
    from ..workflow.balance import run_balance

    s = run_balance(out=out, emissions=emissions, socioeconomic=socioeconomic, zones=zones, zone_field=zone_field,
                    zone_layer=zone_layer, price=price, price_unit=price_unit, band=band,
                    allowance_share=allowance_share, pearl=pearl, stock_change=stock_change, map_year=map_year,
                    overwrite=overwrite)
    charts = []
    if s.get("zoning_layer"):
        from ..report.charts_carbon import zoning_choropleth

        charts = [str(zoning_choropleth(out, lang=lang)),
                  str(zoning_choropleth(out, scheme="zone_quadrant", lang=lang))]
    click.echo(json.dumps({"out": out, "zones": s["n_zones"], "years": s["years"],
                           "price_CNY_per_tCO2": s["price"]["CNY_per_tCO2"], "charts": charts}, ensure_ascii=False))
