"""``landcarbon balance``: carbon balance, compensation zoning and value (options from ``models.balance.SPEC``)."""

from __future__ import annotations

from typing import Any

from .specgen import build_command


def register_figure(ctx: Any, png: Any) -> str:
    """Register a chart written into the staged run (and its siblings: the SVG beside the PNG)."""
    for f in sorted(ctx.run.staged.glob(png.stem + ".*")):
        ctx.run.path(f.name)
    return png.name


def _charts(ctx: Any, summary: dict[str, Any]) -> None:
    """The balance3 and quadrant choropleths of zoning.gpkg, in ``lang``, drawn by the report layer."""
    if not summary.get("zoning_layer"):
        return
    from ..report.charts_carbon import zoning_choropleth

    charts = []
    for scheme in ("zone_balance3", "zone_quadrant"):
        name = f"zoning_{scheme.removeprefix('zone_')}.png"
        png = zoning_choropleth(ctx.run.staged, scheme=scheme, out=ctx.run.path(name), lang=ctx.get("lang", "en"))
        charts.append(register_figure(ctx, png))
    summary["charts"] = charts
    summary["main_outputs"] = [*summary.get("main_outputs", []), *charts]


cli = build_command("balance", after=_charts)
