"""Helpers the workflow steps share, on top of the runner's ``RunContext`` (any step may import them):
option files (a plan's table for one model, keys checked), inputs taken from a plan, zones, class-code
coverage, rasters written with their band units, and the warning for cells left out of zone tables."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..core.classes import ClassScheme
from ..core.errors import InputValidationError, LandcarbonError
from ..core.grid import grid_of, row_areas_ha
from ..core.spec import Issue
from ..core.validation import did_you_mean
from ..io import align_to, write_raster
from ..io.inputs import load_scheme, load_zones, read_plan
from ..models.evaluate.common import option_key_messages, option_table_messages
from .runner import RunContext

#: band units on written rasters (write_raster(units=...); a guard until that keyword is committed everywhere)
_RASTER_UNITS = "units" in inspect.signature(write_raster).parameters
#: model messages that name another input in the Python way: shown as that input (⟨key⟩)
_WORDS = {"allow_implausible=True": "⟨allow_implausible⟩", "normalise_weights=True": "⟨normalise_weights⟩",
          "force_ahp=True": "⟨force_ahp⟩"}


def memo(ctx: RunContext, key: Any, fn: Callable[[], Any]) -> Any:
    """``fn()`` once per run: the check and the execute step share the resolver, so they share this."""
    store = ctx.resolver.__dict__.setdefault("_step_memo", {})
    if key not in store:
        store[key] = fn()
    return store[key]


@contextmanager
def model_keys(keys: Mapping[str, str] | None = None, default: str | None = None) -> Iterator[None]:
    """Model errors with their keys renamed to this step's inputs (``keys``; a message without a key gets
    ``default``) and Python spellings such as ``force_ahp=True`` shown as that input (⟨force_ahp⟩)."""
    try:
        yield
    except InputValidationError as err:
        out = []
        for i in err.issues:
            key, msg = (i.key, i.message) if isinstance(i, Issue) else (default or "", str(i))
            for a, b in _WORDS.items():
                msg = msg.replace(a, b)
            out.append(Issue((keys or {}).get(key, key), msg))
        raise InputValidationError(out) from None


class PlanTable:
    """An in-memory option table (the Python API's ``config``) laid over an optional plan file: the value of
    a ``plan`` input. Not a dict, so the spec validation passes it through as an in-memory object."""

    def __init__(self, table: Mapping[str, Any], file: str | Path | None = None):
        self.table = dict(table)
        self.file = file

    def __repr__(self) -> str:
        return f"PlanTable({self.table!r}, file={self.file!r})"


def option_table(ctx: RunContext, section: str, schema: Callable[[dict], Any]) -> tuple[dict, Path | None, list[Issue]]:
    """The plan's ``[section]`` table, the folder its paths are relative to, and its problems: the table is
    absent, or holds unknown keys (each with the line and a did-you-mean)."""
    v = ctx.get("plan")
    if v is None:
        return {}, None, []
    overlay = v.table if isinstance(v, PlanTable) else None
    file = v.file if isinstance(v, PlanTable) else v

    def load() -> tuple[dict, Path | None, list[Issue]]:
        data: dict = {}
        base = None
        if file is not None:
            try:
                data, base = read_plan(file, section)
            except InputValidationError as err:
                return {}, None, [i if isinstance(i, Issue) else Issue("plan", str(i)) for i in err.issues]
            except LandcarbonError as err:
                return {}, None, [Issue("plan", str(err).removeprefix("plan: "))]
        merged = {**data, **(overlay or {})}
        if file is None:
            msgs = option_key_messages(merged, schema(merged), section=section)
        else:
            msgs = option_table_messages(merged if data else {}, schema(merged), section=section,
                                         file=Path(file).name, read_text=lambda: Path(file).read_text(encoding="utf-8"))
        return merged, base, [Issue("plan", m) for m in msgs]

    return memo(ctx, ("plan", section), load)


def plan_file_issues(ctx: RunContext, values: Mapping[str, Any], where: str) -> list[Issue]:
    """File checks (exists, opens, grid) of inputs taken from a plan, reported against the plan."""
    issues = []
    for i in ctx.resolver.check(ctx.spec, dict(values)):
        if i.key in values and not ctx.given(i.key):
            issues.append(Issue("plan", f"{where} {i.key}: {i.message}"))
        else:
            issues.append(i)
    return issues


def zone_issues(ctx: RunContext, zones: Any = None) -> list[Issue]:
    zones = ctx.get("zones") if zones is None else zones
    return [Issue(k, "is given but ⟨zones⟩ is not, so it would do nothing; give the zones too, or drop it")
            for k in ("zone_field", "zone_layer") if ctx.get(k) is not None and zones is None]


def zones_on(ctx: RunContext, like: xr.DataArray, value: Any = None, field: str | None = None,
           layer: str | None = None) -> tuple[np.ndarray | None, pd.DataFrame | None]:
    value = ctx.get("zones") if value is None else value
    if value is None:
        return None, None
    z, names = load_zones(value, field=field or ctx.get("zone_field"), layer=layer or ctx.get("zone_layer"),
                          like=like, align=bool(ctx.get("align")))
    return np.asarray(z.data), pd.DataFrame({"zone_id": np.arange(1, len(names) + 1), "zone": names})


def area_ha(mask: np.ndarray, like: xr.DataArray) -> float:
    return float((np.asarray(mask).sum(axis=1) * row_areas_ha(grid_of(like))).sum())


def warn_outside(ctx: RunContext, valid: np.ndarray, zones: np.ndarray | None, like: xr.DataArray) -> None:
    if zones is not None and (out := valid & (zones == 0)).any():
        ctx.warn(f"{int(out.sum())} valid cells lie outside every zone and are left out of the tables by zone",
                 area_ha=area_ha(out, like))


def valid_mask(lu: xr.DataArray) -> np.ndarray:
    a = np.asarray(lu.data)
    nd = lu.rio.nodata
    return a != nd if nd is not None else np.ones(a.shape, bool)


def write_output_raster(ctx: RunContext, data: Any, rel: str, like: xr.DataArray, **kw: Any) -> str:
    units = ctx.spec.output(rel).units
    write_raster(data, ctx.run.path(rel), grid_of(like), **kw, **({"units": units} if _RASTER_UNITS else {}))
    return rel


def aligned(ctx: RunContext, r: xr.DataArray, like: xr.DataArray | None, *, categorical: bool) -> xr.DataArray:
    if like is None or not ctx.get("align") or grid_of(r) == grid_of(like):
        return r
    return align_to(r, like, categorical=categorical)


def raster_issue(ctx: RunContext, key: str, name: str, path: Any) -> Issue | None:
    p = Path(str(path))
    if p.is_dir():
        return Issue(key, f"{name}: {p} is a folder; expected a raster file")
    if not p.is_file():
        near = did_you_mean(p.name, [q.name for q in p.parent.glob("*")] if p.parent.is_dir() else [])
        return Issue(key, f"{name}: file {p} does not exist{near}; check the path")
    try:
        ctx.resolver.grid(p)
    except Exception as err:  # noqa: BLE001 - any reason a raster does not open is the user's to fix
        return Issue(key, f"{name}: {p.name} cannot be opened as a raster ({err}); expected a GeoTIFF")
    return None


def map_codes(ctx: RunContext, lu: xr.DataArray) -> list[int]:
    def f() -> list[int]:
        a = np.asarray(lu.data)
        nd = lu.rio.nodata
        u = np.unique(a if nd is None else a[a != nd])
        return [int(c) for c in u]

    return memo(ctx, ("codes", id(lu)), f)


def scheme_of(ctx: RunContext, value: Any = None) -> ClassScheme:
    return load_scheme(ctx.get("scheme") if value is None else value)


def scheme_issues(ctx: RunContext, maps: Mapping[str, xr.DataArray] | list[tuple[str, xr.DataArray]],
                  value: Any = None) -> list[Issue]:
    """The class scheme does not load, or misses codes of a map (``maps``: input key → map)."""
    try:
        sch = scheme_of(ctx, value)
    except InputValidationError as err:
        return [i if isinstance(i, Issue) else Issue("scheme", str(i)) for i in err.issues]
    except LandcarbonError as err:
        return [Issue("scheme", str(err).removeprefix("scheme: "))]
    out = []
    for key, lu in (maps.items() if isinstance(maps, Mapping) else maps):
        miss = sorted(set(map_codes(ctx, lu)) - set(sch.codes))
        if miss:
            out.append(Issue(key, f"class codes {', '.join(map(str, miss))} of the map are not in the class scheme "
                                  f"{sch.name!r} (codes {sch.codes}); expected every code covered: choose the "
                                  f"matching ⟨scheme⟩ or give a scheme CSV that lists them"))
    return out


__all__ = ["PlanTable", "aligned", "area_ha", "map_codes", "memo", "model_keys", "option_table", "plan_file_issues", "raster_issue",
           "scheme_issues", "scheme_of", "valid_mask", "warn_outside", "write_output_raster", "zone_issues", "zones_on"]
