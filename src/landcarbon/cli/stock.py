"""``landcarbon stock``: carbon storage, change and value of land-use maps (methods.md §2)."""

from __future__ import annotations

import click

from . import options


def _parse_density(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        pool, sep, path = v.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"{v!r}; expected POOL=PATH, e.g. soil=soil_carbon.tif",
                                     param_hint="--density-raster")
        out[pool.strip().lower().removeprefix("c_")] = path
    return out


@click.command(context_settings={"allow_extra_args": True, "help_option_names": ["-h", "--help"]})
@click.option("--landuse", "landuse", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Land-use GeoTIFF (integer class codes); repeat for each year or scenario.")
@click.option("--years", "years", multiple=True, type=int,
              help="Year of each map, in --landuse order: --years 2020 2050 (default: 4-digit years in the "
                   "file names).")
@click.option("--name", "names", multiple=True, help="Label of each map (scenario names); default: file names.")
@click.option("--pools", required=True, type=click.Path(dir_okay=False),
              help="Carbon pools table (CSV/XLSX): lucode, c_above, c_below, c_soil, c_dead in Mg C/ha; optional "
                   "zone, year, sd_* or cv columns.")
@click.option("--pools-units", default=None,
              help="Unit of the pools table if not Mg C/ha (e.g. 'kg C/m2', 'g C/m2'); a units row or column "
                   "in the table works too.")
@click.option("--zones", type=click.Path(dir_okay=False), default=None, help="Zones (GeoPackage/Shapefile).")
@click.option("--zone-field", default=None, help="Zone name field of --zones.")
@click.option("--price", type=float, default=None, help="Carbon price for valuation (per t C; see --price-unit).")
@click.option("--price-unit", type=click.Choice(["CNY/t C", "CNY/t CO2"]), default="CNY/t C", show_default=True,
              help="Unit of --price (a CO2 price is multiplied by 44/12).")
@click.option("--discount-rate", type=float, default=0.0, show_default=True, help="Annual discount rate, %.")
@click.option("--price-change", type=float, default=0.0, show_default=True,
              help="Annual price change, % (InVEST meaning: acts as a second discount rate).")
@click.option("--price-growth", type=float, default=None,
              help="Alternative to --price-change: real annual price increase, % (not InVEST).")
@click.option("--price-year", type=int, default=None, help="Price year of NPV values (default: the from-year).")
@click.option("--no-maps", is_flag=True, help="Totals and tables only; write no rasters.")
@click.option("--pool-maps", is_flag=True, help="Also write one density map per pool (intermediate/).")
@click.option("--density-raster", "density", multiple=True,
              help="POOL=PATH: take a pool's density (Mg C/ha) from a raster instead of the table; repeatable.")
@click.option("--align", is_flag=True,
              help="Resample maps on other grids onto the first map (nearest neighbour) instead of refusing.")
@click.option("--mc-draws", type=int, default=0, show_default=True,
              help="Monte Carlo draws from the table's SDs (needs --seed).")
@click.option("--mc-cv", type=float, default=None, help="CV applied where the table gives no SD.")
@click.option("--mc-distribution", type=click.Choice(["normal", "lognormal"]), default="normal", show_default=True)
@options.seed
@options.scheduler
@click.option("--window", type=int, default=None, help="Window edge in cells (default: aligned to the input tiles).")
@click.option("--threads", type=int, default=None, help="Worker threads (default: all cores).")
@options.out_dir
@click.pass_context
def cli(ctx: click.Context, landuse, years, names, pools, pools_units, zones, zone_field, price, price_unit,
        discount_rate, price_change, price_growth, price_year, no_maps, pool_maps, density, align, mc_draws,
        mc_cv, mc_distribution, seed, scheduler, window, threads, out) -> None:
    """Carbon storage (4 pools), change between dated maps and its NPV, as InVEST 3.20 and beyond.

    \b
    landcarbon stock --landuse A.tif --landuse B.tif --years 2020 2050 --pools pools.csv \\
        --zones counties.gpkg --zone-field name --price 43 --discount-rate 7 --out results/
    """
    extra = list(ctx.args)
    yrs = list(years)
    if extra:
        if yrs and all(a.lstrip("-").isdigit() for a in extra):
            yrs += [int(a) for a in extra]
        else:
            raise click.UsageError(f"unexpected argument(s) {' '.join(extra)}; repeat --landuse for each map "
                                   f"and give years as --years 2020 2050")
    from ..workflow.stock import run_stock

    summary = run_stock(
        list(landuse), years=yrs or None, names=list(names) or None, pools=pools, pools_units=pools_units,
        zones=zones, zone_field=zone_field, price=price, price_unit=price_unit, discount_rate=discount_rate,
        price_change=price_change, price_growth=price_growth, price_year=price_year, write_maps=not no_maps,
        pool_maps=pool_maps, density_rasters=_parse_density(density) or None, align=align, mc_draws=mc_draws,
        mc_cv=mc_cv, mc_distribution=mc_distribution, seed=seed, scheduler=scheduler, window=window,
        threads=threads, out=out)
    for m in summary["maps"]:
        click.echo(f"{m['label']}: {m['total_MgC']:,.2f} Mg C")
    for c in summary["changes"]:
        npv = "" if c.get("npv") is None else f", NPV {c['npv']:,.2f}"
        click.echo(f"{c['from_label']} -> {c['to_label']}: {c['change_MgC']:+,.2f} Mg C{npv}")
    click.echo(f"written to {out}")
