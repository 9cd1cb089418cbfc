"""The carbon steps of a study: carbon stock of the observed and simulated maps, emissions and carbon
balance of the observed years (the chain's stock, change and value, emissions, balance).

Each builder fills the keys the model's spec declares *as it is*: a key the spec does not have is not
given. Where a model's spec does not yet declare what the study reads (the stock's zone table over
several maps, the emissions table), the step runs the model's Python API as a study task instead
(``stock_task``, ``emissions_task``), with a note (``Build.notes``) that ``landcarbon check`` prints.
"""

from __future__ import annotations

from typing import Any

from ..models import registry
from .graph import Ref, Step

#: the stock's zone table and the emissions' table the variables step reads
STOCK_TABLE = "by_zone.csv"
EMISSIONS_TABLE = "emissions_by_zone.csv"
BALANCE_TABLE = "balance_by_zone.csv"


def _declares(model_id: str, *files: str) -> bool:
    import fnmatch

    outs = [o.name for o in registry.spec(model_id).outputs]
    return all(any(fnmatch.fnmatch(f, pat) for pat in outs) for f in files)


def _note(b: Any, text: str) -> None:
    b.__dict__.setdefault("notes", [])
    if text not in b.notes:
        b.notes.append(text)


def _fit(model_id: str, vals: dict[str, Any], org: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys the spec has (a study key the spec lacks is dropped, never guessed)."""
    spec = registry.spec(model_id)
    keep = {k: v for k, v in vals.items() if spec.has_input(k)}
    return keep, {k: o for k, o in org.items() if k in keep}


def _has_step(model_id: str) -> bool:
    """The registered workflow step exists (a spec can be migrated before its step)."""
    try:
        from .runner import _step_fn, step_module

        return _step_fn(step_module(model_id), model_id, "execute") is not None
    except ImportError:
        return False


def stock_ok() -> bool:
    spec = registry.spec("carbon_stock")
    return (spec.input("landuse").multiple and spec.has_input("years") and _declares("carbon_stock", STOCK_TABLE)
            and _has_step("carbon_stock"))


def emissions_ok() -> bool:
    spec = registry.spec("emissions")
    return spec.has_input("energy") and _declares("emissions", EMISSIONS_TABLE) and _has_step("emissions")


def stock_task(*, values: dict[str, Any], out: Any, root: Any) -> dict[str, Any]:
    """The carbon stock through ``workflow.stock.run_stock`` (the Python API of ``landcarbon stock``), for as
    long as the carbon_stock spec has no multi-map input (then the registered model step is used)."""
    from .stock import run_stock

    return run_stock(list(values["landuse"]), pools=values["pools"], out=out, years=list(values["years"]),
                     zones=values.get("zones"), zone_field=values.get("zone_field"),
                     align=bool(values.get("align")), overwrite=True)


def emissions_task(*, values: dict[str, Any], out: Any, root: Any) -> dict[str, Any]:
    """Emissions through ``workflow.emissions.run_emissions`` while the emissions spec is not migrated."""
    from .emissions import run_emissions

    kw = {k: values[k] for k in ("zones", "zone_field", "zone_layer", "region", "grid_factor", "agri", "non_co2",
                                 "coefficients") if values.get(k)}
    return run_emissions(out=out, landuse=values["landuse"], year=int(values["year"]), energy=values["energy"],
                         scheme=values.get("scheme") or "national6", hold_landuse=True, overwrite=True, **kw)


def add_carbon_steps(b: Any) -> None:
    sp = b.sp
    zv, zo = b.zone_values()
    if "pools" not in sp.tables:
        _note(b, "no [tables] pools: the carbon stock (S, K) is not computed")
    else:
        years = list(sp.maps)
        vals = {"landuse": [b.map(y) for y in years], "years": years, "pools": b.pools(), **zv}
        org = {"landuse": ("maps",), "years": ("maps",), "pools": ("tables", "pools"), **zo}
        if sp.align:
            vals["align"] = True
        model = stock_ok()
        if not model:
            _note(b, f"carbon stock through the Python API (workflow.stock.run_stock): the carbon_stock spec "
                     f"(v{registry.spec('carbon_stock').version}) has no multi-map input with years yet")
        sec = (("stock",), sp.models.get("stock", {}))

        def add(step_id: str, v: dict[str, Any], o: dict[str, Any], scenario: str | None, *more: Any) -> None:
            if model:
                v, o = _fit("carbon_stock", v, o)
                b.add(Step(step_id, "carbon_stock", v, scenario=scenario), o, sec, *more)
            else:
                b.add(Step(step_id, "study.stock", v, scenario=scenario, run=stock_task), o)

        add("stock/observed", vals, org, None)
        for sid in sp.scenarios:
            sv = {**vals, "landuse": [b.map(sp.base), *[Ref(f"simulate/{sid}", b.sim_file(t)) for t in sp.targets]],
                  "years": [sp.base, *sp.targets]}
            so = {**org, "landuse": ("scenarios", sid), "years": ("years", "targets")}
            add(f"stock/{sid}", sv, so, sid, (("scenarios", sid, "stock"), sp.scenarios[sid].models.get("stock", {})))
    if "energy" not in sp.tables:
        return
    vals = {"landuse": b.map(sp.base), "year": sp.base, "energy": str(sp.tables["energy"]), "scheme": b.scheme,
            **zv}
    org = {"landuse": ("years", "base"), "year": ("years", "base"), "energy": ("tables", "energy"),
           "scheme": ("classes", "scheme"), **zo}
    if sp.grid_region:
        vals["region"], org["region"] = sp.grid_region, ("study", "grid_region")
    for k, key in (("agri_inputs", "agri"), ("non_co2", "non_co2"), ("coefficients", "coefficients")):
        if k in sp.tables:
            vals[key], org[key] = str(sp.tables[k]), ("tables", k)
    if emissions_ok():
        spec = registry.spec("emissions")
        if spec.input("landuse").multiple:
            vals["landuse"] = [b.map(sp.base)]
        vals["hold_landuse"] = True
        vals, org = _fit("emissions", vals, org)
        b.add(Step("emissions/observed", "emissions", vals), org, (("emissions",), sp.models.get("emissions", {})))
    else:
        _note(b, f"emissions through the Python API (workflow.emissions.run_emissions): the emissions spec "
                 f"(v{registry.spec('emissions').version}) has no energy input and no {EMISSIONS_TABLE} yet")
        b.add(Step("emissions/observed", "study.emissions",
                   {**vals, **{k: v for k, v in sp.models.get("emissions", {}).items() if k == "grid_factor"}},
                   run=emissions_task), org)
    if "socioeconomic" in sp.tables and _declares("balance", BALANCE_TABLE):
        bv = {"emissions": Ref("emissions/observed", EMISSIONS_TABLE), "socioeconomic": str(sp.tables["socioeconomic"]),
              "lang": sp.language, **zv}
        bo = {"emissions": ("tables", "energy"), "socioeconomic": ("tables", "socioeconomic"),
              "lang": ("study", "language"), **zo}
        bv, bo = _fit("balance", bv, bo)
        b.add(Step("balance/observed", "balance", bv), bo, (("balance",), sp.models.get("balance", {})))


__all__ = ["BALANCE_TABLE", "EMISSIONS_TABLE", "STOCK_TABLE", "add_carbon_steps", "emissions_ok", "emissions_task",
           "stock_ok", "stock_task"]
