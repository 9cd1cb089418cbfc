"""``landcarbon demo``: the built-in China demo (MODIS 2019, provinces, a cited density set)."""

from __future__ import annotations

import click

from . import options


@click.command(name="demo")
@click.option("--out", "out", default="demo_output", show_default=True, type=click.Path(file_okay=False),
              help="Output folder (a finished demo there is replaced as a whole).")
@options.lang
@click.option("--study/--no-study", default=True, show_default=True,
              help="Also run the demo study on the synthetic county (plan data/plans/county.toml).")
@click.option("--jobs", default=2, type=click.IntRange(min=1), show_default=True,
              help="Steps of the demo study run at once.")
def cli(out: str, lang: str, study: bool, jobs: int) -> None:
    """Carbon stock of China's provinces from MODIS land cover 2019 (no download at run time).

    Writes stock_by_province.csv (zh + en names, area_ha, stock_MgC, stock_tCO2),
    stock_by_group.csv, carbon_density.tif (Mg C/ha), carbon_density_map.png, the full
    `landcarbon stock` run in stock/, summary.json and manifest.json into OUT; then emissions,
    carbon-balance zoning and a peak chart on a synthetic districts dataset under districts/, and a
    suitability map, control-line conflicts and a Pareto front on a synthetic county under planning/; then
    a complete study on the synthetic county (plan county/plan.toml, study under study/: four scenarios to
    2035 and 2060, indicators with status, results catalog study/catalog.sqlite).
    """
    from ..report.charts_carbon import render_carbon_charts
    from ..report.charts_plan import render_demo as render_planning_charts
    from ..report.maps import density_map
    from ..workflow.demo import run_demo

    summary = run_demo(out, lang=lang, render_map=density_map,
                       renderers={"carbon_charts": render_carbon_charts,
                                  "planning_charts": render_planning_charts},
                       study=study, jobs=jobs, echo=lambda s: click.echo(s, err=True))
    click.echo(summary["message"])
