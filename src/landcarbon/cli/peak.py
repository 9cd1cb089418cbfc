"""``landcarbon peak``: STIRPAT carbon-peak projection (options from ``models.peak.SPEC``)."""

from __future__ import annotations

from typing import Any

from .specgen import build_command


def _chart(ctx: Any, summary: dict[str, Any]) -> None:
    """The peak chart (history, projections with their band, peak years) in ``lang``, by the report layer."""
    from ..report.charts_carbon import peak_chart

    png = peak_chart(ctx.run.staged, out=ctx.run.path("peak_chart.png"), lang=ctx.get("lang", "en"))
    for f in sorted(ctx.run.staged.glob(png.stem + ".*")):
        ctx.run.path(f.name)
    summary["chart"] = png.name
    summary["main_outputs"] = [*summary.get("main_outputs", []), png.name]


cli = build_command("peak", after=_chart)
