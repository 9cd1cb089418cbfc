"""A checked plan → the study's step graph (``workflow.graph.Step``), one builder per model.

Step values are the models' spec input keys; the study fills the keys its shared sections say
(maps, zones, lines, drivers, tables) and lays the plan's model sections over them (``[simulate]``
for every scenario, ``[scenarios.<id>.simulate]`` for one). A step reads another step's output by
the file name that step's spec declares (``Ref(step, file)``); a plan may name one itself with
``"@<step>:<file>"``. ``origins`` keeps, for every value of every step, the place in the plan it
came from, so a problem a model finds is reported at that line.

Step ids: ``classes`` (crosswalk), ``zones`` (cnmaps boundaries), ``change``, ``validation/simulate``,
``validation/validate``, ``optimize/<s>``, ``demand/<s>``, ``simulate/<s>``, ``stock/observed``,
``stock/<s>``, ``emissions/observed``, ``balance/observed``, ``peak``, ``variables/observed``,
``variables/<s>``, ``indicators/observed``, ``indicators/<s>``.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.spec import Issue
from ..core.validation import did_you_mean
from ..io import atomic_write_text
from ..models import registry
from . import study_tasks as tasks
from .graph import Ref, Step
from .study_plan import MODEL_SECTIONS, StudyPlan

Origin = tuple[str, ...]


@dataclass
class Build:
    sp: StudyPlan
    inputs: Path  # folder of the files the study generates from the plan (rule tables, option files)
    steps: list[Step] = field(default_factory=list)
    origins: dict[str, dict[str, Origin]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    # -- shared inputs --------------------------------------------------------------------------
    def map(self, year: int) -> Any:
        """The observed map of ``year`` (the crosswalked one when the plan has a crosswalk)."""
        if self.sp.crosswalk is not None:
            return Ref("classes", f"landuse_{year}.tif")
        return str(self.sp.maps[year])

    @property
    def scheme(self) -> str:
        return self.sp.crosswalk_scheme if self.sp.crosswalk is not None else self.sp.scheme

    def zone_values(self) -> tuple[dict[str, Any], dict[str, Origin]]:
        z = self.sp.zones
        if z.get("cnmaps") is not None:
            return {"zones": Ref("zones", "zones.gpkg"), "zone_field": "zone"}, \
                {"zones": ("zones", "cnmaps"), "zone_field": ("zones", "cnmaps")}
        if z.get("file") is None:
            return {}, {}
        vals: dict[str, Any] = {"zones": str(z["file"])}
        org: dict[str, Origin] = {"zones": ("zones", "file")}
        for k, key in (("field", "zone_field"), ("layer", "zone_layer")):
            if z.get(k):
                vals[key], org[key] = z[k], ("zones", k)
        return vals, org

    def pools(self) -> str:
        """The pools table: a path, or the shipped density set written as a table (set:<id>)."""
        v = self.sp.tables["pools"]
        if isinstance(v, str) and v.startswith("set:"):
            from ..datasets.china import density_set

            df, _ = density_set(v[4:])
            t = df.rename(columns={"code": "lucode"}).assign(lulc_name=df["name_en"])
            return self.write_table(f"pools_{v[4:]}.csv", t[["lucode", "lulc_name", "c_above", "c_below", "c_soil",
                                                            "c_dead"]])
        return str(v)

    def crosswalk(self) -> str:
        v = self.sp.crosswalk
        if isinstance(v, dict):
            import pandas as pd

            return self.write_table("crosswalk.csv", pd.DataFrame({"from": list(v), "to": list(v.values())}))
        return str(v)

    def sim_file(self, year: int) -> str:
        """simulate's map of a target year: sim.tif for one target year (a demand without a year), else
        sim_<year>.tif."""
        return "sim.tif" if len(self.sp.targets) == 1 else f"sim_{year}.tif"

    def lines_value(self) -> dict[str, str]:
        """Control lines as NAME -> path (the cache hashes each file, so a moved study keeps its cache)."""
        return {k: str(v) for k, v in self.sp.lines.items()}

    def write_input(self, name: str, text: str) -> str:
        """A file the study generates from the plan (content only: the same plan, the same bytes)."""
        p = self.inputs / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            atomic_write_text(p, text)
        return str(p)

    def write_table(self, name: str, df: Any) -> str:
        import io as _io

        buf = _io.StringIO()
        df.to_csv(buf, index=False, lineterminator="\n")
        return self.write_input(name, buf.getvalue())

    # -- steps ----------------------------------------------------------------------------------
    def add(self, step: Step, origins: dict[str, Origin], *sections: tuple[Origin, dict[str, Any]]) -> Step:
        """Add ``step``; lay each plan section's values over its values (later sections win)."""
        for where, vals in sections:
            for k, v in vals.items():
                step.values[k] = self.refs(v, (*where, k))
                origins[k] = (*where, k)
        step.where = step.where or self.sp.where(*next(iter(origins.values()), ("plan",)))
        self.steps.append(step)
        self.origins[step.id] = origins
        return step

    def refs(self, v: Any, where: Origin) -> Any:
        """``"@step:file"`` in a plan value → ``Ref(step, file)`` (checked once every step is built)."""
        if isinstance(v, str) and v.startswith("@"):
            step, _, f = v[1:].partition(":")
            if not f:
                self.issues.append(self.sp.plan.issue(where, f"found {v!r}; expected \"@<step>:<file>\", e.g. "
                                                             f"\"@demand/natural_trend:demand.csv\""))
                return v
            r = Ref(step, f)
            self._pending.append((where, r))
            return r
        if isinstance(v, list):
            return [self.refs(x, where) for x in v]
        if isinstance(v, str) and not v.startswith(("http:", "https:")) and ("/" in v or "\\" in v or
                                                                              Path(v).suffix):
            p = self.sp.plan.resolve(v)
            return str(p) if p.exists() else v
        return v

    @property
    def _pending(self) -> list[tuple[Origin, Ref]]:
        return self.__dict__.setdefault("_refs", [])

    def check_refs(self) -> None:
        """Every ``@step:file`` names a step of the plan and a file its model declares."""
        by_id = {s.id: s for s in self.steps}
        for where, r in self._pending:
            s = by_id.get(r.step)
            if s is None:
                self.issues.append(self.sp.plan.issue(where, f"reads step {r.step!r}, which no part of the plan "
                                                             f"produces{did_you_mean(r.step, by_id)}; the steps are "
                                                             f"{', '.join(by_id)}"))
                continue
            if s.run is not None:
                continue
            outs = [o.name for o in registry.spec(s.model).outputs]
            if not any(fnmatch.fnmatch(r.file, pat) for pat in outs):
                self.issues.append(self.sp.plan.issue(where, f"step {r.step} ({s.model}) writes no {r.file!r}"
                                                             f"{did_you_mean(r.file, outs)}; it writes "
                                                             f"{', '.join(outs)}"))


def _section(sp: StudyPlan, name: str) -> tuple[Origin, dict[str, Any]]:
    return (name,), sp.models.get(name, {})


def _scenario_section(sp: StudyPlan, sid: str, name: str) -> tuple[Origin, dict[str, Any]]:
    return ("scenarios", sid, name), sp.scenarios[sid].models.get(name, {})


# --------------------------------------------------------------------------------------------------
# builders


def _prepare(b: Build) -> None:
    sp = b.sp
    if sp.crosswalk is not None:
        b.add(Step("classes", "study.crosswalk", {"maps": {str(y): str(p) for y, p in sp.maps.items()},
                                                  "crosswalk": b.crosswalk()}, run=tasks.crosswalk),
              {"maps": ("maps",), "crosswalk": ("classes", "crosswalk")})
    if sp.zones.get("cnmaps") is not None:
        ref_year = sp.reference_year or sp.base
        b.add(Step("zones", "study.zones", {"adcodes": [str(a) for a in sp.zones["cnmaps"]],
                                            "names_en": dict(sp.zones.get("names_en", {})),
                                            "like": b.map(ref_year)}, run=tasks.cnmaps_zones),
              {"adcodes": ("zones", "cnmaps"), "names_en": ("zones", "names_en"), "like": ("maps", str(ref_year))})


def _change(b: Build) -> None:
    """One change step per pair of consecutive maps (``change/2010-2015``)."""
    sp = b.sp
    zv, zo = b.zone_values()
    years = list(sp.maps)
    for y0, y1 in zip(years[:-1], years[1:], strict=False):
        vals = {"landuse": [b.map(y0), b.map(y1)], "years": [y0, y1], "scheme": b.scheme, **zv,
                "lang": sp.language}
        if sp.align:
            vals["align"] = True
        b.add(Step(f"change/{y0}-{y1}", "change", vals),
              {"landuse": ("maps", str(y1)), "years": ("maps", str(y1)), "scheme": ("classes", "scheme"),
               "lang": ("study", "language"), **zo}, _section(sp, "change"))


def _simulate_values(b: Build, start: int, cal: tuple[int, int], demand: Any, rules: str,
                     seed_key: str = "simulate") -> tuple[dict[str, Any], dict[str, Origin]]:
    sp = b.sp
    vals: dict[str, Any] = {"landuse": b.map(start), "calibrate_from": b.map(cal[0]), "calibrate_to": b.map(cal[1]),
                            "drivers": [str(p) for p in sp.drivers], "demand": demand,
                            "rules": sp.rule_value(rules), "scheme": b.scheme,
                            "seed": int(sp.seeds.get(seed_key, sp.seeds.get("simulate", 0)))}
    org: dict[str, Origin] = {"landuse": ("years", "base"), "calibrate_from": ("calibration", "from"),
                              "calibrate_to": ("calibration", "to"), "drivers": ("drivers", "continuous"),
                              "scheme": ("classes", "scheme"), "seed": ("seeds", seed_key)}
    if sp.categorical:
        vals["categorical_drivers"], org["categorical_drivers"] = [str(p) for p in sp.categorical], \
            ("drivers", "categorical")
    for k in ("dem", "restrict"):
        if getattr(sp, k) is not None:
            vals[k], org[k] = str(getattr(sp, k)), ("drivers", k)
    if sp.lines and rules != "none" and sp.rule_value(rules) != "none":
        vals["lines"], org["lines"] = b.lines_value(), ("lines",)
    if "pools" in sp.tables:
        vals["pools"], org["pools"] = b.pools(), ("tables", "pools")
    if sp.align:
        vals["align"] = True
    return vals, org


def _validation(b: Build) -> None:
    sp = b.sp
    if sp.validation is None or sp.calibration is None:
        return
    f, o = sp.validation
    before = [y for y in sp.maps if y < f]
    cal = (before[-1], f) if before else sp.calibration
    # demand: the observed map's own class counts (this checks the allocation, not the demand)
    b.add(Step("validation/observed", "study.counts", {"landuse": b.map(o), "start": b.map(f), "year": o},
               run=tasks.class_counts), {"landuse": ("validation", "observed"), "start": ("validation", "from")})
    vals, org = _simulate_values(b, f, cal, Ref("validation/observed", "counts.csv"), "default", "validate")
    org["landuse"] = ("validation", "from")
    b.add(Step("validation/simulate", "simulate", vals), org, _section(sp, "simulate"))
    zv, zo = b.zone_values()
    b.add(Step("validation/validate", "validate", {"landuse": b.map(f), "observed": b.map(o),
                                                   "simulated": Ref("validation/simulate", f"sim_{o}.tif"),
                                                   "scheme": b.scheme, "lang": sp.language, **zv}),
          {"landuse": ("validation", "from"), "observed": ("validation", "observed"),
           "simulated": ("validation",), "scheme": ("classes", "scheme"), "lang": ("study", "language"), **zo},
          _section(sp, "validate"))


def _demand(b: Build, sid: str) -> Any:
    """The demand step(s) of scenario ``sid``; returns the Ref of its demand.csv."""
    sp = b.sp
    sc = sp.scenarios[sid]
    w = ("scenarios", sid)
    obs = [y for y in sp.maps if y <= sp.base]
    if sc.demand == "optimize":
        opt_section = {**sp.models.get("optimize", {}), **sc.models.get("optimize", {})}
        spec_keys = {i.name for i in registry.spec("optimize").inputs}
        options = {k: v for k, v in opt_section.items() if k not in spec_keys}
        vals: dict[str, Any] = {"landuse": b.map(sp.base), "scheme": b.scheme, "lang": sp.language}
        org: dict[str, Origin] = {"landuse": ("years", "base"), "scheme": ("classes", "scheme"),
                                  "lang": ("study", "language")}
        if "pools" in sp.tables:
            vals["pools"], org["pools"] = b.pools(), ("tables", "pools")
        if options:
            vals["plan"] = b.write_input(f"optimize_{sid}.toml", _toml({"optimize": options}))
            org["plan"] = (*w, "optimize")
        if "seed" not in opt_section and "optimize" in sp.seeds:
            vals["seed"], org["seed"] = sp.seeds["optimize"], ("seeds", "optimize")
        spec_part = {k: v for k, v in opt_section.items() if k in spec_keys}
        over = {k: v for k, v in sc.models.get("optimize", {}).items() if k in spec_keys}
        base_part = {k: v for k, v in spec_part.items() if k not in over}
        b.add(Step(f"optimize/{sid}", "optimize", vals, scenario=sid), org, (("optimize",), base_part),
              ((*w, "optimize"), over))
        b.add(Step(f"demand/{sid}", "study.demand_years",
                   {"optimum": Ref(f"optimize/{sid}", "demand.csv"), "start": b.map(sp.base), "base": sp.base,
                    "targets": list(sp.targets)}, scenario=sid, run=tasks.demand_years),
              {"optimum": (*w, "demand"), "start": ("years", "base"), "targets": ("years", "targets")})
        return Ref(f"demand/{sid}", "demand.csv")
    vals = {"method": sc.demand}
    org = {"method": (*w, "demand")}
    if sc.demand_rules is not None or sc.demand_scenario not in (None, "natural_trend"):
        vals["scheme"], org["scheme"] = b.scheme, ("classes", "scheme")  # the rules name class groups
    if sc.demand == "table":
        vals.update(landuse=[b.map(sp.base)], table=str(sc.demand_table))
        org.update(landuse=("years", "base"), table=(*w, "demand_table"))
    else:
        years = sc.demand_years or (obs[-2:] if sc.demand == "markov" else obs)
        vals.update(landuse=[b.map(y) for y in years], years=years, target=list(sp.targets))
        org.update(landuse=(*w, "demand_years") if sc.demand_years else ("maps",), years=("maps",),
                   target=("years", "targets"))
        if sc.demand_scenario:
            vals["scenario"], org["scenario"] = sc.demand_scenario, (*w, "demand_scenario")
        if sc.demand_rules is not None:
            if isinstance(sc.demand_rules, list):
                import pandas as pd

                vals["rules"] = b.write_table(f"demand_rules_{sid}.csv", pd.DataFrame(sc.demand_rules))
            else:
                vals["rules"] = str(sc.demand_rules)
            org["rules"] = (*w, "demand_rules")
    if sp.align:
        vals["align"] = True
    b.add(Step(f"demand/{sid}", "demand", vals, scenario=sid), org, _section(sp, "demand"),
          _scenario_section(sp, sid, "demand"))
    return Ref(f"demand/{sid}", "demand.csv")


def _scenario(b: Build, sid: str) -> None:
    sp = b.sp
    sc = sp.scenarios[sid]
    demand = _demand(b, sid)
    assert sp.calibration is not None
    vals, org = _simulate_values(b, sp.base, sp.calibration, demand, sc.rules)
    org["demand"], org["rules"] = ("scenarios", sid, "demand"), ("scenarios", sid, "rules")
    b.add(Step(f"simulate/{sid}", "simulate", vals, scenario=sid), org, _section(sp, "simulate"),
          _scenario_section(sp, sid, "simulate"))


def _peak(b: Build) -> None:
    sp = b.sp
    if "history" not in sp.tables or "peak_scenarios" not in sp.tables:
        for sid, sc in sp.scenarios.items():
            if sc.peak is not None:
                miss = [k for k in ("history", "peak_scenarios") if k not in sp.tables]
                b.issues.append(sp.plan.issue(("scenarios", sid, "peak"),
                                              f"names the emission path {sc.peak!r} of the STIRPAT projection, but "
                                              f"nothing produces it: [tables] has no {' and '.join(miss)}; add them "
                                              f"or drop peak"))
        return
    vals = {"history": str(sp.tables["history"]), "scenarios": str(sp.tables["peak_scenarios"]),
            "lang": sp.language}
    org = {"history": ("tables", "history"), "scenarios": ("tables", "peak_scenarios"), "lang": ("study", "language")}
    if "sinks" in sp.tables:
        vals["sinks"], org["sinks"] = str(sp.tables["sinks"]), ("tables", "sinks")
    b.add(Step("peak", "peak", vals), org, _section(sp, "peak"))


def _toml(d: dict[str, Any]) -> str:
    """A small TOML writer for generated option files (tables, numbers, strings, lists)."""
    lines: list[str] = []

    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f'"{k}" = {val(x)}' for k, x in v.items()) + "}"
        raise TypeError(type(v))

    def table(prefix: str, t: dict[str, Any]) -> None:
        scalars = {k: v for k, v in t.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in t.items() if isinstance(v, dict)}
        lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f'"{k}" = {val(v)}')
        for k, v in subs.items():
            table(f'{prefix}."{k}"', v)

    for k, v in d.items():
        table(k, v)
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # round-trip check
    return text


def build_steps(sp: StudyPlan, inputs: Path, *, carbon: Any = None) -> Build:
    """Every step of the study, in plan order (the graph orders them by dependency)."""
    b = Build(sp, Path(inputs))
    _prepare(b)
    _change(b)
    _validation(b)
    for sid in sp.scenarios:
        _scenario(b, sid)
    _peak(b)
    from . import study_carbon

    study_carbon.add_carbon_steps(b)
    from . import study_indicators

    study_indicators.add_indicator_steps(b)
    b.check_refs()
    return b


__all__ = ["Build", "MODEL_SECTIONS", "build_steps"]
