"""``landcarbon validate``: OA, Kappa, FoM and Pontius components beside the persistence baseline (methods.md §9)."""

from __future__ import annotations

import click

from . import options


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--start", required=True, type=click.Path(dir_okay=False),
              help="Land-use map at t1 (the simulation's start).")
@click.option("--observed", required=True, type=click.Path(dir_okay=False), help="Observed land-use map at t2.")
@click.option("--simulated", required=True, type=click.Path(dir_okay=False), help="Simulated map for t2.")
@click.option("--zones", type=click.Path(dir_okay=False), default=None, help="Zones (GeoPackage/Shapefile).")
@click.option("--zone-field", default=None, help="Zone name field of --zones.")
@click.option("--scheme", default=None, help="Class scheme (built-in name or CSV) for class names.")
@click.option("--sample-rate", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="Share of cells used (PLUS uses 0.1); the sample is fixed by --seed.")
@click.option("--align", is_flag=True, help="Resample maps on other grids onto the start map.")
@click.option("--fom-map", "write_map", is_flag=True,
              help="Also write fom_categories.tif (1 correct persistence, 2 hit, 3 miss, 4 wrong hit, "
                   "5 false alarm, 0 = not compared).")
@options.seed
@options.lang
@options.scheduler
@options.overwrite
@options.out_dir
def cli(start, observed, simulated, zones, zone_field, scheme, sample_rate, align, write_map, seed, lang,
        scheduler, overwrite, out) -> None:
    """Accuracy of a simulated map: OA, Kappa, Figure of Merit (hits, misses, wrong hits, false
    alarms), quantity and allocation disagreement, each beside the persistence baseline
    ("nothing changes"), overall and by zone.

    \b
    landcarbon validate --start lu2005.tif --observed lu2010.tif --simulated sim2010.tif --out val/
    """
    from ..workflow.validate import run_validate

    s = run_validate(start, observed, simulated, out, zones=zones, zone_field=zone_field, scheme=scheme,
                     sample_rate=sample_rate, seed=seed, align=align, lang=lang, write_map=write_map,
                     overwrite=overwrite,
                     scheduler=scheduler)
    sim, base = s["simulated"], s["persistence"]
    click.echo(f"{'metric':<26}{'simulated':>12}{'persistence':>13}")
    for k in ("oa", "kappa", "fom", "quantity_disagreement", "allocation_disagreement"):
        click.echo(f"{k:<26}{sim[k]:>12.4f}{base[k]:>13.4f}")
    click.echo(f"hits {sim['hits']:,}  misses {sim['misses']:,}  wrong hits {sim['wrong_hits']:,}  "
               f"false alarms {sim['false_alarms']:,}")
    click.echo(f"calibration {'passes' if s['passed'] else 'does not pass'} (FoM > 0 and allocation "
               f"disagreement below persistence)")
    click.echo(f"written to {out}")
