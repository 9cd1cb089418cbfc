"""``landcarbon stock``: carbon storage, change and value of land-use maps (options from
``models.carbon_stock.SPEC``; methods.md §2)."""

from __future__ import annotations

from typing import Any

from .specgen import build_command


def _lines(summary: dict[str, Any]) -> list[str]:
    """Stock of each map, each change (and its NPV), the main outputs and the run folder."""
    lines = [f"{m['label']}: {m['total_MgC']:,.2f} Mg C" for m in summary.get("maps", [])]
    for c in summary.get("changes", []):
        npv = "" if c.get("npv") is None else f", NPV {c['npv']:,.2f} CNY (price year {c['price_year']})"
        lines.append(f"{c['from_label']} -> {c['to_label']}: {c['change_MgC']:+,.2f} Mg C{npv}")
    outs = summary.get("main_outputs") or []
    if outs:
        lines.append("outputs: " + ", ".join(outs))
    lines.append(f"written to {summary.get('out')}")
    return lines


cli = build_command("carbon_stock", formatter=_lines)
