"""``landcarbon optimize``: land-structure optimisation → a demand table for ``landcarbon simulate``."""

from __future__ import annotations

import json

import click

from . import options


@click.command(name="optimize")
@click.option("--plan", type=click.Path(dir_okay=False), help="TOML plan with an [optimize] table.")
@click.option("--landuse", type=click.Path(dir_okay=False), help="Start land-use map (valid cells = demand total).")
@click.option("--scheme", help="Class scheme: built-in name or CSV (code,group).")
@click.option("--method", type=click.Choice(["lp", "weighted", "nsga2"]), help="Solver (default: plan, else nsga2).")
@click.option("--objective", "objectives", multiple=True,
              type=click.Choice(["carbon", "emissions", "economy", "esv"]), help="Objectives (repeat).")
@click.option("--compromise", type=click.Choice(["ideal", "topsis", "knee"]), help="Compromise on the Pareto front.")
@click.option("--pop-size", type=int)
@click.option("--generations", "n_gen", type=int)
@click.option("--charts/--no-charts", default=True, show_default=True)
@options.seed
@options.out_dir
@options.overwrite
def cli(plan, landuse, scheme, method, objectives, compromise, pop_size, n_gen, charts, seed, out, overwrite):
    """Optimise class areas (carbon, emissions, economy, ESV) under planning constraints; write demand.csv."""
    from ..workflow.optimize import run_optimize

    cfg = {k: v for k, v in {"method": method, "objectives": list(objectives) or None, "compromise": compromise,
                             "pop_size": pop_size, "n_gen": n_gen, "seed": seed}.items() if v is not None}
    s = run_optimize(out, plan=plan, landuse=landuse, scheme=scheme, config=cfg, overwrite=overwrite)
    if charts:
        from ..report.charts_plan import render_run

        render_run(out)
    click.echo(json.dumps(s, ensure_ascii=False, indent=1, default=str))
