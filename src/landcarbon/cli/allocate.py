"""`landcarbon allocate`: quota allocation among zones, ZSG-DEA and compensation transfers."""

from __future__ import annotations

import json

import click

from . import options


@click.command("allocate")
@click.option("--indicators", required=True, type=click.Path(dir_okay=False),
              help="One row per zone: zone, population, gdp_1e4CNY, emission_tCO2e [, capital, energy …].")
@click.option("--quota", required=True, type=float, help="Total quota to share.")
@click.option("--quota-unit", default="t CO2e", show_default=True, help="t CO2e, t CO2, 1e4 t CO2, Mt CO2.")
@click.option("--method", type=click.Choice(["population", "grandfathering", "ability_to_pay", "efficiency",
                                             "productivity", "composite", "entropy", "zsg-dea"]),
              default="entropy", show_default=True)
@click.option("--principles", help="Comma-separated principles of a composite (default: all five).")
@click.option("--weights", help="Composite weights, e.g. population=0.3,efficiency=0.7 (no default).")
@click.option("--dea-inputs", help="Further fixed DEA inputs, comma-separated (e.g. population,capital).")
@click.option("--dea-outputs", default="gdp_1e4CNY", show_default=True, help="DEA outputs, comma-separated.")
@click.option("--dea-initial", default="grandfathering", show_default=True,
              help="Initial allocation before ZSG-DEA: a principle or 'composite'.")
@click.option("--vrs", is_flag=True, help="BCC (variable returns to scale) instead of CCR.")
@click.option("--balance", type=click.Path(dir_okay=False),
              help="balance_by_zone.csv of `landcarbon balance`: also write compensation transfers.")
@click.option("--balance-year", type=int, help="Year of the balance table to use for the transfers.")
@options.out_dir
@options.overwrite
def cli(indicators, quota, quota_unit, method, principles, weights, dea_inputs, dea_outputs, dea_initial, vrs,
        balance, balance_year, out, overwrite):
    """Quota allocation (equal per capita, grandfathering, ability, efficiency, entropy composite, ZSG-DEA)."""
    from ..workflow.allocate import run_allocate

    def split(s):
        return [x.strip() for x in s.split(",")] if s else None

    s = run_allocate(out=out, indicators=indicators, quota=quota, quota_unit=quota_unit, method=method,
                     principles=split(principles), weights=weights, dea_inputs=split(dea_inputs),
                     dea_outputs=split(dea_outputs), dea_initial=dea_initial, vrs=vrs, balance=balance,
                     balance_year=balance_year, overwrite=overwrite)
    click.echo(json.dumps({"out": out, "method": s["method"], "quota_tCO2e": s["quota_tCO2e"],
                           "weights": s["weights"]}, ensure_ascii=False))
