"""`landcarbon peak`: STIRPAT ridge fit, scenario projection and peak years."""

from __future__ import annotations

import json

import click

from . import options


@click.command("peak")
@click.option("--history", required=True, type=click.Path(dir_okay=False),
              help="Annual series: year, emissions_1e4tCO2 (or emissions_tCO2), driver columns.")
@click.option("--scenarios", required=True,
              help="Scenario table (scenario, period, <driver>_growth_pct | <driver>_level) or "
                   "reference:<study> from reference/stirpat_scenarios.csv.")
@click.option("--drivers", help="Comma-separated driver columns (default: every other column).")
@click.option("--ridge-k", default="auto", show_default=True, help="Ridge parameter in [0, 1] or 'auto'.")
@click.option("--kuznets", help="Driver whose squared log enters (EKC test), e.g. pcgdp.")
@click.option("--horizon", type=int, default=2060, show_default=True)
@click.option("--after-last", type=click.Choice(["hold", "zero", "error"]), default="hold", show_default=True,
              help="Driver growth after the last scenario period.")
@click.option("--bootstrap", "n_boot", type=int, default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--smearing", is_flag=True, help="Duan smearing factor on exp(ln C).")
@click.option("--sinks", type=click.Path(dir_okay=False),
              help="Projected sinks (year, absorption_tCO2 [, scenario]) for the gap to neutrality.")
@options.seed
@options.lang
@options.out_dir
@options.overwrite
def cli(history, scenarios, drivers, ridge_k, kuznets, horizon, after_last, n_boot, smearing, sinks, seed, lang,
        out, overwrite):
    """STIRPAT carbon-peak projection by scenario (ridge regression, bootstrap band)."""
    from ..report.charts_carbon import peak_chart
    from ..workflow.peak import run_peak

    try:
        k = "auto" if ridge_k == "auto" else float(ridge_k)
    except ValueError:
        raise click.BadParameter(f"{ridge_k!r}; expected a number in [0, 1] or 'auto'", param_hint="--ridge-k") from None
    s = run_peak(out=out, history=history, scenarios=scenarios,
                 drivers=[d.strip() for d in drivers.split(",")] if drivers else None, k=k, kuznets=kuznets,
                 horizon=horizon, after_last=after_last, n_boot=n_boot, seed=0 if seed is None else seed,
                 smearing=smearing, sinks=sinks, overwrite=overwrite)
    chart = peak_chart(out, lang=lang)
    click.echo(json.dumps({"out": out, "ridge_k": s["ridge_k"], "r2_ln": round(s["r2_ln"], 4),
                           "peaks": {p["scenario"]: [p["peak_year"], p["status"]] for p in s["peaks"]},
                           "chart": str(chart)}, ensure_ascii=False))
