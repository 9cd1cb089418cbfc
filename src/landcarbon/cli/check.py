"""``landcarbon check plan.toml``: preflight of a study without running it (workflow.study_check)."""

from __future__ import annotations

import json

import click


@click.command(name="check", context_settings={"max_content_width": 110})
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--jobs", default=1, type=click.IntRange(min=1), show_default=True,
              help="Steps the run would run at once (for the memory and time estimate).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def cli(plan: str, jobs: int, as_json: bool) -> None:
    """Every check of `landcarbon run PLAN` without computing (each problem one error line with its place in
    the plan, exit 2), then: the grid and CRS of every raster and which need alignment, the class codes of
    each map and those lacking a row in a table, the cells each scenario must move, and an estimate of
    memory and time."""
    from ..workflow.study_check import preflight, report_lines

    rep = preflight(plan, jobs=jobs)
    if as_json:
        click.echo(json.dumps(rep, ensure_ascii=False, default=str))
    else:
        for line in report_lines(rep):
            click.echo(line)
