"""Recording a study in the results catalog (docs/catalog.md): study, scenarios, years, zones, steps,
variables, indicator definitions, indicators and every output file.

Everything recorded is read from the study folder (the plan, the steps' run folders and their
manifests), never from the running process, so recording the same folder into SQLite and into
PostgreSQL gives the same rows, and re-recording after a resumed run changes nothing that did not
change. Each step's rows are one transaction (``clear_step`` then the new rows).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.provenance import versions
from ..io import read_table
from ..io.atomic import sha256_file
from ..io.catalog import Catalog
from ..models import registry
from .graph import Step, step_dir

_NUM = ("value", "target", "target_hi", "warning", "p_met")


def open_catalog(url: str | None, root: Path, *, schema: str | None = None) -> Catalog:
    """The study's catalog: ``url`` (SQLite path or postgresql://…), else catalog.sqlite in the study folder."""
    return Catalog.open(url or root, schema=schema, create=True)


def _read(p: Path) -> pd.DataFrame:
    """A table the study wrote: text kept as text ("" is the region / observed), numbers and flags typed."""
    df = read_table(p, dtype=str, keep_default_na=False)
    for c in df.columns:
        if c in _NUM:
            df[c] = pd.to_numeric(df[c].replace("", float("nan")))
        elif c == "year":
            df[c] = df[c].astype("int64")
        elif c == "trend_year":
            df[c] = pd.to_numeric(df[c].replace("", float("nan"))).astype("Int64")
        elif c == "trend":
            df[c] = df[c].map({"True": True, "False": False, "true": True, "false": False, "": False})
        elif c in ("status", "direction", "kind"):
            df[c] = df[c].where(df[c] != "", None)
    return df


def _manifest(d: Path) -> dict[str, Any]:
    try:
        return json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _seconds(d: Path, man: dict[str, Any]) -> float | None:
    try:
        s = json.loads((d / "summary.json").read_text(encoding="utf-8")).get("seconds")
        if isinstance(s, int | float):
            return float(s)
    except (OSError, ValueError):
        pass
    try:
        a, b = datetime.fromisoformat(man["started"]), datetime.fromisoformat(man["finished"])
        return (b - a).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


def _kind(step: Step, rel: str) -> tuple[str, str | None]:
    import fnmatch

    if rel in ("manifest.json", "summary.json"):
        return "json", None
    if step.run is None:
        for o in registry.spec(step.model).outputs:
            if fnmatch.fnmatch(rel, o.name):
                return o.kind, o.units
    ext = Path(rel).suffix.lower()
    return {".tif": "raster", ".csv": "table", ".gpkg": "vector", ".json": "json", ".png": "figure",
            ".svg": "figure", ".html": "html"}.get(ext, "file"), None


def _zones(sp: Any, root: Path, variables: pd.DataFrame) -> pd.DataFrame:
    """Zone rows: id, names, area (valid area of the base map) and WGS 84 geometry where a layer has one."""
    import geopandas as gpd

    from ..io import read_vector

    area = variables[(variables["variable"] == "area_total_ha") & (variables["year"] == sp.base)
                     & (variables["scenario"] == "")].set_index("zone")["value"]
    rows: pd.DataFrame
    z = sp.zones
    if z.get("cnmaps") is not None:
        g = read_vector(step_dir(root, "zones") / "zones.gpkg")
        rows = gpd.GeoDataFrame({"zone": g["zone"].astype(str), "name": g["name"].astype(str),
                                 "name_en": g["name_en"].fillna("").astype(str)}, geometry=g.geometry, crs=g.crs)
    elif z.get("file") is not None and Path(z["file"]).suffix.lower() not in (".tif", ".tiff"):
        g = read_vector(z["file"], layer=z.get("layer"))
        key = z.get("field")
        ids = g[key].astype(str) if key else pd.Series([str(i + 1) for i in range(len(g))])
        name = g[z["name_field"]].astype(str) if z.get("name_field") else ids
        name_en = g[z["name_en_field"]].astype(str) if z.get("name_en_field") else pd.Series([""] * len(g))
        rows = gpd.GeoDataFrame({"zone": ids.to_numpy(), "name": name.to_numpy(), "name_en": name_en.to_numpy()},
                                geometry=g.geometry.to_numpy(), crs=g.crs)
        rows = rows.dissolve(by="zone", as_index=False, sort=False) if rows["zone"].duplicated().any() else rows
    else:
        ids = [str(x) for x in area.index if x != ""]
        rows = pd.DataFrame({"zone": ids, "name": ids, "name_en": ""})
    rows = rows.assign(area_ha=[float(area.get(str(x), float("nan"))) for x in rows["zone"]], parent="")
    region = pd.DataFrame([{"zone": "", "name": sp.region or sp.name, "name_en": sp.name_en, "parent": "",
                            "area_ha": float(area.get("", float("nan")))}])
    if isinstance(rows, gpd.GeoDataFrame):
        rows = rows.to_crs(4326)
        return pd.concat([region.assign(geometry=None), pd.DataFrame(rows)], ignore_index=True)
    return pd.concat([region, rows], ignore_index=True)


def study_tables(sp: Any, root: Path, steps: list[Step]) -> dict[str, pd.DataFrame]:
    """The study's merged variables, indicators and definitions: the observed rows once (scenario ""), and
    each scenario's rows of its target years."""
    var, rows, defs = [], [], []
    targets = set(sp.targets)
    for s in steps:
        d = step_dir(root, s.id)
        if s.model == "study.variables" and (d / "variables.csv").is_file():
            v = _read(d / "variables.csv")
            var.append(v if s.scenario is None else v[v["year"].astype(int).isin(targets)])
        if s.model == "indicators" and (d / "indicators.csv").is_file():
            r = _read(d / "indicators.csv")
            rows.append(r if s.scenario is None else r[r["year"].astype(int).isin(targets)])
            defs.append(_read(d / "indicator_defs.csv"))
    v = pd.concat(var, ignore_index=True) if var else pd.DataFrame(columns=["scenario", "zone", "year", "variable",
                                                                            "value", "unit"])
    r = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(r):
        r = r.sort_values(["indicator", "scenario", "zone", "year"], kind="stable").reset_index(drop=True)
    dd = pd.concat(defs, ignore_index=True).drop_duplicates("indicator") if defs else pd.DataFrame()
    v = v.sort_values(["variable", "scenario", "zone", "year"], kind="stable").reset_index(drop=True)
    return {"variables": v, "indicators": r, "indicator_defs": dd}


def record_study(cat: Catalog, sp: Any, root: Path, steps: list[Step], status: dict[str, str], keys: dict[str, str],
                 created: str, tables: dict[str, pd.DataFrame], failed: dict[str, str] | None = None) -> dict[str, int]:
    """Record everything of the study folder; returns the rows written per table."""
    failed = failed or {}
    study = sp.id
    n: dict[str, int] = {}
    with cat.transaction():
        cat.record_study(study, name=sp.name, region=sp.region, plan_hash=sha256_file(sp.path),
                         software_version=versions().get("landcarbon", ""), language=sp.language, created=created)
        n["scenarios"] = cat.record_scenarios(study, [
            {"scenario": sc.id, "name": sc.name or sc.id, "name_en": sc.name_en, "description": sc.description,
             "method": sc.demand} for sc in sp.scenarios.values()]) if sp.scenarios else 0
        years = [{"year": y, "kind": "observed", "is_base": y == sp.base} for y in sp.maps]
        years += [{"year": y, "kind": "target", "is_base": False} for y in sp.targets if y not in sp.maps]
        n["years"] = cat.record_years(study, years)
        v = tables["variables"]
        if len(v) or sp.zones:
            n["zones"] = cat.record_zones(study, _zones(sp, root, v))
    n.update(steps=0, variables=0, indicators=0, outputs=0, indicator_defs=0)
    for s in steps:
        d = step_dir(root, s.id)
        st = status.get(s.id)
        if st not in ("ran", "cached") and s.id not in failed:
            continue
        man = _manifest(d)
        with cat.transaction():
            cat.clear_step(study, s.id)
            version = man.get("model_version") or ("1" if s.run is not None else registry.spec(s.model).version)
            cat.record_step(study, s.id, model=s.model, model_version=str(version), scenario=s.scenario or "",
                            year=s.year, status="failed" if s.id in failed else "done",
                            cache_key=keys.get(s.id, ""), out_dir=os.path.relpath(d, root),
                            started=man.get("started"), finished=man.get("finished"), seconds=_seconds(d, man),
                            message=failed.get(s.id, ""))
            n["steps"] += 1
            if s.id in failed or not d.is_dir():
                continue
            outs = []
            for f in sorted(d.rglob("*")):
                if f.is_file():
                    rel = f.relative_to(d).as_posix()
                    kind, units = _kind(s, rel)
                    outs.append({"path": f.relative_to(root).as_posix(), "kind": kind, "units": units or ""})
            n["outputs"] += cat.record_outputs(study, s.id, outs, root=root)
            if s.model == "study.variables":
                part = v[v["scenario"] == (s.scenario or "")]
                if len(part):
                    n["variables"] += cat.record_variables(study, part, source_step=s.id)
            if s.model == "indicators":
                r = tables["indicators"]
                part = r[r["scenario"] == (s.scenario or "")] if len(r) else r
                if len(part):
                    n["indicators"] += cat.record_indicators(study, part, source_step=s.id)
    if len(tables["indicator_defs"]):
        n["indicator_defs"] = cat.record_indicator_defs(study, tables["indicator_defs"])
    return n


__all__ = ["open_catalog", "record_study", "study_tables"]
