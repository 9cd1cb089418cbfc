"""``landcarbon change`` run: two maps -> transition matrix, gains/losses, dynamic degree, Sankey.

Maps, zones and class schemes are read by :mod:`landcarbon.io.inputs` (``load_maps`` is re-exported
here for callers of the old name).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.classes import ClassScheme
from ..io.inputs import load_maps, load_scheme, load_zones
from ..models import change as _ch
from .common import RunFolder, dask_client


# --------------------------------------------------------------------------------------------
# inputs: resolved by landcarbon.io.inputs (shared with the demand and validate runs)
# --------------------------------------------------------------------------------------------
def resolve_scheme(scheme: str | ClassScheme | None) -> ClassScheme | None:
    """A built-in scheme name, a scheme table (CSV/XLSX: code, group, names, colour) or None."""
    return None if scheme is None else load_scheme(scheme)


def zones_on(like: Any, zones: str | os.PathLike | None, zone_field: str | None) -> tuple[Any, Any]:
    """Zones (vector or raster of zone ids) on ``like``'s grid: (zone raster 1..n, names) or (None, None)."""
    if zones is None and zone_field is None:
        return None, None
    return load_zones(zones, field=zone_field, like=like)


def scheme_colours(codes: Sequence[int], scheme: ClassScheme | None) -> list[str] | None:
    if scheme is None or not all(c in scheme for c in codes):
        return None
    return [scheme[c].colour for c in codes]


def _path_of(da: Any) -> str | None:
    return da.attrs.get("source_path")


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
def run_change(map_from: str | os.PathLike, map_to: str | os.PathLike, out: str | os.PathLike, *,
               years: tuple[int, int] | None = None, zones: str | os.PathLike | None = None,
               zone_field: str | None = None, scheme: str | ClassScheme | None = None, align: bool = False,
               lc_count: str = "loss", lang: str = "en", render_sankey: Callable[..., Any] | None = None,
               overwrite: bool = True, scheduler: str | None = None) -> dict[str, Any]:
    """Change analysis of two maps; writes into the folder ``out``:

    transition_matrix_cells.csv / _ha.csv / _km2.csv (rows = from t1, columns = to t2, with totals),
    transitions_long.csv (every unit and pair: cells, area_ha, area_km2), class_change.csv (gain,
    loss, net, swap in ha; single dynamic degree K in %/a), dynamic_degree.csv (LC in %/a),
    summary.json and manifest.json; with ``render_sankey`` (e.g. ``landcarbon.report.sankey.render``,
    passed in by the CLI because workflow may not import report) also sankey.png and sankey.html.
    """
    sch = resolve_scheme(scheme)
    with RunFolder(out, "change", overwrite=overwrite) as run, dask_client(scheduler):
        run.manifest.model, run.manifest.model_version = _ch.SPEC.id, _ch.SPEC.version
        run.manifest.parameters.update({"years": list(years) if years else None, "zone_field": zone_field,
                                        "scheme": None if sch is None else sch.name, "align": align,
                                        "lc_count": lc_count, "lang": lang})
        with run.manifest.timed("read"):
            m1, m2 = load_maps([map_from, map_to], align=align, roles=["from", "to"])
            run.add_input("from", map_from, nodata=m1.rio.nodata, dtype=str(m1.dtype))
            run.add_input("to", map_to, nodata=m2.rio.nodata, dtype=str(m2.dtype))
            zdata, ztable = zones_on(m1, zones, zone_field)
            if zones is not None:
                run.add_input("zones", zones, field=zone_field)
        with run.manifest.timed("compute"):
            tt = _ch.transition_matrix(m1, m2, zones=zdata, zone_names=ztable, years=years, scheme=sch)
            cc = _ch.class_change(tt, years=years, lang=lang)
            dd = _ch.dynamic_degree(tt, years=years, lc_count=lc_count)
        with run.manifest.timed("write"):
            for unit in ("cells", "ha", "km2"):
                run.write_table(tt.matrix(unit, lang=lang), f"transition_matrix_{unit}.csv", index=True)
            run.write_table(tt.long(lang=lang), "transitions_long.csv")
            run.write_table(cc, "class_change.csv")
            run.write_table(dd, "dynamic_degree.csv")
            labels = [_ch.class_label(c, sch, lang) for c in tt.codes]
            cols = scheme_colours(tt.codes, sch)
            if render_sankey is not None:
                area, unit = tt.area_ha.sum(axis=0), "ha"
                if not np.isfinite(area).all():
                    area, unit = tt.counts.sum(axis=0).astype(float), "cells"
                render_sankey(area, labels, run.path("sankey.png"), run.path("sankey.html"), colours=cols,
                              years=years, unit=unit, lang=lang, table=tt.matrix(unit, lang=lang),
                              fallback_labels=[_ch.class_label(c, sch, "en") for c in tt.codes])
        overall = dd.iloc[0]
        small = cc[(cc.zone == _ch.ALL) & (cc.K_flag != "")]
        if len(small):
            run.manifest.notes.append(f"single dynamic degree flagged for classes {small.code.tolist()} "
                                      f"(new or < 0.5 % of the area; see K_flag)")
        pairs = tt.long()
        pairs = pairs[(pairs.zone == _ch.ALL) & pairs.changed].nlargest(5, "cells")
        run.summary = {
            "codes": list(tt.codes), "years": list(years) if years else None,
            "common_valid_cells": tt.total_cells, "area_ha": float(overall["area_ha"]),
            "changed_cells": int(tt.total_cells - np.trace(tt.counts.sum(axis=0))),
            "changed_share": float(overall["changed_share"]),
            "LC_pct_per_year": None if overall["LC_pct_per_year"] != overall["LC_pct_per_year"]
            else float(overall["LC_pct_per_year"]), "lc_count": lc_count,
            "excluded_cells": tt.excluded, "zones": list(tt.zone_names), "lang": lang,
            "labels": labels, "colours": cols,
            "largest_transitions": [{"from": int(r.from_code), "to": int(r.to_code), "cells": int(r.cells),
                                     "area_ha": float(r.area_ha)} for r in pairs.itertuples()],
        }
        return run.summary


__all__ = ["load_maps", "resolve_scheme", "run_change", "scheme_colours", "zones_on"]
