"""双评价: ecological protection importance, agricultural production and urban construction
suitability (methods.md §10.1–10.5).

Levels are ordinal categories stored as ``uint8`` with 0 = nodata: level 1 is the best
(most suitable / most important), level 5 the worst. Thresholds, modifiers and integration
matrices are data (``reference/shuangpingjia_thresholds_2019_cug.csv``,
``agri_land_water_matrix_2019_cug.csv``, ``agri_base_climate_matrix_2019_cug.csv`` and the 3-class
ecological factor table ``data/shuangpingjia_eco_thresholds_2019_cug.csv``); every one can be
overridden by the caller (the plan file). An optional factor that is not given is *reported* in
``result.missing`` with the step it changes; a user fill level replaces it explicitly.

Integration (profile ``2019_cug``, CUGGISRS/spj scripts):

* agriculture: land level (slope, modifiers: silt) × water level (worst of the water factors given)
  → base (matrix); base × climate level → level (matrix); then environment (5 → 5, 3 → down 1),
  salinisation (down 1), disaster (1 → 2), contiguity (applied last). A missing matrix input
  leaves the level unchanged (identity), reported.
* urban: land level (slope, modifiers: elevation, relief) × water level (matrix only when the user
  gives one: the urban matrices are not shipped), then geological hazard and location by the
  "most severe level wins" rule [D], then contiguity.
* ecology: importance = the more important of the service importance levels and the fragility
  levels (most severe wins); fragility indices are the geometric mean of 1/3/5 factor scores
  (s ≤ 2.33 → 1, ≤ 3.66 → 3, else 5, with 5 = most prone), read as 5 = 极敏感 → importance 1.
* 生态保护极重要区 is removed from the agricultural and urban 适宜区 (3-level output moved to
  ``eco_exclusion_level``, default 3 = 不适宜 [D]).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...core.errors import InputValidationError
from ...core.grid import ensure_aligned, grid_of, row_areas_ha
from ..weights import bad_input, did_you_mean
from .levels import (
    Modifier,
    apply_modifier,
    check_breaks,
    classify,
    combine_matrix,
    fragility_index,
    most_important,
    parse_modifiers,
    remap_levels,
    score3,
    worst,
)
from .suitability_tables import (
    PROFILES,
    SERVICE_PATTERN,
    _ref_text,  # noqa: F401  (imported by esv)
    factor_key,
    factor_keys,
    load_eco_thresholds,
    load_matrix,
    load_thresholds,
    matrix_from_frame,
    threshold_keys,
)
from .terrain import RELIEF_WINDOW_M, _keep_geo, as_float, default_relief_window, relief, slope_degrees

#: the model's own names and those of its parts (levels, terrain, suitability_tables), one import away
__all__ = [
    "AGRI_CLIMATE_FACTORS", "AGRI_WATER_FACTORS", "check_breaks", "DEFAULT_THREE_LEVEL", "EVALUATIONS", "LEVEL3_NAMES",
    "LEVEL5_NAMES", "PROFILES", "RELIEF_WINDOW_M", "URBAN_HAZARD_FACTORS", "URBAN_LOCATION_FACTORS",
    "Modifier", "SuitabilityResult", "apply_modifier", "as_float", "carrying_scale", "classify", "combine_matrix",
    "default_relief_window", "evaluate_suitability", "factor_key", "fragility_index", "level_areas",
    "load_eco_thresholds", "load_matrix", "load_thresholds", "matrix_from_frame", "most_important",
    "parse_modifiers", "relief", "remap_levels", "score3", "slope_degrees", "unknown_factors", "worst",
]

EVALUATIONS = ("ecology", "agriculture", "urban")

#: level names (5-level and 3-level), zh / en
LEVEL5_NAMES = {
    "agriculture": {1: ("高适宜", "highly suitable"), 2: ("较适宜", "suitable"), 3: ("一般适宜", "moderately suitable"),
                    4: ("较不适宜", "marginally suitable"), 5: ("不适宜", "unsuitable")},
    "ecology": {1: ("极重要", "extremely important"), 2: ("极重要-重要", "very important"), 3: ("重要", "important"),
                4: ("重要-一般", "moderately important"), 5: ("一般重要", "generally important")},
}
LEVEL5_NAMES["urban"] = LEVEL5_NAMES["agriculture"]
LEVEL3_NAMES = {
    "agriculture": {1: ("适宜", "suitable"), 2: ("一般适宜", "moderately suitable"), 3: ("不适宜", "unsuitable")},
    "ecology": {1: ("极重要", "extremely important"), 2: ("重要", "important"), 3: ("一般重要", "generally important")},
}
LEVEL3_NAMES["urban"] = LEVEL3_NAMES["agriculture"]

#: 5-level → 3-level merge [D]: 1–2 适宜, 3 一般适宜, 4–5 不适宜 (ecology 1/3/5 → 1/2/3)
DEFAULT_THREE_LEVEL = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}

#: the water factors of agriculture (worst level of those given) and the urban hazard / location factors
AGRI_WATER_FACTORS = ("annual_precipitation", "aridity_index", "water_use_quota_modulus")
AGRI_CLIMATE_FACTORS = ("accumulated_temp_0c",)
URBAN_HAZARD_FACTORS = ("cumulative_subsidence", "subsidence_rate")
URBAN_LOCATION_FACTORS = ("time_to_county_centre", "time_to_provincial_centre")


# --------------------------------------------------------------------------------------------------
# the evaluation
@dataclass
class SuitabilityResult:
    level5: dict[str, xr.DataArray]
    level3: dict[str, xr.DataArray]
    factors: dict[str, xr.DataArray]
    missing: list[dict[str, str]]
    steps: list[dict[str, str]]
    profile: str
    notes: list[str] = field(default_factory=list)

    def missing_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.missing, columns=["evaluation", "factor", "status", "effect"])

    def steps_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.steps, columns=["evaluation", "step", "detail"])


def _const_like(value: float, like: xr.DataArray) -> xr.DataArray:
    v = as_float(like)
    out = xr.where(v.notnull(), np.float32(value), np.float32(np.nan))
    return _keep_geo(out.astype(np.float32), like).rio.write_nodata(np.nan, encoded=False)


def _level_const(level: int, like: xr.DataArray) -> xr.DataArray:
    if int(level) not in (1, 2, 3, 4, 5):
        raise InputValidationError(f"fill level {level!r}; expected a level 1-5")
    v = as_float(like)
    out = xr.where(v.notnull(), np.uint8(level), np.uint8(0)).astype(np.uint8)
    return _keep_geo(out, like)


def unknown_factors(factors: Mapping[str, Any], profile: str = "2019_cug") -> list[str]:
    """Factor keys the evaluation would not read (a misspelt factor is an error, never ignored)."""
    known = set(factor_keys(profile))
    return [k for k in factors if k not in known and re.fullmatch(SERVICE_PATTERN, str(k)) is None]


def evaluate_suitability(dem: xr.DataArray | None = None, *, factors: Mapping[str, Any] | None = None,
                         landuse: xr.DataArray | None = None, profile: str = "2019_cug",
                         thresholds: Mapping[str, Mapping[str, Any]] | None = None,
                         fill_levels: Mapping[str, int] | None = None,
                         matrices: Mapping[str, np.ndarray] | None = None,
                         relief_window_cells: int | None = None,
                         three_level: Mapping[int, int] | None = None,
                         eco_exclusion_level: int = 3,
                         evaluations: Sequence[str] = EVALUATIONS) -> SuitabilityResult:
    """Run the 双评价 single-factor and integrated evaluations (methods.md §10).

    ``dem`` (m) gives slope, elevation and relief; ``factors`` maps factor keys (see
    ``load_thresholds()['key']``, plus ``silt_content``, ``environment_level``, ``salinisation``,
    ``disaster``, eco service levels ``service_<name>``, fragility levels ``fragility_<name>`` or
    fragility factor rasters ``<index>.<factor>``) to DataArrays on the DEM grid or to constants.
    ``thresholds``: overrides ``{"agriculture.slope": {"breaks": [...], "direction": ...}}``.
    ``fill_levels``: explicit levels for missing steps (``water``, ``climate``, ``urban_water`` …).
    ``matrices``: extra/override 5×5 matrices (``agri_land_water``, ``agri_base_climate``,
    ``urban_land_water``).
    """
    bad_ev = [e for e in evaluations if e not in EVALUATIONS]
    if bad_ev:
        raise InputValidationError(f"unknown evaluations {bad_ev}; expected some of {EVALUATIONS}")
    factors = dict(factors or {})
    fill_levels = dict(fill_levels or {})
    thr = load_thresholds(profile)
    overrides = dict(thresholds or {})
    for key, what, names in (("factors", "factor", unknown_factors(factors, profile)),
                             ("thresholds", "threshold override", [k for k in overrides
                                                                   if k not in threshold_keys(profile)])):
        if names:
            known = factor_keys(profile) if key == "factors" else threshold_keys(profile)
            raise bad_input(key, f"unknown {what} {'; '.join(f'{n!r}{did_you_mean(n, known)}' for n in names)}; "
                                 f"expected one of {', '.join(known)}" + (" or service_<name>" if key == "factors"
                                                                          else "") + ": correct the name")
    three = dict(three_level or DEFAULT_THREE_LEVEL)
    if sorted(three) != [1, 2, 3, 4, 5] or not set(three.values()) <= {1, 2, 3}:
        raise InputValidationError(f"three-level map {three}; expected keys 1-5 mapped to 1, 2 or 3")
    grid_like = dem if dem is not None else next((v for v in factors.values() if isinstance(v, xr.DataArray)), None)
    if grid_like is None:
        raise InputValidationError("双评价 needs a DEM or at least one factor raster to define the grid")
    arrays = {k: v for k, v in factors.items() if isinstance(v, xr.DataArray)}
    named = {"dem": dem} if dem is not None else {}
    if landuse is not None:
        named["landuse"] = landuse
    ensure_aligned(**named, **arrays)

    missing: list[dict[str, str]] = []
    steps: list[dict[str, str]] = []
    notes: list[str] = []
    layers: dict[str, xr.DataArray] = {}

    def get(key: str) -> xr.DataArray | None:
        if key in layers:
            return layers[key]
        v = factors.get(key)
        if v is None:
            if dem is not None and key == "slope":
                layers[key] = slope_degrees(dem)
            elif dem is not None and key == "elevation":
                layers[key] = as_float(dem)
            elif dem is not None and key == "relief":
                w = relief_window_cells or default_relief_window(dem)
                layers[key] = relief(dem, w)
                notes.append(f"relief: max - min elevation in a {w} x {w} cell window")
            else:
                return None
        elif isinstance(v, xr.DataArray):
            layers[key] = as_float(v) if v.dtype.kind != "f" or v.rio.nodata is not None else v
        else:
            try:
                layers[key] = _const_like(float(v), grid_like)
            except (TypeError, ValueError):
                raise InputValidationError(f"factor {key!r}: found {v!r}; expected a raster or a number") from None
            notes.append(f"{key}: constant {float(v):g} over the whole area")
        return layers[key]

    def breaks_of(ev: str, key: str) -> tuple[list[float], str, str]:
        o = overrides.get(f"{ev}.{key}") or overrides.get(key)
        rows = thr[(thr["key"] == key) & (thr["evaluation"].isin([ev, "both"]))]
        if o is not None:
            b = o.get("breaks")
            d = o.get("direction") or (rows.iloc[0]["direction"] if len(rows) else None)
            mods = o.get("modifiers", rows.iloc[0]["modifiers"] if len(rows) else "")
            if b is None or d is None:
                raise InputValidationError(f"threshold override {ev}.{key}: give 'breaks' (4 numbers) and "
                                           f"'direction'")
            return [float(x) for x in b], str(d), str(mods or "")
        if rows.empty:
            raise InputValidationError(f"profile {profile!r} has no thresholds for {ev} factor {key!r}; "
                                       f"add them under [suitability.thresholds.\"{ev}.{key}\"]")
        r = rows.iloc[0]
        return list(r["breaks"]), str(r["direction"]), str(r["modifiers"] or "")

    def single(ev: str, key: str) -> xr.DataArray | None:
        v = get(key)
        if v is None:
            return None
        b, d, _ = breaks_of(ev, key)
        lev = classify(v, b, d)
        layers[f"{ev}.{key}_level"] = lev
        steps.append({"evaluation": ev, "step": f"classify {key}", "detail": f"breaks {b} ({d})"})
        return lev

    def modifiers(ev: str, key: str, level: xr.DataArray) -> xr.DataArray:
        _, _, text = breaks_of(ev, key)
        mods, unread = parse_modifiers(text)
        for u in unread:
            missing.append({"evaluation": ev, "factor": f"{key} modifier", "status": "not applied",
                            "effect": f"modifier '{u}' is not a rule landcarbon can apply; level left unchanged"})
        reported: set[str] = set()
        for m in mods:
            var = m.var or key
            v = get(var)
            if v is None:
                if var not in reported:
                    missing.append({"evaluation": ev, "factor": var, "status": "missing",
                                    "effect": f"{key} modifier '{m.describe()}' skipped"})
                    reported.add(var)
                continue
            level = apply_modifier(level, v, m)
            steps.append({"evaluation": ev, "step": f"modifier on {key}", "detail": m.describe()})
        return level

    def matrix_of(name: str) -> np.ndarray | None:
        if matrices and name in matrices:
            return np.asarray(matrices[name], np.uint8)
        try:
            return load_matrix(name, profile)
        except InputValidationError:
            return None

    def step_matrix(ev: str, level: xr.DataArray, other: xr.DataArray | None, other_name: str,
                    matrix_name: str, fill_key: str, what: str) -> xr.DataArray:
        if other is None and fill_key in fill_levels:
            other = _level_const(fill_levels[fill_key], grid_like)
            missing.append({"evaluation": ev, "factor": what, "status": "filled",
                            "effect": f"level {fill_levels[fill_key]} used everywhere (user fill)"})
        if other is None:
            missing.append({"evaluation": ev, "factor": what, "status": "missing",
                            "effect": f"matrix step '{matrix_name}' skipped (level passed through unchanged)"})
            return level
        m = matrix_of(matrix_name)
        if m is None:
            missing.append({"evaluation": ev, "factor": f"matrix {matrix_name}", "status": "missing",
                            "effect": f"{what} level given but no {matrix_name} matrix shipped for profile "
                                      f"{profile!r}; give one in the plan ([suitability.matrices]); step skipped"})
            return level
        steps.append({"evaluation": ev, "step": f"matrix {matrix_name}", "detail": f"with {other_name}"})
        return combine_matrix(level, other, m)

    def factor_group(ev: str, keys: Sequence[str], what: str) -> xr.DataArray | None:
        got = [k for k in keys if factors.get(k) is not None]
        if not got:
            return None
        lv = [single(ev, k) for k in got]
        if len(lv) > 1:
            steps.append({"evaluation": ev, "step": f"{what} = worst of", "detail": ", ".join(got)})
        return worst(*[x for x in lv if x is not None])

    def flag(key: str) -> xr.DataArray | None:
        v = get(key)
        return None if v is None else v

    level5: dict[str, xr.DataArray] = {}

    # ---- ecology -----------------------------------------------------------------------------------
    if "ecology" in evaluations:
        eco_levels: list[xr.DataArray] = []
        services = sorted(k for k in factors if k.startswith("service_"))
        frag_given = sorted(k for k in factors if k.startswith("fragility_"))
        for k in services + frag_given:
            lv = factors[k]
            if not isinstance(lv, xr.DataArray):
                lv = _level_const(int(lv), grid_like)
            lv = lv.fillna(0).astype(np.uint8) if lv.dtype.kind == "f" else lv.astype(np.uint8)
            lv = _keep_geo(lv, grid_like)
            if k.startswith("fragility_"):
                lv = remap_levels(lv, {1: 5, 2: 4, 3: 3, 4: 2, 5: 1})  # 5 = most prone → importance 1
            eco_levels.append(lv)
            steps.append({"evaluation": "ecology", "step": f"input {k}", "detail": "given as levels"})
        eco_thr = load_eco_thresholds(profile)
        for idx_name, rows in eco_thr.groupby("index", sort=False):
            if f"fragility_{idx_name}" in factors:
                continue
            needed = list(rows["factor"])
            have = [f for f in needed if get(f"{idx_name}.{f}") is not None or get(f) is not None]
            if len(have) < len(needed):
                lack = [f for f in needed if f not in have]
                missing.append({"evaluation": "ecology", "factor": f"{idx_name}: {', '.join(lack)}",
                                "status": "missing", "effect": f"fragility index {idx_name} not computed"})
                continue
            scores = []
            for r in rows.itertuples(index=False):
                v = get(f"{idx_name}.{r.factor}")
                if v is None:
                    v = get(r.factor)
                if str(r.break_1).strip() == "":  # no shipped thresholds: the factor is given as a 1/3/5 score
                    sv = v.fillna(0).astype(np.uint8)
                    bad = ~sv.isin([0, 1, 3, 5])
                    if bool(bad.any()):
                        raise InputValidationError(
                            f"fragility factor {idx_name}.{r.factor} has no shipped thresholds, so it must be "
                            f"given as scores 1/3/5; found other values")
                    scores.append(_keep_geo(sv, grid_like))
                else:
                    scores.append(score3(v, float(r.break_1), float(r.break_2), str(r.direction)))
            frag = fragility_index(scores)
            layers[f"fragility_{idx_name}"] = frag
            eco_levels.append(remap_levels(frag, {1: 5, 3: 3, 5: 1}))
            steps.append({"evaluation": "ecology", "step": f"fragility {idx_name}",
                          "detail": "geometric mean of " + ", ".join(needed)})
        if not services:
            missing.append({"evaluation": "ecology", "factor": "ecosystem-service importance (service_*)",
                            "status": "missing", "effect": "importance from fragility only"})
        if eco_levels:
            level5["ecology"] = most_important(*eco_levels).rio.write_nodata(0, encoded=False)
            steps.append({"evaluation": "ecology", "step": "integrate", "detail": "most important level wins"})
        else:
            notes.append("ecology: no service or fragility layer could be built; ecological importance not "
                         "evaluated (see missing factors)")

    # ---- agriculture -------------------------------------------------------------------------------
    if "agriculture" in evaluations:
        land = single("agriculture", "slope")
        if land is None:
            raise InputValidationError("agricultural suitability needs slope: give a DEM or a slope raster")
        land = modifiers("agriculture", "slope", land)
        water = factor_group("agriculture", AGRI_WATER_FACTORS, "water level")
        lvl = step_matrix("agriculture", land, water, "water level", "agri_land_water", "water",
                          "water resources (" + " / ".join(AGRI_WATER_FACTORS) + ")")
        climate = factor_group("agriculture", AGRI_CLIMATE_FACTORS, "climate level")
        lvl = step_matrix("agriculture", lvl, climate, "climate level", "agri_base_climate", "climate",
                          "climate (" + " / ".join(AGRI_CLIMATE_FACTORS) + ")")
        env = flag("environment_level")
        if env is None:
            missing.append({"evaluation": "agriculture", "factor": "environment_level", "status": "missing",
                            "effect": "environment step skipped"})
        else:
            lvl = apply_modifier(lvl, env, Modifier(None, 4.5, None, "lowest"))
            lvl = apply_modifier(lvl, env, Modifier(None, 2.5, 3.5, "down1"))
            steps.append({"evaluation": "agriculture", "step": "environment", "detail": "5 -> level 5; 3 -> down 1"})
        for key, mod, txt in (("salinisation", Modifier(None, 0.5, None, "down1"), "flag -> down 1"),
                              ("disaster", None, "level 1 -> 2 where flagged")):
            v = flag(key)
            if v is None:
                missing.append({"evaluation": "agriculture", "factor": key, "status": "missing",
                                "effect": f"{key} step skipped"})
                continue
            if mod is not None:
                lvl = apply_modifier(lvl, v, mod)
            else:
                one = xr.where((lvl == 1) & (v > 0.5), np.uint8(2), lvl).astype(np.uint8)
                lvl = _keep_geo(one, lvl)
            steps.append({"evaluation": "agriculture", "step": key, "detail": txt})
        level5["agriculture"] = _contiguity("agriculture", lvl, get, breaks_of, missing, steps)

    # ---- urban -------------------------------------------------------------------------------------
    if "urban" in evaluations:
        land = single("urban", "slope")
        if land is None:
            raise InputValidationError("urban suitability needs slope: give a DEM or a slope raster")
        land = modifiers("urban", "slope", land)
        water = flag("urban_water_level")
        if water is not None:
            water = water.fillna(0).astype(np.uint8)
        lvl = step_matrix("urban", land, water, "urban water level", "urban_land_water", "urban_water",
                          "urban water resources (urban_water_level)")
        for keys, what in ((URBAN_HAZARD_FACTORS, "geological hazard"), (URBAN_LOCATION_FACTORS, "location")):
            g = factor_group("urban", keys, what)
            if g is None:
                if what in fill_levels:
                    g = _level_const(fill_levels[what], grid_like)
                    missing.append({"evaluation": "urban", "factor": what, "status": "filled",
                                    "effect": f"level {fill_levels[what]} used everywhere (user fill)"})
                else:
                    missing.append({"evaluation": "urban", "factor": f"{what} ({' / '.join(keys)})",
                                    "status": "missing", "effect": f"{what} step skipped"})
                    continue
            lvl = worst(lvl, g)
            steps.append({"evaluation": "urban", "step": what, "detail": "most severe level wins [D]"})
        level5["urban"] = _contiguity("urban", lvl, get, breaks_of, missing, steps)

    # ---- 3 levels and the eco exclusion ------------------------------------------------------------
    level3: dict[str, xr.DataArray] = {}
    for ev, lv in level5.items():
        level5[ev] = lv.rio.write_nodata(0, encoded=False)
        level5[ev].name = f"{ev}_level5"
        if ev == "ecology":
            level3[ev] = remap_levels(lv, three)
        else:
            l3 = remap_levels(lv, three)
            if "ecology" in level5:
                ex = int(eco_exclusion_level)
                l3 = _keep_geo(xr.where((level5["ecology"] == 1) & (l3 == 1), np.uint8(ex), l3).astype(np.uint8), lv)
                steps.append({"evaluation": ev, "step": "eco exclusion",
                              "detail": f"适宜 cells in 生态保护极重要区 -> 3-level {ex}"})
            level3[ev] = l3.rio.write_nodata(0, encoded=False)
        level3[ev].name = f"{ev}_level3"
    if landuse is not None:
        nd = landuse.rio.nodata
        if nd is not None:
            for d in (level5, level3):
                for ev in d:
                    d[ev] = _keep_geo(xr.where(landuse != nd, d[ev], np.uint8(0)).astype(np.uint8),
                                      d[ev]).rio.write_nodata(0, encoded=False)
    return SuitabilityResult(level5, level3, layers, missing, steps, profile, notes)


def _contiguity(ev, lvl, get, breaks_of, missing, steps):
    v = get("contiguity_index")
    if v is None:
        missing.append({"evaluation": ev, "factor": "contiguity_index", "status": "missing",
                        "effect": "contiguity correction skipped"})
        return lvl
    _, _, text = breaks_of(ev, "contiguity_index")
    mods, unread = parse_modifiers(text)
    for u in unread:
        missing.append({"evaluation": ev, "factor": "contiguity modifier", "status": "not applied",
                        "effect": f"'{u}' not readable"})
    base = lvl
    out = lvl
    for m in mods:  # every clause sees the level before the correction
        out = xr.where(_hit(get("contiguity_index"), m), apply_modifier(base, v, m), out).astype(np.uint8)
    steps.append({"evaluation": ev, "step": "contiguity", "detail": text})
    return _keep_geo(out, lvl)


def _hit(v: xr.DataArray, m: Modifier) -> xr.DataArray:
    sel = v.notnull()
    if m.lo is not None:
        sel = sel & (v > m.lo)
    if m.hi is not None:
        sel = sel & (v <= m.hi)
    return sel


# --------------------------------------------------------------------------------------------------
# areas and the carrying scale
def level_areas(levels: Mapping[str, xr.DataArray], *, zones: xr.DataArray | np.ndarray | None = None,
                zone_table: pd.DataFrame | None = None, landuse: xr.DataArray | None = None,
                scale: str = "level5") -> pd.DataFrame:
    """Area (ha) and cell count per evaluation × zone × level (× land-use class when ``landuse``)."""
    from ...ops.zonal import zone_class_sums

    rows = []
    for ev, lv in levels.items():
        g = grid_of(lv)
        ra = row_areas_ha(g)
        nz = 1
        z = None
        if zones is not None:
            z = zones.data if isinstance(zones, xr.DataArray) else zones
            nz = int(zone_table["zone_id"].max()) if zone_table is not None else int(np.asarray(z).max())
        names = (LEVEL5_NAMES if scale == "level5" else LEVEL3_NAMES)[ev]
        codes = sorted(names)
        if landuse is None:
            res = np.asarray(zone_class_sums(lv.data, codes, ra, nodata=0, zones=z, n_zones=nz))
            cells = np.asarray(zone_class_sums(lv.data, codes, np.ones_like(ra), nodata=0, zones=z, n_zones=nz))
            for zi in range(nz):
                for ci, c in enumerate(codes):
                    rows.append({"evaluation": ev, "zone_id": zi + 1, "level": c, "level_zh": names[c][0],
                                 "level_en": names[c][1], "cells": int(round(cells[1, zi, ci])),
                                 "area_ha": float(res[1, zi, ci])})
        else:
            lu = np.asarray(landuse.data)
            nd = landuse.rio.nodata
            lucodes = [int(c) for c in np.unique(lu) if nd is None or c != nd]
            lvv = np.asarray(lv.data)
            for c in codes:
                m = lvv == c
                for luc in lucodes:
                    sel = m & (lu == luc)
                    if z is None:
                        per = [(1, sel)]
                    else:
                        zz = np.asarray(z)
                        per = [(zi + 1, sel & (zz == zi + 1)) for zi in range(nz)]
                    for zi, s in per:
                        n = int(np.count_nonzero(s))
                        area = float((s.sum(axis=1) * ra).sum())
                        rows.append({"evaluation": ev, "zone_id": zi, "level": c, "level_zh": names[c][0],
                                     "level_en": names[c][1], "landuse_code": luc, "cells": n, "area_ha": area})
    df = pd.DataFrame(rows)
    if zone_table is not None and len(df):
        df = df.merge(zone_table[["zone_id", "zone"]], on="zone_id", how="left")
    elif len(df):
        df["zone"] = "all"
    return df


def carrying_scale(scales: pd.DataFrame) -> pd.DataFrame:
    """Short-board rule (methods.md §10.5): S_max,u = min_c S_c,u per unit (row), with the binding constraint.

    ``scales``: one row per unit, one column per constraint (ha); NaN = constraint not evaluated —
    it is listed in ``missing_constraints`` and not used (so S_max is an upper bound then).
    """
    if scales.shape[1] == 0:
        raise InputValidationError("carrying scale needs at least one constraint column (e.g. land_ha, water_ha)")
    vals = scales.astype(float)
    out = pd.DataFrame(index=scales.index)
    out["scale_max_ha"] = vals.min(axis=1, skipna=True)
    out["binding_constraint"] = vals.idxmin(axis=1, skipna=True)
    out["missing_constraints"] = [", ".join(c for c in scales.columns if pd.isna(r[c])) for _, r in vals.iterrows()]
    out.loc[vals.isna().all(axis=1), "binding_constraint"] = ""
    return out
