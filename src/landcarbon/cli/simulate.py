"""``landcarbon simulate``: PLUS-equivalent land-use simulation (LEAS + CARS) under control lines."""

from __future__ import annotations

import click

from . import options


@click.command("simulate")
@click.option("--start", required=True, type=click.Path(dir_okay=False), help="Land-use map of the start year.")
@click.option("--calibrate-from", "calibrate_from", required=True, type=click.Path(dir_okay=False),
              help="First calibration map (L1); LEAS learns from the expansion L1 -> L2.")
@click.option("--calibrate-to", "calibrate_to", required=True, type=click.Path(dir_okay=False),
              help="Second calibration map (L2).")
@click.option("--driver", "drivers", multiple=True, required=True,
              help="Driver raster, repeatable: PATH[:categorical][:dem]. Name = file stem. Slope is added "
                   "from the DEM: the driver marked :dem, else the first whose file name has the word 'dem'.")
@click.option("--no-slope", is_flag=True, help="Do not add slope (degrees, Horn) from the DEM.")
@click.option("--demand", required=True, type=click.Path(dir_okay=False),
              help="CSV/XLSX with code,cells (pixels); several years: year,code,cells; zones: zone,...")
@click.option("--restrict", type=click.Path(dir_okay=False), default=None,
              help="PLUS restriction raster: 0 no conversion, 1 allowed, 2 planned development zone.")
@click.option("--develop-class", type=int, default=None, help="Class code developed in restriction-2 cells.")
@click.option("--rules", default="default", show_default=True,
              help="Control-line rule table (CSV: line,applies,from,to,action), 'default', 'soft-redline' "
                   "or 'none'.")
@click.option("--line", "lines", multiple=True,
              help="Control line NAME=PATH (raster, non-zero = inside, or vector), e.g. eco_redline=rl.gpkg.")
@click.option("--classes", type=click.Path(dir_okay=False), default=None,
              help="Class scheme CSV (code,key,name_zh,name_en,colour,group) for group names in rules.")
@click.option("--transition", type=click.Path(dir_okay=False), default=None,
              help="Transition matrix CSV, 0/1, first column = class code; rows = from, columns = to.")
@click.option("--transition-orientation", type=click.Choice(["from_to", "plus"]), default="from_to",
              show_default=True, help="'plus' reads a PLUS matrix (rows = future class) and transposes it.")
@click.option("--zones", type=click.Path(dir_okay=False), default=None,
              help="Zone raster (0 = outside); each zone is allocated against its own demand (zone column).")
@click.option("--tiles", type=int, default=None,
              help="Out-of-core run on N x N regular tiles, each simulated against its own demand.")
@click.option("--zone-size", "zone_size", type=int, default=None,
              help="Out-of-core run on square tiles of CELLS cells per side.")
@click.option("--out-of-core", "out_of_core", is_flag=True,
              help="With --zones: read and simulate zone by zone from disk (bounded memory).")
@click.option("--max-zone-memory", "max_zone_memory", type=float, default=None,
              help="Out-of-core: GB one zone window may use (default: half the available memory).")
@click.option("--zone-workers", "zone_workers", type=int, default=1, show_default=True,
              help="Out-of-core: zones simulated at once on local threads (same map for any number).")
@click.option("--block", type=int, default=2048, show_default=True,
              help="Out-of-core: cells per side of the blocks read by the region scan and written out.")
@click.option("--align", is_flag=True, help="Resample drivers, restriction, lines and zones onto the start grid.")
@click.option("--pools", type=click.Path(dir_okay=False), default=None,
              help="Carbon-pool table: also write the carbon stock of every simulated map.")
@click.option("--sample-rate", type=float, default=0.01, show_default=True, help="LEAS sampling rate of expansion cells.")
@click.option("--trees", type=int, default=20, show_default=True, help="Trees per class forest.")
@click.option("--max-depth", type=int, default=None, help="Maximum tree depth (default: unlimited).")
@click.option("--min-leaf", type=int, default=5, show_default=True, help="Minimum samples per leaf.")
@click.option("--encoding", type=click.Choice(["onehot", "ordinal"]), default="onehot", show_default=True,
              help="Encoding of categorical drivers.")
@click.option("--neighbourhood", type=int, default=3, show_default=True, help="Window size n (odd).")
@click.option("--mu", type=float, default=0.1, show_default=True, help="Expansion coefficient of patch seeds.")
@click.option("--seed-share", type=float, default=0.0001, show_default=True,
              help="Cap on new patch seeds per iteration, share of valid cells.")
@click.option("--delta", type=float, default=0.5, show_default=True, help="Threshold decay δ in (0, 1).")
@click.option("--max-iter", type=int, default=1000, show_default=True, help="Iteration cap per target year.")
@click.option("--control", type=click.Choice(["net", "flus"]), default="net", show_default=True,
              help="Demand control: net (default, no churn) or the FLUS start-direction rule.")
@click.option("--jobs", type=int, default=2, show_default=True, help="Threads for forests and prediction.")
@click.option("--no-potential", is_flag=True, help="Do not write the development-potential rasters.")
@click.option("--out", "out", multiple=True, required=True,
              help="Output folder, or one .tif per target year (tables then go to <first stem>_run/).")
@options.seed
@options.scheduler
@options.overwrite
def cli(**kw) -> None:
    """PLUS-equivalent land-use simulation (LEAS + CARS) with class-specific control lines."""
    from ..models.simulate import CarsParams, LeasParams
    from ..workflow.simulate import run_simulate

    lp = LeasParams(sample_rate=kw["sample_rate"], n_trees=kw["trees"], max_depth=kw["max_depth"],
                    min_samples_leaf=kw["min_leaf"], n_jobs=kw["jobs"], encoding=kw["encoding"])
    cp = CarsParams(neighbourhood=kw["neighbourhood"], mu=kw["mu"], seed_share=kw["seed_share"],
                    delta=kw["delta"], max_iter=kw["max_iter"], control=kw["control"])
    if kw["tiles"] is not None or kw["zone_size"] is not None or kw["out_of_core"]:
        from ..workflow.simulate_zoned import run_simulate_zoned

        if kw["align"] or kw["pools"]:
            raise click.UsageError("--align and --pools are not available in the out-of-core run (--tiles, "
                                   "--zone-size, --out-of-core)")
        if kw["out_of_core"] and not (kw["zones"] or kw["tiles"] or kw["zone_size"]):
            raise click.UsageError("--out-of-core needs zones: --zones Z.tif, --tiles N or --zone-size CELLS")
        run_dir = run_simulate_zoned(
            start=kw["start"], calibrate_from=kw["calibrate_from"], calibrate_to=kw["calibrate_to"],
            drivers=kw["drivers"], demand=kw["demand"], out=kw["out"], seed=kw["seed"], tiles=kw["tiles"],
            zone_size=kw["zone_size"], zones=kw["zones"], restrict=kw["restrict"],
            develop_class=kw["develop_class"], rules=kw["rules"], lines=kw["lines"], classes=kw["classes"],
            transition=kw["transition"], transition_orientation=kw["transition_orientation"],
            no_slope=kw["no_slope"], scheduler=kw["scheduler"], block=kw["block"], zone_workers=kw["zone_workers"],
            max_zone_bytes=None if kw["max_zone_memory"] is None else kw["max_zone_memory"] * 1e9,
            leas_params=lp, cars_params=cp)
        click.echo(f"simulation written to {run_dir}")
        return
    run_dir = run_simulate(
        start=kw["start"], calibrate_from=kw["calibrate_from"], calibrate_to=kw["calibrate_to"],
        drivers=kw["drivers"], demand=kw["demand"], out=kw["out"], seed=kw["seed"], restrict=kw["restrict"],
        develop_class=kw["develop_class"], rules=kw["rules"], lines=kw["lines"], classes=kw["classes"],
        transition=kw["transition"], transition_orientation=kw["transition_orientation"], zones=kw["zones"],
        align=kw["align"], no_slope=kw["no_slope"], pools=kw["pools"], scheduler=kw["scheduler"],
        write_potential=not kw["no_potential"], overwrite=True, leas_params=lp, cars_params=cp)
    click.echo(f"simulation written to {run_dir}")
