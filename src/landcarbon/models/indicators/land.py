"""Land indicators (methods.md §14.1): FC, CR, BF, ES, RE, UB, UX, BLG, PCB.

Two steps. :func:`land_areas` turns land-use maps, zones and control lines into area *variables*
(ha per zone and year; one weighted bincount per map, lazy on dask until its single compute), the
rows the catalog stores. :func:`land_indicators` turns those variables (and GDP, population and the
耕地保有量 target) into indicator rows. Variables:

=========================================  =====================================================
area_total_ha                              valid area of the zone in the map of year t
area_<group>_ha                            area of each national group (cropland, forest, …)
area_basic_farmland_ha                     basic-farmland line (valid cells at t)
area_basic_farmland_cropland_ha            basic-farmland line ∩ cropland at t
area_eco_redline_ha                        ecological red line
area_redline_encroached_ha                 red line ∩ ecological class at t0 ∩ non-ecological at t
area_urban_boundary_ha                     urban development boundary
area_urban_boundary_builtup_base_ha        boundary ∩ built-up land at t0
area_new_builtup_outside_boundary_ha       outside the boundary ∩ not built-up at t0 ∩ built-up at t
=========================================  =====================================================

The whole region (zone ``""``) is the sum over the zones (the cells inside any zone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...core.classes import GROUPS
from ...core.errors import MissingClassError
from ...core.grid import ensure_aligned, row_areas_ha
from ...core.units import M2_PER_HA
from ...ops.reclass import codes_not_in, reclassify
from ...ops.zonal import zone_class_sums
from ..weights import bad_input, did_you_mean, unknown_names
from . import _tables as T
from .definitions import INDICATORS, LAND

#: ecological classes of RE and ES (methods.md §14.1 [D]; a plan may name others for RE)
ECOLOGICAL: tuple[str, ...] = ("forest", "grassland", "water")

#: the control lines the land indicators read (names as in models.evaluate.control_lines)
LINES: tuple[str, ...] = ("eco_redline", "basic_farmland", "urban_boundary")

# bits of the per-cell category code: group at t × 64 + the bits below
_V0, _E0, _B0, _RED, _PBF, _UGB = 32, 16, 8, 4, 2, 1
_NCODES = len(GROUPS) * 64


def _data(x):
    return x.data if hasattr(x, "dims") else x


def land_areas(maps: Mapping[int, object], groups: Mapping[int, str], *, base_year: int | None = None,
               zones: object | None = None, zone_names: Mapping[int, str] | None = None,
               lines: Mapping[str, object] | None = None, ecological: Sequence[str] = ECOLOGICAL,
               area_method: str = "nominal") -> pd.DataFrame:
    """Area variables (long: zone, year, variable, value, unit) from land-use maps.

    ``maps``: year → integer land-use DataArray (one grid; numpy or dask). ``groups``: class code →
    national group (``ClassScheme.group_of()``). ``base_year``: t0 of RE, UB and UX (default: the first
    year). ``zones``: integer raster of 1-based zone ids (0 = outside), with ``zone_names`` id → zone id
    text (default ``str(id)``; required when ``zones`` is dask-backed). ``lines``: ``eco_redline``,
    ``basic_farmland``, ``urban_boundary`` masks on the same grid (non-zero, non-nodata = inside).
    """
    if not maps:
        raise bad_input("landuse", "no land-use map given; expected at least one map by year")
    years = sorted(int(y) for y in maps)
    t0 = years[0] if base_year is None else int(base_year)
    if t0 not in years:
        raise bad_input("base_year", f"found {t0}; expected one of the map years {years}{did_you_mean(t0, years)}")
    lines = dict(lines or {})
    unknown_names("lines", "control line", list(lines), LINES)
    bad_groups = [g for g in ecological if g not in GROUPS]
    if bad_groups:
        raise bad_input("ecological", f"unknown groups {bad_groups}; expected some of {list(GROUPS)}")
    for y in years:
        if not hasattr(maps[y], "rio"):
            raise bad_input("landuse", f"the map of {y} is a {type(maps[y]).__name__}; expected a georeferenced "
                                       f"DataArray (rioxarray), whose cell areas come from its CRS and transform")
    das = {f"landuse_{y}": maps[y] for y in years}
    others = {"zones": zones, **lines} if zones is not None else dict(lines)
    for name, arr in others.items():
        if hasattr(arr, "rio") and hasattr(arr, "dims"):
            das[name] = arr
        elif tuple(getattr(arr, "shape", ())) != tuple(maps[t0].shape):
            raise bad_input(name, f"{name} has shape {getattr(arr, 'shape', None)}; expected the land-use grid "
                                  f"{tuple(maps[t0].shape)}: rasterise it onto that grid")
    grid = ensure_aligned(**das)
    row_ha = row_areas_ha(grid, area_method=area_method)

    codes = sorted(int(c) for c in groups)
    unknown_g = sorted({g for g in groups.values() if g not in GROUPS})
    if unknown_g:
        raise bad_input("groups", f"unknown national groups {unknown_g}; expected some of {list(GROUPS)}")
    gidx = [GROUPS.index(groups[c]) for c in codes]
    g = {y: _data(reclassify(maps[y], codes, gidx, fill=-1, dtype=np.int16)) for y in years}
    missing = {y: codes_not_in(maps[y], codes) for y in years}

    if zones is None:
        zdata, nz, names = None, 1, {1: T.REGION}
    else:
        zdata = _data(zones)
        if zone_names is None:
            if hasattr(zdata, "dask"):
                raise bad_input("zone_names", "zones are dask-backed; give zone_names (zone id → name) so that "
                                              "the number of zones is known without computing the map")
            zone_names = {int(i): str(int(i)) for i in np.unique(np.asarray(zdata)) if int(i) > 0}
        names = {int(k): str(v) for k, v in zone_names.items()}
        if any(k < 1 for k in names):
            raise bad_input("zone_names", f"zone ids {sorted(k for k in names if k < 1)} are not ≥ 1; 0 means "
                                          f"outside every zone")
        nz = max(names) if names else 1
        if hasattr(zdata, "dask"):   # ids outside zone_names count as outside every zone
            zdata = _where((zdata >= 1) & (zdata <= nz), zdata, 0)
        else:
            zdata = np.asarray(zdata)
            found = np.unique(zdata[zdata > 0]).astype(np.int64)
            extra = sorted(set(found.tolist()) - set(names))
            if extra:
                raise bad_input("zone_names", f"the zone raster holds ids {extra[:10]} that zone_names does not "
                                              f"name; expected names for every id: add them")
    masks = {k: _line_mask(v) for k, v in lines.items()}
    eco_i = [GROUPS.index(e) for e in ecological]
    built = GROUPS.index("built_up")
    g0 = g[t0]
    v0 = g0 >= 0
    bits0 = v0.astype(np.int16) * _V0 + _isin(g0, eco_i).astype(np.int16) * _E0 + (g0 == built).astype(np.int16) * _B0
    for name, bit in (("eco_redline", _RED), ("basic_farmland", _PBF), ("urban_boundary", _UGB)):
        if name in masks:
            bits0 = bits0 + masks[name].astype(np.int16) * bit
    sums = []
    for y in years:
        gt = g[y]
        code = _where(gt >= 0, gt.astype(np.int16) * 64 + bits0, np.int16(-1))
        sums.append(zone_class_sums(code, list(range(_NCODES)), row_ha, nodata=-1, zones=zdata, n_zones=nz)[1])
    if any(hasattr(s, "dask") for s in sums) or any(hasattr(m, "dask") for m in missing.values()):
        import dask

        sums, miss = dask.compute(sums, [missing[y] for y in years])
        missing = dict(zip(years, miss, strict=True))
    for y in years:
        m = np.asarray(missing[y])
        if m.size:
            raise MissingClassError(f"land-use map {y} holds codes {m.tolist()} that have no national group; "
                                    f"give a class scheme that lists them (code, group)", m.tolist())
    out = []
    for y, s in zip(years, sums, strict=True):
        a = np.asarray(s).reshape(nz, len(GROUPS), 64)
        per_zone = {names.get(i + 1): a[i] for i in range(nz) if (i + 1) in names}
        if zones is not None:
            per_zone[T.REGION] = a[[k - 1 for k in sorted(names)]].sum(axis=0)
        for zone, az in per_zone.items():
            out.extend(_variables(zone, y, az, set(masks), eco_i, built))
    df = pd.DataFrame(out, columns=["zone", "year", "variable", "value", "unit"])
    return df.sort_values(["variable", "zone", "year"], kind="stable").reset_index(drop=True)


def _line_mask(da):
    """Inside a line: valid and non-zero (a boolean array is taken as is); numpy or dask, lazily."""
    data = _data(da)
    if data.dtype == bool:
        return data
    m = data != 0
    if data.dtype.kind == "f":
        m = m & (data == data)
    nd = da.rio.nodata if hasattr(da, "rio") else None
    if nd is not None and not (isinstance(nd, float) and np.isnan(nd)):
        m = m & (data != nd)
    return m


def _isin(a, idx: Sequence[int]):
    out = a == idx[0] if idx else a < -1
    for i in idx[1:]:
        out = out | (a == i)
    return out


def _where(cond, a, b):
    if hasattr(cond, "dask") or hasattr(a, "dask"):
        import dask.array as dsa

        return dsa.where(cond, a, b)
    return np.where(cond, a, b)


def _variables(zone: str, year: int, a: np.ndarray, lines: set[str], eco_i: list[int], built: int) -> list[tuple]:
    """Area variables of one zone and year from its (group, bits) areas ``a`` (6 × 64)."""
    bits = np.arange(64)
    rows = [(zone, year, "area_total_ha", float(a.sum()), "ha")]
    rows += [(zone, year, f"area_{grp}_ha", float(a[k].sum()), "ha") for k, grp in enumerate(GROUPS)]
    non_eco = [k for k in range(len(GROUPS)) if k not in eco_i]

    def area(groups_at_t, sel) -> float:
        return float(a[np.ix_(list(groups_at_t), bits[sel])].sum()) if np.any(sel) else 0.0

    allg = range(len(GROUPS))
    if "basic_farmland" in lines:
        pbf = (bits & _PBF) > 0
        rows += [(zone, year, "area_basic_farmland_ha", area(allg, pbf), "ha"),
                 (zone, year, "area_basic_farmland_cropland_ha", area([GROUPS.index("cropland")], pbf), "ha")]
    if "eco_redline" in lines:
        red = (bits & _RED) > 0
        enc = red & ((bits & _V0) > 0) & ((bits & _E0) > 0)
        rows += [(zone, year, "area_eco_redline_ha", area(allg, red), "ha"),
                 (zone, year, "area_redline_encroached_ha", area(non_eco, enc), "ha")]
    if "urban_boundary" in lines:
        ugb = (bits & _UGB) > 0
        new = ~ugb & ((bits & _V0) > 0) & ((bits & _B0) == 0)
        rows += [(zone, year, "area_urban_boundary_ha", area(allg, ugb), "ha"),
                 (zone, year, "area_urban_boundary_builtup_base_ha", area(allg, ugb & ((bits & _B0) > 0)), "ha"),
                 (zone, year, "area_new_builtup_outside_boundary_ha", area([built], new), "ha")]
    return rows


def land_indicators(variables: pd.DataFrame, *, crop_target: object = None,
                    indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """Land indicator rows (``[scenario,] zone, year, indicator, value, unit``) from area variables.

    ``variables``: the table of :func:`land_areas` (long or wide), plus ``gdp_1e4CNY`` (10^4 CNY) and
    ``population`` (persons) for BLG and PCB, and ``crop_target_ha`` for CR — or ``crop_target``, a
    mapping zone → 耕地保有量 target (ha) that holds for every year. ``indicators``: which to compute;
    default all whose inputs are present. An indicator is computed where its inputs are present;
    a zone without basic farmland has no BF and a zone without urban boundary no UX.
    """
    w, has_sc = T.wide(variables, "variables")
    target = T.as_mapping(crop_target, "crop_target", "crop_target_ha")
    if target:
        bad = {z: v for z, v in target.items() if not v > 0}
        if bad:
            raise bad_input("crop_target", f"耕地保有量 targets {bad} are not positive; expected the target "
                                           f"cropland area in ha (> 0)")
        zones_known = sorted(set(w.index.get_level_values("zone")))
        unknown = [z for z in target if z not in zones_known]
        if unknown:
            raise bad_input("crop_target", "zones " + ", ".join(f"{z!r}{_hint(z, zones_known)}" for z in unknown)
                            + f" have no areas; expected some of {zones_known}")
        zone_of = pd.Series(w.index.get_level_values("zone"), index=w.index)
        from_map = zone_of.map(target)
        w["crop_target_ha"] = from_map.where(from_map.notna(), w["crop_target_ha"]) if "crop_target_ha" in w \
            else from_map
    wanted = _which(indicators, LAND, w)
    parts = []
    for ind in wanted:
        d = INDICATORS[ind]
        parts.append(T.rows(w, _FORMULAS[ind](w), ind, d.unit))
    return T.finish(parts, has_sc)


def _hint(word: str, known: Sequence[str]) -> str:
    same = [k for k in known if k.lower() == word.lower()]
    return f" (did you mean {same[0]!r}?)" if same else did_you_mean(word, known)


def _which(indicators: Sequence[str] | None, family: tuple[str, ...], w: pd.DataFrame) -> list[str]:
    if indicators is None:
        return [i for i in family if not T.need(w, INDICATORS[i].inputs)]
    unknown_names("indicators", "indicator", list(indicators), family)
    for i in indicators:
        miss = T.need(w, INDICATORS[i].inputs)
        if miss:
            raise bad_input("variables", f"{i} ({INDICATORS[i].name_zh}) needs variables {miss}, which are not "
                                         f"given; expected {list(INDICATORS[i].inputs)}: add them or drop {i}")
    return list(indicators)


def _share(w: pd.DataFrame, num: pd.Series, ind: str) -> pd.Series:
    tot = T.positive_divisor(w, "area_total_ha", ind, "variables", "the zone's valid area")
    return num / tot * 100.0


def _fc(w):
    return _share(w, w["area_forest_ha"], "FC")


def _es(w):
    return _share(w, w["area_forest_ha"] + w["area_grassland_ha"] + w["area_water_ha"], "ES")


def _cr(w):
    t = T.positive_divisor(w, "crop_target_ha", "CR", "crop_target", "the 耕地保有量 target")
    return w["area_cropland_ha"] / t * 100.0


def _bf(w):
    line = w["area_basic_farmland_ha"]
    has = line > 0          # zones without basic farmland have no BF
    return (w["area_basic_farmland_cropland_ha"] / line * 100.0).where(has)


def _re(w):
    return w["area_redline_encroached_ha"].astype(float)


def _ub(w):
    return w["area_new_builtup_outside_boundary_ha"].astype(float)


def _ux(w):
    ugb = w["area_urban_boundary_ha"]
    has = ugb > 0           # zones without urban boundary have no UX
    base = T.positive_divisor(w, "area_urban_boundary_builtup_base_ha", "UX", "variables",
                              "the built-up land inside the urban boundary at t0", mask=has)
    return (ugb / base).where(has)


def _blg(w):
    gdp = T.positive_divisor(w, "gdp_1e4CNY", "BLG", "variables", "GDP")
    return w["area_built_up_ha"] * M2_PER_HA / gdp


def _pcb(w):
    pop = T.positive_divisor(w, "population", "PCB", "variables", "population")
    return w["area_built_up_ha"] * M2_PER_HA / pop


_FORMULAS = {"FC": _fc, "CR": _cr, "BF": _bf, "ES": _es, "RE": _re, "UB": _ub, "UX": _ux, "BLG": _blg, "PCB": _pcb}

__all__ = ["ECOLOGICAL", "land_areas", "land_indicators"]
