"""``landcarbon evaluate``: 双评价 suitability, MCE, control lines, intensive use, ESV (methods.md §10–12)."""

from __future__ import annotations

import json

import click

from . import options


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r}: expected NAME=VALUE", param_hint=what)
        k, val = v.split("=", 1)
        out[k.strip()] = val.strip()
    return out


def _echo(summary: dict, out: str) -> None:
    click.echo(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    click.echo(f"outputs in {out}", err=True)


@click.group(name="evaluate")
def cli() -> None:
    """Suitability (双评价), MCE, control lines (三区三线), intensive use and ESV."""


@cli.command("suitability")
@click.option("--plan", type=click.Path(dir_okay=False), help="TOML plan with a [suitability] table.")
@click.option("--dem", type=click.Path(dir_okay=False), help="DEM (m): slope, elevation and relief.")
@click.option("--landuse", type=click.Path(dir_okay=False), help="Land-use map (mask and cross-tabulation).")
@click.option("--zones", type=click.Path(dir_okay=False), help="Zones (vector or raster of ids).")
@click.option("--zone-field", default=None, help="Zone name field of a vector zones layer.")
@click.option("--evaluation", "evaluations", multiple=True, type=click.Choice(["ecology", "agriculture", "urban"]),
              help="Evaluations to run (repeat; default all).")
@click.option("--charts/--no-charts", default=True, show_default=True, help="Write PNG maps of the 5-level results.")
@options.out_dir
@options.overwrite
def suitability(plan, dem, landuse, zones, zone_field, evaluations, charts, out, overwrite):
    """双评价: ecological importance, agricultural and urban suitability (5 and 3 levels, areas by zone)."""
    from ..workflow.evaluate import run_suitability

    s = run_suitability(out, plan=plan, dem=dem, landuse=landuse, zones=zones, zone_field=zone_field,
                        evaluations=tuple(evaluations) or None, overwrite=overwrite)
    if charts:
        from ..report.charts_plan import render_run

        render_run(out)
    _echo(s, out)


@cli.command("mce")
@click.option("--criterion", "criteria", multiple=True, required=True, help="NAME=RASTER (repeat).")
@click.option("--weight", "weights", multiple=True, help="NAME=WEIGHT (repeat; must sum to 1).")
@click.option("--ahp", type=click.Path(dir_okay=False), help="AHP pairwise matrix CSV (first column = names).")
@click.option("--entropy", is_flag=True, help="Entropy weights over the valid cells.")
@click.option("--direction", "directions", multiple=True, help="NAME=1|-1 (smaller is better: -1).")
@click.option("--force-ahp", is_flag=True, help="Use an AHP matrix even if CR >= 0.1.")
@options.seed
@options.out_dir
@options.overwrite
def mce(criteria, weights, ahp, entropy, directions, force_ahp, seed, out, overwrite):
    """Weighted overlay of criteria with user, AHP or entropy weights."""
    from ..workflow.evaluate import run_mce

    w = {k: float(v) for k, v in _pairs(weights, "--weight").items()} or None
    method = "entropy" if entropy else ("ahp" if ahp else ("user" if w else None))
    s = run_mce(out, criteria=_pairs(criteria, "--criterion"), weights=w, ahp=ahp, method=method,
                directions={k: int(v) for k, v in _pairs(directions, "--direction").items()}, force_ahp=force_ahp,
                seed=seed or 0, overwrite=overwrite)
    _echo(s, out)


@cli.command("control-lines")
@click.option("--landuse", required=True, type=click.Path(dir_okay=False), help="Land-use map.")
@click.option("--scheme", required=True, help="Class scheme: built-in name or CSV (code,group).")
@click.option("--line", "lines", multiple=True, required=True,
              help="NAME=PATH, NAME in eco_redline, basic_farmland, urban_boundary (vector or raster).")
@click.option("--dem", type=click.Path(dir_okay=False), help="DEM for the steep-slope farmland check.")
@click.option("--zones", type=click.Path(dir_okay=False))
@click.option("--zone-field", default=None)
@click.option("--steep-slope", default=25.0, show_default=True, help="Slope limit for farmland (degrees).")
@click.option("--redline", type=click.Choice(["strict", "soft"]), default="strict", show_default=True,
              help="Red-line rule for the simulation: forbid every change, or only to built-up and cropland.")
@click.option("--freeze-pbf", is_flag=True, help="Also freeze non-cropland cells inside basic farmland.")
@click.option("--charts/--no-charts", default=True, show_default=True)
@options.out_dir
@options.overwrite
def control_lines(landuse, scheme, lines, dem, zones, zone_field, steep_slope, redline, freeze_pbf, charts, out,
                  overwrite):
    """三区三线: areas by line and zone, conflict checks, and the rule table for the simulation."""
    from ..workflow.evaluate import run_control_lines

    s = run_control_lines(out, landuse=landuse, lines=_pairs(lines, "--line"), scheme=scheme, dem=dem, zones=zones,
                          zone_field=zone_field, steep_slope_deg=steep_slope, redline=redline,
                          freeze_pbf=freeze_pbf, overwrite=overwrite)
    if charts:
        from ..report.charts_plan import render_run

        render_run(out)
    _echo(s, out)


@cli.command("intensive")
@click.option("--table", required=True, type=click.Path(dir_okay=False),
              help="Zone table (pop_t1, pop_t2, gdp_t1, gdp_t2, land_t1_ha, land_t2_ha, …).")
@click.option("--zone-column", default="zone", show_default=True)
@click.option("--weights", type=click.Path(dir_okay=False), help="CSV indicator,weight (sum 1).")
@click.option("--ahp", type=click.Path(dir_okay=False), help="AHP pairwise matrix CSV over the indicators.")
@click.option("--ideals", type=click.Path(dir_okay=False), help="CSV indicator,ideal value (ideal-value scoring).")
@click.option("--force-ahp", is_flag=True)
@options.out_dir
@options.overwrite
def intensive(table, zone_column, weights, ahp, ideals, force_ahp, out, overwrite):
    """节约集约用地评价: indicators, scores, weights (entropy by default), index and grade by zone."""
    from ..workflow.evaluate import run_intensive

    s = run_intensive(out, table=table, zone_column=zone_column, weights=weights, ahp=ahp, ideals=ideals,
                      force_ahp=force_ahp, overwrite=overwrite)
    _echo(s, out)


@cli.command("esv")
@click.option("--map", "maps", multiple=True, help="LABEL=RASTER (repeat; change between consecutive ones).")
@click.option("--demand", "demands", multiple=True,
              help="LABEL=CSV scenario demand table (code,cells), after the maps (e.g. optimize/demand.csv).")
@click.option("--cell-area", type=float, help="Cell area (ha) for demand tables when no map is given.")
@click.option("--scheme", required=True, help="Class scheme: built-in name or CSV (code,group).")
@click.option("--table", "version", type=click.Choice(["2015", "2003"]), default="2015", show_default=True,
              help="Xie equivalent table.")
@click.option("--unit-value", type=float, help="Value of one standard equivalent E_a (CNY/ha).")
@click.option("--crops", type=click.Path(dir_okay=False), help="Crop table for E_a by the 1/7 rule.")
@click.option("--paddy-share", type=float, help="Paddy share of cropland (Xie 2015; required there).")
@click.option("--regional-factor", type=float, default=1.0, show_default=True)
@click.option("--price-year", type=int)
@click.option("--zones", type=click.Path(dir_okay=False))
@click.option("--zone-field", default=None)
@options.out_dir
@options.overwrite
def esv(maps, demands, cell_area, scheme, version, unit_value, crops, paddy_share, regional_factor, price_year, zones,
        zone_field, out, overwrite):
    """Ecosystem service value (Xie 2003/2015) by zone and group, and its change between maps."""
    from ..workflow.evaluate import run_esv

    s = run_esv(out, maps=_pairs(maps, "--map"), scheme=scheme, version=version, unit_value=unit_value, crops=crops,
                paddy_share=paddy_share, regional_factor=regional_factor, price_year=price_year, zones=zones,
                zone_field=zone_field, overwrite=overwrite, demands=_pairs(demands, "--demand"),
                cell_area_ha=cell_area)
    _echo(s, out)
