"""Inputs of the simulation step: read once per run (``run_memo``), and every cheap check before the
random forests are fitted (options that would do nothing or that the out-of-core run does not
support, driver, rule and control-line names, the demand table, the restriction raster, the
transition matrix, the class scheme's and the pools table's coverage of the maps)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from ...core.classes import GROUPS
from ...core.errors import InputValidationError, LandcarbonError
from ...core.grid import grid_of, row_areas_ha
from ...core.spec import Column, Issue
from ...core.validation import did_you_mean
from ...io import align_to
from ...io.inputs import load_lines, load_scheme, load_zones
from ...io.resolve import find_column, is_raster_path
from ...models.simulate import DEFAULT_RULES, REDLINE_SOFT, parse_demand
from ...models.simulate.drivers import valid_mask
from ...models.simulate.rules import check_rules, transition_matrix
from ...models.simulate.spec import OUT_OF_CORE_KEYS, OUT_OF_CORE_ONLY, RULE_NAMES

_DRIVER_FLAGS = ("categorical", "dem", "continuous")
_VECTOR = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml", ".gml")
_MEMO: WeakKeyDictionary = WeakKeyDictionary()


# -- helpers shared with the out-of-core run (workflow.simulate_zoned imports them) ---------------------------------
def parse_driver(spec: str) -> tuple[str, Path, set[str]]:
    """``PATH[:categorical][:dem]`` -> (name, path, flags); the name is the file stem."""
    flags: set[str] = set()
    rest = spec
    while True:
        head, sep, tail = rest.rpartition(":")
        if sep and tail.lower() in _DRIVER_FLAGS and head:
            flags.add(tail.lower())
            rest = head
        else:
            break
    p = Path(rest)
    return p.stem, p, flags


def dem_driver(specs: Sequence[tuple[str, Path, set[str]]]) -> str | None:
    """The DEM among the drivers: the first with ``:dem``; else the first whose file name has the
    word ``dem`` (split at non-letters: ``wh_df_dem.tif``, ``dem.tif``, ``DEM_30m.tif``)."""
    for name, _, flags in specs:
        if "dem" in flags:
            return name
    for name, _, flags in specs:
        if "categorical" not in flags and "dem" in re.split(r"[^a-z]+", name.lower()):
            return name
    return None


def resolve_outputs(out: Sequence[str]) -> tuple[list[Path], bool, Path]:
    """``out`` as one folder, or one .tif per target year (tables then go to ``<first>_run/``)."""
    outs = [Path(o) for o in out]
    if not outs:
        raise InputValidationError([Issue("out", "no output was given; expected a folder, or one .tif per target "
                                                 "year")])
    tif_out = all(o.suffix.lower() in (".tif", ".tiff") for o in outs)
    if not tif_out and len(outs) > 1:
        raise InputValidationError([Issue("out", f"found {len(outs)} outputs that are not all .tif files; expected "
                                                 f"one output folder, or one .tif per target year")])
    return outs, tif_out, (outs[0].parent / f"{outs[0].stem}_run") if tif_out else outs[0]


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


# -- values ----------------------------------------------------------------------------------------------------------
def run_memo(ctx) -> dict:
    """What this run has read so far (kept on the run's resolver, so check and execute share it)."""
    return _MEMO.setdefault(ctx.resolver, {})


def is_path(v: Any) -> bool:
    return isinstance(v, str | os.PathLike)


def _name(v: Any, i: int) -> str:
    return Path(str(v)).stem if is_path(v) else str(getattr(v, "name", None) or f"driver{i + 1}")


def is_ooc(ctx) -> bool:
    return any(ctx.given(k) for k in OUT_OF_CORE_KEYS)


def driver_list(ctx) -> list[tuple[str, Any, bool]]:
    """(name, value, categorical) in model order: the drivers, the DEM if not among them, the categorical ones."""
    out = [(_name(v, i), v, False) for i, v in enumerate(ctx.get("drivers", []))]
    dem = ctx.get("dem")
    if dem is not None and not any(same_file(dem, v) for _, v, _ in out):
        out.append((_name(dem, len(out)), dem, False))
    out += [(_name(v, len(out) + i), v, True) for i, v in enumerate(ctx.get("categorical_drivers", []))]
    return out


def same_file(a: Any, b: Any) -> bool:
    return a is b or (is_path(a) and is_path(b) and Path(a).resolve() == Path(b).resolve())


def dem_name(ctx) -> str | None:
    dem = ctx.get("dem")
    if dem is not None:
        return _name(dem, 0) if is_path(dem) else next(n for n, v, _ in driver_list(ctx) if v is dem)
    return dem_driver([(n, Path(str(v)), {"categorical"} if c else set()) for n, v, c in driver_list(ctx)])


def layer(ctx, value: Any, key: str, categorical: bool) -> Any:
    """A raster read once per run (numpy-backed), or an in-memory DataArray as given."""
    if not is_path(value):
        return value
    return ctx.resolver.raster(value, categorical=categorical, name=key, chunks=None)


def start_maps(ctx) -> dict[str, Any]:
    """Start and calibration maps (aligned onto the start map with ``align``), class codes, valid masks."""
    memo = run_memo(ctx)
    if "maps" not in memo:
        start = layer(ctx, ctx["landuse"], "landuse", True)
        out = {"landuse": start}
        for key in ("calibrate_from", "calibrate_to"):
            da = layer(ctx, ctx[key], key, True)
            out[key] = align_to(da, start) if ctx.get("align") else da
        valid = {k: valid_mask(da, np.asarray(da.values)) for k, da in out.items()}
        start_codes = np.unique(np.asarray(start.values)[valid["landuse"]])
        codes = np.unique(np.concatenate([start_codes] + [np.unique(np.asarray(out[k].values)[valid[k]])
                                                          for k in ("calibrate_from", "calibrate_to")]))
        memo["maps"] = {**out, "valid": valid["landuse"], "codes": [int(c) for c in codes],
                        "start_codes": [int(c) for c in start_codes]}
    return memo["maps"]


def zone_layers(ctx) -> tuple[Any, Any, list[str]]:
    """(zones 1..n, the zones with their own ids, names) on the start grid, or Nones."""
    memo = run_memo(ctx)
    if "zones" not in memo:
        if ctx.get("zones") is None:
            memo["zones"] = (None, None, [])
        else:
            start = start_maps(ctx)["landuse"]
            z, names = load_zones(ctx["zones"], field=ctx.get("zone_field"), layer=ctx.get("zone_layer"), like=start,
                                  align=bool(ctx.get("align")))
            ids = np.asarray([0, *z.attrs["zone_ids"]], dtype=np.int64)
            memo["zones"] = (z, z.copy(data=ids[np.asarray(z.values)]), names)
    return memo["zones"]


def line_masks(ctx) -> dict[str, Any]:
    """The control lines as boolean masks on the start grid (``io.inputs.load_lines``; rasters read once)."""
    memo = run_memo(ctx)
    if "lines" not in memo:
        vals = {n: (layer(ctx, p, n, True) if is_path(p) and is_raster_path(p) else p) for n, p in ctx.get("lines", [])}
        memo["lines"] = load_lines(vals, like=start_maps(ctx)["landuse"], align=bool(ctx.get("align")))
    return memo["lines"]


def demand_table(ctx) -> pd.DataFrame:
    """The demand table (the chosen sheet) with canonical column names code, cells, year, zone."""
    memo = run_memo(ctx)
    if "demand" not in memo:
        df = ctx.table("demand").dropna(how="all")
        ren = {}
        for c in ("code", "cells", "year", "zone"):
            col = find_column(df.columns, Column(c))
            if col is not None:
                ren[col] = c
        memo["demand"] = df.rename(columns=ren)
    return memo["demand"]


def rule_table(ctx) -> tuple[str, pd.DataFrame | None]:
    """(label, rule table or None): the built-in tables by name, or the table given."""
    r = ctx.get("rules")
    if isinstance(r, pd.DataFrame):
        return "table", r
    if r is None or (str(r).lower() in RULE_NAMES and not Path(str(r)).suffix):
        name = "default" if r is None else str(r).lower()
        return name, {"default": DEFAULT_RULES, "soft-redline": REDLINE_SOFT, "none": None}[name]
    if not (Path(str(r)).suffix or "/" in str(r) or os.sep in str(r)):
        return "unknown", None                         # neither a built-in name nor a table path
    if "rules_table" not in run_memo(ctx):
        run_memo(ctx)["rules_table"] = ctx.table("rules")
    return "table", run_memo(ctx)["rules_table"]


def _tokens(sel: Any) -> list[str]:
    s = str(sel).strip()
    return [t.strip() for t in s.removeprefix("!").split("|") if t.strip() and s.lower() != "nan"]


def _is_group(tok: str) -> bool:
    return tok.lower() in GROUPS or tok.lower() in ("built-up", "builtup")


# -- checks ----------------------------------------------------------------------------------------------------------
def check_inputs(ctx) -> list[Issue]:
    issues = _check_options(ctx) + _check_drivers(ctx) + _check_calibration(ctx)
    groups_needed, rule_issues = _check_rules(ctx)
    issues += rule_issues + _check_demand_table(ctx)
    if issues or is_ooc(ctx):
        return issues
    return _check_maps(ctx, groups_needed)


def _check_options(ctx) -> list[Issue]:
    issues = []
    ooc = is_ooc(ctx)
    off = "the out-of-core run (⟨tiles⟩, ⟨zone_size⟩ or ⟨out_of_core⟩)"
    if ctx.given("out_of_core") and not (ctx.given("zones") or ctx.given("tiles") or ctx.given("zone_size")):
        issues.append(Issue("out_of_core", "needs zones: a zone raster (⟨zones⟩), ⟨tiles⟩ or ⟨zone_size⟩"))
    if ooc:
        for key, what in (("align", "every layer must be on the start grid: resample first (e.g. gdalwarp)"),
                          ("pools", "compute the scenario carbon afterwards with the stock model"),
                          ("balanced", "the sample is drawn window by window"),
                          ("potential", "it writes no development-potential rasters: switch ⟨potential⟩ off")):
            if ctx.get(key):
                issues.append(Issue(key, f"is not available in {off}; {what}, or run in memory"))
        z = ctx.get("zones")
        if z is not None and is_path(z) and not is_raster_path(z):
            issues.append(Issue("zones", f"{Path(z).name}: {off} reads zones as an integer raster on the start "
                                         f"grid; rasterise the vector first (e.g. gdal_rasterize) or run in memory"))
        for key in ("zone_field", "zone_layer"):
            if ctx.given(key):
                issues.append(Issue(key, f"is not available in {off}, which reads zones as a raster"))
        for name, path in ctx.get("lines", []):
            if is_path(path) and Path(path).suffix.lower() in _VECTOR:
                issues.append(Issue("lines", f"{name}: {off} reads control lines as rasters on the start grid "
                                             f"(non-zero = inside); rasterise {Path(path).name} first or run in memory"))
        if ctx.given("scheduler") and ctx.given("zone_workers"):
            issues.append(Issue("zone_workers", "would do nothing with ⟨scheduler⟩: the cluster runs the zones"))
    else:
        for key in OUT_OF_CORE_ONLY:
            if ctx.given(key):
                issues.append(Issue(key, f"would do nothing: it applies to {off} only"))
    for key, need in (("zone_field", "zones"), ("zone_layer", "zones"), ("develop_class", "restrict"),
                      ("transition_orientation", "transition"), ("pools_sheet", "pools"),
                      ("transition_sheet", "transition"), ("demand_sheet", None), ("rules_sheet", "rules")):
        if need and ctx.given(key) and not ctx.given(need):
            issues.append(Issue(key, f"would do nothing without ⟨{need}⟩; give ⟨{need}⟩ or drop it"))
    return issues


def _check_drivers(ctx) -> list[Issue]:
    issues = []
    drv = driver_list(ctx)
    names = [n for n, _, _ in drv]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        issues.append(Issue("drivers", f"driver names {dups} repeat (a driver is named by its file stem); rename a "
                                       f"file so every driver has its own name"))
    dem = ctx.get("dem")
    if dem is not None and any(same_file(dem, v) for v in ctx.get("categorical_drivers", [])):
        issues.append(Issue("dem", "is also given as a categorical driver; a DEM is continuous"))
    has_dem = dem_name(ctx) is not None
    if ctx.get("slope") is False and not has_dem:      # (a flag switched off from its default True)
        issues.append(Issue("slope", "would do nothing: no driver is a DEM (give ⟨dem⟩, or a driver whose file "
                                     "name has the word dem)"))
    if ctx.get("slope") and has_dem and "slope" in names:
        issues.append(Issue("drivers", "a driver is named 'slope' and slope is also added from the DEM; rename that "
                                       "driver, or switch ⟨slope⟩ off"))
    for _, v, cat in drv:
        if cat and is_path(v) and Path(v).is_file() and not is_ooc(ctx):
            try:                                       # read once (kept for execute): class codes expected
                layer(ctx, v, "categorical_drivers", True)
            except InputValidationError as err:
                issues.append(Issue("categorical_drivers", f"{Path(v).name}: {err}"))
    if ctx.get("neighbourhood", 3) % 2 == 0:
        issues.append(Issue("neighbourhood", f"found {ctx['neighbourhood']}; expected an odd window size (3, 5, 7 …)"))
    return issues


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")


def year_of(v: Any) -> int | None:
    years = set(_YEAR.findall(Path(str(v)).stem)) if is_path(v) else set()
    return int(years.pop()) if len(years) == 1 else None


def _check_calibration(ctx) -> list[Issue]:
    a, b = ctx.get("calibrate_from"), ctx.get("calibrate_to")
    if a is None or b is None:
        return []
    if same_file(a, b):
        return [Issue("calibrate_to", "is the same map as ⟨calibrate_from⟩: LEAS learns from the change between two "
                                      "different maps; give an older map as ⟨calibrate_from⟩")]
    ya, yb = year_of(a), year_of(b)
    if ya is not None and yb is not None and ya > yb:
        return [Issue("calibrate_from", f"{Path(a).name} ({ya}) is later than {Path(b).name} ({yb}) of "
                                        f"⟨calibrate_to⟩ (years from the file names); expected the older map first: "
                                        f"swap them")]
    return []


def _check_rules(ctx) -> tuple[bool, list[Issue]]:
    """(do the rules that apply name land-use groups?, issues) — names and selectors of the rules and lines."""
    label, table = rule_table(ctx)
    lines = [n for n, _ in ctx.get("lines", [])]
    if table is None:
        if label != "none" and ctx.get("rules") is not None:
            return False, [Issue("rules", f"found {ctx['rules']!r}; expected one of {', '.join(RULE_NAMES)} or a "
                                          f"rule table (CSV/XLSX){did_you_mean(ctx['rules'], RULE_NAMES)}")]
        if lines:
            return False, [Issue("lines", "would do nothing: ⟨rules⟩ is none, so control lines constrain nothing; "
                                          "drop them or choose rules")]
        return False, []
    try:
        df = check_rules(table)
    except InputValidationError as err:
        return False, [Issue("rules", str(err))]
    known = [str(x) for x in dict.fromkeys(df["line"]) if str(x)]
    issues = []
    for n in lines:
        if n not in known:
            what = f"the {label} rules" if label != "table" else "the rule table"
            issues.append(Issue("lines", f"control line {n!r} is not named by {what} (their lines: "
                                         f"{', '.join(known)}){did_you_mean(n, known)}; rename it, or give a rule "
                                         f"table that names it"))
    if label == "table":
        absent = [n for n in known if n not in lines]
        if absent:
            issues.append(Issue("lines", f"the rule table names control lines {absent} that were not given; give "
                                         f"each as NAME=PATH (e.g. {absent[0]}=mask.tif)"))
    elif not lines and ctx.given("rules"):
        issues.append(Issue("rules", f"would do nothing: the {label} rules apply to control lines, and no ⟨lines⟩ "
                                     f"were given"))
    needed = False
    for r in df[df["line"].isin(lines)].rename(columns={"from": "frm"}).itertuples(index=False):
        for sel in (r.frm, r.to):
            for tok in _tokens(sel):
                if tok.lower() in ("any", "all", "*"):
                    continue
                if _is_group(tok):
                    needed = True
                    continue
                try:
                    int(float(tok))
                except ValueError:
                    issues.append(Issue("rules", f"rule {r.line}/{r.applies}/{r.action}: selector {tok!r} is "
                                                 f"neither any, a group ({', '.join(GROUPS)}) nor a class code"
                                                 f"{did_you_mean(tok, GROUPS)}"))
    return needed, issues


def _rows(df: pd.DataFrame, mask: Any) -> str:
    """Row numbers of the table file (the header is row 1)."""
    idx = [int(i) + 2 for i in df.index[np.asarray(mask)]]
    return ", ".join(map(str, idx[:10])) + (f" … ({len(idx)} rows)" if len(idx) > 10 else "")


def _check_demand_table(ctx) -> list[Issue]:
    if ctx.get("demand") is None:
        return []
    df = demand_table(ctx)
    issues = []
    for c, what in (("code", "integer class codes"), ("cells", "whole, non-negative pixel counts"),
                    ("year", "integer years")):
        if c not in df.columns:
            continue
        x = pd.to_numeric(df[c], errors="coerce")
        bad = x.isna() | (x != x.round()) | ((x < 0) if c == "cells" else False)
        if bad.any():
            issues.append(Issue("demand", f"column {c} holds {sorted(map(str, df[c][bad].unique()))[:5]} in rows "
                                          f"{_rows(df, bad)}; expected {what}"
                                          f"{' (round the demand: largest remainders keep the total)' if c == 'cells' else ''}"))
    if issues:
        return issues
    keys = [c for c in ("year", "zone", "code") if c in df.columns]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        issues.append(Issue("demand", f"rows {_rows(df, dup)} repeat the same {', '.join(keys)} (e.g. "
                                      f"{', '.join(f'{k} {first[k]}' for k in keys)}); give each once"))
    if not is_ooc(ctx):
        if ctx.get("zones") is not None and "zone" not in df.columns:
            issues.append(Issue("demand", "has no zone column but ⟨zones⟩ were given; give one demand per zone "
                                          "(columns zone, code, cells)"))
        if ctx.get("zones") is None and "zone" in df.columns:
            issues.append(Issue("demand", "has a zone column but no ⟨zones⟩ were given; give the zones, or one "
                                          "regional demand without the zone column"))
    y0 = year_of(ctx.get("landuse"))
    if "year" in df.columns and y0 is not None:
        years = sorted(int(y) for y in pd.to_numeric(df["year"]).unique())
        early = [y for y in years if 1800 <= y <= y0]
        if early:
            issues.append(Issue("demand", f"target years {early} are not after the start map's year {y0} (from "
                                          f"{Path(str(ctx['landuse'])).name}); expected later years, oldest first"))
    return issues


def zoned_demand(ctx) -> tuple[pd.DataFrame, list[int] | None]:
    """(demand table, zone ids over the start map's valid cells or None); zone names of a vector's field in the
    table's zone column become the zone ids."""
    memo = run_memo(ctx)
    if "zoned_demand" not in memo:
        dem = demand_table(ctx)
        z, zraw, names = zone_layers(ctx)
        zone_ids = None
        if zraw is not None:
            za = np.asarray(zraw.values)
            zone_ids = [int(v) for v in np.unique(za[(za > 0) & start_maps(ctx)["valid"]])]
            if "zone" in dem.columns:
                lookup = dict(zip(names, z.attrs["zone_ids"]))
                zs = dem["zone"].astype(str).str.strip()
                if zs.isin(lookup).all():
                    dem = dem.assign(zone=zs.map(lookup))
        memo["zoned_demand"] = (dem, zone_ids)
    return memo["zoned_demand"]


def restrict_layer(ctx) -> Any:
    """The restriction raster on the start grid (aligned with ``align``), or None."""
    memo = run_memo(ctx)
    if "restrict" not in memo:
        r = ctx.get("restrict")
        if r is not None:
            r = layer(ctx, r, "restrict", True)
            r = align_to(r, start_maps(ctx)["landuse"]) if ctx.get("align") else r
        memo["restrict"] = r
    return memo["restrict"]


def _check_maps(ctx, groups_needed: bool) -> list[Issue]:
    """Checks that need the start and calibration maps (read once, kept for execute)."""
    issues: list[Issue] = []
    mp = start_maps(ctx)
    codes, valid = mp["codes"], mp["valid"]
    dem, zone_ids = zoned_demand(ctx)
    try:
        stages = parse_demand(dem, codes, zones=zone_ids)
    except InputValidationError as err:
        return [Issue("demand", str(err))]
    za = None if zone_ids is None else np.asarray(zone_layers(ctx)[1].values)
    for year, per_zone in stages.items():
        for zid, vec in per_zone.items():
            n = int(np.count_nonzero(valid if za is None else valid & (za == zid)))
            if int(vec.sum()) != n:
                where = "" if za is None else f" in zone {zid}"
                ylab = "" if year == 0 else f" for year {year}"
                issues.append(Issue("", f"demand{ylab} totals {int(vec.sum())} pixels but the start map (⟨landuse⟩) "
                                        f"has {n} valid cells{where}; the demand (⟨demand⟩) must sum to the valid cells "
                                        f"exactly (rescale it, or compute it on the same mask)"
                                        f"{_unit_hint(int(vec.sum()), n, mp['landuse'])}"))
        if zone_ids is not None and set(zone_ids) - set(per_zone):
            issues.append(Issue("demand", f"year {year} lacks zones {sorted(set(zone_ids) - set(per_zone))}"))
    issues += _check_restrict(ctx, codes, valid)
    for name, m in line_masks(ctx).items():
        if not np.count_nonzero(np.asarray(m.values) & valid):
            path = dict(ctx.get("lines", [])).get(name)
            issues.append(Issue("lines", f"{name}: {Path(str(path)).name if is_path(path) else 'the mask'} covers no "
                                         f"valid cell of the start map, so the line would constrain nothing; check its "
                                         f"CRS and extent (a vector) or its values (a raster: non-zero = inside)"))
    if ctx.get("transition") is not None:
        tm = ctx.table("transition")
        if is_path(ctx["transition"]):                          # first column = class code
            tm = tm.set_index(tm.columns[0])
        try:
            transition_matrix(tm, codes, orientation=ctx.get("transition_orientation", "from_to"))
            run_memo(ctx)["transition"] = tm
        except InputValidationError as err:
            issues.append(Issue("transition", str(err)))
    if groups_needed or ctx.given("scheme"):
        try:
            scheme = load_scheme(ctx.get("scheme"), default="national6")
        except InputValidationError as err:
            return issues + [i if isinstance(i, Issue) else Issue("scheme", str(i)) for i in err.issues]
        missing = sorted(set(codes) - set(scheme.codes))
        if missing:
            issues.append(Issue("scheme", f"the class scheme {scheme.name} has no class codes {missing} of the maps "
                                          f"(its codes: {scheme.codes}); give the scheme of these maps: a built-in "
                                          f"name or a table with columns code, group"))
        run_memo(ctx)["scheme"] = scheme
    if ctx.get("pools") is not None:
        issues += _check_pools(ctx, mp, stages)
    return issues


def _unit_hint(total: int, cells: int, start: Any) -> str:
    """A demand given in hectares or km² instead of pixels: say so."""
    try:
        cell_ha = float(np.mean(row_areas_ha(grid_of(start))))
    except LandcarbonError:  # pragma: no cover - a grid whose cell area is refused
        return ""
    for unit, per_cell in (("ha", cell_ha), ("km²", cell_ha / 100), ("mu (亩)", cell_ha * 15)):
        if per_cell != 1 and cells and abs(total - cells * per_cell) <= 0.01 * cells * per_cell:
            return f"; the total matches the area in {unit}: cells are pixels (here 1 pixel = {per_cell:g} {unit})"
    return ""


def _check_restrict(ctx, codes: list[int], valid: np.ndarray) -> list[Issue]:
    if ctx.get("restrict") is None:
        return []
    r = restrict_layer(ctx)
    ra = np.asarray(r.values)
    rv = valid_mask(r, ra)
    bad = sorted(set(np.unique(ra[rv]).tolist()) - {0, 1, 2})
    if bad:
        return [Issue("restrict", f"holds values {bad[:10]}; expected 0 (no conversion), 1 (allowed) or 2 (planned "
                                  f"development zone)")]
    n2 = int(np.count_nonzero(rv & (ra == 2) & valid))
    k = ctx.get("develop_class")
    if n2 and k is None:
        return [Issue("develop_class", f"is required: ⟨restrict⟩ has {n2} planned-development cells (2); name the "
                                       f"class developed there (one of {codes})")]
    if k is not None and not n2:
        return [Issue("develop_class", "would do nothing: ⟨restrict⟩ has no planned-development cells (2)")]
    if k is not None and k not in codes:
        return [Issue("develop_class", f"found {k}; expected a class of the maps {codes}{did_you_mean(k, codes)}")]
    return []


def _check_pools(ctx, mp: dict, stages: dict) -> list[Issue]:
    from ...models.carbon_stock import read_pools

    start = mp["landuse"]
    try:
        table = read_pools(ctx.table("pools"), nodata_values=[v for v in (start.rio.nodata,) if v is not None])
    except LandcarbonError as err:
        return [Issue("pools", str(err).removeprefix("pools: "))]
    demanded = {c for per_zone in stages.values() for vec in per_zone.values()
                for c, n in zip(mp["codes"], vec) if n > 0}
    need = sorted(set(mp["start_codes"]) | demanded)
    missing = sorted(set(need) - {int(c) for c in table.codes})
    run_memo(ctx)["pools"] = table
    if missing:
        name = Path(str(ctx["pools"])).name if is_path(ctx["pools"]) else "the pools table"
        return [Issue("pools", f"{name} lacks class codes {missing}, which the start map or the demand (⟨demand⟩) "
                               f"holds; add a row for each (their cells would be left out of the scenario carbon)")]
    return []


