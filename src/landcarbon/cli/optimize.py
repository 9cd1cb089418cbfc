"""``landcarbon optimize``: land-structure optimisation → a demand table for ``landcarbon simulate``
(generated from the model's spec; the Pareto chart drawn by the report layer, in the language asked for)."""

from __future__ import annotations

from typing import Any

from .specgen import build_command


def _pareto_chart(ctx: Any, summary: dict) -> None:
    if not ctx.get("charts") or not (ctx.run.staged / "pareto_front.csv").exists():
        return
    from ..report.charts_plan import pareto_png

    pareto_png(ctx.run.staged / "pareto_front.csv", ctx.run.path("pareto_front.png"), units=summary.get("units"),
               lang=ctx.get("lang"))
    if (ctx.run.staged / "pareto_front.svg").exists():
        ctx.run.path("pareto_front.svg")


cli = build_command("optimize", after=_pareto_chart)
