"""The study plan file (TOML): its schema, and every problem of a plan found before anything runs.

``load_study(path) -> StudyPlan`` reads the plan (``io.plan``), checks every table and key against the
schema below (unknown keys with a did-you-mean), resolves paths against the plan's folder (missing
files named), checks the order of years, the rule sets scenarios name, and the values of the model
sections against the model specs (plan-file keys are spec input keys). Every problem is one ``Issue``
whose key is the place in the file, ``plan.toml:12 [scenarios.low_carbon] demand``; all of them are
raised together as one ``InputValidationError``. docs/study.md is the reference of every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InputValidationError
from ..core.spec import Issue
from ..core.validation import did_you_mean
from ..io.plan import Plan, read_plan_file
from ..models import registry

#: plan section -> model id of the steps it configures (keys are the spec's input keys)
MODEL_SECTIONS: dict[str, str] = {
    "change": "change", "demand": "demand", "optimize": "optimize", "simulate": "simulate",
    "validate": "validate", "stock": "carbon_stock", "emissions": "emissions", "balance": "balance",
    "peak": "peak",
}
#: sections of a scenario that override a model section for that scenario's steps
SCENARIO_MODEL_SECTIONS = ("demand", "optimize", "simulate", "stock", "emissions")
#: demand methods of a scenario
DEMAND_METHODS = ("markov", "trend", "table", "optimize")
#: control-line rule sets every plan knows (simulate's built-in rule sets)
BUILTIN_RULES = ("default", "soft-redline", "none")
#: the study tables (item 1: density, coefficient and price sets, socio-economic and energy tables)
TABLES = ("pools", "energy", "socioeconomic", "history", "peak_scenarios", "coefficients", "agri_inputs",
          "non_co2", "sinks", "variables")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
_YEAR = re.compile(r"^\d{4}$")

# the schema: section -> key -> kind (text, path, paths, year, years, int, number, bool, choice:<a|b>,
# list, table, any). Sections with free keys (maps, lines, rules, scenarios) are checked in code.
SCHEMA: dict[str, dict[str, str]] = {
    "study": {"id": "text", "name": "text", "name_en": "text", "region": "text", "description": "text",
              "language": "choice:zh|en", "grid_region": "text"},
    "grid": {"reference": "year", "align": "bool", "crs": "text"},
    "classes": {"scheme": "text", "crosswalk": "crosswalk", "crosswalk_scheme": "text"},
    "zones": {"file": "path", "field": "text", "layer": "text", "name_field": "text", "name_en_field": "text",
              "cnmaps": "list", "names_en": "table"},
    "drivers": {"continuous": "paths", "categorical": "paths", "dem": "path", "restrict": "path"},
    "tables": {k: ("pools" if k == "pools" else "path") for k in TABLES},
    "calibration": {"from": "year", "to": "year"},
    "years": {"base": "year", "targets": "years"},
    "seeds": {"simulate": "int", "optimize": "int", "validate": "int"},
    "validation": {"from": "year", "observed": "year"},
    "indicators": {"base_year": "year", "warning": "number", "tolerance": "number", "crop_target": "any",
                   "targets": "list", "user": "list"},
    "outputs": {"folder": "text", "catalog": "text", "results": "bool"},
}
SCENARIO_KEYS: dict[str, str] = {
    "name": "text", "name_en": "text", "description": "text", "demand": f"choice:{'|'.join(DEMAND_METHODS)}",
    "demand_scenario": "text", "demand_rules": "any", "demand_table": "path", "demand_years": "years",
    "rules": "text", "peak": "text", **{s: "table" for s in SCENARIO_MODEL_SECTIONS if s != "demand"},
}
TARGET_KEYS = ("indicator", "target", "year", "zone", "warning", "tolerance", "direction")
USER_KEYS = ("id", "expression", "unit", "direction", "name_zh", "name_en")
DEMAND_RULE_KEYS = ("from", "to", "change_pct")
TOP = (*SCHEMA, "maps", "lines", "rules", "scenarios", *MODEL_SECTIONS)

#: spec keys of each model that the study fills from the plan's shared sections (where to set them)
STUDY_KEYS: dict[str, dict[str, str]] = {
    "change": {"landuse": "[maps]", "years": "[maps]", "zones": "[zones]", "zone_field": "[zones]",
               "zone_layer": "[zones]", "scheme": "[classes]", "align": "[grid]"},
    "demand": {"landuse": "[maps]", "target": "[years] targets", "method": "[scenarios.<id>] demand",
               "scenario": "[scenarios.<id>] demand_scenario", "rules": "[scenarios.<id>] demand_rules",
               "table": "[scenarios.<id>] demand_table", "scheme": "[classes]", "align": "[grid]"},
    "optimize": {"landuse": "[maps]", "scheme": "[classes]", "plan": "the scenario's optimize table",
                 "align": "[grid]"},
    "simulate": {"landuse": "[years] base", "calibrate_from": "[calibration]", "calibrate_to": "[calibration]",
                 "drivers": "[drivers]", "categorical_drivers": "[drivers]", "dem": "[drivers]",
                 "restrict": "[drivers]", "demand": "the scenario's demand", "rules": "[scenarios.<id>] rules",
                 "lines": "[lines]", "scheme": "[classes]", "pools": "[tables]", "align": "[grid]"},
    "validate": {"landuse": "[validation]", "observed": "[validation]", "simulated": "[validation]",
                 "zones": "[zones]", "zone_field": "[zones]", "zone_layer": "[zones]", "scheme": "[classes]"},
    "carbon_stock": {"landuse": "[maps] / the simulated maps", "pools": "[tables] pools", "zones": "[zones]",
                     "zone_field": "[zones]", "zone_layer": "[zones]", "years": "[maps] / [years]"},
    "emissions": {"landuse": "[maps]", "zones": "[zones]", "zone_field": "[zones]", "zone_layer": "[zones]",
                  "energy": "[tables] energy", "agri_inputs": "[tables] agri_inputs",
                  "non_co2": "[tables] non_co2", "scheme": "[classes]"},
    "balance": {"emissions": "the emissions step", "socioeconomic": "[tables] socioeconomic", "zones": "[zones]",
                "zone_field": "[zones]", "zone_layer": "[zones]"},
    "peak": {"history": "[tables] history", "scenarios": "[tables] peak_scenarios", "sinks": "[tables] sinks"},
}


@dataclass
class ScenarioPlan:
    id: str
    name: str = ""
    name_en: str = ""
    description: str = ""
    demand: str = "markov"
    demand_scenario: str | None = None
    demand_rules: Any = None  # a path, or inline rows (from, to, change_pct)
    demand_table: Path | None = None
    demand_years: list[int] = field(default_factory=list)
    rules: str = "default"
    peak: str | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # section -> spec values


@dataclass
class StudyPlan:
    """A checked plan: every path resolved, every year in order."""

    plan: Plan
    id: str
    name: str = ""
    name_en: str = ""
    region: str = ""
    description: str = ""
    language: str = "zh"
    grid_region: str = ""
    maps: dict[int, Path] = field(default_factory=dict)
    reference_year: int | None = None
    align: bool = False
    crs: str | None = None
    scheme: str = "national6"
    crosswalk: Path | None = None
    crosswalk_scheme: str | None = None
    zones: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, Path] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    drivers: list[Path] = field(default_factory=list)
    categorical: list[Path] = field(default_factory=list)
    dem: Path | None = None
    restrict: Path | None = None
    tables: dict[str, Path] = field(default_factory=dict)
    calibration: tuple[int, int] | None = None
    base: int = 0
    targets: list[int] = field(default_factory=list)
    seeds: dict[str, int] = field(default_factory=dict)
    validation: tuple[int, int] | None = None
    scenarios: dict[str, ScenarioPlan] = field(default_factory=dict)
    indicators: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # section -> spec values

    @property
    def path(self) -> Path:
        return self.plan.path

    def where(self, *key: str) -> str:
        return self.plan.where(tuple(key))

    def rule_value(self, name: str) -> str:
        """The value simulate's ``rules`` input gets for a rule-set name (a built-in name or a table path)."""
        return self.rules.get(name, name)


class _Checker:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.issues: list[Issue] = []

    def add(self, key: tuple[str, ...], message: str) -> None:
        self.issues.append(self.plan.issue(key, message))

    def keys(self, table: Any, where: tuple[str, ...], allowed: Any, what: str = "key") -> dict[str, Any]:
        """``table`` as a dict; unknown keys reported (did-you-mean, line)."""
        if not isinstance(table, dict):
            self.add(where, f"found {table!r}; expected a table [{'.'.join(where)}] with keys")
            return {}
        allowed = list(allowed)
        for k in table:
            if k not in allowed:
                self.add((*where, k), f"unknown {what} {k!r}{did_you_mean(k, allowed)}; expected one of "
                                      f"{', '.join(allowed)}")
        return {k: v for k, v in table.items() if k in allowed}

    def value(self, v: Any, where: tuple[str, ...], kind: str) -> Any:
        """One value of kind ``kind`` (see SCHEMA); None (and an issue) when it is wrong."""
        if kind == "any":
            return v
        if kind == "text":
            if isinstance(v, str):
                return v
            return self._bad(where, v, "text in quotes")
        if kind.startswith("choice:"):
            choices = kind.split(":", 1)[1].split("|")
            if v in choices:
                return v
            return self._bad(where, v, f"one of {', '.join(choices)}{did_you_mean(str(v), choices)}")
        if kind == "bool":
            return v if isinstance(v, bool) else self._bad(where, v, "true or false")
        if kind in ("int", "year"):
            if isinstance(v, int) and not isinstance(v, bool) and (kind == "int" and v >= 0 or
                                                                   kind == "year" and 1000 <= v <= 2200):
                return v
            return self._bad(where, v, "a year (e.g. 2020)" if kind == "year" else "a whole number ≥ 0")
        if kind == "number":
            if isinstance(v, int | float) and not isinstance(v, bool):
                return float(v)
            return self._bad(where, v, "a number")
        if kind == "years":
            if isinstance(v, list) and v and all(isinstance(y, int) and not isinstance(y, bool) for y in v):
                if any(b <= a for a, b in zip(v[:-1], v[1:], strict=False)):
                    a, b = next((a, b) for a, b in zip(v[:-1], v[1:], strict=False) if b <= a)
                    self.add(where, f"found {v} ({a} then {b} is {'repeated' if a == b else 'out of order'}); "
                                    f"expected years in increasing order, oldest first")
                    return None
                return list(v)
            return self._bad(where, v, "a list of years, e.g. [2030, 2035]")
        if kind == "list":
            return v if isinstance(v, list) else self._bad(where, v, "a list")
        if kind == "table":
            return v if isinstance(v, dict) else self._bad(where, v, "a table")
        if kind == "pools":
            if isinstance(v, str) and v.startswith("set:"):
                from ..datasets.china import DENSITY_SET

                if v[4:] != DENSITY_SET:
                    return self._bad(where, v, f"a table path or a shipped density set: set:{DENSITY_SET}")
                return v
            return self.value(v, where, "path")
        if kind == "crosswalk":
            if isinstance(v, dict):
                try:
                    return {int(a): int(b) for a, b in v.items()}
                except (TypeError, ValueError):
                    return self._bad(where, v, "a table of class code = new class code, e.g. { 1 = 3, 2 = 2 }")
            return self.value(v, where, "path")
        if kind == "path":
            if not isinstance(v, str) or not v.strip():
                return self._bad(where, v, "a file path in quotes")
            return self.path(v, where)
        if kind == "paths":
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                return self._bad(where, v, "a list of file paths")
            out = [self.path(x, where) for x in v]
            return [p for p in out if p is not None] if all(p is not None for p in out) else None
        raise AssertionError(kind)  # pragma: no cover

    def _bad(self, where: tuple[str, ...], v: Any, expected: str) -> None:
        self.add(where, f"found {v!r}; expected {expected}")
        return None

    def path(self, v: str, where: tuple[str, ...]) -> Path | None:
        p = self.plan.resolve(v)
        if not p.exists():
            near = did_you_mean(p.name, [q.name for q in p.parent.iterdir()]) if p.parent.is_dir() else ""
            self.add(where, f"file {v} does not exist (looked for {p}){near}; check the path (relative paths are "
                            f"read from the plan's folder)")
            return None
        return p


def _table(ck: _Checker, data: dict[str, Any], name: str) -> dict[str, Any]:
    raw = data.get(name, {})
    out: dict[str, Any] = {}
    for k, v in ck.keys(raw, (name,), SCHEMA[name]).items():
        x = ck.value(v, (name, k), SCHEMA[name][k])
        if x is not None:
            out[k] = x
    return out


def model_section(ck: _Checker, raw: Any, where: tuple[str, ...], section: str) -> dict[str, Any]:
    """A model section's values: keys must be the spec's inputs (did-you-mean) and not set by the study."""
    model_id = MODEL_SECTIONS[section]
    spec = registry.spec(model_id)
    names = [i.name for i in spec.inputs]
    extra: tuple[str, ...] = ()
    if model_id == "optimize":
        from ..models.optimize.spec import PLAN_SCHEMA

        extra = tuple(k for k in PLAN_SCHEMA if k not in names)
    if not isinstance(raw, dict):
        ck.add(where, f"found {raw!r}; expected a table of {spec.id} inputs")
        return {}
    out = {}
    study = STUDY_KEYS.get(model_id, {})
    for k, v in raw.items():
        if k in study:
            ck.add((*where, k), f"{k} is set by the study from {study[k]}; remove it here")
        elif k not in names and k not in extra:
            own = [n for n in [*names, *extra] if n not in study]
            ck.add((*where, k), f"is not an input of {spec.id}{did_you_mean(k, own)}; its inputs are "
                                f"{', '.join(own)}")
        else:
            out[k] = v
    return out


def _maps(ck: _Checker, data: dict[str, Any]) -> dict[int, Path]:
    raw = data.get("maps")
    if raw is None:
        ck.add(("maps",), "the plan has no [maps] table; expected the land-use maps by year, e.g. 2020 = "
                          "\"landuse_2020.tif\"")
        return {}
    if not isinstance(raw, dict):
        ck.add(("maps",), f"found {raw!r}; expected a table of year = \"path\"")
        return {}
    out: dict[int, Path] = {}
    prev = None
    for k, v in raw.items():
        if not _YEAR.match(k):
            ck.add(("maps", k), f"{k!r} is not a year; expected four digits, e.g. 2020 = \"landuse_2020.tif\"")
            continue
        y = int(k)
        if prev is not None and y <= prev:
            ck.add(("maps", k), f"year {y} comes after {prev}; expected the maps in increasing order of year, "
                                f"oldest first")
        prev = y
        p = ck.value(v, ("maps", k), "path")
        if p is not None:
            out[y] = p
        elif isinstance(v, str):  # reported; the year still counts, so the other checks do not cascade
            out[y] = ck.plan.resolve(v)
    if not raw:
        ck.add(("maps",), "is empty; expected at least one land-use map by year")
    return out


def _scenario(ck: _Checker, sid: str, raw: Any, sp: StudyPlan) -> ScenarioPlan | None:
    where = ("scenarios", sid)
    if not _ID.match(sid):
        ck.add(where, f"scenario id {sid!r} has characters other than letters, digits, _ and -; rename it")
    vals = ck.keys(raw, where, SCENARIO_KEYS)
    sc = ScenarioPlan(id=sid)
    for k, v in vals.items():
        kind = SCENARIO_KEYS[k]
        if k == "demand" and isinstance(v, dict):  # [scenarios.<id>.demand]: method plus demand inputs
            v = dict(v)
            method = v.pop("method", "markov")
            if ck.value(method, (*where, k, "method"), kind) is not None:
                sc.demand = method
            sc.models[k] = model_section(ck, v, (*where, k), k)
            continue
        if k in SCENARIO_MODEL_SECTIONS and k != "demand":
            if ck.value(v, (*where, k), "table") is not None:
                sc.models[k] = model_section(ck, v, (*where, k), k)
            continue
        x = ck.value(v, (*where, k), kind)
        if x is None:
            continue
        setattr(sc, k, x)
    if sc.demand == "optimize" and "optimize" not in sc.models and "optimize" not in sp.models:
        sc.models["optimize"] = {}
    if sc.demand == "table" and sc.demand_table is None and "demand_table" not in vals:
        ck.add((*where, "demand"), "demand is 'table' but the scenario has no demand_table; give its path")
    if sc.demand != "table" and "demand_table" in vals:
        ck.add((*where, "demand_table"), f"is given but demand is {sc.demand!r}, which does not read it, so it "
                                         f"would do nothing; drop it or set demand = \"table\"")
    if sc.demand_scenario is not None:
        choices = registry.spec("demand").input("scenario").choices or ()
        if sc.demand_scenario not in choices:
            ck.add((*where, "demand_scenario"), f"found {sc.demand_scenario!r}; expected one of {', '.join(choices)}"
                                                f"{did_you_mean(sc.demand_scenario, choices)}")
        if sc.demand not in ("markov",):
            ck.add((*where, "demand_scenario"), f"built-in demand rules adjust a Markov chain; demand is "
                                                f"{sc.demand!r}: drop it or set demand = \"markov\"")
    if sc.demand_rules is not None:
        sc.demand_rules = _demand_rules(ck, sc.demand_rules, (*where, "demand_rules"))
        if sc.demand != "markov":
            ck.add((*where, "demand_rules"), f"demand rules adjust a Markov chain; demand is {sc.demand!r}: drop "
                                             f"them or set demand = \"markov\"")
    known = [*sp.rules, *[b for b in BUILTIN_RULES if b not in sp.rules]]
    if sc.rules not in known:
        ck.add((*where, "rules"), f"names the rule set {sc.rules!r}, which the plan does not define"
                                  f"{did_you_mean(sc.rules, known)}; expected one of {', '.join(known)} (add it "
                                  f"to [rules])")
    for y in sc.demand_years:
        if y not in sp.maps:
            ck.add((*where, "demand_years"), f"year {y} has no map in [maps]; expected some of "
                                             f"{', '.join(map(str, sp.maps))}")
    return sc


def _demand_rules(ck: _Checker, v: Any, where: tuple[str, ...]) -> Any:
    if isinstance(v, str):
        return ck.value(v, where, "path")
    if not isinstance(v, list) or not all(isinstance(r, dict) for r in v):
        ck.add(where, f"found {v!r}; expected a rule table path, or a list of {{from = …, to = …, change_pct = …}}")
        return None
    rows = []
    for i, r in enumerate(v):
        r = ck.keys(r, where, DEMAND_RULE_KEYS, what=f"key of rule {i + 1}")
        miss = [k for k in DEMAND_RULE_KEYS if k not in r]
        if miss:
            ck.add(where, f"rule {i + 1} lacks {', '.join(miss)}; expected from, to and change_pct (%)")
            continue
        rows.append({k: r[k] for k in DEMAND_RULE_KEYS})
    return rows


def _years(ck: _Checker, sp: StudyPlan, data: dict[str, Any]) -> None:
    years = list(sp.maps)
    cal = _table(ck, data, "calibration")
    yr = _table(ck, data, "years")
    if "targets" not in yr and "targets" not in data.get("years", {}) and sp.scenarios:
        ck.add(("years",), "the plan has no target years; expected [years] targets = [2030, 2035]")
    sp.targets = yr.get("targets", [])
    sp.base = yr.get("base", years[-1] if years else 0)
    if "base" in yr and sp.maps and sp.base not in sp.maps:
        ck.add(("years", "base"), f"year {sp.base} has no map in [maps]; expected one of {', '.join(map(str, years))}"
                                  f"{did_you_mean(str(sp.base), map(str, years))}")
    for t in sp.targets:
        if sp.base and t <= sp.base:
            ck.add(("years", "targets"), f"target year {t} is not after the base year {sp.base}; expected years "
                                         f"after it (the simulation starts from the base map)")
            break
    if cal:
        f, t = cal.get("from"), cal.get("to")
        for k, y in (("from", f), ("to", t)):
            if y is not None and sp.maps and y not in sp.maps:
                ck.add(("calibration", k), f"year {y} has no map in [maps]; expected one of "
                                           f"{', '.join(map(str, years))}")
        if f is not None and t is not None and f >= t:
            ck.add(("calibration", "to"), f"calibration runs from {f} to {t}; expected 'to' after 'from' (the model "
                                          f"learns the change from the older map to the newer)")
        if t is not None and sp.base and t > sp.base:
            ck.add(("calibration", "to"), f"calibration ends in {t}, after the base year {sp.base}; expected years up "
                                          f"to the base year")
        if f is not None and t is not None:
            sp.calibration = (f, t)
    elif len(years) >= 2:
        before = [y for y in years if y <= sp.base]
        if len(before) >= 2:
            sp.calibration = (before[-2], before[-1])
    if sp.calibration is None and sp.scenarios:
        ck.add(("calibration",), "the simulation needs two maps up to the base year to learn from; expected "
                                 "[calibration] from = YEAR, to = YEAR")
    val = _table(ck, data, "validation")
    if val:
        f, o = val.get("from"), val.get("observed")
        for k, y in (("from", f), ("observed", o)):
            if y is not None and sp.maps and y not in sp.maps:
                ck.add(("validation", k), f"year {y} has no map in [maps]; expected one of {', '.join(map(str, years))}")
        if f is not None and o is not None:
            if o <= f:
                ck.add(("validation", "observed"), f"the validation simulates from {f} to {o}; expected 'observed' "
                                                   f"after 'from'")
            sp.validation = (f, o)
        else:
            ck.add(("validation",), "expected both from and observed (years of [maps])")


def _indicators(ck: _Checker, sp: StudyPlan, data: dict[str, Any]) -> None:
    ind = _table(ck, data, "indicators")
    targets = []
    for i, t in enumerate(ind.get("targets", [])):
        where = ("indicators", "targets", str(i))
        t = ck.keys(t, where, TARGET_KEYS)
        if "indicator" not in t:
            ck.add(where, "a target needs its indicator (e.g. indicator = \"FC\")")
            continue
        targets.append((where, t))
    users = []
    for i, u in enumerate(ind.get("user", [])):
        where = ("indicators", "user", str(i))
        u = ck.keys(u, where, USER_KEYS)
        miss = [k for k in ("id", "expression", "unit", "direction") if k not in u]
        if miss:
            ck.add(where, f"a user indicator needs {', '.join(miss)}")
            continue
        users.append((where, u))
    ind["targets"], ind["user"] = targets, users
    ct = ind.get("crop_target")
    if isinstance(ct, str):
        ind["crop_target"] = ck.value(ct, ("indicators", "crop_target"), "path")
    elif ct is not None and not isinstance(ct, int | float | dict) or isinstance(ct, bool):
        ck.add(("indicators", "crop_target"), f"found {ct!r}; expected a number (ha, whole region), a table "
                                              f"{{zone = ha}} or a table file")
    sp.indicators = ind


def load_study(path: str | Path) -> StudyPlan:
    """Read and check a plan file; every problem at once (``InputValidationError``, one issue per line)."""
    plan = read_plan_file(path)
    ck = _Checker(plan)
    data = plan.data
    for k in data:
        if k not in TOP:
            ck.add((k,), f"unknown section [{k}]{did_you_mean(k, TOP)}; expected one of {', '.join(TOP)}")
    st = _table(ck, data, "study")
    sid = st.get("id")
    if sid is None:
        ck.add(("study",), "the plan has no study id; expected [study] id = \"my_study\" (letters, digits, _ and -)")
        sid = plan.path.stem
    elif not _ID.match(sid):
        ck.add(("study", "id"), f"found {sid!r}; expected letters, digits, _ and - only")
    sp = StudyPlan(plan=plan, id=sid, name=st.get("name", sid), name_en=st.get("name_en", ""),
                   region=st.get("region", ""), description=st.get("description", ""),
                   language=st.get("language", "zh"), grid_region=st.get("grid_region", ""))
    sp.maps = _maps(ck, data)
    g = _table(ck, data, "grid")
    sp.reference_year, sp.align, sp.crs = g.get("reference"), bool(g.get("align", False)), g.get("crs")
    if sp.reference_year is not None and sp.maps and sp.reference_year not in sp.maps:
        ck.add(("grid", "reference"), f"year {sp.reference_year} has no map in [maps]")
    cl = _table(ck, data, "classes")
    sp.scheme = cl.get("scheme", "national6")
    sp.crosswalk, sp.crosswalk_scheme = cl.get("crosswalk"), cl.get("crosswalk_scheme")
    if sp.crosswalk is not None and sp.crosswalk_scheme is None:
        sp.crosswalk_scheme = "national6"
    if sp.scheme and not re.search(r"[/\\.]", sp.scheme):
        from ..core.classes import BUILTIN_SCHEMES

        if sp.scheme not in BUILTIN_SCHEMES:
            ck.add(("classes", "scheme"), f"found {sp.scheme!r}; expected a built-in scheme "
                                          f"({', '.join(BUILTIN_SCHEMES)}){did_you_mean(sp.scheme, BUILTIN_SCHEMES)} "
                                          f"or a scheme table path")
    elif sp.scheme:
        p = ck.value(sp.scheme, ("classes", "scheme"), "path")
        sp.scheme = str(p) if p is not None else sp.scheme
    sp.zones = _table(ck, data, "zones")
    if sp.zones.get("file") is not None and sp.zones.get("cnmaps") is not None:
        ck.add(("zones", "cnmaps"), "give either file or cnmaps, not both")
    for k, kind in (("lines", "path"), ("rules", "rule")):
        raw = data.get(k, {})
        if not isinstance(raw, dict):
            ck.add((k,), f"found {raw!r}; expected a table of name = \"path\"")
            continue
        for name, v in raw.items():
            if kind == "rule" and v in BUILTIN_RULES:
                sp.rules[name] = v
                continue
            p = ck.value(v, (k, name), "path")
            if p is not None:
                (sp.lines if k == "lines" else sp.rules)[name] = p if k == "lines" else str(p)
    dr = _table(ck, data, "drivers")
    sp.drivers, sp.categorical = dr.get("continuous", []), dr.get("categorical", [])
    sp.dem, sp.restrict = dr.get("dem"), dr.get("restrict")
    sp.tables = _table(ck, data, "tables")
    sp.seeds = _table(ck, data, "seeds")
    sp.outputs = _table(ck, data, "outputs")
    for section in MODEL_SECTIONS:
        if section in data:
            sp.models[section] = model_section(ck, data[section], (section,), section)
    scen = data.get("scenarios", {})
    if not isinstance(scen, dict):
        ck.add(("scenarios",), f"found {scen!r}; expected [scenarios.<id>] tables")
        scen = {}
    for sid_, raw in scen.items():
        sc = _scenario(ck, sid_, raw, sp)
        if sc is not None:
            sp.scenarios[sid_] = sc
    _years(ck, sp, data)
    if sp.scenarios and not sp.drivers:
        ck.add(("drivers", "continuous"), "the scenarios are simulated, which needs driver rasters; expected "
                                          "[drivers] continuous = [\"dem.tif\", …]")
    _indicators(ck, sp, data)
    if ck.issues:
        raise InputValidationError(ck.issues)
    return sp


__all__ = ["BUILTIN_RULES", "DEMAND_METHODS", "MODEL_SECTIONS", "SCHEMA", "STUDY_KEYS", "ScenarioPlan", "StudyPlan",
           "load_study", "model_section"]
