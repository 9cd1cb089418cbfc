"""``landcarbon demo``: the built-in China demo (MODIS 2019, provinces, a cited density set)."""

from __future__ import annotations

import click

from . import options


@click.command(name="demo")
@options.out_dir
@options.lang
def cli(out: str, lang: str) -> None:
    """Carbon stock of China's provinces from MODIS land cover 2019 (no download at run time).

    Writes stock_by_province.csv (zh + en names, area_ha, stock_MgC, stock_tCO2),
    stock_by_group.csv, carbon_density.tif (Mg C/ha), carbon_density_map.png, the full
    `landcarbon stock` run in stock/, summary.json and manifest.json into OUT; then emissions,
    carbon-balance zoning and a peak chart on a synthetic districts dataset under districts/, and a
    suitability map, control-line conflicts and a Pareto front on a synthetic county under planning/.
    """
    from ..report.charts_carbon import render_carbon_charts
    from ..report.charts_plan import render_demo as render_planning_charts
    from ..report.maps import density_map
    from ..workflow.demo import run_demo

    summary = run_demo(out, lang=lang, render_map=density_map,
                       renderers={"carbon_charts": render_carbon_charts,
                                  "planning_charts": render_planning_charts})
    click.echo(summary["message"])
