"""``landcarbon run plan.toml``: the whole study from one plan file (workflow.study)."""

from __future__ import annotations

import json

import click


def _lines(summary: dict) -> list[str]:
    out = [f"study {summary['study']}: {summary['steps']} steps, {len(summary['ran'])} ran, "
           f"{len(summary['cached'])} cached, in {summary['seconds']:.1f} s"]
    st = summary.get("status") or {}
    if st:
        out.append("indicator status: " + ", ".join(f"{k} {v}" for k, v in st.items()))
    for r in summary.get("results", []):
        out.append(f"results: {summary['out']}/{r}")
    out.append(f"catalog: {summary['catalog']}")
    for n in summary.get("notes", []):
        out.append(f"note: {n}")
    out.append(f"written to {summary['out']} (manifest.json last)")
    return out


@click.command(name="run", context_settings={"max_content_width": 110})
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--out", default=None, metavar="DIR", help="Study folder (default: the plan's [outputs] folder, "
              "else <study id>_study beside the plan). A re-run into it redoes only what changed.")
@click.option("--jobs", default=1, type=click.IntRange(min=1), show_default=True,
              help="Steps run at once (independent scenarios in parallel); each simulation needs its own memory.")
@click.option("--scheduler", default=None, envvar="LANDCARBON_SCHEDULER", metavar="ADDRESS",
              help="Address of a Dask distributed scheduler the models' steps use (default: local threads).")
@click.option("--catalog", default=None, metavar="URL", help="Results catalog: a SQLite file or a "
              "postgresql://user@host/db URL (default: catalog.sqlite in the study folder).")
@click.option("--catalog-schema", default=None, metavar="NAME",
              help="PostgreSQL schema (namespace) of the catalog's tables in a shared database.")
@click.option("--json", "as_json", is_flag=True, help="Print the study summary as JSON.")
def cli(plan: str, out: str | None, jobs: int, scheduler: str | None, catalog: str | None,
        catalog_schema: str | None, as_json: bool) -> None:
    """Run the study of PLAN: change analysis, demand, simulation of every scenario to every target year
    under its control-line rules, carbon stock, emissions and balance, STIRPAT peak, indicators with their
    status against the plan's targets; every step cached by the hash of its inputs, parameters and code
    version (a re-run after an interruption, or after one scenario was edited, redoes only what changed);
    every result recorded in the catalog; manifest.json written last. See docs/study.md."""
    from ..workflow.study import run_study

    summary = run_study(plan, out=out, jobs=jobs, scheduler=scheduler, catalog=catalog,
                        catalog_schema=catalog_schema, echo=lambda s: click.echo(s, err=True))
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        for line in _lines(summary):
            click.echo(line)
