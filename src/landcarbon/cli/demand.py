"""``landcarbon demand``: land-use demand by Markov chain, scenario rules, linear trend or a table (methods.md §7.3–7.5)."""

from __future__ import annotations

import click

from .change import multi_value


@click.command(cls=multi_value("--years", "--target", "--fixed"),
               context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--map", "maps", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Land-use map; repeat in time order. The last one is the simulation's start map.")
@click.option("--years", "years", multiple=True, type=int,
              help="Year of each --map: --years 2005 2010 (default: 4-digit years in the file names).")
@click.option("--target", "targets", multiple=True, type=int,
              help="Target year(s): --target 2020 2030 (any year ≥ the last map's; not only whole steps).")
@click.option("--method", type=click.Choice(["markov", "trend", "table"]), default="markov", show_default=True,
              help="markov: two maps; trend: linear trend per class over 2+ maps; table: check a given --table.")
@click.option("--scenario", default=None,
              help="Built-in scenario rules for Markov: natural_trend, cropland_protection, ecological_protection, "
                   "economic_development, low_carbon.")
@click.option("--rules", type=click.Path(dir_okay=False), default=None,
              help="Your own rules (CSV: from, to, change_pct; from/to = group, class code or *); applied after "
                   "--scenario.")
@click.option("--table", type=click.Path(dir_okay=False), default=None,
              help="A demand table (CSV/XLSX: code, cells or area_ha, optional year) for --method table.")
@click.option("--scheme", default=None,
              help="Class scheme (built-in name or CSV with code, group …): needed when rules name groups.")
@click.option("--fractional", type=click.Choice(["eigen", "interpolate"]), default="eigen", show_default=True,
              help="Non-whole horizons: matrix root P^h (falls back to interpolation when P has none) or "
                   "interpolation between whole steps.")
@click.option("--markov-origin", type=click.Choice(["landcarbon", "flus"]), default="landcarbon",
              show_default=True, help="flus: start from the first map and apply P (target−t2)//Δ+1 times.")
@click.option("--start", type=click.Choice(["map2", "common"]), default="map2", show_default=True,
              help="Start vector: every valid cell of the last map, or the two maps' common mask.")
@click.option("--rescale", is_flag=True,
              help="Scale classes proportionally when a trend goes negative or a table's total differs.")
@click.option("--fixed", "fixed", multiple=True, type=int, help="Class codes kept as given by --rescale.")
@click.option("--align", is_flag=True, help="Resample maps on other grids onto the first map.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Demand CSV to write (code,cells,area_ha or year,code,cells,area_ha).")
def cli(maps, years, targets, method, scenario, rules, table, scheme, fractional, markov_origin, start,
        rescale, fixed, align, out) -> None:
    """Land-use demand (cells per class) for the simulation, totals equal to the start map's valid cells.

    \b
    landcarbon demand --map lu2005.tif --map lu2010.tif --years 2005 2010 --target 2020 2030 \\
        --scenario cropland_protection --scheme classes.csv --out demand.csv
    landcarbon demand --method trend --map a.tif --map b.tif --map c.tif --target 2030 --out demand.csv
    landcarbon demand --method table --table my_demand.csv --map lu2020.tif --out demand.csv
    """
    import warnings

    from ..core.errors import LandcarbonWarning
    from ..workflow.demand import run_demand

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LandcarbonWarning)
        s = run_demand(list(maps), out, years=list(years) or None, targets=list(targets), method=method,
                       scenario=scenario, rules=rules, table=table, scheme=scheme, fractional=fractional,
                       markov_origin=markov_origin, start=start, rescale=rescale, fixed=list(fixed),
                       align=align)
    for w in caught:
        if issubclass(w.category, LandcarbonWarning):
            click.echo(f"warning: {w.message}", err=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    click.echo(s["table"].to_string(index=False))
    if s.get("projection"):
        click.echo("projection: " + ", ".join(f"{y}: {m}" for y, m in s["projection"].items()))
    click.echo(f"total per year = {s['start_cells']:,} cells (valid cells of the start map)")
    click.echo(f"written to {s['out']} (manifest {s['manifest']})")
