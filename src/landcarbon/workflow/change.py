"""``landcarbon change`` step: two maps -> transition matrix, gains/losses, dynamic degree (methods.md §7.1–7.2).

The runner resolves, validates and hashes the inputs and stages the run folder; this step reads the
maps, zones and class scheme once, computes and writes the tables. The Sankey chart is drawn after
the step by the report layer (``draw_sankey`` with the renderer the command passes in: workflow
never imports report).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.classes import ClassScheme
from ..core.grid import grid_of
from ..core.spec import Issue
from ..io import align_to, read_table
from ..io.inputs import load_scheme, load_zones
from ..models import change as _ch
from .runner import RunContext, run_model


def scheme_colours(codes: Sequence[int], scheme: ClassScheme | None) -> list[str] | None:
    if scheme is None or not all(c in scheme for c in codes):
        return None
    return [scheme[c].colour for c in codes]


def _names(values: Sequence[Any]) -> list[str | None]:
    return [Path(str(v)).name if isinstance(v, str | os.PathLike) else None for v in values]


def check(ctx: RunContext) -> list[Issue]:
    issues = []
    n = len(ctx["landuse"])
    if n != 2:
        issues.append(Issue("landuse", f"found {n} map(s); expected two, the map at t1 then the map at t2"))
    years = ctx["years"]
    if years and len(years) != 2:
        issues.append(Issue("years", f"found {len(years)} years ({', '.join(map(str, years))}); expected two, one "
                                     f"per map, oldest first (e.g. 2005 2010)"))
    order, _ = _ch.name_order_issue("landuse", _names(ctx["landuse"]), years)
    if order is not None:
        issues.append(order)
    if ctx.given("lc_count") and not years:
        issues.append(Issue("lc_count", "the comprehensive dynamic degree needs the years of the two maps, so "
                                        "⟨lc_count⟩ would do nothing; give ⟨years⟩ or drop ⟨lc_count⟩"))
    if ctx.get("scheme") is not None:
        issues += _ch.issues_of(load_scheme, ctx["scheme"])
    return issues


def execute(ctx: RunContext) -> dict[str, Any]:
    sch = load_scheme(ctx["scheme"]) if ctx.get("scheme") is not None else None
    lang = ctx["lang"]
    years = tuple(ctx["years"]) if ctx["years"] else None
    _, differ = _ch.name_order_issue("landuse", _names(ctx["landuse"]), years or ())
    if differ:
        ctx.warn(differ)
    m1, m2 = ctx.raster("landuse", index=0), ctx.raster("landuse", index=1)
    if ctx["align"] and grid_of(m2) != grid_of(m1):
        m2 = align_to(m2, m1)
        ctx.warn("the t2 map was resampled onto the grid of the t1 map (nearest neighbour)")
    zdata = names = None
    if ctx.get("zones") is not None:
        zdata, names = load_zones(ctx["zones"], field=ctx.get("zone_field"), layer=ctx.get("zone_layer"), like=m1,
                                  align=ctx["align"])
    with ctx.progress.step("transition matrix", total=1) as advance, ctx.manifest.timed("compute"):
        tt = _ch.transition_matrix(m1, m2, zones=zdata, zone_names=names, years=years, scheme=sch)
        cc = _ch.class_change(tt, years=years, lang=lang)
        dd = _ch.dynamic_degree(tt, years=years, lc_count=ctx["lc_count"])
        advance(1)
    cell_ha = float(tt.area_ha.sum() / tt.total_cells)
    for nm, n in _ch.left_out(tt.excluded, m1.size, tt.total_cells, ["map1", "map2"]).items():
        which = "t1" if nm == "map1" else "t2"
        other = "t2" if nm == "map1" else "t1"
        ctx.warn(f"{n:,} cells valid in the {which} map are nodata in the {other} map and were left out of the "
                 f"transition matrix", area_ha=n * cell_ha if np.isfinite(cell_ha) else None)
    if sch is not None:
        missing = [c for c in tt.codes if c not in sch]
        if missing:
            ctx.warn(f"class codes {missing} of the maps are not in the class scheme {sch.name}; they are labelled "
                     f"by their code")
    for unit in ("cells", "ha", "km2"):
        ctx.run.write_table(tt.matrix(unit, lang=lang), f"transition_matrix_{unit}.csv", index=True)
    ctx.run.write_table(tt.long(lang=lang), "transitions_long.csv")
    ctx.run.write_table(cc, "class_change.csv")
    ctx.run.write_table(dd, "dynamic_degree.csv")
    for i, role in ((0, "from"), (1, "to")):  # the manifest names each map's role
        for row in ctx.manifest.inputs:
            if row["role"] == "landuse" and str(row["path"]) == str(ctx["landuse"][i]):
                row.update(role=role, key="landuse", index=i)
                break
    overall = dd.iloc[0]
    small = cc[(cc.zone == _ch.ALL) & (cc.K_flag != "")]
    if len(small):
        ctx.manifest.notes.append(f"single dynamic degree flagged for classes {small.code.tolist()} "
                                  f"(new or < 0.5 % of the area; see K_flag)")
    pairs = tt.long()
    pairs = pairs[(pairs.zone == _ch.ALL) & pairs.changed].nlargest(5, "cells")
    lc = None if overall["LC_pct_per_year"] != overall["LC_pct_per_year"] else float(overall["LC_pct_per_year"])
    changed_share = float(overall["changed_share"])
    headline = [{"label": "cells compared", "value": tt.total_cells, "unit": "cells"},
                {"label": "area compared", "value": float(overall["area_ha"]), "unit": "ha"},
                {"label": "changed", "value": round(changed_share * 100, 4), "unit": "%"}]
    if lc is not None:
        headline.append({"label": f"comprehensive dynamic degree ({ctx['lc_count']})", "value": lc, "unit": "%/a"})
    return {
        "headline": headline,
        "main_outputs": ["transition_matrix_ha.csv", "class_change.csv", "dynamic_degree.csv"]
        + (["sankey.html"] if ctx["sankey"] else []),
        "codes": list(tt.codes), "years": list(years) if years else None,
        "common_valid_cells": tt.total_cells, "area_ha": float(overall["area_ha"]),
        "changed_cells": int(tt.total_cells - np.trace(tt.counts.sum(axis=0))),
        "changed_share": changed_share, "LC_pct_per_year": lc, "lc_count": ctx["lc_count"],
        "excluded_cells": tt.excluded, "zones": list(tt.zone_names), "lang": lang,
        "labels": [_ch.class_label(c, sch, lang) for c in tt.codes],
        "labels_en": [_ch.class_label(c, sch, "en") for c in tt.codes],
        "colours": scheme_colours(tt.codes, sch),
        "sankey_unit": "ha" if np.isfinite(tt.area_ha).all() else "cells",
        "largest_transitions": [{"from": int(r.from_code), "to": int(r.to_code), "cells": int(r.cells),
                                 "area_ha": float(r.area_ha)} for r in pairs.itertuples()],
    }


def draw_sankey(ctx: RunContext, summary: dict[str, Any], render: Callable[..., Any]) -> None:
    """Draw sankey.png and sankey.html into the staged run folder with ``render`` (report.sankey.render),
    from the staged transition matrix; nothing when the sankey input is off."""
    if not ctx["sankey"]:
        return
    unit = summary["sankey_unit"]
    tbl = read_table(ctx.run.staged / f"transition_matrix_{unit}.csv", index_col=0)
    core = tbl.drop(index="total_t2", errors="ignore").drop(columns="total_t1", errors="ignore")
    years = tuple(summary["years"]) if summary.get("years") else None
    render(core.to_numpy(dtype=float), summary["labels"], ctx.run.path("sankey.png"), ctx.run.path("sankey.html"),
           colours=summary["colours"], years=years, unit=unit, lang=summary["lang"], table=tbl,
           fallback_labels=summary["labels_en"])
    if (ctx.run.staged / "sankey.svg").is_file():  # the renderer writes an SVG beside the PNG
        ctx.run.path("sankey.svg")


def run_change(map_from: str | os.PathLike, map_to: str | os.PathLike, out: str | os.PathLike, *,
               years: tuple[int, int] | None = None, zones: str | os.PathLike | None = None,
               zone_field: str | None = None, scheme: str | ClassScheme | None = None, align: bool = False,
               lc_count: str = "loss", lang: str = "en", render_sankey: Callable[..., Any] | None = None,
               overwrite: bool = True, scheduler: str | None = None) -> dict[str, Any]:
    """Change analysis of two maps into the run folder ``out`` (the ``change`` model; see its spec for
    the files). With ``render_sankey`` (e.g. ``landcarbon.report.sankey.render``) also sankey.png and
    sankey.html."""
    values = {"landuse": [map_from, map_to], "years": list(years) if years else None, "zones": zones,
              "zone_field": zone_field, "scheme": scheme, "align": align, "lc_count": lc_count, "lang": lang,
              "sankey": render_sankey is not None, "scheduler": scheduler}
    finish = None if render_sankey is None else (lambda ctx, s: draw_sankey(ctx, s, render_sankey))
    return run_model("change", values, out=out, overwrite=overwrite, scheduler=scheduler, finish=finish)


__all__ = ["check", "draw_sankey", "execute", "run_change", "scheme_colours"]
