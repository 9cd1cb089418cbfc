"""STIRPAT scenarios, driver paths, peak detection and projection (methods.md §5.3–5.4).

Scenarios set, per period, the growth rate (% per year) or the level of each driver; the projection runs to
2060 (default), with the 5–95 % band over the bootstrap coefficient draws of the fit, and the peak of each
path is detected as in §5.4. The fit itself is :func:`landcarbon.models.peak.fit_stirpat`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.errors import LandcarbonWarning
from .weights import bad_input, did_you_mean

if TYPE_CHECKING:
    from .peak import StirpatFit

PEAK_EPS = 0.01

# --------------------------------------------------------------------------------------------------
# scenarios


def _period(s) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{4})\s*[-–~至]\s*(\d{4})\s*", str(s))
    if not m:
        raise bad_input("scenarios", f"scenario period {s!r}; expected 'YYYY-YYYY' (e.g. 2021-2025)")
    a, b = int(m.group(1)), int(m.group(2))
    if b < a:
        raise bad_input("scenarios", f"scenario period {s!r} ends before it starts; expected the earlier year first "
                                     f"(e.g. 2021-2025)")
    return a, b


@dataclass
class Scenario:
    name: str
    periods: list[tuple[int, int]]
    # per driver: ("growth", [rate per period]) or ("level", [level per period])
    settings: dict[str, tuple[str, list[float]]]


def parse_scenarios(table: pd.DataFrame, drivers: list[str]) -> list[Scenario]:
    """Scenario table: columns scenario, period, and per driver ``<driver>_growth_pct`` (% per year) or
    ``<driver>_level`` (level at the period's end, interpolated linearly from the previous anchor).

    Every driver of the model must be set in every scenario, periods must be contiguous. Example columns
    for population, pcgdp, energy_intensity: population_growth_pct, pcgdp_growth_pct, energy_intensity_level.
    """
    cols = {str(c).strip(): c for c in table.columns}
    if "scenario" not in cols or "period" not in cols:
        raise bad_input("scenarios", f"scenario table has columns {list(table.columns)}; expected scenario, period "
                                     f"and <driver>_growth_pct or <driver>_level columns")
    if len(table) == 0:
        raise bad_input("scenarios", "the scenario table has no data rows; expected one row per scenario and period")
    spec = {}
    for d in drivers:
        g, lv = f"{d}_growth_pct", f"{d}_level"
        if g in cols and lv in cols:
            raise bad_input("scenarios", f"driver {d}: the scenario table has both {g} and {lv}; give one of them")
        if g in cols:
            spec[d] = ("growth", g)
        elif lv in cols:
            spec[d] = ("level", lv)
        else:
            raise bad_input("scenarios", f"scenario table sets no path for driver {d!r}; add a column {g} (% per year) "
                                         f"or {lv}")
    known = {"scenario", "period", *[c for _, c in spec.values()]}
    extra = [c for c in cols if c not in known and (c.endswith("_growth_pct") or c.endswith("_level"))]
    if extra:
        names = [f"{d}_growth_pct" for d in drivers] + [f"{d}_level" for d in drivers]
        raise bad_input("scenarios", "scenario columns " + ", ".join(f"{c!r}{did_you_mean(c, names)}" for c in extra)
                        + f" do not match any model driver {drivers}: rename or drop them")
    out = []
    for name, g in table.groupby(cols["scenario"], sort=False):
        per = [_period(p) for p in g[cols["period"]]]
        order = np.argsort([a for a, _ in per])
        g = g.iloc[order]
        per = [per[i] for i in order]
        for (a0, b0), (a1, _b1) in zip(per[:-1], per[1:]):
            if a1 != b0 + 1:
                raise bad_input("scenarios", f"scenario {name}: periods {a0}-{b0} and {a1}-{_b1} are not contiguous; "
                                             f"periods must follow each other without gaps or overlaps")
        settings = {}
        for d, (kind, c) in spec.items():
            v = pd.to_numeric(g[cols[c]], errors="coerce")
            if v.isna().any():
                raise bad_input("scenarios", f"scenario {name}: {c} is empty or not a number in some period; empty "
                                             f"is not zero")
            if kind == "growth" and (v <= -100).any():
                i = int(np.flatnonzero((v <= -100).to_numpy())[0])
                a, b = per[i]
                raise bad_input("scenarios", f"scenario {name}, period {a}-{b}: {c} = {v.iloc[i]:g} %/a; expected a "
                                             f"growth rate > −100 %/a (−100 % sets the driver to 0 and the STIRPAT "
                                             f"log is undefined): give the rate in % per year, e.g. −2.5")
            if kind == "level" and (v <= 0).any():
                i = int(np.flatnonzero((v <= 0).to_numpy())[0])
                a, b = per[i]
                raise bad_input("scenarios", f"scenario {name}, period {a}-{b}: {c} = {v.iloc[i]:g}; expected a level "
                                             f"> 0 (STIRPAT takes its logarithm)")
            settings[d] = (kind, list(v.astype(float)))
        out.append(Scenario(str(name), per, settings))
    return out


REFERENCE_COLUMN_MAP = {"pop_growth_pct": "population", "gdp_or_pcgdp_growth_pct": "pcgdp",
                        "fdi_growth_pct": "fdi", "env_reg_growth_pct": "env_reg",
                        "energy_or_carbon_intensity_change_pct": "energy_intensity"}


def reference_scenarios(study: str) -> pd.DataFrame:
    """A published scenario set from reference/stirpat_scenarios.csv in the scenario-table format
    (columns renamed: population, pcgdp (or GDP for 董棒棒), fdi, env_reg, energy_intensity; empty columns dropped)."""
    from .coefficients import reference_table

    ref = reference_table("stirpat_scenarios.csv")
    rows = ref[ref["study"] == study]
    if rows.empty:
        studies = sorted(set(ref["study"]))
        raise bad_input("scenarios", f"study {study!r} is not in reference/stirpat_scenarios.csv"
                                     f"{did_you_mean(study, studies)}; its studies are {studies}")
    out = pd.DataFrame({"scenario": rows["mode"].to_numpy(), "period": rows["period"].to_numpy()})
    for src, d in REFERENCE_COLUMN_MAP.items():
        v = pd.to_numeric(rows[src].replace("", np.nan), errors="coerce").to_numpy()
        if not np.all(np.isnan(v)):
            out[f"{d}_growth_pct"] = v
    return out


#: growth above this (%/a) between a driver's anchors suggests a unit mix-up [D]: a level given as a growth rate,
#: or a level in another unit than the history's column (CNY vs 10^4 CNY, persons vs 10^4 persons). Override:
#: allow_implausible
GROWTH_PLAUSIBLE_MAX = 100.0


def _implausible(scenario: Scenario, d: str, kind: str, rate: float, period: tuple[int, int]) -> None:
    a, b = period
    if kind == "growth":
        what = (f"a growth rate of {rate:g} %/a in {a}-{b}, above the plausible {GROWTH_PLAUSIBLE_MAX:g} %/a; it "
                f"looks like a level given as a growth rate (or a rate in another unit than % per year)")
    else:
        what = (f"levels that imply {rate:+.4g} %/a from {a} to {b} (from the history's last value), outside the "
                f"plausible −50 … +{GROWTH_PLAUSIBLE_MAX:g} %/a; the level looks like another unit than the history "
                f"column (e.g. CNY vs 10^4 CNY, persons vs 10^4 persons)")
    raise bad_input("scenarios", f"scenario {scenario.name}: driver {d} has {what}: give it in the unit of the "
                                 f"history, or pass allow_implausible=True if it is right")


def driver_paths(scenario: Scenario, base_year: int, base_values: dict[str, float], horizon: int = 2060,
                 *, after_last: str = "hold", allow_implausible: bool = False) -> pd.DataFrame:
    """Annual driver levels from base_year + 1 to ``horizon`` (methods.md §5.3).

    After the last period: ``hold`` keeps the last period's growth rate (growth drivers) and the last level
    (level drivers) [D]; ``zero`` sets growth to 0; ``error`` refuses a horizon beyond the table. A growth rate
    above :data:`GROWTH_PLAUSIBLE_MAX` %/a, or levels implying one (or a fall faster than 50 %/a), are refused as
    unit errors unless ``allow_implausible``.
    """
    first = scenario.periods[0][0]
    last = scenario.periods[-1][1]
    if first != base_year + 1:
        raise bad_input("scenarios", f"scenario {scenario.name} starts in {first} but the history ends in {base_year}; "
                                     f"the first period must start in {base_year + 1}")
    if after_last not in ("hold", "zero", "error"):
        raise bad_input("after_last", f"found {after_last!r}{did_you_mean(after_last, ('hold', 'zero', 'error'))}; "
                                      f"expected hold, zero or error")
    if horizon <= base_year:
        raise bad_input("horizon", f"horizon {horizon} is not after the last history year {base_year}; expected a "
                                   f"later year (default 2060)")
    if horizon > last and after_last == "error":
        raise bad_input("scenarios", f"scenario {scenario.name} ends in {last}; extend it to {horizon} or allow "
                                     f"after_last='hold'")
    years = np.arange(base_year + 1, horizon + 1)
    pidx = np.full(len(years), -1)
    for i, (a, b) in enumerate(scenario.periods):
        pidx[(years >= a) & (years <= b)] = i
    beyond = years > last
    out = {"year": years}
    for d, (kind, vals) in scenario.settings.items():
        if d not in base_values:
            raise bad_input("scenarios", f"scenario {scenario.name}: driver {d} has no base-year value")
        x0 = base_values[d]
        if kind == "growth":
            g = np.array([vals[i] if i >= 0 else (vals[-1] if after_last == "hold" else 0.0) for i in pidx])
            g[beyond] = vals[-1] if after_last == "hold" else 0.0
            if np.any(g <= -100):
                raise bad_input("scenarios", f"scenario {scenario.name}: driver {d} has a growth rate ≤ −100 %/a; "
                                             f"expected > −100 %/a")
            if not allow_implausible and max(vals) > GROWTH_PLAUSIBLE_MAX:
                i = int(np.argmax(vals))
                _implausible(scenario, d, kind, vals[i], scenario.periods[i])
            out[d] = x0 * np.cumprod(1.0 + g / 100.0)
        else:
            ax = [base_year] + [b for _, b in scenario.periods]
            ay = [x0] + list(vals)
            if not allow_implausible and x0 > 0 and min(ay) > 0:
                rates = [((ay[i + 1] / ay[i]) ** (1.0 / (ax[i + 1] - ax[i])) - 1.0) * 100.0 for i in range(len(vals))]
                for i, r in enumerate(rates):
                    if not -50.0 <= r <= GROWTH_PLAUSIBLE_MAX:
                        _implausible(scenario, d, kind, r, scenario.periods[i])
            lv = np.interp(years, ax, ay)  # holds the last level beyond the last anchor
            if np.any(lv <= 0):
                raise bad_input("scenarios", f"scenario {scenario.name}: driver {d} reaches a level ≤ 0; expected levels "
                                             f"> 0")
            out[d] = lv
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------------
# peak detection (§5.4)


def detect_peak(years, values, *, eps: float = PEAK_EPS) -> dict:
    """t* = argmax (earliest if tied); status not peaked / peaked / plateau; first decline year; local maxima."""
    y = np.asarray(years)
    v = np.asarray(values, dtype=float)
    i = int(np.argmax(v))
    t_star, c_star = int(y[i]), float(v[i])
    if i == len(v) - 1:
        status = "not peaked"
    elif v[-1] <= (1 - eps) * c_star:
        status = "peaked"
    else:
        status = "plateau"
    decl = np.nonzero((np.arange(len(v)) > i) & (np.diff(v, prepend=v[0]) < 0))[0]
    first_decline = int(y[decl[0]]) if decl.size and status != "not peaked" else None
    loc = [int(y[j]) for j in range(1, len(v) - 1) if v[j] > v[j - 1] and v[j] >= v[j + 1]]
    return {"peak_year": t_star, "peak_value": c_star, "status": status, "first_decline_year": first_decline,
            "peak_by_2030": bool(t_star <= 2030 and status != "not peaked"), "local_maxima": loc}


# --------------------------------------------------------------------------------------------------
# projection


def project(fit: StirpatFit, scenarios: list[Scenario], *, horizon: int = 2060, after_last: str = "hold",
            base_year: int | None = None, base_values: dict[str, float] | None = None,
            band: tuple[float, float] = (5.0, 95.0), sinks: pd.DataFrame | None = None,
            allow_implausible: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Project every scenario to ``horizon``; returns (projection by scenario × year, peaks per scenario).

    The band is the (5, 95) percentile of the projection over the bootstrap coefficient draws. ``sinks``
    (year, absorption_tCO2 and optionally scenario) gives the gap to neutrality = emissions − sinks.
    """
    by = base_year if base_year is not None else fit.base_year
    bv = base_values if base_values is not None else fit.base_values
    if by is None or not bv:
        raise bad_input("history", "projection needs the base year and base driver values (a fitted history)")
    rows, peaks = [], []
    for sc in scenarios:
        paths = driver_paths(sc, by, bv, horizon, after_last=after_last, allow_implausible=allow_implausible)
        c = fit.predict(paths)
        d = pd.DataFrame({"scenario": sc.name, "year": paths["year"]})
        d[f"emissions_{fit.unit}"] = c
        d["emissions_tCO2"] = c * fit.unit_to_tco2
        pk_band = {}
        if fit.draws is not None and len(fit.draws) > 1:
            D = fit.design(paths)
            sims = np.exp(fit.draws[:, :1].T + D @ fit.draws[:, 1:].T) * fit.smearing  # (T, n_boot)
            lo, hi = np.percentile(sims, band, axis=1)
            d[f"p{band[0]:02.0f}_{fit.unit}"] = lo
            d[f"p{band[1]:02.0f}_{fit.unit}"] = hi
            pys = paths["year"].to_numpy()[np.argmax(sims, axis=0)]
            pk_band = {f"peak_year_p{band[0]:02.0f}": int(np.percentile(pys, band[0])),
                       f"peak_year_p{band[1]:02.0f}": int(np.percentile(pys, band[1])),
                       f"peak_value_p{band[0]:02.0f}": float(np.percentile(sims.max(axis=0), band[0])),
                       f"peak_value_p{band[1]:02.0f}": float(np.percentile(sims.max(axis=0), band[1]))}
        for col in paths.columns:
            if col != "year":
                d[f"driver_{col}"] = paths[col].to_numpy()
        pk = detect_peak(d["year"], c)
        info = {"scenario": sc.name, **pk, "peak_unit": fit.unit, **pk_band}
        if sinks is not None:
            s = sink_series(sinks, sc.name, d["year"].to_numpy())
            d["sinks_tCO2"] = s
            d["gap_to_neutrality_tCO2"] = d["emissions_tCO2"] - s
            neutral = d.loc[d["gap_to_neutrality_tCO2"] <= 0, "year"]
            info["gap_2030_tCO2"] = _at(d, 2030)
            info["gap_2060_tCO2"] = _at(d, 2060)
            info["neutral_year"] = int(neutral.iloc[0]) if len(neutral) else None
        rows.append(d)
        peaks.append(info)
    return pd.concat(rows, ignore_index=True), pd.DataFrame(peaks)


def _at(d: pd.DataFrame, year: int):
    r = d.loc[d["year"] == year, "gap_to_neutrality_tCO2"]
    return float(r.iloc[0]) if len(r) else None


def sink_series(sinks: pd.DataFrame, scenario: str, years: np.ndarray) -> np.ndarray:
    """Sinks (t CO2/a) interpolated linearly on ``years``; outside the table's years they are held at the first /
    last value, and a warning says so (the run records it)."""
    if "year" not in sinks or "absorption_tCO2" not in sinks:
        raise bad_input("sinks", f"sinks table has columns {list(sinks.columns)}; expected year and "
                                 f"absorption_tCO2 (optionally scenario)")
    s = sinks
    if "scenario" in s.columns:
        own = s[s["scenario"].astype(str) == scenario]
        s = own if not own.empty else s[s["scenario"].isna() | (s["scenario"].astype(str) == "")]
        if s.empty:
            raise bad_input("sinks", f"sinks table has no rows for scenario {scenario!r} and no common rows"
                                     f"{did_you_mean(scenario, set(sinks['scenario'].dropna().astype(str)))}")
    yr = pd.to_numeric(s["year"], errors="coerce")
    if yr.isna().any():
        raise bad_input("sinks", f"sinks table: some years are empty or not numbers ({list(s['year'][yr.isna()])})")
    if yr.duplicated().any():
        raise bad_input("sinks", f"sinks table: years {sorted(set(yr[yr.duplicated()].astype(int)))} appear more than "
                                 f"once for scenario {scenario!r}; expected one row per year")
    v = pd.to_numeric(s["absorption_tCO2"], errors="coerce")
    if v.isna().any() or (v < 0).any():
        raise bad_input("sinks", "absorption_tCO2 must be a magnitude ≥ 0 in every row; empty is not zero")
    order = np.argsort(yr.to_numpy(float))
    x, y = yr.to_numpy(float)[order], v.to_numpy(float)[order]
    if years.size and (years.min() < x[0] or years.max() > x[-1]):
        warnings.warn(f"sinks for scenario {scenario!r} cover {int(x[0])}-{int(x[-1])}; outside those years they are "
                      f"held at the first / last value ({y[0]:g} / {y[-1]:g} t CO2/a)", LandcarbonWarning,
                      stacklevel=3)
    return np.interp(years, x, y)

_sink_series = sink_series  # the earlier private name
