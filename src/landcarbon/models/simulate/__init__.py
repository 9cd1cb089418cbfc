"""PLUS-equivalent land-use simulation with class-specific control lines (methods.md §8).

``simulate(start, demand, calibrate_from=, calibrate_to=, drivers=, seed=)`` trains LEAS on the
expansion between two calibration maps, predicts development potential for every cell that may
change and allocates each target year's demand with CARS, zone by zone.

Class codes may be any integers: they are mapped internally to 0 … K−1 (sorted codes of the start
and calibration maps and the demand) and mapped back on output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...core.classes import ClassScheme
from ...core.errors import InputValidationError
from ...core.grid import GridSpec, ensure_aligned
from ...core.spec import ModelSpec, NumberIn, RasterIn, RasterOut, TableIn, TableOut
from .cars import CarsParams, ZoneResult, allocate_zone, check_feasible
from .derived import DerivedDrivers, derived_drivers, derived_pair
from .drivers import DriverStack, distance_to, prepare_drivers, slope
from .drivers import valid_mask as _valid
from .leas import LeasModel, expansion_map, expansion_shares, fit_leas
from .rules import DEFAULT_RULES, REDLINE_SOFT, compile_rules, transition_matrix

__all__ = [
    "DEFAULT_RULES", "REDLINE_SOFT", "SPEC", "CalibrationResult", "CarsParams", "DerivedDrivers", "DriverStack",
    "EnsembleResult", "LeasModel", "LeasParams", "PreparedSimulation", "SimulationResult", "calibrate",
    "check_feasible", "derived_drivers", "distance_to", "expansion_map", "expansion_shares", "fit_leas",
    "parse_demand", "prepare_drivers", "prepare_simulation", "simulate", "simulate_ensemble", "slope",
    "transition_matrix",
]

SPEC = ModelSpec(
    id="simulate", version="1", title_en="Land-use simulation (PLUS-equivalent, LEAS + CARS)",
    title_zh="土地利用模拟（PLUS：LEAS + CARS）",
    inputs=(
        RasterIn("start", doc="land-use map of the start year", kind="categorical"),
        RasterIn("calibrate_from", doc="first calibration map (L1)", kind="categorical"),
        RasterIn("calibrate_to", doc="second calibration map (L2)", kind="categorical"),
        RasterIn("drivers", doc="driver layers (continuous or categorical)", kind="continuous"),
        TableIn("demand", index="code", columns={"cells": "pixels"}, doc="target pixels per class [and year]"),
        RasterIn("restrict", doc="PLUS restriction: 0 no conversion, 1 allowed, 2 planned development",
                 kind="categorical", required=False),
        TableIn("rules", doc="control-line rule table (line, applies, from, to, action)", required=False),
        NumberIn("seed", doc="random seed"),
    ),
    outputs=(
        RasterOut("simulated", doc="simulated land-use map per target year", dtype="int16"),
        RasterOut("potential", units="1", doc="development potential P_k per class, in [0, 1]"),
        TableOut("gaps", columns={"gap_cells": "pixels"}, doc="demand − amount per iteration and class"),
        TableOut("summary", columns={"demand_cells": "pixels", "simulated_cells": "pixels"}),
        TableOut("contributions", columns={"contribution": "1"}, doc="driver contribution per class"),
    ),
    methods_ref="methods.md §8",
)


@dataclass
class LeasParams:
    """LEAS parameters (methods.md §8.3): sample rate s [V 0.01], balanced sampling, trees [V 20],
    max depth / min samples per leaf [D: unlimited / 5], features per split
    (None = all drivers [V]), worker threads, categorical encoding ('onehot' or 'ordinal'),
    what to do with driver nodata inside the map ('exclude' or 'error'), prediction chunk (cells)."""

    sample_rate: float = 0.01
    balanced: bool = False
    n_trees: int = 20
    max_depth: int | None = None
    min_samples_leaf: int = 5
    max_features: Any = None
    n_jobs: int = 2
    encoding: str = "onehot"
    driver_nodata: str = "exclude"
    predict_chunk: int = 400_000


@dataclass
class SimulationResult:
    """Maps per stage (target year or stage number), LEAS outputs and allocation diagnostics."""

    maps: dict[Any, xr.DataArray]
    potential: xr.DataArray | None
    leas: LeasModel
    gaps: pd.DataFrame
    summary: pd.DataFrame
    info: dict = field(default_factory=dict)


def _index_map(arr: np.ndarray, valid: np.ndarray, codes: np.ndarray) -> np.ndarray:
    idx = np.full(arr.shape, -1, dtype=np.int8)
    pos = np.searchsorted(codes, arr[valid])
    pos = np.clip(pos, 0, codes.size - 1)
    ok = codes[pos] == arr[valid]
    vals = np.where(ok, pos, -1).astype(np.int8)
    idx[valid] = vals
    return idx


def parse_demand(demand: pd.DataFrame | Mapping[int, int], codes: Sequence[int], *,
                 zones: Sequence[int] | None = None) -> dict[Any, dict[Any, np.ndarray]]:
    """Demand table -> {stage: {zone: int64 vector over codes}}.

    Columns: ``code, cells`` (one stage), optionally ``year`` (several stages, in increasing
    order) and ``zone`` (zone ids of the zones raster). A mapping {code: cells} is one stage.
    Codes missing from the table are an error.
    """
    if isinstance(demand, Mapping):
        demand = pd.DataFrame({"code": list(demand), "cells": list(demand.values())})
    df = demand.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    for c in ("code", "cells"):
        if c not in df.columns:
            raise InputValidationError(f"demand table lacks column {c!r}; expected columns code,cells "
                                       f"(optionally year and zone); found {list(demand.columns)}")
    try:
        df["code"] = df["code"].astype(np.int64)
        cells = df["cells"].astype(np.float64)
    except (TypeError, ValueError):
        raise InputValidationError("demand table: code must be integer class codes and cells numbers") from None
    if (cells < 0).any() or not np.allclose(cells, np.round(cells)):
        raise InputValidationError("demand table: cells must be non-negative whole pixel counts; round the "
                                   "demand (largest remainders keep the total)")
    df["cells"] = np.round(cells).astype(np.int64)
    if "year" not in df.columns:
        df["year"] = 0
    if zones is not None:
        if "zone" not in df.columns:
            raise InputValidationError("zones were given but the demand table has no 'zone' column; give "
                                       "one demand per zone (columns zone,code,cells)")
    else:
        df["zone"] = 0
    codes = [int(c) for c in codes]
    extra = sorted(set(df["code"]) - set(codes))
    if extra:
        raise InputValidationError(f"demand names class codes {extra} that appear in neither the start nor the "
                                   f"calibration maps (codes: {codes}); a class with no cells and no expansion "
                                   f"cannot be allocated")
    out: dict[Any, dict[Any, np.ndarray]] = {}
    for year in sorted(df["year"].unique()):
        sub = df[df["year"] == year]
        out[year] = {}
        for z, g in sub.groupby("zone", sort=True):
            dup = g["code"][g["code"].duplicated()].tolist()
            if dup:
                raise InputValidationError(f"demand table: codes {dup} appear twice for year {year}, zone {z}")
            missing = sorted(set(codes) - set(g["code"]))
            if missing:
                raise InputValidationError(
                    f"demand for year {year}{'' if zones is None else f', zone {z}'} lacks class codes "
                    f"{missing}; give a row for every class (0 cells for a class that disappears)")
            vec = np.zeros(len(codes), dtype=np.int64)
            vec[[codes.index(c) for c in g["code"]]] = g["cells"].to_numpy()
            out[year][z] = vec
    return out


def _mask_of(da: xr.DataArray) -> np.ndarray:
    arr = np.asarray(da.values)
    return (arr != 0) & _valid(da, arr)


def _predict_window(payload: dict) -> np.ndarray:
    """Development potential (n_cand, K) float32 of one zone window's candidate cells."""
    leas: LeasModel = payload["leas"]
    flat = np.flatnonzero(payload["cand"].ravel())
    return leas.predict(payload["stack"], flat, chunk=payload["chunk"], n_jobs=payload["n_jobs"])


def _allocate_window(payload: dict, prob: np.ndarray, zone_seed: np.random.SeedSequence,
                     params: CarsParams | None = None, weights: np.ndarray | None = None) -> list:
    """Allocate every stage of one zone window from its potential; [(stage, ZoneResult)] in stage order.

    The stage seeds are ``zone_seed.spawn(n_stages)``; ``params`` / ``weights`` replace the prepared
    CARS parameters and neighbourhood weights (calibration candidates)."""
    state = payload["state"]
    seeds = zone_seed.spawn(len(payload["demands"]))
    stages = []
    for (stage, dem), sseed in zip(payload["demands"], seeds):
        res: ZoneResult = allocate_zone(
            state, payload["zone"], payload["cand"], prob, payload["rzone"], payload["combo"], payload["allow"], dem,
            payload["weights"] if weights is None else weights, payload["params"] if params is None else params,
            k_dev=payload["k_dev"], n_valid=payload["n_valid"], seed=sseed, codes=payload["codes"],
            combo_lines=payload["combo_lines"], zone_label=payload["label"])
        state = res.state
        stages.append((stage, res))
    return stages


def _zone_task(payload: dict) -> dict:
    """Predict potential and allocate every stage for one zone window (a pure function)."""
    prob = _predict_window(payload)
    stages = _allocate_window(payload, prob, payload["seed"])
    return {"stages": stages, "prob": prob if payload["return_potential"] else None}


@dataclass
class PreparedSimulation:
    """A simulation prepared up to allocation: class codes, demand per stage and zone, fitted LEAS,
    candidate cells, compiled rules and one payload per zone window (``landcarbon.models.simulate``
    fills it; ``simulate``, ``simulate_ensemble`` and ``calibrate`` allocate from it).

    ``start_idx``: int8 class index of the start map (−1 nodata; index k = ``codes[k]``); ``cand``:
    cells that may change; ``shares``: expansion shares of the calibration maps (None when the
    weights were given); ``windows``: (zone id, row slice, column slice, zone mask of the window).
    """

    start: xr.DataArray
    grid: GridSpec
    codes: np.ndarray
    stages: list
    dem_stages: dict
    zone_ids: list[int] | None
    windows: list
    payloads: list[dict]
    start_idx: np.ndarray
    cand: np.ndarray
    leas: LeasModel
    info: dict
    cars_params: CarsParams
    leas_params: LeasParams
    shares: np.ndarray | None
    seed: int
    return_potential: bool = True

    @property
    def code_list(self) -> list[int]:
        return [int(c) for c in self.codes]

    @property
    def n_classes(self) -> int:
        return int(self.codes.size)

    def zone_seeds(self, seed: np.random.SeedSequence | int) -> list[np.random.SeedSequence]:
        """One child seed per zone window, in ascending zone order: ``SeedSequence(seed).spawn(n)``."""
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        return ss.spawn(len(self.windows))

    def predict(self, client: Any = None) -> list[np.ndarray]:
        """Potential of every window (serial, or one Dask task per window); identical either way."""
        if client is not None:
            return client.gather(client.map(_predict_window, self.payloads, pure=False))
        return [_predict_window(p) for p in self.payloads]

    def weights_for(self, params: CarsParams) -> np.ndarray:
        """Neighbourhood weights of ``params``: explicit, or the expansion shares^γ."""
        if params.weights is None and self.shares is None:
            raise InputValidationError("neighbourhood weights are needed (cars_params.weights) when no calibration "
                                       "maps are given")
        w = params.class_weights(self.shares) if params.weights is None else np.asarray(params.weights, np.float64)
        if w.shape != (self.n_classes,):
            raise InputValidationError(f"{w.size} neighbourhood weights given for {self.n_classes} classes "
                                       f"{self.code_list}")
        return w

    def allocate(self, probs: Sequence[np.ndarray], seed: np.random.SeedSequence | int, *,
                 params: CarsParams | None = None) -> list[list]:
        """Allocate every window and stage once (one realization): per window [(stage, ZoneResult)].

        Zone seeds come from ``seed`` as in :func:`simulate` (``SeedSequence(seed).spawn(n_windows)``);
        ``params`` replaces the prepared CARS parameters (with its own weights)."""
        weights = None
        if params is not None:
            params.check()
            weights = self.weights_for(params)
        return [_allocate_window(p, pr, zs, params, weights)
                for p, pr, zs in zip(self.payloads, probs, self.zone_seeds(seed))]

    def stage_states(self, window_stages: Sequence[list]) -> dict[Any, np.ndarray]:
        """Whole-map int8 class index per stage from one realization's window results."""
        out = {s: self.start_idx.copy() for s in self.stages}
        for (_z, rs, cs, zm), stages in zip(self.windows, window_stages):
            for stage, zr in stages:
                blk = out[stage][rs, cs]
                blk[zm] = zr.state[zm]
        return out

    def to_map(self, state: np.ndarray, name: str = "simulated") -> xr.DataArray:
        """Class codes of an int8 class-index map, with the start map's dtype, nodata and grid."""
        nodata = self.start.rio.nodata
        out_dtype = np.asarray(self.start.values[:1, :1]).dtype
        out = np.full(state.shape, nodata if nodata is not None else 0, dtype=out_dtype)
        valid = state >= 0
        out[valid] = self.codes[state[valid]].astype(out_dtype)
        da = self.start.copy(data=out)
        da.name = name
        return da


def prepare_simulation(start: xr.DataArray, demand: pd.DataFrame | Mapping[int, int], *,
                       calibrate_from: xr.DataArray | None, calibrate_to: xr.DataArray | None,
                       drivers: Mapping[str, xr.DataArray], seed: int, categorical: Sequence[str] = (),
                       dem: str | None = None, add_slope: bool = True, restrict: xr.DataArray | None = None,
                       k_dev: int | None = None, lines: Mapping[str, xr.DataArray] | None = None,
                       rules: pd.DataFrame | str | None = "default", scheme: ClassScheme | None = None,
                       groups: Mapping[int, str] | None = None,
                       transition: pd.DataFrame | np.ndarray | None = None, transition_orientation: str = "from_to",
                       zones: xr.DataArray | None = None, planned: Mapping[str, xr.DataArray] | None = None,
                       leas_params: LeasParams | None = None, cars_params: CarsParams | None = None,
                       return_potential: bool = True, leas: LeasModel | None = None,
                       codes: Sequence[int] | None = None,
                       driver_bounds: Mapping[str, tuple[float, float]] | None = None,
                       driver_categories: Mapping[str, np.ndarray] | None = None,
                       derived: DerivedDrivers | None = None, halo: int | None = None) -> PreparedSimulation:
    """Everything :func:`simulate` does before allocation (same arguments): checks, codes, demand,
    drivers (with ``derived`` drivers on request), the LEAS fit (seeded by ``seed``), candidates, rules
    and the zone windows (halo ``halo`` cells, default neighbourhood // 2). The potential is not yet
    predicted (:meth:`PreparedSimulation.predict`)."""
    lp = leas_params or LeasParams()
    cp = cars_params or CarsParams()
    cp.check()
    if seed is None:
        raise InputValidationError("simulate needs an explicit integer seed (it is recorded in the manifest)")
    drivers = dict(drivers or {})
    if leas is None and (calibrate_from is None or calibrate_to is None):
        raise InputValidationError("simulate needs the two calibration maps (calibrate_from, calibrate_to) unless a "
                                   "fitted LEAS model is given")
    named = {"start": start}
    if calibrate_from is not None and calibrate_to is not None:
        named |= {"calibrate_from": calibrate_from, "calibrate_to": calibrate_to}
    named |= {f"driver {k}": v for k, v in drivers.items()}
    if restrict is not None:
        named["restrict"] = restrict
    for k, v in (lines or {}).items():
        named[f"line {k}"] = v
    if zones is not None:
        named["zones"] = zones
    grid: GridSpec = ensure_aligned(**named)

    # -- class codes -> indices 0 … K−1 ------------------------------------------------------------
    arrs, valids = {}, {}
    for key in [k for k in ("start", "calibrate_from", "calibrate_to") if k in named]:
        da = named[key]
        a = np.asarray(da.values)
        if not np.issubdtype(a.dtype, np.integer):
            raise InputValidationError(f"{key} map has data type {a.dtype}; expected integer class codes")
        arrs[key], valids[key] = a, _valid(da, a)
    if codes is not None:
        codes = np.asarray(sorted(int(c) for c in codes), dtype=np.int64)
        seen = np.unique(np.concatenate([np.unique(arrs[k][valids[k]]) for k in arrs]))
        unknown = np.setdiff1d(seen, codes)
        if unknown.size:
            raise InputValidationError(f"the maps hold class codes {unknown.tolist()} outside the given codes "
                                       f"{codes.tolist()}")
    else:
        codes = np.unique(np.concatenate([np.unique(arrs[k][valids[k]]) for k in arrs])).astype(np.int64)
    if codes.size > 127:
        raise InputValidationError(f"{codes.size} land-use classes found; the simulation supports at most 127")
    if codes.size < 2:
        raise InputValidationError("the maps hold fewer than two classes; nothing to simulate")
    code_list = [int(c) for c in codes]
    k_n = len(code_list)
    idx = {k: _index_map(arrs[k], valids[k], codes) for k in arrs}

    zone_ids: list[int] | None = None
    zarr = None
    if zones is not None:
        zarr = np.asarray(zones.values).astype(np.int64)
        zarr = np.where(_valid(zones, np.asarray(zones.values)), zarr, 0)
        zone_ids = [int(z) for z in np.unique(zarr[(zarr > 0) & valids["start"]])]
        if not zone_ids:
            raise InputValidationError("the zones raster holds no zone (values > 0) over the start map")
    dem_stages = parse_demand(demand, code_list, zones=zone_ids)

    # -- demand totals ------------------------------------------------------------------------------
    for year, per_zone in dem_stages.items():
        for z, vec in per_zone.items():
            n_cells = int(np.count_nonzero(valids["start"] if zone_ids is None
                                           else valids["start"] & (zarr == z)))
            if int(vec.sum()) != n_cells:
                where = "" if zone_ids is None else f" in zone {z}"
                ylab = "" if year == 0 else f" for year {year}"
                raise InputValidationError(
                    f"demand{ylab} totals {int(vec.sum())} pixels but the start map has {n_cells} valid "
                    f"cells{where}; the demand must sum to the valid cells exactly (rescale it, or compute it "
                    f"on the same mask)")
        if zone_ids is not None:
            missing = sorted(set(zone_ids) - set(per_zone))
            if missing:
                raise InputValidationError(f"demand for year {year} lacks zones {missing}")

    # -- drivers ---------------------------------------------------------------------------------
    if dem is not None and dem not in drivers:
        raise InputValidationError(f"dem={dem!r} is not among the drivers {list(drivers)}")
    if dem is not None and add_slope:
        if "slope" in drivers:
            raise InputValidationError("a driver is already named 'slope'; rename it or turn off the automatic "
                                       "slope (add_slope=False / --no-slope)")
        drivers["slope"] = slope(drivers[dem])
    if derived is not None:
        train_from = calibrate_from if leas is None else None
        d_train, d_pred = derived_pair(train_from, start, derived, codes=code_list)
        clash = sorted(set(d_pred) & set(drivers))
        if clash:
            raise InputValidationError(f"derived drivers {clash} clash with given driver names; rename those drivers")
        if leas is None:
            drivers.update(d_train)
            planned = {**d_pred, **dict(planned or {})}
        else:
            drivers.update(d_pred)
    map_mask = valids["start"].copy()
    for key in ("calibrate_from", "calibrate_to"):
        if key in valids:
            map_mask |= valids[key]
    stack = prepare_drivers(drivers, map_mask, grid=grid, categorical=categorical, encoding=lp.encoding,
                            driver_nodata=lp.driver_nodata, fixed_bounds=driver_bounds,
                            fixed_categories=driver_categories)

    # -- LEAS --------------------------------------------------------------------------------------
    if leas is None:
        x = expansion_map(idx["calibrate_from"], idx["calibrate_to"])
        leas = fit_leas(x, stack, k_n, sample_rate=lp.sample_rate, balanced=lp.balanced, n_trees=lp.n_trees,
                        max_depth=lp.max_depth, min_samples_leaf=lp.min_samples_leaf,
                        max_features=lp.max_features, n_jobs=lp.n_jobs, seed=seed, class_labels=code_list)
        del x
    elif list(leas.feature_names) != list(stack.feature_names) or len(leas.forests) != k_n:
        raise InputValidationError(f"the fitted LEAS model has features {leas.feature_names} and "
                                   f"{len(leas.forests)} classes; the drivers give {stack.feature_names} and "
                                   f"{k_n} classes")
    shares = None
    if cp.weights is None and "calibrate_from" in idx:
        shares = expansion_shares(idx["calibrate_from"], idx["calibrate_to"], k_n)
    if cp.weights is not None:
        weights = np.asarray(cp.weights, dtype=np.float64)
    elif shares is not None:
        weights = cp.class_weights(shares)
    else:
        raise InputValidationError("neighbourhood weights are needed (cars_params.weights) when no calibration "
                                   "maps are given")
    if weights.shape != (k_n,):
        raise InputValidationError(f"{weights.size} neighbourhood weights given for {k_n} classes {code_list}")
    pstack = stack.with_planned(planned) if planned else stack
    del arrs                                  # free the calibration arrays before allocation
    idx.pop("calibrate_from", None)
    idx.pop("calibrate_to", None)

    # -- candidates: valid, drivers valid, R ≠ 0, not frozen by a rule -------------------------------
    start_idx = idx["start"]
    cand = (start_idx >= 0) & pstack.valid
    info: dict[str, Any] = {"codes": code_list, "weights": weights.tolist(), "driver_holes": stack.holes,
                            "n_valid": int(np.count_nonzero(start_idx >= 0))}
    info["excluded_driver_nodata"] = int(np.count_nonzero((start_idx >= 0) & ~pstack.valid))
    rz = np.ones(start_idx.shape, dtype=np.uint8)
    k_dev_idx = -1
    if restrict is not None:
        ra = np.asarray(restrict.values)
        rv = _valid(restrict, ra)
        bad = sorted(set(np.unique(ra[rv]).tolist()) - {0, 1, 2})
        if bad:
            raise InputValidationError(f"restriction raster holds values {bad}; expected 0 (no conversion), "
                                       f"1 (allowed) or 2 (planned development zone)")
        info["excluded_restrict_nodata"] = int(np.count_nonzero((start_idx >= 0) & ~rv))
        info["excluded_restricted"] = int(np.count_nonzero((start_idx >= 0) & rv & (ra == 0)))
        cand &= rv & (ra != 0)
        rz = np.where(rv & (ra == 2), 2, 1).astype(np.uint8)
        if (rz[cand] == 2).any():
            if k_dev is None:
                raise InputValidationError("the restriction raster has planned development cells (2) but no "
                                           "development class was named; pass k_dev (--develop-class CODE)")
            if k_dev not in code_list:
                raise InputValidationError(f"development class {k_dev} is not a class of the maps {code_list}")
            k_dev_idx = code_list.index(k_dev)
    tm = transition_matrix(transition, code_list, orientation=transition_orientation)
    grp = dict(groups) if groups is not None else (scheme.group_of() if scheme is not None else None)
    if isinstance(rules, str):
        if rules not in ("default", "soft-redline"):
            raise InputValidationError(f"rules={rules!r} is unknown; use 'default', 'soft-redline', a table or None")
        table, strict = (DEFAULT_RULES if rules == "default" else REDLINE_SOFT), False
    else:
        table, strict = rules, True
    line_masks = {k: _mask_of(v) for k, v in (lines or {}).items()}
    cflat = np.flatnonzero(cand.ravel())
    compiled = compile_rules(table if line_masks or strict else None,
                             {k: m.ravel()[cflat] for k, m in line_masks.items()}, code_list,
                             start_idx.ravel()[cflat], tm, groups=grp, strict=strict)
    if compiled.frozen.any():
        info["excluded_frozen_by_rules"] = int(compiled.frozen.sum())
        keep = ~compiled.frozen
        cand.ravel()[cflat[~keep]] = False
        cflat = cflat[keep]
        combo_all, develop = compiled.combo[keep], compiled.develop[keep]
    else:
        combo_all, develop = compiled.combo, compiled.develop
    if develop.any():
        if k_dev_idx not in (-1, compiled.k_dev):
            raise InputValidationError("the restriction raster's development class differs from the rule table's")
        k_dev_idx = compiled.k_dev
        rz.ravel()[cflat[develop]] = 2
    combo_map = np.zeros(start_idx.shape, dtype=np.uint8)
    combo_map.ravel()[cflat] = combo_all
    info["n_candidates"] = int(cflat.size)
    info["k_dev"] = None if k_dev_idx < 0 else code_list[k_dev_idx]

    # -- zones -------------------------------------------------------------------------------------
    h = cp.neighbourhood // 2 if halo is None else max(int(halo), cp.neighbourhood // 2)
    rows, cols = start_idx.shape
    if zone_ids is None:
        windows = [(0, slice(0, rows), slice(0, cols), start_idx >= 0)]
    else:
        windows = []
        for z in zone_ids:
            zm = (zarr == z) & (start_idx >= 0)
            rr = np.flatnonzero(zm.any(axis=1))
            cc = np.flatnonzero(zm.any(axis=0))
            rs = slice(max(0, rr[0] - h), min(rows, rr[-1] + 1 + h))
            cs = slice(max(0, cc[0] - h), min(cols, cc[-1] + 1 + h))
            windows.append((z, rs, cs, zm[rs, cs]))
    stages = list(dem_stages)
    payloads = []
    for z, rs, cs, zm in windows:
        c_win = cand[rs, cs] & zm
        cf = np.flatnonzero(c_win.ravel())
        payloads.append({
            "leas": leas, "stack": pstack.window(rs, cs), "cand": c_win, "state": start_idx[rs, cs].copy(),
            "zone": zm, "rzone": rz[rs, cs].ravel()[cf], "combo": combo_map[rs, cs].ravel()[cf],
            "allow": compiled.allow, "weights": weights, "params": cp, "k_dev": k_dev_idx,
            "n_valid": int(np.count_nonzero(zm)), "codes": code_list,
            "combo_lines": compiled.combo_lines, "label": "" if zone_ids is None else str(z),
            "demands": [(s, dem_stages[s][z]) for s in stages], "chunk": lp.predict_chunk,
            "n_jobs": lp.n_jobs, "return_potential": return_potential,
        })
    info["leas"] = {"n_samples": leas.n_samples, "positives": leas.positives.tolist(),
                    "rmse": leas.rmse.tolist(), "oob_rmse": leas.oob_rmse.tolist(), **leas.params}
    info["cars"] = cp.to_dict()
    info["leas_params"] = asdict(lp)
    info["seed"] = seed
    info["derived_drivers"] = [] if derived is None else sorted(d_pred)
    return PreparedSimulation(start, grid, codes, stages, dem_stages, zone_ids, windows, payloads, start_idx, cand,
                              leas, info, cp, lp, shares, seed, return_potential)


def simulate(start: xr.DataArray, demand: pd.DataFrame | Mapping[int, int], *,
             calibrate_from: xr.DataArray | None, calibrate_to: xr.DataArray | None,
             drivers: Mapping[str, xr.DataArray], seed: int, categorical: Sequence[str] = (),
             dem: str | None = None, add_slope: bool = True, restrict: xr.DataArray | None = None,
             k_dev: int | None = None, lines: Mapping[str, xr.DataArray] | None = None,
             rules: pd.DataFrame | str | None = "default", scheme: ClassScheme | None = None,
             groups: Mapping[int, str] | None = None, transition: pd.DataFrame | np.ndarray | None = None,
             transition_orientation: str = "from_to", zones: xr.DataArray | None = None,
             planned: Mapping[str, xr.DataArray] | None = None,
             leas_params: LeasParams | None = None, cars_params: CarsParams | None = None,
             client: Any = None, return_potential: bool = True, leas: LeasModel | None = None,
             codes: Sequence[int] | None = None, driver_bounds: Mapping[str, tuple[float, float]] | None = None,
             driver_categories: Mapping[str, np.ndarray] | None = None,
             zone_seeds: Mapping[int, np.random.SeedSequence] | None = None,
             derived: DerivedDrivers | None = None) -> SimulationResult:
    """Simulate land use for one or several target years (methods.md §8).

    start: land-use map of the start year (integer codes, nodata in ``rio.nodata``).
    demand: table ``code, cells`` (pixels), with ``year`` for several stages (run in increasing
    order, each from the previous map) and ``zone`` when ``zones`` is given; every stage's total
    must equal the start map's valid cells (per zone).
    calibrate_from / calibrate_to: the two maps whose expansion trains LEAS.
    drivers: name -> layer on the same grid; ``categorical`` names the categorical ones; with
    ``dem`` naming the DEM and ``add_slope``, slope (degrees, Horn) is added as driver "slope".
    derived: :class:`DerivedDrivers` adds drivers computed from the maps (distance to each class,
    distance to large built-up patches, neighbourhood class densities): from ``calibrate_from`` for
    training and from ``start`` for prediction; their contributions appear in ``leas.contributions``.
    restrict: PLUS restriction raster (0 no change, 1 allowed, 2 planned development for class
    ``k_dev``; nodata = no change). lines: control-line masks (non-zero = inside); rules: a rule table
    (see ``rules``), "default" (methods.md §8.5, lines not given are skipped), "soft-redline" or None.
    scheme / groups: code -> national group, for group names in rules. transition: TM[from, to]
    0/1 (``transition_orientation="plus"`` transposes a PLUS matrix). zones: int raster (0 = outside),
    each zone allocated against its own demand with child seed ``SeedSequence(seed).spawn(n)[z]``
    in ascending zone order; with a Dask ``client`` zones run as parallel tasks (same map).
    planned: driver layers replaced by planned versions for prediction (Tutorial B).

    Pre-fitted use (one zone window of the out-of-core run, ``landcarbon.workflow.simulate_zoned``):
    ``leas`` (a fitted model; the calibration maps may then be None), ``codes`` (the region's class
    codes), ``driver_bounds`` / ``driver_categories`` (the region's normalisation),
    ``cars_params.weights`` (the region's neighbourhood weights) and ``zone_seeds`` (zone id ->
    child SeedSequence) make the window's result independent of the window's extent.

    Several realizations of the same run: :func:`landcarbon.models.simulate.simulate_ensemble`.
    """
    prep = prepare_simulation(
        start, demand, calibrate_from=calibrate_from, calibrate_to=calibrate_to, drivers=drivers, seed=seed,
        categorical=categorical, dem=dem, add_slope=add_slope, restrict=restrict, k_dev=k_dev, lines=lines,
        rules=rules, scheme=scheme, groups=groups, transition=transition,
        transition_orientation=transition_orientation, zones=zones, planned=planned, leas_params=leas_params,
        cars_params=cars_params, return_potential=return_potential, leas=leas, codes=codes,
        driver_bounds=driver_bounds, driver_categories=driver_categories, derived=derived)
    if zone_seeds is not None and prep.zone_ids is not None:
        missing = sorted(set(prep.zone_ids) - set(zone_seeds))
        if missing:
            raise InputValidationError(f"zone_seeds lacks zones {missing}")
        zone_seed_list = [zone_seeds[z] for z in prep.zone_ids]
    else:
        zone_seed_list = prep.zone_seeds(seed)
    payloads = [{**p, "seed": zs} for p, zs in zip(prep.payloads, zone_seed_list)]
    if client is not None:
        futures = client.map(_zone_task, payloads, pure=False)
        results = client.gather(futures)
    else:
        results = [_zone_task(p) for p in payloads]
    return _assemble(prep, results)


def _assemble(prep: PreparedSimulation, results: list[dict]) -> SimulationResult:
    """Maps, potential, gap and summary tables of one realization from the window results."""
    code_list, k_n, stages = prep.code_list, prep.n_classes, prep.stages
    start_idx, cand = prep.start_idx, prep.cand
    rows, cols = start_idx.shape
    gap_rows, sum_rows = [], []
    prob_full = np.full((k_n, rows, cols), np.nan, dtype=np.float32) if prep.return_potential else None
    for (z, rs, cs, zm), res in zip(prep.windows, results):
        if prob_full is not None and res["prob"] is not None:
            cwin = cand[rs, cs] & zm
            sub = prob_full[:, rs, cs]          # a view: filled in place
            sub[:, cwin] = res["prob"].T
        res["prob"] = None
        for stage, zr in res["stages"]:
            for it in range(zr.gaps.shape[0]):
                for k in range(k_n):
                    gap_rows.append((stage, z, it, code_list[k], int(zr.gaps[it, k])))
            final = np.bincount(zr.state[zm & (zr.state >= 0)], minlength=k_n)[:k_n]
            dvec = prep.dem_stages[stage][z]
            for k in range(k_n):
                sum_rows.append((stage, z, code_list[k], int(dvec[k]), int(final[k]), int(dvec[k] - final[k]),
                                 int(zr.gaps.shape[0] - 1)))
    stage_states = prep.stage_states([res["stages"] for res in results])
    maps: dict[Any, xr.DataArray] = {}
    changed = {}
    prev = start_idx
    for s in stages:
        st = stage_states[s]
        valid = st >= 0
        maps[s] = prep.to_map(st)
        changed[s] = float(np.count_nonzero(valid & (st != prev)) / max(1, np.count_nonzero(valid)))
        prev = st
    info = dict(prep.info)
    info["changed_share"] = changed
    potential = None
    if prob_full is not None:
        start = prep.start
        potential = xr.DataArray(prob_full, dims=("code", *start.dims),
                                 coords={"code": code_list, **{d: start.coords[d] for d in start.dims}},
                                 name="potential", attrs={"units": "1"})
        if start.rio.crs is not None:
            potential = potential.rio.write_crs(start.rio.crs)
        potential = potential.rio.write_transform(prep.grid.transform)
    gaps = pd.DataFrame(gap_rows, columns=["stage", "zone", "iteration", "code", "gap_cells"])
    summary = pd.DataFrame(sum_rows, columns=["stage", "zone", "code", "demand_cells", "simulated_cells",
                                              "gap_cells", "iterations"])
    return SimulationResult(maps, potential, prep.leas, gaps, summary, info)


from .calibrate import CalibrationResult, calibrate  # noqa: E402  (they use the names above)
from .ensemble import EnsembleResult, simulate_ensemble  # noqa: E402
