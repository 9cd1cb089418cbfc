"""``landcarbon change``: transition matrix, gains/losses, dynamic degree and Sankey chart (methods.md §7.1–7.2)."""

from __future__ import annotations

import click

from . import options


class MultiValueCommand(click.Command):
    """A command whose listed options take several values after one flag: ``--years 2005 2010``
    is read as ``--years 2005 --years 2010`` (the repeated form works too)."""

    multi_value_options: tuple[str, ...] = ()

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        cur: str | None = None
        n = 0
        for a in args:
            if a.startswith("-") and not _is_number(a):
                cur = a if a in self.multi_value_options else None
                n = 0
                out.append(a)
                continue
            if cur is not None:
                if n >= 1:
                    out.append(cur)
                n += 1
            out.append(a)
        return super().parse_args(ctx, out)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def multi_value(*names: str) -> type[MultiValueCommand]:
    return type("MultiValue", (MultiValueCommand,), {"multi_value_options": names})


@click.command(cls=multi_value("--years"), context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--from", "map_from", required=True, type=click.Path(dir_okay=False),
              help="Land-use map at t1 (GeoTIFF, integer class codes; any codes).")
@click.option("--to", "map_to", required=True, type=click.Path(dir_okay=False),
              help="Land-use map at t2, on the same grid (or pass --align).")
@click.option("--years", "years", multiple=True, type=int,
              help="Years of the two maps: --years 2005 2010 (needed for the dynamic degree).")
@click.option("--zones", type=click.Path(dir_okay=False), default=None,
              help="Zones (GeoPackage/Shapefile) for results by zone.")
@click.option("--zone-field", default=None, help="Zone name field of --zones.")
@click.option("--scheme", default=None,
              help="Class scheme: a built-in name (national6, clcd, globeland30, modis_igbp) or a CSV with "
                   "code, group, name_zh, name_en, colour (names and colours in tables and the chart).")
@click.option("--lc-count", type=click.Choice(["loss", "gross"]), default="loss", show_default=True,
              help="Comprehensive dynamic degree: losses only (as printed) or gains + losses.")
@click.option("--align", is_flag=True, help="Resample --to onto the --from grid (nearest neighbour) if they differ.")
@click.option("--no-sankey", is_flag=True, help="Skip the Sankey chart (PNG and HTML).")
@options.lang
@options.scheduler
@options.overwrite
@options.out_dir
def cli(map_from, map_to, years, zones, zone_field, scheme, lc_count, align, no_sankey, lang, scheduler,
        overwrite, out) -> None:
    """Land-use transition matrix (cells, ha, km²), gains/losses/net/swap, single and comprehensive
    dynamic degree (单一/综合土地利用动态度), by zone too, and a transition Sankey chart.

    \b
    landcarbon change --from lu2005.tif --to lu2010.tif --years 2005 2010 \\
        --zones districts.gpkg --zone-field name --out change_2005_2010/
    """
    if years and len(years) != 2:
        raise click.BadParameter(f"found {len(years)} years; expected two (--years 2005 2010)",
                                 param_hint="--years")
    from ..workflow.change import run_change

    render = None
    if not no_sankey:
        from ..report.sankey import render

    s = run_change(map_from, map_to, out, years=tuple(years) if years else None, zones=zones,
                   zone_field=zone_field, scheme=scheme, align=align, lc_count=lc_count, lang=lang,
                   render_sankey=render, overwrite=overwrite, scheduler=scheduler)
    msg = f"{s['common_valid_cells']:,} cells compared; {s['changed_share']:.2%} changed"
    if s["LC_pct_per_year"] is not None:
        msg += f"; comprehensive dynamic degree {s['LC_pct_per_year']:.3f} %/a ({s['lc_count']})"
    click.echo(msg)
    click.echo(f"written to {out}")
