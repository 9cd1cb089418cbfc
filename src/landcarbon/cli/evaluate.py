"""``landcarbon evaluate``: 双评价 suitability, MCE, control lines, intensive use, ESV (methods.md §10–12).

Each subcommand is generated from its model's spec; charts are drawn by the report layer from the staged
run folder, in the language asked for.
"""

from __future__ import annotations

from typing import Any

import click

from .specgen import build_command


def _register_svg(ctx: Any, name: str) -> None:
    if (ctx.run.staged / f"{name}.svg").exists():
        ctx.run.path(f"{name}.svg")  # the report layer writes an SVG beside each PNG: part of the run


def _suitability_charts(ctx: Any, summary: dict) -> None:
    if not ctx.get("charts"):
        return
    from ..models.evaluate.suitability_spec import TITLES
    from ..report.charts_plan import suitability_map_png

    lang = ctx.get("lang")
    for ev in summary.get("evaluated", []):
        name = f"{ev}_level5"
        suitability_map_png(ctx.run.staged / f"{name}.tif", ctx.run.path(f"{name}.png"), lang=lang, evaluation=ev,
                            title=TITLES[ev][1 if lang == "zh" else 0])
        _register_svg(ctx, name)


def _conflict_chart(ctx: Any, summary: dict) -> None:
    if not ctx.get("charts"):
        return
    from ..report.charts_plan import conflict_map_png

    conflict_map_png(ctx.run.staged / "conflicts.tif", ctx.run.path("conflicts.png"), lang=ctx.get("lang"))
    _register_svg(ctx, "conflicts")


@click.group(name="evaluate", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Suitability (双评价), MCE, control lines (三区三线), intensive use and ESV."""


cli.add_command(build_command("suitability", after=_suitability_charts))
cli.add_command(build_command("mce"))
cli.add_command(build_command("control_lines", after=_conflict_chart))
cli.add_command(build_command("intensive"))
cli.add_command(build_command("esv"))
