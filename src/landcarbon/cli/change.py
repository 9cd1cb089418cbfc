"""``landcarbon change``: transition matrix, gains/losses, dynamic degree and Sankey chart (methods.md §7.1–7.2).

Options come from the ``change`` spec; the Sankey chart is drawn by ``landcarbon.report.sankey`` into
the staged run folder after the model's step.
"""

from __future__ import annotations

from typing import Any

from .specgen import build_command, summary_lines


def _sankey(ctx: Any, summary: dict[str, Any]) -> None:
    from ..report.sankey import render
    from ..workflow.change import draw_sankey

    draw_sankey(ctx, summary, render)


def _lines(s: dict[str, Any]) -> list[str]:
    msg = f"{s['common_valid_cells']:,} cells compared; {s['changed_share']:.2%} changed"
    if s["LC_pct_per_year"] is not None:
        msg += f"; comprehensive dynamic degree {s['LC_pct_per_year']:.3f} %/a ({s['lc_count']})"
    return [msg, *summary_lines({**s, "headline": []})]


cli = build_command("change", formatter=_lines, after=_sankey)
